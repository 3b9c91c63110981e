//! Ingestion end to end: the push API, file imports with bad input, and the
//! Graph and Box connectors' real HTTP client code against a local server
//! that speaks each protocol.

mod peer;
mod support;

use std::{io::Write, time::Duration};

use app::api::ssr::{ACCESS_HEADER, Actor};
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use chrono::NaiveDate;
use domain::{
    catalog::Source,
    formats::RosterRecord,
    graph::{LICENCE_FUNCTION, Report},
    health::LicenceHealth,
};
use peer::{CLIENT_ID, CLIENT_SECRET, Fault, Peer};
use server::{
    auth::{AuthConfig, token_hash},
    connectors::{
        Credentials, RetryPolicy,
        box_sync::{self, BoxConfig, BoxRange},
        graph_sync::{self, GraphConfig},
    },
    import::{self, ImportOptions, Kind},
    ingest::DEFAULT_ZONE,
    oidc::Secret,
    push::PushReport,
};
use store::{
    Store, SyncState,
    testing::{self, StoredActivity},
};
use support::{TestApp, day, person, unit};

/// Force F with teams A and B; Ann and Bob in A, Cat in B.
async fn small_force(store: &Store) {
    store.ensure_standard_catalog().await.expect("catalog");
    store
        .apply_units(
            &[unit("F", None), unit("A", Some("F")), unit("B", Some("F"))],
            day("2025-01-01"),
        )
        .await
        .expect("units");
    store
        .apply_roster(
            &[
                person(1, "Ann.Smith", "A"),
                person(2, "Bob.Jones", "A"),
                person(3, "Cat.Brown", "B"),
            ],
            day("2025-01-01"),
        )
        .await
        .expect("roster");
    store
        .set_setting("identity.external_domains", "cps.gov.uk")
        .await
        .expect("setting");
}

fn options() -> ImportOptions {
    ImportOptions {
        effective: day("2026-03-01"),
        day: None,
        zone: DEFAULT_ZONE,
    }
}

fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        attempts: 4,
        backoff: Duration::from_millis(20),
        max_wait: Duration::from_secs(2),
        throttled: 5,
    }
}

fn credentials(peer: &Peer, extra: Vec<(String, String)>) -> Credentials {
    Credentials {
        token_url: format!("{}/token", peer.base),
        client_id: CLIENT_ID.into(),
        client_secret: Secret(CLIENT_SECRET.into()),
        extra,
    }
}

async fn push(app: &TestApp, token: &str, body: Vec<u8>) -> support::Reply {
    let request = Request::builder()
        .method("POST")
        .uri("/api/v1/activity")
        .header(header::HOST, support::HOST)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .body(Body::from(body))
        .expect("request");
    app.send(request).await
}

#[tokio::test]
async fn the_push_api_takes_good_lines_rejects_bad_ones_and_never_double_counts() {
    for db in testing::both().await.expect("databases") {
        let app = TestApp::empty(db, AuthConfig::default());
        small_force(&app.store).await;
        app.store
            .register_tool("Slack", Source::Push)
            .await
            .expect("tool");
        let token = "upt_test_token";
        app.store
            .create_api_token("feed", &token_hash(token), &["Slack".into(), "Box".into()])
            .await
            .expect("token");
        let mut body = b"{\"tool\":\"Slack\",\"user\":\"ANN.SMITH@force.police.uk\",\"day\":\"2026-03-02\",\"actions\":3}\n\
{\"tool\":\"Teams\",\"user\":\"ann.smith@force.police.uk\",\"day\":\"2026-03-02\",\"actions\":1}\n\
{\"tool\":\"Zoom\",\"user\":\"ann.smith@force.police.uk\",\"day\":\"2026-03-02\",\"actions\":1}\n\
{\"tool\":\"Slack\",\"user\":\"bob.jones@force.police.uk\",\"day\":\"2026-02-30\",\"actions\":1}\n\
{\"tool\":\"Slack\",\"user\":\"bob.jones@force.police.uk\",\"day\":\"2026-03-02\",\"actions\":-1}\n\
this is not json\n\
\r\n"
            .to_vec();
        body.extend_from_slice(b"{\"tool\":\"Slack\",\"user\":\"");
        body.extend_from_slice(&[0xff, 0xfe]);
        body.extend_from_slice(b"\",\"day\":\"2026-03-02\",\"actions\":1}\n");
        body.extend_from_slice(
            b"{\"tool\":\"Slack\",\"user\":\"ghost@force.police.uk\",\"day\":\"2026-03-02\",\"actions\":2}\r\n",
        );
        // Fault 8: a day before anyone on the roster started, and one in
        // the future, are refused line by line.
        body.extend_from_slice(
            b"{\"tool\":\"Box\",\"user\":\"cat.brown@force.police.uk\",\"day\":\"1900-01-01\",\"actions\":1}\n\
{\"tool\":\"Box\",\"user\":\"cat.brown@force.police.uk\",\"day\":\"2999-01-01\",\"actions\":1}\n",
        );
        let reply = push(&app, token, body.clone()).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        // The route names the access its token guard granted.
        assert!(
            reply
                .header(ACCESS_HEADER)
                .is_some_and(|a| a.starts_with("token:")),
            "{:?}",
            reply.header(ACCESS_HEADER)
        );
        let report: PushReport = reply.json();
        assert_eq!((report.accepted, report.rejected), (2, 8), "{report:?}");
        let lines: Vec<u64> = report.rejects.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 3, 4, 5, 6, 8, 10, 11]);
        let reason = |line: u64| {
            report
                .rejects
                .iter()
                .find(|r| r.line == line)
                .map(|r| r.reason.clone())
                .unwrap_or_default()
        };
        assert!(
            reason(2).contains("may not write tool 'Teams'"),
            "{}",
            reason(2)
        );
        assert!(reason(3).contains("uptake tool add Zoom"), "{}", reason(3));
        assert!(reason(4).contains("2026-02-30"), "{}", reason(4));
        assert!(reason(5).contains("negative"), "{}", reason(5));
        assert!(reason(8).contains("UTF-8"), "{}", reason(8));
        assert!(
            reason(10).contains("before 2020-01-01, the earliest day"),
            "{}",
            reason(10)
        );
        assert!(reason(11).contains("in the future"), "{}", reason(11));
        let horizon = app.store.rollup_horizon().await.expect("horizon");
        assert!(
            horizon.is_some_and(|(first, _)| first >= day("2020-01-01")),
            "{horizon:?}"
        );
        assert_eq!((report.rows, report.unmatched), (1, 1));

        let stored = testing::activity(&app.store).await.expect("activity");
        assert_eq!(
            stored,
            [
                StoredActivity {
                    day: day("2026-03-02"),
                    tool: "Slack".into(),
                    sign_in: "?ghost@force.police.uk".into(),
                    source: "push".into(),
                    actions: 2
                },
                StoredActivity {
                    day: day("2026-03-02"),
                    tool: "Slack".into(),
                    sign_in: "ann.smith@force.police.uk".into(),
                    source: "push".into(),
                    actions: 3
                },
            ]
        );
        // The rollups and coverage, as a repeat must leave them (the
        // content hash changes: the repeat is an import on record).
        let figures = || async {
            let units: Vec<_> = app
                .store
                .units()
                .await
                .expect("units")
                .iter()
                .map(|u| u.id)
                .collect();
            let subjects = app.store.catalog().await.expect("catalog").subjects();
            let cells = app
                .store
                .band_cells_on(&units, &subjects, day("2026-03-02"))
                .await
                .expect("cells");
            let mut cells: Vec<_> = cells
                .into_iter()
                .map(|(k, v)| (k.0, k.1.key(), v))
                .collect();
            cells.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
            (
                format!("{cells:?}"),
                app.store.sync_states().await.expect("states"),
            )
        };
        let rollups = figures().await;
        let again: PushReport = push(&app, token, body).await.json();
        assert_eq!(again.accepted, 2);
        assert_eq!(
            testing::activity(&app.store).await.expect("activity"),
            stored,
            "a repeated push replaces, never adds"
        );
        let after = figures().await;
        assert_eq!(after.0, rollups.0, "nor do the rollups change");
        let coverage = |s: &[SyncState]| {
            s.iter()
                .map(|s| (s.source, s.data_start, s.complete_through))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            coverage(&after.1),
            coverage(&rollups.1),
            "nor does coverage"
        );

        for bad in ["", "upt_wrong"] {
            let reply = push(&app, bad, b"{}".to_vec()).await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{bad}");
        }
        let huge = vec![b' '; server::push::MAX_BODY_BYTES + 1];
        // Security finding 5: the token is checked before the body is read.
        assert_eq!(
            push(&app, "upt_wrong", huge.clone()).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            push(&app, token, huge).await.status,
            StatusCode::PAYLOAD_TOO_LARGE
        );
    }
}

