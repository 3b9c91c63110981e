//! The Overview page's figures: what the server sends, built from rollup
//! counts by the definitions in [`crate::metrics`].

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{
    access::Reach,
    catalog::{Catalog, Subject, ToolId},
    chart::{Chart, ChartKind, Measure, Series, Trend, XValues},
    metrics::Counts,
};

/// One subject's KPI tiles at the as-of day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubjectKpis {
    pub subject: String,
    pub label: String,
    /// `None` when disclosure control hides the unit's figures (`[c]`).
    pub counts: Option<Counts>,
    pub adoption_rate: Option<f64>,
    /// The 28-day window holds days not yet complete, or days before the
    /// source's data starts.
    pub partial: bool,
    /// The adoption rate's change against 7 and 28 days before (0.021 is
    /// 2.1 points), where both days' figures are published.
    pub change_7: Option<f64>,
    pub change_28: Option<f64>,
}

impl SubjectKpis {
    /// The adoption rate where its count is published exactly, not as a
    /// band.
    pub fn exact_rate(&self) -> Option<f64> {
        self.counts
            .filter(|c| crate::publication::band(c.active28, c.eligible).is_none())
            .and_then(|c| c.adoption_rate())
    }
}

/// One unit under the one shown, with a published cell per column
/// subject: `None` is suppressed (`[c]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitRow {
    pub code: String,
    pub name: String,
    pub cells: Vec<Option<Counts>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    /// The unit shown; the root stands for the whole force.
    pub unit_code: String,
    pub scope_name: String,
    /// Whether the viewer may drill down from here.
    pub reach: Reach,
    /// Whether the viewer may list this unit's people.
    pub person_lists: bool,
    /// Product names, for person-level list links.
    pub products: Vec<String>,
    pub as_of: NaiveDate,
    pub complete_through: Option<NaiveDate>,
    pub kpis: Vec<SubjectKpis>,
    pub trend: Trend,
    /// Column headings of the drill-down table: one per product.
    pub columns: Vec<String>,
    /// The visible units directly under this one, after disclosure
    /// control. Empty without a full grant.
    pub children: Vec<UnitRow>,
}

/// One unit's counts for one subject and band over the year to the as-of
/// day, as the series API returns them; `None` on days disclosure control
/// hides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailySeries {
    pub unit_code: String,
    pub subject: String,
    /// The band's label, or `None` for all ages.
    pub band: Option<String>,
    pub days: Vec<(NaiveDate, Option<Counts>)>,
}

/// A subject's daily counts, for the adoption trend; `None` on days
/// disclosure control hides.
pub struct SubjectSeries {
    pub label: String,
    pub days: Vec<(NaiveDate, Option<Counts>)>,
}

/// What an overview is built from: the published cells `store` reads for
/// one unit on the as-of day (`None` is `[c]`), and its tools' trends.
#[derive(Debug, Clone)]
pub struct OverviewCells<'a> {
    pub catalog: &'a Catalog,
    pub code: String,
    pub name: String,
    pub reach: Reach,
    /// Whether the viewer may list this unit's people.
    pub person_lists: bool,
    pub as_of: NaiveDate,
    /// The unit's own cell for each of the catalog's display subjects.
    pub own: HashMap<Subject, Option<Counts>>,
    /// The visible units under it, each with a cell per product.
    pub children: Vec<ChildCells>,
    /// Each tool's all-ages cells at the trend's points, in catalog order.
    pub tool_trends: Vec<Vec<(NaiveDate, Option<Counts>)>>,
    pub coverage: &'a HashMap<ToolId, Coverage>,
}

/// One unit under the one shown, with its published cell per product.
#[derive(Debug, Clone)]
pub struct ChildCells {
    pub code: String,
    pub name: String,
    pub cells: HashMap<Subject, Option<Counts>>,
}

