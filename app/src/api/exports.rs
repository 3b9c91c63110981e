use domain::export::pack::Published;
use leptos::{prelude::*, server_fn::codec::GetUrl};

/// The published board packs of a unit (by code; `None` is the force)
/// that the caller could make themselves, newest first.
#[server(input = GetUrl, endpoint = "board-packs")]
pub async fn get_board_packs(unit: Option<String>) -> Result<Vec<Published>, ServerFnError> {
    use domain::export::pack::may_read;

    use super::ssr::{failed, unit as grant_unit};
    let (state, _, grant) = grant_unit(unit.as_deref()).await?;
    let store = &state.store;
    let code = match unit {
        Some(code) => code,
        None => store.root_code().await.map_err(failed)?,
    };
    Ok(store
        .packs()
        .await
        .map_err(failed)?
        .into_iter()
        .filter(|p| p.scope == code && may_read(&grant, p.own_cells))
        .map(|p| Published {
            id: p.id,
            title: p.title,
            as_of: p.as_of,
            made_by: p.made_by,
            made_at: domain::display::moment(&p.created_at.with_timezone(&state.zone)),
        })
        .collect())
}
