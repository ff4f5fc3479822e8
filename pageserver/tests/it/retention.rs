//! LSN leases and branch points survive what a pageserver can go through: a
//! restart on its disk, an attach on an empty disk, a child timeline that is
//! never attached. Each time GC is bounded by them and reads at them are
//! served right.

use crate::common::service::{Env, Node};
use crate::common::{START, Workload};
use crate::service::{check_all, random_writes, seed};
use proto::{Lsn, TimelineId};
use rand::SeedableRng;
use rand::rngs::StdRng;
use remote_storage::{RemoteStorage, layout};

fn memory_env() -> Env {
    Env::new(RemoteStorage::from_url("memory://", &Default::default()).unwrap())
}

/// GC on `node`'s `id` to its last record, compacted first so there is
/// something to collect: the cutoff it applied.
async fn gc_to_the_end(node: &Node, id: &TimelineId, end: Lsn) -> Lsn {
    let h = node.ps.timeline(id).unwrap();
    node.ps.flush(&h).await.unwrap();
    node.ps.compact(&h).await.unwrap();
    node.ps.gc(&h, Some(end)).await.unwrap().cutoff
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_survives_a_restart_and_a_wiped_disk_and_bounds_gc() {
    let mut rng = StdRng::seed_from_u64(seed());
    let env = memory_env();
    let id = TimelineId::new("acme", "main").unwrap();
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut node = Node::start(&env, d1.path()).await;
    node.create(&id, "", 0, 0).await.unwrap();
    let mut wl = Workload::new();
    random_writes(&mut wl, &mut rng, 60);
    env.publish(&id, START, &wl, START);
    node.wait_ingested(&id, wl.end()).await;
    let h = node.ps.timeline(&id).unwrap();
    node.ps.flush(&h).await.unwrap();
    node.ps.sync(&h).await.unwrap();
    drop(h);

    // Granted after the last sync: only the grant itself made it durable.
    let leased = wl.records[30].1;
    let lease = node
        .lease(&id, leased, 600_000)
        .await
        .expect("lease granted");
    assert!(lease.valid_until_unix_ms > 0);
    node.stop().await;

    let mut node = Node::start(&env, d1.path()).await;
    node.wait_ingested(&id, wl.end()).await;
    assert_eq!(
        gc_to_the_end(&node, &id, wl.end()).await,
        leased,
        "after a restart GC stops at the lease"
    );
    check_all(&mut node, &id, &wl, "after a restart").await;
    node.stop().await;

    let mut node = Node::start(&env, d2.path()).await;
    node.wait_ingested(&id, wl.end()).await;
    assert_eq!(
        gc_to_the_end(&node, &id, wl.end()).await,
        leased,
        "after an attach on an empty disk GC stops at the lease"
    );
    check_all(&mut node, &id, &wl, "after a wiped disk").await;
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_branch_point_protects_the_parent_from_creation_on_even_if_the_child_never_attaches() {
    let mut rng = StdRng::seed_from_u64(seed());
    let env = memory_env();
    let main = TimelineId::new("acme", "main").unwrap();
    let dev = TimelineId::new("acme", "dev").unwrap();
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut node = Node::start(&env, d1.path()).await;
    node.create(&main, "", 0, 0).await.unwrap();
    let mut wl = Workload::new();
    random_writes(&mut wl, &mut rng, 25);
    env.publish(&main, START, &wl, START);
    node.wait_ingested(&main, wl.end()).await;
    let branch_at = wl.end();
    node.create(&dev, "main", 0, 0).await.unwrap();
    let wl_dev = wl.clone();
    random_writes(&mut wl, &mut rng, 40);
    env.publish(&main, START, &wl, START);
    node.wait_ingested(&main, wl.end()).await;
    let h = node.ps.timeline(&main).unwrap();
    node.ps.flush(&h).await.unwrap();
    node.ps.sync(&h).await.unwrap();
    drop(h);
    node.stop().await;

    // The child's attach fails from now on (its manifest is damaged): main
    // must keep its history at the branch point all the same.
    let dev_index = {
        let gens = pageserver::remote::manifest_generations(&env.remote, &dev)
            .await
            .unwrap();
        layout::index_key(&dev, *gens.last().expect("dev has a manifest"))
    };
    let dev_manifest = env.remote.get(&dev_index).await.unwrap();
    env.remote
        .put(&dev_index, bytes::Bytes::from_static(b"{damaged"))
        .await
        .unwrap();
    let node = Node::start(&env, d1.path()).await;
    assert!(node.ps.timeline(&dev).is_err(), "dev is broken");
    node.wait_ingested(&main, wl.end()).await;
    assert_eq!(
        gc_to_the_end(&node, &main, wl.end()).await,
        branch_at,
        "after a restart GC on main stops at dev's branch point"
    );
    let h = node.ps.timeline(&main).unwrap();
    node.ps.sync(&h).await.unwrap();
    drop(h);
    node.stop().await;

    // On an empty disk too; then the child, repaired, reads its branch point.
    env.remote.put(&dev_index, dev_manifest).await.unwrap();
    let mut node = Node::start(&env, d2.path()).await;
    node.wait_ingested(&main, wl.end()).await;
    assert_eq!(
        gc_to_the_end(&node, &main, wl.end()).await,
        branch_at,
        "after an attach on an empty disk GC on main stops at dev's branch point"
    );
    check_all(&mut node, &dev, &wl_dev, "dev at its branch point").await;
    check_all(&mut node, &main, &wl, "main").await;
    node.stop().await;
}
