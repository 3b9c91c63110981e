//! One publication decision per cell: which (unit, band slot, subject, day)
//! cells every endpoint and export may show.
//!
//! Secondary suppression is solved once per day and subject over what each
//! class of account can see, not per view: an account sees the force, the
//! subtrees of its scope (or every unrestricted unit), and every table,
//! series and tile built from them publishes the same cells. A cell is
//! hidden for everyone or for no one. See `docs/disclosure.md` for the
//! model, and [`witness`] for how a hidden cell is shown to be safe.

#[cfg(any(test, feature = "attacker"))]
pub mod attack;
mod publisher;
mod witness;

pub use publisher::Publisher;

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::{
    catalog::{Catalog, Subject},
    disclosure::Disclosure,
    metrics::Counts,
    org::TreeSnapshot,
    rollup::BAND_SLOTS,
};

use witness::{Guard, Shape};

/// DESIGN.md's primary rule for a group that is never published (a rest,
/// the force outside a scope), which must then not be derivable: fewer
/// than k eligible, or any of active-7, active-28 and reached under 3 or
/// within 3 of eligible. A group with nobody eligible describes no one.
pub fn primary_fails(disclosure: &Disclosure, c: &Counts) -> bool {
    too_small(disclosure, c) || has_band(c)
}

/// Whether the primary rule hides a cell whole: fewer than k eligible.
pub fn too_small(disclosure: &Disclosure, c: &Counts) -> bool {
    c.eligible > 0 && c.eligible < disclosure.k
}

/// How a count the primary rule keeps from being shown exactly is shown
/// instead (DESIGN.md: 0% or 100% "suppressed, or shown banded"): a count
/// under 3 as the band 0 to 2, one within 3 of eligible as eligible − 2 to
/// eligible. `None` for a count shown as it is. Three values either way, as
/// many as a hidden count must keep.
pub fn band(value: u32, eligible: u32) -> Option<(u32, u32)> {
    use crate::disclosure::MIN_EACH_SIDE;
    let width = MIN_EACH_SIDE - 1;
    if value < MIN_EACH_SIDE {
        Some((0, width.min(eligible)))
    } else if eligible.saturating_sub(value) < MIN_EACH_SIDE {
        Some((eligible.saturating_sub(width), eligible))
    } else {
        None
    }
}

/// A published cell as every view receives it: each banded count replaced
/// by the middle of its band (1 for 0 to 2, eligible − 1 for the top), so
/// the exact value never leaves the server and [`band`] of what is sent
/// gives the band back. The order active-7 ≤ active-28 ≤ reached ≤
/// eligible still holds, so rates and charts read it as any other cell.
pub fn as_published(c: Counts) -> Counts {
    let shown = |v: u32| band(v, c.eligible).map_or(v, |(lo, hi)| (lo + hi) / 2);
    if c.eligible == 0 {
        return c;
    }
    Counts {
        eligible: c.eligible,
        active7: shown(c.active7),
        active28: shown(c.active28),
        reached: shown(c.reached),
    }
}

/// Which of a cell's counts (active-7, active-28, reached) would be shown
/// as bands.
fn banded(c: &Counts) -> [bool; 3] {
    let o = c.ordered();
    [0, 1, 2].map(|k| c.eligible > 0 && band(o[k], c.eligible).is_some())
}

/// Whether any of a cell's counts would be shown as a band.
fn has_band(c: &Counts) -> bool {
    banded(c).contains(&true)
}

/// A cell's counts per band slot as published: `None` is `[c]`.
pub type Published = [Option<Counts>; BAND_SLOTS];

/// How many cells with someone eligible one day's decision hides, by why,
/// and how many it publishes with a banded count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// Cells with at least one person eligible.
    pub cells: u64,
    /// Hidden by the primary rule (fewer than k eligible).
    pub primary: u64,
    /// Large enough, hidden so that no hidden cell follows.
    pub secondary: u64,
    /// Published, with at least one count shown as a band.
    pub banded: u64,
}

