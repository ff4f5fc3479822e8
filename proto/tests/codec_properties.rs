//! Property tests of the WAL codec, the streaming decoder and redo: the
//! contracts every other crate builds on.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use proto::frame::{self, FLAG_FIRST, FLAG_LAST, FRAME_HEADER_SIZE, MAX_FRAME_PAYLOAD};
use proto::page::{self, PAGE_HEADER_SIZE, zeroed_page};
use proto::redo::{apply, diff};
use proto::{
    DecodedRecord, Delta, Error, Lsn, PAGE_SIZE, Page, PageBody, PageChange, PageKey, Record,
    RecordKind, RelId, WalDecoder,
};

fn arb_kind() -> impl Strategy<Value = RecordKind> {
    prop_oneof![
        Just(RecordKind::Commit),
        any::<u64>().prop_map(|term| RecordKind::TermStart { term }),
        any::<u32>().prop_map(|r| RecordKind::DropRelation { rel: RelId(r) }),
    ]
}

/// Non-overlapping, ordered runs outside the header.
fn arb_delta() -> impl Strategy<Value = Delta> {
    prop::collection::vec((0usize..200, 1usize..64, any::<u8>()), 0..8).prop_map(|parts| {
        let mut runs = Vec::new();
        let mut pos = PAGE_HEADER_SIZE;
        for (gap, len, byte) in parts {
            let start = pos + gap;
            if start + len > PAGE_SIZE {
                break;
            }
            runs.push((start as u16, vec![byte; len]));
            pos = start + len;
        }
        Delta::from_runs(runs.iter().map(|(o, d)| (*o, d.as_slice())))
    })
}

fn arb_change() -> impl Strategy<Value = PageChange> {
    let body = prop_oneof![
        3 => arb_delta().prop_map(PageBody::Delta),
        1 => any::<u8>().prop_map(|b| PageBody::Image(Bytes::from(vec![b; PAGE_SIZE]))),
    ];
    (any::<(u32, u32)>(), any::<u64>(), body, any::<u32>()).prop_map(|(k, base, body, crc)| {
        PageChange {
            key: PageKey::new(k.0, k.1),
            base_lsn: Lsn(base),
            body,
            crc_after: crc,
        }
    })
}

fn arb_record() -> impl Strategy<Value = Record> {
    (
        arb_kind(),
        any::<i64>(),
        any::<u16>(),
        prop::collection::vec(arb_change(), 0..6),
    )
        .prop_map(|(kind, timestamp_us, flags, page_changes)| Record {
            kind,
            timestamp_us,
            flags,
            page_changes,
        })
}

fn encode_stream(records: &[Record], start: Lsn) -> (Vec<u8>, Vec<(Lsn, Lsn)>) {
    let mut out = BytesMut::new();
    let mut ranges = Vec::new();
    let mut lsn = start;
    for r in records {
        let bytes = frame::encode_record(r);
        assert_eq!(bytes.len(), frame::record_framed_len(r));
        ranges.push((lsn, lsn + bytes.len() as u64));
        lsn = lsn + bytes.len() as u64;
        out.extend_from_slice(&bytes);
    }
    (out.to_vec(), ranges)
}

fn decode_all(dec: &mut WalDecoder) -> Result<Vec<DecodedRecord>, Error> {
    let mut out = Vec::new();
    while let Some(r) = dec.next_record()? {
        out.push(r);
    }
    Ok(out)
}

/// A page with random contents and a valid header.
fn arb_page() -> impl Strategy<Value = Box<Page>> {
    (
        any::<u64>(),
        prop::collection::vec((0..PAGE_SIZE, any::<u8>()), 0..200),
    )
        .prop_map(|(lsn, writes)| {
            let mut p = zeroed_page();
            for (i, b) in writes {
                p[i] = b;
            }
            page::set_page_lsn(&mut p, Lsn(lsn));
            page::seal(&mut p);
            p
        })
}

