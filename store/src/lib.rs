//! Persistence for Uptake over SQLite (the embedded default) and PostgreSQL.
//!
//! This is the only crate that writes SQL. The same statements run on both
//! backends wherever the dialects agree; bulk writes use each backend's fast
//! path.

/// Within a transaction: appends `$entry` to the audit log, so a change
/// and the row that records it commit together or not at all.
macro_rules! audit_in {
    ($tx:expr, $entry:expr) => {{
        let entry: &$crate::AuditEntry<'_> = $entry;
        let account = entry.account.map($crate::access::account_id).transpose()?;
        sqlx::query(
            "INSERT INTO audit_log (at, account_id, actor, action, detail, scope, address) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(chrono::Utc::now())
        .bind(account)
        .bind(entry.actor)
        .bind(entry.action.key())
        .bind(entry.detail)
        .bind(entry.scope)
        .bind(entry.address)
        .execute(&mut *$tx)
        .await?;
    }};
}

mod access;
mod activity;
#[cfg(feature = "bench")]
mod baseline;
mod board_pack;
mod catalog;
mod db;
mod error;
mod grant;
mod hash;
mod licence;
mod lock;
mod meta;
mod org;
mod progress;
mod publication;
mod rollup;
mod sight;
mod sync;
mod token;
mod unit_tree;
mod views;
mod wave;

pub use access::{AuditEntry, Credentials, NewAccount};
pub use activity::{DayEvent, EventSummary, IngestSummary};
pub use board_pack::{NewPack, PackInfo};
pub use catalog::StandardCatalog;
pub use db::Backend;
pub use error::StoreError;
pub use licence::LicenceOutcome;
pub use lock::{JobHolder, JobLock};
pub use meta::read_only_request;
pub use org::UnitInfo;
pub use publication::PublishedDay;
pub use rollup::RollupStats;
pub use sight::Sight;
pub use sync::{StrayDays, SyncState, UnmatchedIdentity};
pub use token::{TokenGrant, TokenInfo};
pub use wave::NewWave;

#[cfg(feature = "testing")]
pub mod testing;

use std::sync::Arc;

use db::{Db, on_db};
use error::Result;

/// Uptake's database: the pool, the cached reference data, and every
/// query the app runs (each module adds its own).
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) db: Db,
    pub(crate) meta: Arc<meta::MetaCache>,
    pub(crate) publication: Arc<publication::PublicationCache>,
}

impl Store {
    /// Connects to `sqlite://path` or `postgres://…` and applies migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        Ok(Self {
            db: Db::open(url).await?,
            meta: Default::default(),
            publication: Default::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// A cheap round trip, for health checks.
    pub async fn ping(&self) -> Result<()> {
        on_db!(&self.db, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn close(&self) {
        on_db!(&self.db, pool => pool.close().await);
    }
}
