//! Rollup cells: (unit-tree node × age band or all × subject × day) → counts.
//!
//! [`Rollup::compute`] applies the metric definitions of DESIGN.md to each
//! person and day, adds the result to the person's unit on that day, then to
//! every ancestor as the tree stood that day. "All bands" and products are
//! stored, never summed from parts that may overlap.

mod block;
mod grid;

pub use block::{BlockError, Cell, MonthBlock};
pub use grid::{ActivityGrid, FirstUse};

use crate::{
    DayNum,
    catalog::{Catalog, Subject},
    day::{DayRange, is_week_end, week_start},
    metrics::{
        Counts, Detail, FIRST_USE_GRACE, RETENTION_WEEKS, WINDOW_LONG, WINDOW_SHORT, first_use_bin,
    },
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
    /// Each tool's first day of data, in catalog order.
    pub data_start: &'a [Option<DayNum>],
}

/// A prepared computation: tree snapshots and go-live tables per epoch.
pub struct Rollup<'a> {
    inputs: RollupInputs<'a>,
    timeline: TreeTimeline,
    go_live: Vec<GoLiveTable>,
    subjects: Vec<Subject>,
    tool_masks: Vec<u64>,
    product_masks: Vec<u64>,
    /// Per subject: a first use before this day fell in the first 28 days
    /// of some tool's data, so it may have come earlier.
    observed_from: Vec<Option<DayNum>>,
}

/// Cells for every node and subject over a range of days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanCells {
    pub range: DayRange,
    pub subjects: Vec<Subject>,
    nodes: usize,
    cells: Vec<Counts>,
    details: Vec<Detail>,
    /// A second worker's buffers, kept (empty) for the next computation.
    spare: (Vec<Counts>, Vec<Detail>),
}

impl SpanCells {
    /// No cells yet: buffers for [`Rollup::compute_into`] to fill.
    pub fn empty() -> Self {
        Self {
            range: DayRange::new(0, -1),
            subjects: Vec::new(),
            nodes: 0,
            cells: Vec::new(),
            details: Vec::new(),
            spare: (Vec::new(), Vec::new()),
        }
    }

    fn offset(&self, node: usize, subject: usize, slot: usize) -> usize {
        Layout {
            subjects: self.subjects.len(),
            days: self.range.len(),
        }
        .offset(node, subject, slot)
    }

    pub fn nodes(&self) -> usize {
        self.nodes
    }

    pub fn get(&self, node: usize, subject: usize, band: Option<AgeBand>, day: DayNum) -> Counts {
        let at = self.offset(node, subject, band_slot(band)) + (day - self.range.first) as usize;
        self.cells[at]
    }

    pub fn detail(
        &self,
        node: usize,
        subject: usize,
        band: Option<AgeBand>,
        day: DayNum,
    ) -> Detail {
        let at = self.offset(node, subject, band_slot(band)) + (day - self.range.first) as usize;
        self.details[at]
    }

    /// The cells of one node and subject: `[band slot][day]`.
    pub fn series(&self, node: usize, subject: usize) -> &[Counts] {
        let start = self.offset(node, subject, 0);
        &self.cells[start..start + BAND_SLOTS * self.range.len()]
    }

    /// The details of one node and subject: `[band slot][day]`.
    pub fn detail_series(&self, node: usize, subject: usize) -> &[Detail] {
        let start = self.offset(node, subject, 0);
        &self.details[start..start + BAND_SLOTS * self.range.len()]
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
        let tool_masks: Vec<u64> = subjects
            .iter()
            .map(|s| inputs.catalog.tool_mask(*s))
            .collect();
        let product_masks = subjects
            .iter()
            .map(|s| inputs.catalog.product_mask(*s))
            .collect();
        let observed_from = tool_masks
            .iter()
            .map(|&mask| {
                inputs
                    .data_start
                    .iter()
                    .enumerate()
                    .filter(|(t, _)| mask & (1 << t) != 0)
                    .filter_map(|(_, ds)| *ds)
                    .max()
                    .map(|ds| ds + WINDOW_LONG)
            })
            .collect();
        Ok(Self {
            inputs,
            timeline,
            go_live,
            subjects,
            tool_masks,
            product_masks,
            observed_from,
        })
    }

    pub fn subjects(&self) -> &[Subject] {
        &self.subjects
    }

    /// Computes every cell for the days of `range`.
    pub fn compute(&self, range: DayRange) -> Result<SpanCells, RollupError> {
        let mut out = SpanCells::empty();
        self.compute_into(range, &mut out)?;
        Ok(out)
    }

