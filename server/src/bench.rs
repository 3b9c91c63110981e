//! `uptake bench`: the performance budget of DESIGN.md, measured end to
//! end. Uptake is served on a loopback port and called over HTTP as a
//! signed-in rollout manager; in the same run each figure is also computed
//! straight from `activity_daily` by one SQL query, as the baseline.

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use app::{
    AppState,
    api::ssr::{
        Actor,
        accounts::{self, AddAccount, Credential},
        password,
    },
};
use chrono::NaiveDate;
use domain::{
    access::Role,
    activity::WriteMode,
    bands::BandTable,
    catalog::{Catalog, Subject, ToolId},
    health::DataHealth,
    overview::{DailySeries, Overview},
    usage::UsageTable,
};
use reqwest::{Client, StatusCode, header};
use store::Store;

use crate::{auth::AuthConfig, routes};

pub struct BenchOptions {
    /// Timed requests per endpoint, after the warm-up.
    pub requests: usize,
    /// Timed runs of each raw SQL baseline.
    pub baseline_runs: usize,
    /// Connections for the load test.
    pub connections: usize,
    /// How long the load test runs.
    pub load_seconds: u64,
    /// Only the board's exports (`scripts/bench.sh exports`).
    pub exports_only: bool,
}

/// One line of the report.
struct Line {
    what: String,
    uptake: Timing,
    baseline: Option<Timing>,
    budget: &'static str,
}

#[derive(Clone, Copy)]
struct Timing {
    p50: Duration,
    p95: Duration,
}

impl Timing {
    fn of(mut samples: Vec<Duration>) -> Self {
        samples.sort();
        let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
        Self {
            p50: at(0.5),
            p95: at(0.95),
        }
    }
}

pub(crate) fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else if ms < 10_000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.1} s", ms / 1000.0)
    }
}

/// The served app and a signed-in client for it.
struct Served {
    client: Client,
    base: String,
    cookie: String,
}

impl Served {
    async fn get(&self, path: &str) -> Result<String> {
        let reply = self
            .client
            .get(format!("{}{path}", self.base))
            .header(header::COOKIE, &self.cookie)
            .send()
            .await?;
        let status = reply.status();
        let body = reply.text().await?;
        if status != StatusCode::OK {
            bail!("GET {path} answered {status}: {body}");
        }
        Ok(body)
    }

    /// Times `requests` GETs after three warm-ups, checking each answer.
    async fn time<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        requests: usize,
        check: impl Fn(&T) -> bool,
    ) -> Result<Timing> {
        let mut samples = Vec::with_capacity(requests);
        for i in 0..requests + 3 {
            let started = Instant::now();
            let body = self.get(path).await?;
            let elapsed = started.elapsed();
            let parsed: T =
                serde_json::from_str(&body).with_context(|| format!("reading {path}"))?;
            if !check(&parsed) {
                bail!("GET {path} answered without the figures it should carry");
            }
            if i >= 3 {
                samples.push(elapsed);
            }
        }
        Ok(Timing::of(samples))
    }
}

async fn time_raw<T, F, Fut>(runs: usize, mut f: F) -> Result<Timing>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, store::StoreError>>,
{
    f().await?; // warm the cache
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        f().await?;
        samples.push(started.elapsed());
    }
    Ok(Timing::of(samples))
}

