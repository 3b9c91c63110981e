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

/// The days a series is published at (`docs/publication.md`): the last day
/// of every ISO week from `first` to `as_of`, then `as_of` itself. Each is
/// one publication decision, so a year's trend costs 53 of them, not 365.
pub fn series_points(first: NaiveDate, as_of: NaiveDate) -> Vec<NaiveDate> {
    let (first, last) = (day_num(first), day_num(as_of));
    let mut points: Vec<NaiveDate> = (week_start(first) + 6..last)
        .step_by(7)
        .filter(|&d| d >= first)
        .map(date_of)
        .collect();
    if first <= last {
        points.push(as_of);
    }
    points
}

/// The days to decide for an as-of day, most wanted first: the day, the
/// days its tiles compare with (7 and 28 days before), then its series'
/// points from the newest back to `first`.
pub fn days_to_decide(first: NaiveDate, as_of: NaiveDate) -> Vec<NaiveDate> {
    let mut days = vec![as_of];
    for back in [7, 28] {
        let day = as_of - chrono::Days::new(back);
        if day >= first {
            days.push(day);
        }
    }
    for day in series_points(first, as_of).into_iter().rev() {
        if !days.contains(&day) {
            days.push(day);
        }
    }
    days
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
    fn a_series_is_read_at_week_ends_and_the_as_of_day() {
        let day = |s: &str| -> NaiveDate { s.parse().expect("date") };
        // Thursday 5 Nov to Thursday 26 Nov 2026: the Sundays between, then
        // the as-of day.
        assert_eq!(
            series_points(day("2026-11-05"), day("2026-11-26")),
            [
                day("2026-11-08"),
                day("2026-11-15"),
                day("2026-11-22"),
                day("2026-11-26")
            ]
        );
        // A Sunday as-of day is not listed twice; nor a Sunday first day
        // missed.
        assert_eq!(
            series_points(day("2026-11-15"), day("2026-11-29")),
            [day("2026-11-15"), day("2026-11-22"), day("2026-11-29")]
        );
        assert_eq!(
            days_to_decide(day("2026-11-01"), day("2026-11-29")),
            [
                day("2026-11-29"),
                day("2026-11-22"),
                day("2026-11-01"),
                day("2026-11-15"),
                day("2026-11-08"),
            ]
        );
    }

    #[test]
    fn december_ends_on_the_31st() {
        assert_eq!(month_end(d("2026-12-05")), d("2026-12-31"));
        let feb: NaiveDate = "2028-02-03".parse().expect("date");
        assert_eq!(last_of_month(feb).to_string(), "2028-02-29");
    }
}
