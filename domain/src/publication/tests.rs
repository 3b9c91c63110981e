use super::attack::{Knowledge, attack, attack_upto, hidden_beside_greedy};
use super::*;
use crate::{
    catalog::{Product, ProductId, Tool, ToolId},
    rng::Rng,
};

/// A small force as cells: a root with direct members, commands, teams of
/// 4 to 15, one restricted team, bands of 1 to 5 people, and three tools
/// in two products (Box on its own).
struct Force {
    tree: TreeSnapshot,
    restricted: Vec<bool>,
    catalog: Catalog,
    cells: Vec<Counts>,
}

fn catalog() -> Catalog {
    let tool = |id, name: &str| Tool {
        id: ToolId(id),
        name: name.into(),
    };
    Catalog::new(
        vec![
            tool(1, "Teams"),
            tool(2, "OneDrive"),
            tool(3, "Exchange"),
            tool(4, "Box"),
        ],
        vec![
            Product {
                id: ProductId(1),
                name: "Microsoft 365".into(),
                tools: vec![ToolId(1), ToolId(2), ToolId(3)],
            },
            Product {
                id: ProductId(2),
                name: "Box".into(),
                tools: vec![ToolId(4)],
            },
        ],
    )
    .expect("catalog")
}

/// A small force: two or three commands of two or three teams.
fn force(seed: u64) -> Force {
    force_of(seed, &[(2, 2), (2, 2)], (4, 12))
}

/// A force whose tree has, per level below the root, `base + below(extra)`
/// units under each unit of the level above, and leaf teams of
/// `base + below(extra)` people; units with children have up to three
/// people of their own.
fn force_of(seed: u64, levels: &[(u64, u64)], team: (u64, u64)) -> Force {
    let mut rng = Rng::new(seed);
    let catalog = catalog();
    let subjects = catalog.subjects();
    // Units: 0 is the root; then each level in turn.
    let mut parent = vec![None];
    let mut level = vec![0];
    for &(base, extra) in levels {
        let mut next = Vec::new();
        for &above in &level {
            for _ in 0..base + rng.below(extra) {
                next.push(parent.len());
                parent.push(Some(above));
            }
        }
        level = next;
    }
    let has_children: Vec<bool> = (0..parent.len())
        .map(|u| parent.contains(&Some(u)))
        .collect();
    let n = parent.len();
    let mut restricted = vec![false; n];
    restricted[n - 1] = true;
    // Box is live in the first command only.
    let box_live = |mut u: usize| loop {
        if u == 1 {
            return true;
        }
        match parent[u] {
            Some(p) => u = p,
            None => return false,
        }
    };
    // People: (unit, band, state per tool 0..=4: not reached, reached,
    // active-28, active-7; 4 means not eligible).
    let mut people: Vec<(usize, usize, [u8; 4])> = Vec::new();
    for u in 0..n {
        let size = match u {
            0 => rng.below(3) as usize,
            u if has_children[u] => rng.below(4) as usize,
            _ => (team.0 + rng.below(team.1)) as usize,
        };
        // Some units have taken every tool up almost to a person, as
        // Microsoft 365 is in most of a real force: their cells sit at
        // the top, where the subjects pin each other.
        let keen = if rng.below(3) == 0 { 2.0 } else { rng.unit() };
        for _ in 0..size {
            let band = rng.below(5) as usize;
            let mut state = [0u8; 4];
            for (t, s) in state.iter_mut().enumerate() {
                *s = if t == 3 && !box_live(u) {
                    4
                } else {
                    let r = rng.unit();
                    if r < keen * 0.5 || (keen > 1.0 && r < 0.95) {
                        3
                    } else if r < keen * 0.8 {
                        2
                    } else if r < keen {
                        1
                    } else {
                        0
                    }
                };
            }
            people.push((u, band, state));
        }
    }
    let mut cells = vec![Counts::default(); subjects.len() * n * BAND_SLOTS];
    for &(unit, band, state) in &people {
        for (s, &subject) in subjects.iter().enumerate() {
            let mask = catalog.tool_mask(subject);
            let tools: Vec<u8> = (0..4)
                .filter(|t| mask & (1 << t) != 0)
                .map(|t| state[t])
                .filter(|&st| st != 4)
                .collect();
            let Some(&best) = tools.iter().max() else {
                continue;
            };
            let mut u = Some(unit);
            while let Some(at) = u {
                for slot in [band, BAND_SLOTS - 1] {
                    let c = &mut cells[(s * n + at) * BAND_SLOTS + slot];
                    c.eligible += 1;
                    c.reached += u32::from(best >= 1);
                    c.active28 += u32::from(best >= 2);
                    c.active7 += u32::from(best >= 3);
                }
                u = parent[at];
            }
        }
    }
    let mut bottom_up: Vec<usize> = (0..n).collect();
    bottom_up.reverse();
    Force {
        tree: TreeSnapshot {
            parent,
            exists: vec![true; n],
            bottom_up,
        },
        restricted,
        catalog,
        cells,
    }
}

