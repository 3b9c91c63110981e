//! Wave forecasts: a logistic curve fitted to a target metric over days
//! since go-live, the day it reaches the target with an 80% band by
//! residual bootstrap, and the status DESIGN.md defines from them.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::rng::Rng;

/// Fewer days since go-live than this is not enough to forecast.
pub const MIN_DAYS: usize = 14;
/// Bootstrap resamples for the band.
pub const RESAMPLES: usize = 200;
/// The band's ends: the 10th and 90th percentiles.
const BAND: (f64, f64) = (0.10, 0.90);

/// `ceiling / (1 + exp(-rate · (t − midpoint)))`, with t in days since
/// go-live and the ceiling at most 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Logistic {
    pub ceiling: f64,
    pub rate: f64,
    pub midpoint: f64,
}

impl Logistic {
    pub fn at(&self, t: f64) -> f64 {
        self.ceiling * sigmoid(self.rate * (t - self.midpoint))
    }

    /// The day (since go-live) the curve reaches `target`, if it ever does.
    pub fn reaches(&self, target: f64) -> Option<f64> {
        (self.ceiling > target && target > 0.0)
            .then(|| self.midpoint - (self.ceiling / target - 1.0).ln() / self.rate)
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// A point of a series: (days since go-live, value).
pub type Point = (f64, f64);

/// Least-squares fit of a logistic curve to points. For a given rate and
/// midpoint the best ceiling has a closed form, so the search runs over two
/// parameters: a coarse grid, then Nelder–Mead.
pub fn fit(y: &[Point]) -> Option<Logistic> {
    if y.len() < 3 {
        return None;
    }
    let n = y.iter().map(|p| p.0).fold(0.0, f64::max) + 1.0;
    let mut best: Option<([f64; 2], f64)> = None;
    for &rate in &[0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.8] {
        for step in 0..=24 {
            let midpoint = -0.5 * n + f64::from(step) * 0.25 * n;
            let p = [f64::ln(rate), midpoint];
            let e = sse(y, p).1;
            if best.is_none_or(|(_, b)| e < b) {
                best = Some((p, e));
            }
        }
    }
    let (start, _) = best?;
    Some(refine(y, start))
}

/// A refit from a known starting point (the bootstrap's warm start).
fn refine(y: &[Point], start: [f64; 2]) -> Logistic {
    let span = y.iter().map(|p| p.0).fold(1.0, f64::max);
    let p = nelder_mead(|p| sse(y, p).1, start, [0.3, span * 0.1]);
    let (ceiling, _) = sse(y, p);
    Logistic {
        ceiling,
        rate: p[0].exp(),
        midpoint: p[1],
    }
}

/// The best ceiling for (ln rate, midpoint), and the squared error.
fn sse(y: &[Point], p: [f64; 2]) -> (f64, f64) {
    let rate = p[0].exp();
    // Σ(v − c·f)² = Σv² − 2cΣvf + c²Σf², so one pass gives both the best
    // ceiling and its error.
    let (mut fy, mut ff, mut yy) = (0.0, 0.0, 0.0);
    for &(t, v) in y {
        let f = sigmoid(rate * (t - p[1]));
        fy += f * v;
        ff += f * f;
        yy += v * v;
    }
    let ceiling = if ff > 0.0 {
        (fy / ff).clamp(1e-6, 1.0)
    } else {
        1e-6
    };
    (ceiling, yy - 2.0 * ceiling * fy + ceiling * ceiling * ff)
}

fn nelder_mead(f: impl Fn([f64; 2]) -> f64, start: [f64; 2], step: [f64; 2]) -> [f64; 2] {
    let mut s = [
        (start, f(start)),
        ([start[0] + step[0], start[1]], 0.0),
        ([start[0], start[1] + step[1]], 0.0),
    ];
    s[1].1 = f(s[1].0);
    s[2].1 = f(s[2].0);
    let mix =
        |a: [f64; 2], b: [f64; 2], k: f64| [a[0] + k * (b[0] - a[0]), a[1] + k * (b[1] - a[1])];
    for _ in 0..200 {
        s.sort_by(|a, b| a.1.total_cmp(&b.1));
        let size = (s[2].0[0] - s[0].0[0]).abs() + (s[2].0[1] - s[0].0[1]).abs();
        if (s[2].1 - s[0].1).abs() <= 1e-10 * (1.0 + s[0].1.abs()) && size < 1e-3 {
            break;
        }
        let centre = mix(s[0].0, s[1].0, 0.5);
        let reflected = mix(centre, s[2].0, -1.0);
        let fr = f(reflected);
        if fr < s[0].1 {
            let expanded = mix(centre, s[2].0, -2.0);
            let fe = f(expanded);
            s[2] = if fe < fr {
                (expanded, fe)
            } else {
                (reflected, fr)
            };
        } else if fr < s[1].1 {
            s[2] = (reflected, fr);
        } else {
            let contracted = mix(centre, s[2].0, 0.5);
            let fc = f(contracted);
            if fc < s[2].1 {
                s[2] = (contracted, fc);
            } else {
                for i in 1..3 {
                    let p = mix(s[0].0, s[i].0, 0.5);
                    s[i] = (p, f(p));
                }
            }
        }
    }
    s.sort_by(|a, b| a.1.total_cmp(&b.1));
    s[0].0
}

/// When the target is forecast to be reached, in days since go-live.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Reach {
    pub curve: Logistic,
    /// Median over the bootstrap; `None` when most resamples never reach it.
    pub median: Option<f64>,
    /// The 80% band's early and late ends; `None` at an end that never
    /// reaches it.
    pub early: Option<f64>,
    pub late: Option<f64>,
}

/// Fits, then resamples residuals to give the median day the target is
/// reached and the 80% band. Deterministic for a given seed.
pub fn forecast(y: &[Point], target: f64, seed: u64) -> Option<Reach> {
    let curve = fit(y)?;
    let fitted: Vec<Point> = y.iter().map(|&(t, _)| (t, curve.at(t))).collect();
    let residuals: Vec<f64> = y.iter().zip(&fitted).map(|(v, f)| v.1 - f.1).collect();
    let start = [curve.rate.ln(), curve.midpoint];
    let mut rng = Rng::new(seed);
    let mut days: Vec<f64> = (0..RESAMPLES)
        .map(|_| {
            let resample: Vec<Point> = fitted
                .iter()
                .map(|&(t, f)| (t, f + residuals[rng.below(residuals.len() as u64) as usize]))
                .collect();
            refine(&resample, start)
                .reaches(target)
                .unwrap_or(f64::INFINITY)
        })
        .collect();
    days.sort_by(f64::total_cmp);
    let pick = |q: f64| {
        let d = days[((days.len() - 1) as f64 * q).round() as usize];
        d.is_finite().then_some(d)
    };
    Some(Reach {
        curve,
        median: pick(0.5),
        early: pick(BAND.0),
        late: pick(BAND.1),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    OnTrack,
    AtRisk,
    Behind,
    NotEnoughData,
    /// The target was reached (on a published day).
    Met,
    /// The target date passed short of the target.
    Missed,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::OnTrack => "On track",
            Status::AtRisk => "At risk",
            Status::Behind => "Behind",
            Status::NotEnoughData => "Not enough data",
            Status::Met => "Met",
            Status::Missed => "Missed",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Status::OnTrack => "on-track",
            Status::AtRisk => "at-risk",
            Status::Behind => "behind",
            Status::NotEnoughData => "not-enough-data",
            Status::Met => "met",
            Status::Missed => "missed",
        }
    }
}

/// A wave's or a unit's forecast against its target, in dates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outlook {
    pub status: Status,
    pub ceiling: Option<f64>,
    pub median: Option<NaiveDate>,
    pub early: Option<NaiveDate>,
    pub late: Option<NaiveDate>,
    /// When met: the first published day at or over the target.
    pub met_on: Option<NaiveDate>,
    /// When missed: the target less the metric on the target date, where
    /// that day is published.
    pub missed_by: Option<f64>,
}

