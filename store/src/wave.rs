//! Rollout waves and their member units.

use chrono::NaiveDate;
use domain::{
    catalog::ProductId,
    org::UnitId,
    wave::{TargetMetric, Wave},
};

use crate::{
    AuditEntry, Store,
    db::on_db,
    error::{Result, StoreError},
};

#[derive(Debug, Clone, PartialEq)]
pub struct NewWave {
    pub name: String,
    pub product: ProductId,
    pub go_live: NaiveDate,
    pub target_metric: TargetMetric,
    pub target_value: f64,
    pub target_date: NaiveDate,
    pub units: Vec<UnitId>,
}

impl NewWave {
    /// The rules every wave keeps on its own: a name, at least one unit, a
    /// target share over 0 and at most 1, by a day on or after go-live.
    fn check(&self) -> Result<()> {
        if self.name.trim().is_empty() {
            return Err(StoreError::Rejected("a wave needs a name".into()));
        }
        if self.units.is_empty() {
            return Err(StoreError::Rejected(
                "a wave needs at least one unit".into(),
            ));
        }
        valid_target(self.target_value)?;
        if self.target_date < self.go_live {
            return Err(StoreError::Rejected(
                "a wave's target date must not be before its go-live".into(),
            ));
        }
        Ok(())
    }

    /// Refuses a unit already in another wave of the product, by code and
    /// wave; `others` are (unit id, unit code, wave name) of the product's
    /// other waves.
    fn free_of(&self, others: Vec<(i32, String, String)>) -> Result<()> {
        let taken: Vec<String> = others
            .into_iter()
            .filter(|(unit, ..)| self.units.contains(&UnitId(*unit)))
            .map(|(_, code, name)| format!("{code} (in '{name}')"))
            .collect();
        if taken.is_empty() {
            Ok(())
        } else {
            Err(StoreError::Rejected(format!(
                "a unit is in one wave of a product at most: {}",
                taken.join(", ")
            )))
        }
    }
}

impl Store {
    /// Creates a wave: at least one unit, a target share over 0 and at
    /// most 1, by a day on or after go-live, and no unit already in another
    /// wave of the product; audited in the same transaction. The rollups
    /// follow the new go-live only once rebuilt.
    pub async fn create_wave(&self, wave: &NewWave, audit: &AuditEntry<'_>) -> Result<i32> {
        wave.check()?;
        let id = on_db!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            let members: Vec<(i32, String, String)> = sqlx::query_as(
                "SELECT wu.unit_id, u.code, w.name FROM wave_unit wu JOIN wave w ON w.id = wu.wave_id \
                 JOIN unit u ON u.id = wu.unit_id WHERE w.product_id = $1 ORDER BY u.code")
                .bind(wave.product.0).fetch_all(&mut *tx).await?;
            wave.free_of(members)?;
            let id: i32 = sqlx::query_scalar(
                "INSERT INTO wave (name, product_id, go_live, target_metric, target_value, target_date) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
                .bind(&wave.name).bind(wave.product.0).bind(wave.go_live).bind(wave.target_metric.key())
                .bind(wave.target_value).bind(wave.target_date)
                .fetch_one(&mut *tx).await?;
            for unit in &wave.units {
                sqlx::query("INSERT INTO wave_unit (wave_id, unit_id) VALUES ($1, $2)")
                    .bind(id).bind(unit.0).execute(&mut *tx).await?;
            }
            audit_in!(tx, audit);
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// Changes a wave's name, go-live, target and member units, under the
    /// rules of a new wave (its product stays: a wave of another product is
    /// a new wave); audited in the same transaction. Returns whether its
    /// go-live or its members changed, after which the rollups follow only
    /// once rebuilt; its target and forecast follow at once.
    pub async fn update_wave(
        &self,
        id: i32,
        wave: &NewWave,
        audit: &AuditEntry<'_>,
    ) -> Result<bool> {
        wave.check()?;
        let moved = on_db!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            let stored: Option<(i32, NaiveDate)> =
                sqlx::query_as("SELECT product_id, go_live FROM wave WHERE id = $1")
                    .bind(id).fetch_optional(&mut *tx).await?;
            let Some((product, go_live)) = stored else {
                return Err(StoreError::Rejected(format!("there is no wave {id}")));
            };
            if product != wave.product.0 {
                return Err(StoreError::Rejected(
                    "a wave's product cannot change; add a wave for the other product".into(),
                ));
            }
            let members: Vec<(i32, String, String)> = sqlx::query_as(
                "SELECT wu.unit_id, u.code, w.name FROM wave_unit wu JOIN wave w ON w.id = wu.wave_id \
                 JOIN unit u ON u.id = wu.unit_id WHERE w.product_id = $1 AND w.id <> $2 ORDER BY u.code")
                .bind(product).bind(id).fetch_all(&mut *tx).await?;
            wave.free_of(members)?;
            let mut before: Vec<i32> =
                sqlx::query_scalar("SELECT unit_id FROM wave_unit WHERE wave_id = $1")
                    .bind(id).fetch_all(&mut *tx).await?;
            before.sort_unstable();
            let mut after: Vec<i32> = wave.units.iter().map(|u| u.0).collect();
            after.sort_unstable();
            after.dedup();
            sqlx::query(
                "UPDATE wave SET name = $1, go_live = $2, target_value = $3, target_date = $4 WHERE id = $5")
                .bind(&wave.name).bind(wave.go_live).bind(wave.target_value).bind(wave.target_date).bind(id)
                .execute(&mut *tx).await?;
            if before != after {
                sqlx::query("DELETE FROM wave_unit WHERE wave_id = $1").bind(id).execute(&mut *tx).await?;
                for unit in &after {
                    sqlx::query("INSERT INTO wave_unit (wave_id, unit_id) VALUES ($1, $2)")
                        .bind(id).bind(unit).execute(&mut *tx).await?;
                }
            }
            audit_in!(tx, audit);
            tx.commit().await?;
            go_live != wave.go_live || before != after
        });
        Ok(moved)
    }

