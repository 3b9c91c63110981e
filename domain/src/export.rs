//! What every export is made of, whatever its format: tables of typed,
//! published cells, built from the same view values the pages show (so
//! the pages, the CSVs, the workbook and the board pack never disagree),
//! and the rules every export follows.

pub mod methods;
pub mod pack;
pub mod tables;

use std::borrow::Cow;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{display, publication::band};

/// How a suppressed figure reads in every export, as on screen.
pub const HIDDEN: &str = "[c]";

/// One figure or label of an exported table, typed so that a workbook can
/// hold numbers as numbers and dates as dates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Cell {
    /// A name or a phrase (neutralised against formula injection when
    /// written to a spreadsheet or CSV).
    Text(String),
    Count(u32),
    /// A share, 0 to 1.
    Rate(f64),
    /// A change in percentage points (0.021 is 2.1 points).
    Points(f64),
    /// How far short of a target, in percentage points (0 at or over it).
    Gap(f64),
    /// A number of days.
    Days(f64),
    Day(NaiveDate),
    /// A figure published as a band (a count or share near 0 or near all),
    /// as its range in words: "0–2" or "96.0–100.0%".
    Band(String),
    /// Hidden by disclosure control: `[c]`.
    Hidden,
    /// No figure, and why in a word or two ("–", "not live").
    Blank(String),
}

impl Cell {
    /// A published count of a cell with `eligible` people: the count, or
    /// its band where the primary rule bands it.
    pub fn count_in(value: u32, eligible: u32) -> Cell {
        match band(value, eligible) {
            Some(_) if eligible > 0 => Cell::Band(display::count_in(value, eligible)),
            _ => Cell::Count(value),
        }
    }

    /// A published count as a share of its cell's eligible: the share, its
    /// band's range, or "–" for nobody.
    pub fn share_in(value: u32, eligible: u32) -> Cell {
        match band(value, eligible) {
            _ if eligible == 0 => Cell::Blank("–".to_owned()),
            Some(_) => Cell::Band(display::share_in(value, eligible)),
            None => Cell::Rate(f64::from(value) / f64::from(eligible)),
        }
    }

    /// A rate that may be missing (hidden, or nobody to measure).
    pub fn rate_or_hidden(rate: Option<f64>) -> Cell {
        rate.map_or(Cell::Hidden, Cell::Rate)
    }

    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    /// The cell as CSV and the board pack write it: numbers plain (no
    /// thousands separators, so a spreadsheet reads them), rates and points
    /// in percent with one decimal, days en-GB.
    pub fn plain(&self) -> Cow<'_, str> {
        match self {
            Cell::Text(s) | Cell::Band(s) | Cell::Blank(s) => Cow::Borrowed(s),
            Cell::Count(n) => Cow::Owned(n.to_string()),
            Cell::Rate(r) => Cow::Owned(format!("{:.1}", r * 100.0)),
            Cell::Points(p) | Cell::Gap(p) => Cow::Owned(format!("{:.1}", p * 100.0)),
            Cell::Days(d) if d.fract() == 0.0 => Cow::Owned(format!("{d:.0}")),
            Cell::Days(d) => Cow::Owned(format!("{d:.1}")),
            Cell::Day(d) => Cow::Owned(display::date(*d)),
            Cell::Hidden => Cow::Borrowed(HIDDEN),
        }
    }

    /// The cell as a page or the board pack shows it to a reader: counts
    /// with separators, rates with their per cent sign.
    pub fn shown(&self) -> Cow<'_, str> {
        match self {
            Cell::Count(n) => Cow::Owned(display::count(*n)),
            Cell::Rate(r) => Cow::Owned(display::percent(Some(*r))),
            Cell::Points(p) => Cow::Owned(display::points(*p)),
            Cell::Gap(g) => Cow::Owned(display::gap(Some(*g))),
            other => other.plain(),
        }
    }

    /// Whether the cell is a number a spreadsheet should right-align.
    pub fn numeric(&self) -> bool {
        !matches!(self, Cell::Text(_))
    }
}

