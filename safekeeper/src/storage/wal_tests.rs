//! Tests of `Wal` writes, flushes, reads, truncation and trimming, plus an
//! ignored measurement of this disk's fdatasync latency and write speed.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;

use super::*;
use crate::storage::testutil::{TempDir, record};
use proptest::prelude::*;

const SEG: u64 = 1 << 12;
const START: Lsn = Lsn::TIMELINE_START;

fn new_wal(tmp: &TempDir) -> Wal {
    Wal::create(&tmp.path().join("wal"), START, SEG).unwrap()
}

/// Appends records of the given payload sizes, returning their ends.
fn append(wal: &mut Wal, sizes: &[usize]) -> Vec<Lsn> {
    sizes
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let lsn = wal.write_lsn();
            wal.write(lsn, &record(n, i as u8 + 1)).unwrap().unwrap()
        })
        .collect()
}

fn segment_files(wal: &Wal) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(wal.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".seg"))
        .collect();
    names.sort();
    names
}

#[test]
fn write_flush_read_across_segments() {
    let tmp = TempDir::new("wal-rw");
    let mut wal = new_wal(&tmp);
    let a = record(100, 1);
    let b = record(3 * SEG as usize, 2); // spans four segments
    let end_a = wal.write(START, &a).unwrap().unwrap();
    let end_b = wal.write(end_a, &b).unwrap().unwrap();
    assert_eq!(wal.write_lsn(), end_b);
    assert_eq!(wal.flush_lsn(), START);
    assert_eq!(wal.flush().unwrap(), end_b);
    assert_eq!(wal.flush_lsn(), end_b);
    assert_eq!(wal.read(START, end_a).unwrap(), a);
    assert_eq!(wal.read(end_a, end_b).unwrap(), b);
    assert_eq!(wal.read(end_a, end_a).unwrap(), Vec::<u8>::new());
    assert_eq!(segment_files(&wal).len(), 4);
    for name in segment_files(&wal) {
        let len = std::fs::metadata(wal.dir().join(name)).unwrap().len();
        assert_eq!(len, SEG, "segments are pre-allocated whole");
    }
}

#[test]
fn rejects_bad_writes_and_reads() {
    let tmp = TempDir::new("wal-bad");
    let mut wal = new_wal(&tmp);
    let r = record(10, 1);
    let gap = wal.write(START + 1, &r).unwrap_err();
    assert!(gap.to_string().contains("not contiguous"), "{gap}");
    let torn = wal.write(START, &r[..r.len() - 1]).unwrap_err();
    assert!(torn.to_string().contains("inside the frame"), "{torn}");
    let mut damaged = r.clone();
    damaged[12] ^= 1;
    assert!(matches!(
        wal.write(START, &damaged),
        Err(StorageError::InvalidRequest(_))
    ));
    assert_eq!(wal.write(START, &[]).unwrap(), None);
    let end = wal.write(START, &r).unwrap().unwrap();
    assert!(wal.read(START, end + 1).is_err());
    assert!(wal.read(Lsn(START.0 - 1), end).is_err());
}

#[test]
fn write_returns_record_end_of_multi_frame_records() {
    let tmp = TempDir::new("wal-multi");
    let mut wal = new_wal(&tmp);
    let big = record(proto::frame::MAX_FRAME_PAYLOAD + 10, 9); // two frames
    let end = wal.write(START, &big).unwrap();
    assert_eq!(end, Some(START + big.len() as u64));
    // The frames can also arrive in separate writes: the first ends no record.
    let tmp2 = TempDir::new("wal-multi2");
    let mut wal2 = new_wal(&tmp2);
    let first = proto::frame::MAX_FRAME_SIZE;
    assert_eq!(wal2.write(START, &big[..first]).unwrap(), None);
    assert_eq!(
        wal2.write(START + first as u64, &big[first..]).unwrap(),
        end
    );
}

