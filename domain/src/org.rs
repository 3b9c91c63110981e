//! The unit tree. Parents keep history, so figures for a day use the tree
//! as it stood on that day.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::DayNum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UnitId(pub i32);

/// As a message names it (never the Debug form `UnitId(5)`).
impl std::fmt::Display for UnitId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unit id {}", self.0)
    }
}

/// One period of a unit's place in the tree. `valid_to` is exclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitVersion {
    pub unit: UnitId,
    pub parent: Option<UnitId>,
    pub valid_from: DayNum,
    pub valid_to: Option<DayNum>,
}

impl UnitVersion {
    pub fn covers(&self, day: DayNum) -> bool {
        self.valid_from <= day && self.valid_to.is_none_or(|to| day < to)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OrgError {
    #[error("{0} names itself as an ancestor; fix its parent in units.csv")]
    Cycle(UnitId, DayNum),
    #[error("{0} has a parent ({1}) that is not in the unit list")]
    UnknownParent(UnitId, UnitId),
}

/// Every unit that ever existed, with the history of its parent.
#[derive(Debug, Clone)]
pub struct OrgTree {
    ids: Vec<UnitId>,
    index: HashMap<UnitId, usize>,
    versions: Vec<Vec<UnitVersion>>,
}

/// The tree as it stood on one day, in dense indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeSnapshot {
    /// Parent of each unit, or `None` for a root or a unit not in the tree.
    pub parent: Vec<Option<usize>>,
    /// Whether the unit exists on the day.
    pub exists: Vec<bool>,
    /// Existing units ordered so that every unit comes before its parent.
    pub bottom_up: Vec<usize>,
}

impl OrgTree {
    pub fn new(versions: Vec<UnitVersion>) -> Result<Self, OrgError> {
        let mut ids: Vec<UnitId> = versions.iter().map(|v| v.unit).collect();
        ids.sort();
        ids.dedup();
        let index: HashMap<UnitId, usize> =
            ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        let mut per_unit = vec![Vec::new(); ids.len()];
        for version in versions {
            if let Some(parent) = version.parent
                && !index.contains_key(&parent)
            {
                return Err(OrgError::UnknownParent(version.unit, parent));
            }
            per_unit[index[&version.unit]].push(version);
        }
        for list in &mut per_unit {
            list.sort_by_key(|v| v.valid_from);
        }
        Ok(Self {
            ids,
            index,
            versions: per_unit,
        })
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn index_of(&self, unit: UnitId) -> Option<usize> {
        self.index.get(&unit).copied()
    }

    pub fn id(&self, index: usize) -> UnitId {
        self.ids[index]
    }

    /// Days on which the tree changes shape, sorted. Between two of them the
    /// tree is constant.
    pub fn change_days(&self) -> Vec<DayNum> {
        let mut days: Vec<DayNum> = self
            .versions
            .iter()
            .flatten()
            .flat_map(|v| std::iter::once(v.valid_from).chain(v.valid_to))
            .collect();
        days.sort_unstable();
        days.dedup();
        days
    }

    pub fn snapshot(&self, day: DayNum) -> Result<TreeSnapshot, OrgError> {
        let n = self.ids.len();
        let mut exists = vec![false; n];
        let mut parent = vec![None; n];
        for (i, versions) in self.versions.iter().enumerate() {
            if let Some(v) = versions.iter().find(|v| v.covers(day)) {
                exists[i] = true;
                parent[i] = v.parent.and_then(|p| self.index_of(p));
            }
        }
        // A unit whose parent does not exist that day hangs as a root.
        for p in &mut parent {
            if p.is_some_and(|p| !exists[p]) {
                *p = None;
            }
        }
        let mut depth = vec![0usize; n];
        for (i, slot) in depth.iter_mut().enumerate() {
            let mut steps = 0;
            let mut cur = i;
            while let Some(p) = parent[cur] {
                steps += 1;
                if steps > n {
                    return Err(OrgError::Cycle(self.ids[i], day));
                }
                cur = p;
            }
            *slot = steps;
        }
        let mut bottom_up: Vec<usize> = (0..n).filter(|&i| exists[i]).collect();
        bottom_up.sort_by_key(|&i| std::cmp::Reverse(depth[i]));
        Ok(TreeSnapshot {
            parent,
            exists,
            bottom_up,
        })
    }
}

impl OrgTree {
    /// The closure of the tree on `day`: (ancestor, descendant, depth) for
    /// every unit and each of its ancestors, itself at depth 0. A cycle is
    /// an error, found as [`OrgTree::snapshot`] finds it.
    pub fn closure(&self, day: DayNum) -> Result<Vec<(UnitId, UnitId, u32)>, OrgError> {
        let snapshot = self.snapshot(day)?;
        let mut rows = Vec::new();
        for &unit in &snapshot.bottom_up {
            let (mut at, mut depth) = (Some(unit), 0);
            while let Some(ancestor) = at {
                rows.push((self.ids[ancestor], self.ids[unit], depth));
                at = snapshot.parent[ancestor];
                depth += 1;
            }
        }
        Ok(rows)
    }
}

/// Snapshots for every stretch of days in which the tree is constant.
#[derive(Debug, Clone)]
pub struct TreeTimeline {
    starts: Vec<DayNum>,
    snapshots: Vec<TreeSnapshot>,
}

impl TreeTimeline {
    pub fn new(tree: &OrgTree) -> Result<Self, OrgError> {
        let mut starts = vec![DayNum::MIN];
        starts.extend(tree.change_days());
        let snapshots = starts
            .iter()
            .map(|&day| tree.snapshot(day))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { starts, snapshots })
    }

