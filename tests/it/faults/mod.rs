//! The fault matrix: nothing acknowledged is ever lost or contradicted, with faults at
//! random moments — real processes, loopback, bounded time.
//!
//! A cluster of real `strata` processes ([`cluster`]: three safekeepers, a pageserver, a
//! supervised primary compute; on a local folder store or on moto) runs a workload of
//! [`workload::WRITERS`] writers — single-row inserts and bank transfers with a ledger row —
//! each logging every commit the server acknowledged, every one that failed for certain and
//! every one whose outcome is unknown, plus a reader checking the bank total in every
//! snapshot. Meanwhile a seeded [`schedule`] injects [`schedule::Fault`]s ([`inject`]): kill
//! -9 of the primary (a new one is started), of the pageserver (with and without its disk),
//! of one and of two safekeepers, SIGSTOP of a safekeeper past the timeouts, the object
//! store unreachable for 10 s, two computes on the timeline at once, a torn tail on a
//! safekeeper's WAL, a flipped byte in a layer file and in an offloaded WAL object. The
//! writers run throughout, so faults land in the middle of commits. After each fault the
//! cluster must recover (bounded) and the writers must make progress.
//!
//! At the end a fresh compute, over a pageserver restarted on an empty disk, reads the
//! tables and [`check::verify`] holds them against the logs: every acknowledged commit is
//! present, nothing that failed or was never attempted is, every unknown outcome is wholly
//! there or wholly absent, and the balances sum to the starting total. Offloaded WAL whose
//! byte was flipped must never be served as WAL.
//!
//! ```text
//! cargo nextest run -E 'test(/fault_matrix/)'               # CI: one round of every fault
//! STRATA_TEST_SEED=n ...                                     # replay a schedule
//! STRATA_FAULTS=kill-compute,torn-safekeeper-tail ...        # only these faults
//! STRATA_FAULTS_SECONDS=1200 ./scripts/soak-faults           # a long soak
//! ```

mod check;
mod cluster;
mod damage;
mod inject;
mod schedule;
mod workload;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures::StreamExt;
use proto::Lsn;
use proto::frame::FrameDecoder;
use proto::grpc::safekeeper as sk_pb;
use proto::grpc::safekeeper::safekeeper_client::SafekeeperClient;

use crate::harness;
use check::FinalState;
use cluster::{Cluster, StoreKind, first_line};
use inject::{Damage, Injected, inject};
use schedule::{Fault, Schedule};
use workload::{Shared, WRITERS};

/// How long the cluster may take to recover from one fault.
const RECOVERY_LIMIT: Duration = Duration::from_secs(90);
/// How long the writers may go without one acknowledged commit once the cluster recovered.
const PROGRESS_LIMIT: Duration = Duration::from_secs(60);

#[test]
fn fault_matrix_on_a_folder_store() {
    run(StoreKind::Folder);
}

#[test]
fn fault_matrix_on_moto() {
    run(StoreKind::Moto);
}

