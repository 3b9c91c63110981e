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
    let (viewer, grant) = testing::admin_grant(&app.store, None).await.expect("grant");
    let direct = app
        .store
        .overview(&viewer, &grant, Some("2026-10-20".parse().expect("date")))
        .await
        .expect("overview");
    assert_eq!(all.counts, direct.kpis[0].counts);
    assert!(all.counts.eligible > 500, "{:?}", all.counts);
    assert_eq!(overview.trend.series.len(), 5);
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
    assert!(
        page.body
            .contains(&domain::display::count(all.counts.eligible))
    );
    assert!(
        page.body.contains("/js/plotly.min.js"),
        "plotly is served locally"
    );
}
