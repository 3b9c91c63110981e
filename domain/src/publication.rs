//! One publication decision per cell: which (unit, band slot, subject, day)
//! cells every endpoint and export may show.
//!
//! Secondary suppression is solved once per day and subject over what each
//! class of account can see, not per view: an account sees the force, the
//! subtrees of its scope (or every unrestricted unit), and every table,
//! series and tile built from them publishes the same cells. A cell is
//! hidden for everyone or for no one. See `docs/disclosure.md` for the
//! model, and [`network`] for how a hidden cell's range is bounded.

#[cfg(any(test, feature = "attacker"))]
pub mod attack;
mod network;

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::{
    catalog::{Catalog, Subject},
    disclosure::Disclosure,
    metrics::Counts,
    org::TreeSnapshot,
    rollup::BAND_SLOTS,
};

use network::{EdgeKind, EdgeValue, MOVABLE, Network, Rooms, Solver, State};

/// DESIGN.md's primary rule over every published count: fewer than k
/// eligible, or any of active-7, active-28 and reached under 3 or within 3
/// of eligible. A cell with nobody eligible (not live) describes no one.
///
/// The views still apply [`Disclosure::primary_suppressed`] (active-28
/// only) until they read this module's decision.
pub fn primary_fails(disclosure: &Disclosure, c: &Counts) -> bool {
    use crate::disclosure::MIN_EACH_SIDE;
    c.eligible > 0
        && (c.eligible < disclosure.k
            || [c.active7, c.active28, c.reached]
                .iter()
                .any(|&v| v < MIN_EACH_SIDE || c.eligible.saturating_sub(v) < MIN_EACH_SIDE))
}

/// A cell's counts per band slot as published: `None` is `[c]`.
pub type Published = [Option<Counts>; BAND_SLOTS];

/// How subjects bound each other, in [`Catalog::subjects`] order: a tool's
/// counts are at most its products', and a product's at most all tools'.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectLinks {
    /// Per subject, the subjects whose counts are at least its own.
    above: Vec<Vec<usize>>,
    /// Per subject, the subjects whose counts are at most its own.
    below: Vec<Vec<usize>>,
    /// Per subject, the first subject counting exactly the same tools (a
    /// one-tool product and its tool are one cell); itself if none before.
    same_as: Vec<usize>,
}

impl SubjectLinks {
    pub fn of(catalog: &Catalog) -> Self {
        let subjects = catalog.subjects();
        // Strictly more tools: subjects counting the same tools share
        // their decision instead.
        let contains = |outer: Subject, inner: Subject| {
            let (o, i) = (catalog.tool_mask(outer), catalog.tool_mask(inner));
            i != 0 && o != i && o & i == i
        };
        let above = subjects
            .iter()
            .map(|&s| {
                (0..subjects.len())
                    .filter(|&o| contains(subjects[o], s))
                    .collect()
            })
            .collect();
        let below = subjects
            .iter()
            .map(|&s| {
                (0..subjects.len())
                    .filter(|&i| contains(s, subjects[i]))
                    .collect()
            })
            .collect();
        let same_as = subjects
            .iter()
            .map(|&s| {
                (0..subjects.len())
                    .find(|&o| catalog.tool_mask(subjects[o]) == catalog.tool_mask(s))
                    .unwrap_or_default()
            })
            .collect();
        Self {
            above,
            below,
            same_as,
        }
    }

    pub fn len(&self) -> usize {
        self.above.len()
    }

    pub fn is_empty(&self) -> bool {
        self.above.is_empty()
    }
}

/// One class of account: what it may see, and whether it holds
/// person-level lists (and so sees its units' own figures whatever their
/// size, where no hidden unit lies under them).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Audience {
    /// Every unit without a restricted unit on its path (admins and rollout
    /// managers).
    pub every_unit: bool,
    /// Scope roots, as tree indices.
    pub roots: Vec<usize>,
    pub person_lists: bool,
}

/// One day's cells: `[subject][node][band slot]`, in tree index order.
#[derive(Debug, Clone, Copy)]
pub struct DayCells<'a> {
    pub nodes: usize,
    pub cells: &'a [Counts],
}