/// Serves the app on a loopback port and signs a fresh bench account in.
/// The account is disabled again by [`finish`].
async fn serve(store: &Store, username: &str) -> Result<Served> {
    let root = store.root_code().await?;
    let secret = password::generate().context("generating a password")?;
    accounts::add(
        store,
        &Actor::local("bench"),
        AddAccount {
            username,
            display_name: Some("Benchmark"),
            role: Role::RolloutManager,
            scope: std::slice::from_ref(&root),
            person_lists: false,
            credential: Credential::Chosen(secret.clone()),
            is_demo: false,
        },
    )
    .await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let state = AppState {
        store: store.clone(),
        leptos_options: crate::state::leptos_options("target/site", addr),
        zone: crate::ingest::DEFAULT_ZONE,
    };
    let app = routes::router(state, AuthConfig::default())
        .into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(256)
        .build()?;
    let base = format!("http://{addr}");
    let reply = client
        .post(format!("{base}/auth/sign-in"))
        .header(header::ORIGIN, &base)
        .form(&[("username", username), ("password", secret.as_str())])
        .send()
        .await?;
    let cookie = reply
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(crate::auth::SESSION_COOKIE))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
        .context("signing the bench account in")?;
    Ok(Served {
        client,
        base,
        cookie,
    })
}

/// Runs every measure and returns the report as Markdown.
pub async fn run(store: &Store, options: &BenchOptions) -> Result<String> {
    let Some((_, last)) = store.rollup_horizon().await? else {
        bail!("the database has no rollups; run `uptake demo` first");
    };
    let catalog = store.catalog().await?;
    let as_of = store.resolve_as_of(None).await?;
    let (teams, command) = bench_targets(store, &catalog).await?;
    let username = format!("bench-{}@uptake.local", chrono::Utc::now().timestamp());
    let served = serve(store, &username).await?;
    // The new account changes what the rollout managers' audience is, so
    // the days are decided again first, as `serve` does in the background
    // after any account change (until then a series leaves them out).
    let started = Instant::now();
    let decided = store
        .decide_publication(&store.publication_days().await?)
        .await?;
    tracing::info!(
        decided,
        "publication decided again in {}",
        ms(started.elapsed())
    );
    let result = match options.exports_only {
        true => exports(store, &served, as_of, options.baseline_runs)
            .await
            .map(|lines| (lines, None)),
        false => measure(store, &served, options, as_of, last, teams, &command)
            .await
            .map(|(lines, load)| (lines, Some(load))),
    };
    accounts::disable(store, &Actor::local("bench"), &username).await?;
    let (lines, load) = result?;
    Ok(report(store, &lines, load.as_ref(), as_of))
}

/// The tool every figure is for (Teams, the first Microsoft 365 tool) and
/// the unit drilled into (the first command).
async fn bench_targets(store: &Store, catalog: &Catalog) -> Result<(ToolId, String)> {
    let teams = catalog
        .tools()
        .iter()
        .find(|t| t.name == "Teams")
        .or(catalog.tools().first())
        .map(|t| t.id)
        .context("no tools")?;
    let root = store.root_code().await?;
    let units = store.units().await?;
    let root_id = units.iter().find(|u| u.code == root).map(|u| u.id);
    let command = units
        .iter()
        .find(|u| u.parent.is_some() && u.parent == root_id && !u.restricted)
        .map(|u| u.code.clone())
        .context("the force has no units under it")?;
    Ok((teams, command))
}

struct Load {
    connections: usize,
    per_second: f64,
    p99: Duration,
}