    /// The index of the stretch that holds `day`.
    pub fn epoch(&self, day: DayNum) -> usize {
        self.starts.partition_point(|&s| s <= day).saturating_sub(1)
    }

    pub fn snapshot(&self, epoch: usize) -> &TreeSnapshot {
        &self.snapshots[epoch]
    }

    pub fn epochs(&self) -> usize {
        self.snapshots.len()
    }

    /// The stretches that cover `from..to` (end exclusive), each clipped to
    /// it: (epoch, first day, end exclusive).
    pub fn stretches(
        &self,
        from: DayNum,
        to: DayNum,
    ) -> impl Iterator<Item = (usize, DayNum, DayNum)> + '_ {
        (self.epoch(from)..self.epochs())
            .map(move |e| {
                let end = self.starts.get(e + 1).copied().unwrap_or(DayNum::MAX);
                (e, self.starts[e].max(from), end.min(to))
            })
            .take_while(|(_, first, end)| first < end)
    }
}

/// Unit codes written as a list in text (`open=C01,C01-B1` in a link, or
/// "C01, C02" in a form): split on commas and white space, blanks dropped.
pub fn unit_codes(text: Option<&str>) -> Vec<String> {
    text.unwrap_or_default()
        .split([',', ' ', '\t', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// What a store read says when there is no unit tree yet (a new install);
/// the pages show how to start instead of an error when they see it.
pub const NO_TREE: &str = "unit tree yet";

#[cfg(test)]
mod tests {
    use super::*;

    fn v(unit: i32, parent: Option<i32>, from: DayNum, to: Option<DayNum>) -> UnitVersion {
        UnitVersion {
            unit: UnitId(unit),
            parent: parent.map(UnitId),
            valid_from: from,
            valid_to: to,
        }
    }

    #[test]
    fn the_closure_lists_every_ancestor_with_its_depth_and_refuses_a_cycle() {
        let tree = OrgTree::new(vec![
            v(1, None, 0, None),
            v(2, Some(1), 0, None),
            v(4, Some(2), 0, Some(10)),
            v(4, Some(1), 10, None),
        ])
        .expect("valid tree");
        let mut rows = tree.closure(5).expect("no cycle");
        rows.sort();
        let id = UnitId;
        assert_eq!(
            rows,
            [
                (id(1), id(1), 0),
                (id(1), id(2), 1),
                (id(1), id(4), 2),
                (id(2), id(2), 0),
                (id(2), id(4), 1),
                (id(4), id(4), 0),
            ]
        );
        assert!(
            tree.closure(10)
                .expect("no cycle")
                .contains(&(id(1), id(4), 1))
        );
        let cycle = OrgTree::new(vec![v(1, Some(2), 0, None), v(2, Some(1), 0, None)])
            .expect("known parents");
        assert!(matches!(cycle.closure(0), Err(OrgError::Cycle(_, 0))));
    }

    #[test]
    fn reparenting_changes_the_snapshot_on_its_day() {
        // 1 is the root; 2 and 3 are commands; team 4 moves from 2 to 3 on day 10.
        let tree = OrgTree::new(vec![
            v(1, None, 0, None),
            v(2, Some(1), 0, None),
            v(3, Some(1), 0, None),
            v(4, Some(2), 0, Some(10)),
            v(4, Some(3), 10, None),
        ])
        .expect("valid tree");
        let timeline = TreeTimeline::new(&tree).expect("no cycles");
        let before = timeline.snapshot(timeline.epoch(9));
        let after = timeline.snapshot(timeline.epoch(10));
        let team = tree.index_of(UnitId(4)).expect("team 4");
        assert_eq!(before.parent[team], tree.index_of(UnitId(2)));
        assert_eq!(after.parent[team], tree.index_of(UnitId(3)));
        assert_eq!(before.bottom_up[0], team);
    }

    #[test]
    fn a_cycle_is_reported_with_its_unit() {
        let tree = OrgTree::new(vec![v(1, Some(2), 0, None), v(2, Some(1), 0, None)])
            .expect("known parents");
        assert!(matches!(tree.snapshot(5), Err(OrgError::Cycle(_, 5))));
    }

    #[test]
    fn an_unknown_parent_is_rejected() {
        let err = OrgTree::new(vec![v(1, Some(9), 0, None)]).expect_err("parent 9 is unknown");
        assert_eq!(err, OrgError::UnknownParent(UnitId(1), UnitId(9)));
    }
}