/// What one audience knows of a force under a decision.
fn knowledge(f: &Force, audience: &Audience, hidden: &[bool]) -> Knowledge {
    let view = View::new(&f.tree, &f.restricted, audience);
    let n = f.tree.exists.len();
    let subjects = f.catalog.subjects().len();
    let position = |u: usize| view.visible.binary_search(&u).expect("visible");
    let mut known = Vec::new();
    let mut truth = Vec::new();
    for &u in &view.visible {
        for slot in 0..BAND_SLOTS {
            for s in 0..subjects {
                let i = (s * n + u) * BAND_SLOTS + slot;
                truth.push(f.cells[i]);
                known.push((!hidden[i]).then_some(f.cells[i]));
            }
        }
    }
    Knowledge {
        parent: view.parent.iter().map(|p| p.map(position)).collect(),
        known,
        truth,
        shown: view.shown.clone(),
    }
}

fn audiences(f: &Force) -> Vec<Audience> {
    let mut out = vec![Audience {
        every_unit: true,
        roots: vec![],
        person_lists: false,
    }];
    // Every command, and one team, with and without person-level lists
    // (the sweep in `scripts/bench.sh disclosure` takes every unit).
    let units: Vec<usize> = if seeds() > 2 {
        (1..f.tree.exists.len()).collect()
    } else {
        let commands = f.tree.parent.iter().filter(|p| **p == Some(0)).count();
        (1..=commands + 1).collect()
    };
    for s in units {
        for person_lists in [false, true] {
            out.push(Audience {
                every_unit: false,
                roots: vec![s],
                person_lists,
            });
        }
    }
    // An admin who may see the restricted team, and a two-command scope.
    out.push(Audience {
        every_unit: true,
        roots: vec![f.tree.exists.len() - 1],
        person_lists: false,
    });
    out.push(Audience {
        every_unit: false,
        roots: vec![1, 2],
        person_lists: false,
    });
    out
}

fn decide(f: &Force, extra: &[Audience]) -> Vec<bool> {
    let mut plan = Plan::new(&f.tree, &f.restricted, extra);
    let hidden = plan.decide(
        &SubjectLinks::of(&f.catalog),
        &Disclosure::default(),
        DayCells {
            nodes: f.tree.exists.len(),
            cells: &f.cells,
        },
    );
    if plan.stuck > 0 {
        println!("targets without a witness: {}", plan.stuck);
    }
    hidden
}

#[test]
fn subjects_bound_each_other_and_a_one_tool_product_is_its_tool() {
    let links = SubjectLinks::of(&catalog());
    // All, Microsoft 365, Box, Teams, OneDrive, Exchange, Box (tool).
    assert_eq!(links.above[3], vec![0, 1], "Teams ≤ Microsoft 365 ≤ all");
    assert_eq!(links.below[1], vec![3, 4, 5]);
    assert_eq!(links.above[6], vec![0], "the Box tool is the Box product");
    assert_eq!(links.same_as, vec![0, 1, 2, 3, 4, 5, 2]);
}

