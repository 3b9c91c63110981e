//! Small generated forces for the disclosure attacker: teams of 4 to 15
//! people, so age bands of 1 to 5; people sitting directly in the force
//! and in its commands; one restricted team; movers, joiners and leavers;
//! Microsoft 365 live everywhere and Box in one command. Written through
//! the same store calls as imports and the demo, with an account of each
//! role.

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};
use domain::{
    access::Role,
    activity::{ActivityRecord, WriteMode, resolve_batch},
    catalog::Source,
    formats::{RosterRecord, UnitRecord},
    rng::Rng,
    wave::TargetMetric,
};
use server::demo::DemoAccount;
use store::{NewWave, Store};

use app::api::ssr::{
    Actor,
    accounts::{self, AddAccount, Credential},
};

/// The day the attacker reads.
pub const AS_OF: &str = "2026-10-20";
/// The first day of activity and of the roster.
const START: &str = "2026-07-01";
const M365_LIVE: &str = "2026-08-03";
const BOX_LIVE: &str = "2026-09-01";

/// One account of each role, as (username, role, scope, person-level
/// lists): an admin, a rollout manager, a commander of C1 who may list
/// its people, a commander of C2 who may not, and a viewer of one team.
pub const ACCOUNTS: [(&str, Role, &[&str], bool); 5] = [
    ("admin@small.test", Role::Admin, &[], false),
    ("manager@small.test", Role::RolloutManager, &[], false),
    ("commander@small.test", Role::UnitCommander, &["C1"], true),
    (
        "other.commander@small.test",
        Role::UnitCommander,
        &["C2"],
        false,
    ),
    ("viewer@small.test", Role::Viewer, &["C1-T1"], false),
];

struct Person {
    number: String,
    sign_in: String,
    born: i32,
    team: usize,
    /// A move to another team on the first of a month.
    moved: Option<(NaiveDate, usize)>,
    start: NaiveDate,
    leave: Option<NaiveDate>,
}

