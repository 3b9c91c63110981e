//! Licence status and last-seen dates (`domain::licence`): the latest
//! active-user report's licences, and the last day each tool saw each
//! person. Neither is activity, and neither touches the rollups.

use chrono::{DateTime, Days, NaiveDate, Utc};
use domain::{
    catalog::ToolId,
    graph::Report,
    health::{LicenceHealth, ToolLicences},
    licence::{LastSeen, LicenceBatch, StaffLicence, report_tools},
};
use sqlx::QueryBuilder;

use crate::{Store, db::on_db, error::Result};

const SQLITE_ROWS_PER_STATEMENT: usize = 8_000;

/// The day of the latest active-user report stored: the licences' day.
const LATEST_DAY: &str = "SELECT MAX(day) FROM licence_report";

/// What storing an active-user report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LicenceOutcome {
    /// Its licences replaced the stored ones.
    Stored,
    /// A newer report is stored already: its licences stay, and only the
    /// last-seen dates (which only move forward) were taken.
    Older { latest: NaiveDate },
}

impl Store {
    /// The day of the latest active-user report stored.
    pub async fn licence_day(&self) -> Result<Option<NaiveDate>> {
        let day = on_db!(&self.db, pool => sqlx::query_scalar(LATEST_DAY)
            .fetch_one(pool).await?);
        Ok(day)
    }

    /// Stores one day's active-user report in one transaction: its licences
    /// replace the stored ones unless a newer report is stored, and its
    /// last-seen dates move the stored ones forward.
    pub async fn store_licences(
        &self,
        day: NaiveDate,
        batch: &LicenceBatch,
    ) -> Result<LicenceOutcome> {
        let outcome = on_db!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            let latest: Option<NaiveDate> = sqlx::query_scalar(LATEST_DAY)
                .fetch_one(&mut *tx).await?;
            tx.write_seen(&batch.seen).await?;
            let outcome = match latest {
                Some(latest) if latest > day => LicenceOutcome::Older { latest },
                _ => {
                    sqlx::query("DELETE FROM tool_licence").execute(&mut *tx).await?;
                    tx.write_licences(&batch.licences).await?;
                    sqlx::query(
                        "INSERT INTO licence_report (day, rows, unmatched, stored_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (day) DO UPDATE SET rows = excluded.rows, unmatched = excluded.unmatched, \
                         stored_at = excluded.stored_at")
                        .bind(day)
                        .bind(batch.rows as i64)
                        .bind(batch.unmatched as i64)
                        .bind(Utc::now())
                        .execute(&mut *tx).await?;
                    LicenceOutcome::Stored
                }
            };
            tx.commit().await?;
            outcome
        });
        Ok(outcome)
    }

    /// The latest licence report with, per Microsoft 365 tool, the licences
    /// of staff in post on its day and the cross-checks against counted
    /// use; None before any report is stored.
    pub async fn licence_health(&self) -> Result<Option<LicenceHealth>> {
        let report: Option<(NaiveDate, i64, i64, DateTime<Utc>)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT day, CAST(rows AS BIGINT), CAST(unmatched AS BIGINT), stored_at FROM licence_report ORDER BY day DESC LIMIT 1")
            .fetch_optional(pool).await?);
        let Some((day, rows, unmatched, stored_at)) = report else {
            return Ok(None);
        };
        let meta = self.meta().await?;
        if let Some(health) = meta.cached_licences((day, stored_at)) {
            return Ok(health);
        }
        let health = self
            .licence_checks(day, rows, unmatched, stored_at, &meta.catalog)
            .await?;
        meta.cache_licences((day, stored_at), &health);
        Ok(health)
    }

    /// The cross-checks of one report against the roster and counted use.
    async fn licence_checks(
        &self,
        day: NaiveDate,
        rows: i64,
        unmatched: i64,
        stored_at: DateTime<Utc>,
        catalog: &domain::catalog::Catalog,
    ) -> Result<Option<LicenceHealth>> {
        let Ok(tools) = report_tools(catalog) else {
            return Ok(None);
        };
        let window = day - Days::new(27);
        let counts: Vec<(i32, i64, i64, i64, i64, i64)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT t.id, \
                    SUM(CASE WHEN l.staff_id IS NOT NULL THEN 1 ELSE 0 END), \
                    SUM(CASE WHEN l.staff_id IS NULL THEN 1 ELSE 0 END), \
                    SUM(CASE WHEN l.staff_id IS NULL AND p.last_active >= $2 THEN 1 ELSE 0 END), \
                    SUM(CASE WHEN l.staff_id IS NOT NULL AND (p.first_use IS NULL OR p.first_use > $1) THEN 1 ELSE 0 END), \
                    SUM(CASE WHEN v.last_seen >= $2 AND (p.last_active IS NULL OR p.last_active < $2) THEN 1 ELSE 0 END) \
             FROM staff s CROSS JOIN tool t \
             LEFT JOIN tool_licence l ON l.staff_id = s.id AND l.tool_id = t.id \
             LEFT JOIN person_tool_state p ON p.staff_id = s.id AND p.tool_id = t.id \
             LEFT JOIN person_tool_seen v ON v.staff_id = s.id AND v.tool_id = t.id \
             WHERE t.id IN ($3, $4, $5, $6) AND s.start_date <= $1 AND (s.leave_date IS NULL OR s.leave_date >= $1) \
             GROUP BY t.id")
            .bind(day).bind(window)
            .bind(tools[0].0).bind(tools[1].0).bind(tools[2].0).bind(tools[3].0)
            .fetch_all(pool).await?);
        let tools = Report::ALL
            .into_iter()
            .zip(tools)
            .map(|(report, ToolId(id))| {
                let c = counts
                    .iter()
                    .find(|c| c.0 == id)
                    .copied()
                    .unwrap_or((id, 0, 0, 0, 0, 0));
                ToolLicences {
                    tool: report.tool().to_owned(),
                    licensed: c.1,
                    unlicensed: c.2,
                    used_unlicensed: c.3,
                    licensed_never_used: c.4,
                    seen_not_counted: c.5,
                }
            })
            .collect();
        Ok(Some(LicenceHealth {
            day,
            stored_at,
            rows,
            unmatched,
            tools,
        }))
    }
}

