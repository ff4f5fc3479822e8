//! Large transactions: a commit whose record would pass `record_split_bytes` writes the
//! pages it allocated ahead, in records of their own, before the commit record that links
//! them in; a fresh engine replaying the WAL reads every row back. Over the write-set
//! limit, or with a commit record over `max_record_bytes`, the transaction fails with 54000
//! and leaves no trace.

use std::sync::Arc;

use crate::engine_common::{engine, exec, rows};
use compute::engine::{Engine, EngineConfig, MemoryWalSink, PageTable};
use proto::Lsn;
use sql::Session;

const SPLIT: usize = 1 << 20;

/// Every record in `wal` (framed bytes from `start`): `(start, end)`.
fn records(start: Lsn, wal: &[u8]) -> Vec<(Lsn, Lsn, usize)> {
    let mut decoder = proto::WalDecoder::new(start);
    decoder.push(wal);
    let mut out = Vec::new();
    while let Some(r) = decoder.next_record().expect("valid WAL") {
        out.push((r.start, r.end, r.record.page_changes.len()));
    }
    out
}

fn reopen(wal: &MemoryWalSink, config: EngineConfig) -> Engine {
    let (pages, end) = PageTable::replay(wal.start_lsn(), &wal.bytes()).expect("replay");
    Engine::open(Arc::new(pages), Arc::new(MemoryWalSink::new(end)), config).expect("open")
}

#[test]
fn a_transaction_of_megabytes_commits_in_records_under_the_split_size() {
    let config = EngineConfig {
        record_split_bytes: SPLIT,
        ..EngineConfig::default()
    };
    let (e, wal) = engine(config.clone());
    let mut s = Session::new(e.clone());
    exec(
        &mut s,
        "CREATE TABLE t (id int8 PRIMARY KEY, n int8 NOT NULL, v text)",
    )
    .unwrap();
    exec(&mut s, "CREATE INDEX t_n ON t (n)").unwrap();
    exec(&mut s, "INSERT INTO t VALUES (-1, 0, 'before')").unwrap();
    let before_end = e.durable_lsn();
    let before_records = records(wal.start_lsn(), &wal.bytes()).len();

    // ~7 MB of rows in one transaction.
    let pad = "x".repeat(400);
    exec(&mut s, "BEGIN").unwrap();
    for chunk in 0..16 {
        let values: Vec<String> = (0..1000)
            .map(|i| {
                let id = chunk * 1000 + i;
                format!("({id}, {}, '{pad}{id}')", id % 10)
            })
            .collect();
        exec(
            &mut s,
            &format!("INSERT INTO t VALUES {}", values.join(", ")),
        )
        .unwrap();
    }
    exec(&mut s, "UPDATE t SET n = 42 WHERE id = -1").unwrap();
    exec(&mut s, "COMMIT").unwrap();

    let all = records(wal.start_lsn(), &wal.bytes());
    let commit: Vec<_> = all[before_records..].to_vec();
    let bytes: u64 = commit.iter().map(|(s, e, _)| e.0 - s.0).sum();
    eprintln!("{} records, {bytes} bytes", commit.len());
    assert!(bytes > 5 << 20, "the commit wrote only {bytes} bytes");
    assert!(
        commit.len() > 5,
        "expected records ahead, got {}",
        commit.len()
    );
    for (start, end, changes) in &commit {
        assert!(
            (end.0 - start.0) as usize <= SPLIT,
            "record [{start}, {end}) of {changes} changes is over {SPLIT} bytes"
        );
    }
    assert_eq!(e.commit_stats().ahead_records, commit.len() as u64 - 1);

    // Nothing of the transaction is visible before its last record, even at the
    // boundaries between the records written ahead.
    let (_, ahead_end, _) = commit[0];
    let (last_start, _, _) = commit[commit.len() - 1];
    assert!(ahead_end > before_end);
    for snapshot in [ahead_end, last_start] {
        assert_eq!(count_at(&e, snapshot), 1, "rows visible at {snapshot}");
    }

    let expect = [
        rows(&mut s, "SELECT count(*), sum(n) FROM t"),
        rows(&mut s, "SELECT count(*) FROM t WHERE n = 7"),
        rows(
            &mut s,
            "SELECT id, length(v) FROM t WHERE id IN (0, 8191, 15999, -1) ORDER BY id",
        ),
    ];
    assert_eq!(expect[0], [["16001", "72042"]]);
    assert_eq!(expect[1], [["1600"]]);

    // A fresh engine on pages replayed from the WAL reads the same.
    let fresh = reopen(&wal, config);
    let mut f = Session::new(fresh);
    let got = [
        rows(&mut f, "SELECT count(*), sum(n) FROM t"),
        rows(&mut f, "SELECT count(*) FROM t WHERE n = 7"),
        rows(
            &mut f,
            "SELECT id, length(v) FROM t WHERE id IN (0, 8191, 15999, -1) ORDER BY id",
        ),
    ];
    assert_eq!(got, expect);
    exec(&mut f, "INSERT INTO t VALUES (20000, 1, 'after')").unwrap();
    assert_eq!(rows(&mut f, "SELECT count(*) FROM t"), [["16002"]]);
}

/// Rows of `t` visible at `snapshot`, through the storage API.
fn count_at(e: &Engine, snapshot: Lsn) -> usize {
    use sql::storage::{Access, Txn};
    let mut txn = e.begin_at(snapshot);
    txn.begin_statement().expect("statement");
    let table = txn
        .catalog()
        .expect("catalog")
        .table("t")
        .expect("table t")
        .id;
    let stream = txn.scan(table, &Access::Full).expect("scan");
    let rows: Vec<_> = stream.collect::<sql::Result<_>>().expect("rows");
    let n = rows.len();
    txn.rollback();
    n
}

