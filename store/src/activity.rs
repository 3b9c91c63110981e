//! The one write path for activity, shared by every ingest route and the
//! demo generator.

use chrono::NaiveDate;
use domain::{
    activity::{IdentityResolver, ResolvedBatch, WriteMode, name_spans},
    catalog::Source,
};
use sqlx::QueryBuilder;

use crate::{
    Store,
    db::{Db, on_db},
    error::Result,
};

/// What an ingest wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestSummary {
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
        for alias in self.setting_list("identity.domain_aliases").await? {
            if let Some((from, to)) = alias.split_once('=') {
                resolver = resolver.with_domain_alias(from.trim(), to.trim());
            }
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
        let states = batch.use_spans();
        let names = name_spans(&batch.unmatched)
            .into_iter()
            .map(|n| ("unmatched", n))
            .chain(
                name_spans(&batch.external)
                    .into_iter()
                    .map(|n| ("external", n)),
            )
            .collect::<Vec<_>>();
        match &self.db {
            Db::Sqlite(pool) => {
                let mut tx = pool.begin().await?;
                for chunk in batch.rows.chunks(SQLITE_ROWS_PER_STATEMENT) {
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
                    q.build().execute(&mut *tx).await?;
                }
                for chunk in batch.unmatched.chunks(SQLITE_ROWS_PER_STATEMENT) {
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
                    q.build().execute(&mut *tx).await?;
                }
                for chunk in states.chunks(SQLITE_ROWS_PER_STATEMENT) {
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
                    q.build().execute(&mut *tx).await?;
                }
                for chunk in names.chunks(SQLITE_ROWS_PER_STATEMENT) {
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
                    q.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
            }
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                for chunk in batch.rows.chunks(PG_ROWS_PER_STATEMENT) {
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
                    .execute(&mut *tx)
                    .await?;
                }
                for chunk in batch.unmatched.chunks(PG_ROWS_PER_STATEMENT) {
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
                    .execute(&mut *tx)
                    .await?;
                }
                for chunk in states.chunks(PG_ROWS_PER_STATEMENT) {
                    sqlx::query(&format!(
                        "INSERT INTO person_tool_state (staff_id, tool_id, first_use, last_active) \
                         SELECT * FROM UNNEST($1::int4[], $2::int4[], $3::date[], $4::date[]) {STATE_CONFLICT}"
                    ))
                    .bind(chunk.iter().map(|s| s.staff.0).collect::<Vec<_>>())
                    .bind(chunk.iter().map(|s| s.tool.0).collect::<Vec<_>>())
                    .bind(chunk.iter().map(|s| s.first).collect::<Vec<_>>())
                    .bind(chunk.iter().map(|s| s.last).collect::<Vec<_>>())
                    .execute(&mut *tx)
                    .await?;
                }
                for chunk in names.chunks(PG_ROWS_PER_STATEMENT) {
                    sqlx::query(&format!(
                        "INSERT INTO identity_unmatched (user_lower, kind, first_seen, last_seen, events) \
                         SELECT * FROM UNNEST($1::text[], $2::text[], $3::date[], $4::date[], $5::int8[]) {NAME_CONFLICT}"
                    ))
                    .bind(chunk.iter().map(|(_, n)| n.user.clone()).collect::<Vec<_>>())
                    .bind(chunk.iter().map(|(kind, _)| *kind).collect::<Vec<_>>())
                    .bind(chunk.iter().map(|(_, n)| n.first).collect::<Vec<_>>())
                    .bind(chunk.iter().map(|(_, n)| n.last).collect::<Vec<_>>())
                    .bind(chunk.iter().map(|(_, n)| n.actions).collect::<Vec<_>>())
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
            }
        }
        Ok(IngestSummary {
            rows: batch.rows.len() as u64,
            unmatched: batch.unmatched.len() as u64,
            external: batch.external.len() as u64,
            concealed: batch.concealed,
            days: batch.days(),
        })
    }

    /// A comma-separated setting, split and trimmed.
    pub(crate) async fn setting_list(&self, key: &str) -> Result<Vec<String>> {
        let value: Option<String> = on_db!(&self.db, pool => sqlx::query_scalar(
            "SELECT value FROM setting WHERE key = $1").bind(key).fetch_optional(pool).await?);
        Ok(value
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect())
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
    last_seen = CASE WHEN excluded.last_seen > identity_unmatched.last_seen THEN excluded.last_seen ELSE identity_unmatched.last_seen END, \
    events = identity_unmatched.events + excluded.events";
