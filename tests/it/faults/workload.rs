//! The fault matrix's workload: writers that log the outcome of every commit they attempt,
//! and a reader that checks the bank total in every snapshot it is given.
//!
//! Each of [`WRITERS`] writers numbers its operations `seq = 1, 2, …` and does, at random,
//! a single-row autocommit `INSERT INTO items` or a bank transfer — one transaction of two
//! `UPDATE accounts` (in id order, so transfers never deadlock each other) and an
//! `INSERT INTO ledger` row naming the writer, the seq, the accounts and the amount. Every
//! attempt is logged with its [`Outcome`]:
//! - `Acked`: the server answered COMMIT (or the autocommit INSERT) with success;
//! - `Failed`: it can never have committed — a statement before COMMIT failed (COMMIT was
//!   never sent), or COMMIT got a definite error (serialization failure, deadlock, a
//!   read-only compute that sent nothing: 40001, 40P01, 25006, class 23);
//! - `Unknown`: COMMIT was sent and no definite answer came back (08006, the connection
//!   closed, FATAL 57P01, no answer in time) — it may or may not have committed.
//!
//! Writers follow the primary: they connect to the port in [`Shared::port`], which the
//! scheduler changes when a new compute takes over, and reconnect (bounded) whenever a
//! connection is lost. Now and then a writer reads back its last acknowledged row on the
//! same connection: an acknowledged commit is visible at once, on any compute.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio_postgres::{Client, NoTls};

use crate::harness::Rng;

pub const WRITERS: usize = 6;
pub const ACCOUNTS: i64 = 40;
pub const START_BALANCE: i64 = 1000;
pub const TOTAL: i64 = ACCOUNTS * START_BALANCE;

/// How long one statement may take before its outcome is called unknown and the
/// connection dropped. Generous: a commit may wait out a fault and a failover.
const STATEMENT_LIMIT: Duration = Duration::from_secs(45);
/// How long a writer may fail to connect before the test calls the cluster down.
const CONNECT_LIMIT: Duration = Duration::from_secs(120);

/// The SQL that creates the tables and the accounts.
pub fn schema() -> String {
    let accounts: Vec<String> = (1..=ACCOUNTS)
        .map(|id| format!("({id}, {START_BALANCE})"))
        .collect();
    format!(
        "CREATE TABLE accounts (id int8 PRIMARY KEY, balance int8 NOT NULL);
         CREATE TABLE ledger (writer int8, seq int8, src int8 NOT NULL, dst int8 NOT NULL,
                              amount int8 NOT NULL, PRIMARY KEY (writer, seq));
         CREATE TABLE items (writer int8, seq int8, payload text NOT NULL,
                             PRIMARY KEY (writer, seq));
         INSERT INTO accounts VALUES {};",
        accounts.join(", ")
    )
}

/// What a writer attempted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Insert,
    Transfer { src: i64, dst: i64, amount: i64 },
}

/// What the writer learned of an attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Acked,
    Failed(String),
    Unknown(String),
}

#[derive(Clone, Debug)]
pub struct Attempt {
    pub seq: i64,
    pub op: Op,
    pub outcome: Outcome,
}

/// The payload of writer `w`'s item `seq`.
pub fn payload(w: i64, seq: i64) -> String {
    format!("w{w}-s{seq}")
}

/// What the writers, the reader and the scheduler share.
pub struct Shared {
    /// The current primary's pgwire port.
    pub port: AtomicU16,
    pub stop: AtomicBool,
    /// Acknowledged commits per writer (the scheduler watches them move).
    pub acked: Vec<AtomicU64>,
    pub unknown: AtomicU64,
    pub failed: AtomicU64,
    pub reads: AtomicU64,
    /// Broken promises seen while running (a wrong total, an acknowledged row missing).
    pub violations: Mutex<Vec<String>>,
    pub started: Instant,
}

