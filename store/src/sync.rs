//! Per-source sync state: cursor, data coverage, last success and error.

use chrono::{DateTime, NaiveDate, Utc};
use domain::{
    catalog::{Source, ToolId},
    health::ImportSummary,
};

use crate::{Store, db::on_db, error::Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncState {
    pub source: Source,
    pub cursor: Option<String>,
    /// The first day the source has data for.
    pub data_start: Option<NaiveDate>,
    /// The last day known complete.
    pub complete_through: Option<NaiveDate>,
    pub last_success_at: Option<DateTime<Utc>>,
    /// The last error, in plain words.
    pub last_error: Option<String>,
    /// What the last successful sync left undone, in plain words.
    pub last_note: Option<String>,
}

#[derive(sqlx::FromRow)]
struct StateRow {
    name: String,
    cursor: Option<String>,
    data_start: Option<NaiveDate>,
    complete_through: Option<NaiveDate>,
    last_success_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    last_note: Option<String>,
}

impl Store {
    pub async fn sync_states(&self) -> Result<Vec<SyncState>> {
        let rows: Vec<StateRow> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT s.name, st.cursor, st.data_start, st.complete_through, st.last_success_at, st.last_error, st.last_note \
             FROM sync_state st JOIN source s ON s.id = st.source_id ORDER BY s.name"
        ).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(SyncState {
                    source: Source::parse(&r.name)?,
                    cursor: r.cursor,
                    data_start: r.data_start,
                    complete_through: r.complete_through,
                    last_success_at: r.last_success_at,
                    last_error: r.last_error,
                    last_note: r.last_note,
                })
            })
            .collect())
    }

    /// Records a successful sync covering `data_start..=complete_through`.
    /// The data start only ever moves earlier.
    pub async fn record_sync_success(
        &self,
        source: Source,
        data_start: NaiveDate,
        complete_through: NaiveDate,
    ) -> Result<()> {
        let id = self.source_id(source).await?;
        let now = Utc::now();
        on_db!(&self.db, pool => {
            sqlx::query(
            "UPDATE sync_state SET \
               data_start = CASE WHEN data_start IS NULL OR $1 < data_start THEN $1 ELSE data_start END, \
               complete_through = CASE WHEN complete_through IS NULL OR $2 > complete_through THEN $2 ELSE complete_through END, last_success_at = $3, last_error = NULL, last_note = NULL, updated_at = $3 \
             WHERE source_id = $4")
            .bind(data_start).bind(complete_through).bind(now).bind(id).execute(pool).await?;
        });
        Ok(())
    }
}

impl Store {
    /// Records Microsoft 365's coverage from the report days stored, by
    /// sync or by file ([`domain::graph::report_coverage`]): set, not only
    /// moved on, so one file for a later day never claims the days between.
    /// Nothing changes until every report has a day.
    pub async fn record_report_coverage(&self) -> Result<()> {
        let catalog = self.catalog().await?;
        let mut days = Vec::new();
        for report in domain::graph::Report::ALL {
            if let Some(tool) = catalog.tool_by_name(report.tool()) {
                days.push(self.report_days(tool.id).await?);
            }
        }
        let Some((first, through)) = domain::graph::report_coverage(&days) else {
            return Ok(());
        };
        let id = self.source_id(Source::M365).await?;
        on_db!(&self.db, pool => {
            sqlx::query(
            "UPDATE sync_state SET data_start = $1, complete_through = $2, updated_at = $3 WHERE source_id = $4")
            .bind(first).bind(through).bind(Utc::now()).bind(id).execute(pool).await?;
        });
        Ok(())
    }

    /// Records a sync that ran to its end, with what it left undone (report
    /// days not yet published, say) when anything.
    pub async fn record_sync_done(&self, source: Source, note: Option<&str>) -> Result<()> {
        let id = self.source_id(source).await?;
        let now = Utc::now();
        on_db!(&self.db, pool => {
            sqlx::query(
            "UPDATE sync_state SET last_success_at = $1, last_error = NULL, last_note = $2, updated_at = $1 \
             WHERE source_id = $3")
            .bind(now).bind(note).bind(id).execute(pool).await?;
        });
        Ok(())
    }
}

/// Days of a source's activity before its run of data: kept, but not
/// covered history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StrayDays {
    pub days: usize,
    pub earliest: NaiveDate,
    pub run_start: NaiveDate,
}

