//! The unit tree and the roster, both kept as history.

use std::collections::HashMap;

use chrono::NaiveDate;
use domain::{
    day::day_num,
    formats::{RosterRecord, UnitRecord},
    org::{OrgTree, UnitId, UnitVersion},
    people::{Membership, Person, StaffId},
};

use crate::{
    Store,
    db::on_db,
    error::{Result, StoreError},
};

/// A unit as it stands now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitInfo {
    pub id: UnitId,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub restricted: bool,
    pub parent: Option<UnitId>,
}

type StaffNow = (
    i32,
    String,
    i32,
    String,
    NaiveDate,
    Option<NaiveDate>,
    Option<i32>,
    Option<NaiveDate>,
);

impl Store {
    /// Applies units.csv as of `effective`: new units start that day; a new
    /// parent or name closes the old version and opens a new one.
    pub async fn apply_units(&self, rows: &[UnitRecord], effective: NaiveDate) -> Result<()> {
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            for row in rows {
                sqlx::query("INSERT INTO unit (code, kind, restricted) VALUES ($1, $2, $3) \
                             ON CONFLICT (code) DO UPDATE SET kind = excluded.kind, restricted = excluded.restricted")
                    .bind(&row.code).bind(&row.kind).bind(row.restricted).execute(&mut *tx).await?;
            }
            let ids: HashMap<String, i32> = sqlx::query_as::<_, (String, i32)>("SELECT code, id FROM unit")
                .fetch_all(&mut *tx).await?.into_iter().collect();
            for row in rows {
                let id = ids[&row.code];
                let parent = match &row.parent_code {
                    Some(code) => Some(*ids.get(code).ok_or_else(|| StoreError::Rejected(
                        format!("unit {} names parent {code}, which is not in the unit list", row.code)))?),
                    None => None,
                };
                let current: Option<(Option<i32>, String, NaiveDate)> = sqlx::query_as(
                    "SELECT parent_id, name, valid_from FROM unit_version WHERE unit_id = $1 AND valid_to IS NULL")
                    .bind(id).fetch_optional(&mut *tx).await?;
                match current {
                    Some((p, ref name, _)) if p == parent && *name == row.name => continue,
                    Some((_, _, from)) if from >= effective => {
                        sqlx::query("UPDATE unit_version SET parent_id = $1, name = $2 WHERE unit_id = $3 AND valid_to IS NULL")
                            .bind(parent).bind(&row.name).bind(id).execute(&mut *tx).await?;
                        continue;
                    }
                    Some(_) => {
                        sqlx::query("UPDATE unit_version SET valid_to = $1 WHERE unit_id = $2 AND valid_to IS NULL")
                            .bind(effective).bind(id).execute(&mut *tx).await?;
                    }
                    None => {}
                }
                sqlx::query("INSERT INTO unit_version (unit_id, parent_id, name, valid_from) VALUES ($1, $2, $3, $4)")
                    .bind(id).bind(parent).bind(&row.name).bind(effective).execute(&mut *tx).await?;
            }
            // The closure of the current tree, rebuilt whole: it is small.
            let edges: Vec<(i32, Option<i32>)> = sqlx::query_as(
                "SELECT unit_id, parent_id FROM unit_version WHERE valid_to IS NULL").fetch_all(&mut *tx).await?;
            let closure = current_closure(edges)?;
            sqlx::query("DELETE FROM unit_closure").execute(&mut *tx).await?;
            for (ancestor, unit, depth) in closure {
                sqlx::query("INSERT INTO unit_closure (ancestor_id, descendant_id, depth) VALUES ($1, $2, $3)")
                    .bind(ancestor.0).bind(unit.0).bind(depth as i32).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every unit code ever stored (current or closed): what a roster row
    /// or a unit's parent may name.
    pub async fn unit_codes(&self) -> Result<std::collections::HashSet<String>> {
        let codes: Vec<String> = on_db!(&self.db, pool => sqlx::query_scalar("SELECT code FROM unit")
            .fetch_all(pool).await?);
        Ok(codes.into_iter().collect())
    }

    /// Applies roster.csv as of `effective`. Starters join from their start
    /// date; a changed unit closes the old membership at `effective` and
    /// opens the new one; nothing before `effective` is rewritten.
    pub async fn apply_roster(&self, rows: &[RosterRecord], effective: NaiveDate) -> Result<()> {
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            let units: HashMap<String, i32> = sqlx::query_as::<_, (String, i32)>("SELECT code, id FROM unit")
                .fetch_all(&mut *tx).await?.into_iter().collect();
            let current: HashMap<String, StaffNow> = sqlx::query_as::<_, (String, i32, String, i32, String, NaiveDate, Option<NaiveDate>, Option<i32>, Option<NaiveDate>)>(
                "SELECT s.staff_number, s.id, s.sign_in_name, s.birth_year, s.role, s.start_date, s.leave_date, su.unit_id, su.valid_from \
                 FROM staff s LEFT JOIN staff_unit su ON su.staff_id = s.id AND su.valid_to IS NULL")
                .fetch_all(&mut *tx).await?
                .into_iter()
                .map(|(n, id, sign, by, role, start, leave, unit, from)| (n, (id, sign, by, role, start, leave, unit, from)))
                .collect();
            for row in rows {
                let unit = *units.get(&row.unit_code).ok_or_else(|| StoreError::Rejected(
                    format!("staff {} is in unit {}, which is not in the unit list", row.staff_number, row.unit_code)))?;
                let Some((id, sign, birth_year, role, start, leave, unit_now, since)) = current.get(&row.staff_number) else {
                    let id: i32 = sqlx::query_scalar(
                        "INSERT INTO staff (staff_number, sign_in_name, sign_in_lower, birth_year, role, start_date, leave_date) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
                        .bind(&row.staff_number).bind(&row.sign_in_name).bind(row.sign_in_name.to_lowercase())
                        .bind(row.birth_year).bind(&row.role).bind(row.start_date).bind(row.leave_date)
                        .fetch_one(&mut *tx).await?;
                    sqlx::query("INSERT INTO staff_unit (staff_id, unit_id, valid_from) VALUES ($1, $2, $3)")
                        .bind(id).bind(unit).bind(row.start_date.min(effective)).execute(&mut *tx).await?;
                    continue;
                };
                if (sign, birth_year, role, start, leave) != (&row.sign_in_name, &row.birth_year, &row.role, &row.start_date, &row.leave_date) {
                    sqlx::query("UPDATE staff SET sign_in_name = $1, sign_in_lower = $2, birth_year = $3, role = $4, start_date = $5, leave_date = $6 WHERE id = $7")
                        .bind(&row.sign_in_name).bind(row.sign_in_name.to_lowercase()).bind(row.birth_year)
                        .bind(&row.role).bind(row.start_date).bind(row.leave_date).bind(id)
                        .execute(&mut *tx).await?;
                }
                if *unit_now == Some(unit) {
                    continue;
                }
                if since.is_some_and(|s| s >= effective) {
                    sqlx::query("UPDATE staff_unit SET unit_id = $1 WHERE staff_id = $2 AND valid_to IS NULL")
                        .bind(unit).bind(id).execute(&mut *tx).await?;
                    continue;
                }
                sqlx::query("UPDATE staff_unit SET valid_to = $1 WHERE staff_id = $2 AND valid_to IS NULL")
                    .bind(effective).bind(id).execute(&mut *tx).await?;
                sqlx::query("INSERT INTO staff_unit (staff_id, unit_id, valid_from) VALUES ($1, $2, $3)")
                    .bind(id).bind(unit).bind(effective).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The whole unit tree with its history.
    pub async fn org_tree(&self) -> Result<OrgTree> {
        Ok(OrgTree::new(self.unit_versions().await?)?)
    }

    /// Every version of every unit, by unit and start.
    pub(crate) async fn unit_versions(&self) -> Result<Vec<UnitVersion>> {
        let rows: Vec<(i32, Option<i32>, NaiveDate, Option<NaiveDate>)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT unit_id, parent_id, valid_from, valid_to FROM unit_version ORDER BY unit_id, valid_from"
        ).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(unit, parent, from, to)| UnitVersion {
                unit: UnitId(unit),
                parent: parent.map(UnitId),
                valid_from: day_num(from),
                valid_to: to.map(day_num),
            })
            .collect())
    }

    /// Units as they stand now, ordered by code.
    pub(crate) async fn load_units(&self) -> Result<Vec<UnitInfo>> {
        let mut rows: Vec<(i32, String, String, String, bool, Option<i32>)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT u.id, u.code, v.name, u.kind, u.restricted, v.parent_id FROM unit u \
             JOIN unit_version v ON v.unit_id = u.id AND v.valid_to IS NULL"
        ).fetch_all(pool).await?);
        // By code, byte by byte: the same order whatever the database's
        // collation.
        rows.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(rows
            .into_iter()
            .map(|(id, code, name, kind, restricted, parent)| UnitInfo {
                id: UnitId(id),
                code,
                name,
                kind,
                restricted,
                parent: parent.map(UnitId),
            })
            .collect())
    }

