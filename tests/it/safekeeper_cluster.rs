//! Black-box test of WAL consensus with three real `strata safekeeper`
//! processes and the compute's proposer driver ([`WalProposer`]):
//!
//! 1. a workload of concurrent appenders streams records;
//! 2. one safekeeper is killed -9 mid-stream: appends keep succeeding;
//! 3. a second is killed -9: appends stall (none is reported durable);
//! 4. both restart on their data dirs: appends resume;
//! 5. a second proposer on the same timeline fences the first (its next
//!    append fails with `Fenced`) and appends on its own;
//! 6. every acknowledged record is read back byte for byte (ReadWal,
//!    decoded with `WalDecoder`) from each of the three safekeepers, so the
//!    lagging ones caught up.
//!
//! A second test kills -9 all three at once, restarts them and checks that a
//! new proposer's term starts after every acknowledged record, all of which
//! are read back from each safekeeper.
//!
//! Every wait is bounded; each test stops by itself in well under 2 minutes
//! (about 3 s here).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crate::harness::{Process, TestDir};
use futures::StreamExt;
use proto::grpc::safekeeper as pb;
use proto::grpc::safekeeper::safekeeper_client::SafekeeperClient;
use proto::{Delta, Lsn, PageBody, PageChange, PageKey, Record, RelId, TimelineId, WalDecoder};
use safekeeper::Error;
use safekeeper::driver::{DriverConfig, WalProposer};
use tokio::sync::Mutex;
use tokio::time::{Instant, sleep, timeout};

/// Acknowledged records by start LSN: (end, record).
type Acked = Arc<Mutex<BTreeMap<Lsn, (Lsn, Record)>>>;

fn timeline() -> TimelineId {
    TimelineId::new("tenant1", "main").expect("valid names")
}

/// Record `i` of the run with `seed`: 1..=3 page deltas of 1..=600 bytes.
fn record(seed: u64, i: u64) -> Record {
    let mut x = seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let n = 1 + next() % 3;
    let changes = (0..n)
        .map(|c| {
            let len = 1 + (next() % 600) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            PageChange {
                key: PageKey {
                    rel: RelId(16384),
                    block: (i * 4 + c) as u32,
                },
                base_lsn: Lsn::INVALID,
                body: PageBody::Delta(Delta::from_runs([(64u16, &bytes[..])])),
                crc_after: next() as u32,
            }
        })
        .collect();
    Record::commit(i as i64, changes)
}

fn config(addrs: Vec<String>, proposer_id: u64) -> DriverConfig {
    let mut cfg = DriverConfig::new(timeline(), addrs, proposer_id);
    cfg.tick = Duration::from_millis(10);
    cfg.resend_after = Duration::from_millis(100);
    cfg.backoff_max = Duration::from_millis(100);
    cfg.start_timeout = Duration::from_secs(30);
    cfg
}

/// `n` appenders appending until `stop`; every success lands in `acked`.
fn workload(
    p: Arc<WalProposer>,
    seed: u64,
    n: u64,
    next: Arc<AtomicU64>,
    acked: Acked,
    stop: Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<Option<Error>>> {
    (0..n)
        .map(|_| {
            let (p, next, acked, stop) = (p.clone(), next.clone(), acked.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let rec = record(seed, i);
                    match p.append(&rec).await {
                        Ok((start, end)) => {
                            acked.lock().await.insert(start, (end, rec));
                        }
                        Err(e) => return Some(e),
                    }
                }
                None
            })
        })
        .collect()
}

/// Proposer `id`, elected on the safekeepers at `addrs` (bounded).
async fn elect(addrs: &[String], id: u64) -> WalProposer {
    timeout(
        Duration::from_secs(30),
        WalProposer::start(config(addrs.to_vec(), id)),
    )
    .await
    .unwrap_or_else(|_| panic!("p{id} elected in time"))
    .unwrap_or_else(|e| panic!("p{id} elected: {e}"))
}

/// Stops the appenders of [`workload`] and checks that none failed.
async fn stop_workload(stop: &AtomicBool, tasks: Vec<tokio::task::JoinHandle<Option<Error>>>) {
    stop.store(true, Ordering::SeqCst);
    for t in tasks {
        let res = timeout(Duration::from_secs(20), t)
            .await
            .expect("appender stops");
        assert!(res.expect("appender task").is_none(), "p1 append failed");
    }
}

async fn acked_count(acked: &Acked) -> usize {
    acked.lock().await.len()
}

/// Waits (bounded) until `acked` holds at least `n` records.
async fn wait_acked(acked: &Acked, n: usize, within: Duration, what: &str) {
    let deadline = Instant::now() + within;
    while acked_count(acked).await < n {
        assert!(
            Instant::now() < deadline,
            "{what}: only {} of {n} records acknowledged within {within:?}",
            acked_count(acked).await
        );
        sleep(Duration::from_millis(10)).await;
    }
}

