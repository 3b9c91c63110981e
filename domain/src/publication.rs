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
mod publisher;
mod solve;

pub use publisher::{Publisher, bits};

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::{
    catalog::{Catalog, Subject},
    disclosure::Disclosure,
    metrics::Counts,
    org::TreeSnapshot,
    rollup::BAND_SLOTS,
};

use network::{EdgeKind, Network};
use solve::solve;

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
        let related = |linked: &dyn Fn(Subject, Subject) -> bool| -> Vec<Vec<usize>> {
            subjects
                .iter()
                .map(|&s| {
                    (0..subjects.len())
                        .filter(|&o| linked(s, subjects[o]))
                        .collect()
                })
                .collect()
        };
        let above = related(&|s, o| contains(o, s));
        let below = related(&|s, i| contains(s, i));
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
    /// sees the force, its subtree and the rest of the force: any way the
    /// full view moves its hidden cells maps onto it, the rest of the force
    /// taking up what moved outside the subtree (its room is the sum of
    /// theirs). Only the rest itself, where it fails the primary rule, is
    /// new to protect. Every other view is solved whenever it has anything
    /// to protect.
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
            let rest = day
                .get(subject, top, slot)
                .saturating_sub(&day.get(subject, root, slot));
            primary_fails(disclosure, &rest)
        });
        if rest_fails {
            return true;
        }
        // Shown subtrees pin their cells: the force's hidden cells, and
        // units above a restricted unit (not shown), must still be
        // protected.
        self.shown.iter().any(|&s| s)
            && ((0..BAND_SLOTS).any(|slot| hidden[at(top, slot)])
                || self
                    .visible
                    .iter()
                    .zip(&self.shown)
                    .any(|(&u, &s)| !s && u != top))
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
                rest.saturating_sub(&day.get(subject, visible[c], slot))
            }),
    }
}

#[cfg(test)]
mod tests;
