//! Rollup cells: (unit-tree node × age band or all × subject × day) → counts.
//!
//! [`Rollup::compute`] applies the metric definitions of DESIGN.md to each
//! person and day, adds the result to the person's unit on that day, then to
//! every ancestor as the tree stood that day. "All bands" and products are
//! stored, never summed from parts that may overlap.

mod block;
mod grid;

pub use block::{BlockError, MonthBlock};
pub use grid::{ActivityGrid, FirstUse};

use crate::{
    DayNum,
    catalog::{Catalog, Subject},
    day::DayRange,
    metrics::{Counts, WINDOW_LONG, WINDOW_SHORT},
    org::{OrgError, OrgTree, TreeTimeline},
    people::{AgeBand, Person},
    wave::{GoLiveTable, Wave},
};

/// Band slots in a cell block: the five bands, then "all bands".
pub const BAND_SLOTS: usize = AgeBand::ALL.len() + 1;
/// The slot of "all bands".
pub const ALL_BANDS: usize = AgeBand::ALL.len();

pub fn band_slot(band: Option<AgeBand>) -> usize {
    band.map_or(ALL_BANDS, AgeBand::index)
}

/// The days of activity a computation over `range` needs to see.
pub fn activity_window(range: DayRange) -> DayRange {
    DayRange::new(range.first - (WINDOW_LONG - 1), range.last)
}

#[derive(Debug, thiserror::Error)]
pub enum RollupError {
    #[error(transparent)]
    Org(#[from] OrgError),
    #[error("activity for days {needed:?} is needed but only {loaded:?} was loaded")]
    WindowNotLoaded { needed: DayRange, loaded: DayRange },
}

/// Everything the cells are computed from.
pub struct RollupInputs<'a> {
    pub catalog: &'a Catalog,
    pub tree: &'a OrgTree,
    pub waves: &'a [Wave],
    /// People, in the same order as the rows of `activity` and `first_use`.
    pub people: &'a [Person],
    pub activity: &'a ActivityGrid,
    pub first_use: &'a FirstUse,
}

/// A prepared computation: tree snapshots and go-live tables per epoch.
pub struct Rollup<'a> {
    inputs: RollupInputs<'a>,
    timeline: TreeTimeline,
    go_live: Vec<GoLiveTable>,
    subjects: Vec<Subject>,
    tool_masks: Vec<u64>,
    product_masks: Vec<u64>,
}

/// Cells for every node and subject over a range of days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanCells {
    pub range: DayRange,
    pub subjects: Vec<Subject>,
    nodes: usize,
    cells: Vec<Counts>,
}

impl SpanCells {
    fn offset(&self, node: usize, subject: usize, slot: usize) -> usize {
        ((node * self.subjects.len() + subject) * BAND_SLOTS + slot) * self.range.len()
    }

    pub fn nodes(&self) -> usize {
        self.nodes
    }

    pub fn get(&self, node: usize, subject: usize, band: Option<AgeBand>, day: DayNum) -> Counts {
        let at = self.offset(node, subject, band_slot(band)) + (day - self.range.first) as usize;
        self.cells[at]
    }

    /// The cells of one node and subject: `[band slot][day]`.
    pub fn series(&self, node: usize, subject: usize) -> &[Counts] {
        let start = self.offset(node, subject, 0);
        &self.cells[start..start + BAND_SLOTS * self.range.len()]
    }
}

impl<'a> Rollup<'a> {
    pub fn new(inputs: RollupInputs<'a>) -> Result<Self, RollupError> {
        let timeline = TreeTimeline::new(inputs.tree)?;
        let go_live = (0..timeline.epochs())
            .map(|e| {
                GoLiveTable::new(
                    inputs.tree,
                    timeline.snapshot(e),
                    inputs.catalog,
                    inputs.waves,
                )
            })
            .collect();
        let subjects = inputs.catalog.subjects();
        let tool_masks = subjects
            .iter()
            .map(|s| inputs.catalog.tool_mask(*s))
            .collect();
        let product_masks = subjects
            .iter()
            .map(|s| inputs.catalog.product_mask(*s))
            .collect();
        Ok(Self {
            inputs,
            timeline,
            go_live,
            subjects,
            tool_masks,
            product_masks,
        })
    }

    pub fn subjects(&self) -> &[Subject] {
        &self.subjects
    }

