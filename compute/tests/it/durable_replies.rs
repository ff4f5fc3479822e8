//! No reply reveals a commit before it is durable: a session whose statement observed a
//! version newer than its snapshot — through a unique check (`ON CONFLICT`, 23505, a
//! unique key freed by an update), `lock_row` (EvalPlanQual, a deleted row) or a DDL name
//! check (42P07) — gets its answer only once the commit that wrote it is durable.
//!
//! Each case runs on the real pgwire front end over an engine whose WAL holds durability
//! back (`serving_common::HeldWal`, a quorum that has not acked): a writer's commit is
//! applied but not durable; a second session's statement touches the row; its answer must
//! not arrive before the test releases durability (the engine counts the waits, so the
//! test knows the reader is held rather than merely slow), and it is the right answer
//! afterwards. A plain read meanwhile answers at once, from its snapshot.

use std::time::Duration;

use compute::engine::WalSink;
use sql::Session;

use crate::serving_common::{
    BOUND, Conn, Server, code, connect, finish, query, server, spawn_query,
};

/// One scenario: `setup` (durable), then `writer` with durability held, then `reader` on
/// another session, whose answer after the release is `expected` (see [`render`]).
struct Case {
    name: &'static str,
    setup: &'static str,
    writer: &'static str,
    reader: &'static str,
    expected: &'static str,
    /// Sent on the reader's session after its answer (e.g. COMMIT).
    then: Option<&'static str>,
}

const CASES: &[Case] = &[
    Case {
        name: "ON CONFLICT DO NOTHING finds a row not yet durable",
        setup: "CREATE TABLE t (id int PRIMARY KEY, v int)",
        writer: "INSERT INTO t VALUES (1, 1)",
        reader: "INSERT INTO t VALUES (1, 2) ON CONFLICT DO NOTHING",
        expected: "tags [0]",
        then: None,
    },
    Case {
        name: "23505 because of a row not yet durable",
        setup: "CREATE TABLE t (id int PRIMARY KEY, v int)",
        writer: "INSERT INTO t VALUES (1, 1)",
        reader: "INSERT INTO t VALUES (1, 2)",
        expected: "error 23505",
        then: None,
    },
    Case {
        name: "ON CONFLICT DO UPDATE on a row not yet durable (RETURNING)",
        setup: "CREATE TABLE t (id int PRIMARY KEY, v int)",
        writer: "INSERT INTO t VALUES (1, 1)",
        reader: "BEGIN; INSERT INTO t VALUES (1, 2) ON CONFLICT (id) DO UPDATE \
                 SET v = t.v + 10 RETURNING v",
        expected: "tags [0, 1] rows [[\"11\"]]",
        then: Some("COMMIT"),
    },
    Case {
        name: "a unique key freed by an update not yet durable",
        setup: "CREATE TABLE t (id int PRIMARY KEY); \
                CREATE TABLE u (id int PRIMARY KEY, email text); \
                CREATE UNIQUE INDEX u_email ON u (email); \
                INSERT INTO u VALUES (1, 'a')",
        writer: "UPDATE u SET email = 'b' WHERE id = 1",
        reader: "BEGIN; INSERT INTO u VALUES (2, 'a')",
        expected: "tags [0, 1]",
        then: Some("COMMIT"),
    },
    Case {
        name: "EvalPlanQual on a version not yet durable (UPDATE ... RETURNING)",
        setup: "CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 1)",
        writer: "UPDATE t SET v = 2 WHERE id = 1",
        reader: "BEGIN; UPDATE t SET v = v + 10 WHERE id = 1 RETURNING v",
        expected: "tags [0, 1] rows [[\"12\"]]",
        then: Some("COMMIT"),
    },
    Case {
        name: "a row whose delete is not yet durable",
        setup: "CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 1)",
        writer: "DELETE FROM t WHERE id = 1",
        reader: "BEGIN; DELETE FROM t WHERE id = 1",
        expected: "tags [0, 0]",
        then: Some("COMMIT"),
    },
    Case {
        name: "42P07 because of a CREATE TABLE not yet durable",
        setup: "CREATE TABLE t (id int PRIMARY KEY)",
        writer: "CREATE TABLE z (id int)",
        reader: "CREATE TABLE z (id int)",
        expected: "error 42P07",
        then: None,
    },
];

