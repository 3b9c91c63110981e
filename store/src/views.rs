//! Read models assembled for the UI and API from the published cells
//! (`crate::publication`): no view reads a count any other way.

use std::{collections::HashMap, sync::Arc};

use chrono::{Days, NaiveDate};
use domain::{
    access::{Grant, PersonListGrant, Viewer},
    bands::{self, BandRow, BandTable},
    catalog::{Catalog, Subject},
    disclosure::Disclosure,
    graph::Report,
    metrics::Counts,
    metrics::RETENTION_WEEKS,
    org::UnitId,
    overview::{ChildCells, Coverage, DailySeries, Overview, OverviewCells, default_as_of},
    people::{AgeBand, PersonList, PersonRow},
    rollup::{ALL_BANDS, BAND_SLOTS, band_slot},
    usage::{self, UsageInputs, UsageTable},
};

use crate::{
    PublishedDay, Store, UnitInfo,
    db::on_db,
    error::{Result, StoreError},
    meta::ViewKey,
};

/// How many days the trend shows.
const TREND_DAYS: u64 = 365;

impl Store {
    /// A unit's KPIs per subject (each with its change against 7 and 28
    /// days before), its adoption trend per tool, and the units under it
    /// that the viewer may see, after disclosure control.
    pub async fn overview(
        &self,
        viewer: &Viewer,
        grant: &Grant,
        as_of: Option<NaiveDate>,
    ) -> Result<Overview> {
        let meta = self.meta().await?;
        let all_coverage: Vec<Coverage> = meta.coverage.values().copied().collect();
        let as_of = pick_as_of(as_of, &all_coverage, meta.horizon)?;
        let now = self.overview_on(viewer, grant, as_of, true).await?;
        let mut before = Vec::with_capacity(2);
        for days in [7, 28] {
            let day = as_of
                .checked_sub_days(Days::new(days))
                .filter(|d| meta.horizon.is_some_and(|(first, _)| *d >= first));
            before.push(match day {
                Some(day) => Some(self.overview_on(viewer, grant, day, false).await?),
                None => None,
            });
        }
        Ok(now.with_changes(before[0].as_ref(), before[1].as_ref()))
    }

    /// A unit's KPIs per subject on one day, without their changes or the
    /// trend: what a later day is compared with. (The full overview of that
    /// day would compare it with 7 and 28 days before it in turn, days
    /// that may be undecided and so decided on demand, seconds each.)
    pub async fn tiles_on(
        &self,
        viewer: &Viewer,
        grant: &Grant,
        as_of: NaiveDate,
    ) -> Result<Overview> {
        let as_of = self.resolve_as_of(Some(as_of)).await?;
        self.overview_on(viewer, grant, as_of, false).await
    }

    /// The overview on one day the rollups cover, from the cache where the
    /// same view of the same data was built before. Without `trend`, only
    /// the tiles and the rows (a day the tiles are compared with).
    async fn overview_on(
        &self,
        viewer: &Viewer,
        grant: &Grant,
        as_of: NaiveDate,
        trend: bool,
    ) -> Result<Overview> {
        let meta = self.meta().await?;
        let (catalog, units, coverage) = (&meta.catalog, &meta.units, &meta.coverage);
        let root = granted_unit(units, grant)?;
        let horizon = meta.horizon;
        let children = visible_children(units, root.id, viewer, grant);
        let sight = self.sight(viewer).await?;
        let mut shown: Vec<UnitId> = children.iter().map(|u| u.id).collect();
        shown.push(root.id);
        // The same view for the same data is served from the cache.
        let key = ViewKey {
            unit: root.id,
            as_of,
            reach: grant.reach(),
            person_lists: grant.person_lists().is_ok(),
            children: children.iter().map(|u| u.id).collect(),
            whole: sight.among(&shown),
            trend,
        };
        if let Some(cached) = meta.cached_overview(&key) {
            return Ok(cached);
        }
        let subjects = catalog.display_subjects();
        let columns: Vec<Subject> = catalog
            .products()
            .iter()
            .map(|p| Subject::Product(p.id))
            .collect();
        let day = self.published_on(as_of).await?;
        let cells_of = |unit: UnitId, subjects: &[Subject]| {
            subjects
                .iter()
                .map(|&s| (s, day.cell(&sight, unit, s, ALL_BANDS)))
                .collect()
        };
        let (tool_trends, complete) = match trend {
            true => {
                let tools: Vec<Subject> = catalog
                    .tools()
                    .iter()
                    .map(|t| Subject::Tool(t.id))
                    .collect();
                let (points, days) = self.series_days(trend_start(horizon, as_of), as_of).await?;
                let complete = days.iter().all(Option::is_some);
                let trends = tools
                    .iter()
                    .map(|&tool| {
                        points
                            .iter()
                            .zip(&days)
                            .map(|(&d, p)| {
                                (
                                    d,
                                    p.as_ref()
                                        .and_then(|p| p.cell(&sight, root.id, tool, ALL_BANDS)),
                                )
                            })
                            .collect()
                    })
                    .collect();
                (trends, complete)
            }
            false => (Vec::new(), true),
        };
        let overview = Overview::build(OverviewCells {
            catalog,
            code: root.code.clone(),
            name: root.name.clone(),
            reach: grant.reach(),
            person_lists: grant.person_lists().is_ok(),
            as_of,
            own: cells_of(root.id, &subjects),
            children: children
                .iter()
                .map(|u| ChildCells {
                    code: u.code.clone(),
                    name: u.name.clone(),
                    cells: cells_of(u.id, &columns),
                })
                .collect(),
            tool_trends,
            coverage,
        });
        // A trend with points still to be decided is not kept: the next
        // view shows them.
        if !complete {
            return Ok(overview);
        }
        meta.cache_overview(key, &overview);
        Ok(overview)
    }