impl Overview {
    /// The overview of published cells: the tiles, a row per product
    /// column for each unit under it, and the trend. Which cells are
    /// published was decided once for every view (`crate::publication`).
    pub fn build(input: OverviewCells<'_>) -> Overview {
        let OverviewCells {
            catalog,
            code,
            name,
            reach,
            person_lists,
            as_of,
            own,
            children,
            tool_trends,
            coverage,
        } = input;
        let columns: Vec<Subject> = catalog
            .products()
            .iter()
            .map(|p| Subject::Product(p.id))
            .collect();
        let coverage_of = |s: Subject| -> Vec<Coverage> {
            catalog
                .subject_tools(s)
                .filter_map(|t| coverage.get(&t.id).copied())
                .collect()
        };
        let kpis = catalog
            .display_subjects()
            .into_iter()
            .map(|s| {
                let counts = own.get(&s).copied().flatten();
                SubjectKpis {
                    subject: s.key(),
                    label: catalog.subject_label(s),
                    counts,
                    adoption_rate: counts.and_then(|c| c.adoption_rate()),
                    partial: window_is_partial(as_of, &coverage_of(s)),
                    change_7: None,
                    change_28: None,
                }
            })
            .collect();
        let trend: Vec<SubjectSeries> = tool_trends
            .into_iter()
            .zip(catalog.tools())
            .map(|(days, tool)| SubjectSeries {
                label: tool.name.clone(),
                days,
            })
            .collect();
        let all_coverage: Vec<Coverage> = coverage.values().copied().collect();
        Overview {
            unit_code: code,
            scope_name: name,
            reach,
            person_lists,
            products: catalog.products().iter().map(|p| p.name.clone()).collect(),
            as_of,
            complete_through: default_as_of(&all_coverage),
            kpis,
            trend: adoption_trend(&trend),
            columns: columns.iter().map(|&s| catalog.subject_label(s)).collect(),
            children: children
                .into_iter()
                .map(|c| UnitRow {
                    cells: columns
                        .iter()
                        .map(|s| c.cells.get(s).copied().flatten())
                        .collect(),
                    code: c.code,
                    name: c.name,
                })
                .collect(),
        }
    }
}

impl Overview {
    /// Each tile's change against the same unit's overview 7 and 28 days
    /// before (`None` where there is none, as before the data starts): the
    /// difference of two rates published exactly, never of hidden ones nor
    /// of a band.
    pub fn with_changes(mut self, week: Option<&Overview>, month: Option<&Overview>) -> Self {
        let rate_in = |before: Option<&Overview>, subject: &str| {
            before?
                .kpis
                .iter()
                .find(|k| k.subject == subject)?
                .exact_rate()
        };
        for k in &mut self.kpis {
            let now = k.exact_rate();
            let change = |then: Option<f64>| Some(now? - then?);
            (k.change_7, k.change_28) = (
                change(rate_in(week, &k.subject)),
                change(rate_in(month, &k.subject)),
            );
        }
        self
    }
}

/// Each tool's adoption over time, as rates and as numbers active.
pub fn adoption_trend(series: &[SubjectSeries]) -> Trend {
    Trend::build(|measure| tool_trend(series, measure))
}

