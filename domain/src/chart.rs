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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineChart {
    pub title: String,
    pub x_title: String,
    pub y_title: String,
    pub y_format: AxisFormat,
    pub series: Vec<Series>,
}

impl LineChart {
    pub fn colour(index: usize) -> String {
        PALETTE[index % PALETTE.len()].to_owned()
    }
}
