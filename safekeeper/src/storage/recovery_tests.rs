//! Recovery scenarios: clean reopen, torn tails, corruption below and above
//! `commit_lsn`, leftovers of interrupted operations.

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use super::*;
use crate::storage::testutil::{TempDir, record};
use crate::storage::wal::Meta;

const SEG: u64 = 1 << 12;
const START: Lsn = Lsn::TIMELINE_START;

struct Fixture {
    _tmp: TempDir,
    dir: PathBuf,
    /// Record ends, in order.
    ends: Vec<Lsn>,
}

/// A flushed WAL of records with the given payload sizes.
fn fixture(tag: &str, sizes: &[usize]) -> Fixture {
    let tmp = TempDir::new(tag);
    let dir = tmp.path().join("wal");
    let mut wal = Wal::create(&dir, START, SEG).unwrap();
    let ends = sizes
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let lsn = wal.write_lsn();
            wal.write(lsn, &record(n, i as u8 + 1)).unwrap().unwrap()
        })
        .collect();
    wal.flush().unwrap();
    Fixture {
        _tmp: tmp,
        dir,
        ends,
    }
}

fn seg_path(dir: &Path, lsn: Lsn) -> PathBuf {
    dir.join(layout::segment_file_name(segment_start(lsn, SEG)))
}

/// Writes `bytes` at `lsn` behind the WAL's back (a crash mid-write, or a
/// disk flipping bits), creating segment files as needed.
fn poke(dir: &Path, lsn: Lsn, bytes: &[u8]) {
    for p in layout::pieces(lsn, lsn + bytes.len() as u64, SEG) {
        let path = dir.join(layout::segment_file_name(p.segment));
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .unwrap();
        f.set_len(SEG).unwrap();
        let data = &bytes[p.range_offset as usize..(p.range_offset + p.len) as usize];
        f.write_all_at(data, p.offset).unwrap();
    }
}

fn flip(dir: &Path, lsn: Lsn) {
    let path = seg_path(dir, lsn);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[segment_offset(lsn, SEG) as usize] ^= 0x20;
    std::fs::write(&path, bytes).unwrap();
}

fn segment_count(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            layout::parse_segment_file_name(name.to_str().unwrap()).is_some()
        })
        .count()
}

#[test]
fn clean_reopen_reports_frame_and_record_ends() {
    let f = fixture("rec-clean", &[100, 5000, 20]);
    let (mut wal, rec) = Wal::open(&f.dir, f.ends[2]).unwrap();
    assert_eq!(rec.flush_lsn, f.ends[2]);
    assert_eq!(rec.record_lsn, f.ends[2]);
    assert_eq!(rec.torn_tail, None);
    assert_eq!(wal.write_lsn(), f.ends[2]);
    assert_eq!(wal.flush_lsn(), f.ends[2]);

    // A record whose first frame is written but not its last: flush_lsn is
    // the frame end, record_lsn the previous record's end.
    let big = record(proto::frame::MAX_FRAME_PAYLOAD + 1, 7);
    let first = proto::frame::MAX_FRAME_SIZE;
    wal.write(f.ends[2], &big[..first]).unwrap();
    wal.flush().unwrap();
    drop(wal);
    let (_, rec) = Wal::open(&f.dir, f.ends[2]).unwrap();
    assert_eq!(rec.flush_lsn, f.ends[2] + first as u64);
    assert_eq!(rec.record_lsn, f.ends[2]);
    assert_eq!(rec.torn_tail, None);
}

