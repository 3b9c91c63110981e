use leptos::prelude::*;

/// One headline figure with its label and an optional note.
#[component]
pub fn KpiTile(
    label: &'static str,
    value: String,
    #[prop(optional)] note: Option<String>,
    #[prop(into)] test_id: String,
) -> impl IntoView {
    view! {
        <div class="kpi" data-testid=test_id>
            <span class="kpi-label">{label}</span>
            <span class="kpi-value">{value}</span>
            {note.map(|n| view! { <span class="kpi-note">{n}</span> })}
        </div>
    }
}
