//! `uptake sync m365`: the per-user detail reports for Teams, OneDrive,
//! SharePoint and Exchange, one day at a time, and the latest active-user
//! report for licence status.
//!
//! Each run pulls every day within the 28 Graph keeps that has not been
//! pulled yet, and pulls the latest few again (Graph re-publishes them).
//! Each report day replaces what that day held. A day Graph has not
//! published yet (an empty report, or 400/404) is left to the next run.

use std::collections::BTreeSet;

use anyhow::Result;
use chrono::{Days, NaiveDate};
use chrono_tz::Tz;
use domain::{
    catalog::Source,
    formats::{FormatError, Reject, Rows},
    graph::{self, LICENCE_FUNCTION, Report},
};
use reqwest::StatusCode;
use serde::Deserialize;
use store::Store;

use super::{Api, ConnectorError, Credentials, RetryPolicy};
use crate::{ingest::Sink, oidc::Secret, progress_bar::Progress};

/// The days Graph keeps per-day reports for.
pub const GRAPH_KEEPS_DAYS: u64 = 28;

#[derive(Debug, Clone)]
pub struct GraphConfig {
    pub credentials: Credentials,
    /// `https://graph.microsoft.com`, or a test peer.
    pub api_base: String,
    /// The latest days pulled again on every run.
    pub repull_days: u64,
    pub retry: RetryPolicy,
}

