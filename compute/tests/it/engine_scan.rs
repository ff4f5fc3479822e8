//! Scans: streaming in batches across many leaves, merged with own writes, detached from
//! writes made while the stream is consumed.

use crate::engine_common::{engine, exec, rows, small_pages};
use sql::Session;
use sql::Value::Int;
use sql::storage::{Access, InsertOutcome, Isolation, KeyRange, OnConflict, Storage, Txn};

#[test]
fn full_scans_stream_across_batches_merged_with_own_writes() {
    let (e, _wal) = engine(small_pages());
    let mut s = Session::new(e.clone());
    exec(&mut s, "CREATE TABLE t (id int PRIMARY KEY, v int)").unwrap();
    exec(
        &mut s,
        "INSERT INTO t SELECT g * 2, g FROM generate_series(0, 999) AS g",
    )
    .unwrap();
    exec(&mut s, "BEGIN").unwrap();
    exec(&mut s, "DELETE FROM t WHERE id % 10 = 0").unwrap();
    exec(&mut s, "UPDATE t SET v = -1 WHERE id % 10 = 2").unwrap();
    exec(
        &mut s,
        "INSERT INTO t SELECT g * 2 + 1, 7 FROM generate_series(0, 999) AS g",
    )
    .unwrap();
    let got = rows(&mut s, "SELECT id, v FROM t");
    let mut want = Vec::new();
    for id in 0..2000 {
        let v = match (id % 2, id % 10) {
            (1, _) => 7,
            (_, 0) => continue,
            (_, 2) => -1,
            _ => id / 2,
        };
        want.push(vec![id.to_string(), v.to_string()]);
    }
    assert_eq!(got, want, "key order, own writes merged");
    assert_eq!(
        rows(
            &mut s,
            "SELECT count(*) FROM t WHERE id >= 500 AND id < 1500"
        ),
        [["900"]]
    );
    exec(&mut s, "ROLLBACK").unwrap();
    assert_eq!(rows(&mut s, "SELECT count(*) FROM t"), [["1000"]]);
}

#[test]
fn a_stream_is_detached_from_later_writes() {
    let (e, _wal) = engine(small_pages());
    let mut s = Session::new(e.clone());
    exec(&mut s, "CREATE TABLE t (id int PRIMARY KEY, v int)").unwrap();
    exec(
        &mut s,
        "INSERT INTO t SELECT g, g FROM generate_series(1, 600) AS g",
    )
    .unwrap();
    let mut txn = e.begin(Isolation::ReadCommitted).unwrap();
    txn.begin_statement().unwrap();
    let id = txn.catalog().unwrap().table("t").unwrap().id;
    let range = KeyRange {
        lower: std::ops::Bound::Included(vec![Int(100)]),
        upper: std::ops::Bound::Unbounded,
    };
    let mut stream = txn.scan(id, &Access::PrimaryRange(range)).unwrap();
    let first = stream.next().unwrap().unwrap();
    assert_eq!(first.key, vec![Int(100)]);
    // The same statement writes, and another transaction commits, while the stream is open.
    let out = txn
        .insert(id, vec![Int(1000), Int(0)], &OnConflict::Error)
        .unwrap();
    assert_eq!(out, InsertOutcome::Inserted(vec![Int(1000)]));
    exec(&mut s, "INSERT INTO t VALUES (2000, 0)").unwrap();
    exec(&mut s, "DELETE FROM t WHERE id = 300").unwrap();
    let rest: Vec<i64> = stream
        .map(|r| match r.unwrap().key[0] {
            Int(i) => i,
            ref v => panic!("{v:?}"),
        })
        .collect();
    assert_eq!(rest, (101..=600).collect::<Vec<_>>());
    txn.end_statement(true);
    txn.rollback();
}