/// One table of an export: a heading per column and rows of cells, with
/// what it is and how to read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// Its name in addresses, file names and sheet names
    /// (`units`, `bands`, …).
    pub key: String,
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// How to read it: definitions, and what `[c]` means.
    pub note: String,
}

impl Table {
    pub fn new(key: &str, title: impl Into<String>, columns: Vec<String>) -> Self {
        Self {
            key: key.to_owned(),
            title: title.into(),
            columns,
            rows: Vec::new(),
            note: String::new(),
        }
    }

    /// The table as CSV: a header row, then a row per table row; text
    /// neutralised against formula injection.
    pub fn csv(&self) -> Result<Vec<u8>, csv::Error> {
        let mut out = csv::Writer::from_writer(Vec::new());
        out.write_record(self.columns.iter().map(|c| neutralise(c).into_owned()))?;
        for row in &self.rows {
            out.write_record(row.iter().map(|cell| {
                match cell {
                    Cell::Text(s) | Cell::Band(s) | Cell::Blank(s) => neutralise(s),
                    other => other.plain(),
                }
                .into_owned()
            }))?;
        }
        out.flush()?;
        out.into_inner().map_err(|e| e.into_error().into())
    }
}

/// A file name for an export: what it is, its scope and its day, in
/// characters every system takes (`uptake-units-C01-2026-11-25.csv`).
pub fn file_name(what: &str, scope: &str, as_of: NaiveDate, extension: &str) -> String {
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '_' => c,
                _ => '_',
            })
            .collect()
    };
    format!("uptake-{}-{}-{as_of}.{extension}", safe(what), safe(scope))
}

/// A text cell made safe for spreadsheets: one that begins with `=`, `+`,
/// `-`, `@`, a tab or a carriage return would run as a formula, so it gets
/// a leading apostrophe.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_neutralised_and_the_rest_left_alone() {
        for risky in ["=1+1", "+44 20", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(risky), format!("'{risky}"));
        }
        for safe in ["", "Box", "a=b", "2026-11-25", "'quoted"] {
            assert!(matches!(neutralise(safe), Cow::Borrowed(s) if s == safe));
        }
    }

    #[test]
    fn counts_near_nobody_or_everyone_are_banded_and_the_rest_typed() {
        // k = 10 people: 1 active reads as 0–2, 9 as 8–10 (within 3 of all).
        assert_eq!(Cell::count_in(1, 10), Cell::Band("0–2".into()));
        assert_eq!(Cell::count_in(9, 10), Cell::Band("8–10".into()));
        assert_eq!(Cell::count_in(5, 10), Cell::Count(5));
        assert_eq!(Cell::share_in(5, 10), Cell::Rate(0.5));
        assert_eq!(Cell::share_in(0, 10), Cell::Band("0.0–20.0%".into()));
        assert_eq!(Cell::share_in(0, 0), Cell::Blank("–".into()));
    }

    #[test]
    fn csv_writes_numbers_plainly_and_neutralises_text() {
        let mut t = Table::new(
            "t",
            "T",
            vec!["Unit".into(), "Eligible".into(), "Rate (%)".into()],
        );
        t.rows.push(vec![
            Cell::text("=HYPERLINK(\"http://x\",\"y\")"),
            Cell::Count(1204),
            Cell::Rate(0.4567),
        ]);
        t.rows
            .push(vec![Cell::text("Leeds"), Cell::Hidden, Cell::Hidden]);
        let csv = String::from_utf8(t.csv().expect("csv")).expect("utf-8");
        assert_eq!(
            csv,
            "Unit,Eligible,Rate (%)\n\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",1204,45.7\nLeeds,[c],[c]\n"
        );
    }

    #[test]
    fn file_names_carry_scope_and_day_in_safe_characters() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 25).expect("day");
        assert_eq!(
            file_name("units", "C01", day, "csv"),
            "uptake-units-C01-2026-11-25.csv"
        );
        assert_eq!(
            file_name("units", "../x y", day, "csv"),
            "uptake-units-___x_y-2026-11-25.csv"
        );
    }
}
