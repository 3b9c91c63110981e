//! Wave changes, shared by the waves page and the demo: validated by the
//! store, and audited in the same transaction.

use chrono::NaiveDate;
use domain::{access::AuditAction, display::percent};
use store::{Store, StoreError};

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