impl DayCells<'_> {
    fn get(&self, subject: usize, node: usize, slot: usize) -> Counts {
        self.cells[(subject * self.nodes + node) * BAND_SLOTS + slot]
    }
}

/// One audience's view of the tree: the units it sees, their nearest
/// visible ancestors, and which it sees whatever the decision.
#[derive(Debug, Clone)]
struct View {
    visible: Vec<usize>,
    parent: Vec<Option<usize>>,
    /// Per visible unit: its visible children, as positions in `visible`.
    children: Vec<Vec<usize>>,
    shown: Vec<bool>,
    /// A single-root scope, for the cheap test of whether the view can
    /// narrow anything the full view does not.
    single_root: Option<(usize, usize)>,
    network: Option<Network>,
}

/// The views of one tree snapshot, ready to decide each day it holds.
#[derive(Debug, Clone)]
pub struct Plan {
    exists: Vec<bool>,
    views: Vec<View>,
}

impl Plan {
    /// The views of every audience that matters: admins and rollout
    /// managers, every single-subtree scope with and without person-level
    /// lists, and `extra` (other scopes accounts hold).
    pub fn new(tree: &TreeSnapshot, restricted: &[bool], extra: &[Audience]) -> Self {
        let n = tree.exists.len();
        let mut audiences = vec![Audience {
            every_unit: true,
            roots: Vec::new(),
            person_lists: false,
        }];
        for s in (0..n).filter(|&s| tree.exists[s] && tree.parent[s].is_some()) {
            for person_lists in [false, true] {
                audiences.push(Audience {
                    every_unit: false,
                    roots: vec![s],
                    person_lists,
                });
            }
        }
        let mut seen: HashSet<Audience> = audiences.iter().cloned().collect();
        for a in extra {
            let mut a = a.clone();
            a.roots.retain(|&r| r < n && tree.exists[r]);
            a.roots.sort_unstable();
            a.roots.dedup();
            if seen.insert(a.clone()) {
                audiences.push(a);
            }
        }
        let views = audiences
            .iter()
            .map(|a| View::new(tree, restricted, a))
            .collect();
        Self {
            exists: tree.exists.clone(),
            views,
        }
    }

    /// Which cells of one day are hidden: `[subject][node][band slot]`.
    pub fn decide(
        &mut self,
        links: &SubjectLinks,
        disclosure: &Disclosure,
        day: DayCells<'_>,
    ) -> Vec<bool> {
        let mut hidden: Vec<bool> = (0..day.cells.len())
            .map(|i| {
                let node = (i / BAND_SLOTS) % day.nodes;
                self.exists[node] && primary_fails(disclosure, &day.cells[i])
            })
            .collect();
        let canonical: Vec<usize> = (0..links.len())
            .filter(|&s| links.same_as[s] == s)
            .collect();
        let mut verified: Vec<HashSet<(usize, usize)>> = vec![HashSet::new(); links.len()];
        // Hiding a cell to protect one subject can hide it in the subjects
        // that move with it, so repeat until nothing changes.
        loop {
            let mut changed = false;
            for &subject in &canonical {
                for v in 0..self.views.len() {
                    if self.views[v].worth_solving(subject, disclosure, day, &hidden) {
                        changed |= solve(
                            &mut self.views[v],
                            subject,
                            links,
                            disclosure,
                            day,
                            &mut hidden,
                            &mut verified[subject],
                            v,
                        );
                    }
                }
            }
            if !changed {
                break;
            }
        }
        let block = day.nodes * BAND_SLOTS;
        for s in (0..links.len()).filter(|&s| links.same_as[s] != s) {
            let twin = links.same_as[s] * block;
            hidden.copy_within(twin..twin + block, s * block);
        }
        hidden
    }
}