impl Outlook {
    /// No forecast: too few days, or too few people.
    pub fn not_enough() -> Self {
        Self {
            status: Status::NotEnoughData,
            ceiling: None,
            median: None,
            early: None,
            late: None,
            met_on: None,
            missed_by: None,
        }
    }

    /// What happened (met, missed) where it has, else the forecast day and
    /// its 80% band, in words: the waves page, the unit pages and the
    /// exports all say it this way.
    pub fn in_words(&self, target_date: NaiveDate) -> String {
        use crate::display::{date, percent};
        let when = |d: Option<NaiveDate>| d.map_or_else(|| "not reached".to_owned(), date);
        let forecast = match (self.median, self.ceiling) {
            (_, None) => String::new(),
            (None, Some(c)) => format!("Forecast levels off near {}.", percent(Some(c))),
            (Some(m), Some(_)) => {
                format!("{} ({} – {})", date(m), when(self.early), when(self.late))
            }
        };
        match self.status {
            Status::Met => self.met_on.map_or_else(String::new, |on| {
                let late = (on - target_date).num_days();
                if late > 0 {
                    format!("Met on {}, {late} days after the target date", date(on))
                } else {
                    format!("Met on {}", date(on))
                }
            }),
            Status::Missed => {
                let short = self.missed_by.map_or_else(
                    || format!("Short of the target on {}", date(target_date)),
                    |by| format!("{:.0} points short on {}", by * 100.0, date(target_date)),
                );
                match self.median {
                    Some(_) => format!("{short}; forecast: {forecast}"),
                    None => short,
                }
            }
            _ => forecast,
        }
    }