impl Shared {
    pub fn new(port: u16) -> Arc<Shared> {
        Arc::new(Shared {
            port: AtomicU16::new(port),
            stop: AtomicBool::new(false),
            acked: (0..WRITERS).map(|_| AtomicU64::new(0)).collect(),
            unknown: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            reads: AtomicU64::new(0),
            violations: Mutex::new(Vec::new()),
            started: Instant::now(),
        })
    }

    pub fn acked_total(&self) -> u64 {
        self.acked.iter().map(|a| a.load(Ordering::Relaxed)).sum()
    }

    fn violation(&self, what: String) {
        println!(
            "[t={:.3}s] VIOLATION: {what}",
            self.started.elapsed().as_secs_f64()
        );
        self.violations.lock().expect("lock").push(what);
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// Connects to the current primary, retrying (bounded) while there is none.
async fn connect(shared: &Shared, who: &str) -> Option<Client> {
    let deadline = Instant::now() + CONNECT_LIMIT;
    let mut delay = Duration::from_millis(20);
    loop {
        if shared.stopped() {
            return None;
        }
        let port = shared.port.load(Ordering::Relaxed);
        let conn =
            format!("host=127.0.0.1 port={port} user=strata dbname=strata connect_timeout=5");
        let connected = tokio::time::timeout(
            Duration::from_secs(10),
            tokio_postgres::connect(&conn, NoTls),
        )
        .await;
        if let Ok(Ok((client, connection))) = connected {
            tokio::spawn(async move {
                let _ = connection.await;
            });
            return Some(client);
        }
        if Instant::now() > deadline {
            shared.violation(format!(
                "{who}: no compute accepted a connection for {CONNECT_LIMIT:?}"
            ));
            return None;
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_millis(500));
    }
}

/// Runs `sql` (simple protocol), bounded by [`STATEMENT_LIMIT`].
async fn run(c: &Client, sql: &str) -> Result<(), String> {
    match tokio::time::timeout(STATEMENT_LIMIT, c.batch_execute(sql)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(describe(&e)),
        Err(_) => Err(format!("no answer within {STATEMENT_LIMIT:?}")),
    }
}

/// `code: message`, or the client's own description when the server sent no error.
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => format!("connection: {e}"),
    }
}

/// Whether a COMMIT's error says for certain that nothing was committed.
fn definite(error: &str) -> bool {
    ["40001:", "40P01:", "25006:", "25P02:"]
        .iter()
        .any(|code| error.starts_with(code))
        || error.starts_with("23")
}

/// One writer, until `shared.stop`; returns its log.
pub async fn writer(w: i64, seed: u64, shared: Arc<Shared>) -> Vec<Attempt> {
    let mut rng = Rng(seed);
    let mut log = Vec::new();
    let mut client: Option<Client> = None;
    let mut last_acked_item: Option<i64> = None;
    let who = format!("writer {w}");
    let mut seq = 0;
    while !shared.stopped() {
        if client.is_none() {
            client = connect(&shared, &who).await;
        }
        let Some(c) = client.as_ref() else { break };
        seq += 1;
        let op = if rng.chance(50) {
            Op::Insert
        } else {
            let src = rng.range(1, ACCOUNTS);
            let dst = (src + rng.range(1, ACCOUNTS - 1) - 1) % ACCOUNTS + 1;
            Op::Transfer {
                src,
                dst,
                amount: rng.range(1, 50),
            }
        };
        let (outcome, broken) = attempt(c, w, seq, op).await;
        match &outcome {
            Outcome::Acked => {
                shared.acked[w as usize].fetch_add(1, Ordering::Relaxed);
                if op == Op::Insert {
                    last_acked_item = Some(seq);
                }
            }
            Outcome::Failed(_) => {
                shared.failed.fetch_add(1, Ordering::Relaxed);
            }
            Outcome::Unknown(why) => {
                shared.unknown.fetch_add(1, Ordering::Relaxed);
                println!(
                    "[t={:.3}s] writer {w} seq {seq}: outcome unknown: {why}",
                    shared.started.elapsed().as_secs_f64()
                );
            }
        }
        log.push(Attempt { seq, op, outcome });
        if broken {
            client = None;
            continue;
        }
        if let Some(item) = last_acked_item
            && rng.chance(10)
        {
            read_back(c, w, item, &shared).await;
        }
    }
    log
}

