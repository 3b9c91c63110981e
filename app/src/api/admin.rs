//! Admin-only server functions: accounts and the audit log.

use domain::access::{Account, AuditRecord};
use leptos::{prelude::*, server_fn::codec::GetUrl};

/// Every account, for the admin page.
#[server(input = GetUrl, endpoint = "admin/accounts")]
pub async fn get_accounts() -> Result<Vec<Account>, ServerFnError> {
    use super::ssr::{admin, failed};
    let (state, _) = admin()?;
    state.store.accounts().await.map_err(failed)
}

/// Creates an account and returns its one-time password, shown once.
#[server(endpoint = "admin/add-account")]
pub async fn add_account(
    username: String,
    display_name: String,
    role: String,
    scope: String,
    person_lists: Option<String>,
) -> Result<String, ServerFnError> {
    use super::ssr::{accounts, admin, failed, refused};
    let (state, caller) = admin()?;
    let role = domain::access::Role::parse(&role).map_err(refused)?;
    let scope: Vec<String> = scope.split([',', ' ']).map(str::to_owned).collect();
    let new = accounts::AddAccount {
        username: &username,
        display_name: (!display_name.trim().is_empty()).then_some(display_name.as_str()),
        role,
        scope: &scope,
        person_lists: person_lists.is_some(),
        credential: accounts::Credential::Generated,
        is_demo: false,
    };
    let added = accounts::add(&state.store, &caller.actor(), new)
        .await
        .map_err(failed)?;
    Ok(added.password.unwrap_or_default())
}

#[server(endpoint = "admin/disable-account")]
pub async fn disable_account(username: String) -> Result<(), ServerFnError> {
    use super::ssr::{accounts, admin, failed, refused};
    let (state, caller) = admin()?;
    if username
        .trim()
        .eq_ignore_ascii_case(&caller.viewer.username)
    {
        return Err(refused("you cannot disable your own account"));
    }
    accounts::disable(&state.store, &caller.actor(), &username)
        .await
        .map_err(failed)
}

#[server(endpoint = "admin/set-role")]
pub async fn set_account_role(username: String, role: String) -> Result<(), ServerFnError> {
    use super::ssr::{accounts, admin, failed, refused};
    let (state, caller) = admin()?;
    let role = domain::access::Role::parse(&role).map_err(refused)?;
    accounts::set_role(&state.store, &caller.actor(), &username, role)
        .await
        .map_err(failed)
}

/// The newest audit log entries. Reading it is itself not audited; the
/// CSV export is.
#[server(input = GetUrl, endpoint = "admin/audit")]
pub async fn get_audit_log() -> Result<Vec<AuditRecord>, ServerFnError> {
    use super::ssr::{admin, failed};
    let (state, _) = admin()?;
    state.store.audit_log(500).await.map_err(failed)
}
