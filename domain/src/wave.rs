//! Rollout waves, and the go-live each unit inherits from them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{
    DayNum,
    catalog::{Catalog, ProductId},
    day::day_num,
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
    /// Eligible at the as-of day; `None` where the cell is hidden.
    pub eligible: Option<u32>,
    /// The target metric at the as-of day; `None` where hidden.
    pub current: Option<f64>,
    /// The target metric at each point of the published series since
    /// go-live (days since go-live, in order, the last the as-of day);
    /// `None` at points disclosure control hides.
    pub since_go_live: Vec<(i32, Option<f64>)>,
    /// Eligible at the series' first published point in the 28 days
    /// from go-live: about how many the go-live made eligible; `None`
    /// where none is published (or the data starts later).
    pub first_eligible: Option<u32>,
    pub outlook: Outlook,
}

impl Progress {
    /// How far the target metric is below a target, as a share (0 at or
    /// over it); `None` where the metric is hidden.
    pub fn gap(&self, target: f64) -> Option<f64> {
        self.current.map(|now| (target - now).max(0.0))
    }

    /// Forecasts from the published cells at the series' points since
    /// go-live (the last the as-of day): only published values are
    /// fitted, so a forecast tells nothing a hidden cell holds.
    pub fn from_points(
        code: String,
        name: String,
        wave: &Wave,
        points: &[(NaiveDate, Option<Counts>)],
        k: u32,
        seed: u64,
    ) -> Self {
        let since_go_live = wave.since_go_live(points);
        let last = points.last().and_then(|(_, c)| *c);
        // The forecast reads the latest published point, where the as-of
        // day itself is hidden.
        let latest = points.iter().rev().find_map(|(_, c)| *c);
        let fitted: Vec<(f64, f64)> = since_go_live
            .iter()
            .filter_map(|&(t, v)| Some((f64::from(t), v?)))
            .collect();
        let outlook = outlook(
            &fitted,
            latest.map(|c| c.eligible),
            k,
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
            eligible: last.map(|c| c.eligible),
            first_eligible: points
                .iter()
                .take_while(|(day, _)| (*day - wave.go_live).num_days() < i64::from(RISE_DAYS))
                .find_map(|(_, c)| c.map(|c| c.eligible)),
            current: since_go_live.last().and_then(|(_, v)| *v),
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
    /// The product's subject key (`product:N`), as the KPIs name it.
    pub subject: String,
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

/// A unit of a wave as the force overview lists it: how far it is behind
/// its wave's target, and how far it rose in the last 28 days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standing {
    pub wave: String,
    pub code: String,
    pub name: String,
    /// The target metric at the as-of day.
    pub current: f64,
    pub target_value: f64,
    pub target_date: NaiveDate,
    /// How far short of the target, as a share (0 at or over it).
    pub gap: f64,
    /// The change of the target metric over the last 28 days, where both
    /// days are published.
    pub rise: Option<f64>,
}

/// Days over which [`where_to_help`] measures a rise.
pub const RISE_DAYS: i32 = 28;

impl Progress {
    /// The change of the target metric over the last `days` days, where
    /// both ends are points of the series and published.
    pub fn change_over(&self, days: i32) -> Option<f64> {
        let &(last, now) = self.since_go_live.last()?;
        let then = self
            .since_go_live
            .iter()
            .find(|(t, _)| *t == last - days)?
            .1;
        Some(now? - then?)
    }
}

/// Where help moves most, over every wave unit the viewer sees: the `n`
/// units furthest short of their wave's target, furthest first, and the
/// `n` whose target metric rose most in [`RISE_DAYS`] days, most first.
/// A unit whose figure is hidden takes no part; ties keep the waves' order.
pub fn where_to_help(waves: &[WaveProgress], n: usize) -> (Vec<Standing>, Vec<Standing>) {
    let all: Vec<Standing> = waves
        .iter()
        .flat_map(|w| {
            w.units.iter().filter_map(move |u| {
                Some(Standing {
                    wave: w.name.clone(),
                    code: u.code.clone(),
                    name: u.name.clone(),
                    current: u.current?,
                    target_value: w.target_value,
                    target_date: w.target_date,
                    gap: u.gap(w.target_value)?,
                    rise: u.change_over(RISE_DAYS),
                })
            })
        })
        .collect();
    let mut behind: Vec<Standing> = all.iter().filter(|s| s.gap > 0.0).cloned().collect();
    behind.sort_by(|a, b| b.gap.total_cmp(&a.gap));
    behind.truncate(n);
    let mut rising: Vec<Standing> = all
        .into_iter()
        .filter(|s| s.rise.is_some_and(|r| r > 0.0))
        .collect();
    rising.sort_by(|a, b| {
        b.rise
            .unwrap_or_default()
            .total_cmp(&a.rise.unwrap_or_default())
    });
    rising.truncate(n);
    (behind, rising)
}

mod charts;
pub use charts::{
    MEDIAN_MIN_UNITS, go_live_markers, median_curve, since_go_live_chart, unit_go_live_chart,
    wave_targets,
};

/// Orders a wave's member units by their gap to the target, furthest
/// behind first; units whose metric is hidden go last. Ties keep the order
/// given (the tree's).
pub fn rank_by_gap(units: &mut [Progress], target: f64) {
    units.sort_by(|a, b| match (a.gap(target), b.gap(target)) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (x, y) => y.is_some().cmp(&x.is_some()),
    });
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

impl Wave {
    /// Its target metric at each point (days since go-live, value), from
    /// the published cells at those days; `None` where a cell is hidden.
    pub fn since_go_live(&self, points: &[(NaiveDate, Option<Counts>)]) -> Vec<(i32, Option<f64>)> {
        points
            .iter()
            .map(|(day, c)| {
                let t = i32::try_from((*day - self.go_live).num_days()).unwrap_or(i32::MAX);
                (t, c.and_then(|c| self.target_metric.value(&c)))
            })
            .collect()
    }

    /// The days its progress is read at, up to `as_of`: the series' points
    /// since go-live ([`crate::day::series_points`]), the day [`RISE_DAYS`]
    /// before the as-of day, and the target date. Each is one publication
    /// decision.
    pub fn points(&self, as_of: NaiveDate) -> Vec<NaiveDate> {
        let mut days = crate::day::series_points(self.go_live, as_of);
        let extra = [
            as_of.checked_sub_days(chrono::Days::new(RISE_DAYS.unsigned_abs().into())),
            Some(self.target_date),
        ];
        days.extend(
            extra
                .into_iter()
                .flatten()
                .filter(|d| (self.go_live..as_of).contains(d)),
        );
        days.sort_unstable();
        days.dedup();
        days
    }
}

/// A unit's go-live for a product: the earliest go-live of the product's
/// waves that list the unit or a unit above it (`chain`: the unit and its
/// ancestors, in any order), as [`GoLiveTable`] gives it for a snapshot.
pub fn unit_go_live(waves: &[Wave], product: ProductId, chain: &[UnitId]) -> Option<NaiveDate> {
    waves
        .iter()
        .filter(|w| w.product == product && w.units.iter().any(|u| chain.contains(u)))
        .map(|w| w.go_live)
        .min()
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
            eligible: Some(100),
            current,
            since_go_live: Vec::new(),
            first_eligible: None,
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
    fn where_to_help_lists_the_furthest_behind_and_the_fastest_rising() {
        // Two waves with targets of 80% and 60%. Rises over 28 days, from
        // the day 28 before the last: A 40→50 (+10), B 70→90 (+20, over
        // target), C hidden now, D 55→52 (−3), E's day 28 before hidden,
        // F (second wave) 20→45 (+25), G too new for a 28-day change.
        // Points a week apart counting back from the last.
        let series = |then: Option<f64>, now: Option<f64>, days: i32| {
            let last = days - 1;
            let mut s: Vec<(i32, Option<f64>)> = (1..)
                .map(|k| last - 7 * k)
                .take_while(|t| *t >= 0)
                .map(|t| (t, Some(0.1)))
                .collect();
            s.reverse();
            s.push((last, now));
            if let Some(p) = s.iter_mut().find(|(t, _)| *t == last - RISE_DAYS) {
                p.1 = then;
            }
            s
        };
        let unit = |code: &str, since_go_live: Vec<(i32, Option<f64>)>| Progress {
            code: code.into(),
            name: format!("Unit {code}"),
            eligible: Some(100),
            current: since_go_live.last().and_then(|(_, v)| *v),
            since_go_live,
            first_eligible: None,
            outlook: Outlook::not_enough(),
        };
        let wave = |id: i32, target_value: f64, units: Vec<Progress>| WaveProgress {
            id,
            name: format!("Wave {id}"),
            product: "Box".into(),
            subject: "product:1".into(),
            go_live: "2026-01-01".parse().expect("date"),
            target_metric: TargetMetric::AdoptionRate,
            target_value,
            target_date: "2026-12-31".parse().expect("date"),
            as_of: "2026-06-30".parse().expect("date"),
            total: None,
            units,
        };
        let waves = [
            wave(
                1,
                0.8,
                vec![
                    unit("A", series(Some(0.4), Some(0.5), 40)),
                    unit("B", series(Some(0.7), Some(0.9), 40)),
                    unit("C", series(Some(0.2), None, 40)),
                    unit("D", series(Some(0.55), Some(0.52), 40)),
                    unit("E", series(None, Some(0.6), 40)),
                ],
            ),
            wave(
                2,
                0.6,
                vec![
                    unit("F", series(Some(0.2), Some(0.45), 29)),
                    unit("G", series(None, Some(0.3), 20)),
                ],
            ),
        ];
        // Short of target: A 30 pts, D 28, E 20 (wave 1); G 30, F 15
        // (wave 2). A and G tie at 30 and keep the waves' order.
        let (behind, rising) = where_to_help(&waves, 4);
        let codes = |list: &[Standing]| list.iter().map(|s| s.code.clone()).collect::<Vec<_>>();
        assert_eq!(codes(&behind), ["A", "G", "D", "E"]);
        assert!((behind[2].gap - 0.28).abs() < 1e-9);
        assert_eq!(behind[0].wave, "Wave 1");
        assert_eq!(behind[1].target_value, 0.6);
        // Rising: F +25, B +20, A +10; D fell, E and G have no change.
        assert_eq!(codes(&rising), ["F", "B", "A"]);
        assert!((rising[0].rise.expect("rise") - 0.25).abs() < 1e-9);
        assert_eq!(where_to_help(&waves, 1).0.len(), 1);
    }

    #[test]
    fn a_forecast_fits_published_points_only_and_reads_the_latest_published() {
        let day = |s: &str| s.parse::<NaiveDate>().expect("date");
        let wave = Wave {
            id: 1,
            name: "Box".into(),
            product: ProductId(1),
            go_live: day("2026-01-05"),
            target_metric: TargetMetric::AdoptionRate,
            target_value: 0.8,
            target_date: day("2026-12-31"),
            units: Vec::new(),
        };
        // Ten weekly points climbing to 50% of 200, a hidden one between,
        // and the as-of day hidden.
        let mut points: Vec<(NaiveDate, Option<Counts>)> = (0..10u32)
            .map(|w| {
                let counts = Counts {
                    eligible: 200,
                    active28: 10 * w + 10,
                    ..Counts::default()
                };
                (
                    wave.go_live + chrono::Days::new(u64::from(7 * w)),
                    Some(counts),
                )
            })
            .collect();
        points[4].1 = None;
        points.push((day("2026-03-20"), None));
        let p = Progress::from_points("U".into(), "Unit".into(), &wave, &points, 10, 7);
        assert_eq!(
            (p.eligible, p.current),
            (None, None),
            "the as-of day is hidden"
        );
        assert_eq!(p.since_go_live[4], (28, None));
        assert_eq!(p.since_go_live.last(), Some(&(74, None)));
        assert_eq!(p.first_eligible, Some(200), "the go-live's first week");
        // With the first four weeks hidden, the go-live's count is unknown.
        let mut late = points.clone();
        for point in &mut late[..4] {
            point.1 = None;
        }
        let q = Progress::from_points("U".into(), "Unit".into(), &wave, &late, 10, 7);
        assert_eq!(q.first_eligible, None);
        assert_ne!(
            p.outlook.status,
            crate::forecast::Status::NotEnoughData,
            "{:?}",
            p.outlook
        );
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

    #[test]
    fn a_unit_s_go_live_is_the_earliest_of_its_own_waves_and_those_above_it() {
        let wave = |product: i32, units: &[i32], go_live: &str| Wave {
            id: 0,
            name: String::new(),
            product: ProductId(product),
            go_live: go_live.parse().expect("date"),
            target_metric: TargetMetric::AdoptionRate,
            target_value: 0.8,
            target_date: "2026-12-31".parse().expect("date"),
            units: units.iter().map(|&u| UnitId(u)).collect(),
        };
        // Force 1, commands 2 and 3, team 4 under command 2.
        let waves = [
            wave(1, &[2], "2026-03-01"),
            wave(1, &[4], "2026-02-01"),
            wave(2, &[1], "2026-01-05"),
        ];
        let chain = |ids: &[i32]| ids.iter().map(|&u| UnitId(u)).collect::<Vec<_>>();
        let day = |s: &str| s.parse::<NaiveDate>().ok();
        assert_eq!(
            unit_go_live(&waves, ProductId(1), &chain(&[4, 2, 1])),
            day("2026-02-01")
        );
        assert_eq!(
            unit_go_live(&waves, ProductId(1), &chain(&[2, 1])),
            day("2026-03-01")
        );
        assert_eq!(unit_go_live(&waves, ProductId(1), &chain(&[3, 1])), None);
        assert_eq!(
            unit_go_live(&waves, ProductId(2), &chain(&[3, 1])),
            day("2026-01-05")
        );
    }
}
