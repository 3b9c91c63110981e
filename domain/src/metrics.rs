//! The counts behind every figure, and the rates derived from them.
//!
//! The per-person definitions (eligible, active-7, active-28, reached) are
//! applied in exactly one place, [`crate::rollup::Rollup::compute`]; this
//! module holds what a rollup cell carries and what is derived from it.

use serde::{Deserialize, Serialize};

/// The short activity window, in days ending at the as-of day.
pub const WINDOW_SHORT: i32 = 7;
/// The adoption window, in days ending at the as-of day.
pub const WINDOW_LONG: i32 = 28;

/// What one rollup cell holds: counts of distinct people.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// In post, in a unit that has gone live for the subject.
    pub eligible: u32,
    /// Eligible, with a counted action in the 7 days ending at the day.
    pub active7: u32,
    /// Eligible, with a counted action in the 28 days ending at the day.
    pub active28: u32,
    /// Eligible, with a first use on or before the day.
    pub reached: u32,
}

impl Counts {
    pub fn add(&mut self, other: &Counts) {
        self.eligible += other.eligible;
        self.active7 += other.active7;
        self.active28 += other.active28;
        self.reached += other.reached;
    }

    /// `self − other`, count by count, never below zero: what a total
    /// holds besides some of its parts.
    pub fn saturating_sub(&self, other: &Counts) -> Counts {
        Counts {
            eligible: self.eligible.saturating_sub(other.eligible),
            active7: self.active7.saturating_sub(other.active7),
            active28: self.active28.saturating_sub(other.active28),
            reached: self.reached.saturating_sub(other.reached),
        }
    }

    /// The counts in their order: active-7 ≤ active-28 ≤ reached ≤
    /// eligible.
    pub fn ordered(&self) -> [u32; 4] {
        [self.active7, self.active28, self.reached, self.eligible]
    }

    /// Adoption rate = active-28 ÷ eligible; none when nobody is eligible.
    pub fn adoption_rate(&self) -> Option<f64> {
        ratio(self.active28, self.eligible)
    }

    pub fn reached_share(&self) -> Option<f64> {
        ratio(self.reached, self.eligible)
    }
}

/// Depth: active days in the 28-day window, one bin per count 1..=28.
pub const DEPTH_BINS: usize = WINDOW_LONG as usize;
/// "Used within 30 days" of first eligibility.
pub const FIRST_USE_GRACE: i32 = 30;
/// The weeks after a cohort's first-use week at which retention is read.
pub const RETENTION_WEEKS: [i32; 2] = [4, 12];
/// Days to first use above the grace period, in wider bins: a week each to
/// 93 days, then wider; inclusive bounds, the last open-ended.
const WIDE_BINS: [(u32, Option<u32>); 13] = [
    (31, Some(37)),
    (38, Some(44)),
    (45, Some(51)),
    (52, Some(58)),
    (59, Some(65)),
    (66, Some(72)),
    (73, Some(79)),
    (80, Some(86)),
    (87, Some(93)),
    (94, Some(120)),
    (121, Some(180)),
    (181, Some(365)),
    (366, None),
];
/// Days to first use: "pre-go-live", then one bin per day 0..=30, then
/// [`WIDE_BINS`].
pub const FIRST_USE_BINS: usize = 1 + FIRST_USE_GRACE as usize + 1 + WIDE_BINS.len();

/// What a rollup cell holds besides its [`Counts`]: the histograms that
/// medians need, and the counts behind time to first use and retention.
/// Kept apart from the counts so that the views that need only counts
/// read only counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detail {
    /// Active-28 people by their number of active days in the window.
    pub depth: [u32; DEPTH_BINS],
    /// Reached people, not reached before data start, by days from first
    /// eligible day to first use (see [`first_use_bin`]).
    pub first_use: [u32; FIRST_USE_BINS],
    /// Reached people whose first use fell in the first 28 days of the
    /// data: it may have come earlier, so they are left out of time to
    /// first use and retention.
    pub before_data_start: u32,
    /// Eligible people first eligible at least 30 days before the day, and
    /// not reached before data start: those whose first 30 days are seen
    /// in full. `eligible` is them, `active28` those who used it within
    /// 30 days (pilots included).
    pub within_grace: Counts,
    /// On the last day of an ISO week, per [`RETENTION_WEEKS`] n: the
    /// cohort whose first use fell n weeks earlier, attributed to their
    /// unit and band at first use. `eligible` is those still eligible,
    /// `active28` those of them active-28 that day. Zero on other days.
    pub retention: [Counts; 2],
}

impl Default for Detail {
    fn default() -> Self {
        Self {
            depth: [0; DEPTH_BINS],
            first_use: [0; FIRST_USE_BINS],
            before_data_start: 0,
            within_grace: Counts::default(),
            retention: [Counts::default(); 2],
        }
    }
}