impl View {
    fn new(tree: &TreeSnapshot, restricted: &[bool], audience: &Audience) -> Self {
        let n = tree.exists.len();
        // Ancestor chains, root first, for each existing unit.
        let chain = |u: usize| {
            let mut c = vec![u];
            let mut at = u;
            while let Some(p) = tree.parent[at] {
                c.push(p);
                at = p;
            }
            c.reverse();
            c
        };
        // A unit is reached through a scope root with no restricted unit
        // strictly below the root on its path; or, for every-unit
        // audiences, with no restricted unit on its path at all.
        let full: Vec<bool> = (0..n)
            .map(|u| {
                tree.exists[u] && {
                    let c = chain(u);
                    let open = |from: usize| c[from..].iter().all(|&x| !restricted[x]);
                    (audience.every_unit && open(0))
                        || audience.roots.iter().any(|&r| {
                            c.iter()
                                .position(|&x| x == r)
                                .is_some_and(|at| open(at + 1))
                        })
                }
            })
            .collect();
        let visible_flag: Vec<bool> = (0..n)
            .map(|u| full[u] || (tree.exists[u] && tree.parent[u].is_none()))
            .collect();
        let visible: Vec<usize> = (0..n).filter(|&u| visible_flag[u]).collect();
        let mut position = vec![usize::MAX; n];
        for (i, &u) in visible.iter().enumerate() {
            position[u] = i;
        }
        let parent: Vec<Option<usize>> = visible
            .iter()
            .map(|&u| {
                let mut at = tree.parent[u];
                while let Some(p) = at {
                    if visible_flag[p] {
                        return Some(p);
                    }
                    at = tree.parent[p];
                }
                None
            })
            .collect();
        let mut children = vec![Vec::new(); visible.len()];
        for (i, p) in parent.iter().enumerate() {
            if let Some(p) = p {
                children[position[*p]].push(i);
            }
        }
        // Every unit under a shown unit must be visible too, or its
        // remainder would follow from shown cells alone.
        let mut complete = vec![true; n];
        for &u in &tree.bottom_up {
            if !visible_flag[u] {
                complete[u] = false;
            }
            if let Some(p) = tree.parent[u]
                && !complete[u]
            {
                complete[p] = false;
            }
        }
        let shown = visible
            .iter()
            .map(|&u| audience.person_lists && full[u] && complete[u])
            .collect();
        // Only a scope admins see all of can be a subset of their view.
        let single_root = match (audience.every_unit, audience.roots.as_slice()) {
            (false, &[s]) if chain(s).iter().all(|&x| !restricted[x]) => {
                chain(s).first().map(|&top| (top, s))
            }
            _ => None,
        };
        Self {
            visible,
            parent,
            children,
            shown,
            single_root,
            network: None,
        }
    }

    /// Whether this view can narrow a cell that the full view does not
    /// already protect. A single-subtree scope without person-level lists
    /// sees a subset of what admins see, unless its root is hidden (its
    /// cells then meet the rest of the force instead of their siblings) or
    /// the rest of the force fails the primary rule. Every other view is
    /// solved whenever it has anything to protect.
    fn worth_solving(
        &self,
        subject: usize,
        disclosure: &Disclosure,
        day: DayCells<'_>,
        hidden: &[bool],
    ) -> bool {
        let at = |node: usize, slot: usize| (subject * day.nodes + node) * BAND_SLOTS + slot;
        let Some((top, root)) = self.single_root else {
            return true;
        };
        let rest_fails = (0..BAND_SLOTS).any(|slot| {
            let rest = minus(day.get(subject, top, slot), day.get(subject, root, slot));
            primary_fails(disclosure, &rest)
        });
        if rest_fails {
            return true;
        }
        if self.shown.iter().any(|&s| s) {
            // Shown subtrees pin their cells: the force's hidden cells, and
            // units above a restricted unit (not shown), must still be
            // protected.
            (0..BAND_SLOTS).any(|slot| hidden[at(top, slot)])
                || self
                    .visible
                    .iter()
                    .zip(&self.shown)
                    .any(|(&u, &s)| !s && u != top)
        } else {
            (0..BAND_SLOTS).any(|slot| hidden[at(root, slot)])
        }
    }
}

