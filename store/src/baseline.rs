//! The benchmark's baselines: the same figures the rollups serve, computed
//! straight from `activity_daily` by one SQL query each, as a reporting
//! tool over the raw table would. Nothing in the app reads these.

use chrono::{Datelike, Days, NaiveDate};
use domain::{
    activity::{ActivityRow, ResolvedBatch},
    catalog::{Source, ToolId},
    metrics::WINDOW_LONG,
    org::UnitId,
    people::StaffId,
};

use crate::{
    Store,
    db::{Db, on_db},
    error::Result,
};

/// The first day of the 28-day window ending at `day`.
fn window_start(day: NaiveDate) -> NaiveDate {
    day - Days::new((WINDOW_LONG - 1) as u64)
}

/// In post on the day, in the unit they were in that day, under one of
/// the children of `$1`; `$2` is the day.
const MEMBERS_UNDER_CHILDREN: &str = "\
    FROM unit_version v \
    JOIN unit_closure c ON c.ancestor_id = v.unit_id \
    JOIN staff_unit m ON m.unit_id = c.descendant_id AND m.valid_from <= $2 AND (m.valid_to IS NULL OR m.valid_to > $2) \
    JOIN staff s ON s.id = m.staff_id AND s.start_date <= $2 AND (s.leave_date IS NULL OR s.leave_date >= $2) \
    JOIN activity_daily a ON a.staff_id = s.id AND a.tool_id = $3 AND a.day >= $4 AND a.day <= $2 \
    WHERE v.parent_id = $1 AND v.valid_to IS NULL";

impl Store {
    /// People active in one tool in the 28 days ending at `day`, over all
    /// staff: DESIGN's "force overview" anchor query.
    pub async fn raw_active28(&self, tool: ToolId, day: NaiveDate) -> Result<i64> {
        Ok(on_db!(&self.db, pool => sqlx::query_scalar(
            "SELECT COUNT(DISTINCT staff_id) FROM activity_daily WHERE tool_id = $1 AND day >= $2 AND day <= $3")
            .bind(tool.0).bind(window_start(day)).bind(day).fetch_one(pool).await?))
    }

    /// Active-28 in one tool per unit directly under `unit`, counting the
    /// people in post in each subtree on `day`: a drill-down.
    pub async fn raw_drill_down(
        &self,
        unit: UnitId,
        tool: ToolId,
        day: NaiveDate,
    ) -> Result<Vec<(i32, i64)>> {
        let sql = format!(
            "SELECT v.unit_id, COUNT(DISTINCT s.id) {MEMBERS_UNDER_CHILDREN} GROUP BY v.unit_id"
        );
        Ok(on_db!(&self.db, pool => sqlx::query_as(&sql)
            .bind(unit.0).bind(day).bind(tool.0).bind(window_start(day))
            .fetch_all(pool).await?))
    }

    /// Active-28 in one tool per unit directly under `unit` and age band
    /// (by the age reached in the day's year): the unit × band table.
    pub async fn raw_unit_bands(
        &self,
        unit: UnitId,
        tool: ToolId,
        day: NaiveDate,
    ) -> Result<Vec<(i32, i32, i64)>> {
        let sql = format!(
            "SELECT v.unit_id, CASE WHEN $5 - s.birth_year < 25 THEN 0 WHEN $5 - s.birth_year < 35 THEN 1 \
             WHEN $5 - s.birth_year < 45 THEN 2 WHEN $5 - s.birth_year < 55 THEN 3 ELSE 4 END AS band, \
             COUNT(DISTINCT s.id) {MEMBERS_UNDER_CHILDREN} GROUP BY v.unit_id, band"
        );
        Ok(on_db!(&self.db, pool => sqlx::query_as(&sql)
            .bind(unit.0).bind(day).bind(tool.0).bind(window_start(day)).bind(day.year())
            .fetch_all(pool).await?))
    }

    /// Active-28 in one tool over all staff for every day of `from..=to`:
    /// a rolling series. Each active day keeps its person active until the
    /// next one or 28 days, whichever is first; a running sum of those
    /// starts and ends gives the count per day (days with no change are
    /// left out).
    pub async fn raw_series(
        &self,
        tool: ToolId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(String, i64)>> {
        let end = match &self.db {
            Db::Sqlite(_) => "min(coalesce(next_day, '9999-12-31'), date(day, '+28 day'))",
            Db::Postgres(_) => "LEAST(COALESCE(next_day, DATE '9999-12-31'), day + 28)",
        };
        let sql = format!(
            "WITH active AS (SELECT DISTINCT staff_id, day FROM activity_daily                              WHERE tool_id = $1 AND day >= $2 AND day <= $3),              spans AS (SELECT day, LEAD(day) OVER (PARTITION BY staff_id ORDER BY day) AS next_day FROM active),              changes AS (SELECT day AS d, 1 AS change FROM spans                          UNION ALL SELECT {end} AS d, -1 AS change FROM spans),              per_day AS (SELECT d, SUM(change) AS change FROM changes GROUP BY d)              SELECT CAST(d AS TEXT), total FROM (SELECT d, CAST(SUM(change) OVER (ORDER BY d) AS BIGINT) AS total FROM per_day) t              WHERE d >= $4 AND d <= $3 ORDER BY d"
        );
        Ok(on_db!(&self.db, pool => sqlx::query_as(&sql)
            .bind(tool.0).bind(window_start(from)).bind(to).bind(from)
            .fetch_all(pool).await?))
    }

    /// One day's stored activity, per source, as batches that ingest again
    /// to the same counts: what a daily re-pull delivers.
    pub async fn activity_of_day(&self, day: NaiveDate) -> Result<Vec<(Source, ResolvedBatch)>> {
        let rows: Vec<(String, i32, i32, i64)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT src.name, a.tool_id, a.staff_id, CAST(a.actions AS BIGINT) FROM activity_daily a \
             JOIN source src ON src.id = a.source_id WHERE a.day = $1 ORDER BY src.name")
            .bind(day).fetch_all(pool).await?);
        let mut out: Vec<(Source, ResolvedBatch)> = Vec::new();
        for (source, tool, staff, actions) in rows {
            let Some(source) = Source::parse(&source) else {
                continue;
            };
            if out.last().is_none_or(|(s, _)| *s != source) {
                out.push((source, ResolvedBatch::default()));
            }
            if let Some((_, batch)) = out.last_mut() {
                batch.rows.push(ActivityRow {
                    tool: ToolId(tool),
                    staff: StaffId(staff),
                    day,
                    actions,
                });
            }
        }
        Ok(out)
    }
}
