//! The HTTP router, built by a plain function so tests can call it
//! in-process.

use app::{App, AppState, shell};
use axum::{
    Json, Router,
    body::Body,
    extract::{FromRef, State},
    http::{Request, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
};
use leptos::prelude::{LeptosOptions, provide_context};
use leptos_axum::{LeptosRoutes, generate_route_list, handle_server_fns_with_context};
use tower_http::{services::ServeDir, trace::TraceLayer};

#[derive(Clone)]
struct ServerState {
    app: AppState,
}

impl FromRef<ServerState> for LeptosOptions {
    fn from_ref(state: &ServerState) -> Self {
        state.app.leptos_options.clone()
    }
}

pub fn router(app: AppState) -> Router {
    let site_root = app.leptos_options.site_root.to_string();
    let state = ServerState { app };
    let routes = generate_route_list(App);
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/{*fn_name}", get(server_fn).post(server_fn))
        .leptos_routes_with_handler(routes, get(page))
        .fallback_service(ServeDir::new(site_root))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Liveness and database reachability.
async fn healthz(State(state): State<ServerState>) -> Response {
    match state.app.store.ping().await {
        Ok(()) => Json(serde_json::json!({ "status": "ok", "database": format!("{:?}", state.app.store.backend()) }))
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({ "status": "unavailable" }))).into_response()
        }
    }
}

async fn server_fn(State(state): State<ServerState>, request: Request<Body>) -> impl IntoResponse {
    let app = state.app.clone();
    handle_server_fns_with_context(move || provide_context(app.clone()), request).await
}

async fn page(State(state): State<ServerState>, request: Request<Body>) -> Response {
    let app = state.app.clone();
    let options = state.app.leptos_options.clone();
    let handler = leptos_axum::render_app_to_stream_with_context(
        move || provide_context(app.clone()),
        move || shell(options.clone()),
    );
    handler(request).await.into_response()
}
