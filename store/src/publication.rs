//! The one publication decision per day (`docs/publication.md`): decided by
//! `domain::publication` over every cell of the day and every account's
//! view of them, kept in `publication_day`, and read by every view through
//! [`PublishedDay`]. No view reads a cell any other way.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use chrono::NaiveDate;
use domain::{
    access::Role,
    catalog::Subject,
    day::{date_of, day_num, month_start},
    disclosure::Disclosure,
    metrics::Counts,
    org::{OrgTree, UnitId},
    publication::{Audience, Published, Publisher, as_published},
    rollup::{BAND_SLOTS, MonthBlock},
};
use sha2::{Digest, Sha256};

use crate::{Sight, Store, db::on_db, error::Result, meta::Meta};

/// One day's cells as every view may show them: `None` is `[c]`, and a
/// count the primary rule bands is the middle of its band
/// ([`as_published`]); except to a viewer who sees a unit whole
/// ([`Sight`]), who sees its cells as they are.
#[derive(Debug)]
pub struct PublishedDay {
    day: NaiveDate,
    basis: Arc<Basis>,
    /// `[subject][node][band slot]`, subjects in catalog order and nodes in
    /// tree order.
    cells: Vec<Option<Counts>>,
    /// The same cells as they are, for units seen whole.
    whole: Vec<Counts>,
}

impl PublishedDay {
    pub fn day(&self) -> NaiveDate {
        self.day
    }

    /// A unit's cell for one subject in one band slot as `sight` sees it;
    /// `None` where hidden, or where the unit or subject is unknown.
    pub fn cell(
        &self,
        sight: &Sight,
        unit: UnitId,
        subject: Subject,
        slot: usize,
    ) -> Option<Counts> {
        let at = self.basis.at(unit, subject)? * BAND_SLOTS + slot;
        if sight.sees(unit) {
            Some(self.whole[at])
        } else {
            self.cells[at]
        }
    }

    /// A unit's cells for one subject in every band slot.
    pub fn bands(&self, sight: &Sight, unit: UnitId, subject: Subject) -> Published {
        std::array::from_fn(|slot| self.cell(sight, unit, subject, slot))
    }
}

/// What a decision rests on besides the day's cells: the tree over time,
/// its restricted units, the subjects, the accounts' views and k. Read once
/// per data version.
#[derive(Debug)]
pub(crate) struct Basis {
    tree: OrgTree,
    restricted: Vec<bool>,
    subjects: Vec<Subject>,
    audiences: Vec<Audience>,
    disclosure: Disclosure,
    /// A digest of all of the above: a stored decision is used only while
    /// it and the day's cells are what it was made from.
    structure: [u8; 32],
    /// `structure` and when the rollups were last written: the days kept in
    /// memory hold while this does.
    current: [u8; 32],
}

impl Basis {
    /// Where a unit's cells for a subject start, in band slots' units.
    fn at(&self, unit: UnitId, subject: Subject) -> Option<usize> {
        let node = self.tree.index_of(unit)?;
        let s = self.subjects.iter().position(|&x| x == subject)?;
        Some(s * self.tree.len() + node)
    }

    fn cell_count(&self) -> usize {
        self.subjects.len() * self.tree.len() * BAND_SLOTS
    }

    /// The digest of one day's inputs.
    fn inputs(&self, day: NaiveDate, cells: &[Counts]) -> String {
        let mut h = Sha256::new();
        h.update(self.structure);
        h.update(day.to_string());
        for c in cells {
            for v in [c.eligible, c.active7, c.active28, c.reached] {
                h.update(v.to_le_bytes());
            }
        }
        hex(&h.finalize())
    }

    /// The published form of a day's cells and hidden flags.
    fn publish(
        self: &Arc<Self>,
        day: NaiveDate,
        cells: Vec<Counts>,
        hidden: &[bool],
    ) -> PublishedDay {
        PublishedDay {
            day,
            basis: Arc::clone(self),
            cells: cells
                .iter()
                .zip(hidden)
                .map(|(&c, &h)| (!h).then(|| as_published(c)))
                .collect(),
            whole: cells,
        }
    }
}

