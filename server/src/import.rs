//! `uptake import` and uploads: units, roster, generic activity, Graph
//! report days, Graph's active-user (licence) report and Box event exports.

use std::{
    collections::BTreeSet,
    fmt,
    fs::File,
    io::{BufRead, BufReader},
    path::Path,
};

use anyhow::{Context, Result};
use app::api::ssr::Actor;
use chrono::NaiveDate;
use chrono_tz::Tz;
use domain::{
    access::AuditAction,
    box_events,
    formats::{self, FormatError, Reject},
    graph::{self, LicenceRow},
};
use store::{LicenceOutcome, Store};

use crate::{
    ingest::{Counted, LicenceReport, Sink, SinkReport},
    progress_bar::Progress,
};

/// The kinds of file an import takes: one list, in `domain`.
pub use domain::formats::ImportKind as Kind;

/// What an import accepted and rejected.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// The import's id on record (the data page lists its rejects).
    pub id: i32,
    pub file: String,
    pub accepted: u64,
    pub rejects: Vec<Reject>,
    /// What the accepted rows wrote, for activity imports.
    pub written: SinkReport,
    /// What an active-user report stored.
    pub licences: Option<LicenceReport>,
}

impl ImportReport {
    fn new(file: &str) -> Self {
        Self {
            file: file.to_owned(),
            ..Self::default()
        }
    }

    /// Collects the good rows, and counts them; the rejects are kept with
    /// their lines.
    fn keep<T>(&mut self, rows: impl Iterator<Item = Result<T, Reject>>) -> Vec<T> {
        rows.filter_map(|row| self.take(row)).collect()
    }

    /// An accepted row, counted; or a reject, kept.
    fn take<T>(&mut self, row: Result<T, Reject>) -> Option<T> {
        match row {
            Ok(row) => {
                self.accepted += 1;
                Some(row)
            }
            Err(reject) => {
                self.rejects.push(reject);
                None
            }
        }
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} rows accepted, {} rejected",
            self.file,
            self.accepted,
            self.rejects.len()
        )?;
        let w = &self.written;
        if w.rows + w.unmatched + w.external + w.repeats > 0 {
            write!(
                f,
                "\n  wrote {} person-days of activity; {} for names not on the roster, {} external",
                w.rows, w.unmatched, w.external
            )?;
            if w.repeats > 0 {
                write!(
                    f,
                    "; {} events seen before were not counted again",
                    w.repeats
                )?;
            }
        }
        if w.outside_window > 0 {
            write!(
                f,
                "\n  {} events dated before the earliest day activity is taken for (the roster's first start date, or ingest.earliest_day), or in the future, were not counted",
                w.outside_window
            )?;
        }
        if let Some(l) = &self.licences {
            match l.outcome {
                LicenceOutcome::Stored => write!(
                    f,
                    "\n  licences as of {}: {} person-tool licences; {} names not on the roster",
                    l.day, l.licences, l.unmatched
                )?,
                LicenceOutcome::Older { latest } => write!(
                    f,
                    "\n  the licences of {} stay (that report is newer than {}); only last-seen days were taken",
                    latest, l.day
                )?,
            }
        }
        for r in self.rejects.iter().take(20) {
            write!(f, "\n  line {}: {}", r.line, r.reason)?;
        }
        if self.rejects.len() > 20 {
            write!(
                f,
                "\n  … and {} more (see the data health page)",
                self.rejects.len() - 20
            )?;
        }
        Ok(())
    }
}

/// How an import is asked for.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    /// The day roster and unit changes take effect.
    pub effective: NaiveDate,
    /// The report day of a Graph file.
    pub day: Option<NaiveDate>,
    pub zone: Tz,
}

/// Imports a file from disk; see [`import`].
pub async fn import_file(
    store: &Store,
    kind: Kind,
    path: &Path,
    options: ImportOptions,
    actor: &Actor<'_>,
) -> Result<ImportReport> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let progress = Progress::bytes(
        &format!("importing {}", path.display()),
        file.metadata().map(|m| m.len()).unwrap_or(0),
    );
    let input = BufReader::with_capacity(1 << 20, progress.reader(file));
    let report = import(
        store,
        kind,
        &path.display().to_string(),
        input,
        options,
        actor,
    )
    .await;
    progress.finish();
    report
}

