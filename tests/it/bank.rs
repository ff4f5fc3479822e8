//! The bank invariant against real processes, across a compute crash.
//!
//! Three `strata safekeeper`s, a `strata pageserver` and a primary `strata compute`. 1000
//! accounts start with 1000 each. For a bounded time, 8 tokio-postgres clients move random
//! amounts between random accounts, each transfer one Read Committed transaction of two
//! UPDATEs; a deadlock (40P01) or serialization failure (40001) is retried, as a client
//! would. Meanwhile a checker keeps reading `SUM(balance)` and `count(*)` in single
//! statements: each is one snapshot, so the total never changes and no account is ever
//! missing. Then the compute is killed -9 while a transfer is half done (uncommitted), and a
//! fresh compute on another port — its cache empty, every page from the pageserver — has
//! exactly the balances the first compute last showed: the same total, every account.
//!
//! Randomness is seeded (printed; `STRATA_TEST_SEED` replays the choice of transfers, not
//! their interleaving).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::harness::{self, Process, Rng, TestDir, exec, text_rows};
use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

const ACCOUNTS: i64 = 1000;
const START_BALANCE: i64 = 1000;
const CLIENTS: u64 = 8;
const RUN: Duration = Duration::from_secs(5);
/// Attempts of one transfer before the test calls it livelock.
const MAX_ATTEMPTS: u32 = 50;

#[derive(Default)]
struct Counters {
    committed: AtomicU64,
    deadlocks: AtomicU64,
    serialization_failures: AtomicU64,
    checks: AtomicU64,
}

/// One transfer as one transaction; `Err` is the server's error (the transaction is rolled
/// back when `tx` drops).
pub(crate) async fn transfer(
    c: &mut Client,
    from: i64,
    to: i64,
    amount: i64,
) -> Result<(), tokio_postgres::Error> {
    let tx = c.transaction().await?;
    tx.batch_execute(&format!(
        "UPDATE accounts SET balance = balance - {amount} WHERE id = {from}"
    ))
    .await?;
    tx.batch_execute(&format!(
        "UPDATE accounts SET balance = balance + {amount} WHERE id = {to}"
    ))
    .await?;
    tx.commit().await
}

/// Transfers until `stop`, retrying each on 40001/40P01; any other error fails the test.
async fn client_loop(mut c: Client, seed: u64, stop: Arc<AtomicBool>, n: Arc<Counters>) {
    let mut rng = Rng(seed);
    while !stop.load(Ordering::Relaxed) {
        let from = rng.range(1, ACCOUNTS);
        let to = (from + rng.range(1, ACCOUNTS - 1) - 1) % ACCOUNTS + 1;
        let amount = rng.range(1, 100);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result =
                tokio::time::timeout(harness::SQL_STEP, transfer(&mut c, from, to, amount))
                    .await
                    .unwrap_or_else(|_| {
                        panic!(
                            "transfer {from}→{to}: no answer within {:?}",
                            harness::SQL_STEP
                        )
                    });
            match result {
                Ok(()) => {
                    n.committed.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                Err(e) if e.code() == Some(&SqlState::T_R_DEADLOCK_DETECTED) => {
                    n.deadlocks.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) if e.code() == Some(&SqlState::T_R_SERIALIZATION_FAILURE) => {
                    n.serialization_failures.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => panic!("transfer {from}→{to} of {amount}: {e:?}"),
            }
            assert!(
                attempt < MAX_ATTEMPTS,
                "transfer {from}→{to} failed {attempt} times in a row"
            );
        }
    }
}

/// `(SUM(balance), count(*))` in one statement, i.e. one snapshot.
async fn total_and_count(c: &Client) -> (i64, i64) {
    let rows = text_rows(c, "SELECT sum(balance), count(*) FROM accounts").await;
    let field = |i: usize| -> i64 {
        rows[0][i]
            .as_deref()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("sum/count row: {rows:?}"))
    };
    (field(0), field(1))
}

