//! Charts on a page: where a `domain::chart::Chart`'s values fall, and
//! its axes, lines, bars, targets, bands and go-live marks drawn with the
//! layout's pen.

use chrono::{Datelike, NaiveDate};
use domain::{
    chart::{AxisFormat, Chart, ChartKind, XPoint},
    display,
};

use super::{Align, Colour, INK, Layout, MUTED, RULE, Weight, fit};

/// Dash patterns by series, so that lines part in black and white too.
pub(super) fn dash(i: usize) -> Option<Vec<f32>> {
    match i % 5 {
        0 => None,
        1 => Some(vec![6.0, 3.0]),
        2 => Some(vec![1.5, 2.5]),
        3 => Some(vec![8.0, 3.0, 1.5, 3.0]),
        _ => Some(vec![3.0, 3.0]),
    }
}

/// Where a chart's values fall on the page.
pub(super) struct Plot {
    left: f32,
    top: f32,
    w: f32,
    h: f32,
    /// The x axis' ends, in days (calendar days as day numbers, or days
    /// since go-live).
    x0: f64,
    x1: f64,
    y1: f64,
    format: AxisFormat,
}

fn x_of(p: XPoint) -> f64 {
    match p {
        XPoint::Date(d) => f64::from(d.num_days_from_ce()),
        XPoint::SinceGoLive(t) => f64::from(t),
    }
}

impl Plot {
    pub(super) fn new(chart: &Chart, left: f32, top: f32, w: f32, h: f32) -> Self {
        let mut xs: Vec<f64> = Vec::new();
        let mut ys: Vec<f64> = Vec::new();
        match &chart.kind {
            ChartKind::Lines(series) => {
                for s in series {
                    for (i, y) in s.y.iter().enumerate() {
                        xs.push(x_of(s.x.at(i)));
                        ys.extend(y);
                    }
                }
            }
            ChartKind::Bars { series, .. } => {
                ys.extend(series.iter().flat_map(|s| s.values.iter().flatten()));
            }
        }
        xs.extend(chart.targets.iter().map(|t| x_of(t.at)));
        ys.extend(chart.targets.iter().map(|t| t.value));
        for r in &chart.ranges {
            xs.extend([x_of(r.from), x_of(r.to)]);
        }
        let x0 = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let x1 = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let top_value = ys.iter().copied().fold(0.0, f64::max);
        let y1 = match chart.y_format {
            AxisFormat::Percent => 1.0_f64.min((top_value * 10.0).ceil() / 10.0).max(0.1),
            AxisFormat::Count => nice_ceiling(top_value.max(1.0)),
        };
        let (x0, x1) = if x0.is_finite() && x1 > x0 {
            (x0, x1)
        } else {
            (0.0, 1.0)
        };
        Self {
            left,
            top,
            w,
            h,
            x0,
            x1,
            y1,
            format: chart.y_format,
        }
    }

    fn px(&self, x: f64) -> f32 {
        self.left + ((x - self.x0) / (self.x1 - self.x0)) as f32 * self.w
    }

    fn py(&self, y: f64) -> f32 {
        self.top + self.h - (y / self.y1).clamp(0.0, 1.05) as f32 * self.h
    }

    pub(super) fn draw(&self, l: &mut Layout, chart: &Chart) {
        // Grid and y labels.
        for i in 0..=4 {
            let v = self.y1 * f64::from(i) / 4.0;
            let y = self.py(v);
            l.line(
                vec![(self.left, y), (self.left + self.w, y)],
                0.4,
                RULE,
                None,
            );
            let label = match self.format {
                AxisFormat::Percent => format!("{:.0}%", v * 100.0),
                AxisFormat::Count => display::count(v.round() as u32),
            };
            l.text(
                self.left - 4.0,
                y + 3.0,
                7.5,
                Weight::Regular,
                MUTED,
                &label,
                Align::Right,
            );
        }
        let base = self.top + self.h;
        l.line(
            vec![(self.left, base), (self.left + self.w, base)],
            0.8,
            INK,
            None,
        );
        l.text(
            self.left - 40.0,
            self.top - 4.0,
            7.5,
            Weight::Regular,
            MUTED,
            &chart.y_title,
            Align::Left,
        );
        match &chart.kind {
            ChartKind::Lines(series) => self.lines(l, chart, series),
            ChartKind::Bars { categories, series } => self.bars(l, categories, series),
        }
    }

