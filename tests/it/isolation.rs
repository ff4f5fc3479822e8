//! Transaction isolation through the real SQL front end: tokio-postgres clients against a
//! `strata::LocalCluster` (three safekeepers, a pageserver and a compute in this process,
//! over loopback gRPC and the PostgreSQL protocol).
//!
//! - REPEATABLE READ is snapshot isolation, as in PostgreSQL: a write skew between two
//!   transactions that update *different* rows commits (documented, asserted);
//! - REPEATABLE READ fails with 40001 when it updates or deletes a row changed since its
//!   snapshot, whether the change committed before the statement or while it waited for the
//!   row lock (a writer that rolls back lets it through);
//! - SERIALIZABLE prevents the write skew REPEATABLE READ allows: the second of two
//!   transactions that each read what the other wrote fails with 40001 at COMMIT.
//!
//! The engine-level versions of the lock and 40001 rules are in
//! `compute/tests/it/engine_concurrency.rs`; these tests check what a client sees.

use std::sync::Arc;
use std::time::Duration;

use strata::{LocalCluster, LocalClusterConfig};
use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

use crate::harness::{SQL_STEP, exec, pg_connect, text_rows};

pub(crate) async fn cluster() -> (tempfile::TempDir, LocalCluster) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = LocalClusterConfig::new(dir.path().join("data"));
    config.port = 0;
    config.cache_bytes = Some(16 << 20);
    let cluster = tokio::time::timeout(Duration::from_secs(60), LocalCluster::start(config))
        .await
        .expect("start in time")
        .expect("start the local cluster");
    (dir, cluster)
}

pub(crate) async fn stop(cluster: LocalCluster) {
    tokio::time::timeout(Duration::from_secs(60), cluster.stop())
        .await
        .expect("stop in time");
}

/// The single value of `sql`'s single row, as text.
pub(crate) async fn value(c: &Client, sql: &str) -> String {
    let rows = text_rows(c, sql).await;
    assert_eq!(rows.len(), 1, "{sql}: {rows:?}");
    rows[0][0].clone().unwrap_or_else(|| panic!("{sql}: NULL"))
}

/// The SQLSTATE `sql` fails with; panics if it succeeds.
pub(crate) async fn error_code(c: &Client, sql: &str) -> SqlState {
    let e = tokio::time::timeout(SQL_STEP, c.batch_execute(sql))
        .await
        .unwrap_or_else(|_| panic!("{sql}: no answer within {SQL_STEP:?}"))
        .expect_err(sql);
    e.code()
        .cloned()
        .unwrap_or_else(|| panic!("{sql}: not a server error: {e:?}"))
}

