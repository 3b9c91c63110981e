//! The units view ("where do we help?"): the unit tree as one table that
//! opens level by level, each level sorted by any column, with each unit's
//! published figures, its gap to its wave's target, its status and a
//! sparkline of the last 90 days.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{
    bands::BandTable,
    forecast::{Outlook, Status},
    metrics::Counts,
};

/// How many days a row's sparkline covers.
pub const SPARK_DAYS: u64 = 90;

/// One unit of the tree as the viewer may see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeRow {
    pub code: String,
    pub name: String,
    /// The row it sits under; `None` for a root of the viewer's tree.
    pub parent: Option<String>,
    /// 0 for a root.
    pub depth: u32,
    /// Whether it has units under it the viewer may see.
    pub has_children: bool,
    /// Whether its children are listed.
    pub open: bool,
    /// The published cell for the subject, all ages; `None` where hidden.
    pub cell: Option<Counts>,
    /// The wave of the subject's product it is in, with its target.
    pub wave: Option<WaveTarget>,
    /// The adoption rate at each point of the last [`SPARK_DAYS`], where
    /// published.
    pub spark: Vec<(NaiveDate, Option<f64>)>,
}

/// The wave a row belongs to, and where the row stands against it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaveTarget {
    pub id: i32,
    pub name: String,
    pub target_value: f64,
    pub target_date: NaiveDate,
    /// How far below the target (0 at or over it); `None` where hidden.
    pub gap: Option<f64>,
    pub outlook: Outlook,
}

/// The tree for one subject on one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitTree {
    pub subject: String,
    pub subject_label: String,
    /// Every subject the viewer may choose, as (key, label).
    pub subjects: Vec<(String, String)>,
    pub as_of: NaiveDate,
    /// Whether waves (and so targets) are set for this subject: they are
    /// set per product.
    pub targets: bool,
    /// Roots first, each row followed by its listed children.
    pub rows: Vec<TreeRow>,
}

/// The units page: the tree, and the units under one of its rows by age
/// band (the heatmap), for the same subject and day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitsView {
    pub tree: UnitTree,
    pub heat: BandTable,
}

/// A column the tree sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Name,
    Eligible,
    Active,
    Rate,
    Reached,
    Gap,
    Status,
}

impl SortKey {
    pub const ALL: [SortKey; 7] = [
        SortKey::Name,
        SortKey::Eligible,
        SortKey::Active,
        SortKey::Rate,
        SortKey::Reached,
        SortKey::Gap,
        SortKey::Status,
    ];

    pub fn key(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Eligible => "eligible",
            SortKey::Active => "active",
            SortKey::Rate => "rate",
            SortKey::Reached => "reached",
            SortKey::Gap => "gap",
            SortKey::Status => "status",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }

    /// The direction a first click sorts in: the most telling first
    /// (largest, furthest behind, worst status), names A to Z.
    pub fn descending_first(self) -> bool {
        !matches!(self, SortKey::Name | SortKey::Status)
    }

    /// The order a query asks for (`sort`, `dir`): by name unless a known
    /// key is given, in that key's first direction unless `dir` says.
    pub fn from_query(sort: Option<&str>, dir: Option<&str>) -> (Self, bool) {
        let key = sort.and_then(Self::parse).unwrap_or_default();
        (key, dir.map_or(key.descending_first(), |d| d == "desc"))
    }

    /// The query of an order (`sort=…&dir=…`), `None` for the default (by
    /// name, A to Z).
    pub fn query(self, descending: bool) -> Option<String> {
        (self != SortKey::Name || descending).then(|| {
            format!(
                "sort={}&dir={}",
                self.key(),
                if descending { "desc" } else { "asc" }
            )
        })
    }

    /// The value a row sorts by; `None` (hidden, or no wave) sorts last
    /// whichever the direction, so a hidden figure's place tells nothing.
    fn value(self, row: &TreeRow) -> Option<f64> {
        let cell = row.cell.filter(|c| c.eligible > 0);
        match self {
            SortKey::Name => Some(0.0),
            SortKey::Eligible => row.cell.map(|c| f64::from(c.eligible)),
            SortKey::Active => cell.map(|c| f64::from(c.active28)),
            SortKey::Rate => cell.and_then(|c| c.adoption_rate()),
            SortKey::Reached => cell.and_then(|c| c.reached_share()),
            SortKey::Gap => row.wave.as_ref().and_then(|w| w.gap),
            SortKey::Status => row.wave.as_ref().map(|w| status_rank(w.outlook.status)),
        }
    }
}

