//! The compute's lease task against a real pageserver, in process: the oldest snapshot a
//! compute holds is leased (and GC stops there); a snapshot GC has already passed cannot be
//! leased and is reported as too old; and a read at it fails with the pageserver's
//! GC-horizon error rather than returning a page.

use std::sync::Arc;
use std::time::Duration;

use compute::engine::horizon::Snapshots;
use compute::page_cache::{CacheConfig, PageCache};
use compute::page_client::{PageClient, PageClientConfig, PageError};
use compute::server::SnapshotLeases;
use pageserver::{Config, CreateTimeline, MemoryGenerations, MemoryWalSource, Pageserver, grpc};
use proto::{Lsn, PageKey, TimelineId};
use remote_storage::RemoteStorage;
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_oldest_snapshot_is_leased_and_one_gc_passed_fails_clearly() {
    let data = tempfile::tempdir().unwrap();
    let remote = RemoteStorage::from_url("memory://", &Default::default()).unwrap();
    let mut config = Config::new(
        "127.0.0.1:0".parse().unwrap(),
        data.path().to_path_buf(),
        remote.url().to_string(),
    );
    config.maintenance_interval = None;
    let wal = Arc::new(MemoryWalSource::new(64 << 10));
    let ps = Pageserver::start(
        config,
        remote,
        wal.clone(),
        Arc::new(MemoryGenerations::new()),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    let id = TimelineId::new("acme", "main").unwrap();
    ps.create_timeline(CreateTimeline {
        id: id.clone(),
        ancestor: None,
        ancestor_lsn: None,
        ancestor_timestamp_us: None,
    })
    .await
    .unwrap();
    let (addr, _server) = grpc::spawn(ps.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    // Twenty (empty) commits ingested: record ends to take snapshots at.
    let ends: Vec<Lsn> = (0..20)
        .map(|i| {
            let record = proto::Record::commit(i, Vec::new());
            wal.append(
                &id,
                Lsn::TIMELINE_START,
                &proto::frame::encode_record(&record),
            )
        })
        .collect();
    let h = ps.timeline(&id).unwrap();
    h.wait_for(ends[19], Duration::from_secs(30)).await.unwrap();

    // A transaction holds a snapshot; the task leases it, once (then it is covered).
    let snapshots = Snapshots::new();
    let held = ends[10];
    let hold = snapshots.hold(|| held);
    let mut leases = SnapshotLeases::new(
        &addr.to_string(),
        id.clone(),
        snapshots.clone(),
        Duration::from_secs(60),
        &proto::auth::Token::none(),
        None,
    )
    .unwrap();
    assert_eq!(leases.step().await.unwrap(), Some(held));
    assert_eq!(leases.step().await.unwrap(), None, "covered until renewal");
    let gc = ps.gc(&h, Some(ends[19])).await.unwrap();
    assert_eq!(gc.cutoff, held, "GC stops at the leased snapshot");

    // An older snapshot (one GC already passed) cannot be leased: a clear error.
    drop(hold);
    let too_old = ends[5];
    let _old = snapshots.hold(|| too_old);
    let err = leases.step().await.unwrap_err().to_string();
    assert!(err.contains("too old") && err.contains("GC"), "{err}");

    // And a read at it fails with the GC-horizon error, never with a page.
    let client = PageClient::connect(
        &addr.to_string(),
        id.clone(),
        tokio::runtime::Handle::current(),
        PageClientConfig::default(),
    )
    .unwrap();
    let cache = PageCache::new(client, CacheConfig::default(), held);
    let read = tokio::task::spawn_blocking(move || {
        (
            cache.get_at(PageKey::new(5, 0), too_old),
            cache.get_at(PageKey::new(5, 0), held),
        )
    })
    .await
    .unwrap();
    assert!(
        matches!(&read.0, Err(PageError::BelowGcHorizon { .. })),
        "{:?}",
        read.0
    );
    assert!(matches!(read.1, Ok(None)), "at the lease: {:?}", read.1);
    drop(h);
    ps.shutdown().await;
}
