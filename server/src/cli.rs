//! The `uptake` command line.

use std::{net::SocketAddr, path::PathBuf};

use anyhow::{Context, Result};
use app::AppState;
use chrono::{Days, NaiveDate, Utc};
use clap::{Parser, Subcommand};
use leptos::prelude::LeptosOptions;
use store::Store;

use crate::{demo, import, routes};

#[derive(Debug, Parser)]
#[command(
    name = "uptake",
    about = "Tracks how an organisation takes up new collaboration tools"
)]
pub struct Cli {
    /// sqlite://path or postgres://…
    #[arg(
        long,
        env = "UPTAKE_DATABASE_URL",
        default_value = "sqlite://data/uptake.db",
        global = true
    )]
    pub database_url: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app and API.
    Serve {
        #[arg(long, env = "UPTAKE_LISTEN", default_value = "127.0.0.1:3000")]
        listen: SocketAddr,
        /// The folder cargo-leptos built the site into.
        #[arg(long, env = "UPTAKE_SITE_ROOT", default_value = "target/site")]
        site_root: PathBuf,
    },
    /// Generate the demo force into an empty database.
    Demo {
        #[arg(long, env = "UPTAKE_DEMO_STAFF", default_value_t = 50_000)]
        staff: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// The last day of activity (default: yesterday).
        #[arg(long)]
        end: Option<NaiveDate>,
        /// Do nothing if the database already has staff.
        #[arg(long)]
        if_empty: bool,
    },
    /// Import a file: units, roster or activity.
    Import {
        #[arg(value_enum)]
        kind: import::Kind,
        file: PathBuf,
        /// The day the roster or unit changes take effect (default: today).
        #[arg(long)]
        effective: Option<NaiveDate>,
    },
    /// Manage rollout waves.
    Wave {
        #[command(subcommand)]
        command: WaveCommand,
    },
    /// Rebuild every rollup cell from activity.
    Rebuild,
    /// Print a hash over every row of every table.
    Hash,
}

#[derive(Debug, Subcommand)]
pub enum WaveCommand {
    Add {
        #[arg(long)]
        name: String,
        /// The product it rolls out, by name.
        #[arg(long)]
        product: String,
        #[arg(long)]
        go_live: NaiveDate,
        /// The target adoption rate, 0 to 1.
        #[arg(long, default_value_t = 0.8)]
        target: f64,
        #[arg(long)]
        target_date: NaiveDate,
        /// Member unit codes, comma-separated.
        #[arg(long, value_delimiter = ',')]
        units: Vec<String>,
    },
}

pub async fn run(cli: Cli) -> Result<()> {
    let store = Store::connect(&cli.database_url)
        .await
        .with_context(|| format!("opening the database at {}", cli.database_url))?;
    store.ensure_standard_catalog().await?;
    match cli.command {
        Command::Serve { listen, site_root } => serve(store, listen, site_root).await,
        Command::Demo {
            staff,
            seed,
            end,
            if_empty,
        } => {
            if store.staff_count().await? > 0 {
                if if_empty {
                    tracing::info!("the database already has staff; leaving it as it is");
                    return Ok(());
                }
                anyhow::bail!(
                    "the database already has staff; the demo only fills an empty database (use --if-empty to skip)"
                );
            }
            let end = end.unwrap_or_else(|| Utc::now().date_naive() - Days::new(1));
            let report = demo::generate(&store, &demo::DemoOptions { staff, seed, end }).await?;
            println!(
                "demo force: {staff} staff, {} activity rows ({} unmatched); generated in {:.1} s, rollups built in {:.1} s",
                report.activity_rows,
                report.unmatched_rows,
                report.generate_secs,
                report.rollup_secs
            );
            Ok(())
        }
        Command::Import {
            kind,
            file,
            effective,
        } => {
            let effective = effective.unwrap_or_else(|| Utc::now().date_naive());
            let report = import::import_file(&store, kind, &file, effective).await?;
            println!("{report}");
            Ok(())
        }
        Command::Wave {
            command:
                WaveCommand::Add {
                    name,
                    product,
                    go_live,
                    target,
                    target_date,
                    units,
                },
        } => {
            let id = import::add_wave(
                &store,
                &name,
                &product,
                go_live,
                target,
                target_date,
                &units,
            )
            .await?;
            store.rebuild_rollups().await?;
            println!("wave {id} added");
            Ok(())
        }
        Command::Rebuild => {
            let stats = store.rebuild_rollups().await?;
            println!(
                "rebuilt {} rollup blocks from {} activity rows",
                stats.blocks, stats.activity_rows
            );
            Ok(())
        }
        Command::Hash => {
            println!("{}", store.content_hash().await?);
            Ok(())
        }
    }
}

async fn serve(store: Store, listen: SocketAddr, site_root: PathBuf) -> Result<()> {
    let leptos_options = LeptosOptions::builder()
        .output_name("uptake")
        .site_root(site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(listen)
        .build();
    let state = AppState {
        store,
        leptos_options,
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    tracing::info!("Uptake is serving on http://{listen}");
    axum::serve(listener, routes::router(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("serving")
}
