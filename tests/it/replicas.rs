//! Read replicas (`strata compute --read-only`) against real processes: three
//! `strata safekeeper`s, a `strata pageserver`, a primary `strata compute` and replicas.
//!
//! `replicas_follow_the_primary`:
//! 1. a replica started on an existing database reports `pg_is_in_recovery()` (and
//!    `in_hot_standby`, `transaction_read_only`), refuses
//!    INSERT, CREATE TABLE and `nextval` with 25006 naming the primary, and lists itself in
//!    `strata_replication_status`;
//! 2. while 4 clients move money between 200 accounts on the primary and a writer appends
//!    rows 1, 2, 3, … one commit each, samplers on the replica check that every snapshot
//!    holds the bank's total and all accounts (a state the primary had), and that the
//!    visible log rows are always exactly `1..=k` with `k` never going back (every commit
//!    visible, in commit order);
//! 3. a second replica started in the middle of the workload converges: after
//!    `strata_wait_lsn` on the primary's final LSN both replicas show every account's
//!    balance and every log row exactly as the primary does;
//! 4. DDL is followed: a table created, altered and filled on the primary is readable on
//!    the replica after `strata_wait_lsn`, and gone (42P01) after DROP TABLE;
//! 5. read-your-writes by session setting: with `SET strata.wait_lsn` to the primary's LSN
//!    after each of 40 commits, the replica's next SELECT sees that commit; an LSN never
//!    reached fails after `strata.wait_lsn_timeout` with 57014;
//! 6. the replica's Prometheus metrics show records applied and its lag.
//!
//! `replicas_survive_primary_restart_and_safekeeper_loss`: the primary killed -9 and a new
//! one started (new term), each safekeeper killed -9 in turn, the pageserver killed -9 and
//! restarted: the replica keeps serving and shows every later commit.
//!
//! `a_long_replica_snapshot_keeps_its_data`: a Repeatable Read snapshot on a replica reads
//! the same data for 8 s of updates on the primary.
//!
//! Every wait is bounded.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::harness::{self, Process, Rng, TestDir, exec, text_rows};
use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

const ACCOUNTS: i64 = 200;
const START_BALANCE: i64 = 1000;
const RUN: Duration = Duration::from_secs(6);

async fn one(c: &Client, sql: &str) -> String {
    let rows = text_rows(c, sql).await;
    rows.first()
        .and_then(|r| r.first().cloned().flatten())
        .unwrap_or_else(|| panic!("{sql}: no value"))
}

/// The primary's durable WAL end, as `X/Y`.
async fn primary_lsn(primary: &Client) -> String {
    one(primary, "SELECT pg_current_wal_lsn()").await
}

/// Waits on `replica` until it applied `lsn` (bounded by the function's own timeout).
async fn wait_lsn(replica: &Client, lsn: &str) {
    one(replica, &format!("SELECT strata_wait_lsn('{lsn}', 20000)")).await;
}

/// The error of `sql`, which must fail.
async fn error_of(c: &Client, sql: &str) -> tokio_postgres::error::DbError {
    let e = tokio::time::timeout(harness::SQL_STEP, c.batch_execute(sql))
        .await
        .unwrap_or_else(|_| panic!("{sql}: no answer"))
        .expect_err(sql);
    e.as_db_error()
        .unwrap_or_else(|| panic!("{sql}: not a server error: {e}"))
        .clone()
}

