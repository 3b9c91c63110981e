//! Each view's tables as exports carry them: one pure function per table,
//! from the view value the page shows.

use crate::{
    bands::BandTable,
    chart::{AxisFormat, Chart, ChartKind, XPoint},
    display,
    metrics::{Counts, Median},
    overview::Overview,
    people::PersonList,
    unit_tree::UnitTree,
    usage::{Share, Shown, UsageTable},
    wave::{Progress, WaveProgress},
};

use super::{Cell, Table};

/// What `[c]` means, under every table that may hold one.
pub const HIDDEN_NOTE: &str = "[c]: hidden to protect individuals (disclosure control): fewer than 10 eligible, fewer than 3 active or 3 inactive, or a figure that would let a hidden one be worked out. A range such as 0–2 is a count published as a band.";

fn columns(names: &[&str]) -> Vec<String> {
    names.iter().map(|&n| n.to_owned()).collect()
}

/// A published cell's counts and rate, as four cells: eligible, active in
/// 7 days, active in 28 days, reached, and the adoption rate.
fn counts_cells(cell: Option<&Counts>) -> [Cell; 5] {
    match cell {
        None => std::array::from_fn(|_| Cell::Hidden),
        Some(c) => [
            Cell::Count(c.eligible),
            Cell::count_in(c.active7, c.eligible),
            Cell::count_in(c.active28, c.eligible),
            Cell::count_in(c.reached, c.eligible),
            Cell::share_in(c.active28, c.eligible),
        ],
    }
}

/// The KPIs of a unit (or the force) per product and tool: the headline.
pub fn headline(o: &Overview) -> Table {
    let mut t = Table::new(
        "headline",
        format!("Headline: {}", o.scope_name),
        columns(&[
            "Product or tool",
            "Eligible",
            "Active in 7 days",
            "Active in 28 days",
            "Reached",
            "Adoption rate (%)",
            "Change in 28 days (points)",
            "Window complete",
        ]),
    );
    t.rows = o
        .kpis
        .iter()
        .map(|k| {
            let mut row = vec![Cell::text(&k.label)];
            row.extend(counts_cells(k.counts.as_ref()));
            row.push(
                k.change_28
                    .map_or_else(|| Cell::Blank("–".into()), Cell::Points),
            );
            row.push(Cell::text(if k.partial { "no" } else { "yes" }));
            row
        })
        .collect();
    t.note = format!(
        "As of {}. Adoption rate = active in the last 28 days ÷ eligible. {HIDDEN_NOTE}",
        display::date(o.as_of)
    );
    t
}

/// The units directly under the one shown, per product.
pub fn units_under(o: &Overview) -> Table {
    let mut heads = columns(&["Code", "Unit"]);
    for p in &o.columns {
        heads.push(format!("{p}: eligible"));
        heads.push(format!("{p}: active in 28 days"));
        heads.push(format!("{p}: adoption rate (%)"));
    }
    let mut t = Table::new("units", format!("Units under {}", o.scope_name), heads);
    t.rows = o
        .children
        .iter()
        .map(|u| {
            let mut row = vec![Cell::text(&u.code), Cell::text(&u.name)];
            for cell in &u.cells {
                let [eligible, _, active28, _, rate] = counts_cells(cell.as_ref());
                row.extend([eligible, active28, rate]);
            }
            row
        })
        .collect();
    t.note = format!(
        "As of {}. An eligible count of 0 means not yet live for the product. {HIDDEN_NOTE}",
        display::date(o.as_of)
    );
    t
}

/// A chart's figures as a table: one row per x value (or category), one
/// column per series, as the chart's own table beside it on the page.
pub fn chart(key: &str, c: &Chart) -> Table {
    let figure = |v: Option<f64>| match (v, c.y_format) {
        (None, _) => Cell::Hidden,
        (Some(v), AxisFormat::Percent) => Cell::Rate(v),
        (Some(v), AxisFormat::Count) => Cell::Count(v.round().max(0.0) as u32),
    };
    let unit = match c.y_format {
        AxisFormat::Percent => " (%)",
        AxisFormat::Count => "",
    };
    let mut t = Table::new(key, c.title.clone(), vec![c.x_title.clone()]);
    match &c.kind {
        ChartKind::Lines(series) => {
            t.columns
                .extend(series.iter().map(|s| format!("{}{unit}", s.name)));
            // Every x value of any series, in order; a series without a
            // figure there reads hidden.
            let mut xs: Vec<XPoint> = series
                .iter()
                .flat_map(|s| (0..s.y.len()).map(|i| s.x.at(i)))
                .collect();
            xs.sort_by_key(|x| match x {
                XPoint::Date(d) => (0, *d, 0),
                XPoint::SinceGoLive(t) => (1, chrono::NaiveDate::MIN, *t),
            });
            xs.dedup();
            t.rows = xs
                .into_iter()
                .map(|x| {
                    let mut row = vec![match x {
                        XPoint::Date(d) => Cell::Day(d),
                        XPoint::SinceGoLive(day) => Cell::Days(f64::from(day)),
                    }];
                    row.extend(series.iter().map(|s| {
                        figure(
                            (0..s.y.len())
                                .find(|&i| s.x.at(i) == x)
                                .and_then(|i| s.y[i]),
                        )
                    }));
                    row
                })
                .collect();
        }
        ChartKind::Bars { categories, series } => {
            t.columns
                .extend(series.iter().map(|s| format!("{}{unit}", s.name)));
            t.rows = categories
                .iter()
                .enumerate()
                .map(|(i, cat)| {
                    let mut row = vec![Cell::text(cat)];
                    row.extend(series.iter().map(|s| figure(s.values[i])));
                    row
                })
                .collect();
        }
    }
    t.note = format!("{} {HIDDEN_NOTE}", c.caption);
    t
}

