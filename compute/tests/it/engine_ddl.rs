//! DDL on the engine: the catalog, sequences and rewritten tables survive a WAL replay and
//! reach a second compute through a pageserver; sequences never hand a value out twice
//! across a restart; index builds and table rewrites run before the serial step, so other
//! tables' commits go on meanwhile; a relation built for a transaction that does not commit
//! is freed and its RelId never reused.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::engine_common::{engine, exec, rows, small_pages};
use compute::engine::{Engine, EngineConfig, MemoryWalSink, PageTable, WalSink};
use proto::{Lsn, RecordKind};
use sql::Session;

/// An engine opened on the pages the WALs `wals` (each continuing the previous one) rebuild,
/// writing a WAL of its own.
fn reopen(wals: &[&MemoryWalSink], config: EngineConfig) -> (Engine, Arc<MemoryWalSink>) {
    let bytes: Vec<u8> = wals.iter().flat_map(|w| w.bytes()).collect();
    let (pages, end) = PageTable::replay(wals[0].start_lsn(), &bytes).expect("replay");
    let wal = Arc::new(MemoryWalSink::new(end));
    let engine = Engine::open(Arc::new(pages), wal.clone(), config).expect("open");
    (engine, wal)
}

fn first(s: &mut Session<Engine>, sql: &str) -> i64 {
    rows(s, sql)[0][0].parse().expect("a number")
}

/// The schema a restarted compute must find again.
const SETUP: &str = "
    CREATE SCHEMA app;
    CREATE TABLE app.parent (id serial PRIMARY KEY, name text NOT NULL UNIQUE);
    CREATE TABLE app.child (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        parent int REFERENCES app.parent ON DELETE CASCADE,
        qty int CHECK (qty > 0)
    );
    CREATE SEQUENCE app.tickets START 100;
    CREATE VIEW app.summary AS SELECT p.name, count(c.id) AS n FROM app.parent p JOIN app.child c ON c.parent = p.id GROUP BY p.name;
    INSERT INTO app.parent (name) VALUES ('a'), ('b');
    INSERT INTO app.child (parent, qty) VALUES (1, 5), (1, 6), (2, 7);
    COMMENT ON TABLE app.parent IS 'parents';
    CREATE TABLE plain (k int, v text);
    INSERT INTO plain VALUES (1, 'x'), (2, 'y'), (3, 'z');
    ALTER TABLE plain ADD PRIMARY KEY (k);
    ALTER TABLE plain ADD COLUMN w int DEFAULT 9;
    CREATE INDEX plain_v ON plain (v);
    CREATE UNIQUE INDEX plain_lower ON plain (lower(v)) WHERE k > 1;
    CREATE FUNCTION app.double_it(x int) RETURNS int LANGUAGE sql AS 'SELECT x * 2';
    CREATE TYPE app.pair AS (f1 int, f2 text);
    CREATE TYPE app.dropped AS (x int);
    CREATE EXTENSION \"uuid-ossp\" WITH SCHEMA app;
    CREATE EXTENSION pgcrypto;
    DROP EXTENSION pgcrypto;
    ALTER DATABASE postgres SET work_mem = '8MB';
    DROP TYPE app.dropped;
    CREATE TABLE gone (x int);
    INSERT INTO gone VALUES (1);
    TRUNCATE gone;
    CREATE TYPE app.mood AS ENUM ('sad', 'happy');
    ALTER TYPE app.mood ADD VALUE 'ok' BEFORE 'happy';
    ALTER TYPE app.mood RENAME VALUE 'sad' TO 'blue';
    CREATE DOMAIN app.posint AS int DEFAULT 5 CHECK (VALUE > 0);
    ALTER DOMAIN app.posint ADD CONSTRAINT small CHECK (VALUE < 100);
    CREATE TABLE app.feelings (m app.mood PRIMARY KEY, n app.posint);
    INSERT INTO app.feelings VALUES ('happy', 1), ('blue', 2);
    INSERT INTO app.feelings (m) VALUES ('ok');
";

