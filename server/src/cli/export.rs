//! `uptake export`: the board's exports from the command line, read as a
//! rollout manager reads them (every unit but restricted ones, no
//! person-level lists), written to a file, and audited as the command
//! line's.

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use app::api::ssr::Actor;
use chrono::NaiveDate;
use chrono_tz::Tz;
use clap::Subcommand;
use domain::{
    access::{AuditAction, Viewer},
    export::file_name,
};
use store::Store;

use crate::exports::{CSV_TABLES, ExportQuery, Scope, pack};

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// The board pack (PDF), published: stored read-only with its figures,
    /// so that the next pack of the scope says what changed since.
    BoardPack {
        #[command(flatten)]
        of: Of,
    },
    /// The workbook (XLSX): a sheet per table, and the definitions.
    Xlsx {
        #[command(flatten)]
        of: Of,
    },
    /// One table as CSV (headline, units, trend, unit-tree, bands,
    /// band-trend, usage, cohorts, waves, wave-units).
    Csv {
        table: String,
        /// `product:N`, `tool:N` or `all` (default: the first product).
        #[arg(long)]
        subject: Option<String>,
        #[command(flatten)]
        of: Of,
    },
}

/// What an export covers and where it goes.
#[derive(Debug, clap::Args)]
pub struct Of {
    /// A unit code (default: the force).
    #[arg(long)]
    unit: Option<String>,
    /// The as-of day (default: the last day every source has complete).
    #[arg(long)]
    as_of: Option<NaiveDate>,
    #[arg(long)]
    out: PathBuf,
}

const BY: &str = "cli";

pub async fn run(store: &Store, zone: Tz, command: ExportCommand) -> Result<()> {
    let viewer = Viewer::service(BY);
    let of = match &command {
        ExportCommand::BoardPack { of }
        | ExportCommand::Xlsx { of }
        | ExportCommand::Csv { of, .. } => of,
    };
    let fail = |e: app::api::ssr::AppError| anyhow!("{e}");
    let scope = Scope::read(store, &viewer, of.unit.as_deref(), of.as_of)
        .await
        .map_err(fail)?;
    let actor = Actor::local(BY);
    let (body, name, note) = match &command {
        ExportCommand::BoardPack { .. } => {
            let name = file_name("board-pack", &scope.code, scope.as_of, "pdf");
            let detail = format!("PDF {name}");
            let audit = actor.entry(AuditAction::Exported, &detail);
            let today = chrono::Utc::now().with_timezone(&zone).date_naive();
            let made = pack::make(&scope, &audit, today, zone, true)
                .await
                .map_err(fail)?;
            let note = match made.again {
                true => format!("the same as published pack {}", made.id),
                false => format!("published as pack {}", made.id),
            };
            (made.pdf, name, note)
        }
        ExportCommand::Xlsx { .. } => {
            let made = domain::display::moment(&chrono::Utc::now().with_timezone(&zone));
            let body = scope.workbook(&made, BY).await.map_err(fail)?;
            let name = file_name("workbook", &scope.code, scope.as_of, "xlsx");
            actor
                .audit(store, AuditAction::Exported, &format!("XLSX {name}"))
                .await?;
            (body, name, String::new())
        }
        ExportCommand::Csv { table, subject, .. } => {
            if !CSV_TABLES.contains(&table.as_str()) || table == "people" {
                return Err(anyhow!(
                    "there is no table '{table}' to export here (person-level lists only through the app, with the permission); choose one of {}",
                    CSV_TABLES
                        .iter()
                        .filter(|t| **t != "people")
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            let query = ExportQuery {
                subject: subject.clone(),
                ..ExportQuery::default()
            };
            let body = scope.table(table, &query).await.map_err(fail)?.csv()?;
            let name = file_name(table, &scope.code, scope.as_of, "csv");
            actor
                .audit(store, AuditAction::Exported, &format!("CSV {name}"))
                .await?;
            (body, name, String::new())
        }
    };
    std::fs::write(&of.out, &body).with_context(|| format!("writing {}", of.out.display()))?;
    println!(
        "wrote {} ({name}, {} bytes){}",
        of.out.display(),
        body.len(),
        if note.is_empty() {
            String::new()
        } else {
            format!(": {note}")
        }
    );
    Ok(())
}
