use chrono::NaiveDate;
use domain::overview::Overview;
use leptos::{prelude::*, server_fn::codec::GetUrl};

/// Force-wide KPIs per subject at the as-of day (default: the last day
/// complete for every tool), and the adoption trend per tool.
#[server(input = GetUrl, endpoint = "overview")]
pub async fn get_overview(as_of: Option<NaiveDate>) -> Result<Overview, ServerFnError> {
    use super::ssr::{internal, state};
    let state = state()?;
    state.store.overview(as_of).await.map_err(internal)
}