fn check_schema(s: &mut Session<Engine>) {
    assert_eq!(
        rows(s, "SELECT name, n FROM app.summary ORDER BY name"),
        [["a", "2"], ["b", "1"]]
    );
    assert_eq!(
        rows(s, "SELECT k, v, w FROM plain WHERE v = 'y'"),
        [["2", "y", "9"]]
    );
    assert_eq!(rows(s, "SELECT count(*) FROM gone"), [["0"]]);
    assert!(exec(s, "INSERT INTO plain VALUES (1, 'dup', 0)").is_err_and(|e| e.code() == "23505"));
    assert_eq!(rows(s, "SELECT app.double_it(21)"), [["42"]]);
    // Enum types and domains: labels, order, stored values and constraints.
    assert_eq!(
        rows(s, "SELECT m::text, n FROM app.feelings f ORDER BY f.m"),
        [["blue", "2"], ["ok", "5"], ["happy", "1"]]
    );
    assert_eq!(
        rows(s, "SELECT enum_range(NULL::app.mood)::text"),
        [["{blue,ok,happy}"]]
    );
    assert!(
        exec(s, "INSERT INTO app.feelings VALUES ('sad', 1)").is_err_and(|e| e.code() == "22P02")
    );
    assert!(
        exec(s, "INSERT INTO app.feelings (m, n) VALUES ('ok', 100)")
            .is_err_and(|e| e.code() == "23514")
    );
    assert_eq!(
        rows(s, "SELECT extname FROM pg_extension ORDER BY 1"),
        [["plpgsql"], ["uuid-ossp"]]
    );
    assert_eq!(
        rows(
            s,
            "SELECT setrole, array_to_string(setconfig, ',') FROM pg_db_role_setting"
        ),
        [["0", "work_mem=8MB"]]
    );
    assert_eq!(
        rows(s, "SELECT app.uuid_nil()"),
        [["00000000-0000-0000-0000-000000000000"]]
    );
    assert_eq!(
        rows(
            s,
            "SELECT typname, typtype FROM pg_type WHERE typname IN ('pair', 'dropped')"
        ),
        [["pair", "c"]]
    );
    // The partial expression index: its definition, its uniqueness over the rows it covers
    // (k = 1 is outside it), and the planner choosing it.
    assert_eq!(
        rows(s, "SELECT pg_get_indexdef('plain_lower'::regclass)"),
        [
            [
                "CREATE UNIQUE INDEX plain_lower ON public.plain USING btree (lower(v)) WHERE (k > 1)"
            ]
        ]
    );
    assert!(exec(s, "INSERT INTO plain VALUES (5, 'Y', 0)").is_err_and(|e| e.code() == "23505"));
    exec(s, "INSERT INTO plain VALUES (6, 'X', 0)").unwrap();
    let plan = rows(
        s,
        "EXPLAIN SELECT k FROM plain WHERE lower(v) = 'z' AND k > 1",
    );
    assert!(
        plan.iter().any(|r| r[0].contains("using plain_lower")),
        "{plan:?}"
    );
    assert_eq!(
        rows(s, "SELECT k FROM plain WHERE lower(v) = 'z' AND k > 1"),
        [["3"]]
    );
    assert!(
        exec(s, "INSERT INTO app.child (parent, qty) VALUES (1, -1)")
            .is_err_and(|e| e.code() == "23514")
    );
    assert!(
        exec(s, "INSERT INTO app.child (parent, qty) VALUES (9, 1)")
            .is_err_and(|e| e.code() == "23503")
    );
    assert!(
        exec(s, "INSERT INTO app.parent (name) VALUES ('a')").is_err_and(|e| e.code() == "23505")
    );
    exec(s, "DELETE FROM app.parent WHERE name = 'a'").unwrap();
    assert_eq!(rows(s, "SELECT count(*) FROM app.child"), [["1"]]);
}

#[test]
fn ddl_and_sequences_survive_a_wal_replay() {
    let (e, wal) = engine(small_pages());
    let mut s = Session::new(e.clone());
    exec(&mut s, SETUP).unwrap();
    let handed: Vec<i64> = (0..5)
        .map(|_| first(&mut s, "SELECT nextval('app.tickets')"))
        .collect();
    assert_eq!(handed, [100, 101, 102, 103, 104]);
    let last_parent = first(&mut s, "SELECT currval('app.parent_id_seq')");
    drop(s);

    // A restarted compute: same catalog, the rows, and sequences continuing after every
    // value handed out (the rest of the reservation is skipped, as PostgreSQL does).
    let (again, wal2) = reopen(&[&wal], small_pages());
    let mut s = Session::new(again.clone());
    let next = first(&mut s, "SELECT nextval('app.tickets')");
    assert!(
        next > 104,
        "a value handed out before the restart came back: {next}"
    );
    exec(&mut s, "INSERT INTO app.parent (name) VALUES ('c')").unwrap();
    let id = first(&mut s, "SELECT id FROM app.parent WHERE name = 'c'");
    assert!(
        id > last_parent,
        "serial value {id} repeats one before the restart"
    );
    check_schema(&mut s);

    // setval is durable at once, and DDL after the restart works on the reopened catalog.
    exec(&mut s, "SELECT setval('app.tickets', 5000)").unwrap();
    exec(&mut s, "CREATE TABLE after (id int PRIMARY KEY)").unwrap();
    let (third, _) = reopen(&[&wal, &wal2], small_pages());
    let mut s = Session::new(third);
    assert_eq!(first(&mut s, "SELECT nextval('app.tickets')"), 5001);
    assert_eq!(rows(&mut s, "SELECT count(*) FROM after"), [["0"]]);
}

