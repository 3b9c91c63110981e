//! The board pack's figures: what a published pack stores as data (so the
//! next one can say what changed since), and the tables and sentences its
//! pages are made of.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{
    access::{Grant, Reach},
    bands::BandTable,
    chart::{Chart, ChartKind},
    display,
    export::{Cell, Table, tables, tables::HIDDEN_NOTE},
    forecast::Status,
    metrics::Counts,
    overview::Overview,
    publication::band,
    usage::UsageTable,
    wave::{Progress, TargetMetric, WaveProgress},
};

/// A published pack as the overview lists it for downloading again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub id: i32,
    pub title: String,
    pub as_of: NaiveDate,
    pub made_by: String,
    /// When, in words ("6 Dec 2026 09:24 GMT").
    pub made_at: String,
}

/// Whether a grant on a pack's scope lets its holder read the pack: the
/// unit in full (a commander's grant on the force, for comparison, does
/// not), and the person-list permission for a pack that holds a unit's
/// own cells.
pub fn may_read(grant: &Grant, own_cells: bool) -> bool {
    grant.reach() == Reach::Full && (!own_cells || grant.person_lists().is_ok())
}

/// One product's or tool's published KPI cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kpi {
    pub label: String,
    /// `None` is hidden (`[c]`).
    pub counts: Option<Counts>,
}

/// A source and how far its data reaches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub name: String,
    pub data_start: Option<NaiveDate>,
    pub complete_through: Option<NaiveDate>,
    /// Days behind the day the pack was made, in words.
    pub freshness: String,
}

/// What a pack is compared with: the previous published pack of the same
/// scope, or (for the first) the figures 28 days before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub as_of: NaiveDate,
    /// Whether it is a published pack (else the figures 28 days before).
    pub pack: bool,
    pub kpis: Vec<Kpi>,
}

impl Baseline {
    /// A stored pack's figures as the next pack compares with them: its
    /// day and KPIs (whatever else a pack of another version holds).
    pub fn of_pack(figures: &str) -> Option<Baseline> {
        #[derive(Deserialize)]
        struct Stored {
            as_of: NaiveDate,
            kpis: Vec<Kpi>,
        }
        let stored: Stored = serde_json::from_str(figures).ok()?;
        Some(Baseline {
            as_of: stored.as_of,
            pack: true,
            kpis: stored.kpis,
        })
    }

    /// "since the pack of 2 Nov 2026" or "since 4 Nov 2026 (28 days
    /// before; no earlier pack)".
    pub fn since(&self) -> String {
        if self.pack {
            format!("since the pack of {}", display::date(self.as_of))
        } else {
            format!(
                "since {} (28 days before; there is no earlier pack)",
                display::date(self.as_of)
            )
        }
    }
}

/// Everything a pack shows, as data: stored with its PDF.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub scope_code: String,
    pub scope_name: String,
    pub as_of: NaiveDate,
    pub sources: Vec<Source>,
    pub kpis: Vec<Kpi>,
    /// The force's KPIs beside a unit's, for comparison (none for the
    /// force's own pack).
    pub force_kpis: Vec<Kpi>,
    pub baseline: Option<Baseline>,
    /// Adoption over time per product, with the wave targets drawn on.
    pub products: Chart,
    /// Adoption over time per tool.
    pub tools: Chart,
    /// The waves against their targets, and their units.
    pub waves: Table,
    /// The units under the scope by gap to their wave's target.
    pub league: Table,
    /// Per product: adoption by age band, and time to first use by band.
    pub bands: Vec<Table>,
    /// The adoption rate by age band, per product.
    pub band_charts: Vec<Chart>,
    /// Each unit at risk or behind, with why in one sentence.
    pub at_risk: Vec<String>,
}

/// A change between two published counts, where both are exact (a banded
/// count or a hidden cell has none).
fn count_change(
    now: Option<&Counts>,
    before: Option<&Counts>,
    f: fn(&Counts) -> u32,
) -> Option<i64> {
    let (now, before) = (now?, before?);
    let exact = |c: &Counts| band(f(c), c.eligible).is_none() || f(c) == c.eligible;
    (exact(now) && exact(before)).then(|| i64::from(f(now)) - i64::from(f(before)))
}