/// The unit tree as the units page lists it, with wave targets.
pub fn unit_tree(tree: &UnitTree) -> Table {
    let mut t = Table::new(
        "unit-tree",
        format!("Units: {}", tree.subject_label),
        columns(&[
            "Code",
            "Unit",
            "Parent",
            "Level",
            "Eligible",
            "Active in 28 days",
            "Adoption rate (%)",
            "Wave",
            "Target (%)",
            "Target date",
            "Gap to target (points)",
            "Status",
            "Forecast",
        ]),
    );
    t.rows = tree
        .rows
        .iter()
        .map(|r| {
            let [eligible, _, active28, _, rate] = counts_cells(r.cell.as_ref());
            let mut row = vec![
                Cell::text(&r.code),
                Cell::text(&r.name),
                Cell::text(r.parent.clone().unwrap_or_default()),
                Cell::Count(r.depth),
                eligible,
                active28,
                rate,
            ];
            match &r.wave {
                Some(w) => row.extend([
                    Cell::text(&w.name),
                    Cell::Rate(w.target_value),
                    Cell::Day(w.target_date),
                    w.gap.map_or(Cell::Hidden, Cell::Gap),
                    Cell::text(w.outlook.status.label()),
                    Cell::text(w.outlook.in_words(w.target_date)),
                ]),
                None => row.extend((0..6).map(|_| Cell::Blank(String::new()))),
            }
            row
        })
        .collect();
    t.note = format!(
        "As of {}. Gap to target: the target less the adoption rate, in percentage points. {HIDDEN_NOTE}",
        display::date(tree.as_of)
    );
    t
}

/// A unit and the units under it by age band: eligible and adoption rate
/// per band.
pub fn bands(b: &BandTable) -> Table {
    let mut heads = columns(&["Code", "Unit"]);
    for band in &b.columns {
        heads.push(format!("{band}: eligible"));
        heads.push(format!("{band}: adoption rate (%)"));
    }
    let mut t = Table::new("bands", format!("By age band: {}", b.subject_label), heads);
    t.rows = b
        .rows
        .iter()
        .map(|r| {
            let mut row = vec![Cell::text(&r.code), Cell::text(&r.name)];
            for cell in &r.cells {
                let [eligible, _, _, _, rate] = counts_cells(cell.as_ref());
                row.extend([eligible, rate]);
            }
            row
        })
        .collect();
    t.note = format!(
        "As of {}. Age as reached this calendar year. {HIDDEN_NOTE}",
        display::date(b.as_of)
    );
    t
}

fn median(m: Shown<Median>) -> Cell {
    match m {
        Shown::Value(Median::Exact(v)) => Cell::Days(v),
        Shown::Value(between) => Cell::Band(between.to_string()),
        other => shown_blank(other),
    }
}

fn share(s: Shown<Share>) -> Cell {
    match s {
        Shown::Value(s) => Cell::Rate(s.rate()),
        other => shown_blank(other),
    }
}

fn shown_blank<T>(s: Shown<T>) -> Cell {
    match s {
        Shown::Suppressed => Cell::Hidden,
        Shown::NotYetObservable => Cell::Blank("not yet".into()),
        _ => Cell::Blank("–".into()),
    }
}

