//! Secondary suppression by witnesses.
//!
//! A hidden count is safe from an account when the account cannot rule out
//! at least two other values for it (fewer where fewer people are in it).
//! The solver proves that for every count of every cell it must protect by
//! building a *witness*: another force that differs from the true one only
//! in hidden cells, in which every published figure, every eligible count
//! and every relation an attacker knows still hold, and in which the
//! protected count is different. Where no witness exists among the cells
//! already hidden, it hides the cheapest cells that make one.
//!
//! A witness moves people between the leaves of the unit tree (units
//! without children, and each unit's own members, its *rest*) and between
//! bands, in one of four shapes:
//! - *one more* (or one fewer) person of one band in one leaf: every cell
//!   on the leaf's path to the root changes, in that band and in all ages;
//! - *a band swap* in one leaf: its path to the root, in two bands;
//! - *a unit swap* between two leaves in one band: both paths up to their
//!   lowest common ancestor, in the band and in all ages;
//! - *a leaf swap*: two leaves and two bands, both paths up to the common
//!   ancestor, in the two bands.
//!
//! Each shape moves one run of counts (say active-28 and reached) of one
//! set of subjects (say Teams, Microsoft 365 and all tools) by the same
//! amount, within the room every cell it touches leaves (a cell's counts
//! keep their order, a tool stays at most its product, and so on). A
//! witness changes every cell it touches, so it protects all of them at
//! once.
//!
//! What an account sees whatever the decision (units whose person-level
//! lists it holds) a witness for that account may not touch; what a scoped
//! account sees as the rest of the force is protected by witnesses that
//! change the force without touching the scope.

use std::{
    collections::VecDeque,
    hash::{BuildHasherDefault, Hasher},
};

use super::{SubjectLinks, primary_fails};
use crate::{disclosure::Disclosure, metrics::Counts, rollup::BAND_SLOTS};

/// The slot of all ages.
const ALL: usize = BAND_SLOTS - 1;
/// How far a protected count must be able to move, at most.
const RANGE: u32 = 2;
/// Which counts of which subjects a move changes: three bits per subject
/// index (active-7, active-28, reached).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
struct Moves(u64);

impl Moves {
    /// Subjects a mask can hold.
    const SUBJECTS: usize = 21;

    fn has(self, s: usize, count: usize) -> bool {
        self.0 & (1 << (3 * s + count)) != 0
    }

    fn with(self, s: usize, count: usize) -> Self {
        Self(self.0 | 1 << (3 * s + count))
    }

    /// A run of counts of each subject in a set.
    fn run(set: u32, (lo, hi): (usize, usize)) -> Self {
        (0..Self::SUBJECTS)
            .filter(|&s| set & (1 << s) != 0)
            .fold(Self::default(), |m, s| {
                (lo..=hi).fold(m, |m, c| m.with(s, c))
            })
    }

    /// The subjects with a count that moves.
    fn subjects(self) -> impl Iterator<Item = usize> {
        (0..Self::SUBJECTS).filter(move |&s| (self.0 >> (3 * s)) & 7 != 0)
    }

    fn counts(self, s: usize) -> impl Iterator<Item = usize> {
        (0..3).filter(move |&c| self.has(s, c))
    }

    /// Only the subjects in a set.
    fn only(self, set: u32) -> Self {
        let keep = (0..Self::SUBJECTS)
            .filter(|&s| set & (1 << s) != 0)
            .fold(0u64, |m, s| m | 7 << (3 * s));
        Self(self.0 & keep)
    }

    fn set(self) -> u32 {
        self.subjects().fold(0, |acc, s| acc | 1 << s)
    }
}

/// A leaf of the move, or a unit on a path.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Spot {
    Node(usize),
    /// A unit's own members, in no child.
    Rest(usize),
}

impl Spot {
    fn node(self) -> usize {
        match self {
            Spot::Node(u) | Spot::Rest(u) => u,
        }
    }
}

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