impl Store {
    /// Sets a source's `data_start` from its stored activity: the first day
    /// of the run of data that ends on its latest day
    /// ([`domain::activity::run_start`]), or `asked` (a backfill's first
    /// day) where that is earlier. Returns the days of activity before it.
    ///
    /// `written_from` is the first day just written. Only writes that
    /// reach back to the recorded start can move it, so the others (a
    /// stream's daily run, a push of recent days) skip the scan of the
    /// source's days.
    pub async fn settle_data_start(
        &self,
        source: Source,
        written_from: NaiveDate,
        asked: Option<NaiveDate>,
    ) -> Result<Option<StrayDays>> {
        let id = self.source_id(source).await?;
        let recorded: Option<NaiveDate> = on_db!(&self.db, pool => sqlx::query_scalar(
            "SELECT data_start FROM sync_state WHERE source_id = $1")
            .bind(id).fetch_optional(pool).await?)
        .flatten();
        if recorded.is_some_and(|d| d < written_from) {
            return Ok(None);
        }
        let days: Vec<NaiveDate> = on_db!(&self.db, pool => sqlx::query_scalar(
            "SELECT day FROM activity_daily WHERE source_id = $1 \
             UNION SELECT day FROM activity_unmatched WHERE source_id = $1 ORDER BY 1")
            .bind(id).fetch_all(pool).await?);
        let Some(run) = domain::activity::run_start(&days) else {
            return Ok(None);
        };
        let start = asked.map_or(run, |a| a.min(run));
        on_db!(&self.db, pool => {
            sqlx::query("UPDATE sync_state SET data_start = $1 WHERE source_id = $2")
                .bind(start).bind(id).execute(pool).await?;
        });
        let strays = days.iter().take_while(|d| **d < start).count();
        Ok((strays > 0).then(|| StrayDays {
            days: strays,
            earliest: days[0],
            run_start: start,
        }))
    }
}

impl Store {
    /// Keeps a connector's failure, in plain words, for the data health
    /// page; the coverage it had stays as it was.
    pub async fn record_sync_error(&self, source: Source, error: &str) -> Result<()> {
        let id = self.source_id(source).await?;
        on_db!(&self.db, pool => {
            sqlx::query("UPDATE sync_state SET last_error = $1, updated_at = $2 WHERE source_id = $3")
                .bind(error).bind(Utc::now()).bind(id).execute(pool).await?;
        });
        Ok(())
    }

    /// The report days pulled for a tool, oldest first.
    pub async fn report_days(&self, tool: ToolId) -> Result<Vec<NaiveDate>> {
        let days = on_db!(&self.db, pool => sqlx::query_scalar(
            "SELECT day FROM report_pull WHERE tool_id = $1 ORDER BY day")
            .bind(tool.0).fetch_all(pool).await?);
        Ok(days)
    }
}

/// A telemetry sign-in name that matched nobody, or an external user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmatchedIdentity {
    pub user: String,
    pub external: bool,
    pub first_seen: NaiveDate,
    pub last_seen: NaiveDate,
    pub events: i64,
}

impl Store {
    pub async fn unmatched_identities(&self) -> Result<Vec<UnmatchedIdentity>> {
        let rows: Vec<(String, String, NaiveDate, NaiveDate, i64)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT user_lower, kind, first_seen, last_seen, events FROM identity_unmatched ORDER BY events DESC, user_lower"
        ).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(
                |(user, kind, first_seen, last_seen, events)| UnmatchedIdentity {
                    user,
                    external: kind == "external",
                    first_seen,
                    last_seen,
                    events,
                },
            )
            .collect())
    }
}

