use chrono::NaiveDate;
use domain::usage::UsageTable;
use leptos::{prelude::*, server_fn::codec::GetUrl};

/// How a unit's people use one subject (`product:N`, `tool:N` or `all`;
/// default the first product): time to first use, depth and retention by
/// age band, and retention per weekly cohort, after disclosure control.
#[server(input = GetUrl, endpoint = "usage")]
pub async fn get_usage(
    unit: Option<String>,
    subject: Option<String>,
    as_of: Option<NaiveDate>,
) -> Result<UsageTable, ServerFnError> {
    use super::ssr::{failed, subject_or_first_product, unit as grant_unit};
    let (state, caller, grant) = grant_unit(unit.as_deref()).await?;
    let store = &state.store;
    let subject = subject_or_first_product(store, subject.as_deref()).await?;
    let as_of = store.resolve_as_of(as_of).await.map_err(failed)?;
    store
        .usage_table(&caller.viewer, &grant, subject, as_of)
        .await
        .map_err(failed)
}