    /// A unit and the visible units under it by age band for one subject,
    /// after disclosure control over the whole table, and the unit's
    /// trend per band.
    pub async fn band_table(
        &self,
        viewer: &Viewer,
        grant: &Grant,
        subject: Subject,
        as_of: NaiveDate,
    ) -> Result<BandTable> {
        let meta = self.meta().await?;
        let catalog = known_subject(&meta.catalog, subject)?;
        let root = granted_unit(&meta.units, grant)?;
        let children = visible_children(&meta.units, root.id, viewer, grant);
        let day = self.published_on(as_of).await?;
        let sight = self.sight(viewer).await?;
        let row = |u: &UnitInfo| BandRow {
            code: u.code.clone(),
            name: u.name.clone(),
            cells: day.bands(&sight, u.id, subject).to_vec(),
        };
        let rows: Vec<BandRow> = std::iter::once(root)
            .chain(children.iter().copied())
            .map(row)
            .collect();
        let (points, days) = self
            .series_days(trend_start(meta.horizon, as_of), as_of)
            .await?;
        let trend: Vec<(NaiveDate, domain::publication::Published)> = points
            .into_iter()
            .zip(days)
            .map(|(d, p)| {
                (
                    d,
                    p.map_or([None; BAND_SLOTS], |p| p.bands(&sight, root.id, subject)),
                )
            })
            .collect();
        Ok(BandTable {
            unit_code: root.code.clone(),
            subject: subject.key(),
            subject_label: catalog.subject_label(subject),
            as_of,
            columns: bands::columns(),
            by_band: bands::by_band(&rows),
            rows,
            trend: bands::trend(&trend),
        })
    }

    /// How a unit's people use one subject: time to first use, depth and
    /// retention per age band, and retention per weekly cohort, after
    /// disclosure control.
    pub async fn usage_table(
        &self,
        viewer: &Viewer,
        grant: &Grant,
        subject: Subject,
        as_of: NaiveDate,
    ) -> Result<UsageTable> {
        let meta = self.meta().await?;
        let catalog = known_subject(&meta.catalog, subject)?;
        let root = granted_unit(&meta.units, grant)?;
        let weeks = usage::cohort_weeks(as_of);
        // One read covers the oldest cohort's first reading to the as-of day.
        let oldest = weeks.last().copied().unwrap_or(as_of);
        let from = usage::read_day(oldest, RETENTION_WEEKS[0]).min(as_of);
        let series = self.detail_series(root.id, subject, from, as_of).await?;
        let on = |day: NaiveDate| {
            let i = usize::try_from((day - from).num_days()).ok();
            i.and_then(|i| series.get(i))
                .map(|(_, cells)| *cells)
                .unwrap_or_default()
        };
        let sight = self.sight(viewer).await?;
        let published = self
            .published_on(as_of)
            .await?
            .bands(&sight, root.id, subject);
        let inputs = UsageInputs {
            published,
            whole: sight.sees(root.id),
            detail: on(as_of),
            pooled: std::array::from_fn(|i| {
                let mut pooled = [Counts::default(); BAND_SLOTS];
                for day in usage::pooled_days(as_of) {
                    for (sum, cell) in pooled.iter_mut().zip(on(day)) {
                        sum.add(&cell.retention[i]);
                    }
                }
                pooled
            }),
            cohorts: weeks
                .iter()
                .map(|&week| {
                    std::array::from_fn(|i| {
                        let day = usage::read_day(week, RETENTION_WEEKS[i]);
                        (day <= as_of).then(|| on(day)[ALL_BANDS].retention[i])
                    })
                })
                .collect(),
        };
        let (rows, cohorts, before_data_start) =
            usage::publish(&Disclosure::default(), as_of, &inputs);
        Ok(UsageTable {
            unit_code: root.code.clone(),
            subject: subject.key(),
            subject_label: catalog.subject_label(subject),
            as_of,
            row_cohorts: usage::pooled_cohorts(as_of),
            rows,
            cohorts,
            before_data_start,
        })
    }

