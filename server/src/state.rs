//! What every route handler is given: the app's state, how sign-in
//! behaves, and the page routes. Its own module, so that the router and
//! the handlers it routes to do not import each other.

use std::sync::Arc;

use app::AppState;
use axum::extract::FromRef;
use domain::access::{SessionPolicy, SignInLimit};
use leptos::prelude::LeptosOptions;
use leptos_axum::AxumRouteListing;

use crate::oidc::Oidc;

/// What every route handler is given.
#[derive(Clone)]
pub struct ServerState {
    pub app: AppState,
    pub auth: AuthConfig,
    /// The app's page routes with their SSR modes.
    pub(crate) pages: Arc<Vec<AxumRouteListing>>,
}

impl FromRef<ServerState> for LeptosOptions {
    fn from_ref(state: &ServerState) -> Self {
        state.app.leptos_options.clone()
    }
}

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

/// The options pages render with: the site's files under `site_root`,
/// with their content-hashed names where the release build wrote them
/// (`hash.txt` beside the binary, from cargo-leptos' `hash-files`).
pub fn leptos_options(site_root: &str, addr: std::net::SocketAddr) -> LeptosOptions {
    let hashed = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join("hash.txt")))
        .is_some_and(|file| file.exists());
    let plain = std::path::Path::new(site_root).join("pkg/uptake.js");
    if !hashed && !plain.exists() {
        tracing::warn!(
            site_root,
            "no hash.txt beside the binary and no {}: pages will not find the app's script; \
             copy target/release/hash.txt beside the binary",
            plain.display()
        );
    }
    LeptosOptions::builder()
        .output_name("uptake")
        .site_root(site_root)
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .hash_files(hashed)
        .build()
}
