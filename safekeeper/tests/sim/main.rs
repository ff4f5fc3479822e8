//! Deterministic simulation of WAL consensus: two competing proposers and
//! three acceptors under message delay, reordering, loss, partitions and
//! crashes (see `world.rs` for the faults, `checker.rs` for the invariants).
//!
//! ```text
//! cargo test -p safekeeper --test sim                       # the CI seed set
//! SIM_SEED=123 cargo test -p safekeeper --test sim -- --nocapture   # replay one seed
//! SIM_SEEDS=100000 cargo test --release -p safekeeper --test sim -- --nocapture  # soak
//! SIM_STEPS=5000 ...                                        # longer runs per seed
//! ```
//! A failing seed is printed with the command that replays it.

mod checker;
mod fs;
mod node;
mod rng;
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

fn run_seed(seed: u64, steps: u64) -> Result<Counts, String> {
    let mut world = World::new(seed);
    world.run(steps)?;
    world.counts.durable = world.checker.durable_verified;
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
                "simulation seed {seed} failed: {e}\nreplay: SIM_SEED={seed} SIM_STEPS={steps} cargo test -p safekeeper --test sim -- --nocapture"
            ),
        }
    }
    total
}

#[test]
fn sim() {
    let steps = env_u64("SIM_STEPS").unwrap_or(1500);
    if let Some(seed) = env_u64("SIM_SEED") {
        match run_seed(seed, steps) {
            Ok(c) => println!("seed {seed}: {c:?}"),
            Err(e) => panic!("simulation seed {seed} failed: {e}"),
        }
        return;
    }
    let n = env_u64("SIM_SEEDS").unwrap_or(500);
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
        ("segment pre-allocation", c.preallocations),
    ] {
        assert!(n > 0, "no {what} in the whole run: {c:?}");
    }
}