/// Reads a safekeeper's WAL from `start` until `end` (bounded), decoded.
async fn read_back(url: &str, start: Lsn, end: Lsn) -> Result<Vec<proto::DecodedRecord>, String> {
    let mut client = SafekeeperClient::connect(url.to_string())
        .await
        .map_err(|e| format!("connect: {e}"))?
        .max_decoding_message_size(64 << 20);
    let req = pb::ReadWalRequest {
        timeline: Some((&timeline()).into()),
        start_lsn: start.0,
        stop_at_commit: false,
        include_uncommitted: false,
        term: 0,
        reader: String::new(),
    };
    let mut stream = client
        .read_wal(req)
        .await
        .map_err(|s| format!("read_wal: {s}"))?
        .into_inner();
    let mut dec = WalDecoder::new(start);
    let mut out = Vec::new();
    let mut pos = start;
    while pos < end {
        let chunk = match timeout(Duration::from_secs(2), stream.next()).await {
            Ok(Some(Ok(c))) => c,
            Ok(Some(Err(s))) => return Err(format!("stream: {s}")),
            Ok(None) => return Err(format!("stream ended at {pos}")),
            Err(_) => return Err(format!("no WAL past {pos} within 2 s")),
        };
        if chunk.start_lsn != pos.0 {
            return Err(format!(
                "chunk at {} where {pos} was expected",
                Lsn(chunk.start_lsn)
            ));
        }
        pos = pos + chunk.wal.len() as u64;
        dec.push(&chunk.wal);
        while let Some(r) = dec.next_record().map_err(|e| format!("decode: {e}"))? {
            out.push(r);
        }
    }
    Ok(out)
}

/// Every acknowledged record is in `url`'s WAL, unchanged (retrying while
/// the safekeeper catches up, bounded).
async fn check_all_acked(name: &str, url: &str, start: Lsn, acked: &BTreeMap<Lsn, (Lsn, Record)>) {
    let end = acked
        .values()
        .map(|(e, _)| *e)
        .max()
        .expect("records were acked");
    let deadline = Instant::now() + Duration::from_secs(20);
    let records = loop {
        match read_back(url, start, end).await {
            Ok(r) => break r,
            Err(e) => {
                assert!(
                    Instant::now() < deadline,
                    "{name}: read back up to {end}: {e}"
                );
                sleep(Duration::from_millis(100)).await;
            }
        }
    };
    let by_start: BTreeMap<Lsn, &proto::DecodedRecord> =
        records.iter().map(|r| (r.start, r)).collect();
    for (s, (e, rec)) in acked {
        let got = by_start
            .get(s)
            .unwrap_or_else(|| panic!("{name}: acknowledged record at {s} is missing"));
        assert_eq!(got.end, *e, "{name}: record at {s} has another end");
        assert_eq!(&got.record, rec, "{name}: record at {s} changed");
    }
    println!("{name}: all {} acknowledged records read back", acked.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_safekeepers_survive_kill9_and_fence_an_old_proposer() {
    let seed = crate::harness::seed();
    let dir = TestDir::new("sk-cluster");
    let mut sks: Vec<Process> = (1..=3).map(|id| Process::safekeeper(&dir, id)).collect();
    for sk in &mut sks {
        sk.start();
    }
    let addrs: Vec<String> = sks.iter().map(|s| s.url()).collect();
    let p1 = Arc::new(elect(&addrs, 1).await);
    let first = p1.ready_lsn();
    println!("p1: term {}, ready at {first}", p1.term());

    let acked: Acked = Arc::default();
    let next = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let tasks = workload(
        p1.clone(),
        seed,
        8,
        next.clone(),
        acked.clone(),
        stop.clone(),
    );

    wait_acked(&acked, 200, Duration::from_secs(20), "all up").await;
    sks[0].kill9();
    let n = acked_count(&acked).await;
    wait_acked(
        &acked,
        n + 200,
        Duration::from_secs(20),
        "one safekeeper down",
    )
    .await;

    sks[1].kill9();
    sleep(Duration::from_millis(300)).await; // appends in flight at the kill settle
    let stalled_at = acked_count(&acked).await;
    sleep(Duration::from_secs(1)).await;
    assert_eq!(
        acked_count(&acked).await,
        stalled_at,
        "appends reported durable with two of three safekeepers down"
    );

    sks[0].start();
    sks[1].start();
    wait_acked(
        &acked,
        stalled_at + 200,
        Duration::from_secs(30),
        "after restarts",
    )
    .await;
    stop_workload(&stop, tasks).await;
    println!(
        "p1: {} records acknowledged, {:?}",
        acked_count(&acked).await,
        p1.stats()
    );

    // A second proposer fences the first; nothing acknowledged is lost.
    let p2 = timeout(
        Duration::from_secs(30),
        WalProposer::start(config(addrs.clone(), 2)),
    )
    .await
    .expect("p2 elected in time")
    .expect("p2 elected");
    println!("p2: term {}, ready at {}", p2.term(), p2.ready_lsn());
    assert!(p2.term() > p1.term());
    let last_p1 = acked
        .lock()
        .await
        .values()
        .map(|(e, _)| *e)
        .max()
        .expect("acked");
    assert!(
        p2.ready_lsn() > last_p1,
        "p2 starts past p1's acknowledged WAL"
    );
    let err = timeout(Duration::from_secs(10), p1.append(&record(seed, 2_000_000)))
        .await
        .expect("p1's append answers")
        .expect_err("p1 is fenced");
    assert!(matches!(err, Error::Fenced { .. }), "p1: {err}");
    println!("p1 after p2's election: {err}");
    for i in 0..50 {
        let rec = record(seed, 1_000_000 + i);
        let (s, e) = timeout(Duration::from_secs(10), p2.append(&rec))
            .await
            .expect("p2 appends in time")
            .expect("p2 appends");
        acked.lock().await.insert(s, (e, rec));
    }

    let acked = acked.lock().await.clone();
    for sk in &sks {
        check_all_acked(&sk.name, &sk.url(), first, &acked).await;
    }
}

/// All three safekeepers killed -9 at once, restarted: a new proposer is
/// elected on their recovered state and every acknowledged record is still
/// there (and the new term's WAL continues after it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_records_survive_killing_every_safekeeper() {
    let seed = crate::harness::seed();
    let dir = TestDir::new("sk-all-kill");
    let mut sks: Vec<Process> = (1..=3).map(|id| Process::safekeeper(&dir, id)).collect();
    for sk in &mut sks {
        sk.start();
    }
    let addrs: Vec<String> = sks.iter().map(|s| s.url()).collect();
    let p1 = Arc::new(elect(&addrs, 1).await);
    let first = p1.ready_lsn();
    let acked: Acked = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicU64::new(0));
    let tasks = workload(p1.clone(), seed, 8, next, acked.clone(), stop.clone());
    wait_acked(&acked, 300, Duration::from_secs(20), "all up").await;
    for sk in &mut sks {
        sk.kill9();
    }
    stop.store(true, Ordering::SeqCst);
    // p1's appenders either stall or fail; they are not waited for.
    p1.shutdown();
    for t in tasks {
        let _ = timeout(Duration::from_secs(10), t).await;
    }
    let acked = acked.lock().await.clone();
    println!("{} records acknowledged before the kill", acked.len());
    for sk in &mut sks {
        sk.start();
    }
    let p2 = timeout(
        Duration::from_secs(30),
        WalProposer::start(config(addrs, 2)),
    )
    .await
    .expect("p2 elected in time")
    .expect("p2 elected");
    let last = acked.values().map(|(e, _)| *e).max().expect("acked");
    assert!(
        p2.ready_lsn() > last,
        "the new term starts after every acknowledged record"
    );
    for sk in &sks {
        check_all_acked(&sk.name, &sk.url(), first, &acked).await;
    }
}