/// The change of one KPI against the baseline's KPI of the same label.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Change {
    pub eligible: Option<i64>,
    pub active28: Option<i64>,
    pub reached: Option<i64>,
    /// In rate (0.021 is 2.1 points).
    pub rate: Option<f64>,
}

impl Change {
    pub fn between(now: &Kpi, before: Option<&Kpi>) -> Change {
        let before = before.and_then(|b| b.counts.as_ref());
        let now = now.counts.as_ref();
        let rate = |c: &Counts| {
            band(c.active28, c.eligible)
                .is_none()
                .then(|| c.adoption_rate())
                .flatten()
        };
        Change {
            eligible: count_change(now, before, |c| c.eligible),
            active28: count_change(now, before, |c| c.active28),
            reached: count_change(now, before, |c| c.reached),
            rate: match (now.and_then(rate), before.and_then(rate)) {
                (Some(a), Some(b)) => Some(a - b),
                _ => None,
            },
        }
    }
}

fn signed(n: Option<i64>) -> Cell {
    match n {
        Some(n) if n > 0 => Cell::Text(format!("+{}", display::count(n.unsigned_abs() as u32))),
        Some(n) if n < 0 => Cell::Text(format!("−{}", display::count(n.unsigned_abs() as u32))),
        Some(_) => Cell::Text("no change".into()),
        None => Cell::Blank("–".into()),
    }
}

/// The headline table: each KPI with its change since the baseline.
pub fn headline(kpis: &[Kpi], baseline: Option<&Baseline>, key: &str, title: &str) -> Table {
    let mut t = Table::new(
        key,
        title,
        [
            "Product or tool",
            "Eligible",
            "Change",
            "Active in 28 days",
            "Change",
            "Adoption rate",
            "Change (points)",
            "Reached",
            "Change",
        ]
        .map(str::to_owned)
        .to_vec(),
    );
    t.rows = kpis
        .iter()
        .map(|k| {
            let before = baseline.and_then(|b| b.kpis.iter().find(|p| p.label == k.label));
            let change = Change::between(k, before);
            let cells = k.counts.map_or_else(
                || [Cell::Hidden, Cell::Hidden, Cell::Hidden, Cell::Hidden],
                |c| {
                    [
                        Cell::Count(c.eligible),
                        Cell::count_in(c.active28, c.eligible),
                        Cell::share_in(c.active28, c.eligible),
                        Cell::count_in(c.reached, c.eligible),
                    ]
                },
            );
            let [eligible, active, rate, reached] = cells;
            vec![
                Cell::text(&k.label),
                eligible,
                signed(change.eligible),
                active,
                signed(change.active28),
                rate,
                change
                    .rate
                    .map_or_else(|| Cell::Blank("–".into()), Cell::Points),
                reached,
                signed(change.reached),
            ]
        })
        .collect();
    t.note = match baseline {
        Some(b) => format!(
            "Changes {}. A change reads – where either figure is hidden or banded. {HIDDEN_NOTE}",
            b.since()
        ),
        None => HIDDEN_NOTE.to_owned(),
    };
    t
}

/// One KPI in words, with its change: "Box: 60.9% of the 46,567 eligible
/// were active in the last 28 days, up 10.7 points since the pack of 2
/// Nov 2026; 31,038 reached (+1,204)."
pub fn in_words(k: &Kpi, baseline: Option<&Baseline>) -> String {
    let Some(c) = k.counts else {
        return format!("{}: hidden to protect individuals ([c]).", k.label);
    };
    let before = baseline.and_then(|b| b.kpis.iter().find(|p| p.label == k.label));
    let change = Change::between(k, before);
    let rate = display::share_in(c.active28, c.eligible);
    let mut s = format!(
        "{}: {rate} of the {} eligible were active in the last 28 days",
        k.label,
        display::count(c.eligible)
    );
    if let (Some(b), Some(r)) = (baseline, change.rate) {
        s.push_str(&format!(", {} {}", display::points_in_words(r), b.since()));
    }
    s.push_str(&format!(
        "; {} reached",
        display::count_in(c.reached, c.eligible)
    ));
    if let Some(n) = change.reached {
        s.push_str(&format!(" ({})", signed(Some(n)).plain()));
    }
    s.push('.');
    s
}

