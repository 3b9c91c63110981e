//! Admin REST routes: the audit log export.

use app::api::ssr::{AppError, Caller, guard::AdminCaller};
use axum::{
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use domain::{access::AuditAction, export::neutralise};

use crate::state::ServerState;

/// `GET /admin/audit.csv`: the whole audit log as CSV, for admins. The
/// export is itself audited.
pub async fn audit_csv(
    State(state): State<ServerState>,
    AdminCaller(caller): AdminCaller,
) -> Response {
    match audit_rows(&state, &caller).await {
        Ok(body) => {
            let mut response = body.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            headers.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"uptake-audit.csv\""),
            );
            response
        }
        Err(e) => {
            AppError::internal(format!("exporting the audit log failed: {e:#}")).into_response()
        }
    }
}

async fn audit_rows(state: &ServerState, caller: &Caller) -> anyhow::Result<Vec<u8>> {
    let store = &state.app.store;
    caller
        .actor()
        .audit(store, AuditAction::AuditLogExported, "CSV")
        .await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "id", "at_utc", "actor", "action", "detail", "scope", "address",
    ])?;
    for e in store.audit_log(i64::MAX).await? {
        let id = e.id.to_string();
        let at = e.at.to_rfc3339();
        let address = e.address.unwrap_or_default();
        out.write_record(
            [&id, &at, &e.actor, &e.action, &e.detail, &e.scope, &address]
                .iter()
                .map(|c| neutralise(c).into_owned()),
        )?;
    }
    Ok(out.into_inner()?)
}