/// Licence and last-seen writes within a transaction on either backend.
pub(crate) trait LicenceWrites {
    /// Moves each person's last-seen day for a tool forward, never back.
    async fn write_seen(&mut self, seen: &[LastSeen]) -> Result<()>;
    async fn write_licences(&mut self, licences: &[StaffLicence]) -> Result<()>;
}

/// Only a later day is written: an unchanged one costs no row update.
const SEEN_CONFLICT: &str = " ON CONFLICT (staff_id, tool_id) DO UPDATE SET last_seen = excluded.last_seen \
    WHERE excluded.last_seen > person_tool_seen.last_seen";

impl LicenceWrites for sqlx::Transaction<'_, sqlx::Sqlite> {
    async fn write_seen(&mut self, seen: &[LastSeen]) -> Result<()> {
        for chunk in seen.chunks(SQLITE_ROWS_PER_STATEMENT) {
            let mut q =
                QueryBuilder::new("INSERT INTO person_tool_seen (staff_id, tool_id, last_seen) ");
            q.push_values(chunk, |mut b, s| {
                b.push_bind(s.staff.0).push_bind(s.tool.0).push_bind(s.day);
            });
            q.push(SEEN_CONFLICT);
            q.build().execute(&mut **self).await?;
        }
        Ok(())
    }

    async fn write_licences(&mut self, licences: &[StaffLicence]) -> Result<()> {
        for chunk in licences.chunks(SQLITE_ROWS_PER_STATEMENT) {
            let mut q =
                QueryBuilder::new("INSERT INTO tool_licence (staff_id, tool_id, assigned_on) ");
            q.push_values(chunk, |mut b, l| {
                b.push_bind(l.staff.0)
                    .push_bind(l.tool.0)
                    .push_bind(l.assigned);
            });
            q.build().execute(&mut **self).await?;
        }
        Ok(())
    }
}

impl LicenceWrites for sqlx::Transaction<'_, sqlx::Postgres> {
    async fn write_seen(&mut self, seen: &[LastSeen]) -> Result<()> {
        if seen.is_empty() {
            return Ok(());
        }
        sqlx::query(&format!(
            "INSERT INTO person_tool_seen (staff_id, tool_id, last_seen) \
             SELECT * FROM UNNEST($1::int4[], $2::int4[], $3::date[]) {SEEN_CONFLICT}"
        ))
        .bind(seen.iter().map(|s| s.staff.0).collect::<Vec<_>>())
        .bind(seen.iter().map(|s| s.tool.0).collect::<Vec<_>>())
        .bind(seen.iter().map(|s| s.day).collect::<Vec<_>>())
        .execute(&mut **self)
        .await?;
        Ok(())
    }

    async fn write_licences(&mut self, licences: &[StaffLicence]) -> Result<()> {
        if licences.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO tool_licence (staff_id, tool_id, assigned_on) \
             SELECT * FROM UNNEST($1::int4[], $2::int4[], $3::date[])",
        )
        .bind(licences.iter().map(|l| l.staff.0).collect::<Vec<_>>())
        .bind(licences.iter().map(|l| l.tool.0).collect::<Vec<_>>())
        .bind(licences.iter().map(|l| l.assigned).collect::<Vec<_>>())
        .execute(&mut **self)
        .await?;
        Ok(())
    }
}
