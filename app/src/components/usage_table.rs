use chrono::NaiveDate;
use domain::{
    display::{count, date as display_date, days, people, percent},
    metrics::Median,
    usage::{Share, Shown, UsageTable},
};
use leptos::prelude::*;

use super::{CsvLink, SUPPRESSED, SubjectChoices, export_query};

/// How a unit's people use one subject: a link per subject to switch, time
/// to first use, depth and retention by age band, and retention per weekly
/// cohort.
#[component]
pub fn UsageSection(
    table: UsageTable,
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
            <SubjectChoices subjects current=table.subject.clone() as_of param="usage" anchor="usage"/>
        }
    });
    let [four, twelve] = table.row_cohorts.map(|(first, last)| {
        format!(
            "first use w/c {} – {}",
            display_date(first),
            display_date(last)
        )
    });
    let query = export_query(Some(&table.unit_code), Some(&table.subject), table.as_of);
    let rows = table
        .rows
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            let class = (i == 0).then_some("own");
            view! {
                <tr class=class>
                    <th scope="row">{row.label}</th>
                    {median_cell(row.first_use)}
                    {share_cell(row.within_30)}
                    {median_cell(row.depth)}
                    {share_cell(row.retention[0])}
                    {share_cell(row.retention[1])}
                </tr>
            }
        })
        .collect_view();
    let cohorts = table
        .cohorts
        .into_iter()
        .map(|c| {
            view! {
                <tr>
                    <th scope="row">{format!("w/c {}", display_date(c.week))}</th>
                    {share_cell(c.retention[0])}
                    {share_cell(c.retention[1])}
                </tr>
            }
        })
        .collect_view();
    let before = table.before_data_start.filter(|n| *n > 0).map(|n| {
        view! {
            <p class="note" data-testid="before-data-start">
                {people(n)} " first used it in the first 28 days of the data, so may have used it earlier: "
                "counted as reached, but left out of time to first use and retention."
            </p>
        }
    });
    view! {
        <section class="chart" id="usage" aria-labelledby="usage-head">
            <h2 id="usage-head">"Speed, depth and retention: " {table.subject_label.clone()}</h2>
            {choices}
            <table class="bands" data-testid="usage-table">
                <thead>
                    <tr>
                        <th scope="col">"Age band"</th>
                        <th scope="col" class="num">"Median days to first use"</th>
                        <th scope="col" class="num">"Used within 30 days"</th>
                        <th scope="col" class="num">"Median active days of 28"</th>
                        <th scope="col" class="num">"Retained at 4 weeks" <br/><span class="muted">{four}</span></th>
                        <th scope="col" class="num">"Retained at 12 weeks" <br/><span class="muted">{twelve}</span></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            <p class="note">
                "Days to first use count from the day a person became eligible; pilots who used it before go-live count as 0. "
                "“Used within 30 days” is of those eligible for at least 30 days. "
                "Active days are over those active in the last 28 days. "
                "Retention: of the people whose first use fell in a week, the share still eligible and active in the last 28 days 4 and 12 weeks later; "
                "age is taken at first use."
            </p>
            {before}
            <p class="exports"><CsvLink table="usage" query=query.clone()/></p>
            <h3>"Retention by week of first use (all ages)"</h3>
            <table class="bands cohorts" data-testid="cohort-table">
                <thead>
                    <tr>
                        <th scope="col">"Week of first use"</th>
                        <th scope="col" class="num">"Retained at 4 weeks"</th>
                        <th scope="col" class="num">"Retained at 12 weeks"</th>
                    </tr>
                </thead>
                <tbody>{cohorts}</tbody>
            </table>
            <p class="exports"><CsvLink table="cohorts" query/></p>
        </section>
    }
}

fn median_cell(figure: Shown<Median>) -> AnyView {
    match figure {
        Shown::Value(m) => view! { <td class="num">{days(m)}</td> }.into_any(),
        other => marker_cell(other),
    }
}

fn share_cell(figure: Shown<Share>) -> AnyView {
    match figure {
        Shown::Value(s) => view! {
            <td class="num" title=format!("{} of {}", count(s.part), count(s.of))>
                {percent(Some(s.rate()))}
            </td>
        }
        .into_any(),
        other => marker_cell(other),
    }
}

/// A figure that is not a value: hidden, not yet observable, or nobody.
fn marker_cell<T>(figure: Shown<T>) -> AnyView {
    match figure {
        Shown::Suppressed => {
            view! { <td class="num suppressed" title=SUPPRESSED>"[c]"</td> }.into_any()
        }
        Shown::NotYetObservable => {
            view! { <td class="num muted">"not yet observable"</td> }.into_any()
        }
        Shown::Nobody | Shown::Value(_) => view! { <td class="num muted">"–"</td> }.into_any(),
    }
}