    /// A unit's published cells for one subject and band at the series'
    /// points over the year to `as_of` (`domain::day::series_points`); a
    /// point not decided yet is left out.
    pub async fn daily_series(
        &self,
        viewer: &Viewer,
        grant: &Grant,
        subject: Subject,
        band: Option<AgeBand>,
        as_of: NaiveDate,
    ) -> Result<DailySeries> {
        let meta = self.meta().await?;
        known_subject(&meta.catalog, subject)?;
        let root = granted_unit(&meta.units, grant)?;
        let slot = band_slot(band);
        let sight = self.sight(viewer).await?;
        let (points, days) = self
            .series_days(trend_start(meta.horizon, as_of), as_of)
            .await?;
        let days = points
            .into_iter()
            .zip(days)
            .filter_map(|(d, p)| Some((d, p?.cell(&sight, root.id, subject, slot))))
            .collect();
        Ok(DailySeries {
            unit_code: root.code.clone(),
            subject: subject.key(),
            band: band.map(|b| b.label().to_owned()),
            days,
        })
    }

    /// The series' points from `from` to `as_of` and each one's published
    /// cells, where decided; the as-of day is decided now if it is not.
    pub(crate) async fn series_days(
        &self,
        from: NaiveDate,
        as_of: NaiveDate,
    ) -> Result<(Vec<NaiveDate>, Vec<Option<Arc<PublishedDay>>>)> {
        self.published_on(as_of).await?;
        let points = domain::day::series_points(from, as_of);
        let days = self.published_days(&points, false).await?;
        Ok((points, days))
    }

    /// Who in a unit's subtree is in post on `as_of` (in the unit they
    /// belong to now) and has never used the product. Staff of restricted
    /// units below the granted one are left out.
    pub async fn not_started(
        &self,
        grant: &PersonListGrant,
        product: Option<&str>,
        as_of: NaiveDate,
    ) -> Result<PersonList> {
        let catalog = self.catalog().await?;
        // The product asked for, or the one every view shows first.
        let found = match product {
            Some(product) => catalog
                .products()
                .iter()
                .find(|p| p.name.eq_ignore_ascii_case(product))
                .ok_or_else(|| StoreError::NotFound(format!("product '{product}'")))?,
            None => catalog
                .products()
                .first()
                .ok_or_else(|| StoreError::NotFound("a product".to_owned()))?,
        };
        let unit = grant.unit().0;
        let (code, name): (String, String) = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT u.code, v.name FROM unit u JOIN unit_version v ON v.unit_id = u.id AND v.valid_to IS NULL WHERE u.id = $1")
            .bind(unit).fetch_one(pool).await?);
        let rows: Vec<(i32, String, String, String, String)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT s.id, s.staff_number, s.sign_in_name, u.code, v.name \
             FROM unit_closure c \
             JOIN staff_unit m ON m.unit_id = c.descendant_id AND m.valid_to IS NULL \
             JOIN staff s ON s.id = m.staff_id \
             JOIN unit u ON u.id = m.unit_id \
             JOIN unit_version v ON v.unit_id = u.id AND v.valid_to IS NULL \
             WHERE c.ancestor_id = $1 AND s.start_date <= $2 AND (s.leave_date IS NULL OR s.leave_date >= $2) \
               AND NOT EXISTS (SELECT 1 FROM person_tool_state p JOIN product_tool pt ON pt.tool_id = p.tool_id \
                               WHERE p.staff_id = s.id AND pt.product_id = $3 AND p.first_use <= $2) \
               AND NOT EXISTS (SELECT 1 FROM unit_closure r \
                               JOIN unit ru ON ru.id = r.ancestor_id AND ru.restricted \
                               JOIN unit_closure top ON top.ancestor_id = $1 AND top.descendant_id = r.ancestor_id AND top.depth > 0 \
                               WHERE r.descendant_id = m.unit_id) \
             ORDER BY u.code, s.sign_in_name")
            .bind(unit).bind(as_of).bind(found.id.0).fetch_all(pool).await?);
        // Licences and last-seen days of the product's tools, for everyone
        // in the subtree now.
        let licences: Vec<(i32, String)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT m.staff_id, t.name FROM unit_closure c \
             JOIN staff_unit m ON m.unit_id = c.descendant_id AND m.valid_to IS NULL \
             JOIN tool_licence l ON l.staff_id = m.staff_id \
             JOIN product_tool pt ON pt.tool_id = l.tool_id AND pt.product_id = $2 \
             JOIN tool t ON t.id = l.tool_id \
             WHERE c.ancestor_id = $1 ORDER BY t.id")
            .bind(unit).bind(found.id.0).fetch_all(pool).await?);
        let seen: Vec<(i32, NaiveDate)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT m.staff_id, MAX(v.last_seen) FROM unit_closure c \
             JOIN staff_unit m ON m.unit_id = c.descendant_id AND m.valid_to IS NULL \
             JOIN person_tool_seen v ON v.staff_id = m.staff_id \
             JOIN product_tool pt ON pt.tool_id = v.tool_id AND pt.product_id = $2 \
             WHERE c.ancestor_id = $1 GROUP BY m.staff_id")
            .bind(unit).bind(found.id.0).fetch_all(pool).await?);
        let mut licensed: HashMap<i32, Vec<String>> = HashMap::new();
        for (staff, tool) in licences {
            licensed.entry(staff).or_default().push(tool);
        }
        let seen: HashMap<i32, NaiveDate> = seen.into_iter().collect();
        let graph_tools = found
            .tools
            .iter()
            .filter_map(|t| catalog.tool_index(*t))
            .any(|i| Report::for_tool(&catalog.tools()[i].name).is_some());
        let licence_day = if graph_tools {
            self.licence_day().await?
        } else {
            None
        };
        Ok(PersonList {
            unit_code: code,
            unit_name: name,
            product: found.name.clone(),
            as_of,
            licence_day,
            last_seen_known: graph_tools,
            people: rows
                .into_iter()
                .map(
                    |(id, staff_number, sign_in_name, unit_code, unit_name)| PersonRow {
                        staff_number,
                        sign_in_name,
                        unit_code,
                        unit_name,
                        licences: licensed.remove(&id).unwrap_or_default(),
                        last_seen: seen.get(&id).copied(),
                    },
                )
                .collect(),
        })
    }

    /// The as-of day asked for, or by default the last day every tool's
    /// data is complete for (else the last day rolled up).
    pub async fn resolve_as_of(&self, as_of: Option<NaiveDate>) -> Result<NaiveDate> {
        let coverage: Vec<Coverage> = self.tool_coverage().await?.into_values().collect();
        pick_as_of(as_of, &coverage, self.rollup_horizon().await?)
    }
}