/// An answer as compared with [`Case::expected`].
fn render(r: &Result<crate::serving_common::Answer, tokio_postgres::Error>) -> String {
    match r {
        Ok(a) if a.rows.is_empty() => format!("tags {:?}", a.tags),
        Ok(a) => {
            let rows: Vec<Vec<&str>> = a
                .rows
                .iter()
                .map(|r| r.iter().map(|v| v.as_deref().unwrap_or("NULL")).collect())
                .collect();
            format!("tags {:?} rows {rows:?}", a.tags)
        }
        Err(e) => format!("error {}", code(e).unwrap_or_else(|| e.to_string())),
    }
}

/// Waits (bounded) until the engine has held a reply for durability more than `before`
/// times; fails if `reader` answered first.
async fn wait_held<T>(s: &Server, before: u64, reader: &tokio::task::JoinHandle<T>, what: &str) {
    let deadline = std::time::Instant::now() + BOUND;
    while s.engine.observed_waits() <= before {
        assert!(
            !reader.is_finished(),
            "{what}: answered before the commit it observed was durable"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: the reply never waited for durability"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn run(case: &Case) {
    println!("case: {}", case.name);
    let s = server(Duration::from_secs(60)).await;
    let a = connect(s.addr).await.expect("connect");
    query(&a, case.setup).await.expect("setup");
    s.wal.hold();
    let pending = s.wal.pending();
    let writer = spawn_query(&a, case.writer);
    s.wal.wait_pending(pending + 1).await;
    assert!(
        !writer.is_finished(),
        "{}: the writer's COMMIT returned early",
        case.name
    );

    let b: Conn = connect(s.addr).await.expect("connect");
    let before = s.engine.observed_waits();
    let reader = spawn_query(&b, case.reader);
    wait_held(&s, before, &reader, case.name).await;

    // A plain read is not held up: it answers from its snapshot, without the writer's
    // commit, and waits for nothing.
    let c = connect(s.addr).await.expect("connect");
    let waits = s.engine.observed_waits();
    query(&c, "SELECT count(*) FROM t")
        .await
        .expect("a plain read");
    assert_eq!(s.engine.observed_waits(), waits, "a plain read waited");
    assert!(!reader.is_finished(), "{}: answered early", case.name);

    s.wal.release();
    finish(writer, "writer").await.expect("the writer commits");
    let answer = finish(reader, "reader").await;
    assert_eq!(render(&answer), case.expected, "{}", case.name);
    if let Some(then) = case.then {
        query(&b, then).await.expect("then");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_shaped_by_a_commit_wait_until_it_is_durable() {
    for case in CASES {
        run(case).await;
    }
}

/// A read-only COMMIT (empty write set) waits too, on the engine alone: the session's
/// statement observed a row whose commit is not durable.
#[test]
fn a_read_only_commit_waits_for_the_versions_it_observed() {
    let wal = crate::serving_common::HeldWal::new(Duration::from_secs(60));
    let sink: std::sync::Arc<dyn WalSink> = wal.clone();
    let engine = compute::engine::Engine::create(sink, Default::default()).expect("create");
    let mut setup = Session::new(engine.clone());
    for r in setup.execute("CREATE TABLE t (id int PRIMARY KEY, v int)") {
        r.expect("setup");
    }
    wal.hold();
    let writer = {
        let e = engine.clone();
        std::thread::spawn(move || {
            let mut s = Session::new(e);
            s.execute("INSERT INTO t VALUES (1, 1)")
                .pop()
                .expect("a result")
        })
    };
    let deadline = std::time::Instant::now() + BOUND;
    while wal.pending() == 0 {
        assert!(std::time::Instant::now() < deadline, "no record submitted");
        std::thread::sleep(Duration::from_millis(5));
    }
    let reader_engine = engine.for_session();
    let reader = std::thread::spawn(move || {
        let mut s = Session::new(reader_engine);
        let found = s.execute("BEGIN; INSERT INTO t VALUES (1, 2) ON CONFLICT DO NOTHING");
        let commit = s.execute("COMMIT").pop().expect("a result");
        (found, commit)
    });
    let deadline = std::time::Instant::now() + BOUND;
    while engine.observed_waits() == 0 {
        assert!(
            !reader.is_finished(),
            "the read-only COMMIT returned before what it saw was durable"
        );
        assert!(std::time::Instant::now() < deadline, "COMMIT never waited");
        std::thread::sleep(Duration::from_millis(5));
    }
    wal.release();
    writer.join().expect("writer").expect("insert");
    let (found, commit) = reader.join().expect("reader");
    assert_eq!(found.len(), 2);
    assert_eq!(found[1].as_ref().expect("insert").tag, "INSERT 0 0");
    assert_eq!(commit.expect("commit").tag, "COMMIT");
}
