//! The middleware on every route: who is asking ([`authenticate`]),
//! whether a change comes from this site ([`same_origin`]), and the
//! security headers ([`security_headers`]).

use app::api::ssr::{ACCESS_HEADER, AppError, Caller, guard::AccessNote};
use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, Method, header},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use chrono::Utc;

use crate::state::ServerState;

use super::{
    PASSWORD_CHANGE, TOKEN_API, client_address, https, is_public, random_token, session_id,
    token_hash,
};

/// Puts the [`Caller`] into the request, or turns an anonymous caller away:
/// 401 for the API, a redirect to the sign-in page for pages. A GET reads
/// the data version once, with its session (`store::read_only_request`).
pub async fn authenticate(
    State(state): State<ServerState>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        store::read_only_request(admit(state, request, next)).await
    } else {
        admit(state, request, next).await
    }
}

async fn admit(state: ServerState, mut request: Request, next: Next) -> Response {
    let session = session_id(&state.auth, request.headers()).map(|id| token_hash(&id));
    let viewer = match &session {
        Some(hash) => {
            let found = state
                .app
                .store
                .session_viewer(hash, &state.auth.session, Utc::now())
                .await;
            match found {
                Ok(v) => v,
                Err(e) => {
                    return AppError::internal(format!("reading the session failed: {e}"))
                        .into_response();
                }
            }
        }
        None => None,
    };
    let path = request.uri().path();
    match viewer {
        Some(viewer)
            if viewer.must_change_password
                && !is_public(path)
                && !PASSWORD_CHANGE.contains(&path) =>
        {
            return if path.starts_with("/api/") {
                AppError::Forbidden("set a new password first".into()).into_response()
            } else {
                Redirect::to("/account/password").into_response()
            };
        }
        Some(viewer) => {
            let address = client_address(request.extensions());
            request.extensions_mut().insert(Caller {
                viewer,
                address,
                session,
            });
        }
        None if is_public(path) => {}
        None if path.starts_with("/api/") => {
            return AppError::Unauthorized("sign in first".into()).into_response();
        }
        None => return Redirect::to("/login").into_response(),
    }
    let note = AccessNote::default();
    request.extensions_mut().insert(note.clone());
    let mut response = next.run(request).await;
    if let Some(access) = note.taken()
        && let Ok(value) = HeaderValue::from_str(&access)
    {
        response.headers_mut().insert(ACCESS_HEADER, value);
    }
    response
}

/// Refuses state-changing requests that a browser says came from another
/// site (`Sec-Fetch-Site`), or whose `Origin` (or, failing that, `Referer`)
/// is not this scheme and host. With SameSite=Lax cookies this closes CSRF
/// without a token in every form.
pub async fn same_origin(
    State(state): State<ServerState>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) || request.uri().path().starts_with(TOKEN_API)
        || !cross_site(request.headers(), https(&state.auth, request.headers()))
    {
        return next.run(request).await;
    }
    tracing::warn!(path = %request.uri().path(), "refused a cross-site request");
    AppError::Forbidden("cross-site request refused".into()).into_response()
}

fn cross_site(headers: &HeaderMap, https: bool) -> bool {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
        return !matches!(site, "same-origin" | "none");
    }
    let Some(host) = text(header::HOST) else {
        return true;
    };
    let ours = format!("{}://{host}", if https { "https" } else { "http" });
    let origin = text(header::ORIGIN).or_else(|| text(header::REFERER));
    origin.is_none_or(|o| origin_of(o) != Some(ours.as_str()))
}

/// `scheme://host:port` of an absolute URL.
fn origin_of(url: &str) -> Option<&str> {
    let start = url.find("://")? + 3;
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    Some(&url[..end])
}

/// A per-request nonce for the page's inline hydration scripts.
#[derive(Debug, Clone)]
pub struct CspNonce(pub String);

/// Security headers on every response, and a Content-Security-Policy that
/// lets only our own scripts run: plotly.js and the wasm bundle from this
/// origin, and the inline hydration script by its nonce.
pub async fn security_headers(mut request: Request, next: Next) -> Response {
    let nonce = random_token()
        .map(|id| id[..22].to_owned())
        .unwrap_or_default();
    request.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut response = next.run(request).await;
    let csp = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    );
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    set("content-security-policy", &csp);
    set("x-content-type-options", "nosniff");
    set("x-frame-options", "DENY");
    set("referrer-policy", "same-origin");
    set(
        "permissions-policy",
        "camera=(), microphone=(), geolocation=()",
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
    }
    response
}
