//! `DropRelation` tombstones: a dropped relation's pages stay readable below the drop LSN
//! and are "never written" at and after it; image layers written after the drop leave the
//! relation out; GC past the drop reclaims every layer that held only its keys (or its keys
//! plus keys newer images cover); the tombstone survives a restart, and an attach from object
//! storage on an empty disk (through the manifest).

use crate::common::{Feeder, START, Workload, small_config};
use pageserver::{Error, LayeredTimeline};
use proto::frame::encode_record;
use proto::page::PAGE_SIZE;
use proto::{Lsn, PageKey, Record, RecordKind, RelId};

const DROPPED: u32 = 5;
const KEPT: u32 = 6;

fn edit(wl: &mut Workload, key: PageKey, i: usize) {
    let page = wl.edited(key, |p| {
        let at = 12 + (i * 97) % (PAGE_SIZE - 40);
        p[at..at + 20].fill(i as u8 + 1);
    });
    wl.write(vec![(key, page, false)]);
}

/// Appends a `DropRelation { rel }` record; returns its end.
fn drop_relation(wl: &mut Workload, rel: u32) -> Lsn {
    let record = Record {
        kind: RecordKind::DropRelation { rel: RelId(rel) },
        timestamp_us: 0,
        flags: 0,
        page_changes: Vec::new(),
    };
    let start = wl.end();
    wl.wal.extend_from_slice(&encode_record(&record));
    let end = wl.end();
    wl.records.push((start, end));
    end
}

/// Keys of `rel` in every layer file of the timeline.
fn keys_in_layers(tl: &LayeredTimeline, rel: u32) -> usize {
    let map = tl.layer_map();
    let deltas = map.delta_layers().iter().map(|d| d.keys().unwrap());
    let images = map.image_layers().iter().map(|i| i.keys().unwrap());
    deltas
        .chain(images)
        .flatten()
        .filter(|k| k.rel == RelId(rel))
        .count()
}

/// Reads of the dropped relation: the model's pages below `dropped_at`, "never written"
/// from it on (and the kept relation always as the model says).
fn check(wl: &Workload, tl: &LayeredTimeline, dropped_at: Lsn) {
    for &(_, end) in &wl.records {
        if end < tl.gc_cutoff() {
            continue;
        }
        for b in 0..4 {
            wl.check(tl, PageKey::new(KEPT, b), end).unwrap();
            let key = PageKey::new(DROPPED, b);
            if end < dropped_at {
                wl.check(tl, key, end).unwrap();
            } else {
                let got = tl.get_page(key, end);
                assert!(
                    matches!(got, Err(Error::NeverWritten { .. })),
                    "{key:?} at {end}, dropped at {dropped_at}: {:?}",
                    got.map(|_| "a page")
                );
            }
        }
    }
}

#[test]
fn a_dropped_relation_is_gone_from_reads_new_images_and_after_gc() {
    let dir = tempfile::tempdir().unwrap();
    let mut tl = LayeredTimeline::open(dir.path(), small_config(), START).unwrap();
    let mut wl = Workload::new();
    for i in 0..40 {
        let rel = if i % 2 == 0 { DROPPED } else { KEPT };
        edit(&mut wl, PageKey::new(rel, (i / 2 % 4) as u32), i);
    }
    Feeder::resume(&wl, &tl).feed(&wl, &mut tl, 700);
    tl.flush().unwrap();
    let before = tl.compact().unwrap();
    assert!(
        !before.image_layers_written.is_empty(),
        "images before the drop"
    );
    assert!(keys_in_layers(&tl, DROPPED) > 0);

    let dropped_at = drop_relation(&mut wl, DROPPED);
    for i in 40..80 {
        edit(&mut wl, PageKey::new(KEPT, (i % 4) as u32), i);
    }
    Feeder::resume(&wl, &tl).feed(&wl, &mut tl, 700);
    check(&wl, &tl, dropped_at);

    // Compaction after the drop: images of the kept relation only.
    tl.flush().unwrap();
    let after = tl.compact().unwrap();
    assert!(after.lsn.is_some_and(|l| l >= dropped_at));
    assert!(
        !after.image_layers_written.is_empty(),
        "images after the drop"
    );
    for image in tl.layer_map().image_layers() {
        if image.lsn() >= dropped_at {
            let keys = image.keys().unwrap();
            assert!(
                keys.iter().all(|k| k.rel != RelId(DROPPED)),
                "{} holds pages of the dropped relation",
                image.name()
            );
        }
    }
    check(&wl, &tl, dropped_at);

    // GC below the drop keeps the relation's history readable there.
    tl.gc(Lsn(dropped_at.0 - 1)).unwrap();
    assert!(keys_in_layers(&tl, DROPPED) > 0);
    check(&wl, &tl, dropped_at);

    // GC past it reclaims every layer holding its keys.
    let gc = tl.gc(wl.end()).unwrap();
    assert!(!gc.removed.is_empty());
    assert_eq!(
        keys_in_layers(&tl, DROPPED),
        0,
        "the dropped relation's layers stay"
    );
    check(&wl, &tl, dropped_at);

    // A restart keeps the tombstone.
    drop(tl);
    let tl = LayeredTimeline::open(dir.path(), small_config(), START).unwrap();
    check(&wl, &tl, dropped_at);
    assert!(tl.is_dropped(PageKey::new(DROPPED, 0), wl.end()));
}

