//! The attacker the tests set on the publication: given everything one
//! account can see, bound each cell it must not learn by integer linear
//! programming, independently of how [`super::Plan`] decided.
//!
//! The attacker knows:
//! - every published cell: eligible, and active-7, active-28 and reached
//!   each exactly or as its band (see [`super::band`]); the cells of units
//!   whose person-level lists it holds, exactly;
//! - nothing of a hidden cell, not even its eligible count: DESIGN.md's
//!   attacker sees what the app shows and nothing else (the app shows a
//!   roster only to those with person-level lists, who see those units'
//!   cells whole);
//! - that a unit is the sum of its visible children and a remainder, that
//!   all ages is the sum of the bands, that active-7 ≤ active-28 ≤ reached
//!   ≤ eligible, and that a tool's counts are at most its product's and a
//!   product's at most all tools'.

use good_lp::{Expression, ProblemVariables, Solution, SolverModel, Variable, microlp, variable};

use super::{SubjectLinks, band, primary_fails};
use crate::{metrics::Counts, rollup::BAND_SLOTS};

/// The counts an attacker must not pin down.
pub const COUNTS: [&str; 3] = ["active-7", "active-28", "reached"];

/// Everything one account knows, over the units it sees.
#[derive(Debug, Clone)]
pub struct Knowledge {
    /// Each visible unit's nearest visible parent, as an index into this
    /// list.
    pub parent: Vec<Option<usize>>,
    /// Per `[unit][slot][subject]`: the published counts, or `None`.
    pub known: Vec<Option<Counts>>,
    /// The true counts of every cell: which the attacker must not learn
    /// where hidden, and which remainders need protecting.
    pub truth: Vec<Counts>,
    /// Units whose cells this account sees whatever the decision.
    pub shown: Vec<bool>,
}

/// A cell an attacker narrows to fewer values than it must keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub unit: usize,
    /// Whether it is the unit's remainder rather than its own cell.
    pub remainder: bool,
    pub slot: usize,
    pub subject: usize,
    pub count: &'static str,
    pub min: u32,
    pub max: u32,
    pub truth: Counts,
}

/// The value of one count of one cell: known, or a variable.
#[derive(Clone, Copy)]
enum Term {
    Known(u32),
    Unknown(Variable),
}

impl Term {
    fn expr(self) -> Expression {
        match self {
            Term::Known(v) => Expression::from(f64::from(v)),
            Term::Unknown(v) => v.into(),
        }
    }
}

/// Every cell the account must not learn that it narrows to fewer than
/// min(2, eligible) + 1 values.
pub fn attack(
    knowledge: &Knowledge,
    links: &SubjectLinks,
    disclosure: &crate::disclosure::Disclosure,
) -> Vec<Finding> {
    attack_upto(knowledge, links, disclosure, usize::MAX)
}