/// How many counts a [`Detail`] holds.
pub const DETAIL_FIELDS: usize = DEPTH_BINS + FIRST_USE_BINS + 1 + 2 * 3;

impl Detail {
    /// The count at `index` in the stored order: the depth bins, the
    /// first-use bins, reached before data start, then the eligible and
    /// active counts of the 30-day share and of each retention cohort.
    pub fn field_mut(&mut self, index: usize) -> Option<&mut u32> {
        let scalar = index.checked_sub(DEPTH_BINS + FIRST_USE_BINS);
        match (index, scalar) {
            (i, _) if i < DEPTH_BINS => self.depth.get_mut(i),
            (i, None) => self.first_use.get_mut(i - DEPTH_BINS),
            (_, Some(0)) => Some(&mut self.before_data_start),
            (_, Some(j)) => {
                let pair = match (j - 1) / 2 {
                    0 => &mut self.within_grace,
                    k => self.retention.get_mut(k - 1)?,
                };
                Some(if j % 2 == 1 {
                    &mut pair.eligible
                } else {
                    &mut pair.active28
                })
            }
        }
    }

    /// Calls `f(index, value, other's value)` for every count that differs
    /// from `other`'s, in the stored order (see [`Detail::field_mut`]).
    pub fn for_each_change(&self, other: &Detail, mut f: impl FnMut(usize, u32, u32)) {
        let arrays = self.depth.iter().chain(&self.first_use);
        let others = other.depth.iter().chain(&other.first_use);
        for (i, (a, b)) in arrays.zip(others).enumerate() {
            if a != b {
                f(i, *a, *b);
            }
        }
        let pairs = |d: &Detail| {
            [
                d.before_data_start,
                d.within_grace.eligible,
                d.within_grace.active28,
                d.retention[0].eligible,
                d.retention[0].active28,
                d.retention[1].eligible,
                d.retention[1].active28,
            ]
        };
        for (j, (a, b)) in pairs(self).into_iter().zip(pairs(other)).enumerate() {
            if a != b {
                f(DEPTH_BINS + FIRST_USE_BINS + j, a, b);
            }
        }
    }

    pub fn add(&mut self, other: &Detail) {
        for (a, b) in self.depth.iter_mut().zip(&other.depth) {
            *a += b;
        }
        for (a, b) in self.first_use.iter_mut().zip(&other.first_use) {
            *a += b;
        }
        self.before_data_start += other.before_data_start;
        self.within_grace.add(&other.within_grace);
        for (a, b) in self.retention.iter_mut().zip(&other.retention) {
            a.add(b);
        }
    }

    /// Median days from first eligible day to first use, pilots as 0.
    pub fn median_days_to_first_use(&self) -> Option<Median> {
        median(&self.first_use, first_use_bin_days)
    }

    /// Median active days in the 28-day window, over active-28 people.
    pub fn median_depth(&self) -> Option<Median> {
        median(&self.depth, |bin| (bin as u32 + 1, Some(bin as u32 + 1)))
    }

    /// People in the time-to-first-use histogram.
    pub fn first_users(&self) -> u32 {
        self.first_use.iter().sum()
    }
}

/// The bin of a first use, given the first eligible day.
pub fn first_use_bin(first_eligible: crate::DayNum, first_use: crate::DayNum) -> usize {
    let days = first_use - first_eligible;
    if days < 0 {
        return 0;
    }
    let days = days.unsigned_abs();
    if days <= FIRST_USE_GRACE as u32 {
        return 1 + days as usize;
    }
    let wide = WIDE_BINS
        .iter()
        .position(|(_, hi)| hi.is_none_or(|hi| days <= hi))
        .unwrap_or(WIDE_BINS.len() - 1);
    2 + FIRST_USE_GRACE as usize + wide
}

/// The days a first-use bin stands for: inclusive bounds, the last bin
/// open-ended. Pre-go-live counts as 0, as max(0, first use − first
/// eligible day) makes it.
fn first_use_bin_days(bin: usize) -> (u32, Option<u32>) {
    match bin {
        0 => (0, Some(0)),
        b if b <= 1 + FIRST_USE_GRACE as usize => (b as u32 - 1, Some(b as u32 - 1)),
        b => WIDE_BINS[b - 2 - FIRST_USE_GRACE as usize],
    }
}

/// A median read from a histogram: exact when the middle values fall in
/// one-value bins, otherwise the bounds of the bins they fall in.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Median {
    Exact(f64),
    Between(u32, Option<u32>),
}

impl std::fmt::Display for Median {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Median::Exact(v) if v.fract() == 0.0 => write!(f, "{v:.0}"),
            Median::Exact(v) => write!(f, "{v:.1}"),
            Median::Between(lo, Some(hi)) => write!(f, "{lo}–{hi}"),
            Median::Between(lo, None) => write!(f, "{lo}+"),
        }
    }
}

