//! Rollout waves, and the go-live each unit inherits from them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{
    DayNum,
    catalog::{Catalog, ProductId},
    chart::{AxisFormat, Chart, ChartKind, Series, XValues},
    day::day_num,
    disclosure::Disclosure,
    forecast::{Outlook, outlook},
    metrics::Counts,
    org::{OrgTree, TreeSnapshot, UnitId},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TargetMetric {
    AdoptionRate,
    Reached,
}

impl TargetMetric {
    pub fn key(self) -> &'static str {
        match self {
            TargetMetric::AdoptionRate => "adoption_rate",
            TargetMetric::Reached => "reached",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        match key {
            "adoption_rate" => Some(TargetMetric::AdoptionRate),
            "reached" => Some(TargetMetric::Reached),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TargetMetric::AdoptionRate => "adoption rate",
            TargetMetric::Reached => "reached",
        }
    }

    /// The metric's value for one cell's counts.
    pub fn value(self, c: &Counts) -> Option<f64> {
        match self {
            TargetMetric::AdoptionRate => c.adoption_rate(),
            TargetMetric::Reached => c.reached_share(),
        }
    }
}

/// How a wave, or one unit in it, stands against the wave's target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub code: String,
    pub name: String,
    pub eligible: u32,
    /// The target metric at the as-of day; `None` when disclosure control
    /// hides it.
    pub current: Option<f64>,
    /// The target metric on each day since go-live (day 0 first); `None`
    /// on days disclosure control hides.
    pub since_go_live: Vec<Option<f64>>,
    pub outlook: Outlook,
}

impl Progress {
    /// How far the target metric is below a target, as a share (0 at or
    /// over it); `None` where the metric is hidden.
    pub fn gap(&self, target: f64) -> Option<f64> {
        self.current.map(|now| (target - now).max(0.0))
    }

    /// Forecasts from a daily series of counts since go-live.
    pub fn from_series(
        code: String,
        name: String,
        wave: &Wave,
        days: &[Counts],
        disclosure: &Disclosure,
        seed: u64,
    ) -> Self {
        let eligible = days.last().map_or(0, |c| c.eligible);
        let y: Vec<f64> = days
            .iter()
            .map(|c| wave.target_metric.value(c).unwrap_or(0.0))
            .collect();
        let since_go_live: Vec<Option<f64>> = days
            .iter()
            .map(|c| {
                disclosure
                    .publish(*c)
                    .and_then(|c| wave.target_metric.value(&c))
            })
            .collect();
        let outlook = outlook(
            &y,
            eligible,
            disclosure.k,
            wave.target_value,
            wave.go_live,
            wave.target_date,
            seed,
        )
        .settled(
            &since_go_live,
            wave.target_value,
            wave.go_live,
            wave.target_date,
        );
        Self {
            code,
            name,
            eligible,
            current: since_go_live.last().copied().flatten(),
            since_go_live,
            outlook,
        }
    }
}

/// A wave as the waves page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaveProgress {
    pub id: i32,
    pub name: String,
    pub product: String,
    pub go_live: NaiveDate,
    pub target_metric: TargetMetric,
    pub target_value: f64,
    pub target_date: NaiveDate,
    pub as_of: NaiveDate,
    /// The wave as a whole; only for those who see every unit in it.
    pub total: Option<Progress>,
    /// The member units the viewer may see.
    pub units: Vec<Progress>,
}

/// Orders a wave's member units by their gap to the target, furthest
/// behind first; units whose metric is hidden go last. Ties keep the order
/// given (the tree's).
pub fn rank_by_gap(units: &mut [Progress], target: f64) {
    units.sort_by(|a, b| match (a.gap(target), b.gap(target)) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (x, y) => y.is_some().cmp(&x.is_some()),
    });
}