#[test]
fn torn_tail_is_dropped_and_appending_resumes() {
    let f = fixture("rec-torn", &[100, 200]);
    let end = f.ends[1];
    // A crash in the middle of writing a record that crosses into the next
    // segment: its second half reached the disk, its first half did not
    // fully.
    let c = record(2 * SEG as usize, 3);
    poke(&f.dir, end, &c[..10]);
    poke(&f.dir, end + 2 * SEG, &c[2 * SEG as usize..]);
    let before = segment_count(&f.dir);

    let (mut wal, rec) = Wal::open(&f.dir, end).unwrap();
    assert_eq!(rec.flush_lsn, end);
    assert_eq!(rec.record_lsn, end);
    assert!(rec.torn_tail.is_some());
    assert!(segment_count(&f.dir) < before, "later segments are deleted");
    let tail = std::fs::read(seg_path(&f.dir, end)).unwrap();
    assert!(
        tail[segment_offset(end, SEG) as usize..]
            .iter()
            .all(|&b| b == 0),
        "the torn tail is zeroed"
    );

    let d = record(300, 4);
    let new_end = wal.write(end, &d).unwrap().unwrap();
    wal.flush().unwrap();
    drop(wal);
    let (wal, rec) = Wal::open(&f.dir, new_end).unwrap();
    assert_eq!(rec.flush_lsn, new_end);
    assert_eq!(rec.torn_tail, None);
    assert_eq!(wal.read(end, new_end).unwrap(), d);
}

#[test]
fn incomplete_frame_at_the_last_segment_end_is_torn() {
    // Two records; the second crosses a segment boundary. Remove the later
    // segment: its frame is now incomplete.
    let f = fixture("rec-partial", &[100, SEG as usize]);
    std::fs::remove_file(seg_path(&f.dir, f.ends[1])).unwrap();
    let (_, rec) = Wal::open(&f.dir, f.ends[0]).unwrap();
    assert_eq!(rec.flush_lsn, f.ends[0]);
}

#[test]
fn flipped_byte_below_commit_lsn_refuses_to_start() {
    let f = fixture("rec-corrupt", &[100, 3000, 3000, 100]);
    let bad_frame = f.ends[1];
    flip(&f.dir, bad_frame + 20);
    let before = std::fs::read(seg_path(&f.dir, bad_frame)).unwrap();
    let segments = segment_count(&f.dir);

    let err = Wal::open(&f.dir, f.ends[3]).unwrap_err();
    let StorageError::Corrupt {
        file, offset, lsn, ..
    } = &err
    else {
        panic!("expected Corrupt, got {err}");
    };
    assert_eq!(*file, seg_path(&f.dir, bad_frame));
    assert_eq!(*offset, segment_offset(bad_frame, SEG));
    assert_eq!(*lsn, bad_frame);
    let msg = err.to_string();
    let name = layout::segment_file_name(segment_start(bad_frame, SEG));
    assert!(msg.contains(&name), "{msg}");
    assert!(msg.contains(&format!("offset {offset}")), "{msg}");
    assert!(msg.contains("checksum"), "{msg}");
    // Nothing was repaired behind the operator's back.
    assert_eq!(std::fs::read(seg_path(&f.dir, bad_frame)).unwrap(), before);
    assert_eq!(segment_count(&f.dir), segments);
}

#[test]
fn flipped_byte_above_commit_lsn_is_a_torn_tail() {
    let f = fixture("rec-above", &[100, 3000, 3000, 100]);
    flip(&f.dir, f.ends[1] + 20);
    let (wal, rec) = Wal::open(&f.dir, f.ends[1]).unwrap();
    assert_eq!(rec.flush_lsn, f.ends[1]);
    assert_eq!(rec.record_lsn, f.ends[1]);
    let why = rec.torn_tail.unwrap();
    assert!(why.contains("checksum"), "{why}");
    assert_eq!(wal.write_lsn(), f.ends[1]);
    assert!(wal.read(f.ends[1], f.ends[2]).is_err());
}

