//! `uptake sync box`: the enterprise event stream, and backfill of older
//! history.
//!
//! The stream (`admin_logs_streaming`) is read from the saved position. Each
//! page's counted events and the position after it are written in one
//! transaction, so a sync stopped at any point (even killed) resumes where
//! it stopped, and the event-id table shared with file imports keeps a
//! repeated event from counting twice.

use anyhow::{Context, Result};
use chrono::{DateTime, Days, Utc};
use chrono_tz::Tz;
use domain::{box_events, catalog::Source, formats::Reject};
use store::Store;

use super::{Api, Credentials, RetryPolicy};
use crate::{ingest::Sink, oidc::Secret, progress_bar::Progress};

#[derive(Debug, Clone)]
pub struct BoxConfig {
    pub credentials: Credentials,
    /// `https://api.box.com`, or a test peer.
    pub api_base: String,
    /// Events per page (Box allows up to 500).
    pub page_size: u32,
    pub retry: RetryPolicy,
}

/// Which events to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoxRange {
    /// The live stream from the saved position (the start, the first time).
    Stream,
    /// Older history from `admin_logs`, between two instants.
    Backfill {
        after: DateTime<Utc>,
        before: DateTime<Utc>,
    },
}

/// What a sync did.
#[derive(Debug, Clone, Default)]
pub struct BoxSyncReport {
    pub pages: u64,
    pub events: u64,
    pub rejected: usize,
    /// Events seen before, not counted again.
    pub repeats: u64,
    /// Person-days of activity written or added to.
    pub activity_rows: u64,
    /// Events dated outside the days activity is taken for, not counted.
    pub outside_window: u64,
}

/// Reads events until the stream is caught up (or the backfill range is
/// done), writes them, refreshes the rollups for the days written, and
/// records the coverage; a failure is recorded in plain words.
pub async fn sync(
    store: &Store,
    config: &BoxConfig,
    zone: Tz,
    range: BoxRange,
) -> Result<BoxSyncReport> {
    let mut sink = Sink::new(store, zone).await?;
    let mut report = BoxSyncReport::default();
    let read = read(store, config, range, &mut sink, &mut report).await;
    let days = sink.days_seen(Source::Box);
    let written = sink.finish(false).await?;
    report.activity_rows = written.rows;
    report.repeats = written.repeats;
    report.outside_window = written.outside_window;
    match read {
        Ok(()) => {
            let yesterday = Utc::now().with_timezone(&zone).date_naive() - Days::new(1);
            let (first, last) = match (range, days.get()) {
                (BoxRange::Stream, Some((first, _))) => (first.min(yesterday), yesterday),
                (BoxRange::Stream, None) => (yesterday, yesterday),
                (BoxRange::Backfill { .. }, Some(span)) => span,
                (BoxRange::Backfill { .. }, None) => return Ok(report),
            };
            store.record_sync_success(Source::Box, first, last).await?;
            let asked = match range {
                BoxRange::Backfill { after, .. } => Some(after.with_timezone(&zone).date_naive()),
                BoxRange::Stream => None,
            };
            let strays = store.settle_data_start(Source::Box, first, asked).await?;
            let mut notes = Vec::new();
            if report.outside_window > 0 {
                notes.push(format!(
                    "{} events dated before the earliest day activity is taken for, or in the future, were not counted",
                    report.outside_window
                ));
            }
            if let Some(s) = strays {
                let days = if s.days == 1 {
                    "1 day".to_owned()
                } else {
                    format!("{} days", s.days)
                };
                notes.push(format!(
                    "activity on {days} from {} lies apart from the run of data that starts on {}: it is kept, but coverage starts on {}",
                    s.earliest, s.run_start, s.run_start
                ));
            }
            if !notes.is_empty() {
                store
                    .record_sync_done(Source::Box, Some(&notes.join("; ")))
                    .await?;
            }
            Ok(report)
        }
        Err(e) => {
            store
                .record_sync_error(Source::Box, &format!("{e:#}"))
                .await?;
            Err(e)
        }
    }
}

