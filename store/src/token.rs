//! Bearer tokens for the push API: only their hashes are stored, each
//! scoped to the tools it may write.

use chrono::Utc;
use domain::catalog::ToolId;

use crate::{
    Store,
    db::on_db,
    error::{Result, StoreError},
};

/// A token as `uptake token list` shows it; never the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub tools: Vec<String>,
    pub revoked: bool,
}

/// What a presented token may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    pub id: i64,
    pub name: String,
    pub tools: Vec<ToolId>,
}

impl Store {
    /// Stores a new token's hash with the tools (by name) it may write.
    pub async fn create_api_token(
        &self,
        name: &str,
        token_hash: &str,
        tools: &[String],
    ) -> Result<i64> {
        let catalog = self.catalog().await?;
        let ids: Vec<ToolId> = tools
            .iter()
            .map(|t| {
                catalog
                    .tool_by_name(t.trim())
                    .map(|tool| tool.id)
                    .ok_or_else(|| {
                        StoreError::NotFound(format!(
                            "tool '{}' (register it with `uptake tool add`)",
                            t.trim()
                        ))
                    })
            })
            .collect::<Result<_>>()?;
        if ids.is_empty() {
            return Err(StoreError::Rejected(
                "a token needs at least one tool".into(),
            ));
        }
        let now = Utc::now();
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            let (id,): (i32,) = sqlx::query_as(
                "INSERT INTO api_token (name, token_hash, created_at) VALUES ($1, $2, $3) RETURNING id")
                .bind(name).bind(token_hash).bind(now).fetch_one(&mut *tx).await?;
            for tool in &ids {
                sqlx::query("INSERT INTO api_token_tool (token_id, tool_id) VALUES ($1, $2)")
                    .bind(id).bind(tool.0).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(i64::from(id))
        })
    }

    /// A live (unrevoked) token by its hash, with the tools it may write;
    /// using it is recorded as its last use.
    pub async fn api_token(&self, token_hash: &str) -> Result<Option<TokenGrant>> {
        let rows: Vec<(i32, String, Option<i32>)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT t.id, t.name, tt.tool_id FROM api_token t LEFT JOIN api_token_tool tt ON tt.token_id = t.id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL")
            .bind(token_hash).fetch_all(pool).await?);
        let Some((id, name, _)) = rows.first().cloned() else {
            return Ok(None);
        };
        on_db!(&self.db, pool => {
            sqlx::query("UPDATE api_token SET last_used_at = $1 WHERE id = $2")
                .bind(Utc::now()).bind(id).execute(pool).await?;
        });
        Ok(Some(TokenGrant {
            id: i64::from(id),
            name,
            tools: rows
                .into_iter()
                .filter_map(|(_, _, t)| t.map(ToolId))
                .collect(),
        }))
    }

    pub async fn revoke_api_token(&self, id: i64) -> Result<()> {
        let id = i32::try_from(id).map_err(|_| StoreError::NotFound(format!("token {id}")))?;
        let done = on_db!(&self.db, pool => sqlx::query(
            "UPDATE api_token SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(Utc::now()).bind(id).execute(pool).await?.rows_affected());
        if done == 0 {
            return Err(StoreError::NotFound(format!("live token {id}")));
        }
        Ok(())
    }

    pub async fn api_tokens(&self) -> Result<Vec<TokenInfo>> {
        let rows: Vec<(i32, String, bool, Option<String>)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT t.id, t.name, t.revoked_at IS NOT NULL, tool.name FROM api_token t \
             LEFT JOIN api_token_tool tt ON tt.token_id = t.id LEFT JOIN tool ON tool.id = tt.tool_id \
             ORDER BY t.id, tool.name").fetch_all(pool).await?);
        let mut out: Vec<TokenInfo> = Vec::new();
        for (id, name, revoked, tool) in rows {
            let id = i64::from(id);
            if out.last().is_none_or(|t| t.id != id) {
                out.push(TokenInfo {
                    id,
                    name,
                    tools: Vec::new(),
                    revoked,
                });
            }
            if let (Some(tool), Some(last)) = (tool, out.last_mut()) {
                last.tools.push(tool);
            }
        }
        Ok(out)
    }
}
