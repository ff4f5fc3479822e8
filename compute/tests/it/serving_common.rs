//! Shared by the tests of what a client may learn and when (`durable_replies.rs`,
//! `outcome_unknown.rs`): a WAL whose durability the test holds back or stops, an engine
//! over it served by the real pgwire front end, and tokio-postgres clients whose
//! connection's end (a FATAL error) the test can see.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use compute::engine::{Engine, EngineConfig, MemoryWalSink, WalError, WalSink};
use compute::frontend::{FrontendConfig, bind_and_serve};
use proto::{Lsn, Record};
use tokio::task::JoinHandle;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};
use tokio_util::sync::CancellationToken;

/// Every bounded wait of these tests.
pub const BOUND: Duration = Duration::from_secs(10);

/// A [`MemoryWalSink`] whose records are durable at once, unless the test holds durability
/// back ([`HeldWal::hold`] … [`HeldWal::release`]) — a quorum that does not ack yet.
pub struct HeldWal {
    wal: MemoryWalSink,
    held: AtomicBool,
}

impl HeldWal {
    /// `wait_limit`: how long a durability wait lasts before it fails.
    pub fn new(wait_limit: Duration) -> Arc<HeldWal> {
        Arc::new(HeldWal {
            wal: MemoryWalSink::manual(Lsn::TIMELINE_START).with_wait_limit(wait_limit),
            held: AtomicBool::new(false),
        })
    }

    /// From now on records stay not durable.
    pub fn hold(&self) {
        self.held.store(true, Ordering::SeqCst);
    }

    /// Makes every record durable, and later ones at once.
    pub fn release(&self) {
        self.held.store(false, Ordering::SeqCst);
        self.wal.make_durable();
    }

    /// Stops the WAL for good, as a fence by a newer primary does.
    pub fn stop(&self, why: &str) {
        self.wal.stop(why);
    }

    /// Records submitted and not durable.
    pub fn pending(&self) -> usize {
        self.wal.pending_records()
    }

    /// Waits (bounded) until `n` records are pending.
    pub async fn wait_pending(&self, n: usize) {
        let deadline = Instant::now() + BOUND;
        while self.pending() < n {
            assert!(Instant::now() < deadline, "{n} records never submitted");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl WalSink for HeldWal {
    fn submit(&self, record: &Record, start: Lsn) -> Result<Lsn, WalError> {
        let end = self.wal.submit(record, start)?;
        if !self.held.load(Ordering::SeqCst) {
            self.wal.make_durable();
        }
        Ok(end)
    }

    fn wait_durable(&self, end: Lsn) -> Result<(), WalError> {
        self.wal.wait_durable(end)
    }

    fn durable_lsn(&self) -> Lsn {
        self.wal.durable_lsn()
    }

    fn end_lsn(&self) -> Lsn {
        self.wal.end_lsn()
    }

    fn stopped(&self) -> Option<String> {
        self.wal.stopped()
    }

    fn stopping(&self) -> CancellationToken {
        self.wal.stopping()
    }
}

/// An engine over a [`HeldWal`], served over pgwire on 127.0.0.1:0.
pub struct Server {
    pub addr: SocketAddr,
    pub engine: Engine,
    pub wal: Arc<HeldWal>,
    serving: Option<JoinHandle<()>>,
    cancel: CancellationToken,
}

impl Server {
    /// Waits (bounded) until the accept loop has ended (the listener is closed).
    pub async fn wait_stopped_accepting(&mut self) {
        if let Some(serving) = self.serving.take() {
            finish(serving, "the accept loop").await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

pub async fn server(wait_limit: Duration) -> Server {
    let wal = HeldWal::new(wait_limit);
    let sink: Arc<dyn WalSink> = wal.clone();
    let engine = tokio::task::spawn_blocking(move || Engine::create(sink, EngineConfig::default()))
        .await
        .expect("create task")
        .expect("create the engine");
    let cancel = CancellationToken::new();
    let served = engine.clone();
    let (addr, serving) = bind_and_serve(
        "127.0.0.1:0".parse().expect("valid address"),
        FrontendConfig::default(),
        move || served.for_session(),
        cancel.clone(),
    )
    .await
    .expect("serve");
    Server {
        addr,
        engine,
        wal,
        serving: Some(serving),
        cancel,
    }
}

/// A client, and how its connection ended (the FATAL error a server sent, if any).
pub struct Conn {
    pub client: Arc<Client>,
    pub ended: JoinHandle<Result<(), tokio_postgres::Error>>,
}

pub async fn connect(addr: SocketAddr) -> Result<Conn, tokio_postgres::Error> {
    let conn = format!("host=127.0.0.1 port={} user=u dbname=d", addr.port());
    let (client, connection) = tokio::time::timeout(BOUND, tokio_postgres::connect(&conn, NoTls))
        .await
        .expect("connect in time")?;
    Ok(Conn {
        client: Arc::new(client),
        ended: tokio::spawn(connection),
    })
}

/// Runs `sql` (simple protocol) on a task: the command tags and rows it answered.
pub fn spawn_query(
    c: &Conn,
    sql: &'static str,
) -> JoinHandle<Result<Answer, tokio_postgres::Error>> {
    let client = c.client.clone();
    tokio::spawn(async move { client.simple_query(sql).await.map(Answer::from) })
}

/// Runs `sql` now (bounded).
pub async fn query(c: &Conn, sql: &'static str) -> Result<Answer, tokio_postgres::Error> {
    tokio::time::timeout(BOUND, spawn_query(c, sql))
        .await
        .unwrap_or_else(|_| panic!("{sql}: no answer within {BOUND:?}"))
        .expect("query task")
}

/// What a simple query answered: each statement's tag, and the rows as text.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub tags: Vec<u64>,
    pub rows: Vec<Vec<Option<String>>>,
}

impl From<Vec<SimpleQueryMessage>> for Answer {
    fn from(messages: Vec<SimpleQueryMessage>) -> Answer {
        let mut a = Answer {
            tags: Vec::new(),
            rows: Vec::new(),
        };
        for m in messages {
            match m {
                SimpleQueryMessage::CommandComplete(n) => a.tags.push(n),
                SimpleQueryMessage::Row(r) => a
                    .rows
                    .push((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect()),
                _ => {}
            }
        }
        a
    }
}

/// The SQLSTATE of a server error (`None` for a client-side error such as a closed
/// connection).
pub fn code(e: &tokio_postgres::Error) -> Option<String> {
    e.as_db_error().map(|d| d.code().code().to_string())
}

/// Waits (bounded) for `task` to finish and returns its output.
pub async fn finish<T>(task: JoinHandle<T>, what: &str) -> T {
    tokio::time::timeout(BOUND, task)
        .await
        .unwrap_or_else(|_| panic!("{what}: not finished within {BOUND:?}"))
        .expect("task")
}

/// Waits (bounded) until `engine` has blocked `n` times for observed versions in all.
pub async fn wait_observed_waits(engine: &Engine, n: u64) {
    let deadline = Instant::now() + BOUND;
    while engine.observed_waits() < n {
        assert!(
            Instant::now() < deadline,
            "no reply waited for durability ({} < {n})",
            engine.observed_waits()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
