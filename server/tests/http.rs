//! The router, called in-process: health, the overview through sign-in,
//! and the page rendered on the server.

mod support;

use axum::http::StatusCode;
use server::auth::AuthConfig;
use store::testing;
use support::TestApp;

#[tokio::test]
async fn healthz_reports_the_database_on_both_backends_without_sign_in() {
    for db in testing::both().await.expect("databases") {
        let backend = format!("{:?}", db.store.backend());
        let app = TestApp::empty(db, AuthConfig::default());
        let reply = app.call("GET", "/healthz", None, None).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(reply.body.contains(&backend), "{}", reply.body);
    }
}

#[tokio::test]
async fn the_overview_endpoint_and_page_carry_the_figures() {
    let app = TestApp::demo(
        testing::sqlite().await.expect("database"),
        AuthConfig::default(),
    )
    .await;
    let cookie = app.sign_in("admin@uptake.demo").await;
    let reply = app.get("/api/overview?as_of=2026-10-20", &cookie).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let overview: domain::overview::Overview = reply.json();
    assert_eq!(overview.as_of.to_string(), "2026-10-20");
    let all = overview
        .kpis
        .iter()
        .find(|k| k.subject == "all")
        .expect("all tools");
    // The figures themselves are checked against a force worked by hand
    // below; here, that the demo's are published and reach the page.
    let counts = all.counts.expect("the force's figures are published");
    assert_eq!(overview.trend.rate.lines().len(), 5);
    assert_eq!(overview.trend.active.lines().len(), 5);
    let units = app.store.units().await.expect("units");
    let root = units.iter().find(|u| u.parent.is_none()).expect("root").id;
    let commands = units.iter().filter(|u| u.parent == Some(root)).count();
    assert!(commands >= 3);
    assert_eq!(
        overview.children.len(),
        commands,
        "the admin drills into every command"
    );

    let page = app.get("/?as_of=2026-10-20", &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Demo Police"),
        "the page renders on the server"
    );
    assert!(page.body.contains(&domain::display::count(counts.eligible)));
    assert!(
        page.body.contains("/js/plotly.min.js"),
        "plotly is served locally"
    );
}

/// Static files are compressed (at the best level once precompressed) and
/// may be kept, revalidated by date, so a page view does not download the
/// wasm and plotly.js again; pages and data stay `private, no-store`.
#[tokio::test]
async fn static_files_are_compressed_and_revalidated_not_downloaded_again() {
    use tower::ServiceExt;
    let site = tempfile::tempdir().expect("site folder");
    std::fs::create_dir(site.path().join("pkg")).expect("pkg");
    let wasm = "(module (func $uptake))\n".repeat(4_000);
    std::fs::write(site.path().join("pkg/uptake.wasm"), &wasm).expect("wasm");
    let db = testing::sqlite().await.expect("database");
    let mut state = support::app_state(db.store.clone());
    state.leptos_options = leptos::prelude::LeptosOptions::builder()
        .output_name("uptake")
        .site_root(site.path().to_string_lossy().into_owned())
        .build();
    let router = server::routes::router(state, AuthConfig::default());
    let get = |headers: Vec<(&'static str, String)>| {
        let mut request = axum::http::Request::get("/pkg/uptake.wasm");
        for (name, value) in headers {
            request = request.header(name, value);
        }
        router
            .clone()
            .oneshot(request.body(axum::body::Body::empty()).expect("request"))
    };
    let first = get(vec![("accept-encoding", "br, gzip".into())])
        .await
        .expect("response");
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()["cache-control"], "no-cache");
    assert_eq!(first.headers()["content-encoding"], "br");
    let modified = first.headers()["last-modified"]
        .to_str()
        .expect("date")
        .to_owned();
    let body = axum::body::to_bytes(first.into_body(), 1 << 24)
        .await
        .expect("body");
    assert!(
        body.len() * 20 < wasm.len(),
        "{} bytes of {}",
        body.len(),
        wasm.len()
    );
    let again = get(vec![("if-modified-since", modified)])
        .await
        .expect("response");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    // Once precompressed (as `serve` does when it starts), the best-level
    // copies go out as they are, brotli or gzip as the browser takes.
    server::precompress::precompress(site.path()).expect("precompressed");
    for (accepts, encoding) in [("br, gzip", "br"), ("gzip", "gz")] {
        let reply = get(vec![("accept-encoding", accepts.into())])
            .await
            .expect("response");
        let sent = reply.headers()["content-encoding"]
            .to_str()
            .expect("encoding");
        assert_eq!(sent, if encoding == "gz" { "gzip" } else { "br" });
        let body = axum::body::to_bytes(reply.into_body(), 1 << 24)
            .await
            .expect("body");
        let copy =
            std::fs::read(site.path().join(format!("pkg/uptake.wasm.{encoding}"))).expect("copy");
        assert_eq!(body, copy, "the {encoding} copy itself");
    }
    // Data is never kept.
    let health = router
        .clone()
        .oneshot(
            axum::http::Request::get("/healthz")
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(health.headers()["cache-control"], "private, no-store");
}

