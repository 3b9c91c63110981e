//! How a unit's people use a subject, beyond whether they do: how soon
//! they first used it, how many days a month they use it, and whether
//! those who started stay. Per age band, and per weekly cohort.
//!
//! Every figure follows the unit's published cells (`crate::publication`).
//! Shares (used within 30 days, retention) add up across bands, so the
//! bands and "all ages" are published together under disclosure control.
//! A median cannot be subtracted, so it needs only its group to be at
//! least k people.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::{
    day::{date_of, day_num, week_start},
    disclosure::Disclosure,
    metrics::{Counts, Detail, Median, RETENTION_WEEKS},
    people::AgeBand,
    publication::Published,
    rollup::{ALL_BANDS, BAND_SLOTS},
};

/// How many weekly cohorts the cohort table lists.
pub const COHORT_WEEKS: usize = 16;
/// How many of the latest observable weekly cohorts the per-band figures
/// pool, so that a unit's weekly cohorts are not each too small to show.
pub const POOLED_WEEKS: usize = 4;

/// One published figure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Shown<T> {
    Value(T),
    /// Hidden by disclosure control: `[c]`.
    Suppressed,
    /// A retention figure whose week has not ended by the as-of day.
    NotYetObservable,
    /// Nobody to measure.
    Nobody,
}

/// `part` of `of` people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    pub part: u32,
    pub of: u32,
}

