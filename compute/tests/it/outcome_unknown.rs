//! Outcomes the compute cannot know, and a compute that stops serving.
//!
//! A commit whose record was handed to the WAL and then lost sight of — a fence (a newer
//! primary) after sending, or a durability wait that timed out — may or may not be
//! durable: the client gets 08006 ("may or may not have committed") as a FATAL error and
//! its connection closes, as a PostgreSQL client sees when it loses the server
//! mid-commit. The compute then stops serving: every other session is closed with FATAL
//! 57P01 saying why, new connections are refused, and the engine refuses every statement.
//! A commit refused before its record was sent stays a definite failure (25006).
//!
//! Real pgwire front end over an engine whose WAL the test holds back and stops
//! (`serving_common::HeldWal`).

use std::time::Duration;

use compute::engine::{Engine, WalSink};
use sql::Session;

use crate::serving_common::{
    BOUND, Conn, HeldWal, Server, code, connect, finish, query, server, spawn_query,
};

/// How `c`'s connection ended: the SQLSTATE of the FATAL error the server sent, if any.
async fn ended_with(c: Conn) -> Option<String> {
    match finish(c.ended, "the connection's end").await {
        Ok(()) => None,
        Err(e) => code(&e),
    }
}

async fn assert_refuses_connections(addr: std::net::SocketAddr) {
    match connect(addr).await {
        Err(e) => println!("a new connection is refused: {e}"),
        Ok(c) => match query(&c, "SELECT 1").await {
            Err(e) => println!("a new connection gets no answer: {e}"),
            Ok(a) => panic!("a stopped compute answered a new connection: {a:?}"),
        },
    }
}

/// A session with table `t` created (it will commit), and an idle one.
async fn two_sessions(s: &Server) -> (Conn, Conn) {
    let a = connect(s.addr).await.expect("connect");
    query(&a, "CREATE TABLE t (id int PRIMARY KEY)")
        .await
        .expect("create");
    let idle = connect(s.addr).await.expect("connect");
    query(&idle, "SELECT count(*) FROM t")
        .await
        .expect("a read");
    (a, idle)
}

/// `err` is FATAL 08006 "may or may not have committed", naming `why`; the committing
/// session's connection is closed, the idle one was closed with 57P01, and the compute
/// serves nothing more.
async fn assert_outcome_unknown(
    s: &mut Server,
    err: tokio_postgres::Error,
    why: &str,
    committer: Conn,
    idle: Conn,
) {
    println!("committing session: {err:?}");
    assert_eq!(code(&err).as_deref(), Some("08006"), "{err}");
    let msg = err
        .as_db_error()
        .map(|d| d.message().to_string())
        .unwrap_or_default();
    assert!(msg.contains("may or may not have committed"), "{msg}");
    assert!(msg.contains(why), "says why: {msg}");
    let client = committer.client.clone();
    ended_with(committer).await;
    assert!(client.is_closed(), "the connection closes after 08006");

    assert_eq!(ended_with(idle).await.as_deref(), Some("57P01"));
    let stopped = s.engine.stopped().expect("the engine stopped serving");
    assert!(stopped.contains(why), "{stopped}");
    s.wait_stopped_accepting().await;
    assert_refuses_connections(s.addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fence_after_sending_is_08006_and_closes_every_session() {
    let mut s = server(Duration::from_secs(60)).await;
    let (a, idle) = two_sessions(&s).await;
    s.wal.hold();
    let commit = spawn_query(&a, "INSERT INTO t VALUES (1)");
    s.wal.wait_pending(1).await;
    s.wal
        .stop("a newer primary took over timeline default/main (test)");
    let err = finish(commit, "the commit")
        .await
        .expect_err("outcome unknown");
    assert_outcome_unknown(&mut s, err, "newer primary took over", a, idle).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_durability_timeout_is_08006_and_closes_every_session() {
    let mut s = server(Duration::from_millis(300)).await;
    let (a, idle) = two_sessions(&s).await;
    s.wal.hold();
    let err = query(&a, "INSERT INTO t VALUES (1)")
        .await
        .expect_err("outcome unknown");
    assert_outcome_unknown(&mut s, err, "not durable after 300ms", a, idle).await;
}

/// A session that only read a row of a commit whose durability is then lost gets 08006
/// too: what it saw may never have happened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_shaped_by_a_commit_whose_durability_is_lost_is_08006() {
    let s = server(Duration::from_secs(60)).await;
    let a = connect(s.addr).await.expect("connect");
    query(&a, "CREATE TABLE t (id int PRIMARY KEY)")
        .await
        .expect("create");
    s.wal.hold();
    let commit = spawn_query(&a, "INSERT INTO t VALUES (1)");
    s.wal.wait_pending(1).await;
    let b = connect(s.addr).await.expect("connect");
    let reader = spawn_query(&b, "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING");
    let deadline = std::time::Instant::now() + BOUND;
    while s.engine.observed_waits() == 0 {
        assert!(!reader.is_finished(), "answered before durability");
        assert!(std::time::Instant::now() < deadline, "never waited");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    s.wal
        .stop("a newer primary took over timeline default/main (test)");
    for (who, task) in [("writer", commit), ("reader", reader)] {
        let err = finish(task, who).await.expect_err("outcome unknown");
        assert_eq!(code(&err).as_deref(), Some("08006"), "{who}: {err}");
    }
}

/// A commit whose record was never sent — the WAL stopped before its serial step — is a
/// definite failure with its usual SQLSTATE; after it, the engine serves nothing.
#[test]
fn a_commit_refused_before_sending_is_a_definite_25006() {
    let wal = HeldWal::new(Duration::from_secs(60));
    let sink: std::sync::Arc<dyn WalSink> = wal.clone();
    let engine = Engine::create(sink, Default::default()).expect("create");
    let mut s = Session::new(engine.clone());
    let results = s.execute("CREATE TABLE t (id int PRIMARY KEY); BEGIN; INSERT INTO t VALUES (1)");
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    wal.stop("a newer primary took over timeline default/main (test)");
    let commit = s.execute("COMMIT").pop().expect("a result");
    let err = commit.expect_err("not committed");
    assert_eq!(err.code(), "25006", "{err}");
    assert!(err.to_string().contains("newer primary took over"), "{err}");
    assert_eq!(wal.pending(), 0, "nothing was sent");
    // Reads are refused too: a fenced compute may be stale.
    let read = s.execute("SELECT count(*) FROM t").pop().expect("a result");
    let err = read.expect_err("a stopped engine serves nothing");
    assert_eq!(err.code(), "08006", "{err}");
    assert!(engine.stopped().is_some());
}

/// A graceful shutdown closes idle sessions with PostgreSQL's FATAL 57P01.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_idle_sessions_with_57p01() {
    let s = server(Duration::from_secs(60)).await;
    let idle = connect(s.addr).await.expect("connect");
    query(&idle, "SELECT 1").await.expect("a read");
    drop(s); // cancels the server
    assert_eq!(ended_with(idle).await.as_deref(), Some("57P01"));
}
