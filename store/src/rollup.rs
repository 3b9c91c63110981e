//! Rollups: loading the inputs and saving the cells `domain` computes
//! (the reads the views make are in `reads`).

mod reads;

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use domain::{
    DayNum,
    catalog::{Catalog, Subject},
    day::{DayRange, date_of, day_num, month_start},
    metrics::Counts,
    people::Person,
    rollup::{
        ActivityGrid, Cell, FirstUse, MonthBlock, Rollup, RollupInputs, SpanCells, activity_window,
    },
};
use futures::TryStreamExt;
use sqlx::QueryBuilder;

use crate::{
    Store,
    db::{Db, on_db},
    error::{Result, StoreError},
};

/// What a build or refresh did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupStats {
    pub days: Option<(NaiveDate, NaiveDate)>,
    pub blocks: usize,
    pub activity_rows: u64,
}

const BLOCKS_PER_STATEMENT: usize = 2_000;

struct Loaded {
    catalog: std::sync::Arc<Catalog>,
    tree: domain::org::OrgTree,
    waves: Vec<domain::wave::Wave>,
    people: Vec<Person>,
    first_use: FirstUse,
    grid: ActivityGrid,
    data_start: Vec<Option<DayNum>>,
    activity_rows: u64,
}

/// The two tables of rollup cells: counts, which every view reads, and
/// the detail behind medians and retention.
#[derive(Clone, Copy)]
enum Table {
    Counts,
    Detail,
}

impl Table {
    const ALL: [Table; 2] = [Table::Counts, Table::Detail];

    fn name(self) -> &'static str {
        match self {
            Table::Counts => "rollup_block",
            Table::Detail => "rollup_detail",
        }
    }
}

impl Store {
    /// The first and last day the rollups cover.
    pub(crate) async fn load_horizon(&self) -> Result<Option<(NaiveDate, NaiveDate)>> {
        let row: Option<(NaiveDate, NaiveDate)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT first_day, last_day FROM rollup_state WHERE id = 1").fetch_optional(pool).await?);
        Ok(row)
    }

