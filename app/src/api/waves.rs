use chrono::NaiveDate;
use domain::wave::WaveProgress;
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
