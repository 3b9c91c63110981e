//! Reference data nearly every request needs: the unit tree, the catalog,
//! each tool's data coverage, the rollup horizon and the waves' membership. Each process caches
//! it, and checks it with one read of `meta_version`, which database
//! triggers raise on every change to the tables it comes from. So a cache
//! never outlives a change, whichever process or tool made it. A read-only
//! request reads the version with its session, once.

use std::{
    cell::Cell,
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock, PoisonError, RwLock, atomic::AtomicBool},
};

use chrono::{DateTime, NaiveDate, Utc};
use domain::{
    access::{Reach, UnitPath},
    catalog::{Catalog, Source, ToolId},
    health::LicenceHealth,
    org::UnitId,
    overview::{Coverage, Overview},
    wave::Progress,
};

use crate::{Store, UnitInfo, db::on_db, error::Result};

/// One consistent read of the reference data.
#[derive(Debug)]
pub(crate) struct Meta {
    version: i64,
    pub units: Arc<Vec<UnitInfo>>,
    by_code: HashMap<String, usize>,
    by_id: HashMap<UnitId, usize>,
    pub catalog: Arc<Catalog>,
    pub coverage: HashMap<ToolId, Coverage>,
    pub horizon: Option<(NaiveDate, NaiveDate)>,
    /// Overviews built from this version of the data.
    overviews: Mutex<HashMap<ViewKey, Overview>>,
    /// Wave forecasts made from this version of the data.
    progress: Mutex<HashMap<ProgressKey, Progress>>,
    /// The licence cross-checks for the latest report (its day and when it
    /// was stored), from this version of the data: a scan of every person
    /// and tool, so made once.
    licences: Mutex<Option<(LicenceReport, Option<LicenceHealth>)>>,
    /// What this version's publication decisions rest on.
    pub publication_basis: OnceLock<Arc<crate::publication::Basis>>,
    /// Whether every unit's forecast for the latest day has been made from
    /// this version (`Store::warm_forecasts`).
    pub forecasts_warmed: AtomicBool,
}

/// A stored licence report: its day and when it was stored.
pub(crate) type LicenceReport = (NaiveDate, DateTime<Utc>);

/// A wave's progress, as a whole (`unit: None`) or for one member unit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ProgressKey {
    pub wave: i32,
    pub unit: Option<UnitId>,
    pub as_of: NaiveDate,
    /// The units of it the viewer sees whole.
    pub whole: Vec<UnitId>,
}

/// Everything a published overview depends on besides the data version:
/// the unit, the day, and what the viewer may see of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ViewKey {
    pub unit: UnitId,
    pub as_of: NaiveDate,
    pub reach: Reach,
    pub person_lists: bool,
    pub children: Vec<UnitId>,
    /// Which of them (and the unit) the viewer sees whole.
    pub whole: Vec<UnitId>,
    /// Whether it holds the trend (a day only compared with does not).
    pub trend: bool,
}

/// Enough views for every command and BCU at a few as-of days.
const CACHED_VIEWS: usize = 1_024;

/// Enough forecasts for every unit in each product's wave at a few as-of
/// days: the unit tree opened in full (and its CSV) reads one per unit, and
/// a cache smaller than the tree empties itself while being filled.
const CACHED_PROGRESS_PER_UNIT: usize = 8;

impl Meta {
    pub fn cached_overview(&self, key: &ViewKey) -> Option<Overview> {
        let cache = self
            .overviews
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        cache.get(key).cloned()
    }

    pub fn cached_progress(&self, key: &ProgressKey) -> Option<Progress> {
        let cache = self.progress.lock().unwrap_or_else(PoisonError::into_inner);
        cache.get(key).cloned()
    }

    pub fn cache_progress(&self, key: ProgressKey, progress: &Progress) {
        let mut cache = self.progress.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= CACHED_VIEWS.max(CACHED_PROGRESS_PER_UNIT * self.units.len()) {
            cache.clear();
        }
        cache.insert(key, progress.clone());
    }

    /// The licence cross-checks of one report, if made from this version.
    pub fn cached_licences(&self, report: LicenceReport) -> Option<Option<LicenceHealth>> {
        let cache = self.licences.lock().unwrap_or_else(PoisonError::into_inner);
        cache
            .as_ref()
            .filter(|(key, _)| *key == report)
            .map(|(_, health)| health.clone())
    }

    pub fn cache_licences(&self, report: LicenceReport, health: &Option<LicenceHealth>) {
        *self.licences.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((report, health.clone()));
    }

