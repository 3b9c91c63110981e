//! The two routes of Entra ID sign-in: `/auth/oidc/start` sends the browser
//! to the identity provider; `/auth/oidc/callback` checks what comes back,
//! finds or creates the account, and starts a session.

use app::api::ssr::{
    Actor,
    accounts::{self, AddAccount, Credential},
};
use axum::{
    extract::{Query, State},
    http::HeaderMap,
    response::{IntoResponse, Redirect, Response},
};
use chrono::{Duration, Utc};
use domain::access::{AuditAction, map_groups};
use serde::Deserialize;

use super::{
    ClientAddress, back_to_sign_in,
    sign_in::{Outcome, audit_refusal, finish_sign_in, start_session},
    token_hash,
};
use crate::{oidc::Challenge, state::ServerState};

/// How long a sign-in may sit at the identity provider.
const PENDING_FOR_MINUTES: i64 = 10;

/// `GET /auth/oidc/start`
pub async fn start(State(state): State<ServerState>) -> Response {
    let Some(oidc) = state.auth.oidc.clone() else {
        return back_to_sign_in("entra_off");
    };
    let result = async {
        let challenge = Challenge::new()?;
        let url = oidc.authorize_url(&challenge).await?;
        state
            .app
            .store
            .save_oidc_pending(
                &token_hash(&challenge.state),
                &challenge.verifier,
                &challenge.nonce,
            )
            .await?;
        anyhow::Ok(url)
    }
    .await;
    match result {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "starting an Entra ID sign-in failed");
            back_to_sign_in("entra")
        }
    }
}

#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /auth/oidc/callback`
pub async fn callback(
    State(state): State<ServerState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    Query(reply): Query<Callback>,
) -> Response {
    let outcome = try_callback(&state, reply, address.as_deref()).await;
    finish_sign_in(&state, &headers, outcome).await
}

async fn try_callback(
    state: &ServerState,
    reply: Callback,
    address: Option<&str>,
) -> anyhow::Result<Outcome> {
    let store = &state.app.store;
    let refuse = |why: String| async move {
        audit_refusal(
            state,
            "entra id",
            AuditAction::SignInFailed,
            &why,
            None,
            address,
        )
        .await?;
        anyhow::Ok(Outcome::Refused("entra"))
    };
    let Some(oidc) = state.auth.oidc.clone() else {
        return Ok(Outcome::Refused("entra_off"));
    };
    if let Some(error) = reply.error {
        let detail = reply.error_description.unwrap_or_default();
        return refuse(format!("the identity provider said {error}: {detail}")).await;
    }
    let (Some(code), Some(returned_state)) = (reply.code, reply.state) else {
        return refuse("the callback lacks its code or state".into()).await;
    };
    let stale = Utc::now() - Duration::minutes(PENDING_FOR_MINUTES);
    let Some((verifier, nonce, _)) = store
        .take_oidc_pending(&token_hash(&returned_state), stale)
        .await?
    else {
        return refuse("unknown, spent or stale state".into()).await;
    };
    let identity = match oidc.finish(&code, &verifier, &nonce).await {
        Ok(i) => i,
        Err(e) => return refuse(e.to_string()).await,
    };
    let username = identity.username;
    match store.credentials(&username).await? {
        Some(c) if c.disabled => {
            audit_refusal(
                state,
                &username,
                AuditAction::SignInFailed,
                "account disabled",
                Some(c.account),
                address,
            )
            .await?;
            Ok(Outcome::Refused("entra"))
        }
        Some(c) => start_session(state, c.account, &username, "entra id", address).await,
        None => {
            let mappings = store.group_mappings(Some(&identity.groups)).await?;
            let access = match map_groups(&mappings) {
                Ok(a) => a,
                Err(denied) => {
                    audit_refusal(
                        state,
                        &username,
                        AuditAction::SignInFailed,
                        &denied.to_string(),
                        None,
                        address,
                    )
                    .await?;
                    return Ok(Outcome::Refused("entra_denied"));
                }
            };
            // Made the one way every account is made, from its groups'
            // mappings, signing in through Entra ID only.
            let actor = Actor {
                account: None,
                name: "entra id",
                scope: "groups".to_owned(),
                address,
            };
            let added = accounts::add(
                store,
                &actor,
                AddAccount {
                    username: &username,
                    display_name: None,
                    role: access.role,
                    scope: &access.scope,
                    person_lists: access.person_lists,
                    credential: Credential::EntraId,
                    is_demo: false,
                },
            )
            .await?;
            let account = added.account;
            start_session(state, account, &username, "entra id", address).await
        }
    }
}
