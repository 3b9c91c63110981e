use chrono::NaiveDate;
use domain::overview::Overview;
use leptos::{prelude::*, server_fn::codec::GetUrl};

/// A unit's KPIs per subject at the as-of day (default: the last day
/// complete for every tool), its adoption trend, and the units under it
/// that the caller may see. No unit means the whole force, which every
/// role may see for comparison.
#[server(input = GetUrl, endpoint = "overview")]
pub async fn get_overview(
    unit: Option<String>,
    as_of: Option<NaiveDate>,
) -> Result<Overview, ServerFnError> {
    use super::ssr::{failed, unit as grant_unit};
    let (state, caller, grant) = grant_unit(unit.as_deref()).await?;
    state
        .store
        .overview(&caller.viewer, &grant, as_of)
        .await
        .map_err(failed)
}
