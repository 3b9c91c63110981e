use chrono::NaiveDate;
use leptos::prelude::*;

/// A link per subject that reloads one section of the page for it: the
/// section's query parameter `param` and its anchor `anchor`.
#[component]
pub fn SubjectChoices(
    /// Every subject shown on the page, as (key, label).
    subjects: Vec<(String, String)>,
    /// The key of the subject shown now.
    current: String,
    as_of: NaiveDate,
    param: &'static str,
    anchor: &'static str,
) -> impl IntoView {
    let links = subjects
        .into_iter()
        .map(|(key, label)| {
            let here = (key == current).then_some("page");
            let href = format!("?as_of={as_of}&{param}={key}#{anchor}");
            view! { <a href=href aria-current=here class="choice">{label}</a> " " }
        })
        .collect_view();
    view! { <p class="choices">{links}</p> }
}