/// Two doctors are on call; the rule "at least one stays on call" is checked by reading the
/// count, not enforced by a write both transactions touch. Under REPEATABLE READ (snapshot
/// isolation) both read 2, each takes *himself* off call — different rows, so no write
/// conflicts — and both commit: nobody is on call. PostgreSQL's REPEATABLE READ allows the
/// same anomaly (only its SERIALIZABLE prevents it, see below); this test pins that
/// documented behaviour so a change to it is noticed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeatable_read_allows_write_skew_as_postgresql_does() {
    let (_dir, cluster) = cluster().await;
    let port = cluster.postgres_addr.port();
    let (alice, bob) = (pg_connect(port).await, pg_connect(port).await);
    exec(
        &alice,
        "CREATE TABLE doctors (id int4 PRIMARY KEY, name text NOT NULL, on_call bool NOT NULL);
         INSERT INTO doctors VALUES (1, 'alice', true), (2, 'bob', true)",
    )
    .await;
    let on_call = "SELECT count(*) FROM doctors WHERE on_call";
    for c in [&alice, &bob] {
        exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ").await;
        assert_eq!(value(c, on_call).await, "2", "both see two doctors on call");
    }
    exec(&alice, "UPDATE doctors SET on_call = false WHERE id = 1").await;
    exec(&bob, "UPDATE doctors SET on_call = false WHERE id = 2").await;
    exec(&alice, "COMMIT").await;
    // Bob's snapshot still has Alice on call (and his own change).
    assert_eq!(value(&bob, on_call).await, "1");
    exec(&bob, "COMMIT").await;
    assert_eq!(
        value(&alice, on_call).await,
        "0",
        "write skew: both commits went through"
    );
    drop((alice, bob));
    stop(cluster).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeatable_read_fails_with_40001_on_rows_changed_since_its_snapshot() {
    let (_dir, cluster) = cluster().await;
    let port = cluster.postgres_addr.port();
    let a = Arc::new(pg_connect(port).await);
    let b = pg_connect(port).await;
    exec(
        &b,
        "CREATE TABLE t (id int4 PRIMARY KEY, v int8 NOT NULL);
         INSERT INTO t VALUES (1, 100), (2, 200), (3, 300)",
    )
    .await;
    let v = |id: i32| format!("SELECT v FROM t WHERE id = {id}");

    // 1. The change committed before the statement: UPDATE and DELETE fail, the snapshot
    //    still shows the old value, the whole transaction rolls back.
    exec(&a, "BEGIN ISOLATION LEVEL REPEATABLE READ").await;
    assert_eq!(value(&a, &v(1)).await, "100", "snapshot taken");
    exec(
        &b,
        "UPDATE t SET v = v + 1 WHERE id = 1; UPDATE t SET v = v + 1 WHERE id = 3",
    )
    .await;
    assert_eq!(value(&a, &v(1)).await, "100", "still the snapshot's value");
    exec(&a, "UPDATE t SET v = v + 10 WHERE id = 2").await;
    assert_eq!(
        error_code(&a, "UPDATE t SET v = v + 10 WHERE id = 1").await,
        SqlState::T_R_SERIALIZATION_FAILURE
    );
    exec(&a, "ROLLBACK").await;
    exec(&a, "BEGIN ISOLATION LEVEL REPEATABLE READ").await;
    assert_eq!(value(&a, &v(3)).await, "301");
    exec(&b, "UPDATE t SET v = v + 1 WHERE id = 3").await;
    assert_eq!(
        error_code(&a, "DELETE FROM t WHERE id = 3").await,
        SqlState::T_R_SERIALIZATION_FAILURE
    );
    exec(&a, "ROLLBACK").await;
    let all = text_rows(&b, "SELECT id, v FROM t ORDER BY id").await;
    let all: Vec<(String, String)> = all
        .into_iter()
        .map(|r| {
            (
                r[0].clone().unwrap_or_default(),
                r[1].clone().unwrap_or_default(),
            )
        })
        .collect();
    let want = [("1", "101"), ("2", "200"), ("3", "302")];
    assert_eq!(
        all,
        want.map(|(i, v)| (i.to_string(), v.to_string())),
        "only b's committed changes"
    );

    // 2. The change commits while the RR update waits for the row lock: 40001; a writer
    //    that rolls back instead lets the update through.
    for (end, snapshot, want) in [("COMMIT", "200", None), ("ROLLBACK", "201", Some("402"))] {
        exec(&b, "BEGIN; UPDATE t SET v = v + 1 WHERE id = 2").await;
        exec(&a, "BEGIN ISOLATION LEVEL REPEATABLE READ").await;
        assert_eq!(
            value(&a, &v(2)).await,
            snapshot,
            "b's change is not committed"
        );
        let waiter = {
            let a = a.clone();
            tokio::spawn(
                async move { a.batch_execute("UPDATE t SET v = v * 2 WHERE id = 2").await },
            )
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!waiter.is_finished(), "the update waits for b's row lock");
        exec(&b, end).await;
        let result = tokio::time::timeout(SQL_STEP, waiter)
            .await
            .expect("the waiting update ends once b does")
            .expect("task");
        match want {
            None => {
                let e = result.expect_err("a newer committed version: 40001");
                assert_eq!(
                    e.code(),
                    Some(&SqlState::T_R_SERIALIZATION_FAILURE),
                    "{e:?}"
                );
                exec(&a, "ROLLBACK").await;
            }
            Some(want) => {
                result.expect("b rolled back: the row did not change");
                exec(&a, "COMMIT").await;
                assert_eq!(value(&b, &v(2)).await, want);
            }
        }
    }
    drop(a);
    drop(b);
    stop(cluster).await;
}

