//! Disclosure control: which published cells must be hidden so that no
//! one's usage can be read off a small group.
//!
//! The primary rule hides small or one-sided cells. Secondary suppression
//! then hides more cells of the same view until no hidden cell can be
//! worked out from what the view publishes, totals minus parts included.
//!
//! A view's additive relations ("a node is the sum of its children", "all
//! bands is the sum of the bands") are written as a network: every cell is
//! an edge between two nodes, and each node says that what flows in equals
//! what flows out. What an attacker can change in the hidden cells without
//! contradicting anything published is then a circulation through hidden
//! edges, and how far one hidden cell can move is a maximum flow. Those
//! flows are integral, so they equal the integer bounds an attacker would
//! solve for (the property tests check this against an ILP solver).

use serde::{Deserialize, Serialize};

use crate::metrics::Counts;

/// The smallest group a cell may describe, by default.
pub const DEFAULT_K: u32 = 10;
/// The fewest active, and the fewest inactive, people a cell may show.
pub const MIN_EACH_SIDE: u32 = 3;
/// How wide the range of values a hidden count could take must be, given
/// everything published.
pub const MIN_RANGE: u32 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disclosure {
    pub k: u32,
}

impl Default for Disclosure {
    fn default() -> Self {
        Self { k: DEFAULT_K }
    }
}

/// The additive relations of a view, as a network whose edges are cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relations {
    nodes: usize,
    /// Per cell: the node it leaves and the node it enters.
    edges: Vec<(usize, usize)>,
}

impl Relations {
    /// A total and its parts. Cell 0 is the total; cells `1..=parts` are
    /// the parts.
    pub fn total_of(parts: usize) -> Self {
        let mut edges = vec![(1, 0)];
        edges.extend((0..parts).map(|_| (0, 1)));
        Self { nodes: 2, edges }
    }

    /// A table with its margins: `rows + 1` rows by `cols + 1` columns,
    /// where the last row holds the column totals and the last column the
    /// row totals. Cell `(r, c)` is index `r * (cols + 1) + c`.
    pub fn table(rows: usize, cols: usize) -> Self {
        // Nodes: rows 0..rows, the totals row, columns, the totals column.
        let row = |r: usize| r;
        let col = |c: usize| rows + 1 + c;
        let mut edges = Vec::with_capacity((rows + 1) * (cols + 1));
        for r in 0..=rows {
            for c in 0..=cols {
                edges.push(match (r == rows, c == cols) {
                    (false, false) => (row(r), col(c)),
                    // A row total feeds its row from the totals column.
                    (false, true) => (col(cols), row(r)),
                    // A column total drains its column into the totals row.
                    (true, false) => (col(c), row(rows)),
                    (true, true) => (row(rows), col(cols)),
                });
            }
        }
        Self {
            nodes: rows + 1 + cols + 1,
            edges,
        }
    }

    pub fn cells(&self) -> usize {
        self.edges.len()
    }

    /// Every relation as the cells entering and leaving one node.
    pub fn constraints(&self) -> Vec<(Vec<usize>, Vec<usize>)> {
        (0..self.nodes)
            .map(|n| {
                let into = (0..self.edges.len())
                    .filter(|&e| self.edges[e].1 == n)
                    .collect();
                let out = (0..self.edges.len())
                    .filter(|&e| self.edges[e].0 == n)
                    .collect();
                (into, out)
            })
            .collect()
    }

    /// How far hidden cell `cell` could move, down plus up, given the
    /// published cells, the other hidden cells' freedom and that no count
    /// is negative; capped at [`MIN_RANGE`].
    pub fn range(&self, hidden: &[bool], values: &[u32], cell: usize) -> u32 {
        let (from, to) = self.edges[cell];
        let up = self.max_flow(hidden, values, cell, to, from, MIN_RANGE);
        if up >= MIN_RANGE {
            return MIN_RANGE;
        }
        let limit = (MIN_RANGE - up).min(values[cell]);
        up + self.max_flow(hidden, values, cell, from, to, limit)
    }

    /// The cheapest published cells to hide so that hidden cell `weak`
    /// can grow by [`MIN_RANGE`] on both sides: a path back from the node
    /// it enters to the node it leaves, where any cell may be walked
    /// forward (it could grow without bound) and a cell holding at least
    /// [`MIN_RANGE`] active and inactive people may be walked backward.
    /// Hidden cells cost nothing, a published one its eligible count plus
    /// one. `None` if no such path.
    fn cheapest_cover(&self, hidden: &[bool], cells: &[Counts], weak: usize) -> Option<Vec<usize>> {
        let (from, to) = self.edges[weak];
        let n = self.nodes;
        let mut best = vec![u64::MAX; n];
        let mut via: Vec<Option<(usize, usize)>> = vec![None; n];
        let mut done = vec![false; n];
        best[to] = 0;
        while let Some(u) = (0..n)
            .filter(|&u| !done[u] && best[u] != u64::MAX)
            .min_by_key(|&u| best[u])
        {
            done[u] = true;
            for (e, &(a, b)) in self.edges.iter().enumerate() {
                if e == weak {
                    continue;
                }
                let next = if a == u {
                    b
                } else if b == u && sides(&cells[e]).iter().all(|&v| v >= MIN_RANGE) {
                    a
                } else {
                    continue;
                };
                let cost = if hidden[e] {
                    0
                } else {
                    u64::from(cells[e].eligible) + 1
                };
                if best[u] + cost < best[next] {
                    best[next] = best[u] + cost;
                    via[next] = Some((e, u));
                }
            }
        }
        if best[from] == u64::MAX {
            return None;
        }
        let mut path = Vec::new();
        let mut node = from;
        while let Some((e, prev)) = via[node] {
            if !hidden[e] {
                path.push(e);
            }
            node = prev;
        }
        Some(path)
    }

