//! The one write path for activity, shared by every ingest route and the
//! demo generator.

use chrono::NaiveDate;
use std::collections::HashSet;

use domain::{
    activity::{
        ActivityRecord, Identity, IdentityResolver, NameSpan, ResolvedBatch, Tally, UnmatchedRow,
        UseSpan, WriteMode, name_spans, resolve_batch,
    },
    catalog::{Source, ToolId},
    licence::LastSeen,
};
use sqlx::QueryBuilder;

use crate::{Store, db::on_db, error::Result, licence::LicenceWrites};

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

const SQLITE_ROWS_PER_STATEMENT: usize = 6_000;
const PG_ROWS_PER_STATEMENT: usize = 50_000;

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

/// A resolved batch with the per-person and per-name spans it updates,
/// written inside a caller's transaction.
struct Write<'a> {
    source_id: i32,
    mode: WriteMode,
    batch: &'a ResolvedBatch,
    states: Vec<UseSpan>,
    names: Vec<(&'static str, NameSpan)>,
}

impl<'a> Write<'a> {
    fn new(source_id: i32, mode: WriteMode, batch: &'a ResolvedBatch) -> Self {
        let names = name_spans(&batch.unmatched)
            .into_iter()
            .map(|n| ("unmatched", n))
            .chain(
                name_spans(&batch.external)
                    .into_iter()
                    .map(|n| ("external", n)),
            )
            .collect();
        Self {
            source_id,
            mode,
            batch,
            states: batch.use_spans(),
            names,
        }
    }

    /// Unmatched and external activity, kept per day so that a name's
    /// event count is a sum, never added to on a re-run.
    fn names_rows(&self) -> Vec<&UnmatchedRow> {
        self.batch
            .unmatched
            .iter()
            .chain(&self.batch.external)
            .collect()
    }

    fn summary(&self) -> IngestSummary {
        IngestSummary {
            rows: self.batch.rows.len() as u64,
            unmatched: self.batch.unmatched.len() as u64,
            external: self.batch.external.len() as u64,
            concealed: self.batch.concealed,
            days: self.batch.days(),
        }
    }
}

/// Writes within a transaction on either backend.
trait WriteIn<Tx> {
    async fn run(&self, tx: &mut Tx) -> Result<()>;
}

impl WriteIn<sqlx::Transaction<'_, sqlx::Sqlite>> for Write<'_> {
    async fn run(&self, tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>) -> Result<()> {
        let (source_id, mode) = (self.source_id, self.mode);
        for chunk in self.batch.rows.chunks(SQLITE_ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::new(
                "INSERT INTO activity_daily (day, tool_id, staff_id, source_id, actions) ",
            );
            q.push_values(chunk, |mut b, r| {
                b.push_bind(r.day)
                    .push_bind(r.tool.0)
                    .push_bind(r.staff.0)
                    .push_bind(source_id)
                    .push_bind(clamp(r.actions));
            });
            q.push(activity_conflict(mode));
            q.build().execute(&mut **tx).await?;
        }
        for chunk in self.names_rows().chunks(SQLITE_ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::new(
                "INSERT INTO activity_unmatched (day, tool_id, user_lower, source_id, actions) ",
            );
            q.push_values(chunk, |mut b, r| {
                b.push_bind(r.day)
                    .push_bind(r.tool.0)
                    .push_bind(&r.user)
                    .push_bind(source_id)
                    .push_bind(clamp(r.actions));
            });
            q.push(unmatched_conflict(mode));
            q.build().execute(&mut **tx).await?;
        }
        for chunk in self.states.chunks(SQLITE_ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::new(
                "INSERT INTO person_tool_state (staff_id, tool_id, first_use, last_active) ",
            );
            q.push_values(chunk, |mut b, s| {
                b.push_bind(s.staff.0)
                    .push_bind(s.tool.0)
                    .push_bind(s.first)
                    .push_bind(s.last);
            });
            q.push(STATE_CONFLICT);
            q.build().execute(&mut **tx).await?;
        }
        for chunk in self.names.chunks(SQLITE_ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::new(
                "INSERT INTO identity_unmatched (user_lower, kind, first_seen, last_seen, events) ",
            );
            q.push_values(chunk, |mut b, (kind, n)| {
                b.push_bind(&n.user)
                    .push_bind(*kind)
                    .push_bind(n.first)
                    .push_bind(n.last)
                    .push_bind(n.actions);
            });
            q.push(NAME_CONFLICT);
            q.build().execute(&mut **tx).await?;
            let mut q = QueryBuilder::new(EVENTS_FROM_ACTIVITY);
            q.push(" WHERE user_lower IN (");
            let mut list = q.separated(", ");
            for (_, n) in chunk {
                list.push_bind(&n.user);
            }
            q.push(")");
            q.build().execute(&mut **tx).await?;
        }
        Ok(())
    }
}

