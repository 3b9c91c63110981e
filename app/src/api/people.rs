use chrono::NaiveDate;
use domain::people::PersonList;
use leptos::{prelude::*, server_fn::codec::GetUrl};

/// Who in a unit has not started with a product: a person-level list. It
/// needs the separate permission, and every view is written to the audit
/// log.
#[server(input = GetUrl, endpoint = "not-started")]
pub async fn get_not_started(
    unit: String,
    product: Option<String>,
    as_of: Option<NaiveDate>,
) -> Result<PersonList, ServerFnError> {
    use super::ssr::{failed, person_list};
    let (state, caller, grant) = person_list(&unit).await?;
    // The same day every other view defaults to: the last one every
    // source has complete.
    let as_of = state.store.resolve_as_of(as_of).await.map_err(failed)?;
    let list = state
        .store
        .not_started(&grant, product.as_deref(), as_of)
        .await
        .map_err(failed)?;
    let detail = format!(
        "not started with {} in {} on {} ({} people)",
        list.product,
        list.unit_code,
        as_of,
        list.people.len()
    );
    caller
        .audit(
            &state.store,
            domain::access::AuditAction::PersonListViewed,
            &detail,
        )
        .await?;
    Ok(list)
}