/// `a − b`, field by field, never below zero.
fn minus(a: Counts, b: Counts) -> Counts {
    Counts {
        eligible: a.eligible.saturating_sub(b.eligible),
        active7: a.active7.saturating_sub(b.active7),
        active28: a.active28.saturating_sub(b.active28),
        reached: a.reached.saturating_sub(b.reached),
    }
}

/// An edge's counts in one subject: a unit's cell, or its remainder.
fn edge_counts(
    kind: EdgeKind,
    subject: usize,
    day: DayCells<'_>,
    visible: &[usize],
    children: &[Vec<usize>],
    position: &dyn Fn(usize) -> usize,
) -> Counts {
    match kind {
        EdgeKind::Unit { node, slot } => day.get(subject, node, slot),
        EdgeKind::Remainder { node, slot } => children[position(node)]
            .iter()
            .fold(day.get(subject, node, slot), |rest, &c| {
                minus(rest, day.get(subject, visible[c], slot))
            }),
    }
}

/// The subject sets that can move together with `subject`: itself alone,
/// and for it and each subject below it, that subject with everything
/// above it (a person active in a tool is active in its product and in all
/// tools). One-tool products stand for their tool.
fn moving_sets(links: &SubjectLinks, subject: usize) -> Vec<Vec<usize>> {
    let canon = |s: usize| links.same_as[s];
    let mut sets = vec![vec![subject]];
    for t in std::iter::once(subject).chain(links.below[subject].iter().copied()) {
        let mut set: Vec<usize> = std::iter::once(t)
            .chain(links.above[t].iter().copied())
            .map(canon)
            .collect();
        set.sort_unstable();
        set.dedup();
        if set.contains(&subject) && !sets.contains(&set) {
            sets.push(set);
        }
    }
    sets
}

/// One moving set's rooms and a solver's view of its states.
struct SetSolver {
    members: Vec<usize>,
    rooms: Rooms,
}