/// The median of the values a histogram counts: the mean of the two middle
/// values when their count is even.
fn median(bins: &[u32], bounds: impl Fn(usize) -> (u32, Option<u32>)) -> Option<Median> {
    let n: u32 = bins.iter().sum();
    if n == 0 {
        return None;
    }
    let bin_of = |rank: u32| {
        let mut seen = 0;
        bins.iter()
            .position(|&c| {
                seen += c;
                seen > rank
            })
            .unwrap_or(bins.len() - 1)
    };
    let (lower, upper) = (bounds(bin_of((n - 1) / 2)), bounds(bin_of(n / 2)));
    Some(match (lower, upper) {
        ((a, Some(a2)), (b, Some(b2))) if a == a2 && b == b2 => {
            Median::Exact((f64::from(a) + f64::from(b)) / 2.0)
        }
        ((lo, _), (_, hi)) => Median::Between(lo, hi),
    })
}

fn ratio(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| f64::from(part) / f64::from(whole))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adoption_rate_is_active28_over_eligible() {
        let c = Counts {
            eligible: 8,
            active7: 2,
            active28: 6,
            reached: 7,
        };
        assert_eq!(c.adoption_rate(), Some(0.75));
        assert_eq!(c.reached_share(), Some(0.875));
        assert_eq!(Counts::default().adoption_rate(), None);
    }

    #[test]
    fn first_use_bins_are_daily_to_30_then_wider() {
        assert_eq!(first_use_bin(100, 95), 0, "pilot: pre-go-live");
        assert_eq!(first_use_bin(100, 100), 1);
        assert_eq!(first_use_bin(100, 130), 31);
        assert_eq!(first_use_bin(100, 131), 32);
        assert_eq!(first_use_bin(100, 137), 32);
        assert_eq!(first_use_bin(100, 138), 33);
        assert_eq!(first_use_bin(100, 281), 43);
        assert_eq!(first_use_bin(100, 2000), FIRST_USE_BINS - 1);
    }

    #[test]
    fn medians_come_from_the_histograms() {
        let mut d = Detail::default();
        assert_eq!(d.median_depth(), None);
        // Active days 3, 5, 5, 20: median (5 + 5) / 2.
        for days in [3, 5, 5, 20] {
            d.depth[days - 1] += 1;
        }
        assert_eq!(d.median_depth(), Some(Median::Exact(5.0)));
        // Active days 3, 20: (3 + 20) / 2.
        let mut two = Detail::default();
        two.depth[2] = 1;
        two.depth[19] = 1;
        assert_eq!(two.median_depth(), Some(Median::Exact(11.5)));
        // Days to first use: a pilot (0), 2, 40, 45, 200: the middle value
        // lies in the 38–44 bin.
        for (fe, fu) in [(10, 5), (10, 12), (10, 50), (10, 55), (10, 210)] {
            d.first_use[first_use_bin(fe, fu)] += 1;
        }
        assert_eq!(d.first_users(), 5);
        assert_eq!(
            d.median_days_to_first_use(),
            Some(Median::Between(38, Some(44)))
        );
        assert_eq!(Median::Between(38, Some(44)).to_string(), "38–44");
        assert_eq!(Median::Between(366, None).to_string(), "366+");
        assert_eq!(Median::Exact(11.5).to_string(), "11.5");
        assert_eq!(Median::Exact(5.0).to_string(), "5");
    }

    #[test]
    fn detail_fields_round_trip_and_add() {
        let mut a = Detail::default();
        a.depth[27] = 2;
        a.first_use[0] = 1;
        a.before_data_start = 3;
        a.within_grace.eligible = 4;
        a.retention[1].active28 = 5;
        let fields: Vec<u32> = (0..DETAIL_FIELDS)
            .map(|i| *a.clone().field_mut(i).expect("field"))
            .collect();
        assert_eq!(fields.iter().sum::<u32>(), 15);
        // Each field is reached by its index, and changes are reported by it.
        let mut c = Detail::default();
        for (i, v) in fields.iter().enumerate() {
            *c.field_mut(i).expect("field") = *v;
        }
        assert_eq!(c, a);
        assert!(c.field_mut(DETAIL_FIELDS).is_none());
        let mut changes = Vec::new();
        a.for_each_change(&Detail::default(), |i, now, was| {
            changes.push((i, now, was))
        });
        let expected: Vec<(usize, u32, u32)> = fields
            .iter()
            .enumerate()
            .filter(|(_, v)| **v != 0)
            .map(|(i, v)| (i, *v, 0))
            .collect();
        assert_eq!(changes, expected);
        c.add(&a);
        assert_eq!(c.retention[1].active28, 10);
        assert_eq!(c.depth[27], 4);
        assert_eq!(c.within_grace.eligible, 8);
    }
}