/// Speed, depth and retention by age band.
pub fn usage(u: &UsageTable) -> Table {
    let mut t = Table::new(
        "usage",
        format!("Speed, depth and retention: {}", u.subject_label),
        columns(&[
            "Age band",
            "Median days to first use",
            "Used within 30 days (%)",
            "Median active days of 28",
            "Retained at 4 weeks (%)",
            "Retained at 12 weeks (%)",
        ]),
    );
    t.rows = u
        .rows
        .iter()
        .map(|r| {
            vec![
                Cell::text(&r.label),
                median(r.first_use),
                share(r.within_30),
                median(r.depth),
                share(r.retention[0]),
                share(r.retention[1]),
            ]
        })
        .collect();
    t.note = format!(
        "As of {}. Days to first use count from the day a person became eligible. Retention: of those whose first use fell in the pooled weeks, the share still active in the last 28 days 4 and 12 weeks later. {HIDDEN_NOTE}",
        display::date(u.as_of)
    );
    t
}

/// Retention per weekly cohort of first use, all ages.
pub fn cohorts(u: &UsageTable) -> Table {
    let mut t = Table::new(
        "cohorts",
        format!("Retention by week of first use: {}", u.subject_label),
        columns(&[
            "Week of first use (from)",
            "Retained at 4 weeks (%)",
            "Retained at 12 weeks (%)",
        ]),
    );
    t.rows = u
        .cohorts
        .iter()
        .map(|c| {
            vec![
                Cell::Day(c.week),
                share(c.retention[0]),
                share(c.retention[1]),
            ]
        })
        .collect();
    t.note = format!("As of {}. {HIDDEN_NOTE}", display::date(u.as_of));
    t
}

fn progress_cells(p: &Progress, w: &WaveProgress) -> [Cell; 5] {
    [
        p.eligible.map_or(Cell::Hidden, Cell::Count),
        Cell::rate_or_hidden(p.current),
        p.gap(w.target_value).map_or(Cell::Hidden, Cell::Gap),
        Cell::text(p.outlook.status.label()),
        Cell::text(p.outlook.in_words(w.target_date)),
    ]
}

/// Every wave against its target, as a whole.
pub fn waves(waves: &[WaveProgress]) -> Table {
    let mut t = Table::new(
        "waves",
        "Waves against their targets",
        columns(&[
            "Wave",
            "Product",
            "Go-live",
            "Target metric",
            "Target (%)",
            "Target date",
            "Eligible",
            "Now (%)",
            "Gap to target (points)",
            "Status",
            "Reached, or forecast (80% band)",
        ]),
    );
    t.rows = waves
        .iter()
        .map(|w| {
            let mut row = vec![
                Cell::text(&w.name),
                Cell::text(&w.product),
                Cell::Day(w.go_live),
                Cell::text(w.target_metric.label()),
                Cell::Rate(w.target_value),
                Cell::Day(w.target_date),
            ];
            match &w.total {
                Some(p) => row.extend(progress_cells(p, w)),
                None => row.extend((0..5).map(|_| Cell::Blank("whole wave not in scope".into()))),
            }
            row
        })
        .collect();
    t.note = format!(
        "The forecast fits a logistic curve to the published weekly points since go-live; the band is 80% of bootstrap fits. {HIDDEN_NOTE}"
    );
    t
}

/// Every wave's member units the viewer may see, against the wave's
/// target.
pub fn wave_units(waves: &[WaveProgress]) -> Table {
    let mut t = Table::new(
        "wave-units",
        "Wave units against their targets",
        columns(&[
            "Wave",
            "Code",
            "Unit",
            "Eligible",
            "Now (%)",
            "Gap to target (points)",
            "Status",
            "Reached, or forecast (80% band)",
        ]),
    );
    t.rows = waves
        .iter()
        .flat_map(|w| {
            w.units.iter().map(move |u| {
                let mut row = vec![
                    Cell::text(&w.name),
                    Cell::text(&u.code),
                    Cell::text(&u.name),
                ];
                row.extend(progress_cells(u, w));
                row
            })
        })
        .collect();
    t.note = HIDDEN_NOTE.to_owned();
    t
}

/// A person-level list: who has not started with a product.
pub fn people(list: &PersonList) -> Table {
    let mut t = Table::new(
        "people",
        format!("Not started with {}: {}", list.product, list.unit_name),
        columns(&[
            "Staff number",
            "Sign-in name",
            "Unit code",
            "Unit",
            "Licences",
            "Last seen",
        ]),
    );
    t.rows = list
        .people
        .iter()
        .map(|p| {
            vec![
                Cell::text(&p.staff_number),
                Cell::text(&p.sign_in_name),
                Cell::text(&p.unit_code),
                Cell::text(&p.unit_name),
                Cell::text(p.licences.join("; ")),
                p.last_seen
                    .map_or_else(|| Cell::Blank("–".into()), Cell::Day),
            ]
        })
        .collect();
    t.note = format!(
        "As of {}. A person-level list: its export is written to the audit log.",
        display::date(list.as_of)
    );
    t
}