    /// Rebuilds every rollup cell from `activity_daily`.
    pub async fn rebuild_rollups(&self) -> Result<RollupStats> {
        // From the earliest activity or go-live, so that eligibility before
        // anyone's first use is covered, to the last day of activity.
        let bounds: (Option<NaiveDate>, Option<NaiveDate>, Option<NaiveDate>) = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT (SELECT MIN(day) FROM activity_daily), (SELECT MAX(day) FROM activity_daily), (SELECT MIN(go_live) FROM wave)")
            .fetch_one(pool).await?);
        let (Some(first), Some(last)) =
            (bounds.0.map(|a| bounds.2.map_or(a, |g| a.min(g))), bounds.1)
        else {
            self.clear_cells().await?;
            on_db!(&self.db, pool => {
                sqlx::query("DELETE FROM rollup_state").execute(pool).await?;
            });
            return Ok(RollupStats {
                days: None,
                blocks: 0,
                activity_rows: 0,
            });
        };
        let range = DayRange::new(day_num(first), day_num(last));
        let loaded = self.load_inputs(range).await?;
        let activity_rows = loaded.activity_rows;
        let blocks = self.compute_and_save(loaded, range, true).await?;
        self.save_horizon(first, last).await?;
        Ok(RollupStats {
            days: Some((first, last)),
            blocks,
            activity_rows,
        })
    }

    /// Recomputes the cells that activity written for `from..=to` reaches:
    /// every day from `from` to the end of the horizon (which covers the
    /// 27 days forward, and any later day whose "reached" a new first use
    /// changed), for every node.
    pub async fn refresh_rollups(&self, from: NaiveDate, to: NaiveDate) -> Result<RollupStats> {
        let Some((first, last)) = self.rollup_horizon().await? else {
            return self.rebuild_rollups().await;
        };
        if from < first {
            return self.rebuild_rollups().await;
        }
        // Days between the old horizon's end and `from` have never been
        // computed, so they are part of the refresh.
        let from = from.min(last + chrono::Days::new(1));
        let last = last.max(to);
        let range = DayRange::new(day_num(from), day_num(last));
        let started = std::time::Instant::now();
        let loaded = self.load_inputs(range).await?;
        let activity_rows = loaded.activity_rows;
        let load_time = started.elapsed();
        let blocks = self.compute_and_save(loaded, range, false).await?;
        tracing::info!(
            %from, %last, blocks,
            load_ms = load_time.as_millis(),
            compute_and_save_ms = (started.elapsed() - load_time).as_millis(),
            "rollups refreshed"
        );
        self.save_horizon(first, last).await?;
        Ok(RollupStats {
            days: Some((from, last)),
            blocks,
            activity_rows,
        })
    }

    async fn load_inputs(&self, range: DayRange) -> Result<Loaded> {
        let catalog = self.catalog().await?;
        let tree = self.org_tree().await?;
        let waves = self.waves().await?;
        let people = self.people().await?;
        let index: HashMap<i32, usize> = people
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.0, i))
            .collect();
        let tools = catalog.tools().len();
        let tool_index: HashMap<i32, usize> = catalog
            .tools()
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.0, i))
            .collect();
        let mut first_use = FirstUse::new(people.len(), tools);
        let states: Vec<(i32, i32, NaiveDate)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT staff_id, tool_id, first_use FROM person_tool_state").fetch_all(pool).await?);
        for (staff, tool, day) in states {
            if let (Some(&p), Some(&t)) = (index.get(&staff), tool_index.get(&tool)) {
                first_use.record(p, t, day_num(day));
            }
        }
        let coverage = self.tool_coverage().await?;
        let data_start = catalog
            .tools()
            .iter()
            .map(|t| coverage.get(&t.id).and_then(|c| c.data_start).map(day_num))
            .collect();
        let window = activity_window(range);
        let mut grid = ActivityGrid::new(window, people.len(), tools);
        let mut activity_rows = 0u64;
        // One row per (day, tool) with its staff ids aggregated: the GROUP BY
        // follows the primary key, so neither backend sorts, and far fewer
        // rows cross the driver than one per activity row.
        let (from, to) = (date_of(window.first), date_of(window.last));
        let mut mark = |day: NaiveDate, tool: i32, staff: &mut dyn Iterator<Item = i32>| {
            let Some(&t) = tool_index.get(&tool) else {
                return;
            };
            let d = day_num(day);
            for s in staff {
                if let Some(&p) = index.get(&s) {
                    grid.mark(p, t, d);
                    activity_rows += 1;
                }
            }
        };
        match &self.db {
            Db::Sqlite(pool) => {
                let mut rows = sqlx::query_as::<_, (NaiveDate, i32, String)>(
                    "SELECT day, tool_id, group_concat(staff_id) FROM activity_daily \
                     WHERE day >= $1 AND day <= $2 GROUP BY day, tool_id",
                )
                .bind(from)
                .bind(to)
                .fetch(pool);
                while let Some((day, tool, staff)) = rows.try_next().await? {
                    mark(
                        day,
                        tool,
                        &mut staff.split(',').filter_map(|s| s.parse().ok()),
                    );
                }
            }
            Db::Postgres(pool) => {
                let mut rows = sqlx::query_as::<_, (NaiveDate, i32, Vec<i32>)>(
                    "SELECT day, tool_id, array_agg(staff_id) FROM activity_daily \
                     WHERE day >= $1 AND day <= $2 GROUP BY day, tool_id",
                )
                .bind(from)
                .bind(to)
                .fetch(pool);
                while let Some((day, tool, staff)) = rows.try_next().await? {
                    mark(day, tool, &mut staff.into_iter());
                }
            }
        }
        Ok(Loaded {
            catalog,
            tree,
            waves,
            people,
            first_use,
            grid,
            data_start,
            activity_rows,
        })
    }

    /// Computes `range` month by month and writes the blocks. A block only
    /// partly covered is merged with the stored one, unless `fresh`.
    ///
    /// A worker thread computes and encodes each month while this task
    /// writes the month before, so the two cores share the work.
    async fn compute_and_save(
        &self,
        loaded: Loaded,
        range: DayRange,
        fresh: bool,
    ) -> Result<usize> {
        // A fresh build overwrites block by block and then drops what it
        // did not write, so readers meanwhile see the old figures or the
        // new, never an emptied table.
        let keep = fresh.then(|| {
            let nodes: Vec<i32> = (0..loaded.tree.len())
                .map(|n| loaded.tree.id(n).0)
                .collect();
            let subjects: Vec<String> =
                loaded.catalog.subjects().iter().map(Subject::key).collect();
            (nodes, subjects)
        });
        // The stored blocks of months only partly recomputed (at most the
        // first and the last), read before the worker starts and decoded
        // by it.
        let mut stored = HashMap::new();
        for span in range.months() {
            let whole = span.range == MonthBlock::<Counts>::zeroed(span.month).range();
            if !fresh && !whole {
                let counts = self.month_blocks(Table::Counts, span.month).await?;
                let details = self.month_blocks(Table::Detail, span.month).await?;
                stored.insert(span.month, (counts, details));
            }
        }
        let (tx, mut rx) = tokio::sync::mpsc::channel(1);
        let worker = tokio::task::spawn_blocking(move || -> Result<()> {
            let rollup = Rollup::new(RollupInputs {
                catalog: &loaded.catalog,
                tree: &loaded.tree,
                waves: &loaded.waves,
                people: &loaded.people,
                activity: &loaded.grid,
                first_use: &loaded.first_use,
                data_start: &loaded.data_start,
            })?;
            let mut cells = SpanCells::empty();
            for span in range.months() {
                rollup.compute_into(span.range, &mut cells)?;
                let (counts, details) = stored.remove(&span.month).unwrap_or_default();
                let (counts, details) = (keyed(counts), keyed(details));
                let tree = &loaded.tree;
                let subjects = &cells.subjects;
                // Two threads, each encoding half the nodes' blocks.
                let work = |nodes: std::ops::Range<usize>| -> Result<_> {
                    let series = |n, s| cells.series(n, s);
                    let c = blocks_of(tree, subjects, span, nodes.clone(), series, &counts)?;
                    let series = |n, s| cells.detail_series(n, s);
                    let d = blocks_of(tree, subjects, span, nodes, series, &details)?;
                    Ok((c, d))
                };
                let half = tree.len() / 2;
                let ((mut counts, mut details), (more_counts, more_details)) =
                    std::thread::scope(|scope| {
                        let second = scope.spawn(|| work(half..tree.len()));
                        let first = work(0..half)?;
                        let second = second
                            .join()
                            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
                        Ok::<_, StoreError>((first, second))
                    })?;
                counts.extend(more_counts);
                details.extend(more_details);
                if tx.blocking_send((span.month, counts, details)).is_err() {
                    // The writer has stopped on an error of its own.
                    break;
                }
            }
            Ok(())
        });
        let mut written = 0;
        let mut saved = Ok(());
        while let Some((month, counts, details)) = rx.recv().await {
            written += counts.len();
            saved = self.save_month(month, &counts, &details).await;
            if saved.is_err() {
                break;
            }
        }
        drop(rx);
        let computed = worker
            .await
            .map_err(|e| StoreError::Internal(format!("rollup worker failed: {e}")))?;
        computed?;
        saved?;
        if let Some((nodes, subjects)) = keep {
            self.drop_blocks_outside(range, &nodes, &subjects).await?;
        }
        Ok(written)
    }

    /// Deletes the blocks of months outside `range`, and of nodes and
    /// subjects no longer in the tree or the catalog.
    async fn drop_blocks_outside(
        &self,
        range: DayRange,
        nodes: &[i32],
        subjects: &[String],
    ) -> Result<()> {
        let (first, last) = (
            date_of(month_start(range.first)),
            date_of(month_start(range.last)),
        );
        for table in Table::ALL {
            on_db!(&self.db, pool => {
                let mut q = QueryBuilder::new(format!("DELETE FROM {} WHERE month < ", table.name()));
                q.push_bind(first).push(" OR month > ").push_bind(last).push(" OR node_id NOT IN (");
                let mut list = q.separated(", ");
                for n in nodes { list.push_bind(*n); }
                q.push(") OR subject NOT IN (");
                let mut list = q.separated(", ");
                for s in subjects { list.push_bind(s.clone()); }
                q.push(")");
                q.build().execute(pool).await?;
            });
        }
        Ok(())
    }

    async fn clear_cells(&self) -> Result<()> {
        for table in Table::ALL {
            let sql = format!("DELETE FROM {}", table.name());
            on_db!(&self.db, pool => { sqlx::query(&sql).execute(pool).await?; });
        }
        Ok(())
    }

    /// The stored blocks of one month.
    async fn month_blocks(&self, table: Table, month: DayNum) -> Result<Vec<StoredBlock>> {
        let sql = format!(
            "SELECT node_id, subject, cells FROM {} WHERE month = $1",
            table.name()
        );
        Ok(on_db!(&self.db, pool => sqlx::query_as(&sql)
            .bind(date_of(month)).fetch_all(pool).await?))
    }

    /// Writes one month's count and detail blocks in one transaction, so a
    /// reader sees the month before or after, never half of it.
    async fn save_month(
        &self,
        month: DayNum,
        counts: &[StoredBlock],
        details: &[StoredBlock],
    ) -> Result<()> {
        let month = date_of(month);
        const CONFLICT: &str =
            " ON CONFLICT (node_id, subject, month) DO UPDATE SET cells = excluded.cells";
        let tables = [(Table::Counts, counts), (Table::Detail, details)];
        match &self.db {
            Db::Sqlite(pool) => {
                let mut tx = pool.begin().await?;
                for (table, blocks) in tables {
                    for chunk in blocks.chunks(BLOCKS_PER_STATEMENT) {
                        let mut q = QueryBuilder::new(format!(
                            "INSERT INTO {} (node_id, subject, month, cells) ",
                            table.name()
                        ));
                        q.push_values(chunk, |mut b, (node, subject, cells)| {
                            b.push_bind(node)
                                .push_bind(subject)
                                .push_bind(month)
                                .push_bind(cells);
                        });
                        q.push(CONFLICT);
                        q.build().execute(&mut *tx).await?;
                    }
                }
                tx.commit().await?;
            }
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                for (table, blocks) in tables {
                    for chunk in blocks.chunks(BLOCKS_PER_STATEMENT * 10) {
                        sqlx::query(&format!(
                            "INSERT INTO {} (node_id, subject, month, cells) \
                             SELECT n, s, $3, c FROM UNNEST($1::int4[], $2::text[], $4::bytea[]) AS x(n, s, c){CONFLICT}",
                            table.name()
                        ))
                        .bind(chunk.iter().map(|b| b.0).collect::<Vec<_>>())
                        .bind(chunk.iter().map(|b| b.1.clone()).collect::<Vec<_>>())
                        .bind(month)
                        .bind(chunk.iter().map(|b| b.2.clone()).collect::<Vec<_>>())
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                tx.commit().await?;
            }
        }
        Ok(())
    }

    async fn save_horizon(&self, first: NaiveDate, last: NaiveDate) -> Result<()> {
        on_db!(&self.db, pool => {
            sqlx::query(
            "INSERT INTO rollup_state (id, first_day, last_day, built_at) VALUES (1, $1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET first_day = excluded.first_day, last_day = excluded.last_day, built_at = excluded.built_at")
            .bind(first).bind(last).bind(Utc::now()).execute(pool).await?;
        });
        Ok(())
    }
}

