use chrono::NaiveDate;
use domain::{
    bands::BandTable,
    display::{count, count_in, date as display_date, gap, share_in},
    unit_tree::{SortKey, TreeRow, UnitTree, UnitsView, arrange, spark_path, spark_words, toggled},
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    api::units::get_units,
    components::{BandSection, CsvLink, ErrorNote, SUPPRESSED, export_query},
    pages::waves::StatusBadge,
};

/// The page's state, all of it in the query string: pasting the link
/// gives the same view.
#[derive(Debug, Clone, PartialEq)]
struct Query {
    subject: Option<String>,
    as_of: Option<NaiveDate>,
    open: Vec<String>,
    sort: SortKey,
    descending: bool,
    /// The unit whose units the heatmap shows by age band.
    heat: Option<String>,
}

impl Query {
    /// The link to this view with some of it changed.
    fn href(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = &self.subject {
            parts.push(format!("subject={s}"));
        }
        if let Some(d) = self.as_of {
            parts.push(format!("as_of={d}"));
        }
        if !self.open.is_empty() {
            parts.push(format!("open={}", self.open.join(",")));
        }
        parts.extend(self.sort.query(self.descending));
        if let Some(h) = &self.heat {
            parts.push(format!("heat={h}"));
        }
        format!("/units?{}", parts.join("&"))
    }
}

