//! The board pack: its figures read from the published views of one scope
//! (a unit, or the force) on one day, its eight kinds of page laid out with
//! [`super::pdf`], and publishing it: stored once, read-only, with its
//! figures, so that the next pack of the scope says what changed since.

use app::api::ssr::AppError;
use chrono::{DateTime, Days, NaiveDate, Utc};
use domain::{
    access::{Grant, Viewer},
    catalog::Subject,
    display,
    export::{
        Cell, Table,
        methods::{DEFINITIONS, DISCLOSURE},
        pack::{self, Baseline, Figures, Kpi, Source},
        tables,
    },
    overview::{SubjectSeries, adoption_trend},
    wave::wave_targets,
};
use sha2::{Digest, Sha256};
use store::{AuditEntry, NewPack, Store};

use super::{
    Scope,
    pdf::{INK, Layout, MUTED, Weight},
};

/// A made (or found again) pack.
pub struct Made {
    pub id: i32,
    pub pdf: Vec<u8>,
    /// Whether it was found already stored (the same figures).
    pub again: bool,
}

/// Reads the figures of a scope's pack.
pub async fn figures(scope: &Scope<'_>, today: NaiveDate) -> Result<Figures, AppError> {
    let (store, viewer, grant, code, as_of) = (
        scope.store,
        scope.viewer,
        &scope.grant,
        scope.code.as_str(),
        scope.as_of,
    );
    let overview = store.overview(viewer, grant, Some(as_of)).await?;
    let kpis = pack::kpis(&overview);
    let root = store.root_code().await?;
    let force_kpis = if code == root {
        Vec::new()
    } else {
        let (force, _) = store.grant(viewer, None).await?;
        kpis_of(store, viewer, &force, as_of).await?
    };
    let own_cells = grant.person_lists().is_ok();
    let previous = store
        .previous_pack(code, as_of, own_cells)
        .await?
        .and_then(|json| Baseline::of_pack(&json));
    let baseline = match previous {
        Some(before) => Some(before),
        None => match as_of.checked_sub_days(Days::new(28)) {
            Some(day) => kpis_of(store, viewer, grant, day)
                .await
                .ok()
                .map(|kpis| Baseline {
                    as_of: day,
                    pack: false,
                    kpis,
                }),
            None => None,
        },
    };
    let sources = store
        .source_health(today)
        .await?
        .into_iter()
        .map(|s| Source {
            name: s.label().to_owned(),
            data_start: s.data_start,
            complete_through: s.complete_through,
            freshness: s.freshness(),
        })
        .collect();
    let waves = scope.waves().await?;
    let catalog = store.catalog().await?;
    let mut series = Vec::new();
    for product in catalog.products() {
        let subject = Subject::Product(product.id);
        let daily = store
            .daily_series(viewer, grant, subject, None, as_of)
            .await?;
        series.push(SubjectSeries {
            label: product.name.clone(),
            days: daily.days,
        });
    }
    let mut products = adoption_trend(&series).rate;
    products.title = format!("Adoption rate by product: {}", overview.scope_name);
    let mut tools = overview.trend.rate.clone();
    tools.title = format!("Adoption rate by tool: {}", overview.scope_name);
    // Wave targets are a product's.
    products.targets = wave_targets(&waves, None);
    let mut bands = Vec::new();
    let mut band_charts = Vec::new();
    for product in catalog.products() {
        let subject = Subject::Product(product.id);
        let b = store.band_table(viewer, grant, subject, as_of).await?;
        let u = store.usage_table(viewer, grant, subject, as_of).await?;
        bands.push(pack::age_bands(&product.name, &b, &u));
        band_charts.push(pack::own_bars(&product.name, &b));
    }
    Ok(Figures {
        scope_code: code.to_owned(),
        scope_name: overview.scope_name,
        as_of,
        sources,
        kpis,
        force_kpis,
        baseline,
        products,
        tools,
        waves: tables::waves(&waves),
        league: pack::league(&waves),
        bands,
        band_charts,
        at_risk: pack::at_risk(&waves),
    })
}

async fn kpis_of(
    store: &Store,
    viewer: &Viewer,
    grant: &Grant,
    as_of: NaiveDate,
) -> Result<Vec<Kpi>, AppError> {
    Ok(pack::kpis(&store.tiles_on(viewer, grant, as_of).await?))
}

