//! What a viewer sees whole, whatever the publication decision: the units
//! whose people it may list (`docs/disclosure.md`, "Person-level lists").

use std::collections::{BTreeSet, HashSet};

use domain::{
    access::{Reach, Viewer},
    org::UnitId,
};

use crate::{Store, error::Result};

/// The units whose cells a viewer sees as they are, whatever the decision
/// (DESIGN.md: a holder of a unit's person-level lists may see its own
/// figures whatever their size): the units it may list the people of,
/// with no restricted unit on their path or under them. The decision
/// already counts such an account as knowing them (`Audience`), so it
/// protects the other cells from it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Sight(BTreeSet<UnitId>);

impl Sight {
    /// Everyone else: the published cells only.
    pub fn published_only() -> Self {
        Self::default()
    }

    /// Which of `units` this sight sees whole.
    pub fn among(&self, units: &[UnitId]) -> Vec<UnitId> {
        units.iter().copied().filter(|u| self.sees(*u)).collect()
    }

    /// Whether it sees `unit` whole.
    pub fn sees(&self, unit: UnitId) -> bool {
        self.0.contains(&unit)
    }
}

impl Store {
    /// What `viewer` sees whole ([`Sight`]).
    pub async fn sight(&self, viewer: &Viewer) -> Result<Sight> {
        if !viewer.person_lists {
            return Ok(Sight::published_only());
        }
        let meta = self.meta().await?;
        // Units with a restricted unit at or under them.
        let mut guarded: HashSet<UnitId> = HashSet::new();
        for unit in meta.units.iter().filter(|u| u.restricted) {
            let mut at = Some(unit.id);
            while let Some(id) = at.filter(|id| guarded.insert(*id)) {
                at = meta.unit(id).and_then(|u| u.parent);
            }
        }
        Ok(Sight(
            meta.units
                .iter()
                .filter(|u| !guarded.contains(&u.id))
                .filter(|u| {
                    meta.unit_path(&u.code).is_some_and(|path| {
                        path.chain.iter().all(|&(_, restricted)| !restricted)
                            && viewer
                                .authorize(&path)
                                .is_ok_and(|g| g.reach() == Reach::Full)
                    })
                })
                .map(|u| u.id)
                .collect(),
        ))
    }
}
