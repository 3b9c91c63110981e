//! Signing in and out with a password: the only routes that make or end a
//! password session.

use app::api::ssr::{AppError, Caller, password};
use axum::{
    Form,
    extract::{Request, State, rejection::FormRejection},
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Redirect, Response},
};
use chrono::Utc;
use domain::access::AuditAction;
use serde::Deserialize;
use store::{AuditEntry, Store};

use crate::state::ServerState;

use super::{
    AuthConfig, ClientAddress, DEVICE_COOKIE, cookie, https, random_token, session_cookie_name,
    session_id, token_hash,
};

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
            action: AuditAction::SignIn,
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
    action: AuditAction,
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
            AuditAction::SignInRefused,
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
            // The address counts failures: many people sign in from one
            // station's address, and their sign-ins are none.
            if !trusted {
                store.release_guess(&address_key).await?;
            }
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
                AuditAction::SignInFailed,
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
                action: AuditAction::SignOut,
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
