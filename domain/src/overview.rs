//! The Overview page's figures: what the server sends, built from rollup
//! counts by the definitions in [`crate::metrics`].

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{
    access::Reach,
    chart::{AxisFormat, LineChart, Series, XValues},
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
    pub trend: LineChart,
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

pub fn adoption_trend(series: &[SubjectSeries]) -> LineChart {
    LineChart {
        title: "Adoption rate by tool".to_owned(),
        x_title: "Day".to_owned(),
        y_title: "Active in last 28 days ÷ eligible (%)".to_owned(),
        y_format: AxisFormat::Percent,
        series: series
            .iter()
            .enumerate()
            .map(|(i, s)| Series {
                name: s.label.clone(),
                colour: LineChart::colour(i),
                x: XValues::Dates(s.days.iter().map(|(d, _)| *d).collect()),
                y: s.days
                    .iter()
                    .map(|(_, c)| c.and_then(|c| c.adoption_rate()))
                    .collect(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trend_has_one_series_per_subject_with_gaps_before_go_live_and_where_hidden() {
        let day = |s: &str| s.parse::<NaiveDate>().expect("date");
        let c = |eligible, active28| Counts {
            eligible,
            active28,
            ..Counts::default()
        };
        let chart = adoption_trend(&[
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
        assert_eq!(chart.series.len(), 2);
        assert_eq!(chart.series[0].y, vec![None, Some(0.25), None]);
        assert_eq!(chart.series[1].y, vec![Some(0.5)]);
        assert_ne!(chart.series[0].colour, chart.series[1].colour);
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
