//! The commit path: durability waits outside locks, the write-set limit, and the pages the
//! serial step publishes (sealed exactly as redo produces them).

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crate::engine_common::{exec, rows, small_pages};
use compute::engine::{Engine, EngineConfig, MemoryWalSink};
use proto::Lsn;
use sql::Session;
use sql::storage::{Isolation, LockOutcome, Storage, Txn};

#[test]
fn commit_waits_for_durability_without_holding_locks() {
    let wal = Arc::new(MemoryWalSink::manual(Lsn::TIMELINE_START));
    let e = {
        let w = wal.clone();
        // Bootstrap needs durability: release it from another thread.
        let releaser = thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(10);
            while w.pending_records() == 0 && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(2));
            }
            w.make_durable();
        });
        let e = Engine::create(wal.clone(), small_pages()).expect("create");
        releaser.join().unwrap();
        e
    };
    let run_durable = |sql: &'static str| {
        let e2 = e.clone();
        let h = thread::spawn(move || exec(&mut Session::new(e2), sql).map(|r| r.tag));
        let deadline = Instant::now() + Duration::from_secs(10);
        while wal.pending_records() == 0 {
            assert!(Instant::now() < deadline, "no record submitted");
            thread::sleep(Duration::from_millis(2));
        }
        h
    };
    let create = run_durable("CREATE TABLE t (id int PRIMARY KEY, v int)");
    wal.make_durable();
    create.join().unwrap().unwrap();
    let insert = run_durable("INSERT INTO t VALUES (1, 1)");
    // The record is applied but not durable: the committer waits, readers do not see it,
    // and its row lock is already free.
    thread::sleep(Duration::from_millis(20));
    assert!(!insert.is_finished(), "COMMIT returned before durability");
    let mut s = Session::new(e.clone());
    assert_eq!(rows(&mut s, "SELECT count(*) FROM t"), [["0"]]);
    // Another writer takes the row's lock at once (the committer released it before its
    // durability wait); what it found is not durable, so its session may not answer yet.
    let e3 = e.for_session();
    let other = thread::spawn(move || {
        let mut other = e3.begin(Isolation::ReadCommitted).unwrap();
        other.begin_statement().unwrap();
        let table = other.catalog().unwrap().table("t").unwrap().id;
        let outcome = other.lock_row(table, &vec![sql::Value::Int(1)]);
        other.rollback();
        e3.settle().map(|()| outcome)
    });
    thread::sleep(Duration::from_millis(50));
    assert_eq!(e.locks().waiters(), 0, "nobody waits for a row lock");
    assert!(
        !other.is_finished(),
        "the session was settled on a version that is not durable"
    );
    wal.make_durable();
    assert_eq!(insert.join().unwrap().unwrap(), "INSERT 0 1");
    let outcome = other.join().unwrap().unwrap().unwrap();
    assert!(matches!(outcome, LockOutcome::Changed(_)), "{outcome:?}");
    assert_eq!(rows(&mut s, "SELECT count(*) FROM t"), [["1"]]);
}

#[test]
fn a_write_set_over_the_limit_fails_cleanly() {
    let config = EngineConfig {
        write_set_limit: 4096,
        ..small_pages()
    };
    let (e, _wal) = crate::engine_common::engine(config);
    let mut s = Session::new(e);
    exec(&mut s, "CREATE TABLE t (id int PRIMARY KEY, s text)").unwrap();
    let err = exec(
        &mut s,
        "INSERT INTO t SELECT g, 'some padding text' FROM generate_series(1, 500) AS g",
    );
    let err = match err {
        Err(e) => e,
        Ok(r) => panic!("expected the limit to trip, got {}", r.tag),
    };
    assert_eq!(err.code(), "54000", "{err}");
    assert_eq!(err.to_string(), "transaction write set exceeds 4096 bytes");
    // The session and engine keep working.
    exec(&mut s, "INSERT INTO t VALUES (1, 'x')").unwrap();
    assert_eq!(rows(&mut s, "SELECT count(*) FROM t"), [["1"]]);
}

#[test]
fn published_pages_are_sealed_as_redo_leaves_them() {
    let (e, wal) = crate::engine_common::engine(small_pages());
    let mut s = Session::new(e.clone());
    exec(&mut s, "CREATE TABLE t (id int PRIMARY KEY, v text)").unwrap();
    exec(&mut s, "CREATE INDEX t_v ON t (v)").unwrap();
    for i in 0..20 {
        let values: Vec<String> = (0..20)
            .map(|j| format!("({}, 'v{}')", i * 20 + j, j))
            .collect();
        exec(
            &mut s,
            &format!("INSERT INTO t VALUES {}", values.join(", ")),
        )
        .unwrap();
    }
    exec(&mut s, "UPDATE t SET v = 'changed' WHERE id % 3 = 0").unwrap();
    exec(&mut s, "DELETE FROM t WHERE id % 7 = 0").unwrap();
    let pages = e.pages().pages();
    assert!(
        pages.len() > 10,
        "expected a multi-level tree, got {} pages",
        pages.len()
    );
    for (key, page) in &pages {
        assert!(proto::page::verify(page), "{key}: bad CRC");
        let lsn = proto::page::page_lsn(page);
        assert!(
            lsn > wal.start_lsn() && lsn <= e.durable_lsn(),
            "{key}: page_lsn {lsn}"
        );
    }
    assert_eq!(
        rows(&mut s, "SELECT count(*) FROM t WHERE v = 'changed'"),
        rows(&mut s, "SELECT count(*) FROM t WHERE id % 3 = 0")
    );
}

#[test]
fn hidden_row_ids_are_never_reused_across_a_restart() {
    let (e, wal) = crate::engine_common::engine(small_pages());
    let mut s = Session::new(e.clone());
    exec(&mut s, "CREATE TABLE log (msg text)").unwrap();
    exec(&mut s, "INSERT INTO log VALUES ('a'), ('b')").unwrap();
    exec(&mut s, "INSERT INTO log VALUES ('c')").unwrap();
    exec(&mut s, "DELETE FROM log WHERE msg = 'c'").unwrap();
    let keys = |e: &Engine| -> Vec<i64> {
        let mut txn = e.begin(Isolation::ReadCommitted).unwrap();
        txn.begin_statement().unwrap();
        let id = txn.catalog().unwrap().table("log").unwrap().id;
        txn.scan(id, &sql::storage::Access::Full)
            .unwrap()
            .map(|r| match r.unwrap().key[..] {
                [sql::Value::Int(i)] => i,
                ref k => panic!("{k:?}"),
            })
            .collect()
    };
    let before = keys(&e);
    assert_eq!(before, [1, 2]);
    let (pages, end) =
        compute::engine::PageTable::replay(wal.start_lsn(), &wal.bytes()).expect("replay");
    let reopened = Engine::open(
        Arc::new(pages),
        Arc::new(MemoryWalSink::new(end)),
        small_pages(),
    )
    .unwrap();
    let mut s = Session::new(reopened.clone());
    exec(&mut s, "INSERT INTO log VALUES ('d'), ('e')").unwrap();
    let after = keys(&reopened);
    assert_eq!(after.len(), 4);
    assert!(
        after[2] > 3 && after[3] > after[2],
        "fresh ids after a restart: {after:?}"
    );
    assert_eq!(
        rows(&mut s, "SELECT msg FROM log ORDER BY msg"),
        [["a"], ["b"], ["d"], ["e"]]
    );
}