#[test]
fn truncate_then_append() {
    let tmp = TempDir::new("wal-truncate");
    let mut wal = new_wal(&tmp);
    let ends = append(&mut wal, &[1000, 5000, 3000]);
    wal.flush().unwrap();
    let nsegs = segment_files(&wal).len();

    let below = wal.truncate(ends[0], ends[1]).unwrap_err();
    assert!(below.to_string().contains("below commit_lsn"), "{below}");
    let mid = wal.truncate(ends[0] + 3, START).unwrap_err();
    assert!(mid.to_string().contains("not a frame boundary"), "{mid}");

    wal.truncate(ends[0], START).unwrap();
    assert_eq!(wal.write_lsn(), ends[0]);
    assert_eq!(wal.flush_lsn(), ends[0]);
    assert!(segment_files(&wal).len() < nsegs);
    assert!(wal.read(START, ends[1]).is_err());

    // The dropped bytes are zero on disk: reopening finds the new end.
    let replacement = record(200, 0xEE);
    let end = wal.write(ends[0], &replacement).unwrap().unwrap();
    wal.flush().unwrap();
    assert_eq!(wal.read(ends[0], end).unwrap(), replacement);
    drop(wal);
    let (wal, rec) = Wal::open(&tmp.path().join("wal"), end).unwrap();
    assert_eq!(rec.flush_lsn, end);
    assert_eq!(rec.torn_tail, None);
    assert_eq!(wal.read(ends[0], end).unwrap(), replacement);

    // Truncating at the end is a no-op; past it is refused.
    let mut wal = wal;
    wal.truncate(end, START).unwrap();
    assert!(wal.truncate(end + 1, START).is_err());
}

#[test]
fn remove_below_keeps_the_segment_holding_the_lsn() {
    let tmp = TempDir::new("wal-trim");
    let mut wal = new_wal(&tmp);
    let ends = append(&mut wal, &[3000; 6]);
    assert!(
        wal.remove_below(ends[3]).is_err(),
        "unflushed WAL is not trimmed"
    );
    wal.flush().unwrap();
    let before = segment_files(&wal);
    let keep = ends[3];
    let removed = wal.remove_below(keep).unwrap();
    let after = segment_files(&wal);
    assert_eq!(removed, before.len() - after.len());
    assert!(removed > 0);
    assert_eq!(
        after[0],
        layout::segment_file_name(segment_start(keep, SEG)),
        "the segment holding the LSN is kept"
    );
    assert_eq!(wal.start_lsn(), keep);
    assert!(wal.read(ends[2], ends[4]).is_err());
    let tail = wal.read(keep, ends[5]).unwrap();
    assert_eq!(wal.remove_below(ends[1]).unwrap(), 0, "already trimmed");
    assert!(wal.remove_below(ends[4] + 1).is_err(), "not a boundary");

    // Recovery scans from the recorded start.
    drop(wal);
    let (wal, rec) = Wal::open(&tmp.path().join("wal"), ends[5]).unwrap();
    assert_eq!(rec.flush_lsn, ends[5]);
    assert_eq!(rec.record_lsn, ends[5]);
    assert_eq!(wal.start_lsn(), keep);
    assert_eq!(wal.read(keep, ends[5]).unwrap(), tail);
}

#[test]
fn preallocation_ahead_races_safely_with_the_writer() {
    let tmp = TempDir::new("wal-prealloc");
    let mut wal = new_wal(&tmp);
    append(&mut wal, &[100]);
    assert!(wal.preallocate_ahead().is_none(), "not past the middle yet");
    append(&mut wal, &[SEG as usize / 2]);
    let job = wal.preallocate_ahead().expect("past the middle");
    assert_eq!(job.segment(), START + SEG);
    assert!(wal.preallocate_ahead().is_none(), "handed out once");
    job.clone().run().unwrap();
    assert!(wal.segment_path(START + SEG).exists());
    job.run().unwrap(); // idempotent

    // A pre-allocation racing with the writer never replaces a segment the
    // writer has written into.
    for round in 0..20u8 {
        let segment = segment_start(wal.write_lsn(), SEG) + SEG;
        let job = Preallocation {
            fs: std_fs(),
            dir: wal.dir().to_path_buf(),
            segment,
            size: SEG,
        };
        let racer = std::thread::spawn(move || job.run());
        let start = wal.write_lsn();
        let r = record(SEG as usize, round);
        let end = wal.write(start, &r).unwrap().unwrap();
        wal.flush().unwrap();
        racer.join().unwrap().unwrap();
        assert_eq!(wal.read(start, end).unwrap(), r);
    }
    let end = wal.write_lsn();
    drop(wal);
    let (_, rec) = Wal::open(&tmp.path().join("wal"), end).unwrap();
    assert_eq!(rec.flush_lsn, end);
}

