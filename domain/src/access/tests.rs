use chrono::TimeZone;

use super::*;

// force(1) ─ command A(2) ─ team A1(4)
//          │              └ covert A2(5, restricted) ─ cell A2a(6)
//          └ command B(3)
const FORCE: UnitId = UnitId(1);
const A: UnitId = UnitId(2);
const B: UnitId = UnitId(3);
const A1: UnitId = UnitId(4);
const A2: UnitId = UnitId(5);
const A2A: UnitId = UnitId(6);

fn path(units: &[UnitId]) -> UnitPath {
    UnitPath {
        chain: units.iter().map(|&u| (u, u == A2)).collect(),
    }
}

fn viewer(role: Role, scope: &[UnitId], person_lists: bool) -> Viewer {
    Viewer {
        account: 1,
        username: "someone@force.example".into(),
        display_name: "Someone".into(),
        role,
        scope: scope
            .iter()
            .map(|&id| ScopeUnit {
                id,
                code: format!("U{}", id.0),
            })
            .collect(),
        person_lists,
        must_change_password: false,
    }
}

#[test]
fn every_role_sees_the_force_for_comparison() {
    for role in Role::ALL {
        let grant = viewer(role, &[B], false)
            .authorize(&path(&[FORCE]))
            .expect("granted");
        let expected = if role.sees_every_unit() {
            Reach::Full
        } else {
            Reach::ForceComparison
        };
        assert_eq!(grant.reach(), expected, "{role:?}");
    }
}

#[test]
fn commanders_and_viewers_see_their_subtrees_and_nothing_else() {
    for role in [Role::UnitCommander, Role::Viewer] {
        let v = viewer(role, &[A], false);
        assert_eq!(
            v.authorize(&path(&[FORCE, A])).expect("granted").reach(),
            Reach::Full
        );
        assert_eq!(
            v.authorize(&path(&[FORCE, A, A1])).expect("granted").unit(),
            A1
        );
        assert_eq!(v.authorize(&path(&[FORCE, B])), Err(Denied::OutOfScope));
        // A team scope does not open its parent.
        let team = viewer(role, &[A1], false);
        assert_eq!(team.authorize(&path(&[FORCE, A])), Err(Denied::OutOfScope));
    }
}

#[test]
fn managers_see_every_unit_but_not_restricted_ones_without_explicit_scope() {
    for role in [Role::Admin, Role::RolloutManager] {
        let v = viewer(role, &[], false);
        assert!(v.authorize(&path(&[FORCE, B])).is_ok());
        assert_eq!(v.authorize(&path(&[FORCE, A, A2])), Err(Denied::OutOfScope));
        assert_eq!(
            v.authorize(&path(&[FORCE, A, A2, A2A])),
            Err(Denied::OutOfScope)
        );
        let explicit = viewer(role, &[A2], false);
        assert!(explicit.authorize(&path(&[FORCE, A, A2, A2A])).is_ok());
    }
}

#[test]
fn a_scope_above_a_restricted_unit_does_not_open_it() {
    let v = viewer(Role::UnitCommander, &[A], true);
    let a = v.authorize(&path(&[FORCE, A])).expect("granted");
    assert!(v.sees_child(&a, A1, false));
    assert!(!v.sees_child(&a, A2, true));
    assert_eq!(v.authorize(&path(&[FORCE, A, A2])), Err(Denied::OutOfScope));
    // A scope inside the restricted unit opens just that part.
    let cell = viewer(Role::Viewer, &[A2A], false);
    assert!(cell.authorize(&path(&[FORCE, A, A2, A2A])).is_ok());
    assert_eq!(
        cell.authorize(&path(&[FORCE, A, A2])),
        Err(Denied::OutOfScope)
    );
}

#[test]
fn person_lists_need_the_permission_and_a_full_grant() {
    let without = viewer(Role::UnitCommander, &[A], false);
    let grant = without.authorize(&path(&[FORCE, A])).expect("granted");
    assert_eq!(grant.person_lists(), Err(Denied::NeedsPersonLists));

    let with = viewer(Role::UnitCommander, &[A], true);
    let grant = with.authorize(&path(&[FORCE, A, A1])).expect("granted");
    assert_eq!(grant.person_lists().expect("granted").unit(), A1);
    // Not for the force, which they only see for comparison.
    let force = with.authorize(&path(&[FORCE])).expect("granted");
    assert_eq!(force.person_lists(), Err(Denied::NeedsPersonLists));
}

#[test]
fn role_checks() {
    assert!(viewer(Role::Admin, &[], false).require_admin().is_ok());
    assert_eq!(
        viewer(Role::RolloutManager, &[], false).require_admin(),
        Err(Denied::AdminOnly)
    );
    assert_eq!(Role::parse("Rollout-Manager"), Ok(Role::RolloutManager));
    assert!(Role::parse("superuser").is_err());
}

#[test]
fn sessions_end_when_idle_or_too_old() {
    let policy = SessionPolicy {
        idle: Duration::minutes(30),
        absolute: Duration::hours(8),
        per_account: 10,
    };
    let t = |h: u32, m: u32| {
        Utc.with_ymd_and_hms(2026, 11, 25, h, m, 0)
            .single()
            .expect("a time")
    };
    assert!(policy.alive(t(9, 0), t(9, 10), t(9, 39)));
    assert!(
        !policy.alive(t(9, 0), t(9, 10), t(9, 40)),
        "idle for 30 minutes"
    );
    assert!(policy.alive(t(9, 0), t(16, 50), t(16, 59)));
    assert!(
        !policy.alive(t(9, 0), t(16, 50), t(17, 0)),
        "8 hours after sign-in"
    );
    assert!(!policy.needs_touch(t(9, 0), t(9, 0) + Duration::seconds(59)));
    assert!(policy.needs_touch(t(9, 0), t(9, 1)));
}

#[test]
fn group_mappings_combine_and_an_unscoped_one_denies() {
    let mapping = |group: &str, role, scope: &[&str], person_lists| GroupMapping {
        group: group.into(),
        role,
        person_lists,
        scope: scope.iter().map(|s| (*s).to_owned()).collect(),
    };
    assert_eq!(map_groups(&[]), Err(MappingDenied::NoMapping));
    let viewers = mapping("g-view", Role::Viewer, &["C02", "C01"], false);
    let commanders = mapping("g-cmd", Role::UnitCommander, &["C01"], true);
    assert_eq!(
        map_groups(&[viewers.clone(), commanders]),
        Ok(MappedAccess {
            role: Role::UnitCommander,
            scope: vec!["C01".into(), "C02".into()],
            person_lists: true,
        })
    );
    let unscoped = mapping("g-admins", Role::Admin, &[], false);
    assert_eq!(
        map_groups(&[viewers, unscoped]),
        Err(MappingDenied::NoScope)
    );
}

#[test]
fn every_audit_action_has_its_own_stored_key() {
    let keys: std::collections::BTreeSet<&str> = AuditAction::ALL.iter().map(|a| a.key()).collect();
    assert_eq!(keys.len(), AuditAction::ALL.len());
    assert!(
        keys.iter()
            .all(|k| k.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
    );
    // Keys already in audit logs never change.
    assert_eq!(AuditAction::SignInFailed.key(), "sign_in_failed");
    assert_eq!(AuditAction::PersonListViewed.key(), "person_list_viewed");
}
