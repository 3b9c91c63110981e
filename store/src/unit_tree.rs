//! The units view's read model: the viewer's unit tree, opened where asked,
//! with each unit's published cell, its wave's target and status, and a
//! sparkline, all from the published cells.

use std::{
    collections::{HashMap, hash_map::Entry},
    sync::atomic::Ordering,
};

use chrono::{Days, NaiveDate};
use domain::{
    access::{Grant, Reach, Viewer},
    catalog::Subject,
    rollup::ALL_BANDS,
    unit_tree::{SPARK_DAYS, TreeRow, UnitTree, WaveTarget},
    wave::Wave,
};

use crate::{
    Store, UnitInfo,
    error::Result,
    meta::Meta,
    progress::Series,
    views::{known_subject, visible_children},
};

impl Store {
    /// Makes every unit's wave forecast for the latest day before anyone
    /// asks (about 1.5 ms each, 2 s a product for a force of 1,264 units),
    /// as the unit tree opened in full would: kept until the data changes.
    /// Does nothing before there are figures, while that day's publication
    /// is undecided, or when this version of the data was warmed already;
    /// says whether it made them.
    pub async fn warm_forecasts(&self) -> Result<bool> {
        let meta = self.meta().await?;
        if meta.horizon.is_none() || meta.forecasts_warmed.load(Ordering::Relaxed) {
            return Ok(false);
        }
        let as_of = self.resolve_as_of(None).await?;
        if self.published_days(&[as_of], false).await?[0].is_none() {
            return Ok(false);
        }
        if meta.forecasts_warmed.swap(true, Ordering::Relaxed) {
            return Ok(false);
        }
        let viewer = Viewer::service("forecasts");
        let every: Vec<String> = meta.units.iter().map(|u| u.code.clone()).collect();
        for product in meta.catalog.products() {
            self.unit_tree(&viewer, Subject::Product(product.id), as_of, &every)
                .await?;
        }
        Ok(true)
    }

    /// The tree from the viewer's roots (the force for those who see every
    /// unit, else each scope unit), each root's units listed, and those of
    /// every row in `open`.
    pub async fn unit_tree(
        &self,
        viewer: &Viewer,
        subject: Subject,
        as_of: NaiveDate,
        open: &[String],
    ) -> Result<UnitTree> {
        let meta = self.meta().await?;
        let catalog = known_subject(&meta.catalog, subject)?;
        let grant_of = |u: &UnitInfo| {
            meta.unit_path(&u.code)
                .and_then(|path| viewer.authorize(&path).ok())
                .filter(|g| g.reach() == Reach::Full)
        };
        let roots: Vec<&UnitInfo> = if viewer.role.sees_every_unit() {
            meta.units.iter().filter(|u| u.parent.is_none()).collect()
        } else {
            viewer
                .scope
                .iter()
                .filter_map(|s| meta.units.iter().find(|u| u.code == s.code))
                .collect()
        };
        // Breadth first from the roots, listing the children of roots and
        // of open rows.
        let mut listed: Vec<(&UnitInfo, Option<&str>, u32, Grant)> = roots
            .into_iter()
            .filter_map(|u| Some((u, None, 0, grant_of(u)?)))
            .collect();
        let mut shape = Vec::with_capacity(listed.len());
        let mut next = 0;
        while next < listed.len() {
            let (unit, parent, depth, grant) = listed[next].clone();
            next += 1;
            let children = visible_children(&meta.units, unit.id, viewer, &grant);
            let is_open = depth == 0 || open.contains(&unit.code);
            if is_open {
                for child in &children {
                    if let Some(g) = grant_of(child) {
                        listed.push((child, Some(unit.code.as_str()), depth + 1, g));
                    }
                }
            }
            shape.push((unit, parent, depth, !children.is_empty(), is_open));
        }

        let sight = self.sight(viewer).await?;
        let day = self.published_on(as_of).await?;
        let from = meta
            .horizon
            .map_or(as_of, |h| h.0)
            .max(as_of - Days::new(SPARK_DAYS - 1));
        let (points, days) = self.series_days(from, as_of).await?;
        // Targets are set per product: a row's wave is the one of the
        // product that holds it or a unit above it.
        let waves: Vec<Wave> = match subject {
            Subject::Product(p) => self
                .waves()
                .await?
                .into_iter()
                .filter(|w| w.product == p)
                .collect(),
            _ => Vec::new(),
        };
        let mut series: HashMap<i32, (Vec<NaiveDate>, Vec<_>)> = HashMap::new();
        let mut rows = Vec::with_capacity(shape.len());
        for (unit, parent, depth, has_children, is_open) in shape {
            let spark = points
                .iter()
                .zip(&days)
                .map(|(&d, p)| {
                    let cell = p
                        .as_ref()
                        .and_then(|p| p.cell(&sight, unit.id, subject, ALL_BANDS));
                    (d, cell.and_then(|c| c.adoption_rate()))
                })
                .collect();
            let wave = match wave_holding(&meta, &waves, unit) {
                Some(wave) => {
                    if let Entry::Vacant(slot) = series.entry(wave.id) {
                        let points = wave.points(as_of);
                        let days = self.published_days(&points, false).await?;
                        slot.insert((points, days));
                    }
                    let (points, days) = &series[&wave.id];
                    // A unit's own progress reads only its own cells, not
                    // the wave's members'.
                    let progress = self
                        .unit_progress(
                            &meta,
                            wave,
                            Some(unit),
                            &[],
                            &Series {
                                points,
                                days,
                                as_of,
                                sight: &sight,
                            },
                        )
                        .await?;
                    Some(WaveTarget {
                        id: wave.id,
                        name: wave.name.clone(),
                        target_value: wave.target_value,
                        target_date: wave.target_date,
                        gap: progress.gap(wave.target_value),
                        outlook: progress.outlook,
                    })
                }
                None => None,
            };
            rows.push(TreeRow {
                code: unit.code.clone(),
                name: unit.name.clone(),
                parent: parent.map(str::to_owned),
                depth,
                has_children,
                open: is_open && has_children,
                cell: day.cell(&sight, unit.id, subject, ALL_BANDS),
                wave,
                spark,
            });
        }
        Ok(UnitTree {
            subject: subject.key(),
            subject_label: catalog.subject_label(subject),
            subjects: catalog.subject_choices(),
            as_of,
            targets: matches!(subject, Subject::Product(_)),
            rows,
        })
    }
}

/// The wave that holds a unit: the one with the unit or the nearest unit
/// above it among its members.
fn wave_holding<'w>(meta: &Meta, waves: &'w [Wave], unit: &UnitInfo) -> Option<&'w Wave> {
    let mut at = Some(unit);
    while let Some(u) = at {
        if let Some(w) = waves.iter().find(|w| w.units.contains(&u.id)) {
            return Some(w);
        }
        at = u.parent.and_then(|p| meta.unit(p));
    }
    None
}
