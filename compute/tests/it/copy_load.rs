//! COPY into tables a transaction created or truncated (`engine::append`: rows kept encoded
//! in a per-table buffer when the table has no key and no index), next to COPYs the buffer
//! does not take (an index, a unique constraint, a foreign key): the same rows, the same
//! constraint errors, statement and transaction rollback leaving nothing, reads and writes
//! of the rows before the commit, and the same answers on an engine replayed from the WAL
//! (another compute reading the pages the load wrote).

use std::sync::Arc;

use crate::engine_common::{engine, exec, rows, small_pages};
use compute::engine::{Engine, EngineConfig, MemoryWalSink, PageTable};
use sql::Session;

/// Runs `COPY ... FROM STDIN` with `data` sent in chunks of `chunk` bytes.
fn copy(s: &mut Session<Engine>, stmt: &str, data: &str, chunk: usize) -> sql::Result<String> {
    exec(s, stmt)?;
    assert!(s.copy_in_pending(), "{stmt} waits for data");
    for c in data.as_bytes().chunks(chunk.max(1)) {
        s.copy_data(c)?;
    }
    s.copy_done().map(|r| r.tag)
}

/// `n` rows `aid \t aid % 7` from `from`.
fn pairs(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("{i}\t{}\n", i % 7))
        .collect()
}

/// `n` accounts rows from `from`, pgbench's stream format.
fn accounts(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("{i}\t{}\t0\t\n", i % 7))
        .collect()
}

fn replayed(wal: &MemoryWalSink, config: EngineConfig) -> Engine {
    let bytes = wal.bytes();
    let (pages, end) = PageTable::replay(wal.start_lsn(), &bytes).expect("replay");
    Engine::open(Arc::new(pages), Arc::new(MemoryWalSink::new(end)), config).expect("open")
}

const SETUP: &str = "
    CREATE TABLE branches (bid int PRIMARY KEY, name text);
    INSERT INTO branches SELECT g, 'b' || g FROM generate_series(0, 6) AS g;
    CREATE TABLE plain (aid int NOT NULL, bid int, abalance int DEFAULT 5, filler char(20),
                        doubled int GENERATED ALWAYS AS (aid * 2) STORED,
                        CHECK (abalance >= 0));
    CREATE TABLE indexed (aid int NOT NULL, bid int, abalance int, filler char(20));
    CREATE INDEX indexed_bid ON indexed (bid);
    CREATE TABLE uniq (aid int UNIQUE, bid int, abalance int, filler char(20));
    CREATE TABLE child (aid int, bid int REFERENCES branches, abalance int, filler char(20));
";

const QUERIES: [&str; 6] = [
    "SELECT count(*), sum(aid), sum(bid), sum(abalance), sum(doubled), rtrim(min(filler)) FROM plain",
    "SELECT aid, bid, doubled FROM plain WHERE aid IN (1, 2, 1500, 2999) ORDER BY aid",
    "SELECT count(*), sum(aid) FROM indexed WHERE bid = 3",
    "SELECT count(*), sum(aid) FROM uniq",
    "SELECT count(*), sum(bid) FROM child",
    "SELECT aid FROM plain LIMIT 3",
];