/// The overview endpoint against the force worked by hand
/// (`support::hand_worked`): on 30 Mar, A is 20, 12, 15, 17; B 20, 5, 10,
/// 14; the force 40, 17, 25, 31, an adoption rate of 25/40. And its change
/// on the tile against 23 Mar and 2 Mar.
#[tokio::test]
async fn the_overview_endpoint_matches_a_force_worked_by_hand() {
    use domain::metrics::Counts;
    use support::hand_worked::{ADMIN, hand_worked};

    for db in testing::both().await.expect("databases") {
        let fixture = hand_worked(db, &[]).await;
        let (app, store, m365) = (&fixture.app, &fixture.app.store, fixture.m365);
        let cookie = fixture.sign_in(ADMIN).await;

        // After the last day with data there are no figures, not zeros.
        let reply = app.get("/api/overview?as_of=2026-03-31", &cookie).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
        assert!(reply.body.contains("to 30 Mar 2026"), "{}", reply.body);
        let reply = app.get("/api/overview?as_of=2026-03-30", &cookie).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let overview: domain::overview::Overview = reply.json();
        let counts = |eligible, active7, active28, reached| Counts {
            eligible,
            active7,
            active28,
            reached,
        };
        let m365_key = domain::catalog::Subject::Product(m365).key();
        let tile = overview
            .kpis
            .iter()
            .find(|k| k.subject == m365_key)
            .expect("a Microsoft 365 tile");
        assert_eq!(
            tile.counts,
            Some(counts(40, 17, 25, 31)),
            "{:?}",
            store.backend()
        );
        assert_eq!(tile.adoption_rate, Some(25.0 / 40.0));
        // On 23 Mar, 8 had used it in 28 days (13-15 on 10 Mar, 26-30 on
        // 15 Mar), none in 7 days. A commander of A would see the force and
        // A, so B as the force minus A, with nobody active in 7 days, which
        // B's published band (0 to 2) must not give away: the force is
        // hidden that day, and no change against it is shown. On 2 Mar
        // nobody had used it in 28 days (1 Feb is a day outside the
        // window): no change against 28 days before either.
        assert_eq!(tile.change_7, None);
        assert_eq!(tile.change_28, None);
        let children: Vec<(&str, Vec<Option<Counts>>)> = overview
            .children
            .iter()
            .map(|c| (c.code.as_str(), c.cells.clone()))
            .collect();
        assert_eq!(
            children,
            [
                ("A", vec![Some(counts(20, 12, 15, 17))]),
                ("B", vec![Some(counts(20, 5, 10, 14))]),
            ]
        );
    }
}