    /// [`Rollup::compute`] into the buffers of an earlier result, which a
    /// month-by-month build reuses rather than allocating some hundreds of
    /// megabytes afresh each month.
    pub fn compute_into(&self, range: DayRange, out: &mut SpanCells) -> Result<(), RollupError> {
        let needed = activity_window(range);
        let loaded = self.inputs.activity.range();
        if needed.first < loaded.first || needed.last > loaded.last {
            return Err(RollupError::WindowNotLoaded { needed, loaded });
        }
        let size = self.inputs.tree.len() * self.subjects.len() * BAND_SLOTS * range.len();
        out.range = range;
        out.subjects.clone_from(&self.subjects);
        out.nodes = self.inputs.tree.len();
        out.cells.clear();
        out.cells.resize(size, Counts::default());
        out.details.clear();
        out.details.resize(size, Detail::default());
        let epochs: Vec<usize> = (range.first..=range.last)
            .map(|d| self.timeline.epoch(d))
            .collect();
        let days = Days {
            range,
            epochs,
            week_ends: (range.first..=range.last).map(is_week_end).collect(),
        };
        let layout = Layout {
            subjects: self.subjects.len(),
            days: range.len(),
        };
        // Two workers, each over half the people into buffers of its own,
        // then one sum.
        let (spare_cells, spare_details) = &mut out.spare;
        spare_cells.resize(size, Counts::default());
        spare_details.resize(size, Detail::default());
        let people = self.inputs.people;
        let half = people.len() / 2;
        std::thread::scope(|scope| {
            let second = scope.spawn(|| {
                self.add_people(
                    half..people.len(),
                    &days,
                    &mut Sink {
                        layout,
                        cells: spare_cells,
                        details: spare_details,
                    },
                );
            });
            self.add_people(
                0..half,
                &days,
                &mut Sink {
                    layout,
                    cells: &mut out.cells,
                    details: &mut out.details,
                },
            );
            if let Err(panic) = second.join() {
                std::panic::resume_unwind(panic);
            }
        });
        for (a, b) in out.cells.iter_mut().zip(out.spare.0.drain(..)) {
            a.add(&b);
        }
        for (a, b) in out.details.iter_mut().zip(out.spare.1.drain(..)) {
            a.add(&b);
        }
        sum_bands_and_ancestors(&self.timeline, &layout, &days.epochs, &mut out.cells);
        sum_bands_and_ancestors(&self.timeline, &layout, &days.epochs, &mut out.details);
        Ok(())
    }

    fn add_people(&self, people: std::ops::Range<usize>, days: &Days, out: &mut Sink) {
        let needed = activity_window(days.range);
        let mut day_tools = Vec::with_capacity(needed.len());
        for person_idx in people {
            self.inputs
                .activity
                .day_masks(person_idx, needed, &mut day_tools);
            let person = &self.inputs.people[person_idx];
            self.add_person(person_idx, person, days, &day_tools, out);
        }
    }

    /// The first day the person was eligible for any product of `mask`:
    /// in post, in a unit gone live for it. It is the later of their start
    /// and the go-live of the first unit they were in after go-live.
    fn first_eligible(&self, person: &Person, mask: u64) -> Option<DayNum> {
        person
            .memberships
            .iter()
            .filter_map(|m| {
                let from = m.from.max(person.start);
                let to = match (m.to, person.leave) {
                    (Some(to), Some(leave)) => to.min(leave + 1),
                    (to, leave) => to.or(leave.map(|l| l + 1)).unwrap_or(DayNum::MAX),
                };
                let unit = self.inputs.tree.index_of(m.unit)?;
                self.timeline
                    .stretches(from, to)
                    .find_map(|(epoch, first, end)| {
                        let live = self.go_live[epoch].first_live(unit, mask)?.max(first);
                        (live < end).then_some(live)
                    })
            })
            .min()
    }

