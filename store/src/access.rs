//! Accounts, sessions with sign-in throttling and Entra ID sign-ins in
//! flight, and the audit log: three modules that share the audit macros
//! below, so that a change and the row recording it commit together.

/// Within a transaction: writes each closed window of sign-in refusals
/// that folded more than its first refusal as one audit entry with the
/// count, and deletes the closed windows.
macro_rules! close_windows {
    ($tx:expr, $now:expr) => {{
        let closed: Vec<(String, String, DateTime<Utc>, DateTime<Utc>, i32)> = sqlx::query_as(
            "DELETE FROM refusal_tally WHERE closes_at <= $1 \
             RETURNING address, action, window_start, last_at, refusals",
        )
        .bind($now)
        .fetch_all(&mut *$tx)
        .await?;
        for (address, action, start, last, refusals) in closed.into_iter().filter(|c| c.4 > 1) {
            let detail = format!(
                "{} more {action} from this address between {} and {} UTC (the first is logged in full)",
                refusals - 1,
                start.format("%d %b %Y %H:%M:%S"),
                last.format("%H:%M:%S"),
            );
            sqlx::query(
                "INSERT INTO audit_log (at, account_id, actor, action, detail, scope, address) \
                 VALUES ($1, NULL, 'sign-in', 'sign_in_refusals_folded', $2, '', NULLIF($3, 'unknown'))",
            )
            .bind($now)
            .bind(detail)
            .bind(address)
            .execute(&mut *$tx)
            .await?;
        }
    }};
}

mod accounts;

pub(crate) use accounts::account_id;
mod audit;
mod sessions;

pub use accounts::{Credentials, NewAccount};
pub use audit::AuditEntry;
