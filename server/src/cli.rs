//! The `uptake` command line.

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use anyhow::{Context, Result};
use app::{
    AppState,
    api::ssr::{
        Actor,
        accounts::{self, AddAccount, Credential},
    },
};
use chrono::{Days, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use clap::{Parser, Subcommand};
use domain::catalog::Source;
use leptos::prelude::LeptosOptions;
use store::Store;

use domain::access::{GroupMapping, Role, SessionPolicy, SignInLimit};

use crate::{
    auth::{self, AuthConfig},
    bench, bench_ingest,
    connectors::{
        Credentials, RetryPolicy,
        box_sync::{self, BoxConfig, BoxRange},
        graph_sync::{self, GraphConfig},
    },
    demo, import,
    oidc::{Oidc, OidcConfig, Secret},
    routes,
    scheduler::{self, Schedule},
    users,
};

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
                client_secret: secret_from_env("UPTAKE_GRAPH_CLIENT_SECRET")?,
                extra: vec![("scope".to_owned(), format!("{api_base}/.default"))],
            },
            api_base,
            repull_days: self.graph_repull_days,
            retry: RetryPolicy::default(),
        }))
    }
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
                client_secret: secret_from_env("UPTAKE_BOX_CLIENT_SECRET")?,
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
    },
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
    /// Rebuild every rollup cell from activity.
    Rebuild,
    /// Print a hash over every row of every table.
    Hash,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[arg(long, env = "UPTAKE_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// The folder cargo-leptos built the site into.
    #[arg(long, env = "UPTAKE_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,
    /// Mark session cookies Secure (set this behind HTTPS; a proxy's
    /// X-Forwarded-Proto: https does the same per request).
    #[arg(long, env = "UPTAKE_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// A session ends after this many idle minutes.
    #[arg(long, env = "UPTAKE_SESSION_IDLE_MINUTES", default_value_t = 60)]
    pub session_idle_minutes: i64,
    /// A session ends this many hours after sign-in, however busy.
    #[arg(long, env = "UPTAKE_SESSION_MAX_HOURS", default_value_t = 12)]
    pub session_max_hours: i64,
    /// The address people reach Uptake at; Entra ID sends them back to
    /// <public-url>/auth/oidc/callback.
    #[arg(
        long,
        env = "UPTAKE_PUBLIC_URL",
        default_value = "http://127.0.0.1:3000"
    )]
    pub public_url: String,
    /// Entra ID issuer, e.g. https://login.microsoftonline.com/<tenant>/v2.0.
    /// The client secret comes from UPTAKE_OIDC_CLIENT_SECRET or the file
    /// named by UPTAKE_OIDC_CLIENT_SECRET_FILE, never from a flag.
    #[arg(long, env = "UPTAKE_OIDC_ISSUER", requires = "oidc_client_id")]
    pub oidc_issuer: Option<String>,
    #[arg(long, env = "UPTAKE_OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,
    /// Minutes between scheduled syncs of each configured connector
    /// (0: no schedule). With several servers on one database, one at
    /// a time runs each sync.
    #[arg(long, env = "UPTAKE_SYNC_EVERY_MINUTES", default_value_t = 60)]
    pub sync_every_minutes: u64,
    #[command(flatten)]
    pub graph: GraphArgs,
    #[command(flatten)]
    pub box_args: BoxArgs,
}

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

