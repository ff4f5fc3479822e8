//! `SELECT ... FOR UPDATE / FOR NO KEY UPDATE / FOR SHARE / FOR KEY SHARE` through the real
//! SQL front end, two or more tokio-postgres sessions against a `strata::LocalCluster`:
//!
//! - a locked row makes writers and other lockers wait; NOWAIT fails with 55P03 at once and
//!   SKIP LOCKED leaves the row out (tables with and without a primary key);
//! - shared locks (`FOR SHARE`, `FOR KEY SHARE`) go together and keep writers out;
//! - a waiting `FOR UPDATE` under Read Committed returns the row's newest version, or drops
//!   the row when that version no longer satisfies WHERE (EvalPlanQual); under Repeatable
//!   Read a row changed since the snapshot fails with 40001;
//! - a job queue worked by several sessions with `FOR UPDATE SKIP LOCKED` in a subquery
//!   hands every job to exactly one worker.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use tokio_postgres::error::SqlState;

use crate::harness::{exec, pg_connect, text_rows};
use crate::isolation::{cluster, error_code, stop, value};

/// The first column of every row of `sql`.
async fn column(c: &tokio_postgres::Client, sql: &str) -> Vec<String> {
    text_rows(c, sql)
        .await
        .into_iter()
        .map(|r| r[0].clone().unwrap_or_default())
        .collect()
}

