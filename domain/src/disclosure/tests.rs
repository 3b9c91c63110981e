use good_lp::{Expression, ResolutionError, Solution, SolverModel, microlp, variable, variables};
use proptest::prelude::*;

use super::*;

fn cell(eligible: u32, active28: u32) -> Counts {
    Counts {
        eligible,
        active7: 0,
        active28,
        reached: active28,
    }
}

fn sum(cells: &[Counts]) -> Counts {
    let mut total = Counts::default();
    cells.iter().for_each(|c| total.add(c));
    total
}

#[test]
fn primary_rule_hides_small_groups_and_one_sided_cells() {
    let d = Disclosure::default();
    assert!(d.primary_suppressed(&cell(9, 4)), "fewer than k eligible");
    assert!(!d.primary_suppressed(&cell(10, 5)));
    assert!(d.primary_suppressed(&cell(40, 2)), "fewer than 3 active");
    assert!(d.primary_suppressed(&cell(40, 38)), "fewer than 3 inactive");
    assert!(d.primary_suppressed(&cell(40, 0)), "0% reveals everyone");
    assert!(d.primary_suppressed(&cell(40, 40)), "100% reveals everyone");
    assert!(!d.primary_suppressed(&cell(40, 37)));
    assert!(
        !d.primary_suppressed(&cell(0, 0)),
        "not live: nobody to protect"
    );
    assert_eq!(d.publish(cell(12, 1)), None);
    assert_eq!(Disclosure { k: 5 }.publish(cell(6, 3)), Some(cell(6, 3)));
}

#[test]
fn a_lone_hidden_part_takes_the_smallest_partner_with_it() {
    // 60 = 8 + 30 + 22: the 8 alone would be the total minus the rest.
    let parts = [cell(8, 4), cell(30, 15), cell(22, 11)];
    let (total, shown) = Disclosure::default().publish_total_of(sum(&parts), &parts);
    assert_eq!(total, Some(cell(60, 30)));
    assert_eq!(shown, vec![None, Some(cell(30, 15)), None]);
}

#[test]
fn hidden_parts_that_sum_to_nothing_still_give_themselves_away() {
    // Two small teams with nobody active: hiding both is not enough, since
    // the total's 20 active are all in the third team, which must go too.
    let parts = [cell(5, 0), cell(4, 0), cell(40, 20)];
    let (total, shown) = Disclosure::default().publish_total_of(sum(&parts), &parts);
    assert_eq!(total, Some(cell(49, 20)));
    assert_eq!(shown, vec![None, None, None]);
    // The greedy baseline stops at the two small teams, and an attacker
    // then knows both have nobody active.
    let cells = [sum(&parts), parts[0], parts[1], parts[2]];
    let relations = Relations::total_of(3);
    let baseline = greedy_baseline(&Disclosure::default(), &relations, &cells);
    assert_eq!(baseline, vec![false, true, true, false]);
    let active: Vec<u32> = cells.iter().map(|c| c.active28).collect();
    assert_eq!(
        ilp_bounds(&relations, &baseline, &active, 1),
        (0.0, Some(0.0))
    );
}

#[test]
fn a_table_hides_a_rectangle_around_a_small_cell() {
    // Rows are units, columns bands; the margins are published.
    //            b0        b1        b2
    // u0      (4,2)    (20,10)   (30,15)
    // u1     (20,10)   (25,12)   (40,20)
    let interior = [
        [cell(4, 2), cell(20, 10), cell(30, 15)],
        [cell(20, 10), cell(25, 12), cell(40, 20)],
    ];
    let cells = with_margins(&interior.iter().map(|r| r.to_vec()).collect::<Vec<_>>());
    let relations = Relations::table(2, 3);
    let hidden = Disclosure::default().suppress(&relations, &cells);
    let hidden_at: Vec<(usize, usize)> = (0..cells.len())
        .filter(|&i| hidden[i])
        .map(|i| (i / 4, i % 4))
        .collect();
    // The small cell, one partner in its row, one in its column, and the
    // fourth corner that closes the rectangle.
    assert_eq!(hidden_at, vec![(0, 0), (0, 1), (1, 0), (1, 1)]);
    for side in 0..2 {
        let values: Vec<u32> = cells.iter().map(|c| sides(c)[side]).collect();
        for &(r, c) in &hidden_at {
            assert_eq!(relations.range(&hidden, &values, r * 4 + c), MIN_RANGE);
        }
    }
}

/// A table's interior cells with its row totals, column totals and grand
/// total, laid out as [`Relations::table`] expects.
fn with_margins(interior: &[Vec<Counts>]) -> Vec<Counts> {
    let cols = interior[0].len();
    let mut out = Vec::new();
    for row in interior {
        out.extend(row.iter().copied());
        out.push(sum(row));
    }
    let mut totals: Vec<Counts> = (0..cols)
        .map(|c| sum(&interior.iter().map(|r| r[c]).collect::<Vec<_>>()))
        .collect();
    totals.push(sum(&totals));
    out.extend(totals);
    out
}

