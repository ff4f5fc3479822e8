//! The running pageserver over gRPC (bound to 127.0.0.1:0), fed by the
//! in-memory WAL source: GetPages matches the reference model through
//! freeze, flush, compaction, GC, restart and restart on an empty disk;
//! generations fence an older pageserver; branches; a damaged layer object
//! is reported by name and never served; the same suite against moto.
//!
//! Random workloads print their seed; set `PAGESERVER_SEED` to replay one.

use std::sync::Arc;
use std::time::Duration;

use crate::common::service::{Env, Node, check, error_of};
use crate::common::{START, Workload};
use proto::grpc::pageserver as pb;
use proto::page::PAGE_SIZE;
use proto::{Lsn, PageKey, TimelineId};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use remote_storage::{RemoteStorage, layout};

const KEYS: u32 = 16;

pub(crate) fn key(b: u32) -> PageKey {
    PageKey::new(7, b)
}

pub(crate) fn seed() -> u64 {
    let seed = std::env::var("PAGESERVER_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("seed {seed} (replay with PAGESERVER_SEED={seed})");
    seed
}

/// Appends `n` random records to `wl`: images and deltas over `KEYS` keys.
pub(crate) fn random_writes(wl: &mut Workload, rng: &mut StdRng, n: usize) {
    for _ in 0..n {
        let writes = (0..rng.random_range(1..=3))
            .map(|_| {
                let k = key(rng.random_range(0..KEYS));
                let at = rng.random_range(12..PAGE_SIZE - 64);
                let len = rng.random_range(1..64);
                let byte: u8 = rng.random();
                let page = wl.edited(k, |p| p[at..at + len].fill(byte));
                (k, page, rng.random_bool(0.1))
            })
            .collect::<Vec<_>>();
        // One change per key per record.
        let mut seen = std::collections::BTreeSet::new();
        let writes = writes
            .into_iter()
            .filter(|(k, _, _)| seen.insert(*k))
            .collect();
        wl.write(writes);
    }
}

/// Checks every key at every record end (and just before), plus the
/// latest state with `not_modified_since` below `request_lsn`.
pub(crate) async fn check_all(node: &mut Node, id: &TimelineId, wl: &Workload, step: &str) {
    let cutoff = Lsn(node.status(id).await.gc_cutoff_lsn);
    let mut reqs = Vec::new();
    for (i, &(_, end)) in wl.records.iter().enumerate() {
        if i % 3 != 0 && i + 1 != wl.records.len() {
            continue;
        }
        for b in 0..=KEYS {
            reqs.push((key(b), end, end));
            reqs.push((key(b), Lsn(end.0 - 1), Lsn(end.0 - 1)));
        }
    }
    for b in 0..=KEYS {
        reqs.push((key(b), wl.end() + 1000, wl.end()));
    }
    let results = node.get_pages(id, &reqs).await;
    assert_eq!(results.len(), reqs.len());
    let mut bad = Vec::new();
    for (&(k, lsn, _), r) in reqs.iter().zip(&results) {
        let lsn_model = lsn.min(wl.end());
        if let Err(e) = check(wl, k, lsn_model, cutoff, r) {
            bad.push(e);
        }
    }
    assert!(
        bad.is_empty(),
        "{step}: {} wrong results, e.g. {:?}",
        bad.len(),
        &bad[..bad.len().min(5)]
    );
}

/// The core scenario, on any object store.
async fn core_suite(remote: RemoteStorage, records: usize) {
    let mut rng = StdRng::seed_from_u64(seed());
    let env = Env::new(remote);
    let dir = tempfile::tempdir().unwrap();
    let id = TimelineId::new("acme", "main").unwrap();
    let mut node = Node::start(&env, dir.path()).await;
    let info = node.create(&id, "", 0, 0).await.expect("create timeline");
    assert_eq!(Lsn(info.start_lsn), START);
    assert_eq!(info.generation, 1);

    let mut wl = Workload::new();
    random_writes(&mut wl, &mut rng, records);
    env.publish(&id, START, &wl, START);
    node.wait_ingested(&id, wl.end()).await;
    check_all(&mut node, &id, &wl, "in memory").await;

    // A read waiting for WAL that never comes times out with a clear error.
    let r = node
        .get_pages(&id, &[(key(1), wl.end() + 10, wl.end() + 10)])
        .await;
    let (code, msg) = error_of(&r[0]).expect("an error");
    assert_eq!(code, pb::PageErrorCode::PageErrorWaitTimeout, "{msg}");
    assert!(msg.contains("waiting for WAL"), "{msg}");

    let h = node.ps.timeline(&id).unwrap();
    node.ps.flush(&h).await.unwrap();
    check_all(&mut node, &id, &wl, "after flush").await;
    let report = node.ps.compact(&h).await.unwrap();
    assert!(
        !report.image_layers_written.is_empty(),
        "compaction wrote images"
    );
    check_all(&mut node, &id, &wl, "after compaction").await;
    let sync = node.ps.sync(&h).await.unwrap();
    assert!(!sync.uploaded.is_empty());
    assert_eq!(sync.remote_consistent_lsn, wl.end());
    assert_eq!(env.gens.last_feedback(&id), Some((1, wl.end())));

    // More WAL, then GC at the image LSN: deltas below it go, locally and
    // (after sync) in object storage.
    let gc_at = report.lsn.expect("compaction ran at an LSN");
    random_writes(&mut wl, &mut rng, records / 2);
    env.publish(&id, START, &wl, START);
    node.wait_ingested(&id, wl.end()).await;
    node.ps.flush(&h).await.unwrap();
    let gc = node.ps.gc(&h, Some(gc_at)).await.unwrap();
    assert!(!gc.removed.is_empty(), "GC removed layers");
    let sync = node.ps.sync(&h).await.unwrap();
    assert_eq!(sync.deleted.len(), gc.removed.len());
    check_all(&mut node, &id, &wl, "after GC").await;
    let c = h.read().counters();
    assert!(
        c.freezes >= 2 && c.image_layers_written >= 1 && c.layers_removed >= 1,
        "{c:?}"
    );

    // Unflushed WAL on top, then restart: it is re-ingested.
    random_writes(&mut wl, &mut rng, records / 4);
    env.publish(&id, START, &wl, START);
    node.wait_ingested(&id, wl.end()).await;
    drop(h);
    node.stop().await;
    let mut node = Node::start(&env, dir.path()).await;
    node.wait_ingested(&id, wl.end()).await;
    let info = node.status(&id).await;
    assert_eq!(info.generation, 2);
    assert_eq!(Lsn(info.gc_cutoff_lsn), gc_at);
    check_all(&mut node, &id, &wl, "after restart").await;
    node.stop().await;

    // Restart on an empty disk: layers come from object storage, the rest
    // from WAL after remote_consistent_lsn.
    drop(dir);
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::start(&env, dir.path()).await;
    node.wait_ingested(&id, wl.end()).await;
    let info = node.status(&id).await;
    assert!(
        Lsn(info.remote_consistent_lsn) < wl.end(),
        "some WAL was re-ingested"
    );
    check_all(&mut node, &id, &wl, "after restart on an empty disk").await;
    let list = node
        .client
        .list_timelines(pb::ListTimelinesRequest {
            tenant: "acme".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.timelines.len(), 1);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn getpages_match_the_model_through_maintenance_and_restarts() {
    let store = tempfile::tempdir().unwrap();
    core_suite(RemoteStorage::local(store.path()).unwrap(), 90).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_getpages_match_the_model_on_moto() {
    let Some(moto) = remote_storage::moto::MotoServer::start().await else {
        eprintln!("SKIPPED: moto_server is not installed (CI=true makes this a failure)");
        return;
    };
    core_suite(moto.storage("pageserver-core", "ps").await, 40).await;
}

/// Every object key under the timeline.
pub(crate) async fn objects(remote: &RemoteStorage, id: &TimelineId) -> Vec<String> {
    let prefix = layout::timeline_prefix(id);
    remote
        .list(&prefix)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_generation_fences_the_older_pageserver() {
    let mut rng = StdRng::seed_from_u64(seed());
    let env = Env::new(RemoteStorage::from_url("memory://", &Default::default()).unwrap());
    let id = TimelineId::new("acme", "main").unwrap();
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut old = Node::start(&env, d1.path()).await;
    old.create(&id, "", 0, 0).await.unwrap();
    let mut wl = Workload::new();
    random_writes(&mut wl, &mut rng, 60);
    env.publish(&id, START, &wl, START);
    old.wait_ingested(&id, wl.end()).await;
    let h1 = old.ps.timeline(&id).unwrap();
    old.ps.flush(&h1).await.unwrap();
    old.ps.sync(&h1).await.unwrap();

    // A second pageserver attaches the same timeline: generation 2.
    let mut new = Node::start(&env, d2.path()).await;
    new.wait_ingested(&id, wl.end()).await;
    assert_eq!(new.status(&id).await.generation, 2);
    check_all(&mut new, &id, &wl, "new pageserver").await;
    let before = objects(&env.remote, &id).await;
    // Generation 2's manifest superseded generation 1's, which is deleted.
    assert!(before.contains(&layout::index_key(&id, 2)), "{before:?}");
    assert!(!before.contains(&layout::index_key(&id, 1)), "{before:?}");

    // The old one compacts and GCs locally, but may neither upload nor
    // delete: it finds generation 2's manifest and is fenced for good.
    let report = old.ps.compact(&h1).await.unwrap();
    old.ps.gc(&h1, report.lsn).await.unwrap();
    let err = old.ps.sync(&h1).await.unwrap_err();
    assert!(
        matches!(
            err,
            pageserver::Error::Fenced {
                generation: 1,
                newer: 2,
                ..
            }
        ),
        "{err}"
    );
    assert!(old.ps.sync(&h1).await.is_err(), "fenced for good");
    assert_eq!(
        objects(&env.remote, &id).await,
        before,
        "the old generation changed nothing"
    );

    // The new one writes only objects named with its own generation.
    let h2 = new.ps.timeline(&id).unwrap();
    random_writes(&mut wl, &mut rng, 30);
    env.publish(&id, START, &wl, START);
    new.wait_ingested(&id, wl.end()).await;
    new.ps.flush(&h2).await.unwrap();
    let sync = new.ps.sync(&h2).await.unwrap();
    assert!(!sync.uploaded.is_empty());
    let after = objects(&env.remote, &id).await;
    for k in after.iter().filter(|k| !before.contains(k)) {
        assert!(
            k.ends_with(&format!("{:016x}", 2)) || k.ends_with(&format!("{:016x}.json", 2)),
            "{k}"
        );
    }
    for k in &before {
        assert!(after.contains(k), "{k} was not overwritten or deleted");
    }
    check_all(&mut new, &id, &wl, "new pageserver after more WAL").await;
    drop((h1, h2));
    old.stop().await;
    new.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attach_deletes_objects_no_manifest_refers_to() {
    let mut rng = StdRng::seed_from_u64(seed());
    let env = Env::new(RemoteStorage::from_url("memory://", &Default::default()).unwrap());
    let id = TimelineId::new("acme", "main").unwrap();
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut old = Node::start(&env, d1.path()).await;
    old.create(&id, "", 0, 0).await.unwrap();
    let mut wl = Workload::new();
    random_writes(&mut wl, &mut rng, 40);
    env.publish(&id, START, &wl, START);
    old.wait_ingested(&id, wl.end()).await;
    let h1 = old.ps.timeline(&id).unwrap();
    old.ps.flush(&h1).await.unwrap();
    old.ps.sync(&h1).await.unwrap();
    drop(h1);
    old.stop().await;
    let listed = objects(&env.remote, &id).await;

    // Left behind by a crash between a layer upload and its manifest
    // (generation 1, older), and an object of a newer generation than the
    // next attach gets (never touched: it is not that pageserver's to judge).
    let prefix = layout::timeline_prefix(&id);
    let orphan = format!(
        "{prefix}/layers/000000000000000000000000000000000000-{:016x}",
        1
    );
    let newer = format!(
        "{prefix}/layers/000000000000000000000000000000000001-{:016x}",
        99
    );
    for k in [&orphan, &newer] {
        env.remote
            .put(k, bytes::Bytes::from_static(b"x"))
            .await
            .unwrap();
    }

    let mut new = Node::start(&env, d2.path()).await;
    new.wait_ingested(&id, wl.end()).await;
    assert_eq!(new.status(&id).await.generation, 2);
    let after = objects(&env.remote, &id).await;
    assert!(!after.contains(&orphan), "orphan layer deleted: {after:?}");
    assert!(
        after.contains(&newer),
        "a newer generation's object is kept"
    );
    assert!(
        !after.contains(&layout::index_key(&id, 1)),
        "old manifest deleted"
    );
    for k in listed.iter().filter(|k| k.contains("/layers/")) {
        assert!(
            after.contains(k),
            "{k}: still listed by generation 2's manifest"
        );
    }
    check_all(&mut new, &id, &wl, "after the cleanup").await;
    new.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn branches_see_the_ancestor_below_the_branch_point_only() {
    let mut rng = StdRng::seed_from_u64(seed());
    let env = Env::new(RemoteStorage::from_url("memory://", &Default::default()).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let main = TimelineId::new("acme", "main").unwrap();
    let dev = TimelineId::new("acme", "dev").unwrap();
    let mut node = Node::start(&env, dir.path()).await;
    node.create(&main, "", 0, 0).await.unwrap();
    let mut wl_main = Workload::new();
    random_writes(&mut wl_main, &mut rng, 50);
    env.publish(&main, START, &wl_main, START);
    node.wait_ingested(&main, wl_main.end()).await;
    let h = node.ps.timeline(&main).unwrap();
    node.ps.flush(&h).await.unwrap();

    // Branch at main's last record (the default), in milliseconds.
    let branch_at = wl_main.end();
    let info = node.create(&dev, "main", 0, 0).await.unwrap();
    assert_eq!(
        (info.ancestor.as_str(), Lsn(info.ancestor_lsn)),
        ("main", branch_at)
    );
    assert_eq!(
        node.create(&dev, "main", 0, 0).await.unwrap_err().code(),
        tonic::Code::AlreadyExists
    );

    // Both sides diverge.
    let mut wl_dev = wl_main.clone();
    random_writes(&mut wl_main, &mut rng, 30);
    random_writes(&mut wl_dev, &mut rng, 30);
    env.publish(&main, START, &wl_main, START);
    env.publish(&dev, branch_at, &wl_dev, branch_at);
    node.wait_ingested(&main, wl_main.end()).await;
    node.wait_ingested(&dev, wl_dev.end()).await;
    check_all(&mut node, &main, &wl_main, "main after the branch").await;
    check_all(&mut node, &dev, &wl_dev, "dev").await;

    // "As of" a commit timestamp: record i is stamped i seconds.
    let asof = TimelineId::new("acme", "asof").unwrap();
    let info = node.create(&asof, "main", 0, 10_500_000).await.unwrap();
    assert_eq!(Lsn(info.ancestor_lsn), wl_main.records[10].1);
    let bad = node
        .create(
            &TimelineId::new("acme", "x").unwrap(),
            "main",
            wl_main.end().0 + 5,
            0,
        )
        .await;
    assert_eq!(bad.unwrap_err().code(), tonic::Code::InvalidArgument);

    // Compaction of the branch replays its chains on main's pages.
    let h_dev = node.ps.timeline(&dev).unwrap();
    node.ps.flush(&h_dev).await.unwrap();
    let report = node.ps.compact(&h_dev).await.unwrap();
    assert!(
        !report.image_layers_written.is_empty(),
        "dev compacted: {report:?}"
    );
    assert!(report.quarantined_skipped.is_empty(), "{report:?}");
    check_all(&mut node, &dev, &wl_dev, "dev after its compaction").await;
    drop(h_dev);

    // GC on main keeps what dev reads at its branch point.
    node.ps.flush(&h).await.unwrap();
    node.ps.compact(&h).await.unwrap();
    let gc = node.ps.gc(&h, Some(wl_main.end())).await.unwrap();
    assert!(
        gc.cutoff <= wl_main.records[10].1,
        "GC is bounded by the branch points: {gc:?}"
    );
    check_all(&mut node, &dev, &wl_dev, "dev after main's GC").await;

    // Branches survive a restart on an empty disk.
    let h_dev = node.ps.timeline(&dev).unwrap();
    node.ps.flush(&h_dev).await.unwrap();
    node.ps.sync(&h_dev).await.unwrap();
    node.ps.sync(&h).await.unwrap();
    drop((h, h_dev));
    node.stop().await;
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::start(&env, dir.path()).await;
    node.wait_ingested(&dev, wl_dev.end()).await;
    node.wait_ingested(&main, wl_main.end()).await;
    check_all(&mut node, &dev, &wl_dev, "dev after restart").await;
    check_all(&mut node, &main, &wl_main, "main after restart").await;
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_layer_object_is_reported_by_name_and_never_served() {
    let mut rng = StdRng::seed_from_u64(seed());
    let env = Env::new(RemoteStorage::from_url("memory://", &Default::default()).unwrap());
    let id = TimelineId::new("acme", "main").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::start(&env, dir.path()).await;
    node.create(&id, "", 0, 0).await.unwrap();
    let mut wl = Workload::new();
    random_writes(&mut wl, &mut rng, 40);
    env.publish(&id, START, &wl, START);
    node.wait_ingested(&id, wl.end()).await;
    let h = node.ps.timeline(&id).unwrap();
    node.ps.flush(&h).await.unwrap();
    node.ps.sync(&h).await.unwrap();
    drop(h);
    node.stop().await;

    // A layer of the newest LSN range: some key's latest change is in it, so
    // reading every key at the end needs it (the first layer in key order
    // may be superseded for every key by later images: seed 9895426078847034544).
    let newest_end = |k: &String| {
        let file = k.rsplit('/').next()?;
        let (name, _generation) = file.rsplit_once('-')?;
        match pageserver::LayerName::parse(name)? {
            pageserver::LayerName::Delta { end, .. } => Some(end),
            pageserver::LayerName::Image { lsn, .. } => Some(Lsn(lsn.0 + 1)),
        }
    };
    let layer = objects(&env.remote, &id)
        .await
        .into_iter()
        .filter(|k| k.contains("/layers/"))
        .max_by_key(|k| newest_end(k))
        .expect("a layer object");
    let mut bytes = env.remote.get(&layer).await.unwrap().to_vec();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x40;
    env.remote.put(&layer, bytes.into()).await.unwrap();

    // Layers are downloaded when a read needs them: reading every key
    // touches the damaged one, which fails naming the object; no wrong page
    // is ever served.
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::start(&env, dir.path()).await;
    let reqs: Vec<_> = (0..KEYS).map(|b| (key(b), wl.end(), wl.end())).collect();
    let results = node.get_pages(&id, &reqs).await;
    let mut named = 0;
    for (&(k, lsn, _), r) in reqs.iter().zip(&results) {
        match error_of(r) {
            Some((pb::PageErrorCode::PageErrorCorrupt, msg)) => {
                assert!(msg.contains(&layer), "the error names {layer}: {msg}");
                named += 1;
            }
            // Served pages, and keys the workload never wrote, are as the
            // model says.
            _ => check(&wl, k, lsn, Lsn::INVALID, r).expect("a served page is right"),
        }
    }
    assert!(named > 0, "some read needed the damaged layer");
    let other = TimelineId::new("acme", "other").unwrap();
    node.create(&other, "", 0, 0)
        .await
        .expect("the rest of the pageserver works");
    node.stop().await;
    tokio::time::sleep(Duration::from_millis(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_local_layer_file_is_never_served_and_the_timeline_is_rebuilt() {
    let mut rng = StdRng::seed_from_u64(seed());
    let env = Env::new(RemoteStorage::from_url("memory://", &Default::default()).unwrap());
    let id = TimelineId::new("acme", "main").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::start(&env, dir.path()).await;
    node.create(&id, "", 0, 0).await.unwrap();
    let mut wl = Workload::new();
    random_writes(&mut wl, &mut rng, 40);
    env.publish(&id, START, &wl, START);
    node.wait_ingested(&id, wl.end()).await;
    let h = node.ps.timeline(&id).unwrap();
    node.ps.flush(&h).await.unwrap();
    let paths: Vec<_> = h
        .read()
        .layer_map()
        .delta_layers()
        .iter()
        .map(|d| d.path().to_path_buf())
        .collect();
    for p in &paths {
        let mut b = std::fs::read(p).unwrap();
        b[10] ^= 0x01;
        std::fs::write(p, b).unwrap();
    }
    let reqs: Vec<_> = (0..KEYS).map(|b| (key(b), wl.end(), wl.end())).collect();
    let results = node.get_pages(&id, &reqs).await;
    // The damaged bytes are never served: the read that finds them has the timeline attached
    // again from object storage and the WAL (the layers were never uploaded, so the WAL
    // still holds everything), and every answer comes from that attachment.
    for (&(k, lsn, _), r) in reqs.iter().zip(&results) {
        check(&wl, k, lsn, Lsn::INVALID, r).unwrap();
    }
    let now = node.ps.timeline(&id).unwrap();
    assert!(!Arc::ptr_eq(&now, &h), "the timeline was attached again");
    assert!(now.generation > h.generation, "under a newer generation");
    for p in &paths {
        if let Ok(bytes) = std::fs::read(p) {
            pageserver::layer_file::verify_bytes(p, &bytes).expect("no damaged file is kept");
        }
    }
    drop(h);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_maintenance_uploads_and_leases_bound_gc() {
    let mut rng = StdRng::seed_from_u64(seed());
    let env = Env::new(RemoteStorage::from_url("memory://", &Default::default()).unwrap());
    let id = TimelineId::new("acme", "main").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::common::service::test_config(dir.path(), env.remote.url());
    config.maintenance_interval = Some(Duration::from_millis(20));
    config.checkpoint_interval = Duration::ZERO;
    config.pitr_window = Duration::ZERO;
    let mut node = Node::start_with(&env, config).await;
    node.create(&id, "", 0, 0).await.unwrap();
    let mut wl = Workload::new();
    random_writes(&mut wl, &mut rng, 30);
    let leased = wl.end();
    let lease = node
        .lease(&id, leased, 60_000)
        .await
        .expect("a lease above the cutoff is granted");
    assert_eq!(lease.lsn, leased.0);
    random_writes(&mut wl, &mut rng, 30);
    env.publish(&id, START, &wl, START);

    // Maintenance flushes, uploads and GCs by itself (PITR window 0), but
    // never past the lease.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let info = node.status(&id).await;
        // The feedback to the safekeepers follows the manifest that status
        // reports, so it is awaited too rather than asserted at once.
        if Lsn(info.remote_consistent_lsn) == wl.end()
            && Lsn(info.gc_cutoff_lsn) == leased
            && env.gens.last_feedback(&id) == Some((1, wl.end()))
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "maintenance did not catch up: {info:?}, feedback {:?}",
            env.gens.last_feedback(&id)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let below = node.lease(&id, Lsn(leased.0 - 1), 1000).await.unwrap_err();
    assert_eq!(below.code(), tonic::Code::FailedPrecondition, "{below}");
    check_all(&mut node, &id, &wl, "after background maintenance").await;
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_change_quarantines_one_page_until_a_full_image() {
    let env = Env::new(RemoteStorage::from_url("memory://", &Default::default()).unwrap());
    let id = TimelineId::new("acme", "main").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::start(&env, dir.path()).await;
    node.create(&id, "", 0, 0).await.unwrap();
    let mut wl = Workload::new();
    let (good, bad) = (key(1), key(2));
    for k in [good, bad] {
        let p = wl.edited(k, |p| p[100] = 1);
        wl.write(vec![(k, p, true)]);
    }
    let base = Box::new(*wl.current(bad).unwrap());
    let mut next = base.clone();
    next[200] = 2;
    let bad_lsn = wl.commit_changes(|lsn| {
        let mut c = proto::redo::diff(bad, Some(&base), &next, lsn);
        c.crc_after ^= 0xdead;
        vec![c]
    });
    let p = wl.edited(good, |p| p[300] = 3);
    wl.write(vec![(good, p, false)]);
    env.publish(&id, START, &wl, START);
    node.wait_ingested(&id, wl.end()).await;

    let end = wl.end();
    let before = Lsn(bad_lsn.0 - 1);
    let r = node
        .get_pages(
            &id,
            &[(bad, end, end), (good, end, end), (bad, before, before)],
        )
        .await;
    let (code, msg) = error_of(&r[0]).expect("the bad page is not served");
    assert_eq!(code, pb::PageErrorCode::PageErrorQuarantined, "{msg}");
    assert!(msg.contains("rel 7 block 2"), "names the page: {msg}");
    check(&wl, good, end, Lsn::INVALID, &r[1]).unwrap();
    check(&wl, bad, before, Lsn::INVALID, &r[2]).unwrap();

    // A full image supersedes the bad change.
    let p = wl.edited(bad, |p| p[400] = 4);
    wl.write(vec![(bad, p, true)]);
    env.publish(&id, START, &wl, START);
    node.wait_ingested(&id, wl.end()).await;
    let r = node.get_pages(&id, &[(bad, wl.end(), wl.end())]).await;
    check(&wl, bad, wl.end(), Lsn::INVALID, &r[0]).unwrap();
    node.stop().await;
}
