//! The one write path for activity, shared by every ingest route and the
//! demo generator. The statements for each backend are in `write`.

mod write;

use chrono::NaiveDate;
use std::collections::HashSet;

use domain::{
    activity::{
        ActivityRecord, Identity, IdentityResolver, ResolvedBatch, Tally, WriteMode, resolve_batch,
    },
    catalog::{Source, ToolId},
    licence::LastSeen,
};

use crate::{Store, db::on_db, error::Result, licence::LicenceWrites};

use write::{ClaimKeys, STATE_CONFLICT, Write, WriteIn};

/// What an ingest wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestSummary {
    /// Rows and names in the batch (a person-day in two batches counts in
    /// each: see [`Tally`] for distinct counts).
    pub rows: u64,
    pub unmatched: u64,
    pub external: u64,
    pub concealed: u64,
    /// The first and last day written, for the rollup refresh.
    pub days: Option<(NaiveDate, NaiveDate)>,
}

impl Store {
    /// Matches telemetry names to the roster, with the configured domain
    /// aliases, external domains and service accounts.
    pub async fn identity_resolver(&self) -> Result<IdentityResolver> {
        let mut resolver = IdentityResolver::new(self.sign_in_names().await?);
        for domain in self.setting_list("identity.external_domains").await? {
            resolver = resolver.with_external_domain(&domain);
        }
        for account in self.setting_list("identity.service_accounts").await? {
            resolver = resolver.with_service_account(&account);
        }
        let aliases = self
            .setting("identity.domain_aliases")
            .await?
            .unwrap_or_default();
        for (from, to) in domain::activity::domain_aliases(&aliases)
            .map_err(|e| crate::StoreError::Internal(format!("identity.domain_aliases: {e}")))?
        {
            resolver = resolver.with_domain_alias(&from, &to);
        }
        Ok(resolver)
    }

