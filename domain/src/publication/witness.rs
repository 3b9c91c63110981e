//! Secondary suppression by witnesses.
//!
//! A hidden count is safe from an account when the account cannot rule out
//! at least two other values for it (fewer where fewer people are in it).
//! The solver proves that for every count of every cell it must protect by
//! building a *witness*: another force that differs from the true one only
//! in hidden cells, in which every published figure and every relation an
//! attacker knows still hold, and in which the protected count is
//! different. A hidden cell's eligible count is hidden with it, so a
//! witness may move it too: where everyone in a cell is active, one more
//! active person in it is the only way up. Where no witness exists among the cells
//! already hidden, it hides the cheapest cells that make one.
//!
//! A witness moves people between the leaves of the unit tree (units
//! without children, and each unit's own members, its *rest*) and between
//! bands, in one of five shapes:
//! - *one more* (or one fewer) person of one band in one leaf: every cell
//!   on the leaf's path to the root changes, in that band and in all ages;
//! - *a band swap* in one leaf: its path to the root, in two bands;
//! - *a unit swap* between two leaves in one band: both paths up to their
//!   lowest common ancestor, in the band and in all ages;
//! - *a leaf swap*: two leaves and two bands, both paths up to the common
//!   ancestor, in the two bands;
//! - *a cross swap*: one leaf in one band and another in a second band:
//!   both paths up to their common ancestor in all ages, which cancels
//!   there, and each band on up to the root.
//!
//! Each shape moves one run of counts (say active-28 and reached, or all
//! four with eligible: whole people) of one set of subjects (say Teams, Microsoft 365 and all tools) by the same
//! amount, within the room every cell it touches leaves (a cell's counts
//! keep their order, a tool stays at most its product, and so on). A
//! witness changes every cell it touches, so it protects all of them at
//! once.
//!
//! What an account sees whatever the decision (units whose person-level
//! lists it holds) a witness for that account may not touch; what a scoped
//! account sees as the rest of the force is protected by witnesses that
//! change the force without touching the scope.

mod moves;
mod search;

use std::collections::VecDeque;

use super::{SubjectLinks, band, banded, primary_fails, too_small};
use crate::{disclosure::Disclosure, metrics::Counts, rollup::BAND_SLOTS};

use moves::{CellKey, HashMap, Spot, Subjects, Witness};

/// The slot of all ages.
const ALL: usize = BAND_SLOTS - 1;
/// How far a protected count must be able to move, at most.
const RANGE: u32 = 2;

/// One account class a witness must also hold for.
#[derive(Debug, Clone)]
pub(super) struct Guard {
    /// Units the witness may not touch: those the account sees whatever
    /// the decision, or its whole scope when protecting the rest of the
    /// force.
    pub fixed: Vec<bool>,
    /// Units it sees but not whole: each hidden cell of these is a target.
    pub watched: Vec<bool>,
    /// Units whose people it knows (person-level lists), for how much of a
    /// watched cell it does not know.
    pub shown: Vec<bool>,
    /// Scope roots: the force minus these is a cell it sees.
    pub scope_roots: Vec<usize>,
}

/// The tree of one epoch and the guards of every audience.
#[derive(Debug, Clone)]
pub(super) struct Shape {
    pub parent: Vec<Option<usize>>,
    pub children: Vec<Vec<usize>>,
    pub exists: Vec<bool>,
    pub restricted: Vec<bool>,
    pub guards: Vec<Guard>,
}

/// What must be protected: a unit's cell, or a group of its children and
/// rest that some account sees only as a whole.
#[derive(Clone, Debug)]
enum Kind {
    /// A cell with no parent: only paths to it move it.
    Root(usize),
    /// Members under one parent (a unit, or a rest with restricted units).
    Under { parent: usize, members: Vec<Spot> },
}