    /// Every person with their unit history, ordered by staff id.
    pub async fn people(&self) -> Result<Vec<Person>> {
        // (id, birth year or unit, from, to)
        type Dated = (i32, i32, NaiveDate, Option<NaiveDate>);
        let (staff, members): (Vec<Dated>, Vec<Dated>) = on_db!(&self.db, pool => (
            sqlx::query_as("SELECT id, birth_year, start_date, leave_date FROM staff ORDER BY id").fetch_all(pool).await?,
            sqlx::query_as("SELECT staff_id, unit_id, valid_from, valid_to FROM staff_unit ORDER BY staff_id, valid_from").fetch_all(pool).await?,
        ));
        let mut by_id: HashMap<i32, Vec<Membership>> = HashMap::with_capacity(staff.len());
        for (staff_id, unit, from, to) in members {
            by_id.entry(staff_id).or_default().push(Membership {
                unit: UnitId(unit),
                from: day_num(from),
                to: to.map(day_num),
            });
        }
        Ok(staff
            .into_iter()
            .map(|(id, birth_year, start, leave)| Person {
                id: StaffId(id),
                birth_year,
                start: day_num(start),
                leave: leave.map(day_num),
                memberships: by_id.remove(&id).unwrap_or_default(),
            })
            .collect())
    }

    /// Sign-in names of everyone on the roster, for identity matching.
    pub async fn sign_in_names(&self) -> Result<Vec<(String, StaffId)>> {
        let rows: Vec<(String, i32)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT sign_in_lower, id FROM staff").fetch_all(pool).await?);
        Ok(rows.into_iter().map(|(n, id)| (n, StaffId(id))).collect())
    }
}

/// The closure of the current tree from its (unit, parent) edges, by
/// `domain::org`'s rules (a cycle is refused).
fn current_closure(edges: Vec<(i32, Option<i32>)>) -> Result<Vec<(UnitId, UnitId, u32)>> {
    let versions = edges
        .into_iter()
        .map(|(unit, parent)| UnitVersion {
            unit: UnitId(unit),
            parent: parent.map(UnitId),
            valid_from: 0,
            valid_to: None,
        })
        .collect();
    Ok(OrgTree::new(versions)?.closure(0)?)
}