fn run(kind: StoreKind) {
    let seed = harness::seed();
    let seconds: Option<u64> = std::env::var("STRATA_FAULTS_SECONDS").ok().map(|s| {
        s.parse()
            .expect("STRATA_FAULTS_SECONDS is a number of seconds")
    });
    let rt = Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime"),
    );
    let Some(mut cluster) = Cluster::start(kind, rt.clone()) else {
        return; // moto is not installed (outside CI): said loudly by MotoServer::start
    };
    let admin = rt.block_on(cluster.compute.pg());
    rt.block_on(harness::exec(&admin, &workload::schema()));
    drop(admin);

    let shared = Shared::new(cluster.compute.addr.port());
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            rt.spawn(workload::writer(
                w as i64,
                seed.wrapping_add(w as u64 + 1),
                shared.clone(),
            ))
        })
        .collect();
    let reader = rt.spawn(workload::reader(shared.clone()));
    cluster.event(&format!(
        "workload started ({WRITERS} writers and a reader)"
    ));

    let kinds: Vec<Fault> = Fault::ALL
        .into_iter()
        .filter(|f| *f != Fault::StoreOutage || cluster.proxy.is_some())
        .collect();
    let mut schedule = Schedule::new(seed, &kinds);
    let mut damage = Damage::default();
    let mut violations = Vec::new();
    let mut history = Vec::new();
    let run_started = Instant::now();
    let mut skipped_in_a_row = 0;
    loop {
        let done = match seconds {
            Some(s) => run_started.elapsed() > Duration::from_secs(s),
            None => schedule.injected >= schedule.round_len() || skipped_in_a_row > 20,
        };
        if done {
            break;
        }
        let (gap, fault) = schedule.next();
        if let Err(e) = pause(&mut cluster, &shared, gap) {
            violations.push(e);
            break;
        }
        let acked_before = shared.acked_total();
        let at = cluster.started.elapsed();
        let result = inject(fault, &mut cluster, &shared, &mut schedule.rng, &mut damage);
        let what = match result {
            Ok(Injected::Done(what)) => {
                skipped_in_a_row = 0;
                what
            }
            Ok(Injected::Skipped(why)) => {
                cluster.event(&format!("{}: not yet ({why})", fault.name()));
                schedule.later(fault);
                skipped_in_a_row += 1;
                continue;
            }
            Err(e) => {
                violations.push(format!("{}: {e}", fault.name()));
                break;
            }
        };
        cluster.event(&format!(
            "fault {}: {} — {what}",
            schedule.injected,
            fault.name()
        ));
        let recovered = cluster
            .heal(&shared)
            .and_then(|()| cluster.wait_healthy(&shared, RECOVERY_LIMIT))
            .and_then(|took| {
                wait_progress(&cluster, &shared, acked_before)?;
                Ok(took)
            });
        match recovered {
            Ok(took) => {
                cluster.event(&format!("recovered in {} ms", took.as_millis()));
                history.push(format!(
                    "t={:.1}s {}: {what} (recovered in {} ms)",
                    at.as_secs_f64(),
                    fault.name(),
                    took.as_millis()
                ));
            }
            Err(e) => {
                violations.push(format!("after {}: {e}", fault.name()));
                break;
            }
        }
    }

    // Every writer makes progress on the healed cluster, then the workload stops.
    let progress = cluster
        .heal(&shared)
        .and_then(|()| cluster.wait_healthy(&shared, RECOVERY_LIMIT))
        .and_then(|_| every_writer_progresses(&cluster, &shared));
    if let Err(e) = progress {
        violations.push(format!("at the end: {e}"));
    }
    shared.stop.store(true, Ordering::Relaxed);
    let logs: Vec<_> = writers
        .into_iter()
        .map(|w| {
            rt.block_on(async { tokio::time::timeout(Duration::from_secs(120), w).await })
                .expect("writers stop in time")
                .expect("a writer task failed")
        })
        .collect();
    rt.block_on(async { tokio::time::timeout(Duration::from_secs(120), reader).await })
        .expect("the reader stops in time")
        .expect("the reader task failed");
    violations.extend(shared.violations.lock().expect("lock").drain(..));

    // The verdict, on a fresh compute over the pageserver restarted on its disk (with any
    // damaged layer file on it), then again over a pageserver that lost its disk.
    let mut tally = None;
    for wipe in [false, true] {
        cluster.compute.kill9();
        cluster.ps.kill9();
        if wipe {
            std::fs::remove_dir_all(&cluster.ps.data_dir).expect("wipe the pageserver");
        }
        cluster.ps.start();
        let fresh = cluster.start_compute().expect("a fresh compute starts");
        cluster.promote(fresh, &shared);
        let over = if wipe {
            "a wiped pageserver"
        } else {
            "the pageserver's disk"
        };
        cluster.event(&format!("final check on a fresh compute over {over}"));
        let client = rt.block_on(cluster.compute.pg());
        match rt.block_on(FinalState::read(&client)) {
            Ok(state) => {
                let (t, bad) = check::verify(&logs, &state);
                violations.extend(bad.into_iter().map(|b| format!("over {over}: {b}")));
                tally.get_or_insert(t);
            }
            Err(e) => {
                println!(
                    "{} log:\n{}\n{} log:\n{}",
                    cluster.compute.name,
                    cluster.compute.log_tail(30),
                    cluster.ps.name,
                    cluster.ps.log_tail(30)
                );
                violations.push(format!("over {over}: reading the final state: {e}"))
            }
        }
    }
    let tally = tally.unwrap_or_default();
    if !damage.flipped_wal_objects.is_empty() {
        for sk in &cluster.sks {
            if let Err(e) = rt.block_on(check_wal_objects(&sk.url(), &damage.flipped_wal_objects)) {
                violations.push(format!("{}: {e}", sk.name));
            }
        }
    }

    println!("--- fault matrix ({kind:?}), seed {seed} ---");
    for h in &history {
        println!("  {h}");
    }
    println!(
        "{} faults in {:.1} s; commits: {} acknowledged, {} failed for certain, {} unknown \
         ({} present, {} absent); {} bank reads",
        history.len(),
        run_started.elapsed().as_secs_f64(),
        tally.acked,
        tally.failed,
        tally.unknown_present + tally.unknown_absent,
        tally.unknown_present,
        tally.unknown_absent,
        shared.reads.load(Ordering::Relaxed)
    );
    assert!(
        violations.is_empty(),
        "the fault matrix found {} violation(s) (replay: STRATA_TEST_SEED={seed}):\n{}",
        violations.len(),
        violations.join("\n")
    );
    assert!(tally.acked > 0, "no commit was acknowledged");
    println!(
        "fault matrix ({kind:?}) passed in {:.1} s",
        cluster.started.elapsed().as_secs_f64()
    );
}