#[test]
fn copy_into_new_tables_gives_the_rows_and_survives_replay() {
    let config = small_pages();
    let (e, wal) = engine(config.clone());
    let mut s = Session::new(e);
    exec(&mut s, SETUP).unwrap();
    exec(&mut s, "BEGIN").unwrap();
    exec(
        &mut s,
        "TRUNCATE plain, indexed, uniq, child; INSERT INTO plain (aid, bid) VALUES (1, 1)",
    )
    .unwrap();
    let tag = copy(
        &mut s,
        "COPY plain (aid, bid, filler) FROM STDIN",
        &accounts(2, 2998).replace("\t0\t\n", "\tf\n"),
        777,
    )
    .unwrap();
    assert_eq!(tag, "COPY 2998");
    for t in ["indexed", "uniq", "child"] {
        let tag = copy(
            &mut s,
            &format!("COPY {t} FROM STDIN"),
            &accounts(1, 2500),
            4096,
        )
        .unwrap();
        assert_eq!(tag, "COPY 2500");
    }
    // Read in the transaction: the appended rows are there, in key order.
    let inside: Vec<_> = QUERIES.iter().map(|q| rows(&mut s, q)).collect();
    exec(&mut s, "COMMIT").unwrap();
    let now: Vec<_> = QUERIES.iter().map(|q| rows(&mut s, q)).collect();
    assert_eq!(inside, now);
    assert_eq!(
        now[0],
        [["2999", "4498500", "8994", "14995", "8997000", "f"]]
    );
    assert_eq!(
        now[1],
        [
            ["1", "1", "2"],
            ["2", "2", "4"],
            ["1500", "2", "3000"],
            ["2999", "3", "5998"]
        ]
    );
    assert_eq!(now[2], [["357", "445893"]]);
    assert_eq!(now[5], [["1"], ["2"], ["3"]]);
    let mut f = Session::new(replayed(&wal, config));
    let replayed: Vec<_> = QUERIES.iter().map(|q| rows(&mut f, q)).collect();
    assert_eq!(replayed, now);
    // The loaded tables take writes and keys afterwards.
    exec(&mut f, "INSERT INTO plain (aid, bid) VALUES (3000, 1)").unwrap();
    exec(&mut f, "ALTER TABLE plain ADD PRIMARY KEY (aid)").unwrap();
    let dup = exec(&mut f, "INSERT INTO plain (aid) VALUES (2999)").unwrap_err();
    assert_eq!(dup.code(), "23505", "{dup}");
    assert_eq!(
        rows(&mut f, "SELECT bid FROM plain WHERE aid = 3000"),
        [["1"]]
    );
}

#[test]
fn copy_errors_and_rollbacks_leave_nothing() {
    let (e, _wal) = engine(small_pages());
    let mut s = Session::new(e);
    exec(&mut s, SETUP).unwrap();
    exec(&mut s, "BEGIN; TRUNCATE plain, uniq, child").unwrap();
    copy(
        &mut s,
        "COPY plain (aid, bid) FROM STDIN",
        &pairs(1, 1500),
        1000,
    )
    .unwrap();
    // A bad value on line 1201: 22P02 with its context, the COPY's rows gone, the block
    // failed; the earlier COPY's rows go with the ROLLBACK.
    let mut bad = pairs(1501, 1200);
    bad.push_str("x\t1\n");
    let err = copy(&mut s, "COPY plain (aid, bid) FROM STDIN", &bad, 333).unwrap_err();
    assert_eq!(err.code(), "22P02", "{err}");
    assert_eq!(
        err.context(),
        Some("COPY plain, line 1201, column aid: \"x\"")
    );
    exec(&mut s, "ROLLBACK").unwrap();
    assert_eq!(rows(&mut s, "SELECT count(*) FROM plain"), [["0"]]);

    // Constraint errors: NOT NULL and CHECK in the appended path, the unique constraint
    // and the foreign key in the ordinary one; each failed COPY leaves nothing, a
    // savepoint keeps the rows before it.
    exec(&mut s, "BEGIN; TRUNCATE plain, uniq, child").unwrap();
    exec(&mut s, "SAVEPOINT a").unwrap();
    copy(
        &mut s,
        "COPY plain (aid, bid) FROM STDIN",
        &pairs(1, 1500),
        4096,
    )
    .unwrap();
    let err = copy(&mut s, "COPY plain (aid, bid) FROM STDIN", "\\N\t1\n", 10).unwrap_err();
    assert_eq!(err.code(), "23502", "{err}");
    exec(&mut s, "ROLLBACK TO a").unwrap();
    copy(
        &mut s,
        "COPY plain (aid, bid) FROM STDIN",
        &pairs(1, 1200),
        4096,
    )
    .unwrap();
    exec(&mut s, "SAVEPOINT b").unwrap();
    let mut negative: String = (1201..2300).map(|i| format!("{i}\t1\n")).collect();
    negative.push_str("7\t-1\n");
    let err = copy(
        &mut s,
        "COPY plain (aid, abalance) FROM STDIN",
        &negative,
        4096,
    )
    .unwrap_err();
    assert_eq!(err.code(), "23514", "{err}");
    exec(&mut s, "ROLLBACK TO b").unwrap();
    let mut dup = accounts(1, 1100);
    dup.push_str("5\t1\t0\t\n");
    let err = copy(&mut s, "COPY uniq FROM STDIN", &dup, 4096).unwrap_err();
    assert_eq!(err.code(), "23505", "{err}");
    exec(&mut s, "ROLLBACK TO b").unwrap();
    let err = copy(&mut s, "COPY child FROM STDIN", "1\t9\t0\t\n", 10).unwrap_err();
    assert_eq!(err.code(), "23503", "{err}");
    exec(&mut s, "ROLLBACK TO b").unwrap();
    copy(
        &mut s,
        "COPY plain (aid, bid) FROM STDIN",
        &pairs(1201, 100),
        4096,
    )
    .unwrap();
    exec(&mut s, "COMMIT").unwrap();
    assert_eq!(
        rows(
            &mut s,
            "SELECT count(*), sum(aid), min(abalance), max(abalance) FROM plain"
        ),
        [["1300", "845650", "5", "5"]]
    );
    assert_eq!(rows(&mut s, "SELECT count(*) FROM uniq"), [["0"]]);
    assert_eq!(rows(&mut s, "SELECT count(*) FROM child"), [["0"]]);
}