#[derive(Debug, Subcommand)]
pub enum ToolCommand {
    /// Register a tool whose activity arrives by push or generic import.
    Add { name: String },
    /// List tools and where their activity comes from.
    List,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token that may write the given tools. It is printed once;
    /// only its hash is kept.
    Create {
        #[arg(long)]
        name: String,
        /// Tool names, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        tools: Vec<String>,
    },
    /// List tokens (never the tokens themselves).
    List,
    /// Revoke a token by id.
    Revoke { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Map a group (by its object id) to a role and scope. People in it
    /// get an account at first sign-in; a mapping with no scope denies.
    Map {
        group: String,
        #[arg(long)]
        role: String,
        #[arg(long, value_delimiter = ',')]
        scope: Vec<String>,
        #[arg(long)]
        person_lists: bool,
    },
    /// List group mappings.
    List,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. Prints a one-time password unless
    /// --password-stdin is given.
    Add {
        /// The sign-in name (UPN or email).
        username: String,
        /// admin, rollout_manager, unit_commander or viewer.
        #[arg(long)]
        role: String,
        #[arg(long)]
        display_name: Option<String>,
        /// Unit codes of the subtrees the account may see, comma-separated.
        #[arg(long, value_delimiter = ',')]
        scope: Vec<String>,
        /// Allow person-level lists ("who has not started") in scope.
        #[arg(long)]
        person_lists: bool,
        /// Read the password from the first line of stdin.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts.
    List,
    /// Disable an account and end its sessions.
    Disable { username: String },
    /// Change an account's role.
    SetRole { username: String, role: String },
    /// Allow (`allow`) or withdraw (`deny`) person-level lists.
    PersonLists { username: String, allowed: Allowed },
}

/// A permission given or withdrawn.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Allowed {
    Allow,
    Deny,
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
        Command::Serve(args) => {
            let ServeArgs {
                listen,
                site_root,
                secure_cookies,
                session_idle_minutes,
                session_max_hours,
                public_url,
                oidc_issuer,
                oidc_client_id,
                sync_every_minutes,
                graph,
                box_args,
            } = *args;
            let oidc = match (oidc_issuer, oidc_client_id) {
                (Some(issuer), Some(client_id)) => Some(Arc::new(Oidc::new(OidcConfig {
                    issuer,
                    client_id,
                    client_secret: secret_from_env("UPTAKE_OIDC_CLIENT_SECRET")?,
                    redirect_uri: format!(
                        "{}/auth/oidc/callback",
                        public_url.trim_end_matches('/')
                    ),
                })?)),
                _ => None,
            };
            let auth = AuthConfig {
                session: SessionPolicy {
                    idle: Duration::minutes(session_idle_minutes),
                    absolute: Duration::hours(session_max_hours),
                    ..SessionPolicy::default()
                },
                sign_in: SignInLimit::default(),
                secure_cookies: secure_cookies || public_url.starts_with("https://"),
                oidc,
            };
            let schedule = Schedule {
                every: std::time::Duration::from_secs(sync_every_minutes * 60),
                graph: graph.config()?,
                box_events: box_args.config()?,
            };
            if sync_every_minutes > 0 {
                scheduler::start(store.clone(), schedule, cli.time_zone);
            }
            serve(store, listen, site_root, auth, cli.time_zone).await
        }
        Command::Sync { source } => sync(&store, source, cli.time_zone).await,
        Command::Tool { command } => tool(&store, command).await,
        Command::Identity {
            external_domains,
            service_accounts,
            domain_aliases,
        } => {
            // A bad alias is refused before anything is stored.
            if let Some(aliases) = &domain_aliases {
                domain::activity::domain_aliases(aliases).map_err(anyhow::Error::msg)?;
            }
            let changes = [
                ("identity.external_domains", external_domains),
                ("identity.service_accounts", service_accounts),
                ("identity.domain_aliases", domain_aliases),
            ];
            let changed = changes.iter().any(|(_, v)| v.is_some());
            for (key, value) in &changes {
                if let Some(value) = value {
                    store.set_setting(key, value).await?;
                    Actor::local("cli")
                        .audit(&store, "setting_changed", &format!("{key} = {value}"))
                        .await?;
                }
                println!("{key} = {}", store.setting(key).await?.unwrap_or_default());
            }
            if changed {
                let attached = store
                    .attach_unmatched(&store.identity_resolver().await?)
                    .await?;
                if attached > 0 {
                    store.rebuild_rollups().await?;
                }
                println!(
                    "{attached} names seen before now match staff; their activity is attached"
                );
            }
            Ok(())
        }
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
            day,
        } => {
            let options = import::ImportOptions {
                effective: effective.unwrap_or_else(|| Utc::now().date_naive()),
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
        Command::User { command } => user(&store, command).await,
        Command::Group { command } => group(&store, command).await,
        Command::Token { command } => token(&store, command).await,
        Command::Bench {
            requests,
            baseline_runs,
            connections,
            load_seconds,
        } => {
            let options = bench::BenchOptions {
                requests,
                baseline_runs,
                connections,
                load_seconds,
            };
            print!("{}", bench::run(&store, &options).await?);
            Ok(())
        }
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

async fn user(store: &Store, command: UserCommand) -> Result<()> {
    match command {
        UserCommand::Add {
            username,
            role,
            display_name,
            scope,
            person_lists,
            password_stdin,
        } => {
            let credential = match password_stdin {
                true => Credential::Chosen(users::password_from_stdin()?),
                false => Credential::Generated,
            };
            let added = accounts::add(
                store,
                &Actor::local("cli"),
                AddAccount {
                    username: &username,
                    display_name: display_name.as_deref(),
                    role: Role::parse(&role)?,
                    scope: &scope,
                    person_lists,
                    credential,
                    is_demo: false,
                },
            )
            .await?;
            match added.password {
                Some(p) => println!("created {username}; one-time password: {p}"),
                None => println!("created {username}"),
            }
        }
        UserCommand::List => print!("{}", users::list(store).await?),
        UserCommand::Disable { username } => {
            accounts::disable(store, &Actor::local("cli"), &username).await?;
            println!("disabled {username}");
        }
        UserCommand::SetRole { username, role } => {
            accounts::set_role(store, &Actor::local("cli"), &username, Role::parse(&role)?).await?;
            println!("{username} is now {role}");
        }
        UserCommand::PersonLists { username, allowed } => {
            let allowed = matches!(allowed, Allowed::Allow);
            let done =
                accounts::set_person_lists(store, &Actor::local("cli"), &username, allowed).await?;
            println!("{done}");
        }
    }
    Ok(())
}

async fn group(store: &Store, command: GroupCommand) -> Result<()> {
    match command {
        GroupCommand::Map {
            group,
            role,
            scope,
            person_lists,
        } => {
            let mapping = GroupMapping {
                group: group.clone(),
                role: Role::parse(&role)?,
                person_lists,
                scope,
            };
            store.set_group_mapping(&mapping).await?;
            let detail = format!(
                "group {group} maps to {} with scope [{}]",
                mapping.role.key(),
                mapping.scope.join(" ")
            );
            Actor::local("cli")
                .audit(store, "group_mapped", &detail)
                .await?;
            if mapping.scope.is_empty() {
                println!("{detail}; with no scope it denies access");
            } else {
                println!("{detail}");
            }
        }
        GroupCommand::List => {
            for m in store.group_mappings(None).await? {
                println!("{:<40} {:<16} {}", m.group, m.role.key(), m.scope.join(","));
            }
        }
    }
    Ok(())
}

async fn token(store: &Store, command: TokenCommand) -> Result<()> {
    let cli = Actor::local("cli");
    match command {
        TokenCommand::Create { name, tools } => {
            let token = format!("upt_{}", auth::random_token()?);
            let id = store
                .create_api_token(&name, &auth::token_hash(&token), &tools)
                .await?;
            cli.audit(
                store,
                "token_created",
                &format!("token {id} '{name}' for {}", tools.join(",")),
            )
            .await?;
            println!(
                "token {id} '{name}' may write {}; it is shown only now:\n{token}",
                tools.join(", ")
            );
        }
        TokenCommand::List => {
            for t in store.api_tokens().await? {
                let state = if t.revoked { "revoked" } else { "live" };
                println!(
                    "{:>4} {:<24} {:<8} {}",
                    t.id,
                    t.name,
                    state,
                    t.tools.join(",")
                );
            }
        }
        TokenCommand::Revoke { id } => {
            store.revoke_api_token(id).await?;
            cli.audit(store, "token_revoked", &format!("token {id}"))
                .await?;
            println!("revoked token {id}");
        }
    }
    Ok(())
}

async fn sync(store: &Store, source: SyncSource, zone: Tz) -> Result<()> {
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

async fn tool(store: &Store, command: ToolCommand) -> Result<()> {
    match command {
        ToolCommand::Add { name } => {
            let name = domain::catalog::tool_name(&name).map_err(anyhow::Error::msg)?;
            if let Some(existing) = store.catalog().await?.tool_by_name(name) {
                anyhow::bail!("tool '{}' is already registered", existing.name);
            }
            let id = store.register_tool(name, Source::Push).await?;
            Actor::local("cli")
                .audit(store, "tool_added", &format!("tool {} '{name}'", id.0))
                .await?;
            store.rebuild_rollups().await?;
            println!(
                "tool '{name}' registered; push its activity with a token from `uptake token create --tools {name}`"
            );
        }
        ToolCommand::List => {
            let sources: std::collections::BTreeMap<_, _> =
                store.tool_sources().await?.into_iter().collect();
            for t in store.catalog().await?.tools() {
                let source = sources.get(&t.id).map_or("push", |s| s.key());
                println!("{:<16} {source}", t.name);
            }
        }
    }
    Ok(())
}

/// A secret from `NAME`, or from the file named by `NAME_FILE`.
fn secret_from_env(name: &str) -> Result<Secret> {
    if let Ok(value) = std::env::var(name) {
        return Ok(Secret(value));
    }
    let file = std::env::var(format!("{name}_FILE"))
        .with_context(|| format!("set {name} or {name}_FILE"))?;
    let value = std::fs::read_to_string(&file).with_context(|| format!("reading {file}"))?;
    Ok(Secret(value.trim().to_owned()))
}

async fn serve(
    store: Store,
    listen: SocketAddr,
    site_root: PathBuf,
    auth: AuthConfig,
    zone: Tz,
) -> Result<()> {
    if store.demo_accounts_exist().await? {
        tracing::warn!(
            "demo accounts are enabled (passwords in {}); disable them with `uptake user disable` before real use",
            demo::CREDENTIALS_FILE
        );
    }
    let leptos_options = LeptosOptions::builder()
        .output_name("uptake")
        .site_root(site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(listen)
        .build();
    let state = AppState {
        store,
        leptos_options,
        zone,
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    tracing::info!("Uptake is serving on http://{listen}");
    axum::serve(
        listener,
        routes::router(state, auth).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("serving")
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