/// Waves side by side on days since go-live: each wave's total where the
/// viewer sees it, otherwise each of the viewer's units in it.
pub fn since_go_live_chart(waves: &[WaveProgress]) -> Chart {
    let lines: Vec<(String, &Progress)> = waves
        .iter()
        .flat_map(|w| match &w.total {
            Some(total) => vec![(w.name.clone(), total)],
            None => w
                .units
                .iter()
                .map(|u| (format!("{}: {}", w.name, u.name), u))
                .collect(),
        })
        .collect();
    Chart {
        title: "Waves by days since go-live".to_owned(),
        x_title: "Days since go-live".to_owned(),
        y_title: "Target metric (%)".to_owned(),
        y_format: AxisFormat::Percent,
        kind: ChartKind::Lines(
            lines
                .into_iter()
                .enumerate()
                .map(|(i, (name, p))| Series {
                    name,
                    colour: Chart::colour(i),
                    x: XValues::DaysSinceGoLive((0..p.since_go_live.len() as i32).collect()),
                    y: p.since_go_live.clone(),
                })
                .collect(),
        ),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Wave {
    pub id: i32,
    pub name: String,
    pub product: ProductId,
    pub go_live: NaiveDate,
    pub target_metric: TargetMetric,
    pub target_value: f64,
    pub target_date: NaiveDate,
    pub units: Vec<UnitId>,
}

/// Go-live day per unit and product for one tree snapshot: the earliest
/// go-live of any wave for the product that lists the unit or an ancestor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoLiveTable {
    products: usize,
    days: Vec<Option<DayNum>>,
}

impl GoLiveTable {
    pub fn new(tree: &OrgTree, snapshot: &TreeSnapshot, catalog: &Catalog, waves: &[Wave]) -> Self {
        let products = catalog.products().len();
        let mut days = vec![None; tree.len() * products];
        for wave in waves {
            let (Some(p), go_live) = (catalog.product_index(wave.product), day_num(wave.go_live))
            else {
                continue;
            };
            for unit in &wave.units {
                if let Some(u) = tree.index_of(*unit) {
                    let slot = &mut days[u * products + p];
                    *slot = Some(slot.map_or(go_live, |d: DayNum| d.min(go_live)));
                }
            }
        }
        // Parents come after children in bottom_up, so walking it backwards
        // visits every parent before its children.
        for &u in snapshot.bottom_up.iter().rev() {
            if let Some(parent) = snapshot.parent[u] {
                for p in 0..products {
                    let inherited = days[parent * products + p];
                    let own = &mut days[u * products + p];
                    *own = match (*own, inherited) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                }
            }
        }
        Self { products, days }
    }

    pub fn go_live(&self, unit: usize, product: usize) -> Option<DayNum> {
        self.days[unit * self.products + product]
    }

    /// The earliest go-live for the unit of any product in `mask`.
    pub fn first_live(&self, unit: usize, mask: u64) -> Option<DayNum> {
        (0..self.products)
            .filter(|p| mask & (1 << p) != 0)
            .filter_map(|p| self.go_live(unit, p))
            .min()
    }

    /// Bit i set: product i has gone live for the unit on or before `day`.
    pub fn live_mask(&self, unit: usize, day: DayNum) -> u64 {
        (0..self.products).fold(0, |mask, p| match self.go_live(unit, p) {
            Some(g) if g <= day => mask | (1 << p),
            _ => mask,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{catalog::tests::force_catalog, org::UnitVersion};

    #[test]
    fn units_rank_by_their_gap_to_the_target_with_hidden_ones_last() {
        // Target 80%: A at 50% is 30 points short, B at 85% is over it (no
        // gap), C is hidden, D at 70% is 10 short, E at 90% ties with B.
        let unit = |code: &str, current: Option<f64>| Progress {
            code: code.into(),
            name: code.into(),
            eligible: 100,
            current,
            since_go_live: Vec::new(),
            outlook: Outlook::not_enough(),
        };
        let mut units = vec![
            unit("A", Some(0.5)),
            unit("B", Some(0.85)),
            unit("C", None),
            unit("D", Some(0.7)),
            unit("E", Some(0.9)),
        ];
        assert!((units[0].gap(0.8).expect("shown") - 0.3).abs() < 1e-9);
        assert_eq!(units[1].gap(0.8), Some(0.0));
        assert_eq!(units[2].gap(0.8), None);
        rank_by_gap(&mut units, 0.8);
        let order: Vec<&str> = units.iter().map(|u| u.code.as_str()).collect();
        assert_eq!(order, ["A", "D", "B", "E", "C"]);
    }

    #[test]
    fn a_unit_takes_the_earliest_go_live_of_itself_and_its_ancestors() {
        let v = |unit, parent: Option<i32>| UnitVersion {
            unit: UnitId(unit),
            parent: parent.map(UnitId),
            valid_from: 0,
            valid_to: None,
        };
        let tree = OrgTree::new(vec![
            v(1, None),
            v(2, Some(1)),
            v(3, Some(2)),
            v(4, Some(1)),
        ])
        .expect("tree");
        let snap = tree.snapshot(0).expect("snapshot");
        let date = |s: &str| s.parse::<NaiveDate>().expect("date");
        let wave = |id, units: Vec<i32>, go: &str| Wave {
            id,
            name: format!("w{id}"),
            product: ProductId(2),
            go_live: date(go),
            target_metric: TargetMetric::AdoptionRate,
            target_value: 0.8,
            target_date: date("2027-01-01"),
            units: units.into_iter().map(UnitId).collect(),
        };
        // Command 2 goes live in March; team 3 was in a February pilot.
        let table = GoLiveTable::new(
            &tree,
            &snap,
            &force_catalog(),
            &[
                wave(1, vec![2], "2026-03-01"),
                wave(2, vec![3], "2026-02-01"),
            ],
        );
        let idx = |u| tree.index_of(UnitId(u)).expect("unit");
        assert_eq!(table.go_live(idx(3), 1), Some(day_num(date("2026-02-01"))));
        assert_eq!(table.go_live(idx(2), 1), Some(day_num(date("2026-03-01"))));
        assert_eq!(table.go_live(idx(4), 1), None);
        assert_eq!(table.go_live(idx(3), 0), None, "no Box wave");
        assert_eq!(table.live_mask(idx(2), day_num(date("2026-03-01"))), 0b10);
        assert_eq!(table.live_mask(idx(2), day_num(date("2026-02-28"))), 0);
    }
}