/// A one-day Graph report for `tool`: Ann active, Bob idle, a name not on
/// the roster active, and a prosecutor (external) active.
fn report_csv(report: Report, actions: u32) -> String {
    let counted = report.counted_columns();
    let mut header = vec![
        "Report Refresh Date",
        "User Principal Name",
        "Last Activity Date",
        "Is Deleted",
    ];
    header.extend_from_slice(counted);
    if report == Report::Teams {
        header.push("Has Other Action");
    }
    header.push("Report Period");
    let row = |user: &str, n: u32| {
        // Bob counts nothing, but every tool saw him on the 22nd.
        let last_activity = if user.starts_with("bob") {
            "2026-03-22"
        } else {
            ""
        };
        let mut fields = vec![
            "2026-03-28".to_owned(),
            user.to_owned(),
            last_activity.to_owned(),
            "False".to_owned(),
        ];
        fields.extend(counted.iter().enumerate().map(|(i, _)| {
            if i == 0 {
                n.to_string()
            } else {
                "0".to_owned()
            }
        }));
        if report == Report::Teams {
            fields.push("No".to_owned());
        }
        fields.push("1".to_owned());
        fields.join(",")
    };
    format!(
        "\u{feff}{}\r\n{}\r\n{}\r\n{}\r\n{}\r\n",
        header.join(","),
        row("Ann.Smith@force.police.uk", actions),
        row("bob.jones@force.police.uk", 0),
        row("ghost@force.police.uk", 2),
        row("lawyer@cps.gov.uk", 1),
    )
}

/// An active-user report: (user, licensed tools as T/O/S/E letters,
/// Teams and Exchange last activity days).
fn licence_csv(day: &str, rows: &[(&str, &str, &str, &str)]) -> String {
    let mut out = String::from(
        "\u{feff}Report Refresh Date,User Principal Name,Display Name,Is Deleted,Deleted Date,Has Exchange License,Has OneDrive License,Has SharePoint License,Has Skype For Business License,Has Yammer License,Has Teams License,Exchange Last Activity Date,OneDrive Last Activity Date,SharePoint Last Activity Date,Skype For Business Last Activity Date,Yammer Last Activity Date,Teams Last Activity Date,Exchange License Assign Date,OneDrive License Assign Date,SharePoint License Assign Date,Skype For Business License Assign Date,Yammer License Assign Date,Teams License Assign Date,Assigned Products\r\n",
    );
    for (user, tools, teams_seen, exchange_seen) in rows {
        let has = |c: char| if tools.contains(c) { "True" } else { "False" };
        let since = |c: char| if tools.contains(c) { "2025-06-01" } else { "" };
        out.push_str(&format!(
            "{day},{user},{user},False,,{},{},{},False,False,{},{exchange_seen},,,,,{teams_seen},{},{},{},,,{},MICROSOFT 365 E5\r\n",
            has('E'), has('O'), has('S'), has('T'),
            since('E'), since('O'), since('S'), since('T'),
        ));
    }
    out
}

/// (tool, licensed, unlicensed, used without, licensed never used, seen
/// not using) from the data page's licence figures.
fn licence_figures(health: &LicenceHealth) -> Vec<(String, i64, i64, i64, i64, i64)> {
    health
        .tools
        .iter()
        .map(|t| {
            (
                t.tool.clone(),
                t.licensed,
                t.unlicensed,
                t.used_unlicensed,
                t.licensed_never_used,
                t.seen_not_counted,
            )
        })
        .collect()
}

async fn m365_state(store: &Store) -> SyncState {
    store
        .sync_states()
        .await
        .expect("states")
        .into_iter()
        .find(|s| s.source == Source::M365)
        .expect("m365")
}

fn graph_config(peer: &Peer) -> GraphConfig {
    GraphConfig {
        credentials: credentials(peer, vec![("scope".into(), "test/.default".into())]),
        api_base: peer.base.clone(),
        repull_days: 10,
        retry: quick_retries(),
    }
}

/// Publishes every report for 1–26 Mar; 27 and 28 Mar are not out yet.
/// On the 26th Ann holds every licence, Bob only Exchange (which saw him on
/// the 20th, though his rows count nothing), Cat none; a name nobody has
/// holds them all.
fn publish_march(peer: &Peer) {
    let mut reports = peer.state.reports.lock().expect("reports");
    reports.insert(
        format!("{LICENCE_FUNCTION}(date=2026-03-26)"),
        licence_csv(
            "2026-03-26",
            &[
                (
                    "ann.smith@force.police.uk",
                    "TOSE",
                    "2026-03-26",
                    "2026-03-26",
                ),
                ("Bob.Jones@force.police.uk", "E", "", "2026-03-20"),
                ("ghost@force.police.uk", "TOSE", "", ""),
            ],
        ),
    );
    for n in 1..=26 {
        for report in Report::ALL {
            reports.insert(
                format!("{}(date=2026-03-{n:02})", report.function()),
                report_csv(report, 3),
            );
        }
    }
}

