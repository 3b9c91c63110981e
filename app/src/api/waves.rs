use chrono::NaiveDate;
use domain::{chart::Chart, wave::WaveProgress};
use leptos::{prelude::*, server_fn::codec::GetUrl};

/// Every wave's progress against its target, with forecasts: the whole
/// wave for those who see every unit, and the member units in the caller's
/// scope for everyone else. With `unit`, only that unit's own waves and
/// figures (it narrows what the caller sees, never widens it).
#[server(input = GetUrl, endpoint = "waves")]
pub async fn get_waves(
    as_of: Option<NaiveDate>,
    unit: Option<String>,
) -> Result<Vec<WaveProgress>, ServerFnError> {
    use super::ssr::{failed, within_scope};
    let (state, caller) = within_scope()?;
    state
        .store
        .wave_progress(&caller.viewer, as_of, unit.as_deref())
        .await
        .map_err(failed)
}

/// Sets a wave's target (admins and rollout managers): a percentage over 0
/// and at most 100, by a day on or after the wave's go-live. Audited; the
/// wave's forecast and status follow at once.
#[server(endpoint = "waves/set-target")]
pub async fn set_wave_target(
    wave: i32,
    target_percent: f64,
    target_date: NaiveDate,
) -> Result<(), ServerFnError> {
    use super::ssr::{failed, force_wide, waves};
    let (state, caller) = force_wide()?;
    waves::set_target(
        &state.store,
        &caller.actor(),
        wave,
        target_percent / 100.0,
        target_date,
    )
    .await
    .map_err(failed)
}

/// Creates a wave (admins and rollout managers): a name, a product, a
/// go-live day, a target share by a day on or after it, and one or more
/// unit codes (comma-separated), none of them already in a wave of that
/// product. Audited. The figures follow the new go-live once the rollups
/// are rebuilt, which starts at once in the background; its target and
/// forecast show as soon as it is made.
#[server(endpoint = "waves/create")]
pub async fn create_wave(
    name: String,
    product: String,
    go_live: NaiveDate,
    target_percent: f64,
    target_date: NaiveDate,
    units: String,
) -> Result<i32, ServerFnError> {
    use super::ssr::{failed, force_wide, waves};
    let (state, caller) = force_wide()?;
    let unit_codes = domain::org::unit_codes(Some(&units));
    let form = waves::WaveForm {
        name: &name,
        product: &product,
        go_live,
        target: target_percent / 100.0,
        target_date,
        unit_codes: &unit_codes,
    };
    let id = waves::create(&state.store, &caller.actor(), &form)
        .await
        .map_err(failed)?;
    rebuild_in_background(&state.store);
    Ok(id)
}

/// Changes a wave's name, go-live and member units (admins and rollout
/// managers), under the rules of a new wave; its target stays. Audited,
/// old and new. When the go-live or the members change, the rollups are
/// rebuilt at once in the background.
#[server(endpoint = "waves/edit")]
pub async fn edit_wave(
    wave: i32,
    name: String,
    go_live: NaiveDate,
    units: String,
) -> Result<(), ServerFnError> {
    use super::ssr::{failed, force_wide, waves};
    let (state, caller) = force_wide()?;
    let unit_codes = domain::org::unit_codes(Some(&units));
    let moved = waves::edit(
        &state.store,
        &caller.actor(),
        wave,
        &name,
        go_live,
        &unit_codes,
    )
    .await
    .map_err(failed)?;
    if moved {
        rebuild_in_background(&state.store);
    }
    Ok(())
}

/// Starts rebuilding the rollups after a wave's go-live or members
/// changed; the figures follow the new go-live when it ends.
#[cfg(feature = "ssr")]
fn rebuild_in_background(store: &store::Store) {
    let store = store.clone();
    tokio::spawn(async move {
        if let Err(e) = store.rebuild_rollups().await {
            tracing::error!(error = %e, "rebuilding the rollups after a wave change");
        }
    });
}

/// The products a wave may be for, as (id, name).
#[server(input = GetUrl, endpoint = "products")]
pub async fn get_products() -> Result<Vec<(i32, String)>, ServerFnError> {
    use super::ssr::{failed, within_scope};
    let (state, _) = within_scope()?;
    let catalog = state.store.catalog().await.map_err(failed)?;
    Ok(catalog
        .products()
        .iter()
        .map(|p| (p.id.0, p.name.clone()))
        .collect())
}

/// A unit's curve since go-live in each wave it is a member of, beside the
/// force's median curve for the units of that product, with the wave's
/// target and forecast band; each with its wave, for the forecast in words.
/// 403 for a unit outside the caller's scope.
#[server(input = GetUrl, endpoint = "go-live-curves")]
pub async fn get_go_live_curves(
    unit: String,
    as_of: Option<NaiveDate>,
) -> Result<Vec<(WaveProgress, Chart)>, ServerFnError> {
    use super::ssr::{failed, unit as grant_unit};
    let (state, caller, grant) = grant_unit(Some(&unit)).await?;
    state
        .store
        .go_live_charts(&caller.viewer, &grant, as_of)
        .await
        .map_err(failed)
}
