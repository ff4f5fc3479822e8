//! Fuzzing of the WAL decoders on the stable toolchain: arbitrary bytes, and valid WAL
//! with bytes flipped, runs overwritten and tails cut, fed to the streaming decoder, the
//! frame scanner (recovery's end-of-WAL search) and the record payload decoder; decoded
//! changes applied by redo to arbitrary pages. Nothing may panic: every input either
//! decodes or fails with an error.
//!
//! Cases per property: `STRATA_FUZZ_CASES` (default 1000; the long run in BENCHMARKS.md
//! uses more).

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use proto::frame;
use proto::page::{self, zeroed_page};
use proto::{Lsn, PAGE_SIZE, Page, PageBody, PageChange, PageKey, Record, RecordKind, WalDecoder};

fn cases() -> u32 {
    std::env::var("STRATA_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

fn arb_record() -> impl Strategy<Value = Record> {
    let kind = prop_oneof![
        Just(RecordKind::Commit),
        any::<u64>().prop_map(|term| RecordKind::TermStart { term }),
    ];
    let change = (any::<(u32, u32)>(), any::<u8>(), 0usize..3).prop_map(|(k, fill, n)| {
        let key = PageKey::new(k.0, k.1);
        let mut new = zeroed_page();
        new[page::PAGE_HEADER_SIZE..page::PAGE_HEADER_SIZE + 64 * (n + 1)].fill(fill);
        page::seal(&mut new);
        proto::redo::diff(key, None, &new, Lsn(0))
    });
    (kind, prop::collection::vec(change, 0..3)).prop_map(|(kind, page_changes)| Record {
        kind,
        timestamp_us: 1,
        flags: 0,
        page_changes,
    })
}

/// Valid WAL of a few records.
fn arb_stream() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(arb_record(), 1..4).prop_map(|records| {
        let mut out = BytesMut::new();
        for r in &records {
            out.extend_from_slice(&frame::encode_record(r));
        }
        out.to_vec()
    })
}

/// Damage to a byte string: flips, overwritten runs, a cut tail (positions modulo length).
#[derive(Debug, Clone)]
struct Damage {
    flips: Vec<(usize, u8)>,
    runs: Vec<(usize, Vec<u8>)>,
    cut: Option<usize>,
}

fn arb_damage() -> impl Strategy<Value = Damage> {
    (
        prop::collection::vec((any::<usize>(), 1u8..), 0..6),
        prop::collection::vec(
            (any::<usize>(), prop::collection::vec(any::<u8>(), 1..24)),
            0..3,
        ),
        prop::option::of(any::<usize>()),
    )
        .prop_map(|(flips, runs, cut)| Damage { flips, runs, cut })
}

fn damaged(mut bytes: Vec<u8>, d: &Damage) -> Vec<u8> {
    if bytes.is_empty() {
        return bytes;
    }
    let n = bytes.len();
    for (pos, x) in &d.flips {
        bytes[pos % n] ^= x;
    }
    for (pos, run) in &d.runs {
        for (i, b) in run.iter().enumerate() {
            let at = (pos % n + i) % n;
            bytes[at] = *b;
        }
    }
    if let Some(cut) = d.cut {
        bytes.truncate(cut % (n + 1));
    }
    bytes
}

/// Feeds `wal` to a streaming decoder in chunks of `chunk` bytes and drains it; applies
/// every decoded change to a scratch page.
fn decode_everything(wal: &[u8], chunk: usize) {
    let mut dec = WalDecoder::with_max_record_size(Lsn(0x1000), 1 << 20);
    let mut scratch: Box<Page> = zeroed_page();
    for part in wal.chunks(chunk.max(1)) {
        dec.push(part);
        loop {
            match dec.next_record() {
                Ok(Some(r)) => {
                    for c in &r.record.page_changes {
                        let _ = proto::redo::apply(&mut scratch, c, r.end);
                    }
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
    let _ = frame::scan_frames(Lsn(0x1000), wal);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn arbitrary_bytes_never_panic_the_wal_decoders(
        wal in prop::collection::vec(any::<u8>(), 0..4096),
        chunk in 1usize..700,
    ) {
        decode_everything(&wal, chunk);
        let _ = Record::decode_payload(Bytes::from(wal), Lsn(7));
    }

    #[test]
    fn damaged_wal_never_panics_the_decoders(
        wal in arb_stream(),
        damage in arb_damage(),
        chunk in 1usize..900,
    ) {
        let wal = damaged(wal, &damage);
        decode_everything(&wal, chunk);
        if wal.len() > frame::FRAME_HEADER_SIZE {
            let _ = Record::decode_payload(
                Bytes::copy_from_slice(&wal[frame::FRAME_HEADER_SIZE..]),
                Lsn(7),
            );
        }
    }

    #[test]
    fn redo_of_arbitrary_changes_on_arbitrary_pages_never_panics(
        runs in prop::collection::vec((0usize..300, prop::collection::vec(any::<u8>(), 1..40)), 0..6),
        image in prop::option::of(prop::collection::vec(any::<u8>(), 0..(PAGE_SIZE + 10))),
        base in any::<u64>(),
        crc in any::<u32>(),
        fill in prop::collection::vec((0..PAGE_SIZE, any::<u8>()), 0..50),
    ) {
        let mut page = zeroed_page();
        for (i, b) in fill {
            page[i] = b;
        }
        // Runs in order past the header (what `Delta::from_runs` accepts), over a page
        // whose contents and CRC they do not match.
        let mut at = page::PAGE_HEADER_SIZE;
        let mut placed = Vec::new();
        for (gap, data) in &runs {
            let start = at + gap;
            if start + data.len() > PAGE_SIZE {
                break;
            }
            placed.push((start as u16, data.as_slice()));
            at = start + data.len();
        }
        let body = match image {
            Some(img) => PageBody::Image(Bytes::from(img)),
            None => PageBody::Delta(proto::Delta::from_runs(placed)),
        };
        let change = PageChange {
            key: PageKey::new(1, 2),
            base_lsn: Lsn(base),
            body,
            crc_after: crc,
        };
        let _ = proto::redo::apply(&mut page, &change, Lsn(base.wrapping_add(1)));
    }
}