/// Every `(id, balance)`, ordered by id.
async fn balances(c: &Client) -> Vec<(i64, i64)> {
    text_rows(c, "SELECT id, balance FROM accounts ORDER BY id")
        .await
        .iter()
        .map(|r| {
            let v = |i: usize| -> i64 {
                r[i].as_deref()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| panic!("account row: {r:?}"))
            };
            (v(0), v(1))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bank_total_holds_under_concurrent_transfers_and_across_a_compute_crash() {
    let started = Instant::now();
    let seed = harness::seed();
    let dir = TestDir::new("bank");
    let (_sks, sk_arg) = harness::start_safekeepers(&dir);
    let mut ps = Process::pageserver(&dir, &sk_arg);
    ps.start();
    let mut c1 = Process::compute(&dir, "compute1", &ps, &sk_arg, Some("16MiB"));
    c1.start();

    let admin = c1.pg().await;
    exec(
        &admin,
        "CREATE TABLE accounts (id int8 PRIMARY KEY, balance int8 NOT NULL)",
    )
    .await;
    for chunk in (1..=ACCOUNTS).collect::<Vec<_>>().chunks(250) {
        let values: Vec<String> = chunk
            .iter()
            .map(|id| format!("({id}, {START_BALANCE})"))
            .collect();
        exec(
            &admin,
            &format!("INSERT INTO accounts VALUES {}", values.join(", ")),
        )
        .await;
    }
    let total = ACCOUNTS * START_BALANCE;
    assert_eq!(total_and_count(&admin).await, (total, ACCOUNTS));
    println!("bank: set up in {:?}", started.elapsed());

    // Transfers and the checker, for RUN.
    let stop = Arc::new(AtomicBool::new(false));
    let n = Arc::new(Counters::default());
    let mut tasks = Vec::new();
    for i in 0..CLIENTS {
        let c = c1.pg().await;
        tasks.push(tokio::spawn(client_loop(
            c,
            seed.wrapping_add(i),
            stop.clone(),
            n.clone(),
        )));
    }
    let checker = {
        let c = c1.pg().await;
        let (stop, n) = (stop.clone(), n.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                assert_eq!(
                    total_and_count(&c).await,
                    (total, ACCOUNTS),
                    "one snapshot's total and account count"
                );
                n.checks.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    tokio::time::sleep(RUN).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks.into_iter().chain([checker]) {
        tokio::time::timeout(harness::SQL_STEP * 2, t)
            .await
            .expect("clients stop in time")
            .expect("a client failed");
    }
    let committed = n.committed.load(Ordering::Relaxed);
    println!(
        "bank: {committed} transfers committed, {} deadlocks and {} serialization failures retried, {} checks, in {RUN:?}",
        n.deadlocks.load(Ordering::Relaxed),
        n.serialization_failures.load(Ordering::Relaxed),
        n.checks.load(Ordering::Relaxed),
    );
    assert!(committed > 0, "no transfer committed in {RUN:?}");
    assert!(
        n.checks.load(Ordering::Relaxed) > 0,
        "the checker never ran"
    );

    // What the first compute shows last; then a crash with a transfer half done.
    let before = balances(&admin).await;
    assert_eq!(before.len() as i64, ACCOUNTS);
    assert_eq!(before.iter().map(|(_, b)| b).sum::<i64>(), total);
    assert!(
        before.iter().any(|&(_, b)| b != START_BALANCE),
        "transfers moved money"
    );
    let open = c1.pg().await;
    exec(
        &open,
        "BEGIN; UPDATE accounts SET balance = balance - 500 WHERE id = 1",
    )
    .await;
    c1.kill9();

    // A fresh compute (empty cache, another port): the same balances, the same total.
    let mut c2 = Process::compute(&dir, "compute2", &ps, &sk_arg, Some("16MiB"));
    c2.start();
    let b = c2.pg().await;
    assert_eq!(total_and_count(&b).await, (total, ACCOUNTS));
    let after = balances(&b).await;
    assert!(
        after == before,
        "balances differ after the crash: first differences {:?}",
        before
            .iter()
            .zip(&after)
            .filter(|(x, y)| x != y)
            .take(5)
            .collect::<Vec<_>>()
    );
    // And it takes transfers.
    let mut b = b;
    transfer(&mut b, 1, 2, 7)
        .await
        .expect("a transfer on the new compute");
    assert_eq!(total_and_count(&b).await, (total, ACCOUNTS));
    println!("bank finished in {:?}", started.elapsed());
}
