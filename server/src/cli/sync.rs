//! `uptake sync`: pull a vendor's telemetry now, one run at a time across
//! servers.

use anyhow::{Context, Result};
use chrono::{Days, NaiveDate, Utc};
use chrono_tz::Tz;
use clap::Subcommand;
use store::Store;

use crate::{
    connectors::{
        box_sync::{self, BoxArgs, BoxRange},
        graph_sync::{self, GraphArgs},
    },
    scheduler,
};

#[derive(Debug, Subcommand)]
pub enum SyncSource {
    /// Microsoft 365 usage reports from Microsoft Graph.
    M365 {
        #[command(flatten)]
        graph: GraphArgs,
    },
    /// Box enterprise events.
    Box {
        #[command(flatten)]
        box_args: BoxArgs,
        /// Backfill history from this day (with --backfill-to) from
        /// admin_logs, instead of reading the stream.
        #[arg(long, requires = "backfill_to")]
        backfill_from: Option<NaiveDate>,
        /// The last day of the backfill.
        #[arg(long, requires = "backfill_from")]
        backfill_to: Option<NaiveDate>,
    },
}

pub async fn run(store: &Store, source: SyncSource, zone: Tz) -> Result<()> {
    match source {
        SyncSource::M365 { graph } => {
            let config = graph.config()?.context(
                "set UPTAKE_GRAPH_CLIENT_ID (and the tenant and secret) to sync Microsoft 365",
            )?;
            let report = scheduler::exclusive(store, scheduler::GRAPH_JOB, || {
                graph_sync::sync(
                    store,
                    &config,
                    zone,
                    Utc::now().with_timezone(&zone).date_naive(),
                )
            })
            .await?;
            println!(
                "Microsoft 365: {} report days pulled ({} rows, {} rejected), {} person-days of activity written",
                report.days_pulled, report.rows_read, report.rows_rejected, report.activity_rows
            );
            if !report.not_published.is_empty() {
                println!(
                    "  {} report days are not published yet and will be pulled next time",
                    report.not_published.len()
                );
            }
            if let Some(day) = report.licence_day {
                println!("  licence status stored from the active-user report of {day}");
            }
            if let Some(problem) = &report.licence_error {
                println!("  the licence report was not stored: {problem}");
            }
        }
        SyncSource::Box {
            box_args,
            backfill_from,
            backfill_to,
        } => {
            let config = box_args.config()?.context(
                "set UPTAKE_BOX_CLIENT_ID (and the enterprise id and secret) to sync Box",
            )?;
            let range = match (backfill_from, backfill_to) {
                (Some(from), Some(to)) => BoxRange::Backfill {
                    after: start_of(from, zone)?,
                    before: start_of(to + Days::new(1), zone)?,
                },
                _ => BoxRange::Stream,
            };
            let report = scheduler::exclusive(store, scheduler::BOX_JOB, || {
                box_sync::sync(store, &config, zone, range)
            })
            .await?;
            println!(
                "Box: {} events in {} pages ({} seen before, {} rejected, {} outside the days taken), {} person-days of activity written",
                report.events,
                report.pages,
                report.repeats,
                report.rejected,
                report.outside_window,
                report.activity_rows
            );
        }
    }
    Ok(())
}

/// The first instant of a calendar day in `zone`.
fn start_of(day: NaiveDate, zone: Tz) -> Result<chrono::DateTime<Utc>> {
    day.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(zone).earliest())
        .map(|t| t.with_timezone(&Utc))
        .with_context(|| format!("{day} has no midnight in {zone}"))
}