/// The same two doctors under SERIALIZABLE: both read the count, each takes himself off
/// call, the first COMMIT goes through and the second fails with 40001 (as in PostgreSQL,
/// whose SSI cancels the second); one doctor stays on call. Every way of asking for the
/// level reaches it, and `SHOW transaction_isolation` names it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serializable_prevents_write_skew() {
    let (_dir, cluster) = cluster().await;
    let port = cluster.postgres_addr.port();
    let (alice, bob) = (pg_connect(port).await, pg_connect(port).await);
    exec(
        &alice,
        "CREATE TABLE doctors (id int4 PRIMARY KEY, name text NOT NULL, on_call bool NOT NULL);
         INSERT INTO doctors VALUES (1, 'alice', true), (2, 'bob', true)",
    )
    .await;
    let on_call = "SELECT count(*) FROM doctors WHERE on_call";
    exec(&alice, "BEGIN ISOLATION LEVEL SERIALIZABLE").await;
    exec(&bob, "START TRANSACTION ISOLATION LEVEL SERIALIZABLE").await;
    for c in [&alice, &bob] {
        assert_eq!(value(c, "SHOW transaction_isolation").await, "serializable");
        assert_eq!(value(c, on_call).await, "2", "both see two doctors on call");
    }
    exec(&alice, "UPDATE doctors SET on_call = false WHERE id = 1").await;
    exec(&bob, "UPDATE doctors SET on_call = false WHERE id = 2").await;
    exec(&alice, "COMMIT").await;
    assert_eq!(
        error_code(&bob, "COMMIT").await,
        SqlState::T_R_SERIALIZATION_FAILURE,
        "the second committer read what the first changed"
    );
    assert_eq!(value(&bob, on_call).await, "1", "one doctor stays on call");

    // A retry after the failure sees the first commit and may decide again.
    exec(&bob, "SET default_transaction_isolation = 'serializable'").await;
    exec(&bob, "BEGIN").await;
    assert_eq!(
        value(&bob, "SHOW transaction_isolation").await,
        "serializable"
    );
    assert_eq!(value(&bob, on_call).await, "1");
    exec(&bob, "COMMIT").await;
    exec(&bob, "BEGIN; SET TRANSACTION ISOLATION LEVEL SERIALIZABLE").await;
    exec(&bob, "UPDATE doctors SET on_call = true WHERE id = 1").await;
    exec(&bob, "COMMIT").await;
    assert_eq!(value(&alice, on_call).await, "2");
    drop((alice, bob));
    stop(cluster).await;
}

/// Concurrent withdrawals that each check the combined balance of two accounts before
/// taking from one of them: under SERIALIZABLE (retrying on 40001, as applications do)
/// the combined balance never goes below zero, although each transaction writes a
/// different row than the one the other checks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serializable_withdrawals_keep_their_invariant() {
    let (_dir, cluster) = cluster().await;
    let port = cluster.postgres_addr.port();
    let setup = pg_connect(port).await;
    exec(
        &setup,
        "CREATE TABLE acct (id int4 PRIMARY KEY, balance int8 NOT NULL);
         INSERT INTO acct VALUES (1, 100), (2, 100)",
    )
    .await;
    let mut tasks = Vec::new();
    for worker in 0..4i32 {
        let c = pg_connect(port).await;
        tasks.push(tokio::spawn(async move {
            let (mut done, mut retries) = (0, 0);
            while done < 10 && retries < 500 {
                let r = async {
                    c.batch_execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
                        .await?;
                    let total: i64 = c
                        .query_one("SELECT sum(balance)::int8 FROM acct", &[])
                        .await?
                        .get(0);
                    if total >= 30 {
                        let id = worker % 2 + 1;
                        c.execute(
                            "UPDATE acct SET balance = balance - 30 WHERE id = $1",
                            &[&id],
                        )
                        .await?;
                    }
                    // A pause inside the transaction makes the others overlap it.
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    c.batch_execute("COMMIT").await
                }
                .await;
                match r {
                    Ok(()) => done += 1,
                    Err(e) => {
                        assert_eq!(
                            e.code(),
                            Some(&SqlState::T_R_SERIALIZATION_FAILURE),
                            "{e:?}"
                        );
                        let _ = c.batch_execute("ROLLBACK").await;
                        retries += 1;
                    }
                }
            }
            (done, retries)
        }));
    }
    let mut retries = 0;
    for t in tasks {
        let (done, r) = tokio::time::timeout(Duration::from_secs(120), t)
            .await
            .expect("the workers finish in time")
            .expect("a worker panicked");
        assert_eq!(done, 10, "every worker committed its transactions");
        retries += r;
    }
    let total: i64 = value(&setup, "SELECT sum(balance) FROM acct")
        .await
        .parse()
        .expect("a number");
    assert!(total >= 0, "the combined balance went to {total}");
    assert_eq!(total, 200 - 30 * 6, "six withdrawals fit, no more");
    eprintln!("serializable withdrawals: {retries} retries on 40001");
    drop(setup);
    stop(cluster).await;
}

