//! Published board packs: each stored once, read-only, with its figures
//! (as JSON, for the next pack's "change since") and its PDF.

use chrono::{DateTime, NaiveDate, Utc};

use crate::{AuditEntry, Store, db::on_db, error::Result};

/// A pack to publish.
#[derive(Debug, Clone)]
pub struct NewPack<'a> {
    pub title: &'a str,
    /// The unit code it covers (the root's for the force).
    pub scope: &'a str,
    pub as_of: NaiveDate,
    pub created_by: Option<i64>,
    pub made_by: &'a str,
    pub made_at: DateTime<Utc>,
    /// Whether it holds the unit's own cells that only person-list
    /// holders see.
    pub own_cells: bool,
    pub figures: &'a str,
    /// A digest of the figures, so the same pack asked for again is found.
    pub digest: &'a str,
    pub pdf: &'a [u8],
}

/// A stored pack as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PackInfo {
    pub id: i32,
    pub title: String,
    pub scope: String,
    pub as_of: NaiveDate,
    pub made_by: String,
    pub created_at: DateTime<Utc>,
    pub own_cells: bool,
}

const INFO: &str = "SELECT id, title, scope, as_of, made_by, created_at, own_cells FROM board_pack";

impl Store {
    /// Stores a pack, audited in the same transaction; returns its id.
    pub async fn publish_pack(&self, pack: &NewPack<'_>, audit: &AuditEntry<'_>) -> Result<i32> {
        let account = pack.created_by.map(crate::access::account_id).transpose()?;
        let id = on_db!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            let id: i32 = sqlx::query_scalar(
                "INSERT INTO board_pack (title, scope, as_of, created_by, created_at, figures, pdf, \
                 made_by, own_cells, digest) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id")
                .bind(pack.title).bind(pack.scope).bind(pack.as_of).bind(account)
                .bind(pack.made_at).bind(pack.figures).bind(pack.pdf).bind(pack.made_by)
                .bind(pack.own_cells).bind(pack.digest)
                .fetch_one(&mut *tx).await?;
            audit_in!(tx, audit);
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// A stored pack of the same scope, day, kind and figures, if any: the
    /// same pack asked for again.
    pub async fn same_pack(
        &self,
        scope: &str,
        as_of: NaiveDate,
        own_cells: bool,
        digest: &str,
    ) -> Result<Option<i32>> {
        Ok(on_db!(&self.db, pool => sqlx::query_scalar(
            "SELECT id FROM board_pack WHERE scope = $1 AND as_of = $2 AND own_cells = $3 \
             AND digest = $4 ORDER BY id LIMIT 1")
            .bind(scope).bind(as_of).bind(own_cells).bind(digest)
            .fetch_optional(pool).await?))
    }

    /// The figures of the latest pack of a scope (and kind) before a day:
    /// what the next pack's "change since" compares with.
    pub async fn previous_pack(
        &self,
        scope: &str,
        before: NaiveDate,
        own_cells: bool,
    ) -> Result<Option<String>> {
        Ok(on_db!(&self.db, pool => sqlx::query_scalar(
            "SELECT figures FROM board_pack WHERE scope = $1 AND as_of < $2 AND own_cells = $3 \
             ORDER BY as_of DESC, id DESC LIMIT 1")
            .bind(scope).bind(before).bind(own_cells)
            .fetch_optional(pool).await?))
    }

    /// Whether `made_by` published a pack of a scope since a moment (the
    /// scheduler's monthly pack, made once).
    pub async fn pack_made_since(
        &self,
        scope: &str,
        made_by: &str,
        since: DateTime<Utc>,
    ) -> Result<bool> {
        let found: Option<i32> = on_db!(&self.db, pool => sqlx::query_scalar(
            "SELECT id FROM board_pack WHERE scope = $1 AND made_by = $2 AND created_at >= $3 LIMIT 1")
            .bind(scope).bind(made_by).bind(since)
            .fetch_optional(pool).await?);
        Ok(found.is_some())
    }

    /// Every stored pack, newest first.
    pub async fn packs(&self) -> Result<Vec<PackInfo>> {
        let sql = format!("{INFO} ORDER BY as_of DESC, id DESC");
        Ok(on_db!(&self.db, pool => sqlx::query_as(&sql).fetch_all(pool).await?))
    }

    /// One stored pack and its PDF.
    pub async fn pack(&self, id: i32) -> Result<Option<(PackInfo, Vec<u8>)>> {
        let sql = format!("{INFO} WHERE id = $1");
        let info: Option<PackInfo> =
            on_db!(&self.db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?);
        let Some(info) = info else {
            return Ok(None);
        };
        let pdf: Option<Vec<u8>> = on_db!(&self.db, pool => sqlx::query_scalar(
            "SELECT pdf FROM board_pack WHERE id = $1").bind(id).fetch_one(pool).await?);
        Ok(Some((info, pdf.unwrap_or_default())))
    }
}
