//! Exclusive jobs across processes: only one app server (or CLI run) does a
//! given sync at a time.
//!
//! On PostgreSQL the job holds a transaction-level advisory lock for as
//! long as it runs; if the process dies, its connection closes and the lock
//! goes with it. On SQLite the `job_lease` row is a lease: taken only when
//! free or expired, renewed while the job runs, and deleted at the end, so a
//! killed process blocks the job for one lease at most.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::task::JoinHandle;

use crate::{
    Store,
    db::{Db, on_db},
    error::Result,
};

/// A SQLite lease lasts this long unless renewed.
const LEASE: Duration = Duration::from_secs(120);

/// Who holds a job now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobHolder {
    pub holder: String,
    pub started_at: DateTime<Utc>,
}

/// A held job; release it with [`JobLock::release`]. Dropped unreleased
/// (a panic), it frees itself: the PostgreSQL transaction rolls back, and
/// the SQLite lease stops being renewed and expires.
pub struct JobLock {
    store: Store,
    name: String,
    pg: Option<sqlx::Transaction<'static, sqlx::Postgres>>,
    renew: Option<JoinHandle<()>>,
}

impl Store {
    /// Takes the job `name` for `holder` if nobody holds it; otherwise says
    /// who does.
    pub async fn try_lock_job(
        &self,
        name: &str,
        holder: &str,
    ) -> Result<std::result::Result<JobLock, JobHolder>> {
        let now = Utc::now();
        match &self.db {
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let got: bool =
                    sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtext($1))")
                        .bind(format!("uptake.job.{name}"))
                        .fetch_one(&mut *tx)
                        .await?;
                if !got {
                    tx.rollback().await?;
                    return Ok(Err(self.job_holder(name).await?.unwrap_or(JobHolder {
                        holder: "another server".to_owned(),
                        started_at: now,
                    })));
                }
                // Who holds it, for the data health page; written outside
                // the lock's transaction so others can read it.
                sqlx::query(
                    "INSERT INTO job_lease (name, holder, started_at, expires_at) VALUES ($1, $2, $3, $3) \
                     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, started_at = excluded.started_at, expires_at = excluded.expires_at",
                )
                .bind(name)
                .bind(holder)
                .bind(now)
                .execute(pool)
                .await?;
                Ok(Ok(JobLock {
                    store: self.clone(),
                    name: name.to_owned(),
                    pg: Some(tx),
                    renew: None,
                }))
            }
            Db::Sqlite(pool) => {
                let expires = now + LEASE;
                let taken = sqlx::query(
                    "INSERT INTO job_lease (name, holder, started_at, expires_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, started_at = excluded.started_at, expires_at = excluded.expires_at \
                     WHERE job_lease.expires_at < $3",
                )
                .bind(name)
                .bind(holder)
                .bind(now)
                .bind(expires)
                .execute(pool)
                .await?
                .rows_affected();
                if taken == 0 {
                    return Ok(Err(self.job_holder(name).await?.unwrap_or(JobHolder {
                        holder: "another process".to_owned(),
                        started_at: now,
                    })));
                }
                let (pool, job, me) = (pool.clone(), name.to_owned(), holder.to_owned());
                let renew = tokio::spawn(async move {
                    loop {
                        tokio::time::sleep(LEASE / 4).await;
                        let renewed = sqlx::query(
                            "UPDATE job_lease SET expires_at = $1 WHERE name = $2 AND holder = $3",
                        )
                        .bind(Utc::now() + LEASE)
                        .bind(&job)
                        .bind(&me)
                        .execute(&pool)
                        .await;
                        if let Err(e) = renewed {
                            tracing::warn!(error = %e, job, "renewing the job lease failed");
                        }
                    }
                });
                Ok(Ok(JobLock {
                    store: self.clone(),
                    name: name.to_owned(),
                    pg: None,
                    renew: Some(renew),
                }))
            }
        }
    }

    /// Frees a job whose holder is known to be gone (a killed process on
    /// this host). Only that holder's lease is removed.
    pub async fn break_job_lease(&self, name: &str, holder: &str) -> Result<()> {
        on_db!(&self.db, pool => {
            sqlx::query("DELETE FROM job_lease WHERE name = $1 AND holder = $2")
                .bind(name).bind(holder).execute(pool).await?;
        });
        Ok(())
    }

    /// Who holds the job now, if anyone.
    pub async fn job_holder(&self, name: &str) -> Result<Option<JobHolder>> {
        let row: Option<(String, DateTime<Utc>, DateTime<Utc>)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT holder, started_at, expires_at FROM job_lease WHERE name = $1")
            .bind(name).fetch_optional(pool).await?);
        Ok(row.and_then(|(holder, started_at, expires_at)| {
            // A PostgreSQL row is informational; it is cleared on release.
            let live = matches!(self.db, Db::Postgres(_)) || expires_at > Utc::now();
            live.then_some(JobHolder { holder, started_at })
        }))
    }
}

impl JobLock {
    /// Frees the job for the next run.
    pub async fn release(mut self) -> Result<()> {
        if let Some(renew) = self.renew.take() {
            renew.abort();
        }
        on_db!(&self.store.db, pool => {
            sqlx::query("DELETE FROM job_lease WHERE name = $1")
                .bind(&self.name)
                .execute(pool)
                .await?;
        });
        if let Some(tx) = self.pg.take() {
            tx.rollback().await?;
        }
        Ok(())
    }
}

impl Drop for JobLock {
    fn drop(&mut self) {
        if let Some(renew) = self.renew.take() {
            renew.abort();
        }
    }
}