/// Decisions kept in memory, and the one publisher deciding new days.
#[derive(Default)]
pub(crate) struct PublicationCache {
    days: Mutex<HashMap<NaiveDate, Arc<PublishedDay>>>,
    /// Held while deciding, so two requests for one new day decide it once;
    /// keeps its plans between days of one basis.
    publisher: tokio::sync::Mutex<Option<([u8; 32], Publisher)>>,
}

impl std::fmt::Debug for PublicationCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicationCache").finish_non_exhaustive()
    }
}

/// Days kept in memory: a year of weekly points and a few as-of days.
const KEPT_DAYS: usize = 128;

impl Store {
    /// The published cells of one day, decided now if they have not been.
    pub async fn published_on(&self, day: NaiveDate) -> Result<Arc<PublishedDay>> {
        let mut found = self.published_days(&[day], true).await?;
        Ok(found.pop().flatten().expect("decided on demand"))
    }

    /// The published cells of each day, in order: with `decide`, deciding
    /// the days not decided yet; without, `None` for those (series read
    /// the days decided in the background and leave the others out).
    pub async fn published_days(
        &self,
        days: &[NaiveDate],
        decide: bool,
    ) -> Result<Vec<Option<Arc<PublishedDay>>>> {
        let meta = self.meta().await?;
        let basis = self.basis(&meta).await?;
        let mut out: Vec<Option<Arc<PublishedDay>>> = {
            let kept = self
                .publication
                .days
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            days.iter()
                .map(|d| {
                    kept.get(d)
                        .filter(|p| p.basis.current == basis.current)
                        .cloned()
                })
                .collect()
        };
        let missing = without(days, &out);
        if missing.is_empty() {
            return Ok(out);
        }
        let cells = self.day_cells(&basis, &missing).await?;
        let mut made: HashMap<NaiveDate, Arc<PublishedDay>> = HashMap::new();
        let mut undecided = Vec::new();
        for (&day, cells) in missing.iter().zip(cells) {
            let inputs = basis.inputs(day, &cells);
            match self
                .stored_decision(day, &inputs, basis.cell_count())
                .await?
            {
                Some(hidden) => {
                    made.insert(day, Arc::new(basis.publish(day, cells, &hidden)));
                }
                None => undecided.push((day, cells, inputs)),
            }
        }
        if decide && !undecided.is_empty() {
            for (day, cells, hidden) in self.decide(&basis, undecided).await? {
                made.insert(day, Arc::new(basis.publish(day, cells, &hidden)));
            }
        }
        {
            let mut kept = self
                .publication
                .days
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if kept.len() + made.len() > KEPT_DAYS {
                kept.clear();
            }
            kept.extend(made.iter().map(|(d, p)| (*d, Arc::clone(p))));
        }
        for (slot, day) in out.iter_mut().zip(days) {
            if slot.is_none() {
                *slot = made.get(day).cloned();
            }
        }
        Ok(out)
    }

    /// The days to have decided, most wanted first: the default as-of day,
    /// the days its tiles compare with, its series' points back to the
    /// rollups' first day, and the waves' target dates.
    pub async fn publication_days(&self) -> Result<Vec<NaiveDate>> {
        let Some((first, _)) = self.rollup_horizon().await? else {
            return Ok(Vec::new());
        };
        let as_of = self.resolve_as_of(None).await?;
        let mut days = domain::day::days_to_decide(first, as_of);
        for wave in self.waves().await? {
            if (first..=as_of).contains(&wave.target_date) && !days.contains(&wave.target_date) {
                days.push(wave.target_date);
            }
        }
        Ok(days)
    }

    /// Decides every day of `days` that has no decision for its current
    /// inputs, a few at a time (each batch stored before the next), and
    /// returns how many it decided. What a refresh runs in the background.
    pub async fn decide_publication(&self, days: &[NaiveDate]) -> Result<usize> {
        let mut decided = 0;
        for batch in days.chunks(4) {
            let found = self.published_days(batch, false).await?;
            let wanted = without(batch, &found);
            if !wanted.is_empty() {
                self.published_days(&wanted, true).await?;
                decided += wanted.len();
                tracing::info!(decided, of = days.len(), "deciding what to publish");
            }
        }
        Ok(decided)
    }

