//! The `uptake` command line: its arguments and the dispatcher. The
//! admin commands, the syncs and `serve` are in their own modules; the
//! connectors' arguments live beside their connectors.

mod admin;
mod export;
mod serve;
mod sync;

pub use admin::{Allowed, GroupCommand, TokenCommand, ToolCommand, UserCommand};
pub use export::ExportCommand;
pub use serve::ServeArgs;
pub use sync::SyncSource;

use std::path::PathBuf;

use anyhow::{Context, Result};
use app::api::ssr::Actor;
use chrono::{Days, NaiveDate, Utc};
use chrono_tz::Tz;
use clap::{Parser, Subcommand};
use store::Store;

#[cfg(feature = "bench")]
use crate::{bench, bench_ingest};
use crate::{demo, import};

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
    /// The zone calendar days are counted in (Box event times convert to
    /// it).
    #[arg(
        long,
        env = "UPTAKE_TIME_ZONE",
        default_value = "Europe/London",
        global = true
    )]
    pub time_zone: Tz,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app and API.
    Serve(Box<ServeArgs>),
    /// Pull telemetry from a vendor API now.
    Sync {
        #[command(subcommand)]
        source: SyncSource,
    },
    /// How telemetry names are matched to staff: external domains (counted
    /// as external, not unmatched), service accounts, and domain aliases
    /// (old=new). Prints the settings; changes only those given.
    Identity {
        /// Comma-separated domains, e.g. cps.gov.uk.
        #[arg(long)]
        external_domains: Option<String>,
        /// Comma-separated sign-in names.
        #[arg(long)]
        service_accounts: Option<String>,
        /// Comma-separated old=new domain pairs.
        #[arg(long)]
        domain_aliases: Option<String>,
    },
    /// Tools that activity can be pushed or imported for.
    Tool {
        #[command(subcommand)]
        command: ToolCommand,
    },
    #[cfg(feature = "bench")]
    /// Measure the performance budget against the demo force: Uptake over
    /// HTTP, signed in, beside raw SQL baselines in the same run.
    Bench {
        /// Timed requests per endpoint.
        #[arg(long, default_value_t = 50)]
        requests: usize,
        /// Timed runs of each raw SQL baseline (the slow series runs once).
        #[arg(long, default_value_t = 5)]
        baseline_runs: usize,
        /// Connections for the load test.
        #[arg(long, default_value_t = 64)]
        connections: usize,
        /// Seconds the load test runs.
        #[arg(long, default_value_t = 10)]
        load_seconds: u64,
        /// Only the board's exports: the pack, the workbook, the largest CSV.
        #[arg(long)]
        exports_only: bool,
    },
    #[cfg(feature = "bench")]
    /// Measure ingestion speed on an empty database: a 50,000-user Graph
    /// report day and Box events, beside parsing alone.
    BenchIngest {
        #[arg(long, default_value_t = 50_000)]
        staff: usize,
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Box events per run.
        #[arg(long, default_value_t = 500_000)]
        events: usize,
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
    /// Import a file: the org tree, the roster, generic activity, a Graph
    /// report day, or a Box events export.
    Import {
        /// activity, box-json, box-csv, teams, onedrive, sharepoint,
        /// exchange, m365-licences, roster or units.
        #[arg(value_parser = import_kind)]
        kind: import::Kind,
        file: PathBuf,
        /// The day the roster or unit changes take effect (default: today).
        #[arg(long)]
        effective: Option<NaiveDate>,
        /// The day a Graph report file is for (its `date=`).
        #[arg(long)]
        day: Option<NaiveDate>,
    },
    /// Manage rollout waves.
    Wave {
        #[command(subcommand)]
        command: WaveCommand,
    },
    /// Map Entra ID groups to roles and scopes.
    Group {
        #[command(subcommand)]
        command: GroupCommand,
    },
    /// Bearer tokens for the push API.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Exports for the board: the board pack, the workbook, or a table as
    /// CSV, for the force or a unit.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
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
        Command::Serve(args) => serve::run(store, *args, cli.time_zone).await,
        Command::Identity {
            external_domains,
            service_accounts,
            domain_aliases,
        } => {
            admin::identity(
                &store,
                [
                    ("identity.external_domains", external_domains),
                    ("identity.service_accounts", service_accounts),
                    ("identity.domain_aliases", domain_aliases),
                ],
            )
            .await
        }
        Command::Sync { source } => sync::run(&store, source, cli.time_zone).await,
        Command::Tool { command } => admin::tool(&store, command).await,
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
            let end = end.unwrap_or_else(|| {
                Utc::now().with_timezone(&cli.time_zone).date_naive() - Days::new(1)
            });
            let report = demo::generate(
                &store,
                &demo::DemoOptions {
                    staff,
                    seed,
                    end,
                    specialist_units: true,
                },
            )
            .await?;
            let credentials = std::path::Path::new(demo::CREDENTIALS_FILE);
            demo::write_credentials(credentials, &report.accounts)?;
            println!(
                "demo accounts: {} (one-time passwords in {}, readable by you only)",
                report
                    .accounts
                    .iter()
                    .map(|a| a.username.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                credentials.display()
            );
            println!(
                "demo force: {staff} staff, {} activity rows ({} unmatched); generated in {:.1} s, rollups built in {:.1} s, {} days' publication decided in {:.1} s",
                report.activity_rows,
                report.unmatched_rows,
                report.generate_secs,
                report.rollup_secs,
                report.published_days,
                report.publication_secs
            );
            Ok(())
        }
        Command::Import {
            kind,
            file,
            effective,
            day,
        } => {
            let options = import::ImportOptions {
                effective: effective
                    .unwrap_or_else(|| Utc::now().with_timezone(&cli.time_zone).date_naive()),
                day,
                zone: cli.time_zone,
            };
            let report =
                import::import_file(&store, kind, &file, options, &Actor::local("cli")).await?;
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
            let form = app::api::ssr::waves::WaveForm {
                name: &name,
                product: &product,
                go_live,
                target,
                target_date,
                unit_codes: &units,
            };
            let id =
                app::api::ssr::waves::create(&store, &app::api::ssr::Actor::local("cli"), &form)
                    .await?;
            store.rebuild_rollups().await?;
            println!("wave {id} added");
            Ok(())
        }
        Command::User { command } => admin::user(&store, command).await,
        Command::Group { command } => admin::group(&store, command).await,
        Command::Token { command } => admin::token(&store, command).await,
        #[cfg(feature = "bench")]
        Command::Bench {
            requests,
            baseline_runs,
            connections,
            load_seconds,
            exports_only,
        } => {
            let options = bench::BenchOptions {
                requests,
                baseline_runs,
                connections,
                load_seconds,
                exports_only,
            };
            print!("{}", bench::run(&store, &options).await?);
            Ok(())
        }
        #[cfg(feature = "bench")]
        Command::BenchIngest {
            staff,
            runs,
            events,
        } => {
            let options = bench_ingest::IngestBenchOptions {
                staff,
                runs: runs.max(1),
                events,
            };
            print!("{}", bench_ingest::run(&store, &options).await?);
            Ok(())
        }
        Command::Export { command } => export::run(&store, cli.time_zone, command).await,
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

/// An import kind by the name `domain::formats::ImportKind` gives it.
fn import_kind(key: &str) -> Result<import::Kind, String> {
    import::Kind::parse(key).ok_or_else(|| {
        let keys: Vec<&str> = import::Kind::ALL.iter().map(|k| k.key()).collect();
        format!(
            "'{key}' is not a kind of import; use one of {}",
            keys.join(", ")
        )
    })
}