#[test]
fn a_count_near_nobody_or_everyone_is_shown_as_the_three_values_at_that_end() {
    // Hand-worked, 40 eligible: 0, 1 and 2 read "0–2"; 38, 39 and 40 read
    // "38–40"; 3 and 37 are shown as they are.
    for v in 0..=2 {
        assert_eq!(band(v, 40), Some((0, 2)), "{v}");
    }
    for v in 38..=40 {
        assert_eq!(band(v, 40), Some((38, 40)), "{v}");
    }
    assert_eq!(band(3, 40), None);
    assert_eq!(band(37, 40), None);
    let d = Disclosure::default();
    let saturated = Counts {
        eligible: 40,
        active7: 20,
        active28: 30,
        reached: 39,
    };
    assert!(!too_small(&d, &saturated), "shown, with reached banded");
    assert!(primary_fails(&d, &saturated), "a rest like it is protected");
    let small = Counts {
        eligible: 9,
        ..saturated
    };
    assert!(too_small(&d, &small));
}

#[test]
fn every_small_cell_is_hidden_and_twins_share_a_decision() {
    let f = force(7);
    let hidden = decide(&f, &[]);
    let d = Disclosure::default();
    for (i, c) in f.cells.iter().enumerate() {
        if too_small(&d, c) {
            assert!(hidden[i], "cell {i} {c:?} has fewer than k eligible");
        }
    }
    let block = f.tree.exists.len() * BAND_SLOTS;
    assert_eq!(hidden[2 * block..3 * block], hidden[6 * block..7 * block]);
}

/// Over the whole force, as an admin who may see the restricted team sees
/// it: the cells with someone eligible, how many of them the decision
/// hides, and how many the greedy baseline would.
fn against_baseline(f: &Force, hidden: &[bool]) -> (usize, usize, usize) {
    let everything = Audience {
        every_unit: true,
        roots: vec![f.tree.exists.len() - 1],
        person_lists: false,
    };
    hidden_beside_greedy(&knowledge(f, &everything, hidden), &Disclosure::default())
}