#[tokio::test]
async fn the_graph_connector_pulls_missing_days_repulls_recent_ones_and_survives_faults() {
    for db in testing::both().await.expect("databases") {
        let store = db.store.clone();
        small_force(&store).await;
        let peer = Peer::start().await;
        publish_march(&peer);
        peer.state
            .token_life
            .store(15, std::sync::atomic::Ordering::SeqCst);
        peer.fault(Fault::ServerError {
            path: "getTeamsUserActivityUserDetail(date=2026-03-03)".into(),
        });
        peer.fault(Fault::Throttle {
            path: "getEmailActivityUserDetail(date=2026-03-10)".into(),
            retry_after: "1",
        });
        let today = day("2026-03-29");
        let config = graph_config(&peer);
        let report = graph_sync::sync(&store, &config, DEFAULT_ZONE, today)
            .await
            .expect("sync");
        assert_eq!(report.days_pulled, 4 * 26);
        assert_eq!(report.not_published.len(), 4 * 2);
        assert_eq!(
            peer.requests("getTeamsUserActivityUserDetail(date=2026-03-03)"),
            2,
            "the 503 was retried"
        );
        assert_eq!(
            peer.requests("getEmailActivityUserDetail(date=2026-03-10)"),
            2,
            "the 429 was waited out"
        );
        let tokens = peer
            .state
            .tokens_issued
            .load(std::sync::atomic::Ordering::SeqCst);
        assert!(
            tokens >= 7,
            "tokens expired mid-run were renewed ({tokens})"
        );

        let stored = testing::activity(&store).await.expect("activity");
        let ann: Vec<_> = stored
            .iter()
            .filter(|a| a.sign_in == "ann.smith@force.police.uk")
            .collect();
        assert_eq!(ann.len(), 4 * 26, "one row per report day");
        assert!(ann.iter().all(|a| a.actions == 3 && a.source == "m365"));
        assert!(
            stored.iter().all(|a| !a.sign_in.contains("bob")),
            "a row of zeros is not use"
        );
        assert_eq!(
            stored
                .iter()
                .filter(|a| a.sign_in == "?ghost@force.police.uk")
                .count(),
            4 * 26
        );
        let names = store.unmatched_identities().await.expect("names");
        assert!(
            names
                .iter()
                .any(|n| n.user == "lawyer@cps.gov.uk" && n.external)
        );
        let state = m365_state(&store).await;
        assert_eq!(state.data_start, Some(day("2026-03-01")));
        assert_eq!(state.complete_through, Some(day("2026-03-26")));
        assert_eq!(state.last_error, None);
        assert!(state.last_success_at.is_some());
        let note = state.last_note.expect("what the sync left undone");
        assert!(
            note.contains("Teams for 27 Mar to 28 Mar 2026 (2 days)"),
            "{note}"
        );

        // The newest active-user report gives licences and last-seen days:
        // 28 and 27 Mar were tried first, and are not out yet.
        assert_eq!(report.licence_day, Some(day("2026-03-26")));
        assert_eq!(peer.requests(LICENCE_FUNCTION), 3);
        let licences = store
            .licence_health()
            .await
            .expect("licences")
            .expect("a licence report");
        assert_eq!(
            (licences.day, licences.rows, licences.unmatched),
            (day("2026-03-26"), 3, 1)
        );
        assert_eq!(
            licence_figures(&licences),
            vec![
                ("Teams".into(), 1, 2, 0, 0, 1),
                ("OneDrive".into(), 1, 2, 0, 0, 1),
                ("SharePoint".into(), 1, 2, 0, 0, 1),
                ("Exchange".into(), 2, 1, 0, 1, 1),
            ]
        );

        // Graph re-publishes 25 Mar with Ann's Teams day now empty, and
        // publishes 27 Mar. The next run pulls the missing days and the last
        // ten again; the re-published day replaces the old one.
        {
            let mut reports = peer.state.reports.lock().expect("reports");
            reports.insert(
                "getTeamsUserActivityUserDetail(date=2026-03-25)".into(),
                report_csv(Report::Teams, 0),
            );
            for r in Report::ALL {
                reports.insert(
                    format!("{}(date=2026-03-27)", r.function()),
                    report_csv(r, 3),
                );
            }
            // On the 27th Ann's Teams licence is gone and Cat has one.
            reports.insert(
                format!("{LICENCE_FUNCTION}(date=2026-03-27)"),
                licence_csv(
                    "2026-03-27",
                    &[
                        (
                            "ann.smith@force.police.uk",
                            "OSE",
                            "2026-03-27",
                            "2026-03-27",
                        ),
                        ("bob.jones@force.police.uk", "E", "", "2026-03-20"),
                        ("cat.brown@force.police.uk", "T", "", ""),
                    ],
                ),
            );
        }
        peer.state
            .token_life
            .store(u32::MAX, std::sync::atomic::Ordering::SeqCst);
        let detail_requests = || -> usize {
            Report::ALL
                .iter()
                .map(|r| peer.requests(r.function()))
                .sum()
        };
        let before = (detail_requests(), peer.requests(LICENCE_FUNCTION));
        let again = graph_sync::sync(&store, &config, DEFAULT_ZONE, today)
            .await
            .expect("second sync");
        assert_eq!(detail_requests() - before.0, 4 * 10);
        assert_eq!(again.days_pulled, 4 * 9);
        assert_eq!(again.licence_day, Some(day("2026-03-27")));
        assert_eq!(peer.requests(LICENCE_FUNCTION) - before.1, 2);
        let licences = store
            .licence_health()
            .await
            .expect("licences")
            .expect("a licence report");
        assert_eq!(licences.day, day("2026-03-27"));
        assert_eq!(
            licence_figures(&licences)[0],
            ("Teams".into(), 1, 2, 1, 1, 1),
            "a newer report replaces the licences: Ann uses Teams without one now"
        );
        // An older report imported by hand leaves the newer licences, and
        // last-seen days never go back.
        let older = import_text(
            &store,
            Kind::M365Licences,
            licence_csv(
                "2026-03-20",
                &[("ann.smith@force.police.uk", "TOSE", "2026-03-01", "")],
            )
            .as_bytes(),
            None,
        )
        .await
        .expect("older import");
        assert!(
            older
                .to_string()
                .contains("the licences of 2026-03-27 stay"),
            "{older}"
        );
        let mixed = format!(
            "{}{}",
            licence_csv("2026-03-20", &[("ann.smith@force.police.uk", "T", "", "")]),
            licence_csv("2026-03-21", &[("bob.jones@force.police.uk", "T", "", "")])
                .split_once('\n')
                .expect("header")
                .1
        );
        let refused = import_text(&store, Kind::M365Licences, mixed.as_bytes(), None)
            .await
            .expect_err("two days");
        assert!(
            refused
                .to_string()
                .contains("2 different Report Refresh Dates"),
            "{refused}"
        );
        assert_eq!(
            licence_figures(&store.licence_health().await.expect("l").expect("l"))[0].1,
            1
        );
        let stored = testing::activity(&store).await.expect("activity");
        let ann: Vec<_> = stored
            .iter()
            .filter(|a| a.sign_in == "ann.smith@force.police.uk")
            .collect();
        assert_eq!(ann.len(), 4 * 27 - 1);
        assert!(
            !ann.iter()
                .any(|a| a.tool == "Teams" && a.day == day("2026-03-25"))
        );
        let hash = store.content_hash().await.expect("hash");
        graph_sync::sync(&store, &config, DEFAULT_ZONE, today)
            .await
            .expect("third sync");
        assert_eq!(
            store.content_hash().await.expect("hash"),
            hash,
            "pulling the same days again changes nothing"
        );
    }
}