    /// Sets a wave's target: a share over 0 and at most 1, by a day on or
    /// after its go-live; audited in the same transaction.
    pub async fn set_wave_target(
        &self,
        wave: i32,
        value: f64,
        target_date: NaiveDate,
        audit: &AuditEntry<'_>,
    ) -> Result<()> {
        valid_target(value)?;
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(
                "UPDATE wave SET target_value = $1, target_date = $2 WHERE id = $3 AND go_live <= $2")
                .bind(value).bind(target_date).bind(wave).execute(&mut *tx).await?.rows_affected();
            if done == 0 {
                return Err(StoreError::Rejected(format!(
                    "wave {wave} does not exist, or {target_date} is before its go-live"
                )));
            }
            audit_in!(tx, audit);
            tx.commit().await?;
        });
        Ok(())
    }

    /// A unit's go-live for the product a subject belongs to (a tool's
    /// product, or the product itself; none for all tools): the earliest of
    /// its own waves' and those of the units above it.
    pub async fn go_live_of(
        &self,
        code: &str,
        subject: domain::catalog::Subject,
    ) -> Result<Option<NaiveDate>> {
        use domain::catalog::Subject;
        let meta = self.meta().await?;
        let product = match subject {
            Subject::Product(p) => Some(p),
            Subject::Tool(t) => meta
                .catalog
                .products()
                .iter()
                .find(|p| p.tools.contains(&t))
                .map(|p| p.id),
            Subject::All => None,
        };
        let Some(product) = product else {
            return Ok(None);
        };
        let chain: Vec<UnitId> = meta
            .unit_path(code)
            .map(|path| path.chain.iter().map(|&(id, _)| id).collect())
            .unwrap_or_default();
        Ok(domain::wave::unit_go_live(
            &self.waves().await?,
            product,
            &chain,
        ))
    }

    pub async fn waves(&self) -> Result<Vec<Wave>> {
        type Row = (i32, String, i32, NaiveDate, String, f64, NaiveDate);
        let (waves, members): (Vec<Row>, Vec<(i32, i32)>) = on_db!(&self.db, pool => (
            sqlx::query_as("SELECT id, name, product_id, go_live, target_metric, target_value, target_date FROM wave ORDER BY go_live, id")
                .fetch_all(pool).await?,
            sqlx::query_as("SELECT wave_id, unit_id FROM wave_unit ORDER BY wave_id, unit_id").fetch_all(pool).await?,
        ));
        waves
            .into_iter()
            .map(
                |(id, name, product, go_live, metric, target_value, target_date)| {
                    Ok(Wave {
                        id,
                        name,
                        product: ProductId(product),
                        go_live,
                        target_metric: TargetMetric::parse(&metric).ok_or_else(|| {
                            StoreError::Rejected(format!(
                                "wave {id} has an unknown target metric '{metric}'"
                            ))
                        })?,
                        target_value,
                        target_date,
                        units: members
                            .iter()
                            .filter(|(w, _)| *w == id)
                            .map(|(_, u)| UnitId(*u))
                            .collect(),
                    })
                },
            )
            .collect()
    }
}

/// A target is a share over 0% and at most 100%.
fn valid_target(value: f64) -> Result<()> {
    if value > 0.0 && value <= 1.0 {
        Ok(())
    } else {
        Err(StoreError::Rejected(format!(
            "a target is a share over 0% and at most 100%, not {:.0}%",
            value * 100.0
        )))
    }
}