/// A pre-allocation that runs late — after the writer filled its segment
/// and a trim deleted it — must not bring the segment back: a zero-filled
/// file below the WAL's start would be read by a `ReadWal` whose snapshot
/// predates the trim (zeros instead of the offloaded object: a spurious
/// DATA_LOSS) and would never be deleted. Found by the simulation.
#[test]
fn a_late_preallocation_never_recreates_a_trimmed_segment() {
    let tmp = TempDir::new("wal-prealloc-trim");
    let mut wal = new_wal(&tmp);
    append(&mut wal, &[SEG as usize / 2 + 100]);
    let job = wal.preallocate_ahead().expect("past the middle");
    assert_eq!(job.segment(), START + SEG);
    // The writer fills segment 1 itself and moves on to segment 2.
    let ends = append(&mut wal, &[SEG as usize, SEG as usize, 100]);
    wal.flush().unwrap();
    assert_eq!(segment_start(ends[2], SEG), START + 2 * SEG);
    assert_eq!(wal.remove_below(ends[2]).unwrap(), 2);
    assert!(!wal.segment_path(START + SEG).exists());
    job.run().unwrap();
    assert!(
        !wal.segment_path(START + SEG).exists(),
        "a trimmed segment came back"
    );
    // A job for a segment at or past the start still runs.
    let ahead = Preallocation {
        fs: std_fs(),
        dir: wal.dir().to_path_buf(),
        segment: segment_start(ends[2], SEG) + SEG,
        size: SEG,
    };
    ahead.run().unwrap();
    assert!(wal.segment_path(segment_start(ends[2], SEG) + SEG).exists());
}

#[test]
fn a_failed_write_poisons_until_reopened() {
    let tmp = TempDir::new("wal-poison");
    let mut wal = new_wal(&tmp);
    let ends = append(&mut wal, &[100]);
    wal.flush().unwrap();
    // The next segment's name is taken by a directory: creating it fails.
    let blocker = wal.segment_path(START + SEG);
    std::fs::create_dir(&blocker).unwrap();
    let err = wal.write(ends[0], &record(SEG as usize, 2)).unwrap_err();
    assert!(matches!(err, StorageError::Io { .. }), "{err}");
    for err in [
        wal.flush().unwrap_err(),
        wal.write(ends[0], &record(10, 3)).unwrap_err(),
        wal.read(START, ends[0]).unwrap_err(),
    ] {
        assert!(matches!(err, StorageError::Poisoned { .. }), "{err}");
    }
    assert!(wal.preallocate_ahead().is_none());
    drop(wal);

    // Reopening recovers what is on disk: the partial write is a torn tail.
    std::fs::remove_dir(&blocker).unwrap();
    let (mut wal, rec) = Wal::open(&tmp.path().join("wal"), ends[0]).unwrap();
    assert_eq!(rec.flush_lsn, ends[0]);
    assert!(rec.torn_tail.is_some());
    let end = wal.write(ends[0], &record(10, 3)).unwrap().unwrap();
    assert_eq!(wal.flush().unwrap(), end);
}

