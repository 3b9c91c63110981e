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
mod middleware;
pub(crate) mod sign_in;

pub use middleware::{CspNonce, authenticate, same_origin, security_headers};
pub(crate) use sign_in::back_to_sign_in;
pub use sign_in::{SignInForm, sign_in, sign_out};

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{Extensions, HeaderMap, header, request::Parts},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

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

pub use crate::state::AuthConfig;

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

/// Whether cookies must be Secure: configured so, or a proxy says the
/// request came over HTTPS.
fn https(auth: &AuthConfig, headers: &HeaderMap) -> bool {
    auth.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
}