impl WriteIn<sqlx::Transaction<'_, sqlx::Postgres>> for Write<'_> {
    async fn run(&self, tx: &mut sqlx::Transaction<'_, sqlx::Postgres>) -> Result<()> {
        let (source_id, mode) = (self.source_id, self.mode);
        for chunk in self.batch.rows.chunks(PG_ROWS_PER_STATEMENT) {
            sqlx::query(&format!(
                "INSERT INTO activity_daily (day, tool_id, staff_id, source_id, actions) \
                 SELECT d, t, s, $4, a FROM UNNEST($1::date[], $2::int4[], $3::int4[], $5::int4[]) AS x(d, t, s, a) {}",
                activity_conflict(mode)
            ))
            .bind(chunk.iter().map(|r| r.day).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.tool.0).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.staff.0).collect::<Vec<_>>())
            .bind(source_id)
            .bind(chunk.iter().map(|r| clamp(r.actions)).collect::<Vec<_>>())
            .execute(&mut **tx)
            .await?;
        }
        for chunk in self.names_rows().chunks(PG_ROWS_PER_STATEMENT) {
            sqlx::query(&format!(
                "INSERT INTO activity_unmatched (day, tool_id, user_lower, source_id, actions) \
                 SELECT d, t, u, $4, a FROM UNNEST($1::date[], $2::int4[], $3::text[], $5::int4[]) AS x(d, t, u, a) {}",
                unmatched_conflict(mode)
            ))
            .bind(chunk.iter().map(|r| r.day).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.tool.0).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.user.clone()).collect::<Vec<_>>())
            .bind(source_id)
            .bind(chunk.iter().map(|r| clamp(r.actions)).collect::<Vec<_>>())
            .execute(&mut **tx)
            .await?;
        }
        for chunk in self.states.chunks(PG_ROWS_PER_STATEMENT) {
            sqlx::query(&format!(
                "INSERT INTO person_tool_state (staff_id, tool_id, first_use, last_active) \
                 SELECT * FROM UNNEST($1::int4[], $2::int4[], $3::date[], $4::date[]) {STATE_CONFLICT}"
            ))
            .bind(chunk.iter().map(|s| s.staff.0).collect::<Vec<_>>())
            .bind(chunk.iter().map(|s| s.tool.0).collect::<Vec<_>>())
            .bind(chunk.iter().map(|s| s.first).collect::<Vec<_>>())
            .bind(chunk.iter().map(|s| s.last).collect::<Vec<_>>())
            .execute(&mut **tx)
            .await?;
        }
        for chunk in self.names.chunks(PG_ROWS_PER_STATEMENT) {
            sqlx::query(&format!(
                "INSERT INTO identity_unmatched (user_lower, kind, first_seen, last_seen, events) \
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::date[], $4::date[], $5::int8[]) {NAME_CONFLICT}"
            ))
            .bind(chunk.iter().map(|(_, n)| n.user.clone()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|(kind, _)| *kind).collect::<Vec<_>>())
            .bind(chunk.iter().map(|(_, n)| n.first).collect::<Vec<_>>())
            .bind(chunk.iter().map(|(_, n)| n.last).collect::<Vec<_>>())
            .bind(chunk.iter().map(|(_, n)| n.actions).collect::<Vec<_>>())
            .execute(&mut **tx)
            .await?;
            sqlx::query(&format!(
                "{EVENTS_FROM_ACTIVITY} WHERE user_lower = ANY($1)"
            ))
            .bind(
                chunk
                    .iter()
                    .map(|(_, n)| n.user.clone())
                    .collect::<Vec<_>>(),
            )
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

/// Stores the events' keys, and returns those not stored before.
trait ClaimKeys {
    async fn claim(&mut self, events: &[&DayEvent], today: NaiveDate) -> Result<HashSet<String>>;
}

impl ClaimKeys for sqlx::Transaction<'_, sqlx::Sqlite> {
    async fn claim(&mut self, events: &[&DayEvent], today: NaiveDate) -> Result<HashSet<String>> {
        let mut fresh = HashSet::with_capacity(events.len());
        for chunk in events.chunks(SQLITE_ROWS_PER_STATEMENT * 2) {
            let mut q = QueryBuilder::new("INSERT INTO box_event_seen (event_id, seen_day) ");
            q.push_values(chunk, |mut b, e| {
                b.push_bind(&e.key).push_bind(today);
            });
            q.push(" ON CONFLICT (event_id) DO NOTHING RETURNING event_id");
            let keys: Vec<String> = q.build_query_scalar().fetch_all(&mut **self).await?;
            fresh.extend(keys);
        }
        Ok(fresh)
    }
}