/// A session blocked on a row lock is visible as PostgreSQL shows it: `pg_locks` lists the
/// holder's granted locks and the waiter's ungranted one (with `waitstart`),
/// `pg_blocking_pids` names the holder, `pg_stat_activity` shows the waiter in a `Lock`
/// wait; once the holder commits the waiter goes on and the locks are gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_session_shows_in_pg_locks_and_pg_blocking_pids() {
    let (_dir, cluster) = cluster().await;
    let port = cluster.postgres_addr.port();
    let holder = pg_connect(port).await;
    let waiter = Arc::new(pg_connect(port).await);
    let watcher = pg_connect(port).await;
    exec(
        &holder,
        "CREATE TABLE t (id int4 PRIMARY KEY, v int8 NOT NULL); INSERT INTO t VALUES (1, 0)",
    )
    .await;
    let holder_pid = value(&holder, "SELECT pg_backend_pid()").await;
    let waiter_pid = value(&waiter, "SELECT pg_backend_pid()").await;
    exec(&holder, "BEGIN; UPDATE t SET v = 1 WHERE id = 1").await;
    let blocked = {
        let waiter = waiter.clone();
        tokio::spawn(async move { exec(&waiter, "UPDATE t SET v = 2 WHERE id = 1").await })
    };
    // The waiter's lock appears, ungranted, with the holder as its blocker.
    let deadline = tokio::time::Instant::now() + SQL_STEP;
    let waiting = format!(
        "SELECT locktype, relation::regclass::text, mode, waitstart IS NOT NULL
           FROM pg_locks WHERE pid = {waiter_pid} AND NOT granted"
    );
    let row = loop {
        let rows = text_rows(&watcher, &waiting).await;
        if let Some(r) = rows.into_iter().next() {
            break r;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the waiter never blocked"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let row: Vec<String> = row.into_iter().map(Option::unwrap_or_default).collect();
    assert_eq!(row, ["tuple", "t", "ExclusiveLock", "t"]);
    assert_eq!(
        value(
            &watcher,
            &format!("SELECT pg_blocking_pids({waiter_pid})::text")
        )
        .await,
        format!("{{{holder_pid}}}")
    );
    assert_eq!(
        value(
            &watcher,
            &format!("SELECT pg_blocking_pids({holder_pid})::text")
        )
        .await,
        "{}"
    );
    assert_eq!(
        value(
            &watcher,
            &format!(
                "SELECT wait_event_type || '/' || wait_event FROM pg_stat_activity WHERE pid = {waiter_pid}"
            )
        )
        .await,
        "Lock/tuple"
    );
    // The holder's locks: the table (shared, as DML takes it) and the row.
    let held = text_rows(
        &watcher,
        &format!(
            "SELECT locktype, mode FROM pg_locks WHERE pid = {holder_pid} AND granted ORDER BY 1, 2"
        ),
    )
    .await;
    let held: Vec<Vec<String>> = held
        .into_iter()
        .map(|r| r.into_iter().map(Option::unwrap_or_default).collect())
        .collect();
    assert!(
        held.contains(&vec!["tuple".to_string(), "ExclusiveLock".to_string()])
            && held.contains(&vec!["relation".to_string(), "AccessShareLock".to_string()]),
        "{held:?}"
    );
    exec(&holder, "COMMIT").await;
    tokio::time::timeout(SQL_STEP, blocked)
        .await
        .expect("the waiter goes on once the holder commits")
        .expect("waiter task");
    assert_eq!(value(&watcher, "SELECT v FROM t WHERE id = 1").await, "2");
    assert_eq!(
        value(
            &watcher,
            &format!("SELECT count(*) FROM pg_locks WHERE pid IN ({holder_pid}, {waiter_pid})")
        )
        .await,
        "0"
    );
    stop(cluster).await;
}

/// Advisory locks between sessions, as migration tools use them: a held key makes another
/// session's `pg_try_advisory_lock` false and its `pg_advisory_lock` wait (visible in
/// `pg_locks` and `pg_blocking_pids`) until the holder's session ends; a transaction-level
/// lock goes at COMMIT.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn advisory_locks_exclude_other_sessions_until_released() {
    let (_dir, cluster) = cluster().await;
    let port = cluster.postgres_addr.port();
    let a = pg_connect(port).await;
    let b = Arc::new(pg_connect(port).await);
    let watcher = pg_connect(port).await;
    let a_pid = value(&a, "SELECT pg_backend_pid()").await;
    let b_pid = value(&b, "SELECT pg_backend_pid()").await;

    // Transaction level: released by COMMIT.
    exec(&a, "BEGIN; SELECT pg_advisory_xact_lock(11)").await;
    assert_eq!(
        value(&b, "SELECT pg_try_advisory_lock(11)::text").await,
        "false"
    );
    exec(&a, "COMMIT").await;
    assert_eq!(
        value(&b, "SELECT pg_try_advisory_lock(11)::text").await,
        "true"
    );
    assert_eq!(
        value(&b, "SELECT pg_advisory_unlock(11)::text").await,
        "true"
    );

    // Session level: a waiter blocks until the holder's session ends.
    exec(&a, "SELECT pg_advisory_lock(10)").await;
    assert_eq!(
        value(&b, "SELECT pg_try_advisory_lock(10)::text").await,
        "false"
    );
    let waiting = {
        let b = b.clone();
        tokio::spawn(async move { exec(&b, "SELECT pg_advisory_lock(10)").await })
    };
    let deadline = tokio::time::Instant::now() + SQL_STEP;
    loop {
        let blockers = value(&watcher, &format!("SELECT pg_blocking_pids({b_pid})::text")).await;
        if blockers == format!("{{{a_pid}}}") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the waiter never showed as blocked: {blockers}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        value(
            &watcher,
            &format!(
                "SELECT locktype || ' ' || objid || ' ' || mode FROM pg_locks WHERE pid = {b_pid} AND NOT granted"
            )
        )
        .await,
        "advisory 10 ExclusiveLock"
    );
    drop(a);
    tokio::time::timeout(SQL_STEP, waiting)
        .await
        .expect("the waiter gets the lock once the holder's session ends")
        .expect("waiter task");
    assert_eq!(
        value(
            &watcher,
            &format!("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = {b_pid} AND granted")
        )
        .await,
        "1"
    );
    stop(cluster).await;
}

/// LOCK TABLE holds the table against other sessions until the transaction ends; NOWAIT
/// fails at once with 55P03 instead of waiting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_table_excludes_other_sessions_and_nowait_fails_at_once() {
    let (_dir, cluster) = cluster().await;
    let port = cluster.postgres_addr.port();
    let a = pg_connect(port).await;
    let b = pg_connect(port).await;
    exec(&a, "CREATE TABLE lt (id int4 PRIMARY KEY)").await;
    exec(&a, "BEGIN; LOCK TABLE lt IN ACCESS EXCLUSIVE MODE").await;
    exec(&b, "BEGIN").await;
    assert_eq!(
        error_code(&b, "LOCK TABLE lt IN ROW EXCLUSIVE MODE NOWAIT").await,
        SqlState::LOCK_NOT_AVAILABLE
    );
    exec(&b, "ROLLBACK").await;
    exec(&a, "COMMIT").await;
    exec(
        &b,
        "BEGIN; LOCK TABLE lt IN SHARE MODE NOWAIT; INSERT INTO lt VALUES (1); COMMIT",
    )
    .await;
    assert_eq!(value(&a, "SELECT count(*) FROM lt").await, "1");
    stop(cluster).await;
}
