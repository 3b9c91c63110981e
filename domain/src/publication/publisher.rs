//! Running the decision as rollups are computed, and the bits that store
//! it beside the counts.

use super::{Audience, DayCells, Plan, SubjectLinks};
use crate::{catalog::Catalog, disclosure::Disclosure, metrics::Counts, rollup::BAND_SLOTS};

/// Which days of a month a (unit, subject) block hides, per band slot:
/// one bit for each slot and day of the month. Missing bits read as
/// hidden, so a block never published is never shown.
pub mod bits {
    use crate::rollup::BAND_SLOTS;

    const DAYS: usize = 31;
    /// The encoded length of one block's bits.
    pub const LEN: usize = (BAND_SLOTS * DAYS).div_ceil(8);

    /// Nothing published yet: every bit set.
    pub fn all_hidden() -> Vec<u8> {
        vec![0xff; LEN]
    }

    pub fn get(bits: &[u8], slot: usize, day_of_month: usize) -> bool {
        let i = slot * DAYS + day_of_month;
        bits.get(i / 8).is_none_or(|b| b & (1 << (i % 8)) != 0)
    }

    pub fn set(bits: &mut Vec<u8>, slot: usize, day_of_month: usize, hidden: bool) {
        if bits.len() < LEN {
            bits.resize(LEN, 0xff);
        }
        let i = slot * DAYS + day_of_month;
        if hidden {
            bits[i / 8] |= 1 << (i % 8);
        } else {
            bits[i / 8] &= !(1 << (i % 8));
        }
    }
}

/// Decides publication day by day as rollups are computed, with one plan
/// per shape the tree takes.
pub struct Publisher {
    timeline: crate::org::TreeTimeline,
    restricted: Vec<bool>,
    extra: Vec<Audience>,
    plans: std::collections::HashMap<usize, Plan>,
    links: SubjectLinks,
    disclosure: Disclosure,
    buffer: Vec<Counts>,
}

impl Publisher {
    /// `restricted` and the audiences' roots are tree indices.
    pub fn new(
        tree: &crate::org::OrgTree,
        restricted: Vec<bool>,
        extra: Vec<Audience>,
        catalog: &Catalog,
        disclosure: Disclosure,
    ) -> Result<Self, crate::org::OrgError> {
        Ok(Self {
            timeline: crate::org::TreeTimeline::new(tree)?,
            restricted,
            extra,
            plans: std::collections::HashMap::new(),
            links: SubjectLinks::of(catalog),
            disclosure,
            buffer: Vec::new(),
        })
    }

    /// The hidden flags of one day, `[subject][node][band slot]`.
    pub fn decide(&mut self, day: crate::DayNum, cells: DayCells<'_>) -> Vec<bool> {
        let epoch = self.timeline.epoch(day);
        let (timeline, restricted, extra) = (&self.timeline, &self.restricted, &self.extra);
        let plan = self
            .plans
            .entry(epoch)
            .or_insert_with(|| Plan::new(timeline.snapshot(epoch), restricted, extra));
        plan.decide(&self.links, &self.disclosure, cells)
    }

    /// The hidden flags of every day of a computed span, per day.
    pub fn decide_span(&mut self, span: &crate::rollup::SpanCells) -> Vec<Vec<bool>> {
        let (nodes, subjects) = (span.nodes(), span.subjects.len());
        (span.range.first..=span.range.last)
            .map(|day| {
                let mut buffer = std::mem::take(&mut self.buffer);
                buffer.clear();
                for s in 0..subjects {
                    for n in 0..nodes {
                        let series = span.series(n, s);
                        let at = (day - span.range.first) as usize;
                        buffer.extend(
                            (0..BAND_SLOTS).map(|slot| series[slot * span.range.len() + at]),
                        );
                    }
                }
                let hidden = self.decide(
                    day,
                    DayCells {
                        nodes,
                        cells: &buffer,
                    },
                );
                self.buffer = buffer;
                hidden
            })
            .collect()
    }
}
