use chrono::NaiveDate;
use leptos::prelude::*;

use super::{CsvLink, ErrorNote, export_query};
use crate::api::exports::get_board_packs;

/// The board's exports of a unit (or the force) on the page's day: the
/// pack and the workbook, the headline as CSV, and the packs published
/// before, to download again.
#[component]
pub fn BoardExports(unit: String, as_of: NaiveDate) -> impl IntoView {
    let query = export_query(Some(&unit), None, as_of);
    let pack = format!("/exports/board-pack.pdf?{query}");
    let workbook = format!("/exports/workbook.xlsx?{query}");
    let packs = Resource::new(move || unit.clone(), |unit| get_board_packs(Some(unit)));
    let published = move || {
        packs.get().map(|result| match result {
            Ok(list) if list.is_empty() => view! {
                <p class="note" data-testid="no-packs">"No board pack published for this scope yet."</p>
            }
            .into_any(),
            Ok(list) => {
                let items = list
                    .into_iter()
                    .map(|p| {
                        let href = format!("/exports/board-packs/{}.pdf", p.id);
                        view! {
                            <li>
                                <a href=href download data-testid="published-pack">{p.title}</a>
                                <span class="muted">{format!(" — made {} by {}", p.made_at, p.made_by)}</span>
                            </li>
                        }
                    })
                    .collect_view();
                view! { <ul class="packs" data-testid="published-packs">{items}</ul> }.into_any()
            }
            Err(e) => view! { <ErrorNote error=e/> }.into_any(),
        })
    };
    view! {
        <section class="chart" aria-labelledby="exports-head" data-testid="board-exports">
            <h2 id="exports-head">"Exports for the board"</h2>
            <p class="exports">
                <a class="button" href=pack download data-testid="export-pack">"Board pack (PDF)"</a>
                " "
                <a class="button" href=workbook download data-testid="export-workbook">"Workbook (XLSX)"</a>
                " Headline figures: " <CsvLink table="headline" query/>
            </p>
            <p class="note">
                "The pack is published when it is made: kept unchanged, it is what the next pack of this scope says “change since” against. "
                "Every export shows hidden figures as [c] and is recorded in the audit log."
            </p>
            <h3>"Published packs"</h3>
            <Suspense fallback=|| ()>{published}</Suspense>
        </section>
    }
}