#[test]
fn a_second_compute_over_a_pageserver_sees_the_ddl_and_continues_sequences() {
    use crate::page_cache_pageserver::{cached_engine_with, start_pageserver};
    use compute::page_cache::CacheConfig;

    let env = start_pageserver();
    let (a, _) = cached_engine_with(
        &env,
        Lsn::TIMELINE_START,
        CacheConfig::default(),
        small_pages(),
    );
    let mut s = Session::new(a.clone());
    exec(&mut s, SETUP).unwrap();
    let before: Vec<i64> = (0..3)
        .map(|_| first(&mut s, "SELECT nextval('app.tickets')"))
        .collect();
    // The first compute stops; a second one, cache empty, takes over the timeline.
    let (b, _) = cached_engine_with(&env, a.durable_lsn(), CacheConfig::default(), small_pages());
    drop(s);
    let mut s = Session::new(b);
    let next = first(&mut s, "SELECT nextval('app.tickets')");
    assert!(
        next > before[2],
        "{next} was handed out by the first compute"
    );
    check_schema(&mut s);
}

/// While a large CREATE INDEX builds, commits of another table keep completing: the build
/// holds the commit mutex only to append each of its records.
#[test]
fn commits_of_other_tables_proceed_during_an_index_build() {
    let config = EngineConfig {
        record_split_bytes: 64 << 10,
        ..EngineConfig::default()
    };
    let (e, _wal) = engine(config);
    let mut s = Session::new(e.clone());
    exec(
        &mut s,
        "CREATE TABLE big (id int8 PRIMARY KEY, v int8, pad text)",
    )
    .unwrap();
    exec(&mut s, "CREATE TABLE other (id int8 PRIMARY KEY)").unwrap();
    exec(
        &mut s,
        "INSERT INTO big SELECT g, g % 1000, 'padding' FROM generate_series(1, 20000) AS g",
    )
    .unwrap();

    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let (e, done) = (e.clone(), done.clone());
        std::thread::spawn(move || {
            let mut s = Session::new(e);
            let mut times = Vec::new();
            let mut i = 0;
            while !done.load(Ordering::SeqCst) {
                exec(&mut s, &format!("INSERT INTO other VALUES ({i})")).unwrap();
                times.push(Instant::now());
                i += 1;
            }
            times
        })
    };
    std::thread::sleep(Duration::from_millis(50));
    let start = Instant::now();
    exec(&mut s, "CREATE INDEX big_v ON big (v)").unwrap();
    let end = Instant::now();
    done.store(true, Ordering::SeqCst);
    let times = writer.join().expect("writer");

    let during: Vec<Instant> = times
        .iter()
        .copied()
        .filter(|t| *t > start && *t < end)
        .collect();
    let took = end - start;
    let longest_gap = during
        .windows(2)
        .map(|w| w[1] - w[0])
        .chain(during.first().map(|f| *f - start))
        .chain(during.last().map(|l| end - *l))
        .max()
        .unwrap_or(took);
    assert!(
        during.len() >= 5 && longest_gap < took / 2,
        "{} commits of another table during a {took:?} index build, longest wait {longest_gap:?}",
        during.len()
    );
    eprintln!(
        "{} commits during a {took:?} index build, longest wait {longest_gap:?}",
        during.len()
    );
    assert_eq!(
        rows(&mut s, "SELECT count(*) FROM big WHERE v = 7"),
        [["20"]]
    );
}