impl ClaimKeys for sqlx::Transaction<'_, sqlx::Postgres> {
    async fn claim(&mut self, events: &[&DayEvent], today: NaiveDate) -> Result<HashSet<String>> {
        let mut fresh = HashSet::with_capacity(events.len());
        for chunk in events.chunks(PG_ROWS_PER_STATEMENT) {
            let keys: Vec<String> = sqlx::query_scalar(
                "INSERT INTO box_event_seen (event_id, seen_day) SELECT k, $2 FROM UNNEST($1::text[]) AS x(k) \
                 ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
            )
            .bind(chunk.iter().map(|e| e.key.clone()).collect::<Vec<_>>())
            .bind(today)
            .fetch_all(&mut **self)
            .await?;
            fresh.extend(keys);
        }
        Ok(fresh)
    }
}

fn clamp(actions: i64) -> i32 {
    i32::try_from(actions.max(1)).unwrap_or(i32::MAX)
}

fn activity_conflict(mode: WriteMode) -> &'static str {
    match mode {
        WriteMode::Replace => {
            " ON CONFLICT (day, tool_id, staff_id, source_id) DO UPDATE SET actions = excluded.actions"
        }
        WriteMode::Add => {
            " ON CONFLICT (day, tool_id, staff_id, source_id) DO UPDATE SET actions = activity_daily.actions + excluded.actions"
        }
    }
}

fn unmatched_conflict(mode: WriteMode) -> &'static str {
    match mode {
        WriteMode::Replace => {
            " ON CONFLICT (day, tool_id, user_lower, source_id) DO UPDATE SET actions = excluded.actions"
        }
        WriteMode::Add => {
            " ON CONFLICT (day, tool_id, user_lower, source_id) DO UPDATE SET actions = activity_unmatched.actions + excluded.actions"
        }
    }
}

const STATE_CONFLICT: &str = " ON CONFLICT (staff_id, tool_id) DO UPDATE SET \
    first_use = CASE WHEN excluded.first_use < person_tool_state.first_use THEN excluded.first_use ELSE person_tool_state.first_use END, \
    last_active = CASE WHEN excluded.last_active > person_tool_state.last_active THEN excluded.last_active ELSE person_tool_state.last_active END";

const NAME_CONFLICT: &str = " ON CONFLICT (user_lower) DO UPDATE SET \
    first_seen = CASE WHEN excluded.first_seen < identity_unmatched.first_seen THEN excluded.first_seen ELSE identity_unmatched.first_seen END, \
    last_seen = CASE WHEN excluded.last_seen > identity_unmatched.last_seen THEN excluded.last_seen ELSE identity_unmatched.last_seen END";

/// A name's event count: the sum of its stored activity, so that pulling or
/// importing the same days again leaves it as it was.
const EVENTS_FROM_ACTIVITY: &str = "UPDATE identity_unmatched SET events = \
    (SELECT COALESCE(SUM(a.actions), 0) FROM activity_unmatched a WHERE a.user_lower = identity_unmatched.user_lower)";
