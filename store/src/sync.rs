//! Per-source sync state: cursor, data coverage, last success and error.

use chrono::{DateTime, NaiveDate, Utc};
use domain::catalog::Source;

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
}

type StateRow = (
    String,
    Option<String>,
    Option<NaiveDate>,
    Option<NaiveDate>,
    Option<DateTime<Utc>>,
    Option<String>,
);

impl Store {
    pub async fn sync_states(&self) -> Result<Vec<SyncState>> {
        let rows: Vec<StateRow> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT s.name, st.cursor, st.data_start, st.complete_through, st.last_success_at, st.last_error \
             FROM sync_state st JOIN source s ON s.id = st.source_id ORDER BY s.name"
        ).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .filter_map(
                |(name, cursor, data_start, complete_through, last_success_at, last_error)| {
                    Some(SyncState {
                        source: Source::parse(&name)?,
                        cursor,
                        data_start,
                        complete_through,
                        last_success_at,
                        last_error,
                    })
                },
            )
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
               complete_through = $2, last_success_at = $3, last_error = NULL, updated_at = $3 \
             WHERE source_id = $4")
            .bind(data_start).bind(complete_through).bind(now).bind(id).execute(pool).await?;
        });
        Ok(())
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
            .map(|(user, kind, first_seen, last_seen, events)| UnmatchedIdentity {
                user,
                external: kind == "external",
                first_seen,
                last_seen,
                events,
            })
            .collect())
    }
}
