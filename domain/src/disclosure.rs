//! Disclosure control: which published cells must be hidden so that no
//! one's usage can be read off a small group.
//!
//! This module holds the primary rule. Secondary suppression over a view's
//! whole hierarchy builds on it.

use serde::{Deserialize, Serialize};

use crate::metrics::Counts;

/// The smallest group a cell may describe, by default.
pub const DEFAULT_K: u32 = 10;
/// The fewest active, and the fewest inactive, people a cell may show.
pub const MIN_EACH_SIDE: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disclosure {
    pub k: u32,
}

impl Default for Disclosure {
    fn default() -> Self {
        Self { k: DEFAULT_K }
    }
}

impl Disclosure {
    /// The primary rule: fewer than k eligible, or fewer than 3 active or 3
    /// inactive (which covers 0% and 100%), hides the cell and every
    /// metric in it.
    pub fn primary_suppressed(&self, c: &Counts) -> bool {
        c.eligible < self.k
            || c.active28 < MIN_EACH_SIDE
            || c.eligible.saturating_sub(c.active28) < MIN_EACH_SIDE
    }

    /// The cell as published: its counts, or `None` for `[c]`.
    pub fn publish(&self, c: Counts) -> Option<Counts> {
        (!self.primary_suppressed(&c)).then_some(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(eligible: u32, active28: u32) -> Counts {
        Counts {
            eligible,
            active7: 0,
            active28,
            reached: active28,
        }
    }

    #[test]
    fn primary_rule_hides_small_groups_and_one_sided_cells() {
        let d = Disclosure::default();
        assert!(d.primary_suppressed(&cell(9, 4)), "fewer than k eligible");
        assert!(!d.primary_suppressed(&cell(10, 5)));
        assert!(d.primary_suppressed(&cell(40, 2)), "fewer than 3 active");
        assert!(d.primary_suppressed(&cell(40, 38)), "fewer than 3 inactive");
        assert!(d.primary_suppressed(&cell(40, 0)), "0% reveals everyone");
        assert!(d.primary_suppressed(&cell(40, 40)), "100% reveals everyone");
        assert!(!d.primary_suppressed(&cell(40, 37)));
        assert_eq!(d.publish(cell(12, 1)), None);
        assert_eq!(Disclosure { k: 5 }.publish(cell(6, 3)), Some(cell(6, 3)));
    }
}
