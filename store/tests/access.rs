//! Accounts, sessions, sign-in throttling, the audit log and unit paths,
//! against SQLite and a throwaway PostgreSQL.

use chrono::{Duration, Utc};
use domain::{
    access::{AuditAction, Role, SessionPolicy},
    formats::UnitRecord,
};
use store::{AuditEntry, NewAccount, Store, testing};

async fn seed_units(store: &Store) {
    let unit = |code: &str, parent: Option<&str>, restricted: bool| UnitRecord {
        code: code.into(),
        parent_code: parent.map(Into::into),
        name: format!("Unit {code}"),
        kind: "unit".into(),
        restricted,
    };
    store
        .apply_units(
            &[
                unit("F", None, false),
                unit("A", Some("F"), false),
                unit("A9", Some("A"), true),
                unit("A9X", Some("A9"), false),
            ],
            "2025-01-01".parse().expect("date"),
        )
        .await
        .expect("units");
}

fn account(name: &str, role: Role, scope: &[&str]) -> NewAccount {
    NewAccount {
        username: name.into(),
        display_name: name.into(),
        role,
        password_hash: Some("$argon2id$placeholder".into()),
        person_lists: false,
        scope: scope.iter().map(|s| (*s).to_owned()).collect(),
        is_demo: false,
        must_change_password: false,
    }
}

/// The audit entry a test's change writes with it.
fn by_test(action: AuditAction) -> AuditEntry<'static> {
    AuditEntry {
        account: None,
        actor: "test",
        action,
        detail: "",
        scope: "local",
        address: None,
    }
}

#[tokio::test]
async fn accounts_sessions_and_the_audit_log_on_both_backends() {
    for db in testing::both().await.expect("databases") {
        let store = &db.store;
        seed_units(store).await;

        let id = store
            .create_account(
                &account("Cmdr.A@Force.Example", Role::UnitCommander, &["A"]),
                &by_test(AuditAction::AccountCreated),
            )
            .await
            .expect("account");
        assert!(
            store
                .create_account(
                    &account("cmdr.a@force.example", Role::Viewer, &[]),
                    &by_test(AuditAction::AccountCreated),
                )
                .await
                .is_err(),
            "usernames are unique whatever their case"
        );
        assert!(
            store
                .create_account(
                    &account("x@force.example", Role::Viewer, &["NOPE"]),
                    &by_test(AuditAction::AccountCreated),
                )
                .await
                .is_err(),
            "a scope names real units"
        );
        // A change and its audit row commit together: the refused ones
        // wrote none.
        let log = store.audit_log(10).await.expect("log");
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].action, "account_created");
        let info = store.account("CMDR.A@force.example").await.expect("lookup");
        assert_eq!(info.viewer.account, id);
        assert_eq!(info.viewer.role, Role::UnitCommander);
        assert_eq!(info.viewer.scope.len(), 1);
        assert_eq!(info.viewer.scope[0].code, "A");

        // Sessions: live, touched, expired, ended, and ended by disabling.
        let policy = SessionPolicy::default();
        store
            .create_session("h1", id, &policy, Some("10.0.0.1"))
            .await
            .expect("session");
        let now = Utc::now();
        let seen = store
            .session_viewer("h1", &policy, now)
            .await
            .expect("read");
        assert_eq!(seen.map(|v| v.account), Some(id));
        assert_eq!(
            store
                .session_viewer("nope", &policy, now)
                .await
                .expect("read"),
            None
        );
        let later = now + policy.idle + Duration::seconds(1);
        assert_eq!(
            store
                .session_viewer("h1", &policy, later)
                .await
                .expect("read"),
            None
        );
        assert_eq!(
            store
                .session_viewer("h1", &policy, now)
                .await
                .expect("read"),
            None,
            "an expired session is deleted, not revived"
        );
        store
            .create_session("h2", id, &policy, None)
            .await
            .expect("session");
        store.end_session("h2").await.expect("end");
        assert_eq!(
            store
                .session_viewer("h2", &policy, now)
                .await
                .expect("read"),
            None
        );
        store
            .create_session("h3", id, &policy, None)
            .await
            .expect("session");
        store
            .disable_account(
                "cmdr.a@force.example",
                &by_test(AuditAction::AccountDisabled),
            )
            .await
            .expect("disable");
        assert!(
            store
                .disable_account(
                    "nobody@force.example",
                    &by_test(AuditAction::AccountDisabled)
                )
                .await
                .is_err()
        );
        assert_eq!(
            store
                .session_viewer("h3", &policy, now)
                .await
                .expect("read"),
            None
        );

        // Guesses are reserved up to the limit within a window, and the
        // window starts again after.
        let key = "address:10.0.0.1";
        let since = Utc::now() - Duration::minutes(15);
        let reserve = |since| store.reserve_guess(key, since, 3);
        for _ in 0..3 {
            assert!(reserve(since).await.expect("reserve"));
        }
        assert!(
            !reserve(since).await.expect("reserve"),
            "a fourth guess is refused"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let fresh = Utc::now();
        for _ in 0..3 {
            assert!(reserve(fresh).await.expect("reserve"), "a new window");
        }
        assert!(!reserve(fresh).await.expect("reserve"));
        store.clear_sign_in_failures(key).await.expect("clear");
        assert!(reserve(fresh).await.expect("reserve"), "cleared");

        // Parallel guesses cannot pass the limit between them.
        let tasks: Vec<_> = (0..30)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { store.reserve_guess("account:parallel", since, 5).await })
            })
            .collect();
        let mut granted = 0;
        for t in tasks {
            granted += usize::from(t.await.expect("task").expect("reserve"));
        }
        assert_eq!(granted, 5);

        // The audit log takes entries and refuses edits at the schema.
        store
            .audit(&AuditEntry {
                account: Some(id),
                actor: "cmdr.a@force.example",
                action: AuditAction::SignIn,
                detail: "password",
                scope: "A",
                address: Some("10.0.0.1"),
            })
            .await
            .expect("audit");
        let log = store.audit_log(10).await.expect("log");
        let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["sign_in", "account_disabled", "account_created"]);
        assert_eq!(log[0].scope, "A");
        let (update, delete) =
            testing::edit_read_only(store, "audit_log", "detail = 'edited'").await;
        assert!(
            update.is_err() && delete.is_err(),
            "the audit log is append-only"
        );
        assert_eq!(store.audit_log(10).await.expect("log"), log);

        // Unit paths come root first with restricted flags.
        let path = store
            .unit_path("A9X")
            .await
            .expect("path")
            .expect("known unit");
        assert_eq!(path.chain.len(), 4);
        assert_eq!(
            path.chain.iter().map(|&(_, r)| r).collect::<Vec<_>>(),
            [false, false, true, false]
        );
        assert_eq!(store.unit_path("ZZ").await.expect("path"), None);
        assert_eq!(store.root_code().await.expect("root"), "F");
    }
}

