//! Bulk loads (`engine::load`): rows a transaction inserts into a table whose relations it
//! created (TRUNCATE or CREATE TABLE in the same transaction, as `pgbench -i` does) are
//! built ahead of the commit. The result must be what the row-by-row serial step gives,
//! survive WAL replay, and be all or nothing: replaying the WAL up to just before the
//! commit record shows the table as it was.

use std::sync::Arc;

use crate::engine_common::{engine, exec, rows, small_pages};
use compute::engine::{Engine, EngineConfig, MemoryWalSink, PageTable};
use proto::Lsn;
use sql::Session;

/// `(start, end)` of every `Commit` record in `wal` from `start` (the others are
/// `DropRelation`s of the relations a TRUNCATE replaced).
fn records(start: Lsn, wal: &[u8]) -> Vec<(Lsn, Lsn)> {
    let mut decoder = proto::WalDecoder::new(start);
    decoder.push(wal);
    let mut out = Vec::new();
    while let Some(r) = decoder.next_record().expect("valid WAL") {
        if matches!(r.record.kind, proto::record::RecordKind::Commit) {
            out.push((r.start, r.end));
        }
    }
    out
}

/// An engine over the pages the first `upto` bytes of `wal` replay to.
fn replayed(wal: &MemoryWalSink, upto: Lsn, config: EngineConfig) -> Engine {
    let bytes = wal.bytes();
    let len = (upto.0 - wal.start_lsn().0) as usize;
    let (pages, end) = PageTable::replay(wal.start_lsn(), &bytes[..len]).expect("replay");
    Engine::open(Arc::new(pages), Arc::new(MemoryWalSink::new(end)), config).expect("open")
}

const SETUP: &str = "
    CREATE TABLE a (aid int NOT NULL, bid int, abalance int, filler char(20));
    CREATE INDEX a_bid ON a (bid);
    INSERT INTO a SELECT g, g % 7, 0, 'old' FROM generate_series(1, 10) AS g;
";

/// pgbench's step g, plus a table created in the same transaction with a primary key
/// and a unique column, and rows deleted and updated before the commit.
const LOAD: &str = "
    BEGIN;
    TRUNCATE a;
    INSERT INTO a SELECT g, g % 7, 0, '' FROM generate_series(1, 2500) AS g;
    DELETE FROM a WHERE aid % 1000 = 0;
    UPDATE a SET abalance = 1 WHERE aid = 77;
    CREATE TABLE b (id int PRIMARY KEY, v text UNIQUE, n int);
    INSERT INTO b SELECT 1500 - g, 'v' || g, g % 10 FROM generate_series(1, 1500) AS g;
    COMMIT;
";

const QUERIES: [&str; 8] = [
    "SELECT count(*), sum(aid), sum(abalance), rtrim(min(filler)), max(length(filler)) FROM a",
    "SELECT count(*) FROM a WHERE bid = 3",
    "SELECT aid, bid, abalance FROM a WHERE aid IN (1, 77, 1000, 2499) ORDER BY aid",
    "SELECT aid FROM a LIMIT 5",
    "SELECT count(*), sum(id), sum(n) FROM b",
    "SELECT id, v FROM b WHERE v = 'v1234'",
    "SELECT id, n FROM b WHERE id = 17",
    "SELECT id FROM b LIMIT 3",
];

fn answers(s: &mut Session<Engine>) -> Vec<Vec<Vec<String>>> {
    QUERIES.iter().map(|q| rows(s, q)).collect()
}

/// After the load: more rows, a duplicate key refused, a primary key added.
fn afterwards(s: &mut Session<Engine>) -> Vec<Vec<Vec<String>>> {
    exec(s, "INSERT INTO a VALUES (9001, 1, 0, ''), (9002, 2, 0, '')").unwrap();
    exec(s, "INSERT INTO b VALUES (5000, 'new', 0)").unwrap();
    let dup = exec(s, "INSERT INTO b VALUES (1, 'other', 0)").unwrap_err();
    assert_eq!(dup.code(), "23505", "{dup}");
    let dup = exec(s, "INSERT INTO b VALUES (5001, 'v7', 0)").unwrap_err();
    assert_eq!(dup.code(), "23505", "{dup}");
    exec(s, "ALTER TABLE a ADD PRIMARY KEY (aid)").unwrap();
    vec![
        rows(s, "SELECT count(*), sum(aid) FROM a"),
        rows(s, "SELECT aid FROM a WHERE aid > 2490 ORDER BY aid"),
        rows(s, "SELECT count(*) FROM a WHERE bid = 1"),
        rows(s, "SELECT count(*) FROM b"),
    ]
}

