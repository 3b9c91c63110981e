//! Wave progress: each wave's target metric since go-live, for the wave as
//! a whole and for each member unit the viewer may see, with the forecast.
//! Forecasts are cached per data version, so only the first viewer after a
//! change pays for the bootstrap.

use chrono::NaiveDate;
use domain::{
    access::{Reach, Viewer},
    catalog::Subject,
    disclosure::Disclosure,
    metrics::Counts,
    wave::{Progress, Wave, WaveProgress},
};

use crate::{
    Store, UnitInfo,
    error::Result,
    meta::{Meta, ProgressKey},
};

impl Store {
    /// Every wave's progress the viewer may see; with `only` (a unit code),
    /// just the waves that unit is a member of, with that unit alone and no
    /// total (a unit's page).
    pub async fn wave_progress(
        &self,
        viewer: &Viewer,
        as_of: Option<NaiveDate>,
        only: Option<&str>,
    ) -> Result<Vec<WaveProgress>> {
        let as_of = self.resolve_as_of(as_of).await?;
        let meta = self.meta().await?;
        let mut out = Vec::new();
        for wave in self.waves().await? {
            let members: Vec<&UnitInfo> = meta
                .units
                .iter()
                .filter(|u| wave.units.contains(&u.id))
                .collect();
            let granted: Vec<&UnitInfo> = members
                .iter()
                .copied()
                .filter(|u| {
                    meta.unit_path(&u.code).is_some_and(|path| {
                        viewer
                            .authorize(&path)
                            .is_ok_and(|g| g.reach() == Reach::Full)
                    })
                })
                .filter(|u| only.is_none_or(|code| u.code == code))
                .collect();
            if granted.is_empty() {
                continue;
            }
            let mut shown = Vec::with_capacity(granted.len());
            for unit in &granted {
                shown.push(
                    self.unit_progress(&meta, &wave, Some(unit), &members, as_of)
                        .await?,
                );
            }
            domain::wave::rank_by_gap(&mut shown, wave.target_value);
            let sees_all =
                only.is_none() && viewer.role.sees_every_unit() && granted.len() == members.len();
            let total = if sees_all {
                Some(
                    self.unit_progress(&meta, &wave, None, &members, as_of)
                        .await?,
                )
            } else {
                None
            };
            let product = meta
                .catalog
                .products()
                .iter()
                .find(|p| p.id == wave.product)
                .map_or_else(|| format!("product {}", wave.product.0), |p| p.name.clone());
            out.push(WaveProgress {
                id: wave.id,
                name: wave.name,
                product,
                subject: Subject::Product(wave.product).key(),
                go_live: wave.go_live,
                target_metric: wave.target_metric,
                target_value: wave.target_value,
                target_date: wave.target_date,
                as_of,
                total,
                units: shown,
            });
        }
        Ok(out)
    }

    /// One member unit's progress, or the wave's as a whole (`None`), from
    /// the cache or computed.
    async fn unit_progress(
        &self,
        meta: &Meta,
        wave: &Wave,
        unit: Option<&UnitInfo>,
        members: &[&UnitInfo],
        as_of: NaiveDate,
    ) -> Result<Progress> {
        let key = ProgressKey {
            wave: wave.id,
            unit: unit.map(|u| u.id),
            as_of,
        };
        if let Some(cached) = meta.cached_progress(&key) {
            return Ok(cached);
        }
        let subject = Subject::Product(wave.product);
        let mut days: Vec<Counts> = Vec::new();
        if as_of >= wave.go_live {
            for member in unit.map_or(members.to_vec(), |u| vec![u]) {
                let series = self
                    .series(member.id, subject, None, wave.go_live, as_of)
                    .await?;
                days.resize(series.len().max(days.len()), Counts::default());
                for (sum, (_, c)) in days.iter_mut().zip(&series) {
                    sum.add(c);
                }
            }
        }
        let (code, name, seed) = match unit {
            Some(u) => (u.code.clone(), u.name.clone(), seed(wave.id, u.id.0)),
            None => (
                format!("wave-{}", wave.id),
                wave.name.clone(),
                seed(wave.id, 0),
            ),
        };
        let progress = Progress::from_series(code, name, wave, &days, &Disclosure::default(), seed);
        meta.cache_progress(key, &progress);
        Ok(progress)
    }
}

/// A fixed bootstrap seed per wave and unit, so a page shows the same band
/// on every load.
fn seed(wave: i32, unit: i32) -> u64 {
    (u64::from(wave.unsigned_abs()) << 32) ^ u64::from(unit.unsigned_abs())
}
