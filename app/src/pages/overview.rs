use chrono::NaiveDate;
use domain::{
    display::{count, date as display_date, percent},
    overview::Overview,
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    api::overview::get_overview,
    components::{KpiTile, LineChartView},
};

/// Force-wide progress: KPI tiles per product and tool, and the trend.
#[component]
pub fn OverviewPage() -> impl IntoView {
    let query = use_query_map();
    let as_of = move || {
        query
            .read()
            .get("as_of")
            .and_then(|s| s.parse::<NaiveDate>().ok())
    };
    let overview = Resource::new(as_of, get_overview);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading figures…"</p> }>
            {move || overview.get().map(|result| match result {
                Ok(o) => view! { <OverviewBody overview=o/> }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn OverviewBody(overview: Overview) -> impl IntoView {
    let freshness = overview.complete_through.map_or_else(
        || "No source has reported complete data yet.".to_owned(),
        |d| format!("Data complete through {}.", display_date(d)),
    );
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let sections = overview
        .kpis
        .into_iter()
        .map(|k| {
            let slug = k.subject.replace(':', "-");
            let partial = k.partial.then(|| "28-day window not yet complete".to_owned());
            view! {
                <section class="subject" aria-label=k.label.clone() data-testid=format!("kpis-{slug}")>
                    <h2>{k.label.clone()}</h2>
                    <div class="kpis">
                        <KpiTile label="Eligible staff" value=count(k.counts.eligible) test_id=format!("{slug}-eligible")/>
                        <KpiTile label="Active in last 28 days" value=count(k.counts.active28) test_id=format!("{slug}-active28")/>
                        <KpiTile label="Adoption rate" value=percent(k.adoption_rate) note=partial.unwrap_or_default() test_id=format!("{slug}-rate")/>
                        <KpiTile label="Reached" value=count(k.counts.reached) note=format!("{} of eligible", percent(k.counts.reached_share())) test_id=format!("{slug}-reached")/>
                    </div>
                </section>
            }
        })
        .collect_view();
    view! {
        <div class="page" data-hydrated=move || hydrated.get().to_string()>
            <header class="page-head">
                <h1>{overview.scope_name} " — overview"</h1>
                <p class="as-of">
                    "As of " <time datetime=overview.as_of.to_string() data-testid="as-of">{display_date(overview.as_of)}</time>
                    ". " {freshness}
                </p>
            </header>
            <div class="subjects">{sections}</div>
            <LineChartView chart=overview.trend id="adoption-trend"/>
        </div>
    }
}
