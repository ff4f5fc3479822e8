//! Deterministic simulation of a Strata WAL cluster: two competing
//! proposers (the pure core behind the driver's append links) and three
//! safekeepers running the real server timeline, `storage::Wal`, control
//! file and recovery over a simulated disk that loses and tears un-fsynced
//! writes, under message delay, reordering, loss, partitions, crashes at any
//! file-system call, and failed writes and fsyncs (see `world.rs` for the
//! schedule, `fs.rs` for the disk, `checker.rs` and `node.rs` for the
//! invariants). Offload to a simulated object store, trimming and peer
//! recovery run throughout (`maint.rs`), and a pageserver running the
//! `pageserver` crate's own stream decoding, in-memory layers and redo
//! must serve every acknowledged commit at its LSN and nothing that was
//! never committed (`pageserver.rs`, over the real page changes the
//! clients write, `workload.rs`); two thirds in, a burst of
//! committed WAL gives the faults that follow something to offload and
//! trim, in half the seeds with one safekeeper left behind holding an old
//! term's uncommitted tail. `scenario.rs` scripts that lagging-peer case
//! step by step. The whole run is a function of the seed.
//!
//! ```text
//! cargo nextest run -p safekeeper --test sim                  # the CI set: 500 seeds
//! STRATA_SIM_SEED=123 cargo nextest run -p safekeeper --test sim --no-capture   # replay one
//! STRATA_SIM_SEEDS=20000 cargo nextest run --release -p safekeeper --test sim  # soak
//! STRATA_SIM_STEPS=10000 ...                                   # longer runs per seed
//! STRATA_SIM_NO_FAULTS=1 / STRATA_SIM_TRACE=1                 # calm network / progress log
//! ```
//! A failing seed is printed with the command that replays it.

mod checker;
mod driver;
mod fs;
mod maint;
mod node;
mod pageserver;
mod rng;
mod scenario;
mod workload;
mod world;

use proto::Lsn;
use world::{Counts, World};

pub const START: Lsn = Lsn::TIMELINE_START;

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, got {v:?}"))
    })
}

fn replay(seed: u64, steps: u64) -> String {
    format!(
        "STRATA_SIM_SEED={seed} STRATA_SIM_STEPS={steps} cargo nextest run -p safekeeper --test sim --no-capture"
    )
}

fn run_seed(seed: u64, steps: u64) -> Result<Counts, String> {
    let mut world = World::new(seed);
    world.run(steps)?;
    world.counts.durable = world.checker.durable_verified;
    world.counts.committed_bytes = world.checker.golden.len() as u64;
    world.count_faults();
    Ok(world.counts)
}

