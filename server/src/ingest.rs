//! The one path from parsed records to stored activity and fresh rollups,
//! shared by file imports, the push API and the connectors.
//!
//! A sink collects records in batches, resolves their sign-in names, writes
//! each batch in its own transaction, and at the end records each source's
//! coverage and refreshes the rollups for the days it touched.

use std::{collections::BTreeMap, sync::Arc};

use anyhow::Result;
use chrono::{DateTime, FixedOffset, NaiveDate};
use chrono_tz::Tz;
use domain::{
    activity::{
        ActivityRecord, DayWindow, IdentityResolver, Tally, WriteMode, is_concealed, resolve_batch,
    },
    box_events::BoxEvent,
    catalog::{BOX, Catalog, Source, ToolId},
    graph::{LicenceRow, Report, ReportRow},
    licence::{LicenceBatch, report_last_seen, report_tools},
};
use store::{DayEvent, LicenceOutcome, Store};

/// Calendar days are counted in this zone unless configured otherwise.
pub const DEFAULT_ZONE: Tz = chrono_tz::Europe::London;

/// Records per write transaction.
const BATCH: usize = 200_000;

/// The first and last day of something, widened as days arrive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DaySpan(Option<(NaiveDate, NaiveDate)>);

impl DaySpan {
    pub fn add(&mut self, day: NaiveDate) {
        self.0 = Some(self.0.map_or((day, day), |(a, b)| (a.min(day), b.max(day))));
    }

    pub fn get(self) -> Option<(NaiveDate, NaiveDate)> {
        self.0
    }
}

/// One day of one user's counted actions in a registered tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    pub tool: ToolId,
    pub user: String,
    pub day: NaiveDate,
    pub actions: i64,
}

/// What a sink wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SinkReport {
    /// Distinct person-days (per tool) written for staff.
    pub rows: u64,
    /// Distinct names that match nobody on the roster, and external users.
    pub unmatched: u64,
    pub external: u64,
    /// Events seen before and not counted again (Box only).
    pub repeats: u64,
    /// Events dated outside the days activity is taken for, not counted
    /// (Box only: a line or row outside them is rejected with its reason).
    pub outside_window: u64,
    pub days: DaySpan,
}

fn unregistered(tool: &str) -> String {
    format!("tool '{tool}' is not registered; an admin can add it with `uptake tool add {tool}`")
}

/// What storing an active-user report did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenceReport {
    pub day: NaiveDate,
    pub outcome: LicenceOutcome,
    /// Person-tool licences among staff.
    pub licences: u64,
    /// Rows whose name matches nobody on the roster.
    pub unmatched: u64,
}

/// Collects activity (generic records, or Box events) and writes it.
pub struct Sink<'a> {
    store: &'a Store,
    catalog: Arc<Catalog>,
    sources: BTreeMap<ToolId, Source>,
    resolver: IdentityResolver,
    zone: Tz,
    pending: BTreeMap<Source, Vec<Counted>>,
    events: Vec<DayEvent>,
    coverage: BTreeMap<Source, DaySpan>,
    window: DayWindow,
    tally: Tally,
    report: SinkReport,
}

impl<'a> Sink<'a> {
    pub async fn new(store: &'a Store, zone: Tz) -> Result<Self> {
        let window = DayWindow {
            earliest: store.earliest_activity_day().await?,
            today: chrono::Utc::now().with_timezone(&zone).date_naive(),
        };
        Ok(Self {
            window,
            store,
            catalog: store.catalog().await?,
            sources: store.tool_sources().await?.into_iter().collect(),
            resolver: store.identity_resolver().await?,
            zone,
            pending: BTreeMap::new(),
            events: Vec::new(),
            coverage: BTreeMap::new(),
            tally: Tally::default(),
            report: SinkReport::default(),
        })
    }

    /// A registered tool by name, or why it cannot be written.
    pub fn tool(&self, name: &str) -> Result<ToolId, String> {
        self.catalog
            .tool_by_name(name)
            .map(|t| t.id)
            .ok_or_else(|| unregistered(name))
    }

    /// Whether activity may be dated `day` ([`DayWindow`]), or why not.
    pub fn check_day(&self, day: NaiveDate) -> Result<(), String> {
        self.window.check(day)
    }

    /// The source a tool's activity is written under.
    fn source_of(&self, tool: ToolId) -> Source {
        self.sources.get(&tool).copied().unwrap_or(Source::Push)
    }

    /// The calendar day of an instant in the configured zone.
    pub fn day_of(&self, at: DateTime<FixedOffset>) -> NaiveDate {
        at.with_timezone(&self.zone).date_naive()
    }

    /// The days of the records and events added for a source so far.
    pub fn days_seen(&self, source: Source) -> DaySpan {
        self.coverage.get(&source).copied().unwrap_or_default()
    }

    /// Adds one record, written in the next batch. A record of 0 actions is
    /// no use and writes nothing.
    pub async fn add(&mut self, record: Counted) -> Result<()> {
        if record.actions == 0 {
            return Ok(());
        }
        let source = self.source_of(record.tool);
        self.coverage.entry(source).or_default().add(record.day);
        let list = self.pending.entry(source).or_default();
        list.push(record);
        if list.len() >= BATCH {
            let records = std::mem::take(list);
            self.flush(source, records).await?;
        }
        Ok(())
    }

