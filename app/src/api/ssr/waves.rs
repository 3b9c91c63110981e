//! Wave changes, shared by the waves page and the demo: validated by the
//! store, and audited in the same transaction.

use chrono::NaiveDate;
use domain::{access::AuditAction, display::percent, wave::TargetMetric};
use store::{NewWave, Store, StoreError};

use super::Actor;

/// Sets a wave's target share and date; the audit entry says what it was.
pub async fn set_target(
    store: &Store,
    actor: &Actor<'_>,
    wave: i32,
    value: f64,
    target_date: NaiveDate,
) -> Result<(), StoreError> {
    let waves = store.waves().await?;
    let old = waves
        .iter()
        .find(|w| w.id == wave)
        .ok_or_else(|| StoreError::Rejected(format!("there is no wave {wave}")))?;
    let detail = format!(
        "wave {wave} '{}': target {} by {} → {} by {target_date}",
        old.name,
        percent(Some(old.target_value)),
        old.target_date,
        percent(Some(value)),
    );
    store
        .set_wave_target(
            wave,
            value,
            target_date,
            &actor.entry(AuditAction::WaveTargetSet, &detail),
        )
        .await
}

/// Changes a wave's name, go-live and member units (by code; each unknown
/// one refused by name), keeping its target; the store checks the rest and
/// audits it, old and new, in the same transaction. Returns whether the
/// rollups need rebuilding (the go-live or the members changed).
pub async fn edit(
    store: &Store,
    actor: &Actor<'_>,
    wave: i32,
    name: &str,
    go_live: NaiveDate,
    unit_codes: &[String],
) -> Result<bool, StoreError> {
    let old = store
        .waves()
        .await?
        .into_iter()
        .find(|w| w.id == wave)
        .ok_or_else(|| StoreError::Rejected(format!("there is no wave {wave}")))?;
    let units = store.units().await?;
    let ids = unit_ids(&units, unit_codes)?;
    let codes = |ids: &[domain::org::UnitId]| {
        units
            .iter()
            .filter(|u| ids.contains(&u.id))
            .map(|u| u.code.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let detail = format!(
        "wave {wave} '{}': live {} in [{}] → '{}' live {go_live} in [{}]",
        old.name,
        old.go_live,
        codes(&old.units),
        name.trim(),
        codes(&ids),
    );
    store
        .update_wave(
            wave,
            &NewWave {
                name: name.trim().to_owned(),
                product: old.product,
                go_live,
                target_metric: old.target_metric,
                target_value: old.target_value,
                target_date: old.target_date,
                units: ids,
            },
            &actor.entry(AuditAction::WaveEdited, &detail),
        )
        .await
}

/// The ids of units named by code, refusing each unknown code by name.
fn unit_ids(
    units: &[store::UnitInfo],
    codes: &[String],
) -> Result<Vec<domain::org::UnitId>, StoreError> {
    codes
        .iter()
        .map(|code| {
            units
                .iter()
                .find(|u| u.code == *code)
                .map(|u| u.id)
                .ok_or_else(|| StoreError::Rejected(format!("no unit has code '{code}'")))
        })
        .collect()
}

/// A wave to create, as a person or the command line names it.
pub struct WaveForm<'a> {
    pub name: &'a str,
    /// A product's name (any case) or its id.
    pub product: &'a str,
    pub go_live: NaiveDate,
    /// A share over 0 and at most 1.
    pub target: f64,
    pub target_date: NaiveDate,
    pub unit_codes: &'a [String],
}

/// Creates a wave of adoption-rate target from names and codes; each
/// unknown one is refused by name. The store checks the rest and audits it
/// in the same transaction.
pub async fn create(
    store: &Store,
    actor: &Actor<'_>,
    form: &WaveForm<'_>,
) -> Result<i32, StoreError> {
    let catalog = store.catalog().await?;
    let wanted = form.product.trim();
    let product = catalog
        .products()
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(wanted) || p.id.0.to_string() == wanted)
        .ok_or_else(|| StoreError::Rejected(format!("no product is called '{wanted}'")))?;
    let ids = unit_ids(&store.units().await?, form.unit_codes)?;
    let detail = format!(
        "wave '{}': {} live {} in [{}], target {} by {}",
        form.name,
        product.name,
        form.go_live,
        form.unit_codes.join(" "),
        percent(Some(form.target)),
        form.target_date
    );
    store
        .create_wave(
            &NewWave {
                name: form.name.trim().to_owned(),
                product: product.id,
                go_live: form.go_live,
                target_metric: TargetMetric::AdoptionRate,
                target_value: form.target,
                target_date: form.target_date,
                units: ids,
            },
            &actor.entry(AuditAction::WaveCreated, &detail),
        )
        .await
}