    /// Decides days (with their cells and inputs' digests) and stores each
    /// decision; a day another request decided meanwhile is read instead.
    async fn decide(
        &self,
        basis: &Arc<Basis>,
        days: Vec<(NaiveDate, Vec<Counts>, String)>,
    ) -> Result<Vec<(NaiveDate, Vec<Counts>, Vec<bool>)>> {
        let mut publisher = self.publication.publisher.lock().await;
        let mut out = Vec::with_capacity(days.len());
        let mut todo = Vec::new();
        for (day, cells, inputs) in days {
            match self
                .stored_decision(day, &inputs, basis.cell_count())
                .await?
            {
                Some(hidden) => out.push((day, cells, hidden)),
                None => todo.push((day, cells, inputs)),
            }
        }
        if todo.is_empty() {
            return Ok(out);
        }
        let mut current = match publisher.take() {
            Some((structure, p)) if structure == basis.structure => p,
            _ => {
                let catalog = self.catalog().await?;
                Publisher::new(
                    &basis.tree,
                    basis.restricted.clone(),
                    basis.audiences.clone(),
                    &catalog,
                    basis.disclosure,
                )
                .map_err(|e| crate::StoreError::Internal(format!("the unit tree: {e}")))?
            }
        };
        let nodes = basis.tree.len();
        let input: Vec<(domain::DayNum, Vec<Counts>)> = todo
            .iter()
            .map(|(day, cells, _)| (day_num(*day), cells.clone()))
            .collect();
        let (current, hidden) = tokio::task::spawn_blocking(move || {
            let hidden = current.decide_days(nodes, &input);
            (current, hidden)
        })
        .await
        .map_err(|e| crate::StoreError::Internal(format!("the publication decision: {e}")))?;
        *publisher = Some((basis.structure, current));
        for ((day, cells, inputs), hidden) in todo.into_iter().zip(hidden) {
            let packed = pack(&hidden);
            on_db!(&self.db, pool => sqlx::query(
                "INSERT INTO publication_day (day, inputs, hidden) VALUES ($1, $2, $3) \
                 ON CONFLICT (day) DO UPDATE SET inputs = excluded.inputs, hidden = excluded.hidden")
                .bind(day).bind(&inputs).bind(packed).execute(pool).await.map(|_| ())?);
            out.push((day, cells, hidden));
        }
        Ok(out)
    }