    /// Adds one Box event; only counted event types are kept, each once.
    pub async fn add_event(&mut self, event: BoxEvent) -> Result<()> {
        if !event.counted() {
            return Ok(());
        }
        let day = self.day_of(event.created_at);
        if self.check_day(day).is_err() {
            self.report.outside_window += 1;
            return Ok(());
        }
        self.coverage.entry(Source::Box).or_default().add(day);
        self.events.push(DayEvent {
            key: event.key,
            user: event.login,
            day,
        });
        if self.events.len() >= BATCH {
            self.flush_events(None).await?;
        }
        Ok(())
    }

    /// Writes the events collected so far, with the stream cursor reached
    /// after them, in one transaction.
    pub async fn flush_events(&mut self, cursor: Option<&str>) -> Result<()> {
        let events = std::mem::take(&mut self.events);
        let tool = self.tool(BOX).map_err(anyhow::Error::msg)?;
        let done = self
            .store
            .ingest_events(tool, &events, &self.resolver, cursor)
            .await?;
        self.report.repeats += done.repeats;
        self.count(&done.ingest, done.tally);
        Ok(())
    }

    async fn flush(&mut self, source: Source, records: Vec<Counted>) -> Result<()> {
        let refs: Vec<ActivityRecord> = records
            .iter()
            .map(|r| ActivityRecord {
                tool: r.tool,
                user: &r.user,
                day: r.day,
                actions: r.actions,
            })
            .collect();
        let batch = resolve_batch(&self.resolver, &refs, WriteMode::Replace);
        let done = self
            .store
            .ingest(source, WriteMode::Replace, &batch)
            .await?;
        self.count(&done, Tally::of(&batch));
        Ok(())
    }

    /// Writes one Graph report day for one tool, replacing what that day
    /// held. A file that is not a one-day report, or whose names are
    /// concealed, is refused whole.
    pub async fn report_day(
        &mut self,
        report: Report,
        day: NaiveDate,
        rows: &[ReportRow],
    ) -> Result<()> {
        if let Some(period) = rows.iter().find_map(|r| r.period_days.filter(|p| *p != 1)) {
            anyhow::bail!(
                "this {} report covers {period} days (Report Period {period}); Uptake needs the one-day report for {day}, from reports/{}(date={day})",
                report.tool(),
                report.function()
            );
        }
        if rows.iter().any(|r| is_concealed(&r.user)) {
            anyhow::bail!(domain::graph::Concealed);
        }
        let tool = self.tool(report.tool()).map_err(anyhow::Error::msg)?;
        let records: Vec<ActivityRecord> = rows
            .iter()
            .filter(|r| r.actions > 0)
            .map(|r| ActivityRecord {
                tool,
                user: &r.user,
                day,
                actions: r.actions,
            })
            .collect();
        let batch = resolve_batch(&self.resolver, &records, WriteMode::Replace);
        let seen = report_last_seen(&self.resolver, tool, day, rows);
        let done = self
            .store
            .replace_day(Source::M365, tool, day, &batch, &seen, rows.len() as i64)
            .await?;
        self.count(&done, Tally::of(&batch));
        Ok(())
    }

    /// Stores one day's active-user report: licence status and last-seen
    /// dates, never activity. A report whose names are concealed is
    /// refused whole.
    pub async fn licences(&self, day: NaiveDate, rows: &[LicenceRow]) -> Result<LicenceReport> {
        if rows.iter().any(|r| is_concealed(&r.user)) {
            anyhow::bail!(domain::graph::Concealed);
        }
        let tools =
            report_tools(&self.catalog).map_err(|r| anyhow::Error::msg(unregistered(r.tool())))?;
        let batch = LicenceBatch::resolve(&self.resolver, tools, rows);
        let outcome = self.store.store_licences(day, &batch).await?;
        Ok(LicenceReport {
            day,
            outcome,
            licences: batch.licences.len() as u64,
            unmatched: batch.unmatched,
        })
    }

    fn count(&mut self, done: &store::IngestSummary, tally: Tally) {
        self.tally.merge(tally);
        if let Some((a, b)) = done.days {
            self.report.days.add(a);
            self.report.days.add(b);
        }
    }

    /// Writes what is left, records each source's coverage (only when
    /// `coverage` is set: a connector records its own), and refreshes the
    /// rollups for the days written.
    pub async fn finish(mut self, record_coverage: bool) -> Result<SinkReport> {
        for (source, records) in std::mem::take(&mut self.pending) {
            self.flush(source, records).await?;
        }
        if !self.events.is_empty() {
            self.flush_events(None).await?;
        }
        if record_coverage {
            // Microsoft 365's coverage comes from its report days alone
            // (`Store::record_report_coverage`): activity for its tools in a
            // generic file or a push never claims its days are complete.
            for (source, span) in self.coverage.iter().filter(|(s, _)| **s != Source::M365) {
                if let Some((first, last)) = span.get() {
                    self.store.record_sync_success(*source, first, last).await?;
                    // A stray old day never starts a source's history.
                    self.store.settle_data_start(*source, first, None).await?;
                }
            }
        }
        if let Some((from, to)) = self.report.days.get() {
            self.store.refresh_rollups(from, to).await?;
        }
        self.report.rows = self.tally.person_days();
        self.report.unmatched = self.tally.unmatched();
        self.report.external = self.tally.external();
        Ok(self.report)
    }
}