fn tool_trend(series: &[SubjectSeries], measure: Measure) -> Chart {
    let (title, caption) = match measure {
        Measure::Rate => (
            "Adoption rate by tool",
            "Adoption rate: the share of eligible staff who took at least one counted action \
             in the tool in the 28 days up to each day. A rate falls on a go-live day because \
             more people become eligible, not because anyone stopped.",
        ),
        Measure::Active => (
            "Staff active by tool",
            "The number of eligible staff who took at least one counted action in the tool in \
             the 28 days up to each day. A count shown as a band elsewhere is drawn at the \
             band's middle.",
        ),
    };
    Chart {
        title: title.to_owned(),
        x_title: "Day".to_owned(),
        y_title: measure.y_title().to_owned(),
        y_format: measure.format(),
        kind: ChartKind::Lines(
            series
                .iter()
                .enumerate()
                .map(|(i, s)| Series {
                    name: s.label.clone(),
                    colour: Chart::colour(i),
                    x: XValues::Dates(s.days.iter().map(|(d, _)| *d).collect()),
                    y: s.days
                        .iter()
                        .map(|(_, c)| c.and_then(|c| measure.of(&c)))
                        .collect(),
                })
                .collect(),
        ),
        markers: Vec::new(),
        targets: Vec::new(),
        ranges: Vec::new(),
        caption: caption.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overview_shows_the_published_cells_and_nothing_else() {
        use crate::catalog::{ProductId, tests::one_tool_catalog};
        let catalog = one_tool_catalog();
        let m365 = Subject::Product(ProductId(1));
        let c = |eligible, active7, active28, reached| Counts {
            eligible,
            active7,
            active28,
            reached,
        };
        let child = |code: &str, counts| ChildCells {
            code: code.into(),
            name: format!("Unit {code}"),
            cells: HashMap::from([(m365, counts)]),
        };
        let day = |s: &str| s.parse::<NaiveDate>().expect("date");
        let overview = Overview::build(OverviewCells {
            catalog: &catalog,
            code: "F".into(),
            name: "Force".into(),
            reach: Reach::Full,
            person_lists: false,
            as_of: day("2026-03-30"),
            own: HashMap::from([
                (Subject::All, Some(c(30, 12, 15, 20))),
                (m365, Some(c(30, 12, 15, 20))),
            ]),
            // The decision hid both units (B is small, and A would be the
            // force minus B).
            children: vec![child("A", None), child("B", None)],
            tool_trends: vec![vec![
                (day("2026-03-29"), None),
                (day("2026-03-30"), Some(c(30, 12, 15, 20))),
            ]],
            coverage: &HashMap::new(),
        });
        let tiles: Vec<(&str, Option<Counts>)> = overview
            .kpis
            .iter()
            .map(|k| (k.subject.as_str(), k.counts))
            .collect();
        assert_eq!(
            tiles,
            [
                ("all", Some(c(30, 12, 15, 20))),
                ("product:1", Some(c(30, 12, 15, 20)))
            ]
        );
        assert_eq!(overview.kpis[1].adoption_rate, Some(0.5));
        let rows: Vec<(&str, &[Option<Counts>])> = overview
            .children
            .iter()
            .map(|r| (r.code.as_str(), r.cells.as_slice()))
            .collect();
        assert_eq!(rows, [("A", &[None][..]), ("B", &[None][..])]);
        assert_eq!(overview.columns, ["Microsoft 365"]);
        assert_eq!(overview.trend.rate.lines()[0].y, [None, Some(0.5)]);
    }

    #[test]
    fn each_tile_changes_against_the_rates_published_7_and_28_days_before() {
        // A tile of 200 eligible with `active` active in 28 days.
        let tile = |subject: &str, active: Option<u32>| {
            let counts = active.map(|active28| Counts {
                eligible: 200,
                active28,
                ..Counts::default()
            });
            SubjectKpis {
                subject: subject.into(),
                label: subject.into(),
                counts,
                adoption_rate: counts.and_then(|c| c.adoption_rate()),
                partial: false,
                change_7: None,
                change_28: None,
            }
        };
        let overview = |kpis| Overview {
            unit_code: "F".into(),
            scope_name: "Force".into(),
            reach: Reach::Full,
            person_lists: false,
            products: Vec::new(),
            as_of: "2026-03-30".parse().expect("date"),
            complete_through: None,
            kpis,
            trend: adoption_trend(&[]),
            columns: Vec::new(),
            children: Vec::new(),
        };
        let now = overview(vec![tile("all", Some(110)), tile("product:1", Some(80))]);
        // A week before: all tools at 50%, Microsoft 365 hidden.
        let week = overview(vec![tile("all", Some(100)), tile("product:1", None)]);
        let changed = now.clone().with_changes(Some(&week), None);
        let all = &changed.kpis[0];
        assert!((all.change_7.expect("published both days") - 0.05).abs() < 1e-12);
        assert_eq!(all.change_28, None, "no overview 28 days before");
        assert_eq!(changed.kpis[1].change_7, None, "hidden a week before");
        // A month before, nobody (shown as the band 0–2): a band is not a
        // rate to subtract.
        let month = overview(vec![tile("all", Some(1)), tile("product:1", Some(40))]);
        let changed = now.with_changes(None, Some(&month));
        assert_eq!(changed.kpis[0].change_28, None, "banded a month before");
        assert!((changed.kpis[1].change_28.expect("exact both days") - 0.2).abs() < 1e-12);
    }

    #[test]
    fn the_trend_has_one_series_per_subject_with_gaps_before_go_live_and_where_hidden() {
        let day = |s: &str| s.parse::<NaiveDate>().expect("date");
        let c = |eligible, active28| Counts {
            eligible,
            active28,
            ..Counts::default()
        };
        let both = adoption_trend(&[
            SubjectSeries {
                label: "Box".into(),
                days: vec![
                    (day("2026-01-01"), Some(c(0, 0))),
                    (day("2026-01-02"), Some(c(4, 1))),
                    (day("2026-01-03"), None),
                ],
            },
            SubjectSeries {
                label: "Teams".into(),
                days: vec![(day("2026-01-02"), Some(c(10, 5)))],
            },
        ]);
        let chart = &both.rate;
        assert_eq!(chart.lines().len(), 2);
        assert_eq!(chart.lines()[0].y, vec![None, Some(0.25), None]);
        assert_eq!(chart.lines()[1].y, vec![Some(0.5)]);
        assert_ne!(chart.lines()[0].colour, chart.lines()[1].colour);
        // As numbers active: nobody eligible is 0 active, not a gap.
        assert_eq!(both.active.lines()[0].y, vec![Some(0.0), Some(1.0), None]);
        assert_eq!(both.active.title, "Staff active by tool");
    }
}

/// How complete one tool's data is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coverage {
    pub data_start: Option<NaiveDate>,
    pub complete_through: Option<NaiveDate>,
}

