//! Sources, tools and products.

use domain::catalog::{
    BOX, Catalog, M365_TOOLS, MICROSOFT_365, Product, ProductId, Source, Tool, ToolId,
};

use crate::{
    Store,
    db::on_db,
    error::{Result, StoreError},
};

/// The ids of the tools and products every deployment starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandardCatalog {
    pub box_tool: ToolId,
    /// In the order of [`M365_TOOLS`].
    pub m365_tools: Vec<ToolId>,
    pub box_product: ProductId,
    pub m365_product: ProductId,
}

impl Store {
    /// The id of a source's row; the migrations create one per source.
    pub(crate) async fn source_id(&self, source: Source) -> Result<i32> {
        let id: Option<i32> = on_db!(&self.db, pool => sqlx::query_scalar("SELECT id FROM source WHERE name = $1")
            .bind(source.key()).fetch_optional(pool).await?);
        id.ok_or_else(|| StoreError::NotFound(format!("source '{}'", source.key())))
    }

    /// Registers a tool fed by `source`, with a product of the same name
    /// holding just that tool. Registering an existing name returns its id.
    pub async fn register_tool(&self, name: &str, source: Source) -> Result<ToolId> {
        let name = domain::catalog::tool_name(name).map_err(StoreError::Rejected)?;
        let source_id = self.source_id(source).await?;
        let id: i32 = on_db!(&self.db, pool => {
            sqlx::query("INSERT INTO tool (name, source_id) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
                .bind(name).bind(source_id).execute(pool).await?;
            sqlx::query_scalar("SELECT id FROM tool WHERE name = $1").bind(name).fetch_one(pool).await?
        });
        Ok(ToolId(id))
    }

    /// Defines (or redefines) a product as a set of tools.
    pub async fn define_product(&self, name: &str, tools: &[ToolId]) -> Result<ProductId> {
        let id: i32 = on_db!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("INSERT INTO product (name) VALUES ($1) ON CONFLICT (name) DO NOTHING")
                .bind(name).execute(&mut *tx).await?;
            let id: i32 = sqlx::query_scalar("SELECT id FROM product WHERE name = $1")
                .bind(name).fetch_one(&mut *tx).await?;
            sqlx::query("DELETE FROM product_tool WHERE product_id = $1").bind(id).execute(&mut *tx).await?;
            for tool in tools {
                sqlx::query("INSERT INTO product_tool (product_id, tool_id) VALUES ($1, $2)")
                    .bind(id).bind(tool.0).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            id
        });
        Ok(ProductId(id))
    }

    pub(crate) async fn load_catalog(&self) -> Result<Catalog> {
        type IdName = (i32, String);
        let (tools, products, members): (Vec<IdName>, Vec<IdName>, Vec<(i32, i32)>) = on_db!(&self.db, pool => (
            sqlx::query_as("SELECT id, name FROM tool ORDER BY id").fetch_all(pool).await?,
            sqlx::query_as("SELECT id, name FROM product ORDER BY id").fetch_all(pool).await?,
            sqlx::query_as("SELECT product_id, tool_id FROM product_tool ORDER BY product_id, tool_id").fetch_all(pool).await?,
        ));
        let tools = tools
            .into_iter()
            .map(|(id, name)| Tool {
                id: ToolId(id),
                name,
            })
            .collect();
        let products = products
            .into_iter()
            .map(|(id, name)| Product {
                id: ProductId(id),
                name,
                tools: members
                    .iter()
                    .filter(|(p, _)| *p == id)
                    .map(|(_, t)| ToolId(*t))
                    .collect(),
            })
            .collect();
        Ok(Catalog::new(tools, products)?)
    }

    /// The source that feeds each tool.
    pub async fn tool_sources(&self) -> Result<Vec<(ToolId, Source)>> {
        let rows: Vec<(i32, String)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT tool.id, source.name FROM tool JOIN source ON source.id = tool.source_id ORDER BY tool.id"
        ).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .filter_map(|(id, s)| Source::parse(&s).map(|s| (ToolId(id), s)))
            .collect())
    }
}

impl Store {
    /// Registers Box and the Microsoft 365 tools, with their products, if
    /// they are not there yet, and returns their ids.
    pub async fn ensure_standard_catalog(&self) -> Result<StandardCatalog> {
        let box_tool = self.register_tool(BOX, Source::Box).await?;
        let mut m365_tools = Vec::new();
        for name in M365_TOOLS {
            m365_tools.push(self.register_tool(name, Source::M365).await?);
        }
        let existing = self.catalog().await?;
        let product = |name: &str| {
            existing
                .products()
                .iter()
                .find(|p| p.name == name)
                .map(|p| p.id)
        };
        let box_product = match product(BOX) {
            Some(id) => id,
            None => self.define_product(BOX, &[box_tool]).await?,
        };
        let m365_product = match product(MICROSOFT_365) {
            Some(id) => id,
            None => self.define_product(MICROSOFT_365, &m365_tools).await?,
        };
        Ok(StandardCatalog {
            box_tool,
            m365_tools,
            box_product,
            m365_product,
        })
    }

    pub async fn staff_count(&self) -> Result<i64> {
        let n: i64 = on_db!(&self.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM staff").fetch_one(pool).await?);
        Ok(n)
    }
}

impl Store {
    /// Rows in the fact table.
    pub async fn activity_row_count(&self) -> Result<i64> {
        let n: i64 = on_db!(&self.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM activity_daily").fetch_one(pool).await?);
        Ok(n)
    }
}