    /// The hidden flags stored for a day, if made from these inputs.
    async fn stored_decision(
        &self,
        day: NaiveDate,
        inputs: &str,
        cells: usize,
    ) -> Result<Option<Vec<bool>>> {
        let row: Option<(String, Vec<u8>)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT inputs, hidden FROM publication_day WHERE day = $1")
            .bind(day).fetch_optional(pool).await?);
        Ok(row
            .filter(|(stored, bits)| stored == inputs && bits.len() == cells.div_ceil(8))
            .map(|(_, bits)| unpack(&bits, cells)))
    }

    /// Every cell of each day, `[subject][node][band slot]`, reading each
    /// month's blocks once.
    async fn day_cells(&self, basis: &Basis, days: &[NaiveDate]) -> Result<Vec<Vec<Counts>>> {
        let nodes = basis.tree.len();
        let mut out = vec![vec![Counts::default(); basis.cell_count()]; days.len()];
        let mut months: Vec<domain::DayNum> =
            days.iter().map(|d| month_start(day_num(*d))).collect();
        months.sort_unstable();
        months.dedup();
        for month in months {
            let rows: Vec<(i32, String, Vec<u8>)> = on_db!(&self.db, pool => sqlx::query_as(
                "SELECT node_id, subject, cells FROM rollup_block WHERE month = $1")
                .bind(date_of(month)).fetch_all(pool).await?);
            for (node, subject, bytes) in rows {
                let Some(at) = Subject::parse(&subject)
                    .ok()
                    .and_then(|s| basis.at(UnitId(node), s))
                else {
                    continue;
                };
                let block = MonthBlock::<Counts>::decode(month, &bytes)?;
                for (i, day) in days.iter().enumerate() {
                    let d = day_num(*day);
                    if month_start(d) == month {
                        let cells = block.day(d);
                        out[i][at * BAND_SLOTS..(at + 1) * BAND_SLOTS].copy_from_slice(&cells);
                    }
                }
            }
        }
        debug_assert!(
            out.iter()
                .all(|c| c.len() == basis.subjects.len() * nodes * BAND_SLOTS)
        );
        Ok(out)
    }

    /// The basis of the data version `meta` was read at.
    async fn basis(&self, meta: &Meta) -> Result<Arc<Basis>> {
        if let Some(basis) = meta.publication_basis.get() {
            return Ok(Arc::clone(basis));
        }
        let versions = self.unit_versions().await?;
        let versions_seen = format!("{versions:?}");
        let tree = OrgTree::new(versions)
            .map_err(|e| crate::StoreError::Internal(format!("the unit tree: {e}")))?;
        let n = tree.len();
        let mut restricted = vec![false; n];
        for u in meta.units.iter() {
            if let Some(i) = tree.index_of(u.id) {
                restricted[i] = u.restricted;
            }
        }
        let rows: Vec<(i32, String, bool, Option<i32>)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT a.id, a.role, a.person_lists, s.unit_id FROM account a \
             LEFT JOIN account_scope s ON s.account_id = a.id ORDER BY a.id, s.unit_id")
            .fetch_all(pool).await?);
        let mut by_account: Vec<(i32, Audience)> = Vec::new();
        for (id, role, person_lists, unit) in rows {
            if by_account.last().is_none_or(|(last, _)| *last != id) {
                let every_unit = Role::parse(&role).is_ok_and(Role::sees_every_unit);
                by_account.push((
                    id,
                    Audience {
                        every_unit,
                        roots: Vec::new(),
                        person_lists,
                    },
                ));
            }
            if let (Some((_, a)), Some(i)) = (
                by_account.last_mut(),
                unit.and_then(|u| tree.index_of(UnitId(u))),
            ) {
                a.roots.push(i);
            }
        }
        let mut audiences: Vec<Audience> = by_account.into_iter().map(|(_, a)| a).collect();
        audiences.sort_by(|a, b| {
            (a.every_unit, &a.roots, a.person_lists).cmp(&(b.every_unit, &b.roots, b.person_lists))
        });
        audiences.dedup();
        let subjects = meta.catalog.subjects();
        let disclosure = Disclosure::default();
        let built_at: Option<String> = on_db!(&self.db, pool => sqlx::query_scalar(
            "SELECT CAST(built_at AS TEXT) FROM rollup_state WHERE id = 1").fetch_optional(pool).await?);
        let mut h = Sha256::new();
        h.update(versions_seen);
        h.update(format!(
            "{restricted:?}{subjects:?}{audiences:?}{}",
            disclosure.k
        ));
        let structure: [u8; 32] = h.finalize().into();
        let current: [u8; 32] = Sha256::new()
            .chain_update(structure)
            .chain_update(built_at.unwrap_or_default())
            .finalize()
            .into();
        let basis = Arc::new(Basis {
            tree,
            restricted,
            subjects,
            audiences,
            disclosure,
            structure,
            current,
        });
        let _ = meta.publication_basis.set(Arc::clone(&basis));
        Ok(basis)
    }
}

/// The days that have no published cells in `found`.
fn without(days: &[NaiveDate], found: &[Option<Arc<PublishedDay>>]) -> Vec<NaiveDate> {
    days.iter()
        .zip(found)
        .filter(|(_, p)| p.is_none())
        .map(|(d, _)| *d)
        .collect()
}

/// One bit per cell, the first cell in the lowest bit of the first byte.
fn pack(hidden: &[bool]) -> Vec<u8> {
    let mut bits = vec![0u8; hidden.len().div_ceil(8)];
    for (i, _) in hidden.iter().enumerate().filter(|(_, h)| **h) {
        bits[i / 8] |= 1 << (i % 8);
    }
    bits
}

fn unpack(bits: &[u8], cells: usize) -> Vec<bool> {
    (0..cells)
        .map(|i| bits[i / 8] & (1 << (i % 8)) != 0)
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn hidden_flags_survive_packing() {
        let flags: Vec<bool> = (0..45).map(|i| i % 3 == 0 || i == 44).collect();
        assert_eq!(super::unpack(&super::pack(&flags), flags.len()), flags);
    }
}