    /// Applies the definitions to one person for every day and subject.
    fn add_person(
        &self,
        person_idx: usize,
        person: &Person,
        days: &Days,
        day_tools: &[u64],
        out: &mut Sink,
    ) {
        let range = days.range;
        let lead = (WINDOW_LONG - 1) as usize;
        let first_use: Vec<Option<DayNum>> = self
            .tool_masks
            .iter()
            .map(|&mask| self.inputs.first_use.earliest(person_idx, mask))
            .collect();
        let first_eligible: Vec<Option<DayNum>> = self
            .product_masks
            .iter()
            .map(|&mask| self.first_eligible(person, mask))
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
        // Active days in the 28-day window per subject, primed the same way.
        let mut window_days: Vec<usize> = self
            .tool_masks
            .iter()
            .map(|&mask| day_tools[..lead].iter().filter(|&&t| t & mask != 0).count())
            .collect();
        for (offset, day) in (range.first..=range.last).enumerate() {
            let tools_today = day_tools[lead + offset];
            let tools_gone = offset.checked_sub(1).map_or(0, |i| day_tools[i]);
            for (s, mask) in self.tool_masks.iter().enumerate() {
                if tools_today & mask != 0 {
                    last_active[s] = Some(day);
                    window_days[s] += 1;
                }
                if tools_gone & mask != 0 {
                    window_days[s] -= 1;
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
            let live = self.go_live[days.epochs[offset]].live_mask(unit, day);
            if live == 0 {
                continue;
            }
            let band = person.band_at(day).index();
            for s in 0..self.subjects.len() {
                if self.product_masks[s] & live == 0 {
                    continue;
                }
                let at = out.layout.offset(unit, s, band) + offset;
                let active28 = last_active[s].is_some_and(|last| day - last < WINDOW_LONG);
                let used = first_use[s].filter(|&f| f <= day);
                let cell = &mut out.cells[at];
                cell.eligible += 1;
                cell.active7 += u32::from(last_active[s].is_some_and(|l| day - l < WINDOW_SHORT));
                cell.active28 += u32::from(active28);
                cell.reached += u32::from(used.is_some());
                // Eligible today, so eligible on some day up to today.
                let first_eligible = first_eligible[s].unwrap_or(day);
                let before_data_start =
                    used.is_some_and(|f| self.observed_from[s].is_some_and(|o| f < o));
                let detail = &mut out.details[at];
                if active28 {
                    detail.depth[window_days[s] - 1] += 1;
                }
                match used {
                    Some(_) if before_data_start => detail.before_data_start += 1,
                    Some(f) => detail.first_use[first_use_bin(first_eligible, f)] += 1,
                    None => {}
                }
                if before_data_start {
                    continue;
                }
                if day - first_eligible >= FIRST_USE_GRACE {
                    detail.within_grace.eligible += 1;
                    detail.within_grace.active28 +=
                        u32::from(used.is_some_and(|f| f - first_eligible <= FIRST_USE_GRACE));
                }
                let Some(f) = used.filter(|_| days.week_ends[offset]) else {
                    continue;
                };
                // Retention: the cohort of f's week, read n weeks on, at the
                // person's unit and band at first use.
                let Some(unit_then) = person.unit_at(f).and_then(|u| self.inputs.tree.index_of(u))
                else {
                    continue;
                };
                let weeks_on = (week_start(day) - week_start(f)) / 7;
                for (i, n) in RETENTION_WEEKS.iter().enumerate() {
                    if weeks_on == *n {
                        let band_then = person.band_at(f).index();
                        let at = out.layout.offset(unit_then, s, band_then) + offset;
                        let cohort = &mut out.details[at].retention[i];
                        cohort.eligible += 1;
                        cohort.active28 += u32::from(active28);
                    }
                }
            }
        }
    }
}

/// The days a computation covers, with what each needs.
struct Days {
    range: DayRange,
    /// The tree's stretch on each day.
    epochs: Vec<usize>,
    /// Whether each day ends an ISO week.
    week_ends: Vec<bool>,
}

/// Where one worker adds people's cells.
struct Sink<'a> {
    layout: Layout,
    cells: &'a mut [Counts],
    details: &'a mut [Detail],
}

/// How a span's cells are laid out: `[node][subject][band slot][day]`.
#[derive(Clone, Copy)]
struct Layout {
    subjects: usize,
    days: usize,
}

impl Layout {
    fn offset(&self, node: usize, subject: usize, slot: usize) -> usize {
        ((node * self.subjects + subject) * BAND_SLOTS + slot) * self.days
    }
}

/// Fills "all bands", then adds each node into its parent, deepest first,
/// using the tree of each day. Cells are merged in place, never copied:
/// a detail cell is a few hundred bytes.
fn sum_bands_and_ancestors<T: Cell>(
    timeline: &TreeTimeline,
    layout: &Layout,
    epochs: &[usize],
    cells: &mut [T],
) {
    let days = layout.days;
    for group in cells.chunks_mut(BAND_SLOTS * days) {
        let (bands, all) = group.split_at_mut(ALL_BANDS * days);
        all.fill(T::default());
        for band in bands.chunks(days) {
            for (a, b) in all.iter_mut().zip(band) {
                a.merge(b);
            }
        }
    }
    // Days with the same tree are summed as one run.
    let mut first = 0;
    while first < days {
        let epoch = epochs[first];
        let end = (first..days).find(|&d| epochs[d] != epoch).unwrap_or(days);
        let snapshot = timeline.snapshot(epoch);
        for &node in &snapshot.bottom_up {
            let Some(parent) = snapshot.parent[node] else {
                continue;
            };
            for s in 0..layout.subjects {
                for slot in 0..BAND_SLOTS {
                    let (from, to) = (layout.offset(node, s, slot), layout.offset(parent, s, slot));
                    let (child, sum) = disjoint(cells, from + first, to + first, end - first);
                    for (a, b) in sum.iter_mut().zip(child) {
                        a.merge(b);
                    }
                }
            }
        }
        first = end;
    }
}

/// `cells[from..from + len]` to read and `cells[to..to + len]` to write;
/// the two must not overlap.
fn disjoint<T>(cells: &mut [T], from: usize, to: usize, len: usize) -> (&[T], &mut [T]) {
    if from < to {
        let (head, tail) = cells.split_at_mut(to);
        (&head[from..from + len], &mut tail[..len])
    } else {
        let (head, tail) = cells.split_at_mut(from);
        (&tail[..len], &mut head[to..to + len])
    }
}

#[cfg(test)]
mod tests;
