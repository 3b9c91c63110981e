//! Authentication: who is asking, on every request.
//!
//! - [`authenticate`] turns the session cookie into a [`Viewer`] and turns
//!   away anonymous callers from everything but the sign-in page, health
//!   checks and static files.
//! - [`same_origin`] refuses state-changing requests from other sites.
//! - [`security_headers`] sets the CSP (with a per-request nonce for the
//!   hydration scripts) and the other headers.
//! - [`sign_in`] and [`sign_out`] are the only routes that make or end a
//!   session.

pub mod entra;

use std::{net::SocketAddr, sync::Arc};

use app::api::ssr::{ACCESS_HEADER, AppError, Caller, guard::AccessNote, password};
use axum::{
    Form,
    extract::{ConnectInfo, FromRequestParts, Request, State, rejection::FormRejection},
    http::{Extensions, HeaderMap, HeaderValue, Method, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Utc;
use domain::access::{SessionPolicy, SignInLimit};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use store::{AuditEntry, Store};

use crate::{oidc::Oidc, routes::ServerState};

/// The session cookie over plain HTTP (the local demo).
pub const SESSION_COOKIE: &str = "uptake_session";
/// The session cookie over HTTPS: the `__Host-` prefix makes the browser
/// refuse it unless it is Secure, for this host only and for every path,
/// so no subdomain or plain-HTTP page can plant or shadow it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-uptake_session";

/// The session cookie's name for this request: the `__Host-` one whenever
/// cookies are Secure.
fn session_cookie_name(auth: &AuthConfig, headers: &HeaderMap) -> &'static str {
    if https(auth, headers) {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// The session id the browser presents, under this request's name.
fn session_id(auth: &AuthConfig, headers: &HeaderMap) -> Option<String> {
    cookie(headers, session_cookie_name(auth, headers))
}
/// A browser that has signed in to an account before (see
/// `docs/security.md`, device cookies). Sent only to `/auth`.
pub const DEVICE_COOKIE: &str = "uptake_device";

/// How sessions and sign-in behave.
#[derive(Debug, Clone, Default)]
pub struct AuthConfig {
    pub session: SessionPolicy,
    pub sign_in: SignInLimit,
    /// Mark cookies Secure even when no proxy says the request came over
    /// HTTPS.
    pub secure_cookies: bool,
    /// Sign-in with Microsoft Entra ID, when configured.
    pub oidc: Option<Arc<Oidc>>,
}

/// Paths open without a session.
fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/login"
            | "/auth/sign-in"
            | "/auth/oidc/start"
            | "/auth/oidc/callback"
            | "/api/sign-in-options"
            | "/healthz"
            | "/favicon.svg"
    ) || ["/pkg/", "/js/", TOKEN_API]
        .iter()
        .any(|p| path.starts_with(p))
}

/// Routes for other systems: they authenticate each request with a bearer
/// token, never a session cookie, so they need no session and no CSRF check.
pub const TOKEN_API: &str = "/api/v1/";

/// All that an account signed in with a one-time password may reach.
const PASSWORD_CHANGE: [&str; 4] = [
    "/account/password",
    "/api/change-password",
    "/api/me",
    "/auth/sign-out",
];

/// A random 256-bit token (a session id, a push API token) for the caller
/// to hold, and below, the SHA-256 the database keeps instead.
pub(crate) fn random_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

pub fn token_hash(id: &str) -> String {
    Sha256::digest(id.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

pub(crate) fn client_address(extensions: &Extensions) -> Option<String> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
}

/// The caller's IP address, when the server knows it.
pub struct ClientAddress(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(client_address(&parts.extensions)))
    }
}

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

#[derive(Deserialize)]
pub struct SignInForm {
    username: String,
    password: String,
}

/// Why a sign-in failed, as the sign-in page words it (`?error=`): never
/// which of name or password was wrong.
pub(crate) fn back_to_sign_in(reason: &str) -> Response {
    Redirect::to(&format!("/login?error={reason}")).into_response()
}

/// `POST /auth/sign-in`: checks the password, throttles failures per
/// account and per address, and starts a new session with a new id (so a
/// planted cookie is never promoted).
pub async fn sign_in(
    State(state): State<ServerState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    form: Result<Form<SignInForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return back_to_sign_in("failed");
    };
    let device = cookie(&headers, DEVICE_COOKIE);
    let outcome = try_sign_in(&state, &form, device.as_deref(), address.as_deref()).await;
    finish_sign_in(&state, &headers, outcome).await
}