#[derive(Clone, Debug)]
struct Target {
    kind: Kind,
    slot: usize,
    subject: usize,
    /// Which counts need protecting (active-7, active-28, reached): all
    /// three of a hidden cell, the banded ones of a published cell. A
    /// hidden cell's eligible may move in a witness, but need not: it is
    /// a headcount, not what anyone did.
    counts: [bool; 3],
    need: u32,
    guard: Option<usize>,
}

/// One day being decided.
struct Day<'a> {
    shape: &'a Shape,
    subjects: Subjects,
    nodes: usize,
    cells: &'a [Counts],
    rest: Vec<Counts>,
    hidden: Vec<bool>,
    /// How far up and down witnesses move each (subject, node, slot,
    /// count), for accounts with no guard.
    covered: HashMap<CellKey, (u32, u32)>,
    /// Witnesses found for guarded targets, by the cell they protect: the
    /// units each touches, and how far up and down it moves the cell.
    guarded: HashMap<CellKey, Vec<(Vec<usize>, u32, u32)>>,
    queue: VecDeque<Target>,
    /// Units some guard watches.
    watched: Vec<bool>,
    /// Targets no witness could be built for (reported by the tests).
    stuck: usize,
}

/// Which cells of one day are hidden: `[subject][node][band slot]`.
/// Returns the flags and how many targets found no witness.
pub(super) fn decide(
    shape: &Shape,
    links: &SubjectLinks,
    disclosure: &Disclosure,
    nodes: usize,
    cells: &[Counts],
) -> (Vec<bool>, usize) {
    if links.len() > moves::Moves::SUBJECTS {
        // More subjects than a move can name: hide everything rather than
        // decide on part of the relations.
        return (vec![true; cells.len()], 0);
    }
    let at = |s: usize, u: usize, slot: usize| (s * nodes + u) * BAND_SLOTS + slot;
    let mut rest = vec![Counts::default(); cells.len()];
    for u in (0..nodes).filter(|&u| shape.exists[u] && !shape.children[u].is_empty()) {
        for s in 0..links.len() {
            for slot in 0..BAND_SLOTS {
                rest[at(s, u, slot)] = shape.children[u]
                    .iter()
                    .fold(cells[at(s, u, slot)], |r, &c| {
                        r.saturating_sub(&cells[at(s, c, slot)])
                    });
            }
        }
    }
    let hidden = (0..cells.len())
        .map(|i| {
            let node = (i / BAND_SLOTS) % nodes;
            shape.exists[node] && too_small(disclosure, &cells[i])
        })
        .collect();
    let mut day = Day {
        shape,
        subjects: Subjects::of(links),
        nodes,
        cells,
        rest,
        hidden,
        covered: HashMap::default(),
        guarded: HashMap::default(),
        queue: VecDeque::new(),
        watched: (0..nodes)
            .map(|u| shape.guards.iter().any(|g| g.watched[u]))
            .collect(),
        stuck: 0,
    };
    day.seed(disclosure);
    while let Some(target) = day.queue.pop_front() {
        day.protect(&target);
    }
    let mut hidden = day.hidden;
    let block = nodes * BAND_SLOTS;
    for s in (0..links.len()).filter(|&s| links.same_as[s] != s) {
        let twin = links.same_as[s] * block;
        hidden.copy_within(twin..twin + block, s * block);
    }
    (hidden, day.stuck)
}