/// Units ("where do we help?"): the tree as one table that opens level by
/// level and sorts by any column, and a heatmap of units by age band.
#[component]
pub fn UnitsPage() -> impl IntoView {
    let query = use_query_map();
    let state = Memo::new(move |_| {
        let q = query.read();
        let (sort, descending) =
            SortKey::from_query(q.get("sort").as_deref(), q.get("dir").as_deref());
        Query {
            subject: q.get("subject"),
            as_of: q.get("as_of").and_then(|s| s.parse().ok()),
            open: domain::org::unit_codes(q.get("open").as_deref()),
            sort,
            descending,
            heat: q.get("heat"),
        }
    });
    let units = Resource::new(
        move || {
            let s = state.get();
            (s.subject, s.as_of, s.open, s.heat)
        },
        |(subject, as_of, open, heat)| {
            let open = (!open.is_empty()).then(|| open.join(","));
            get_units(subject, as_of, open, heat)
        },
    );
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <div class="page" data-hydrated=move || hydrated.get().to_string()>
            <Suspense fallback=|| view! { <p class="loading">"Loading units…"</p> }>
                {move || units.get().map(|result| match result {
                    Ok(UnitsView { tree, heat }) => {
                        view! { <UnitsBody tree heat state=state.get()/> }.into_any()
                    }
                    Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn UnitsBody(tree: UnitTree, heat: BandTable, state: Query) -> impl IntoView {
    let as_of = tree.as_of;
    let choices = tree
        .subjects
        .iter()
        .map(|(key, label)| {
            let here = (*key == tree.subject).then_some("page");
            let href = Query {
                subject: Some(key.clone()),
                ..state.clone()
            }
            .href();
            view! { <a href=href aria-current=here class="choice">{label.clone()}</a> " " }
        })
        .collect_view();
    let heatmap =
        view! { <BandSection table=heat subjects=tree.subjects.clone() as_of choose=false/> }
            .into_any();
    let targets = tree.targets;
    let mut csv = export_query(None, Some(&tree.subject), as_of);
    if !state.open.is_empty() {
        csv.push_str(&format!("&open={}", state.open.join(",")));
    }
    // The CSV in the page's order.
    if let Some(order) = state.sort.query(state.descending) {
        csv.push_str(&format!("&{order}"));
    }
    let rows = arrange(tree.rows, state.sort, state.descending);
    // Type-erased parts, so the page's view type stays within the
    // compiler's depth limit in release builds.
    let head = view! {
        <header class="page-head">
            <h1>"Units — " {tree.subject_label.clone()}</h1>
            <p class="as-of">
                "As of " <time datetime=as_of.to_string() data-testid="as-of">{display_date(as_of)}</time>
                ". Open a unit to list the units under it; sort by any column."
            </p>
            <p class="choices" data-testid="subject-choices">{choices}</p>
        </header>
    }
    .into_any();
    let table = view! {
        <section class="chart" aria-labelledby="unit-tree-head">
            <h2 id="unit-tree-head">"Unit tree"</h2>
            <div class="scroll">
                <TreeTable rows state=state.clone() targets/>
            </div>
            <p class="note">
                "Adoption rate: active in the last 28 days ÷ eligible. Gap: how far the rate is below the wave's target. "
                "The line shows the rate over the last 90 days, at the end of each week. "
                "[c]: hidden to protect individuals (disclosure control)."
            </p>
            <p class="exports"><CsvLink table="unit-tree" query=csv/></p>
        </section>
    }
    .into_any();
    view! {
        {head}
        {table}
        {heatmap}
    }
}

/// The columns, as (sort key, heading).
const COLUMNS: [(SortKey, &str); 7] = [
    (SortKey::Name, "Unit"),
    (SortKey::Eligible, "Eligible"),
    (SortKey::Active, "Active (28 days)"),
    (SortKey::Rate, "Adoption rate"),
    (SortKey::Reached, "Reached"),
    (SortKey::Gap, "Gap to target"),
    (SortKey::Status, "Status"),
];

#[component]
fn TreeTable(rows: Vec<TreeRow>, state: Query, targets: bool) -> impl IntoView {
    let heads = COLUMNS
        .iter()
        .map(|&(key, label)| {
            let current = state.sort == key;
            let descending = if current {
                !state.descending
            } else {
                key.descending_first()
            };
            let href = Query {
                sort: key,
                descending,
                ..state.clone()
            }
            .href();
            let sort = current.then_some(if state.descending { "descending" } else { "ascending" });
            let class = if key == SortKey::Name { "" } else { "num" };
            let mark = match sort {
                Some("descending") => " ▼",
                Some(_) => " ▲",
                None => "",
            };
            view! {
                <th scope="col" class=class aria-sort=sort>
                    <a href=href data-testid=format!("sort-{}", key.key())>{label}<span aria-hidden="true">{mark}</span></a>
                </th>
            }
        })
        .collect_view();
    let body = rows
        .into_iter()
        .map(|row| view! { <TreeLine row state=state.clone() targets/> })
        .collect_view();
    view! {
        <table class="units tree" data-testid="unit-tree">
            <thead><tr>{heads}<th scope="col">"Last 90 days"</th></tr></thead>
            <tbody>{body}</tbody>
        </table>
    }
}

#[component]
fn TreeLine(row: TreeRow, state: Query, targets: bool) -> impl IntoView {
    let code = row.code.clone();
    let under = |c: &str, p: &str| c.starts_with(&format!("{p}-"));
    let toggle = (row.has_children && row.depth > 0).then(|| {
        let href = Query {
            open: toggled(&state.open, &code, under),
            ..state.clone()
        }
        .href();
        let label = format!(
            "{} the units under {}",
            if row.open { "Hide" } else { "Show" },
            row.name
        );
        view! {
            <a href=href class="toggle" aria-expanded=row.open.to_string() aria-label=label data-testid=format!("toggle-{code}")>
                {if row.open { "▾" } else { "▸" }}
            </a>
        }
    });
    let indent = format!("padding-left: {}rem", 0.3 + 1.2 * f64::from(row.depth));
    let heat_href = Query {
        heat: Some(code.clone()),
        ..state.clone()
    }
    .href()
        + "#by-age";
    let figures = match row.cell {
        Some(c) if c.eligible == 0 => view! {
            <td class="num">"0"</td>
            <td class="num muted" colspan="3" title="Not yet live for this subject">"not live"</td>
        }
        .into_any(),
        Some(c) => view! {
            <td class="num">{count(c.eligible)}</td>
            <td class="num">{count_in(c.active28, c.eligible)}</td>
            <td class="num">{share_in(c.active28, c.eligible)}</td>
            <td class="num">{share_in(c.reached, c.eligible)}</td>
        }
        .into_any(),
        None => view! {
            <td class="num suppressed" title=SUPPRESSED>"[c]"</td>
            <td class="num suppressed" title=SUPPRESSED>"[c]"</td>
            <td class="num suppressed" title=SUPPRESSED>"[c]"</td>
            <td class="num suppressed" title=SUPPRESSED>"[c]"</td>
        }
        .into_any(),
    };
    let (gap_cell, status_cell) = match (&row.wave, targets) {
        (Some(w), _) => {
            let title = format!(
                "{}: target {} by {}",
                w.name,
                domain::display::percent(Some(w.target_value)),
                display_date(w.target_date)
            );
            let gap_text = match (w.gap, row.cell) {
                (Some(g), _) => gap(Some(g)),
                _ => "[c]".to_owned(),
            };
            (
                view! { <td class="num" title=title>{gap_text}</td> }.into_any(),
                view! { <td><StatusBadge outlook=w.outlook.clone()/></td> }.into_any(),
            )
        }
        (None, true) => (
            view! {
                <td class="num muted" title="Not in a wave of this product (units under it may be)">"–"</td>
            }
            .into_any(),
            view! { <td class="muted">"–"</td> }.into_any(),
        ),
        (None, false) => (
            view! { <td class="num muted" title="Wave targets are set per product">"–"</td> }
                .into_any(),
            view! { <td class="muted">"–"</td> }.into_any(),
        ),
    };
    let unit_href = match state.as_of {
        Some(d) => format!("/units/{code}?as_of={d}"),
        None => format!("/units/{code}"),
    };
    let words = spark_words(&row.spark);
    let spark = match spark_path(&row.spark, 90.0, 20.0) {
        Some(d) => view! {
            <svg class="spark" viewBox="-1 -1 92 22" width="92" height="22" role="img" aria-label=words>
                <path d=d/>
            </svg>
        }
        .into_any(),
        None => view! { <span class="muted">{words}</span> }.into_any(),
    };
    let name = view! {
            <th scope="row" style=indent>
                {toggle} " "
                <a href=unit_href>{row.name.clone()}</a>
                {row.has_children.then(|| view! {
                    " " <a class="muted small" href=heat_href data-testid=format!("heat-{code}")>
                        "by age"<span class="visually-hidden">{format!(" for the units under {}", row.name)}</span>
                    </a>
                })}
            </th>
    }
    .into_any();
    view! {
        <tr data-testid=format!("tree-{code}") data-depth=row.depth.to_string()>
            {name}
            {figures}
            {gap_cell}
            {status_cell}
            <td>{spark}</td>
        </tr>
    }
}