/// An acknowledged item is visible to the next statement of its writer.
async fn read_back(c: &Client, w: i64, seq: i64, shared: &Shared) {
    let sql = format!("SELECT payload FROM items WHERE writer = {w} AND seq = {seq}");
    let Ok(Ok(rows)) = tokio::time::timeout(STATEMENT_LIMIT, c.simple_query(&sql)).await else {
        return; // an error or a lost connection says nothing
    };
    let found: Vec<String> = rows
        .iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
            _ => None,
        })
        .collect();
    if found != [payload(w, seq)] {
        shared.violation(format!(
            "writer {w}: its acknowledged item {seq} reads back as {found:?}"
        ));
    }
}

/// Runs one operation; returns its outcome and whether the connection must be replaced.
async fn attempt(c: &Client, w: i64, seq: i64, op: Op) -> (Outcome, bool) {
    let (statements, commit) = match op {
        Op::Insert => (
            Vec::new(),
            format!(
                "INSERT INTO items VALUES ({w}, {seq}, '{}')",
                payload(w, seq)
            ),
        ),
        Op::Transfer { src, dst, amount } => {
            let (first, second) = if src < dst {
                ((src, -amount), (dst, amount))
            } else {
                ((dst, amount), (src, -amount))
            };
            let update = |(id, delta): (i64, i64)| {
                format!("UPDATE accounts SET balance = balance + ({delta}) WHERE id = {id}")
            };
            (
                vec![
                    "BEGIN".to_string(),
                    update(first),
                    update(second),
                    format!("INSERT INTO ledger VALUES ({w}, {seq}, {src}, {dst}, {amount})"),
                ],
                "COMMIT".to_string(),
            )
        }
    };
    for sql in &statements {
        if let Err(e) = run(c, sql).await {
            // COMMIT was never sent: this transaction cannot have committed.
            let broken = e.starts_with("connection") || e.starts_with("no answer");
            if !broken {
                let _ = run(c, "ROLLBACK").await;
            }
            return (Outcome::Failed(format!("{sql}: {e}")), broken);
        }
    }
    match run(c, &commit).await {
        Ok(()) => (Outcome::Acked, false),
        Err(e) if definite(&e) => (Outcome::Failed(e), false),
        Err(e) => (Outcome::Unknown(e), true),
    }
}

/// Reads `(SUM(balance), count(*))` in single statements until `shared.stop`: every answer
/// is one snapshot, so it is always the starting total over every account.
pub async fn reader(shared: Arc<Shared>) {
    let mut client: Option<Client> = None;
    while !shared.stopped() {
        if client.is_none() {
            client = connect(&shared, "reader").await;
        }
        let Some(c) = client.as_ref() else { break };
        let sql = "SELECT sum(balance), count(*) FROM accounts";
        match tokio::time::timeout(STATEMENT_LIMIT, c.simple_query(sql)).await {
            Ok(Ok(rows)) => {
                let got: Vec<Option<String>> = rows
                    .iter()
                    .find_map(|m| match m {
                        tokio_postgres::SimpleQueryMessage::Row(r) => {
                            Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
                        }
                        _ => None,
                    })
                    .unwrap_or_default();
                let want = [Some(TOTAL.to_string()), Some(ACCOUNTS.to_string())];
                if got != want {
                    shared.violation(format!(
                        "reader: one snapshot's total and count are {got:?}, not {want:?}"
                    ));
                }
                shared.reads.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Err(e)) if e.as_db_error().is_some() && !e.is_closed() => {}
            _ => client = None,
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