    fn lines(&self, l: &mut Layout, chart: &Chart, series: &[domain::chart::Series]) {
        // X labels: about six, at even steps.
        let dates = series
            .first()
            .is_some_and(|s| matches!(s.x, domain::chart::XValues::Dates(_)));
        for i in 0..=5 {
            let x = self.x0 + (self.x1 - self.x0) * f64::from(i) / 5.0;
            let label = if dates {
                NaiveDate::from_num_days_from_ce_opt(x.round() as i32)
                    .map(|d| d.format("%-d %b %Y").to_string())
                    .unwrap_or_default()
            } else {
                format!("day {:.0}", x)
            };
            let px = self.px(x);
            let base = self.top + self.h;
            l.line(vec![(px, base), (px, base + 3.0)], 0.6, INK, None);
            l.text(
                px,
                base + 12.0,
                7.5,
                Weight::Regular,
                MUTED,
                &label,
                Align::Centre,
            );
        }
        for m in &chart.markers {
            let x = self.px(f64::from(m.day.num_days_from_ce()));
            l.line(
                vec![(x, self.top), (x, self.top + self.h)],
                0.6,
                MUTED,
                Some(vec![2.0, 2.0]),
            );
            l.text(
                x + 2.0,
                self.top + 7.0,
                6.5,
                Weight::Regular,
                MUTED,
                &fit(&m.label, 6.5, 90.0),
                Align::Left,
            );
        }
        for r in &chart.ranges {
            let y = self.py(r.value);
            l.line(
                vec![(self.px(x_of(r.from)), y), (self.px(x_of(r.to)), y)],
                5.0,
                Colour(0x99, 0x99, 0x99),
                None,
            );
        }
        for (i, s) in series.iter().enumerate() {
            let colour = Colour::hex(&s.colour);
            // Runs of published points; a hidden point breaks the line.
            let mut run: Vec<(f32, f32)> = Vec::new();
            for (j, y) in s.y.iter().enumerate() {
                match y {
                    Some(v) => run.push((self.px(x_of(s.x.at(j))), self.py(*v))),
                    None => {
                        self.run(l, &mut run, colour, i);
                    }
                }
            }
            self.run(l, &mut run, colour, i);
        }
        // Each target a numbered diamond; the legend says whose.
        for (i, t) in chart.targets.iter().enumerate() {
            let (x, y) = (self.px(x_of(t.at)), self.py(t.value));
            l.shape(
                vec![(x, y - 5.0), (x + 5.0, y), (x, y + 5.0), (x - 5.0, y)],
                Colour(0xff, 0xff, 0xff),
                INK,
            );
            let number = (i + 1).to_string();
            l.text(
                x + 7.0,
                y + 3.0,
                7.0,
                Weight::Bold,
                INK,
                &number,
                Align::Left,
            );
        }
    }

    fn run(&self, l: &mut Layout, run: &mut Vec<(f32, f32)>, colour: Colour, i: usize) {
        match run.len() {
            0 => {}
            1 => {
                let (x, y) = run[0];
                l.rect(x - 1.5, y - 1.5, 3.0, 3.0, colour);
            }
            _ => l.line(run.clone(), 1.8, colour, dash(i)),
        }
        run.clear();
    }

    fn bars(&self, l: &mut Layout, categories: &[String], series: &[domain::chart::BarSeries]) {
        let n = categories.len().max(1) as f32;
        let slot = self.w / n;
        let k = series.len().max(1) as f32;
        let bar = (slot * 0.7) / k;
        let base = self.top + self.h;
        for (c, name) in categories.iter().enumerate() {
            let x0 = self.left + slot * c as f32 + slot * 0.15;
            for (i, s) in series.iter().enumerate() {
                let x = x0 + bar * i as f32;
                match s.values.get(c).copied().flatten() {
                    Some(v) => {
                        let y = self.py(v);
                        l.rect(x, y, bar - 1.0, base - y, Colour::hex(&s.colour));
                        let label = match self.format {
                            AxisFormat::Percent => format!("{:.0}%", v * 100.0),
                            AxisFormat::Count => display::count(v.round() as u32),
                        };
                        l.text(
                            x + bar / 2.0,
                            y - 2.0,
                            6.5,
                            Weight::Regular,
                            INK,
                            &label,
                            Align::Centre,
                        );
                    }
                    None => l.text(
                        x + bar / 2.0,
                        base - 3.0,
                        6.5,
                        Weight::Regular,
                        MUTED,
                        "[c]",
                        Align::Centre,
                    ),
                }
            }
            l.text(
                self.left + slot * (c as f32 + 0.5),
                base + 12.0,
                7.5,
                Weight::Regular,
                MUTED,
                &fit(name, 7.5, slot),
                Align::Centre,
            );
        }
    }
}

/// A round number at or above `v` for a count axis: 1, 2 or 5 times a
/// power of ten.
fn nice_ceiling(v: f64) -> f64 {
    let p = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|c| *c >= v)
        .unwrap_or(10.0 * p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_axes_end_on_round_numbers() {
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(46_567.0), 50_000.0);
        assert_eq!(nice_ceiling(120.0), 200.0);
    }
}
