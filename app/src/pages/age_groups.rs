use chrono::NaiveDate;
use domain::{bands::AgeGroups, display::date as display_date};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    api::bands::get_age_groups,
    components::{BandSection, ChartView, ErrorNote, UsageSection},
};

/// Age groups ("who takes it up?"): for the force or one unit and one
/// subject, adoption by age band beside the force's, the units under it by
/// band, the trend per band, and time to first use, depth and retention by
/// band. The unit, subject and day are in the query string.
#[component]
pub fn AgeGroupsPage() -> impl IntoView {
    let query = use_query_map();
    let args = move || {
        let q = query.read();
        (
            q.get("unit"),
            q.get("subject"),
            q.get("as_of").and_then(|s| s.parse::<NaiveDate>().ok()),
        )
    };
    let groups = Resource::new(args, |(unit, subject, as_of)| {
        get_age_groups(unit, subject, as_of)
    });
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <div class="page" data-hydrated=move || hydrated.get().to_string()>
            <Suspense fallback=|| view! { <p class="loading">"Loading age groups…"</p> }>
                {move || groups.get().map(|result| match result {
                    Ok(g) => view! { <AgeGroupsBody groups=g/> }.into_any(),
                    Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn AgeGroupsBody(groups: AgeGroups) -> impl IntoView {
    let as_of = groups.bands.as_of;
    let unit = groups.unit_code.clone();
    let link = move |unit: &str, subject: &str| {
        format!("/age-groups?unit={unit}&subject={subject}&as_of={as_of}")
    };
    let choices = groups
        .subjects
        .iter()
        .map(|(key, label)| {
            let here = (*key == groups.bands.subject).then_some("page");
            view! { <a href=link(&unit, key) aria-current=here class="choice">{label.clone()}</a> " " }
        })
        .collect_view();
    // The units under this one, each to look at by age in turn.
    let under = groups
        .bands
        .rows
        .iter()
        .skip(1)
        .map(|r| {
            view! { <a href=link(&r.code, &groups.bands.subject) class="choice">{r.name.clone()}</a> " " }
        })
        .collect_view();
    let has_under = groups.bands.rows.len() > 1;
    let pattern = groups.pattern_words();
    let versus = groups
        .versus_force()
        .map(|chart| view! { <ChartView chart id="versus-force"/> });
    let head = view! {
        <header class="page-head">
            <h1>"Age groups — " {groups.unit_name.clone()} ": " {groups.bands.subject_label.clone()}</h1>
            <p class="as-of">
                "As of " <time datetime=as_of.to_string() data-testid="as-of">{display_date(as_of)}</time>
                ". Age bands by the age reached this year."
            </p>
            <p class="choices" data-testid="subject-choices">{choices}</p>
            {has_under.then(|| view! {
                <p class="choices" data-testid="unit-choices">"Look at a unit under this one: " {under}</p>
            })}
        </header>
        <section class="chart" aria-labelledby="age-pattern-head">
            <h2 id="age-pattern-head">"Who takes it up"</h2>
            <p data-testid="age-pattern">{pattern}</p>
            <p class="note">
                "Compared: the youngest and the oldest age band with a published rate (a rate near 0% or 100% is shown as a range and not compared)."
            </p>
            {versus}
        </section>
    }
    .into_any();
    let since = match groups.since_go_live() {
        Some(chart) => view! { <ChartView chart id="bands-since-go-live"/> }.into_any(),
        None => view! {
            <p class="note" data-testid="no-go-live">
                "By days since go-live: choose a unit in a rollout wave of this product (the force's units went live on different days)."
            </p>
        }
        .into_any(),
    };
    let subjects = groups.subjects.clone();
    let bands =
        view! { <BandSection table=groups.bands subjects=subjects.clone() as_of choose=false/> }
            .into_any();
    let usage = view! { <UsageSection table=groups.usage subjects as_of choose=false/> }.into_any();
    view! {
        {head}
        {bands}
        <section class="since-go-live" aria-labelledby="since-go-live-head">
            <h2 id="since-go-live-head">"By days since go-live"</h2>
            {since}
        </section>
        {usage}
    }
}