/// A relation built for a transaction that rolls back gets a `DropRelation` record, and a
/// compute restarted from the WAL never hands its RelId out again.
#[test]
fn an_abandoned_build_is_freed_and_its_relation_never_reused() {
    let (e, wal) = engine(small_pages());
    let mut s = Session::new(e.clone());
    exec(&mut s, "CREATE TABLE t (id int PRIMARY KEY, v int)").unwrap();
    exec(
        &mut s,
        "INSERT INTO t SELECT g, g FROM generate_series(1, 500) AS g",
    )
    .unwrap();
    let before = wal.end_lsn();
    exec(&mut s, "BEGIN").unwrap();
    exec(&mut s, "CREATE INDEX t_v ON t (v)").unwrap();
    exec(&mut s, "ROLLBACK").unwrap();
    let mut decoder = proto::WalDecoder::new(wal.start_lsn());
    decoder.push(&wal.bytes());
    let mut dropped = 0;
    while let Some(r) = decoder.next_record().expect("valid WAL") {
        if r.start >= before && matches!(r.record.kind, RecordKind::DropRelation { .. }) {
            dropped += 1;
        }
    }
    assert_eq!(dropped, 1, "one DropRelation for the abandoned index");

    // A compute restarted from the WAL creates relations over fresh RelIds.
    let (again, _) = reopen(&[&wal], small_pages());
    let mut s = Session::new(again);
    for i in 0..4 {
        exec(&mut s, &format!("CREATE TABLE n{i} (id int PRIMARY KEY)")).unwrap();
        exec(&mut s, &format!("CREATE INDEX n{i}_id ON n{i} (id)")).unwrap();
        exec(&mut s, &format!("INSERT INTO n{i} VALUES (1)")).unwrap();
    }
    assert_eq!(rows(&mut s, "SELECT count(*) FROM t"), [["500"]]);
}

/// Waits (bounded) until some transaction waits for a lock.
fn until_waiting(e: &Engine) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while e.locks().waiters() == 0 {
        assert!(Instant::now() < deadline, "nobody started waiting");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A foreign key under concurrency: the inserter of a referencing row locks the referenced
/// row shared (FOR KEY SHARE), so a concurrent DELETE of it waits and then sees the new
/// reference; an inserter arriving while the referenced row is being deleted waits and then
/// finds it gone. Inserters referencing the same row do not wait for each other.
#[test]
fn foreign_keys_hold_under_concurrent_deletes() {
    let (e, _wal) = engine(small_pages());
    let mut s = Session::new(e.clone());
    exec(
        &mut s,
        "CREATE TABLE parent (id int PRIMARY KEY); CREATE TABLE child (id int PRIMARY KEY, p int REFERENCES parent)",
    )
    .unwrap();
    exec(&mut s, "INSERT INTO parent VALUES (1), (2)").unwrap();

    // An open insert of a child blocks the delete of its parent, which then fails.
    let mut a = Session::new(e.clone());
    exec(&mut a, "BEGIN").unwrap();
    exec(&mut a, "INSERT INTO child VALUES (1, 1)").unwrap();
    let mut other = Session::new(e.clone());
    exec(&mut other, "BEGIN").unwrap();
    exec(&mut other, "INSERT INTO child VALUES (2, 1)").unwrap(); // shared: no wait
    exec(&mut other, "COMMIT").unwrap();
    let deleter = {
        let e = e.clone();
        std::thread::spawn(move || {
            let mut d = Session::new(e);
            exec(&mut d, "DELETE FROM parent WHERE id = 1").map(|_| ())
        })
    };
    until_waiting(&e);
    exec(&mut a, "COMMIT").unwrap();
    let r = deleter.join().expect("deleter");
    assert_eq!(r.map_err(|e| e.code()), Err("23503"));

    // An open delete of a parent blocks the insert of a child, which then fails.
    let mut d = Session::new(e.clone());
    exec(&mut d, "BEGIN").unwrap();
    exec(&mut d, "DELETE FROM parent WHERE id = 2").unwrap();
    let inserter = {
        let e = e.clone();
        std::thread::spawn(move || {
            let mut i = Session::new(e);
            exec(&mut i, "INSERT INTO child VALUES (3, 2)").map(|_| ())
        })
    };
    until_waiting(&e);
    exec(&mut d, "COMMIT").unwrap();
    let r = inserter.join().expect("inserter");
    assert_eq!(r.map_err(|e| e.code()), Err("23503"));
    assert_eq!(
        rows(&mut s, "SELECT count(*) FROM child"),
        [["2"]],
        "only the children of the surviving parent"
    );
}