/// The default as-of day: the smallest `complete_through` over the tools
/// shown, so that a lagging source never makes today look low.
pub fn default_as_of(coverage: &[Coverage]) -> Option<NaiveDate> {
    coverage.iter().filter_map(|c| c.complete_through).min()
}

/// Whether the 28-day window ending at `as_of` holds days not yet complete,
/// or days before the data starts, for any of the tools.
pub fn window_is_partial(as_of: NaiveDate, coverage: &[Coverage]) -> bool {
    let window_start = as_of - chrono::Days::new((crate::metrics::WINDOW_LONG - 1) as u64);
    coverage.iter().any(|c| {
        c.complete_through.is_none_or(|ct| as_of > ct)
            || c.data_start.is_some_and(|ds| window_start < ds)
    })
}

#[cfg(test)]
mod coverage_tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn as_of_defaults_to_the_least_complete_source() {
        let graph = Coverage {
            data_start: Some(day("2026-01-01")),
            complete_through: Some(day("2026-11-20")),
        };
        let boxes = Coverage {
            data_start: Some(day("2026-01-01")),
            complete_through: Some(day("2026-11-24")),
        };
        assert_eq!(default_as_of(&[graph, boxes]), Some(day("2026-11-20")));
        assert!(!window_is_partial(day("2026-11-20"), &[graph, boxes]));
        assert!(window_is_partial(day("2026-11-21"), &[graph, boxes]));
        // 28 days ending 27 Jan start on 31 Dec, before the data starts.
        assert!(window_is_partial(day("2026-01-27"), &[graph]));
        assert!(!window_is_partial(day("2026-01-28"), &[graph]));
    }
}