#[tokio::test]
async fn a_broken_licence_report_is_reported_without_holding_back_the_report_days() {
    let db = testing::sqlite().await.expect("database");
    let store = db.store.clone();
    small_force(&store).await;
    let peer = Peer::start().await;
    publish_march(&peer);
    peer.state.reports.lock().expect("reports").insert(
        format!("{LICENCE_FUNCTION}(date=2026-03-26)"),
        "Report Refresh Date,User Principal Name,Has Exchange License\r\n2026-03-26,ann.smith@force.police.uk,True\r\n".into(),
    );
    let report = graph_sync::sync(
        &store,
        &graph_config(&peer),
        DEFAULT_ZONE,
        day("2026-03-29"),
    )
    .await
    .expect("the report days are stored");
    assert_eq!(report.days_pulled, 4 * 26);
    assert_eq!(report.licence_day, None);
    let problem = report.licence_error.expect("the licence report's problem");
    assert!(problem.contains("Has Teams License"), "{problem}");
    let state = m365_state(&store).await;
    assert_eq!(state.complete_through, Some(day("2026-03-26")));
    let error = state
        .last_error
        .expect("the problem is kept for the data page");
    assert!(
        error.starts_with("the licence report:") && error.contains("Has Teams License"),
        "{error}"
    );
    assert!(store.licence_health().await.expect("licences").is_none());
}

#[tokio::test]
async fn the_graph_connector_stops_on_concealed_names_and_says_how_to_fix_it() {
    let db = testing::sqlite().await.expect("database");
    let store = db.store.clone();
    small_force(&store).await;
    let peer = Peer::start().await;
    publish_march(&peer);
    peer.state
        .concealed
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let config = graph_config(&peer);
    let err = graph_sync::sync(&store, &config, DEFAULT_ZONE, day("2026-03-29"))
        .await
        .expect_err("concealed");
    assert!(format!("{err:#}").contains("Org settings"), "{err:#}");
    assert_eq!(peer.requests("/v1.0/reports/"), 0, "stopped before pulling");

    // Without permission to read the setting, the names give it away.
    peer.state
        .concealed
        .store(false, std::sync::atomic::Ordering::SeqCst);
    peer.state
        .settings_forbidden
        .store(true, std::sync::atomic::Ordering::SeqCst);
    {
        let mut reports = peer.state.reports.lock().expect("reports");
        for csv in reports.values_mut() {
            *csv = csv
                .replace(
                    "Ann.Smith@force.police.uk",
                    "5A0F3C9E1B2D4F6A8C0E2B4D6F8A0C2E",
                )
                .replace(
                    "bob.jones@force.police.uk",
                    "00D1B2A3C4E5F60718293A4B5C6D7E8F",
                );
        }
    }
    let err = graph_sync::sync(&store, &config, DEFAULT_ZONE, day("2026-03-29"))
        .await
        .expect_err("concealed in the data");
    assert!(format!("{err:#}").contains("Org settings"), "{err:#}");
    assert!(
        testing::activity(&store)
            .await
            .expect("activity")
            .is_empty(),
        "no pseudonymised row is attributed to anyone"
    );
    let state = store.sync_states().await.expect("states");
    let m365 = state
        .iter()
        .find(|s| s.source == Source::M365)
        .expect("m365");
    assert!(
        m365.last_error
            .as_deref()
            .is_some_and(|e| e.contains("concealing user names")),
        "{m365:?}"
    );
}

fn event(id: &str, kind: &str, login: &str, at: &str) -> serde_json::Value {
    serde_json::json!({
        "type": "event",
        "event_id": id,
        "event_type": kind,
        "created_by": {"type": "user", "id": "1", "name": "x", "login": login},
        "created_at": at,
        "source": {"item_type": "file", "item_id": "99", "item_name": "cctv.mp4"}
    })
}

/// The stream as Box delivers it: out of order, with repeats, a login that
/// is not use, an external prosecutor and a name not on the roster.
fn box_stream() -> Vec<serde_json::Value> {
    let ann = "ann.smith@force.police.uk";
    vec![
        event("e1", "UPLOAD", ann, "2026-03-02T10:00:00Z"),
        event(
            "e2",
            "LOGIN",
            "bob.jones@force.police.uk",
            "2026-03-02T09:00:00Z",
        ),
        // 23:30 Pacific is 07:30 on 3 Mar in London.
        event("e3", "PREVIEW", ann, "2026-03-02T23:30:00-08:00"),
        event(
            "e4",
            "DOWNLOAD",
            "Bob.Jones@force.police.uk",
            "2026-03-01T12:00:00Z",
        ),
        event("e1", "UPLOAD", ann, "2026-03-02T10:00:00Z"),
        event("e5", "SHARE", "lawyer@cps.gov.uk", "2026-03-02T12:00:00Z"),
        event(
            "e6",
            "EDIT",
            "ghost@force.police.uk",
            "2026-03-02T12:00:00Z",
        ),
        event("e3", "PREVIEW", ann, "2026-03-02T23:30:00-08:00"),
        event("e7", "COMMENT_CREATE", ann, "2026-03-02T11:00:00Z"),
    ]
}

fn box_config(peer: &Peer) -> BoxConfig {
    BoxConfig {
        credentials: credentials(
            peer,
            vec![
                ("box_subject_type".into(), "enterprise".into()),
                ("box_subject_id".into(), "42".into()),
            ],
        ),
        api_base: peer.base.clone(),
        page_size: 3,
        retry: quick_retries(),
    }
}

fn expected_box() -> Vec<StoredActivity> {
    let row = |d: &str, who: &str, actions| StoredActivity {
        day: day(d),
        tool: "Box".into(),
        sign_in: who.into(),
        source: "box".into(),
        actions,
    };
    vec![
        row("2026-03-01", "bob.jones@force.police.uk", 1),
        row("2026-03-02", "?ghost@force.police.uk", 1),
        row("2026-03-02", "?lawyer@cps.gov.uk", 1),
        row("2026-03-02", "ann.smith@force.police.uk", 2),
        row("2026-03-03", "ann.smith@force.police.uk", 1),
    ]
}