/// The same, stopping once `most` findings are certain (a test that only
/// needs to see a leak need not bound every cell exactly).
pub fn attack_upto(
    knowledge: &Knowledge,
    links: &SubjectLinks,
    disclosure: &crate::disclosure::Disclosure,
    most: usize,
) -> Vec<Finding> {
    let units = knowledge.parent.len();
    let subjects = links.len();
    let at = |u: usize, slot: usize, s: usize| (u * BAND_SLOTS + slot) * subjects + s;
    let children: Vec<Vec<usize>> = (0..units)
        .map(|u| {
            (0..units)
                .filter(|&c| knowledge.parent[c] == Some(u))
                .collect()
        })
        .collect();
    let remainder_truth = |u: usize, slot: usize, s: usize| {
        children[u]
            .iter()
            .fold(knowledge.truth[at(u, slot, s)], |r, &c| {
                r.saturating_sub(&knowledge.truth[at(c, slot, s)])
            })
    };
    // People of a unit's cell that no shown unit under it holds: a hidden
    // cell made only of shown people tells the account nothing new.
    let unseen = |u: usize, slot: usize, s: usize| {
        let mut seen = 0;
        let mut stack = children[u].clone();
        while let Some(c) = stack.pop() {
            if knowledge.shown[c] {
                seen += knowledge.truth[at(c, slot, s)].eligible;
            } else {
                stack.extend(&children[c]);
            }
        }
        knowledge.truth[at(u, slot, s)]
            .eligible
            .saturating_sub(seen)
    };
    // Goals: each count of hidden cells, and of remainders that fail the
    // primary rule, and each banded count, where the account does not see
    // the unit anyway; with the range it needs and the least and greatest
    // values seen in any solution so far (the truth is one).
    let mut goals: Vec<Goal> = Vec::new();
    let mut goal = |cell: TargetCell, need: u32, truth: Counts| {
        let value = truth.ordered()[cell.4];
        goals.push(Goal {
            cell,
            need,
            low: value,
            high: value,
            truth,
        });
    };
    for u in (0..units).filter(|&u| !knowledge.shown[u]) {
        for slot in 0..BAND_SLOTS {
            for s in 0..subjects {
                let truth = knowledge.truth[at(u, slot, s)];
                let unknown = unseen(u, slot, s);
                for count in 0..COUNTS.len() {
                    let value = truth.ordered()[count];
                    let need = match knowledge.known[at(u, slot, s)] {
                        None => Some(2),
                        Some(_) => band(value, truth.eligible).map(|(lo, hi)| hi - lo),
                    };
                    if let Some(need) = need.filter(|_| unknown > 0) {
                        goal((u, false, slot, s, count), need.min(unknown), truth);
                    }
                }
                let rest = remainder_truth(u, slot, s);
                if !children[u].is_empty() && rest.eligible > 0 && primary_fails(disclosure, &rest)
                {
                    for count in 0..COUNTS.len() {
                        goal((u, true, slot, s, count), rest.eligible.min(2), rest);
                    }
                }
            }
        }
    }
    let open = |goals: &[Goal]| -> Vec<usize> {
        (0..goals.len())
            .filter(|&g| goals[g].high - goals[g].low < goals[g].need)
            .collect()
    };
    // Push every open goal up at once, then down, while that clears some;
    // each solution is a point the attacker cannot rule out.
    loop {
        let before = open(&goals);
        if before.is_empty() {
            break;
        }
        for maximise in [true, false] {
            let cells: Vec<_> = open(&goals).iter().map(|&g| goals[g].cell).collect();
            if let Some(values) = optimise(knowledge, links, &children, &cells, maximise, &goals) {
                for (goal, v) in goals.iter_mut().zip(values) {
                    goal.low = goal.low.min(v);
                    goal.high = goal.high.max(v);
                }
            }
        }
        if open(&goals).len() == before.len() {
            break;
        }
    }
    // What is left is bounded exactly, one goal at a time (skipping those
    // an earlier solution has widened enough); a goal still narrow after
    // its own least and greatest values are found is certain.
    let mut certain = Vec::new();
    for g in open(&goals) {
        if certain.len() >= most {
            break;
        }
        if goals[g].high - goals[g].low >= goals[g].need {
            continue;
        }
        for maximise in [true, false] {
            let cell = goals[g].cell;
            if let Some(values) = optimise(knowledge, links, &children, &[cell], maximise, &goals) {
                for (goal, v) in goals.iter_mut().zip(values) {
                    goal.low = goal.low.min(v);
                    goal.high = goal.high.max(v);
                }
            }
        }
        if goals[g].high - goals[g].low < goals[g].need {
            certain.push(g);
        }
    }
    certain
        .into_iter()
        .map(|g| {
            let goal = &goals[g];
            let (unit, remainder, slot, subject, count) = goal.cell;
            Finding {
                unit,
                remainder,
                slot,
                subject,
                count: COUNTS[count],
                min: goal.low,
                max: goal.high,
                truth: goal.truth,
            }
        })
        .collect()
}

/// One count of one cell an attacker must not narrow.
struct Goal {
    cell: TargetCell,
    need: u32,
    low: u32,
    high: u32,
    truth: Counts,
}

/// (unit, remainder, slot, subject, count).
type TargetCell = (usize, bool, usize, usize, usize);

