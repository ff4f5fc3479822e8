//! The ceilings the pageserver's ingest and a replica's apply inherit:
//! decoding framed WAL (frame CRCs + record parsing) and applying page deltas
//! with the full-page CRC check, each on one core.
//!
//! Targets (issue 2): decode + CRC >= 2 GB/s; >= 500k deltas/s for 64-byte
//! deltas. There is no PostgreSQL counterpart run here: these are pure CPU
//! loops of our own format.

use std::hint::black_box;
use std::time::Instant;

use bytes::BytesMut;
use proto::page::{self, zeroed_page};
use proto::redo::{apply, diff};
use proto::{Lsn, PageChange, PageKey, Record, WalDecoder, frame};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[derive(clap::Args)]
pub struct Opts {
    /// MiB of WAL to decode.
    #[arg(long, default_value_t = 512)]
    wal_mib: usize,
    /// Number of deltas to apply.
    #[arg(long, default_value_t = 2_000_000)]
    deltas: usize,
    /// Bytes changed per delta.
    #[arg(long, default_value_t = 64)]
    delta_bytes: usize,
    /// Repetitions (the best is reported).
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

pub fn run(o: Opts) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(42);
    let (wal, records) = make_wal(&mut rng, o.wal_mib << 20, o.delta_bytes);
    println!(
        "decode: {} records, {:.1} MiB of framed WAL",
        records,
        wal.len() as f64 / (1 << 20) as f64
    );
    let mut best_frames = f64::MAX;
    let mut best_records = f64::MAX;
    for _ in 0..o.runs {
        let t = Instant::now();
        let mut dec = frame::FrameDecoder::new(Lsn::TIMELINE_START);
        let mut n = 0usize;
        for chunk in wal.chunks(128 << 10) {
            dec.push(chunk);
            while let Some(f) = dec.next_frame()? {
                n += black_box(f.payload.len());
            }
        }
        best_frames = best_frames.min(t.elapsed().as_secs_f64());
        assert!(n > 0);

        let t = Instant::now();
        let mut dec = WalDecoder::new(Lsn::TIMELINE_START);
        let mut n = 0usize;
        for chunk in wal.chunks(128 << 10) {
            dec.push(chunk);
            while let Some(r) = dec.next_record()? {
                n += black_box(r.record.page_changes.len());
            }
        }
        best_records = best_records.min(t.elapsed().as_secs_f64());
        assert!(n > 0);
    }
    let gbps = |secs: f64| wal.len() as f64 / secs / 1e9;
    println!(
        "  frames only (CRC check):      {:.2} GB/s",
        gbps(best_frames)
    );
    println!(
        "  whole records (CRC + decode): {:.2} GB/s   target >= 2 GB/s",
        gbps(best_records)
    );

    let (base, chain) = make_delta_chain(&mut rng, o.deltas, o.delta_bytes);
    let mut best = f64::MAX;
    for _ in 0..o.runs {
        let mut page = base.clone();
        let t = Instant::now();
        for (lsn, change) in &chain {
            apply(&mut page, change, *lsn)?;
        }
        best = best.min(t.elapsed().as_secs_f64());
        black_box(&page);
    }
    println!(
        "redo: {} chained {}-byte deltas, full-page CRC each: {:.0} deltas/s   target >= 500000",
        chain.len(),
        o.delta_bytes,
        chain.len() as f64 / best
    );
    Ok(())
}

/// Typical OLTP commit records: a few small deltas each, an image now and
/// then.
fn make_wal(rng: &mut StdRng, target: usize, delta_bytes: usize) -> (Vec<u8>, usize) {
    let mut base = zeroed_page();
    page::seal(&mut base);
    let mut out = BytesMut::with_capacity(target + (1 << 20));
    let mut n = 0;
    while out.len() < target {
        let changes: Vec<PageChange> = (0..4)
            .map(|i| {
                let mut new = base.clone();
                let off = rng.random_range(100..8000 - delta_bytes);
                rng.fill(&mut new[off..off + delta_bytes]);
                let old = (n % 16 != 0 || i > 0).then_some(&*base);
                diff(PageKey::new(1, rng.random()), old, &new, Lsn(1))
            })
            .collect();
        out.extend_from_slice(&frame::encode_record(&Record::commit(n as i64, changes)));
        n += 1;
    }
    (out.to_vec(), n)
}

fn make_delta_chain(
    rng: &mut StdRng,
    n: usize,
    delta_bytes: usize,
) -> (Box<proto::Page>, Vec<(Lsn, PageChange)>) {
    let mut page = zeroed_page();
    page::set_page_lsn(&mut page, Lsn(100));
    page::seal(&mut page);
    let base = page.clone();
    let mut chain = Vec::with_capacity(n);
    let key = PageKey::new(1, 1);
    for i in 0..n {
        let mut new = page.clone();
        let off = rng.random_range(100..8000 - delta_bytes);
        rng.fill(&mut new[off..off + delta_bytes]);
        let lsn = Lsn(200 + i as u64 * 100);
        let change = diff(key, Some(&page), &new, lsn);
        apply(&mut page, &change, lsn).expect("own diff applies");
        chain.push((lsn, change));
    }
    (base, chain)
}
