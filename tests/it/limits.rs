//! Limits a database service enforces, side by side with PostgreSQL 15 (the same transcript
//! from both): `statement_timeout` stops a statement with 57014 "canceling statement due to
//! statement timeout" (a query or a `pg_sleep`), the session goes on, a transaction it hit is aborted (25P02), `SET
//! LOCAL` scopes it to the transaction and 0 turns it off; `idle_in_transaction_session_timeout`
//! and `idle_session_timeout` end an idle connection with FATAL 25P03 / 57P05.

use std::time::{Duration, Instant};

use crate::harness::{Process, TestDir};

/// A statement PostgreSQL and Strata both need far longer than the timeouts below for.
const ENDLESS: &str = "SELECT count(*) FROM generate_series(1, 3000) a, generate_series(1, 3000) b, \
                       generate_series(1, 3000) c";

async fn transcript(conn: &str) -> Vec<String> {
    let (client, connection) = tokio_postgres::connect(conn, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    let mut out = Vec::new();
    let mut run = async |sql: &str| {
        let started = Instant::now();
        let r = tokio::time::timeout(Duration::from_secs(60), client.simple_query(sql))
            .await
            .unwrap_or_else(|_| panic!("{sql} ran for a minute: the timeout did not fire"));
        let line = match r {
            Ok(msgs) => {
                let rows: Vec<String> = msgs
                    .iter()
                    .filter_map(|m| match m {
                        tokio_postgres::SimpleQueryMessage::Row(r) => {
                            Some(r.get(0).unwrap_or("NULL").to_string())
                        }
                        _ => None,
                    })
                    .collect();
                format!("{sql} -> ok {rows:?}")
            }
            Err(e) => {
                let db = e.as_db_error().expect("a server error");
                format!("{sql} -> {} {}", db.code().code(), db.message())
            }
        };
        println!("{line} ({} ms)", started.elapsed().as_millis());
        out.push(line);
        started.elapsed()
    };
    run("SET statement_timeout = '300ms'").await;
    let took = run(ENDLESS).await;
    assert!(
        took < Duration::from_secs(20),
        "stopped near its timeout, took {took:?}"
    );
    run("SELECT 1").await;
    let took = run("SELECT pg_sleep(30)").await;
    assert!(
        took < Duration::from_secs(20),
        "pg_sleep stopped, took {took:?}"
    );
    run("BEGIN").await;
    run(ENDLESS).await;
    run("SELECT 1").await;
    run("ROLLBACK").await;
    run("SET statement_timeout = 0").await;
    run("BEGIN").await;
    run("SET LOCAL statement_timeout = '200ms'").await;
    run("SHOW statement_timeout").await;
    run(ENDLESS).await;
    run("ROLLBACK").await;
    run("SHOW statement_timeout").await;
    run("SELECT count(*) FROM generate_series(1, 1000)").await;
    out
}

#[test]
fn statement_timeout_as_in_postgresql() {
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let Some(pg) = testkit::postgres::PgServer::start() else {
        return;
    };
    let dir = TestDir::new("limits");
    let mut strata = Process::local_cluster(&dir, "strata");
    strata.start();
    let want = rt.block_on(transcript(&pg.conn_str()));
    let got = rt.block_on(transcript(&format!(
        "host=127.0.0.1 port={} user=strata dbname=postgres",
        strata.addr.port()
    )));
    assert!(
        want.iter()
            .any(|l| l.ends_with("57014 canceling statement due to statement timeout")),
        "{want:#?}"
    );
    assert_eq!(got, want, "Strata's transcript differs from PostgreSQL's");
}

/// How a connection that stays idle past `setting` ends: the FATAL the server sent.
async fn idle_end(conn: &str, setting: &str, in_transaction: bool) -> String {
    let (client, connection) = tokio_postgres::connect(conn, tokio_postgres::NoTls)
        .await
        .expect("connect");
    let ended = tokio::spawn(connection);
    client
        .simple_query(&format!("SET {setting} = '300ms'"))
        .await
        .expect("set the timeout");
    if in_transaction {
        client.simple_query("BEGIN").await.expect("begin");
    }
    // Time spent running a statement is not idle time (this one may well outlast the
    // timeout in a debug build).
    client
        .simple_query("SELECT count(*) FROM generate_series(1, 300) a, generate_series(1, 3000) b")
        .await
        .expect("a statement longer than the idle timeout is not cut");
    let r = tokio::time::timeout(Duration::from_secs(10), ended)
        .await
        .unwrap_or_else(|_| panic!("{setting}: the connection was still open 10 s later"))
        .expect("the connection task");
    let line = match r {
        Err(e) => match e.as_db_error() {
            Some(db) => format!(
                "{setting}: {} {} {}",
                db.severity(),
                db.code().code(),
                db.message()
            ),
            None => format!("{setting}: closed without a message: {e}"),
        },
        Ok(()) => format!("{setting}: closed without a message"),
    };
    println!("{line}");
    drop(client);
    line
}

#[test]
fn idle_timeouts_end_the_connection_as_in_postgresql() {
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let Some(pg) = testkit::postgres::PgServer::start() else {
        return;
    };
    let dir = TestDir::new("idle-limits");
    let mut strata = Process::local_cluster(&dir, "strata");
    strata.start();
    let strata_conn = format!(
        "host=127.0.0.1 port={} user=strata dbname=postgres",
        strata.addr.port()
    );
    for (setting, in_transaction) in [
        ("idle_in_transaction_session_timeout", true),
        ("idle_session_timeout", false),
    ] {
        let want = rt.block_on(idle_end(&pg.conn_str(), setting, in_transaction));
        assert!(want.contains("FATAL"), "{want}");
        let got = rt.block_on(idle_end(&strata_conn, setting, in_transaction));
        assert_eq!(got, want);
    }
    // Idle outside a transaction is fine for the in-transaction timeout.
    rt.block_on(async {
        let (client, connection) = tokio_postgres::connect(&strata_conn, tokio_postgres::NoTls)
            .await
            .expect("connect");
        tokio::spawn(connection);
        client
            .simple_query("SET idle_in_transaction_session_timeout = '100ms'")
            .await
            .expect("set");
        tokio::time::sleep(Duration::from_millis(500)).await;
        client
            .simple_query("SELECT 1")
            .await
            .expect("still connected");
    });
}
