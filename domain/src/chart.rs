//! Chart specifications, written once and rendered by plotly in the
//! browser; the board exports are to draw the same values.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The colour-blind-safe series palette (Okabe–Ito).
pub const PALETTE: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AxisFormat {
    Percent,
    Count,
}

impl AxisFormat {
    /// One value as the chart's table shows it.
    pub fn display(self, value: f64) -> String {
        match self {
            AxisFormat::Percent => crate::display::percent(Some(value)),
            AxisFormat::Count => {
                crate::display::count(value.round().clamp(0.0, f64::from(u32::MAX)) as u32)
            }
        }
    }
}

/// A series' x values: calendar days, or days since go-live.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum XValues {
    Dates(Vec<NaiveDate>),
    DaysSinceGoLive(Vec<i32>),
}

impl XValues {
    /// One x value as the chart's table shows it.
    pub fn label(&self, i: usize) -> String {
        match self {
            XValues::Dates(d) => crate::display::date(d[i]),
            XValues::DaysSinceGoLive(d) => format!("day {}", d[i]),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub name: String,
    pub colour: String,
    pub x: XValues,
    /// `None` where there is no figure (nobody eligible yet).
    pub y: Vec<Option<f64>>,
}

/// One group of bars: a value per category, `None` where there is no
/// figure (hidden, or nobody eligible).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BarSeries {
    pub name: String,
    pub colour: String,
    pub values: Vec<Option<f64>>,
}

/// What a chart draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ChartKind {
    /// Lines over calendar days or days since go-live.
    Lines(Vec<Series>),
    /// Bars by category, side by side per series.
    Bars {
        categories: Vec<String>,
        series: Vec<BarSeries>,
    },
}

/// A chart of any kind the views draw. Each chart is built by one pure
/// function in `domain` from published figures; the browser renders it
/// with plotly (`app::charts::plot`), and the board exports are to draw the
/// same value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chart {
    pub title: String,
    pub x_title: String,
    pub y_title: String,
    pub y_format: AxisFormat,
    pub kind: ChartKind,
    /// Days marked across a chart over calendar days, each with what
    /// happened (a wave going live, which makes a rate fall as the number
    /// eligible jumps).
    #[serde(default)]
    pub markers: Vec<Marker>,
    /// Targets drawn as points on a chart over calendar days: a value to
    /// reach by a day (a wave's target).
    #[serde(default)]
    pub targets: Vec<TargetPoint>,
}

/// A target drawn on a chart: its day, its value, and whose it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetPoint {
    pub day: NaiveDate,
    pub value: f64,
    pub label: String,
}

/// A day marked across a chart, with a short label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    pub day: NaiveDate,
    pub label: String,
}

impl Chart {
    pub fn colour(index: usize) -> String {
        PALETTE[index % PALETTE.len()].to_owned()
    }

    /// The lines of a line chart (none for other kinds).
    pub fn lines(&self) -> &[Series] {
        match &self.kind {
            ChartKind::Lines(series) => series,
            ChartKind::Bars { .. } => &[],
        }
    }

    /// The chart's figures as the table beside it shows them, for keyboard
    /// and screen-reader users: (series, where, value). A line gives its
    /// latest figure; bars give one row per category.
    pub fn table(&self) -> Vec<[String; 3]> {
        let value = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |v| self.y_format.display(v));
        let targets = self.targets.iter().map(|t| {
            [
                t.label.clone(),
                crate::display::date(t.day),
                value(Some(t.value)),
            ]
        });
        let figures: Vec<[String; 3]> = match &self.kind {
            ChartKind::Lines(series) => series
                .iter()
                .map(|s| {
                    let last =
                        s.y.iter()
                            .enumerate()
                            .rev()
                            .find_map(|(i, y)| y.map(|v| (i, v)));
                    match last {
                        Some((i, v)) => [s.name.clone(), s.x.label(i), value(Some(v))],
                        None => [s.name.clone(), "–".to_owned(), value(None)],
                    }
                })
                .collect(),
            ChartKind::Bars { categories, series } => series
                .iter()
                .flat_map(|s| {
                    categories
                        .iter()
                        .zip(&s.values)
                        .map(|(c, v)| [s.name.clone(), c.clone(), value(*v)])
                })
                .collect(),
        };
        figures.into_iter().chain(targets).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_beside_a_chart_gives_each_lines_latest_figure_and_every_bar() {
        let lines = Chart {
            title: "t".into(),
            x_title: "Day".into(),
            y_title: "%".into(),
            y_format: AxisFormat::Percent,
            kind: ChartKind::Lines(vec![Series {
                name: "Teams".into(),
                colour: Chart::colour(0),
                x: XValues::DaysSinceGoLive(vec![0, 1, 2]),
                y: vec![Some(0.1), Some(0.25), None],
            }]),
            markers: Vec::new(),
            targets: Vec::new(),
        };
        assert_eq!(
            lines.table(),
            [["Teams".to_owned(), "day 1".into(), "25.0%".into()]]
        );
        let targeted = Chart {
            targets: vec![TargetPoint {
                day: NaiveDate::from_ymd_opt(2026, 12, 31).expect("date"),
                value: 0.8,
                label: "Wave 1 target".into(),
            }],
            ..lines.clone()
        };
        assert_eq!(
            targeted.table()[1],
            [
                "Wave 1 target".to_owned(),
                "31 Dec 2026".into(),
                "80.0%".into()
            ]
        );
        let bars = Chart {
            kind: ChartKind::Bars {
                categories: vec!["Under 25".into(), "25–34".into()],
                series: vec![BarSeries {
                    name: "C01".into(),
                    colour: Chart::colour(0),
                    values: vec![Some(0.5), None],
                }],
            },
            ..lines
        };
        assert_eq!(
            bars.table(),
            [
                ["C01".to_owned(), "Under 25".into(), "50.0%".into()],
                ["C01".to_owned(), "25–34".into(), "–".into()],
            ]
        );
        assert!(bars.lines().is_empty());
    }
}
