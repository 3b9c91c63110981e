//! Hand-worked examples: a tiny force whose right answers were worked out on
//! paper (see the comments), then checked against the rollup.

use super::*;
use crate::{
    catalog::{ProductId, ToolId, tests::force_catalog},
    day::day_num,
    metrics::{Detail, Median, first_use_bin},
    org::{UnitId, UnitVersion},
    people::{Membership, StaffId},
    wave::TargetMetric,
};

const BOX: usize = 0;
const TEAMS: usize = 1;
const EXCHANGE: usize = 4;

fn d0() -> DayNum {
    day_num("2026-03-01".parse().expect("date"))
}

/// Force 1 → command A (2) → team A1 (4); force 1 → command B (3) → team B1 (5).
/// Microsoft 365 goes live for command A on day 10; Box for team B1 on day 20.
///
/// | who | unit | born | in post | activity |
/// |-----|------|------|---------|----------|
/// | P1 | A1 | 1996 (25–34) | always | Teams days 5 (pilot) and 12 |
/// | P2 | A1 | 1970 (55+) | always | Exchange day 30 |
/// | P3 | A1 | 2004 (under 25) | always | none |
/// | P4 | A1, B1 from day 20 | 1985 (35–44) | always | Teams day 15, Box day 25 |
/// | P5 | B1 | 1980 (45–54) | leaves day 22 | Box day 21 |
/// | P6 | B1 | 1990 (35–44) | starts day 24 | Box day 24 |
struct TinyForce {
    tree: OrgTree,
    waves: Vec<Wave>,
    people: Vec<Person>,
    activity: ActivityGrid,
    first_use: FirstUse,
    data_start: Vec<Option<DayNum>>,
}

fn tiny_force() -> TinyForce {
    let d0 = d0();
    let unit = |id, parent: Option<i32>| UnitVersion {
        unit: UnitId(id),
        parent: parent.map(UnitId),
        valid_from: d0 - 1000,
        valid_to: None,
    };
    let tree = OrgTree::new(vec![
        unit(1, None),
        unit(2, Some(1)),
        unit(3, Some(1)),
        unit(4, Some(2)),
        unit(5, Some(3)),
    ])
    .expect("tree");
    let wave = |id, product, unit, day: DayNum| Wave {
        id,
        name: format!("wave {id}"),
        product: ProductId(product),
        go_live: crate::day::date_of(d0 + day),
        target_metric: TargetMetric::AdoptionRate,
        target_value: 0.8,
        target_date: crate::day::date_of(d0 + 100),
        units: vec![UnitId(unit)],
    };
    let waves = vec![wave(1, 2, 2, 10), wave(2, 1, 5, 20)];
    let member = |unit, from: DayNum, to: Option<DayNum>| Membership {
        unit: UnitId(unit),
        from: d0 + from,
        to: to.map(|t| d0 + t),
    };
    let person = |id, born, start: DayNum, leave: Option<DayNum>, memberships| Person {
        id: StaffId(id),
        birth_year: born,
        start: d0 + start,
        leave: leave.map(|l| d0 + l),
        memberships,
    };
    let always = -1000;
    let people = vec![
        person(1, 1996, always, None, vec![member(4, always, None)]),
        person(2, 1970, always, None, vec![member(4, always, None)]),
        person(3, 2004, always, None, vec![member(4, always, None)]),
        person(
            4,
            1985,
            always,
            None,
            vec![member(4, always, Some(20)), member(5, 20, None)],
        ),
        person(5, 1980, always, Some(22), vec![member(5, always, None)]),
        person(6, 1990, 24, None, vec![member(5, 24, None)]),
    ];
    let events = [
        (0, TEAMS, 5),
        (0, TEAMS, 12),
        (1, EXCHANGE, 30),
        (3, TEAMS, 15),
        (3, BOX, 25),
        (4, BOX, 21),
        (5, BOX, 24),
    ];
    let mut activity = ActivityGrid::new(DayRange::new(d0 - 40, d0 + 60), people.len(), 5);
    let mut first_use = FirstUse::new(people.len(), 5);
    for (p, tool, day) in events {
        activity.mark(p, tool, d0 + day);
        first_use.record(p, tool, d0 + day);
    }
    TinyForce {
        tree,
        waves,
        people,
        activity,
        first_use,
        data_start: vec![None; 5],
    }
}

