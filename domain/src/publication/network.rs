//! One account class's view of one subject on one day, as a flow network.
//!
//! Every cell the view can derive is an edge: a unit's cell per band slot,
//! and the remainder of each unit whose visible children do not cover it
//! (direct members, restricted units, units outside the scope). Every
//! additive relation is a node whose inflow equals its outflow:
//! - `T(n, band)`: a unit's band is the sum of its visible children's and
//!   its remainder's, for each band and for all ages;
//! - `R(x)`: a leaf's or remainder's all-ages cell is the sum of its bands
//!   (a unit with children gets this from its parts);
//! - `Z(top)`: the same for each top of the view.
//!
//! Anyone who knows the published cells can change hidden ones only along
//! a circulation through them. A circulation moves one family of counts
//! (a contiguous run of active-7, active-28, reached) by the same amount,
//! keeping eligible and every other count as they are, so it must respect
//! each cell's order (active-7 ≤ active-28 ≤ reached ≤ eligible) and the
//! subjects around it (a tool ≤ its product ≤ all tools). The largest
//! such change up and down is a bounded maximum flow; it is a lower bound
//! on what an integer programme over the same knowledge finds.

use std::collections::{BinaryHeap, VecDeque};

use crate::{
    metrics::Counts,
    rollup::{ALL_BANDS, BAND_SLOTS},
};

/// The counts a circulation may move, in order; eligible stays fixed.
pub(super) const MOVABLE: usize = 3;

/// Runs of [`MOVABLE`] counts that move together: `(first, last)`. The
/// whole run first, since it protects all three counts at once.
/// A run moves one kind of person: active-7 (all three), active-28 only,
/// reached only, or in between.
const FAMILIES: [(usize, usize); 6] = [(0, 2), (0, 0), (1, 1), (2, 2), (0, 1), (1, 2)];

/// What an edge stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EdgeKind {
    /// A unit's cell in one band slot: published or hidden.
    Unit { node: usize, slot: usize },
    /// A unit's remainder in one band slot: never published.
    Remainder { node: usize, slot: usize },
}

/// The relations of one view of the tree; the same for every subject and
/// every day the tree stands still.
#[derive(Debug, Clone)]
pub(super) struct Network {
    nodes: usize,
    pub edges: Vec<(usize, usize)>,
    pub kinds: Vec<EdgeKind>,
    adjacent: Vec<Vec<usize>>,
    /// What hiding an edge costs: its eligible count plus one, set per
    /// day by [`Network::weigh`].
    weight: Vec<u64>,
}

impl Network {
    /// The network of a view: `parent` is each visible unit's nearest
    /// visible ancestor (`None` for a top), in `visible` order.
    pub fn new(visible: &[usize], parent: &[Option<usize>]) -> Self {
        let mut position = std::collections::HashMap::new();
        for (i, &n) in visible.iter().enumerate() {
            position.insert(n, i);
        }
        let mut has_children = vec![false; visible.len()];
        for p in parent.iter().flatten() {
            has_children[position[p]] = true;
        }
        let mut nodes = 0usize;
        let mut fresh = |count: usize| {
            let first = nodes;
            nodes += count;
            first
        };
        // T(n, slot) for units with children; R(x) for leaves; Z for tops.
        let sums: Vec<Option<usize>> = has_children
            .iter()
            .map(|&h| h.then(|| fresh(BAND_SLOTS)))
            .collect();
        let rows: Vec<Option<usize>> = has_children
            .iter()
            .map(|&h| (!h).then(|| fresh(1)))
            .collect();
        let tops: Vec<Option<usize>> = parent
            .iter()
            .map(|p| p.is_none().then(|| fresh(1)))
            .collect();
        let remainder_rows: Vec<Option<usize>> =
            has_children.iter().map(|&h| h.then(|| fresh(1))).collect();
        let mut edges = Vec::new();
        let mut kinds = Vec::new();
        for (i, &n) in visible.iter().enumerate() {
            for slot in 0..BAND_SLOTS {
                let inner = match sums[i] {
                    Some(t) => t + slot,
                    None => rows[i].unwrap_or_default(),
                };
                let outer = match parent[i] {
                    Some(p) => sums[position[&p]].unwrap_or_default() + slot,
                    None => tops[i].unwrap_or_default(),
                };
                // Bands flow up into the parent's sum; all ages flows down.
                edges.push(if slot == ALL_BANDS {
                    (outer, inner)
                } else {
                    (inner, outer)
                });
                kinds.push(EdgeKind::Unit { node: n, slot });
            }
            if let (Some(t), Some(r)) = (sums[i], remainder_rows[i]) {
                for slot in 0..BAND_SLOTS {
                    edges.push(if slot == ALL_BANDS {
                        (t + ALL_BANDS, r)
                    } else {
                        (r, t + slot)
                    });
                    kinds.push(EdgeKind::Remainder { node: n, slot });
                }
            }
        }
        let mut adjacent = vec![Vec::new(); nodes];
        for (e, &(a, b)) in edges.iter().enumerate() {
            adjacent[a].push(e);
            adjacent[b].push(e);
        }
        Self {
            nodes,
            weight: vec![1; edges.len()],
            edges,
            kinds,
            adjacent,
        }
    }

