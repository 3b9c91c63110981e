//! Exclusive jobs across processes: a second connection (as another app
//! server would have) cannot take a job while the first holds it.

use store::{Store, testing};

#[tokio::test]
async fn a_job_runs_in_one_place_at_a_time_on_both_backends() {
    for db in testing::both().await.expect("databases") {
        let other = Store::connect(&db.url).await.expect("second server");
        let first = db
            .store
            .try_lock_job("sync.box", "server-a:1")
            .await
            .expect("lock")
            .expect("free");
        let held = other
            .try_lock_job("sync.box", "server-b:2")
            .await
            .expect("lock")
            .err()
            .expect("held by the first");
        assert_eq!(held.holder, "server-a:1", "{:?}", db.store.backend());
        // Another job is free meanwhile.
        let m365 = other
            .try_lock_job("sync.m365", "server-b:2")
            .await
            .expect("lock")
            .expect("another job");
        first.release().await.expect("release");
        let second = other
            .try_lock_job("sync.box", "server-b:2")
            .await
            .expect("lock")
            .expect("free again");
        second.release().await.expect("release");
        m365.release().await.expect("release");
        assert_eq!(db.store.job_holder("sync.box").await.expect("holder"), None);
    }
}

#[tokio::test]
async fn a_postgres_lock_goes_with_its_connection_when_a_server_dies() {
    let db = testing::postgres().await.expect("database");
    let dying = Store::connect(&db.url).await.expect("server a");
    let lock = dying
        .try_lock_job("sync.m365", "server-a:1")
        .await
        .expect("lock")
        .expect("free");
    drop(lock);
    dying.close().await;
    // The server ends the dead connection's session a moment after the
    // socket closes; the lock goes with it.
    let waited = std::time::Instant::now();
    loop {
        let taken = db
            .store
            .try_lock_job("sync.m365", "server-b:2")
            .await
            .expect("lock");
        if taken.is_ok() {
            break;
        }
        assert!(
            waited.elapsed() < std::time::Duration::from_secs(10),
            "the dead server's lock was never freed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