#[tokio::test]
async fn the_box_connector_pages_the_stream_counting_each_event_once() {
    for db in testing::both().await.expect("databases") {
        let store = db.store.clone();
        small_force(&store).await;
        let peer = Peer::start().await;
        *peer.state.events.lock().expect("events") = box_stream();
        peer.fault(Fault::Truncate {
            path: "stream_position\", \"3\"".into(),
        });
        peer.fault(Fault::Throttle {
            path: "stream_position\", \"6\"".into(),
            retry_after: "1",
        });
        peer.fault(Fault::ServerError {
            path: "stream_position\", \"6\"".into(),
        });
        peer.state
            .token_life
            .store(3, std::sync::atomic::Ordering::SeqCst);
        let config = box_config(&peer);
        let report = box_sync::sync(&store, &config, DEFAULT_ZONE, BoxRange::Stream)
            .await
            .expect("sync");
        assert_eq!(report.events, 9);
        assert_eq!(report.repeats, 2, "e1 and e3 came twice");
        // Staff person-days written, each once though Ann's 2 March came
        // on two pages (the ghost and the prosecutor are not staff).
        assert_eq!(report.activity_rows, 3);
        assert_eq!(
            testing::activity(&store).await.expect("activity"),
            expected_box()
        );
        let state = store.sync_states().await.expect("states");
        let boxed = state.iter().find(|s| s.source == Source::Box).expect("box");
        assert_eq!(boxed.cursor.as_deref(), Some("9"));
        assert_eq!(boxed.data_start, Some(day("2026-03-01")));

        // Caught up: the next run asks once from the saved position.
        let before = peer.requests("/2.0/events");
        box_sync::sync(&store, &config, DEFAULT_ZONE, BoxRange::Stream)
            .await
            .expect("caught up");
        assert_eq!(peer.requests("/2.0/events") - before, 1);
        assert_eq!(
            testing::activity(&store).await.expect("activity"),
            expected_box()
        );

        // The same events in an export, with and without their ids, count
        // nothing more: the event-id table is shared.
        let export: String = box_stream().iter().map(|e| format!("{e}\n")).collect();
        let report = import::import(
            &store,
            Kind::BoxJson,
            "export.json",
            export.as_bytes(),
            options(),
            &Actor::local("test"),
        )
        .await
        .expect("import");
        assert_eq!((report.accepted, report.written.repeats), (9, 8));
        assert_eq!(
            testing::activity(&store).await.expect("activity"),
            expected_box()
        );

        // Older history comes from admin_logs between two instants.
        peer.state.events.lock().expect("events").push(event(
            "e0",
            "EDIT",
            "cat.brown@force.police.uk",
            "2026-02-10T10:00:00Z",
        ));
        let backfill = box_sync::sync(
            &store,
            &config,
            DEFAULT_ZONE,
            BoxRange::Backfill {
                after: "2026-02-01T00:00:00Z".parse().expect("time"),
                before: "2026-02-28T00:00:00Z".parse().expect("time"),
            },
        )
        .await
        .expect("backfill");
        assert_eq!(backfill.events, 1);
        let stored = testing::activity(&store).await.expect("activity");
        assert_eq!(stored.len(), 6);
        assert_eq!(stored[0].sign_in, "cat.brown@force.police.uk");
        let state = store.sync_states().await.expect("states");
        let boxed = state.iter().find(|s| s.source == Source::Box).expect("box");
        // Coverage starts where the backfill asked from: its days with no
        // events are days of no use, not missing data.
        assert_eq!(boxed.data_start, Some(day("2026-02-01")));
        assert_eq!(
            boxed.cursor.as_deref(),
            Some("9"),
            "a backfill keeps the stream's place"
        );
    }
}

#[tokio::test]
async fn a_connector_that_cannot_authenticate_says_so_in_plain_words() {
    let db = testing::sqlite().await.expect("database");
    small_force(&db.store).await;
    let peer = Peer::start().await;
    let mut config = box_config(&peer);
    config.credentials.client_secret = Secret("wrong".into());
    let err = box_sync::sync(&db.store, &config, DEFAULT_ZONE, BoxRange::Stream)
        .await
        .expect_err("refused");
    let text = format!("{err:#}");
    assert!(text.contains("check the client id and secret"), "{text}");
    let state = db.store.sync_states().await.expect("states");
    let boxed = state.iter().find(|s| s.source == Source::Box).expect("box");
    assert_eq!(boxed.last_error.as_deref(), Some(text.as_str()));

    // A token refused twice in a row (expired at once) is a permission
    // problem, not a loop.
    config.credentials.client_secret = Secret(CLIENT_SECRET.into());
    peer.state
        .token_life
        .store(0, std::sync::atomic::Ordering::SeqCst);
    let err = box_sync::sync(&db.store, &config, DEFAULT_ZONE, BoxRange::Stream)
        .await
        .expect_err("unauthorised");
    assert!(format!("{err:#}").contains("401 twice"), "{err:#}");
    assert_eq!(
        peer.state
            .tokens_issued
            .load(std::sync::atomic::Ordering::SeqCst),
        2
    );
}

async fn import_text(
    store: &Store,
    kind: Kind,
    text: &[u8],
    day: Option<NaiveDate>,
) -> anyhow::Result<import::ImportReport> {
    import::import(
        store,
        kind,
        "upload.csv",
        text,
        ImportOptions { day, ..options() },
        &Actor::local("test"),
    )
    .await
}

#[tokio::test]
async fn bad_files_name_the_line_and_problem_and_the_good_rows_go_in() {
    for db in testing::both().await.expect("databases") {
        let store = db.store.clone();
        small_force(&store).await;

        let missing = import_text(
            &store,
            Kind::Activity,
            b"tool,user,day\nBox,a,2026-03-01\n",
            None,
        )
        .await
        .expect_err("missing column");
        assert_eq!(
            missing.to_string(),
            "upload.csv: column 'actions' is missing (found: tool, user, day)"
        );
        let empty = import_text(&store, Kind::Activity, b"", None)
            .await
            .expect_err("empty");
        assert!(empty.to_string().contains("empty"), "{empty}");

        let mut file = b"\xef\xbb\xbftool,user,day,actions,note\r\n\
Box,ann.smith@force.police.uk,2026-03-01,2,\"quoted, with comma\"\r\n\
Box,bob.jones@force.police.uk,2026-03-32,1,\r\n\
Box,bob.jones@force.police.uk,2026-03-01,-4,\r\n\
Zoom,bob.jones@force.police.uk,2026-03-01,1,\r\n"
            .to_vec();
        file.extend_from_slice(b"Box,");
        file.extend_from_slice(&[0xc3, 0x28]);
        file.extend_from_slice(
            b",2026-03-01,1,\r\nBox,cat.brown@force.police.uk,2026-03-02,1,\r\n",
        );
        let report = import_text(&store, Kind::Activity, &file, None)
            .await
            .expect("import");
        assert_eq!(report.accepted, 2);
        let rejects: Vec<(u64, &str)> = report
            .rejects
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(rejects.len(), 4, "{rejects:?}");
        assert_eq!(rejects[0].0, 3);
        assert!(rejects[0].1.contains("2026-03-32"));
        assert_eq!(rejects[1].0, 4);
        assert!(rejects[1].1.contains("negative"));
        assert_eq!(rejects[2].0, 5);
        assert!(rejects[2].1.contains("uptake tool add Zoom"));
        assert_eq!(rejects[3].0, 6);
        assert!(rejects[3].1.contains("'user' is not valid UTF-8"));
        // Stored as the file had them, delimiters and all.
        let stored = store.import_rejects(report.id, 10).await.expect("rejects");
        assert_eq!(stored[0].raw, "Box,bob.jones@force.police.uk,2026-03-32,1,");
        assert_eq!(stored[3].raw, "Box,\u{fffd}(,2026-03-01,1,");
        let utf16: Vec<u8> = "tool,user,day,actions\r\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let refused = import_text(
            &store,
            Kind::Activity,
            &[&[0xff, 0xfe][..], &utf16].concat(),
            None,
        )
        .await
        .expect_err("UTF-16");
        assert!(refused.to_string().contains("UTF-16"), "{refused}");
        assert_eq!(testing::activity(&store).await.expect("activity").len(), 2);

        // A Graph file needs its day, and must be a one-day report.
        let teams = report_csv(Report::Teams, 4);
        let no_day = import_text(&store, Kind::Teams, teams.as_bytes(), None)
            .await
            .expect_err("no day");
        assert!(no_day.to_string().contains("--day"), "{no_day}");
        let week = teams.replace(",1\r\n", ",7\r\n");
        let period = import_text(
            &store,
            Kind::Teams,
            week.as_bytes(),
            Some(day("2026-03-05")),
        )
        .await
        .expect_err("a 7-day report");
        assert!(period.to_string().contains("covers 7 days"), "{period}");
        let ok = import_text(
            &store,
            Kind::Teams,
            teams.as_bytes(),
            Some(day("2026-03-05")),
        )
        .await
        .expect("one day");
        assert_eq!((ok.accepted, ok.written.rows), (4, 1));

        // The content hash covers what an import records (fault 7).
        let before = store.content_hash().await.expect("hash");
        import_text(
            &store,
            Kind::Activity,
            b"tool,user,day,actions\nBox,nobody,2026-13-01,1\n",
            None,
        )
        .await
        .expect("a file of one bad row");
        assert_ne!(
            store.content_hash().await.expect("hash"),
            before,
            "an import recorded"
        );

        // A truncated JSON export keeps its whole entries.
        let export: String = box_stream().iter().map(|e| format!("{e}\n")).collect();
        let cut = &export[..export.len() - 40];
        let truncated = import_text(&store, Kind::BoxJson, cut.as_bytes(), None)
            .await
            .expect("import");
        assert_eq!((truncated.accepted, truncated.rejects.len()), (8, 1));
        assert!(truncated.rejects[0].reason.contains("truncated"));
        assert_eq!(truncated.rejects[0].line, 9);

        // A Box CSV export without event ids, imported twice, counts once.
        let csv = "Date,User Login,Action,Item ID\n\
                   2026-03-04T10:00:00Z,cat.brown@force.police.uk,UPLOAD,7\n\
                   2026-03-04T10:05:00Z,cat.brown@force.police.uk,PREVIEW,7\n\
                   2026-03-04T10:06:00Z,cat.brown@force.police.uk,LOGIN,\n";
        let first = import_text(&store, Kind::BoxCsv, csv.as_bytes(), None)
            .await
            .expect("first");
        let stored = testing::activity(&store).await.expect("activity");
        let second = import_text(&store, Kind::BoxCsv, csv.as_bytes(), None)
            .await
            .expect("second");
        assert_eq!((first.accepted, second.written.repeats), (3, 2));
        assert_eq!(testing::activity(&store).await.expect("activity"), stored);
        let cat = stored
            .iter()
            .find(|a| a.sign_in.starts_with("cat") && a.day == day("2026-03-04"))
            .expect("cat's day");
        assert_eq!(cat.actions, 2);
        let hash = store.content_hash().await.expect("hash");
        let other = csv.replace("UPLOAD,7", "UPLOAD,8");
        import_text(&store, Kind::BoxCsv, other.as_bytes(), None)
            .await
            .expect("a new event key");
        assert_ne!(
            store.content_hash().await.expect("hash"),
            hash,
            "event keys"
        );

        // Every import is on record with its rejects.
        let imports = store.imports(20).await.expect("imports");
        assert!(
            imports
                .iter()
                .any(|i| i.rejected == 4 && i.kind == "activity")
        );
    }
}

