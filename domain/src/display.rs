//! How figures and dates read in the UI and the exports (en-GB).

use chrono::NaiveDate;

use crate::metrics::Median;

/// For example "25 Nov 2026".
pub fn date(date: NaiveDate) -> String {
    date.format("%-d %b %Y").to_string()
}

/// A rate as a percentage with one decimal, or "–" when there is none.
pub fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "–".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

/// A change of a rate in percentage points, signed, with one decimal: for
/// example "+2.1 pts", "−0.4 pts" or "no change" (under 0.05 points).
pub fn points(change: f64) -> String {
    let p = change * 100.0;
    if p.abs() < 0.05 {
        "no change".to_owned()
    } else if p > 0.0 {
        format!("+{p:.1} pts")
    } else {
        format!("−{:.1} pts", -p)
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(days(Median::Exact(1.0)), "1 day");
        assert_eq!(days(Median::Exact(2.5)), "2.5 days");
        assert_eq!(days(Median::Between(31, Some(37))), "31–37 days");
        assert_eq!(people(1), "1 person");
        assert_eq!(people(1204), "1,204 people");
    }
}