#[test]
fn over_the_write_set_limit_a_transaction_fails_with_54000_and_leaves_no_trace() {
    let config = EngineConfig {
        write_set_limit: 256 << 10,
        ..EngineConfig::default()
    };
    let (e, wal) = engine(config);
    let mut s = Session::new(e.clone());
    exec(&mut s, "CREATE TABLE t (id int8 PRIMARY KEY, v text)").unwrap();
    exec(&mut s, "INSERT INTO t VALUES (1, 'kept')").unwrap();
    let wal_len = wal.bytes().len();
    let pad = "y".repeat(300);
    exec(&mut s, "BEGIN").unwrap();
    exec(&mut s, "INSERT INTO t VALUES (2, 'in the block')").unwrap();
    let values: Vec<String> = (100..2100).map(|i| format!("({i}, '{pad}')")).collect();
    let err = exec(
        &mut s,
        &format!("INSERT INTO t VALUES {}", values.join(", ")),
    )
    .expect_err("the write set is over the limit");
    assert_eq!(err.code(), "54000", "{err}");
    assert_eq!(
        err.to_string(),
        format!("transaction write set exceeds {} bytes", 256 << 10)
    );
    exec(&mut s, "ROLLBACK").unwrap();
    assert_eq!(wal.bytes().len(), wal_len, "nothing reached the WAL");
    assert_eq!(rows(&mut s, "SELECT id, v FROM t"), [["1", "kept"]]);
}

#[test]
fn a_commit_record_over_the_maximum_fails_with_54000_and_writes_nothing() {
    let small = EngineConfig {
        record_split_bytes: 64 << 10,
        max_record_bytes: 64 << 10,
        ..EngineConfig::default()
    };
    let (e, wal) = engine(small.clone());
    let mut s = Session::new(e.clone());
    exec(&mut s, "CREATE TABLE t (id int8 PRIMARY KEY, v text)").unwrap();
    let pad = "z".repeat(300);
    // ~60 leaves, filled in separate small transactions.
    for chunk in 0..30 {
        let values: Vec<String> = (0..50)
            .map(|i| format!("({}, '{pad}')", chunk * 50 + i))
            .collect();
        exec(
            &mut s,
            &format!("INSERT INTO t VALUES {}", values.join(", ")),
        )
        .unwrap();
    }
    let wal_len = wal.bytes().len();
    // Changing a row in every existing leaf needs a commit record over 64 KiB: the pages
    // it changes are reachable, so none can go ahead.
    let err = exec(&mut s, "UPDATE t SET v = 'changed' WHERE id % 2 = 0")
        .expect_err("the commit record is over the maximum");
    assert_eq!(err.code(), "54000", "{err}");
    assert!(
        err.to_string().contains("exceeds the maximum record size"),
        "{err}"
    );
    assert_eq!(wal.bytes().len(), wal_len, "nothing reached the WAL");
    assert_eq!(
        rows(&mut s, "SELECT count(*) FROM t WHERE v = 'changed'"),
        [["0"]]
    );
    // The engine goes on; a fresh one replaying the WAL agrees.
    exec(&mut s, "UPDATE t SET v = 'one' WHERE id = 7").unwrap();
    let mut f = Session::new(reopen(&wal, small));
    assert_eq!(rows(&mut f, "SELECT count(*) FROM t"), [["1500"]]);
    assert_eq!(rows(&mut f, "SELECT v FROM t WHERE id = 7"), [["one"]]);
}

/// The same over a real pageserver: a compute commits ~2 MB in one transaction as
/// records of at most 256 KiB; a second compute with an empty cache reads it back from
/// the pageserver.
#[test]
fn a_large_commit_reaches_a_second_compute_through_the_pageserver() {
    use crate::page_cache_pageserver::{cached_engine_with, start_pageserver};
    use compute::page_cache::CacheConfig;

    let config = EngineConfig {
        record_split_bytes: 256 << 10,
        ..EngineConfig::default()
    };
    let env = start_pageserver();
    let (a, _) = cached_engine_with(
        &env,
        Lsn::TIMELINE_START,
        CacheConfig::default(),
        config.clone(),
    );
    let mut s = Session::new(a.clone());
    exec(
        &mut s,
        "CREATE TABLE t (id int8 PRIMARY KEY, n int8 NOT NULL, v text)",
    )
    .unwrap();
    exec(&mut s, "CREATE INDEX t_n ON t (n)").unwrap();
    let pad = "w".repeat(400);
    exec(&mut s, "BEGIN").unwrap();
    for chunk in 0..5 {
        let values: Vec<String> = (0..1000)
            .map(|i| format!("({}, {}, '{pad}')", chunk * 1000 + i, i % 10))
            .collect();
        exec(
            &mut s,
            &format!("INSERT INTO t VALUES {}", values.join(", ")),
        )
        .unwrap();
    }
    exec(&mut s, "COMMIT").unwrap();
    let ahead = a.commit_stats().ahead_records;
    assert!(ahead >= 4, "{ahead} records ahead");

    let (b, _) = cached_engine_with(&env, a.durable_lsn(), CacheConfig::default(), config);
    let mut sb = Session::new(b);
    assert_eq!(
        rows(&mut sb, "SELECT count(*), sum(n) FROM t"),
        [["5000", "22500"]]
    );
    assert_eq!(
        rows(&mut sb, "SELECT count(*) FROM t WHERE n = 3"),
        [["500"]]
    );
}
