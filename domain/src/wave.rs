//! Rollout waves, and the go-live each unit inherits from them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{
    DayNum,
    catalog::{Catalog, ProductId},
    chart::{AxisFormat, Chart, ChartKind, Marker, Range, Series, TargetPoint, XPoint, XValues},
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
        let since_go_live: Vec<(i32, Option<f64>)> = points
            .iter()
            .map(|(day, c)| {
                let t = i32::try_from((*day - wave.go_live).num_days()).unwrap_or(i32::MAX);
                (t, c.and_then(|c| wave.target_metric.value(&c)))
            })
            .collect();
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

/// The days waves went live, to mark across a chart over calendar days:
/// a rate falls on such a day because the number eligible jumps, not
/// because anyone stopped. Only waves live by their as-of day; with
/// `unit`, only the waves that unit is a member of. Each says how many
/// became eligible (the wave's, or the unit's, at the end of its first
/// week) where that is published and seen.
pub fn go_live_markers(waves: &[WaveProgress], unit: Option<&str>) -> Vec<Marker> {
    waves
        .iter()
        .filter(|w| w.go_live <= w.as_of)
        .filter_map(|w| {
            let whose = match unit {
                Some(code) => Some(w.units.iter().find(|u| u.code == code)?),
                None => w.total.as_ref(),
            };
            let label = match whose.and_then(|p| p.first_eligible) {
                Some(n) => format!("{} live: {} eligible", w.name, crate::display::count(n)),
                None => format!("{} live", w.name),
            };
            Some(Marker {
                day: w.go_live,
                label,
            })
        })
        .collect()
}

/// Each wave's adoption-rate target, to draw on an adoption chart over
/// calendar days; with `unit`, only the waves that unit is a member of.
pub fn wave_targets(waves: &[WaveProgress], unit: Option<&str>) -> Vec<TargetPoint> {
    waves
        .iter()
        .filter(|w| w.target_metric == TargetMetric::AdoptionRate)
        .filter(|w| unit.is_none_or(|code| w.units.iter().any(|u| u.code == code)))
        .map(|w| TargetPoint {
            at: XPoint::Date(w.target_date),
            value: w.target_value,
            label: format!("{} target", w.name),
        })
        .collect()
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
                    x: XValues::DaysSinceGoLive(p.since_go_live.iter().map(|(t, _)| *t).collect()),
                    y: p.since_go_live.iter().map(|(_, v)| *v).collect(),
                })
                .collect(),
        ),
        markers: Vec::new(),
        targets: Vec::new(),
        ranges: Vec::new(),
        caption: "Each line is the wave's target metric (adoption rate: active in the last 28 days ÷ eligible; or reached: used at least once ÷ eligible), counted from each unit's go-live day, so waves that went live months apart compare fairly.".to_owned(),
    }
}

/// The fewest units whose published figures a point of the force's median
/// curve is taken over: with fewer, the median would be one or two units'
/// figures.
pub const MEDIAN_MIN_UNITS: usize = 5;

/// The force's median curve over days since go-live, for setting one unit
/// beside the others of its product: for each week since go-live, the
/// median of the units' figures (each unit's last published point in that
/// week), drawn at the week's last day; `None` where fewer than
/// [`MEDIAN_MIN_UNITS`] units have one. Only published figures enter it,
/// so it tells nothing a hidden cell holds.
pub fn median_curve(curves: &[&[(i32, Option<f64>)]]) -> Vec<(i32, Option<f64>)> {
    let mut weeks: std::collections::BTreeMap<i32, Vec<f64>> = Default::default();
    for curve in curves {
        let mut last_in_week: std::collections::BTreeMap<i32, f64> = Default::default();
        for &(t, v) in curve.iter() {
            if let Some(v) = v.filter(|_| t >= 0) {
                last_in_week.insert(t / 7, v);
            }
        }
        for (week, v) in last_in_week {
            weeks.entry(week).or_default().push(v);
        }
    }
    weeks
        .into_iter()
        .map(|(week, mut values)| {
            values.sort_by(f64::total_cmp);
            let n = values.len();
            let median = (values[(n - 1) / 2] + values[n / 2]) / 2.0;
            (week * 7 + 6, (n >= MEDIAN_MIN_UNITS).then_some(median))
        })
        .collect()
}

