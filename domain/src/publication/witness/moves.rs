//! The pieces a witness is made of: which counts of which subjects it
//! moves, the spots and slots it touches, and the search's keys.

use std::hash::{BuildHasherDefault, Hasher};

use super::super::SubjectLinks;

/// Which counts of which subjects a move changes: four bits per subject
/// index (active-7, active-28, reached, eligible).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub(super) struct Moves(pub(super) u128);

impl Moves {
    /// Subjects a mask can hold.
    pub(super) const SUBJECTS: usize = 32;

    pub(super) fn has(self, s: usize, count: usize) -> bool {
        self.0 & (1 << (4 * s + count)) != 0
    }

    pub(super) fn with(self, s: usize, count: usize) -> Self {
        Self(self.0 | 1 << (4 * s + count))
    }

    /// How a subject's counts move per step on a slot of the given sign.
    pub(super) fn step(self, s: usize, sign: i8) -> [i64; 4] {
        [0, 1, 2, 3].map(|c| if self.has(s, c) { i64::from(sign) } else { 0 })
    }

    /// A run of counts of each subject in a set.
    pub(super) fn run(set: u32, (lo, hi): (usize, usize)) -> Self {
        (0..Self::SUBJECTS)
            .filter(|&s| set & (1 << s) != 0)
            .fold(Self::default(), |m, s| {
                (lo..=hi).fold(m, |m, c| m.with(s, c))
            })
    }

    /// The subjects with a count that moves.
    pub(super) fn subjects(self) -> impl Iterator<Item = usize> {
        (0..Self::SUBJECTS).filter(move |&s| (self.0 >> (4 * s)) & 15 != 0)
    }

    pub(super) fn counts(self, s: usize) -> impl Iterator<Item = usize> {
        (0..4).filter(move |&c| self.has(s, c))
    }

    /// Only the subjects in a set.
    pub(super) fn only(self, set: u32) -> Self {
        let keep = (0..Self::SUBJECTS)
            .filter(|&s| set & (1 << s) != 0)
            .fold(0u128, |m, s| m | 15 << (4 * s));
        Self(self.0 & keep)
    }

    pub(super) fn set(self) -> u32 {
        self.subjects().fold(0, |acc, s| acc | 1 << s)
    }
}

/// A leaf of the move, or a unit on a path.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(super) enum Spot {
    Node(usize),
    /// A unit's own members, in no child.
    Rest(usize),
}

impl Spot {
    pub(super) fn node(self) -> usize {
        match self {
            Spot::Node(u) | Spot::Rest(u) => u,
        }
    }
}

/// What a witness moves, and how far it must reach.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(super) struct Pattern {
    /// The two slots it changes and the sign of each on the protected
    /// side.
    pub(super) slots: [(usize, i8); 2],
    /// The counts of each subject it moves.
    pub(super) moves: Moves,
    /// How far it must reach up and down.
    pub(super) up: u32,
    pub(super) down: u32,
    /// The guard whose fixed units it avoids.
    pub(super) guard: Option<usize>,
    /// What moves with this route at the protected spot (other groups,
    /// each along its own route), so that the room there need not keep
    /// them apart.
    pub(super) exempt: Moves,
    pub(super) exempt_at: Option<Spot>,
    /// Whether it may hide the force's all-ages cells: only to protect the
    /// force outside a scope, which nothing else moves.
    pub(super) headline: bool,
}

impl Pattern {
    pub(super) fn flipped(self) -> Self {
        Self {
            slots: self.slots.map(|(slot, sign)| (slot, -sign)),
            ..self
        }
    }

    /// A cross swap's partner side: the opposite move in another band and
    /// all ages.
    pub(super) fn crossed(self, band: usize) -> Self {
        let [_, all] = self.slots;
        Self {
            slots: [(band, -1), (all.0, -1)],
            ..self
        }
    }

    /// A cross swap above where its two sides meet: the target's band one
    /// way and the partner's the other; all ages does not move.
    pub(super) fn over(self, band: usize) -> Self {
        let [own, _] = self.slots;
        Self {
            slots: [own, (band, -1)],
            ..self
        }
    }
}

/// One found witness: per set of subjects, the cells it touches with
/// their signs, and how far it moves the run of counts.
pub(super) struct Witness {
    pub(super) parts: Vec<Part>,
    pub(super) up: u32,
    pub(super) down: u32,
}

impl Witness {
    /// The units it touches.
    pub(super) fn nodes(&self) -> impl Iterator<Item = usize> + '_ {
        self.parts
            .iter()
            .flat_map(|part| part.spots.iter().map(|(spot, _)| spot.node()))
    }
}

/// The counts one route moves, and the cells.
#[derive(Clone)]
pub(super) struct Part {
    pub(super) moves: Moves,
    pub(super) spots: Vec<(Spot, [(usize, i8); 2])>,
}

/// Subjects as the solver sees them: one of each twin, with the ones above
/// and below it.
pub(super) struct Subjects {
    pub(super) canonical: Vec<usize>,
    pub(super) above: Vec<Vec<usize>>,
    pub(super) below: Vec<Vec<usize>>,
}

impl Subjects {
    pub(super) fn of(links: &SubjectLinks) -> Self {
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
    pub(super) fn sets(&self, s: usize) -> Vec<u32> {
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
    pub(super) fn groupings(&self, set: u32) -> Vec<Vec<u32>> {
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

/// (subject, node, slot, count).
pub(super) type CellKey = (usize, usize, usize, usize);

/// A multiply-rotate hasher for the solver's small integer keys: the
/// searches hash millions of them a day, and SipHash's resistance to
/// chosen keys buys nothing here.
#[derive(Default, Clone, Copy)]
pub(super) struct Quick(u64);

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

    fn write_u128(&mut self, v: u128) {
        self.write_u64(v as u64);
        self.write_u64((v >> 64) as u64);
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

pub(super) type HashMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<Quick>>;

pub(super) type Memo = HashMap<(Spot, Pattern), Option<(u64, Option<Spot>)>>;

/// A witness before it is laid out: where the protected side starts, the
/// units above it that move with it, and the partner side's start.
#[derive(Clone, Debug)]
pub(super) struct Route {
    pub(super) start: Spot,
    pub(super) up: Vec<usize>,
    pub(super) partner: Option<Spot>,
    /// A cross swap: the band the partner moves in, from the meeting unit
    /// up to the root.
    pub(super) cross: Option<usize>,
}
