//! Layers downloaded on demand: a pageserver restarted on an empty data
//! directory fetches from object storage only the layer files its reads
//! touch (checked by listing the timeline's local directory), serves every
//! page correctly, and a layer once fetched is not fetched again.

use std::path::Path;

use crate::common::START;
use crate::common::Workload;
use crate::common::service::{Env, Node, check};
use pageserver::LayerName;
use proto::{Lsn, PageKey, TimelineId};
use remote_storage::RemoteStorage;

const KEYS: u32 = 24;

fn key(b: u32) -> PageKey {
    PageKey::new(9, b * 100)
}

/// Layer files in the timeline's local directory.
fn local_layers(data_dir: &Path, id: &TimelineId) -> Vec<String> {
    let dir = data_dir
        .join("tenants")
        .join(id.tenant.as_str())
        .join("timelines")
        .join(id.timeline.as_str());
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| LayerName::parse(n).is_some())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wiped_disk_downloads_only_the_layers_reads_touch() {
    let env = Env::new(RemoteStorage::from_url("memory://", &Default::default()).unwrap());
    let id = TimelineId::new("acme", "main").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::start(&env, dir.path()).await;
    node.create(&id, "", 0, 0).await.unwrap();
    // One full image per key, keys spread out: the flush partitions them
    // into several delta files by key range.
    let wl = node
        .ingest_one_image_per_key(&env, &id, (0..KEYS).map(key))
        .await;
    let h = node.ps.timeline(&id).unwrap();
    node.ps.flush(&h).await.unwrap();
    let sync = node.ps.sync(&h).await.unwrap();
    assert_eq!(sync.remote_consistent_lsn, wl.end());
    drop(h);
    let total = node.status(&id).await.layer_count as usize;
    assert!(total >= 4, "the flush wrote several layers ({total})");
    node.stop().await;

    let wiped = tempfile::tempdir().unwrap();
    let mut node = Node::start(&env, wiped.path()).await;
    assert!(
        local_layers(wiped.path(), &id).is_empty(),
        "attach downloads nothing"
    );
    let cutoff = Lsn(node.status(&id).await.gc_cutoff_lsn);
    let r = node.get_pages(&id, &[(key(3), wl.end(), wl.end())]).await;
    check(&wl, key(3), wl.end(), cutoff, &r[0]).expect("the page, from a downloaded layer");
    let after_one = local_layers(wiped.path(), &id);
    assert!(
        !after_one.is_empty() && after_one.len() < total,
        "one read fetched {} of {total} layers: {after_one:?}",
        after_one.len()
    );
    // The same page again (another LSN, so not from the page cache): no new download.
    let r = node
        .get_pages(&id, &[(key(3), Lsn(wl.end().0 - 1), Lsn(wl.end().0 - 1))])
        .await;
    check(&wl, key(3), Lsn(wl.end().0 - 1), cutoff, &r[0]).expect("the page again");
    assert_eq!(local_layers(wiped.path(), &id), after_one);

    let reqs: Vec<_> = (0..KEYS).map(|b| (key(b), wl.end(), wl.end())).collect();
    let results = node.get_pages(&id, &reqs).await;
    for (&(k, lsn, _), r) in reqs.iter().zip(&results) {
        check(&wl, k, lsn, cutoff, r).expect("every page");
    }
    let after_all = local_layers(wiped.path(), &id);
    assert!(after_all.len() > after_one.len() && after_all.len() <= total);
    node.stop().await;
}

/// Compaction (which reads every file layer, downloading the remote ones),
/// GC and sync on a pageserver whose layers are mostly still remote: every
/// page stays right, GC removes layers (including files never downloaded
/// before compaction ran) and their objects go.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compaction_and_gc_work_over_remote_layers() {
    let env = Env::new(RemoteStorage::from_url("memory://", &Default::default()).unwrap());
    let id = TimelineId::new("acme", "main").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::start(&env, dir.path()).await;
    node.create(&id, "", 0, 0).await.unwrap();
    let mut wl = Workload::new();
    let h = node.ps.timeline(&id).unwrap();
    // An image per key, then three rounds of small deltas, each round
    // flushed: delta chains of 3 over the image.
    for round in 0..4u8 {
        for b in 0..KEYS {
            let page = if round == 0 {
                wl.edited(key(b), |p| p[100..300].fill(b as u8 + 1))
            } else {
                wl.edited(key(b), |p| p[1000 + usize::from(round)] = round)
            };
            wl.write(vec![(key(b), page, round == 0)]);
        }
        env.publish(&id, START, &wl, START);
        node.wait_ingested(&id, wl.end()).await;
        node.ps.flush(&h).await.unwrap();
    }
    node.ps.sync(&h).await.unwrap();
    drop(h);
    node.stop().await;

    let wiped = tempfile::tempdir().unwrap();
    let mut node = Node::start(&env, wiped.path()).await;
    let h = node.ps.timeline(&id).unwrap();
    let r = node.get_pages(&id, &[(key(5), wl.end(), wl.end())]).await;
    check(&wl, key(5), wl.end(), Lsn::INVALID, &r[0]).expect("one page");
    let report = node.ps.compact(&h).await.unwrap();
    assert!(
        !report.image_layers_written.is_empty(),
        "compaction wrote images"
    );
    let gc = node.ps.gc(&h, Some(wl.end())).await.unwrap();
    assert!(!gc.removed.is_empty(), "GC removed layers");
    let sync = node.ps.sync(&h).await.unwrap();
    assert!(!sync.deleted.is_empty(), "their objects were deleted");
    let cutoff = Lsn(node.status(&id).await.gc_cutoff_lsn);
    let reqs: Vec<_> = (0..KEYS).map(|b| (key(b), wl.end(), wl.end())).collect();
    let results = node.get_pages(&id, &reqs).await;
    for (&(k, lsn, _), r) in reqs.iter().zip(&results) {
        check(&wl, k, lsn, cutoff, r).expect("every page after compaction and GC");
    }
    drop(h);
    node.stop().await;

    // And once more from an empty disk, after GC.
    let wiped = tempfile::tempdir().unwrap();
    let mut node = Node::start(&env, wiped.path()).await;
    let results = node.get_pages(&id, &reqs).await;
    for (&(k, lsn, _), r) in reqs.iter().zip(&results) {
        check(&wl, k, lsn, cutoff, r).expect("every page after GC and a wiped disk");
    }
    node.stop().await;
}