/// How a sign-in attempt ended.
pub(crate) enum Outcome {
    /// The new session's id, and the device cookie to (re)issue.
    SignedIn {
        session: String,
        device: Option<String>,
    },
    /// Back to the sign-in page with this `?error=` code.
    Refused(&'static str),
}

/// Answers a sign-in attempt: on success, ends any session the browser
/// already had (so a planted cookie is never promoted), sets the new
/// cookie and goes to the overview.
pub(crate) async fn finish_sign_in(
    state: &ServerState,
    headers: &HeaderMap,
    outcome: anyhow::Result<Outcome>,
) -> Response {
    match outcome {
        Ok(Outcome::SignedIn { session, device }) => {
            if let Some(old) = session_id(&state.auth, headers)
                && let Err(e) = state.app.store.end_session(&token_hash(&old)).await
            {
                tracing::warn!(error = %e, "ending the previous session failed");
            }
            let mut response = Redirect::to("/").into_response();
            let cookies = std::iter::once(session_cookie(&session, &state.auth, headers))
                .chain(device.map(|d| device_cookie(&d, &state.auth, headers)));
            for cookie in cookies {
                if let Ok(v) = HeaderValue::from_str(&cookie) {
                    response.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            response
        }
        Ok(Outcome::Refused(reason)) => back_to_sign_in(reason),
        Err(e) => {
            tracing::error!(error = %e, "sign-in failed on the server");
            back_to_sign_in("unavailable")
        }
    }
}

/// Starts a session for an account that has proved who it is, and audits
/// the sign-in with its method.
pub(crate) async fn start_session(
    state: &ServerState,
    account: i64,
    username: &str,
    method: &str,
    address: Option<&str>,
) -> anyhow::Result<Outcome> {
    let store = &state.app.store;
    let id = random_token()?;
    store
        .create_session(&token_hash(&id), account, &state.auth.session, address)
        .await?;
    let viewer = store.account(username).await?.viewer;
    store
        .audit(&AuditEntry {
            account: Some(account),
            actor: username,
            action: "sign_in",
            detail: method,
            scope: &viewer.scope_label(),
            address,
        })
        .await?;
    Ok(Outcome::SignedIn {
        session: id,
        device: None,
    })
}

/// Audits a refusal to sign in. Refusals from one address are folded per
/// sign-in window (`Store::audit_refusal`), so a flood of them writes two
/// entries, not one per request.
pub(crate) async fn audit_refusal(
    state: &ServerState,
    username: &str,
    action: &str,
    why: &str,
    account: Option<i64>,
    address: Option<&str>,
) -> anyhow::Result<()> {
    let entry = AuditEntry {
        account,
        actor: username,
        action,
        detail: why,
        scope: "",
        address,
    };
    state
        .app
        .store
        .audit_refusal(&entry, state.auth.sign_in.window)
        .await?;
    Ok(())
}

/// The longest email address (RFC 5321 path limit less its brackets).
const MAX_USERNAME: usize = 254;

async fn try_sign_in(
    state: &ServerState,
    form: &SignInForm,
    device: Option<&str>,
    address: Option<&str>,
) -> anyhow::Result<Outcome> {
    let store = &state.app.store;
    let limit = state.auth.sign_in;
    // No account name is longer than the longest email address: a longer
    // one is cut there, so that a refusal never writes megabytes to the
    // audit log.
    let mut username = form.username.trim().to_lowercase();
    if username.len() > MAX_USERNAME {
        let cut = (0..=MAX_USERNAME)
            .rev()
            .find(|&i| username.is_char_boundary(i))
            .unwrap_or(0);
        username.truncate(cut);
    }
    let now = Utc::now();
    let since = now - limit.window;
    let credentials = store.credentials(&username).await?;
    // A browser that signed in to this account before guesses against its
    // own count; everyone else against the account's and the address's.
    // So strangers can lock the account, but not its owner's browser.
    let device_token = device;
    let device = device.map(token_hash);
    let trusted = match (&device, &credentials) {
        (Some(hash), Some(c)) => {
            store
                .device_trusted(hash, c.account, now - limit.device_trust)
                .await?
        }
        _ => false,
    };
    let guess_key = match (&device, trusted) {
        (Some(hash), true) => format!("device:{hash}"),
        _ => format!("account:{username}"),
    };
    let address_key = format!("address:{}", address.unwrap_or("unknown"));
    // Each guess is reserved before the password is checked, in one atomic
    // step per key, so parallel sign-ins cannot make more guesses than the
    // limit between them.
    if !store
        .reserve_guess(&guess_key, since, limit.per_account)
        .await?
        || (!trusted
            && !store
                .reserve_guess(&address_key, since, limit.per_address)
                .await?)
    {
        audit_refusal(
            state,
            &username,
            "sign_in_refused",
            "too many failed attempts",
            None,
            address,
        )
        .await?;
        return Ok(Outcome::Refused("throttled"));
    }
    let stored = credentials.as_ref().and_then(|c| c.password_hash.clone());
    let password = form.password.clone();
    let matches =
        tokio::task::spawn_blocking(move || password::verify(stored.as_deref(), &password)).await?;
    match credentials {
        Some(c) if matches && !c.disabled => {
            store.clear_sign_in_failures(&guess_key).await?;
            // A new device cookie for a stranger's browser; the same one,
            // its trust renewed, for a known one.
            let token = match (trusted, device_token) {
                (true, Some(token)) => token.to_owned(),
                _ => random_token()?,
            };
            store.trust_device(&token_hash(&token), c.account).await?;
            match start_session(state, c.account, &username, "password", address).await? {
                Outcome::SignedIn { session, .. } => Ok(Outcome::SignedIn {
                    session,
                    device: Some(token),
                }),
                refused => Ok(refused),
            }
        }
        found => {
            // The reserved guesses stand as failures.
            let why = match &found {
                None => "no such account",
                Some(c) if c.disabled => "account disabled",
                Some(_) => "wrong password",
            };
            audit_refusal(
                state,
                &username,
                "sign_in_failed",
                why,
                found.map(|c| c.account),
                address,
            )
            .await?;
            Ok(Outcome::Refused("failed"))
        }
    }
}

/// The device cookie: sent only to the sign-in routes, and kept as long
/// as the device's trust lasts.
fn device_cookie(token: &str, auth: &AuthConfig, headers: &HeaderMap) -> String {
    format!(
        "{DEVICE_COOKIE}={token}; Path=/auth; HttpOnly; SameSite=Strict; Max-Age={}{}",
        auth.sign_in.device_trust.num_seconds(),
        if https(auth, headers) { "; Secure" } else { "" }
    )
}

fn session_cookie(id: &str, auth: &AuthConfig, headers: &HeaderMap) -> String {
    format!(
        "{}={id}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        session_cookie_name(auth, headers),
        auth.session.absolute.num_seconds(),
        if https(auth, headers) { "; Secure" } else { "" }
    )
}

/// Whether cookies must be Secure: configured so, or a proxy says the
/// request came over HTTPS.
fn https(auth: &AuthConfig, headers: &HeaderMap) -> bool {
    auth.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
}

/// `POST /auth/sign-out`: ends the session on the server, not only in the
/// browser, so a copied cookie dies with it.
pub async fn sign_out(State(state): State<ServerState>, request: Request) -> Response {
    let store: &Store = &state.app.store;
    if let Some(id) = session_id(&state.auth, request.headers()) {
        if let Err(e) = store.end_session(&token_hash(&id)).await {
            return AppError::internal(format!("ending the session failed: {e}")).into_response();
        }
        if let Some(caller) = request.extensions().get::<Caller>() {
            let entry = AuditEntry {
                account: Some(caller.viewer.account),
                actor: &caller.viewer.username,
                action: "sign_out",
                detail: "",
                scope: &caller.viewer.scope_label(),
                address: caller.address.as_deref(),
            };
            if let Err(e) = store.audit(&entry).await {
                tracing::error!(error = %e, "auditing a sign-out failed");
            }
        }
    }
    let mut response = Redirect::to("/login").into_response();
    let secure = https(&state.auth, request.headers());
    let clear = format!(
        "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        session_cookie_name(&state.auth, request.headers()),
        if secure { "; Secure" } else { "" }
    );
    if let Ok(v) = HeaderValue::from_str(&clear) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}
