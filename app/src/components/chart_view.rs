use domain::chart::{Chart, Measure, Trend};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::CsvLink;

/// Mounts a chart of any kind with plotly.js once hydrated, with its
/// figures as a table beside it for keyboard and screen-reader users.
#[component]
pub fn ChartView(chart: Chart, #[prop(into)] id: String) -> impl IntoView {
    let rows = chart
        .table()
        .into_iter()
        .map(|[series, at, value]| {
            view! { <tr><th scope="row">{series}</th><td>{at}</td><td class="num">{value}</td></tr> }
        })
        .collect_view();
    let at_heading = match chart.kind {
        domain::chart::ChartKind::Lines(_) => "Latest day",
        domain::chart::ChartKind::Bars { .. } => "Group",
    };
    let marked = (!chart.markers.is_empty()).then(|| {
        let days = chart
            .markers
            .iter()
            .map(|m| format!("{} on {}", m.label, domain::display::date(m.day)))
            .collect::<Vec<_>>()
            .join("; ");
        view! { <p class="note" data-testid="chart-markers">"Marked: " {days} "."</p> }
    });
    let title = chart.title.clone();
    let caption = (!chart.caption.is_empty())
        .then(|| view! { <p class="chart-caption" data-testid="chart-caption">{chart.caption.clone()}</p> });
    let node = NodeRef::<leptos::html::Div>::new();
    // Draws once its element is in the page: a section that re-renders after
    // a client-side navigation mounts its element after the effect first
    // runs.
    #[cfg(all(feature = "hydrate", target_arch = "wasm32"))]
    {
        let plot = crate::charts::plot(&chart);
        let target = id.clone();
        Effect::new(move |_| {
            if node.get().is_some() {
                crate::charts::draw(&target, &plot);
            }
        });
    }
    view! {
        <figure class="chart">
            // Plotly puts buttons and legend toggles inside its element, so
            // the figure is named by its caption, not as one image.
            <figcaption class="visually-hidden">{title.clone()}</figcaption>
            <div node_ref=node id=id class="plot"></div>
            {caption}
            <details>
                <summary>"Table: " {title}</summary>
                <table>
                    <thead><tr><th scope="col">"Series"</th><th scope="col">{at_heading}</th><th scope="col">"Value"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
                {marked}
            </details>
        </figure>
    }
    .into_any()
}

/// A chart over time with a switch between the adoption rate and the
/// number active, kept in the query string under `param` so that a link
/// gives the same view. Days marked on it (go-lives) show on both; targets,
/// which are rates, on the rate only.
#[component]
pub fn TrendView(
    trend: Trend,
    #[prop(into)] id: String,
    param: &'static str,
    /// Its figures as CSV: the export table and the view's query; the
    /// measure shown is added.
    #[prop(optional)]
    csv: Option<(&'static str, String)>,
) -> impl IntoView {
    let query = use_query_map();
    let measure = Memo::new(move |_| Measure::parse(query.read().get_str(param)));
    let anchor = format!("{id}-switch");
    let switch_anchor = anchor.clone();
    let switch = move || {
        Measure::ALL
            .into_iter()
            .map(|m| {
                let mut q = query.get();
                q.replace(param, m.key().to_owned());
                let href = format!("{}#{switch_anchor}", q.to_query_string());
                let here = (measure.get() == m).then_some("page");
                view! { <a href=href aria-current=here class="choice" data-testid=format!("measure-{}", m.key())>{m.label()}</a> " " }
            })
            .collect_view()
    };
    let chart_id = id.clone();
    view! {
        <p class="choices" id=anchor role="group" aria-label="Show as">
            "Show as: " {switch}
        </p>
        {move || view! { <ChartView chart=trend.get(measure.get()).clone() id=chart_id.clone()/> }}
        {move || csv.clone().map(|(table, query)| {
            let query = format!("{query}&measure={}", measure.get().key());
            view! { <p class="exports"><CsvLink table query/></p> }
        })}
    }
    .into_any()
}
