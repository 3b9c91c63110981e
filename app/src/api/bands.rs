use chrono::NaiveDate;
use domain::bands::BandTable;
use leptos::{prelude::*, server_fn::codec::GetUrl};

/// A unit and the visible units under it by age band for one subject
/// (`product:N`, `tool:N` or `all`; default the first product), after
/// disclosure control over the whole table, with the unit's trend per band.
#[server(input = GetUrl, endpoint = "bands")]
pub async fn get_band_table(
    unit: Option<String>,
    subject: Option<String>,
    as_of: Option<NaiveDate>,
) -> Result<BandTable, ServerFnError> {
    use super::ssr::{failed, subject_or_first_product, unit as grant_unit};
    let (state, caller, grant) = grant_unit(unit.as_deref()).await?;
    let store = &state.store;
    let subject = subject_or_first_product(store, subject.as_deref()).await?;
    let as_of = store.resolve_as_of(as_of).await.map_err(failed)?;
    store
        .band_table(&caller.viewer, &grant, subject, as_of)
        .await
        .map_err(failed)
}
