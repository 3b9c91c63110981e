use chrono::NaiveDate;
use domain::{
    display::{count, share_in},
    overview::UnitRow,
};
use leptos::prelude::*;

use super::CsvLink;

/// Why a figure reads `[c]`.
pub const SUPPRESSED: &str = "Hidden to protect individuals: fewer than 10 eligible, fewer than 3 active or 3 inactive, or it would let a hidden figure be worked out from the others.";

/// The units under the one shown, one column of adoption per product.
/// Suppressed cells read `[c]`, with the reason in their title.
#[component]
pub fn UnitTable(
    columns: Vec<String>,
    rows: Vec<UnitRow>,
    as_of: NaiveDate,
    /// The shown unit's export query.
    query: String,
) -> impl IntoView {
    let heads = columns
        .iter()
        .map(|c| view! { <th scope="col" class="num">{format!("{c}: adoption (eligible)")}</th> })
        .collect_view();
    let body = rows
        .into_iter()
        .map(|row| {
            let href = format!("/units/{}?as_of={as_of}", row.code);
            let cells = row
                .cells
                .into_iter()
                .map(|cell| match cell {
                    Some(c) if c.eligible == 0 => view! {
                        <td class="num muted" title="Not yet live for this product">"not live"</td>
                    }
                    .into_any(),
                    Some(c) => view! {
                        <td class="num">{format!("{} ({})", share_in(c.active28, c.eligible), count(c.eligible))}</td>
                    }
                    .into_any(),
                    None => view! {
                        <td class="num suppressed" title=SUPPRESSED>"[c]"</td>
                    }
                    .into_any(),
                })
                .collect_view();
            view! {
                <tr data-testid=format!("unit-{}", row.code)>
                    <th scope="row"><a href=href>{row.name}</a></th>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="chart" aria-labelledby="units-under">
            <h2 id="units-under">"Units under this one"</h2>
            <table class="units">
                <thead><tr><th scope="col">"Unit"</th>{heads}</tr></thead>
                <tbody>{body}</tbody>
            </table>
            <p class="note">"[c]: hidden to protect individuals (disclosure control)."</p>
            <p class="exports"><CsvLink table="units" query/></p>
        </section>
    }
}
