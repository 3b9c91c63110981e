use chrono::NaiveDate;
use domain::{display::date as display_date, people::PersonList};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::people::get_not_started,
    components::{CsvLink, ErrorNote, export_query},
};

/// "Who has not started": the people in a unit who have not used a
/// product yet, for commanders who hold the permission.
#[component]
pub fn PeoplePage() -> impl IntoView {
    let query = use_query_map();
    let params = use_params_map();
    let args = move || {
        let q = query.read();
        (
            params.read().get("code").unwrap_or_default(),
            q.get("product"),
            q.get("as_of").and_then(|s| s.parse::<NaiveDate>().ok()),
        )
    };
    let list = Resource::new(args, |(unit, product, as_of)| {
        get_not_started(unit, product, as_of)
    });
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading the list…"</p> }>
            {move || list.get().map(|result| match result {
                Ok(l) => view! { <PeopleBody list=l/> }.into_any(),
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn PeopleBody(list: PersonList) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let count = list.people.len();
    let licence_day = list.licence_day;
    let seen_known = list.last_seen_known;
    let unlicensed = list.people.iter().filter(|p| p.licences.is_empty()).count();
    let licence_note = licence_day.map(|d| {
        format!(
            "{unlicensed} of them hold no licence for {} in the active-user report of {}: they need one before they can start. ",
            list.product,
            display_date(d)
        )
    });
    let rows = list
        .people
        .into_iter()
        .map(|p| {
            let licence = licence_day.map(|_| {
                if p.licences.is_empty() {
                    view! { <td class="warn">"None"</td> }.into_any()
                } else {
                    view! { <td>{p.licences.join(", ")}</td> }.into_any()
                }
            });
            let seen = seen_known.then(|| {
                let day = p
                    .last_seen
                    .map(display_date)
                    .unwrap_or_else(|| "Never".to_owned());
                view! { <td>{day}</td> }
            });
            view! {
                <tr>
                    <td>{p.staff_number}</td>
                    <td>{p.sign_in_name}</td>
                    <td>{p.unit_name}</td>
                    {licence}
                    {seen}
                </tr>
            }
        })
        .collect_view();
    let back = format!("/units/{}", list.unit_code);
    let csv = format!(
        "{}&product={}",
        export_query(Some(&list.unit_code), None, list.as_of),
        list.product
    );
    view! {
        <div class="page" data-hydrated=move || hydrated.get().to_string()>
            <header class="page-head">
                <h1>{format!("Not yet started with {} — {}", list.product, list.unit_name)}</h1>
                <p class="as-of">
                    {format!("{count} people in post on {} who have never used {}. ", display_date(list.as_of), list.product)}
                    <a href=back>"Back to the unit"</a>
                </p>
                <p class="note">
                    {licence_note}
                    {seen_known.then_some("\"Last seen\" is the last day the tools saw them at all, counted use or not: someone seen but never counted has signed in without using it. ")}
                    "This list names individuals. Your view of it is recorded in the audit log."
                </p>
            </header>
            <section class="chart">
                <table class="units" data-testid="people">
                    <thead><tr>
                        <th scope="col">"Staff number"</th><th scope="col">"Sign-in name"</th><th scope="col">"Unit"</th>
                        {licence_day.map(|_| view! { <th scope="col">"Licensed for"</th> })}
                        {seen_known.then(|| view! { <th scope="col">"Last seen"</th> })}
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
                <p class="exports"><CsvLink table="people" query=csv/></p>
                <p class="note">"The download is a person-level list too, and recorded in the audit log."</p>
            </section>
        </div>
    }
}
