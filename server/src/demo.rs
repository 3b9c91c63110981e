//! `uptake demo`: a deterministic, realistic force, written through the same
//! store paths as real ingestion (roster imports, activity ingest, waves).
//!
//! The model: each command has an age pattern (older or younger staff lead,
//! or neither). Each person has a propensity per product, an adoption day
//! after their unit's go-live, per-tool habits and a small chance to lapse.
//! One borough command unit stalls: nobody there starts in the last 75 days.

mod model;

use std::time::Instant;

use anyhow::{Context, Result};
use chrono::{Days, NaiveDate};
use domain::{
    access::{AuditAction, Role},
    activity::{ActivityRecord, WriteMode, resolve_batch},
    catalog::{Source, ToolId},
    day::last_of_month,
    licence::LicenceBatch,
    wave::TargetMetric,
};
use store::{NewWave, Store};

use app::api::ssr::{
    Actor,
    accounts::{self, AddAccount, Credential},
    waves,
};

pub use model::Force;

use crate::progress_bar::Progress;

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub staff: usize,
    pub seed: u64,
    /// The last day of generated activity.
    pub end: NaiveDate,
    /// A specialist unit of about 4 to 15 staff in each borough command
    /// unit, too small to publish, as in a real force.
    pub specialist_units: bool,
}

/// What the demo wrote.
#[derive(Debug, Clone)]
pub struct DemoReport {
    pub activity_rows: u64,
    pub unmatched_rows: u64,
    pub generate_secs: f64,
    pub rollup_secs: f64,
    /// Days whose publication was decided, and how long it took.
    pub published_days: usize,
    pub publication_secs: f64,
    /// The demo accounts with their one-time passwords.
    pub accounts: Vec<DemoAccount>,
}

/// Where `uptake demo` writes the demo accounts' one-time passwords.
pub const CREDENTIALS_FILE: &str = "data/demo-credentials.txt";

#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub username: String,
    pub role: Role,
    pub scope: Vec<String>,
    pub password: String,
}

pub async fn generate(store: &Store, options: &DemoOptions) -> Result<DemoReport> {
    let started = Instant::now();
    let force = Force::new(options);
    let start = force.start;
    tracing::info!(staff = options.staff, teams = force.teams(), commands = force.commands(), %start, end = %options.end, "generating the demo force");

    let standard = store.ensure_standard_catalog().await?;
    store
        .set_setting("identity.external_domains", model::EXTERNAL_DOMAIN)
        .await?;
    store
        .set_setting(
            "identity.domain_aliases",
            &format!("{}={}", model::LEGACY_DOMAIN, model::DOMAIN),
        )
        .await?;

    store
        .apply_units(&force.unit_rows(), start - Days::new(365))
        .await
        .context("writing the unit tree")?;
    let months: Vec<NaiveDate> = force.roster_months();
    for month in &months {
        store
            .apply_roster(&force.roster_at(*month), *month)
            .await
            .context("writing the roster")?;
    }
    let units = store.units().await?;
    for wave in force.waves() {
        let product = if wave.box_product {
            standard.box_product
        } else {
            standard.m365_product
        };
        let ids = wave
            .command_codes
            .iter()
            .filter_map(|c| units.iter().find(|u| &u.code == c).map(|u| u.id))
            .collect::<Vec<_>>();
        // A small force may leave a wave without a command.
        if ids.is_empty() {
            continue;
        }
        let detail = format!("demo wave '{}'", wave.name);
        store
            .create_wave(
                &NewWave {
                    name: wave.name.clone(),
                    product,
                    go_live: wave.go_live,
                    target_metric: TargetMetric::AdoptionRate,
                    target_value: wave.target,
                    target_date: wave.target_date,
                    units: ids,
                },
                &Actor::local("demo").entry(AuditAction::WaveCreated, &detail),
            )
            .await?;
    }

    // Tool index 0 is Box; 1..=4 follow M365_TOOLS.
    let tool_ids: Vec<_> = std::iter::once(standard.box_tool)
        .chain(standard.m365_tools.iter().copied())
        .collect();
    let resolver = store.identity_resolver().await?;
    let days = (options.end - start).num_days() as u64 + 1;
    let bar = Progress::items("generating demo days", days);
    let mut activity_rows = 0;
    let mut unmatched_rows = 0;
    let mut day = start;
    while day <= options.end {
        let month_end = last_of_month(day).min(options.end);
        let mut m365_records = Vec::new();
        let mut box_records = Vec::new();
        while day <= month_end {
            force.day_activity(day, |tool, user, actions| {
                let record = ActivityRecord {
                    tool: tool_ids[tool],
                    user,
                    day,
                    actions,
                };
                if tool == 0 {
                    box_records.push(record);
                } else if day <= force.m365_complete_through() {
                    m365_records.push(record);
                }
            });
            day = day + Days::new(1);
            bar.inc(1);
        }
        for (source, records) in [(Source::M365, &m365_records), (Source::Box, &box_records)] {
            let batch = resolve_batch(&resolver, records, WriteMode::Replace);
            let summary = store.ingest(source, WriteMode::Replace, &batch).await?;
            activity_rows += summary.rows;
            unmatched_rows += summary.unmatched;
        }
        bar.set_message(&format!("{activity_rows} rows through {month_end}"));
    }
    bar.finish();
    let licence_day = force.m365_complete_through();
    // The standard catalog's Microsoft 365 tools follow `Report::ALL`.
    let tools: [ToolId; 4] = standard.m365_tools.as_slice().try_into()?;
    let licences = LicenceBatch::resolve(&resolver, tools, &force.licence_report(licence_day));
    store.store_licences(licence_day, &licences).await?;
    store
        .record_sync_success(Source::M365, start, licence_day)
        .await?;
    store
        .record_sync_success(Source::Box, start, options.end)
        .await?;
    let generate_secs = started.elapsed().as_secs_f64();

    let rollup_started = Instant::now();
    store
        .rebuild_rollups()
        .await
        .context("building the rollups")?;
    let rollup_secs = rollup_started.elapsed().as_secs_f64();
    let accounts = demo_accounts(store).await?;
    // The targets are set from forecasts, which read published days; the
    // new target dates are days to decide in turn.
    let publication_started = Instant::now();
    let mut published_days = decide_publication(store).await?;
    settle_targets(store).await?;
    published_days += decide_publication(store).await?;
    let publication_secs = publication_started.elapsed().as_secs_f64();
    Ok(DemoReport {
        activity_rows,
        unmatched_rows,
        generate_secs,
        rollup_secs,
        published_days,
        publication_secs,
        accounts,
    })
}