async fn measure(
    store: &Store,
    served: &Served,
    options: &BenchOptions,
    as_of: NaiveDate,
    last: NaiveDate,
    tool: ToolId,
    command: &str,
) -> Result<(Vec<Line>, Load)> {
    let n = options.requests;
    let runs = options.baseline_runs;
    let units = store.units().await?;
    let command_id = units
        .iter()
        .find(|u| u.code == command)
        .map(|u| u.id)
        .context("command")?;
    let subject = Subject::Tool(tool).key();
    let from = as_of - chrono::Days::new(364);
    let mut lines = Vec::new();

    let overview = served
        .time::<Overview>(&format!("/api/overview?as_of={as_of}"), n, |o| {
            !o.kpis.is_empty() && o.kpis.iter().all(|k| k.counts.is_some())
        })
        .await?;
    lines.push(Line {
        what: "Force overview: every KPI tile, 5 × 365-day trend, command table".into(),
        uptake: overview,
        baseline: Some(time_raw(runs, || store.raw_active28(tool, as_of)).await?),
        budget: "p50 ≤ 5 ms, p95 ≤ 20 ms",
    });
    // Each request a different as-of day, so that none is served from the
    // view cache: what the first viewer after a data change waits, once
    // the background has decided the day's publication.
    let mut samples = Vec::with_capacity(n);
    for day in decided_days(store)
        .await?
        .into_iter()
        .filter(|d| *d != as_of)
        .take(n)
    {
        let started = Instant::now();
        served.get(&format!("/api/overview?as_of={day}")).await?;
        samples.push(started.elapsed());
    }
    lines.push(Line {
        what: format!(
            "Force overview, built afresh (a new decided as-of day each request, {})",
            samples.len()
        ),
        uptake: Timing::of(samples),
        baseline: None,
        budget: "p50 ≤ 5 ms, p95 ≤ 20 ms",
    });
    // A day the background does not decide (nor the days it compares
    // with): its publication decided on demand first.
    let decided = store.publication_days().await?;
    let mut samples = Vec::with_capacity(runs);
    let mut day = as_of;
    while samples.len() < runs.min(3) {
        day = day.pred_opt().context("a day before")?;
        if [0, 7, 28]
            .iter()
            .any(|&back| decided.contains(&(day - chrono::Days::new(back))))
        {
            continue;
        }
        let started = Instant::now();
        served.get(&format!("/api/overview?as_of={day}")).await?;
        samples.push(started.elapsed());
    }
    lines.push(Line {
        what: "Force overview of a day not decided in the background (decided on demand)".into(),
        uptake: Timing::of(samples),
        baseline: None,
        budget: "–",
    });
    let drill = served
        .time::<Overview>(
            &format!("/api/overview?unit={command}&as_of={as_of}"),
            n,
            |o| !o.children.is_empty(),
        )
        .await?;
    lines.push(Line {
        what: format!("Drill-down into {command}: tiles, trend, units under it"),
        uptake: drill,
        baseline: Some(time_raw(runs, || store.raw_drill_down(command_id, tool, as_of)).await?),
        budget: "p50 ≤ 5 ms",
    });
    let bands = served
        .time::<BandTable>(
            &format!("/api/bands?unit={command}&subject={subject}&as_of={as_of}"),
            n,
            |t| t.rows.len() > 1,
        )
        .await?;
    lines.push(Line {
        what: format!(
            "Unit × age band table, {command}, one tool and day (with 6 × 365-day trend)"
        ),
        uptake: bands,
        baseline: Some(time_raw(runs, || store.raw_unit_bands(command_id, tool, as_of)).await?),
        budget: "p50 ≤ 5 ms",
    });
    let usage = served
        .time::<UsageTable>(
            &format!("/api/usage?unit={command}&subject={subject}&as_of={as_of}"),
            n,
            |u| u.cohorts.len() > 1,
        )
        .await?;
    lines.push(Line {
        what: format!("Speed, depth and retention, {command}, one tool (16 weekly cohorts)"),
        uptake: usage,
        baseline: None,
        budget: "p50 ≤ 5 ms (as the unit views)",
    });
    let series = served
        .time::<DailySeries>(
            &format!("/api/series?subject={subject}&as_of={as_of}"),
            n,
            |s| s.days.len() >= 50,
        )
        .await?;
    lines.push(Line {
        what: "365-day series (weekly points), force, one tool".into(),
        uptake: series,
        baseline: Some(time_raw(1, || store.raw_series(tool, from, as_of)).await?),
        budget: "≤ 10 ms",
    });

    let data = served
        .time::<DataHealth>("/api/data/health", n, |h| !h.sources.is_empty())
        .await?;
    lines.push(Line {
        what: "Data page: sources, imports, unmatched names, licence checks".into(),
        uptake: data,
        baseline: None,
        budget: "p50 ≤ 20 ms",
    });

    lines.extend(exports(store, served, as_of, runs).await?);

    // Reads under load before the writes below, whose flushing would
    // otherwise be measured as the reads' tail.
    let load = load(served, options, &format!("/api/overview?as_of={as_of}")).await?;

    // A day's activity arrives again (a daily Graph re-pull of the last
    // complete day): store it, then refresh what it reaches.
    let mut samples = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        for (source, batch) in store.activity_of_day(last).await? {
            store.ingest(source, WriteMode::Replace, &batch).await?;
        }
        store.refresh_rollups(last, last).await?;
        samples.push(started.elapsed());
    }
    lines.push(Line {
        what: format!("One day's activity stored and rolled up ({last})"),
        uptake: Timing::of(samples),
        baseline: None,
        budget: "≤ 2 s",
    });
    let started = Instant::now();
    store.rebuild_rollups().await?;
    lines.push(Line {
        what: "Full rollup rebuild (one run)".into(),
        uptake: Timing::of(vec![started.elapsed()]),
        baseline: None,
        budget: "≤ 30 s",
    });

    Ok((lines, load))
}