#[test]
fn a_failed_fsync_takes_the_fatal_path() {
    let tmp = TempDir::new("wal-fsync");
    let mut wal = new_wal(&tmp);
    let ends = append(&mut wal, &[100]);
    wal.flush().unwrap();
    // The next fdatasync under the WAL directory fails (in a real process
    // the fatal path exits; an in-process injection records instead).
    remote_storage::durable::inject(wal.dir(), 1);
    let end = wal.write(ends[0], &record(100, 2)).unwrap().unwrap();
    let err = wal.flush().unwrap_err();
    assert!(matches!(err, StorageError::Io { .. }), "{err}");
    let fatal = remote_storage::durable::recorded(wal.dir());
    assert_eq!(fatal.len(), 1, "{fatal:?}");
    assert_eq!(fatal[0].path, wal.segment_path(START));
    // Never retried in place: the WAL refuses everything until reopened.
    assert!(matches!(
        wal.flush().unwrap_err(),
        StorageError::Poisoned { .. }
    ));
    assert_eq!(
        wal.flush_lsn(),
        ends[0],
        "the failed flush made nothing durable"
    );
    drop(wal);
    let (_, rec) = Wal::open(&tmp.path().join("wal"), ends[0]).unwrap();
    assert!(rec.flush_lsn == ends[0] || rec.flush_lsn == end);
}

#[test]
fn create_refuses_an_existing_wal_and_bad_parameters() {
    let tmp = TempDir::new("wal-create");
    let dir = tmp.path().join("wal");
    new_wal(&tmp);
    assert!(Wal::create(&dir, START, SEG).is_err());
    assert!(Wal::create(&tmp.path().join("w2"), Lsn::INVALID, SEG).is_err());
    assert!(Wal::create(&tmp.path().join("w3"), START, 3000).is_err());
}