impl Store {
    /// Records a file import and keeps its rejected rows with their lines.
    pub async fn record_import(
        &self,
        file: &str,
        kind: &str,
        accepted: u64,
        rejects: &[domain::formats::Reject],
    ) -> Result<i32> {
        let now = chrono::Utc::now();
        let id = on_db!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            let id: i32 = sqlx::query_scalar(
                "INSERT INTO import (file_name, kind, rows_accepted, rows_rejected, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
                .bind(file).bind(kind).bind(accepted as i64).bind(rejects.len() as i64).bind(now)
                .fetch_one(&mut *tx).await?;
            for (i, r) in rejects.iter().enumerate() {
                // Rows rejected before a line was known get a unique negative key.
                let line = if r.line > 0 { r.line as i64 } else { -(i as i64) - 1 };
                sqlx::query("INSERT INTO import_reject (import_id, line, reason, raw) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
                    .bind(id).bind(line).bind(&r.reason).bind(&r.raw).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            id
        });
        Ok(id)
    }
}

impl Store {
    /// Records a file refused whole, with the reason, so the data page can
    /// say why by the import's id.
    pub async fn record_refused_import(&self, file: &str, kind: &str, reason: &str) -> Result<i32> {
        let id = on_db!(&self.db, pool => sqlx::query_scalar(
            "INSERT INTO import (file_name, kind, created_at, refused) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(file).bind(kind).bind(chrono::Utc::now()).bind(reason)
            .fetch_one(pool).await?);
        Ok(id)
    }
}

type ImportRow = (i32, String, String, i64, i64, DateTime<Utc>, Option<String>);

const IMPORT_SELECT: &str =
    "SELECT id, file_name, kind, rows_accepted, rows_rejected, created_at, refused FROM import";

fn import_of((id, file, kind, accepted, rejected, at, refused): ImportRow) -> ImportSummary {
    ImportSummary {
        id,
        file,
        kind,
        accepted,
        rejected,
        at,
        refused,
    }
}

impl Store {
    /// The latest imports, newest first.
    pub async fn imports(&self, limit: i64) -> Result<Vec<ImportSummary>> {
        let rows: Vec<ImportRow> = on_db!(&self.db, pool => sqlx::query_as(&format!(
            "{IMPORT_SELECT} ORDER BY id DESC LIMIT $1"))
            .bind(limit).fetch_all(pool).await?);
        Ok(rows.into_iter().map(import_of).collect())
    }

    /// One import, if it exists.
    pub async fn import_info(&self, id: i32) -> Result<Option<ImportSummary>> {
        let row: Option<ImportRow> = on_db!(&self.db, pool => sqlx::query_as(&format!(
            "{IMPORT_SELECT} WHERE id = $1"))
            .bind(id).fetch_optional(pool).await?);
        Ok(row.map(import_of))
    }

    /// An import's rejected rows, in line order.
    pub async fn import_rejects(
        &self,
        import: i32,
        limit: i64,
    ) -> Result<Vec<domain::formats::Reject>> {
        let rows: Vec<(i64, String, String)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT line, reason, raw FROM import_reject WHERE import_id = $1 ORDER BY line LIMIT $2")
            .bind(import).bind(limit).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(line, reason, raw)| domain::formats::Reject {
                line: u64::try_from(line).unwrap_or(0),
                reason,
                raw,
            })
            .collect())
    }
}

impl Store {
    /// Each source's coverage and last sync, and how many days its last
    /// complete day is behind yesterday.
    pub async fn source_health(
        &self,
        today: NaiveDate,
    ) -> Result<Vec<domain::health::SourceHealth>> {
        let yesterday = today - chrono::Days::new(1);
        Ok(self
            .sync_states()
            .await?
            .into_iter()
            .map(|s| domain::health::SourceHealth {
                source: s.source,
                data_start: s.data_start,
                complete_through: s.complete_through,
                last_success: s.last_success_at,
                last_error: s.last_error,
                last_note: s.last_note,
                days_behind: s.complete_through.map(|c| (yesterday - c).num_days()),
            })
            .collect())
    }

    /// The data page: each source's coverage and last sync, the latest
    /// imports, and the unmatched names with the most events.
    pub async fn data_health(
        &self,
        today: NaiveDate,
        imports: i64,
        names: usize,
    ) -> Result<domain::health::DataHealth> {
        use domain::health::{DataHealth, NameSeen};
        let sources = self.source_health(today).await?;
        let imports = self.imports(imports).await?;
        let all = self.unmatched_identities().await?;
        let external_total = all.iter().filter(|n| n.external).count();
        let unmatched_total = all.len() - external_total;
        let unmatched = all
            .into_iter()
            .filter(|n| !n.external)
            .take(names)
            .map(|n| NameSeen {
                user: n.user,
                first_seen: n.first_seen,
                last_seen: n.last_seen,
                events: n.events,
            })
            .collect();
        Ok(DataHealth {
            sources,
            imports,
            unmatched,
            unmatched_total,
            external_total,
            names_withheld: false,
            licences: self.licence_health().await?,
        })
    }
}
