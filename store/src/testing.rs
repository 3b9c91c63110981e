//! Throwaway databases for tests: a SQLite file in a temp folder, and a
//! PostgreSQL cluster started in a temp folder on a free port.
//!
//! Set `UPTAKE_TEST_PG_URL` to an admin URL to use a running server instead.
//! Otherwise the first test to ask starts a cluster with `initdb` and
//! `pg_ctl`; a watchdog stops it and removes its folder when the test
//! process exits.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::Command,
    sync::{
        OnceLock,
        atomic::{AtomicU32, Ordering},
    },
};

use crate::{Store, error::Result};

/// A database that lives as long as this value (the SQLite folder) or the
/// test process (the PostgreSQL cluster).
pub struct TestDb {
    pub store: Store,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

pub async fn sqlite() -> Result<TestDb> {
    let dir = tempfile::tempdir().map_err(|e| crate::StoreError::Internal(e.to_string()))?;
    let url = format!("sqlite://{}", dir.path().join("uptake.db").display());
    Ok(TestDb {
        store: Store::connect(&url).await?,
        url,
        _dir: Some(dir),
    })
}

/// A fresh, empty database on the throwaway PostgreSQL cluster.
pub async fn postgres() -> Result<TestDb> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let admin = admin_url();
    let name = format!(
        "uptake_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let pool = sqlx::PgPool::connect(&admin).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await?;
    pool.close().await;
    let url = match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => admin.clone(),
    };
    Ok(TestDb {
        store: Store::connect(&url).await?,
        url,
        _dir: None,
    })
}

/// Both backends, for tests that must give the same answers on each.
pub async fn both() -> Result<Vec<TestDb>> {
    Ok(vec![sqlite().await?, postgres().await?])
}

/// The admin URL of the test cluster, starting one on first use.
pub fn admin_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| match std::env::var("UPTAKE_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => start_cluster()
            .unwrap_or_else(|e| panic!("cannot start a throwaway PostgreSQL cluster: {e}")),
    })
    .clone()
}

fn pg_bin() -> PathBuf {
    let dir =
        std::env::var("UPTAKE_PG_BIN").unwrap_or_else(|_| "/usr/lib/postgresql/15/bin".to_owned());
    PathBuf::from(dir)
}

fn is_root() -> bool {
    static ROOT: OnceLock<bool> = OnceLock::new();
    *ROOT.get_or_init(|| {
        Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
    })
}

/// Runs a PostgreSQL tool, as the `postgres` user when we are root (the
/// server refuses to run as root).
fn run_pg(tool: &str, args: &[&str]) -> std::io::Result<std::process::Output> {
    let exe = pg_bin().join(tool);
    if is_root() {
        Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(exe)
            .args(args)
            .output()
    } else {
        Command::new(exe).args(args).output()
    }
}