    /// Sets what hiding each edge costs from its eligible counts.
    pub fn weigh(&mut self, eligible: impl Iterator<Item = u32>) {
        for (w, e) in self.weight.iter_mut().zip(eligible) {
            *w = u64::from(e) + 1;
        }
    }
}

/// One edge's counts in one subject, and how far the subjects outside the
/// moving set let each movable count go: `upper[c]` from the products
/// and all tools above it, `lower[c]` from the tools or products below.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct EdgeValue {
    pub counts: Counts,
    pub upper: [u32; MOVABLE],
    pub lower: [u32; MOVABLE],
}

impl EdgeValue {
    fn value(&self, c: usize) -> u32 {
        self.counts.ordered()[c]
    }

    /// How far the run `first..=last` can rise by itself.
    fn up(&self, (first, last): (usize, usize)) -> u32 {
        let mut room = self.value(last + 1).saturating_sub(self.value(last));
        for c in first..=last {
            room = room.min(self.upper[c].saturating_sub(self.value(c)));
        }
        room
    }

    /// How far the run `first..=last` can fall by itself.
    fn down(&self, (first, last): (usize, usize)) -> u32 {
        let floor = if first == 0 { 0 } else { self.value(first - 1) };
        let mut room = self.value(first).saturating_sub(floor);
        for c in first..=last {
            room = room.min(self.value(c).saturating_sub(self.lower[c]));
        }
        room
    }
}

/// How far each edge can move in each family when a set of subjects moves
/// together (a person active in a tool is active in its product and in all
/// tools): the least room over the set.
#[derive(Debug, Clone)]
pub(super) struct Rooms {
    up: Vec<[u32; FAMILIES.len()]>,
    down: Vec<[u32; FAMILIES.len()]>,
}

impl Rooms {
    /// `values[i][e]`: edge `e`'s value in the set's i-th subject.
    pub fn new(values: &[Vec<EdgeValue>]) -> Self {
        let edges = values.first().map_or(0, Vec::len);
        let mut up = vec![[u32::MAX; FAMILIES.len()]; edges];
        let mut down = vec![[u32::MAX; FAMILIES.len()]; edges];
        for subject in values {
            for (e, v) in subject.iter().enumerate() {
                for (f, &family) in FAMILIES.iter().enumerate() {
                    up[e][f] = up[e][f].min(v.up(family));
                    down[e][f] = down[e][f].min(v.down(family));
                }
            }
        }
        Self { up, down }
    }
}

/// What each edge is to the viewer of this network, over the moving set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    /// Published or shown in some subject of the set: known exactly.
    Known,
    /// Published in this many subjects of the set, and could be hidden.
    Hideable(u32),
    /// Hidden or never published in every subject of the set.
    Free,
}

/// The range each movable count of an edge could take, up and down.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Reach {
    pub up: [u32; MOVABLE],
    pub down: [u32; MOVABLE],
}