/// Worst first: what needs help soonest.
fn status_rank(status: Status) -> f64 {
    match status {
        Status::Missed => 0.0,
        Status::Behind => 1.0,
        Status::AtRisk => 2.0,
        Status::OnTrack => 3.0,
        Status::Met => 4.0,
        Status::NotEnoughData => 5.0,
    }
}

/// The rows in tree order (each row followed by its children), the
/// children of each row sorted by `key`; ties and the name column by name.
pub fn arrange(rows: Vec<TreeRow>, key: SortKey, descending: bool) -> Vec<TreeRow> {
    let codes: HashSet<String> = rows.iter().map(|r| r.code.clone()).collect();
    let order = |a: &TreeRow, b: &TreeRow| {
        let by_name = a.name.cmp(&b.name).then_with(|| a.code.cmp(&b.code));
        let by_value = match (key.value(a), key.value(b)) {
            (Some(x), Some(y)) if descending => y.total_cmp(&x),
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        };
        match key {
            SortKey::Name if descending => by_name.reverse(),
            _ => by_value.then(by_name),
        }
    };
    let count = rows.len();
    let mut roots = Vec::new();
    let mut children: HashMap<String, Vec<TreeRow>> = HashMap::new();
    for row in rows {
        match row.parent.clone().filter(|p| codes.contains(p)) {
            Some(parent) => children.entry(parent).or_default().push(row),
            None => roots.push(row),
        }
    }
    roots.sort_by(order);
    let mut out = Vec::with_capacity(count);
    // Depth first: a row, then its children in order.
    let mut stack: Vec<TreeRow> = roots.into_iter().rev().collect();
    while let Some(row) = stack.pop() {
        if let Some(mut under) = children.remove(&row.code) {
            under.sort_by(order);
            stack.extend(under.into_iter().rev());
        }
        out.push(row);
    }
    out
}

/// The open list after a click on `code`'s toggle: opened if closed,
/// closed (with every open row under it) if open. `under` tells whether a
/// code lies under another.
pub fn toggled(open: &[String], code: &str, under: impl Fn(&str, &str) -> bool) -> Vec<String> {
    if open.iter().any(|c| c == code) {
        open.iter()
            .filter(|c| *c != code && !under(c, code))
            .cloned()
            .collect()
    } else {
        let mut out = open.to_vec();
        out.push(code.to_owned());
        out
    }
}

