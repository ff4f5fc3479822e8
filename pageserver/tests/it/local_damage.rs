//! A layer file damaged on the pageserver's local disk (a flipped byte, as the
//! fault matrix does) after it was written: the damaged bytes are never
//! uploaded — the manifest's CRC32C would seal them as the durable copy, and
//! `remote_consistent_lsn` would let the safekeepers drop the WAL that could
//! rebuild them — and the pageserver recovers by attaching the timeline again
//! from object storage and the WAL.

use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::Workload;
use crate::common::service::{Env, Node, check};
use pageserver::LayerName;
use proto::{Lsn, PageKey, TimelineId};
use remote_storage::RemoteStorage;

const KEYS: u32 = 16;

fn key(b: u32) -> PageKey {
    PageKey::new(9, b * 100)
}

/// The layer files in the timeline's local directory.
fn local_layers(data_dir: &Path, id: &TimelineId) -> Vec<PathBuf> {
    let dir = data_dir
        .join("tenants")
        .join(id.tenant.as_str())
        .join("timelines")
        .join(id.timeline.as_str());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| LayerName::parse(&e.file_name().to_string_lossy()).is_some())
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Reads every key once, right after the damage: the read that finds it, and the batches
/// that arrive while the timeline is attached again, are answered from the new attachment —
/// no client sees an error — within 30 s, and no damaged file is kept.
async fn first_read_is_right(
    node: &mut Node,
    id: &TimelineId,
    wl: &Workload,
    cutoff: Lsn,
    data: &Path,
) {
    let reqs: Vec<_> = (0..KEYS).map(|b| (key(b), wl.end(), wl.end())).collect();
    let started = Instant::now();
    let results = node.get_pages(id, &reqs).await;
    let bad: Vec<String> = reqs
        .iter()
        .zip(&results)
        .filter_map(|(&(k, lsn, _), r)| check(wl, k, lsn, cutoff, r).err())
        .collect();
    assert!(
        bad.is_empty(),
        "reads while the pageserver recovered from damage failed: {bad:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    for l in local_layers(data, id) {
        let bytes = std::fs::read(&l).unwrap();
        pageserver::layer_file::verify_bytes(&l, &bytes).expect("no damaged file is kept");
    }
}

/// Flips one byte inside the first block's payload (past its 8-byte header).
fn flip(path: &Path) {
    flip_at(path, 12);
}

/// Flips the byte at `offset` of `path`.
fn flip_at(path: &Path, offset: u64) {
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let mut b = [0u8; 1];
    f.read_exact_at(&mut b, offset).unwrap();
    b[0] ^= 0x40;
    f.write_all_at(&b, offset).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_layer_damaged_before_its_upload_is_never_uploaded() {
    let env = Env::new(RemoteStorage::from_url("memory://", &Default::default()).unwrap());
    let id = TimelineId::new("acme", "main").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::start(&env, dir.path()).await;
    node.create(&id, "", 0, 0).await.unwrap();
    let wl = node
        .ingest_one_image_per_key(&env, &id, (0..KEYS).map(key))
        .await;
    let h = node.ps.timeline(&id).unwrap();
    node.ps.flush(&h).await.unwrap();
    let layers = local_layers(dir.path(), &id);
    assert!(!layers.is_empty(), "the flush wrote layer files");
    // Damage between the write and the upload.
    for l in &layers {
        flip(l);
    }
    let synced = node.ps.sync(&h).await;
    assert!(
        matches!(&synced, Err(pageserver::Error::Corrupt { file, .. }) if layers.contains(file)),
        "the damaged layer is refused, naming it: {synced:?}"
    );
    drop(h);

    // The damaged pageserver recovers by itself: the read that meets the
    // damage fails (nothing damaged is served), the timeline is attached
    // again, and the pages come back right from the WAL.
    let cutoff = Lsn(node.status(&id).await.gc_cutoff_lsn);
    first_read_is_right(&mut node, &id, &wl, cutoff, dir.path()).await;
    let h = node.ps.timeline(&id).unwrap();
    node.wait_ingested(&id, wl.end()).await;
    node.ps.flush(&h).await.unwrap();
    let synced = node.ps.sync(&h).await.expect("the rebuilt layers upload");
    assert_eq!(synced.remote_consistent_lsn, wl.end());
    drop(h);
    node.stop().await;

    // What object storage holds is whole: a pageserver on an empty disk
    // serves every page.
    let wiped = tempfile::tempdir().unwrap();
    let mut node = Node::start(&env, wiped.path()).await;
    node.wait_ingested(&id, wl.end()).await;
    let reqs: Vec<_> = (0..KEYS).map(|b| (key(b), wl.end(), wl.end())).collect();
    let results = node.get_pages(&id, &reqs).await;
    for (&(k, lsn, _), r) in reqs.iter().zip(&results) {
        check(&wl, k, lsn, cutoff, r).expect("every page, after a wiped disk");
    }
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_layer_damaged_locally_is_fetched_again() {
    uploaded_layers_damaged_locally_are_fetched_again(|_| 12).await;
}

/// A flipped byte in a layer's block index (read when the timeline is opened, not when a
/// page is): the attach at start-up must not leave the timeline broken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_layer_with_a_damaged_index_is_fetched_again_at_start_up() {
    let footer = pageserver::layer_file::FOOTER_SIZE as u64;
    uploaded_layers_damaged_locally_are_fetched_again(|len| len - footer - 6).await;
}

/// Writes, uploads, stops; flips the byte at `offset(file length)` of every local layer
/// file; restarts on that disk; every page must read back right on the first try.
async fn uploaded_layers_damaged_locally_are_fetched_again(offset: impl Fn(u64) -> u64) {
    let env = Env::new(RemoteStorage::from_url("memory://", &Default::default()).unwrap());
    let id = TimelineId::new("acme", "main").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::start(&env, dir.path()).await;
    node.create(&id, "", 0, 0).await.unwrap();
    let wl = node
        .ingest_one_image_per_key(&env, &id, (0..KEYS).map(key))
        .await;
    let h = node.ps.timeline(&id).unwrap();
    node.ps.flush(&h).await.unwrap();
    node.ps.sync(&h).await.unwrap();
    drop(h);
    // Restarted on its disk, then the uploaded files are damaged: the local
    // copy is the one read (same size as the manifest says).
    node.stop().await;
    let layers = local_layers(dir.path(), &id);
    assert!(!layers.is_empty(), "the flush wrote layer files");
    for l in &layers {
        let len = std::fs::metadata(l).unwrap().len();
        flip_at(l, offset(len));
    }
    let mut node = Node::start(&env, dir.path()).await;
    node.wait_ingested(&id, wl.end()).await;
    let cutoff = Lsn(node.status(&id).await.gc_cutoff_lsn);
    first_read_is_right(&mut node, &id, &wl, cutoff, dir.path()).await;
    node.stop().await;
}