/// The catalog, if it has the subject.
pub(crate) fn known_subject(catalog: &Catalog, subject: Subject) -> Result<&Catalog> {
    if catalog.subjects().contains(&subject) {
        Ok(catalog)
    } else {
        Err(StoreError::NotFound(format!("subject '{}'", subject.key())))
    }
}

/// The unit a grant is for.
fn granted_unit<'a>(units: &'a [UnitInfo], grant: &Grant) -> Result<&'a UnitInfo> {
    units
        .iter()
        .find(|u| u.id == grant.unit())
        .ok_or_else(|| StoreError::Internal(format!("granted {} is not in the tree", grant.unit())))
}

/// The units directly under `parent` that the viewer may see.
pub(crate) fn visible_children<'a>(
    units: &'a [UnitInfo],
    parent: UnitId,
    viewer: &Viewer,
    grant: &Grant,
) -> Vec<&'a UnitInfo> {
    units
        .iter()
        .filter(|u| u.parent == Some(parent) && viewer.sees_child(grant, u.id, u.restricted))
        .collect()
}

/// The first day a trend shows: a year back, or the rollups' first day.
fn trend_start(horizon: Option<(NaiveDate, NaiveDate)>, as_of: NaiveDate) -> NaiveDate {
    horizon
        .map_or(as_of, |h| h.0)
        .max(as_of - Days::new(TREND_DAYS - 1))
}

/// The as-of day asked for, or else the last day every tool's data is
/// complete for, or else the last day rolled up.
fn pick_as_of(
    as_of: Option<NaiveDate>,
    coverage: &[Coverage],
    horizon: Option<(NaiveDate, NaiveDate)>,
) -> Result<NaiveDate> {
    // A day the rollups do not cover has no figures, not zeros.
    if let (Some(day), Some((first, last))) = (as_of, horizon)
        && !(first..=last).contains(&day)
    {
        return Err(StoreError::Rejected(format!(
            "there are figures from {} to {}; choose a day between them",
            domain::display::date(first),
            domain::display::date(last)
        )));
    }
    as_of
        .or_else(|| default_as_of(coverage))
        .or(horizon.map(|h| h.1))
        .ok_or_else(|| StoreError::NotFound("activity (no source has data yet)".into()))
}