/// A solution consistent with everything the account knows that makes the
/// sum of `objective`'s counts least or greatest, as the values it gives
/// each goal's count.
fn optimise(
    knowledge: &Knowledge,
    links: &SubjectLinks,
    children: &[Vec<usize>],
    objective: &[TargetCell],
    maximise: bool,
    goals: &[Goal],
) -> Option<Vec<u32>> {
    let units = knowledge.parent.len();
    let subjects = links.len();
    let at = |u: usize, slot: usize, s: usize| (u * BAND_SLOTS + slot) * subjects + s;
    let mut vars = ProblemVariables::new();
    // No group holds more people than the force, whose eligible is
    // published.
    let most = knowledge
        .truth
        .iter()
        .map(|c| c.eligible)
        .max()
        .unwrap_or_default();
    // A count is known exactly, known to lie in its band, or unknown; so is
    // eligible, known only with the cell.
    let mut term = |known: Option<Counts>, exact: bool| -> [Term; 4] {
        let mut t = [Term::Known(0); 4];
        for (i, slot) in t.iter_mut().enumerate() {
            let range = match known {
                Some(c) => {
                    let v = c.ordered()[i];
                    match band(v, c.eligible).filter(|_| !exact && i < 3) {
                        Some(range) => range,
                        None => {
                            *slot = Term::Known(v);
                            continue;
                        }
                    }
                }
                None => (0, most),
            };
            *slot = Term::Unknown(
                vars.add(
                    variable()
                        .integer()
                        .min(f64::from(range.0))
                        .max(f64::from(range.1)),
                ),
            );
        }
        t
    };
    let cells: Vec<[Term; 4]> = (0..units * BAND_SLOTS * subjects)
        .map(|i| {
            let u = i / (BAND_SLOTS * subjects);
            let shown = knowledge.shown[u];
            let known = if shown {
                Some(knowledge.truth[i])
            } else {
                knowledge.known[i]
            };
            term(known, shown)
        })
        .collect();
    let row = BAND_SLOTS * subjects;
    let rests: Vec<Option<[Term; 4]>> = (0..units * row)
        .map(|i| (!children[i / row].is_empty()).then(|| term(None, false)))
        .collect();
    let term_of = |(unit, remainder, slot, subject, count): TargetCell| {
        if remainder {
            rests[at(unit, slot, subject)].map_or(Term::Known(0), |t| t[count])
        } else {
            cells[at(unit, slot, subject)][count]
        }
    };
    let objective: Expression = objective
        .iter()
        .fold(Expression::from(0.0), |acc, &c| acc + term_of(c).expr());
    let problem = if maximise {
        vars.maximise(objective)
    } else {
        vars.minimise(objective)
    };
    let mut model = problem.using(microlp);
    let unknown = |terms: &[Term]| terms.iter().any(|t| matches!(t, Term::Unknown(_)));
    let sum = |terms: &[Term]| {
        terms
            .iter()
            .fold(Expression::from(0.0), |acc, t| acc + t.expr())
    };
    // `parts` sum to `total`; added only where something is unknown.
    let equal =
        |model: &mut good_lp::solvers::microlp::MicroLpProblem, parts: Vec<Term>, total: Term| {
            let mut all = parts.clone();
            all.push(total);
            if unknown(&all) {
                model.add_constraint(sum(&parts).eq(total.expr()));
            }
        };
    let at_most = |model: &mut good_lp::solvers::microlp::MicroLpProblem, low: Term, high: Term| {
        if unknown(&[low, high]) {
            model.add_constraint(low.expr().leq(high.expr()));
        }
    };
    for u in 0..units {
        for s in 0..subjects {
            for i in 0..4 {
                // All ages is the sum of the bands, for the unit and its
                // remainder.
                let bands = |t: &dyn Fn(usize) -> Option<Term>| -> Option<Vec<Term>> {
                    (0..BAND_SLOTS - 1).map(t).collect()
                };
                if let Some(parts) = bands(&|b| Some(cells[at(u, b, s)][i])) {
                    equal(&mut model, parts, cells[at(u, BAND_SLOTS - 1, s)][i]);
                }
                if let (Some(parts), Some(all)) = (
                    bands(&|b| rests[at(u, b, s)].map(|t| t[i])),
                    rests[at(u, BAND_SLOTS - 1, s)],
                ) {
                    equal(&mut model, parts, all[i]);
                }
                // A unit is its visible children plus its remainder.
                for slot in 0..BAND_SLOTS {
                    if let Some(rest) = rests[at(u, slot, s)] {
                        let mut parts = vec![rest[i]];
                        parts.extend(children[u].iter().map(|&c| cells[at(c, slot, s)][i]));
                        equal(&mut model, parts, cells[at(u, slot, s)][i]);
                    }
                }
            }
            for slot in 0..BAND_SLOTS {
                let own = [Some(cells[at(u, slot, s)]), rests[at(u, slot, s)]];
                for cell in own.into_iter().flatten() {
                    // Active-7 ≤ active-28 ≤ reached ≤ eligible.
                    for i in 0..3 {
                        at_most(&mut model, cell[i], cell[i + 1]);
                    }
                }
                // A tool ≤ its product ≤ all tools; a one-tool product is
                // its tool.
                let twin = links.same_as[s];
                let pairs = |other: usize| {
                    [
                        (Some(cells[at(u, slot, s)]), Some(cells[at(u, slot, other)])),
                        (rests[at(u, slot, s)], rests[at(u, slot, other)]),
                    ]
                };
                if twin != s {
                    for (a, b) in pairs(twin) {
                        if let (Some(a), Some(b)) = (a, b) {
                            for i in 0..4 {
                                at_most(&mut model, a[i], b[i]);
                                at_most(&mut model, b[i], a[i]);
                            }
                        }
                    }
                }
                for &above in &links.above[s] {
                    for (low, high) in pairs(above) {
                        if let (Some(low), Some(high)) = (low, high) {
                            for i in 0..4 {
                                at_most(&mut model, low[i], high[i]);
                            }
                        }
                    }
                }
            }
        }
    }
    let solution = model.solve().ok()?;
    Some(
        goals
            .iter()
            .map(|g| match term_of(g.cell) {
                Term::Known(v) => v,
                Term::Unknown(v) => solution.value(v).round().max(0.0) as u32,
            })
            .collect(),
    )
}

