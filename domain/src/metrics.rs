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

    /// Adoption rate = active-28 ÷ eligible; none when nobody is eligible.
    pub fn adoption_rate(&self) -> Option<f64> {
        ratio(self.active28, self.eligible)
    }

    pub fn reached_share(&self) -> Option<f64> {
        ratio(self.reached, self.eligible)
    }

    pub fn is_zero(&self) -> bool {
        *self == Counts::default()
    }
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
}
