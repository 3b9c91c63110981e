use super::*;

fn curve(ceiling: f64, rate: f64, midpoint: f64) -> Logistic {
    Logistic {
        ceiling,
        rate,
        midpoint,
    }
}

/// `days` noisy observations of a curve, clamped to [0, 1] as rates are.
fn observe(c: Logistic, days: usize, noise: f64, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    (0..days)
        .map(|t| (c.at(t as f64) + noise * rng.normal()).clamp(0.0, 1.0))
        .collect()
}

/// One point a week, counting back from the last day.
fn weekly(y: &[f64]) -> Vec<Point> {
    let last = y.len().saturating_sub(1);
    y.iter()
        .enumerate()
        .filter(|(t, _)| (last - t).is_multiple_of(7))
        .map(|(t, &v)| (t as f64, v))
        .collect()
}

/// A daily series as the points `settled` reads.
fn daily(y: &[Option<f64>]) -> Vec<(i32, Option<f64>)> {
    y.iter().enumerate().map(|(t, v)| (t as i32, *v)).collect()
}

fn day(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

#[test]
fn the_fit_recovers_a_known_curve_from_sixty_noisy_days_on_several_seeds() {
    let truths = [
        curve(0.80, 0.15, 25.0),
        curve(0.65, 0.20, 20.0),
        curve(0.90, 0.12, 30.0),
        curve(0.72, 0.18, 22.0),
    ];
    for (i, truth) in truths.iter().enumerate() {
        for seed in 1..=5u64 {
            let y = observe(*truth, 60, 0.02, seed * 101 + i as u64);
            let points: Vec<Point> = y.iter().enumerate().map(|(t, &v)| (t as f64, v)).collect();
            let got = fit(&points).expect("a fit");
            assert!(
                (got.midpoint - truth.midpoint).abs() <= 3.0,
                "{truth:?} seed {seed}: midpoint {}",
                got.midpoint
            );
            assert!(
                (got.ceiling - truth.ceiling).abs() <= 0.03,
                "{truth:?} seed {seed}: ceiling {}",
                got.ceiling
            );
        }
    }
}

#[test]
fn the_day_a_curve_reaches_a_target_is_solved_exactly() {
    // 0.9 / (1 + e^{-0.1 (t - 30)}) = 0.8  ⇔  t = 30 + 10 ln 8 ≈ 50.79.
    let c = curve(0.9, 0.1, 30.0);
    let t = c.reaches(0.8).expect("reached");
    assert!((t - (30.0 + 10.0 * 8f64.ln())).abs() < 1e-9);
    assert!((c.at(t) - 0.8).abs() < 1e-12);
    assert_eq!(
        curve(0.7, 0.1, 30.0).reaches(0.8),
        None,
        "the ceiling is below"
    );
}

#[test]
fn statuses_follow_the_definitions() {
    let go_live = day("2026-03-02");
    let clean = |c, days| observe(c, days, 0.004, 7);
    let status = |y: &[f64], eligible, target_date: &str| {
        outlook(
            &weekly(y),
            Some(eligible),
            10,
            0.8,
            go_live,
            day(target_date),
            42,
        )
        .status
    };
    // Reaches 0.8 on day ≈ 51 (22 Apr): with a clean curve the band is tight.
    let steady = clean(curve(0.9, 0.1, 30.0), 60);
    assert_eq!(status(&steady, 500, "2026-05-31"), Status::OnTrack);
    assert_eq!(
        status(&steady, 500, "2026-04-10"),
        Status::Behind,
        "median after the target date"
    );
    // A ceiling below the target is behind, whatever the date.
    assert_eq!(
        status(&clean(curve(0.7, 0.1, 20.0), 60), 500, "2027-12-31"),
        Status::Behind
    );
    // Too few days, or too few people.
    assert_eq!(
        status(&steady[..13], 500, "2026-05-31"),
        Status::NotEnoughData
    );
    assert_eq!(status(&steady, 9, "2026-05-31"), Status::NotEnoughData);
}

#[test]
fn a_target_date_inside_the_band_is_at_risk() {
    let go_live = day("2026-03-02");
    // Forty noisy days of a curve that reaches 0.8 around day 51: the
    // median lands near it and the band is wide.
    let y = observe(curve(0.9, 0.1, 30.0), 40, 0.03, 3);
    let o = outlook(
        &weekly(&y),
        Some(500),
        10,
        0.8,
        go_live,
        day("2026-05-31"),
        42,
    );
    let (median, late) = (o.median.expect("median"), o.late);
    assert!(
        late.is_none_or(|l| l > median),
        "a band, not a point: {o:?}"
    );
    let on_median = outlook(&weekly(&y), Some(500), 10, 0.8, go_live, median, 42);
    assert_eq!(on_median.status, Status::AtRisk, "{on_median:?}");
    // The same inputs give the same band.
    assert_eq!(
        outlook(&weekly(&y), Some(500), 10, 0.8, go_live, median, 42),
        on_median
    );
}

#[test]
fn a_wave_past_its_target_or_at_it_says_what_happened_not_a_forecast() {
    let go_live = day("2026-01-05");
    let forecast = Outlook {
        status: Status::OnTrack,
        ceiling: Some(0.9),
        median: Some(day("2026-02-15")),
        early: Some(day("2026-02-13")),
        late: Some(day("2026-02-16")),
        met_on: None,
        missed_by: None,
    };
    // 0.1 a day from go-live: 0.8 on day 8 (13 Jan), hidden on day 7.
    let mut climbing: Vec<Option<f64>> = (0..20).map(|t| Some(f64::from(t) / 10.0)).collect();
    climbing[7] = None;
    let met = forecast
        .clone()
        .settled(&daily(&climbing), 0.8, go_live, day("2026-03-01"));
    assert_eq!(met.status, Status::Met);
    assert_eq!(met.met_on, Some(day("2026-01-13")));
    assert_eq!(
        (met.median, met.early, met.late),
        (None, None, None),
        "no forecast"
    );

    // Flat at 0.62 for 60 days; the target date (1 Feb, day 27) has passed.
    let flat = vec![Some(0.62); 60];
    let missed = forecast
        .clone()
        .settled(&daily(&flat), 0.8, go_live, day("2026-02-01"));
    assert_eq!(missed.status, Status::Missed);
    assert!((missed.missed_by.expect("by") - 0.18).abs() < 1e-12);
    assert_eq!(missed.median, None, "15 Feb is in the past on 5 Mar");
    // A forecast day still to come stays; a hidden target day gives no
    // amount.
    let mut hidden = flat.clone();
    hidden[27] = None;
    let later = Outlook {
        median: Some(day("2026-04-01")),
        ..forecast.clone()
    }
    .settled(&daily(&hidden), 0.8, go_live, day("2026-02-01"));
    assert_eq!((later.status, later.missed_by), (Status::Missed, None));
    assert_eq!(later.median, Some(day("2026-04-01")));

    // Before the target date and short of it: the forecast stands.
    assert_eq!(
        forecast
            .clone()
            .settled(&daily(&flat), 0.8, go_live, day("2026-06-01")),
        forecast
    );
}