#[test]
fn a_long_scan_read_ahead_sees_its_snapshot_and_can_stop_early() {
    let (e, _wal) = engine(small_pages());
    let mut s = Session::new(e.clone());
    let mut other = Session::new(e.clone());
    exec(&mut s, "CREATE TABLE t (id int PRIMARY KEY, v int)").unwrap();
    exec(
        &mut s,
        "INSERT INTO t SELECT g, g FROM generate_series(1, 5000) AS g",
    )
    .unwrap();
    exec(&mut s, "BEGIN ISOLATION LEVEL REPEATABLE READ").unwrap();
    assert_eq!(rows(&mut s, "SELECT count(*) FROM t"), [["5000"]]);
    // Committed after the snapshot, all over the range the read-ahead thread reads.
    exec(&mut other, "DELETE FROM t WHERE id % 3 = 0").unwrap();
    exec(&mut other, "UPDATE t SET v = -v").unwrap();
    exec(
        &mut other,
        "INSERT INTO t SELECT g, 1 FROM generate_series(5001, 9000) AS g",
    )
    .unwrap();
    assert_eq!(
        rows(&mut s, "SELECT count(*), sum(v), min(v), max(id) FROM t"),
        [["5000", "12502500", "1", "5000"]]
    );
    // Own writes of the transaction merge into the batches read ahead.
    exec(
        &mut s,
        "INSERT INTO t SELECT g, 0 FROM generate_series(-999, 0) AS g",
    )
    .unwrap();
    assert_eq!(
        rows(&mut s, "SELECT count(*), sum(v), min(id), max(id) FROM t"),
        [["6000", "12502500", "-999", "5000"]]
    );
    // A scan dropped after a few rows (its read-ahead thread stops on its own).
    assert_eq!(
        rows(&mut s, "SELECT id FROM t LIMIT 3"),
        [["-999"], ["-998"], ["-997"]]
    );
    exec(&mut s, "COMMIT").unwrap();
    assert_eq!(
        rows(&mut s, "SELECT count(*), sum(v) FROM t"),
        [["8334", "-8332667"]]
    );
}

/// ANALYZE's sample (`Txn::sample`), which decodes only the rows it keeps, offers exactly
/// the rows of a full scan in its order: dead versions skipped, the snapshot respected,
/// own writes merged.
#[test]
fn samples_offer_the_rows_of_a_full_scan() {
    use sql::storage::Reservoir;
    let (e, _wal) = engine(small_pages());
    let mut s = Session::new(e.clone());
    exec(&mut s, "CREATE TABLE t (id int PRIMARY KEY, v int, f text)").unwrap();
    exec(&mut s, "CREATE TABLE empty (id int)").unwrap();
    exec(
        &mut s,
        "INSERT INTO t SELECT g, g % 13, repeat('x', g % 50) FROM generate_series(1, 3000) AS g",
    )
    .unwrap();
    exec(&mut s, "DELETE FROM t WHERE id % 7 = 0").unwrap();
    exec(&mut s, "UPDATE t SET v = -v WHERE id % 5 = 0").unwrap();
    let compare = |txn: &compute::engine::EngineTxn, table, cap| {
        let mut got = Reservoir::new(cap);
        txn.sample(table, &mut got).unwrap();
        let mut want = Reservoir::new(cap);
        for r in txn.scan(table, &Access::Full).unwrap() {
            want.add(r.unwrap().row);
        }
        assert_eq!(got.seen(), want.seen());
        assert_eq!(got.rows(), want.rows());
        got.seen()
    };
    let mut txn = e.begin(Isolation::RepeatableRead).unwrap();
    txn.begin_statement().unwrap();
    let catalog = txn.catalog().unwrap();
    let (t, empty) = (
        catalog.table("t").unwrap().id,
        catalog.table("empty").unwrap().id,
    );
    assert_eq!(compare(&txn, t, 100), 3000 - 3000 / 7);
    assert_eq!(compare(&txn, t, 5000), 3000 - 3000 / 7);
    assert_eq!(compare(&txn, empty, 10), 0);
    // Committed after the snapshot: not offered.
    exec(&mut s, "INSERT INTO t VALUES (5000, 0, '')").unwrap();
    exec(&mut s, "DELETE FROM t WHERE id = 1").unwrap();
    assert_eq!(compare(&txn, t, 100), 3000 - 3000 / 7);
    // Own writes of earlier statements are merged in (the scan's path).
    txn.insert(
        t,
        vec![Int(6000), Int(1), sql::Value::Null],
        &OnConflict::Error,
    )
    .unwrap();
    txn.begin_statement().unwrap();
    assert_eq!(compare(&txn, t, 100), 3000 - 3000 / 7 + 1);
    txn.rollback();
}