/// Runs `seeds` on two threads (the CI machine has two cores).
fn run_seeds(seeds: Vec<u64>, steps: u64) -> Counts {
    let (a, b): (Vec<u64>, Vec<u64>) = seeds.iter().partition(|s| *s % 2 == 0);
    let results: Vec<Result<Counts, (u64, String)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = [a, b]
            .into_iter()
            .map(|part| {
                scope.spawn(move || {
                    let mut total = Counts::default();
                    for seed in part {
                        match run_seed(seed, steps) {
                            Ok(c) => total.add(&c),
                            Err(e) => return Err((seed, e)),
                        }
                    }
                    Ok(total)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("simulation thread panicked"))
            .collect()
    });
    let mut total = Counts::default();
    for r in results {
        match r {
            Ok(c) => total.add(&c),
            Err((seed, e)) => panic!(
                "simulation seed {seed} failed: {e}\nreplay: {}",
                replay(seed, steps)
            ),
        }
    }
    total
}

#[test]
fn sim() {
    let steps = env_u64("STRATA_SIM_STEPS").unwrap_or(3000);
    if let Some(seed) = env_u64("STRATA_SIM_SEED") {
        match run_seed(seed, steps) {
            Ok(c) => println!("seed {seed}: {c:?}"),
            Err(e) => panic!(
                "simulation seed {seed} failed: {e}\nreplay: {}",
                replay(seed, steps)
            ),
        }
        return;
    }
    let n = env_u64("STRATA_SIM_SEEDS").unwrap_or(500);
    let started = std::time::Instant::now();
    let c = run_seeds((0..n).collect(), steps);
    println!(
        "{n} seeds x {steps} steps in {:?}: {c:?}",
        started.elapsed()
    );
    assert!(c.durable > 0, "no record became durable: {c:?}");
    assert!(
        c.donor_syncs > 0,
        "no acceptor was synced from a donor: {c:?}"
    );
    assert!(c.truncations > 0, "no divergent tail was truncated: {c:?}");
    assert!(
        c.term_start_after_partial > 0,
        "no TermStart followed a partial record: {c:?}"
    );
    // The storage faults really happened (the schedule is not vacuous).
    for (what, n) in [
        ("crash inside a batch", c.crashes_in_batch),
        ("crash inside recovery", c.crashes_in_recovery),
        ("failed fsync", c.fsync_failures),
        ("failed write", c.write_failures),
        ("merged append", c.merged_appends),
        ("heartbeat held for a commit's Append", c.held_heartbeats),
        ("segment pre-allocation", c.preallocations),
        // The driver's links and the maintenance really ran.
        ("broken Append stream", c.stream_breaks),
        ("reconnected Append stream", c.reconnects),
        ("timeline created by a Greet", c.timelines_created),
        ("crash inside a timeline creation", c.crashes_in_creation),
        ("offloaded segment", c.uploads),
        ("trimmed WAL", c.trims),
        // Offload and trimming also run while faults are injected (not
        // only in the calm phase), die half-way, and trimmed WAL is read
        // back from the offloaded segments.
        ("trim while faults were injected", c.trims_under_faults),
        ("upload while faults were injected", c.uploads_under_faults),
        ("crash inside a trim", c.crashes_in_trim),
        (
            "safekeeper left behind with an old term's tail",
            c.left_behind,
        ),
        ("committed read from an offloaded segment", c.object_reads),
        ("pageserver restart", c.pageserver_restarts),
        ("peer recovery", c.peer_recoveries),
        // The real pageserver ingest served acknowledged writes.
        (
            "acknowledged write read back from the pageserver",
            c.acked_pages_read,
        ),
    ] {
        assert!(n > 0, "no {what} in the whole run: {c:?}");
    }
}

/// Seeds that once failed, replayed on every run (each names what it found).
/// Changing the schedule or the workload changes what a seed does: since
/// the clients write real page changes (`workload.rs`) none of these seeds
/// replays its original schedule any more; the unit and scenario tests
/// named in ARCHITECTURE.md pin those bugs.
#[test]
fn regression_seeds() {
    for (seed, found) in [
        (1, "a new data directory's name was never fsynced"),
        (
            1294,
            "the sim disk split a rename (a stale tmp hard-linked to control)",
        ),
        (
            397,
            "an injected write error inside recovery stopped the start",
        ),
        (
            34,
            "a failing stat of the control file made the timeline look absent",
        ),
        (
            785,
            "a trim outran the lazily persisted backup_lsn: after a crash the uploader was stuck",
        ),
        (
            260,
            "the peer horizon took a lagging peer's old-term tail for shared WAL: its peers \
             trimmed what the proposer's donor read needed to catch it up",
        ),
        (
            1180,
            "the check took a proposer's stale view of a caught-up safekeeper (acks lost with \
             its stream) for one that needs WAL its donor trimmed",
        ),
        (
            966,
            "a late pre-allocation re-created a trimmed segment, zero-filled, and a read from a \
             snapshot older than the trim took it for WAL",
        ),
    ] {
        if let Err(e) = run_seed(seed, 3000) {
            panic!(
                "regression seed {seed} ({found}) fails: {e}\nreplay: {}",
                replay(seed, 3000)
            );
        }
    }
}

/// A timeline created in a new data directory survives a power loss right
/// after its creation was acknowledged: the directory's own name must be
/// fsynced into its parent (`TimelineStore::open_in`).
#[test]
fn new_data_directory_survives_power_loss() {
    for seed in 0..32 {
        let disk = fs::SimDisk::new(seed, fs::Faults::default());
        let store = safekeeper::storage::TimelineStore::open_in(disk.boot(), "/srv/data")
            .expect("open the data directory");
        store
            .create(
                &node::timeline_id(),
                safekeeper::acceptor::initial_state(START),
                node::SEGMENT_SIZE,
            )
            .expect("create a timeline");
        disk.crash(&mut rng::Rng::new(seed), true);
        let store = safekeeper::storage::TimelineStore::open_in(disk.boot(), "/srv/data")
            .expect("reopen the data directory");
        assert_eq!(
            store.list().expect("list timelines"),
            vec![node::timeline_id()],
            "seed {seed}: the acknowledged timeline vanished with a power loss"
        );
    }
}