impl Reach {
    pub fn merge(&mut self, other: &Reach) {
        for c in 0..MOVABLE {
            self.up[c] = self.up[c].max(other.up[c]);
            self.down[c] = self.down[c].max(other.down[c]);
        }
    }

    /// The first count whose range falls short of `need`.
    pub fn short(&self, need: u32) -> Option<usize> {
        (0..MOVABLE).find(|&c| self.up[c] + self.down[c] < need)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Up,
    Down,
}

/// Flows over one network for one moving set of subjects.
pub(super) struct Solver<'a> {
    pub net: &'a Network,
    rooms: &'a Rooms,
    pub states: Vec<State>,
    flow: Vec<i64>,
    touched: Vec<usize>,
    prev: Vec<Option<(usize, bool)>>,
    seen: Vec<u32>,
    stamp: u32,
}

impl<'a> Solver<'a> {
    pub fn new(net: &'a Network, rooms: &'a Rooms, states: Vec<State>) -> Self {
        Self {
            net,
            rooms,
            states,
            flow: vec![0; net.edges.len()],
            touched: Vec::new(),
            prev: vec![None; net.nodes],
            seen: vec![0; net.nodes],
            stamp: 0,
        }
    }

    fn own(&self, e: usize, f: usize, dir: Direction) -> u32 {
        match dir {
            Direction::Up => self.rooms.up[e][f],
            Direction::Down => self.rooms.down[e][f],
        }
    }

    /// How far free edge `x` can move, per count, up to `need` each way.
    pub fn reach(&mut self, x: usize, need: u32) -> Reach {
        let mut r = Reach::default();
        if self.states[x] != State::Free {
            return r;
        }
        for (f, &(first, last)) in FAMILIES.iter().enumerate() {
            if (first..=last).all(|c| r.up[c] + r.down[c] >= need) {
                continue;
            }
            let up = self.flow_of(x, f, Direction::Up, need);
            let down = self.flow_of(x, f, Direction::Down, need);
            for c in first..=last {
                r.up[c] = r.up[c].max(up);
                r.down[c] = r.down[c].max(down);
            }
        }
        r
    }

    /// Residual room on free edge `e`, walked forward or backward.
    fn room(&self, e: usize, forward: bool, f: usize) -> i64 {
        if forward {
            i64::from(self.rooms.up[e][f]) - self.flow[e]
        } else {
            i64::from(self.rooms.down[e][f]) + self.flow[e]
        }
    }

    /// The flow that can move `x` in `dir`, up to `limit`.
    fn flow_of(&mut self, x: usize, f: usize, dir: Direction, limit: u32) -> u32 {
        let total = self.push_flow(x, f, dir, limit);
        self.reset_flow();
        total
    }

    fn reset_flow(&mut self) {
        for e in self.touched.drain(..) {
            self.flow[e] = 0;
        }
    }

    fn ends(&self, x: usize, dir: Direction) -> (usize, usize) {
        let (a, b) = self.net.edges[x];
        match dir {
            Direction::Up => (b, a),
            Direction::Down => (a, b),
        }
    }

    /// Pushes up to `limit` units of flow moving `x` in `dir`, and leaves
    /// it in place for [`Self::cheapest`] to search the residual network.
    fn push_flow(&mut self, x: usize, f: usize, dir: Direction, limit: u32) -> u32 {
        let limit = limit.min(self.own(x, f, dir));
        let (source, sink) = self.ends(x, dir);
        let mut total = 0;
        while total < limit && self.search(x, f, source, sink) {
            // Every step has room of at least one; push one unit.
            let mut node = sink;
            while let Some((e, forward)) = self.prev[node] {
                self.flow[e] += if forward { 1 } else { -1 };
                self.touched.push(e);
                node = if forward {
                    self.net.edges[e].0
                } else {
                    self.net.edges[e].1
                };
            }
            total += 1;
        }
        total
    }

