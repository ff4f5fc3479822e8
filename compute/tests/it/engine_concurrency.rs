//! Concurrency on the engine: row locks that do not serialize unrelated writers, lost
//! updates prevented (Read Committed), 40001 (Repeatable Read), 40P01, readers that never
//! block, unique keys under contention, hidden row ids under contention, and the bank
//! invariant at every snapshot. Every wait is bounded.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::engine_common::{engine, exec, rows, small_pages, small_pages_with_history};
use compute::engine::Engine;
use proto::Lsn;
use sql::Session;
use sql::storage::{Access, Isolation, LockOutcome, Storage, Txn};

fn session(e: &Engine) -> Session<Engine> {
    Session::new(e.clone())
}

fn setup(rows_sql: &str) -> Engine {
    let (e, _wal) = engine(small_pages());
    let mut s = session(&e);
    exec(
        &mut s,
        "CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)",
    )
    .expect("create");
    exec(&mut s, rows_sql).expect("insert");
    e
}

/// Waits (bounded) until some transaction is blocked on a lock.
fn wait_for_waiter(e: &Engine) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while e.locks().waiters() == 0 {
        assert!(Instant::now() < deadline, "nobody started waiting");
        thread::sleep(Duration::from_millis(5));
    }
}

fn code(r: sql::Result<sql::StatementResult>) -> Option<&'static str> {
    r.err().map(|e| e.code())
}

#[test]
fn writers_of_different_rows_hold_their_locks_at_once() {
    let e = setup("INSERT INTO t VALUES (1, 0), (2, 0)");
    let table = {
        let mut t = e.begin(Isolation::ReadCommitted).unwrap();
        t.begin_statement().unwrap();
        t.catalog().unwrap().table("t").unwrap().id
    };
    let mut a = e.begin(Isolation::ReadCommitted).unwrap();
    let mut b = e.begin(Isolation::ReadCommitted).unwrap();
    a.begin_statement().unwrap();
    b.begin_statement().unwrap();
    // Neither call can block: each returns while the other transaction holds its lock.
    let ra = a.lock_row(table, &vec![sql::Value::Int(1)]).unwrap();
    let rb = b.lock_row(table, &vec![sql::Value::Int(2)]).unwrap();
    assert!(matches!(ra, LockOutcome::Unchanged(_)));
    assert!(matches!(rb, LockOutcome::Unchanged(_)));
    assert_eq!(e.locks().waiters(), 0);
    a.update(
        table,
        &vec![sql::Value::Int(1)],
        vec![sql::Value::Int(1), sql::Value::Int(10)],
    )
    .unwrap();
    b.update(
        table,
        &vec![sql::Value::Int(2)],
        vec![sql::Value::Int(2), sql::Value::Int(20)],
    )
    .unwrap();
    a.end_statement(true);
    b.end_statement(true);
    a.commit().unwrap();
    b.commit().unwrap();
    let mut s = session(&e);
    assert_eq!(
        rows(&mut s, "SELECT v FROM t ORDER BY id"),
        [["10"], ["20"]]
    );
}

#[test]
fn read_committed_prevents_lost_updates() {
    let e = setup("INSERT INTO t VALUES (1, 0)");
    let mut a = session(&e);
    exec(&mut a, "BEGIN").unwrap();
    exec(&mut a, "UPDATE t SET v = v + 1 WHERE id = 1").unwrap();
    let e2 = e.clone();
    let b = thread::spawn(move || {
        let mut b = session(&e2);
        exec(&mut b, "UPDATE t SET v = v + 1 WHERE id = 1").map(|r| r.tag)
    });
    wait_for_waiter(&e);
    exec(&mut a, "COMMIT").unwrap();
    assert_eq!(b.join().unwrap().unwrap(), "UPDATE 1");
    let mut s = session(&e);
    assert_eq!(rows(&mut s, "SELECT v FROM t"), [["2"]]);
}