/// What a sync did.
#[derive(Debug, Clone, Default)]
pub struct GraphSyncReport {
    pub days_pulled: usize,
    /// Report days Graph has not published yet; tried again next run.
    pub not_published: Vec<(Report, NaiveDate)>,
    pub rows_read: u64,
    pub rows_rejected: usize,
    /// Person-days of activity written.
    pub activity_rows: u64,
    /// The day of the active-user (licence) report stored, when a newer one
    /// than before was published.
    pub licence_day: Option<NaiveDate>,
    /// Why the licence report could not be stored, in plain words; the
    /// report days are stored all the same.
    pub licence_error: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReportSettings {
    display_concealed_names: bool,
}

/// The report days to pull: every day in Graph's window not pulled yet,
/// and the latest `repull_days` again. Oldest first.
pub fn plan(today: NaiveDate, pulled: &BTreeSet<NaiveDate>, repull_days: u64) -> Vec<NaiveDate> {
    (1..=GRAPH_KEEPS_DAYS)
        .rev()
        .map(|back| today - Days::new(back))
        .filter(|day| !pulled.contains(day) || *day >= today - Days::new(repull_days))
        .collect()
}

/// Pulls what is due, writes it, refreshes the rollups for the days
/// written, and records the coverage; a failure is recorded in plain words.
pub async fn sync(
    store: &Store,
    config: &GraphConfig,
    zone: Tz,
    today: NaiveDate,
) -> Result<GraphSyncReport> {
    let mut sink = Sink::new(store, zone).await?;
    let mut report = GraphSyncReport::default();
    let pulled = pull(store, config, today, &mut sink, &mut report).await;
    let written = sink.finish(false).await?;
    report.activity_rows = written.rows;
    match pulled {
        Ok(()) => {
            store.record_report_coverage().await?;
            store
                .record_sync_done(
                    Source::M365,
                    not_published_note(&report.not_published).as_deref(),
                )
                .await?;
            // The activity is in and its coverage recorded; a licence
            // report that failed is kept as the source's error until a
            // later sync succeeds, without holding the activity back.
            if let Some(problem) = &report.licence_error {
                store
                    .record_sync_error(Source::M365, &format!("the licence report: {problem}"))
                    .await?;
            }
            Ok(report)
        }
        Err(e) => {
            store
                .record_sync_error(Source::M365, &format!("{e:#}"))
                .await?;
            Err(e)
        }
    }
}

/// The report days a sync found not yet published, per report: "not yet
/// published: Teams for 27 Nov 2026; OneDrive for 26 and 27 Nov 2026" in
/// short.
fn not_published_note(days: &[(Report, NaiveDate)]) -> Option<String> {
    if days.is_empty() {
        return None;
    }
    let parts: Vec<String> = Report::ALL
        .iter()
        .filter_map(|&report| {
            let mine: Vec<NaiveDate> = days
                .iter()
                .filter(|(r, _)| *r == report)
                .map(|(_, d)| *d)
                .collect();
            let (first, last) = (mine.iter().min()?, mine.iter().max()?);
            let span = if first == last {
                first.format("%-d %b %Y").to_string()
            } else {
                format!(
                    "{} to {} ({} days)",
                    first.format("%-d %b"),
                    last.format("%-d %b %Y"),
                    mine.len()
                )
            };
            Some(format!("{} for {span}", report.tool()))
        })
        .collect();
    Some(format!(
        "not yet published by Microsoft, tried again next sync: {}",
        parts.join("; ")
    ))
}

async fn pull(
    store: &Store,
    config: &GraphConfig,
    today: NaiveDate,
    sink: &mut Sink<'_>,
    report: &mut GraphSyncReport,
) -> Result<()> {
    let mut api = Api::new(
        "Microsoft Graph",
        " (Reports.Read.All, with admin consent)",
        config.credentials.clone(),
        config.retry,
    )?;
    let base = config.api_base.trim_end_matches('/');
    concealment(&mut api, base).await?;
    let mut due = Vec::new();
    for kind in Report::ALL {
        let tool = sink.tool(kind.tool()).map_err(anyhow::Error::msg)?;
        let pulled: BTreeSet<NaiveDate> = store.report_days(tool).await?.into_iter().collect();
        due.extend(
            plan(today, &pulled, config.repull_days)
                .into_iter()
                .map(|day| (day, kind)),
        );
    }
    due.sort();
    let progress = Progress::items("pulling Graph report days", due.len() as u64);
    for (day, kind) in due {
        progress.set_message(&format!("{} {day}", kind.tool()));
        let url = format!("{base}/v1.0/reports/{}(date={day})", kind.function());
        match fetch(&mut api, &url, |body| graph::rows(kind, body)).await? {
            Some((rows, rejects)) => {
                sink.report_day(kind, day, &rows).await?;
                report.days_pulled += 1;
                report.rows_read += rows.len() as u64;
                report.rows_rejected += rejects.len();
                record_rejects(store, kind.function(), day, rows.len(), &rejects).await?;
            }
            None => report.not_published.push((kind, day)),
        }
        progress.inc(1);
    }
    progress.finish();
    match pull_licences(&mut api, base, store, sink, today).await {
        Ok(day) => report.licence_day = day,
        Err(e) => report.licence_error = Some(format!("{e:#}")),
    }
    Ok(())
}

/// Pulls the newest active-user report newer than the one stored, trying
/// the latest day first: licence status and last-seen dates. Returns the
/// day stored, if any.
async fn pull_licences(
    api: &mut Api,
    base: &str,
    store: &Store,
    sink: &Sink<'_>,
    today: NaiveDate,
) -> Result<Option<NaiveDate>> {
    let stored = store.licence_day().await?;
    for back in 1..=GRAPH_KEEPS_DAYS {
        let day = today - Days::new(back);
        if stored.is_some_and(|s| day <= s) {
            break;
        }
        let url = format!("{base}/v1.0/reports/{LICENCE_FUNCTION}(date={day})");
        if let Some((rows, rejects)) = fetch(api, &url, |body| graph::licences(body)).await? {
            sink.licences(day, &rows).await?;
            record_rejects(store, LICENCE_FUNCTION, day, rows.len(), &rejects).await?;
            return Ok(Some(day));
        }
    }
    Ok(None)
}

/// Downloads one report and parses it into rows and rejects; None when
/// Graph has not published it yet (400 or 404, or an empty report).
async fn fetch<T>(
    api: &mut Api,
    url: &str,
    parse: impl FnOnce(&[u8]) -> Result<Rows<&[u8], T>, FormatError>,
) -> Result<Option<(Vec<T>, Vec<Reject>)>> {
    let body = match api.get(url).await {
        Ok(r) => r.bytes().await.map_err(|e| ConnectorError::Unreadable {
            service: "Microsoft Graph",
            url: url.to_owned(),
            problem: format!("the download broke off: {e}"),
        })?,
        Err(ConnectorError::Refused {
            status: StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND,
            ..
        }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    // A report with no header at all has not been published.
    if body.trim_ascii().is_empty() {
        return Ok(None);
    }
    let parsed = parse(&body[..]).map_err(|e| ConnectorError::Unreadable {
        service: "Microsoft Graph",
        url: url.to_owned(),
        problem: e.to_string(),
    })?;
    let (mut rows, mut rejects) = (Vec::new(), Vec::new());
    for row in parsed {
        match row {
            Ok(row) => rows.push(row),
            Err(r) => rejects.push(r),
        }
    }
    Ok((!rows.is_empty() || !rejects.is_empty()).then_some((rows, rejects)))
}

/// Keeps a pulled report's rejected rows on the data page.
async fn record_rejects(
    store: &Store,
    function: &str,
    day: NaiveDate,
    accepted: usize,
    rejects: &[Reject],
) -> Result<()> {
    if !rejects.is_empty() {
        store
            .record_import(
                &format!("{function}(date={day})"),
                "m365-sync",
                accepted as u64,
                rejects,
            )
            .await?;
    }
    Ok(())
}

/// Stops before pulling anything when the tenant conceals names. Reading
/// the setting needs ReportSettings.Read.All; without it the data check
/// (32-hex names) still stops the sync.
async fn concealment(api: &mut Api, base: &str) -> Result<(), ConnectorError> {
    let url = format!("{base}/v1.0/admin/reportSettings");
    match api.get(&url).await {
        Ok(r) => {
            let settings: ReportSettings =
                r.json().await.map_err(|e| ConnectorError::Unreadable {
                    service: "Microsoft Graph",
                    url,
                    problem: format!("the report settings: {e}"),
                })?;
            if settings.display_concealed_names {
                return Err(domain::graph::Concealed.into());
            }
            Ok(())
        }
        Err(ConnectorError::Refused {
            status: StatusCode::FORBIDDEN | StatusCode::NOT_FOUND,
            ..
        }) => {
            tracing::info!("the report settings cannot be read; names are checked in the data");
            Ok(())
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn the_plan_fills_gaps_in_the_window_and_repulls_the_latest_days() {
        let today = day("2026-03-29");
        let all = plan(today, &BTreeSet::new(), 10);
        assert_eq!(all.len(), 28);
        assert_eq!((all[0], all[27]), (day("2026-03-01"), day("2026-03-28")));
        let mut pulled: BTreeSet<NaiveDate> = all.iter().copied().collect();
        pulled.remove(&day("2026-03-05"));
        let next = plan(today, &pulled, 10);
        assert_eq!(next[0], day("2026-03-05"));
        assert_eq!(next.len(), 11);
        assert_eq!(next[1], day("2026-03-19"));
    }
}

/// Microsoft Graph connector settings. The secret comes from
/// UPTAKE_GRAPH_CLIENT_SECRET or the file named by
/// UPTAKE_GRAPH_CLIENT_SECRET_FILE, never from a flag.
#[derive(Debug, Clone, clap::Args)]
pub struct GraphArgs {
    /// The Entra ID tenant (id or domain) the app is registered in.
    #[arg(long, env = "UPTAKE_GRAPH_TENANT")]
    pub graph_tenant: Option<String>,
    #[arg(long, env = "UPTAKE_GRAPH_CLIENT_ID")]
    pub graph_client_id: Option<String>,
    /// The token endpoint (default: Entra ID's for the tenant).
    #[arg(long, env = "UPTAKE_GRAPH_TOKEN_URL")]
    pub graph_token_url: Option<String>,
    #[arg(
        long,
        env = "UPTAKE_GRAPH_API_URL",
        default_value = "https://graph.microsoft.com"
    )]
    pub graph_api_url: String,
    /// The latest report days pulled again on every sync.
    #[arg(long, env = "UPTAKE_GRAPH_REPULL_DAYS", default_value_t = 10)]
    pub graph_repull_days: u64,
}

impl GraphArgs {
    /// The connector's settings, or None when no client id is configured.
    pub fn config(&self) -> Result<Option<GraphConfig>> {
        let Some(client_id) = self.graph_client_id.clone() else {
            return Ok(None);
        };
        let token_url = match (&self.graph_token_url, &self.graph_tenant) {
            (Some(url), _) => url.clone(),
            (None, Some(tenant)) => {
                format!("https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token")
            }
            (None, None) => anyhow::bail!(
                "set UPTAKE_GRAPH_TENANT (or UPTAKE_GRAPH_TOKEN_URL) for the Microsoft 365 connector"
            ),
        };
        let api_base = self.graph_api_url.trim_end_matches('/').to_owned();
        Ok(Some(GraphConfig {
            credentials: Credentials {
                token_url,
                client_id,
                client_secret: Secret::from_env("UPTAKE_GRAPH_CLIENT_SECRET")?,
                extra: vec![("scope".to_owned(), format!("{api_base}/.default"))],
            },
            api_base,
            repull_days: self.graph_repull_days,
            retry: RetryPolicy::default(),
        }))
    }
}