/// A failed fsync is fatal: safekeeper 1 is started with a fault that fails
/// its 30th WAL-segment fdatasync (`STRATA_FAIL_FSYNC`). It must exit with
/// `FSYNC_FAILED_EXIT_CODE` naming the segment, never reopen the WAL in
/// process (Linux may have dropped the unsynced pages, and a second fsync
/// would succeed without them); appends go on with the other two; restarted
/// without the fault it recovers from its disk and its peers, and every
/// acknowledged record is on all three.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_fsync_stops_the_safekeeper_and_a_restart_recovers() {
    use remote_storage::durable::{FAIL_FSYNC_ENV, FSYNC_FAILED_EXIT_CODE};
    let seed = crate::harness::seed();
    let dir = TestDir::new("sk-fsync");
    let mut sks: Vec<Process> = (1..=3).map(|id| Process::safekeeper(&dir, id)).collect();
    sks[0].set_env(FAIL_FSYNC_ENV, Some("30:.seg"));
    for sk in &mut sks {
        sk.start();
    }
    let addrs: Vec<String> = sks.iter().map(|s| s.url()).collect();
    let p1 = Arc::new(elect(&addrs, 1).await);
    let first = p1.ready_lsn();
    let acked: Acked = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicU64::new(0));
    let tasks = workload(p1.clone(), seed, 4, next, acked.clone(), stop.clone());

    // Panics (with sk1's log) if sk1 kept running after its fsync failed.
    let status = tokio::task::block_in_place(|| sks[0].wait_exit(Duration::from_secs(30)));
    assert_eq!(
        status.code(),
        Some(FSYNC_FAILED_EXIT_CODE),
        "sk1 exit status {status}"
    );
    let log = sks[0].log_tail(20);
    assert!(
        log.contains("fsync failed") && log.contains(".seg"),
        "sk1's log names the failed fsync and its segment:\n{log}"
    );
    let n = acked_count(&acked).await;
    wait_acked(&acked, n + 100, Duration::from_secs(20), "sk1 stopped").await;

    sks[0].set_env(FAIL_FSYNC_ENV, None);
    sks[0].start();
    let n = acked_count(&acked).await;
    wait_acked(&acked, n + 100, Duration::from_secs(20), "sk1 restarted").await;
    stop_workload(&stop, tasks).await;
    let acked = acked.lock().await.clone();
    for sk in &sks {
        check_all_acked(&sk.name, &sk.url(), first, &acked).await;
    }
}