#[test]
fn repeatable_read_fails_with_40001_on_a_newer_version() {
    let e = setup("INSERT INTO t VALUES (1, 0)");
    let mut a = session(&e);
    exec(&mut a, "BEGIN ISOLATION LEVEL REPEATABLE READ").unwrap();
    assert_eq!(rows(&mut a, "SELECT v FROM t"), [["0"]]);
    let mut b = session(&e);
    exec(&mut b, "UPDATE t SET v = 5 WHERE id = 1").unwrap();
    assert_eq!(
        rows(&mut a, "SELECT v FROM t"),
        [["0"]],
        "snapshot is fixed"
    );
    assert_eq!(
        code(exec(&mut a, "UPDATE t SET v = v + 1 WHERE id = 1")),
        Some("40001")
    );
    exec(&mut a, "ROLLBACK").unwrap();
    assert_eq!(rows(&mut b, "SELECT v FROM t"), [["5"]]);
}

#[test]
fn a_deadlock_fails_the_transaction_that_closes_the_cycle() {
    let e = setup("INSERT INTO t VALUES (1, 0), (2, 0)");
    let mut a = session(&e);
    let mut b = session(&e);
    exec(&mut a, "BEGIN").unwrap();
    exec(&mut b, "BEGIN").unwrap();
    exec(&mut a, "UPDATE t SET v = 1 WHERE id = 1").unwrap();
    exec(&mut b, "UPDATE t SET v = 2 WHERE id = 2").unwrap();
    let a_thread = thread::spawn(move || {
        let r = exec(&mut a, "UPDATE t SET v = 1 WHERE id = 2").map(|r| r.tag);
        (a, r)
    });
    wait_for_waiter(&e);
    assert_eq!(
        code(exec(&mut b, "UPDATE t SET v = 2 WHERE id = 1")),
        Some("40P01")
    );
    exec(&mut b, "ROLLBACK").unwrap();
    let (mut a, r) = a_thread.join().unwrap();
    assert_eq!(r.unwrap(), "UPDATE 1");
    exec(&mut a, "COMMIT").unwrap();
    assert_eq!(rows(&mut b, "SELECT v FROM t ORDER BY id"), [["1"], ["1"]]);
}