    /// Says what happened where it has, instead of a forecast: met, on the
    /// first published point at or over the target (the forecast is
    /// dropped); or, once the target date has passed short of it, missed,
    /// by how much on the target date (a forecast stays only if its day is
    /// still to come). `published` holds the metric at each point of the
    /// series (days since go-live, in order, the last the as-of day),
    /// `None` where it is not published: a point the publication hides
    /// tells nothing, here as elsewhere.
    pub fn settled(
        mut self,
        published: &[(i32, Option<f64>)],
        target: f64,
        go_live: NaiveDate,
        target_date: NaiveDate,
    ) -> Self {
        let day = |t: i32| go_live.checked_add_days(Days::new(u64::from(t.unsigned_abs())));
        let Some(as_of) = published.last().and_then(|(t, _)| day(*t)) else {
            return self;
        };
        if let Some((t, _)) = published
            .iter()
            .find(|(_, v)| v.is_some_and(|v| v >= target))
        {
            return Self {
                status: Status::Met,
                met_on: day(*t),
                median: None,
                early: None,
                late: None,
                ..self
            };
        }
        if as_of > target_date {
            self.status = Status::Missed;
            let on_target = (target_date - go_live).num_days();
            self.missed_by = published
                .iter()
                .find(|(t, _)| i64::from(*t) == on_target)
                .and_then(|(_, v)| *v)
                .map(|v| target - v);
            if self.median.is_none_or(|m| m <= as_of) {
                (self.median, self.early, self.late) = (None, None, None);
            }
        }
        self
    }
}

/// DESIGN.md "Forecast and status", exactly:
/// - not enough data: fewer than 14 days since go-live, or fewer than k
///   eligible at the latest published point, or none published; `points`
///   are the published points of the series (days since go-live, value),
///   about a week apart: days in a 28-day window overlap so much
///   that daily points would add little but time, and would make the
///   bootstrap band falsely narrow;
/// - behind: the median is after the target date (or never comes), or the
///   fitted ceiling is below the target;
/// - on track: the band's late end is on or before the target date;
/// - at risk: otherwise (the median is on time, its late end is not).
pub fn outlook(
    points: &[Point],
    eligible: Option<u32>,
    k: u32,
    target: f64,
    go_live: NaiveDate,
    target_date: NaiveDate,
    seed: u64,
) -> Outlook {
    let not_enough = Outlook::not_enough();
    let days = points.last().map_or(0, |&(t, _)| t as usize + 1);
    if days < MIN_DAYS || eligible.is_none_or(|e| e < k) {
        return not_enough;
    }
    let Some(reach) = forecast(points, target, seed) else {
        return not_enough;
    };
    let date = |d: Option<f64>| {
        d.and_then(|d| go_live.checked_add_days(Days::new(d.max(0.0).ceil() as u64)))
    };
    let (median, late) = (date(reach.median), date(reach.late));
    let status = if reach.curve.ceiling < target || median.is_none_or(|m| m > target_date) {
        Status::Behind
    } else if late.is_some_and(|l| l <= target_date) {
        Status::OnTrack
    } else {
        Status::AtRisk
    };
    Outlook {
        status,
        ceiling: Some(reach.curve.ceiling),
        median,
        early: date(reach.early),
        late,
        met_on: None,
        missed_by: None,
    }
}

#[cfg(test)]
mod tests;
