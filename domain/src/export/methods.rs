//! How the figures are defined, in the words the board pack's methods
//! page and the workbook's definitions sheet both use.

/// Each term and what it means (DESIGN.md's metric definitions).
pub const DEFINITIONS: &[(&str, &str)] = &[
    (
        "Eligible",
        "In post on the day (started on or before it and not yet left), in a unit that has gone live for the product on or before it.",
    ),
    (
        "Active in 7 / 28 days",
        "Eligible, with at least one counted action in the product in the 7 or 28 days ending on the day. Actions count toward the person's unit on the day.",
    ),
    ("Adoption rate", "Active in the last 28 days ÷ eligible."),
    (
        "Reached",
        "Eligible, with a first use of the product on or before the day.",
    ),
    (
        "Time to first use",
        "Days from the first eligible day (the later of the start date and the go-live of the person's unit) to first use; use before go-live counts as 0. The median, and the share who used it within 30 days.",
    ),
    (
        "Depth",
        "The median number of active days in the 28-day window, over those active in it.",
    ),
    (
        "Retention",
        "Of the people whose first use fell in an ISO week (Monday to Sunday), the share still eligible and active in the last 28 days 4 and 12 weeks later. A cohort whose week has not yet come reads 'not yet'.",
    ),
    (
        "Age band",
        "Age = the year of the day − birth year (the age reached that calendar year): under 25, 25–34, 35–44, 45–54, 55 and over; taken on the day for tables, at first use for cohorts.",
    ),
    (
        "Counted actions",
        "Microsoft 365: the usage reports' action columns (passive ones, such as mail received, never count). Box: upload, download, preview, edit, share, open, collaboration invite and accept, comment. A sign-in alone is not use.",
    ),
    (
        "Days and as-of day",
        "Calendar days in Europe/London. The as-of day is the last day every source has complete; a 28-day window holding days not yet complete is marked partial. Missing data is never counted as inactivity.",
    ),
    (
        "Forecast and status",
        "A logistic curve (ceiling at most 100%) fitted to the wave's target metric by days since go-live, with an 80% band by residual bootstrap. On track: the band's late end is on or before the target date. At risk: the median is on time, the late end is not. Behind: the median is after the target date, or the curve levels off below the target. Not enough data: under 14 days since go-live, or under 10 eligible.",
    ),
];

/// The disclosure rule, as the methods page states it.
pub const DISCLOSURE: &[&str] = &[
    "Staff are people, and this is workplace monitoring: every figure is published only where it cannot single anyone out.",
    "A cell with fewer than 10 eligible people is hidden, and so is one where a count (active in 7 or 28 days, reached) is under 3 or within 3 of all eligible; a count near nobody or near everyone may be shown as a band instead, such as 0–2.",
    "Further cells are hidden where a hidden figure could otherwise be worked out from the others anyone with the same access sees (totals, age bands, tools within products), across every view and export.",
    "[c] marks a hidden figure. It is never 0 or blank.",
    "Comparing the figures of two different as-of days may narrow a hidden figure; that risk is accepted.",
];
