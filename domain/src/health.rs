//! Data health: where each source's data stands, what imports accepted and
//! rejected, and which sign-in names match nobody. Wire types for the data
//! page.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{catalog::Source, formats::Reject};

/// One telemetry source's coverage and last sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceHealth {
    pub source: Source,
    pub data_start: Option<NaiveDate>,
    pub complete_through: Option<NaiveDate>,
    pub last_success: Option<DateTime<Utc>>,
    /// The last connector error, in plain words; cleared by a success.
    pub last_error: Option<String>,
    /// What the last successful sync left undone, in plain words.
    #[serde(default)]
    pub last_note: Option<String>,
    /// Days between the last complete day and yesterday.
    pub days_behind: Option<i64>,
}

impl SourceHealth {
    pub fn label(&self) -> &'static str {
        match self.source {
            Source::M365 => "Microsoft 365 (Graph usage reports)",
            Source::Box => "Box (enterprise events)",
            Source::Push => "Pushed and imported tools",
        }
    }

    /// How fresh the data is, in words.
    pub fn freshness(&self) -> String {
        match (self.complete_through, self.days_behind) {
            (None, _) => "no data yet".to_owned(),
            (Some(_), Some(d)) if d <= 0 => "up to date".to_owned(),
            (Some(_), Some(1)) => "1 day behind".to_owned(),
            (Some(_), Some(d)) => format!("{d} days behind"),
            (Some(_), None) => String::new(),
        }
    }
}

/// What everyone but the data page's readers is told of a failed sync.
pub const SYNC_FAILED: &str = "its last sync failed";

/// How fresh each source's data is, for every signed-in role: the
/// overview says it in words and, for those who may open it, links to the
/// data page when a source is behind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freshness {
    /// Sources that have reported at least once, without the words of
    /// their last error or note (those are for the data page): a failed
    /// last sync reads [`SYNC_FAILED`].
    pub sources: Vec<SourceHealth>,
    /// Whether the caller may open the data page.
    pub data_page: bool,
}

impl Freshness {
    pub fn new(sources: Vec<SourceHealth>, data_page: bool) -> Self {
        let sources = sources
            .into_iter()
            .filter(|s| s.complete_through.is_some() || s.last_success.is_some())
            .map(|s| SourceHealth {
                last_error: s.last_error.map(|_| SYNC_FAILED.to_owned()),
                last_note: None,
                ..s
            })
            .collect();
        Self { sources, data_page }
    }

    /// Whether any source is a day or more behind, or its last sync
    /// failed.
    pub fn behind(&self) -> bool {
        self.sources
            .iter()
            .any(|s| s.days_behind.is_none_or(|d| d > 0) || s.last_error.is_some())
    }
}

/// One import (file, upload, push or sync with rejects).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSummary {
    pub id: i32,
    pub file: String,
    pub kind: String,
    pub accepted: i64,
    pub rejected: i64,
    pub at: DateTime<Utc>,
    /// Why the whole file was refused, when it was.
    pub refused: Option<String>,
}

/// One import's rejected rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRejects {
    pub import: ImportSummary,
    pub rows: Vec<Reject>,
}

/// A sign-in name seen in telemetry that matches nobody on the roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameSeen {
    pub user: String,
    pub first_seen: NaiveDate,
    pub last_seen: NaiveDate,
    pub events: i64,
}

/// One Microsoft 365 tool's licences among staff in post on the licence
/// report's day, with the cross-checks against counted use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolLicences {
    pub tool: String,
    pub licensed: i64,
    pub unlicensed: i64,
    /// Without a licence, yet with counted use in the 28 days to the
    /// report's day or since: a name-matching problem, or a stale report.
    pub used_unlicensed: i64,
    /// Licensed, and never a counted use.
    pub licensed_never_used: i64,
    /// Seen by the tool in those 28 days (Last Activity Date) with no
    /// counted use in them: signed in, but not using it.
    pub seen_not_counted: i64,
}

/// The latest licence report (`getOffice365ActiveUserDetail`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenceHealth {
    pub day: NaiveDate,
    pub stored_at: DateTime<Utc>,
    pub rows: i64,
    /// Rows whose name matches nobody on the roster.
    pub unmatched: i64,
    pub tools: Vec<ToolLicences>,
}

/// Everything the data page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataHealth {
    pub sources: Vec<SourceHealth>,
    pub imports: Vec<ImportSummary>,
    /// The unmatched names with the most events, most first.
    pub unmatched: Vec<NameSeen>,
    pub unmatched_total: usize,
    pub external_total: usize,
    /// The names are person-level: withheld from a caller without the
    /// person-level list permission (the totals stay).
    pub names_withheld: bool,
    /// None until a licence report is stored.
    pub licences: Option<LicenceHealth>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freshness_reads_as_words() {
        let mut s = SourceHealth {
            source: Source::M365,
            data_start: None,
            complete_through: None,
            last_success: None,
            last_error: None,
            last_note: None,
            days_behind: None,
        };
        assert_eq!(s.freshness(), "no data yet");
        s.complete_through = "2026-11-20".parse().ok();
        s.days_behind = Some(5);
        assert_eq!(s.freshness(), "5 days behind");
        s.days_behind = Some(0);
        assert_eq!(s.freshness(), "up to date");
    }

    #[test]
    fn freshness_for_everyone_drops_silent_sources_and_connector_details() {
        let source = |source, behind: Option<i64>| SourceHealth {
            source,
            data_start: None,
            complete_through: behind.and_then(|_| "2026-11-20".parse().ok()),
            last_success: None,
            last_error: Some("HTTP 401 from the tenant".into()),
            last_note: Some("stopped at page 3".into()),
            days_behind: behind,
        };
        let f = Freshness::new(
            vec![
                source(Source::M365, Some(0)),
                source(Source::Box, Some(2)),
                source(Source::Push, None),
            ],
            false,
        );
        assert_eq!(f.sources.len(), 2, "the push source never reported");
        // That a sync failed is said; its words are for the data page.
        assert!(
            f.sources
                .iter()
                .all(|s| s.last_error.as_deref() == Some(SYNC_FAILED) && s.last_note.is_none())
        );
        assert!(f.behind());
        let mut ok = source(Source::M365, Some(0));
        ok.last_error = None;
        let fresh = Freshness::new(vec![ok], true);
        assert!(!fresh.behind());
    }
}
