use domain::{catalog::CatalogError, org::OrgError, rollup::BlockError, rollup::RollupError};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL '{0}': use sqlite://… or postgres://…")]
    UnsupportedUrl(String),
    #[error(transparent)]
    Block(#[from] BlockError),
    #[error(transparent)]
    Org(#[from] OrgError),
    #[error(transparent)]
    Rollup(#[from] RollupError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error("{0}")]
    Invalid(String),
    #[error("{0} not found")]
    NotFound(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
