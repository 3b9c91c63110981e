//! A force worked by hand, for the tests that check figures: commands A
//! and B of 20 people each (all born in 1980, so one age band), Microsoft
//! 365 (one tool, Teams) live for both on 5 Jan 2026, and Teams use on
//! known days (`BASE_USES`, and any the test adds). Unit A's name is a
//! spreadsheet formula, which every export must leave inert.

use app::api::ssr::{
    Actor,
    accounts::{self, AddAccount, Credential},
};
use domain::{
    access::Role,
    activity::{ActivityRecord, WriteMode, resolve_batch},
    catalog::{ProductId, Source},
    formats::UnitRecord,
    wave::TargetMetric,
};
use server::auth::AuthConfig;
use store::{NewWave, testing::TestDb};

use super::{TestApp, day, person, unit};

/// Unit A's name.
pub const FORMULA: &str = "=HYPERLINK(\"http://x\",\"y\")";

/// (first person, last person, the day they used Teams): people 1–20 are
/// in A, 21–40 in B. On 30 Mar, the last day with data:
/// - A: 12 used it in the last 7 days (30 Mar), 3 more in the last 28
///   (10 Mar), 2 more earlier (20 Jan), 3 never: 20, 12, 15, 17.
/// - B: 5 on 29 Mar, 5 on 15 Mar, 4 on 1 Feb, 6 never: 20, 5, 10, 14.
/// - The force: 40, 17, 25, 31, an adoption rate of 25/40.
pub const BASE_USES: &[(usize, usize, &str)] = &[
    (1, 12, "2026-03-30"),
    (13, 15, "2026-03-10"),
    (16, 17, "2026-01-20"),
    (21, 25, "2026-03-29"),
    (26, 30, "2026-03-15"),
    (31, 34, "2026-02-01"),
];

pub const PASSWORD: &str = "a long enough password for the test";
pub const ADMIN: &str = "admin@force.police.uk";
/// Commander of A, without person-level lists.
pub const COMMANDER: &str = "commander.a@force.police.uk";

pub struct HandWorked {
    pub app: TestApp,
    pub m365: ProductId,
}

/// The force, with `extra` uses beside [`BASE_USES`], the wave's target,
/// the rollups built, and an admin and a commander of A.
pub async fn hand_worked(db: TestDb, extra: &[(usize, usize, &str)]) -> HandWorked {
    let app = TestApp::empty(db, AuthConfig::default());
    let store = &app.store;
    let teams = store
        .register_tool("Teams", Source::M365)
        .await
        .expect("tool");
    let m365 = store
        .define_product("Microsoft 365", &[teams])
        .await
        .expect("product");
    let a = UnitRecord {
        name: FORMULA.into(),
        ..unit("A", Some("F"))
    };
    store
        .apply_units(
            &[unit("F", None), a, unit("B", Some("F"))],
            day("2025-01-01"),
        )
        .await
        .expect("units");
    let roster: Vec<_> = (1..=40)
        .map(|n| person(n, &format!("person.{n}"), if n <= 20 { "A" } else { "B" }))
        .collect();
    store
        .apply_roster(&roster, day("2025-01-01"))
        .await
        .expect("roster");
    let units = store.units().await.expect("units");
    store
        .create_wave(
            &NewWave {
                name: "Microsoft 365".into(),
                product: m365,
                go_live: day("2026-01-05"),
                target_metric: TargetMetric::AdoptionRate,
                target_value: 0.8,
                target_date: day("2026-12-31"),
                units: units
                    .iter()
                    .filter(|u| u.parent.is_some())
                    .map(|u| u.id)
                    .collect(),
            },
            &store::testing::AUDIT,
        )
        .await
        .expect("wave");
    let names: Vec<(String, chrono::NaiveDate)> = BASE_USES
        .iter()
        .chain(extra)
        .flat_map(|&(first, last, on)| {
            (first..=last).map(move |n| (format!("person.{n}@force.police.uk"), day(on)))
        })
        .collect();
    let records: Vec<ActivityRecord> = names
        .iter()
        .map(|(user, on)| ActivityRecord {
            tool: teams,
            user,
            day: *on,
            actions: 1,
        })
        .collect();
    let resolver = store.identity_resolver().await.expect("resolver");
    let batch = resolve_batch(&resolver, &records, WriteMode::Replace);
    store
        .ingest(Source::M365, WriteMode::Replace, &batch)
        .await
        .expect("ingest");
    store.rebuild_rollups().await.expect("rollups");
    for (username, role, scope) in [
        (ADMIN, Role::Admin, vec![]),
        (COMMANDER, Role::UnitCommander, vec!["A".to_owned()]),
    ] {
        accounts::add(
            store,
            &Actor::local("test"),
            AddAccount {
                username,
                display_name: None,
                role,
                scope: &scope,
                person_lists: false,
                credential: Credential::Chosen(PASSWORD.into()),
                is_demo: false,
            },
        )
        .await
        .expect("account");
    }
    HandWorked { app, m365 }
}

impl HandWorked {
    /// A session cookie for one of the fixture's accounts.
    pub async fn sign_in(&self, username: &str) -> String {
        let reply = self.app.sign_in_with(username, PASSWORD, None).await;
        super::session_cookie(&reply).expect("signed in")
    }
}