/// The pack's pages.
pub fn render(
    f: &Figures,
    made_at: &str,
    made_by: &str,
    made: DateTime<Utc>,
) -> Result<Vec<u8>, String> {
    let day = display::date(f.as_of);
    let mut l = Layout::new(format!(
        "Uptake board pack · {} · as of {day} · made {made_at} · [c]: hidden to protect individuals",
        f.scope_name
    ));
    let (ink, muted) = (INK, MUTED);

    // 1. Cover.
    l.page("");
    l.y = 150.0;
    l.paragraph("Uptake board pack", 30.0, Weight::Bold, ink);
    l.paragraph(&f.scope_name, 22.0, Weight::Regular, ink);
    l.y += 10.0;
    l.paragraph(&format!("As of {day}"), 14.0, Weight::Bold, ink);
    l.paragraph(
        &format!("Made {made_at} by {made_by}"),
        11.0,
        Weight::Regular,
        muted,
    );
    l.paragraph(
        &format!(
            "Scope: {} ({}). Figures are as published after disclosure control; [c] marks a figure hidden to protect individuals.",
            f.scope_name, f.scope_code
        ),
        10.0,
        Weight::Regular,
        muted,
    );
    l.heading("Data freshness");
    let mut sources = Table::new(
        "sources",
        "Sources",
        ["Source", "Data from", "Complete through", "Freshness"]
            .map(str::to_owned)
            .to_vec(),
    );
    sources.rows = f
        .sources
        .iter()
        .map(|s| {
            let day = |d: Option<NaiveDate>| d.map_or(Cell::Blank("–".into()), Cell::Day);
            vec![
                Cell::text(&s.name),
                day(s.data_start),
                day(s.complete_through),
                Cell::text(&s.freshness),
            ]
        })
        .collect();
    l.table(&sources);

    // 2. Headline.
    l.page("Headline");
    for k in &f.kpis {
        l.paragraph(
            &pack::in_words(k, f.baseline.as_ref()),
            10.5,
            Weight::Regular,
            ink,
        );
    }
    l.y += 6.0;
    l.table(&pack::headline(
        &f.kpis,
        f.baseline.as_ref(),
        "headline",
        &f.scope_name,
    ));
    if !f.force_kpis.is_empty() {
        l.heading("The force, for comparison");
        l.table(&pack::headline(&f.force_kpis, None, "force", "The force"));
    }

    // 3. Adoption over time.
    l.page("Adoption over time");
    l.chart(&f.products, 165.0);
    l.chart(&f.tools, 165.0);

    // 4. Waves.
    l.page("Waves against their targets");
    l.table(&f.waves);

    // 5. League table.
    l.page("Unit league table");
    if f.league.rows.is_empty() {
        l.paragraph(
            "No unit under this scope is in a wave yet.",
            11.0,
            Weight::Regular,
            ink,
        );
    } else {
        l.table(&f.league);
    }

    // 6. Age bands.
    l.page("Age bands");
    for (table, chart) in f.bands.iter().zip(&f.band_charts) {
        l.heading(&table.title);
        l.table(table);
        l.chart(chart, 170.0);
    }

    // 7. At-risk units.
    l.page("At-risk units");
    if f.at_risk.is_empty() {
        l.paragraph(
            "No unit under this scope is at risk or behind its wave's target.",
            11.0,
            Weight::Regular,
            ink,
        );
    }
    for line in &f.at_risk {
        l.paragraph(&format!("• {line}"), 10.5, Weight::Regular, ink);
    }

    // 8. Methods.
    l.page("Methods and definitions");
    for (term, text) in DEFINITIONS {
        l.paragraph(term, 10.0, Weight::Bold, ink);
        l.y -= 4.0;
        l.paragraph(text, 9.5, Weight::Regular, ink);
    }
    l.heading("Disclosure control");
    for line in DISCLOSURE {
        l.paragraph(line, 9.5, Weight::Regular, ink);
    }
    l.heading("Data sources and coverage");
    for s in &f.sources {
        let when = |d: Option<NaiveDate>| d.map_or_else(|| "–".to_owned(), display::date);
        l.paragraph(
            &format!(
                "{}: data from {} to {} ({}).",
                s.name,
                when(s.data_start),
                when(s.complete_through),
                s.freshness
            ),
            9.5,
            Weight::Regular,
            ink,
        );
    }
    l.paragraph(
        "“Change since” compares with the previous published pack of the same scope (or, for the first, the figures 28 days before), not with history computed again.",
        9.5,
        Weight::Regular,
        ink,
    );
    l.finish(
        &format!("Uptake board pack: {} as of {day}", f.scope_name),
        made,
    )
}

