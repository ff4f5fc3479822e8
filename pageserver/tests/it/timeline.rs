//! Scenario tests of a timeline's storage: maintenance really runs (checked
//! by its counters) and reads stay right; quarantine is per page and lifted
//! by a full image; a damaged layer file is reported, never served.

use crate::common::{Feeder, START, Workload, small_config};
use pageserver::{Error, LayeredTimeline};
use proto::page::PAGE_SIZE;
use proto::redo::diff;
use proto::{Lsn, PageKey};

fn key(b: u32) -> PageKey {
    PageKey::new(10, b)
}

/// 60 records over 10 keys: every key first as an image, then small edits.
fn workload() -> Workload {
    let mut wl = Workload::new();
    for i in 0..60u32 {
        let k = key(i % 10);
        let page = wl.edited(k, |p| {
            let at = 12 + (i as usize * 97) % (PAGE_SIZE - 40);
            p[at..at + 20].fill(i as u8 + 1);
        });
        wl.write(vec![(k, page, false)]);
    }
    wl
}

fn check_everything(wl: &Workload, tl: &LayeredTimeline) {
    for &(_, end) in &wl.records {
        for b in 0..11 {
            for lsn in [Lsn(end.0 - 1), end] {
                wl.check(tl, key(b), lsn).unwrap();
            }
        }
    }
}

#[test]
fn freeze_flush_compaction_and_gc_run_and_reads_stay_right() {
    let dir = tempfile::tempdir().unwrap();
    let mut tl = LayeredTimeline::open(dir.path(), small_config(), START).unwrap();
    let wl = workload();
    Feeder::resume(&wl, &tl).feed(&wl, &mut tl, 1000);
    assert_eq!(tl.last_record_lsn(), wl.end());
    check_everything(&wl, &tl);

    tl.flush().unwrap();
    let report = tl.compact().unwrap();
    assert_eq!(report.lsn, Some(wl.end()));
    check_everything(&wl, &tl);
    let c = tl.counters();
    assert_eq!(c.records_ingested, 60);
    assert!(c.freezes >= 2, "{c:?}");
    assert!(c.delta_layers_written >= 4, "partitioned flushes: {c:?}");
    assert!(c.image_layers_written >= 2, "{c:?}");
    assert!(tl.layer_map().image_layers().len() >= 2);

    // Everything is covered by the images at the end: GC there removes all
    // delta files, and reads below the cutoff are refused.
    let gc = tl.gc(wl.end()).unwrap();
    assert!(!gc.removed.is_empty());
    assert_eq!(tl.layer_map().delta_layers().len(), 0);
    assert!(tl.counters().layers_removed >= 4);
    check_everything(&wl, &tl);
    let below = tl.get_page(key(1), Lsn(wl.end().0 - 1));
    assert!(
        matches!(below, Err(Error::BelowGcHorizon { .. })),
        "{below:?}"
    );

    // A restart keeps the cutoff and serves the same pages.
    drop(tl);
    let tl = LayeredTimeline::open(dir.path(), small_config(), START).unwrap();
    assert_eq!(tl.gc_cutoff(), wl.end());
    assert_eq!(tl.last_record_lsn(), wl.end());
    check_everything(&wl, &tl);
}

#[test]
fn records_out_of_order_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut tl = LayeredTimeline::open(dir.path(), small_config(), START).unwrap();
    let wl = workload();
    let mut dec = proto::WalDecoder::new(START);
    dec.push(&wl.wal);
    let first = dec.next_record().unwrap().unwrap();
    tl.ingest(&first).unwrap();
    let err = tl.ingest(&first).unwrap_err();
    assert!(matches!(err, Error::OutOfOrderRecord { .. }), "{err}");
}