/// One error policy on every surface: with the rollup and token tables
/// gone, as a broken database would have them, a server function, a page,
/// a REST route and the command line each say "something went wrong" with
/// a reference, and none shows the database's text.
#[tokio::test]
async fn an_internal_failure_shows_no_internal_text_on_any_surface() {
    for db in testing::both().await.expect("databases") {
        let app = TestApp::demo(db, AuthConfig::default()).await;
        let cookie = app.sign_in("admin@uptake.demo").await;
        testing::break_table(&app.store, "rollup_block")
            .await
            .expect("rename");
        testing::break_table(&app.store, "api_token")
            .await
            .expect("rename");
        let leaks = |text: &str| {
            [
                "rollup_block",
                "api_token",
                "no such table",
                "relation",
                "database error",
                "sqlx",
            ]
            .into_iter()
            .find(|word| text.contains(word))
        };

        // Each step is bounded, so a hang fails here with its name rather
        // than holding the whole run.
        let bounded = |step: &'static str| {
            move |r: Result<support::Reply, tokio::time::error::Elapsed>| {
                r.unwrap_or_else(|_| panic!("{step} took over a minute"))
            }
        };
        let minute = std::time::Duration::from_secs(60);
        let function =
            tokio::time::timeout(minute, app.get("/api/overview?as_of=2026-10-20", &cookie)).await;
        let function = bounded("the server function")(function);
        assert_eq!(
            function.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{}",
            function.body
        );
        assert!(
            function.body.contains("something went wrong (ref "),
            "{}",
            function.body
        );
        assert_eq!(leaks(&function.body), None, "{}", function.body);

        let page = tokio::time::timeout(minute, app.get("/?as_of=2026-10-20", &cookie)).await;
        let page = bounded("the page")(page);
        assert!(
            page.body.contains("something went wrong (ref "),
            "{}",
            page.body
        );
        assert_eq!(leaks(&page.body), None);

        let push = tokio::time::timeout(
            minute,
            app.send(
                axum::http::Request::post("/api/v1/activity")
                    .header("authorization", "Bearer some-token")
                    .body(axum::body::Body::from("{}"))
                    .expect("request"),
            ),
        )
        .await;
        let push = bounded("the push API")(push);
        assert_eq!(
            push.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{}",
            push.body
        );
        let said: serde_json::Value = push.json();
        let said = said["error"].as_str().expect("an error text");
        assert!(said.starts_with("something went wrong (ref "), "{said}");
        assert_eq!(leaks(said), None);

        // The command line prints what `uptake` would for the same failure.
        let (viewer, grant) = testing::admin_grant(&app.store, None).await.expect("grant");
        let failure = app
            .store
            .overview(&viewer, &grant, Some("2026-10-20".parse().expect("date")))
            .await
            .map_err(anyhow::Error::from)
            .expect_err("the read fails");
        let printed = server::logging::for_operator(&failure);
        assert!(
            printed.starts_with("something went wrong (ref "),
            "{printed}"
        );
        assert_eq!(leaks(&printed), None, "{printed}");
        // What the operator can fix is still said in full.
        let fixable = anyhow::Error::from(store::StoreError::Rejected(
            "a wave's target value must be between 0 and 1".into(),
        ));
        assert_eq!(
            server::logging::for_operator(&fixable),
            "a wave's target value must be between 0 and 1"
        );
    }
}

/// The same demo force on SQLite and on PostgreSQL answers every unit's
/// overview, age band table and series identically.
#[tokio::test]
async fn both_backends_publish_identical_figures() {
    use domain::{bands::BandTable, overview::DailySeries, overview::Overview, usage::UsageTable};
    let mut answers: Vec<Vec<String>> = Vec::new();
    for db in testing::both().await.expect("databases") {
        let app = TestApp::demo(db, AuthConfig::default()).await;
        let cookie = app.sign_in("admin@uptake.demo").await;
        let mut bodies = Vec::new();
        for unit in app.store.units().await.expect("units").iter() {
            for as_of in ["2026-03-15", "2026-10-20"] {
                let query = format!("unit={}&as_of={as_of}", unit.code);
                let reply = app.get(&format!("/api/overview?{query}"), &cookie).await;
                if reply.status == StatusCode::NOT_FOUND {
                    // The restricted unit, for an admin without scope on it:
                    // answered as an unknown code.
                    assert!(
                        under_restricted(&app.store.units().await.expect("units"), &unit.code),
                        "{}",
                        unit.code
                    );
                    bodies.push(format!("{} refused", unit.code));
                    continue;
                }
                let o: Overview = reply.json();
                let t: BandTable = app
                    .get(&format!("/api/bands?{query}&subject=product:2"), &cookie)
                    .await
                    .json();
                let s: DailySeries = app
                    .get(
                        &format!("/api/series?{query}&subject=tool:2&band=35-44"),
                        &cookie,
                    )
                    .await
                    .json();
                let u: UsageTable = app
                    .get(&format!("/api/usage?{query}&subject=product:1"), &cookie)
                    .await
                    .json();
                bodies.push(format!("{o:?}\n{t:?}\n{s:?}\n{u:?}"));
            }
        }
        answers.push(bodies);
    }
    assert_eq!(answers.len(), 2);
    assert!(answers[0].len() > 20);
    for (sqlite, postgres) in answers[0].iter().zip(&answers[1]) {
        assert_eq!(sqlite, postgres);
    }
}