impl Suppression {
    /// Counts one cell and whether it is hidden.
    pub fn add(&mut self, disclosure: &Disclosure, c: &Counts, hidden: bool) {
        if c.eligible == 0 {
            return;
        }
        self.cells += 1;
        if too_small(disclosure, c) {
            self.primary += 1;
        } else if hidden {
            self.secondary += 1;
        } else if has_band(c) {
            self.banded += 1;
        }
    }
}

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

/// One audience's view of the tree: the units it sees, their nearest
/// visible ancestors, and which it sees whatever the decision.
#[derive(Debug, Clone)]
struct View {
    visible: Vec<usize>,
    /// The tests' attacker reads the tree as the audience sees it.
    #[cfg_attr(not(test), allow(dead_code))]
    parent: Vec<Option<usize>>,
    shown: Vec<bool>,
}

/// The views of one tree snapshot, ready to decide each day it holds.
#[derive(Debug, Clone)]
pub struct Plan {
    shape: Shape,
    /// Targets no witness could be found for, over every day decided
    /// (none is expected; the tests check).
    pub stuck: usize,
}

impl Plan {
    /// The guards of every audience that matters: every single-subtree
    /// scope with and without person-level lists, and `extra` (other
    /// scopes accounts hold). Admins and rollout managers need none: a
    /// witness holds for anyone who sees no more than every published
    /// cell.
    pub fn new(tree: &TreeSnapshot, restricted: &[bool], extra: &[Audience]) -> Self {
        let n = tree.exists.len();
        let mut audiences = Vec::new();
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
        let mut children = vec![Vec::new(); n];
        for u in (0..n).filter(|&u| tree.exists[u]) {
            if let Some(p) = tree.parent[u] {
                children[p].push(u);
            }
        }
        let under = |roots: &[usize]| -> Vec<bool> {
            let mut flags = vec![false; n];
            let mut stack: Vec<usize> = roots.to_vec();
            while let Some(u) = stack.pop() {
                flags[u] = true;
                stack.extend(&children[u]);
            }
            flags
        };
        let mut guards = Vec::new();
        let mut scopes: HashSet<Vec<usize>> = HashSet::new();
        for a in &audiences {
            if a.person_lists {
                let view = View::new(tree, restricted, a);
                let mut shown = vec![false; n];
                let mut watched = vec![false; n];
                for (&u, &s) in view.visible.iter().zip(&view.shown) {
                    shown[u] = s;
                    watched[u] = !s;
                }
                if shown.iter().any(|&s| s) {
                    guards.push(Guard {
                        fixed: shown.clone(),
                        watched,
                        shown,
                        scope_roots: Vec::new(),
                    });
                }
            }
            if !a.every_unit {
                // Roots under another root add nothing to the scope.
                let inside = under(&a.roots);
                let roots: Vec<usize> = a
                    .roots
                    .iter()
                    .copied()
                    .filter(|&r| tree.parent[r].is_none_or(|p| !inside[p]))
                    .collect();
                if !roots.is_empty() && scopes.insert(roots.clone()) {
                    guards.push(Guard {
                        fixed: under(&roots),
                        watched: vec![false; n],
                        shown: vec![false; n],
                        scope_roots: roots,
                    });
                }
            }
        }
        Self {
            shape: Shape {
                parent: tree.parent.clone(),
                children,
                exists: tree.exists.clone(),
                restricted: restricted.to_vec(),
                guards,
            },
            stuck: 0,
        }
    }

    /// Which cells of one day are hidden: `[subject][node][band slot]`.
    pub fn decide(
        &mut self,
        links: &SubjectLinks,
        disclosure: &Disclosure,
        day: DayCells<'_>,
    ) -> Vec<bool> {
        let (hidden, stuck) = witness::decide(&self.shape, links, disclosure, day.nodes, day.cells);
        self.stuck += stuck;
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
        Self {
            visible,
            parent,
            shown,
        }
    }
}

#[cfg(test)]
mod tests;
