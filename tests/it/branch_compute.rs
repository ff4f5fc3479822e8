//! Computes on branches, against real processes: three `strata safekeeper`s, a
//! `strata pageserver` and a primary `strata compute` on `main`.
//!
//! 1. rows 1–3 are committed on `main`; `strata timeline create --timeline dev --from main
//!    --at LSN` (the primary's `pg_current_wal_lsn()` after them) makes a branch; row 4 is
//!    committed on `main` after it;
//! 2. a primary compute on `dev` serves (it once never did: its proposer greeted the
//!    safekeepers with the root's start LSN and every one refused, "election did not
//!    complete within 250 ticks") and shows rows 1–3 only; row 100 written on `dev` is
//!    absent on `main`; a read replica of `dev` follows `dev`;
//! 3. a branch `--at` a time between row 4's and row 5's commits shows rows 1–4 only.
//!
//! Every wait is bounded.

use std::time::{Duration, Instant};

use crate::harness::{self, Process, TestDir, exec, strata, text_rows};
use tokio_postgres::Client;

async fn one(c: &Client, sql: &str) -> String {
    text_rows(c, sql).await[0][0]
        .clone()
        .unwrap_or_else(|| panic!("{sql}: NULL"))
}

async fn ids(c: &Client) -> String {
    one(
        c,
        "SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM t",
    )
    .await
}

/// `strata timeline create --timeline NAME --from main --at AT`, retried while the
/// pageserver has not ingested the point yet (bounded).
fn branch(ps: &Process, sk_arg: &str, name: &str, at: &str) {
    let ps_arg = ps.addr.to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = strata(&[
            "timeline",
            "create",
            "--pageserver",
            &ps_arg,
            "--safekeepers",
            sk_arg,
            "--timeline",
            name,
            "--from",
            "main",
            "--at",
            at,
        ]);
        if out.status.success() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "branch {name} at {at}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn computes_on_branches_see_their_own_history() {
    let dir = TestDir::new("branch-compute");
    let (_sks, sk_arg) = harness::start_safekeepers(&dir);
    let mut ps = Process::pageserver(&dir, &sk_arg);
    ps.start();
    let mut main = Process::compute(&dir, "main", &ps, &sk_arg, Some("16MiB"));
    main.start();
    let m = main.pg().await;

    // 1. History on main, a branch point after row 3.
    exec(
        &m,
        "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3)",
    )
    .await;
    let point = one(&m, "SELECT pg_current_wal_lsn()").await;
    branch(&ps, &sk_arg, "dev", &point);
    exec(&m, "INSERT INTO t VALUES (4)").await;

    // 2. A primary on the branch.
    let mut dev = Process::compute_with(&dir, "dev", &ps, &sk_arg, "dev", Some("16MiB"), &[]);
    dev.start();
    let d = dev.pg().await;
    assert_eq!(
        ids(&d).await,
        "1,2,3",
        "the branch shows main after its branch point"
    );
    exec(&d, "INSERT INTO t VALUES (100)").await;
    assert_eq!(ids(&d).await, "1,2,3,100");
    assert_eq!(
        ids(&m).await,
        "1,2,3,4",
        "a write on the branch shows on main"
    );
    let mut dev_replica = Process::replica(&dir, "dev-replica", &ps, &sk_arg, "dev", &dev);
    dev_replica.start();
    let dr = dev_replica.pg().await;
    let dev_lsn = one(&d, "SELECT pg_current_wal_lsn()").await;
    one(&dr, &format!("SELECT strata_wait_lsn('{dev_lsn}', 20000)")).await;
    assert_eq!(ids(&dr).await, "1,2,3,100", "the branch's replica");

    // 3. A branch at a time: the commit-timestamp index is exact to a second.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // now() prints as `2026-01-02 03:04:05.678+00` (the session's TimeZone is UTC).
    let now = one(&m, "SELECT now()::text").await;
    let at = format!("{}Z", now[..19].replace(' ', "T"));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    exec(&m, "INSERT INTO t VALUES (5)").await;
    let after = one(&m, "SELECT pg_current_wal_lsn()").await;
    // The pageserver must have ingested past the time before it can branch there.
    branch(&ps, &sk_arg, "warmup", &after);
    branch(&ps, &sk_arg, "past", &at);
    let mut past = Process::compute_with(&dir, "past", &ps, &sk_arg, "past", Some("16MiB"), &[]);
    past.start();
    let pp = past.pg().await;
    assert_eq!(ids(&pp).await, "1,2,3,4", "the branch at {at}");
    assert_eq!(ids(&m).await, "1,2,3,4,5");
}