#[tokio::test]
async fn a_roster_that_later_matches_a_name_attaches_its_activity() {
    let db = testing::sqlite().await.expect("database");
    let store = db.store.clone();
    small_force(&store).await;
    import_text(
        &store,
        Kind::Activity,
        b"tool,user,day,actions\nBox,Dan.Green@force.police.uk,2026-03-01,5\n",
        None,
    )
    .await
    .expect("import");
    assert_eq!(
        store.unmatched_identities().await.expect("names")[0].user,
        "dan.green@force.police.uk"
    );
    let roster = "staff_number,sign_in_name,unit_code,birth_year,role,start_date,leave_date\n\
                  S1,Ann.Smith@force.police.uk,A,1980,PC,2020-01-01,\n\
                  S2,Bob.Jones@force.police.uk,A,1980,PC,2020-01-01,\n\
                  S3,Cat.Brown@force.police.uk,B,1980,PC,2020-01-01,\n\
                  S4,dan.green@force.police.uk,B,1990,PCSO,2026-02-01,\n";
    import::import(
        &store,
        Kind::Roster,
        "roster.csv",
        roster.as_bytes(),
        options(),
        &Actor::local("test"),
    )
    .await
    .expect("roster");
    assert!(
        store
            .unmatched_identities()
            .await
            .expect("names")
            .is_empty()
    );
    let stored = testing::activity(&store).await.expect("activity");
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (stored[0].sign_in.as_str(), stored[0].actions),
        ("dan.green@force.police.uk", 5)
    );
}

/// The `uptake` binary, for tests that need a real process.
fn uptake() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_uptake"))
}

/// The peak resident memory of a process, polled until it exits.
fn peak_memory_kib(child: &mut std::process::Child) -> u64 {
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status)
            && let Some(line) = text.lines().find(|l| l.starts_with("VmHWM:"))
        {
            peak = line
                .split_whitespace()
                .nth(1)
                .and_then(|n| n.parse().ok())
                .unwrap_or(peak);
        }
        if child.try_wait().expect("wait").is_some() {
            return peak;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn a_200_mb_file_streams_through_in_bounded_memory() {
    let db = testing::sqlite().await.expect("database");
    small_force(&db.store).await;
    db.store.close().await;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("big.csv");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).expect("file"));
    writeln!(file, "tool,user,day,actions").expect("write");
    let names = ["ann.smith", "bob.jones", "cat.brown", "someone.else"];
    let mut written = 0u64;
    let mut n = 0u64;
    while written < 200_000_000 {
        let line = format!(
            "Box,{}@force.police.uk,2026-03-{:02},{}\n",
            names[(n % 4) as usize],
            n % 28 + 1,
            n % 9 + 1
        );
        written += line.len() as u64;
        file.write_all(line.as_bytes()).expect("write");
        n += 1;
    }
    drop(file);
    let mut child = uptake()
        .args(["--database-url", &db.url, "import", "activity"])
        .arg(&path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("uptake import");
    let peak = peak_memory_kib(&mut child);
    let output = child.wait_with_output().expect("output");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains(&format!("{n} rows accepted, 0 rejected")),
        "{text}"
    );
    assert!(
        peak < 400 * 1024,
        "a 200 MB file must stream: peak memory {} MiB",
        peak / 1024
    );
}

