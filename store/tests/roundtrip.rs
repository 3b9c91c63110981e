//! Store round trips, run against SQLite and a throwaway PostgreSQL.

use chrono::NaiveDate;
use domain::{
    access::AuditAction,
    activity::{ActivityRecord, WriteMode, resolve_batch},
    catalog::{Source, Subject},
    formats::{RosterRecord, UnitRecord},
    metrics::Counts,
    org::UnitId,
    people::AgeBand,
    wave::TargetMetric,
};
use store::{AuditEntry, NewWave, Store, StoreError, testing};

fn day(s: &str) -> NaiveDate {
    s.parse().expect("test date")
}

/// Force F → commands A, B → teams A1, B1; 4 people; M365 live for A on
/// 1 Mar, Box for B1 on 10 Mar.
async fn seed(store: &Store) -> (UnitId, Subject, Subject) {
    let boxt = store.register_tool("Box", Source::Box).await.expect("tool");
    let teams = store
        .register_tool("Teams", Source::M365)
        .await
        .expect("tool");
    let exchange = store
        .register_tool("Exchange", Source::M365)
        .await
        .expect("tool");
    let box_p = store.define_product("Box", &[boxt]).await.expect("product");
    let m365 = store
        .define_product("Microsoft 365", &[teams, exchange])
        .await
        .expect("product");
    let unit = |code: &str, parent: Option<&str>, kind: &str| UnitRecord {
        code: code.into(),
        parent_code: parent.map(Into::into),
        name: format!("Unit {code}"),
        kind: kind.into(),
        restricted: false,
    };
    store
        .apply_units(
            &[
                unit("F", None, "force"),
                unit("A", Some("F"), "command"),
                unit("B", Some("F"), "command"),
                unit("A1", Some("A"), "team"),
                unit("B1", Some("B"), "team"),
            ],
            day("2025-01-01"),
        )
        .await
        .expect("units");
    let person = |n: u32, unit: &str, born: i32| RosterRecord {
        staff_number: format!("S{n}"),
        sign_in_name: format!("Person.{n}@force.police.uk"),
        unit_code: unit.into(),
        birth_year: born,
        role: "PC".into(),
        start_date: day("2020-01-01"),
        leave_date: None,
    };
    store
        .apply_roster(
            &[
                person(1, "A1", 1995),
                person(2, "A1", 1965),
                person(3, "B1", 1990),
                person(4, "B1", 2003),
            ],
            day("2025-01-01"),
        )
        .await
        .expect("roster");
    let units = store.units().await.expect("units");
    let id = |code: &str| units.iter().find(|u| u.code == code).expect("unit").id;
    let wave = |name: &str, product, unit, go: &str| NewWave {
        name: name.into(),
        product,
        go_live: day(go),
        target_metric: TargetMetric::AdoptionRate,
        target_value: 0.8,
        target_date: day("2026-12-31"),
        units: vec![unit],
    };
    store
        .create_wave(
            &wave("M365 A", m365, id("A"), "2026-03-01"),
            &store::testing::AUDIT,
        )
        .await
        .expect("wave");
    store
        .create_wave(
            &wave("Box B1", box_p, id("B1"), "2026-03-10"),
            &store::testing::AUDIT,
        )
        .await
        .expect("wave");
    (id("F"), Subject::Product(m365), Subject::Product(box_p))
}

async fn ingest(store: &Store, records: &[(&str, &str, &str, i64)]) {
    let catalog = store.catalog().await.expect("catalog");
    let resolver = store.identity_resolver().await.expect("resolver");
    let records: Vec<ActivityRecord> = records
        .iter()
        .map(|(tool, user, d, actions)| ActivityRecord {
            tool: catalog.tool_by_name(tool).expect("tool").id,
            user,
            day: day(d),
            actions: *actions,
        })
        .collect();
    let batch = resolve_batch(&resolver, &records, WriteMode::Replace);
    let summary = store
        .ingest(Source::M365, WriteMode::Replace, &batch)
        .await
        .expect("ingest");
    let (from, to) = summary.days.expect("days");
    store.refresh_rollups(from, to).await.expect("refresh");
}