/// A unit's or the force's KPIs, as a pack keeps them.
pub fn kpis(o: &Overview) -> Vec<Kpi> {
    o.kpis
        .iter()
        .map(|k| Kpi {
            label: k.label.clone(),
            counts: k.counts,
        })
        .collect()
}

/// The wave units (those of the scope: `waves` as the scope narrows them)
/// and their wave, largest gap to the target first.
fn by_gap(waves: &[WaveProgress]) -> Vec<(&WaveProgress, &Progress)> {
    let mut under: Vec<_> = waves
        .iter()
        .flat_map(|w| w.units.iter().map(move |u| (w, u)))
        .collect();
    let gap =
        |(w, u): &(&WaveProgress, &Progress)| u.gap(w.target_value).unwrap_or(f64::NEG_INFINITY);
    under.sort_by(|a, b| {
        gap(b)
            .total_cmp(&gap(a))
            .then_with(|| a.1.code.cmp(&b.1.code))
    });
    under
}

/// The unit league table: every wave unit by gap to its wave's target.
pub fn league(waves: &[WaveProgress]) -> Table {
    let mut league = Table::new(
        "league",
        "Units by gap to their wave's target",
        [
            "Code",
            "Unit",
            "Wave",
            "Now (%)",
            "Target (%)",
            "Target date",
            "Gap (points)",
            "Status",
        ]
        .map(str::to_owned)
        .to_vec(),
    );
    league.rows = by_gap(waves)
        .into_iter()
        .map(|(w, u)| {
            vec![
                Cell::text(&u.code),
                Cell::text(&u.name),
                Cell::text(&w.name),
                Cell::rate_or_hidden(u.current),
                Cell::Rate(w.target_value),
                Cell::Day(w.target_date),
                u.gap(w.target_value).map_or(Cell::Hidden, Cell::Gap),
                Cell::text(u.outlook.status.label()),
            ]
        })
        .collect();
    league.note = format!(
        "Largest gap first. Gap: the target less the unit's figure now, in points (0 once met). {HIDDEN_NOTE}"
    );
    league
}

/// Each wave unit at risk or behind, largest gap first, with why in one
/// sentence built from its figures.
pub fn at_risk(waves: &[WaveProgress]) -> Vec<String> {
    by_gap(waves)
        .into_iter()
        .filter(|(_, u)| matches!(u.outlook.status, Status::AtRisk | Status::Behind))
        .map(|(w, u)| {
            format!(
                "{} ({}), {}, {}: {}",
                u.name,
                u.code,
                w.name,
                u.outlook.status.label().to_lowercase(),
                at_risk_reason(u, w)
            )
        })
        .collect()
}

/// Where a unit stands against its wave's target, and when the forecast
/// says it gets there: "38% adopted against a target of 80% by 1 Mar
/// 2027; forecast reaches it on 12 May 2027."
pub fn at_risk_reason(u: &Progress, w: &WaveProgress) -> String {
    let now = u
        .current
        .map_or_else(|| "[c]".to_owned(), |c| format!("{:.0}%", c * 100.0));
    let metric = match w.target_metric {
        TargetMetric::AdoptionRate => "adopted",
        TargetMetric::Reached => "reached",
    };
    let target = format!(
        "{now} {metric} against a target of {:.0}% by {}",
        w.target_value * 100.0,
        display::date(w.target_date)
    );
    match (u.outlook.median, u.outlook.ceiling) {
        (Some(m), _) => format!("{target}; forecast reaches it on {}.", display::date(m)),
        (None, Some(c)) => format!("{target}; forecast levels off near {:.0}%.", c * 100.0),
        (None, None) => format!("{target}; too little data to forecast."),
    }
}