#[test]
fn meta_codec_rejects_damage() {
    let meta = Meta {
        segment_size: SEG,
        start_lsn: START,
    };
    let p = Path::new("wal/meta");
    let bytes = meta.encode();
    assert_eq!(Meta::decode(&bytes, p).unwrap(), meta);
    for i in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[i] ^= 0x10;
        let err = Meta::decode(&bad, p).unwrap_err();
        assert!(err.to_string().contains("wal/meta"), "{err}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Any sequence of records, written in any batching, with flushes
    /// anywhere, reads back and reopens identically.
    #[test]
    fn write_reopen_round_trip(
        sizes in prop::collection::vec(1usize..6000, 1..20),
        flush_every in 1usize..5,
        shift in 12u32..15,
        start_offset in prop_oneof![Just(0u64), 1u64..10_000],
    ) {
        // A branch's WAL starts wherever its branch point is.
        let start = START + start_offset;
        let seg = 1u64 << shift;
        let tmp = TempDir::new("wal-prop");
        let dir = tmp.path().join("wal");
        let mut wal = Wal::create(&dir, start, seg).unwrap();
        let mut all = Vec::new();
        for (i, &n) in sizes.iter().enumerate() {
            let r = record(n, (i % 251) as u8 + 1);
            wal.write(wal.write_lsn(), &r).unwrap();
            all.extend_from_slice(&r);
            if i % flush_every == 0 {
                wal.flush().unwrap();
            }
        }
        wal.flush().unwrap();
        let end = wal.write_lsn();
        prop_assert_eq!(end, start + all.len() as u64);
        prop_assert_eq!(&wal.read(start, end).unwrap(), &all);
        drop(wal);
        let (wal, rec) = Wal::open(&dir, end).unwrap();
        prop_assert_eq!(rec.flush_lsn, end);
        prop_assert_eq!(rec.record_lsn, end);
        prop_assert_eq!(rec.torn_tail, None);
        prop_assert_eq!(&wal.read(start, end).unwrap(), &all);
    }
}

/// Reports, for the disk holding `STRATA_MEASURE_DIR` (default: the temp
/// directory): fdatasync latency after an 8 KiB write into a pre-allocated
/// and into a sparse segment, the cost of pre-allocating a segment,
/// write+flush latency through `Wal`, sequential write throughput, and the
/// recovery scan rate. Run with
/// `cargo test -p safekeeper --release storage::wal::tests::measure -- --ignored --nocapture`.
#[test]
#[ignore]
fn measure_disk() {
    use std::time::Instant;
    let base = std::env::var_os("STRATA_MEASURE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let tmp = TempDir::new_in(&base, "measure");
    let dir = tmp.path();

    // Pre-allocation cost of one 16 MiB segment.
    let t = Instant::now();
    let f = create_segment(&crate::storage::StdFs, dir, Lsn(0), layout::SEGMENT_SIZE).unwrap();
    let prealloc = t.elapsed();
    drop(f);

    // fdatasync after an 8 KiB append, pre-allocated vs sparse.
    let lat = |file: &File, label: &str| {
        let mut samples = Vec::new();
        let buf = vec![7u8; 8192];
        for i in 0..200u64 {
            file.write_all_at(&buf, i * 8192).unwrap();
            let t = Instant::now();
            file.sync_data().unwrap();
            samples.push(t.elapsed().as_micros() as u64);
        }
        samples.sort();
        println!(
            "{label}: fdatasync after 8 KiB write: p50 {} us, p99 {} us, max {} us",
            samples[samples.len() / 2],
            samples[samples.len() * 99 / 100],
            samples[samples.len() - 1]
        );
    };
    let pre = OpenOptions::new()
        .write(true)
        .open(dir.join(layout::segment_file_name(Lsn(0))))
        .unwrap();
    lat(&pre, "pre-allocated");
    let sparse = File::create(dir.join("sparse")).unwrap();
    sparse.set_len(layout::SEGMENT_SIZE).unwrap();
    sparse.sync_all().unwrap();
    lat(&sparse, "sparse (set_len)");

    // Group commit through Wal: one 8 KiB record per flush, with the next
    // segment pre-allocated on a helper thread.
    let mut wal = Wal::create(&dir.join("wal"), START, layout::SEGMENT_SIZE).unwrap();
    let mut helpers = Vec::new();
    let small = record(8192 - proto::frame::FRAME_HEADER_SIZE, 5);
    let mut samples = Vec::new();
    for _ in 0..500 {
        let t = Instant::now();
        wal.write(wal.write_lsn(), &small).unwrap();
        wal.flush().unwrap();
        samples.push(t.elapsed().as_micros() as u64);
        if let Some(job) = wal.preallocate_ahead() {
            helpers.push(std::thread::spawn(move || job.run()));
        }
    }
    samples.sort();
    println!(
        "Wal write(8 KiB) + flush: p50 {} us, p99 {} us, max {} us",
        samples[samples.len() / 2],
        samples[samples.len() * 99 / 100],
        samples[samples.len() - 1]
    );

    // Sequential throughput: 1 MiB frames, flush every 8 MiB.
    let frame = record(proto::frame::MAX_FRAME_PAYLOAD, 3);
    let total = 256u64 << 20;
    let t = Instant::now();
    let mut written = 0u64;
    while written < total {
        wal.write(wal.write_lsn(), &frame).unwrap();
        written += frame.len() as u64;
        if written % (8 << 20) < frame.len() as u64 {
            wal.flush().unwrap();
        }
        if let Some(job) = wal.preallocate_ahead() {
            helpers.push(std::thread::spawn(move || job.run()));
        }
    }
    wal.flush().unwrap();
    let secs = t.elapsed().as_secs_f64();
    for h in helpers {
        h.join().expect("pre-allocation thread").unwrap();
    }
    println!(
        "pre-allocating a 16 MiB segment: {} ms; sequential WAL write (pre-allocation ahead, fsync every 8 MiB): {:.0} MB/s",
        prealloc.as_millis(),
        written as f64 / secs / 1e6
    );

    // Recovery scan of everything just written (mostly from the page cache).
    let end = wal.write_lsn();
    let wal_bytes = end.distance_from(wal.start_lsn());
    drop(wal);
    let t = Instant::now();
    let (_, rec) = Wal::open(&dir.join("wal"), end).unwrap();
    assert_eq!(rec.flush_lsn, end);
    let secs = t.elapsed().as_secs_f64();
    println!(
        "recovery of {} MiB of WAL: {:.0} ms ({:.0} MB/s)",
        wal_bytes >> 20,
        secs * 1e3,
        wal_bytes as f64 / secs / 1e6
    );
}