fn start_cluster() -> std::result::Result<String, String> {
    let dir = tempfile::Builder::new()
        .prefix("uptake-pg-")
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    let data = dir.join("data");
    if is_root() {
        Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir)
            .status()
            .map_err(|e| e.to_string())?;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let data_s = data.to_string_lossy().into_owned();
    let out = run_pg(
        "initdb",
        &[
            "-D",
            &data_s,
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
    )
    .map_err(|e| format!("initdb: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let opts = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
        dir.display()
    );
    let log = dir.join("log").to_string_lossy().into_owned();
    let out = run_pg(
        "pg_ctl",
        &["-D", &data_s, "-o", &opts, "-l", &log, "-w", "start"],
    )
    .map_err(|e| format!("pg_ctl: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "pg_ctl start failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    spawn_watchdog(&dir, &data_s);
    Ok(format!("postgres://postgres@127.0.0.1:{port}/postgres"))
}

/// Stops the cluster and removes its folder once this process has exited.
fn spawn_watchdog(dir: &Path, data: &str) {
    let pg_ctl = pg_bin().join("pg_ctl");
    let stop = if is_root() {
        format!(
            "runuser -u postgres -- {} -D {data} -m immediate stop",
            pg_ctl.display()
        )
    } else {
        format!("{} -D {data} -m immediate stop", pg_ctl.display())
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; rm -rf {dir}",
        pid = std::process::id(),
        dir = dir.display()
    );
    let _ = Command::new("sh")
        .args(["-c", &script])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}

/// Tries to rewrite (`SET set`) and to delete a table kept read-only (the
/// audit log, published board packs), as an attacker with a database
/// connection but no schema rights would: both must fail.
pub async fn edit_read_only(store: &Store, table: &str, set: &str) -> (Result<()>, Result<()>) {
    use crate::db::on_db;
    let update = format!("UPDATE {table} SET {set}");
    let delete = format!("DELETE FROM {table}");
    on_db!(&store.db, pool => (
        sqlx::query(&update).execute(pool).await.map(|_| ()).map_err(Into::into),
        sqlx::query(&delete).execute(pool).await.map(|_| ()).map_err(Into::into),
    ))
}

/// Renames a table away, so that every statement that reads or writes it
/// fails inside the server as a broken database would: for tests of what
/// users are shown then.
pub async fn break_table(store: &Store, table: &str) -> Result<()> {
    use crate::db::on_db;
    let sql = format!("ALTER TABLE {table} RENAME TO {table}_broken");
    on_db!(&store.db, pool => sqlx::query(&sql).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// An admin viewer and their grant on a unit (the root when `None`), for
/// tests that read views directly rather than through the app.
pub async fn admin_grant(
    store: &Store,
    unit: Option<&str>,
) -> Result<(domain::access::Viewer, domain::access::Grant)> {
    use domain::access::{Role, Viewer};
    let code = match unit {
        Some(c) => c.to_owned(),
        None => store.root_code().await?,
    };
    let path = store
        .unit_path(&code)
        .await?
        .ok_or_else(|| crate::StoreError::NotFound(format!("unit '{code}'")))?;
    let viewer = Viewer {
        account: 0,
        username: "test-admin".into(),
        display_name: "Test admin".into(),
        role: Role::Admin,
        scope: Vec::new(),
        person_lists: false,
        must_change_password: false,
    };
    let grant = viewer
        .authorize(&path)
        .map_err(|d| crate::StoreError::Internal(d.to_string()))?;
    Ok((viewer, grant))
}

/// One stored activity row, by names rather than ids.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct StoredActivity {
    pub day: chrono::NaiveDate,
    pub tool: String,
    pub sign_in: String,
    pub source: String,
    pub actions: i32,
}

/// Every activity row, staff or not (unmatched and external names are
/// `?name`), sorted: for tests that compare what ingestion stored.
pub async fn activity(store: &Store) -> Result<Vec<StoredActivity>> {
    use crate::db::on_db;
    type Row = (chrono::NaiveDate, String, String, String, i32);
    let rows: Vec<Row> = on_db!(&store.db, pool => sqlx::query_as(
        "SELECT a.day, t.name, s.sign_in_lower, src.name, a.actions FROM activity_daily a \
         JOIN tool t ON t.id = a.tool_id JOIN staff s ON s.id = a.staff_id JOIN source src ON src.id = a.source_id \
         UNION ALL \
         SELECT u.day, t.name, '?' || u.user_lower, src.name, u.actions FROM activity_unmatched u \
         JOIN tool t ON t.id = u.tool_id JOIN source src ON src.id = u.source_id"
    ).fetch_all(pool).await?);
    let mut rows: Vec<StoredActivity> = rows
        .into_iter()
        .map(|(day, tool, sign_in, source, actions)| StoredActivity {
            day,
            tool,
            sign_in,
            source,
            actions,
        })
        .collect();
    rows.sort();
    Ok(rows)
}

/// An audit entry for changes tests make.
pub const AUDIT: crate::AuditEntry<'static> = crate::AuditEntry {
    account: None,
    actor: "test",
    action: domain::access::AuditAction::WaveCreated,
    detail: "made by a test",
    scope: "local",
    address: None,
};