// The peer answers the child process from another worker thread while this
// one waits for the child.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_mid_run_resumes_to_the_same_totals() {
    let peer = Peer::start().await;
    // 40 pages of 5 events: 200 events over 10 people and 20 days, with
    // every tenth event delivered twice.
    let mut stream = Vec::new();
    for i in 0..180u32 {
        let e = event(
            &format!("k{i}"),
            ["UPLOAD", "PREVIEW", "LOGIN"][(i % 3) as usize],
            [
                "ann.smith@force.police.uk",
                "bob.jones@force.police.uk",
                "cat.brown@force.police.uk",
            ][(i % 3) as usize],
            &format!("2026-03-{:02}T{:02}:00:00Z", i % 20 + 1, i % 24),
        );
        stream.push(e.clone());
        if i % 10 == 0 {
            stream.push(e);
        }
    }
    *peer.state.events.lock().expect("events") = stream;

    let run = |url: &str| {
        let mut command = uptake();
        command
            .args(["--database-url", url, "sync", "box"])
            .env("UPTAKE_BOX_CLIENT_ID", CLIENT_ID)
            .env("UPTAKE_BOX_CLIENT_SECRET", CLIENT_SECRET)
            .env("UPTAKE_BOX_ENTERPRISE_ID", "42")
            .env("UPTAKE_BOX_TOKEN_URL", format!("{}/token", peer.base))
            .env("UPTAKE_BOX_API_URL", &peer.base)
            .env("UPTAKE_BOX_PAGE_SIZE", "5")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        command
    };

    let whole = testing::sqlite().await.expect("database");
    small_force(&whole.store).await;
    let out = run(&whole.url).output().expect("uninterrupted");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = testing::activity(&whole.store).await.expect("activity");
    assert!(!expected.is_empty());

    // Page 5 is throttled for a long while; the process is killed while it
    // waits, after four pages are in.
    let killed = testing::sqlite().await.expect("database");
    small_force(&killed.store).await;
    peer.fault(Fault::Throttle {
        path: "stream_position\", \"20\"".into(),
        retry_after: "60",
    });
    let before = peer.requests("stream_position\", \"20\"");
    let mut child = run(&killed.url).spawn().expect("sync");
    let waited = std::time::Instant::now();
    while peer.requests("stream_position\", \"20\"") == before {
        assert!(
            waited.elapsed() < Duration::from_secs(60),
            "the sync never reached page 5"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().expect("kill");
    child.wait().expect("reaped");
    let part = testing::activity(&killed.store).await.expect("activity");
    assert!(!part.is_empty() && part != expected, "part-way when killed");
    let state = killed.store.sync_states().await.expect("states");
    let cursor = state
        .iter()
        .find(|s| s.source == Source::Box)
        .and_then(|s| s.cursor.clone());
    assert_eq!(
        cursor.as_deref(),
        Some("20"),
        "the cursor of the last page written"
    );

    let out = run(&killed.url).output().expect("resumed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        testing::activity(&killed.store).await.expect("activity"),
        expected
    );
}

/// Kills a child process when dropped, so a failed test leaves none behind.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgres_run_each_scheduled_sync_once() {
    let db = testing::postgres().await.expect("database");
    small_force(&db.store).await;
    let peer = Peer::start().await;
    *peer.state.events.lock().expect("events") = box_stream();
    // The first page is slow, so both servers are up while one syncs,
    // however slowly the second starts.
    peer.fault(Fault::Throttle {
        path: "stream_position\", \"0\"".into(),
        retry_after: "8",
    });
    let dir = tempfile::tempdir().expect("dir");
    let serve = |name: &str| {
        let log = std::fs::File::create(dir.path().join(name)).expect("log");
        let child = uptake()
            .args([
                "--database-url",
                &db.url,
                "serve",
                "--listen",
                "127.0.0.1:0",
            ])
            .env("UPTAKE_SYNC_EVERY_MINUTES", "1")
            .env("UPTAKE_BOX_CLIENT_ID", CLIENT_ID)
            .env("UPTAKE_BOX_CLIENT_SECRET", CLIENT_SECRET)
            .env("UPTAKE_BOX_ENTERPRISE_ID", "42")
            .env("UPTAKE_BOX_TOKEN_URL", format!("{}/token", peer.base))
            .env("UPTAKE_BOX_API_URL", &peer.base)
            .stdout(std::process::Stdio::null())
            .stderr(log)
            .spawn()
            .expect("uptake serve");
        Running(child)
    };
    let _a = serve("a.log");
    let _b = serve("b.log");
    let log = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap_or_default();
    let started = std::time::Instant::now();
    loop {
        let cursor = db
            .store
            .sync_states()
            .await
            .expect("states")
            .into_iter()
            .find(|s| s.source == Source::Box)
            .and_then(|s| s.cursor);
        let skipped = [log("a.log"), log("b.log")]
            .iter()
            .any(|l| l.contains("already running"));
        if cursor.as_deref() == Some("9") && skipped {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(50),
            "server a:\n{}\nserver b:\n{}",
            log("a.log"),
            log("b.log")
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        peer.state
            .tokens_issued
            .load(std::sync::atomic::Ordering::SeqCst),
        1,
        "only one server ran the sync"
    );
    assert_eq!(
        testing::activity(&db.store).await.expect("activity"),
        expected_box()
    );
}

/// One day's Graph detail report: the named users each with one counted
/// action.
fn graph_day(report: Report, users: &[String]) -> String {
    let counted = report.counted_columns();
    let teams = report == Report::Teams;
    let mut out = format!(
        "Report Refresh Date,User Principal Name,Last Activity Date,Is Deleted,{}{},Report Period\r\n",
        counted.join(","),
        if teams { ",Has Other Action" } else { "" }
    );
    for user in users {
        let zeros = vec!["0"; counted.len() - 1].join(",");
        let rest = if zeros.is_empty() {
            String::new()
        } else {
            format!(",{zeros}")
        };
        let other = if teams { ",No" } else { "" };
        out.push_str(&format!("2026-03-28,{user},,False,1{rest}{other},1\r\n"));
    }
    out
}

/// Faults 1 and 2 of the ingestion acceptance checks: a Graph file for a
/// later day does not claim the days between for the whole source, and a
/// header-only file is refused with the day left as it was.
#[tokio::test]
async fn one_graph_file_never_moves_the_whole_source_to_complete() {
    for db in testing::both().await.expect("databases") {
        let store = db.store.clone();
        store.ensure_standard_catalog().await.expect("catalog");
        store
            .apply_units(&[unit("F", None), unit("T", Some("F"))], day("2025-01-01"))
            .await
            .expect("units");
        let roster: Vec<RosterRecord> = (0..20).map(|n| person(n, &format!("p{n}"), "T")).collect();
        store
            .apply_roster(&roster, day("2025-01-01"))
            .await
            .expect("roster");
        let users: Vec<String> = roster.iter().map(|p| p.sign_in_name.clone()).collect();
        let catalog = store.catalog().await.expect("catalog");
        let m365 = catalog
            .products()
            .iter()
            .find(|p| p.name == "Microsoft 365")
            .expect("Microsoft 365")
            .id;
        let root = store.units().await.expect("units")[0].id;
        store
            .create_wave(
                &store::NewWave {
                    name: "All".into(),
                    product: m365,
                    go_live: day("2026-02-01"),
                    target_metric: domain::wave::TargetMetric::AdoptionRate,
                    target_value: 0.8,
                    target_date: day("2026-06-01"),
                    units: vec![root],
                },
                &store::testing::AUDIT,
            )
            .await
            .expect("wave");
        // Every report from 20 February through 24 March (so the 28-day
        // window is whole): 14 of the 20 active each day.
        let active = &users[..14];
        let mut on = day("2026-02-20");
        while on <= day("2026-03-24") {
            for report in Report::ALL {
                let kind = match report {
                    Report::Teams => Kind::Teams,
                    Report::OneDrive => Kind::Onedrive,
                    Report::SharePoint => Kind::Sharepoint,
                    Report::Exchange => Kind::Exchange,
                };
                import_text(&store, kind, graph_day(report, active).as_bytes(), Some(on))
                    .await
                    .expect("report day");
            }
            on = on.succ_opt().expect("next day");
        }
        assert_eq!(
            m365_state(&store).await.complete_through,
            Some(day("2026-03-24"))
        );
        let onedrive = |o: &domain::overview::Overview| {
            o.kpis
                .iter()
                .find(|k| k.label == "OneDrive")
                .expect("OneDrive")
                .clone()
        };
        let (viewer, grant) = testing::admin_grant(&store, None).await.expect("grant");
        let before = store
            .overview(&viewer, &grant, None)
            .await
            .expect("overview");
        assert_eq!(before.as_of, day("2026-03-24"));
        let kpi = onedrive(&before);
        assert_eq!(kpi.counts.map(|c| (c.eligible, c.active7)), Some((20, 14)));
        assert!(!kpi.partial);

        // Teams alone for the 27th: nothing else has the 25th to the 27th.
        import_text(
            &store,
            Kind::Teams,
            graph_day(Report::Teams, &users[..10]).as_bytes(),
            Some(day("2026-03-27")),
        )
        .await
        .expect("a later Teams day");
        assert_eq!(
            m365_state(&store).await.complete_through,
            Some(day("2026-03-24"))
        );
        let after = store
            .overview(&viewer, &grant, None)
            .await
            .expect("overview");
        assert_eq!(after.as_of, day("2026-03-24"));
        assert_eq!(onedrive(&after), kpi, "the published figures stand");

        // A header-only file is what Graph gives for a day not yet
        // published: refused, and the day it names keeps its rows.
        let stored = testing::activity(&store).await.expect("activity").len();
        let header_only = graph_day(Report::Teams, &[]);
        let refused = import_text(
            &store,
            Kind::Teams,
            header_only.as_bytes(),
            Some(day("2026-03-24")),
        )
        .await
        .expect_err("header only");
        assert!(refused.to_string().contains("no rows"), "{refused}");
        assert!(refused.to_string().contains("left as it was"), "{refused}");
        assert_eq!(
            testing::activity(&store).await.expect("activity").len(),
            stored
        );

        // Activity for a Microsoft 365 tool in a generic file is counted,
        // but only report days say Microsoft 365 is complete.
        let generic = format!("tool,user,day,actions\nTeams,{},2026-03-29,3\n", users[0]);
        import_text(&store, Kind::Activity, generic.as_bytes(), None)
            .await
            .expect("generic activity");
        assert_eq!(
            m365_state(&store).await.complete_through,
            Some(day("2026-03-24"))
        );
        assert_eq!(
            store
                .overview(&viewer, &grant, None)
                .await
                .expect("overview")
                .as_of,
            day("2026-03-24")
        );
    }
}

/// Fault 5: a sync that stores some reports' days while the others are
/// not yet published records its success, and says what it left undone.
#[tokio::test]
async fn a_sync_with_reports_not_yet_published_records_success_and_says_so() {
    for db in testing::both().await.expect("databases") {
        let store = db.store.clone();
        small_force(&store).await;
        let peer = Peer::start().await;
        {
            let mut reports = peer.state.reports.lock().expect("reports");
            for n in 1..=26 {
                reports.insert(
                    format!("{}(date=2026-03-{n:02})", Report::Teams.function()),
                    report_csv(Report::Teams, 3),
                );
            }
        }
        let report = graph_sync::sync(
            &store,
            &graph_config(&peer),
            DEFAULT_ZONE,
            day("2026-03-29"),
        )
        .await
        .expect("sync");
        assert_eq!(report.days_pulled, 26);
        let state = m365_state(&store).await;
        assert!(state.last_success_at.is_some(), "the sync ran to its end");
        assert_eq!(state.last_error, None);
        assert_eq!(state.complete_through, None, "no day has every report");
        let note = state.last_note.expect("a note");
        for tool in ["OneDrive", "SharePoint", "Exchange"] {
            assert!(note.contains(&format!("{tool} for")), "{note}");
        }
    }
}

/// Fault 6: one stray old event does not start Box's history; the data
/// page says where the run of data starts and what lies apart from it.
#[tokio::test]
async fn a_stray_old_event_does_not_move_data_start() {
    for db in testing::both().await.expect("databases") {
        let store = db.store.clone();
        small_force(&store).await;
        let peer = Peer::start().await;
        {
            let mut events = peer.state.events.lock().expect("events");
            events.extend(box_stream());
            events.push(event(
                "old",
                "EDIT",
                "cat.brown@force.police.uk",
                "2021-06-01T10:00:00Z",
            ));
        }
        box_sync::sync(&store, &box_config(&peer), DEFAULT_ZONE, BoxRange::Stream)
            .await
            .expect("sync");
        let boxed = store
            .sync_states()
            .await
            .expect("states")
            .into_iter()
            .find(|s| s.source == Source::Box)
            .expect("box");
        assert_eq!(boxed.data_start, Some(day("2026-03-01")));
        let note = boxed.last_note.expect("a note");
        assert!(note.contains("activity on 1 day from 2021-06-01"), "{note}");
    }
}

/// Seams §3: a unit naming a parent that is nowhere, or a person in a unit
/// that is nowhere, is a rejected row with its line; the rest of the file
/// goes in, on both backends.
#[tokio::test]
async fn a_unit_or_person_in_an_unknown_place_is_a_rejected_row() {
    for db in testing::both().await.expect("databases") {
        let store = db.store.clone();
        let units = "unit_code,parent_code,name,kind,restricted\n\
                     T1,C1,Team one,team,false\n\
                     F,,Force,force,false\n\
                     C1,F,Command one,command,false\n\
                     T2,GONE,Team two,team,false\n\
                     T3,T2,Team three,team,false\n";
        let report = import_text(&store, Kind::Units, units.as_bytes(), None)
            .await
            .expect("units");
        assert_eq!(report.accepted, 3);
        let lines: Vec<u64> = report.rejects.iter().map(|r| r.line).collect();
        assert_eq!(lines, [5, 6]);
        assert!(report.rejects[0].reason.contains("names parent GONE"));
        assert_eq!(report.rejects[0].raw, "T2,GONE,Team two,team,false");
        let mut codes: Vec<String> = store
            .units()
            .await
            .expect("units")
            .iter()
            .map(|u| u.code.clone())
            .collect();
        codes.sort();
        assert_eq!(codes, ["C1", "F", "T1"]);

        let roster = "staff_number,sign_in_name,unit_code,birth_year,role,start_date,leave_date\n\
                      S1,ann@force.police.uk,T1,1980,PC,2020-01-01,\n\
                      S2,bob@force.police.uk,T2,1980,PC,2020-01-01,\n\
                      S3,cat@force.police.uk,C1,1990,PCSO,2021-01-01,\n";
        let report = import_text(&store, Kind::Roster, roster.as_bytes(), None)
            .await
            .expect("roster");
        assert_eq!(report.accepted, 2);
        assert_eq!(report.rejects.len(), 1);
        assert_eq!(report.rejects[0].line, 3);
        assert!(
            report.rejects[0]
                .reason
                .contains("staff S2 is in unit T2, which is not in the unit list")
        );
        assert_eq!(store.staff_count().await.expect("staff"), 2);
    }
}
