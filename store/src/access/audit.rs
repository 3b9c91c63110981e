//! The audit log: appended to, never changed, and refusals folded per
//! address, kind and window.

use chrono::{DateTime, Duration, Utc};
use domain::access::{AuditAction, AuditRecord};

use crate::{Store, db::on_db, error::Result};

use super::accounts::account_id;

/// One audit log entry to write.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    /// The account acting, if any (a failed sign-in has none).
    pub account: Option<i64>,
    /// Who, in words: a username, "cli", or the name tried at sign-in.
    pub actor: &'a str,
    pub action: AuditAction,
    pub detail: &'a str,
    pub scope: &'a str,
    pub address: Option<&'a str>,
}

impl Store {
    /// Appends to the audit log. Nothing updates or deletes it: the schema
    /// refuses both.
    pub async fn audit(&self, entry: &AuditEntry<'_>) -> Result<()> {
        let account = entry.account.map(account_id).transpose()?;
        on_db!(&self.db, pool => sqlx::query(
            "INSERT INTO audit_log (at, account_id, actor, action, detail, scope, address) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(Utc::now()).bind(account).bind(entry.actor).bind(entry.action.key()).bind(entry.detail)
            .bind(entry.scope).bind(entry.address).execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// Audits a refusal to sign in, folded per address, action and window:
    /// the first refusal of a kind from an address in `window` is written
    /// in full, later
    /// ones are only counted, and the count is written as one entry when
    /// the window has closed (see [`Self::close_refusal_windows`]). One
    /// transaction, so parallel refusals write one full entry between them.
    pub async fn audit_refusal(&self, entry: &AuditEntry<'_>, window: Duration) -> Result<()> {
        let now = Utc::now();
        let address = entry.address.unwrap_or("unknown");
        let account = entry.account.map(account_id).transpose()?;
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            close_windows!(tx, now);
            let refusals: i32 = sqlx::query_scalar(
                "INSERT INTO refusal_tally (address, action, window_start, closes_at, last_at, refusals) \
                 VALUES ($1, $2, $3, $4, $3, 1) \
                 ON CONFLICT (address, action) DO UPDATE SET refusals = refusal_tally.refusals + 1, \
                   last_at = excluded.last_at \
                 RETURNING refusals")
                .bind(address).bind(entry.action.key()).bind(now).bind(now + window)
                .fetch_one(&mut *tx).await?;
            if refusals == 1 {
                sqlx::query(
                    "INSERT INTO audit_log (at, account_id, actor, action, detail, scope, address) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(now).bind(account).bind(entry.actor).bind(entry.action.key())
                    .bind(entry.detail).bind(entry.scope).bind(entry.address)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Writes the count of every closed window of refusals as one audit
    /// entry (where more than its first refusal was folded into it), and
    /// forgets the window.
    async fn close_refusal_windows(&self) -> Result<()> {
        let now = Utc::now();
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            close_windows!(tx, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// The newest entries first, up to `limit`, with every closed window of
    /// sign-in refusals written first (so every reader sees them).
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditRecord>> {
        self.close_refusal_windows().await?;
        type Row = (
            i32,
            DateTime<Utc>,
            String,
            String,
            String,
            String,
            Option<String>,
        );
        let rows: Vec<Row> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT id, at, actor, action, detail, scope, address FROM audit_log ORDER BY id DESC LIMIT $1")
            .bind(limit).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(
                |(id, at, actor, action, detail, scope, address)| AuditRecord {
                    id: i64::from(id),
                    at,
                    actor,
                    action,
                    detail,
                    scope,
                    address,
                },
            )
            .collect())
    }
}