/// One unit's curve since its go-live in a wave, beside the force's median
/// curve for the units of the wave's product ([`median_curve`]), with the
/// wave's target and, where forecast, the 80% band of the day the unit
/// reaches it.
pub fn unit_go_live_chart(
    wave: &WaveProgress,
    unit: &Progress,
    median: &[(i32, Option<f64>)],
) -> Chart {
    let since = |day: NaiveDate| i32::try_from((day - wave.go_live).num_days()).unwrap_or(i32::MAX);
    let line = |name: String, colour: usize, points: &[(i32, Option<f64>)]| Series {
        name,
        colour: Chart::colour(colour),
        x: XValues::DaysSinceGoLive(points.iter().map(|(t, _)| *t).collect()),
        y: points.iter().map(|(_, v)| *v).collect(),
    };
    let band = match (unit.outlook.early, unit.outlook.late) {
        (Some(early), Some(late)) => vec![Range {
            from: XPoint::SinceGoLive(since(early)),
            to: XPoint::SinceGoLive(since(late)),
            value: wave.target_value,
            label: "Forecast: day the target is reached (80% band)".to_owned(),
        }],
        _ => Vec::new(),
    };
    let metric = wave.target_metric.label();
    Chart {
        title: format!("{} since go-live ({})", unit.name, wave.name),
        x_title: format!(
            "Days since go-live ({})",
            crate::display::date(wave.go_live)
        ),
        y_title: format!("{} (%)", capitalised(metric)),
        y_format: AxisFormat::Percent,
        kind: ChartKind::Lines(vec![
            line(unit.name.clone(), 0, &unit.since_go_live),
            line(format!("Median unit of {}", wave.product), 1, median),
        ]),
        markers: Vec::new(),
        targets: vec![TargetPoint {
            at: XPoint::SinceGoLive(since(wave.target_date)),
            value: wave.target_value,
            label: format!("{} target", wave.name),
        }],
        ranges: band,
        caption: format!(
            "The unit's {metric} at the end of each week since it went live, beside the median \
             of the units of {} that week (where at least {MEDIAN_MIN_UNITS} units' figures are \
             published). The diamond is the wave's target; the bar, where shown, the 80% band \
             of the day the forecast reaches it.",
            wave.product
        ),
    }
}