#[tokio::test]
async fn figures_round_trip_through_rollups_on_both_backends() {
    for db in testing::both().await.expect("databases") {
        let store = &db.store;
        let (force, m365, box_p) = seed(store).await;
        ingest(
            store,
            &[
                ("Teams", "person.1@force.police.uk", "2026-03-02", 4),
                ("Exchange", "PERSON.2@force.police.uk", "2026-03-20", 1),
                ("Box", "person.3@force.police.uk", "2026-03-12", 2),
                ("Box", "stranger@force.police.uk", "2026-03-12", 2),
            ],
        )
        .await;
        let on = day("2026-03-20");
        let cells = store
            .cells_on(&[force], &[m365, box_p, Subject::All], None, on)
            .await
            .expect("cells");
        // M365: persons 1 and 2 eligible; both active within 28 days.
        assert_eq!(
            cells[&(force, m365)],
            Counts {
                eligible: 2,
                active7: 1,
                active28: 2,
                reached: 2
            },
            "{:?}",
            store.backend()
        );
        // Box: persons 3 and 4 eligible since 10 Mar; person 3 used it on the 12th.
        assert_eq!(
            cells[&(force, box_p)],
            Counts {
                eligible: 2,
                active7: 0,
                active28: 1,
                reached: 1
            }
        );
        assert_eq!(
            cells[&(force, Subject::All)],
            Counts {
                eligible: 4,
                active7: 1,
                active28: 3,
                reached: 3
            }
        );
        let young = store
            .cells_on(&[force], &[box_p], Some(AgeBand::Under25), on)
            .await
            .expect("cells");
        assert_eq!(
            young[&(force, box_p)],
            Counts {
                eligible: 1,
                active7: 0,
                active28: 0,
                reached: 0
            }
        );
        let series = store
            .series(force, m365, None, day("2026-02-27"), day("2026-03-03"))
            .await
            .expect("series");
        let eligible: Vec<u32> = series.iter().map(|(_, c)| c.eligible).collect();
        assert_eq!(eligible, vec![0, 0, 2, 2, 2]);
    }
}

#[tokio::test]
async fn time_to_first_use_depth_and_retention_round_trip_on_both_backends() {
    use domain::{
        metrics::{Median, first_use_bin},
        rollup::ALL_BANDS,
        usage::Shown,
    };
    for db in testing::both().await.expect("databases") {
        let store = &db.store;
        let (force, m365, _) = seed(store).await;
        ingest(
            store,
            &[
                ("Teams", "person.1@force.police.uk", "2026-03-02", 4),
                ("Teams", "person.1@force.police.uk", "2026-03-09", 1),
                ("Exchange", "person.2@force.police.uk", "2026-03-20", 1),
                // Carries the rollups on past the cohort's reading.
                ("Box", "person.3@force.police.uk", "2026-04-10", 1),
            ],
        )
        .await;
        let read = |from: &'static str, to: &'static str| {
            store.detail_series(force, m365, day(from), day(to))
        };
        // 20 Mar: both went live on 1 Mar. Person 1 first used it a day
        // later, person 2 after 19 days: median 10. Person 1 was active on
        // 2 days of the window, person 2 on 1.
        let on_20th = read("2026-03-20", "2026-03-20").await.expect("detail")[0].1[ALL_BANDS];
        assert_eq!(on_20th.first_use[first_use_bin(0, 1)], 1);
        assert_eq!(on_20th.first_use[first_use_bin(0, 19)], 1);
        assert_eq!(on_20th.first_users(), 2);
        assert_eq!(
            on_20th.median_days_to_first_use(),
            Some(Median::Exact(10.0))
        );
        assert_eq!(&on_20th.depth[..3], &[1, 1, 0]);
        // 31 Mar: 30 days since go-live, and both used it within 30.
        let on_31st = read("2026-03-31", "2026-03-31").await.expect("detail")[0].1[ALL_BANDS];
        assert_eq!(
            (on_31st.within_grace.eligible, on_31st.within_grace.active28),
            (2, 2)
        );
        // Person 1's cohort (w/c 2 Mar), four weeks on: read on Sunday
        // 5 Apr, still active (last use 9 Mar), in band 25–34.
        let weeks = read("2026-04-04", "2026-04-05").await.expect("detail");
        assert_eq!(weeks[0].1[ALL_BANDS].retention[0], Counts::default());
        let cohort = weeks[1].1;
        assert_eq!(
            (
                cohort[ALL_BANDS].retention[0].eligible,
                cohort[ALL_BANDS].retention[0].active28
            ),
            (1, 1)
        );
        assert_eq!(cohort[AgeBand::From25To34.index()].retention[0].eligible, 1);
        // Published to an admin, two people are too few for any figure.
        let (viewer, grant) = testing::admin_grant(store, None).await.expect("grant");
        let table = store
            .usage_table(&viewer, &grant, m365, day("2026-03-31"))
            .await
            .expect("usage");
        assert_eq!(table.rows.len(), 6);
        assert_eq!(table.rows[0].first_use, Shown::Suppressed);
        assert_eq!(table.rows[0].within_30, Shown::Suppressed);
        assert_eq!(table.rows[1].first_use, Shown::Nobody, "nobody under 25");
    }
}

