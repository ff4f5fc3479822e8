//! Generation fencing under deterministic interleavings: an older
//! pageserver's sync (upload, manifest, GC deletes) and a newer pageserver's
//! attach (generation, claim, manifest read, own manifest) are stopped at
//! chosen object-store steps by a [`Gate`] and released in a chosen order.
//! Whatever the order, the newest manifest lists only objects that exist and
//! the new pageserver serves every page the model expects.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::common::gate::Gate;
use crate::common::service::{Env, Node};
use crate::common::{START, Workload};
use crate::service::{check_all, objects, random_writes, seed};
use pageserver::timeline_handle::TimelineHandle;
use proto::TimelineId;
use rand::SeedableRng;
use rand::rngs::StdRng;
use remote_storage::{Op, RemoteStorage, layout};

fn id() -> TimelineId {
    TimelineId::new("acme", "main").unwrap()
}

/// Generation 1 on `env`: 60 records flushed and synced, then compacted and
/// GC'd locally, so its next sync uploads image layers, writes a manifest
/// without the old delta layers, and deletes their objects.
async fn old_generation_with_pending_gc(
    env: &Env,
    dir: &Path,
) -> (Node, Arc<TimelineHandle>, Workload) {
    let mut rng = StdRng::seed_from_u64(seed());
    let id = id();
    let mut old = Node::start(env, dir).await;
    old.create(&id, "", 0, 0).await.unwrap();
    let mut wl = Workload::new();
    random_writes(&mut wl, &mut rng, 60);
    env.publish(&id, START, &wl, START);
    old.wait_ingested(&id, wl.end()).await;
    let h = old.ps.timeline(&id).unwrap();
    old.ps.flush(&h).await.unwrap();
    old.ps.sync(&h).await.unwrap();
    let report = old.ps.compact(&h).await.unwrap();
    let gc = old.ps.gc(&h, report.lsn).await.unwrap();
    assert!(
        !gc.removed.is_empty(),
        "the next sync has objects to delete"
    );
    (old, h, wl)
}

/// Every layer object the newest manifest lists exists.
async fn assert_manifest_objects_exist(remote: &RemoteStorage, step: &str) {
    let id = id();
    let manifest = pageserver::remote::latest_manifest(remote, &id)
        .await
        .unwrap()
        .expect("a manifest");
    let present = objects(remote, &id).await;
    for l in &manifest.layers {
        let key = l.object_key(&id);
        assert!(
            present.contains(&key),
            "{step}: generation {}'s manifest lists {key}, which is gone",
            manifest.generation
        );
    }
}

/// The race of issue 8: the new pageserver has read the newest manifest but
/// not yet written its own, while the old one uploads a manifest without
/// some layers and deletes them. The new generation must never adopt a
/// manifest naming a deleted layer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_generation_never_adopts_a_layer_the_old_one_deleted() {
    let env = Env::new(RemoteStorage::from_url("memory://", &Default::default()).unwrap());
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (old, h1, wl) = old_generation_with_pending_gc(&env, d1.path()).await;

    let gate = Gate::new();
    gate.pause_after(Op::Get, "index-");
    let env2 = env.through(gate.clone());
    let path2 = d2.path().to_path_buf();
    let attach = tokio::spawn(async move { Node::start(&env2, &path2).await });
    let paused = gate.paused().await;
    eprintln!(
        "new pageserver read the manifest; paused before {:?} {}",
        paused.op, paused.key
    );

    let synced = old.ps.sync(&h1).await;
    eprintln!("old pageserver's sync meanwhile: {synced:?}");
    paused.release();
    let mut new = attach.await.unwrap();
    assert_manifest_objects_exist(&env.remote, "after the attach").await;
    check_all(&mut new, &id(), &wl, "new generation").await;
    drop(h1);
    old.stop().await;
    new.stop().await;
}