#[test]
fn a_bad_change_quarantines_one_page_until_a_full_image() {
    let dir = tempfile::tempdir().unwrap();
    let mut tl = LayeredTimeline::open(dir.path(), small_config(), START).unwrap();
    let mut wl = Workload::new();
    let (good, bad) = (key(1), key(2));
    for k in [good, bad] {
        let p = wl.edited(k, |p| p[100] = 1);
        wl.write(vec![(k, p, true)]);
    }
    // A delta whose checksum cannot match: redo must refuse it.
    let base = Box::new(*wl.current(bad).unwrap());
    let mut next = base.clone();
    next[200] = 2;
    let bad_lsn = wl.commit_changes(|lsn| {
        let mut c = diff(bad, Some(&base), &next, lsn);
        c.crc_after ^= 0xdead;
        vec![c]
    });
    let p = wl.edited(good, |p| p[300] = 3);
    wl.write(vec![(good, p, false)]);
    let mut feeder = Feeder::resume(&wl, &tl);
    feeder.feed(&wl, &mut tl, 4096);

    match tl.get_page(bad, wl.end()) {
        Err(Error::Quarantined {
            key: k,
            lsn,
            reason,
        }) => {
            assert_eq!((k, lsn), (bad, bad_lsn));
            assert!(reason.contains("checksum"), "{reason}");
        }
        other => panic!("expected quarantine, got {other:?}"),
    }
    let err = tl.get_page(bad, wl.end()).unwrap_err().to_string();
    assert!(
        err.contains("rel 10 block 2"),
        "the error names the page: {err}"
    );
    assert_eq!(tl.quarantined().len(), 1);
    assert!(tl.counters().quarantine_errors >= 1);
    // Before the bad change, and for other pages, all is well.
    wl.check(&tl, bad, Lsn(bad_lsn.0 - 1)).unwrap();
    wl.check(&tl, good, wl.end()).unwrap();

    // Compaction skips the quarantined page but still images the others.
    tl.flush().unwrap();
    let report = tl.compact().unwrap();
    assert!(report.quarantined_skipped.is_empty() || report.quarantined_skipped == [bad]);
    assert!(matches!(
        tl.get_page(bad, wl.end()),
        Err(Error::Quarantined { .. })
    ));
    wl.check(&tl, good, wl.end()).unwrap();

    // A later full image supersedes it.
    let p = wl.edited(bad, |p| p[400] = 4);
    let healed = wl.write(vec![(bad, p, true)]);
    feeder.feed(&wl, &mut tl, 4096);
    assert!(tl.quarantined().is_empty());
    wl.check(&tl, bad, healed).unwrap();
    assert!(matches!(
        tl.get_page(bad, Lsn(healed.0 - 1)),
        Err(Error::Quarantined { .. })
    ));
    assert!(
        tl.quarantined().is_empty(),
        "a historical read does not re-list a healed page"
    );
}

#[test]
fn a_damaged_layer_file_is_reported_by_name_never_served() {
    let dir = tempfile::tempdir().unwrap();
    let wl = workload();
    {
        let mut tl = LayeredTimeline::open(dir.path(), small_config(), START).unwrap();
        Feeder::resume(&wl, &tl).feed(&wl, &mut tl, 4096);
        tl.flush().unwrap();
        tl.compact().unwrap();
    }
    let mut files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            pageserver::LayerName::parse(p.file_name().unwrap().to_str().unwrap()).is_some()
        })
        .collect();
    files.sort();
    assert!(files.len() >= 4);
    for file in &files {
        let original = std::fs::read(file).unwrap();
        // A spread of positions: data blocks, index and footer.
        let positions = (0..original.len())
            .step_by(original.len() / 13 + 1)
            .chain([original.len() - 1]);
        for at in positions {
            let mut damaged = original.clone();
            damaged[at] ^= 0x20;
            std::fs::write(file, &damaged).unwrap();
            let detected = match LayeredTimeline::open(dir.path(), small_config(), START) {
                Err(Error::Corrupt { file: f, .. }) => {
                    assert_eq!(&f, file);
                    true
                }
                Err(e) => panic!("unexpected error {e}"),
                Ok(tl) => {
                    let mut detected = false;
                    // Each key at each of its versions touches every block.
                    for (&k, versions) in &wl.versions {
                        let lsns = versions.iter().map(|v| v.0).chain([wl.end()]);
                        for lsn in lsns {
                            match tl.get_page(k, lsn) {
                                Ok(page) => assert_eq!(Some(&*page), wl.expected(k, lsn)),
                                Err(Error::Corrupt {
                                    file: f, reason, ..
                                }) => {
                                    assert_eq!(&f, file, "{reason}");
                                    detected = true;
                                }
                                Err(e) => panic!("unexpected error {e}"),
                            }
                        }
                    }
                    detected
                }
            };
            assert!(
                detected,
                "flip at byte {at} of {} went unnoticed",
                file.display()
            );
        }
        std::fs::write(file, &original).unwrap();
    }
}