    /// Breadth-first search for a path with room through free edges.
    fn search(&mut self, skip: usize, f: usize, source: usize, sink: usize) -> bool {
        self.stamp += 1;
        let stamp = self.stamp;
        self.seen[source] = stamp;
        self.prev[source] = None;
        let mut queue = VecDeque::from([source]);
        while let Some(u) = queue.pop_front() {
            for &e in &self.net.adjacent[u] {
                if e == skip || self.states[e] != State::Free {
                    continue;
                }
                let (a, b) = self.net.edges[e];
                let (next, forward) = if a == u { (b, true) } else { (a, false) };
                if self.seen[next] == stamp || self.room(e, forward, f) <= 0 {
                    continue;
                }
                self.seen[next] = stamp;
                self.prev[next] = Some((e, forward));
                if next == sink {
                    return true;
                }
                queue.push_back(next);
            }
        }
        false
    }

    /// The cheapest way to widen count `c` of `x` by one more step:
    /// `(cost, hideable edges to hide)`, where `x` itself may be among
    /// them (hidden in one subject of the set but not another).
    pub fn cover(&mut self, x: usize, c: usize, need: u32) -> Option<(u64, Vec<usize>)> {
        if self.states[x] == State::Known {
            return None;
        }
        let own_cost = match self.states[x] {
            State::Hideable(n) => self.net.weight[x] * u64::from(n),
            _ => 0,
        };
        let mut best: Option<(u64, Vec<usize>)> = None;
        for (f, &(first, last)) in FAMILIES.iter().enumerate() {
            if !(first <= c && c <= last) {
                continue;
            }
            for dir in [Direction::Up, Direction::Down] {
                let own = self.own(x, f, dir);
                let current = if own_cost == 0 {
                    self.push_flow(x, f, dir, need)
                } else {
                    0
                };
                let found = (current < own.min(need))
                    .then(|| self.cheapest(x, f, dir))
                    .flatten();
                self.reset_flow();
                if let Some((cost, mut path)) = found {
                    if own_cost > 0 {
                        path.push(x);
                    }
                    if !path.is_empty() && best.as_ref().is_none_or(|b| cost + own_cost < b.0) {
                        best = Some((cost + own_cost, path));
                    }
                }
            }
        }
        best
    }

    /// Dijkstra over the residual room of free edges (cost 0) and the room
    /// of hideable ones (eligible + 1) in family `f`, for one more unit of
    /// a circulation moving `x` in `dir`.
    fn cheapest(&self, x: usize, f: usize, dir: Direction) -> Option<(u64, Vec<usize>)> {
        let (source, sink) = self.ends(x, dir);
        let n = self.net.nodes;
        let mut best = vec![u64::MAX; n];
        let mut via: Vec<Option<(usize, usize)>> = vec![None; n];
        let mut heap = BinaryHeap::new();
        best[source] = 0;
        heap.push(std::cmp::Reverse((0u64, source)));
        while let Some(std::cmp::Reverse((cost, u))) = heap.pop() {
            if cost > best[u] {
                continue;
            }
            if u == sink {
                break;
            }
            for &e in &self.net.adjacent[u] {
                if e == x || self.states[e] == State::Known {
                    continue;
                }
                let (ea, eb) = self.net.edges[e];
                let (next, forward) = if ea == u { (eb, true) } else { (ea, false) };
                let room = match self.states[e] {
                    State::Free => self.room(e, forward, f),
                    _ => i64::from(if forward {
                        self.rooms.up[e][f]
                    } else {
                        self.rooms.down[e][f]
                    }),
                };
                if room <= 0 {
                    continue;
                }
                let step = match self.states[e] {
                    State::Hideable(n) => self.net.weight[e] * u64::from(n),
                    _ => 0,
                };
                if cost + step < best[next] {
                    best[next] = cost + step;
                    via[next] = Some((e, u));
                    heap.push(std::cmp::Reverse((cost + step, next)));
                }
            }
        }
        if best[sink] == u64::MAX {
            return None;
        }
        let mut path = Vec::new();
        let mut node = sink;
        while let Some((e, prev)) = via[node] {
            if matches!(self.states[e], State::Hideable(_)) {
                path.push(e);
            }
            node = prev;
        }
        Some((best[sink], path))
    }
}