/// What a witness moves, and how far it must reach.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
struct Pattern {
    /// The two slots it changes and the sign of each on the protected
    /// side.
    slots: [(usize, i8); 2],
    /// The counts of each subject it moves.
    moves: Moves,
    /// How far it must reach up and down.
    up: u32,
    down: u32,
    /// The guard whose fixed units it avoids.
    guard: Option<usize>,
    /// What moves with this route at the protected spot (other groups,
    /// each along its own route), so that the room there need not keep
    /// them apart.
    exempt: Moves,
    exempt_at: Option<Spot>,
}

impl Pattern {
    fn flipped(self) -> Self {
        Self {
            slots: self.slots.map(|(slot, sign)| (slot, -sign)),
            ..self
        }
    }
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
    need: u32,
    guard: Option<usize>,
}

/// One found witness: per set of subjects, the cells it touches with
/// their signs, and how far it moves the run of counts.
struct Witness {
    parts: Vec<Part>,
    up: u32,
    down: u32,
}

impl Witness {
    /// The units it touches.
    fn nodes(&self) -> impl Iterator<Item = usize> + '_ {
        self.parts
            .iter()
            .flat_map(|part| part.spots.iter().map(|(spot, _)| spot.node()))
    }
}

/// The counts one route moves, and the cells.
#[derive(Clone)]
struct Part {
    moves: Moves,
    spots: Vec<(Spot, [(usize, i8); 2])>,
}

/// Subjects as the solver sees them: one of each twin, with the ones above
/// and below it.
struct Subjects {
    canonical: Vec<usize>,
    above: Vec<Vec<usize>>,
    below: Vec<Vec<usize>>,
}

impl Subjects {
    fn of(links: &SubjectLinks) -> Self {
        let canon = |list: &Vec<usize>| -> Vec<usize> {
            list.iter()
                .copied()
                .filter(|&o| links.same_as[o] == o)
                .collect()
        };
        Self {
            canonical: (0..links.len())
                .filter(|&s| links.same_as[s] == s)
                .collect(),
            above: links.above.iter().map(canon).collect(),
            below: links.below.iter().map(canon).collect(),
        }
    }

    /// The subject sets a witness for `s` tries: itself; with everything
    /// above it, below it, or both; and each chain through it (a tool, its
    /// product and all tools: one person active in that tool alone).
    fn sets(&self, s: usize) -> Vec<u32> {
        let bits = |list: &[usize]| list.iter().fold(0u32, |acc, &o| acc | 1 << o);
        let (me, up, down) = (1u32 << s, bits(&self.above[s]), bits(&self.below[s]));
        let mut sets = vec![me, me | up, me | down, me | up | down];
        for t in std::iter::once(s).chain(self.below[s].iter().copied()) {
            sets.push(me | 1 << t | bits(&self.above[t]));
        }
        sets.sort_unstable();
        sets.dedup();
        sets
    }

