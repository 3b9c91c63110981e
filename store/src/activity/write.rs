//! Activity writes within a transaction, in each backend's fast path: the
//! person-days, the per-person and per-name spans, and the Box event keys
//! that make a re-run count nothing twice.

use chrono::NaiveDate;
use std::collections::HashSet;

use domain::activity::{NameSpan, ResolvedBatch, UnmatchedRow, UseSpan, WriteMode, name_spans};
use sqlx::QueryBuilder;

use crate::error::Result;

use super::{DayEvent, IngestSummary};

const SQLITE_ROWS_PER_STATEMENT: usize = 6_000;
const PG_ROWS_PER_STATEMENT: usize = 50_000;

/// A resolved batch with the per-person and per-name spans it updates,
/// written inside a caller's transaction.
pub(super) struct Write<'a> {
    source_id: i32,
    mode: WriteMode,
    batch: &'a ResolvedBatch,
    states: Vec<UseSpan>,
    names: Vec<(&'static str, NameSpan)>,
}

impl<'a> Write<'a> {
    pub(super) fn new(source_id: i32, mode: WriteMode, batch: &'a ResolvedBatch) -> Self {
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

    pub(super) fn summary(&self) -> IngestSummary {
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
pub(super) trait WriteIn<Tx> {
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
pub(super) trait ClaimKeys {
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

pub(super) const STATE_CONFLICT: &str = " ON CONFLICT (staff_id, tool_id) DO UPDATE SET \
    first_use = CASE WHEN excluded.first_use < person_tool_state.first_use THEN excluded.first_use ELSE person_tool_state.first_use END, \
    last_active = CASE WHEN excluded.last_active > person_tool_state.last_active THEN excluded.last_active ELSE person_tool_state.last_active END";

const NAME_CONFLICT: &str = " ON CONFLICT (user_lower) DO UPDATE SET \
    first_seen = CASE WHEN excluded.first_seen < identity_unmatched.first_seen THEN excluded.first_seen ELSE identity_unmatched.first_seen END, \
    last_seen = CASE WHEN excluded.last_seen > identity_unmatched.last_seen THEN excluded.last_seen ELSE identity_unmatched.last_seen END";

/// A name's event count: the sum of its stored activity, so that pulling or
/// importing the same days again leaves it as it was.
const EVENTS_FROM_ACTIVITY: &str = "UPDATE identity_unmatched SET events = \
    (SELECT COALESCE(SUM(a.actions), 0) FROM activity_unmatched a WHERE a.user_lower = identity_unmatched.user_lower)";
