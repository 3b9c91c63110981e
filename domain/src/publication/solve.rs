//! Protecting one subject's cells in one view: the flows, and the covers
//! that hide more cells where they fall short.

use std::collections::HashSet;

use super::{
    DayCells, SubjectLinks, View, edge_counts,
    network::{self, EdgeKind, EdgeValue, MOVABLE, Network, Rooms, Solver, State},
    primary_fails,
};
use crate::{disclosure::Disclosure, metrics::Counts, rollup::BAND_SLOTS};

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
pub(super) fn solve(
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