#[tokio::test]
async fn an_incremental_refresh_equals_a_rebuild_and_reingesting_changes_nothing() {
    for db in testing::both().await.expect("databases") {
        let store = &db.store;
        seed(store).await;
        ingest(
            store,
            &[("Teams", "person.1@force.police.uk", "2026-03-02", 4)],
        )
        .await;
        ingest(
            store,
            &[("Box", "person.3@force.police.uk", "2026-04-02", 1)],
        )
        .await;
        ingest(
            store,
            &[("Exchange", "person.2@force.police.uk", "2026-03-15", 3)],
        )
        .await;
        let incremental = store.content_hash().await.expect("hash");
        ingest(
            store,
            &[("Exchange", "person.2@force.police.uk", "2026-03-15", 3)],
        )
        .await;
        assert_eq!(
            store.content_hash().await.expect("hash"),
            incremental,
            "re-ingest is idempotent"
        );
        store.rebuild_rollups().await.expect("rebuild");
        assert_eq!(
            store.content_hash().await.expect("hash"),
            incremental,
            "rebuild equals incremental"
        );
    }
}

#[tokio::test]
async fn unmatched_names_are_kept_with_their_dates_and_counts() {
    for db in testing::both().await.expect("databases") {
        let store = &db.store;
        seed(store).await;
        ingest(
            store,
            &[
                ("Box", "ghost@force.police.uk", "2026-03-12", 2),
                ("Box", "Ghost@force.police.uk", "2026-03-14", 5),
            ],
        )
        .await;
        let unmatched = store.unmatched_identities().await.expect("unmatched");
        assert_eq!(unmatched.len(), 1);
        assert_eq!(unmatched[0].user, "ghost@force.police.uk");
        assert_eq!(
            (
                unmatched[0].first_seen,
                unmatched[0].last_seen,
                unmatched[0].events
            ),
            (day("2026-03-12"), day("2026-03-14"), 7)
        );
    }
}

/// Two processes on one database: each caches the reference data, and a
/// change made through either is seen by both on their next read.
#[tokio::test]
async fn cached_reference_data_follows_changes_from_any_process_on_both_backends() {
    for db in testing::both().await.expect("databases") {
        let a = &db.store;
        seed(a).await;
        let b = Store::connect(&db.url).await.expect("second process");
        let before = b.units().await.expect("units").len();
        assert_eq!(a.units().await.expect("units").len(), before);
        assert_eq!(a.catalog().await.expect("catalog").tools().len(), 3);
        let moved = UnitRecord {
            code: "C".into(),
            parent_code: Some("F".into()),
            name: "Unit C".into(),
            kind: "command".into(),
            restricted: false,
        };
        a.apply_units(std::slice::from_ref(&moved), day("2026-04-01"))
            .await
            .expect("units");
        assert_eq!(b.units().await.expect("units").len(), before + 1);
        let path = b.unit_path("C").await.expect("path").expect("C exists");
        assert_eq!(path.chain.len(), 2, "root, then C");
        b.register_tool("Zoom", Source::Push).await.expect("tool");
        assert_eq!(a.catalog().await.expect("catalog").tools().len(), 4);
        // The default as-of day follows a source's coverage.
        assert!(a.resolve_as_of(None).await.is_err(), "no data yet");
        b.record_sync_success(Source::Push, day("2026-01-01"), day("2026-02-02"))
            .await
            .expect("sync");
        assert_eq!(
            a.resolve_as_of(None).await.expect("as of"),
            day("2026-02-02")
        );
        b.close().await;
    }
}

