//! The search for a witness: the routes a move can take through the tree,
//! the room each cell leaves, the cheapest that fits, and the check that it
//! holds.

use super::{
    ALL, Day, Kind, RANGE, Target,
    moves::{HashMap, Memo, Moves, Part, Pattern, Route, Spot, Witness},
};

/// How many times its size hiding one of the force's band cells costs: the
/// force's figures go last. (Its all-ages cells, the headline every
/// account sees, are never hidden to make a witness; see `feasible`.)
const FORCE_BAND_WEIGHT: u64 = 10;

impl Day<'_> {
    /// Checks a witness against every relation at every cell it touches,
    /// moved as far up and as far down as it claims: counts in order and
    /// within eligible, and each (eligible too) of a tool within its
    /// product's, within all tools'.
    pub(super) fn holds(&self, w: &Witness) -> bool {
        self.shifts(w).iter().all(|(&(spot, slot), deltas)| {
            [i64::from(w.up), -i64::from(w.down)].iter().all(|&by| {
                let value = |s: usize| {
                    let mut v = self.counts(spot, s, slot).ordered().map(i64::from);
                    if let Some(d) = deltas.get(&s) {
                        for i in 0..4 {
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
                            .all(|&a| (0..4).all(|i| value(a)[i] >= v[i]))
                })
            })
        })
    }

    /// Per cell (spot and slot) and subject, how each count moves per step
    /// of a witness.
    pub(super) fn shifts(&self, w: &Witness) -> HashMap<(Spot, usize), HashMap<usize, [i64; 4]>> {
        let mut moved: HashMap<(Spot, usize), HashMap<usize, [i64; 4]>> = HashMap::default();
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
        moved
    }

    /// How far a move's counts can go in one direction at one spot and
    /// slot, up to [`RANGE`]: each count stays within its neighbours that
    /// do not move with it (active-7 ≤ active-28 ≤ reached ≤ eligible),
    /// and within the subjects above and below it that do not. Eligible
    /// has nothing above it in its own cell.
    pub(super) fn room(&self, spot: Spot, slot: usize, p: &Pattern, dir: i8) -> u32 {
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
                    if i < 3 && !along.has(m, i + 1) {
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

    pub(super) fn feasible(&self, spot: Spot, p: &Pattern) -> bool {
        if let Some(g) = p.guard
            && self.shape.guards[g].fixed[spot.node()]
        {
            return false;
        }
        if !p.headline && self.hides_headline(spot, p) {
            return false;
        }
        p.slots.iter().all(|&(slot, sign)| {
            (p.up == 0 || self.room(spot, slot, p, sign) >= p.up)
                && (p.down == 0 || self.room(spot, slot, p, -sign) >= p.down)
        })
    }

    /// What hiding a spot's cells for the pattern costs: each cell not yet
    /// hidden that cannot stay published within its bands, weighted by its
    /// size (hiding a command costs more than a team).
    pub(super) fn cost(&self, spot: Spot, p: &Pattern) -> u64 {
        let Spot::Node(u) = spot else { return 0 };
        let mut cost = 0;
        for (slot, sign) in p.slots {
            for s in p.moves.subjects() {
                let i = self.at(s, u, slot);
                let d = p.moves.step(s, sign);
                if !self.hidden[i] && !self.stays(i, d, p.up, p.down) {
                    let weight = match self.shape.parent[u] {
                        None => FORCE_BAND_WEIGHT,
                        Some(_) => 1,
                    };
                    cost += (u64::from(self.cells[i].eligible) + 1) * weight;
                }
            }
        }
        cost
    }

    /// Whether the pattern would hide one of the force's published all-ages
    /// cells. Only the force outside a scope may (see `Pattern::headline`);
    /// any other target whose only witnesses would is left without one: the
    /// chains of moves the shapes do not build protect it (the attacker
    /// tests check, and `Plan::stuck` counts them).
    fn hides_headline(&self, spot: Spot, p: &Pattern) -> bool {
        let Spot::Node(u) = spot else { return false };
        self.shape.parent[u].is_none()
            && p.slots.iter().any(|&(slot, sign)| {
                slot == ALL
                    && p.moves.subjects().any(|s| {
                        let i = self.at(s, u, ALL);
                        !self.hidden[i] && !self.stays(i, p.moves.step(s, sign), p.up, p.down)
                    })
            })
    }

    /// The cheapest path from a spot down to a leaf along which the pattern
    /// can move, as its cost.
    pub(super) fn descend(&self, spot: Spot, p: &Pattern, memo: &mut Memo) -> Option<u64> {
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
                Spot::Node(u) => {
                    // The cheapest way down; nothing beats a free one.
                    let mut best: Option<(u64, Spot)> = None;
                    for next in std::iter::once(Spot::Rest(u))
                        .chain(self.shape.children[u].iter().map(|&c| Spot::Node(c)))
                    {
                        if let Some(c) = self.descend(next, p, memo)
                            && best.is_none_or(|(b, _)| c < b)
                        {
                            best = Some((c, next));
                            if c == 0 {
                                break;
                            }
                        }
                    }
                    best.map(|(c, next)| (own + c, Some(next)))
                }
            }
        };
        memo.insert((spot, *p), found);
        found.map(|(cost, _)| cost)
    }

    pub(super) fn path(&self, mut spot: Spot, p: &Pattern, memo: &Memo) -> Vec<Spot> {
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
    pub(super) fn witness(
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
        // A run ending at eligible moves whole people in or out.
        let runs: &[(usize, usize)] = match count {
            0 => &[(0, 0), (0, 1), (0, 2), (0, 3)],
            1 => &[(1, 1), (0, 1), (1, 2), (0, 2), (1, 3), (0, 3)],
            2 => &[(2, 2), (1, 2), (0, 2), (2, 3), (1, 3), (0, 3)],
            _ => &[(3, 3), (2, 3), (1, 3), (0, 3)],
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
        let mut memo = Memo::with_capacity_and_hasher(1 << 12, Default::default());
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
                    headline: matches!(target.kind, Kind::Root(_)),
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
    /// person made active in 7 days is active in 28, and where everyone is
    /// active, one more person), and the same count of the subjects it
    /// would pass (a product cannot fall below its tool), until nothing
    /// more is dragged along. `None` where the spot has no room for it at
    /// all.
    pub(super) fn natural(
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
                                if i < 3
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
    pub(super) fn route(
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
                        cross: None,
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
                    let partners: Vec<Spot> = partners.collect();
                    for &partner in &partners {
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
                                    cross: None,
                                },
                                &mut best,
                            );
                        }
                    }
                    // Cross swaps: the partner moves in another band, so
                    // all ages meets here and the two bands go on to the
                    // root.
                    for (band, over_cost) in self.crossings(p, at) {
                        let limit = best.as_ref().map_or(bound, |(c, _)| (*c).min(bound));
                        if d1 + up_cost + over_cost >= limit {
                            continue;
                        }
                        let other = p.crossed(band);
                        for &partner in &partners {
                            if let Some(d2) = self.descend(partner, &other, memo) {
                                consider(
                                    d1 + up_cost + over_cost + d2,
                                    Route {
                                        start,
                                        up: up.clone(),
                                        partner: Some(partner),
                                        cross: Some(band),
                                    },
                                    &mut best,
                                );
                            }
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
                                    cross: None,
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

    /// For a move of one band and all ages, the other bands a partner
    /// under `at` could move instead, each with what it costs to carry the
    /// two bands from `at` up to the root (all ages cancels at `at`).
    fn crossings(&self, p: &Pattern, at: usize) -> Vec<(usize, u64)> {
        let [(band, 1), (ALL, 1)] = p.slots else {
            return Vec::new();
        };
        (0..ALL)
            .filter(|&b| b != band)
            .filter_map(|b| {
                let over = p.over(b);
                let cost = self
                    .to_root(at)
                    .map(|u| {
                        self.feasible(Spot::Node(u), &over)
                            .then(|| self.cost(Spot::Node(u), &over))
                    })
                    .sum::<Option<u64>>()?;
                Some((b, cost))
            })
            .collect()
    }

    pub(super) fn build(&self, parts: &[(Pattern, Route)], memo: &Memo) -> Witness {
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
                    let other = route.cross.map_or_else(|| p.flipped(), |b| p.crossed(b));
                    spots.extend(
                        self.path(partner, &other, memo)
                            .into_iter()
                            .map(|s| (s, other.slots)),
                    );
                }
                // A cross swap's two bands, from where its sides meet (the
                // partner's parent, or the unit whose rest it is) up.
                if let (Some(b), Some(partner)) = (route.cross, route.partner) {
                    let meet = match partner {
                        Spot::Rest(u) => Some(u),
                        Spot::Node(u) => self.shape.parent[u],
                    };
                    let over = p.over(b);
                    spots.extend(
                        meet.into_iter()
                            .flat_map(|m| self.to_root(m))
                            .map(|u| (Spot::Node(u), over.slots)),
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
