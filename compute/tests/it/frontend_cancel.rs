//! Cancel requests, black-box: tokio-postgres's `cancel_query` (what psql's Ctrl-C sends)
//! against a long-running statement and against one blocked on a row lock. The statement
//! fails with 57014 within a bounded time and the connection stays usable.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use compute::engine::{Engine, EngineConfig, MemoryWalSink};
use compute::frontend::{Backend, FrontendConfig, bind_and_serve};
use proto::Lsn;
use sql::memory::MemoryStorage;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, NoTls};
use tokio_util::sync::CancellationToken;

/// How long a canceled statement may take to stop (generous for slow CI machines).
const BOUND: Duration = Duration::from_secs(10);

struct Server {
    addr: SocketAddr,
    cancel: CancellationToken,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

async fn server<S: Backend + Clone>(storage: S) -> Server {
    server_with(storage, FrontendConfig::default()).await
}

async fn server_with<S: Backend + Clone>(storage: S, config: FrontendConfig) -> Server {
    let cancel = CancellationToken::new();
    let (addr, _task) = bind_and_serve(
        "127.0.0.1:0".parse().unwrap(),
        config,
        move || storage.clone(),
        cancel.clone(),
    )
    .await
    .unwrap();
    Server { addr, cancel }
}

async fn connect(s: &Server) -> Client {
    let conn = format!("host=127.0.0.1 port={} user=u dbname=d", s.addr.port());
    let (client, conn) = tokio_postgres::connect(&conn, NoTls).await.unwrap();
    tokio::spawn(conn);
    client
}

/// Runs `sql` on `client` in a task, cancels it after `after`, and returns how the
/// statement ended and how long the cancel took to land.
async fn cancel_after(
    client: Arc<Client>,
    sql: &'static str,
    after: Duration,
) -> (Result<(), tokio_postgres::Error>, Duration) {
    let running = {
        let client = client.clone();
        tokio::spawn(async move { client.batch_execute(sql).await })
    };
    tokio::time::sleep(after).await;
    assert!(!running.is_finished(), "{sql} finished before the cancel");
    let sent = Instant::now();
    client.cancel_token().cancel_query(NoTls).await.unwrap();
    let ended = tokio::time::timeout(BOUND, running)
        .await
        .unwrap_or_else(|_| panic!("{sql} still running {BOUND:?} after the cancel"))
        .expect("query task");
    (ended, sent.elapsed())
}

fn assert_canceled(r: Result<(), tokio_postgres::Error>) {
    let e = r.expect_err("the statement was canceled");
    let db = e
        .as_db_error()
        .unwrap_or_else(|| panic!("a server error, got {e}"));
    assert_eq!(db.code(), &SqlState::QUERY_CANCELED, "{db:?}");
    assert_eq!(db.message(), "canceling statement due to user request");
}

async fn one(c: &Client) -> i32 {
    c.query_one("SELECT 1", &[]).await.unwrap().get::<_, i32>(0)
}

#[tokio::test]
async fn a_long_statement_is_canceled_and_the_session_goes_on() {
    let s = server(MemoryStorage::new()).await;
    let client = Arc::new(connect(&s).await);
    let (ended, took) = cancel_after(
        client.clone(),
        "SELECT count(*) FROM generate_series(1, 100000000) a, generate_series(1, 100) b",
        Duration::from_millis(300),
    )
    .await;
    assert_canceled(ended);
    assert!(took < BOUND, "{took:?}");
    assert_eq!(one(&client).await, 1);
    // The next long statement is not canceled by the old request: it runs to its end.
    let n: i64 = client
        .query_one("SELECT count(*) FROM generate_series(1, 1000) a", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1000);
}

#[tokio::test]
async fn a_cancel_between_statements_is_ignored() {
    let s = server(MemoryStorage::new()).await;
    let client = connect(&s).await;
    client.cancel_token().cancel_query(NoTls).await.unwrap();
    // Give the cancel connection time to be handled before the next statement.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(one(&client).await, 1);
}

#[tokio::test]
async fn only_the_target_session_is_canceled() {
    let s = server(MemoryStorage::new()).await;
    let target = Arc::new(connect(&s).await);
    let other = Arc::new(connect(&s).await);
    let bystander = {
        let other = other.clone();
        tokio::spawn(async move {
            other
                .query_one(
                    "SELECT count(*) FROM generate_series(1, 300000) a, generate_series(1, 3) b",
                    &[],
                )
                .await
        })
    };
    let (ended, _) = cancel_after(
        target.clone(),
        "SELECT count(*) FROM generate_series(1, 100000000) a, generate_series(1, 100) b",
        Duration::from_millis(300),
    )
    .await;
    assert_canceled(ended);
    let n: i64 = tokio::time::timeout(Duration::from_secs(120), bystander)
        .await
        .expect("the bystander finishes")
        .expect("task")
        .expect("the bystander was not canceled")
        .get(0);
    assert_eq!(n, 900_000);
}

#[tokio::test]
async fn a_statement_waiting_for_a_row_lock_is_canceled() {
    let wal = Arc::new(MemoryWalSink::new(Lsn::TIMELINE_START));
    let engine = Engine::create(wal, EngineConfig::default()).expect("engine");
    let s = server(engine).await;
    let holder = connect(&s).await;
    holder
        .batch_execute("CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 0)")
        .await
        .unwrap();
    holder
        .batch_execute("BEGIN; UPDATE t SET v = 1 WHERE id = 1")
        .await
        .unwrap();

    let waiter = Arc::new(connect(&s).await);
    let (ended, took) = cancel_after(
        waiter.clone(),
        "UPDATE t SET v = 2 WHERE id = 1",
        Duration::from_millis(300),
    )
    .await;
    assert_canceled(ended);
    assert!(took < BOUND, "{took:?}");
    assert_eq!(one(&waiter).await, 1);

    // The holder is unaffected and commits; the waiter's update never happened.
    holder.batch_execute("COMMIT").await.unwrap();
    let v: i32 = waiter
        .query_one("SELECT v FROM t WHERE id = 1", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(v, 1);
    waiter
        .batch_execute("UPDATE t SET v = 3 WHERE id = 1")
        .await
        .unwrap();
}

#[tokio::test]
async fn a_full_server_still_serves_cancel_requests() {
    let config = FrontendConfig {
        max_connections: 1,
        ..FrontendConfig::default()
    };
    let s = server_with(MemoryStorage::new(), config).await;
    let client = Arc::new(connect(&s).await);
    let (ended, _) = cancel_after(
        client.clone(),
        "SELECT count(*) FROM generate_series(1, 100000000) a, generate_series(1, 100) b",
        Duration::from_millis(300),
    )
    .await;
    assert_canceled(ended);
    assert_eq!(one(&client).await, 1);
}
