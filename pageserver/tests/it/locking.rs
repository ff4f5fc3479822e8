//! The timeline's lock against a slow object store (issue 8: a soak on moto
//! stopped the pageserver). A read that must download a layer once held the
//! timeline's read lock across the download; ingest then waited for the
//! write lock, and, the lock preferring writers, so did the status RPC — on
//! a tokio worker. With every worker stuck the download's own I/O never ran.
//! Here the download is paused at the object store on a 2-worker runtime:
//! ingest and status must go on, and the read must finish once the download
//! is let go.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::START;
use crate::common::gate::Gate;
use crate::common::service::{Env, Node};
use pageserver::timeline_handle::TimelineHandle;
use proto::grpc::PageRequest;
use proto::{Lsn, PageKey, TimelineId};
use remote_storage::{Op, RemoteStorage};

const KEYS: u32 = 16;

fn key(b: u32) -> PageKey {
    PageKey::new(9, b * 100)
}

/// Polls (at most `within`) until `done`.
async fn eventually(within: Duration, done: impl Fn() -> bool) -> bool {
    let until = Instant::now() + within;
    while !done() {
        if Instant::now() >= until {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_layer_download_stops_neither_ingest_nor_status() {
    let base = Env::new(RemoteStorage::from_url("memory://", &Default::default()).unwrap());
    let gate = Gate::new();
    let env = base.through(gate.clone());
    let id = TimelineId::new("acme", "main").unwrap();

    // Generation 1 writes a full image of every key, flushes and uploads it.
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::start(&env, dir.path()).await;
    node.create(&id, "", 0, 0).await.unwrap();
    let mut wl = node
        .ingest_one_image_per_key(&env, &id, (0..KEYS).map(key))
        .await;
    let h = node.ps.timeline(&id).unwrap();
    node.ps.flush(&h).await.unwrap();
    node.ps.sync(&h).await.unwrap();
    drop(h);
    node.stop().await;

    // Generation 2 on a wiped disk: every layer is remote.
    let wiped = tempfile::tempdir().unwrap();
    let mut node = Node::start(&env, wiped.path()).await;
    let h: Arc<TimelineHandle> = node.ps.timeline(&id).unwrap();
    let first_end = wl.end();

    // A read that needs a layer; its download stops at the object store.
    gate.pause_at(Op::Get, "/layers/");
    let (ps, h2) = (node.ps.clone(), h.clone());
    let req = PageRequest {
        key: key(3),
        request_lsn: first_end,
        not_modified_since: first_end,
    };
    let read = tokio::spawn(async move { pageserver::read::get_pages(&ps, &h2, vec![req]).await });
    let paused = gate.paused().await;

    // New WAL arrives: ingest wants the write lock.
    for b in 0..KEYS {
        let page = wl.edited(key(b), |p| p[2000] = 7);
        wl.write(vec![(key(b), page, false)]);
    }
    env.publish(&id, START, &wl, first_end);
    // Either ingest got through, or it waits for the write lock (then a
    // reader holds the lock across the download, and the lock admits no new
    // reader: `try_read` fails).
    let ingested_or_waiting = eventually(Duration::from_secs(2), || {
        h.last_record_lsn() >= wl.end() || h.try_read().is_none()
    })
    .await;
    assert!(ingested_or_waiting, "ingest neither ran nor waited");

    let status = tokio::time::timeout(Duration::from_secs(2), node.status(&id))
        .await
        .expect("status answers while a layer download is stuck");
    assert_eq!(status.gc_cutoff_lsn, 0);
    assert!(
        h.wait_for(wl.end(), Duration::from_secs(2)).await.is_ok(),
        "ingest goes on while a layer download is stuck (ingested up to {}, want {})",
        h.last_record_lsn(),
        wl.end()
    );
    assert!(!read.is_finished(), "the read waits for its download");

    paused.release();
    let got = tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("the read finishes once the download goes on")
        .unwrap();
    let page = got[0].as_ref().expect("the page");
    let want = wl.expected(key(3), first_end).expect("written");
    assert_eq!(&page[..], &want[..], "the page at the read's LSN");

    // And the latest state, read through the service.
    let r = node.get_pages(&id, &[(key(3), wl.end(), wl.end())]).await;
    crate::common::service::check(&wl, key(3), wl.end(), Lsn::INVALID, &r[0])
        .expect("the latest page");
    drop(h);
    node.stop().await;
}
