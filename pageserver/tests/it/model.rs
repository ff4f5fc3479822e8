//! Model-based property test of the pageserver's storage core.
//!
//! A random workload of page writes (full images and small edits turned into
//! changes by `proto::redo::diff`, over a handful of keys in two relations)
//! is encoded as real WAL frames, streamed through `WalDecoder` in random
//! chunk sizes and ingested, interleaved with freeze, flush, compaction, GC
//! and restarts (re-opening the layer directory and re-streaming WAL after
//! `disk_consistent_lsn`). After every step, GetPage@LSN for every key at a
//! sample of LSNs must equal the reference model (or be `NeverWritten`, or
//! `BelowGcHorizon` below the GC cutoff).
//!
//! Cases default to 16 so `cargo test` stays fast; scale with
//! `PROPTEST_CASES=500 cargo test -p pageserver --test it model::`. Failing
//! inputs are shrunk and printed, and saved under `proptest-regressions/`.

use crate::common::{Feeder, START, Workload, small_config};
use pageserver::LayeredTimeline;
use proptest::prelude::*;
use proto::page::PAGE_SIZE;
use proto::{Lsn, PageKey, RelId};

const fn key(rel: u32, block: u32) -> PageKey {
    PageKey {
        rel: RelId(rel),
        block,
    }
}

const KEYS: [PageKey; 7] = [
    key(1, 0),
    key(1, 1),
    key(1, 2),
    key(1, 7),
    key(2, 0),
    key(2, 1),
    key(3, 5),
];
/// Never written by any workload.
const UNWRITTEN: PageKey = key(2, 3);

#[derive(Debug, Clone)]
enum Write {
    /// A fresh page (always a full image).
    Image { fill: u8 },
    /// A few bytes changed (usually a delta).
    Edit { at: u16, len: u8, byte: u8 },
}

#[derive(Debug, Clone)]
enum Op {
    Commit(Vec<(usize, Write)>),
    Freeze,
    Flush,
    Compact,
    /// GC at the end of the record at this fraction (0..=255) of the WAL.
    Gc(u8),
    Restart,
}

fn write_strategy() -> impl Strategy<Value = Write> {
    prop_oneof![
        1 => any::<u8>().prop_map(|fill| Write::Image { fill }),
        6 => (12u16..PAGE_SIZE as u16, 1u8..64, any::<u8>())
            .prop_map(|(at, len, byte)| Write::Edit { at, len, byte }),
    ]
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        12 => prop::collection::vec((0..KEYS.len(), write_strategy()), 1..4).prop_map(Op::Commit),
        1 => Just(Op::Freeze),
        2 => Just(Op::Flush),
        2 => Just(Op::Compact),
        2 => any::<u8>().prop_map(Op::Gc),
        1 => Just(Op::Restart),
    ]
}

/// Every key at a spread of record boundaries (and one byte before them).
fn check_all(wl: &Workload, tl: &LayeredTimeline, step: &str) -> Result<(), TestCaseError> {
    let n = wl.records.len();
    let stride = n.div_ceil(8).max(1);
    let mut lsns: Vec<Lsn> = vec![START, tl.last_record_lsn()];
    for (_, end) in wl.records.iter().step_by(stride).chain(wl.records.last()) {
        lsns.push(*end);
        lsns.push(Lsn(end.0 - 1));
    }
    for &lsn in &lsns {
        for &key in KEYS.iter().chain([&UNWRITTEN]) {
            wl.check(tl, key, lsn)
                .map_err(|e| TestCaseError::fail(format!("after {step}: {e}")))?;
        }
    }
    Ok(())
}

fn run(ops: Vec<Op>, chunk: usize) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut tl = LayeredTimeline::open(dir.path(), small_config(), START).expect("open");
    let mut wl = Workload::new();
    let mut feeder = Feeder::resume(&wl, &tl);
    for op in ops {
        let step = format!("{op:?}");
        match op {
            Op::Commit(writes) => {
                let mut seen = Vec::new();
                let mut batch = Vec::new();
                for (i, w) in writes {
                    let key = KEYS[i];
                    if seen.contains(&key) {
                        continue;
                    }
                    seen.push(key);
                    let (page, image) = match w {
                        Write::Image { fill } => (
                            wl.edited(key, |p| {
                                for (j, b) in p[12..].iter_mut().enumerate() {
                                    *b = fill.wrapping_add((j % 251) as u8);
                                }
                            }),
                            true,
                        ),
                        Write::Edit { at, len, byte } => {
                            let at = at as usize;
                            let end = (at + len as usize).min(PAGE_SIZE);
                            (wl.edited(key, |p| p[at..end].fill(byte)), false)
                        }
                    };
                    batch.push((key, page, image));
                }
                wl.write(batch);
                feeder.feed(&wl, &mut tl, chunk);
                continue; // checked at the next maintenance step
            }
            Op::Freeze => {
                tl.freeze();
            }
            Op::Flush => {
                tl.flush().expect("flush");
            }
            Op::Compact => {
                tl.compact().expect("compact");
            }
            Op::Gc(frac) => {
                let i = wl.records.len() * frac as usize / 256;
                if let Some(&(_, end)) = wl.records.get(i) {
                    tl.gc(end).expect("gc");
                }
            }
            Op::Restart => {
                drop(tl);
                tl = LayeredTimeline::open(dir.path(), small_config(), START).expect("reopen");
                feeder = Feeder::resume(&wl, &tl);
                feeder.feed(&wl, &mut tl, chunk);
            }
        }
        check_all(&wl, &tl, &step)?;
    }
    check_all(&wl, &tl, "the last step")?;
    if std::env::var_os("MODEL_DEBUG").is_some() {
        eprintln!("{} records, {:?}", wl.records.len(), tl.counters());
    }
    tl.flush().expect("final flush");
    check_all(&wl, &tl, "the final flush")?;
    drop(tl);
    let tl = LayeredTimeline::open(dir.path(), small_config(), START).expect("final reopen");
    check_all(&wl, &tl, "the final reopen")
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn pages_match_the_model(
        ops in prop::collection::vec(op_strategy(), 1..80),
        chunk in prop_oneof![Just(7usize), Just(100), Just(4096), Just(1 << 20)],
    ) {
        run(ops, chunk)?;
    }
}
