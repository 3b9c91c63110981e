//! Accounts, sessions, sign-in throttling, the audit log, and the unit
//! paths that scope checks read.

use chrono::{DateTime, Duration, Utc};
use domain::{
    access::{
        Account, AuditRecord, GroupMapping, Role, ScopeUnit, SessionPolicy, UnitPath, Viewer,
    },
    org::UnitId,
};

use crate::{
    Store,
    db::on_db,
    error::{Result, StoreError},
    meta::note_request_version,
};

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

/// Within a transaction: appends `$entry` to the audit log, so a change
/// and the row that records it commit together or not at all.
macro_rules! audit_in {
    ($tx:expr, $entry:expr) => {{
        let entry: &AuditEntry<'_> = $entry;
        let account = entry.account.map(account_id).transpose()?;
        sqlx::query(
            "INSERT INTO audit_log (at, account_id, actor, action, detail, scope, address) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(Utc::now())
        .bind(account)
        .bind(entry.actor)
        .bind(entry.action)
        .bind(entry.detail)
        .bind(entry.scope)
        .bind(entry.address)
        .execute(&mut *$tx)
        .await?;
    }};
}

/// Which of an account's sessions a change ends.
#[derive(Debug, Clone, Copy)]
enum EndSessions<'a> {
    None,
    All,
    /// Every session but this one (by its hash), noting in the audit how
    /// many ended.
    AllBut(&'a str),
}

/// An account to create. Usernames are sign-in names and are kept in lower
/// case, so matching is case-insensitive.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// An argon2id PHC string; `None` for accounts that only sign in
    /// through Entra ID.
    pub password_hash: Option<String>,
    pub person_lists: bool,
    /// Unit codes of the subtrees in scope.
    pub scope: Vec<String>,
    pub is_demo: bool,
    /// The password was generated and must be replaced at first sign-in.
    pub must_change_password: bool,
}

/// What a sign-in attempt needs to know about an account.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub account: i64,
    pub password_hash: Option<String>,
    pub disabled: bool,
}

/// One audit log entry to write.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    /// The account acting, if any (a failed sign-in has none).
    pub account: Option<i64>,
    /// Who, in words: a username, "cli", or the name tried at sign-in.
    pub actor: &'a str,
    pub action: &'a str,
    pub detail: &'a str,
    pub scope: &'a str,
    pub address: Option<&'a str>,
}

/// An account's row.
#[derive(sqlx::FromRow)]
struct AccountRow {
    id: i32,
    username: String,
    display_name: String,
    role: String,
    person_lists: bool,
    disabled: bool,
    is_demo: bool,
    must_change_password: bool,
    created_at: DateTime<Utc>,
}

