//! Wave progress: each wave's target metric since go-live, for the wave as
//! a whole and for each member unit the viewer may see, with the forecast.

use chrono::NaiveDate;
use domain::{
    access::{Reach, Viewer},
    catalog::Subject,
    disclosure::Disclosure,
    metrics::Counts,
    wave::{Progress, WaveProgress},
};

use crate::{Store, error::Result};

impl Store {
    pub async fn wave_progress(
        &self,
        viewer: &Viewer,
        as_of: Option<NaiveDate>,
    ) -> Result<Vec<WaveProgress>> {
        let as_of = self.resolve_as_of(as_of).await?;
        let catalog = self.catalog().await?;
        let units = self.units().await?;
        let k = Disclosure::default().k;
        let mut out = Vec::new();
        for wave in self.waves().await? {
            let product = catalog
                .products()
                .iter()
                .find(|p| p.id == wave.product)
                .map_or_else(|| format!("product {}", wave.product.0), |p| p.name.clone());
            let subject = Subject::Product(wave.product);
            let mut total: Vec<Counts> = Vec::new();
            let mut shown = Vec::new();
            let mut sees_all = viewer.role.sees_every_unit();
            for unit in units.iter().filter(|u| wave.units.contains(&u.id)) {
                let days: Vec<Counts> = if as_of < wave.go_live {
                    Vec::new()
                } else {
                    self.series(unit.id, subject, None, wave.go_live, as_of)
                        .await?
                        .into_iter()
                        .map(|(_, c)| c)
                        .collect()
                };
                total.resize(days.len().max(total.len()), Counts::default());
                for (t, c) in total.iter_mut().zip(&days) {
                    t.add(c);
                }
                let granted = match self.unit_path(&unit.code).await? {
                    Some(path) => viewer
                        .authorize(&path)
                        .is_ok_and(|g| g.reach() == Reach::Full),
                    None => false,
                };
                sees_all &= granted;
                if granted {
                    let seed = seed(wave.id, unit.id.0);
                    shown.push(Progress::from_series(
                        unit.code.clone(),
                        unit.name.clone(),
                        &wave,
                        &days,
                        k,
                        seed,
                    ));
                }
            }
            if shown.is_empty() {
                continue;
            }
            let total = sees_all.then(|| {
                Progress::from_series(
                    format!("wave-{}", wave.id),
                    wave.name.clone(),
                    &wave,
                    &total,
                    k,
                    seed(wave.id, 0),
                )
            });
            out.push(WaveProgress {
                id: wave.id,
                name: wave.name,
                product,
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
}

/// A fixed bootstrap seed per wave and unit, so a page shows the same band
/// on every load.
fn seed(wave: i32, unit: i32) -> u64 {
    (u64::from(wave.unsigned_abs()) << 32) ^ u64::from(unit.unsigned_abs())
}
