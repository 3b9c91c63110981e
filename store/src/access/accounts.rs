//! Accounts and the Entra ID group mappings that make them.

use chrono::{DateTime, Utc};
use domain::{
    access::{Account, GroupMapping, Role, ScopeUnit, Viewer},
    org::UnitId,
};

use crate::{
    Store,
    db::on_db,
    error::{Result, StoreError},
};

use super::AuditEntry;

/// Which of an account's sessions a change ends.
#[derive(Debug, Clone, Copy)]
pub(super) enum EndSessions<'a> {
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

/// An account's row.
#[derive(sqlx::FromRow)]
pub(super) struct AccountRow {
    pub(super) id: i32,
    pub(super) username: String,
    pub(super) display_name: String,
    pub(super) role: String,
    pub(super) person_lists: bool,
    pub(super) disabled: bool,
    pub(super) is_demo: bool,
    pub(super) must_change_password: bool,
    pub(super) created_at: DateTime<Utc>,
}

pub(super) const ACCOUNT_COLUMNS: &str = "a.id, a.username, a.display_name, a.role, a.person_lists, a.disabled, a.is_demo, \
    a.must_change_password, a.created_at";

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
}

pub(crate) fn account_id(id: i64) -> Result<i32> {
    i32::try_from(id).map_err(|_| StoreError::Internal(format!("account id {id} is out of range")))
}

/// An account with its scope, from its row and its scope's (id, code) rows.
pub(super) fn account_with(row: AccountRow, scope: Vec<(i32, String)>) -> Result<Account> {
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