#[test]
fn wal_ending_below_commit_lsn_refuses_to_start() {
    let f = fixture("rec-missing", &[100, 3000, 3000]);
    std::fs::remove_file(seg_path(&f.dir, f.ends[2])).unwrap();
    let err = Wal::open(&f.dir, f.ends[2]).unwrap_err();
    assert!(matches!(err, StorageError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("below commit_lsn"), "{err}");
}

#[test]
fn leftovers_of_interrupted_operations_are_cleaned() {
    let f = fixture("rec-leftovers", &[3000, 3000, 3000]);
    let end = f.ends[2];
    // An interrupted pre-allocation, an interrupted trim (meta moved past the
    // first segment, which still exists), and an unknown file.
    let partial = f
        .dir
        .join(layout::partial_file_name(Lsn(START.0 + 8 * SEG), 1));
    std::fs::write(&partial, b"").unwrap();
    let meta = Meta {
        segment_size: SEG,
        start_lsn: f.ends[1],
    };
    std::fs::write(f.dir.join(Meta::NAME), meta.encode()).unwrap();
    std::fs::write(f.dir.join("notes.txt"), b"hello").unwrap();

    let (wal, rec) = Wal::open(&f.dir, end).unwrap();
    assert_eq!(rec.flush_lsn, end);
    assert!(!partial.exists());
    assert!(!seg_path(&f.dir, START).exists());
    assert!(f.dir.join("notes.txt").exists());
    assert_eq!(wal.start_lsn(), f.ends[1]);
}

#[test]
fn missing_or_corrupt_meta_is_a_bad_control_file() {
    let f = fixture("rec-meta", &[100]);
    let meta = f.dir.join(Meta::NAME);
    let mut bytes = std::fs::read(&meta).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&meta, &bytes).unwrap();
    let err = Wal::open(&f.dir, Lsn::INVALID).unwrap_err();
    assert!(matches!(err, StorageError::BadControlFile { .. }), "{err}");
    std::fs::remove_file(&meta).unwrap();
    let err = Wal::open(&f.dir, Lsn::INVALID).unwrap_err();
    assert!(err.to_string().contains("missing"), "{err}");
}

mod damage {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

        /// A single flipped bit anywhere in the WAL: below `commit_lsn` open
        /// fails naming the damaged frame; at or above it, recovery keeps
        /// exactly the whole frames before the damaged one.
        #[test]
        fn single_bit_damage(
            sizes in prop::collection::vec(1usize..3000, 2..12),
            commit_at: prop::sample::Index,
            damage_at: prop::sample::Index,
            bit in 0u8..8,
        ) {
            let f = fixture("rec-prop", &sizes);
            let end = *f.ends.last().expect("at least two records");
            let commit = f.ends[commit_at.index(f.ends.len())];
            let at = START + damage_at.index(end.distance_from(START) as usize) as u64;
            // Each record is one frame here: the damaged frame starts at the
            // end of the record before it.
            let frame_start = f.ends.iter().rev().find(|&&e| e <= at).copied().unwrap_or(START);

            let path = seg_path(&f.dir, at);
            let mut bytes = std::fs::read(&path).unwrap();
            bytes[segment_offset(at, SEG) as usize] ^= 1 << bit;
            std::fs::write(&path, bytes).unwrap();

            match Wal::open(&f.dir, commit) {
                Ok((wal, rec)) => {
                    prop_assert!(frame_start >= commit, "opened with damage below commit");
                    prop_assert_eq!(rec.flush_lsn, frame_start);
                    prop_assert_eq!(rec.record_lsn, frame_start);
                    prop_assert!(rec.torn_tail.is_some());
                    prop_assert_eq!(wal.write_lsn(), frame_start);
                }
                Err(StorageError::Corrupt { file, offset, lsn, .. }) => {
                    prop_assert!(frame_start < commit);
                    prop_assert_eq!(lsn, frame_start);
                    prop_assert_eq!(file, seg_path(&f.dir, frame_start));
                    prop_assert_eq!(offset, segment_offset(frame_start, SEG));
                }
                Err(e) => prop_assert!(false, "unexpected error {}", e),
            }
        }
    }
}