/// Random edits: (offset, bytes) runs, some long.
fn arb_edits() -> impl Strategy<Value = Vec<(usize, Vec<u8>)>> {
    prop::collection::vec(
        (
            0..PAGE_SIZE,
            prop_oneof![
                4 => prop::collection::vec(any::<u8>(), 1..16),
                1 => prop::collection::vec(any::<u8>(), 1..3000),
            ],
        ),
        0..12,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn payload_round_trips(rec in arb_record()) {
        let mut buf = BytesMut::new();
        rec.encode_payload(&mut buf);
        prop_assert_eq!(buf.len(), rec.payload_len());
        let back = Record::decode_payload(buf.freeze(), Lsn(1)).unwrap();
        prop_assert_eq!(back, rec);
    }

    #[test]
    fn any_split_of_the_stream_gives_the_same_records(
        recs in prop::collection::vec(arb_record(), 1..6),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let start = Lsn::TIMELINE_START;
        let (bytes, ranges) = encode_stream(&recs, start);
        let mut cut_points: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        cut_points.sort();
        let mut dec = WalDecoder::new(start);
        let mut got = Vec::new();
        let mut prev = 0;
        for c in cut_points.into_iter().chain([bytes.len()]) {
            dec.push(&bytes[prev..c]);
            prev = c;
            got.extend(decode_all(&mut dec).unwrap());
        }
        prop_assert_eq!(got.len(), recs.len());
        for ((d, r), (s, e)) in got.iter().zip(&recs).zip(&ranges) {
            prop_assert_eq!(&d.record, r);
            prop_assert_eq!((d.start, d.end), (*s, *e));
        }
        prop_assert_eq!(dec.frame_lsn(), ranges.last().unwrap().1);
    }

    #[test]
    fn any_single_byte_flip_is_detected(rec in arb_record(), pos in any::<prop::sample::Index>(), x in 1u8..=255) {
        let mut bytes = frame::encode_record(&rec).to_vec();
        let i = pos.index(bytes.len());
        bytes[i] ^= x;
        let mut dec = WalDecoder::new(Lsn(100));
        dec.push(&bytes);
        match decode_all(&mut dec) {
            // A flipped length may make the frame look incomplete: then no
            // record comes out, which is also "not accepted".
            Ok(got) => prop_assert!(got.is_empty(), "corrupt record accepted"),
            Err(e) => prop_assert!(e.is_corrupt_wal(), "{e}"),
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096), valid_prefix in any::<bool>()) {
        let mut dec = WalDecoder::with_max_record_size(Lsn(1), 1 << 20);
        if valid_prefix {
            dec.push(&frame::encode_record(&Record::commit(0, vec![])));
        }
        dec.push(&bytes);
        let _ = decode_all(&mut dec);
        // Random payloads with a valid frame around them must not panic
        // either: this reaches the record decoder.
        let mut framed = BytesMut::new();
        if !bytes.is_empty() {
            frame::encode_frames(&bytes, &mut framed);
            let _ = Record::decode_payload(Bytes::copy_from_slice(&bytes), Lsn(1));
            let mut dec = WalDecoder::new(Lsn(1));
            dec.push(&framed);
            let _ = decode_all(&mut dec);
        }
    }

    #[test]
    fn apply_of_diff_reproduces_the_new_page(old in arb_page(), edits in arb_edits(), lsn in 1u64.., key in any::<(u32, u32)>()) {
        let mut new = old.clone();
        for (off, data) in &edits {
            let end = (*off + data.len()).min(PAGE_SIZE);
            new[*off..end].copy_from_slice(&data[..end - off]);
        }
        let key = PageKey::new(key.0, key.1);
        let change = diff(key, Some(&old), &new, Lsn(lsn));
        // Through the codec too, as the pageserver sees it.
        let rec = Record::commit(0, vec![change.clone()]);
        let mut buf = BytesMut::new();
        rec.encode_payload(&mut buf);
        let change = Record::decode_payload(buf.freeze(), Lsn(1)).unwrap().page_changes.remove(0);
        let mut page = old.clone();
        apply(&mut page, &change, Lsn(lsn)).unwrap();
        prop_assert_eq!(&page[PAGE_HEADER_SIZE..], &new[PAGE_HEADER_SIZE..]);
        prop_assert_eq!(page::page_lsn(&page), Lsn(lsn));
        prop_assert!(page::verify(&page));
        if let PageBody::Delta(d) = &change.body {
            prop_assert!(d.encoded_len() < PAGE_SIZE * 3 / 4, "large deltas become images");
        }
    }

    #[test]
    fn diff_of_a_new_page_is_an_image(new in arb_page(), lsn in 1u64..) {
        let change = diff(PageKey::new(1, 1), None, &new, Lsn(lsn));
        prop_assert!(matches!(change.body, PageBody::Image(_)));
        let mut page = zeroed_page();
        apply(&mut page, &change, Lsn(lsn)).unwrap();
        prop_assert_eq!(&page[PAGE_HEADER_SIZE..], &new[PAGE_HEADER_SIZE..]);
    }
}

fn big_record(images: usize) -> Record {
    let changes = (0..images)
        .map(|i| {
            let mut p = zeroed_page();
            p[100..200].fill(i as u8);
            diff(PageKey::new(1, i as u32), None, &p, Lsn(5))
        })
        .collect();
    Record::commit(1, changes)
}

#[test]
fn records_over_one_frame_are_split_and_reassembled() {
    let rec = big_record(300); // ~2.4 MiB: three frames
    let bytes = frame::encode_record(&rec);
    let mut dec = frame::FrameDecoder::new(Lsn(10));
    dec.push(&bytes);
    let mut flags = Vec::new();
    while let Some(f) = dec.next_frame().unwrap() {
        assert!(f.payload.len() <= MAX_FRAME_PAYLOAD);
        flags.push(f.flags);
    }
    assert_eq!(flags, vec![FLAG_FIRST, 0, FLAG_LAST]);
    let mut dec = WalDecoder::new(Lsn(10));
    for chunk in bytes.chunks(7777) {
        dec.push(chunk);
    }
    let got = decode_all(&mut dec).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].record, rec);
    assert_eq!(got[0].end, Lsn(10 + bytes.len() as u64));
}