/// Writes force `seed` into an empty store, rolls it up and decides its
/// publication; returns its accounts with their passwords.
pub async fn write(store: &Store, seed: u64) -> Vec<DemoAccount> {
    let date = |s: &str| s.parse::<NaiveDate>().expect("a date");
    let (start, as_of) = (date(START), date(AS_OF));
    let mut rng = Rng::new(seed);
    let standard = store.ensure_standard_catalog().await.expect("catalog");

    // The tree: the force, two or three commands of two or three teams,
    // and a restricted team in the last command.
    let unit = |code: String, parent: Option<&str>, restricted| UnitRecord {
        name: format!("Unit {code}"),
        code,
        parent_code: parent.map(str::to_owned),
        kind: "unit".into(),
        restricted,
    };
    let mut units = vec![unit("F".into(), None, false)];
    let commands = 2 + rng.below(2) as usize;
    for c in 1..=commands {
        let command = format!("C{c}");
        units.push(unit(command.clone(), Some("F"), false));
        for t in 1..=2 + rng.below(2) {
            units.push(unit(format!("{command}-T{t}"), Some(&command), false));
        }
        if c == commands {
            units.push(unit(format!("{command}-R"), Some(&command), true));
        }
    }
    store
        .apply_units(&units, start - Days::new(30))
        .await
        .expect("units");

    // People: 4 to 15 in each team, up to 2 directly in the force and up
    // to 3 in each command.
    let leaves: Vec<usize> = (0..units.len())
        .filter(|&u| {
            !units
                .iter()
                .any(|c| c.parent_code.as_ref() == Some(&units[u].code))
        })
        .collect();
    let mut people: Vec<Person> = Vec::new();
    for (u, record) in units.iter().enumerate() {
        let size = match record.code.as_str() {
            "F" => rng.below(3),
            _ if !leaves.contains(&u) => rng.below(4),
            _ => 4 + rng.below(12),
        };
        for _ in 0..size {
            let n = people.len();
            let joined = rng.chance(0.1);
            let start = if joined {
                start + Days::new(30 + rng.below(80))
            } else {
                start - Days::new(365)
            };
            let leave = rng
                .chance(0.08)
                .then(|| date("2026-08-01") + Days::new(rng.below(75)))
                .filter(|l| *l > start);
            let moved = (rng.chance(0.08) && leaves.contains(&u)).then(|| {
                let to = leaves[rng.below(leaves.len() as u64) as usize];
                (
                    date(["2026-09-01", "2026-10-01"][rng.below(2) as usize]),
                    to,
                )
            });
            people.push(Person {
                number: format!("S{seed}-{n:04}"),
                sign_in: format!("p{n}@small.test"),
                born: 1958 + rng.below(46) as i32,
                team: u,
                moved,
                start,
                leave,
            });
        }
    }
    let team_on = |p: &Person, day: NaiveDate| match p.moved {
        Some((when, to)) if day >= when => to,
        _ => p.team,
    };
    let mut month = start;
    while month <= as_of {
        let next = month + Months::new(1);
        let horizon = next - Days::new(1);
        let roster: Vec<RosterRecord> = people
            .iter()
            .filter(|p| p.start <= horizon)
            .map(|p| RosterRecord {
                staff_number: p.number.clone(),
                sign_in_name: p.sign_in.clone(),
                unit_code: units[team_on(p, month)].code.clone(),
                birth_year: p.born,
                role: "officer".into(),
                start_date: p.start,
                leave_date: p.leave.filter(|l| *l <= horizon),
            })
            .collect();
        store.apply_roster(&roster, month).await.expect("roster");
        month = next;
    }

    // Microsoft 365 live for the whole force, Box for the first command.
    let ids = store.units().await.expect("units");
    let id = |code: &str| ids.iter().find(|u| u.code == code).expect("a unit").id;
    for (name, product, go_live, unit) in [
        ("Microsoft 365", standard.m365_product, M365_LIVE, "F"),
        ("Box", standard.box_product, BOX_LIVE, "C1"),
    ] {
        store
            .create_wave(
                &NewWave {
                    name: name.into(),
                    product,
                    go_live: date(go_live),
                    target_metric: TargetMetric::AdoptionRate,
                    target_value: 0.8,
                    target_date: date("2026-12-31"),
                    units: vec![id(unit)],
                },
                &store::testing::AUDIT,
            )
            .await
            .expect("wave");
    }

    // Use: each unit keen or not (some near everyone, as Microsoft 365 is
    // in most of a real force); each person takes some tools up from a
    // day after go-live (a few before, as pilots), and some stop.
    let keen: Vec<f64> = units
        .iter()
        .map(|_| if rng.chance(0.3) { 0.97 } else { rng.unit() })
        .collect();
    let tools: Vec<_> = std::iter::once((standard.box_tool, date(BOX_LIVE)))
        .chain(standard.m365_tools.iter().map(|&t| (t, date(M365_LIVE))))
        .collect();
    let mut m365 = Vec::new();
    let mut boxes = Vec::new();
    for p in &people {
        let keen = keen[p.team];
        for (i, &(tool, live)) in tools.iter().enumerate() {
            if !rng.chance(keen) {
                continue;
            }
            let first = if rng.chance(0.03) {
                live - Days::new(1 + rng.below(10))
            } else {
                live + Days::new(rng.below(45))
            };
            let stop = rng
                .chance(0.1)
                .then(|| first + Days::new(7 + rng.below(40)));
            let mut day = first.max(p.start);
            while day <= as_of && p.leave.is_none_or(|l| day <= l) && stop.is_none_or(|s| day < s) {
                let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
                if rng.chance(if weekend { 0.1 } else { 0.6 }) {
                    let record = (tool, p.sign_in.as_str(), day, 1 + rng.below(5) as i64);
                    if i == 0 { &mut boxes } else { &mut m365 }.push(record);
                }
                day = day + Days::new(1);
            }
        }
    }
    let resolver = store.identity_resolver().await.expect("resolver");
    for (source, records) in [(Source::M365, &m365), (Source::Box, &boxes)] {
        let records: Vec<ActivityRecord> = records
            .iter()
            .map(|&(tool, user, day, actions)| ActivityRecord {
                tool,
                user,
                day,
                actions,
            })
            .collect();
        let batch = resolve_batch(&resolver, &records, WriteMode::Replace);
        store
            .ingest(source, WriteMode::Replace, &batch)
            .await
            .expect("activity");
        store
            .record_sync_success(source, start, as_of)
            .await
            .expect("sync");
    }
    store.rebuild_rollups().await.expect("rollups");

    let mut out = Vec::new();
    for (username, role, scope, person_lists) in ACCOUNTS {
        let scope: Vec<String> = scope.iter().map(|s| (*s).to_owned()).collect();
        let password = accounts::add(
            store,
            &Actor::local("test"),
            AddAccount {
                username,
                display_name: None,
                role,
                scope: &scope,
                person_lists,
                credential: Credential::Generated,
                is_demo: true,
            },
        )
        .await
        .expect("account")
        .password
        .expect("a generated password");
        out.push(DemoAccount {
            username: username.to_owned(),
            role,
            scope,
            password,
        });
    }
    let days = store.publication_days().await.expect("days");
    store.decide_publication(&days).await.expect("publication");
    out
}