fn inputs<'a>(force: &'a TinyForce, catalog: &'a Catalog) -> RollupInputs<'a> {
    RollupInputs {
        catalog,
        tree: &force.tree,
        waves: &force.waves,
        people: &force.people,
        activity: &force.activity,
        first_use: &force.first_use,
        data_start: &force.data_start,
    }
}

fn cells(force: &TinyForce) -> (SpanCells, Vec<Subject>) {
    compute(force, DayRange::new(d0(), d0() + 40))
}

/// The cells of `range`, with the subjects they are laid out by.
fn compute(force: &TinyForce, range: DayRange) -> (SpanCells, Vec<Subject>) {
    let catalog = force_catalog();
    let rollup = Rollup::new(inputs(force, &catalog)).expect("rollup");
    let subjects = rollup.subjects().to_vec();
    (rollup.compute(range).expect("cells"), subjects)
}

fn counts(eligible: u32, active7: u32, active28: u32, reached: u32) -> Counts {
    Counts {
        eligible,
        active7,
        active28,
        reached,
    }
}

struct Lookup {
    cells: SpanCells,
    subjects: Vec<Subject>,
    tree: OrgTree,
}

impl Lookup {
    fn new() -> Self {
        let force = tiny_force();
        let (cells, subjects) = cells(&force);
        Self {
            cells,
            subjects,
            tree: force.tree,
        }
    }

    fn at(&self, unit: i32, subject: Subject, band: Option<AgeBand>, day: DayNum) -> Counts {
        let node = self.tree.index_of(UnitId(unit)).expect("unit");
        let s = self
            .subjects
            .iter()
            .position(|x| *x == subject)
            .expect("subject");
        self.cells.get(node, s, band, d0() + day)
    }
}

const M365: Subject = Subject::Product(ProductId(2));
const BOX_P: Subject = Subject::Product(ProductId(1));

#[test]
fn day_30_force_figures_match_the_paper_working() {
    let t = Lookup::new();
    // M365: P1, P2, P3 eligible (P4 has moved to B1, not live for M365).
    // Window [3, 30]: P1 (days 5, 12) and P2 (day 30) are active; 7-day
    // window [24, 30] holds P2 only. Reached: P1 and P2.
    assert_eq!(t.at(1, M365, None, 30), counts(3, 1, 2, 2));
    // Box: P5 left on day 22; P4 (B1 since 20) and P6 (started 24) are
    // eligible, both used Box within 7 days.
    assert_eq!(t.at(1, BOX_P, None, 30), counts(2, 2, 2, 2));
    assert_eq!(
        t.at(1, Subject::Tool(ToolId(1)), None, 30),
        counts(2, 2, 2, 2)
    );
    // All tools: distinct people, not a sum over tools. P4's Teams use on
    // day 15 (made in A1) and Box use on day 25 count once, toward B1.
    assert_eq!(t.at(1, Subject::All, None, 30), counts(5, 3, 4, 4));
    assert_eq!(t.at(5, Subject::All, None, 30), counts(2, 2, 2, 2));
    // Teams alone: P1 only.
    assert_eq!(
        t.at(1, Subject::Tool(ToolId(2)), None, 30),
        counts(3, 0, 1, 1)
    );
}

#[test]
fn bands_split_a_command_and_add_up_to_all() {
    let t = Lookup::new();
    assert_eq!(
        t.at(2, M365, Some(AgeBand::From25To34), 30),
        counts(1, 0, 1, 1)
    );
    assert_eq!(t.at(2, M365, Some(AgeBand::From55), 30), counts(1, 1, 1, 1));
    assert_eq!(
        t.at(2, M365, Some(AgeBand::Under25), 30),
        counts(1, 0, 0, 0)
    );
    assert_eq!(
        t.at(2, M365, Some(AgeBand::From35To44), 30),
        counts(0, 0, 0, 0)
    );
    assert_eq!(t.at(2, M365, None, 30), counts(3, 1, 2, 2));
}