#[tokio::test]
async fn a_wave_target_is_a_share_by_a_day_after_go_live_on_both_backends() {
    let audit = AuditEntry {
        account: None,
        actor: "test",
        action: AuditAction::WaveTargetSet,
        detail: "target",
        scope: "local",
        address: None,
    };
    for db in testing::both().await.expect("databases") {
        let store = &db.store;
        seed(store).await;
        let wave = store.waves().await.expect("waves")[0].clone();
        store
            .set_wave_target(wave.id, 0.6, day("2026-09-01"), &audit)
            .await
            .expect("a share by a later day");
        let now = store.waves().await.expect("waves")[0].clone();
        assert_eq!(
            (now.target_value, now.target_date),
            (0.6, day("2026-09-01"))
        );
        for (value, date) in [
            (0.0, "2026-09-01"),
            (1.2, "2026-09-01"),
            (0.6, "2026-01-01"),
        ] {
            let refused = store
                .set_wave_target(wave.id, value, day(date), &audit)
                .await;
            assert!(
                matches!(refused, Err(StoreError::Rejected(_))),
                "{value} by {date}: {refused:?}"
            );
        }
        assert_eq!(
            store.waves().await.expect("waves")[0],
            now,
            "nothing changed"
        );
        let audited = store.audit_log(10).await.expect("audit log");
        assert_eq!(
            audited
                .iter()
                .filter(|r| r.action == "wave_target_set")
                .count(),
            1,
            "the change is audited, the refusals change nothing"
        );
        // A unit is in one wave of a product at most.
        let again = NewWave {
            name: "M365 again".into(),
            units: wave.units.clone(),
            ..new_wave_like(&wave)
        };
        let refused = store.create_wave(&again, &store::testing::AUDIT).await;
        assert!(
            matches!(&refused, Err(StoreError::Rejected(why)) if why.contains("one wave of a product")),
            "{refused:?}"
        );
    }
}

fn new_wave_like(wave: &domain::wave::Wave) -> NewWave {
    NewWave {
        name: wave.name.clone(),
        product: wave.product,
        go_live: wave.go_live,
        target_metric: wave.target_metric,
        target_value: wave.target_value,
        target_date: wave.target_date,
        units: wave.units.clone(),
    }
}

#[tokio::test]
async fn every_units_forecast_is_made_once_a_data_version_on_both_backends() {
    // Before any figures, quietly nothing (not an error every few seconds).
    let empty = testing::sqlite().await.expect("database");
    assert!(!empty.store.warm_forecasts().await.expect("no figures"));
    for db in testing::both().await.expect("databases") {
        let store = &db.store;
        seed(store).await;
        ingest(
            store,
            &[("Teams", "Person.1@force.police.uk", "2026-03-05", 3)],
        )
        .await;
        for source in [Source::M365, Source::Box] {
            store
                .record_sync_success(source, day("2026-03-01"), day("2026-03-31"))
                .await
                .expect("sync");
        }
        let warm = || async { store.warm_forecasts().await.expect("forecasts") };
        let decide = || async {
            let days = store.publication_days().await.expect("days");
            store.decide_publication(&days).await.expect("decided");
        };
        assert!(!warm().await, "nothing while the day is undecided");
        decide().await;
        assert!(warm().await, "made once the day is decided");
        assert!(!warm().await, "and not again for the same data");
        let wave = store.waves().await.expect("waves")[0].clone();
        store
            .set_wave_target(wave.id, 0.6, day("2026-09-01"), &testing::AUDIT)
            .await
            .expect("target");
        decide().await;
        assert!(warm().await, "made again after a change");
    }
}
