//! `uptake serve`: its settings, the optional Entra ID sign-in and sync
//! schedule, and the listener.

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use anyhow::{Context, Result};
use app::AppState;
use chrono::Duration;
use chrono_tz::Tz;
use domain::access::{SessionPolicy, SignInLimit};
use store::Store;

use crate::{
    auth::AuthConfig,
    connectors::{box_sync::BoxArgs, graph_sync::GraphArgs},
    demo,
    exports::pack::Monthly,
    oidc::{Oidc, OidcConfig, Secret},
    routes,
    scheduler::{self, Schedule},
};

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
    /// Where `serve` writes the monthly board packs it publishes (none:
    /// no monthly packs).
    #[arg(long, env = "UPTAKE_BOARD_PACK_DIR")]
    pub board_pack_dir: Option<PathBuf>,
    /// The day of the month the packs are due, 1 to 28; published after
    /// that day's syncs.
    #[arg(long, env = "UPTAKE_BOARD_PACK_DAY", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=28))]
    pub board_pack_day: u32,
    /// Commands with a monthly pack of their own beside the force's,
    /// comma-separated codes.
    #[arg(long, env = "UPTAKE_BOARD_PACK_UNITS", value_delimiter = ',')]
    pub board_pack_units: Vec<String>,
}

/// Starts the schedule (when set) and serves until interrupted.
pub async fn run(store: Store, args: ServeArgs, zone: Tz) -> Result<()> {
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
        board_pack_dir,
        board_pack_day,
        board_pack_units,
    } = args;
    let oidc = match (oidc_issuer, oidc_client_id) {
        (Some(issuer), Some(client_id)) => Some(Arc::new(Oidc::new(OidcConfig {
            issuer,
            client_id,
            client_secret: Secret::from_env("UPTAKE_OIDC_CLIENT_SECRET")?,
            redirect_uri: format!("{}/auth/oidc/callback", public_url.trim_end_matches('/')),
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
    // No sync schedule leaves the monthly packs on their own clock.
    let syncs = sync_every_minutes > 0;
    let schedule = Schedule {
        every: std::time::Duration::from_secs(sync_every_minutes * 60),
        graph: graph.config()?.filter(|_| syncs),
        box_events: box_args.config()?.filter(|_| syncs),
        board_packs: board_pack_dir.map(|dir| Monthly {
            dir,
            day: board_pack_day,
            units: board_pack_units,
        }),
    };
    scheduler::start(store.clone(), schedule, zone);
    scheduler::start_publication(store.clone());
    serve(store, listen, site_root, auth, zone).await
}

async fn serve(
    store: Store,
    listen: SocketAddr,
    site_root: PathBuf,
    auth: AuthConfig,
    zone: Tz,
) -> Result<()> {
    crate::precompress::start(site_root.clone());
    if store.demo_accounts_exist().await? {
        tracing::warn!(
            "demo accounts are enabled (passwords in {}); disable them with `uptake user disable` before real use",
            demo::CREDENTIALS_FILE
        );
    }
    let leptos_options = crate::state::leptos_options(&site_root.to_string_lossy(), listen);
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