    pub fn cache_overview(&self, key: ViewKey, overview: &Overview) {
        let mut cache = self
            .overviews
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= CACHED_VIEWS {
            cache.clear();
        }
        cache.insert(key, overview.clone());
    }
    pub fn unit(&self, id: UnitId) -> Option<&UnitInfo> {
        self.by_id.get(&id).map(|&i| &self.units[i])
    }

    /// The unit's chain from the root down to it, in the current tree.
    pub fn unit_path(&self, code: &str) -> Option<UnitPath> {
        let mut chain = Vec::new();
        let mut at = self.by_code.get(code).map(|&i| &self.units[i]);
        while let Some(unit) = at {
            chain.push((unit.id, unit.restricted));
            at = unit.parent.and_then(|p| self.unit(p));
        }
        chain.reverse();
        (!chain.is_empty()).then_some(UnitPath { chain })
    }
}

/// The cached [`Meta`], shared by clones of a [`Store`].
#[derive(Debug, Default)]
pub(crate) struct MetaCache(RwLock<Option<Arc<Meta>>>);

tokio::task_local! {
    /// The data version read with the session, for the rest of a
    /// read-only request.
    static REQUEST_VERSION: Cell<Option<i64>>;
}

/// Runs a read-only request (a GET) so that it reads `meta_version` once:
/// the session check reads it in the same query as the session, and every
/// look at the reference data in the request uses that. The request then
/// sees the data as of its start, as it would had it run a moment earlier.
/// Only for requests that change nothing the version covers.
pub async fn read_only_request<F: Future>(request: F) -> F::Output {
    REQUEST_VERSION.scope(Cell::new(None), request).await
}

/// Keeps the version read with the session, inside a read-only request.
pub(crate) fn note_request_version(version: i64) {
    // Outside a read-only request there is nothing to keep it for.
    let _ = REQUEST_VERSION.try_with(|v| v.set(Some(version)));
}

impl Store {
    /// The reference data, from the cache while `meta_version` is unchanged.
    pub(crate) async fn meta(&self) -> Result<Arc<Meta>> {
        // Read the version first: data read after it is at least as new.
        let version: i64 = match REQUEST_VERSION.try_with(Cell::get).ok().flatten() {
            Some(version) => version,
            None => on_db!(&self.db, pool => sqlx::query_scalar(
                "SELECT version FROM meta_version WHERE id = 1").fetch_one(pool).await?),
        };
        if let Some(meta) = self
            .meta
            .0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .filter(|m| m.version == version)
        {
            return Ok(Arc::clone(meta));
        }
        let units = self.load_units().await?;
        let states: HashMap<Source, Coverage> = self
            .sync_states()
            .await?
            .into_iter()
            .map(|s| {
                let coverage = Coverage {
                    data_start: s.data_start,
                    complete_through: s.complete_through,
                };
                (s.source, coverage)
            })
            .collect();
        let coverage = self
            .tool_sources()
            .await?
            .into_iter()
            .map(|(tool, source)| {
                let none = Coverage {
                    data_start: None,
                    complete_through: None,
                };
                (tool, states.get(&source).copied().unwrap_or(none))
            })
            .collect();
        let meta = Arc::new(Meta {
            version,
            by_code: units
                .iter()
                .enumerate()
                .map(|(i, u)| (u.code.clone(), i))
                .collect(),
            by_id: units.iter().enumerate().map(|(i, u)| (u.id, i)).collect(),
            units: Arc::new(units),
            catalog: Arc::new(self.load_catalog().await?),
            coverage,
            horizon: self.load_horizon().await?,
            overviews: Mutex::default(),
            progress: Mutex::default(),
            licences: Mutex::default(),
            publication_basis: OnceLock::new(),
            forecasts_warmed: AtomicBool::new(false),
        });
        *self.meta.0.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&meta));
        Ok(meta)
    }

    /// Every unit in the current tree, ordered by code.
    pub async fn units(&self) -> Result<Arc<Vec<UnitInfo>>> {
        Ok(Arc::clone(&self.meta().await?.units))
    }

    pub async fn catalog(&self) -> Result<Arc<Catalog>> {
        Ok(Arc::clone(&self.meta().await?.catalog))
    }

    /// The first and last day the rollups cover.
    pub async fn rollup_horizon(&self) -> Result<Option<(NaiveDate, NaiveDate)>> {
        Ok(self.meta().await?.horizon)
    }

    /// Data coverage per tool, from its source's sync state.
    pub(crate) async fn tool_coverage(&self) -> Result<HashMap<ToolId, Coverage>> {
        Ok(self.meta().await?.coverage.clone())
    }
}
