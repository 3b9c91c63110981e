use chrono::NaiveDate;
use domain::wave::WaveProgress;
use leptos::{prelude::*, server_fn::codec::GetUrl};

/// Every wave's progress against its target, with forecasts: the whole
/// wave for those who see every unit, and the member units in the caller's
/// scope for everyone else.
#[server(input = GetUrl, endpoint = "waves")]
pub async fn get_waves(as_of: Option<NaiveDate>) -> Result<Vec<WaveProgress>, ServerFnError> {
    use super::ssr::{failed, within_scope};
    let (state, caller) = within_scope()?;
    state
        .store
        .wave_progress(&caller.viewer, as_of)
        .await
        .map_err(failed)
}