#[test]
fn a_bulk_load_gives_what_row_by_row_inserts_give() {
    let row_by_row = EngineConfig {
        bulk_load_rows: usize::MAX,
        ..small_pages()
    };
    let mut results = Vec::new();
    for config in [small_pages(), row_by_row] {
        let (e, wal) = engine(config.clone());
        let mut s = Session::new(e);
        exec(&mut s, SETUP).unwrap();
        exec(&mut s, LOAD).unwrap();
        let now = answers(&mut s);
        // A fresh engine on pages replayed from the WAL reads the same.
        let mut f = Session::new(replayed(&wal, end_of(&wal), config));
        assert_eq!(answers(&mut f), now);
        let after = afterwards(&mut f);
        results.push((now, after));
    }
    assert_eq!(results[0], results[1]);
    let (now, _) = &results[0];
    assert_eq!(now[0], [["2498", "3123250", "1", "", "0"]]);
    assert_eq!(now[3], [["1"], ["2"], ["3"], ["4"], ["5"]]);
}

fn end_of(wal: &MemoryWalSink) -> Lsn {
    Lsn(wal.start_lsn().0 + wal.bytes().len() as u64)
}

#[test]
fn a_bulk_load_is_all_or_nothing() {
    let config = small_pages();
    let (e, wal) = engine(config.clone());
    let mut s = Session::new(e);
    exec(&mut s, SETUP).unwrap();
    let before = records(wal.start_lsn(), &wal.bytes()).len();
    exec(&mut s, LOAD).unwrap();
    let all = records(wal.start_lsn(), &wal.bytes());
    let load = &all[before..];
    // The pages went ahead in records of their own; the commit record only links them.
    assert!(load.len() >= 3, "{load:?}");
    let (commit_start, commit_end) = load[load.len() - 1];
    let ahead: u64 = load[..load.len() - 1].iter().map(|(s, e)| e.0 - s.0).sum();
    assert!(ahead > 100_000, "only {ahead} bytes ahead");
    assert!(
        commit_end.0 - commit_start.0 < 64 << 10,
        "commit record of {} bytes",
        commit_end.0 - commit_start.0
    );

    // A crash anywhere before the commit record: the table is as it was.
    let ahead_ends: Vec<Lsn> = load[..load.len() - 1].iter().map(|(_, e)| *e).collect();
    for cut in [
        ahead_ends[0],
        ahead_ends[ahead_ends.len() / 2],
        commit_start,
    ] {
        let mut f = Session::new(replayed(&wal, cut, config.clone()));
        assert_eq!(
            rows(&mut f, "SELECT count(*), rtrim(min(filler)) FROM a"),
            [["10", "old"]]
        );
        assert!(exec(&mut f, "SELECT * FROM b").is_err());
        exec(&mut f, "INSERT INTO a VALUES (11, 1, 0, 'x')").unwrap();
        assert_eq!(
            rows(&mut f, "SELECT count(*) FROM a WHERE bid = 1"),
            [["3"]]
        );
    }
    let mut f = Session::new(replayed(&wal, commit_end, config));
    assert_eq!(rows(&mut f, "SELECT count(*) FROM a"), [["2498"]]);

    // A load that fails leaves nothing either.
    let mut s2 = s;
    let err = exec(
        &mut s2,
        "BEGIN; TRUNCATE a;
         INSERT INTO a SELECT g, 1, 0, '' FROM generate_series(1, 3000) AS g;
         INSERT INTO a VALUES (1, 1, 0, repeat('x', 30));",
    )
    .unwrap_err();
    assert_eq!(err.code(), "22001", "{err}");
    exec(&mut s2, "ROLLBACK").unwrap();
    assert_eq!(rows(&mut s2, "SELECT count(*) FROM a"), [["2498"]]);
}

#[test]
fn adding_a_primary_key_over_a_duplicate_fails_as_postgresql_does() {
    let (e, _wal) = engine(small_pages());
    let mut s = Session::new(e);
    exec(
        &mut s,
        "CREATE TABLE a (aid int NOT NULL, bid int);
         INSERT INTO a SELECT g, 1 FROM generate_series(1, 5000) AS g;
         INSERT INTO a VALUES (4321, 2);",
    )
    .unwrap();
    let err = exec(&mut s, "ALTER TABLE a ADD PRIMARY KEY (aid)").unwrap_err();
    assert_eq!(err.code(), "23505");
    assert_eq!(err.to_string(), "could not create unique index \"a_pkey\"");
    assert_eq!(err.detail(), Some("Key (aid)=(4321) is duplicated."));
    assert_eq!(rows(&mut s, "SELECT count(*) FROM a"), [["5001"]]);
    exec(&mut s, "DELETE FROM a WHERE bid = 2").unwrap();
    exec(&mut s, "ALTER TABLE a ADD PRIMARY KEY (aid)").unwrap();
    assert_eq!(rows(&mut s, "SELECT bid FROM a WHERE aid = 4321"), [["1"]]);
}

