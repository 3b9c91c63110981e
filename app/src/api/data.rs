//! Data health for admins and rollout managers: coverage and syncs, imports
//! with their rejected rows, and names that match nobody. Sign-in names and
//! rejected rows are person-level: they need the person-level list
//! permission, and each view of them is audited.

use domain::health::{DataHealth, Freshness, ImportRejects};
use leptos::{prelude::*, server_fn::codec::GetUrl};

/// Imports listed on the data page.
#[cfg(feature = "ssr")]
const IMPORTS_SHOWN: i64 = 30;
/// Unmatched names listed (the most active first).
#[cfg(feature = "ssr")]
const NAMES_SHOWN: usize = 100;
/// Rejected rows shown for one import.
#[cfg(feature = "ssr")]
const REJECTS_SHOWN: i64 = 1_000;

#[server(input = GetUrl, endpoint = "data/health")]
pub async fn get_data_health() -> Result<DataHealth, ServerFnError> {
    use super::ssr::{failed, force_wide};
    let (state, caller) = force_wide()?;
    let today = state.today();
    let mut health = state
        .store
        .data_health(today, IMPORTS_SHOWN, NAMES_SHOWN)
        .await
        .map_err(failed)?;
    if caller.viewer.require_force_wide_people().is_err() {
        health.unmatched.clear();
        health.names_withheld = true;
    } else if !health.unmatched.is_empty() {
        let detail = format!(
            "unmatched sign-in names on the data page ({} names)",
            health.unmatched.len()
        );
        caller
            .audit(
                &state.store,
                domain::access::AuditAction::PersonListViewed,
                &detail,
            )
            .await?;
    }
    Ok(health)
}

/// How fresh each source's data is, for any signed-in caller (the dates
/// describe no one); whether the caller may open the data page.
#[server(input = GetUrl, endpoint = "data/freshness")]
pub async fn get_freshness() -> Result<Freshness, ServerFnError> {
    use super::ssr::{failed, within_scope};
    let (state, caller) = within_scope()?;
    let sources = state
        .store
        .source_health(state.today())
        .await
        .map_err(failed)?;
    Ok(Freshness::new(
        sources,
        caller.viewer.require_force_wide().is_ok(),
    ))
}

/// One import's rejected rows, in line order.
#[server(input = GetUrl, endpoint = "data/rejects")]
pub async fn get_import_rejects(import: i32) -> Result<ImportRejects, ServerFnError> {
    use super::ssr::{failed, force_wide_people};
    let (state, caller) = force_wide_people()?;
    let import = state
        .store
        .import_info(import)
        .await
        .map_err(failed)?
        .ok_or_else(|| failed(store::StoreError::NotFound(format!("import {import}"))))?;
    let rows = state
        .store
        .import_rejects(import.id, REJECTS_SHOWN)
        .await
        .map_err(failed)?;
    let detail = format!(
        "rejected rows of import {} ({}, {} rows)",
        import.id,
        import.kind,
        rows.len()
    );
    caller
        .audit(
            &state.store,
            domain::access::AuditAction::PersonListViewed,
            &detail,
        )
        .await?;
    Ok(ImportRejects { import, rows })
}