/// The text with its first letter in capitals.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
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
    fn go_live_days_are_marked_for_live_waves_and_a_unit_s_own() {
        let unit = |code: &str| Progress {
            code: code.into(),
            name: code.into(),
            eligible: Some(10),
            current: None,
            since_go_live: Vec::new(),
            first_eligible: (code == "C02").then_some(1234),
            outlook: Outlook::not_enough(),
        };
        let wave = |id: i32, go_live: &str, units: Vec<Progress>| WaveProgress {
            id,
            name: format!("Wave {id}"),
            product: "Box".into(),
            subject: "product:1".into(),
            go_live: go_live.parse().expect("date"),
            target_metric: TargetMetric::AdoptionRate,
            target_value: 0.6,
            target_date: "2027-01-01".parse().expect("date"),
            as_of: "2026-06-30".parse().expect("date"),
            total: None,
            units,
        };
        let waves = [
            wave(1, "2026-02-01", vec![unit("C01")]),
            wave(2, "2026-05-01", vec![unit("C02")]),
            // Not live by the as-of day: nothing to explain yet.
            wave(3, "2026-07-01", vec![unit("C01")]),
        ];
        let days = |m: Vec<Marker>| {
            m.into_iter()
                .map(|m| (m.day.to_string(), m.label))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            days(go_live_markers(&waves, None)),
            [
                ("2026-02-01".to_owned(), "Wave 1 live".to_owned()),
                ("2026-05-01".to_owned(), "Wave 2 live".to_owned())
            ]
        );
        // A unit's own marker says how many its go-live made eligible.
        assert_eq!(
            days(go_live_markers(&waves, Some("C02"))),
            [(
                "2026-05-01".to_owned(),
                "Wave 2 live: 1,234 eligible".to_owned()
            )]
        );
        // Every wave's target is drawn, live or not: where the plan goes.
        let targets: Vec<(String, f64)> = wave_targets(&waves, Some("C01"))
            .into_iter()
            .map(|t| (t.label, t.value))
            .collect();
        assert_eq!(
            targets,
            [
                ("Wave 1 target".to_owned(), waves[0].target_value),
                ("Wave 3 target".to_owned(), waves[2].target_value)
            ]
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
    fn the_median_curve_takes_each_unit_s_last_published_figure_per_week() {
        // Worked by hand. Week 0 (days 0–6): A 0.2 (its later point), B 0,
        // D 0.2 (day −1 is before go-live), E 0.3, F 0.5; C hidden: median
        // of 0, 0.2, 0.2, 0.3, 0.5 is 0.2. Week 1 (days 7–13): A 0.3, B 0.4,
        // C 0.5, D 0.6, E 0.1 (its hidden day 13 tells nothing), H 0.2: six,
        // so the mean of 0.3 and 0.4. Week 2: G alone, too few.
        let a = [(0, Some(0.1)), (6, Some(0.2)), (13, Some(0.3))];
        let b = [(3, Some(0.0)), (10, Some(0.4))];
        let c = [(6, None), (13, Some(0.5))];
        let d = [(-1, Some(0.9)), (5, Some(0.2)), (12, Some(0.6))];
        let e = [(2, Some(0.3)), (9, Some(0.1)), (13, None)];
        let f = [(4, Some(0.5))];
        let g = [(15, Some(0.7))];
        let h = [(8, Some(0.2))];
        let curve = median_curve(&[&a, &b, &c, &d, &e, &f, &g, &h]);
        assert_eq!(curve.len(), 3);
        assert_eq!(curve[0], (6, Some(0.2)));
        assert_eq!(curve[1].0, 13);
        assert!((curve[1].1.expect("six units") - 0.35).abs() < 1e-12);
        assert_eq!(curve[2], (20, None));
    }

    #[test]
    fn a_unit_s_chart_since_go_live_has_its_curve_the_median_the_target_and_the_band() {
        let go_live: NaiveDate = "2026-03-02".parse().expect("date");
        let mut outlook = Outlook::not_enough();
        outlook.status = crate::forecast::Status::AtRisk;
        outlook.early = Some("2026-06-01".parse().expect("date"));
        outlook.late = Some("2026-07-01".parse().expect("date"));
        let unit = Progress {
            code: "C01".into(),
            name: "North".into(),
            eligible: Some(100),
            current: Some(0.4),
            since_go_live: vec![(6, Some(0.1)), (13, None), (20, Some(0.4))],
            first_eligible: Some(100),
            outlook,
        };
        let wave = WaveProgress {
            id: 1,
            name: "Wave 1".into(),
            product: "Box".into(),
            subject: "product:1".into(),
            go_live,
            target_metric: TargetMetric::AdoptionRate,
            target_value: 0.8,
            target_date: "2026-06-30".parse().expect("date"),
            as_of: "2026-03-22".parse().expect("date"),
            total: None,
            units: vec![unit.clone()],
        };
        let chart = unit_go_live_chart(&wave, &unit, &[(6, Some(0.2)), (13, None)]);
        let lines = chart.lines();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].name, "North");
        assert_eq!(lines[0].y, [Some(0.1), None, Some(0.4)]);
        assert_eq!(lines[1].name, "Median unit of Box");
        assert_eq!(lines[1].x, XValues::DaysSinceGoLive(vec![6, 13]));
        // 2 March to 30 June is 120 days; 1 June 91, 1 July 121.
        assert_eq!(chart.targets[0].at, XPoint::SinceGoLive(120));
        assert_eq!(chart.targets[0].value, 0.8);
        assert_eq!(chart.ranges[0].from, XPoint::SinceGoLive(91));
        assert_eq!(chart.ranges[0].to, XPoint::SinceGoLive(121));
        assert_eq!(chart.y_title, "Adoption rate (%)");
        assert!(chart.caption.contains("median"));
        // No band without a forecast.
        let plain = Progress {
            outlook: Outlook::not_enough(),
            ..unit
        };
        assert!(unit_go_live_chart(&wave, &plain, &[]).ranges.is_empty());
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