/// One product's age bands for the scope itself: eligible and adoption
/// (the band table's first row), and speed to first use (the usage
/// table's row of the same band).
pub fn age_bands(product: &str, b: &BandTable, u: &UsageTable) -> Table {
    let usage = tables::usage(u);
    let mut t = Table::new(
        "age-bands",
        format!("{product}: by age band"),
        [
            "Age band",
            "Eligible",
            "Adoption rate (%)",
            "Median days to first use",
            "Used within 30 days (%)",
        ]
        .map(str::to_owned)
        .to_vec(),
    );
    let own = b.rows.first();
    t.rows = b
        .columns
        .iter()
        .enumerate()
        .map(|(i, band)| {
            let cell = own.and_then(|r| r.cells.get(i).copied().flatten());
            let (eligible, rate) = match cell {
                Some(c) => (
                    Cell::Count(c.eligible),
                    Cell::share_in(c.active28, c.eligible),
                ),
                None => (Cell::Hidden, Cell::Hidden),
            };
            let speed = usage
                .rows
                .iter()
                .find(|r| matches!(r.first(), Some(Cell::Text(l)) if l == band));
            let pick = |j: usize| {
                speed
                    .and_then(|r| r.get(j).cloned())
                    .unwrap_or(Cell::Blank("–".into()))
            };
            vec![Cell::text(band), eligible, rate, pick(1), pick(2)]
        })
        .collect();
    t.note = format!(
        "As of {}. Age as reached this calendar year; days to first use count from the first eligible day. {HIDDEN_NOTE}",
        display::date(b.as_of)
    );
    t
}

/// The scope's own bars by age band (the page sets its units beside it).
pub fn own_bars(product: &str, b: &BandTable) -> Chart {
    let mut chart = b.by_band.clone();
    if let ChartKind::Bars { series, .. } = &mut chart.kind {
        series.truncate(1);
    }
    chart.title = format!("{product}: adoption rate by age band");
    chart
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kpi(label: &str, eligible: u32, active28: u32, reached: u32) -> Kpi {
        Kpi {
            label: label.into(),
            counts: Some(Counts {
                eligible,
                active7: active28 / 2,
                active28,
                reached,
            }),
        }
    }

    #[test]
    fn changes_are_counted_where_both_figures_are_exact() {
        // 40 eligible both times; active 15 then 25; reached 17 then 31.
        let before = kpi("M365", 40, 15, 17);
        let now = kpi("M365", 40, 25, 31);
        let c = Change::between(&now, Some(&before));
        assert_eq!(c.eligible, Some(0));
        assert_eq!(c.active28, Some(10));
        assert_eq!(c.reached, Some(14));
        let rate = c.rate.expect("a rate change");
        assert!((rate - 0.25).abs() < 1e-12, "{rate}");
        // A banded count (1 of 40 active) has no exact change.
        let banded = kpi("M365", 40, 1, 17);
        let c = Change::between(&now, Some(&banded));
        assert_eq!(c.active28, None);
        assert_eq!(c.rate, None);
        assert_eq!(c.reached, Some(14));
        // Nor has a hidden one.
        let hidden = Kpi {
            label: "M365".into(),
            counts: None,
        };
        assert_eq!(Change::between(&now, Some(&hidden)).eligible, None);
    }

    #[test]
    fn a_stored_pack_is_read_for_its_day_and_kpis_whatever_else_it_holds() {
        let json = r#"{"as_of":"2026-02-28","kpis":[{"label":"M365","counts":null}],"trend":{"an":"older field"}}"#;
        let b = Baseline::of_pack(json).expect("read");
        assert_eq!(b.as_of, NaiveDate::from_ymd_opt(2026, 2, 28).expect("day"));
        assert!(b.pack);
        assert_eq!(b.kpis[0].counts, None);
        assert!(Baseline::of_pack("{}").is_none());
    }

    #[test]
    fn the_headline_says_the_change_in_words_and_figures() {
        let baseline = Baseline {
            as_of: NaiveDate::from_ymd_opt(2026, 2, 28).expect("day"),
            pack: true,
            kpis: vec![kpi("M365", 40, 15, 17)],
        };
        let now = kpi("M365", 40, 25, 31);
        assert_eq!(
            in_words(&now, Some(&baseline)),
            "M365: 62.5% of the 40 eligible were active in the last 28 days, up 25.0 points since the pack of 28 Feb 2026; 31 reached (+14)."
        );
        let t = headline(&[now], Some(&baseline), "headline", "Headline");
        assert_eq!(t.rows[0][2], Cell::Text("no change".into()));
        assert_eq!(t.rows[0][4], Cell::Text("+10".into()));
        assert_eq!(t.rows[0][8], Cell::Text("+14".into()));
        assert!(
            t.note.contains("since the pack of 28 Feb 2026"),
            "{}",
            t.note
        );
    }
}