/// The old pageserver has written its manifest and passed its fencing check,
/// and is stopped just before deleting; a new pageserver attaches completely
/// meanwhile. The late deletes remove nothing the new generation lists: its
/// manifest was read after the old one's, which no longer lists them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_deletes_of_an_old_generation_touch_nothing_the_new_one_lists() {
    let base = Env::new(RemoteStorage::from_url("memory://", &Default::default()).unwrap());
    let gate = Gate::new();
    let env1 = base.through(gate.clone());
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (old, h1, wl) = old_generation_with_pending_gc(&env1, d1.path()).await;

    gate.pause_at(Op::Delete, "/layers/");
    let (ps, h) = (old.ps.clone(), h1.clone());
    let sync = tokio::spawn(async move { ps.sync(&h).await });
    let paused = gate.paused().await;
    eprintln!("old pageserver about to delete {}", paused.key);
    let mut new = Node::start(&base, d2.path()).await;
    paused.release();
    let report = sync.await.unwrap().expect("the old sync finishes");
    assert!(!report.deleted.is_empty(), "{report:?}");
    assert_manifest_objects_exist(&base.remote, "after the late deletes").await;
    check_all(&mut new, &id(), &wl, "new generation").await;
    drop(h1);
    old.stop().await;
    new.stop().await;
}

/// The old pageserver is stopped just before it writes its manifest; a new
/// pageserver attaches completely (adopting the manifest that still lists
/// the layers). The old one's manifest then lands, but its check after
/// writing it finds the newer generation: it is fenced and deletes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_generation_fenced_after_its_manifest_put_deletes_nothing() {
    let base = Env::new(RemoteStorage::from_url("memory://", &Default::default()).unwrap());
    let gate = Gate::new();
    let env1 = base.through(gate.clone());
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (old, h1, wl) = old_generation_with_pending_gc(&env1, d1.path()).await;

    gate.pause_at(Op::Put, "index-");
    let (ps, h) = (old.ps.clone(), h1.clone());
    let sync = tokio::spawn(async move { ps.sync(&h).await });
    let paused = gate.paused().await;
    let mut new = Node::start(&base, d2.path()).await;
    let before = objects(&base.remote, &id()).await;
    paused.release();
    let err = sync.await.unwrap().expect_err("fenced");
    assert!(matches!(err, pageserver::Error::Fenced { .. }), "{err}");
    let after = objects(&base.remote, &id()).await;
    for k in before.iter().filter(|k| k.contains("/layers/")) {
        assert!(after.contains(k), "{k} deleted by a fenced generation");
    }
    assert_manifest_objects_exist(&base.remote, "after the fenced sync").await;
    check_all(&mut new, &id(), &wl, "new generation").await;
    drop(h1);
    old.stop().await;
    new.stop().await;
}

/// An attach that dies right after claiming its generation in object
/// storage (its claim marker written, no manifest yet) fences the old
/// pageserver at once, and the next attach reads past the marker to the
/// newest real manifest, then deletes the marker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_marker_of_a_crashed_attach_fences_and_is_skipped() {
    let env = Env::new(RemoteStorage::from_url("memory://", &Default::default()).unwrap());
    let (d1, d2, d3) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let (old, h1, wl) = old_generation_with_pending_gc(&env, d1.path()).await;

    let gate = Gate::new();
    gate.pause_after(Op::PutIfAbsent, "index-");
    let env2 = env.through(gate.clone());
    let path2 = d2.path().to_path_buf();
    let attach = tokio::spawn(async move { Node::start(&env2, &path2).await });
    let paused = gate.paused().await;
    attach.abort();
    assert!(matches!(attach.await, Err(e) if e.is_cancelled()));
    drop(paused);
    let marker = layout::index_key(&id(), 2);
    assert!(objects(&env.remote, &id()).await.contains(&marker));

    let err = old.ps.sync(&h1).await.expect_err("fenced by the claim");
    assert!(
        matches!(err, pageserver::Error::Fenced { newer: 2, .. }),
        "{err}"
    );
    let mut new = Node::start(&env, d3.path()).await;
    assert_eq!(new.status(&id()).await.generation, 3);
    assert_manifest_objects_exist(&env.remote, "third attach").await;
    check_all(&mut new, &id(), &wl, "third generation").await;
    let left = objects(&env.remote, &id()).await;
    assert!(!left.contains(&marker), "the dead claim is cleaned up");
    drop(h1);
    old.stop().await;
    new.stop().await;
}

