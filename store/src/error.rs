use domain::{
    access::Denied, catalog::CatalogError, org::OrgError, rollup::BlockError, rollup::RollupError,
};

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
    /// Something the user can fix, with a plain reason they may read.
    #[error("{0}")]
    Rejected(String),
    #[error("{0} not found")]
    NotFound(String),
    /// A viewer asked for what their role or scope does not allow.
    #[error(transparent)]
    Denied(#[from] Denied),
    /// A failure inside the server: its text is for the log, not for users.
    #[error("{0}")]
    Internal(String),
}

impl StoreError {
    /// Whether the person asking can fix it, and so may read its text.
    /// Anything else is an internal failure, shown only by reference.
    pub fn is_users_to_fix(&self) -> bool {
        matches!(
            self,
            StoreError::Rejected(_)
                | StoreError::NotFound(_)
                | StoreError::Denied(_)
                | StoreError::Org(_)
                | StoreError::Catalog(_)
        )
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