/// Imports one file of any kind, streaming it: the good rows go in, each
/// bad row is kept with its line and reason, and the import is recorded
/// (with who ran it) for the data health page.
pub async fn import(
    store: &Store,
    kind: Kind,
    name: &str,
    input: impl BufRead,
    options: ImportOptions,
    actor: &Actor<'_>,
) -> Result<ImportReport> {
    let mut report = ImportReport::new(name);
    let refused = |e: FormatError| anyhow::anyhow!("{name}: {e}");
    match kind {
        Kind::Units => {
            // A unit whose parent is neither stored nor in the file is a
            // rejected row, with its line; the rest go in.
            let mut rows = formats::units(input).map_err(refused)?;
            let mut parsed = Vec::new();
            while let Some(row) = rows.next() {
                match row {
                    Ok(unit) => parsed.push((unit, rows.reject(String::new()))),
                    Err(reject) => report.rejects.push(reject),
                }
            }
            let (units, orphans) = formats::units_with_parents(parsed, &store.unit_codes().await?);
            report.accepted += units.len() as u64;
            report.rejects.extend(
                orphans
                    .into_iter()
                    .map(|(at, reason)| Reject { reason, ..at }),
            );
            report.rejects.sort_by_key(|r| r.line);
            store.apply_units(&units, options.effective).await?;
            // What the rollups read has changed: units move between parents.
            store.rebuild_rollups().await?;
        }
        Kind::Roster => {
            // A person in a unit that is not stored is a rejected row.
            let known = store.unit_codes().await?;
            let mut rows = formats::roster(input).map_err(refused)?;
            let mut roster = Vec::new();
            while let Some(row) = rows.next() {
                let row = row.and_then(|r| {
                    if known.contains(&r.unit_code) {
                        Ok(r)
                    } else {
                        Err(rows.reject(format!(
                            "staff {} is in unit {}, which is not in the unit list",
                            r.staff_number, r.unit_code
                        )))
                    }
                });
                if let Some(r) = report.take(row) {
                    roster.push(r);
                }
            }
            store.apply_roster(&roster, options.effective).await?;
            let resolver = store.identity_resolver().await?;
            let attached = store.attach_unmatched(&resolver).await?;
            if attached > 0 {
                tracing::info!(
                    attached,
                    "names seen before the roster matched are attached"
                );
            }
            store.rebuild_rollups().await?;
        }
        Kind::Activity => {
            let mut sink = Sink::new(store, options.zone).await?;
            let mut rows = formats::activity(input).map_err(refused)?;
            while let Some(row) = rows.next() {
                let row = row.and_then(|row| {
                    match sink.tool(&row.tool).and_then(|tool| {
                        sink.check_day(row.day)?;
                        Ok(tool)
                    }) {
                        Ok(tool) => Ok(Counted {
                            tool,
                            user: row.user,
                            day: row.day,
                            actions: row.actions,
                        }),
                        Err(reason) => Err(rows.reject(reason)),
                    }
                });
                if let Some(row) = report.take(row) {
                    sink.add(row).await?;
                }
            }
            report.written = sink.finish(true).await?;
        }
        Kind::Teams | Kind::Onedrive | Kind::Sharepoint | Kind::Exchange => {
            let report_kind = kind.report().context("a Graph report")?;
            let day = options.day.with_context(|| {
                format!(
                    "{name}: a Graph report file covers one day; give its report day (--day YYYY-MM-DD, or the report day on the data page)"
                )
            })?;
            let mut sink = Sink::new(store, options.zone).await?;
            let rows: Vec<_> = report.keep(graph::rows(report_kind, input).map_err(refused)?);
            if rows.is_empty() && report.rejects.is_empty() {
                anyhow::bail!(
                    "{name}: the file has a header but no rows, as Graph gives a report it has not published yet; the stored {} day {day} is left as it was",
                    report_kind.tool()
                );
            }
            // A file none of whose rows could be read leaves the day as it
            // was; its rejected rows say why.
            if !rows.is_empty() {
                sink.report_day(report_kind, day, &rows).await?;
                store.record_report_coverage().await?;
            }
            report.written = sink.finish(false).await?;
        }
        Kind::M365Licences => {
            let rows: Vec<_> = report.keep(graph::licences(input).map_err(refused)?);
            let day = licence_day(name, options.day, &rows)?;
            let sink = Sink::new(store, options.zone).await?;
            report.licences = Some(sink.licences(day, &rows).await?);
        }
        Kind::BoxJson | Kind::BoxCsv => {
            let mut sink = Sink::new(store, options.zone).await?;
            if kind == Kind::BoxJson {
                for event in box_events::json_events(input) {
                    if let Some(event) = report.take(event) {
                        sink.add_event(event).await?;
                    }
                }
            } else {
                for event in box_events::csv_events(input).map_err(refused)? {
                    if let Some(event) = report.take(event) {
                        sink.add_event(event).await?;
                    }
                }
            }
            report.written = sink.finish(true).await?;
        }
    }
    let id = store
        .record_import(name, kind.key(), report.accepted, &report.rejects)
        .await?;
    report.id = id;
    actor
        .audit(
            store,
            AuditAction::Import,
            &format!(
                "import {id} of {name} ({}): {} accepted, {} rejected",
                kind.key(),
                report.accepted,
                report.rejects.len()
            ),
        )
        .await?;
    Ok(report)
}

/// An active-user report's day: --day, or else its Report Refresh Date,
/// which every row must agree on.
fn licence_day(name: &str, day: Option<NaiveDate>, rows: &[LicenceRow]) -> Result<NaiveDate> {
    if let Some(day) = day {
        return Ok(day);
    }
    let days: BTreeSet<NaiveDate> = rows.iter().filter_map(|r| r.refreshed).collect();
    match (days.first(), days.len()) {
        (Some(day), 1) => Ok(*day),
        (None, _) => anyhow::bail!(
            "{name}: the report has no Report Refresh Date; give the day it is for (--day YYYY-MM-DD)"
        ),
        (Some(first), n) => anyhow::bail!(
            "{name}: the rows have {n} different Report Refresh Dates (from {first}); a licence report is for one day"
        ),
    }
}
