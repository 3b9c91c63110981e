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
        self.at(i).label()
    }

    /// The `i`th x value.
    pub fn at(&self, i: usize) -> XPoint {
        match self {
            XValues::Dates(d) => XPoint::Date(d[i]),
            XValues::DaysSinceGoLive(d) => XPoint::SinceGoLive(d[i]),
        }
    }
}

/// One place on a chart's x axis: a calendar day, or a day since go-live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum XPoint {
    Date(NaiveDate),
    SinceGoLive(i32),
}

impl XPoint {
    /// As the chart's table shows it.
    pub fn label(self) -> String {
        match self {
            XPoint::Date(d) => crate::display::date(d),
            XPoint::SinceGoLive(t) => format!("day {t}"),
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
    /// Targets drawn as points: a value to reach by a day (a wave's
    /// target).
    #[serde(default)]
    pub targets: Vec<TargetPoint>,
    /// Stretches of the x axis at one value, drawn as a thick bar: when a
    /// forecast reaches a target, its 80% band.
    #[serde(default)]
    pub ranges: Vec<Range>,
    /// What the chart's figure means, in words, shown under it.
    #[serde(default)]
    pub caption: String,
}

/// What a chart over time counts: the adoption rate, or the number of
/// people active in the last 28 days (which a go-live does not pull down).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Measure {
    #[default]
    Rate,
    Active,
}

impl Measure {
    pub const ALL: [Measure; 2] = [Measure::Rate, Measure::Active];

    /// Its name in a query string.
    pub fn key(self) -> &'static str {
        match self {
            Measure::Rate => "rate",
            Measure::Active => "active",
        }
    }

    /// From a query string: the rate unless it names the other.
    pub fn parse(key: Option<&str>) -> Self {
        match key {
            Some("active") => Measure::Active,
            _ => Measure::Rate,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Measure::Rate => "Adoption rate",
            Measure::Active => "Number active",
        }
    }

    /// The y axis' title.
    pub fn y_title(self) -> &'static str {
        match self {
            Measure::Rate => "Active in last 28 days ÷ eligible (%)",
            Measure::Active => "Active in last 28 days (people)",
        }
    }

    pub fn format(self) -> AxisFormat {
        match self {
            Measure::Rate => AxisFormat::Percent,
            Measure::Active => AxisFormat::Count,
        }
    }

    /// One published cell's figure (a banded count as published: its
    /// band's middle).
    pub fn of(self, c: &crate::metrics::Counts) -> Option<f64> {
        match self {
            Measure::Rate => c.adoption_rate(),
            Measure::Active => Some(f64::from(c.active28)),
        }
    }
}

/// A chart over time both ways, for a reader to switch between: as rates
/// and as numbers of people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    pub rate: Chart,
    pub active: Chart,
}

impl Trend {
    /// Builds both from one function of the measure.
    pub fn build(chart: impl Fn(Measure) -> Chart) -> Self {
        Self {
            rate: chart(Measure::Rate),
            active: chart(Measure::Active),
        }
    }

    pub fn get(&self, measure: Measure) -> &Chart {
        match measure {
            Measure::Rate => &self.rate,
            Measure::Active => &self.active,
        }
    }

    /// Marks days across both.
    pub fn mark(&mut self, markers: Vec<Marker>) {
        self.active.markers.clone_from(&markers);
        self.rate.markers = markers;
    }
}

/// A target drawn on a chart: where, its value, and whose it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetPoint {
    pub at: XPoint,
    pub value: f64,
    pub label: String,
}

/// A stretch of the x axis at one value, with what it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Range {
    pub from: XPoint,
    pub to: XPoint,
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

    /// The same lines over days since `go_live` instead of calendar days,
    /// from go-live on (lines over other x values, and bars, are left as
    /// they are).
    pub fn since(&self, go_live: NaiveDate) -> Chart {
        let kind = match &self.kind {
            ChartKind::Lines(series) => ChartKind::Lines(
                series
                    .iter()
                    .map(|s| match &s.x {
                        XValues::Dates(days) => {
                            let (x, y): (Vec<i32>, Vec<Option<f64>>) = days
                                .iter()
                                .zip(&s.y)
                                .filter(|(d, _)| **d >= go_live)
                                .map(|(d, y)| {
                                    let t = (*d - go_live).num_days();
                                    (i32::try_from(t).unwrap_or(i32::MAX), *y)
                                })
                                .unzip();
                            Series {
                                x: XValues::DaysSinceGoLive(x),
                                y,
                                ..s.clone()
                            }
                        }
                        XValues::DaysSinceGoLive(_) => s.clone(),
                    })
                    .collect(),
            ),
            bars => bars.clone(),
        };
        Chart {
            kind,
            x_title: format!("Days since go-live ({})", crate::display::date(go_live)),
            markers: Vec::new(),
            targets: Vec::new(),
            ranges: Vec::new(),
            ..self.clone()
        }
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
        let targets = self
            .targets
            .iter()
            .map(|t| [t.label.clone(), t.at.label(), value(Some(t.value))]);
        let ranges = self.ranges.iter().map(|r| {
            [
                r.label.clone(),
                format!("{} – {}", r.from.label(), r.to.label()),
                value(Some(r.value)),
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
        figures.into_iter().chain(targets).chain(ranges).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_over_days_is_re_based_on_a_go_live() {
        let day = |s: &str| s.parse::<NaiveDate>().expect("date");
        let chart = Chart {
            title: "t".into(),
            x_title: "Day".into(),
            y_title: "%".into(),
            y_format: AxisFormat::Percent,
            kind: ChartKind::Lines(vec![Series {
                name: "55 and over".into(),
                colour: Chart::colour(0),
                x: XValues::Dates(vec![
                    day("2026-02-28"),
                    day("2026-03-01"),
                    day("2026-03-08"),
                ]),
                y: vec![Some(0.1), None, Some(0.3)],
            }]),
            markers: vec![Marker {
                day: day("2026-03-01"),
                label: "live".into(),
            }],
            targets: Vec::new(),
            ranges: Vec::new(),
            caption: "c".into(),
        };
        let since = chart.since(day("2026-03-01"));
        let line = &since.lines()[0];
        // The day before go-live is left out; go-live is day 0.
        assert_eq!(line.x, XValues::DaysSinceGoLive(vec![0, 7]));
        assert_eq!(line.y, [None, Some(0.3)]);
        assert_eq!(since.x_title, "Days since go-live (1 Mar 2026)");
        assert!(since.markers.is_empty(), "calendar marks do not carry over");
        assert_eq!(since.caption, "c");
    }

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
            ranges: Vec::new(),
            caption: String::new(),
        };
        assert_eq!(
            lines.table(),
            [["Teams".to_owned(), "day 1".into(), "25.0%".into()]]
        );
        let targeted = Chart {
            targets: vec![TargetPoint {
                at: XPoint::Date(NaiveDate::from_ymd_opt(2026, 12, 31).expect("date")),
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