/// Days whose publication `serve` decides in the background, each with
/// the days its tiles compare with (7 and 28 days before), most wanted
/// first.
async fn decided_days(store: &Store) -> Result<Vec<NaiveDate>> {
    let decided = store.publication_days().await?;
    Ok(decided
        .iter()
        .copied()
        .filter(|d| {
            [7, 28]
                .iter()
                .all(|&back| decided.contains(&(*d - chrono::Days::new(back))))
        })
        .collect())
}

/// The board's exports of the whole force, beside the raw query of one
/// force KPI: the pack made afresh (each on a new as-of day, so each is
/// read, laid out and published), the same pack again (its stored bytes),
/// the workbook, and the largest CSV (the unit tree with every unit open).
async fn exports(
    store: &Store,
    served: &Served,
    as_of: NaiveDate,
    runs: usize,
) -> Result<Vec<Line>> {
    let catalog = store.catalog().await?;
    let tool = catalog.tools().first().context("a tool")?.id;
    let baseline = time_raw(runs, || store.raw_active28(tool, as_of)).await?;
    let timed = |what: &str, samples: Vec<Duration>, budget: &'static str| Line {
        what: what.to_owned(),
        uptake: Timing::of(samples),
        baseline: Some(baseline),
        budget,
    };
    // A pack of another day would time the publication decided on
    // demand, not the pack.
    let days: Vec<NaiveDate> = decided_days(store).await?.into_iter().take(runs).collect();
    let first = *days.first().context("a decided day with its comparison")?;
    let mut pack = Vec::new();
    for day in &days {
        let started = Instant::now();
        served
            .get(&format!("/exports/board-pack.pdf?as_of={day}"))
            .await?;
        pack.push(started.elapsed());
    }
    let mut again = Vec::new();
    let mut workbook = Vec::new();
    let open: Vec<String> = store
        .units()
        .await?
        .iter()
        .filter(|u| u.parent.is_some())
        .map(|u| u.code.clone())
        .collect();
    let tree = format!(
        "/exports/unit-tree.csv?as_of={as_of}&open={}",
        open.join(",")
    );
    // Every unit's forecast, which `serve` makes in the background once
    // the day is decided (and again after each change to the data); the
    // CSV then reads them.
    let started = Instant::now();
    if !store.warm_forecasts().await? {
        bail!("no forecasts to make: the latest day is undecided, or made already");
    }
    let warm = vec![started.elapsed()];
    let mut csv = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        served
            .get(&format!("/exports/board-pack.pdf?as_of={first}"))
            .await?;
        again.push(started.elapsed());
        let started = Instant::now();
        served
            .get(&format!("/exports/workbook.xlsx?as_of={as_of}"))
            .await?;
        workbook.push(started.elapsed());
        let started = Instant::now();
        let body = served.get(&tree).await?;
        csv.push(started.elapsed());
        // Every unit but the restricted ones, a line each.
        if body.lines().count() < open.len() / 2 {
            bail!(
                "the unit tree CSV lists {} lines for {} units",
                body.lines().count(),
                open.len()
            );
        }
    }
    Ok(vec![
        timed(
            "Board pack, the force, made and published afresh (a new day each)",
            pack,
            "≤ 3 s",
        ),
        timed(
            "Board pack, the force, the same again (stored)",
            again,
            "≤ 3 s",
        ),
        timed(
            "Workbook, the force (13 sheets, 2 native charts)",
            workbook,
            "≤ 2 s",
        ),
        timed(
            "Every unit's forecast for the day, in the background after a change",
            warm,
            "–",
        ),
        timed(
            &format!("Largest CSV: the unit tree, all {} units open", open.len()),
            csv,
            "≤ 0.5 s",
        ),
    ])
}