/// The relation holding table `name`'s rows, as latest committed.
fn rel_of(e: &Engine, name: &str) -> proto::RelId {
    let catalog = e.latest_catalog();
    let t = catalog.tables.values().find(|t| t.def.name == name);
    t.expect("table exists").rel
}

/// ADD PRIMARY KEY over a table whose hidden row ids equal the new key (pgbench's
/// accounts after the load) keeps the table's tree instead of rewriting it: the same
/// answers, the key enforced, across WAL replay; a rolled-back ALTER leaves the table as
/// it was; a key that does not match the row ids still rewrites.
#[test]
fn adding_a_primary_key_equal_to_the_row_ids_keeps_the_tree() {
    let config = small_pages();
    let (e, wal) = engine(config.clone());
    let mut s = Session::new(e.clone());
    exec(
        &mut s,
        "CREATE TABLE a (aid int NOT NULL, bid int, filler char(20));
         CREATE INDEX a_bid ON a (bid);
         CREATE TABLE r (id int NOT NULL, v text);
         CREATE TABLE few (id int NOT NULL, v text);
         BEGIN;
         TRUNCATE a;
         INSERT INTO a SELECT g, g % 7, '' FROM generate_series(1, 2500) AS g;
         INSERT INTO r SELECT 2001 - g, 'r' || g FROM generate_series(1, 2000) AS g;
         COMMIT;
         INSERT INTO few SELECT g, 'f' FROM generate_series(1, 20) AS g;
         UPDATE few SET v = 'g' WHERE id = 3;",
    )
    .unwrap();
    let (a, r, few) = (rel_of(&e, "a"), rel_of(&e, "r"), rel_of(&e, "few"));

    // Rolled back: nothing changed, duplicates still allowed.
    exec(
        &mut s,
        "BEGIN; ALTER TABLE a ADD PRIMARY KEY (aid); ROLLBACK",
    )
    .unwrap();
    assert_eq!(rel_of(&e, "a"), a);
    exec(
        &mut s,
        "BEGIN; INSERT INTO a VALUES (5, 0, 'dup'); ROLLBACK",
    )
    .unwrap();

    exec(&mut s, "ALTER TABLE a ADD PRIMARY KEY (aid)").unwrap();
    exec(&mut s, "ALTER TABLE few ADD PRIMARY KEY (id)").unwrap();
    exec(&mut s, "ALTER TABLE r ADD PRIMARY KEY (id)").unwrap();
    assert_eq!(rel_of(&e, "a"), a, "a's tree kept");
    assert_eq!(rel_of(&e, "few"), few, "few's tree kept");
    assert_ne!(rel_of(&e, "r"), r, "r (keys in reverse) rewritten");

    let check = |s: &mut Session<Engine>| {
        assert_eq!(
            rows(s, "SELECT count(*), sum(aid) FROM a"),
            [["2500", "3126250"]]
        );
        assert_eq!(rows(s, "SELECT bid FROM a WHERE aid = 1234"), [["2"]]);
        assert_eq!(rows(s, "SELECT count(*) FROM a WHERE bid = 3"), [["357"]]);
        assert_eq!(rows(s, "SELECT v FROM few WHERE id = 3"), [["g"]]);
        assert_eq!(rows(s, "SELECT v FROM r WHERE id = 1"), [["r2000"]]);
        let dup = exec(s, "INSERT INTO a VALUES (2500, 0, '')").unwrap_err();
        assert_eq!(dup.code(), "23505", "{dup}");
        let dup = exec(s, "INSERT INTO few VALUES (3, '')").unwrap_err();
        assert_eq!(dup.code(), "23505", "{dup}");
        let null = exec(s, "INSERT INTO a VALUES (NULL, 0, '')").unwrap_err();
        assert_eq!(null.code(), "23502", "{null}");
    };
    check(&mut s);
    // Across WAL replay: a fresh engine on the replayed pages.
    let mut f = Session::new(replayed(&wal, end_of(&wal), config));
    check(&mut f);
    exec(&mut f, "INSERT INTO a VALUES (2501, 1, 'new')").unwrap();
    exec(&mut f, "UPDATE a SET bid = 100 WHERE aid = 10").unwrap();
    exec(&mut f, "DELETE FROM a WHERE aid = 11").unwrap();
    assert_eq!(
        rows(
            &mut f,
            "SELECT aid, bid FROM a WHERE aid BETWEEN 9 AND 12 OR aid > 2499 ORDER BY aid"
        ),
        [
            ["9", "2"],
            ["10", "100"],
            ["12", "5"],
            ["2500", "1"],
            ["2501", "1"]
        ]
    );
}
