//! [`ProposerWal`] under the engine, against three real safekeeper servers in this process:
//! commits are durable on a quorum, concurrent commits share round trips, and a fenced
//! compute refuses writes with a message saying why.

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use proto::TimelineId;
use safekeeper::driver::DriverConfig;
use safekeeper::server;
use sql::Session;
use tokio_util::sync::CancellationToken;

use super::ProposerWal;
use crate::engine::{Engine, EngineConfig, WalSink};

struct Cluster {
    runtime: tokio::runtime::Runtime,
    addrs: Vec<String>,
    cancel: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

fn timeline() -> TimelineId {
    TimelineId::new("tenant1", "main").expect("valid names")
}

fn cluster() -> Cluster {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("build a runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let cancel = CancellationToken::new();
    let addrs = runtime.block_on(async {
        let mut addrs = Vec::new();
        for id in 1..=3 {
            let listen = "127.0.0.1:0".parse().expect("valid address");
            let cfg = server::Config::new(id, listen, dir.path().join(format!("sk{id}")));
            let running = server::start(cfg, cancel.child_token())
                .await
                .expect("start a safekeeper");
            addrs.push(running.addr.to_string());
        }
        addrs
    });
    Cluster {
        runtime,
        addrs,
        cancel,
        _dir: dir,
    }
}

fn wal(c: &Cluster, proposer_id: u64) -> Arc<ProposerWal> {
    let mut cfg = DriverConfig::new(timeline(), c.addrs.clone(), proposer_id);
    cfg.tick = Duration::from_millis(10);
    cfg.start_timeout = Duration::from_secs(20);
    let wal = c
        .runtime
        .block_on(ProposerWal::start(cfg, c.runtime.handle().clone()))
        .expect("proposer elected");
    Arc::new(wal.with_wait_limit(Duration::from_secs(20)))
}

fn exec(s: &mut Session<Engine>, sql: &str) -> sql::Result<sql::StatementResult> {
    let mut last = None;
    for r in s.execute(sql) {
        last = Some(r?);
    }
    last.ok_or_else(|| sql::Error::Internal("no statement".into()))
}

fn count(s: &mut Session<Engine>) -> String {
    let r = exec(s, "SELECT count(*) FROM t").expect("count");
    r.text_rows()[0][0].clone().expect("a count")
}

#[test]
fn commits_are_quorum_durable_and_grouped() {
    let c = cluster();
    let wal = wal(&c, 1);
    let ready = wal.end_lsn();
    let engine = Engine::create(wal.clone(), EngineConfig::default()).expect("create");
    let mut s = Session::new(engine.clone());
    exec(&mut s, "CREATE TABLE t (id int PRIMARY KEY, v int)").expect("create table");
    exec(&mut s, "INSERT INTO t VALUES (0, 0)").expect("insert");
    assert!(wal.durable_lsn() > ready);

    let before = wal.proposer().stats();
    let threads: Vec<_> = (1..=8)
        .map(|t| {
            let e = engine.clone();
            thread::spawn(move || {
                let mut s = Session::new(e);
                for i in 0..10 {
                    let sql = format!("INSERT INTO t VALUES ({}, {t})", t * 100 + i);
                    exec(&mut s, &sql).expect("insert");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("inserter");
    }
    assert_eq!(count(&mut s), "81");
    // Every commit is durable on a quorum: the proposer's commit LSN reaches the WAL's end
    // (its watch is published just after the durability signal the committers wait for).
    assert_eq!(wal.durable_lsn(), wal.end_lsn());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while *wal.proposer().commit_lsn().borrow() < wal.end_lsn()
        && std::time::Instant::now() < deadline
    {
        thread::sleep(std::time::Duration::from_millis(1));
    }
    let commit = *wal.proposer().commit_lsn().borrow();
    assert_eq!(commit, wal.end_lsn());
    let after = wal.proposer().stats();
    let (appends, messages) = (
        after.appends - before.appends,
        after.append_messages - before.append_messages,
    );
    println!("80 commits: {appends} appends in {messages} Append messages");
    assert_eq!(appends, 80);
    assert!(
        messages < appends * 3,
        "concurrent commits share Append messages (group commit)"
    );
}

/// A newer primary takes over: the old compute's next write is refused (25006: never
/// sent) or its outcome is unknown (08006: sent, then fenced); either way the old engine
/// stops serving — reads are refused too, as it may be stale.
#[test]
fn a_fenced_compute_stops_serving() {
    let c = cluster();
    let old = wal(&c, 1);
    let engine = Engine::create(old.clone(), EngineConfig::default()).expect("create");
    let mut s = Session::new(engine.clone());
    exec(&mut s, "CREATE TABLE t (id int PRIMARY KEY)").expect("create table");
    exec(&mut s, "INSERT INTO t VALUES (1)").expect("insert");

    // A newer primary wins a higher term on the same safekeepers.
    let new = wal(&c, 2);
    assert!(new.proposer().term() > old.proposer().term());

    let err = exec(&mut s, "INSERT INTO t VALUES (2)").expect_err("fenced");
    assert!(["25006", "08006"].contains(&err.code()), "{err}");
    assert!(
        err.to_string().contains("newer primary took over"),
        "clear message: {err}"
    );
    let why = engine.stopped().expect("the engine stopped serving");
    assert!(why.contains("newer primary took over"), "{why}");
    let err = exec(&mut s, "SELECT count(*) FROM t").expect_err("no reads either");
    assert_eq!(err.code(), "08006", "{err}");
    assert!(old.stopped().is_some());
}

/// An idle old primary learns of the takeover from the driver's heartbeat, without any
/// write, and stops serving within a bounded time.
#[test]
fn an_idle_fenced_compute_learns_of_the_takeover() {
    use std::time::Instant;

    let c = cluster();
    let old = wal(&c, 1);
    let engine = Engine::create(old.clone(), EngineConfig::default()).expect("create");
    let stopping = engine.stopping();
    let mut s = Session::new(engine.clone());
    exec(&mut s, "CREATE TABLE t (id int PRIMARY KEY)").expect("create table");
    let _new = wal(&c, 2);
    let elected = Instant::now();
    let deadline = elected + Duration::from_secs(10);
    while engine.stopped().is_none() {
        assert!(
            Instant::now() < deadline,
            "the old primary never learned of the fence"
        );
        thread::sleep(Duration::from_millis(5));
    }
    println!(
        "an idle old primary stopped {:?} after the election",
        elected.elapsed()
    );
    assert!(stopping.is_cancelled());
    let err = exec(&mut s, "SELECT count(*) FROM t").expect_err("stopped");
    assert_eq!(err.code(), "08006", "{err}");
}

/// Raw submits racing a takeover: each returns at once (never waits for the network, never
/// deadlocks when the driver stops under it), and once fenced every one is refused.
#[test]
fn submits_racing_a_takeover_return_promptly() {
    use crate::engine::WalError;
    use std::sync::mpsc;
    use std::time::Instant;

    let c = cluster();
    let old = wal(&c, 1);
    let racer = old.clone();
    let (done_tx, done_rx) = mpsc::channel();
    let handle = thread::spawn(move || {
        let record = proto::Record::commit(0, Vec::new());
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let start = racer.end_lsn();
            match racer.submit(&record, start) {
                Ok(_) => {}
                Err(e) => return done_tx.send(e),
            }
            assert!(Instant::now() < deadline, "never refused");
            thread::sleep(Duration::from_millis(1));
        }
    });
    let _new = wal(&c, 2);
    let err = done_rx
        .recv_timeout(Duration::from_secs(20))
        .expect("submits return promptly and are refused once fenced");
    handle.join().expect("racer").expect("report sent");
    match err {
        WalError::ReadOnly(msg) => assert!(msg.contains("newer primary took over"), "{msg}"),
        other => panic!("expected ReadOnly, got {other:?}"),
    }
}