/// A stored block as read: node, subject and the encoded cells.
type StoredBlock = (i32, String, Vec<u8>);

/// Stored blocks by node and subject, still encoded.
type Stored = HashMap<(i32, String), Vec<u8>>;

fn keyed(rows: Vec<StoredBlock>) -> Stored {
    rows.into_iter()
        .map(|(node, subject, bytes)| ((node, subject), bytes))
        .collect()
}

/// The stored form of one table's cells for the nodes of `nodes` and every
/// subject over a month's span, merged into the month's `stored` blocks.
fn blocks_of<'a, T: Cell + 'a>(
    tree: &domain::org::OrgTree,
    subjects: &[Subject],
    span: domain::day::MonthSpan,
    nodes: std::ops::Range<usize>,
    series: impl Fn(usize, usize) -> &'a [T],
    stored: &Stored,
) -> Result<Vec<StoredBlock>> {
    let mut out = Vec::with_capacity(nodes.len() * subjects.len());
    for node in nodes {
        let id = tree.id(node).0;
        for (s, subject) in subjects.iter().enumerate() {
            let key = subject.key();
            let cells = series(node, s);
            let stored = stored.get(&(id, key.clone()));
            let whole = stored.is_none() && span.range.first == span.month;
            let bytes = match whole.then(|| MonthBlock::encode_month(span.month, cells)) {
                Some(Some(bytes)) => bytes,
                _ => {
                    let mut block = match stored {
                        Some(bytes) => MonthBlock::<T>::decode(span.month, bytes)?,
                        None => MonthBlock::zeroed(span.month),
                    };
                    block.overwrite(span.range, cells);
                    block.encode()
                }
            };
            out.push((id, key, bytes));
        }
    }
    Ok(out)
}
