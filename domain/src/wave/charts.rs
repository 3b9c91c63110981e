//! Waves drawn: the go-live days and targets marked on charts over calendar
//! days, waves side by side since go-live, and one unit's curve beside the
//! force's median unit.

use chrono::NaiveDate;

use super::{Progress, TargetMetric, WaveProgress};
use crate::chart::{
    AxisFormat, Chart, ChartKind, Marker, Range, Series, TargetPoint, XPoint, XValues,
};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::Outlook;

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
}
