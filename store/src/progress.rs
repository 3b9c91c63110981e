//! Wave progress: each wave's target metric since go-live, for the wave as
//! a whole and for each member unit the viewer may see, with the forecast.
//! Forecasts are cached per data version, so only the first viewer after a
//! change pays for the bootstrap.

use std::sync::Arc;

use chrono::NaiveDate;
use domain::{
    access::{Grant, Reach, Viewer},
    catalog::Subject,
    chart::Chart,
    disclosure::Disclosure,
    metrics::Counts,
    org::UnitId,
    rollup::ALL_BANDS,
    wave::{Progress, Wave, WaveProgress},
};

use crate::{
    PublishedDay, Sight, Store, UnitInfo,
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
        let sight = self.sight(viewer).await?;
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
            let points = wave.points(as_of);
            if !points.is_empty() {
                self.published_on(as_of).await?;
            }
            let days = self.published_days(&points, false).await?;
            let series = Series {
                points: &points,
                days: &days,
                as_of,
                sight: &sight,
            };
            let mut shown = Vec::with_capacity(granted.len());
            for unit in &granted {
                shown.push(
                    self.unit_progress(&meta, &wave, Some(unit), &members, &series)
                        .await?,
                );
            }
            domain::wave::rank_by_gap(&mut shown, wave.target_value);
            let sees_all =
                only.is_none() && viewer.role.sees_every_unit() && granted.len() == members.len();
            let total = if sees_all {
                Some(
                    self.unit_progress(&meta, &wave, None, &members, &series)
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

    /// The unit's curve since go-live in each wave it is a member of,
    /// beside the force's median curve for the units of that wave's product
    /// ([`domain::wave::median_curve`]), with the wave's target and its
    /// forecast band. None for a grant that reaches the unit for
    /// comparison only (the force, for those outside it).
    pub async fn go_live_charts(
        &self,
        viewer: &Viewer,
        grant: &Grant,
        as_of: Option<NaiveDate>,
    ) -> Result<Vec<(WaveProgress, Chart)>> {
        let meta = self.meta().await?;
        let Some(code) = meta
            .unit(grant.unit())
            .filter(|_| grant.reach() == Reach::Full)
            .map(|u| u.code.clone())
        else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for wave in self.wave_progress(viewer, as_of, Some(&code)).await? {
            let Some(unit) = wave.units.first() else {
                continue;
            };
            let median = self.median_curve(&wave).await?;
            let chart = domain::wave::unit_go_live_chart(&wave, unit, &median);
            out.push((wave, chart));
        }
        Ok(out)
    }

    /// The force's median curve for the units of `of`'s product measured
    /// by its target metric: every member unit of every such wave, from
    /// published cells only, so every role may see it for comparison
    /// (DESIGN.md, "Roles").
    async fn median_curve(&self, of: &WaveProgress) -> Result<Vec<(i32, Option<f64>)>> {
        let meta = self.meta().await?;
        let sight = Sight::published_only();
        let mut curves = Vec::new();
        for wave in self.waves().await? {
            let subject = Subject::Product(wave.product);
            if subject.key() != of.subject || wave.target_metric != of.target_metric {
                continue;
            }
            let members = meta.units.iter().filter(|u| wave.units.contains(&u.id));
            let points = wave.points(of.as_of);
            let days = self.published_days(&points, false).await?;
            // The metric alone, read from the published cells: no forecast
            // is wanted here.
            for unit in members {
                let cells: Vec<(NaiveDate, Option<Counts>)> = points
                    .iter()
                    .zip(&days)
                    .map(|(&d, p)| {
                        let cell = p
                            .as_deref()
                            .and_then(|p| p.cell(&sight, unit.id, subject, ALL_BANDS));
                        (d, cell)
                    })
                    .collect();
                curves.push(wave.since_go_live(&cells));
            }
        }
        let curves: Vec<&[(i32, Option<f64>)]> = curves.iter().map(Vec::as_slice).collect();
        Ok(domain::wave::median_curve(&curves))
    }

    /// One member unit's progress, or the wave's as a whole (`None`), from
    /// the cache or computed. The wave's cell at a point is the sum of its
    /// members' cells, published only where every one of them is.
    pub(crate) async fn unit_progress(
        &self,
        meta: &Meta,
        wave: &Wave,
        unit: Option<&UnitInfo>,
        members: &[&UnitInfo],
        series: &Series<'_>,
    ) -> Result<Progress> {
        let of: Vec<UnitId> = match unit {
            Some(u) => vec![u.id],
            None => members.iter().map(|m| m.id).collect(),
        };
        let key = ProgressKey {
            wave: wave.id,
            unit: unit.map(|u| u.id),
            as_of: series.as_of,
            whole: series.sight.among(&of),
        };
        if let Some(cached) = meta.cached_progress(&key) {
            return Ok(cached);
        }
        let subject = Subject::Product(wave.product);
        let cell = |day: &PublishedDay| match unit {
            Some(u) => day.cell(series.sight, u.id, subject, ALL_BANDS),
            None => members.iter().try_fold(Counts::default(), |mut sum, m| {
                sum.add(&day.cell(series.sight, m.id, subject, ALL_BANDS)?);
                Some(sum)
            }),
        };
        let cells: Vec<(NaiveDate, Option<Counts>)> = series
            .points
            .iter()
            .zip(series.days)
            .map(|(&d, p)| (d, p.as_deref().and_then(cell)))
            .collect();
        let (code, name, seed) = match unit {
            Some(u) => (u.code.clone(), u.name.clone(), seed(wave.id, u.id.0)),
            None => (
                format!("wave-{}", wave.id),
                wave.name.clone(),
                seed(wave.id, 0),
            ),
        };
        let progress =
            Progress::from_points(code, name, wave, &cells, Disclosure::default().k, seed);
        // Points still to be decided show next time; only a whole series
        // is kept.
        if series.days.iter().all(Option::is_some) {
            meta.cache_progress(key, &progress);
        }
        Ok(progress)
    }
}

/// A wave's points and their published cells, where decided.
pub(crate) struct Series<'a> {
    pub points: &'a [NaiveDate],
    pub days: &'a [Option<Arc<PublishedDay>>],
    pub as_of: NaiveDate,
    pub sight: &'a Sight,
}

/// A fixed bootstrap seed per wave and unit, so a page shows the same band
/// on every load.
fn seed(wave: i32, unit: i32) -> u64 {
    (u64::from(wave.unsigned_abs()) << 32) ^ u64::from(unit.unsigned_abs())
}
