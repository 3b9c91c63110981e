//! Raw reads of the rollups: cells on a day and series over days, decoded
//! from the stored month blocks; they never scan `activity_daily`. These
//! are the true counts, for the checks that compare a view with them: no
//! view shows them, every view reads `PublishedDay` (`crate::publication`)
//! instead, and the usage table reads only its detail here.

use std::collections::HashMap;

use chrono::NaiveDate;
use domain::{
    bands::BandCounts,
    catalog::Subject,
    day::{DayRange, date_of, day_num},
    metrics::{Counts, Detail},
    org::UnitId,
    people::AgeBand,
    rollup::{BAND_SLOTS, Cell, MonthBlock, band_slot},
};
use sqlx::QueryBuilder;

use crate::{Store, db::on_db, error::Result};

use super::Table;

impl Store {
    /// Counts for each node and subject on one day, for one band or all.
    pub async fn cells_on(
        &self,
        nodes: &[UnitId],
        subjects: &[Subject],
        band: Option<AgeBand>,
        day: NaiveDate,
    ) -> Result<HashMap<(UnitId, Subject), Counts>> {
        let slot = band_slot(band);
        Ok(self
            .band_cells_on(nodes, subjects, day)
            .await?
            .into_iter()
            .map(|(key, bands)| (key, bands[slot]))
            .collect())
    }

    /// Counts for each node and subject on one day, in every band slot.
    pub async fn band_cells_on(
        &self,
        nodes: &[UnitId],
        subjects: &[Subject],
        day: NaiveDate,
    ) -> Result<HashMap<(UnitId, Subject), BandCounts>> {
        let d = day_num(day);
        let month = domain::day::month_start(d);
        let node_ids: Vec<i32> = nodes.iter().map(|n| n.0).collect();
        let keys: Vec<String> = subjects.iter().map(Subject::key).collect();
        let rows: Vec<(i32, String, Vec<u8>)> = on_db!(&self.db, pool => {
            let mut q = QueryBuilder::new("SELECT node_id, subject, cells FROM rollup_block WHERE month = ");
            q.push_bind(date_of(month)).push(" AND node_id IN (");
            let mut list = q.separated(", ");
            for id in &node_ids { list.push_bind(*id); }
            q.push(") AND subject IN (");
            let mut list = q.separated(", ");
            for k in &keys { list.push_bind(k.clone()); }
            q.push(")");
            q.build_query_as().fetch_all(pool).await?
        });
        let mut out = HashMap::with_capacity(rows.len());
        for (node, subject, bytes) in rows {
            let Ok(subject) = Subject::parse(&subject) else {
                continue;
            };
            let block = MonthBlock::decode(month, &bytes)?;
            out.insert((UnitId(node), subject), block.day(d));
        }
        Ok(out)
    }

    /// Daily counts for one node, subject and band over `from..=to`. Days
    /// outside the rollup horizon come back as zero counts.
    pub async fn series(
        &self,
        node: UnitId,
        subject: Subject,
        band: Option<AgeBand>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, Counts)>> {
        let slot = band_slot(band);
        let mut all = self.band_series(node, &[subject], from, to).await?;
        Ok(all
            .pop()
            .unwrap_or_default()
            .into_iter()
            .map(|(d, bands)| (d, bands[slot]))
            .collect())
    }

    /// Daily counts for one node over `from..=to`, in every band slot,
    /// for each of `subjects` in order, read in one query.
    pub async fn band_series(
        &self,
        node: UnitId,
        subjects: &[Subject],
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Vec<(NaiveDate, BandCounts)>>> {
        self.table_series(Table::Counts, node, subjects, from, to)
            .await
    }

    /// Daily detail for one node and subject over `from..=to`, in every
    /// band slot.
    pub async fn detail_series(
        &self,
        node: UnitId,
        subject: Subject,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, [Detail; BAND_SLOTS])>> {
        Ok(self
            .table_series(Table::Detail, node, &[subject], from, to)
            .await?
            .pop()
            .unwrap_or_default())
    }

    /// Daily cells of one table for one node, per subject in order, read in
    /// one query. Days outside the rollup horizon come back as zero cells.
    async fn table_series<T: Cell>(
        &self,
        table: Table,
        node: UnitId,
        subjects: &[Subject],
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Vec<(NaiveDate, [T; BAND_SLOTS])>>> {
        let range = DayRange::new(day_num(from), day_num(to));
        let keys: Vec<String> = subjects.iter().map(Subject::key).collect();
        let rows: Vec<(String, NaiveDate, Vec<u8>)> = on_db!(&self.db, pool => {
            let mut q = QueryBuilder::new(format!("SELECT subject, month, cells FROM {} WHERE node_id = ", table.name()));
            q.push_bind(node.0).push(" AND month >= ").push_bind(date_of(domain::day::month_start(range.first)))
                .push(" AND month <= ").push_bind(to).push(" AND subject IN (");
            let mut list = q.separated(", ");
            for k in &keys { list.push_bind(k.clone()); }
            q.push(")");
            q.build_query_as().fetch_all(pool).await?
        });
        let mut blocks = HashMap::new();
        for (subject, month, bytes) in rows {
            let m = day_num(month);
            blocks.insert((subject, m), MonthBlock::<T>::decode(m, &bytes)?);
        }
        Ok(keys
            .into_iter()
            .map(|key| {
                (range.first..=range.last)
                    .map(|d| {
                        let month = domain::day::month_start(d);
                        let cells = blocks
                            .get(&(key.clone(), month))
                            .map(|b| b.day(d))
                            .unwrap_or_else(|| [T::default(); BAND_SLOTS]);
                        (date_of(d), cells)
                    })
                    .collect()
            })
            .collect())
    }
}
