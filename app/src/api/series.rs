use chrono::NaiveDate;
use domain::overview::DailySeries;
use leptos::{prelude::*, server_fn::codec::GetUrl};

/// A unit's counts for one subject (`product:N`, `tool:N`, or `all`
/// by default) and age band (`under-25`, `25-34`, `35-44`, `45-54`,
/// `55-plus`; none for all ages) at the end of each week of the year to
/// the as-of day, and on that day. Hidden points come back empty.
#[server(input = GetUrl, endpoint = "series")]
pub async fn get_series(
    unit: Option<String>,
    subject: Option<String>,
    band: Option<String>,
    as_of: Option<NaiveDate>,
) -> Result<DailySeries, ServerFnError> {
    use domain::{catalog::Subject, people::AgeBand};

    use super::ssr::{failed, refused, unit as grant_unit};
    let (state, caller, grant) = grant_unit(unit.as_deref()).await?;
    let subject = match subject {
        Some(key) => Subject::parse(&key).map_err(refused)?,
        None => Subject::All,
    };
    let band = band
        .map(|b| AgeBand::parse(&b).ok_or_else(|| refused(format!("there is no age band '{b}'"))))
        .transpose()?;
    let store = &state.store;
    let as_of = store.resolve_as_of(as_of).await.map_err(failed)?;
    store
        .daily_series(&caller.viewer, &grant, subject, band, as_of)
        .await
        .map_err(failed)
}
