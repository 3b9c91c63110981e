//! Uptake by age band: a unit and the units under it, one row each, with a
//! column per band and one for all ages, and the unit's trend per band.
//!
//! The table is published as one view: disclosure control runs over the
//! whole of it, so that no hidden cell follows from a row or column total.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{
    chart::{AxisFormat, BarSeries, Chart, ChartKind, Series, XValues},
    disclosure::{Disclosure, Relations},
    metrics::Counts,
    people::AgeBand,
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
    pub trend: Chart,
}

/// One row before disclosure control.
pub struct RowInput {
    pub code: String,
    pub name: String,
    pub counts: BandCounts,
}

/// The unit's row and its children's rows as published. The unit's own
/// row is shown whatever its size when `own_shown` (the viewer holds its
/// person-level lists).
pub fn publish(
    disclosure: &Disclosure,
    unit: RowInput,
    children: Vec<RowInput>,
    own_shown: bool,
) -> Vec<BandRow> {
    let n = children.len();
    // Relations::table lays out the children's rows, then the totals row.
    // With no rows under the unit, only its bands sum to all ages.
    let (relations, order): (Relations, Vec<usize>) = if n == 0 {
        let order = std::iter::once(ALL_BANDS).chain(0..ALL_BANDS).collect();
        (Relations::total_of(AgeBand::ALL.len()), order)
    } else {
        let order = (0..(n + 1) * BAND_SLOTS).collect();
        (Relations::table(n, AgeBand::ALL.len()), order)
    };
    let flat: Vec<Counts> = children
        .iter()
        .chain(std::iter::once(&unit))
        .flat_map(|r| r.counts)
        .collect();
    let cells: Vec<Counts> = order.iter().map(|&i| flat[i]).collect();
    let shown: Vec<usize> = if own_shown {
        (0..order.len())
            .filter(|&at| order[at] >= n * BAND_SLOTS)
            .collect()
    } else {
        Vec::new()
    };
    let mut hidden = vec![false; flat.len()];
    for (at, h) in disclosure
        .suppress(&relations, &cells, &shown)
        .into_iter()
        .enumerate()
    {
        hidden[order[at]] = h;
    }
    let row = |r: RowInput, at: usize| BandRow {
        cells: (0..BAND_SLOTS)
            .map(|s| (!hidden[at * BAND_SLOTS + s]).then_some(r.counts[s]))
            .collect(),
        code: r.code,
        name: r.name,
    };
    let mut out = vec![row(unit, n)];
    out.extend(children.into_iter().enumerate().map(|(i, r)| row(r, i)));
    out
}

/// The adoption rate per band over days; each day's cell stands alone
/// under the primary rule unless `own_shown`.
pub fn trend(disclosure: &Disclosure, days: &[(NaiveDate, BandCounts)], own_shown: bool) -> Chart {
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
                .map(|(_, c)| {
                    disclosure
                        .publish_unless_shown(c[slot], own_shown)
                        .and_then(|c| c.adoption_rate())
                })
                .collect(),
        })
        .collect();
    Chart {
        title: "Adoption rate by age band over time".to_owned(),
        x_title: "Day".to_owned(),
        y_title: "Active in last 28 days ÷ eligible (%)".to_owned(),
        y_format: AxisFormat::Percent,
        kind: ChartKind::Lines(series),
        markers: Vec::new(),
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

    fn input(code: &str, bands: [Counts; 5]) -> RowInput {
        let mut counts = [Counts::default(); BAND_SLOTS];
        for (i, b) in bands.iter().enumerate() {
            counts[i] = *b;
            counts[ALL_BANDS].add(b);
        }
        RowInput {
            code: code.to_owned(),
            name: code.to_owned(),
            counts,
        }
    }

    #[test]
    fn a_small_band_is_hidden_with_enough_of_the_table_to_protect_it() {
        let full = c(40, 20);
        let a = input("A", [c(5, 2), full, full, full, full]);
        let b = input("B", [full, full, full, full, full]);
        let mut unit = input("U", [full; 5]);
        for s in 0..BAND_SLOTS {
            unit.counts[s] = a.counts[s];
            unit.counts[s].add(&b.counts[s]);
        }
        let rows = publish(&Disclosure::default(), unit, vec![a, b], false);
        assert_eq!(rows[0].code, "U");
        let hidden: Vec<(usize, usize)> = rows
            .iter()
            .enumerate()
            .flat_map(|(r, row)| {
                row.cells
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.is_none())
                    .map(move |(s, _)| (r, s))
            })
            .collect();
        // A's under-25 cell, a partner band in A's row, and the same two
        // bands in B's row, so that neither row nor column gives it away.
        assert_eq!(hidden, vec![(1, 0), (1, 1), (2, 0), (2, 1)]);
        assert!(
            rows[0].cells.iter().all(Option::is_some),
            "the unit's own row stays"
        );
        // The bar chart draws every row band by band, hidden cells as gaps.
        let chart = by_band(&rows);
        let ChartKind::Bars { categories, series } = &chart.kind else {
            panic!("bars")
        };
        assert_eq!(categories.len(), ALL_BANDS);
        let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["U", "A", "B"]);
        assert_eq!(
            series[0].values[0],
            rows[0].cells[0].and_then(|c| c.adoption_rate())
        );
        assert_eq!(series[1].values[..2], [None, None], "A's hidden bands");
        assert_eq!(series[1].values[2], Some(0.5));
    }

    #[test]
    fn a_unit_with_nothing_under_it_protects_a_band_from_its_all_ages_total() {
        let full = c(40, 20);
        let team = input("T", [c(4, 2), full, c(30, 10), full, full]);
        let rows = publish(&Disclosure::default(), team, Vec::new(), false);
        let hidden: Vec<bool> = rows[0].cells.iter().map(Option::is_none).collect();
        // Under 25, and the smallest band that can hide it (35–44).
        assert_eq!(hidden, vec![true, false, true, false, false, false]);
    }

    #[test]
    fn the_trend_hides_days_a_band_is_too_small() {
        let mut day = [c(40, 20); BAND_SLOTS];
        day[0] = c(6, 3);
        let d: NaiveDate = "2026-03-02".parse().expect("date");
        let chart = trend(&Disclosure::default(), &[(d, day)], false);
        assert_eq!(chart.lines().len(), BAND_SLOTS);
        assert_eq!(chart.lines()[0].y, vec![None]);
        assert_eq!(chart.lines()[1].y, vec![Some(0.5)]);
        let shown = trend(&Disclosure::default(), &[(d, day)], true);
        assert_eq!(shown.lines()[0].y, vec![Some(0.5)]);
    }
}
