//! What every server function starts with: the state, the caller, and the
//! one shared access check.
//!
//! Each check marks the response with the `x-uptake-access` header it
//! granted. The route sweep in `server/tests` calls every registered server
//! function and fails on any that answers without one, so a new function
//! cannot skip the check unnoticed.

pub mod accounts;
pub mod error;
pub mod guard;
pub mod password;
pub mod waves;

use domain::{
    access::{AuditAction, Denied, Grant, PersonListGrant, Viewer},
    catalog::Subject,
};
use http::HeaderValue;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use store::{AuditEntry, Store, StoreError};

pub use error::AppError;

/// Who makes a change, as the audit log records it.
#[derive(Debug, Clone)]
pub struct Actor<'a> {
    pub account: Option<i64>,
    pub name: &'a str,
    pub scope: String,
    pub address: Option<&'a str>,
}

impl Actor<'static> {
    /// The command line, or another trusted local process by name.
    pub fn local(name: &'static str) -> Self {
        Self {
            account: None,
            name,
            scope: "local".to_owned(),
            address: None,
        }
    }
}

impl Actor<'_> {
    /// The audit entry for something this actor did, for a store write
    /// that records it in the same transaction.
    pub fn entry<'e>(&'e self, action: AuditAction, detail: &'e str) -> AuditEntry<'e> {
        AuditEntry {
            account: self.account,
            actor: self.name,
            action,
            detail,
            scope: &self.scope,
            address: self.address,
        }
    }

    /// Audits something this actor did that changed nothing stored (a view
    /// or an export).
    pub async fn audit(
        &self,
        store: &Store,
        action: AuditAction,
        detail: &str,
    ) -> Result<(), StoreError> {
        store.audit(&self.entry(action, detail)).await
    }
}

/// The header that names the access a server function was granted.
pub const ACCESS_HEADER: &str = "x-uptake-access";

/// What every request can reach: the store, the site options, and the
/// zone calendar days are counted in.
#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    pub leptos_options: LeptosOptions,
    pub zone: chrono_tz::Tz,
}

impl AppState {
    /// Today, in the configured zone (not UTC: a day in London starts an
    /// hour earlier in summer).
    pub fn today(&self) -> chrono::NaiveDate {
        chrono::Utc::now().with_timezone(&self.zone).date_naive()
    }
}

/// The signed-in user behind this request, and where they call from. The
/// server's authentication middleware provides it.
#[derive(Clone, Debug)]
pub struct Caller {
    pub viewer: Viewer,
    pub address: Option<String>,
    /// The hash of the session the request came with.
    pub session: Option<String>,
}

impl Caller {
    /// This caller as the audit log names them.
    pub fn actor(&self) -> Actor<'_> {
        Actor {
            account: Some(self.viewer.account),
            name: &self.viewer.username,
            scope: self.viewer.scope_label(),
            address: self.address.as_deref(),
        }
    }

    /// Writes an audit log entry in this caller's name.
    pub async fn audit(
        &self,
        store: &Store,
        action: AuditAction,
        detail: &str,
    ) -> Result<(), ServerFnError> {
        self.actor()
            .audit(store, action, detail)
            .await
            .map_err(failed)
    }
}

fn state() -> Result<AppState, ServerFnError> {
    use_context::<AppState>().ok_or_else(|| internal("server state is missing"))
}

fn granted(access: &str) {
    if let (Some(response), Ok(value)) = (
        use_context::<ResponseOptions>(),
        HeaderValue::from_str(access),
    ) {
        response.insert_header(http::HeaderName::from_static(ACCESS_HEADER), value);
    }
}

/// The signed-in caller, or 401.
fn caller() -> Result<Caller, ServerFnError> {
    use_context::<Caller>().ok_or_else(|| AppError::Unauthorized("sign in first".into()).into())
}

fn denied(d: Denied) -> ServerFnError {
    AppError::from(d).into()
}