async fn read(
    store: &Store,
    config: &BoxConfig,
    range: BoxRange,
    sink: &mut Sink<'_>,
    report: &mut BoxSyncReport,
) -> Result<()> {
    let mut api = Api::new(
        "Box",
        " (the app needs 'Manage enterprise properties' and admin authorisation)",
        config.credentials.clone(),
        config.retry,
    )?;
    let base = config.api_base.trim_end_matches('/');
    if range == BoxRange::Stream {
        store.prune_event_keys().await?;
    }
    let mut position = match range {
        BoxRange::Stream => store
            .sync_states()
            .await?
            .into_iter()
            .find(|s| s.source == Source::Box)
            .and_then(|s| s.cursor)
            .unwrap_or_else(|| "0".to_owned()),
        BoxRange::Backfill { .. } => String::new(),
    };
    let progress = Progress::items("reading Box event pages", 0);
    let mut rejects: Vec<Reject> = Vec::new();
    loop {
        let url = match range {
            BoxRange::Stream => format!(
                "{base}/2.0/events?stream_type=admin_logs_streaming&stream_position={position}&limit={}",
                config.page_size
            ),
            BoxRange::Backfill { after, before } => {
                let mut url = format!(
                    "{base}/2.0/events?stream_type=admin_logs&created_after={}&created_before={}&limit={}",
                    after.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    before.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    config.page_size
                );
                if !position.is_empty() {
                    url.push_str(&format!("&stream_position={position}"));
                }
                url
            }
        };
        let mut attempt = 0;
        let page = loop {
            let body = api.get(&url).await?.bytes().await;
            let parsed = body
                .map_err(|e| format!("the page broke off: {e}"))
                .and_then(|b| box_events::page(&b).map_err(|e| e.to_string()));
            match parsed {
                Ok(page) => break page,
                Err(problem) => {
                    attempt += 1;
                    api.backoff(attempt, &url, problem).await?;
                }
            }
        };
        let caught_up = page.entries.is_empty() || page.next_stream_position == position;
        for (i, entry) in page.entries.into_iter().enumerate() {
            report.events += 1;
            match entry {
                Ok(event) => sink.add_event(event).await?,
                Err(reason) => rejects.push(Reject {
                    line: (report.pages * u64::from(config.page_size)) + i as u64 + 1,
                    reason: format!(
                        "entry {} of the page at position {position}: {reason}",
                        i + 1
                    ),
                    raw: String::new(),
                }),
            }
        }
        let cursor =
            matches!(range, BoxRange::Stream).then_some(page.next_stream_position.as_str());
        sink.flush_events(cursor).await?;
        report.pages += 1;
        progress.inc(1);
        progress.set_message(&format!("{} events", report.events));
        if caught_up {
            break;
        }
        position = page.next_stream_position;
    }
    progress.finish();
    if !rejects.is_empty() {
        report.rejected = rejects.len();
        let accepted = report.events - rejects.len() as u64;
        store
            .record_import("Box events", "box-sync", accepted, &rejects)
            .await?;
    }
    Ok(())
}

/// Box connector settings. The secret comes from UPTAKE_BOX_CLIENT_SECRET
/// or the file named by UPTAKE_BOX_CLIENT_SECRET_FILE, never from a flag.
#[derive(Debug, Clone, clap::Args)]
pub struct BoxArgs {
    #[arg(long, env = "UPTAKE_BOX_CLIENT_ID")]
    pub box_client_id: Option<String>,
    /// The enterprise the app reads events for.
    #[arg(long, env = "UPTAKE_BOX_ENTERPRISE_ID")]
    pub box_enterprise_id: Option<String>,
    #[arg(
        long,
        env = "UPTAKE_BOX_TOKEN_URL",
        default_value = "https://api.box.com/oauth2/token"
    )]
    pub box_token_url: String,
    #[arg(
        long,
        env = "UPTAKE_BOX_API_URL",
        default_value = "https://api.box.com"
    )]
    pub box_api_url: String,
    /// Events asked for per page (Box gives at most 500).
    #[arg(long, env = "UPTAKE_BOX_PAGE_SIZE", default_value_t = 500,
          value_parser = clap::value_parser!(u32).range(1..=500))]
    pub box_page_size: u32,
}

impl BoxArgs {
    /// The connector's settings, or None when no client id is configured.
    pub fn config(&self) -> Result<Option<BoxConfig>> {
        let Some(client_id) = self.box_client_id.clone() else {
            return Ok(None);
        };
        let enterprise = self
            .box_enterprise_id
            .clone()
            .context("set UPTAKE_BOX_ENTERPRISE_ID for the Box connector")?;
        Ok(Some(BoxConfig {
            credentials: Credentials {
                token_url: self.box_token_url.clone(),
                client_id,
                client_secret: Secret::from_env("UPTAKE_BOX_CLIENT_SECRET")?,
                extra: vec![
                    ("box_subject_type".to_owned(), "enterprise".to_owned()),
                    ("box_subject_id".to_owned(), enterprise),
                ],
            },
            api_base: self.box_api_url.trim_end_matches('/').to_owned(),
            page_size: self.box_page_size,
            retry: RetryPolicy::default(),
        }))
    }
}