    /// Computes every cell for the days of `range`.
    pub fn compute(&self, range: DayRange) -> Result<SpanCells, RollupError> {
        let needed = activity_window(range);
        let loaded = self.inputs.activity.range();
        if needed.first < loaded.first || needed.last > loaded.last {
            return Err(RollupError::WindowNotLoaded { needed, loaded });
        }
        let n_subjects = self.subjects.len();
        let mut out = SpanCells {
            range,
            subjects: self.subjects.clone(),
            nodes: self.inputs.tree.len(),
            cells: vec![
                Counts::default();
                self.inputs.tree.len() * n_subjects * BAND_SLOTS * range.len()
            ],
        };
        let epochs: Vec<usize> = (range.first..=range.last)
            .map(|d| self.timeline.epoch(d))
            .collect();
        let mut day_tools = Vec::with_capacity(needed.len());
        for (person_idx, person) in self.inputs.people.iter().enumerate() {
            self.inputs
                .activity
                .day_masks(person_idx, needed, &mut day_tools);
            self.add_person(person_idx, person, &epochs, &day_tools, &mut out);
        }
        self.sum_bands_and_ancestors(&epochs, &mut out);
        Ok(out)
    }

    /// Applies the definitions to one person for every day and subject.
    fn add_person(
        &self,
        person_idx: usize,
        person: &Person,
        epochs: &[usize],
        day_tools: &[u64],
        out: &mut SpanCells,
    ) {
        let range = out.range;
        let lead = (WINDOW_LONG - 1) as usize;
        let first_use: Vec<Option<DayNum>> = self
            .tool_masks
            .iter()
            .map(|&mask| self.inputs.first_use.earliest(person_idx, mask))
            .collect();
        // The last active day seen so far per subject, primed from the
        // 27 days before the range.
        let mut last_active: Vec<Option<DayNum>> = self
            .tool_masks
            .iter()
            .map(|&mask| {
                (0..lead)
                    .rev()
                    .find(|&i| day_tools[i] & mask != 0)
                    .map(|i| range.first - (lead - i) as DayNum)
            })
            .collect();
        for (offset, day) in (range.first..=range.last).enumerate() {
            let tools_today = day_tools[lead + offset];
            for (s, mask) in self.tool_masks.iter().enumerate() {
                if tools_today & mask != 0 {
                    last_active[s] = Some(day);
                }
            }
            if !person.in_post(day) {
                continue;
            }
            let Some(unit) = person
                .unit_at(day)
                .and_then(|u| self.inputs.tree.index_of(u))
            else {
                continue;
            };
            let live = self.go_live[epochs[offset]].live_mask(unit, day);
            if live == 0 {
                continue;
            }
            let band = person.band_at(day).index();
            for s in 0..self.subjects.len() {
                if self.product_masks[s] & live == 0 {
                    continue;
                }
                let at = out.offset(unit, s, band) + offset;
                let cell = &mut out.cells[at];
                cell.eligible += 1;
                if let Some(last) = last_active[s] {
                    cell.active7 += u32::from(day - last < WINDOW_SHORT);
                    cell.active28 += u32::from(day - last < WINDOW_LONG);
                }
                cell.reached += u32::from(first_use[s].is_some_and(|f| f <= day));
            }
        }
    }

    /// Fills "all bands", then adds each node into its parent, deepest
    /// first, using the tree of each day.
    fn sum_bands_and_ancestors(&self, epochs: &[usize], out: &mut SpanCells) {
        let days = out.range.len();
        let n_subjects = self.subjects.len();
        for node in 0..out.nodes {
            for s in 0..n_subjects {
                for d in 0..days {
                    let mut all = Counts::default();
                    for band in 0..ALL_BANDS {
                        all.add(&out.cells[out.offset(node, s, band) + d]);
                    }
                    let at = out.offset(node, s, ALL_BANDS) + d;
                    out.cells[at] = all;
                }
            }
        }
        for (d, &epoch) in epochs.iter().enumerate() {
            let snapshot = self.timeline.snapshot(epoch);
            for &node in &snapshot.bottom_up {
                let Some(parent) = snapshot.parent[node] else {
                    continue;
                };
                for s in 0..n_subjects {
                    for slot in 0..BAND_SLOTS {
                        let child = out.cells[out.offset(node, s, slot) + d];
                        let at = out.offset(parent, s, slot) + d;
                        out.cells[at].add(&child);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