const ACCOUNT_COLUMNS: &str = "a.id, a.username, a.display_name, a.role, a.person_lists, a.disabled, a.is_demo, \
    a.must_change_password, a.created_at";

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
    /// Creates an account and writes `audit` in the same transaction.
    pub async fn create_account(&self, new: &NewAccount, audit: &AuditEntry<'_>) -> Result<i64> {
        let username = new.username.trim().to_lowercase();
        if username.is_empty() {
            return Err(StoreError::Rejected("a username is needed".into()));
        }
        let scope = self.unit_ids(&new.scope).await?;
        let now = Utc::now();
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            let taken: Option<(i32,)> = sqlx::query_as("SELECT id FROM account WHERE username = $1")
                .bind(&username).fetch_optional(&mut *tx).await?;
            if taken.is_some() {
                return Err(StoreError::Rejected(format!("an account named '{username}' already exists")));
            }
            let (id,): (i32,) = sqlx::query_as(
                "INSERT INTO account (username, display_name, password_hash, role, person_lists, is_demo, must_change_password, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
                .bind(&username).bind(&new.display_name).bind(&new.password_hash).bind(new.role.key())
                .bind(new.person_lists).bind(new.is_demo).bind(new.must_change_password).bind(now)
                .fetch_one(&mut *tx).await?;
            for unit in &scope {
                sqlx::query("INSERT INTO account_scope (account_id, unit_id) VALUES ($1, $2)")
                    .bind(id).bind(unit.0).execute(&mut *tx).await?;
            }
            audit_in!(tx, audit);
            tx.commit().await?;
            Ok(i64::from(id))
        })
    }

    /// Unit ids for codes, refusing any code that is not in the tree.
    async fn unit_ids(&self, codes: &[String]) -> Result<Vec<UnitId>> {
        let mut ids = Vec::with_capacity(codes.len());
        for code in codes {
            let id: Option<(i32,)> = on_db!(&self.db, pool => sqlx::query_as(
                "SELECT id FROM unit WHERE code = $1").bind(code.trim()).fetch_optional(pool).await?);
            let (id,) =
                id.ok_or_else(|| StoreError::NotFound(format!("unit '{}'", code.trim())))?;
            ids.push(UnitId(id));
        }
        Ok(ids)
    }

    pub async fn accounts(&self) -> Result<Vec<Account>> {
        let rows: Vec<AccountRow> = on_db!(&self.db, pool => sqlx::query_as(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM account a ORDER BY a.username")).fetch_all(pool).await?);
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.account_info(row).await?);
        }
        Ok(out)
    }

    pub async fn account(&self, username: &str) -> Result<Account> {
        let row: Option<AccountRow> = on_db!(&self.db, pool => sqlx::query_as(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM account a WHERE a.username = $1")).bind(username.trim().to_lowercase()).fetch_optional(pool).await?);
        let row = row.ok_or_else(|| StoreError::NotFound(format!("account '{username}'")))?;
        self.account_info(row).await
    }

    async fn account_info(&self, row: AccountRow) -> Result<Account> {
        let scope: Vec<(i32, String)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT u.id, u.code FROM account_scope s JOIN unit u ON u.id = s.unit_id \
             WHERE s.account_id = $1 ORDER BY u.code").bind(row.id).fetch_all(pool).await?);
        account_with(row, scope)
    }

    pub async fn credentials(&self, username: &str) -> Result<Option<Credentials>> {
        let row: Option<(i32, Option<String>, bool)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT id, password_hash, disabled FROM account WHERE username = $1")
            .bind(username.trim().to_lowercase()).fetch_optional(pool).await?);
        Ok(row.map(|(id, password_hash, disabled)| Credentials {
            account: i64::from(id),
            password_hash,
            disabled,
        }))
    }

    /// Sets an account's role, audited in the same transaction.
    pub async fn set_role(&self, username: &str, role: Role, audit: &AuditEntry<'_>) -> Result<()> {
        self.change_account(
            username,
            "UPDATE account SET role = $1 WHERE username = $2",
            Some(role.key()),
            EndSessions::None,
            audit,
        )
        .await
        .map(|_| ())
    }

    /// Allows or withdraws person-level lists, audited in the same
    /// transaction. The account's sessions read their viewer afresh on each
    /// request, so this holds at once.
    pub async fn set_person_lists(
        &self,
        username: &str,
        allowed: bool,
        audit: &AuditEntry<'_>,
    ) -> Result<()> {
        let sql = if allowed {
            "UPDATE account SET person_lists = TRUE WHERE username = $1"
        } else {
            "UPDATE account SET person_lists = FALSE WHERE username = $1"
        };
        self.change_account(username, sql, None, EndSessions::None, audit)
            .await
            .map(|_| ())
    }

    /// Replaces a password chosen by its owner (which also lifts the
    /// must-change flag of a one-time password) and ends the account's
    /// other sessions but `keep`; audited in the same transaction, with
    /// "; N other sessions ended" added to the audit's detail. Returns N.
    pub async fn set_own_password(
        &self,
        username: &str,
        hash: &str,
        keep: Option<&str>,
        audit: &AuditEntry<'_>,
    ) -> Result<u64> {
        self.change_account(
            username,
            "UPDATE account SET password_hash = $1, must_change_password = FALSE WHERE username = $2",
            Some(hash),
            EndSessions::AllBut(keep.unwrap_or("")),
            audit,
        )
        .await
    }

    /// Disables an account and ends its sessions at once, audited in the
    /// same transaction.
    pub async fn disable_account(&self, username: &str, audit: &AuditEntry<'_>) -> Result<()> {
        self.change_account(
            username,
            "UPDATE account SET disabled = TRUE WHERE username = $1",
            None,
            EndSessions::All,
            audit,
        )
        .await
        .map(|_| ())
    }

    /// One change to an account in one transaction: `sql` (binding `value`
    /// first when given, then the username), then ending sessions as
    /// `end` says, then the audit entry. Returns how many sessions ended.
    async fn change_account(
        &self,
        username: &str,
        sql: &str,
        value: Option<&str>,
        end: EndSessions<'_>,
        audit: &AuditEntry<'_>,
    ) -> Result<u64> {
        let username = username.trim().to_lowercase();
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            let mut q = sqlx::query(sql);
            if let Some(v) = value {
                q = q.bind(v);
            }
            let done = q.bind(&username).execute(&mut *tx).await?.rows_affected();
            if done == 0 {
                return Err(StoreError::NotFound(format!("account '{username}'")));
            }
            let mut ended = 0;
            let mut detail = audit.detail.to_owned();
            if let EndSessions::All | EndSessions::AllBut(_) = end {
                let keep = match end {
                    EndSessions::AllBut(keep) => keep,
                    _ => "",
                };
                ended = sqlx::query(
                    "DELETE FROM session WHERE account_id IN (SELECT id FROM account WHERE username = $1) \
                     AND id_hash <> $2")
                    .bind(&username).bind(keep).execute(&mut *tx).await?.rows_affected();
                if let EndSessions::AllBut(_) = end {
                    detail = format!("{detail}; {ended} other sessions ended");
                }
            }
            audit_in!(tx, &AuditEntry { detail: &detail, ..audit.clone() });
            tx.commit().await?;
            Ok(ended)
        })
    }

    /// Whether any demo account is still enabled, so `serve` can warn.
    pub async fn demo_accounts_exist(&self) -> Result<bool> {
        let n: (i64,) = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT COUNT(*) FROM account WHERE is_demo AND NOT disabled").fetch_one(pool).await?);
        Ok(n.0 > 0)
    }

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

    pub async fn clear_sign_in_failures(&self, key: &str) -> Result<()> {
        on_db!(&self.db, pool => sqlx::query("DELETE FROM login_attempt WHERE key = $1")
            .bind(key).execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// Appends to the audit log. Nothing updates or deletes it: the schema
    /// refuses both.
    pub async fn audit(&self, entry: &AuditEntry<'_>) -> Result<()> {
        let account = entry.account.map(account_id).transpose()?;
        on_db!(&self.db, pool => sqlx::query(
            "INSERT INTO audit_log (at, account_id, actor, action, detail, scope, address) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(Utc::now()).bind(account).bind(entry.actor).bind(entry.action).bind(entry.detail)
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
                .bind(address).bind(entry.action).bind(now).bind(now + window)
                .fetch_one(&mut *tx).await?;
            if refusals == 1 {
                sqlx::query(
                    "INSERT INTO audit_log (at, account_id, actor, action, detail, scope, address) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(now).bind(account).bind(entry.actor).bind(entry.action)
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

    /// A unit's chain of ancestors as the tree stands now, root first, with
    /// restricted flags: one indexed read of the closure table.
    pub async fn unit_path(&self, code: &str) -> Result<Option<UnitPath>> {
        Ok(self.meta().await?.unit_path(code))
    }

    /// The code of the tree's root, which stands for the whole force.
    pub async fn root_code(&self) -> Result<String> {
        let units = self.units().await?;
        let root = units.iter().find(|u| u.parent.is_none());
        root.map(|u| u.code.clone()).ok_or_else(|| {
            StoreError::NotFound("the unit tree (import units.csv or run `uptake demo`)".into())
        })
    }
}

impl Store {
    /// Maps an Entra ID group to a role and scope, replacing any earlier
    /// mapping of that group.
    pub async fn set_group_mapping(&self, mapping: &GroupMapping) -> Result<()> {
        let scope = self.unit_ids(&mapping.scope).await?;
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM group_mapping_scope WHERE group_id = $1")
                .bind(&mapping.group).execute(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO group_mapping (group_id, role, person_lists) VALUES ($1, $2, $3) \
                 ON CONFLICT (group_id) DO UPDATE SET role = excluded.role, person_lists = excluded.person_lists")
                .bind(&mapping.group).bind(mapping.role.key()).bind(mapping.person_lists)
                .execute(&mut *tx).await?;
            for unit in &scope {
                sqlx::query("INSERT INTO group_mapping_scope (group_id, unit_id) VALUES ($1, $2)")
                    .bind(&mapping.group).bind(unit.0).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The mappings of the given groups (those that have one), or of every
    /// group when `groups` is `None`.
    pub async fn group_mappings(&self, groups: Option<&[String]>) -> Result<Vec<GroupMapping>> {
        let rows: Vec<(String, String, bool, Option<String>)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT g.group_id, g.role, g.person_lists, u.code FROM group_mapping g \
             LEFT JOIN group_mapping_scope s ON s.group_id = g.group_id \
             LEFT JOIN unit u ON u.id = s.unit_id ORDER BY g.group_id, u.code")
            .fetch_all(pool).await?);
        let mut out: Vec<GroupMapping> = Vec::new();
        for (group, role, person_lists, code) in rows {
            if groups.is_some_and(|wanted| !wanted.contains(&group)) {
                continue;
            }
            if out.last().is_none_or(|m| m.group != group) {
                out.push(GroupMapping {
                    group,
                    role: Role::parse(&role).map_err(|e| StoreError::Internal(e.to_string()))?,
                    person_lists,
                    scope: Vec::new(),
                });
            }
            if let (Some(code), Some(last)) = (code, out.last_mut()) {
                last.scope.push(code);
            }
        }
        Ok(out)
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

fn account_id(id: i64) -> Result<i32> {
    i32::try_from(id).map_err(|_| StoreError::Internal(format!("account id {id} is out of range")))
}

/// An account with its scope, from its row and its scope's (id, code) rows.
fn account_with(row: AccountRow, scope: Vec<(i32, String)>) -> Result<Account> {
    let AccountRow {
        id,
        username,
        display_name,
        role,
        person_lists,
        disabled,
        is_demo,
        must_change_password,
        created_at,
    } = row;
    let role = Role::parse(&role).map_err(|e| StoreError::Internal(e.to_string()))?;
    Ok(Account {
        viewer: Viewer {
            account: i64::from(id),
            username,
            display_name,
            role,
            scope: scope
                .into_iter()
                .map(|(id, code)| ScopeUnit {
                    id: UnitId(id),
                    code,
                })
                .collect(),
            person_lists,
            must_change_password,
        },
        disabled,
        is_demo,
        created_at,
    })
}