/// Something the server put in context for everyone, signed in or not
/// (the sign-in page's options). Only paths the authentication middleware
/// lists as public reach this without a session.
pub fn public<T: Clone + Send + Sync + 'static>() -> Result<T, ServerFnError> {
    let value = use_context::<T>().ok_or_else(|| internal("server state is missing"))?;
    granted("public");
    Ok(value)
}

/// Any signed-in caller, for things about themselves.
pub fn signed_in() -> Result<(AppState, Caller), ServerFnError> {
    let caller = caller()?;
    let state = state()?;
    granted("self");
    Ok((state, caller))
}

/// Any signed-in caller, for a read that `store` narrows to the caller's
/// scope unit by unit (through [`Viewer::authorize`]).
pub fn within_scope() -> Result<(AppState, Caller), ServerFnError> {
    let caller = caller()?;
    let state = state()?;
    granted("scope");
    Ok((state, caller))
}

/// The unit a page shows when none is asked for: the force (`None`) for
/// those who see every unit, else the caller's first scope unit. It grants
/// nothing; the page's [`unit`] check follows.
pub fn own_root() -> Result<Option<String>, ServerFnError> {
    Ok(caller()?.viewer.home().map(str::to_owned))
}

/// A grant on one unit (by code; `None` is the whole force), or 403 (404
/// for those who see every unit), by [`Store::grant`], the check every
/// route and command shares; every unit read in `store` needs the grant.
pub async fn unit(code: Option<&str>) -> Result<(AppState, Caller, Grant), ServerFnError> {
    let caller = caller()?;
    let state = state()?;
    let (grant, code) = state
        .store
        .grant(&caller.viewer, code)
        .await
        .map_err(failed)?;
    granted(&format!("unit:{code}"));
    Ok((state, caller, grant))
}

/// A grant to list a unit's people: the unit grant plus the separate
/// permission. The caller audits the view.
pub async fn person_list(code: &str) -> Result<(AppState, Caller, PersonListGrant), ServerFnError> {
    let (state, caller, grant) = unit(Some(code)).await?;
    let list = grant.person_lists().map_err(denied)?;
    granted(&format!("people:{code}"));
    Ok((state, caller, list))
}

/// Admins only.
pub fn admin() -> Result<(AppState, Caller), ServerFnError> {
    let caller = caller()?;
    caller.viewer.require_admin().map_err(denied)?;
    let state = state()?;
    granted("admin");
    Ok((state, caller))
}

/// Admins and rollout managers: force-wide data health, and wave edits.
pub fn force_wide() -> Result<(AppState, Caller), ServerFnError> {
    let caller = caller()?;
    caller.viewer.require_force_wide().map_err(denied)?;
    let state = state()?;
    granted("force-wide");
    Ok((state, caller))
}

/// Admins and rollout managers with the person-level list permission:
/// the data page's person-level rows (sign-in names, rejected roster rows).
pub fn force_wide_people() -> Result<(AppState, Caller), ServerFnError> {
    let caller = caller()?;
    caller.viewer.require_force_wide_people().map_err(denied)?;
    let state = state()?;
    granted("force-wide-people");
    Ok((state, caller))
}

/// A request the caller can fix: 400 with the reason in plain words.
pub fn refused(reason: impl std::fmt::Display) -> ServerFnError {
    AppError::BadRequest(reason.to_string()).into()
}

/// A store read or write, or an account change, that failed: its reason
/// where the caller can fix it, else a reference to the log.
pub fn failed(e: impl Into<AppError>) -> ServerFnError {
    e.into().into()
}

/// An internal failure: logged, and shown only by reference.
pub fn internal(err: impl std::fmt::Display) -> ServerFnError {
    AppError::internal(err).into()
}

/// The subject asked for (`product:N`, `tool:N` or `all`), or by default
/// the first product.
pub async fn subject_or_first_product(
    store: &Store,
    key: Option<&str>,
) -> Result<Subject, AppError> {
    match key {
        Some(key) => Subject::parse(key).map_err(|e| AppError::BadRequest(e.to_string())),
        None => Ok(store.catalog().await?.default_subject()),
    }
}
