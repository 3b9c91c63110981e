//! The router, called in-process on both backends.

use app::AppState;
use axum::{
    body::{Body, to_bytes},
    http::{Request, StatusCode},
};
use chrono::NaiveDate;
use leptos::prelude::LeptosOptions;
use server::{
    demo::{self, DemoOptions},
    routes::router,
};
use store::testing;
use tower::ServiceExt;

fn state(store: store::Store) -> AppState {
    AppState {
        store,
        leptos_options: LeptosOptions::builder()
            .output_name("uptake")
            .site_root("target/site")
            .build(),
    }
}

async fn get(state: &AppState, uri: &str) -> (StatusCode, String) {
    let response = router(state.clone())
        .oneshot(
            Request::builder()
                .uri(uri)
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    let status = response.status();
    let body = to_bytes(response.into_body(), 1 << 24).await.expect("body");
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn healthz_reports_the_database_on_both_backends() {
    for db in testing::both().await.expect("databases") {
        let backend = format!("{:?}", db.store.backend());
        let (status, body) = get(&state(db.store), "/healthz").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains(&backend), "{body}");
    }
}

#[tokio::test]
async fn the_overview_endpoint_and_page_carry_the_figures() {
    let db = testing::sqlite().await.expect("database");
    db.store.ensure_standard_catalog().await.expect("catalog");
    let end: NaiveDate = "2026-10-31".parse().expect("date");
    demo::generate(
        &db.store,
        &DemoOptions {
            staff: 600,
            seed: 7,
            end,
        },
    )
    .await
    .expect("demo");
    let state = state(db.store.clone());
    let (status, body) = get(&state, "/api/overview?as_of=2026-10-20").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let overview: domain::overview::Overview = serde_json::from_str(&body).expect("overview json");
    assert_eq!(overview.as_of.to_string(), "2026-10-20");
    let all = overview
        .kpis
        .iter()
        .find(|k| k.subject == "all")
        .expect("all tools");
    let direct = db
        .store
        .overview(Some("2026-10-20".parse().expect("date")))
        .await
        .expect("overview");
    assert_eq!(all.counts, direct.kpis[0].counts);
    assert!(all.counts.eligible > 500, "{:?}", all.counts);
    assert_eq!(overview.trend.series.len(), 5);

    let (status, html) = get(&state, "/?as_of=2026-10-20").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Demo Police"),
        "the page renders on the server"
    );
    assert!(html.contains(&format!("{}", all.counts.eligible)) || all.counts.eligible >= 1000);
    assert!(
        html.contains("/js/plotly.min.js"),
        "plotly is served locally"
    );
}