/// A sparkline's SVG path over a `width` × `height` box: the rate from 0
/// (bottom) to 1 (top), one segment per run of published points (a hidden
/// point breaks the line, and nothing is drawn for it). `None` when no
/// point is published.
pub fn spark_path(points: &[(NaiveDate, Option<f64>)], width: f64, height: f64) -> Option<String> {
    let n = points.len();
    if points.iter().all(|(_, v)| v.is_none()) {
        return None;
    }
    let x = |i: usize| {
        if n <= 1 {
            width / 2.0
        } else {
            width * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| height * (1.0 - v.clamp(0.0, 1.0));
    let mut d = String::new();
    let mut drawing = false;
    for (i, (_, v)) in points.iter().enumerate() {
        match v {
            Some(v) => {
                let command = if drawing { 'L' } else { 'M' };
                d.push_str(&format!("{command}{:.1} {:.1} ", x(i), y(*v)));
                drawing = true;
            }
            None => drawing = false,
        }
    }
    Some(d.trim_end().to_owned())
}

/// A sparkline in words, for screen readers: the first and last published
/// rates of the span.
pub fn spark_words(points: &[(NaiveDate, Option<f64>)]) -> String {
    let published: Vec<(NaiveDate, f64)> =
        points.iter().filter_map(|&(d, v)| Some((d, v?))).collect();
    match (published.first(), published.last()) {
        (Some(first), Some(last)) if published.len() > 1 => format!(
            "Adoption {} on {}, {} on {}",
            crate::display::percent(Some(first.1)),
            crate::display::date(first.0),
            crate::display::percent(Some(last.1)),
            crate::display::date(last.0)
        ),
        (Some(only), _) => format!(
            "Adoption {} on {}",
            crate::display::percent(Some(only.1)),
            crate::display::date(only.0)
        ),
        _ => "No published figures in the last 90 days".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(code: &str, parent: Option<&str>, eligible: u32, active: u32) -> TreeRow {
        TreeRow {
            code: code.into(),
            name: format!("Unit {code}"),
            parent: parent.map(str::to_owned),
            depth: u32::from(parent.is_some()),
            has_children: false,
            open: false,
            cell: (eligible > 0).then_some(Counts {
                eligible,
                active7: active,
                active28: active,
                reached: active,
            }),
            wave: None,
            spark: Vec::new(),
        }
    }

    fn codes(rows: &[TreeRow]) -> Vec<&str> {
        rows.iter().map(|r| r.code.as_str()).collect()
    }

    #[test]
    fn each_level_sorts_under_its_parent_and_hidden_rows_go_last_both_ways() {
        // Rates: A 50%, B hidden, C 80%; under A: A2 20%, A1 90%.
        let rows = vec![
            row("F", None, 100, 60),
            row("A", Some("F"), 40, 20),
            row("B", Some("F"), 0, 0),
            row("C", Some("F"), 50, 40),
            row("A1", Some("A"), 20, 18),
            row("A2", Some("A"), 20, 4),
        ];
        let down = arrange(rows.clone(), SortKey::Rate, true);
        assert_eq!(codes(&down), ["F", "C", "A", "A1", "A2", "B"]);
        let up = arrange(rows.clone(), SortKey::Rate, false);
        assert_eq!(codes(&up), ["F", "A", "A2", "A1", "C", "B"]);
        let by_name = arrange(rows, SortKey::Name, true);
        assert_eq!(codes(&by_name), ["F", "C", "B", "A", "A2", "A1"]);
    }

    #[test]
    fn an_order_reads_from_its_query_and_writes_back_the_same() {
        assert_eq!(SortKey::from_query(None, None), (SortKey::Name, false));
        assert_eq!(SortKey::Name.query(false), None, "the default says nothing");
        assert_eq!(
            SortKey::from_query(Some("rate"), None),
            (SortKey::Rate, true),
            "a figure sorts largest first"
        );
        assert_eq!(
            SortKey::from_query(Some("gap"), Some("asc")),
            (SortKey::Gap, false)
        );
        assert_eq!(
            SortKey::from_query(Some("nonsense"), Some("desc")),
            (SortKey::Name, true)
        );
        for key in SortKey::ALL {
            for descending in [false, true] {
                let query = key.query(descending).unwrap_or_default();
                let pairs: HashMap<&str, &str> =
                    query.split('&').filter_map(|p| p.split_once('=')).collect();
                assert_eq!(
                    SortKey::from_query(pairs.get("sort").copied(), pairs.get("dir").copied()),
                    (key, descending),
                    "{query}"
                );
            }
        }
    }

    #[test]
    fn closing_a_row_closes_what_is_open_under_it() {
        let under = |c: &str, p: &str| c.starts_with(&format!("{p}-"));
        let open = crate::org::unit_codes(Some("C01, C01-B1,C02"));
        assert_eq!(open, ["C01", "C01-B1", "C02"]);
        assert_eq!(toggled(&open, "C01", under), ["C02"]);
        assert_eq!(
            toggled(&open, "C03", under),
            ["C01", "C01-B1", "C02", "C03"]
        );
    }

    #[test]
    fn a_hidden_point_breaks_the_sparkline() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 10, d).expect("date");
        let points = [
            (day(1), Some(0.0)),
            (day(2), Some(0.5)),
            (day(3), None),
            (day(4), Some(1.0)),
        ];
        assert_eq!(
            spark_path(&points, 30.0, 10.0).as_deref(),
            Some("M0.0 10.0 L10.0 5.0 M30.0 0.0")
        );
        assert_eq!(spark_path(&[(day(1), None)], 30.0, 10.0), None);
        assert_eq!(
            spark_words(&points),
            "Adoption 0.0% on 1 Oct 2026, 100.0% on 4 Oct 2026"
        );
    }
}