/// Protects every cell `subject` must protect in one view, hiding more
/// cells where needed (in `subject`, or in the subjects that move with
/// it). Returns whether anything new was hidden.
#[allow(clippy::too_many_arguments)]
fn solve(
    view: &mut View,
    subject: usize,
    links: &SubjectLinks,
    disclosure: &Disclosure,
    day: DayCells<'_>,
    hidden: &mut [bool],
    verified: &mut HashSet<(usize, usize)>,
    id: usize,
) -> bool {
    let net = view
        .network
        .get_or_insert_with(|| Network::new(&view.visible, &view.parent));
    let (visible, children, shown) = (&view.visible, &view.children, &view.shown);
    let position = |node: usize| visible.binary_search(&node).unwrap_or_default();
    let at = |s: usize, node: usize, slot: usize| (s * day.nodes + node) * BAND_SLOTS + slot;
    // Cells the audience sees anyway are never walked: their counts are
    // not needed (a list holder's subtree is most of its view).
    let seen =
        |kind: EdgeKind| matches!(kind, EdgeKind::Unit { node, .. } if shown[position(node)]);
    let counts_of = |s: usize| -> Vec<Counts> {
        net.kinds
            .iter()
            .map(|&kind| {
                if seen(kind) {
                    Counts::default()
                } else {
                    edge_counts(kind, s, day, visible, children, &position)
                }
            })
            .collect()
    };
    let own = counts_of(subject);
    let must: Vec<usize> = (0..net.kinds.len())
        .filter(|&e| {
            own[e].eligible > 0
                && match net.kinds[e] {
                    EdgeKind::Unit { node, slot } => {
                        !shown[position(node)] && hidden[at(subject, node, slot)]
                    }
                    EdgeKind::Remainder { node, .. } => {
                        !shown[position(node)] && primary_fails(disclosure, &own[e])
                    }
                }
        })
        .filter(|&e| !verified.contains(&(id, e)))
        .collect();
    if must.is_empty() {
        return false;
    }
    let counts: Vec<Vec<Counts>> = (0..links.len())
        .map(|s| {
            if s == subject {
                own.clone()
            } else {
                counts_of(s)
            }
        })
        .collect();
    let own = &counts[subject];
    net.weigh(own.iter().map(|c| c.eligible));
    let net: &Network = net;
    let sets: Vec<SetSolver> = moving_sets(links, subject)
        .into_iter()
        .map(|members| {
            let inside = |s: usize| members.contains(&links.same_as[s]);
            let values: Vec<Vec<EdgeValue>> = members
                .iter()
                .map(|&m| {
                    (0..net.kinds.len())
                        .map(|e| {
                            let mut v = EdgeValue {
                                counts: counts[m][e],
                                upper: [u32::MAX; MOVABLE],
                                lower: [0; MOVABLE],
                            };
                            for &a in links.above[m].iter().filter(|&&a| !inside(a)) {
                                let c = counts[a][e];
                                for (u, x) in
                                    v.upper.iter_mut().zip([c.active7, c.active28, c.reached])
                                {
                                    *u = (*u).min(x);
                                }
                            }
                            for &b in links.below[m].iter().filter(|&&b| !inside(b)) {
                                let c = counts[b][e];
                                for (l, x) in
                                    v.lower.iter_mut().zip([c.active7, c.active28, c.reached])
                                {
                                    *l = (*l).max(x);
                                }
                            }
                            v
                        })
                        .collect()
                })
                .collect();
            SetSolver {
                rooms: Rooms::new(&values),
                members,
            }
        })
        .collect();
    let state = |members: &[usize], hidden: &[bool], e: usize| match net.kinds[e] {
        EdgeKind::Remainder { .. } => State::Free,
        EdgeKind::Unit { node, .. } if shown[position(node)] => State::Known,
        // A set moves only through cells hidden in its other subjects: a
        // cover hides cells of the subject being protected, never of the
        // subjects around it (which would cascade into their headlines).
        EdgeKind::Unit { node, slot } => {
            if members
                .iter()
                .any(|&m| m != subject && !hidden[at(m, node, slot)])
            {
                State::Known
            } else if hidden[at(subject, node, slot)] {
                State::Free
            } else {
                State::Hideable(1)
            }
        }
    };
    let mut solvers: Vec<Solver> = sets
        .iter()
        .map(|set| {
            let states = (0..net.kinds.len())
                .map(|e| state(&set.members, hidden, e))
                .collect();
            Solver::new(net, &set.rooms, states)
        })
        .collect();
    let mut changed = false;
    let mut queue: std::collections::VecDeque<usize> = must.into();
    while let Some(x) = queue.pop_front() {
        let need = own[x].eligible.min(2);
        let mut reach = network::Reach::default();
        for solver in &mut solvers {
            reach.merge(&solver.reach(x, need));
        }
        let Some(weak) = reach.short(need) else {
            verified.insert((id, x));
            continue;
        };
        // Hide cells of this subject alone where that protects it; move
        // subjects together only where their bounds pin it.
        let best = solvers[0]
            .cover(x, weak, need)
            .map(|(cost, path)| (cost, 0, path))
            .or_else(|| {
                solvers
                    .iter_mut()
                    .enumerate()
                    .skip(1)
                    .filter_map(|(i, solver)| {
                        solver
                            .cover(x, weak, need)
                            .map(|(cost, path)| (cost, i, path))
                    })
                    .min_by_key(|(cost, ..)| *cost)
            });
        let Some((_, set, path)) = best else {
            // Only cells this audience sees anyway could protect it.
            verified.insert((id, x));
            continue;
        };
        for &e in &path {
            if let EdgeKind::Unit { node, slot } = net.kinds[e] {
                for &m in &sets[set].members {
                    hidden[at(m, node, slot)] = true;
                }
                if own[e].eligible > 0 && e != x {
                    queue.push_back(e);
                }
            }
            for (solver, s) in solvers.iter_mut().zip(&sets) {
                solver.states[e] = state(&s.members, hidden, e);
            }
        }
        changed = true;
        queue.push_back(x);
    }
    changed
}

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

#[cfg(test)]
mod tests;
