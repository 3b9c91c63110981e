//! `uptake import`: units, roster and generic activity files.

use std::{collections::BTreeMap, fmt, fs::File, io::BufReader, path::Path};

use anyhow::{Context, Result};
use app::api::ssr::Actor;
use chrono::NaiveDate;
use domain::{
    activity::{ActivityRecord, WriteMode, resolve_batch},
    catalog::Source,
    formats::{self, Reject},
    wave::TargetMetric,
};
use store::{NewWave, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Units,
    Roster,
    Activity,
}

impl Kind {
    fn key(self) -> &'static str {
        match self {
            Kind::Units => "units",
            Kind::Roster => "roster",
            Kind::Activity => "activity",
        }
    }
}

/// What an import accepted and rejected.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub file: String,
    pub accepted: u64,
    pub rejects: Vec<Reject>,
}

impl ImportReport {
    /// Collects the good rows, and counts them; the rejects are kept with
    /// their lines.
    fn keep<T>(&mut self, rows: impl Iterator<Item = Result<T, Reject>>) -> Vec<T> {
        let mut kept = Vec::new();
        for row in rows {
            match row {
                Ok(row) => kept.push(row),
                Err(reject) => self.rejects.push(reject),
            }
        }
        self.accepted += kept.len() as u64;
        kept
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

/// Records per ingest transaction.
const BATCH: usize = 200_000;

pub async fn import_file(
    store: &Store,
    kind: Kind,
    path: &Path,
    effective: NaiveDate,
) -> Result<ImportReport> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let input = BufReader::new(file);
    let name = path.display().to_string();
    let mut report = ImportReport {
        file: name.clone(),
        ..ImportReport::default()
    };
    match kind {
        Kind::Units => {
            let rows = report.keep(formats::units(input).with_context(|| name.clone())?);
            store.apply_units(&rows, effective).await?;
        }
        Kind::Roster => {
            let rows = report.keep(formats::roster(input).with_context(|| name.clone())?);
            store.apply_roster(&rows, effective).await?;
            store.rebuild_rollups().await?;
        }
        Kind::Activity => import_activity(store, input, &mut report).await?,
    }
    store
        .record_import(&name, kind.key(), report.accepted, &report.rejects)
        .await?;
    Ok(report)
}

async fn import_activity(
    store: &Store,
    input: BufReader<File>,
    report: &mut ImportReport,
) -> Result<()> {
    let catalog = store.catalog().await?;
    let sources: BTreeMap<_, _> = store.tool_sources().await?.into_iter().collect();
    let resolver = store.identity_resolver().await?;
    let mut pending: BTreeMap<Source, Vec<formats::GenericActivity>> = BTreeMap::new();
    let mut span: BTreeMap<Source, (NaiveDate, NaiveDate)> = BTreeMap::new();
    let mut touched: Option<(NaiveDate, NaiveDate)> = None;
    let flush = |records: Vec<formats::GenericActivity>, source: Source| {
        let resolver = &resolver;
        let catalog = &catalog;
        async move {
            let refs: Vec<ActivityRecord> = records
                .iter()
                .filter_map(|r| {
                    Some(ActivityRecord {
                        tool: catalog.tool_by_name(&r.tool)?.id,
                        user: &r.user,
                        day: r.day,
                        actions: r.actions,
                    })
                })
                .collect();
            let batch = resolve_batch(resolver, &refs, WriteMode::Replace);
            store.ingest(source, WriteMode::Replace, &batch).await
        }
    };
    for row in formats::activity(input)? {
        let record = match row {
            Ok(r) => r,
            Err(r) => {
                report.rejects.push(r);
                continue;
            }
        };
        let Some(tool) = catalog.tool_by_name(&record.tool) else {
            report.rejects.push(Reject {
                line: 0,
                reason: format!(
                    "tool '{}' is not registered; add it with `uptake tool add`",
                    record.tool
                ),
                raw: String::new(),
            });
            continue;
        };
        if record.actions == 0 {
            continue;
        }
        let source = sources.get(&tool.id).copied().unwrap_or(Source::Push);
        let (a, b) = span.entry(source).or_insert((record.day, record.day));
        *a = (*a).min(record.day);
        *b = (*b).max(record.day);
        touched = Some(touched.map_or((record.day, record.day), |(a, b)| {
            (a.min(record.day), b.max(record.day))
        }));
        report.accepted += 1;
        let list = pending.entry(source).or_default();
        list.push(record);
        if list.len() >= BATCH {
            let records = std::mem::take(list);
            flush(records, source).await?;
        }
    }
    for (source, records) in pending {
        flush(records, source).await?;
    }
    for (source, (first, last)) in span {
        store.record_sync_success(source, first, last).await?;
    }
    if let Some((from, to)) = touched {
        store.refresh_rollups(from, to).await?;
    }
    Ok(())
}

pub async fn add_wave(
    store: &Store,
    name: &str,
    product: &str,
    go_live: NaiveDate,
    target: f64,
    target_date: NaiveDate,
    unit_codes: &[String],
) -> Result<i32> {
    let catalog = store.catalog().await?;
    let product = catalog
        .products()
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(product))
        .with_context(|| format!("no product is called '{product}'"))?;
    let units = store.units().await?;
    let ids = unit_codes
        .iter()
        .map(|code| {
            units
                .iter()
                .find(|u| &u.code == code)
                .map(|u| u.id)
                .with_context(|| format!("no unit has code '{code}'"))
        })
        .collect::<Result<Vec<_>>>()?;
    let id = store
        .create_wave(&NewWave {
            name: name.to_owned(),
            product: product.id,
            go_live,
            target_metric: TargetMetric::AdoptionRate,
            target_value: target,
            target_date,
            units: ids,
        })
        .await?;
    let detail = format!(
        "wave {id} '{name}': {} live {go_live} in [{}], target {target} by {target_date}",
        product.name,
        unit_codes.join(" ")
    );
    Actor::local("cli")
        .audit(store, "wave_created", &detail)
        .await?;
    Ok(id)
}
