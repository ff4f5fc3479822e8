//! Black-box test of the pageserver with real processes: three `strata
//! safekeeper`s, the compute's proposer driver ([`WalProposer`]) appending
//! records of full page images, and one `strata pageserver` on a `file://`
//! object store:
//!
//! 1. the pageserver creates the timeline (generation from the safekeepers)
//!    and serves every page written, at the LSN of its record;
//! 2. each safekeeper in turn is killed -9 while appends continue: the
//!    pageserver keeps up, failing over when its source goes away;
//! 3. the pageserver is killed -9 and restarted on an empty data dir: every
//!    page comes back from object storage plus WAL re-read from the
//!    safekeepers.
//!
//! Every wait is bounded.

use std::time::Duration;

use crate::harness::{Process, TestDir};
use proto::frame::record_framed_len;
use proto::grpc::pageserver as pb;
use proto::grpc::pageserver::pageserver_client::PageserverClient;
use proto::page::{Page, seal, set_page_lsn, zeroed_page};
use proto::redo::diff;
use proto::{Lsn, PageKey, Record, TimelineId};
use safekeeper::driver::{DriverConfig, WalProposer};
use tokio::time::timeout;

const KEYS: u32 = 12;

fn timeline() -> TimelineId {
    TimelineId::new("tenant1", "main").expect("valid names")
}

/// Appends one record writing a fresh image of `key`; returns the page as
/// the pageserver must serve it and the record's end.
async fn write(p: &WalProposer, start: Lsn, key: PageKey, fill: u8) -> (Box<Page>, Lsn) {
    let mut page = zeroed_page();
    page[100..400].fill(fill);
    let probe = Record::commit(0, vec![diff(key, None, &page, Lsn(0))]);
    let end = start + record_framed_len(&probe) as u64;
    let rec = Record::commit(i64::from(fill), vec![diff(key, None, &page, end)]);
    let got = timeout(Duration::from_secs(20), p.append(&rec))
        .await
        .expect("append in time")
        .expect("append");
    assert_eq!(
        got,
        (start, end),
        "the proposer placed the record where predicted"
    );
    set_page_lsn(&mut page, end);
    seal(&mut page);
    (page, end)
}

/// GetPages of every key at `lsn` (waiting for ingest up to it) equals
/// `pages`.
async fn check(ps: &Process, pages: &[Option<Box<Page>>], lsn: Lsn, what: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let result = async {
            let mut c = PageserverClient::connect(ps.url())
                .await
                .map_err(|e| e.to_string())?;
            let id = timeline();
            let batch = pb::GetPagesRequest {
                tenant: id.tenant.to_string(),
                timeline: id.timeline.to_string(),
                batch_id: 1,
                pages: (0..KEYS)
                    .map(|b| pb::GetPageRequest {
                        key: Some(PageKey::new(5, b).into()),
                        request_lsn: lsn.0,
                        not_modified_since: lsn.0,
                    })
                    .collect(),
            };
            let mut resp = c
                .get_pages(futures::stream::iter([batch]))
                .await
                .map_err(|e| e.to_string())?
                .into_inner();
            let r = resp
                .message()
                .await
                .map_err(|e| e.to_string())?
                .ok_or("no response")?;
            for (b, (got, want)) in r.pages.iter().zip(pages).enumerate() {
                match (&got.result, want) {
                    (Some(pb::page_result::Result::Page(p)), Some(w)) if p[..] == w[..] => {}
                    (Some(pb::page_result::Result::Error(e)), None)
                        if e.code() == pb::PageErrorCode::PageErrorNeverWritten => {}
                    (other, _) => return Err(format!("block {b}: {other:?}")),
                }
            }
            Ok::<(), String>(())
        }
        .await;
        match result {
            Ok(()) => return,
            Err(e) if tokio::time::Instant::now() > deadline => {
                panic!("{what}: {e}; pageserver log:\n{}", ps.log_tail(30))
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pageserver_serves_wal_from_real_safekeepers_and_survives_kill9() {
    let dir = TestDir::new("ps-cluster");
    let mut sks: Vec<Process> = (1..=3).map(|id| Process::safekeeper(&dir, id)).collect();
    for sk in &mut sks {
        sk.start();
    }
    let addrs: Vec<String> = sks.iter().map(|s| s.url()).collect();
    let mut cfg = DriverConfig::new(timeline(), addrs.clone(), 1);
    cfg.tick = Duration::from_millis(10);
    cfg.resend_after = Duration::from_millis(100);
    cfg.backoff_max = Duration::from_millis(100);
    cfg.start_timeout = Duration::from_secs(30);
    let p = timeout(Duration::from_secs(30), WalProposer::start(cfg))
        .await
        .expect("proposer elected in time")
        .expect("proposer elected");

    let store = dir.path().join("object-store");
    let ps_data = dir.path().join("ps-data");
    let store_url = format!("file://{}", store.display());
    let (data_arg, sk_arg) = (ps_data.display().to_string(), addrs.join(","));
    let mut ps = Process::new(
        &dir,
        "ps",
        &[
            "pageserver",
            "--listen",
            "{addr}",
            "--data-dir",
            &data_arg,
            "--object-store",
            &store_url,
            "--safekeepers",
            &sk_arg,
        ],
    );
    ps.start();
    let mut client = PageserverClient::connect(ps.url()).await.expect("connect");
    let id = timeline();
    let info = client
        .create_timeline(pb::CreateTimelineRequest {
            tenant: id.tenant.to_string(),
            timeline: id.timeline.to_string(),
            ..Default::default()
        })
        .await
        .expect("create timeline")
        .into_inner();
    assert!(info.generation >= 1);

    let mut pages: Vec<Option<Box<Page>>> = (0..KEYS).map(|_| None).collect();
    let mut lsn = p.ready_lsn();
    let mut fill = 0u8;
    for round in 0..4 {
        if round > 0 {
            sks[round - 1].kill9();
        }
        for _ in 0..15 {
            fill = fill.wrapping_add(1);
            let b = u32::from(fill) % KEYS;
            let (page, end) = write(&p, lsn, PageKey::new(5, b), fill).await;
            pages[b as usize] = Some(page);
            lsn = end;
        }
        check(&ps, &pages, lsn, &format!("round {round}")).await;
        if round > 0 {
            sks[round - 1].start();
        }
    }

    ps.kill9();
    std::fs::remove_dir_all(&ps_data).expect("wipe the pageserver's disk");
    ps.start();
    check(&ps, &pages, lsn, "after kill -9 and an empty disk").await;
}
