//! Read models assembled for the UI and API from rollups.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use domain::{
    catalog::{Source, Subject, ToolId},
    overview::{
        Coverage, Overview, SubjectKpis, SubjectSeries, adoption_trend, default_as_of,
        window_is_partial,
    },
};

use crate::{
    Store,
    error::{Result, StoreError},
};

/// How many days the trend shows.
const TREND_DAYS: u64 = 365;

impl Store {
    /// Force-wide KPIs per subject, and the adoption trend per tool.
    pub async fn overview(&self, as_of: Option<NaiveDate>) -> Result<Overview> {
        let catalog = self.catalog().await?;
        let units = self.units().await?;
        let root = units.iter().find(|u| u.parent.is_none()).ok_or_else(|| {
            StoreError::NotFound("the unit tree (import units.csv or run `uptake demo`)".into())
        })?;
        let coverage = self.tool_coverage().await?;
        let all_coverage: Vec<Coverage> = coverage.values().copied().collect();
        let horizon = self.rollup_horizon().await?;
        let as_of = as_of
            .or_else(|| default_as_of(&all_coverage))
            .or(horizon.map(|h| h.1))
            .ok_or_else(|| StoreError::NotFound("activity (no source has data yet)".into()))?;
        let subjects = catalog.display_subjects();
        let cells = self.cells_on(&[root.id], &subjects, None, as_of).await?;
        let coverage_of = |s: Subject| -> Vec<Coverage> {
            catalog
                .subject_tools(s)
                .filter_map(|t| coverage.get(&t.id).copied())
                .collect()
        };
        let kpis = subjects
            .iter()
            .map(|&s| {
                let counts = cells.get(&(root.id, s)).copied().unwrap_or_default();
                SubjectKpis {
                    subject: s.key(),
                    label: catalog.subject_label(s),
                    counts,
                    adoption_rate: counts.adoption_rate(),
                    partial: window_is_partial(as_of, &coverage_of(s)),
                }
            })
            .collect();
        let from = horizon
            .map_or(as_of, |h| h.0)
            .max(as_of - Days::new(TREND_DAYS - 1));
        let mut trend = Vec::new();
        for tool in catalog.tools() {
            let subject = Subject::Tool(tool.id);
            trend.push(SubjectSeries {
                label: tool.name.clone(),
                days: self.series(root.id, subject, None, from, as_of).await?,
            });
        }
        Ok(Overview {
            scope_name: root.name.clone(),
            as_of,
            complete_through: default_as_of(&all_coverage),
            kpis,
            trend: adoption_trend(&trend),
        })
    }

    /// Data coverage per tool, from its source's sync state.
    async fn tool_coverage(&self) -> Result<HashMap<ToolId, Coverage>> {
        let states: HashMap<Source, Coverage> = self
            .sync_states()
            .await?
            .into_iter()
            .map(|s| {
                (
                    s.source,
                    Coverage {
                        data_start: s.data_start,
                        complete_through: s.complete_through,
                    },
                )
            })
            .collect();
        Ok(self
            .tool_sources()
            .await?
            .into_iter()
            .map(|(tool, source)| {
                (
                    tool,
                    states.get(&source).copied().unwrap_or(Coverage {
                        data_start: None,
                        complete_through: None,
                    }),
                )
            })
            .collect())
    }
}
