use chrono::NaiveDate;
use leptos::prelude::*;

/// The query an export of a view takes: the view's unit, subject and day,
/// as the page has them (`None` leaves one out).
pub fn export_query(unit: Option<&str>, subject: Option<&str>, as_of: NaiveDate) -> String {
    let mut query = Vec::new();
    if let Some(unit) = unit {
        query.push(format!("unit={unit}"));
    }
    if let Some(subject) = subject {
        query.push(format!("subject={subject}"));
    }
    query.push(format!("as_of={as_of}"));
    query.join("&")
}

/// "Download CSV" for one table of a page: served by `/exports/<table>.csv`
/// with the page's scope, subject and day, as the page shows it.
#[component]
pub fn CsvLink(table: &'static str, query: String) -> impl IntoView {
    let href = format!("/exports/{table}.csv?{query}");
    view! {
        <a class="export" href=href download data-testid=format!("csv-{table}")>"Download CSV"</a>
    }
}
