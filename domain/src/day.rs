//! Calendar days as compact integers, for the hot loops of the rollup.

use chrono::{Datelike, NaiveDate};

/// A calendar day as a count of days since 0001-01-01 (chrono's CE count).
/// Ordering and differences are plain integer arithmetic.
pub type DayNum = i32;

pub fn day_num(date: NaiveDate) -> DayNum {
    date.num_days_from_ce()
}

/// The date of a day number. Day numbers come from [`day_num`], so they are
/// always in chrono's range; out-of-range input saturates to the epoch.
pub fn date_of(day: DayNum) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(day).unwrap_or(NaiveDate::MIN)
}

/// An inclusive range of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    pub first: DayNum,
    pub last: DayNum,
}

impl DayRange {
    pub fn new(first: DayNum, last: DayNum) -> Self {
        Self { first, last }
    }

    pub fn len(&self) -> usize {
        usize::try_from(self.last - self.first + 1).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.last < self.first
    }

    pub fn contains(&self, day: DayNum) -> bool {
        self.first <= day && day <= self.last
    }

    /// Splits the range into calendar months, the unit in which rollup
    /// blocks are stored.
    pub fn months(&self) -> Vec<MonthSpan> {
        let mut spans = Vec::new();
        let mut day = self.first;
        while day <= self.last {
            let month = month_start(day);
            let end = month_end(day).min(self.last);
            spans.push(MonthSpan {
                month,
                range: DayRange::new(day, end),
            });
            day = end + 1;
        }
        spans
    }
}

/// The days of one calendar month that a computation covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthSpan {
    /// The first day of the calendar month.
    pub month: DayNum,
    pub range: DayRange,
}

pub fn month_start(day: DayNum) -> DayNum {
    let date = date_of(day);
    day - DayNum::try_from(date.day0()).unwrap_or(0)
}

pub fn month_end(day: DayNum) -> DayNum {
    let date = date_of(day);
    let next = if date.month() == 12 {
        NaiveDate::from_ymd_opt(date.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(date.year(), date.month() + 1, 1)
    };
    next.map_or(day, |n| day_num(n) - 1)
}

/// The Monday that starts the ISO week holding `day`.
pub fn week_start(day: DayNum) -> DayNum {
    day - DayNum::try_from(date_of(day).weekday().num_days_from_monday()).unwrap_or(0)
}

/// Whether `day` is a Sunday, the last day of its ISO week.
pub fn is_week_end(day: DayNum) -> bool {
    week_start(day) + 6 == day
}

/// The last day of the date's calendar month.
pub fn last_of_month(date: NaiveDate) -> NaiveDate {
    date_of(month_end(day_num(date)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> DayNum {
        day_num(s.parse().expect("valid test date"))
    }

    #[test]
    fn months_split_at_calendar_boundaries() {
        let spans = DayRange::new(d("2026-01-30"), d("2026-03-02")).months();
        assert_eq!(spans.len(), 3);
        assert_eq!(spans[0].month, d("2026-01-01"));
        assert_eq!(
            spans[0].range,
            DayRange::new(d("2026-01-30"), d("2026-01-31"))
        );
        assert_eq!(
            spans[1].range,
            DayRange::new(d("2026-02-01"), d("2026-02-28"))
        );
        assert_eq!(
            spans[2].range,
            DayRange::new(d("2026-03-01"), d("2026-03-02"))
        );
    }

    #[test]
    fn iso_weeks_start_on_monday() {
        // 26 Nov 2026 is a Thursday.
        assert_eq!(week_start(d("2026-11-26")), d("2026-11-23"));
        assert_eq!(week_start(d("2026-11-23")), d("2026-11-23"));
        assert!(is_week_end(d("2026-11-29")));
        assert!(!is_week_end(d("2026-11-28")));
    }

    #[test]
    fn december_ends_on_the_31st() {
        assert_eq!(month_end(d("2026-12-05")), d("2026-12-31"));
        let feb: NaiveDate = "2028-02-03".parse().expect("date");
        assert_eq!(last_of_month(feb).to_string(), "2028-02-29");
    }
}