/// Whether `task` is still waiting after a moment.
async fn still_waiting<T>(task: &tokio::task::JoinHandle<T>) -> bool {
    tokio::time::sleep(Duration::from_millis(400)).await;
    !task.is_finished()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locked_rows_make_others_wait_fail_with_nowait_or_be_skipped() {
    let (_dir, cluster) = cluster().await;
    let port = cluster.postgres_addr.port();
    let a = pg_connect(port).await;
    let b = Arc::new(pg_connect(port).await);
    exec(
        &a,
        "CREATE TABLE jobs (id int4 PRIMARY KEY, state text NOT NULL);
         INSERT INTO jobs SELECT g, 'new' FROM generate_series(1, 5) g;
         CREATE TABLE keyless (x int4, y text);
         INSERT INTO keyless VALUES (1, 'a'), (2, 'b'), (3, 'c')",
    )
    .await;

    // Exclusive locks: NOWAIT fails at once, SKIP LOCKED leaves the rows out.
    exec(&a, "BEGIN").await;
    assert_eq!(
        column(
            &a,
            "SELECT id FROM jobs WHERE id <= 2 ORDER BY id FOR UPDATE"
        )
        .await,
        ["1", "2"]
    );
    exec(&b, "BEGIN").await;
    assert_eq!(
        error_code(&b, "SELECT * FROM jobs WHERE id = 1 FOR UPDATE NOWAIT").await,
        SqlState::LOCK_NOT_AVAILABLE
    );
    exec(&b, "ROLLBACK").await;
    assert_eq!(
        error_code(&b, "SELECT * FROM jobs WHERE id = 2 FOR KEY SHARE NOWAIT").await,
        SqlState::LOCK_NOT_AVAILABLE
    );
    assert_eq!(
        column(
            &b,
            "SELECT id FROM jobs ORDER BY id LIMIT 2 FOR NO KEY UPDATE SKIP LOCKED"
        )
        .await,
        ["3", "4"]
    );
    // A writer waits for the lock, and then writes the newest version.
    let writer = {
        let b = b.clone();
        tokio::spawn(
            async move { exec(&b, "UPDATE jobs SET state = state || '+b' WHERE id = 1").await },
        )
    };
    assert!(still_waiting(&writer).await, "UPDATE waits for FOR UPDATE");
    exec(&a, "UPDATE jobs SET state = 'a' WHERE id = 1; COMMIT").await;
    writer.await.expect("writer");
    assert_eq!(
        value(&a, "SELECT state FROM jobs WHERE id = 1").await,
        "a+b"
    );

    // A waiting FOR UPDATE sees the newest version, and re-checks WHERE on it.
    exec(
        &a,
        "BEGIN; UPDATE jobs SET state = 'taken' WHERE id IN (3, 4)",
    )
    .await;
    let locker = {
        let b = b.clone();
        tokio::spawn(async move {
            column(
                &b,
                "SELECT id || ':' || state FROM jobs WHERE id = 3 OR (id = 4 AND state = 'new') \
                 ORDER BY id FOR UPDATE",
            )
            .await
        })
    };
    assert!(
        still_waiting(&locker).await,
        "FOR UPDATE waits for the writer"
    );
    exec(&a, "COMMIT").await;
    assert_eq!(locker.await.expect("locker"), ["3:taken"]);

    // Shared locks go together and keep writers out.
    exec(&a, "BEGIN; SELECT * FROM jobs WHERE id = 5 FOR SHARE").await;
    exec(&b, "BEGIN").await;
    assert_eq!(
        column(&b, "SELECT id FROM jobs WHERE id = 5 FOR KEY SHARE NOWAIT").await,
        ["5"]
    );
    assert_eq!(
        error_code(&b, "SELECT * FROM jobs WHERE id = 5 FOR UPDATE NOWAIT").await,
        SqlState::LOCK_NOT_AVAILABLE
    );
    exec(&b, "ROLLBACK").await;
    exec(&a, "ROLLBACK").await;

    // A table without a primary key locks by its hidden row id.
    exec(&a, "BEGIN").await;
    assert_eq!(
        column(&a, "SELECT y FROM keyless WHERE x = 2 FOR UPDATE").await,
        ["b"]
    );
    assert_eq!(
        column(
            &b,
            "SELECT y FROM keyless ORDER BY x FOR UPDATE SKIP LOCKED"
        )
        .await,
        ["a", "c"]
    );
    exec(&a, "COMMIT").await;

    // Repeatable Read: a row changed since the snapshot cannot be locked.
    exec(
        &a,
        "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM jobs",
    )
    .await;
    exec(&b, "UPDATE jobs SET state = 'changed' WHERE id = 2").await;
    assert_eq!(
        error_code(&a, "SELECT * FROM jobs WHERE id = 2 FOR SHARE").await,
        SqlState::T_R_SERIALIZATION_FAILURE
    );
    exec(&a, "ROLLBACK").await;
    stop(cluster).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_with_skip_locked_take_every_job_exactly_once() {
    const JOBS: usize = 60;
    const WORKERS: usize = 4;
    let (_dir, cluster) = cluster().await;
    let port = cluster.postgres_addr.port();
    let setup = pg_connect(port).await;
    exec(
        &setup,
        &format!(
            "CREATE TABLE queue (id int4 PRIMARY KEY, payload text);
             INSERT INTO queue SELECT g, 'job ' || g FROM generate_series(1, {JOBS}) g;
             CREATE TABLE done (id int4 PRIMARY KEY, worker int4)"
        ),
    )
    .await;
    let mut workers = Vec::new();
    for w in 0..WORKERS {
        let c = pg_connect(port).await;
        workers.push(tokio::spawn(async move {
            let mut taken = Vec::new();
            loop {
                // Half the workers take a job in one statement, half in a transaction.
                let ids = if w % 2 == 0 {
                    column(
                        &c,
                        "DELETE FROM queue WHERE id = (SELECT id FROM queue ORDER BY id \
                         LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id",
                    )
                    .await
                } else {
                    exec(&c, "BEGIN").await;
                    let ids = column(
                        &c,
                        "SELECT id FROM queue ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
                    )
                    .await;
                    for id in &ids {
                        exec(&c, &format!("DELETE FROM queue WHERE id = {id}")).await;
                    }
                    exec(&c, "COMMIT").await;
                    ids
                };
                let Some(id) = ids.first() else { break };
                exec(&c, &format!("INSERT INTO done VALUES ({id}, {w})")).await;
                taken.push(id.parse::<usize>().expect("an id"));
            }
            taken
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(
            tokio::time::timeout(Duration::from_secs(120), w)
                .await
                .expect("workers finish")
                .expect("worker"),
        );
    }
    let distinct: BTreeSet<usize> = all.iter().copied().collect();
    assert_eq!(all.len(), JOBS, "every job taken once: {all:?}");
    assert_eq!(distinct, (1..=JOBS).collect::<BTreeSet<_>>());
    assert_eq!(value(&setup, "SELECT count(*) FROM queue").await, "0");
    assert_eq!(
        value(&setup, "SELECT count(DISTINCT worker) > 1 FROM done").await,
        "t",
        "the jobs were shared out"
    );
    stop(cluster).await;
}
