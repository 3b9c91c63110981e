//! The HTTP router, built by a plain function so tests can call it
//! in-process.
//!
//! Every route sits behind [`auth::authenticate`]: a route is signed-in only
//! unless `auth` lists it as public. State-changing requests also pass
//! [`auth::same_origin`].

use std::sync::Arc;

use app::{
    App, AppState,
    api::{
        session::SignInOptions,
        ssr::{AppError, Caller},
    },
    shell,
};
use axum::{
    Json, Router,
    body::Body,
    extract::{DefaultBodyLimit, Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware,
    response::{IntoResponse, Response},
    routing::{any, get, post},
};
use leptos::{nonce::Nonce, prelude::*};
use leptos_axum::{
    LeptosRoutes, generate_route_list, handle_server_fns_with_context, render_route_with_context,
};
use tower_http::{compression::CompressionLayer, services::ServeDir, trace::TraceLayer};

use crate::{
    admin,
    auth::{self, CspNonce},
    exports, push,
    state::{AuthConfig, ServerState},
    upload,
};

/// The REST routes besides the Leptos pages and server functions, as
/// (method, path). The route sweep test walks this list; the router below
/// is built from the same handlers.
pub const REST_ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("POST", "/auth/sign-in"),
    ("POST", "/auth/sign-out"),
    ("GET", "/auth/oidc/start"),
    ("GET", "/auth/oidc/callback"),
    ("GET", "/admin/audit.csv"),
    ("GET", "/exports/headline.csv"),
    ("GET", "/exports/units.csv"),
    ("GET", "/exports/trend.csv"),
    ("GET", "/exports/unit-tree.csv"),
    ("GET", "/exports/bands.csv"),
    ("GET", "/exports/band-trend.csv"),
    ("GET", "/exports/usage.csv"),
    ("GET", "/exports/cohorts.csv"),
    ("GET", "/exports/waves.csv"),
    ("GET", "/exports/wave-units.csv"),
    ("GET", "/exports/people.csv"),
    ("GET", "/exports/workbook.xlsx"),
    ("GET", "/exports/board-pack.pdf"),
    ("GET", "/exports/board-packs/1.pdf"),
    ("POST", "/api/v1/activity"),
    ("POST", "/data/upload"),
];

pub fn router(app: AppState, auth_config: AuthConfig) -> Router {
    let site_root = app.leptos_options.site_root.to_string();
    let routes = generate_route_list(App);
    let state = ServerState {
        app,
        auth: auth_config,
        pages: Arc::new(routes.clone()),
    };
    Router::new()
        .route("/healthz", get(healthz))
        .route("/auth/sign-in", post(auth::sign_in))
        .route("/auth/sign-out", post(auth::sign_out))
        .route("/auth/oidc/start", get(auth::entra::start))
        .route("/auth/oidc/callback", get(auth::entra::callback))
        .route("/admin/audit.csv", get(admin::audit_csv))
        .route("/exports/workbook.xlsx", get(exports::workbook))
        .route("/exports/board-pack.pdf", get(exports::board_pack))
        .route("/exports/board-packs/{file}", get(exports::stored_pack))
        .route("/exports/{file}", get(exports::csv))
        .route(
            "/data/upload",
            post(upload::upload).layer(DefaultBodyLimit::max(upload::MAX_UPLOAD_BYTES)),
        )
        .route(
            "/api/v1/activity",
            post(push::activity).layer(DefaultBodyLimit::max(push::MAX_BODY_BYTES)),
        )
        .route("/api/v1/", any(no_token_route))
        .route("/api/v1/{*rest}", any(no_token_route))
        .route("/api/{*fn_name}", get(server_fn).post(server_fn))
        .leptos_routes_with_handler(routes, get(page))
        // Static files: those whose address names their content (the
        // wasm, its script, the styles, plotly.js: `app::assets`) are kept
        // a year; others are revalidated by date (304); everything else is
        // `private, no-store`. Their brotli and gzip copies, made once at
        // the best level, go to browsers that take them (`precompress`).
        .fallback_service(
            tower::ServiceBuilder::new()
                .layer(middleware::from_fn(static_caching))
                .service(
                    ServeDir::new(site_root)
                        .precompressed_br()
                        .precompressed_gzip(),
                ),
        )
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::same_origin,
        ))
        .layer(middleware::from_fn(auth::security_headers))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// How long a browser may keep a static file: a year, never asking