    /// The flow from `source` to `sink`, up to `limit`, through the hidden
    /// cells other than `skip`: a hidden cell may grow without bound and
    /// shrink by its value.
    fn max_flow(
        &self,
        hidden: &[bool],
        values: &[u32],
        skip: usize,
        source: usize,
        sink: usize,
        limit: u32,
    ) -> u32 {
        let n = self.nodes;
        let mut cap = vec![0u32; n * n];
        for (e, &(a, b)) in self.edges.iter().enumerate() {
            if e != skip && hidden[e] {
                cap[a * n + b] = u32::MAX;
                cap[b * n + a] = cap[b * n + a].saturating_add(values[e]);
            }
        }
        let mut flow = 0;
        while flow < limit {
            // Breadth-first search for a path with spare capacity.
            let mut prev = vec![usize::MAX; n];
            prev[source] = source;
            let mut queue = std::collections::VecDeque::from([source]);
            while let Some(u) = queue.pop_front() {
                for v in 0..n {
                    if prev[v] == usize::MAX && cap[u * n + v] > 0 {
                        prev[v] = u;
                        queue.push_back(v);
                    }
                }
            }
            if prev[sink] == usize::MAX {
                break;
            }
            let mut push = limit - flow;
            let mut v = sink;
            while v != source {
                push = push.min(cap[prev[v] * n + v]);
                v = prev[v];
            }
            let mut v = sink;
            while v != source {
                let u = prev[v];
                cap[u * n + v] = cap[u * n + v].saturating_sub(push);
                cap[v * n + u] = cap[v * n + u].saturating_add(push);
                v = u;
            }
            flow += push;
        }
        flow
    }
}

/// The two counts a hidden cell protects: who is active, and who is not.
fn sides(c: &Counts) -> [u32; 2] {
    [c.active28, c.eligible.saturating_sub(c.active28)]
}

impl Disclosure {
    /// The primary rule: fewer than k eligible, or fewer than 3 active or 3
    /// inactive (which covers 0% and 100%), hides the cell and every
    /// metric in it. A cell with nobody eligible (not yet live) describes
    /// no one and is shown as it is.
    pub fn primary_suppressed(&self, c: &Counts) -> bool {
        c.eligible > 0
            && (c.eligible < self.k
                || c.active28 < MIN_EACH_SIDE
                || c.eligible.saturating_sub(c.active28) < MIN_EACH_SIDE)
    }

    /// One cell on its own, by the primary rule: its counts, or `None`
    /// for `[c]`.
    pub fn publish(&self, c: Counts) -> Option<Counts> {
        (!self.primary_suppressed(&c)).then_some(c)
    }

    /// Which cells of a view to hide. The primary rule first; then, while
    /// some hidden cell's active or inactive count could be narrowed to
    /// fewer than [`MIN_RANGE`] values, hide the published cell that
    /// widens it most, the smallest first on ties.
    pub fn suppress(&self, relations: &Relations, cells: &[Counts]) -> Vec<bool> {
        let mut hidden: Vec<bool> = cells.iter().map(|c| self.primary_suppressed(c)).collect();
        let values: [Vec<u32>; 2] = [0, 1].map(|s| cells.iter().map(|c| sides(c)[s]).collect());
        let range = |hidden: &[bool], cell: usize| {
            values
                .iter()
                .map(|v| relations.range(hidden, v, cell))
                .min()
                .unwrap_or(MIN_RANGE)
        };
        let mut given_up = vec![false; cells.len()];
        while let Some(weak) =
            (0..cells.len()).find(|&i| hidden[i] && !given_up[i] && range(&hidden, i) < MIN_RANGE)
        {
            match relations.cheapest_cover(&hidden, cells, weak) {
                Some(more) => more.into_iter().for_each(|i| hidden[i] = true),
                None => given_up[weak] = true,
            }
        }
        hidden
    }

    /// A total and its parts as published: `None` is `[c]`.
    pub fn publish_total_of(
        &self,
        total: Counts,
        parts: &[Counts],
    ) -> (Option<Counts>, Vec<Option<Counts>>) {
        if parts.is_empty() {
            // Nothing published beside it: the primary rule alone.
            return (self.publish(total), Vec::new());
        }
        let cells: Vec<Counts> = std::iter::once(total)
            .chain(parts.iter().copied())
            .collect();
        let hidden = self.suppress(&Relations::total_of(parts.len()), &cells);
        let mut out = cells
            .into_iter()
            .zip(hidden)
            .map(|(c, h)| (!h).then_some(c));
        let total = out.next().flatten();
        (total, out.collect())
    }
}

#[cfg(test)]
mod tests;
