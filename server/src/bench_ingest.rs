//! `uptake bench-ingest`: ingestion speed on an empty database. It loads a
//! synthetic roster, then times a 50,000-user Graph report day (parsed,
//! matched and stored, replacing the day) and Box events (parsed,
//! de-duplicated and stored). In the same run it times parsing alone, as the
//! baseline the store's share is measured against.

use std::{fmt::Write as _, time::Instant};

use anyhow::{Result, bail};
use chrono::NaiveDate;
use domain::{
    box_events::{self, COUNTED},
    formats::{RosterRecord, UnitRecord},
    graph::{self, Report, ReportRow},
};
use store::Store;

use crate::{
    bench::ms,
    ingest::{DEFAULT_ZONE, Sink},
};

pub struct IngestBenchOptions {
    pub staff: usize,
    /// Timed runs of each measure.
    pub runs: usize,
    /// Box events per run.
    pub events: usize,
}

fn name(i: usize) -> String {
    format!("p{i:06}@force.police.uk")
}

/// A one-day Teams report: seven in ten people active.
fn teams_report(staff: usize) -> String {
    let mut csv = String::from(
        "Report Refresh Date,User Id,User Principal Name,Last Activity Date,Is Deleted,Deleted Date,Assigned Products,\
         Team Chat Message Count,Private Chat Message Count,Call Count,Meeting Count,Post Messages,Reply Messages,\
         Has Other Action,Is Licensed,Report Period\r\n",
    );
    for i in 0..staff {
        let n = if i % 10 < 7 { i % 5 + 1 } else { 0 };
        let _ = write!(
            csv,
            "2026-03-03,00000000-0000-0000-0000-{i:012},{},2026-03-01,False,,MICROSOFT 365 E5,{n},{n},0,1,0,0,No,Yes,1\r\n",
            name(i)
        );
    }
    csv
}

/// Box events, one JSON entry per line, over a week.
fn box_events(staff: usize, events: usize, run: usize) -> String {
    let mut out = String::with_capacity(events * 260);
    for i in 0..events {
        let _ = writeln!(
            out,
            r#"{{"type":"event","event_id":"r{run}-{i:09}","event_type":"{}","created_by":{{"type":"user","id":"{}","login":"{}"}},"created_at":"2026-03-0{}T{:02}:{:02}:00Z","source":{{"item_type":"file","item_id":"{}"}}}}"#,
            COUNTED[i % COUNTED.len()],
            i % staff,
            name(i % staff),
            i % 7 + 1,
            i % 24,
            i % 60,
            i % 1000
        );
    }
    out
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

pub async fn run(store: &Store, options: &IngestBenchOptions) -> Result<String> {
    if store.staff_count().await? > 0 {
        bail!("bench-ingest writes a synthetic roster: give it an empty database");
    }
    let since: NaiveDate = "2020-01-01".parse()?;
    let unit = |code: &str, parent: Option<&str>| UnitRecord {
        code: code.into(),
        parent_code: parent.map(Into::into),
        name: code.into(),
        kind: "team".into(),
        restricted: false,
    };
    store
        .apply_units(&[unit("F", None), unit("T", Some("F"))], since)
        .await?;
    let roster: Vec<RosterRecord> = (0..options.staff)
        .map(|i| RosterRecord {
            staff_number: format!("S{i}"),
            sign_in_name: name(i),
            unit_code: "T".into(),
            birth_year: 1960 + (i % 45) as i32,
            role: "PC".into(),
            start_date: since,
            leave_date: None,
        })
        .collect();
    store.apply_roster(&roster, since).await?;
    let day: NaiveDate = "2026-03-03".parse()?;

    // Graph: one report day, parsed and stored, replacing the day.
    let report = teams_report(options.staff);
    let (mut parse, mut whole) = (Vec::new(), Vec::new());
    for _ in 0..options.runs {
        let started = Instant::now();
        let rows: Vec<ReportRow> = graph::rows(Report::Teams, report.as_bytes())?
            .collect::<Result<_, _>>()
            .map_err(|r| anyhow::anyhow!("line {}: {}", r.line, r.reason))?;
        parse.push(started.elapsed().as_secs_f64());
        let mut sink = Sink::new(store, DEFAULT_ZONE).await?;
        sink.report_day(Report::Teams, day, &rows).await?;
        whole.push(started.elapsed().as_secs_f64());
    }
    let (graph_parse, graph_whole) = (median(parse), median(whole));

    // Box: new events each run, then the last run's events again (all
    // repeats, so only the de-duplication is timed).
    let (mut parse, mut stored, mut repeats) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..options.runs {
        let file = box_events(options.staff, options.events, run);
        let started = Instant::now();
        let n = box_events::json_events(file.as_bytes())
            .filter(Result::is_ok)
            .count();
        parse.push(n as f64 / started.elapsed().as_secs_f64());
        for again in [false, true] {
            let mut sink = Sink::new(store, DEFAULT_ZONE).await?;
            let started = Instant::now();
            for event in box_events::json_events(file.as_bytes()) {
                sink.add_event(event.map_err(|r| anyhow::anyhow!("{}", r.reason))?)
                    .await?;
            }
            sink.flush_events(None).await?;
            let rate = options.events as f64 / started.elapsed().as_secs_f64();
            if again { &mut repeats } else { &mut stored }.push(rate);
        }
    }
    let secs = |s: f64| ms(std::time::Duration::from_secs_f64(s));
    Ok(format!(
        "Ingestion benchmark on {:?}: {} staff, medians of {} runs; the baseline is parsing alone, in the same run.\n\n\
         | measure | Uptake | parsing alone | store's share | budget |\n\
         |---|---|---|---|---|\n\
         | Graph Teams report day, {} rows: parsed, matched, stored | {} | {} | {:.0}% | ≤ 1 s |\n\
         | Box events, {} a run: parsed, de-duplicated, stored | {:.0} events/s | {:.0} events/s | {:.0}% | ≥ 50,000 events/s |\n\
         | the same Box events again (all seen before) | {:.0} events/s | | | |\n",
        store.backend(),
        options.staff,
        options.runs,
        options.staff,
        secs(graph_whole),
        secs(graph_parse),
        100.0 * (graph_whole - graph_parse) / graph_whole,
        options.events,
        median(stored.clone()),
        median(parse.clone()),
        100.0 * (1.0 - median(stored) / median(parse)),
        median(repeats),
    ))
}