/// Generated forces per test run; `scripts/bench.sh disclosure` sweeps
/// hundreds (`UPTAKE_ATTACK_SEEDS`).
fn seeds() -> u64 {
    std::env::var("UPTAKE_ATTACK_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2)
}

#[test]
fn no_account_can_narrow_a_hidden_cell_in_generated_forces() {
    let seeds = seeds();
    let links = SubjectLinks::of(&catalog());
    let d = Disclosure::default();
    let (mut cells, mut ours, mut baseline, mut primary, mut banded) = (0, 0, 0, 0, 0);
    for seed in 0..seeds {
        let f = force(seed);
        let extra = audiences(&f);
        let hidden = decide(&f, &extra);
        for audience in &extra {
            let findings = attack(&knowledge(&f, audience, &hidden), &links, &d);
            assert!(
                findings.is_empty(),
                "seed {seed}, {audience:?}: {findings:#?}"
            );
        }
        let (lived, hid, greedy) = against_baseline(&f, &hidden);
        cells += lived;
        ours += hid;
        baseline += greedy;
        primary += f.cells.iter().filter(|c| too_small(&d, c)).count();
        banded += f
            .cells
            .iter()
            .zip(&hidden)
            .filter(|(c, h)| !**h && primary_fails(&d, c))
            .count();
    }
    // Hiding everything is not a pass: the decision publishes at least a
    // seventh as many cells as the greedy baseline (which leaks). These
    // forces are tiny: most cells have fewer than k eligible, a third of
    // their units sit near saturation (their counts banded, so protected
    // too), and every command and team has an audience that sees it whole,
    // which the baseline ignores. On the demo force the decision publishes
    // nearly what the baseline does (`server/tests/disclosure.rs`).
    let figures = format!(
        "cells with someone eligible {cells}, fewer than k eligible {primary}, greedy \
         baseline hides {baseline}, ours {ours}, shown banded {banded}"
    );
    println!("{figures}");
    assert!((cells - ours) * 7 >= cells - baseline, "{figures}");
}

#[test]
fn the_attacker_finds_what_the_primary_rule_alone_leaks() {
    // The attacker is only worth its pass if it fails a weak decision.
    let links = SubjectLinks::of(&catalog());
    let d = Disclosure::default();
    let f = force(0);
    let primary: Vec<bool> = f.cells.iter().map(|c| primary_fails(&d, c)).collect();
    let everyone = &audiences(&f)[0];
    let findings = attack_upto(&knowledge(&f, everyone, &primary), &links, &d, 3);
    assert_eq!(findings.len(), 3);
    for finding in &findings {
        assert!(finding.max - finding.min < finding.truth.eligible.min(2));
    }
}

/// What one day's decision costs and hides on a force of about 50,000
/// staff (`scripts/bench.sh disclosure` runs it in release).
#[test]
#[ignore]
fn decision_at_force_scale() {
    let f = force_of(1, &[(10, 4), (8, 4), (8, 6)], (4, 60));
    let people = f.cells[BAND_SLOTS - 1].eligible;
    let d = Disclosure::default();
    let mut plan = Plan::new(&f.tree, &f.restricted, &[]);
    let started = std::time::Instant::now();
    let hidden = plan.decide(
        &SubjectLinks::of(&f.catalog),
        &d,
        DayCells {
            nodes: f.tree.exists.len(),
            cells: &f.cells,
        },
    );
    let took = started.elapsed();
    let (cells, ours, baseline) = against_baseline(&f, &hidden);
    let primary = f.cells.iter().filter(|c| too_small(&d, c)).count();
    let banded = f
        .cells
        .iter()
        .zip(&hidden)
        .filter(|(c, h)| !**h && primary_fails(&d, c))
        .count();
    println!(
        "{people} staff, {} units: one day decided in {took:.2?}; of {cells} cells with \
         someone eligible, {primary} have fewer than k eligible, the greedy baseline \
         hides {baseline} and the decision {ours} ({banded} shown banded); {} targets \
         without a witness",
        f.tree.exists.len(),
        plan.stuck
    );
    // Published share by depth, for all ages and for the bands.
    let n = f.tree.exists.len();
    let depth = |mut u: usize| {
        let mut d = 0;
        while let Some(p) = f.tree.parent[u] {
            u = p;
            d += 1;
        }
        d
    };
    for level in 0..4 {
        for (name, all) in [("all ages", true), ("bands", false)] {
            let (mut shown, mut total) = (0, 0);
            for (i, c) in f.cells.iter().enumerate() {
                let (u, slot) = ((i / BAND_SLOTS) % n, i % BAND_SLOTS);
                if depth(u) == level && (slot == BAND_SLOTS - 1) == all && c.eligible > 0 {
                    total += 1;
                    shown += usize::from(!hidden[i]);
                }
            }
            println!("  depth {level}, {name}: {shown} of {total} published");
        }
    }
}

/// A force worked by hand: a root over teams A and B, one tool (so all
/// tools, the product and the tool are one cell), five bands. A's under-25
/// cell has two people and fails the primary rule; everything else passes.
#[test]
fn a_small_cell_is_hidden_with_a_rectangle_that_holds_for_every_account() {
    let one_tool = crate::catalog::tests::one_tool_catalog();
    let subjects = one_tool.subjects().len();
    let c = |eligible, active7, active28, reached| Counts {
        eligible,
        active7,
        active28,
        reached,
    };
    // Per team, the five bands, the same but for the under-25s; 35-44 is
    // the smallest band, so the cheapest partner.
    let team = |under_25| {
        [
            under_25,
            c(30, 10, 15, 20),
            c(12, 4, 6, 8),
            c(30, 10, 15, 20),
            c(30, 10, 15, 20),
        ]
    };
    let (a, b) = (team(c(2, 1, 1, 1)), team(c(20, 6, 10, 14)));
    let row = |bands: &[Counts; 5]| {
        let mut all = Counts::default();
        bands.iter().for_each(|x| all.add(x));
        let mut r = bands.to_vec();
        r.push(all);
        r
    };
    let (ra, rb) = (row(&a), row(&b));
    let root: Vec<Counts> = ra
        .iter()
        .zip(&rb)
        .map(|(x, y)| {
            let mut t = *x;
            t.add(y);
            t
        })
        .collect();
    let mut cells = Vec::new();
    for _ in 0..subjects {
        for unit in [&root, &ra, &rb] {
            cells.extend(unit.iter().copied());
        }
    }
    let f = Force {
        tree: TreeSnapshot {
            parent: vec![None, Some(0), Some(0)],
            exists: vec![true; 3],
            bottom_up: vec![2, 1, 0],
        },
        restricted: vec![false; 3],
        catalog: one_tool,
        cells,
    };
    let hidden = decide(&f, &[]);
    let shown: Vec<(usize, usize)> = (0..3 * BAND_SLOTS)
        .filter(|&i| hidden[i])
        .map(|i| (i / BAND_SLOTS, i % BAND_SLOTS))
        .collect();
    // A's under-25 cell, and to protect it the 35-44 cells of A and B and
    // B's under-25: a rectangle, so that no row or column total gives it
    // away. A's commander (who may hold A's person-level lists) knows A's
    // cells, and so B's as the force minus A: B's hidden cells need a
    // witness that leaves A alone, and with no other team that is the
    // force's own two cells.
    assert_eq!(shown, [(0, 0), (0, 2), (1, 0), (1, 2), (2, 0), (2, 2)]);
    for s in 1..subjects {
        let block = 3 * BAND_SLOTS;
        assert_eq!(
            hidden[..block],
            hidden[s * block..(s + 1) * block],
            "one cell"
        );
    }
    let links = SubjectLinks::of(&f.catalog);
    let everyone = Audience {
        every_unit: true,
        roots: vec![],
        person_lists: false,
    };
    let commander = Audience {
        every_unit: false,
        roots: vec![1],
        person_lists: true,
    };
    for audience in [everyone, commander] {
        let findings = attack(
            &knowledge(&f, &audience, &hidden),
            &links,
            &Disclosure::default(),
        );
        assert!(findings.is_empty(), "{audience:?}: {findings:#?}");
    }
}

#[test]
fn a_catalog_with_more_subjects_than_a_move_can_name_hides_every_cell() {
    // 32 tools in one product: 34 subjects, past the 32 a witness can move.
    let tools: Vec<Tool> = (1..=32)
        .map(|i| Tool {
            id: ToolId(i),
            name: format!("Tool {i}"),
        })
        .collect();
    let product = Product {
        id: ProductId(1),
        name: "Everything".into(),
        tools: tools.iter().map(|t| t.id).collect(),
    };
    let big = Catalog::new(tools, vec![product]).expect("catalog");
    let links = SubjectLinks::of(&big);
    assert_eq!(links.len(), 34);
    let f = force(0);
    let nodes = f.tree.exists.len();
    let cell = Counts {
        eligible: 100,
        active7: 40,
        active28: 50,
        reached: 60,
    };
    let cells = vec![cell; links.len() * nodes * BAND_SLOTS];
    let mut plan = Plan::new(&f.tree, &f.restricted, &[]);
    let hidden = plan.decide(
        &links,
        &Disclosure::default(),
        DayCells {
            nodes,
            cells: &cells,
        },
    );
    assert!(hidden.iter().all(|&h| h));
}

#[test]
fn a_banded_count_leaves_as_the_middle_of_its_band() {
    let c = |eligible, active7, active28, reached| Counts {
        eligible,
        active7,
        active28,
        reached,
    };
    // 0 and 2 active in 7 days both leave as 1; 48 and 50 of 50 reached
    // both leave as 49; counts 3 or more from either end stay exact.
    assert_eq!(as_published(c(50, 0, 20, 48)), c(50, 1, 20, 49));
    assert_eq!(as_published(c(50, 2, 20, 50)), c(50, 1, 20, 49));
    assert_eq!(as_published(c(50, 3, 47, 47)), c(50, 3, 47, 47));
    // Everyone active: every count at the top, the order kept.
    assert_eq!(as_published(c(12, 11, 12, 12)), c(12, 11, 11, 11));
    // What is sent gives the band back.
    assert_eq!(band(1, 50), Some((0, 2)));
    assert_eq!(band(49, 50), Some((48, 50)));
    // Not live: nothing to band.
    assert_eq!(as_published(Counts::default()), Counts::default());
}