/// `SET strata.wait_lsn` on the replica to the primary's LSN after each commit: the
/// replica's next statements see that commit (each of 40 in a row, with no other wait); an
/// LSN the primary never wrote fails the statement after `strata.wait_lsn_timeout` with
/// `strata_wait_lsn`'s error (57014), and RESET ends the waits.
async fn read_your_writes(p: &Client, q: &Client) {
    exec(p, "CREATE TABLE ryw (id int8 PRIMARY KEY)").await;
    wait_lsn(q, &primary_lsn(p).await).await;
    for i in 1..=40 {
        exec(p, &format!("INSERT INTO ryw VALUES ({i})")).await;
        let lsn = primary_lsn(p).await;
        exec(q, &format!("SET strata.wait_lsn = '{lsn}'")).await;
        assert_eq!(
            one(q, "SELECT count(*) FROM ryw").await,
            i.to_string(),
            "commit {i} (at {lsn}) not visible"
        );
    }
    let e = error_of(q, "SET strata.wait_lsn = 'soon'").await;
    assert_eq!(e.code(), &SqlState::INVALID_PARAMETER_VALUE, "{e}");
    exec(
        q,
        "SET strata.wait_lsn_timeout = '300ms'; SET strata.wait_lsn = 'FF/0'",
    )
    .await;
    let started = Instant::now();
    let e = error_of(q, "SELECT count(*) FROM ryw").await;
    assert_eq!(e.code(), &SqlState::QUERY_CANCELED, "{e}");
    assert!(e.message().contains("FF/0"), "{e}");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "no wait: {:?}",
        started.elapsed()
    );
    exec(q, "RESET strata.wait_lsn").await;
    assert_eq!(one(q, "SELECT count(*) FROM ryw").await, "40");
}