#[test]
fn nobody_is_eligible_before_go_live_and_pilot_use_counts_as_reached() {
    let t = Lookup::new();
    assert_eq!(t.at(1, M365, None, 9), counts(0, 0, 0, 0));
    // Day 12: P1..P4 in command A; P1 used Teams in the pilot (day 5) and on
    // day 12. P4's first use is day 15, still to come.
    assert_eq!(t.at(2, M365, None, 12), counts(4, 1, 1, 1));
    assert_eq!(t.at(3, M365, None, 12), counts(0, 0, 0, 0));
}

#[test]
fn a_mover_counts_toward_the_unit_of_the_day() {
    let t = Lookup::new();
    // Day 19: P4 still in A1 and M365-eligible there; Teams on day 15.
    assert_eq!(
        t.at(4, M365, Some(AgeBand::From35To44), 19),
        counts(1, 1, 1, 1)
    );
    // Day 20: P4 is in B1, which has Box but not M365.
    assert_eq!(
        t.at(4, M365, Some(AgeBand::From35To44), 20),
        counts(0, 0, 0, 0)
    );
    assert_eq!(
        t.at(5, BOX_P, Some(AgeBand::From35To44), 20),
        counts(1, 0, 0, 0)
    );
}

#[test]
fn leavers_stop_the_day_after_their_leave_date_and_starters_begin_on_their_start() {
    let t = Lookup::new();
    // Day 21: P4 and P5 are eligible for Box; P5 used it that day.
    assert_eq!(t.at(5, BOX_P, None, 21), counts(2, 1, 1, 1));
    assert_eq!(t.at(5, BOX_P, None, 22), counts(2, 1, 1, 1));
    // Day 23: P5 has left.
    assert_eq!(t.at(5, BOX_P, None, 23), counts(1, 0, 0, 0));
    // Day 24: P6 starts and uses Box the same day.
    assert_eq!(t.at(5, BOX_P, None, 24), counts(2, 1, 1, 1));
}

#[test]
fn activity_leaves_the_28_day_window_on_day_28() {
    let t = Lookup::new();
    // P1's last Teams use was day 12: active-28 through day 39, not day 40.
    let teams = Subject::Tool(ToolId(2));
    assert_eq!(t.at(4, teams, None, 39).active28, 1);
    assert_eq!(t.at(4, teams, None, 40).active28, 0);
    // ... and active-7 through day 18.
    assert_eq!(t.at(4, teams, Some(AgeBand::From25To34), 18).active7, 1);
    assert_eq!(t.at(4, teams, Some(AgeBand::From25To34), 19).active7, 0);
}

#[test]
fn a_range_without_its_activity_window_loaded_is_refused() {
    let force = tiny_force();
    let catalog = force_catalog();
    let rollup = Rollup::new(inputs(&force, &catalog)).expect("rollup");
    let err = rollup
        .compute(DayRange::new(d0() - 20, d0()))
        .expect_err("window starts too early");
    assert!(matches!(err, RollupError::WindowNotLoaded { .. }));
}

#[test]
fn computing_a_sub_range_gives_the_same_cells() {
    let force = tiny_force();
    let catalog = force_catalog();
    let rollup = Rollup::new(inputs(&force, &catalog)).expect("rollup");
    let whole = rollup
        .compute(DayRange::new(d0(), d0() + 40))
        .expect("whole");
    let part = rollup
        .compute(DayRange::new(d0() + 25, d0() + 31))
        .expect("part");
    for node in 0..whole.nodes() {
        for s in 0..whole.subjects.len() {
            for day in d0() + 25..=d0() + 31 {
                for band in AgeBand::ALL.iter().copied().map(Some).chain([None]) {
                    assert_eq!(whole.get(node, s, band, day), part.get(node, s, band, day));
                }
            }
        }
    }
}

/// The detail of one cell, computed over days 0..=60.
fn detail_at(
    force: &TinyForce,
    unit: i32,
    subject: Subject,
    band: Option<AgeBand>,
    day: DayNum,
) -> Detail {
    let (cells, subjects) = compute(force, DayRange::new(d0(), d0() + 60));
    let node = force.tree.index_of(UnitId(unit)).expect("unit");
    let s = subjects
        .iter()
        .position(|x| *x == subject)
        .expect("subject");
    cells.detail(node, s, band, d0() + day)
}

fn bins(detail: &Detail) -> Vec<(usize, u32)> {
    detail
        .first_use
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .map(|(b, c)| (b, *c))
        .collect()
}

