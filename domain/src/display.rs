//! How figures and dates read in the UI and the exports (en-GB).

use chrono::NaiveDate;

use crate::metrics::Median;

/// For example "25 Nov 2026".
pub fn date(date: NaiveDate) -> String {
    date.format("%-d %b %Y").to_string()
}

/// A moment in its zone, to the minute: "6 Dec 2026 09:24 GMT".
pub fn moment<Tz: chrono::TimeZone>(at: &chrono::DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    at.format("%-d %b %Y %H:%M %Z").to_string()
}

/// A rate as a percentage with one decimal, or "–" when there is none.
pub fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "–".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

/// A change of a rate in tenths of a percentage point, rounded: the one
/// rule the figures, the arrows and the words below follow.
fn tenths(change: f64) -> i64 {
    (change * 1000.0).round() as i64
}

/// A change of a rate in percentage points, signed, with one decimal: for
/// example "+2.1 pts", "−0.4 pts" or "no change" (under 0.05 points).
pub fn points(change: f64) -> String {
    let t = tenths(change);
    match t.signum() {
        0 => "no change".to_owned(),
        1 => format!("+{}.{} pts", t / 10, t % 10),
        _ => format!("−{}.{} pts", -t / 10, -t % 10),
    }
}

/// A gap to a target in points, one decimal: "12.3 pts short", or "at
/// target" (under 0.05 points short); "[c]" where the figure is hidden.
pub fn gap(gap: Option<f64>) -> String {
    match gap.map(tenths) {
        None => "[c]".to_owned(),
        Some(t) if t <= 0 => "at target".to_owned(),
        Some(t) => format!("{}.{} pts short", t / 10, t % 10),
    }
}

/// The same change in words, for screen readers: "up 2.1 points", "down
/// 0.4 points" or "no change".
pub fn points_in_words(change: f64) -> String {
    let t = tenths(change);
    match t.signum() {
        0 => "no change".to_owned(),
        1 => format!("up {}.{} points", t / 10, t % 10),
        _ => format!("down {}.{} points", -t / 10, -t % 10),
    }
}

/// An arrow for the direction of a change: "▲", "▼" or "→".
pub fn arrow(change: f64) -> &'static str {
    match tenths(change).signum() {
        0 => "→",
        1 => "▲",
        _ => "▼",
    }
}

/// A median number of days, for example "1 day", "2.5 days" or "31–37
/// days".
pub fn days(median: Median) -> String {
    if median == Median::Exact(1.0) {
        "1 day".to_owned()
    } else {
        format!("{median} days")
    }
}

/// A number of people, for example "1 person" or "1,204 people".
pub fn people(n: u32) -> String {
    if n == 1 {
        "1 person".to_owned()
    } else {
        format!("{} people", count(n))
    }
}

/// A count with thousands separators, for example "46,567".
pub fn count(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A published count of a cell with `eligible` people: as it is, or as its
/// band where the primary rule bands it (`crate::publication::band`), for
/// example "0–2" or "48–50".
pub fn count_in(value: u32, eligible: u32) -> String {
    match crate::publication::band(value, eligible) {
        Some((lo, hi)) if eligible > 0 => format!("{}–{}", count(lo), count(hi)),
        _ => count(value),
    }
}

/// A published count as a share of its cell's eligible: "45.0%", or its
/// band's range, for example "0.0–4.0%" or "96.0–100.0%"; "–" for nobody.
pub fn share_in(value: u32, eligible: u32) -> String {
    let rate = |v: u32| f64::from(v) / f64::from(eligible) * 100.0;
    match crate::publication::band(value, eligible) {
        _ if eligible == 0 => "–".to_owned(),
        Some((lo, hi)) => format!("{:.1}–{:.1}%", rate(lo), rate(hi)),
        None => format!("{:.1}%", rate(value)),
    }
}

/// Steps of a heatmap's colour scale: five, each 20 points of a rate wide.
pub const HEAT_STEPS: u8 = 5;

/// Which step of the heatmap's scale a rate falls in: 0 for under 20%, up
/// to 4 for 80% and over (100% included).
pub fn heat_step(rate: f64) -> u8 {
    let step = (rate.clamp(0.0, 1.0) * f64::from(HEAT_STEPS)).floor() as u8;
    step.min(HEAT_STEPS - 1)
}

/// The range of rates a heatmap step covers, for its legend: "0–20%".
pub fn heat_range(step: u8) -> String {
    let width = 100 / u32::from(HEAT_STEPS);
    let from = u32::from(step) * width;
    format!("{from}–{}%", from + width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_falls_in_one_of_five_heat_steps() {
        let steps: Vec<u8> = [0.0, 0.199, 0.2, 0.45, 0.6, 0.799, 0.8, 0.999, 1.0]
            .into_iter()
            .map(heat_step)
            .collect();
        assert_eq!(steps, [0, 0, 1, 2, 3, 3, 4, 4, 4]);
        assert_eq!(heat_range(0), "0–20%");
        assert_eq!(heat_range(4), "80–100%");
    }

    #[test]
    fn figures_read_in_en_gb_form() {
        assert_eq!(date("2026-11-05".parse().expect("date")), "5 Nov 2026");
        assert_eq!(percent(Some(0.65217)), "65.2%");
        assert_eq!(percent(None), "–");
        assert_eq!(count(46_567), "46,567");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000_000), "1,000,000");
        assert_eq!(points(0.0214), "+2.1 pts");
        assert_eq!(points(-0.004), "−0.4 pts");
        assert_eq!(points(0.0004), "no change");
        assert_eq!(points(0.1), "+10.0 pts");
        assert_eq!(points_in_words(-0.004), "down 0.4 points");
        assert_eq!(gap(Some(0.1234)), "12.3 pts short");
        assert_eq!(gap(Some(0.0004)), "at target");
        assert_eq!(gap(Some(0.0)), "at target");
        assert_eq!(gap(None), "[c]");
        assert_eq!(
            (arrow(0.0214), arrow(-0.004), arrow(0.0004)),
            ("▲", "▼", "→")
        );
        assert_eq!(days(Median::Exact(1.0)), "1 day");
        assert_eq!(days(Median::Exact(2.5)), "2.5 days");
        assert_eq!(days(Median::Between(31, Some(37))), "31–37 days");
        assert_eq!(people(1), "1 person");
        assert_eq!(people(1204), "1,204 people");
    }

    #[test]
    fn a_banded_count_reads_as_its_band() {
        // As published: 1 stands for 0 to 2, 49 of 50 for 48 to 50.
        assert_eq!(count_in(1, 50), "0–2");
        assert_eq!(count_in(49, 50), "48–50");
        assert_eq!(count_in(20, 50), "20");
        assert_eq!(share_in(1, 50), "0.0–4.0%");
        assert_eq!(share_in(49, 50), "96.0–100.0%");
        assert_eq!(share_in(20, 50), "40.0%");
        assert_eq!(share_in(0, 0), "–");
        assert_eq!(count_in(1_999, 2_000), "1,998–2,000");
    }
}