/// Decides the publication of every day the views will ask for, as
/// `serve` would in the background, so the demo opens with whole trends.
async fn decide_publication(store: &Store) -> Result<usize> {
    let days = store.publication_days().await?;
    store
        .decide_publication(&days)
        .await
        .context("deciding what to publish")
}

/// Sets the two young Box waves' targets from their forecasts once the
/// data is in: a share a little under where the curve levels off, by its
/// forecast median for one (as likely late as early: at risk) and two
/// weeks after its band's late end for the other (on track). The first
/// waves have met their targets, the second Microsoft 365 wave's is above
/// where its curve levels off (behind), and the third was short of its
/// target on its date (missed).
async fn settle_targets(store: &Store) -> Result<()> {
    let admin = store.account("admin@uptake.demo").await?.viewer;
    for (name, on_track) in [(model::AT_RISK_WAVE, false), (model::ON_TRACK_WAVE, true)] {
        let outlook = |progress: Vec<domain::wave::WaveProgress>| {
            progress
                .into_iter()
                .find(|w| w.name == name)
                .and_then(|w| Some((w.id, w.target_date, w.total?)))
        };
        let Some((id, date, total)) = outlook(store.wave_progress(&admin, None, None).await?)
        else {
            continue;
        };
        let (Some(ceiling), Some(now)) = (total.outlook.ceiling, total.current) else {
            continue;
        };
        // Between where it is now and where it levels off.
        let target = ((now + 0.6 * (ceiling - now)) * 100.0).round() / 100.0;
        if target <= now {
            continue;
        }
        waves::set_target(store, &Actor::local("demo"), id, target, date).await?;
        let Some((_, _, total)) = outlook(store.wave_progress(&admin, None, None).await?) else {
            continue;
        };
        let day = match on_track {
            false => total.outlook.median,
            true => total.outlook.late.map(|l| l + chrono::Days::new(14)),
        };
        if let Some(day) = day {
            waves::set_target(store, &Actor::local("demo"), id, target, day).await?;
        }
    }
    Ok(())
}

/// An admin, a commander of the first command (with person-level lists),
/// and a viewer of the stalled borough command unit, each with a fresh
/// one-time password.
async fn demo_accounts(store: &Store) -> Result<Vec<DemoAccount>> {
    let specs = [
        (
            "admin@uptake.demo",
            "Demo Admin",
            Role::Admin,
            vec![],
            false,
        ),
        (
            "commander@uptake.demo",
            "Demo Commander (C01)",
            Role::UnitCommander,
            vec!["C01".to_owned()],
            true,
        ),
        (
            "viewer@uptake.demo",
            "Demo Viewer (C02-B1)",
            Role::Viewer,
            vec![model::STALLED_UNIT.to_owned()],
            false,
        ),
    ];
    let mut out = Vec::with_capacity(specs.len());
    for (username, name, role, scope, person_lists) in specs {
        let password = accounts::add(
            store,
            &Actor::local("demo"),
            AddAccount {
                username,
                display_name: Some(name),
                role,
                scope: &scope,
                person_lists,
                credential: Credential::Generated,
                is_demo: true,
            },
        )
        .await?
        .password
        .context("a generated password")?;
        out.push(DemoAccount {
            username: username.to_owned(),
            role,
            scope,
            password,
        });
    }
    Ok(out)
}

/// Writes the demo credentials where only this user can read them.
pub fn write_credentials(path: &std::path::Path, accounts: &[DemoAccount]) -> Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    writeln!(
        file,
        "# Uptake demo accounts: one-time passwords for the demo database only."
    )?;
    // The address `uptake serve` will listen on, as it will read it.
    let listen = std::env::var("UPTAKE_LISTEN").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    writeln!(
        file,
        "# Sign in at http://{listen}/login (or wherever `uptake serve --listen` says). Disable them with `uptake user disable NAME`."
    )?;
    for a in accounts {
        let scope = if a.scope.is_empty() {
            "every unit".to_owned()
        } else {
            a.scope.join(",")
        };
        writeln!(
            file,
            "{:<24} {:<30} {:<16} scope: {scope}",
            a.username,
            a.password,
            a.role.key()
        )?;
    }
    Ok(())
}
