//! Sessions, the sign-in guess limit and trusted devices, and Entra ID
//! sign-ins in flight.

use chrono::{DateTime, Utc};
use domain::access::{SessionPolicy, Viewer};

use crate::{Store, db::on_db, error::Result, meta::note_request_version};

use super::accounts::{ACCOUNT_COLUMNS, AccountRow, account_id, account_with};

/// A session with its account and one of its scope units (none when the
/// account has no scope).
#[derive(sqlx::FromRow)]
struct SessionRow {
    session_created: DateTime<Utc>,
    session_seen: DateTime<Utc>,
    #[sqlx(flatten)]
    account: AccountRow,
    scope_id: Option<i32>,
    scope_code: Option<String>,
    data_version: i64,
}

impl Store {
    /// Starts a session. The caller hands over only the hash of the id it
    /// gave the browser. Beyond `policy.per_account` live sessions, the
    /// account's least recently used ones end, in the same transaction.
    pub async fn create_session(
        &self,
        id_hash: &str,
        account: i64,
        policy: &SessionPolicy,
        address: Option<&str>,
    ) -> Result<()> {
        let now = Utc::now();
        let account = account_id(account)?;
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO session (id_hash, account_id, created_at, last_seen_at, expires_at, address) \
                 VALUES ($1, $2, $3, $3, $4, $5)")
                .bind(id_hash).bind(account).bind(now).bind(now + policy.absolute).bind(address)
                .execute(&mut *tx).await?;
            sqlx::query(
                "DELETE FROM session WHERE account_id = $1 AND id_hash NOT IN \
                 (SELECT id_hash FROM session WHERE account_id = $1 \
                  ORDER BY last_seen_at DESC, created_at DESC LIMIT $2)")
                .bind(account).bind(i64::from(policy.per_account))
                .execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The viewer behind a live session, or `None` when the session is
    /// unknown, expired or its account disabled. An expired session is
    /// deleted on sight.
    pub async fn session_viewer(
        &self,
        id_hash: &str,
        policy: &SessionPolicy,
        now: DateTime<Utc>,
    ) -> Result<Option<Viewer>> {
        // One round trip: the session, its account, the account's scope (a
        // row per unit) and the data version, as every request asks this
        // first.
        let rows: Vec<SessionRow> = on_db!(&self.db, pool => sqlx::query_as(
            &format!("SELECT s.created_at AS session_created, s.last_seen_at AS session_seen, {ACCOUNT_COLUMNS}, \
                    u.id AS scope_id, u.code AS scope_code, \
                    (SELECT version FROM meta_version WHERE id = 1) AS data_version \
             FROM session s JOIN account a ON a.id = s.account_id \
             LEFT JOIN account_scope sc ON sc.account_id = a.id LEFT JOIN unit u ON u.id = sc.unit_id \
             WHERE s.id_hash = $1 ORDER BY u.code"))
            .bind(id_hash).fetch_all(pool).await?);
        let scope = rows
            .iter()
            .filter_map(|r| Some((r.scope_id?, r.scope_code.clone()?)))
            .collect();
        let Some(first) = rows.into_iter().next() else {
            return Ok(None);
        };
        note_request_version(first.data_version);
        let (created, last_seen, disabled) = (
            first.session_created,
            first.session_seen,
            first.account.disabled,
        );
        if disabled || !policy.alive(created, last_seen, now) {
            self.end_session(id_hash).await?;
            return Ok(None);
        }
        if policy.needs_touch(last_seen, now) {
            on_db!(&self.db, pool => sqlx::query("UPDATE session SET last_seen_at = $1 WHERE id_hash = $2")
                .bind(now).bind(id_hash).execute(pool).await.map(|_| ())?);
        }
        Ok(Some(account_with(first.account, scope)?.viewer))
    }

    pub async fn end_session(&self, id_hash: &str) -> Result<()> {
        on_db!(&self.db, pool => sqlx::query("DELETE FROM session WHERE id_hash = $1")
            .bind(id_hash).execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// Reserves one guess for `key` in one atomic step, before the caller
    /// checks a password: counted as a failure unless the caller clears it
    /// on success. Returns false, counting nothing, when `limit` guesses
    /// have been made in the window that started after `since` (a window
    /// older than that starts again). Parallel callers can never make more
    /// than `limit` guesses between them.
    pub async fn reserve_guess(&self, key: &str, since: DateTime<Utc>, limit: i32) -> Result<bool> {
        let reserved: Option<i32> = on_db!(&self.db, pool => sqlx::query_scalar(
            "INSERT INTO login_attempt (key, failures, window_start) VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET \
               failures = CASE WHEN login_attempt.window_start < $3 THEN 1 ELSE login_attempt.failures + 1 END, \
               window_start = CASE WHEN login_attempt.window_start < $3 THEN $2 ELSE login_attempt.window_start END \
             WHERE login_attempt.window_start < $3 OR login_attempt.failures < $4 \
             RETURNING failures")
            .bind(key).bind(Utc::now()).bind(since).bind(limit)
            .fetch_optional(pool).await?);
        Ok(reserved.is_some())
    }

    /// Records a browser that has just signed in to an account, by its
    /// device cookie's hash.
    pub async fn trust_device(&self, token_hash: &str, account: i64) -> Result<()> {
        let now = Utc::now();
        on_db!(&self.db, pool => sqlx::query(
            "INSERT INTO trusted_device (token_hash, account_id, created_at, last_used_at) \
             VALUES ($1, $2, $3, $3) \
             ON CONFLICT (token_hash) DO UPDATE SET last_used_at = excluded.last_used_at \
             WHERE trusted_device.account_id = excluded.account_id")
            .bind(token_hash).bind(account_id(account)?).bind(now)
            .execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// Whether a device cookie's hash vouches for this account: issued to
    /// it, and used within `since` (a device unused that long is a
    /// stranger again).
    pub async fn device_trusted(
        &self,
        token_hash: &str,
        account: i64,
        since: DateTime<Utc>,
    ) -> Result<bool> {
        let found: Option<i32> = on_db!(&self.db, pool => sqlx::query_scalar(
            "SELECT account_id FROM trusted_device \
             WHERE token_hash = $1 AND account_id = $2 AND last_used_at >= $3")
            .bind(token_hash).bind(account_id(account)?).bind(since)
            .fetch_optional(pool).await?);
        Ok(found.is_some())
    }

    /// Gives back one guess reserved for `key`: a guess that succeeded is
    /// no failure. Only that one: the failures of others under the same
    /// key (other people behind one address) still stand.
    pub async fn release_guess(&self, key: &str) -> Result<()> {
        on_db!(&self.db, pool => sqlx::query(
            "UPDATE login_attempt SET failures = failures - 1 WHERE key = $1 AND failures > 0")
            .bind(key).execute(pool).await.map(|_| ())?);
        Ok(())
    }

    pub async fn clear_sign_in_failures(&self, key: &str) -> Result<()> {
        on_db!(&self.db, pool => sqlx::query("DELETE FROM login_attempt WHERE key = $1")
            .bind(key).execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// Remembers an Entra ID sign-in in flight.
    pub async fn save_oidc_pending(
        &self,
        state_hash: &str,
        verifier: &str,
        nonce: &str,
    ) -> Result<()> {
        let now = Utc::now();
        on_db!(&self.db, pool => sqlx::query(
            "INSERT INTO oidc_pending (state_hash, verifier, nonce, created_at) VALUES ($1, $2, $3, $4)")
            .bind(state_hash).bind(verifier).bind(nonce).bind(now).execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// Takes (and so spends) a sign-in in flight: its verifier, nonce and
    /// start time. Stale ones are swept at the same time.
    pub async fn take_oidc_pending(
        &self,
        state_hash: &str,
        stale_before: DateTime<Utc>,
    ) -> Result<Option<(String, String, DateTime<Utc>)>> {
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            let row: Option<(String, String, DateTime<Utc>)> = sqlx::query_as(
                "SELECT verifier, nonce, created_at FROM oidc_pending WHERE state_hash = $1")
                .bind(state_hash).fetch_optional(&mut *tx).await?;
            sqlx::query("DELETE FROM oidc_pending WHERE state_hash = $1 OR created_at < $2")
                .bind(state_hash).bind(stale_before).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(row)
        })
    }
}
