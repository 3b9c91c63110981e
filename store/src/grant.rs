//! The one access check for a unit, usable by any route, server function
//! or command: a viewer and a unit code in, a `Grant` or a refusal out.

use domain::access::{Denied, Grant, UnitPath, Viewer};

use crate::{Store, StoreError, error::Result};

impl Store {
    /// A grant on the unit `code` (`None` is the whole force) for this
    /// viewer, through [`Viewer::authorize`], the only maker of a `Grant`.
    ///
    /// Only those who see every unit learn whether a code exists, and a
    /// restricted unit they may not see answers as an unknown one: a
    /// refused code is `NotFound` for them and `Denied::OutOfScope` for
    /// everyone else.
    pub async fn grant(&self, viewer: &Viewer, code: Option<&str>) -> Result<(Grant, String)> {
        let code = match code {
            Some(c) => c.to_owned(),
            None => self.root_code().await?,
        };
        let refused = || {
            if viewer.role.sees_every_unit() {
                StoreError::NotFound(format!("unit '{code}'"))
            } else {
                StoreError::Denied(Denied::OutOfScope)
            }
        };
        let path = self.unit_path(&code).await?.ok_or_else(refused)?;
        let grant = viewer.authorize(&path).map_err(|_| refused())?;
        Ok((grant, code))
    }

    /// A unit's chain of ancestors as the tree stands now, root first, with
    /// restricted flags: one indexed read of the closure table.
    pub async fn unit_path(&self, code: &str) -> Result<Option<UnitPath>> {
        Ok(self.meta().await?.unit_path(code))
    }

    /// The code of the tree's root, which stands for the whole force.
    pub async fn root_code(&self) -> Result<String> {
        let units = self.units().await?;
        let root = units.iter().find(|u| u.parent.is_none());
        root.map(|u| u.code.clone())
            .ok_or_else(|| StoreError::NotFound(domain::org::NO_TREE.into()))
    }
}