/// Sleeps `gap` while supervising the compute.
fn pause(cluster: &mut Cluster, shared: &Shared, gap: Duration) -> Result<(), String> {
    let until = Instant::now() + gap;
    while Instant::now() < until {
        cluster.supervise(shared)?;
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// Waits (bounded) until some commit was acknowledged after `before` commits.
fn wait_progress(cluster: &Cluster, shared: &Shared, before: u64) -> Result<(), String> {
    let deadline = Instant::now() + PROGRESS_LIMIT;
    while shared.acked_total() <= before {
        if Instant::now() > deadline {
            return Err(format!(
                "no commit acknowledged for {PROGRESS_LIMIT:?} after recovering ({})",
                cluster.compute.name
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// Waits (bounded) until every writer has had one more commit acknowledged.
fn every_writer_progresses(cluster: &Cluster, shared: &Shared) -> Result<(), String> {
    let before: Vec<u64> = shared
        .acked
        .iter()
        .map(|a| a.load(Ordering::Relaxed))
        .collect();
    let deadline = Instant::now() + PROGRESS_LIMIT;
    loop {
        let stuck: Vec<usize> = (0..WRITERS)
            .filter(|&w| shared.acked[w].load(Ordering::Relaxed) <= before[w])
            .collect();
        if stuck.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "writers {stuck:?} had no commit acknowledged for {PROGRESS_LIMIT:?} on {}",
                cluster.compute.name
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Reads the timeline's WAL from its start through the last flipped object's segment from
/// the safekeeper at `url`: every byte served must be valid WAL, and an error must name one
/// of the damaged objects (reading stops at the first damaged one it reaches; a damaged
/// object whose WAL the safekeeper still holds locally is not read at all).
async fn check_wal_objects(url: &str, flipped: &[damage::FlippedObject]) -> Result<(), String> {
    let start = Lsn::TIMELINE_START;
    let last = flipped.iter().map(|f| f.segment.0).max().unwrap_or(start.0);
    let until = Lsn(last + (1 << 20));
    let damaged = || {
        flipped
            .iter()
            .map(|f| format!("{} (byte {})", f.key, f.offset))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let read = async {
        let mut c = SafekeeperClient::connect(url.to_string())
            .await
            .map_err(|e| e.to_string())?;
        let mut stream = c
            .read_wal(sk_pb::ReadWalRequest {
                timeline: Some(sk_pb::TimelineRef {
                    tenant: "default".into(),
                    timeline: "main".into(),
                }),
                start_lsn: start.0,
                stop_at_commit: true,
                include_uncommitted: false,
                term: 0,
                reader: "fault checker".into(),
            })
            .await
            .map_err(|s| s.message().to_string())?
            .into_inner();
        let mut frames = FrameDecoder::new(start);
        while frames.lsn() < until {
            match stream.next().await {
                None => return Ok(()),
                Some(Err(s)) => {
                    return if flipped.iter().any(|f| s.message().contains(&f.key)) {
                        Ok(())
                    } else {
                        Err(format!(
                            "reading WAL over flipped objects {} failed without naming one: {}",
                            damaged(),
                            first_line(s.message())
                        ))
                    };
                }
                Some(Ok(chunk)) => {
                    frames.push(&chunk.wal);
                    loop {
                        match frames.next_frame() {
                            Ok(Some(_)) => {}
                            Ok(None) => break,
                            Err(e) => {
                                return Err(format!(
                                    "served damaged WAL (flipped objects: {}): {e}",
                                    damaged()
                                ));
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    };
    tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .map_err(|_| "reading WAL took over 60 s".to_string())?
}
