//! Persistence for Uptake over SQLite (the embedded default) and PostgreSQL.
//!
//! This is the only crate that writes SQL. The same statements run on both
//! backends wherever the dialects agree; bulk writes use each backend's fast
//! path.

mod access;
mod activity;
mod baseline;
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
mod rollup;
mod sync;
mod token;
mod views;
mod wave;

pub use access::{AuditEntry, Credentials, NewAccount};
pub use activity::{DayEvent, EventSummary, IngestSummary};
pub use catalog::StandardCatalog;
pub use db::{Backend, Store};
pub use error::StoreError;
pub use licence::LicenceOutcome;
pub use lock::{JobHolder, JobLock};
pub use meta::read_only_request;
pub use org::UnitInfo;
pub use rollup::RollupStats;
pub use sync::{StrayDays, SyncState, UnmatchedIdentity};
pub use token::{TokenGrant, TokenInfo};
pub use wave::NewWave;

#[cfg(feature = "testing")]
pub mod testing;