    /// Ways to split a set of subjects that move together into groups
    /// that each take their own route: each product's family (the product
    /// and its tools) apart from the rest, in every combination, and every
    /// subject on its own.
    fn groupings(&self, set: u32) -> Vec<Vec<u32>> {
        let bits = |list: &[usize]| list.iter().fold(0u32, |acc, &o| acc | 1 << o);
        let top = |m: usize| self.above[m].iter().all(|&a| self.above[a].is_empty());
        let families: Vec<u32> = self
            .canonical
            .iter()
            .filter(|&&m| set & (1 << m) != 0 && !self.above[m].is_empty() && top(m))
            .map(|&m| (1u32 << m | bits(&self.below[m])) & set)
            .collect();
        let mut out = Vec::new();
        for choice in 1u32..(1 << families.len()) {
            let apart: Vec<u32> = (0..families.len())
                .filter(|&f| choice & (1 << f) != 0)
                .map(|f| families[f])
                .collect();
            let rest = apart.iter().fold(set, |r, &f| r & !f);
            let mut groups: Vec<u32> = apart;
            if rest != 0 {
                groups.push(rest);
            }
            if groups.len() > 1 {
                out.push(groups);
            }
        }
        if set.count_ones() > 1 {
            out.push(
                (0..32)
                    .filter(|&m| set & (1 << m) != 0)
                    .map(|m| 1 << m)
                    .collect(),
            );
        }
        out
    }
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
            shape.exists[node] && primary_fails(disclosure, &cells[i])
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
            self.enqueue_cell(s, u, slot);
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
                            need: rest.eligible.min(RANGE),
                            guard: Some(g),
                        });
                    }
                }
            }
        }
    }

    fn top(&self, mut u: usize) -> usize {
        while let Some(p) = self.shape.parent[u] {
            u = p;
        }
        u
    }

    /// Queues a hidden cell for every account that must not learn it.
    fn enqueue_cell(&mut self, s: usize, u: usize, slot: usize) {
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
        for count in 0..3 {
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
                    let nodes: Vec<usize> = first.nodes().chain(second.nodes()).collect();
                    self.apply(target, count, first);
                    self.apply(target, count, second);
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

    /// Hides what the witness touches and records what it protects.
    fn apply(&mut self, target: &Target, count: usize, w: Witness) {
        let mut newly = Vec::new();
        for part in &w.parts {
            for &(spot, slots) in &part.spots {
                let Spot::Node(u) = spot else { continue };
                for (slot, _) in slots {
                    for s in part.moves.subjects() {
                        let i = self.at(s, u, slot);
                        if !self.hidden[i] {
                            self.hidden[i] = true;
                            newly.push((s, u, slot));
                        }
                        for c in part.moves.counts(s) {
                            let r = self.covered.entry((s, u, slot, c)).or_default();
                            *r = (r.0.max(w.up), r.1.max(w.down));
                        }
                    }
                }
            }
        }
        // What it proves for each watched cell on it, for the guards.
        let nodes: Vec<usize> = w.nodes().collect();
        for part in &w.parts {
            for &(spot, slots) in &part.spots {
                let Spot::Node(u) = spot else { continue };
                if !self.watched[u] {
                    continue;
                }
                for (slot, _) in slots {
                    for s in part.moves.subjects() {
                        for c in part.moves.counts(s) {
                            self.guarded.entry((s, u, slot, c)).or_default().push((
                                nodes.clone(),
                                w.up,
                                w.down,
                            ));
                        }
                    }
                }
            }
        }
        self.record(target, count, nodes, w.up, w.down);
        for (s, u, slot) in newly {
            self.enqueue_cell(s, u, slot);
        }
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

    /// Checks a witness against every relation at every cell it touches,
    /// moved as far up and as far down as it claims: counts in order and
    /// within eligible, tools within products within all tools.
    fn holds(&self, w: &Witness) -> bool {
        // Per cell and subject, how each count moves per unit of the move.
        let mut moved: HashMap<(Spot, usize), HashMap<usize, [i64; 3]>> = HashMap::default();
        for part in &w.parts {
            for &(spot, slots) in &part.spots {
                for (slot, sign) in slots {
                    let at = moved.entry((spot, slot)).or_default();
                    for s in part.moves.subjects() {
                        let d = at.entry(s).or_default();
                        for c in part.moves.counts(s) {
                            d[c] += i64::from(sign);
                        }
                    }
                }
            }
        }
        moved.iter().all(|(&(spot, slot), deltas)| {
            [i64::from(w.up), -i64::from(w.down)].iter().all(|&by| {
                let value = |s: usize| {
                    let mut v = self.counts(spot, s, slot).ordered().map(i64::from);
                    if let Some(d) = deltas.get(&s) {
                        for i in 0..3 {
                            v[i] += d[i] * by;
                        }
                    }
                    v
                };
                self.subjects.canonical.iter().all(|&s| {
                    let v = value(s);
                    let ordered = v[0] >= 0 && v.windows(2).all(|w| w[0] <= w[1]);
                    ordered
                        && self.subjects.above[s]
                            .iter()
                            .all(|&a| (0..3).all(|i| value(a)[i] >= v[i]))
                })
            })
        })
    }

    /// How far a move's counts can go in one direction at one spot and
    /// slot, up to [`RANGE`]: each count stays within its neighbours that
    /// do not move with it (active-7 ≤ active-28 ≤ reached ≤ eligible),
    /// and within the subjects above and below it that do not.
    fn room(&self, spot: Spot, slot: usize, p: &Pattern, dir: i8) -> u32 {
        let along = if p.exempt_at == Some(spot) {
            Moves(p.moves.0 | p.exempt.0)
        } else {
            p.moves
        };
        let mut room = RANGE;
        for m in p.moves.subjects() {
            let o = self.counts(spot, m, slot).ordered();
            for i in p.moves.counts(m) {
                if dir > 0 {
                    if i == 2 || !along.has(m, i + 1) {
                        room = room.min(o[i + 1].saturating_sub(o[i]));
                    }
                    for &a in &self.subjects.above[m] {
                        if !along.has(a, i) {
                            let oa = self.counts(spot, a, slot).ordered();
                            room = room.min(oa[i].saturating_sub(o[i]));
                        }
                    }
                } else {
                    if i == 0 {
                        room = room.min(o[0]);
                    } else if !along.has(m, i - 1) {
                        room = room.min(o[i].saturating_sub(o[i - 1]));
                    }
                    for &b in &self.subjects.below[m] {
                        if !along.has(b, i) {
                            let ob = self.counts(spot, b, slot).ordered();
                            room = room.min(o[i].saturating_sub(ob[i]));
                        }
                    }
                }
                if room == 0 {
                    return 0;
                }
            }
        }
        room
    }

    fn feasible(&self, spot: Spot, p: &Pattern) -> bool {
        if let Some(g) = p.guard
            && self.shape.guards[g].fixed[spot.node()]
        {
            return false;
        }
        p.slots.iter().all(|&(slot, sign)| {
            (p.up == 0 || self.room(spot, slot, p, sign) >= p.up)
                && (p.down == 0 || self.room(spot, slot, p, -sign) >= p.down)
        })
    }

    /// What hiding a spot's cells for the pattern costs: each cell not yet
    /// hidden, weighted by its size (hiding a command costs more than a
    /// team).
    fn cost(&self, spot: Spot, p: &Pattern) -> u64 {
        let Spot::Node(u) = spot else { return 0 };
        let mut cost = 0;
        for (slot, _) in p.slots {
            for s in p.moves.subjects() {
                let i = self.at(s, u, slot);
                if !self.hidden[i] {
                    cost += u64::from(self.cells[i].eligible) + 1;
                }
            }
        }
        cost
    }

    /// The cheapest path from a spot down to a leaf along which the pattern
    /// can move, as its cost.
    fn descend(&self, spot: Spot, p: &Pattern, memo: &mut Memo) -> Option<u64> {
        if let Some(found) = memo.get(&(spot, *p)) {
            return found.map(|(cost, _)| cost);
        }
        let found = if !self.feasible(spot, p) {
            None
        } else {
            let own = self.cost(spot, p);
            match spot {
                Spot::Rest(_) => Some((own, None)),
                Spot::Node(u) if self.shape.children[u].is_empty() => Some((own, None)),
                Spot::Node(u) => std::iter::once(Spot::Rest(u))
                    .chain(self.shape.children[u].iter().map(|&c| Spot::Node(c)))
                    .filter_map(|next| self.descend(next, p, memo).map(|c| (c, next)))
                    .min_by_key(|&(c, _)| c)
                    .map(|(c, next)| (own + c, Some(next))),
            }
        };
        memo.insert((spot, *p), found);
        found.map(|(cost, _)| cost)
    }

    fn path(&self, mut spot: Spot, p: &Pattern, memo: &Memo) -> Vec<Spot> {
        let mut path = vec![spot];
        while let Some(Some((_, Some(next)))) = memo.get(&(spot, *p)) {
            path.push(*next);
            spot = *next;
        }
        path
    }

    /// The cheapest witness that moves the target's count, if any.
    /// `with`: a witness found before in the same direction; the new one
    /// must hold together with it, so that the two move the count twice as
    /// far.
    fn witness(
        &self,
        target: &Target,
        count: usize,
        splits: &[(u32, u32)],
        with: Option<&Witness>,
    ) -> Option<(u64, Witness)> {
        let fits = |w: &Witness| match with {
            None => self.holds(w),
            Some(first) => self.holds(&Witness {
                parts: first.parts.iter().chain(&w.parts).cloned().collect(),
                up: w.up,
                down: w.down,
            }),
        };
        let runs: &[(usize, usize)] = match count {
            0 => &[(0, 0), (0, 1), (0, 2)],
            1 => &[(1, 1), (0, 1), (1, 2), (0, 2)],
            _ => &[(2, 2), (1, 2), (0, 2)],
        };
        let bands = 0..ALL;
        let shapes: Vec<[(usize, i8); 2]> = if target.slot == ALL {
            bands.map(|b| [(b, 1), (ALL, 1)]).collect()
        } else {
            std::iter::once([(target.slot, 1), (ALL, 1)])
                .chain(
                    bands
                        .filter(|&b| b != target.slot)
                        .map(|b| [(target.slot, 1), (b, -1)]),
                )
                .collect()
        };
        let start = match &target.kind {
            Kind::Root(u) => vec![Spot::Node(*u)],
            Kind::Under { members, .. } => members.clone(),
        };
        let mut memo = Memo::default();
        let mut best: Option<(u64, Witness)> = None;
        let consider = |cost: u64, w: Witness, best: &mut Option<(u64, Witness)>| {
            if best.as_ref().is_none_or(|(b, _)| cost < *b) && fits(&w) {
                *best = Some((cost, w));
            }
        };
        for &(up, down) in splits {
            for &slots in &shapes {
                let pattern = |moves: Moves, exempt: Moves| Pattern {
                    slots,
                    moves,
                    up,
                    down,
                    guard: target.guard,
                    exempt,
                    exempt_at: (exempt != Moves::default()).then(|| start[0]),
                };
                // What the move must change at the target itself (the
                // counts and subjects the target's count drags along), then
                // fixed sets of subjects moving one run of counts.
                let natural: Vec<Moves> = start
                    .iter()
                    .filter_map(|&spot| self.natural(spot, target.subject, count, slots, up, down))
                    .collect();
                let mut candidates = natural.clone();
                for set in self.subjects.sets(target.subject) {
                    for &run in runs {
                        candidates.push(Moves::run(set, run));
                    }
                }
                candidates.sort_unstable_by_key(|m| m.0);
                candidates.dedup();
                for moves in candidates {
                    let p = pattern(moves, Moves::default());
                    let bound = best.as_ref().map_or(u64::MAX, |(b, _)| *b);
                    if let Some((cost, route)) = self.route(target, &p, &mut memo, bound) {
                        let w = self.build(&[(p, route)], &memo);
                        consider(cost, w, &mut best);
                        if best.as_ref().is_some_and(|(c, _)| *c == 0) {
                            return best;
                        }
                    }
                }
                // The same in groups that each take their own route (Box's
                // partner need not be Microsoft 365's).
                if let ([_], [whole]) = (start.as_slice(), natural.as_slice()) {
                    for groups in self.subjects.groupings(whole.set()) {
                        let routes: Option<Vec<(u64, Pattern, Route)>> = groups
                            .iter()
                            .map(|&g| {
                                let p = pattern(whole.only(g), *whole);
                                self.route(target, &p, &mut memo, u64::MAX)
                                    .map(|(c, r)| (c, p, r))
                            })
                            .collect();
                        let Some(routes) = routes else { continue };
                        let cost = routes.iter().map(|(c, ..)| c).sum::<u64>();
                        let parts: Vec<(Pattern, Route)> =
                            routes.into_iter().map(|(_, p, r)| (p, r)).collect();
                        let w = self.build(&parts, &memo);
                        consider(cost, w, &mut best);
                        if best.as_ref().is_some_and(|(c, _)| *c == 0) {
                            return best;
                        }
                    }
                }
            }
        }
        best
    }

    /// What a move must change at a spot to move one count of one subject
    /// by the pattern's amount: the neighbouring counts it would pass (a
    /// person made active in 7 days is active in 28), and the same count
    /// of the subjects it would pass (a product cannot fall below its
    /// tool), until nothing more is dragged along. `None` where the spot
    /// has no room for it at all.
    fn natural(
        &self,
        spot: Spot,
        s: usize,
        count: usize,
        slots: [(usize, i8); 2],
        up: u32,
        down: u32,
    ) -> Option<Moves> {
        let mut moves = Moves::default().with(s, count);
        loop {
            let before = moves;
            for (slot, sign) in slots {
                for (dir, by) in [(sign, up), (-sign, down)] {
                    if by == 0 {
                        continue;
                    }
                    for m in moves.subjects() {
                        let o = self.counts(spot, m, slot).ordered();
                        for i in moves.counts(m) {
                            if dir > 0 {
                                if i == 2 && o[3].saturating_sub(o[2]) < by {
                                    return None;
                                }
                                if i < 2
                                    && !moves.has(m, i + 1)
                                    && o[i + 1].saturating_sub(o[i]) < by
                                {
                                    moves = moves.with(m, i + 1);
                                }
                                for &a in &self.subjects.above[m] {
                                    let oa = self.counts(spot, a, slot).ordered();
                                    if !moves.has(a, i) && oa[i].saturating_sub(o[i]) < by {
                                        moves = moves.with(a, i);
                                    }
                                }
                            } else {
                                if i == 0 && o[0] < by {
                                    return None;
                                }
                                if i > 0
                                    && !moves.has(m, i - 1)
                                    && o[i].saturating_sub(o[i - 1]) < by
                                {
                                    moves = moves.with(m, i - 1);
                                }
                                for &b in &self.subjects.below[m] {
                                    let ob = self.counts(spot, b, slot).ordered();
                                    if !moves.has(b, i) && o[i].saturating_sub(ob[i]) < by {
                                        moves = moves.with(b, i);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if moves == before {
                return Some(moves);
            }
        }
    }

    /// The cheapest route of one pattern for a target.
    /// Routes costing `bound` or more are not wanted (a cheaper one is in
    /// hand).
    fn route(
        &self,
        target: &Target,
        p: &Pattern,
        memo: &mut Memo,
        bound: u64,
    ) -> Option<(u64, Route)> {
        match &target.kind {
            Kind::Root(u) => self.descend(Spot::Node(*u), p, memo).map(|c| {
                (
                    c,
                    Route {
                        start: Spot::Node(*u),
                        up: Vec::new(),
                        partner: None,
                    },
                )
            }),
            Kind::Under { parent, members } => {
                let (d1, start) = members
                    .iter()
                    .filter_map(|&m| self.descend(m, p, memo).map(|c| (c, m)))
                    .min_by_key(|&(c, _)| c)
                    .filter(|&(c, _)| c < bound)?;
                let flipped = p.flipped();
                let mut best: Option<(u64, Route)> = None;
                let consider = |cost: u64, route: Route, best: &mut Option<(u64, Route)>| {
                    if best.as_ref().is_none_or(|(b, _)| cost < *b) {
                        *best = Some((cost, route));
                    }
                };
                // Swaps with a partner under the parent, then under each
                // ancestor in turn; the path up to it moves too.
                let mut up: Vec<usize> = Vec::new();
                let mut up_cost = 0;
                let mut below = None;
                let mut at = *parent;
                loop {
                    let partners = std::iter::once(Spot::Rest(at))
                        .chain(self.shape.children[at].iter().map(|&c| Spot::Node(c)))
                        .filter(|s| match below {
                            None => !members.contains(s),
                            Some(b) => *s != Spot::Node(b),
                        });
                    for partner in partners {
                        let limit = best.as_ref().map_or(bound, |(c, _)| (*c).min(bound));
                        if d1 + up_cost >= limit {
                            break;
                        }
                        if let Some(d2) = self.descend(partner, &flipped, memo) {
                            consider(
                                d1 + up_cost + d2,
                                Route {
                                    start,
                                    up: up.clone(),
                                    partner: Some(partner),
                                },
                                &mut best,
                            );
                        }
                    }
                    if best.as_ref().is_some_and(|(c, _)| *c == 0) {
                        return best;
                    }
                    // Climb: this unit now moves with the target's side.
                    if !self.feasible(Spot::Node(at), p) {
                        return best;
                    }
                    up_cost += self.cost(Spot::Node(at), p);
                    let limit = best.as_ref().map_or(bound, |(c, _)| (*c).min(bound));
                    if d1 + up_cost >= limit {
                        return best;
                    }
                    up.push(at);
                    below = Some(at);
                    match self.shape.parent[at] {
                        Some(next) => at = next,
                        None => {
                            // The path reaches the root: one more or a
                            // band swap, with no partner.
                            consider(
                                d1 + up_cost,
                                Route {
                                    start,
                                    up: up.clone(),
                                    partner: None,
                                },
                                &mut best,
                            );
                            return best;
                        }
                    }
                }
            }
        }
    }

    fn build(&self, parts: &[(Pattern, Route)], memo: &Memo) -> Witness {
        let first = parts.first().map(|(p, _)| *p);
        let parts = parts
            .iter()
            .map(|(p, route)| {
                let mut spots: Vec<(Spot, [(usize, i8); 2])> = self
                    .path(route.start, p, memo)
                    .into_iter()
                    .chain(route.up.iter().map(|&u| Spot::Node(u)))
                    .map(|s| (s, p.slots))
                    .collect();
                if let Some(partner) = route.partner {
                    let flipped = p.flipped();
                    spots.extend(
                        self.path(partner, &flipped, memo)
                            .into_iter()
                            .map(|s| (s, flipped.slots)),
                    );
                }
                Part {
                    moves: p.moves,
                    spots,
                }
            })
            .collect();
        Witness {
            parts,
            up: first.map_or(0, |p| p.up),
            down: first.map_or(0, |p| p.down),
        }
    }
}

/// (subject, node, slot, count).
type CellKey = (usize, usize, usize, usize);

/// A multiply-rotate hasher for the solver's small integer keys: the
/// searches hash millions of them a day, and SipHash's resistance to
/// chosen keys buys nothing here.
#[derive(Default, Clone, Copy)]
struct Quick(u64);

impl Hasher for Quick {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }

    fn write_u32(&mut self, v: u32) {
        self.write_u64(u64::from(v));
    }

    fn write_i8(&mut self, v: i8) {
        self.write_u64(v as u64);
    }
}

type HashMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<Quick>>;

type Memo = HashMap<(Spot, Pattern), Option<(u64, Option<Spot>)>>;

/// A witness before it is laid out: where the protected side starts, the
/// units above it that move with it, and the partner side's start.
#[derive(Clone, Debug)]
struct Route {
    start: Spot,
    up: Vec<usize>,
    partner: Option<Spot>,
}