/// Which cells of a view a simple greedy decision hides, for tests to
/// hold a decision against (hiding everything must not pass): the primary
/// rule, then, while a relation of the view (a unit's bands and all ages;
/// a unit and its children) holds exactly one hidden cell, hide its
/// smallest partner. Empty cells count as hidden; callers compare over
/// cells with someone eligible.
pub fn greedy_baseline(
    knowledge: &Knowledge,
    disclosure: &crate::disclosure::Disclosure,
) -> Vec<bool> {
    let units = knowledge.parent.len();
    let cells = &knowledge.truth;
    let subjects = cells.len() / (units * BAND_SLOTS).max(1);
    let at = |u: usize, slot: usize, s: usize| (u * BAND_SLOTS + slot) * subjects + s;
    let mut hidden: Vec<bool> = cells.iter().map(|c| primary_fails(disclosure, c)).collect();
    let mut relations: Vec<Vec<usize>> = Vec::new();
    for s in 0..subjects {
        for u in 0..units {
            relations.push((0..BAND_SLOTS).map(|slot| at(u, slot, s)).collect());
            let children: Vec<usize> = (0..units)
                .filter(|&c| knowledge.parent[c] == Some(u))
                .collect();
            if !children.is_empty() {
                for slot in 0..BAND_SLOTS {
                    let mut r = vec![at(u, slot, s)];
                    r.extend(children.iter().map(|&c| at(c, slot, s)));
                    relations.push(r);
                }
            }
        }
    }
    loop {
        let mut changed = false;
        for r in &relations {
            if r.iter().filter(|&&i| hidden[i]).count() == 1
                && let Some(&partner) = r
                    .iter()
                    .filter(|&&i| !hidden[i] && cells[i].eligible > 0)
                    .min_by_key(|&&i| cells[i].eligible)
            {
                hidden[partner] = true;
                changed = true;
            }
        }
        if !changed {
            return hidden;
        }
    }
}

/// Over one view: the cells with someone eligible, how many of them the
/// decision hides, and how many [`greedy_baseline`] would.
pub fn hidden_beside_greedy(
    knowledge: &Knowledge,
    disclosure: &crate::disclosure::Disclosure,
) -> (usize, usize, usize) {
    let lived = |c: &&Counts| c.eligible > 0;
    let count = |mask: Vec<bool>| {
        mask.iter()
            .zip(&knowledge.truth)
            .filter(|(h, c)| **h && lived(c))
            .count()
    };
    (
        knowledge.truth.iter().filter(lived).count(),
        count(knowledge.known.iter().map(Option::is_none).collect()),
        count(greedy_baseline(knowledge, disclosure)),
    )
}