/// A GET reads the data version once, in the same query as its session,
/// and still sees a change another process made just before it.
#[tokio::test]
async fn a_get_sees_another_processs_change_though_it_reads_the_version_once_on_both_backends() {
    for db in testing::both().await.expect("databases") {
        let url = db.url.clone();
        let app = TestApp::demo(db, AuthConfig::default()).await;
        let cookie = app.sign_in("admin@uptake.demo").await;
        let path = "/api/overview?as_of=2026-10-20";
        let before: domain::overview::Overview = app.get(path, &cookie).await.json();
        let command = before.children[0].code.clone();
        let units = app.store.units().await.expect("units");
        let unit = units.iter().find(|u| u.code == command).expect("command");
        let parent = units
            .iter()
            .find(|u| Some(u.id) == unit.parent)
            .expect("root");
        let other = store::Store::connect(&url).await.expect("another process");
        other
            .apply_units(
                &[domain::formats::UnitRecord {
                    code: command.clone(),
                    parent_code: Some(parent.code.clone()),
                    name: "Renamed Command".into(),
                    kind: "command".into(),
                    restricted: false,
                }],
                "2026-10-01".parse().expect("date"),
            )
            .await
            .expect("rename");
        other.close().await;
        let after: domain::overview::Overview = app.get(path, &cookie).await.json();
        let renamed = after
            .children
            .iter()
            .find(|c| c.code == command)
            .expect("the command");
        assert_eq!(renamed.name, "Renamed Command");
    }
}

/// Whether a unit is restricted or lies under a restricted unit (codes
/// extend their parent's).
fn under_restricted(units: &[store::UnitInfo], code: &str) -> bool {
    units
        .iter()
        .any(|u| u.restricted && (code == u.code || code.starts_with(&format!("{}-", u.code))))
}

#[tokio::test]
async fn a_new_install_shows_how_to_start_instead_of_an_error_on_both_backends() {
    use app::api::ssr::{
        Actor,
        accounts::{self, AddAccount, Credential},
    };
    use domain::access::Role;

    for db in testing::both().await.expect("databases") {
        let app = TestApp::empty(db, AuthConfig::default());
        let password = "first-run-passphrase-2026".to_owned();
        accounts::add(
            &app.store,
            &Actor::local("test"),
            AddAccount {
                username: "first@uptake.test",
                display_name: None,
                role: Role::Admin,
                scope: &[],
                person_lists: false,
                credential: Credential::Chosen(password.clone()),
                is_demo: false,
            },
        )
        .await
        .expect("account");
        let reply = app.sign_in_with("first@uptake.test", &password, None).await;
        let cookie = support::session_cookie(&reply).expect("signed in");
        for page in ["/", "/units", "/age-groups"] {
            let reply = app.get(page, &cookie).await;
            assert!(
                reply.body.contains("data-testid=\"first-run\""),
                "{page}: {}",
                reply.body
            );
            assert!(reply.body.contains("Load the org tree"), "{page}");
            assert!(
                !reply.body.contains("role=\"alert\""),
                "{page}: no error shown"
            );
        }
        // The API says the same in words.
        let reply = app.get("/api/overview", &cookie).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        assert!(
            reply.body.contains("there is no unit tree yet"),
            "{}",
            reply.body
        );
    }
}
