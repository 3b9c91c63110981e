use domain::chart::LineChart;
use leptos::prelude::*;

/// Mounts a line chart with plotly.js once hydrated, with the figures as a
/// table beside it for keyboard and screen-reader users.
#[component]
pub fn LineChartView(chart: LineChart, #[prop(into)] id: String) -> impl IntoView {
    let summary = chart.series.iter().map(|s| {
        let last = s.y.iter().enumerate().rev().find_map(|(i, y)| y.map(|v| (i, v)));
        let (day, value) = last.map_or(("–".to_owned(), "–".to_owned()), |(i, v)| {
            (s.x.label(i), chart.y_format.display(v))
        });
        view! { <tr><th scope="row">{s.name.clone()}</th><td>{day}</td><td class="num">{value}</td></tr> }
    }).collect_view();
    let title = chart.title.clone();
    let node = NodeRef::<leptos::html::Div>::new();
    // Draws once its element is in the page: a section that re-renders after
    // a client-side navigation mounts its element after the effect first
    // runs.
    #[cfg(all(feature = "hydrate", target_arch = "wasm32"))]
    {
        let plot = crate::charts::line_plot(&chart);
        let target = id.clone();
        Effect::new(move |_| {
            if node.get().is_some() {
                crate::charts::draw(&target, &plot);
            }
        });
    }
    view! {
        <figure class="chart">
            <div node_ref=node id=id class="plot" role="img" aria-label=title.clone()></div>
            <details>
                <summary>"Table: " {title}</summary>
                <table>
                    <thead><tr><th scope="col">"Series"</th><th scope="col">"Latest day"</th><th scope="col">"Value"</th></tr></thead>
                    <tbody>{summary}</tbody>
                </table>
            </details>
        </figure>
    }
}