impl Share {
    pub fn rate(self) -> f64 {
        f64::from(self.part) / f64::from(self.of.max(1))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageRow {
    /// "All ages" or the band's label.
    pub label: String,
    /// Median days from first eligible day to first use.
    pub first_use: Shown<Median>,
    /// Of those eligible for at least 30 days, the share who used it
    /// within 30 days of becoming eligible.
    pub within_30: Shown<Share>,
    /// Median active days in the 28-day window, over active-28 people.
    pub depth: Shown<Median>,
    /// Retention at +4 and +12 weeks of the latest [`POOLED_WEEKS`]
    /// observable cohorts together.
    pub retention: [Shown<Share>; 2],
}

/// One weekly cohort: the people whose first use fell in the ISO week
/// starting `week`, all ages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortRow {
    pub week: NaiveDate,
    pub retention: [Shown<Share>; 2],
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageTable {
    pub unit_code: String,
    pub subject: String,
    pub subject_label: String,
    pub as_of: NaiveDate,
    /// The first and last cohort weeks the rows' retention figures pool,
    /// per [`RETENTION_WEEKS`].
    pub row_cohorts: [(NaiveDate, NaiveDate); 2],
    /// All ages first, then each band.
    pub rows: Vec<UsageRow>,
    /// Newest cohort first.
    pub cohorts: Vec<CohortRow>,
    /// People reached in the first 28 days of the data, left out of time to
    /// first use and retention; `None` when disclosure control hides it.
    pub before_data_start: Option<u32>,
}

/// The last day of the latest ISO week that has ended by `as_of`.
pub fn latest_week_end(as_of: NaiveDate) -> NaiveDate {
    let d = day_num(as_of);
    let end = week_start(d) + 6;
    date_of(if end == d { d } else { week_start(d) - 1 })
}

/// The day a cohort's retention at +`weeks` is read: the last day of the
/// week `weeks` after the cohort's week.
pub fn read_day(cohort_week: NaiveDate, weeks: i32) -> NaiveDate {
    cohort_week + Days::new(7 * weeks.unsigned_abs() as u64 + 6)
}

/// The days whose cells the rows' retention pools: the last days of the
/// latest [`POOLED_WEEKS`] ended weeks.
pub fn pooled_days(as_of: NaiveDate) -> Vec<NaiveDate> {
    let end = day_num(latest_week_end(as_of));
    (0..POOLED_WEEKS as i32)
        .map(|k| date_of(end - 7 * k))
        .collect()
}

/// The oldest and newest cohort weeks pooled at each of
/// [`RETENTION_WEEKS`].
pub fn pooled_cohorts(as_of: NaiveDate) -> [(NaiveDate, NaiveDate); 2] {
    let newest = day_num(latest_week_end(as_of)) - 6;
    RETENTION_WEEKS.map(|n| {
        let last = newest - 7 * n;
        (date_of(last - 7 * (POOLED_WEEKS as i32 - 1)), date_of(last))
    })
}

/// The cohort weeks the table lists, newest first: the latest ended week
/// and the weeks before it.
pub fn cohort_weeks(as_of: NaiveDate) -> Vec<NaiveDate> {
    let newest = day_num(latest_week_end(as_of)) - 6;
    (0..COHORT_WEEKS as i32)
        .map(|i| date_of(newest - 7 * i))
        .collect()
}

/// The cells a usage table is published from.
pub struct UsageInputs {
    /// The unit's published cells on the as-of day, per band slot: a
    /// band's figures are shown only where its cell is.
    pub published: Published,
    /// The viewer sees the unit whole (it may list its people), and so
    /// every figure of it as it is.
    pub whole: bool,
    /// Detail on the as-of day, per band slot.
    pub detail: [Detail; BAND_SLOTS],
    /// Per [`RETENTION_WEEKS`] n, per band slot: the pooled cohort cells
    /// read on the [`pooled_days`].
    pub pooled: [[Counts; BAND_SLOTS]; 2],
    /// Per cohort week of [`cohort_weeks`], per [`RETENTION_WEEKS`]: the
    /// all-ages cohort cell, or `None` when it is read after `as_of`.
    pub cohorts: Vec<[Option<Counts>; 2]>,
}

/// The published table. Every figure follows the unit's published cells:
/// a band whose cell is hidden shows nothing, and "Nobody" is said only of
/// a band with nobody eligible. Shares are published as a total of parts,
/// a median only over at least k people, each weekly cohort on its own;
/// a retention column pools four of the weekly cohorts, so it is hidden
/// whole where one of them is.
pub fn publish(
    disclosure: &Disclosure,
    as_of: NaiveDate,
    inputs: &UsageInputs,
) -> (Vec<UsageRow>, Vec<CohortRow>, Option<u32>) {
    let order: Vec<usize> = std::iter::once(ALL_BANDS).chain(0..ALL_BANDS).collect();
    let published = &inputs.published;
    let shares = |cells: [Counts; BAND_SLOTS], column_shown: bool| -> Vec<Shown<Share>> {
        let (total, parts) = if inputs.whole {
            (
                Some(cells[ALL_BANDS]),
                cells[..ALL_BANDS].iter().copied().map(Some).collect(),
            )
        } else {
            disclosure.publish_total_of(cells[ALL_BANDS], &cells[..ALL_BANDS])
        };
        std::iter::once(total)
            .chain(parts)
            .zip(&order)
            .map(|(shown, &slot)| {
                let shown = shown.filter(|_| column_shown && published[slot].is_some());
                share(shown, cells[slot])
            })
            .collect()
    };
    let within = shares(inputs.detail.map(|d| d.within_grace), true);
    let pooled_shown =
        |i: usize| {
            let first = RETENTION_WEEKS[i].unsigned_abs() as usize;
            (first..first + POOLED_WEEKS).all(|w| {
                inputs.cohorts.get(w).and_then(|c| c[i]).is_some_and(|c| {
                    inputs.whole || c.eligible == 0 || disclosure.publish(c).is_some()
                })
            })
        };
    let retained: Vec<Vec<Shown<Share>>> = inputs
        .pooled
        .iter()
        .enumerate()
        .map(|(i, &p)| shares(p, pooled_shown(i)))
        .collect();
    let median = |slot: usize, n: u32, m: Option<Median>| match (published[slot], m) {
        (Some(c), _) if c.eligible == 0 => Shown::Nobody,
        (Some(_), Some(m)) if inputs.whole || n >= disclosure.k => Shown::Value(m),
        _ => Shown::Suppressed,
    };
    let rows = order
        .iter()
        .enumerate()
        .map(|(i, &slot)| {
            let d = &inputs.detail[slot];
            UsageRow {
                label: if slot == ALL_BANDS {
                    "All ages".to_owned()
                } else {
                    AgeBand::ALL[slot].label().to_owned()
                },
                first_use: median(slot, d.first_users(), d.median_days_to_first_use()),
                within_30: within[i],
                depth: median(slot, d.depth.iter().sum(), d.median_depth()),
                retention: [retained[0][i], retained[1][i]],
            }
        })
        .collect();
    let cohorts = cohort_weeks(as_of)
        .into_iter()
        .zip(&inputs.cohorts)
        .map(|(week, cells)| CohortRow {
            week,
            retention: cells.map(|c| match c {
                None => Shown::NotYetObservable,
                Some(c) if inputs.whole => share(Some(c), c),
                Some(c) => share(disclosure.publish(c), c),
            }),
        })
        .collect();
    let before = inputs.detail[ALL_BANDS].before_data_start;
    let before_data_start = published[ALL_BANDS].map(|_| before);
    (rows, cohorts, before_data_start)
}

/// A share cell as published: its people are `eligible`, the part of them
/// counted `active28`.
fn share(published: Option<Counts>, cell: Counts) -> Shown<Share> {
    match published {
        _ if cell.eligible == 0 => Shown::Nobody,
        None => Shown::Suppressed,
        Some(c) => Shown::Value(Share {
            part: c.active28,
            of: c.eligible,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::first_use_bin;

    fn date(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    fn c(eligible: u32, active28: u32) -> Counts {
        Counts {
            eligible,
            active28,
            ..Counts::default()
        }
    }

    #[test]
    fn cohorts_are_iso_weeks_read_on_their_last_day() {
        // Thursday 26 Nov 2026: the latest ended week is 16–22 Nov.
        assert_eq!(latest_week_end(date("2026-11-26")), date("2026-11-22"));
        assert_eq!(latest_week_end(date("2026-11-22")), date("2026-11-22"));
        let weeks = cohort_weeks(date("2026-11-26"));
        assert_eq!(weeks[0], date("2026-11-16"));
        assert_eq!(weeks[1], date("2026-11-09"));
        assert_eq!(weeks.len(), COHORT_WEEKS);
        // The cohort of w/c 12 Oct is read at +4 on Sunday 15 Nov.
        assert_eq!(read_day(date("2026-10-12"), 4), date("2026-11-15"));
        // The rows pool the cohorts read on the last four Sundays.
        assert_eq!(
            pooled_days(date("2026-11-26")),
            ["2026-11-22", "2026-11-15", "2026-11-08", "2026-11-01"].map(date)
        );
        assert_eq!(
            pooled_cohorts(date("2026-11-26")),
            [
                (date("2026-09-28"), date("2026-10-19")),
                (date("2026-08-03"), date("2026-08-24"))
            ]
        );
    }

    fn inputs() -> UsageInputs {
        let mut detail = [Detail::default(); BAND_SLOTS];
        let mut counts = [Counts::default(); BAND_SLOTS];
        // 12 people per band, all reached on their first eligible day
        // except band 0, whose 12 took 40 days; active 10 days a month.
        for b in 0..ALL_BANDS {
            let days = if b == 0 { 40 } else { 0 };
            detail[b].first_use[first_use_bin(0, days)] = 12;
            detail[b].depth[9] = 12;
            detail[b].within_grace = if b == 0 { c(12, 0) } else { c(12, 9) };
            detail[b].before_data_start = 1;
            counts[b] = c(13, 12);
        }
        // The 25–34 band's depth group is too small for a median.
        detail[1].depth[9] = 4;
        let mut all = Detail::default();
        let mut all_counts = Counts::default();
        for b in 0..ALL_BANDS {
            all.add(&detail[b]);
            all_counts.add(&counts[b]);
        }
        detail[ALL_BANDS] = all;
        counts[ALL_BANDS] = all_counts;
        let mut pooled = [[Counts::default(); BAND_SLOTS]; 2];
        // Retention at +4: 20 of 30 in band 2 and all ages; 0 elsewhere.
        pooled[0][2] = c(30, 20);
        pooled[0][ALL_BANDS] = c(30, 20);
        // The +4 column pools the cohorts of weeks 4 to 7 before the
        // latest; week 8's is too small, but is not pooled.
        let mut cohorts = vec![[None, None]; COHORT_WEEKS];
        cohorts[4] = [Some(c(30, 20)), None];
        for week in &mut cohorts[5..8] {
            *week = [Some(c(0, 0)), None];
        }
        cohorts[8] = [Some(c(4, 2)), None];
        UsageInputs {
            published: counts.map(Some),
            whole: false,
            detail,
            pooled,
            cohorts,
        }
    }

    #[test]
    fn medians_shares_and_cohorts_are_published_under_disclosure_control() {
        let (rows, cohorts, before) =
            publish(&Disclosure::default(), date("2026-11-26"), &inputs());
        assert_eq!(rows.len(), BAND_SLOTS);
        assert_eq!(rows[0].label, "All ages");
        // 60 people: 48 on day 0, 12 at 40 days: median 0.
        assert_eq!(rows[0].first_use, Shown::Value(Median::Exact(0.0)));
        assert_eq!(
            rows[1].first_use,
            Shown::Value(Median::Between(38, Some(44)))
        );
        // Within 30 days: 36 of 60; band under 25: 0 of 12, which the
        // primary rule hides, with a partner band so that all ages does
        // not give it away.
        assert_eq!(rows[0].within_30, Shown::Value(Share { part: 36, of: 60 }));
        assert_eq!(rows[1].within_30, Shown::Suppressed);
        let hidden = rows
            .iter()
            .filter(|r| r.within_30 == Shown::Suppressed)
            .count();
        assert_eq!(hidden, 2);
        // Depth: 4 people in 25–34 are too few for a median.
        assert_eq!(rows[2].depth, Shown::Suppressed);
        assert_eq!(rows[3].depth, Shown::Value(Median::Exact(10.0)));
        // Retention +4: only band 35–44 has a cohort: 20 of 30, and all
        // ages the same; the empty bands have nobody.
        assert_eq!(
            rows[0].retention[0],
            Shown::Value(Share { part: 20, of: 30 })
        );
        assert_eq!(rows[1].retention[0], Shown::Nobody);
        assert_eq!(rows[0].retention[1], Shown::Nobody);
        // Cohorts: not yet observable, a shown week, a week too small.
        assert_eq!(cohorts[0].retention[0], Shown::NotYetObservable);
        assert_eq!(
            cohorts[4].retention[0],
            Shown::Value(Share { part: 20, of: 30 })
        );
        assert_eq!(cohorts[8].retention[0], Shown::Suppressed);
        assert_eq!(before, Some(5));
    }

    #[test]
    fn figures_follow_the_published_cells() {
        let mut inputs = inputs();
        // A pooled cohort too small to show hides the whole +4 column, or
        // it would be the pooled figure minus the others.
        inputs.cohorts[5] = [Some(c(4, 2)), None];
        // The decision hid the 35–44 band: none of its figures is shown.
        inputs.published[2] = None;
        // Nobody in the 55+ band has used it yet, yet the band has people:
        // that is a figure like any other, not "Nobody".
        inputs.detail[4].first_use = [0; crate::metrics::FIRST_USE_BINS];
        let (rows, _, _) = publish(&Disclosure::default(), date("2026-11-26"), &inputs);
        assert!(
            rows.iter()
                .all(|r| r.retention[0] != Shown::Value(Share { part: 20, of: 30 }))
        );
        assert_eq!(rows[0].retention[0], Shown::Suppressed);
        assert_eq!(rows[3].first_use, Shown::Suppressed);
        assert_eq!(rows[3].depth, Shown::Suppressed);
        assert_eq!(rows[3].within_30, Shown::Suppressed);
        assert_eq!(rows[5].first_use, Shown::Suppressed);
        // Hiding the all-ages cell hides what only it would carry.
        inputs.published[ALL_BANDS] = None;
        let (rows, _, before) = publish(&Disclosure::default(), date("2026-11-26"), &inputs);
        assert_eq!(rows[0].first_use, Shown::Suppressed);
        assert_eq!(before, None);
    }

    #[test]
    fn a_viewer_who_sees_the_unit_whole_sees_every_figure() {
        let mut inputs = inputs();
        inputs.whole = true;
        let (rows, cohorts, _) = publish(&Disclosure::default(), date("2026-11-26"), &inputs);
        assert_eq!(rows[1].within_30, Shown::Value(Share { part: 0, of: 12 }));
        assert_eq!(rows[2].depth, Shown::Value(Median::Exact(10.0)));
        assert_eq!(
            cohorts[8].retention[0],
            Shown::Value(Share { part: 2, of: 4 })
        );
    }
}
