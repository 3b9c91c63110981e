use chrono::NaiveDate;
use domain::unit_tree::UnitsView;
use leptos::{prelude::*, server_fn::codec::GetUrl};

/// The caller's unit tree for one subject (default the first product):
/// the force for those who see every unit, else each unit of their scope,
/// with the units under each root and under every code in `open`
/// (comma-separated) listed; each unit's published figures, wave target,
/// status and sparkline. With it, the heatmap: the units under `heat`
/// (default the tree's first root) by age band, refused like any unit
/// outside the caller's scope.
#[server(input = GetUrl, endpoint = "units")]
pub async fn get_units(
    subject: Option<String>,
    as_of: Option<NaiveDate>,
    open: Option<String>,
    heat: Option<String>,
) -> Result<UnitsView, ServerFnError> {
    use super::ssr::{failed, subject_or_first_product, unit as grant_unit};
    let (state, caller, _) = grant_unit(None).await?;
    let store = &state.store;
    let subject = subject_or_first_product(store, subject.as_deref()).await?;
    let as_of = store.resolve_as_of(as_of).await.map_err(failed)?;
    let open = domain::org::unit_codes(open.as_deref());
    let tree = store
        .unit_tree(&caller.viewer, subject, as_of, &open)
        .await
        .map_err(failed)?;
    let heat = heat.or_else(|| tree.rows.first().map(|r| r.code.clone()));
    let (_, _, grant) = grant_unit(heat.as_deref()).await?;
    let heat = store
        .band_table(&caller.viewer, &grant, subject, as_of)
        .await
        .map_err(failed)?;
    Ok(UnitsView { tree, heat })
}