#[test]
fn time_to_first_use_counts_from_the_first_eligible_day() {
    let force = tiny_force();
    // M365 on day 30, force: P1, P2, P3 eligible (first eligible day 10,
    // A1's go-live). P1's first use (day 5) came in the pilot: pre-go-live,
    // 0 days. P2's came on day 30: 20 days. P3 has none. Median (0+20)/2.
    let d = detail_at(&force, 1, M365, None, 30);
    assert_eq!(bins(&d), vec![(0, 1), (first_use_bin(10, 30), 1)]);
    assert_eq!(d.median_days_to_first_use(), Some(Median::Exact(10.0)));
    // Box on day 30, B1: P4 moved in on day 20, its go-live, and used Box
    // on day 25 (5 days); P6 started on day 24 and used it that day (0
    // days). P5, who used it a day after go-live, left on day 22.
    let d = detail_at(&force, 5, BOX_P, None, 30);
    assert_eq!(
        bins(&d),
        vec![(first_use_bin(0, 0), 1), (first_use_bin(0, 5), 1)]
    );
    assert_eq!(d.median_days_to_first_use(), Some(Median::Exact(2.5)));
    assert_eq!(
        d.within_grace,
        Counts::default(),
        "nobody has had 30 days yet"
    );
    // All tools: P4's first eligible day is still 10, in A1, before the
    // move; first use day 15 (Teams).
    let d = detail_at(&force, 5, Subject::All, Some(AgeBand::From35To44), 30);
    assert_eq!(
        bins(&d),
        vec![(first_use_bin(0, 0), 1), (first_use_bin(10, 15), 1)]
    );
}

#[test]
fn used_within_30_days_counts_only_those_seen_for_30_days() {
    let force = tiny_force();
    // Day 39: A1 went live on day 10, 29 days ago: nobody yet.
    assert_eq!(
        detail_at(&force, 4, M365, None, 39).within_grace,
        Counts::default()
    );
    // Day 40: P1 (pilot), P2 (20 days) and P3 (never) have had 30 days.
    assert_eq!(
        detail_at(&force, 4, M365, None, 40).within_grace,
        counts(3, 0, 2, 0)
    );
}

#[test]
fn depth_is_active_days_in_the_window() {
    let force = tiny_force();
    // Day 30, M365 window [3, 30]: P1 active on days 5 and 12 (2 days), P2
    // on day 30 (1 day). Median (1+2)/2.
    let d = detail_at(&force, 1, M365, None, 30);
    assert_eq!(&d.depth[..3], &[1, 1, 0]);
    assert_eq!(d.median_depth(), Some(Median::Exact(1.5)));
    // Day 33: day 5 has left the window.
    let d = detail_at(&force, 1, M365, None, 33);
    assert_eq!(&d.depth[..3], &[2, 0, 0]);
}

#[test]
fn retention_follows_each_cohort_from_its_unit_and_band_at_first_use() {
    let force = tiny_force();
    let teams = Subject::Tool(ToolId(2));
    // Day 0 is a Sunday. P1 first used Teams on day 5, in the ISO week of
    // days 1..=7; four weeks on ends on day 35. P1 is still eligible, last
    // active on day 12 (23 days before): retained, in A1, band 25–34.
    let at35 = detail_at(&force, 4, teams, Some(AgeBand::From25To34), 35);
    assert_eq!(at35.retention[0], counts(1, 0, 1, 0));
    assert_eq!(
        detail_at(&force, 1, teams, None, 35).retention[0],
        counts(1, 0, 1, 0)
    );
    // Only on the week's last day.
    assert_eq!(
        detail_at(&force, 1, teams, None, 34).retention[0],
        Counts::default()
    );
    assert_eq!(
        detail_at(&force, 1, teams, None, 36).retention[0],
        Counts::default()
    );
    // All tools: P4's first use (Teams, day 15, week 15..=21) was made in
    // A1; four weeks on (day 49) P4 is in B1, active on day 25: counted in
    // A1, band 35–44. P5's cohort (day 21) has left by then: not counted.
    assert_eq!(
        detail_at(&force, 4, Subject::All, Some(AgeBand::From35To44), 49).retention[0],
        counts(1, 0, 1, 0)
    );
    assert_eq!(
        detail_at(&force, 5, Subject::All, None, 49).retention[0],
        Counts::default()
    );
    // Box: P4 (day 25) and P6 (day 24) share the week of days 22..=28; on
    // day 56 both are eligible, neither active in the 28 days before.
    assert_eq!(
        detail_at(&force, 5, BOX_P, None, 56).retention[0],
        counts(2, 0, 0, 0)
    );
}