/// Many connections asking for the overview at once, for a while.
async fn load(served: &Served, options: &BenchOptions, path: &str) -> Result<Load> {
    // Each connection first opens with one untimed request, so that what
    // is timed is requests, not connection set-up; then all start at once.
    let ready = Arc::new(tokio::sync::Barrier::new(options.connections + 1));
    let length = Duration::from_secs(options.load_seconds);
    let mut tasks = Vec::new();
    for _ in 0..options.connections {
        let client = served.client.clone();
        let url = format!("{}{path}", served.base);
        let cookie = served.cookie.clone();
        let ready = Arc::clone(&ready);
        tasks.push(tokio::spawn(async move {
            client
                .get(&url)
                .header(header::COOKIE, &cookie)
                .send()
                .await?
                .bytes()
                .await?;
            ready.wait().await;
            let until = Instant::now() + length;
            let mut samples = Vec::new();
            while Instant::now() < until {
                let t = Instant::now();
                let reply = client
                    .get(&url)
                    .header(header::COOKIE, &cookie)
                    .send()
                    .await?;
                let ok = reply.status() == StatusCode::OK;
                reply.bytes().await?;
                if !ok {
                    bail!("the overview failed under load");
                }
                samples.push(t.elapsed());
            }
            Ok::<_, anyhow::Error>(samples)
        }));
    }
    ready.wait().await;
    let started = Instant::now();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    let elapsed = started.elapsed();
    all.sort();
    let p99 = all[((all.len() - 1) as f64 * 0.99).round() as usize];
    Ok(Load {
        connections: options.connections,
        per_second: all.len() as f64 / elapsed.as_secs_f64(),
        p99,
    })
}

fn report(store: &Store, lines: &[Line], load: Option<&Load>, as_of: NaiveDate) -> String {
    let mut out = format!(
        "Uptake benchmark on {:?}, as of {as_of}: medians (p50) and p95 over HTTP as a signed-in rollout manager; \
         the baseline is the same figure from one SQL query over activity_daily, in the same run.\n\n\
         | measure | Uptake p50 | Uptake p95 | raw SQL p50 | raw ÷ Uptake | budget |\n\
         |---|---|---|---|---|---|\n",
        store.backend()
    );
    for l in lines {
        let (raw, ratio) = match l.baseline {
            Some(b) => {
                let ratio = b.p50.as_secs_f64() / l.uptake.p50.as_secs_f64();
                let ratio = match ratio < 10.0 {
                    true => format!("{ratio:.2}×"),
                    false => format!("{ratio:.0}×"),
                };
                (ms(b.p50), ratio)
            }
            None => ("–".into(), "–".into()),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {raw} | {ratio} | {} |\n",
            l.what,
            ms(l.uptake.p50),
            ms(l.uptake.p95),
            l.budget
        ));
    }
    if let Some(load) = load {
        out.push_str(&format!(
            "| Force overview under {} connections | {:.0} req/s | p99 {} | – | – | ≥ 2,000 req/s, p99 ≤ 50 ms |\n",
            load.connections,
            load.per_second,
            ms(load.p99)
        ));
    }
    out
}