/// The tombstone of a drop that was ingested but not flushed is not persisted; the WAL
/// after `disk_consistent_lsn` is re-ingested after a restart and brings it back.
#[test]
fn an_unflushed_drop_comes_back_with_the_wal() {
    let dir = tempfile::tempdir().unwrap();
    let mut tl = LayeredTimeline::open(dir.path(), small_config(), START).unwrap();
    let mut wl = Workload::new();
    for i in 0..6 {
        edit(&mut wl, PageKey::new(DROPPED, i as u32 % 2), i);
    }
    Feeder::resume(&wl, &tl).feed(&wl, &mut tl, 700);
    tl.flush().unwrap();
    let dropped_at = drop_relation(&mut wl, DROPPED);
    Feeder::resume(&wl, &tl).feed(&wl, &mut tl, 700);
    assert!(tl.is_dropped(PageKey::new(DROPPED, 0), dropped_at));
    drop(tl);
    let mut tl = LayeredTimeline::open(dir.path(), small_config(), START).unwrap();
    assert!(!tl.is_dropped(PageKey::new(DROPPED, 0), dropped_at));
    Feeder::resume(&wl, &tl).feed(&wl, &mut tl, 700);
    check(&wl, &tl, dropped_at);
}

/// The tombstone travels in the manifest: a pageserver attaching the timeline on an empty
/// disk, from object storage alone, still answers "never written" after the drop (the drop
/// is below `remote_consistent_lsn`, so its WAL is not re-ingested).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tombstone_survives_a_restart_on_an_empty_disk() {
    use crate::common::service::{Env, Node, error_of};
    use proto::grpc::pageserver as pb;

    let store = tempfile::tempdir().unwrap();
    let env = Env::new(remote_storage::RemoteStorage::local(store.path()).unwrap());
    let id = proto::TimelineId::new("acme", "main").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::start(&env, dir.path()).await;
    node.create(&id, "", 0, 0).await.expect("create timeline");
    let mut wl = Workload::new();
    for i in 0..8 {
        let rel = if i % 2 == 0 { DROPPED } else { KEPT };
        edit(&mut wl, PageKey::new(rel, (i / 2 % 2) as u32), i);
    }
    let before = wl.end();
    let dropped_at = drop_relation(&mut wl, DROPPED);
    env.publish(&id, START, &wl, START);
    node.wait_ingested(&id, wl.end()).await;
    let h = node.ps.timeline(&id).unwrap();
    node.ps.flush(&h).await.unwrap();
    let sync = node.ps.sync(&h).await.unwrap();
    assert_eq!(sync.remote_consistent_lsn, dropped_at);
    drop(h);
    node.stop().await;

    drop(dir);
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::start(&env, dir.path()).await;
    node.wait_ingested(&id, wl.end()).await;
    let key = PageKey::new(DROPPED, 0);
    let r = node
        .get_pages(&id, &[(key, before, before), (key, dropped_at, dropped_at)])
        .await;
    assert!(error_of(&r[0]).is_none(), "readable below the drop");
    let (code, msg) = error_of(&r[1]).expect("an error at the drop");
    assert_eq!(code, pb::PageErrorCode::PageErrorNeverWritten, "{msg}");
    let kept = node
        .get_pages(&id, &[(PageKey::new(KEPT, 0), dropped_at, dropped_at)])
        .await;
    assert!(error_of(&kept[0]).is_none(), "the other relation stays");
    node.stop().await;
}