/// Transfers until `stop`, retrying 40001/40P01.
async fn bank_client(mut c: Client, seed: u64, stop: Arc<AtomicBool>, done: Arc<AtomicU64>) {
    let mut rng = Rng(seed);
    while !stop.load(Ordering::Relaxed) {
        let from = rng.range(1, ACCOUNTS);
        let to = (from + rng.range(1, ACCOUNTS - 1) - 1) % ACCOUNTS + 1;
        let amount = rng.range(1, 100);
        for attempt in 1.. {
            let r = tokio::time::timeout(
                harness::SQL_STEP,
                crate::bank::transfer(&mut c, from, to, amount),
            )
            .await
            .expect("a transfer answers in time");
            match r {
                Ok(()) => {
                    done.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                Err(e)
                    if attempt < 50
                        && matches!(
                            e.code(),
                            Some(&SqlState::T_R_DEADLOCK_DETECTED)
                                | Some(&SqlState::T_R_SERIALIZATION_FAILURE)
                        ) => {}
                Err(e) => panic!("transfer {from}->{to}: {e}"),
            }
        }
    }
}

/// Appends log rows 1, 2, 3, … one autocommit INSERT each, until `stop`; `last` is the
/// last one acknowledged.
async fn log_writer(c: Client, stop: Arc<AtomicBool>, last: Arc<AtomicI64>) {
    let mut id = 0;
    while !stop.load(Ordering::Relaxed) {
        id += 1;
        exec(&c, &format!("INSERT INTO log VALUES ({id})")).await;
        last.store(id, Ordering::SeqCst);
    }
}

/// Samples snapshots on a replica until `stop`: the bank's total and accounts, and the
/// log as an unbroken prefix `1..=k` with `k` never going back. Returns the samples taken.
async fn sampler(c: Client, stop: Arc<AtomicBool>) -> u64 {
    let mut samples = 0;
    let mut last_k = 0i64;
    while !stop.load(Ordering::Relaxed) {
        let rows = text_rows(
            &c,
            "SELECT (SELECT sum(balance) FROM accounts), (SELECT count(*) FROM accounts), \
             (SELECT count(*) FROM log), (SELECT coalesce(max(id), 0) FROM log), \
             (SELECT coalesce(sum(id), 0) FROM log)",
        )
        .await;
        let v: Vec<i64> = rows[0]
            .iter()
            .map(|x| x.as_deref().expect("not null").parse().expect("a number"))
            .collect();
        assert_eq!(
            (v[0], v[1]),
            (ACCOUNTS * START_BALANCE, ACCOUNTS),
            "a replica snapshot broke the bank invariant"
        );
        let (count, max, sum) = (v[2], v[3], v[4]);
        assert_eq!(count, max, "log rows visible out of commit order: {v:?}");
        assert_eq!(
            sum,
            max * (max + 1) / 2,
            "log rows visible out of commit order: {v:?}"
        );
        assert!(
            max >= last_k,
            "the replica went back from {last_k} to {max} log rows"
        );
        last_k = max;
        samples += 1;
    }
    samples
}

async fn table_text(c: &Client, sql: &str) -> Vec<Vec<Option<String>>> {
    text_rows(c, sql).await
}

struct Cluster {
    _dir: TestDir,
    sks: Vec<Process>,
    sk_arg: String,
    ps: Process,
    primary: Process,
}

fn cluster(name: &str) -> Cluster {
    let dir = TestDir::new(name);
    let (sks, sk_arg) = harness::start_safekeepers(&dir);
    let mut ps = Process::pageserver(&dir, &sk_arg);
    ps.start();
    let mut primary = Process::compute(&dir, "primary", &ps, &sk_arg, Some("16MiB"));
    primary.start();
    Cluster {
        _dir: dir,
        sks,
        sk_arg,
        ps,
        primary,
    }
}

impl Cluster {
    fn replica(&self, name: &str) -> Process {
        let mut r = Process::replica(
            &self._dir,
            name,
            &self.ps,
            &self.sk_arg,
            "main",
            &self.primary,
        )
        .with_metrics();
        r.start();
        r
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_follow_the_primary() {
    let c = cluster("replicas");
    let p = c.primary.pg().await;
    exec(
        &p,
        "CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL); \
         CREATE TABLE log (id int PRIMARY KEY); CREATE SEQUENCE s",
    )
    .await;
    exec(
        &p,
        &format!(
            "INSERT INTO accounts SELECT g, {START_BALANCE} FROM generate_series(1, {ACCOUNTS}) g"
        ),
    )
    .await;

    // 1. A replica of the existing database.
    let started = Instant::now();
    let r1 = c.replica("replica1");
    println!("replica1 serves after {:?}", started.elapsed());
    let q1 = r1.pg().await;
    wait_lsn(&q1, &primary_lsn(&p).await).await;
    assert_eq!(one(&q1, "SELECT pg_is_in_recovery()").await, "t");
    assert_eq!(one(&p, "SELECT pg_is_in_recovery()").await, "f");
    // What libpq's target_session_attrs and drivers read to tell a replica from a primary.
    for (sql, replica, primary) in [
        ("SHOW in_hot_standby", "on", "off"),
        ("SHOW transaction_read_only", "on", "off"),
    ] {
        assert_eq!(one(&q1, sql).await, replica, "{sql} on the replica");
        assert_eq!(one(&p, sql).await, primary, "{sql} on the primary");
    }
    assert_eq!(
        one(&q1, "SELECT count(*) FROM accounts").await,
        ACCOUNTS.to_string()
    );
    let primary_addr = c.primary.addr.to_string();
    for sql in [
        "INSERT INTO log VALUES (-1)",
        "UPDATE accounts SET balance = 0 WHERE id = 1",
        "DELETE FROM accounts",
        "CREATE TABLE nope (a int)",
        "SELECT nextval('s')",
    ] {
        let e = error_of(&q1, sql).await;
        assert_eq!(e.code(), &SqlState::READ_ONLY_SQL_TRANSACTION, "{sql}: {e}");
        assert!(
            e.message().contains("read-only transaction") && e.message().contains(&primary_addr),
            "{sql}: {}",
            e.message()
        );
    }
    // As PostgreSQL's hot standby: no LISTEN or NOTIFY (a replica never hears the
    // primary's notifications); UNLISTEN does nothing.
    for (sql, what) in [
        ("LISTEN jobs", "LISTEN"),
        ("NOTIFY jobs", "NOTIFY"),
        ("SELECT pg_notify('jobs', 'x')", "NOTIFY"),
    ] {
        let e = error_of(&q1, sql).await;
        assert_eq!(e.code(), &SqlState::READ_ONLY_SQL_TRANSACTION, "{sql}: {e}");
        assert_eq!(
            e.message(),
            format!("cannot execute {what} during recovery")
        );
    }
    assert_eq!(one(&q1, "UNLISTEN *; SELECT 'ok'").await, "ok");
    let status = table_text(
        &q1,
        "SELECT role, applied_lsn, source IS NOT NULL, primary_conninfo FROM strata_replication_status",
    )
    .await;
    assert_eq!(status[0][0].as_deref(), Some("replica"), "{status:?}");
    assert_eq!(status[0][2].as_deref(), Some("t"), "{status:?}");
    assert_eq!(
        status[0][3].as_deref(),
        Some(primary_addr.as_str()),
        "{status:?}"
    );
    assert_eq!(
        one(&q1, "SELECT pg_last_wal_replay_lsn()").await,
        status[0][1].clone().expect("an applied LSN")
    );
    let e = error_of(&q1, "SELECT pg_current_wal_lsn()").await;
    assert_eq!(e.code(), &SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE, "{e}");
    assert_eq!(
        table_text(&p, "SELECT pg_last_wal_replay_lsn() IS NULL").await[0][0].as_deref(),
        Some("t")
    );

    // 2. The workload, sampled on the replica.
    let stop = Arc::new(AtomicBool::new(false));
    let stop_samplers = Arc::new(AtomicBool::new(false));
    let transfers = Arc::new(AtomicU64::new(0));
    let last_log = Arc::new(AtomicI64::new(0));
    let seed = harness::seed();
    let mut writers = Vec::new();
    for i in 0..4 {
        writers.push(tokio::spawn(bank_client(
            c.primary.pg().await,
            seed + i,
            stop.clone(),
            transfers.clone(),
        )));
    }
    writers.push(tokio::spawn(log_writer(
        c.primary.pg().await,
        stop.clone(),
        last_log.clone(),
    )));
    let mut samplers = Vec::new();
    for _ in 0..2 {
        samplers.push(tokio::spawn(sampler(r1.pg().await, stop_samplers.clone())));
    }

    // 3. A replica started mid-workload.
    tokio::time::sleep(RUN / 2).await;
    let r2 = c.replica("replica2");
    samplers.push(tokio::spawn(sampler(r2.pg().await, stop_samplers.clone())));
    tokio::time::sleep(RUN / 2).await;
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        tokio::time::timeout(Duration::from_secs(60), w)
            .await
            .expect("writers stop in time")
            .expect("writer");
    }
    let final_lsn = primary_lsn(&p).await;
    // Samplers keep checking while the replicas catch up.
    let q2 = r2.pg().await;
    wait_lsn(&q1, &final_lsn).await;
    wait_lsn(&q2, &final_lsn).await;
    stop_samplers.store(true, Ordering::SeqCst);
    let mut samples = 0;
    for s in samplers {
        samples += tokio::time::timeout(Duration::from_secs(60), s)
            .await
            .expect("samplers stop in time")
            .expect("sampler");
    }
    let n = transfers.load(Ordering::Relaxed);
    let logged = last_log.load(Ordering::SeqCst);
    println!("{n} transfers, {logged} log rows, {samples} replica snapshots checked");
    assert!(
        n > 20 && logged > 20,
        "too little work: {n} transfers, {logged} rows"
    );
    assert!(samples > 20, "too few replica snapshots: {samples}");
    let balances = "SELECT id, balance FROM accounts ORDER BY id";
    let want = table_text(&p, balances).await;
    assert_eq!(table_text(&q1, balances).await, want, "replica1 differs");
    assert_eq!(table_text(&q2, balances).await, want, "replica2 differs");
    let logs = "SELECT count(*), max(id) FROM log";
    let want_log = vec![vec![Some(logged.to_string()), Some(logged.to_string())]];
    assert_eq!(table_text(&p, logs).await, want_log);
    assert_eq!(table_text(&q1, logs).await, want_log);
    assert_eq!(table_text(&q2, logs).await, want_log);

    // 4. DDL.
    exec(
        &p,
        "CREATE TABLE t2 (a int PRIMARY KEY); INSERT INTO t2 VALUES (1), (2); \
         ALTER TABLE t2 ADD COLUMN b text DEFAULT 'x'; INSERT INTO t2 VALUES (3, 'y'); \
         CREATE INDEX t2_b ON t2 (b)",
    )
    .await;
    wait_lsn(&q1, &primary_lsn(&p).await).await;
    assert_eq!(
        table_text(&q1, "SELECT a, b FROM t2 WHERE b = 'y'").await,
        vec![vec![Some("3".into()), Some("y".into())]]
    );
    assert_eq!(
        one(&q1, "SELECT string_agg(a || b, ',' ORDER BY a) FROM t2").await,
        "1x,2x,3y"
    );
    exec(&p, "DROP TABLE t2").await;
    wait_lsn(&q1, &primary_lsn(&p).await).await;
    let e = error_of(&q1, "SELECT * FROM t2").await;
    assert_eq!(e.code(), &SqlState::UNDEFINED_TABLE, "{e}");

    // 5. Read-your-writes by session setting: each statement waits for the LSN set.
    read_your_writes(&p, &q1).await;

    // 6. Metrics.
    let m = r1.scrape_metrics();
    assert!(
        m.sum("strata_replica_records_applied_total") > 0.0,
        "{}",
        m.0
    );
    assert!(m.sum("strata_replica_applied_lsn") > 0.0, "{}", m.0);
    assert!(m.0.contains("strata_replica_lag_bytes"), "{}", m.0);
    assert!(m.0.contains("strata_replica_lag_ms"), "{}", m.0);
    drop(c.sks);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_survive_primary_restart_and_safekeeper_loss() {
    let mut c = cluster("replicas-restart");
    let p = c.primary.pg().await;
    exec(
        &p,
        "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2)",
    )
    .await;
    let r = c.replica("replica");
    let q = r.pg().await;
    wait_lsn(&q, &primary_lsn(&p).await).await;
    assert_eq!(one(&q, "SELECT count(*) FROM t").await, "2");

    // The primary dies; a new one takes over (a new term).
    drop(p);
    c.primary.kill9();
    let dir = &c._dir;
    let mut primary2 = Process::compute(dir, "primary2", &c.ps, &c.sk_arg, Some("16MiB"));
    primary2.start();
    let p2 = primary2.pg().await;
    exec(&p2, "INSERT INTO t VALUES (3), (4)").await;
    wait_lsn(&q, &primary_lsn(&p2).await).await;
    assert_eq!(
        one(&q, "SELECT string_agg(id::text, ',' ORDER BY id) FROM t").await,
        "1,2,3,4"
    );

    // Each safekeeper in turn is killed -9 (a quorum of two remains): the replica moves
    // to another one whenever its source goes.
    for i in 0..3 {
        c.sks[i].kill9();
        let id = 10 + i as i64;
        exec(&p2, &format!("INSERT INTO t VALUES ({id})")).await;
        wait_lsn(&q, &primary_lsn(&p2).await).await;
        assert_eq!(
            one(&q, &format!("SELECT count(*) FROM t WHERE id = {id}")).await,
            "1",
            "row {id} after safekeeper {} was killed",
            i + 1
        );
        c.sks[i].start();
    }
    assert_eq!(one(&q, "SELECT count(*) FROM t").await, "7");

    // The pageserver killed -9 and restarted: the replica reconnects for pages it lacks.
    c.ps.kill9();
    c.ps.start();
    exec(
        &p2,
        "CREATE TABLE u (id int PRIMARY KEY); INSERT INTO u VALUES (1)",
    )
    .await;
    wait_lsn(&q, &primary_lsn(&p2).await).await;
    assert_eq!(one(&q, "SELECT count(*) FROM t").await, "7");
    assert_eq!(one(&q, "SELECT count(*) FROM u").await, "1");
}

/// A Repeatable Read transaction on a replica keeps its snapshot while the primary updates
/// every row many times over (its leaves pruned past the snapshot are read at the snapshot
/// from the pageserver; the replica leases that LSN so GC keeps it), while a fresh
/// statement on the replica sees the new values.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_long_replica_snapshot_keeps_its_data() {
    const ROWS: i64 = 300;
    let c = cluster("replica-snapshot");
    let p = c.primary.pg().await;
    exec(
        &p,
        &format!(
            "CREATE TABLE counters (id int PRIMARY KEY, v bigint NOT NULL); \
             INSERT INTO counters SELECT g, 0 FROM generate_series(1, {ROWS}) g"
        ),
    )
    .await;
    let r = c.replica("replica");
    let long = r.pg().await;
    wait_lsn(&long, &primary_lsn(&p).await).await;
    exec(&long, "BEGIN ISOLATION LEVEL REPEATABLE READ").await;
    let sum = "SELECT sum(v), count(*) FROM counters";
    let range = "SELECT sum(v) FROM counters WHERE id BETWEEN 50 AND 150";
    let before = table_text(&long, sum).await;
    assert_eq!(before[0][0].as_deref(), Some("0"));

    let stop = Arc::new(AtomicBool::new(false));
    let updates = Arc::new(AtomicU64::new(0));
    let mut writers = Vec::new();
    for w in 0..3u64 {
        let client = c.primary.pg().await;
        let (stop, updates) = (stop.clone(), updates.clone());
        writers.push(tokio::spawn(async move {
            let mut rng = Rng(harness::seed() + w);
            while !stop.load(Ordering::Relaxed) {
                let lo = rng.range(1, ROWS - 20);
                let sql = format!(
                    "UPDATE counters SET v = v + 1 WHERE id BETWEEN {lo} AND {}",
                    lo + 20
                );
                match tokio::time::timeout(harness::SQL_STEP, client.batch_execute(&sql))
                    .await
                    .expect("an update answers in time")
                {
                    Ok(()) => {
                        updates.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e)
                        if matches!(
                            e.code(),
                            Some(&SqlState::T_R_DEADLOCK_DETECTED)
                                | Some(&SqlState::T_R_SERIALIZATION_FAILURE)
                        ) => {}
                    Err(e) => panic!("{sql}: {e}"),
                }
            }
        }));
    }
    let fresh = r.pg().await;
    let started = Instant::now();
    let mut checks = 0;
    let mut fresh_grew = false;
    while started.elapsed() < Duration::from_secs(8) {
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            table_text(&long, sum).await,
            before,
            "the long snapshot changed"
        );
        assert_eq!(
            table_text(&long, range).await[0][0].as_deref(),
            Some("0"),
            "the long snapshot's index range changed"
        );
        let now = table_text(&fresh, sum).await;
        fresh_grew |= now[0][0].as_deref() != Some("0");
        checks += 1;
    }
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        tokio::time::timeout(Duration::from_secs(60), w)
            .await
            .expect("writers stop")
            .expect("writer");
    }
    let n = updates.load(Ordering::Relaxed);
    println!("{n} updates of 21 rows, {checks} checks of the long snapshot");
    assert!(n > 50, "too few updates: {n}");
    assert!(fresh_grew, "a fresh replica statement never saw an update");
    assert_eq!(table_text(&long, sum).await, before);
    exec(&long, "COMMIT").await;
    wait_lsn(&fresh, &primary_lsn(&p).await).await;
    assert_eq!(
        table_text(&fresh, sum).await,
        table_text(&p, sum).await,
        "after the long transaction the replica shows the primary's state"
    );
}
