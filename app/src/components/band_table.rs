use chrono::NaiveDate;
use domain::{
    bands::BandTable,
    display::{HEAT_STEPS, count, count_in, heat_range, heat_step, share_in},
};
use leptos::prelude::*;

use super::{ChartView, CsvLink, SUPPRESSED, SubjectChoices, TrendView, export_query};

/// One subject by age band: a link per subject to switch, the table of the
/// unit and the units under it, the unit's bands side by side, and its
/// trend per band.
#[component]
pub fn BandSection(
    table: BandTable,
    /// Every subject shown on the page, as (key, label).
    subjects: Vec<(String, String)>,
    as_of: NaiveDate,
    /// Whether the section offers its own choice of subject (not where the
    /// page's choice sets it).
    #[prop(default = true)]
    choose: bool,
) -> impl IntoView {
    let choices = choose.then(|| {
        view! {
            <SubjectChoices subjects current=table.subject.clone() as_of param="bands" anchor="by-age"/>
        }
    });
    let heads = table
        .columns
        .iter()
        .map(|c| view! { <th scope="col" class="num">{c.clone()}</th> })
        .collect_view();
    let body = table
        .rows
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            let last = row.cells.len().saturating_sub(1);
            let cells = row
                .cells
                .into_iter()
                .enumerate()
                .map(|(slot, cell)| match cell {
                    // Nobody eligible: in all ages, the unit is not live;
                    // in a band, nobody of that age works there.
                    Some(c) if c.eligible == 0 => {
                        let (text, title) = if slot == last {
                            ("not live", "Not yet live for this subject")
                        } else {
                            ("none", "Nobody in this age band")
                        };
                        view! { <td class="num muted" title=title>{text}</td> }.into_any()
                    }
                    Some(c) => {
                        let rate = c.adoption_rate();
                        let class = format!("num heat-{}", heat_step(rate.unwrap_or_default()));
                        view! {
                            <td class=class title=format!("{} active of {} eligible", count_in(c.active28, c.eligible), count(c.eligible))>
                                {share_in(c.active28, c.eligible)}
                            </td>
                        }
                        .into_any()
                    }
                    // Hatched, never a colour of the scale: a hidden cell
                    // hints at no value.
                    None => view! { <td class="num suppressed" title=SUPPRESSED>"[c]"</td> }.into_any(),
                })
                .collect_view();
            let class = (i == 0).then_some("own");
            view! {
                <tr class=class data-testid=format!("band-row-{}", row.code)>
                    <th scope="row">{row.name}</th>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    // Type-erased, so the section's view type stays within the compiler's
    // depth limit in release builds.
    let query = export_query(Some(&table.unit_code), Some(&table.subject), table.as_of);
    let trend_csv = ("band-trend", query.clone());
    let charts = view! {
        <ChartView chart=table.by_band id="band-bars"/>
        <TrendView trend=table.trend id="band-trend" param="band_trend" csv=trend_csv/>
    }
    .into_any();
    view! {
        <section class="chart" id="by-age" aria-labelledby="by-age-head">
            <h2 id="by-age-head">"By age band: " {table.subject_label.clone()}</h2>
            {choices}
            <table class="bands" data-testid="band-table">
                <thead><tr><th scope="col">"Unit"</th>{heads}</tr></thead>
                <tbody>{body}</tbody>
            </table>
            <p class="note">
                "Adoption rate (active in the last 28 days ÷ eligible), by age reached this year. "
                "[c]: hidden to protect individuals (disclosure control)."
            </p>
            <p class="exports"><CsvLink table="bands" query/></p>
            <HeatLegend/>
            {charts}
        </section>
    }
}

/// The heatmap's scale, darker for higher rates, and the hatching of a
/// hidden cell.
#[component]
fn HeatLegend() -> impl IntoView {
    let steps = (0..HEAT_STEPS)
        .map(|step| view! { <li class=format!("heat-{step}")>{heat_range(step)}</li> })
        .collect_view();
    view! {
        <ul class="heat-legend" aria-label="Colour scale" data-testid="heat-legend">
            {steps}
            <li class="suppressed">"[c] hidden"</li>
        </ul>
    }
}
