//! Uptake by age band: a unit and the units under it, one row each, with a
//! column per band and one for all ages, and the unit's trend per band.
//!
//! Every cell is as the one publication decision leaves it
//! (`crate::publication`), so no hidden cell follows from a row or column
//! total, nor from any other view.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{
    chart::{AxisFormat, BarSeries, Chart, ChartKind, Measure, Series, Trend, XValues},
    metrics::Counts,
    people::AgeBand,
    publication::Published,
    rollup::{ALL_BANDS, BAND_SLOTS},
};

/// A row's counts per band slot: the five bands, then all ages.
pub type BandCounts = [Counts; BAND_SLOTS];

/// The column headings, in band slot order.
pub fn columns() -> Vec<String> {
    AgeBand::ALL
        .iter()
        .map(|b| b.label().to_owned())
        .chain(std::iter::once("All ages".to_owned()))
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BandRow {
    pub code: String,
    pub name: String,
    /// One cell per band slot; `None` is `[c]`.
    pub cells: Vec<Option<Counts>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BandTable {
    pub unit_code: String,
    pub subject: String,
    pub subject_label: String,
    pub as_of: NaiveDate,
    pub columns: Vec<String>,
    /// The unit itself first, then the visible units under it.
    pub rows: Vec<BandRow>,
    /// The unit's adoption rate per band on the as-of day, as published.
    pub by_band: Chart,
    /// The unit's adoption rate per band over time.
    pub trend: Trend,
}

/// Adoption per band at the series' points, as published: as rates and
/// as numbers active.
pub fn trend(days: &[(NaiveDate, Published)]) -> Trend {
    Trend::build(|measure| band_trend(days, measure))
}

fn band_trend(days: &[(NaiveDate, Published)], measure: Measure) -> Chart {
    let series = (0..BAND_SLOTS)
        .map(|slot| Series {
            name: if slot == ALL_BANDS {
                "All ages".to_owned()
            } else {
                AgeBand::ALL[slot].label().to_owned()
            },
            colour: Chart::colour(slot),
            x: XValues::Dates(days.iter().map(|(d, _)| *d).collect()),
            y: days
                .iter()
                .map(|(_, c)| c[slot].and_then(|c| measure.of(&c)))
                .collect(),
        })
        .collect();
    let (title, what) = match measure {
        Measure::Rate => (
            "Adoption rate by age band over time",
            "Adoption rate per age band (age reached this calendar year): active in the last 28 \
             days ÷ eligible",
        ),
        Measure::Active => (
            "Staff active by age band over time",
            "Staff active in the last 28 days per age band (age reached this calendar year)",
        ),
    };
    Chart {
        title: title.to_owned(),
        x_title: "Day".to_owned(),
        y_title: measure.y_title().to_owned(),
        y_format: measure.format(),
        kind: ChartKind::Lines(series),
        markers: Vec::new(),
        targets: Vec::new(),
        ranges: Vec::new(),
        caption: format!(
            "{what}, at the end of each week. A gap is a point hidden by disclosure control."
        ),
    }
}

/// Adoption rate per band on the as-of day for the unit and each unit under
/// it, as published: a group of bars per band, so that a unit whose older
/// staff lead (or trail) stands out. A hidden cell has no bar, as the table
/// shows `[c]`.
pub fn by_band(rows: &[BandRow]) -> Chart {
    let series = rows
        .iter()
        .enumerate()
        .map(|(i, row)| BarSeries {
            name: row.name.clone(),
            colour: Chart::colour(i),
            values: row
                .cells
                .iter()
                .take(ALL_BANDS)
                .map(|c| c.and_then(|c| c.adoption_rate()))
                .collect(),
        })
        .collect();
    Chart {
        title: "Adoption rate by age band".to_owned(),
        x_title: "Age band (age reached this year)".to_owned(),
        y_title: "Active in last 28 days ÷ eligible (%)".to_owned(),
        y_format: AxisFormat::Percent,
        kind: ChartKind::Bars {
            categories: AgeBand::ALL.iter().map(|b| b.label().to_owned()).collect(),
            series,
        },
        markers: Vec::new(),
        targets: Vec::new(),
        ranges: Vec::new(),
        caption: "Adoption rate per age band on the as-of day: active in the last 28 days ÷ eligible. A missing bar is a cell hidden by disclosure control ([c] in the table).".to_owned(),
    }
}

/// The age groups page: a unit's table by age band (with the units under
/// it), the force's row beside it where the unit is not the force, and how
/// its people use the subject by band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgeGroups {
    pub unit_code: String,
    pub unit_name: String,
    /// Every subject the viewer may choose, as (key, label).
    pub subjects: Vec<(String, String)>,
    pub bands: BandTable,
    /// The force's row, for comparison; `None` on the force's own page.
    pub force: Option<BandRow>,
    pub usage: crate::usage::UsageTable,
    /// The unit's go-live for the subject's product (its own wave's, or the
    /// one above it); `None` for the force, whose units went live on
    /// different days, and for a unit in no wave.
    #[serde(default)]
    pub go_live: Option<NaiveDate>,
}

impl AgeGroups {
    /// The unit's adoption per band by days since its go-live, so that
    /// units that went live on different days compare fairly.
    pub fn since_go_live(&self) -> Option<Chart> {
        let go_live = self.go_live?;
        let mut chart = self.bands.trend.rate.since(go_live);
        chart.title = format!(
            "{}: adoption rate by age band since go-live",
            self.unit_name
        );
        chart.caption = format!(
            "Adoption rate per age band (age reached this calendar year) at the end of each \
             week, counted from {}'s go-live on {}. A gap is a point hidden by disclosure \
             control.",
            self.unit_name,
            crate::display::date(go_live)
        );
        Some(chart)
    }

    /// The unit's adoption by band beside the force's.
    pub fn versus_force(&self) -> Option<Chart> {
        let force = self.force.as_ref()?;
        let mut chart = by_band(&[self.bands.rows.first()?.clone(), force.clone()]);
        chart.title = format!("{} and the force, by age band", self.unit_name);
        Some(chart)
    }

    /// Which end of the age range leads, in words, for the unit and the
    /// force.
    pub fn pattern_words(&self) -> String {
        let unit = self.bands.rows.first().and_then(age_lead);
        let force = self.force.as_ref().and_then(age_lead);
        let said = |lead: &AgeLead, whose: &str| {
            format!(
                "{whose}: {} {}, {} {}; {}.",
                lead.youngest.0,
                crate::display::percent(Some(lead.youngest.1)),
                lead.oldest.0,
                crate::display::percent(Some(lead.oldest.1)),
                lead.words()
            )
        };
        match (unit, force) {
            (Some(u), Some(f)) => {
                format!("{} {}", said(&u, &self.unit_name), said(&f, "The force"))
            }
            (Some(u), None) => said(&u, &self.unit_name),
            (None, Some(f)) => format!(
                "Too few of {}'s age bands are published to compare. {}",
                self.unit_name,
                said(&f, "The force")
            ),
            (None, None) => "Too few age bands are published to compare.".to_owned(),
        }
    }
}

/// The youngest and oldest age bands of a row with an exact published rate
/// (a banded count's rate is a range, not a figure to compare), as (band,
/// rate).
#[derive(Debug, Clone, PartialEq)]
pub struct AgeLead {
    pub youngest: (&'static str, f64),
    pub oldest: (&'static str, f64),
}

impl AgeLead {
    /// Who leads, by how many points (within half a point: level).
    pub fn words(&self) -> String {
        let difference = self.oldest.1 - self.youngest.1;
        if difference.abs() < 0.005 {
            "level".to_owned()
        } else {
            let who = if difference > 0.0 {
                "older staff lead"
            } else {
                "younger staff lead"
            };
            format!("{who} by {:.1} points", difference.abs() * 100.0)
        }
    }
}

/// The row's age lead, where at least two bands have an exact rate.
pub fn age_lead(row: &BandRow) -> Option<AgeLead> {
    let exact: Vec<(&'static str, f64)> = AgeBand::ALL
        .iter()
        .zip(&row.cells)
        .filter_map(|(band, cell)| {
            let c = (*cell)?;
            crate::publication::band(c.active28, c.eligible)
                .is_none()
                .then_some(())?;
            Some((band.label(), c.adoption_rate()?))
        })
        .collect();
    match exact.as_slice() {
        [first, .., last] => Some(AgeLead {
            youngest: *first,
            oldest: *last,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(eligible: u32, active28: u32) -> Counts {
        Counts {
            eligible,
            active28,
            ..Counts::default()
        }
    }

    #[test]
    fn the_age_lead_compares_the_outermost_bands_with_an_exact_rate() {
        let row = |cells: Vec<Option<Counts>>| BandRow {
            code: "C1".into(),
            name: "North".into(),
            cells,
        };
        // Under 25 hidden; 25–34 at 20 of 50 (40%); 35–44 banded (48 of
        // 50 active: a range, not a figure); 45–54 none; 55 and over 30
        // of 40 (75%).
        let r = row(vec![
            None,
            Some(c(50, 20)),
            Some(c(50, 48)),
            Some(c(0, 0)),
            Some(c(40, 30)),
            Some(c(140, 98)),
        ]);
        let lead = age_lead(&r).expect("two exact bands");
        assert_eq!(lead.youngest, ("25–34", 0.4));
        assert_eq!(lead.oldest, ("55 and over", 0.75));
        assert_eq!(lead.words(), "older staff lead by 35.0 points");
        let level = AgeLead {
            youngest: ("under 25", 0.5),
            oldest: ("55 and over", 0.504),
        };
        assert_eq!(level.words(), "level");
        assert_eq!(
            age_lead(&row(vec![None, Some(c(50, 20)), None, None, None, None])),
            None
        );
    }

    #[test]
    fn the_bar_chart_draws_each_row_band_by_band_with_hidden_cells_as_gaps() {
        let row = |code: &str, cells: Vec<Option<Counts>>| BandRow {
            code: code.to_owned(),
            name: code.to_owned(),
            cells,
        };
        let full = Some(c(40, 20));
        let rows = [
            row(
                "U",
                vec![Some(c(80, 30)), Some(c(80, 40)), full, full, full, full],
            ),
            row("A", vec![None, None, full, full, full, full]),
        ];
        let chart = by_band(&rows);
        let ChartKind::Bars { categories, series } = &chart.kind else {
            panic!("bars")
        };
        assert_eq!(categories.len(), ALL_BANDS);
        let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["U", "A"]);
        assert_eq!(series[0].values[..2], [Some(0.375), Some(0.5)]);
        assert_eq!(series[1].values[..2], [None, None], "A's hidden bands");
        assert_eq!(series[1].values[2], Some(0.5));
    }

    #[test]
    fn the_trend_leaves_a_gap_where_a_band_is_hidden() {
        let mut day = [Some(c(40, 20)); BAND_SLOTS];
        day[0] = None;
        let d: NaiveDate = "2026-03-02".parse().expect("date");
        let both = trend(&[(d, day)]);
        let chart = &both.rate;
        assert_eq!(chart.lines().len(), BAND_SLOTS);
        assert_eq!(chart.lines()[0].y, vec![None]);
        assert_eq!(chart.lines()[1].y, vec![Some(0.5)]);
        // As numbers: 20 active of 40, the hidden band still a gap.
        assert_eq!(both.active.lines()[0].y, vec![None]);
        assert_eq!(both.active.lines()[1].y, vec![Some(20.0)]);
        assert_eq!(both.active.y_format, AxisFormat::Count);
    }
}