#[test]
fn appended_rows_can_be_changed_locked_and_indexed_before_the_commit() {
    let config = small_pages();
    let (e, wal) = engine(config.clone());
    let mut s = Session::new(e);
    exec(&mut s, SETUP).unwrap();
    exec(&mut s, "BEGIN; TRUNCATE plain").unwrap();
    copy(
        &mut s,
        "COPY plain (aid, bid) FROM STDIN",
        &pairs(1, 2000),
        4096,
    )
    .unwrap();
    assert_eq!(
        rows(
            &mut s,
            "SELECT aid, abalance FROM plain WHERE aid = 10 FOR UPDATE"
        ),
        [["10", "5"]]
    );
    exec(&mut s, "UPDATE plain SET abalance = 7 WHERE aid = 10").unwrap();
    exec(&mut s, "DELETE FROM plain WHERE aid > 1990").unwrap();
    copy(
        &mut s,
        "COPY plain (aid, bid) FROM STDIN",
        &pairs(2001, 500),
        4096,
    )
    .unwrap();
    exec(&mut s, "CREATE INDEX plain_bid ON plain (bid)").unwrap();
    copy(
        &mut s,
        "COPY plain (aid, bid) FROM STDIN",
        &pairs(2501, 10),
        4096,
    )
    .unwrap();
    let want = [vec!["2500".to_string(), "3131350".into(), "12502".into()]];
    let q = "SELECT count(*), sum(aid), sum(abalance) FROM plain";
    assert_eq!(rows(&mut s, q), want);
    exec(&mut s, "COMMIT").unwrap();
    assert_eq!(rows(&mut s, q), want);
    assert_eq!(
        rows(&mut s, "SELECT abalance FROM plain WHERE aid = 10"),
        [["7"]]
    );
    assert_eq!(
        rows(&mut s, "SELECT count(*) FROM plain WHERE bid = 3"),
        [["357"]]
    );
    let mut f = Session::new(replayed(&wal, config));
    assert_eq!(rows(&mut f, q), want);
    assert_eq!(
        rows(&mut f, "SELECT count(*) FROM plain WHERE bid = 3"),
        [["357"]]
    );
}
