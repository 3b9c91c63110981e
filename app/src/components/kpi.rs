use leptos::prelude::*;

use domain::display::{arrow, points, points_in_words};

/// One headline figure with its label, an optional note, and anything
/// else the tile carries (its change over time).
#[component]
pub fn KpiTile(
    label: &'static str,
    value: String,
    #[prop(optional)] note: Option<String>,
    #[prop(into)] test_id: String,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="kpi" data-testid=test_id>
            <span class="kpi-label">{label}</span>
            <span class="kpi-value">{value}</span>
            {note.map(|n| view! { <span class="kpi-note">{n}</span> })}
            {children.map(|c| c())}
        </div>
    }
}

/// A rate's change against 7 and 28 days before: an arrow and the points
/// to the eye, the same in words to a screen reader. Nothing for a span
/// with no published figure at one end.
#[component]
pub fn RateChange(week: Option<f64>, month: Option<f64>) -> impl IntoView {
    let line = |change: Option<f64>, span: &'static str| {
        change.map(|c| {
            view! {
                <span class="kpi-change">
                    <span aria-hidden="true">{format!("{} {} on {span}", arrow(c), points(c))}</span>
                    <span class="visually-hidden">{format!("{} on {span} before", points_in_words(c))}</span>
                </span>
            }
        })
    };
    view! { {line(week, "7 days")} {line(month, "28 days")} }
}
