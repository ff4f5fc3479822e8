//! DROP TABLE / DROP INDEX write a `DropRelation` record for every relation they free,
//! after the catalog record; a real pageserver then serves the relation's pages below the
//! drop and none at or after it.

use std::time::{Duration, Instant};

use crate::engine_common::{engine, exec, small_pages};
use crate::page_cache_pageserver::{cached_engine_with, small_cache, start_pageserver};
use compute::engine::{Engine, MemoryWalSink, WalSink};
use proto::{Lsn, PageKey, RecordKind, RelId};
use sql::Session;
use sql::storage::{Isolation, Storage, Txn};

/// The relation of table `name` and of each of its indexes, by name.
fn rels(e: &Engine, name: &str) -> (RelId, Vec<(String, RelId)>) {
    let mut t = e.begin(Isolation::ReadCommitted).unwrap();
    t.begin_statement().unwrap();
    let id = t.catalog().unwrap().table(name).unwrap().id;
    t.rollback();
    let cat = e.latest_catalog();
    let entry = &cat.tables[&id];
    let indexes = entry.indexes().map(|(i, r)| (i.name.clone(), r)).collect();
    (entry.rel, indexes)
}

/// `(kind, start, end)` of every record after `from`.
fn records_after(wal: &MemoryWalSink, from: Lsn) -> Vec<(RecordKind, Lsn, Lsn)> {
    let mut decoder = proto::WalDecoder::new(wal.start_lsn());
    decoder.push(&wal.bytes());
    let mut out = Vec::new();
    while let Some(rec) = decoder.next_record().unwrap() {
        if rec.start >= from {
            out.push((rec.record.kind, rec.start, rec.end));
        }
    }
    out
}

fn drops(records: &[(RecordKind, Lsn, Lsn)]) -> Vec<RelId> {
    records
        .iter()
        .filter_map(|(k, _, _)| match k {
            RecordKind::DropRelation { rel } => Some(*rel),
            _ => None,
        })
        .collect()
}

#[test]
fn drops_write_a_tombstone_per_freed_relation() {
    let (e, wal) = engine(small_pages());
    let mut s = Session::new(e.clone());
    exec(
        &mut s,
        "CREATE TABLE t (id int8 PRIMARY KEY, a int8, b int8)",
    )
    .unwrap();
    exec(&mut s, "CREATE INDEX t_a ON t (a)").unwrap();
    exec(&mut s, "CREATE INDEX t_b ON t (b)").unwrap();
    exec(&mut s, "INSERT INTO t VALUES (1, 2, 3), (4, 5, 6)").unwrap();
    let (t, indexes) = rels(&e, "t");
    let (a, b) = (indexes[0].1, indexes[1].1);

    let before = wal.end_lsn();
    exec(&mut s, "DROP INDEX t_a").unwrap();
    let recs = records_after(&wal, before);
    assert_eq!(drops(&recs), vec![a]);
    assert_eq!(
        recs[0].0,
        RecordKind::Commit,
        "the catalog record comes first"
    );
    assert_eq!(
        e.durable_lsn(),
        wal.end_lsn(),
        "the tombstone is applied and durable"
    );

    let before = wal.end_lsn();
    exec(&mut s, "DROP TABLE t").unwrap();
    assert_eq!(drops(&records_after(&wal, before)), vec![t, b]);

    // A table created and dropped in one transaction never had pages: no tombstone.
    let before = wal.end_lsn();
    exec(&mut s, "BEGIN").unwrap();
    exec(&mut s, "CREATE TABLE u (id int8 PRIMARY KEY)").unwrap();
    exec(&mut s, "DROP TABLE u").unwrap();
    exec(&mut s, "COMMIT").unwrap();
    assert!(drops(&records_after(&wal, before)).is_empty());
    // And the engine goes on.
    exec(&mut s, "CREATE TABLE t (id int8 PRIMARY KEY)").unwrap();
    exec(&mut s, "INSERT INTO t VALUES (1)").unwrap();
}

#[test]
fn the_pageserver_serves_a_dropped_table_only_below_the_drop() {
    let env = start_pageserver();
    let (e, cache) = cached_engine_with(&env, Lsn::TIMELINE_START, small_cache(), small_pages());
    let mut s = Session::new(e.clone());
    exec(&mut s, "CREATE TABLE t (id int8 PRIMARY KEY, v text)").unwrap();
    exec(&mut s, "INSERT INTO t VALUES (1, 'one'), (2, 'two')").unwrap();
    let rel = rels(&e, "t").0;
    let before = e.durable_lsn();
    exec(&mut s, "DROP TABLE t").unwrap();
    let after = e.durable_lsn();
    assert!(after > before);

    let key = PageKey { rel, block: 0 };
    let deadline = Instant::now() + Duration::from_secs(20);
    let old = loop {
        match cache.get_at(key, before) {
            Ok(page) => break page,
            Err(e) => {
                assert!(Instant::now() < deadline, "read at {before}: {e}");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    };
    assert!(old.is_some(), "the table's root existed before the drop");
    let gone = cache.get_at(key, after).expect("an answer");
    assert!(
        gone.is_none(),
        "the pageserver still serves the dropped table"
    );
}
