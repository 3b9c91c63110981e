//! Scheduled syncs in `uptake serve`, and the one-at-a-time rule that every
//! sync (scheduled or from the command line) follows.
//!
//! Each connector's sync is a job with a database-held lock (see
//! `store::JobLock`): with several app servers on one PostgreSQL, the first
//! to take the lock runs the sync and the others skip that round.

use std::{future::Future, time::Duration};

use anyhow::Result;
use chrono::Utc;
use chrono_tz::Tz;
use store::Store;

use crate::connectors::{
    box_sync::{self, BoxConfig, BoxRange},
    graph_sync::{self, GraphConfig},
};
use crate::exports::pack::Monthly;

pub const GRAPH_JOB: &str = "sync.m365";
pub const BOX_JOB: &str = "sync.box";
pub const PUBLICATION_JOB: &str = "publication";
pub const BOARD_PACK_JOB: &str = "board-pack";

/// How often `serve` looks whether the month's board packs are due, where
/// no connector's sync says when the day's data is in.
const BOARD_PACK_EVERY: Duration = Duration::from_secs(3600);

/// How often `serve` looks for days whose publication is to be decided:
/// until they are, a trend leaves their points out (after an import, a new
/// account or a scope change). A look that finds every day decided reads
/// memory and takes the job lock once.
const PUBLICATION_EVERY: Duration = Duration::from_secs(5);

/// What `serve` syncs, and how often.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub every: Duration,
    pub graph: Option<GraphConfig>,
    pub box_events: Option<BoxConfig>,
    /// The monthly board packs, after that day's syncs.
    pub board_packs: Option<Monthly>,
}

/// This process, as a job holder: host and process id.
fn holder() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{host}:{}", std::process::id())
}

/// Runs `job` only if no other process is running it, and says who is if
/// one is.
pub async fn exclusive<T, F, Fut>(store: &Store, name: &str, job: F) -> Result<T>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let me = holder();
    let mut taken = store.try_lock_job(name, &me).await?;
    if let Err(held) = &taken
        && is_dead_here(&held.holder, &me)
    {
        tracing::warn!(
            job = name,
            holder = held.holder,
            "the job's holder has died; taking it over"
        );
        store.break_job_lease(name, &held.holder).await?;
        taken = store.try_lock_job(name, &me).await?;
    }
    match taken {
        Ok(lock) => {
            let result = job().await;
            lock.release().await?;
            result
        }
        Err(held) => anyhow::bail!(
            "{name} is already running in {} (since {}); try again when it has finished",
            held.holder,
            held.started_at.format("%d %b %Y %H:%M:%S UTC")
        ),
    }
}

/// Whether `holder` was a process on this host that no longer runs (it was
/// killed and its lease has not expired yet).
fn is_dead_here(holder: &str, me: &str) -> bool {
    let (Some((host, pid)), Some((my_host, _))) = (holder.rsplit_once(':'), me.rsplit_once(':'))
    else {
        return false;
    };
    host == my_host
        && pid.parse::<u32>().is_ok()
        && std::path::Path::new("/proc/self").exists()
        && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Starts the schedule in the background: each configured connector syncs
/// now and then every `schedule.every`.
pub fn start(store: Store, schedule: Schedule, zone: Tz) {
    if schedule.graph.is_none() && schedule.box_events.is_none() {
        match schedule.board_packs {
            Some(monthly) => start_board_packs(store, monthly, zone),
            None => tracing::info!("no sync is scheduled"),
        }
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(schedule.every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Some(config) = &schedule.graph {
                let today = Utc::now().with_timezone(&zone).date_naive();
                let run = exclusive(&store, GRAPH_JOB, || {
                    graph_sync::sync(&store, config, zone, today)
                })
                .await;
                log_run(
                    GRAPH_JOB,
                    run.map(|r| format!("{} report days pulled", r.days_pulled)),
                );
            }
            if let Some(config) = &schedule.box_events {
                let run = exclusive(&store, BOX_JOB, || {
                    box_sync::sync(&store, config, zone, BoxRange::Stream)
                })
                .await;
                log_run(BOX_JOB, run.map(|r| format!("{} events read", r.events)));
            }
            if let Some(monthly) = &schedule.board_packs {
                board_packs(&store, monthly, zone).await;
            }
        }
    });
}

/// The monthly board packs on their own clock, where no sync runs.
fn start_board_packs(store: Store, monthly: Monthly, zone: Tz) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(BOARD_PACK_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            board_packs(&store, &monthly, zone).await;
        }
    });
}

/// Publishes the month's board packs once they are due, one server at a
/// time (the job lock), each once a month.
async fn board_packs(store: &Store, monthly: &Monthly, zone: Tz) {
    let run = exclusive(store, BOARD_PACK_JOB, || async {
        monthly
            .run(store, zone)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
    })
    .await;
    match run {
        Ok(files) if files.is_empty() => {}
        Ok(files) => tracing::info!(
            job = BOARD_PACK_JOB,
            "published {} board packs: {files:?}",
            files.len()
        ),
        Err(e) => tracing::warn!(job = BOARD_PACK_JOB, "{e:#}"),
    }
}

/// Decides publication in the background (`docs/publication.md`): now, and
/// every few seconds after, the days the views will ask for whose inputs have
/// changed (a sync, an import, a push, a tree change). With several app
/// servers, one decides and stores; the others read what it stored. Then
/// makes every unit's forecast for the latest day, once per change.
pub fn start_publication(store: Store) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PUBLICATION_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let run = exclusive(&store, PUBLICATION_JOB, || async {
                let days = store.publication_days().await?;
                Ok(store.decide_publication(&days).await?)
            })
            .await;
            match run {
                Ok(0) => {}
                Ok(n) => tracing::info!(job = PUBLICATION_JOB, "{n} days decided"),
                Err(e) => tracing::debug!(job = PUBLICATION_JOB, "{e:#}"),
            }
            // Each server keeps its own forecasts, so each makes them.
            match store.warm_forecasts().await {
                Ok(true) => tracing::info!(job = PUBLICATION_JOB, "every unit's forecast made"),
                Ok(false) => {}
                Err(e) => tracing::warn!(job = PUBLICATION_JOB, "forecasts: {e:#}"),
            }
        }
    });
}

fn log_run(job: &str, run: Result<String>) {
    match run {
        Ok(done) => tracing::info!(job, "{done}"),
        Err(e) => tracing::warn!(job, "{e:#}"),
    }
}