    /// Writes a resolved batch in one transaction: activity (replacing or
    /// adding per `mode`), first and last use per person and tool, and the
    /// unmatched and external names.
    pub async fn ingest(
        &self,
        source: Source,
        mode: WriteMode,
        batch: &ResolvedBatch,
    ) -> Result<IngestSummary> {
        let source_id = self.source_id(source).await?;
        let write = Write::new(source_id, mode, batch);
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            write.run(&mut tx).await?;
            tx.commit().await?;
        });
        Ok(write.summary())
    }

    /// Replaces one report day of one tool: whatever the source held for
    /// that tool and day goes, and the batch takes its place, in one
    /// transaction that also moves the report's last-seen dates forward and
    /// records the day as pulled (with the report's row count). A Graph re-pull uses this, so a re-published day is never
    /// counted twice and a row that vanished from it goes too.
    pub async fn replace_day(
        &self,
        source: Source,
        tool: ToolId,
        day: NaiveDate,
        batch: &ResolvedBatch,
        seen: &[LastSeen],
        report_rows: i64,
    ) -> Result<IngestSummary> {
        let source_id = self.source_id(source).await?;
        let write = Write::new(source_id, WriteMode::Replace, batch);
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            for table in ["activity_daily", "activity_unmatched"] {
                sqlx::query(&format!(
                    "DELETE FROM {table} WHERE day = $1 AND tool_id = $2 AND source_id = $3"
                ))
                .bind(day)
                .bind(tool.0)
                .bind(source_id)
                .execute(&mut *tx)
                .await?;
            }
            write.run(&mut tx).await?;
            tx.write_seen(seen).await?;
            sqlx::query(
                "INSERT INTO report_pull (tool_id, day, rows, pulled_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (tool_id, day) DO UPDATE SET rows = excluded.rows, pulled_at = excluded.pulled_at",
            )
            .bind(tool.0)
            .bind(day)
            .bind(report_rows)
            .bind(chrono::Utc::now())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        let mut summary = write.summary();
        summary.days = Some((day, day));
        Ok(summary)
    }

    /// Adds Box events, each counted once: in one transaction, the events'
    /// keys go into the event-id table shared with file imports, only the
    /// events not seen before are counted, and the stream cursor (when
    /// given) is saved, so a crash between pages loses nothing and counts
    /// nothing twice.
    pub async fn ingest_events(
        &self,
        tool: ToolId,
        events: &[DayEvent],
        resolver: &IdentityResolver,
        cursor: Option<&str>,
    ) -> Result<EventSummary> {
        let source_id = self.source_id(Source::Box).await?;
        let today = chrono::Utc::now().date_naive();
        let mut seen = HashSet::with_capacity(events.len());
        let unique: Vec<&DayEvent> = events.iter().filter(|e| seen.insert(&e.key)).collect();
        let summary = on_db!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            let fresh = tx.claim(&unique, today).await?;
            let records: Vec<ActivityRecord> = unique
                .iter()
                .filter(|e| fresh.contains(e.key.as_str()))
                .map(|e| ActivityRecord { tool, user: &e.user, day: e.day, actions: 1 })
                .collect();
            let batch = resolve_batch(resolver, &records, WriteMode::Add);
            let write = Write::new(source_id, WriteMode::Add, &batch);
            write.run(&mut tx).await?;
            if let Some(cursor) = cursor {
                sqlx::query("UPDATE sync_state SET cursor = $1, updated_at = $2 WHERE source_id = $3")
                    .bind(cursor)
                    .bind(chrono::Utc::now())
                    .bind(source_id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            EventSummary {
                events: events.len() as u64,
                repeats: (events.len() - records.len()) as u64,
                ingest: write.summary(),
                tally: Tally::of(&batch),
            }
        });
        Ok(summary)
    }

    /// Moves the activity of names that now match staff (after a roster
    /// import, or a new domain alias) from the unmatched tables to the
    /// person's own, and updates their first and last use. Returns how many
    /// names were attached.
    pub async fn attach_unmatched(&self, resolver: &IdentityResolver) -> Result<u64> {
        let names: Vec<String> = on_db!(&self.db, pool => sqlx::query_scalar(
            "SELECT user_lower FROM identity_unmatched WHERE kind = 'unmatched'").fetch_all(pool).await?);
        let matched: Vec<(String, i32)> = names
            .into_iter()
            .filter_map(|n| match resolver.resolve(&n) {
                Identity::Staff(staff) => Some((n, staff.0)),
                _ => None,
            })
            .collect();
        if matched.is_empty() {
            return Ok(0);
        }
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            for (name, staff) in &matched {
                sqlx::query(
                    "INSERT INTO activity_daily (day, tool_id, staff_id, source_id, actions) \
                     SELECT day, tool_id, $1, source_id, actions FROM activity_unmatched WHERE user_lower = $2 \
                     ON CONFLICT (day, tool_id, staff_id, source_id) DO UPDATE SET actions = activity_daily.actions + excluded.actions")
                    .bind(staff).bind(name).execute(&mut *tx).await?;
                sqlx::query(&format!(
                    "INSERT INTO person_tool_state (staff_id, tool_id, first_use, last_active) \
                     SELECT $1, tool_id, MIN(day), MAX(day) FROM activity_unmatched WHERE user_lower = $2 GROUP BY tool_id \
                     {STATE_CONFLICT}"))
                    .bind(staff).bind(name).execute(&mut *tx).await?;
                for table in ["activity_unmatched", "identity_unmatched"] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE user_lower = $1"))
                        .bind(name).execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
        });
        Ok(matched.len() as u64)
    }

    /// Forgets event keys stored more than 30 days ago.
    pub async fn prune_event_keys(&self) -> Result<u64> {
        let cutoff = chrono::Utc::now().date_naive() - chrono::Days::new(EVENT_KEY_DAYS);
        let n = on_db!(&self.db, pool => sqlx::query("DELETE FROM box_event_seen WHERE seen_day < $1")
            .bind(cutoff).execute(pool).await?.rows_affected());
        Ok(n)
    }

    /// A comma-separated setting, split and trimmed.
    pub(crate) async fn setting_list(&self, key: &str) -> Result<Vec<String>> {
        Ok(self
            .setting(key)
            .await?
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect())
    }

    /// The first day activity is taken for: `ingest.earliest_day` when an
    /// admin has set it, else the roster's earliest start date.
    pub async fn earliest_activity_day(&self) -> Result<Option<NaiveDate>> {
        if let Some(set) = self.setting("ingest.earliest_day").await? {
            return domain::formats::date(&set, "ingest.earliest_day")
                .map(Some)
                .map_err(crate::StoreError::Internal);
        }
        let first: Option<NaiveDate> = on_db!(&self.db, pool => sqlx::query_scalar(
            "SELECT MIN(start_date) FROM staff").fetch_one(pool).await?);
        Ok(first)
    }

    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        let value = on_db!(&self.db, pool => sqlx::query_scalar(
            "SELECT value FROM setting WHERE key = $1").bind(key).fetch_optional(pool).await?);
        Ok(value)
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        on_db!(&self.db, pool => {
            sqlx::query(
            "INSERT INTO setting (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(key).bind(value).execute(pool).await?;
        });
        Ok(())
    }
}

/// How long Box event keys are kept for de-duplication.
const EVENT_KEY_DAYS: u64 = 30;

/// A counted Box event on its calendar day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayEvent {
    pub key: String,
    pub user: String,
    pub day: NaiveDate,
}

/// What a page of events did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventSummary {
    pub events: u64,
    /// Events seen before (in this batch or an earlier one), not counted.
    pub repeats: u64,
    pub ingest: IngestSummary,
    /// The person-days and names the new events wrote.
    pub tally: Tally,
}