#[test]
fn readers_never_block_on_writers() {
    let e = setup("INSERT INTO t VALUES (1, 0)");
    let mut w = session(&e);
    exec(&mut w, "BEGIN").unwrap();
    exec(&mut w, "UPDATE t SET v = 9 WHERE id = 1").unwrap();
    exec(&mut w, "INSERT INTO t VALUES (2, 2)").unwrap();
    let mut r = session(&e);
    let started = Instant::now();
    assert_eq!(
        rows(&mut r, "SELECT id, v FROM t ORDER BY id"),
        [["1", "0"]]
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    exec(&mut w, "COMMIT").unwrap();
    assert_eq!(
        rows(&mut r, "SELECT id, v FROM t ORDER BY id"),
        [["1", "9"], ["2", "2"]]
    );
}

#[test]
fn concurrent_inserts_of_overlapping_keys_never_duplicate() {
    let (e, _wal) = engine(small_pages());
    let mut s = session(&e);
    exec(&mut s, "CREATE TABLE u (id int PRIMARY KEY, who int)").unwrap();
    exec(
        &mut s,
        "CREATE TABLE c (id int PRIMARY KEY, n int NOT NULL)",
    )
    .unwrap();
    let inserted = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..8u64)
        .map(|t| {
            let (e, inserted) = (e.clone(), inserted.clone());
            thread::spawn(move || {
                let mut s = session(&e);
                for i in 0..40u64 {
                    let k = (t * 7 + i * 13) % 50;
                    match exec(&mut s, &format!("INSERT INTO u VALUES ({k}, {t})")) {
                        Ok(_) => {
                            inserted.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(err) => assert_eq!(err.code(), "23505", "{err}"),
                    }
                    let upsert = format!(
                        "INSERT INTO c VALUES ({}, 1) ON CONFLICT (id) DO UPDATE SET n = c.n + 1",
                        k % 10
                    );
                    exec(&mut s, &upsert).unwrap_or_else(|e| panic!("{upsert}: {e}"));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let n = inserted.load(Ordering::Relaxed).to_string();
    assert_eq!(rows(&mut s, "SELECT count(*) FROM u"), [[n]]);
    assert_eq!(
        rows(&mut s, "SELECT count(*) FROM u WHERE id >= 0"),
        rows(&mut s, "SELECT count(*) FROM u")
    );
    assert_eq!(
        rows(&mut s, "SELECT count(*), sum(n) FROM c"),
        [["10", "320"]]
    );
}

#[test]
fn a_table_without_primary_key_loses_no_concurrent_insert() {
    let (e, _wal) = engine(small_pages());
    let mut s = session(&e);
    exec(&mut s, "CREATE TABLE log (who int, i int)").unwrap();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let e = e.clone();
            thread::spawn(move || {
                let mut s = session(&e);
                for i in 0..30 {
                    exec(&mut s, &format!("INSERT INTO log VALUES ({t}, {i})")).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(rows(&mut s, "SELECT count(*) FROM log"), [["240"]]);
}

#[test]
fn bank_transfers_keep_the_total_at_every_snapshot() {
    const ACCOUNTS: u64 = 100;
    // Every record boundary is read back at the end from resident pages: keep history.
    let (e, wal) = engine(small_pages_with_history());
    let mut s = session(&e);
    exec(
        &mut s,
        "CREATE TABLE acct (id int PRIMARY KEY, bal int NOT NULL)",
    )
    .unwrap();
    let values: Vec<String> = (0..ACCOUNTS).map(|i| format!("({i}, 1000)")).collect();
    exec(
        &mut s,
        &format!("INSERT INTO acct VALUES {}", values.join(", ")),
    )
    .unwrap();
    let total = (ACCOUNTS * 1000).to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let committed = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..8u64)
        .map(|t| {
            let (e, stop, committed) = (e.clone(), stop.clone(), committed.clone());
            thread::spawn(move || {
                let mut s = session(&e);
                let mut x = t * 0x9E37_79B9 + 1;
                while !stop.load(Ordering::Relaxed) {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let (from, to, amount) = (x % ACCOUNTS, (x >> 20) % ACCOUNTS, (x >> 40) % 50);
                    let r = exec(&mut s, "BEGIN")
                        .and_then(|_| {
                            exec(
                                &mut s,
                                &format!("UPDATE acct SET bal = bal - {amount} WHERE id = {from}"),
                            )
                        })
                        .and_then(|_| {
                            exec(
                                &mut s,
                                &format!("UPDATE acct SET bal = bal + {amount} WHERE id = {to}"),
                            )
                        })
                        .and_then(|_| exec(&mut s, "COMMIT"));
                    match r {
                        Ok(_) => {
                            committed.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(err) => {
                            assert!(matches!(err.code(), "40P01" | "40001"), "{err}");
                            exec(&mut s, "ROLLBACK").ok();
                        }
                    }
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_millis(1500);
    let mut checks = 0;
    while Instant::now() < deadline {
        assert_eq!(rows(&mut s, "SELECT sum(bal) FROM acct"), [[total.clone()]]);
        checks += 1;
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    assert!(
        committed.load(Ordering::Relaxed) > 0,
        "no transfer committed"
    );
    assert!(checks > 0);
    assert_eq!(rows(&mut s, "SELECT sum(bal) FROM acct"), [[total.clone()]]);

    // Every record boundary since the accounts existed is a consistent snapshot.
    let mut decoder = proto::WalDecoder::new(wal.start_lsn());
    decoder.push(&wal.bytes());
    let mut ends: Vec<Lsn> = Vec::new();
    while let Some(rec) = decoder.next_record().unwrap() {
        ends.push(rec.end);
    }
    let step = (ends.len() / 40).max(1);
    for &end in ends.iter().skip(3).step_by(step) {
        let mut txn = e.begin_at(end);
        txn.begin_statement().unwrap();
        let id = txn.catalog().unwrap().table("acct").unwrap().id;
        let sum: i64 = txn
            .scan(id, &Access::Full)
            .unwrap()
            .map(|r| match r.unwrap().row[1] {
                sql::Value::Int(b) => b,
                ref v => panic!("balance {v:?}"),
            })
            .sum();
        assert_eq!(sum.to_string(), total, "snapshot {end}");
    }
}

#[test]
fn ddl_waits_for_writers_and_schema_changes_are_caught() {
    let e = setup("INSERT INTO t VALUES (1, 1)");
    // CREATE INDEX waits for an in-flight writer of the table, then indexes its row.
    let mut a = session(&e);
    exec(&mut a, "BEGIN").unwrap();
    exec(&mut a, "INSERT INTO t VALUES (5, 5)").unwrap();
    let e2 = e.clone();
    let ddl =
        thread::spawn(move || exec(&mut session(&e2), "CREATE INDEX t_v ON t (v)").map(|r| r.tag));
    wait_for_waiter(&e);
    exec(&mut a, "COMMIT").unwrap();
    assert_eq!(ddl.join().unwrap().unwrap(), "CREATE INDEX");
    assert_eq!(rows(&mut a, "SELECT id FROM t WHERE v = 5"), [["5"]]);

    // Two transactions creating the same name: the second waits, then gets 42P07.
    exec(&mut a, "BEGIN").unwrap();
    exec(&mut a, "CREATE TABLE x (id int PRIMARY KEY)").unwrap();
    let e2 = e.clone();
    let second = thread::spawn(move || code(exec(&mut session(&e2), "CREATE TABLE x (id int)")));
    wait_for_waiter(&e);
    exec(&mut a, "COMMIT").unwrap();
    assert_eq!(second.join().unwrap(), Some("42P07"));

    // Repeatable Read writing with a schema older than the committed one: 40001.
    let mut rr = session(&e);
    exec(&mut rr, "BEGIN ISOLATION LEVEL REPEATABLE READ").unwrap();
    assert_eq!(rows(&mut rr, "SELECT count(*) FROM t"), [["2"]]);
    exec(&mut a, "CREATE INDEX t_v2 ON t (v, id)").unwrap();
    exec(&mut rr, "INSERT INTO t VALUES (9, 9)").unwrap();
    assert_eq!(code(exec(&mut rr, "COMMIT")), Some("40001"));
    // Read Committed picks the new schema up at its next statement.
    exec(&mut a, "BEGIN").unwrap();
    exec(&mut a, "INSERT INTO t VALUES (9, 9)").unwrap();
    exec(&mut a, "COMMIT").unwrap();
    assert_eq!(rows(&mut a, "SELECT id FROM t WHERE v = 9"), [["9"]]);
}

#[test]
fn a_unique_insert_waits_for_an_in_flight_delete_of_the_key() {
    let (e, _wal) = engine(small_pages());
    let mut a = session(&e);
    exec(
        &mut a,
        "CREATE TABLE users (id int PRIMARY KEY, email text UNIQUE)",
    )
    .unwrap();
    exec(&mut a, "INSERT INTO users VALUES (1, 'x'), (2, 'y')").unwrap();
    for (id, email, finish, want) in [
        (10, "x", "COMMIT", None),
        (11, "y", "ROLLBACK", Some("23505")),
    ] {
        exec(&mut a, "BEGIN").unwrap();
        exec(
            &mut a,
            &format!("DELETE FROM users WHERE email = '{email}'"),
        )
        .unwrap();
        let e2 = e.clone();
        let sql = format!("INSERT INTO users VALUES ({id}, '{email}')");
        let insert = thread::spawn(move || code(exec(&mut session(&e2), &sql)));
        wait_for_waiter(&e);
        exec(&mut a, finish).unwrap();
        assert_eq!(insert.join().unwrap(), want, "after {finish}");
    }
    assert_eq!(
        rows(&mut a, "SELECT id, email FROM users ORDER BY id"),
        [["2", "y"], ["10", "x"]]
    );
}