#[tokio::test]
async fn push_tokens_are_kept_as_hashes_scoped_to_tools_and_revocable_on_both_backends() {
    for db in testing::both().await.expect("databases") {
        let store = &db.store;
        let standard = store.ensure_standard_catalog().await.expect("catalog");
        let hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        assert!(
            store
                .create_api_token("nope", "h0", &["Slack".into()])
                .await
                .is_err(),
            "tools must be registered"
        );
        let id = store
            .create_api_token("evidence feed", hash, &["box".into()])
            .await
            .expect("token");
        let grant = store.api_token(hash).await.expect("lookup").expect("live");
        assert_eq!(
            (grant.id, grant.name.as_str(), grant.tools),
            (id, "evidence feed", vec![standard.box_tool])
        );
        assert_eq!(store.api_token("not-a-token").await.expect("lookup"), None);
        let listed = store.api_tokens().await.expect("list");
        assert_eq!(
            (listed[0].name.as_str(), listed[0].tools.as_slice()),
            ("evidence feed", &["Box".to_owned()][..])
        );
        store.revoke_api_token(id).await.expect("revoke");
        assert_eq!(store.api_token(hash).await.expect("lookup"), None);
        assert!(
            store.revoke_api_token(id).await.is_err(),
            "revoking twice says so"
        );
        assert!(store.api_tokens().await.expect("list")[0].revoked);
    }
}

/// Security finding 10: the SQLite database, its WAL and the folder made
/// for it are readable by their owner only.
#[cfg(unix)]
#[tokio::test]
async fn the_database_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("data").join("uptake.db");
    let store = store::Store::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("connect");
    store.set_setting("probe", "1").await.expect("write");
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("file").permissions().mode() & 0o777;
    assert_eq!(mode(path.parent().expect("folder")), 0o700);
    assert_eq!(mode(&path), 0o600);
    let wal = dir.path().join("data").join("uptake.db-wal");
    assert_eq!(mode(&wal), 0o600);
    store.close().await;
}