#[test]
fn a_first_frame_drops_a_pending_partial_record() {
    let big = frame::encode_record(&big_record(200));
    let term_start = frame::encode_record(&Record {
        kind: RecordKind::TermStart { term: 2 },
        timestamp_us: 0,
        flags: 0,
        page_changes: vec![],
    });
    // The old term wrote only the first frame of `big`; the new term starts.
    let first_frame_len = FRAME_HEADER_SIZE + MAX_FRAME_PAYLOAD;
    let mut dec = WalDecoder::new(Lsn(10));
    dec.push(&big[..first_frame_len]);
    assert!(decode_all(&mut dec).unwrap().is_empty());
    assert_eq!(dec.pending_start(), Some(Lsn(10)));
    dec.push(&term_start);
    let got = decode_all(&mut dec).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].record.kind, RecordKind::TermStart { term: 2 });
    assert_eq!(got[0].start, Lsn(10 + first_frame_len as u64));
    assert_eq!(dec.dropped_partials(), 1);
    assert_eq!(dec.pending_start(), None);
}

#[test]
fn oversized_records_and_orphan_continuations_are_errors() {
    let big = frame::encode_record(&big_record(200));
    let mut dec = WalDecoder::with_max_record_size(Lsn(10), 1 << 20);
    dec.push(&big);
    assert!(matches!(
        decode_all(&mut dec),
        Err(Error::RecordTooLarge { .. })
    ));

    let first_frame_len = FRAME_HEADER_SIZE + MAX_FRAME_PAYLOAD;
    let mut dec = WalDecoder::new(Lsn(10));
    dec.push(&big[first_frame_len..]);
    assert!(matches!(
        decode_all(&mut dec),
        Err(Error::UnexpectedContinuation { .. })
    ));
}

#[test]
fn zeroed_space_reads_as_a_bad_length_not_a_record() {
    let rec = frame::encode_record(&Record::commit(0, vec![]));
    let mut wal = rec.to_vec();
    wal.extend_from_slice(&[0u8; 64]);
    let (frame_end, record_end, err) = frame::scan_frames(Lsn(100), &wal);
    assert_eq!(frame_end, Lsn(100 + rec.len() as u64));
    assert_eq!(record_end, frame_end);
    assert!(matches!(err, Some(Error::BadFrameLength { .. })));
}

#[test]
fn walking_frames_without_the_crc_reads_only_headers() {
    let a = frame::encode_record(&Record::commit(0, vec![]));
    let b = frame::encode_record(&big_record(200));
    let mut wal = a.to_vec();
    wal.extend_from_slice(&b);
    let last = wal.len() - 1;
    wal[last] ^= 0xff; // damage the payload of the last frame
    let spans = |check_crc| {
        let mut spans = Vec::new();
        let (end, err) = frame::walk_frames(Lsn(100), &wal, check_crc, |f| spans.push(f));
        (spans, end, err)
    };
    // Without the CRC every frame is found and the walk ends at the end of the bytes.
    let (all, end, err) = spans(false);
    assert_eq!(end, Lsn(100 + wal.len() as u64));
    assert!(err.is_none());
    assert!(all.len() > 2, "the big record spans several frames");
    assert_eq!(all[0].flags, FLAG_FIRST | FLAG_LAST);
    assert_eq!(
        all.iter().map(|f| f.len).sum::<usize>(),
        wal.len(),
        "the spans tile the input"
    );
    // With it, the damaged frame is where the walk stops, as the decoder and scan_frames say.
    let (checked, end, err) = spans(true);
    assert_eq!(checked.len(), all.len() - 1);
    let damaged = all[all.len() - 1].start;
    assert_eq!(end, damaged);
    assert!(matches!(err, Some(Error::FrameChecksum { lsn }) if lsn == damaged));
    assert_eq!(frame::scan_frames(Lsn(100), &wal).0, damaged);
}