/// Makes the pack of a scope on a day, or finds it again: where a stored
/// pack has the same scope, day and figures (and `reuse`), its stored
/// bytes come back; otherwise the new one is published (stored read-only,
/// audited).
/// `audit` names who makes it (its account, where a signed-in person
/// does), for the pack and the audit log.
pub async fn make(
    scope: &Scope<'_>,
    audit: &AuditEntry<'_>,
    today: NaiveDate,
    zone: chrono_tz::Tz,
    reuse: bool,
) -> Result<Made, AppError> {
    let (store, code, as_of) = (scope.store, scope.code.as_str(), scope.as_of);
    let figures = figures(scope, today).await?;
    let json = serde_json::to_string(&figures).map_err(AppError::internal)?;
    let digest = format!("{:x}", Sha256::digest(json.as_bytes()));
    let own_cells = scope.grant.person_lists().is_ok();
    if reuse
        && let Some(id) = store.same_pack(code, as_of, own_cells, &digest).await?
        && let Some((_, pdf)) = store.pack(id).await?
    {
        store.audit(audit).await?;
        return Ok(Made {
            id,
            pdf,
            again: true,
        });
    }
    let made = Utc::now();
    let made_at = display::moment(&made.with_timezone(&zone));
    let pdf = render(&figures, &made_at, audit.actor, made).map_err(AppError::internal)?;
    let title = format!(
        "Board pack: {} as of {}",
        figures.scope_name,
        display::date(as_of)
    );
    let id = store
        .publish_pack(
            &NewPack {
                title: &title,
                scope: code,
                as_of,
                created_by: audit.account,
                made_by: audit.actor,
                made_at: made,
                own_cells,
                figures: &json,
                digest: &digest,
                pdf: &pdf,
            },
            audit,
        )
        .await?;
    Ok(Made {
        id,
        pdf,
        again: false,
    })
}

/// Who the scheduled packs are made by, in the pack and the audit log.
pub const SCHEDULER: &str = "scheduler";

/// The monthly packs `serve` publishes: where to write them, on which day
/// of the month, and of which scopes (the force, and any commands listed).
#[derive(Debug, Clone)]
pub struct Monthly {
    pub dir: std::path::PathBuf,
    /// 1 to 28.
    pub day: u32,
    pub units: Vec<String>,
}

impl Monthly {
    /// Publishes each scope's pack for this month if it is that day or
    /// later and the scheduler has not published it this month (the
    /// scheduler runs this after its syncs); writes each to the folder.
    /// Returns the files written.
    pub async fn run(
        &self,
        store: &Store,
        zone: chrono_tz::Tz,
    ) -> Result<Vec<std::path::PathBuf>, AppError> {
        use chrono::{Datelike, TimeZone};
        let now = Utc::now().with_timezone(&zone);
        let today = now.date_naive();
        if today.day() < self.day {
            return Ok(Vec::new());
        }
        let month_start = zone
            .with_ymd_and_hms(today.year(), today.month(), 1, 0, 0, 0)
            .earliest()
            .map_or_else(Utc::now, |t| t.with_timezone(&Utc));
        let viewer = Viewer::service(SCHEDULER);
        let root = store.root_code().await?;
        let mut written = Vec::new();
        for code in std::iter::once(root).chain(self.units.iter().cloned()) {
            if store.pack_made_since(&code, SCHEDULER, month_start).await? {
                continue;
            }
            let scope = Scope::read(store, &viewer, Some(&code), None).await?;
            let name = domain::export::file_name("board-pack", &scope.code, scope.as_of, "pdf");
            let detail = format!("PDF {name} (monthly)");
            let actor = app::api::ssr::Actor::local(SCHEDULER);
            let audit = actor.entry(domain::access::AuditAction::Exported, &detail);
            // Its own pack, even where someone published the same figures.
            let made = make(&scope, &audit, today, zone, false).await?;
            let path = self.dir.join(&name);
            std::fs::create_dir_all(&self.dir)
                .and_then(|()| std::fs::write(&path, &made.pdf))
                .map_err(|e| AppError::internal(format!("writing {}: {e}", path.display())))?;
            written.push(path);
        }
        Ok(written)
    }
}