#[test]
fn first_use_in_the_first_28_days_of_data_is_reached_before_data_start() {
    let mut force = tiny_force();
    // Teams data starts on day 0: a first use before day 28 may have come
    // earlier, unseen.
    force.data_start[TEAMS] = Some(d0());
    // Day 40, A1, M365: P1 (day 5) is reached, but before data start; P2
    // (Exchange, day 30) is not. P1 leaves time to first use and the
    // 30-day share; P3 stays in the share.
    let d = detail_at(&force, 4, M365, None, 40);
    assert_eq!(d.before_data_start, 1);
    assert_eq!(bins(&d), vec![(first_use_bin(10, 30), 1)]);
    assert_eq!(d.within_grace, counts(2, 0, 1, 0));
    // ... and is in no retention cohort.
    let teams = Subject::Tool(ToolId(2));
    assert_eq!(
        detail_at(&force, 1, teams, None, 35).retention[0],
        Counts::default()
    );
    // The counts are untouched: P1 is reached.
    let t = compute(&force, DayRange::new(d0(), d0() + 40));
    let node = force.tree.index_of(UnitId(4)).expect("unit");
    let s = t.1.iter().position(|x| *x == M365).expect("subject");
    assert_eq!(t.0.get(node, s, None, d0() + 40).reached, 2);
}

/// Every cell of `range`, in a fixed order.
fn all_cells(force: &TinyForce, range: DayRange) -> Vec<(Counts, Detail)> {
    let (cells, _) = compute(force, range);
    let mut out = Vec::new();
    for node in 0..cells.nodes() {
        for s in 0..cells.subjects.len() {
            for day in range.first..=range.last {
                for band in AgeBand::ALL.iter().copied().map(Some).chain([None]) {
                    out.push((
                        cells.get(node, s, band, day),
                        cells.detail(node, s, band, day),
                    ));
                }
            }
        }
    }
    out
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 48, ..Default::default() })]

    /// New activity arriving for days from `from` on: the days before keep
    /// their cells, and recomputing only `from..` gives what a rebuild of
    /// everything gives. This is what the store's refresh relies on.
    #[test]
    fn an_incremental_refresh_equals_a_rebuild(
        old in proptest::collection::vec((0usize..6, 0usize..5, 0i32..50), 0..40),
        new in proptest::collection::vec((0usize..6, 0usize..5, 0i32..50), 1..20),
        from in 0i32..50,
        data_start in proptest::option::of(-10i32..30),
    ) {
        let range = DayRange::new(d0(), d0() + 49);
        let mut force = tiny_force();
        force.data_start[TEAMS] = data_start.map(|d| d0() + d);
        let mark = |force: &mut TinyForce, (p, tool, day): (usize, usize, i32)| {
            force.activity.mark(p, tool, d0() + day);
            force.first_use.record(p, tool, d0() + day);
        };
        for e in old {
            mark(&mut force, e);
        }
        let before = all_cells(&force, range);
        for (p, tool, day) in new {
            mark(&mut force, (p, tool, day.max(from)));
        }
        let rebuilt = all_cells(&force, range);
        // Cells are laid out [node][subject][day][band]; compare day by day.
        let per_day = BAND_SLOTS;
        let days = range.len();
        for (i, (b, r)) in before.iter().zip(&rebuilt).enumerate() {
            let day = (i / per_day) % days;
            if (day as i32) < from {
                proptest::prop_assert_eq!(b, r, "day {} changed", day);
            }
        }
        let refreshed = all_cells(&force, DayRange::new(d0() + from, range.last));
        let tail: Vec<(Counts, Detail)> = rebuilt
            .iter()
            .enumerate()
            .filter(|(i, _)| ((i / per_day) % days) as i32 >= from)
            .map(|(_, c)| *c)
            .collect();
        proptest::prop_assert_eq!(refreshed, tail);
    }
}