/// What an attacker can learn: the least and greatest value a hidden cell
/// can take, by integer programming over every published cell and every
/// relation. `None` for the greatest when it is unbounded.
fn ilp_bounds(
    relations: &Relations,
    hidden: &[bool],
    values: &[u32],
    cell: usize,
) -> (f64, Option<f64>) {
    let solve = |maximise: bool| -> Result<f64, ResolutionError> {
        let mut vars = variables!();
        let unknown: Vec<Option<good_lp::Variable>> = hidden
            .iter()
            .map(|&h| h.then(|| vars.add(variable().integer().min(0))))
            .collect();
        let term = |e: usize| -> Expression {
            unknown[e].map_or_else(|| Expression::from(f64::from(values[e])), Expression::from)
        };
        let target = unknown[cell].expect("the cell is hidden");
        let mut model = if maximise {
            vars.maximise(target).using(microlp)
        } else {
            vars.minimise(target).using(microlp)
        };
        for (into, out) in relations.constraints() {
            let lhs: Expression = into.iter().map(|&e| term(e)).sum();
            let rhs: Expression = out.iter().map(|&e| term(e)).sum();
            model = model.with(lhs.eq(rhs));
        }
        model.solve().map(|s| s.value(target))
    };
    let least = solve(false).expect("the published table is consistent");
    let greatest = match solve(true) {
        Ok(v) => Some(v),
        Err(ResolutionError::Unbounded) => None,
        Err(e) => panic!("maximising failed: {e}"),
    };
    (least, greatest)
}

/// The simple greedy baseline: while some relation has exactly one hidden
/// cell, hide its smallest published partner.
fn greedy_baseline(d: &Disclosure, relations: &Relations, cells: &[Counts]) -> Vec<bool> {
    let mut hidden: Vec<bool> = cells.iter().map(|c| d.primary_suppressed(c)).collect();
    let constraints = relations.constraints();
    loop {
        let lone = constraints.iter().find_map(|(into, out)| {
            let members: Vec<usize> = into.iter().chain(out).copied().collect();
            (members.iter().filter(|&&e| hidden[e]).count() == 1).then_some(members)
        });
        let Some(members) = lone else { break };
        let partner = members
            .into_iter()
            .filter(|&e| !hidden[e])
            .min_by_key(|&e| (cells[e].eligible, e))
            .expect("a relation has at least two cells");
        hidden[partner] = true;
    }
    hidden
}

fn arb_cell() -> impl Strategy<Value = Counts> {
    (0u32..40).prop_flat_map(|eligible| (0..=eligible).prop_map(move |a| cell(eligible, a)))
}

/// Random views: a total and its parts, or a table with its margins.
fn arb_view() -> impl Strategy<Value = (Relations, Vec<Counts>)> {
    let one_way = prop::collection::vec(arb_cell(), 1..9).prop_map(|parts| {
        let mut cells = vec![sum(&parts)];
        cells.extend(parts.iter().copied());
        (Relations::total_of(parts.len()), cells)
    });
    let two_way = (1usize..6, 1usize..6)
        .prop_flat_map(|(rows, cols)| {
            prop::collection::vec(prop::collection::vec(arb_cell(), cols), rows)
        })
        .prop_map(|interior| {
            let (rows, cols) = (interior.len(), interior[0].len());
            (Relations::table(rows, cols), with_margins(&interior))
        });
    prop_oneof![one_way, two_way]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn no_hidden_cell_can_be_narrowed_below_two_values((relations, cells) in arb_view()) {
        let d = Disclosure::default();
        let hidden = d.suppress(&relations, &cells);
        for (i, c) in cells.iter().enumerate() {
            prop_assert!(hidden[i] || !d.primary_suppressed(c), "primary cell {i} published");
        }
        for side in 0..2 {
            let values: Vec<u32> = cells.iter().map(|c| sides(c)[side]).collect();
            for cell in (0..cells.len()).filter(|&i| hidden[i]) {
                let (least, greatest) = ilp_bounds(&relations, &hidden, &values, cell);
                let width = greatest.map_or(f64::INFINITY, |g| g - least);
                prop_assert!(width >= f64::from(MIN_RANGE), "cell {cell} side {side}: {least}..{greatest:?}");
                // The max-flow range the algorithm uses agrees with the ILP.
                let flow = relations.range(&hidden, &values, cell);
                prop_assert_eq!(flow, MIN_RANGE);
            }
        }
        let baseline = greedy_baseline(&d, &relations, &cells);
        let primary = cells.iter().filter(|c| d.primary_suppressed(c)).count();
        let ours = hidden.iter().filter(|&&h| h).count() - primary;
        let theirs = baseline.iter().filter(|&&h| h).count() - primary;
        // The baseline leaves some hidden cells derivable, so protecting
        // them costs more; never more than a rectangle's worth (three
        // partners) per primary cell. The saved case in
        // proptest-regressions is a 5 by 3 table where three primary
        // cells in different rows and columns take six partners against
        // the baseline's one.
        prop_assert!(ours <= theirs + 3 * primary, "{ours} extra against the baseline's {theirs}");
    }
}
