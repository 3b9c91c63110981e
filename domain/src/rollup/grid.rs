//! Who was active on which day in which tool, as bitsets, plus first use.

use crate::{DayNum, day::DayRange};

/// Active days per person and tool over a range: `[person][tool][word]`.
#[derive(Debug, Clone)]
pub struct ActivityGrid {
    range: DayRange,
    tools: usize,
    words: usize,
    bits: Vec<u64>,
}

impl ActivityGrid {
    pub fn new(range: DayRange, people: usize, tools: usize) -> Self {
        let words = range.len().div_ceil(64);
        Self {
            range,
            tools,
            words,
            bits: vec![0; people * tools * words],
        }
    }

    pub fn range(&self) -> DayRange {
        self.range
    }

    /// Records activity; days outside the range are ignored.
    pub fn mark(&mut self, person: usize, tool: usize, day: DayNum) {
        if !self.range.contains(day) {
            return;
        }
        let bit = (day - self.range.first) as usize;
        self.bits[(person * self.tools + tool) * self.words + bit / 64] |= 1 << (bit % 64);
    }

    /// Fills `out` with one mask of active tools per day of `window`.
    pub fn day_masks(&self, person: usize, window: DayRange, out: &mut Vec<u64>) {
        out.clear();
        out.resize(window.len(), 0);
        let shift = (window.first - self.range.first) as usize;
        for tool in 0..self.tools {
            let row = &self.bits[(person * self.tools + tool) * self.words..][..self.words];
            for (w, &word) in row.iter().enumerate() {
                let mut rest = word;
                while rest != 0 {
                    let bit = w * 64 + rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    if let Some(i) = bit.checked_sub(shift).filter(|&i| i < out.len()) {
                        out[i] |= 1 << tool;
                    }
                }
            }
        }
    }
}

/// The first day each person used each tool, over all history.
#[derive(Debug, Clone)]
pub struct FirstUse {
    tools: usize,
    days: Vec<DayNum>,
}

const NEVER: DayNum = DayNum::MAX;

impl FirstUse {
    pub fn new(people: usize, tools: usize) -> Self {
        Self {
            tools,
            days: vec![NEVER; people * tools],
        }
    }

    /// Keeps the earlier of the known first use and `day`.
    pub fn record(&mut self, person: usize, tool: usize, day: DayNum) {
        let slot = &mut self.days[person * self.tools + tool];
        *slot = (*slot).min(day);
    }

    /// The earliest first use over the tools in `mask`.
    pub fn earliest(&self, person: usize, mask: u64) -> Option<DayNum> {
        let row = &self.days[person * self.tools..][..self.tools];
        let first = row
            .iter()
            .enumerate()
            .filter(|(t, _)| mask & (1 << t) != 0)
            .map(|(_, d)| *d)
            .min()
            .unwrap_or(NEVER);
        (first != NEVER).then_some(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_masks_cover_a_window_inside_the_grid() {
        let mut grid = ActivityGrid::new(DayRange::new(100, 299), 2, 3);
        grid.mark(1, 0, 150);
        grid.mark(1, 2, 150);
        grid.mark(1, 1, 170);
        grid.mark(0, 1, 150);
        grid.mark(1, 1, 400); // outside: ignored
        let mut out = Vec::new();
        grid.day_masks(1, DayRange::new(140, 169), &mut out);
        assert_eq!(out.len(), 30);
        assert_eq!(out[10], 0b101);
        assert_eq!(out.iter().filter(|m| **m != 0).count(), 1);
    }

    #[test]
    fn earliest_first_use_is_over_the_masked_tools() {
        let mut first = FirstUse::new(1, 3);
        first.record(0, 0, 50);
        first.record(0, 2, 30);
        first.record(0, 2, 40);
        assert_eq!(first.earliest(0, 0b001), Some(50));
        assert_eq!(first.earliest(0, 0b101), Some(30));
        assert_eq!(first.earliest(0, 0b010), None);
    }
}
