//! Which faults the matrix injects, in what order, and when — a function of the seed.
//!
//! The schedule is a sequence of rounds; each round is every applicable [`Fault`] once, in
//! a seeded random order, so a short run still covers each kind and a long one keeps
//! mixing them. Gaps between faults and each fault's own choices (which safekeeper, how
//! long, which byte) come from the same generator, so `STRATA_TEST_SEED=n` replays the
//! schedule (the workload's interleaving with it is up to the machine). `STRATA_FAULTS`
//! (`kill-compute,wipe-pageserver,…`) replaces the list of kinds, to chase one fault.

use std::time::Duration;

use crate::harness::Rng;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// kill -9 of the primary compute; a new one is started.
    KillCompute,
    /// A second compute started on the timeline while the first runs: the first is fenced
    /// and must exit non-zero.
    TwoComputes,
    /// kill -9 of the pageserver, restarted on its disk.
    KillPageserver,
    /// kill -9 of the pageserver, restarted on an empty disk.
    WipePageserver,
    /// kill -9 of one safekeeper, restarted after a while.
    KillSafekeeper,
    /// kill -9 of two safekeepers (no quorum), restarted after a while.
    KillTwoSafekeepers,
    /// SIGSTOP of one safekeeper for longer than the proposer's and readers' timeouts.
    StopSafekeeper,
    /// The object store unreachable for 10 s (the S3 proxy cut).
    StoreOutage,
    /// A safekeeper killed, a torn write after the end of its WAL, restarted.
    TornSafekeeperTail,
    /// One byte flipped in one of the pageserver's local layer files.
    FlipLayerByte,
    /// One byte flipped in one offloaded WAL segment object.
    FlipWalObjectByte,
}

impl Fault {
    pub const ALL: [Fault; 11] = [
        Fault::KillCompute,
        Fault::TwoComputes,
        Fault::KillPageserver,
        Fault::WipePageserver,
        Fault::KillSafekeeper,
        Fault::KillTwoSafekeepers,
        Fault::StopSafekeeper,
        Fault::StoreOutage,
        Fault::TornSafekeeperTail,
        Fault::FlipLayerByte,
        Fault::FlipWalObjectByte,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Fault::KillCompute => "kill-compute",
            Fault::TwoComputes => "two-computes",
            Fault::KillPageserver => "kill-pageserver",
            Fault::WipePageserver => "wipe-pageserver",
            Fault::KillSafekeeper => "kill-safekeeper",
            Fault::KillTwoSafekeepers => "kill-two-safekeepers",
            Fault::StopSafekeeper => "stop-safekeeper",
            Fault::StoreOutage => "store-outage",
            Fault::TornSafekeeperTail => "torn-safekeeper-tail",
            Fault::FlipLayerByte => "flip-layer-byte",
            Fault::FlipWalObjectByte => "flip-wal-object-byte",
        }
    }

    fn parse(name: &str) -> Fault {
        Fault::ALL
            .into_iter()
            .find(|f| f.name() == name)
            .unwrap_or_else(|| {
                let names: Vec<&str> = Fault::ALL.iter().map(|f| f.name()).collect();
                panic!("unknown fault {name:?} in STRATA_FAULTS; known: {names:?}")
            })
    }
}

/// The seeded source of faults and of every choice they make.
pub struct Schedule {
    pub rng: Rng,
    kinds: Vec<Fault>,
    round: Vec<Fault>,
    pub injected: usize,
}

impl Schedule {
    /// `kinds`: the faults applicable to this cluster (`STRATA_FAULTS` overrides them).
    pub fn new(seed: u64, kinds: &[Fault]) -> Schedule {
        let kinds = match std::env::var("STRATA_FAULTS") {
            Ok(list) if !list.trim().is_empty() => {
                list.split(',').map(|s| Fault::parse(s.trim())).collect()
            }
            _ => kinds.to_vec(),
        };
        println!(
            "fault kinds: {:?} (STRATA_FAULTS=name,name,… chooses others)",
            kinds.iter().map(|f| f.name()).collect::<Vec<_>>()
        );
        Schedule {
            rng: Rng(seed ^ 0xFA17_5EED),
            kinds,
            round: Vec::new(),
            injected: 0,
        }
    }

    /// How many faults one round holds.
    pub fn round_len(&self) -> usize {
        self.kinds.len()
    }

    /// The next fault, and the pause to take before it.
    pub fn next(&mut self) -> (Duration, Fault) {
        if self.round.is_empty() {
            self.round = self.kinds.clone();
            // Fisher–Yates, popped from the back.
            for i in (1..self.round.len()).rev() {
                let j = self.rng.below(i + 1);
                self.round.swap(i, j);
            }
        }
        let fault = self.round.pop().expect("a round holds every kind");
        let gap = self
            .rng
            .duration(Duration::from_millis(200), Duration::from_millis(1500));
        self.injected += 1;
        (gap, fault)
    }

    /// Puts `fault` back at the end of this round (it had nothing to act on yet).
    pub fn later(&mut self, fault: Fault) {
        self.round.insert(0, fault);
        self.injected -= 1;
    }
}
