//! Running the decision day by day.

use super::{Audience, DayCells, Plan, SubjectLinks};
use crate::{catalog::Catalog, disclosure::Disclosure, metrics::Counts};

/// Decides publication day by day, with one plan per shape the tree takes.
/// A day's decision depends only on that day's cells, so days can be
/// decided in any order, and a refresh gives what a full build gives.
#[derive(Clone)]
pub struct Publisher {
    timeline: crate::org::TreeTimeline,
    restricted: Vec<bool>,
    extra: Vec<Audience>,
    plans: std::collections::HashMap<usize, Plan>,
    links: SubjectLinks,
    disclosure: Disclosure,
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

    /// The hidden flags of several days, in order, each given as its cells
    /// (`[subject][node][band slot]`, over `nodes` nodes). Two threads take
    /// alternate days.
    pub fn decide_days(
        &mut self,
        nodes: usize,
        days: &[(crate::DayNum, Vec<Counts>)],
    ) -> Vec<Vec<bool>> {
        let mut helper = self.clone();
        let decide = |publisher: &mut Publisher, parity: usize| {
            days.iter()
                .enumerate()
                .filter(|(i, _)| i % 2 == parity)
                .map(|(i, (day, cells))| (i, publisher.decide(*day, DayCells { nodes, cells })))
                .collect::<Vec<_>>()
        };
        let (mut mine, theirs) = std::thread::scope(|scope| {
            let theirs = scope.spawn(|| decide(&mut helper, 1));
            let mine = decide(self, 0);
            (
                mine,
                theirs
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            )
        });
        // Plans the helper built are kept for the next call.
        for (epoch, plan) in helper.plans {
            self.plans.entry(epoch).or_insert(plan);
        }
        mine.extend(theirs);
        mine.sort_by_key(|(i, _)| *i);
        mine.into_iter().map(|(_, hidden)| hidden).collect()
    }
}
