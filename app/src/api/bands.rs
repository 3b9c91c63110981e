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

/// The age groups page for a unit (default: the force for those who see
/// every unit, else the caller's first scope unit) and one subject: its
/// table by age band, the force's row beside it, and how its people use
/// the subject by band, all as published.
#[server(input = GetUrl, endpoint = "age-groups")]
pub async fn get_age_groups(
    unit: Option<String>,
    subject: Option<String>,
    as_of: Option<NaiveDate>,
) -> Result<domain::bands::AgeGroups, ServerFnError> {
    use super::ssr::{failed, own_root, subject_or_first_product, unit as grant_unit};
    let unit = match unit {
        Some(u) => Some(u),
        None => own_root()?,
    };
    let (state, caller, grant) = grant_unit(unit.as_deref()).await?;
    let store = &state.store;
    let subject = subject_or_first_product(store, subject.as_deref()).await?;
    let as_of = store.resolve_as_of(as_of).await.map_err(failed)?;
    let viewer = &caller.viewer;
    let bands = store
        .band_table(viewer, &grant, subject, as_of)
        .await
        .map_err(failed)?;
    let force = match unit {
        Some(_) => {
            let (_, _, force) = grant_unit(None).await?;
            let table = store
                .band_table(viewer, &force, subject, as_of)
                .await
                .map_err(failed)?;
            table
                .rows
                .into_iter()
                .next()
                .filter(|f| f.code != bands.unit_code)
        }
        None => None,
    };
    let usage = store
        .usage_table(viewer, &grant, subject, as_of)
        .await
        .map_err(failed)?;
    let catalog = store.catalog().await.map_err(failed)?;
    let unit_name = bands
        .rows
        .first()
        .map(|r| r.name.clone())
        .unwrap_or_default();
    // The force's units went live on different days: days since go-live
    // are a unit's.
    let go_live = match unit {
        Some(_) => store
            .go_live_of(&bands.unit_code, subject)
            .await
            .map_err(failed)?,
        None => None,
    };
    Ok(domain::bands::AgeGroups {
        go_live,
        unit_code: bands.unit_code.clone(),
        unit_name,
        subjects: catalog.subject_choices(),
        bands,
        force,
        usage,
    })
}