/// again, where its address names its content; else until it asks
/// whether it changed.
async fn static_caching(request: Request<Body>, next: middleware::Next) -> Response {
    let named = content_named(request.uri().path(), request.uri().query());
    let mut response = next.run(request).await;
    let kept = named && response.status().is_success();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if kept {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        }),
    );
    response
}

/// Whether a static file's address names its content: a file under
/// `/pkg/` with cargo-leptos' hash in its name (`uptake.<22 characters of
/// base64url>.wasm`), or plotly.js with its digest (`?v=`).
fn content_named(path: &str, query: Option<&str>) -> bool {
    if let Some(file) = path.strip_prefix("/pkg/") {
        let mut parts = file.split('.');
        let (_, hash) = (parts.next(), parts.next());
        return parts.next().is_some()
            && hash.is_some_and(|h| {
                h.len() == 22
                    && h.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
    }
    path == "/js/plotly.min.js" && query.is_some_and(|q| q.starts_with("v="))
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

/// What a page or server function finds in context: the state, the
/// caller (when signed in) and the CSP nonce.
fn request_context(
    state: &ServerState,
    request: &Request,
) -> impl Fn() + Clone + Send + Sync + 'static + use<> {
    let app = state.app.clone();
    let options = SignInOptions {
        entra: state.auth.oidc.is_some(),
    };
    let caller = request.extensions().get::<Caller>().cloned();
    let nonce = request.extensions().get::<CspNonce>().map(|n| n.0.clone());
    move || {
        provide_context(app.clone());
        provide_context(options);
        if let Some(caller) = caller.clone() {
            provide_context(caller);
        }
        if let Some(nonce) = nonce.clone() {
            provide_context(Nonce::from_value(nonce));
        }
    }
}

/// Runs a server function. Arguments that do not parse are the caller's
/// fault: 400 with the reason, not the framework's 500.
async fn server_fn(State(state): State<ServerState>, request: Request<Body>) -> Response {
    let context = request_context(&state, &request);
    let response = handle_server_fns_with_context(context, request)
        .await
        .into_response();
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return AppError::internal("a server function's failure could not be read").into_response();
    };
    match String::from_utf8_lossy(&bytes).split_once('|') {
        Some(("Args" | "MissingArg" | "Deserialization", why)) => {
            AppError::BadRequest(format!("the request's arguments could not be read: {why}"))
                .into_response()
        }
        _ => Response::from_parts(parts, Body::from(bytes)),
    }
}

/// Anything under the token API that is not one of its routes: a plain
/// 404, before the server-function dispatcher (whose own error text is
/// not for anonymous callers).
async fn no_token_route() -> Response {
    AppError::NotFound("no such API route".into()).into_response()
}

/// Renders a page in its route's SSR mode: data pages render whole
/// (async), so a refused scope check sets the page's status.
async fn page(State(state): State<ServerState>, request: Request<Body>) -> Response {
    let context = request_context(&state, &request);
    let options = state.app.leptos_options.clone();
    let handler = render_route_with_context(state.pages.to_vec(), context, move || {
        shell(options.clone())
    });
    // A page whose data never comes is an internal failure, not a request
    // left open.
    match tokio::time::timeout(PAGE_TIMEOUT, handler(State(state), request)).await {
        Ok(response) => response,
        Err(_) => AppError::internal("rendering a page timed out").into_response(),
    }
}

/// The longest a page may take to render.
const PAGE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_addresses_that_name_their_content_are_kept_a_year() {
        assert!(content_named(
            "/pkg/uptake.8Jp0Sx1fNqH7dE3uBo9kQw.wasm",
            None
        ));
        assert!(content_named(
            "/pkg/uptake.8Jp0Sx1fNqH7dE3uBo9kQw.css",
            None
        ));
        assert!(content_named(
            "/js/plotly.min.js",
            Some("v=0123456789abcdef")
        ));
        assert!(!content_named("/pkg/uptake.wasm", None));
        assert!(!content_named("/pkg/uptake.short.js", None));
        assert!(!content_named("/js/plotly.min.js", None));
        assert!(!content_named("/favicon.svg", None));
    }
}