/// The cleanup after an attach (generation 2) is stopped after listing the
/// timeline's objects and before its check; generation 3 attaches
/// completely meanwhile (and cleans up itself). Generation 2's check then
/// finds 3 and deletes nothing; everything generation 3 lists exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cleanup_superseded_after_its_listing_deletes_nothing() {
    let env = Env::new(RemoteStorage::from_url("memory://", &Default::default()).unwrap());
    let (d1, d2, d3) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let (old, h1, wl) = old_generation_with_pending_gc(&env, d1.path()).await;
    old.ps.sync(&h1).await.unwrap();
    drop(h1);
    old.stop().await;
    let orphan = format!(
        "{}/layers/000000000000000000000000000000000000-{:016x}",
        layout::timeline_prefix(&id()),
        1
    );
    env.remote
        .put(&orphan, bytes::Bytes::from_static(b"x"))
        .await
        .unwrap();

    let gate = Gate::new();
    gate.pause_after(Op::List, "timelines/main");
    let env2 = env.through(gate.clone());
    let path2 = d2.path().to_path_buf();
    let attach = tokio::spawn(async move { Node::start(&env2, &path2).await });
    let paused = gate.paused().await;
    assert_eq!(paused.op, Op::ListDir, "the check after the listing");
    let mut newest = Node::start(&env, d3.path()).await;
    assert_eq!(newest.status(&id()).await.generation, 3);
    paused.release();
    let stale = attach.await.unwrap();
    let deletes = gate
        .log()
        .iter()
        .filter(|(op, _)| *op == Op::Delete)
        .count();
    assert_eq!(deletes, 0, "a superseded cleanup deleted something");
    assert_manifest_objects_exist(&env.remote, "after both cleanups").await;
    assert!(!objects(&env.remote, &id()).await.contains(&orphan));
    check_all(&mut newest, &id(), &wl, "generation 3").await;
    stale.stop().await;
    newest.stop().await;
}

/// Status never waits behind an upload: a sync stopped inside its manifest upload (an
/// object store that takes its time) holds the timeline's remote lock, and the timeline's
/// status still answers at once, with what was last published; once the sync finishes,
/// status shows its result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_answers_while_an_upload_is_stuck() {
    let base = Env::new(RemoteStorage::from_url("memory://", &Default::default()).unwrap());
    let gate = Gate::new();
    let env = base.through(gate.clone());
    let dir = tempfile::tempdir().unwrap();
    let (mut node, h, _wl) = old_generation_with_pending_gc(&env, dir.path()).await;
    let before = node.status(&id()).await;

    gate.pause_at(Op::Put, "index-");
    let (ps, h2) = (node.ps.clone(), h.clone());
    let sync = tokio::spawn(async move { ps.sync(&h2).await });
    let paused = gate.paused().await;
    let during = tokio::time::timeout(Duration::from_secs(2), node.status(&id()))
        .await
        .expect("status answers while the manifest upload is stuck");
    assert_eq!(
        (during.layer_count, during.layer_bytes),
        (before.layer_count, before.layer_bytes),
        "the published manifest"
    );
    paused.release();
    sync.await.unwrap().expect("the sync finishes");
    let after = node.status(&id()).await;
    assert_ne!(
        (after.layer_count, after.layer_bytes),
        (before.layer_count, before.layer_bytes),
        "status shows the sync's manifest (compaction and GC changed the layers)"
    );
    drop(h);
    node.stop().await;
}