impl Day<'_> {
    fn at(&self, s: usize, u: usize, slot: usize) -> usize {
        (s * self.nodes + u) * BAND_SLOTS + slot
    }

    fn counts(&self, spot: Spot, s: usize, slot: usize) -> Counts {
        match spot {
            Spot::Node(u) => self.cells[self.at(s, u, slot)],
            Spot::Rest(u) => self.rest[self.at(s, u, slot)],
        }
    }

    /// The first targets: every hidden cell, every rest some account sees
    /// as a whole that fails the primary rule, and what guarded accounts
    /// watch.
    fn seed(&mut self, disclosure: &Disclosure) {
        let shape = self.shape;
        let mut order: Vec<(u32, usize, usize, usize)> = Vec::new();
        for &s in &self.subjects.canonical {
            for u in (0..self.nodes).filter(|&u| shape.exists[u]) {
                for slot in 0..BAND_SLOTS {
                    if self.hidden[self.at(s, u, slot)] {
                        order.push((self.cells[self.at(s, u, slot)].eligible, s, u, slot));
                    }
                }
            }
        }
        order.sort_unstable();
        for (_, s, u, slot) in order {
            self.enqueue_cell(s, u, slot, [true; 3]);
        }
        // Rests: a unit's own members, and with its restricted children
        // (which accounts without them see only together).
        for u in (0..self.nodes).filter(|&u| shape.exists[u] && !shape.children[u].is_empty()) {
            let restricted: Vec<usize> = shape.children[u]
                .iter()
                .copied()
                .filter(|&c| shape.restricted[c])
                .collect();
            let mut groups = vec![vec![Spot::Rest(u)]];
            if !restricted.is_empty() {
                groups.push(
                    std::iter::once(Spot::Rest(u))
                        .chain(restricted.iter().map(|&c| Spot::Node(c)))
                        .collect(),
                );
            }
            for &s in &self.subjects.canonical {
                for slot in 0..BAND_SLOTS {
                    for members in &groups {
                        let total = members.iter().fold(Counts::default(), |mut t, &m| {
                            t.add(&self.counts(m, s, slot));
                            t
                        });
                        if total.eligible > 0 && primary_fails(disclosure, &total) {
                            let guards = std::iter::once(None).chain(
                                (0..shape.guards.len())
                                    .filter(|&g| shape.guards[g].watched[u])
                                    .map(Some),
                            );
                            for guard in guards {
                                self.queue.push_back(Target {
                                    kind: Kind::Under {
                                        parent: u,
                                        members: members.clone(),
                                    },
                                    slot,
                                    subject: s,
                                    counts: [true; 3],
                                    need: total.eligible.min(RANGE),
                                    guard,
                                });
                            }
                        }
                    }
                }
            }
        }
        // The rest of the force outside a scope.
        for (g, guard) in shape.guards.iter().enumerate() {
            if guard.scope_roots.is_empty() {
                continue;
            }
            let Some(&root) = guard.scope_roots.first() else {
                continue;
            };
            let top = self.top(root);
            for &s in &self.subjects.canonical {
                for slot in 0..BAND_SLOTS {
                    let rest = guard
                        .scope_roots
                        .iter()
                        .fold(self.cells[self.at(s, top, slot)], |r, &c| {
                            r.saturating_sub(&self.cells[self.at(s, c, slot)])
                        });
                    if rest.eligible > 0 && primary_fails(disclosure, &rest) {
                        self.queue.push_back(Target {
                            kind: Kind::Root(top),
                            slot,
                            subject: s,
                            counts: [true; 3],
                            need: rest.eligible.min(RANGE),
                            guard: Some(g),
                        });
                    }
                }
            }
        }
        // Banded counts of published cells: each must keep its whole band.
        for s in self.subjects.canonical.clone() {
            for u in (0..self.nodes).filter(|&u| shape.exists[u]) {
                for slot in 0..BAND_SLOTS {
                    let i = self.at(s, u, slot);
                    let counts = banded(&self.cells[i]);
                    if !self.hidden[i] && counts.contains(&true) {
                        self.enqueue_cell(s, u, slot, counts);
                    }
                }
            }
        }
    }

    fn top(&self, u: usize) -> usize {
        self.to_root(u).last().unwrap_or(u)
    }

    /// A unit and its ancestors, up to the root.
    fn to_root(&self, u: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(Some(u), |&x| self.shape.parent[x])
    }

    /// Queues counts of a cell (all of a hidden one, the bands of a
    /// published one) for every account that must not learn them.
    fn enqueue_cell(&mut self, s: usize, u: usize, slot: usize, counts: [bool; 3]) {
        let eligible = self.cells[self.at(s, u, slot)].eligible;
        if eligible == 0 {
            return;
        }
        let kind = match self.shape.parent[u] {
            None => Kind::Root(u),
            Some(p) => Kind::Under {
                parent: p,
                members: vec![Spot::Node(u)],
            },
        };
        self.queue.push_back(Target {
            kind: kind.clone(),
            slot,
            subject: s,
            counts,
            need: eligible.min(RANGE),
            guard: None,
        });
        for (g, guard) in self.shape.guards.iter().enumerate() {
            if guard.watched[u] {
                let unseen = eligible.saturating_sub(self.seen(guard, s, u, slot));
                if unseen > 0 {
                    self.queue.push_back(Target {
                        kind: kind.clone(),
                        slot,
                        subject: s,
                        counts,
                        need: unseen.min(RANGE),
                        guard: Some(g),
                    });
                }
            }
        }
    }

    /// How many people of a cell a guarded account knows by name.
    fn seen(&self, guard: &Guard, s: usize, u: usize, slot: usize) -> u32 {
        self.shape.children[u]
            .iter()
            .map(|&c| {
                if guard.shown[c] {
                    self.cells[self.at(s, c, slot)].eligible
                } else {
                    self.seen(guard, s, c, slot)
                }
            })
            .sum()
    }

    /// Finds witnesses until each count of the target can move up and
    /// down by as much as it needs between them (one move up by one and
    /// another down by one give the attacker three values).
    fn protect(&mut self, target: &Target) {
        for count in (0..3).filter(|&c| target.counts[c]) {
            let (mut up, mut down) = self.have(target, count);
            while up + down < target.need {
                let gap = target.need - up - down;
                // The cheapest of: one witness that closes the gap; one
                // step of it; two one-step witnesses the same way that hold
                // together (each moves its own route one step, the target
                // two).
                let whole = self.witness(target, count, &[(up + gap, 0), (0, down + gap)], None);
                let step = (gap > 1)
                    .then(|| self.witness(target, count, &[(up + 1, 0), (0, down + 1)], None))
                    .flatten();
                let pair = (gap == 1 && (up == 1 || down == 1))
                    .then(|| {
                        let split = if up == 1 { (1, 0) } else { (0, 1) };
                        let (c1, first) = self.witness(target, count, &[split], None)?;
                        let (c2, second) = self.witness(target, count, &[split], Some(&first))?;
                        Some((c1 + c2, first, second))
                    })
                    .flatten();
                let cost = |w: &Option<(u64, Witness)>| w.as_ref().map_or(u64::MAX, |(c, _)| *c);
                let pair_cost = pair.as_ref().map_or(u64::MAX, |(c, ..)| *c);
                if pair_cost < cost(&whole).min(cost(&step)) {
                    let Some((_, first, second)) = pair else {
                        break;
                    };
                    let split = (first.up, first.down);
                    // Applied as one: a cell both touch moves twice.
                    let both = Witness {
                        parts: first.parts.into_iter().chain(second.parts).collect(),
                        up: split.0,
                        down: split.1,
                    };
                    let nodes: Vec<usize> = both.nodes().collect();
                    self.apply(target, count, both);
                    let (two_up, two_down) = (split.0 * 2, split.1 * 2);
                    self.record(target, count, nodes, two_up, two_down);
                    up = up.max(two_up);
                    down = down.max(two_down);
                    continue;
                }
                let chosen = if cost(&step) < cost(&whole) {
                    step
                } else {
                    whole
                };
                let Some((_, w)) = chosen else {
                    self.stuck += 1;
                    break;
                };
                up = up.max(w.up);
                down = down.max(w.down);
                self.apply(target, count, w);
            }
        }
    }

    /// The cell or group a target is.
    /// A group stands as a unit index past the last: a unit's rest alone,
    /// or with its restricted children.
    fn cell_key(&self, target: &Target, count: usize) -> CellKey {
        let at = match &target.kind {
            Kind::Root(u) => *u,
            Kind::Under { parent, members } => match members.as_slice() {
                [Spot::Node(u)] => *u,
                [Spot::Rest(_)] => self.nodes + parent,
                _ => 2 * self.nodes + parent,
            },
        };
        (target.subject, at, target.slot, count)
    }

    /// How far up and down the witnesses found so far move a target's
    /// count, for the target's account.
    fn have(&self, target: &Target, count: usize) -> (u32, u32) {
        let key = self.cell_key(target, count);
        match target.guard {
            None => self.covered.get(&key).copied().unwrap_or_default(),
            Some(g) => {
                let fixed = &self.shape.guards[g].fixed;
                self.guarded.get(&key).map_or((0, 0), |found| {
                    found
                        .iter()
                        .filter(|(nodes, ..)| nodes.iter().all(|&n| !fixed[n]))
                        .fold((0, 0), |(u, d), &(_, wu, wd)| (u.max(wu), d.max(wd)))
                })
            }
        }
    }

    /// Hides what the witness changes, except published cells whose
    /// changed counts all stay within their bands, and records how far it
    /// moves every cell it changes (for the targets still to come) and the
    /// target.
    fn apply(&mut self, target: &Target, count: usize, w: Witness) {
        let mut newly = Vec::new();
        let nodes: Vec<usize> = w.nodes().collect();
        let (up, down) = (i64::from(w.up), i64::from(w.down));
        for ((spot, slot), deltas) in self.shifts(&w) {
            let Spot::Node(u) = spot else { continue };
            for (s, d) in deltas {
                if d == [0; 4] {
                    continue;
                }
                let i = self.at(s, u, slot);
                if !self.hidden[i] && !self.stays(i, d, w.up, w.down) {
                    self.hidden[i] = true;
                    newly.push((s, u, slot));
                }
                for c in (0..3).filter(|&c| d[c] != 0) {
                    // The two forces move the count by d·up and −d·down.
                    let (a, b) = (d[c] * up, -d[c] * down);
                    let reach = |v: i64| u32::try_from(v.max(0)).unwrap_or(0);
                    let (r_up, r_down) = (reach(a.max(b)), reach(-a.min(b)));
                    let r = self.covered.entry((s, u, slot, c)).or_default();
                    *r = (r.0.max(r_up), r.1.max(r_down));
                    if self.watched[u] {
                        self.guarded.entry((s, u, slot, c)).or_default().push((
                            nodes.clone(),
                            r_up,
                            r_down,
                        ));
                    }
                }
            }
        }
        self.record(target, count, nodes, w.up, w.down);
        for (s, u, slot) in newly {
            self.enqueue_cell(s, u, slot, [true; 3]);
        }
    }

    /// Whether a published cell can stay published under a witness that
    /// moves its counts by `d` per step, `up` steps one way and `down` the
    /// other: eligible, which is always shown exactly, does not move, and
    /// every count that moves is banded and stays within its band.
    fn stays(&self, i: usize, d: [i64; 4], up: u32, down: u32) -> bool {
        let c = self.cells[i];
        let o = c.ordered();
        d[3] == 0
            && (0..3).filter(|&k| d[k] != 0).all(|k| {
                band(o[k], c.eligible).is_some_and(|(lo, hi)| {
                    let v = i64::from(o[k]);
                    let band = i64::from(lo)..=i64::from(hi);
                    band.contains(&(v + d[k] * i64::from(up)))
                        && band.contains(&(v - d[k] * i64::from(down)))
                })
            })
    }

    /// Notes how far a witness moves the target itself.
    fn record(&mut self, target: &Target, count: usize, nodes: Vec<usize>, up: u32, down: u32) {
        let key = self.cell_key(target, count);
        let r = self.covered.entry(key).or_default();
        *r = (r.0.max(up), r.1.max(down));
        if target.guard.is_some() || key.1 >= self.nodes || self.watched[key.1] {
            self.guarded.entry(key).or_default().push((nodes, up, down));
        }
    }
}