#[test]
fn a_flush_interrupted_before_its_metadata_is_redone_from_wal() {
    let dir = tempfile::tempdir().unwrap();
    let wl = workload();
    let mut tl = LayeredTimeline::open(dir.path(), small_config(), START).unwrap();
    let mut feeder = Feeder::resume(&wl, &tl);
    // Half the WAL, flushed: disk-consistent at the end of record 29.
    let half = Workload {
        wal: wl.wal[..(wl.records[29].1.0 - START.0) as usize].to_vec(),
        ..Workload::new()
    };
    feeder.feed(&half, &mut tl, 512);
    tl.flush().unwrap();
    let first = tl.disk_consistent_lsn().unwrap();
    assert_eq!(first, wl.records[29].1);
    let meta_after_first = std::fs::read(dir.path().join(pageserver::metadata::FILE_NAME)).unwrap();
    // The rest, flushed; then "crash" as if the metadata write never happened.
    feeder.feed(&wl, &mut tl, 512);
    tl.flush().unwrap();
    let files_before = tl.layer_map().delta_layers().len();
    drop(tl);
    std::fs::write(
        dir.path().join(pageserver::metadata::FILE_NAME),
        meta_after_first,
    )
    .unwrap();

    let mut tl = LayeredTimeline::open(dir.path(), small_config(), START).unwrap();
    assert_eq!(tl.last_record_lsn(), first);
    assert!(tl.layer_map().delta_layers().len() < files_before);
    Feeder::resume(&wl, &tl).feed(&wl, &mut tl, 512);
    check_everything(&wl, &tl);
    tl.flush().unwrap();
    check_everything(&wl, &tl);
}

/// A failed fsync of a layer file takes the fatal path (in a real process it
/// exits; an in-process injection records it): the flush fails, does not
/// advance `disk_consistent_lsn`, and a restart re-ingests from what is on
/// disk and serves every page right.
#[test]
fn a_failed_fsync_of_a_layer_file_takes_the_fatal_path() {
    let dir = tempfile::tempdir().unwrap();
    let mut tl = LayeredTimeline::open(dir.path(), small_config(), START).unwrap();
    let wl = workload();
    Feeder::resume(&wl, &tl).feed(&wl, &mut tl, 1000);
    remote_storage::durable::inject(dir.path(), 1);
    let err = tl.flush().unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    let fatal = remote_storage::durable::recorded(dir.path());
    assert_eq!(fatal.len(), 1, "{fatal:?}");
    assert!(
        fatal[0].path.to_string_lossy().ends_with(".tmp"),
        "a layer file being written: {fatal:?}"
    );
    assert_eq!(tl.disk_consistent_lsn(), None, "nothing claimed durable");

    drop(tl);
    let mut tl = LayeredTimeline::open(dir.path(), small_config(), START).unwrap();
    assert_eq!(tl.disk_consistent_lsn(), None);
    Feeder::resume(&wl, &tl).feed(&wl, &mut tl, 1000);
    tl.flush().unwrap();
    check_everything(&wl, &tl);
}
