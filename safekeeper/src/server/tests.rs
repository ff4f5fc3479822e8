//! In-process tests of the safekeeper server: real gRPC on 127.0.0.1:0, a
//! real data directory, and a proposer driven by hand (plain protobuf
//! requests), so each test reads as the protocol exchange it checks.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use proto::Lsn;
use proto::grpc::safekeeper as pb;
use proto::grpc::safekeeper::safekeeper_client::SafekeeperClient;
use tokio_util::sync::CancellationToken;
use tonic::Code;
use tonic::transport::Channel;

use super::{Config, Running, start};
use crate::error::Error;

const START: Lsn = Lsn::TIMELINE_START;
const WAIT: Duration = Duration::from_secs(20);

/// A temporary directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "strata-sk-server-{tag}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create test directory");
        TempDir(path)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running in-process safekeeper.
struct Node {
    cancel: CancellationToken,
    running: Option<Running>,
    client: SafekeeperClient<Channel>,
}

impl Node {
    async fn start(config: Config) -> Node {
        let cancel = CancellationToken::new();
        let running = start(config, cancel.clone())
            .await
            .expect("start safekeeper");
        let client = SafekeeperClient::connect(format!("http://{}", running.addr))
            .await
            .expect("connect");
        Node {
            cancel,
            running: Some(running),
            client,
        }
    }

    fn addr(&self) -> String {
        self.running.as_ref().expect("running").addr.to_string()
    }

    async fn stop(mut self) {
        self.cancel.cancel();
        let running = self.running.take().expect("running");
        tokio::time::timeout(WAIT, running.wait())
            .await
            .expect("server stops in time")
            .expect("server stops cleanly");
    }
}

fn config(node_id: u64, dir: &Path) -> Config {
    let mut c = Config::new(node_id, "127.0.0.1:0".parse().unwrap(), dir);
    c.persist_interval = Duration::from_millis(50);
    c.maintenance_interval = Duration::from_millis(50);
    c.recovery_idle = Duration::from_millis(200);
    c
}

fn tl(name: &str) -> pb::TimelineRef {
    pb::TimelineRef {
        tenant: "default".into(),
        timeline: name.into(),
    }
}

/// Framed WAL of one record: `len` bytes of `fill`.
fn record(len: usize, fill: u8) -> Bytes {
    let mut out = BytesMut::new();
    proto::frame::encode_frames(&vec![fill; len], &mut out);
    out.freeze()
}

/// Greets, wins `term` (history: a single entry at the timeline start) and
/// sends `Elected`, as a proposer of a fresh timeline would.
async fn elect(c: &mut SafekeeperClient<Channel>, t: &pb::TimelineRef, term: u64, proposer: u64) {
    let g = c
        .greet(pb::GreetRequest {
            timeline: Some(t.clone()),
            proposer_id: proposer,
            timeline_start_lsn: START.0,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(g.timeline_start_lsn, START.0);
    let v = c
        .vote(pb::VoteRequest {
            timeline: Some(t.clone()),
            term,
            proposer_id: proposer,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(v.granted, "{v:?}");
    let e = c
        .elected(pb::ElectedRequest {
            timeline: Some(t.clone()),
            term,
            term_history: vec![pb::TermEntry {
                term,
                start_lsn: START.0,
            }],
            commit_lsn: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(e.accepted, "{e:?}");
}

/// Appends `records` contiguously from `at` on one stream, all sent before
/// any ack is read; returns the acks and the end LSN.
async fn append(
    c: &mut SafekeeperClient<Channel>,
    t: &pb::TimelineRef,
    term: u64,
    at: Lsn,
    records: &[Bytes],
    commit_each: bool,
) -> (Vec<pb::AppendResponse>, Lsn) {
    let mut reqs = Vec::new();
    let mut lsn = at;
    for r in records {
        let end = lsn + r.len() as u64;
        reqs.push(pb::AppendRequest {
            timeline: Some(t.clone()),
            term,
            begin_lsn: lsn.0,
            wal: r.clone(),
            commit_lsn: if commit_each { end.0 } else { 0 },
            truncate_lsn: 0,
        });
        lsn = end;
    }
    let n = reqs.len();
    let mut acks = c
        .append(tokio_stream::iter(reqs))
        .await
        .unwrap()
        .into_inner();
    let mut out = Vec::new();
    while out.len() < n {
        let ack = tokio::time::timeout(WAIT, acks.next())
            .await
            .expect("ack in time")
            .expect("an ack per request")
            .expect("ack ok");
        out.push(ack);
    }
    (out, lsn)
}

async fn status(c: &mut SafekeeperClient<Channel>, t: &pb::TimelineRef) -> pb::StatusResponse {
    c.status(pb::StatusRequest {
        timeline: Some(t.clone()),
    })
    .await
    .unwrap()
    .into_inner()
}

/// Reads committed WAL `[from, commit)` with `stop_at_commit`.
async fn read_all(c: &mut SafekeeperClient<Channel>, t: &pb::TimelineRef, from: Lsn) -> Vec<u8> {
    let mut s = c
        .read_wal(pb::ReadWalRequest {
            timeline: Some(t.clone()),
            start_lsn: from.0,
            stop_at_commit: true,
            include_uncommitted: false,
            term: 0,
            reader: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut out = Vec::new();
    while let Some(chunk) = tokio::time::timeout(WAIT, s.next())
        .await
        .expect("chunk in time")
    {
        let chunk = chunk.expect("chunk ok");
        assert_eq!(chunk.start_lsn, from.0 + out.len() as u64);
        out.extend_from_slice(&chunk.wal);
    }
    out
}

fn fsyncs(node_id: u64, timeline: &str) -> u64 {
    let id = proto::TimelineId::new("default", timeline).unwrap();
    super::metrics::TimelineMetrics::new(node_id, &id)
        .fsyncs
        .get()
}

/// Polls `f` until it holds (or fails the test after `WAIT`).
async fn eventually<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    while !f().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_segment_size_that_is_not_a_power_of_two_is_refused_at_start() {
    let dir = TempDir::new("badsegment");
    let mut c = config(1, dir.path());
    c.segment_size = 3 << 20;
    let cancel = CancellationToken::new();
    match start(c, cancel).await {
        Err(Error::InvalidRequest(m)) => assert!(m.contains("3145728"), "{m}"),
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a 3 MiB segment size was accepted"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_and_the_vote_survives_restart() {
    let dir = TempDir::new("roundtrip");
    let t = tl("roundtrip");
    let mut node = Node::start(config(1, dir.path())).await;
    elect(&mut node.client, &t, 1, 100).await;
    let recs: Vec<_> = (0..3).map(|i| record(100 + i, i as u8)).collect();
    let (acks, end) = append(&mut node.client, &t, 1, START, &recs, true).await;
    assert!(acks.iter().all(|a| a.accepted && a.term == 1));
    assert_eq!(acks.last().unwrap().flush_lsn, end.0);
    assert_eq!(acks.last().unwrap().commit_lsn, end.0);
    // A second timeline on the same safekeeper, at another term.
    let other = tl("roundtrip-other");
    elect(&mut node.client, &other, 4, 300).await;
    let one = [record(10, 7)];
    let (_, other_end) = append(&mut node.client, &other, 4, START, &one, true).await;
    let listed = node
        .client
        .list_timelines(pb::ListTimelinesRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.timelines, vec![t.clone(), other.clone()]);
    node.stop().await;

    // Same data directory: the vote, the WAL and the commit_lsn are there.
    let mut node = Node::start(config(1, dir.path())).await;
    let s = status(&mut node.client, &t).await;
    assert_eq!((s.term, s.flush_lsn, s.commit_lsn), (1, end.0, end.0));
    let again = node
        .client
        .vote(pb::VoteRequest {
            timeline: Some(t.clone()),
            term: 1,
            proposer_id: 200,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!again.granted, "a second vote in term 1 after restart");
    let wal = read_all(&mut node.client, &t, START).await;
    assert_eq!(wal, recs.concat());
    let s = status(&mut node.client, &other).await;
    assert_eq!((s.term, s.commit_lsn), (4, other_end.0));
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_term_append_is_rejected_and_input_is_validated() {
    let dir = TempDir::new("fence");
    let t = tl("fence");
    let mut node = Node::start(config(1, dir.path())).await;
    elect(&mut node.client, &t, 1, 100).await;
    let (_, end) = append(&mut node.client, &t, 1, START, &[record(50, 1)], true).await;
    // A second proposer wins term 2; the first one's append is refused.
    let v = node
        .client
        .vote(pb::VoteRequest {
            timeline: Some(t.clone()),
            term: 2,
            proposer_id: 200,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(v.granted);
    let (acks, _) = append(&mut node.client, &t, 1, end, &[record(50, 2)], true).await;
    assert!(!acks[0].accepted);
    assert_eq!(acks[0].term, 2);
    assert_eq!(acks[0].flush_lsn, end.0);

    // Bad input is rejected at the boundary.
    let err = node
        .client
        .vote(pb::VoteRequest {
            timeline: Some(t.clone()),
            term: 0,
            proposer_id: 1,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let err = node
        .client
        .status(pb::StatusRequest {
            timeline: Some(tl("missing")),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_wal_tails_live_appends_and_checks_the_donor_term() {
    let dir = TempDir::new("tail");
    let t = tl("tail");
    let mut node = Node::start(config(1, dir.path())).await;
    elect(&mut node.client, &t, 1, 100).await;
    // Two live readers at once.
    let mut tails = Vec::new();
    for i in 0..2 {
        let req = pb::ReadWalRequest {
            timeline: Some(t.clone()),
            start_lsn: START.0,
            stop_at_commit: false,
            include_uncommitted: false,
            term: 0,
            reader: format!("replica {i}"),
        };
        tails.push(node.client.read_wal(req).await.unwrap().into_inner());
    }
    let mut at = START;
    let mut expected = Vec::new();
    for i in 0..3u8 {
        let rec = record(1000 * (i as usize + 1), i);
        let one = std::slice::from_ref(&rec);
        let (_, end) = append(&mut node.client, &t, 1, at, one, true).await;
        expected.extend_from_slice(&rec);
        for tail in &mut tails {
            let mut got = Vec::new();
            while got.len() < rec.len() {
                let chunk = tokio::time::timeout(WAIT, tail.next())
                    .await
                    .expect("live chunk")
                    .expect("stream open")
                    .expect("chunk ok");
                assert_eq!(chunk.term, 1);
                assert!(chunk.commit_lsn >= chunk.start_lsn + chunk.wal.len() as u64);
                got.extend_from_slice(&chunk.wal);
            }
            assert_eq!(got, rec.to_vec());
        }
        at = end;
    }
    // Status lists both live streams with what they were sent; unnamed ones
    // (read_all below) are not listed.
    let st = status(&mut node.client, &t).await;
    let mut names: Vec<(String, u64)> = st
        .readers
        .iter()
        .map(|r| (r.name.clone(), r.sent_lsn))
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            ("replica 0".to_string(), at.0),
            ("replica 1".to_string(), at.0)
        ]
    );
    assert!(st.last_append_ms_ago.is_some());
    // The WAL written is dated, its newest sample at the durable end.
    let newest = st.wal_ages.last().expect("WAL dated");
    assert_eq!(newest.lsn, st.flush_lsn);
    assert!(newest.ms_ago < 60_000, "{newest:?}");
    // A stream whose reader went away is no longer listed.
    drop(tails);
    let deadline = tokio::time::Instant::now() + WAIT;
    while !status(&mut node.client, &t).await.readers.is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "readers still listed"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Uncommitted WAL: invisible to readers, served to a donor read of the
    // right term only.
    let (_, end) = append(&mut node.client, &t, 1, at, &[record(300, 9)], false).await;
    assert_eq!(read_all(&mut node.client, &t, START).await, expected);
    let mut donor = node
        .client
        .read_wal(pb::ReadWalRequest {
            timeline: Some(t.clone()),
            start_lsn: at.0,
            stop_at_commit: true,
            include_uncommitted: true,
            term: 1,
            reader: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let chunk = donor.next().await.unwrap().unwrap();
    assert_eq!(
        (chunk.start_lsn, chunk.start_lsn + chunk.wal.len() as u64),
        (at.0, end.0)
    );
    let err = node
        .client
        .read_wal(pb::ReadWalRequest {
            timeline: Some(t.clone()),
            start_lsn: at.0,
            stop_at_commit: true,
            include_uncommitted: true,
            term: 5,
            reader: String::new(),
        })
        .await
        .expect_err("a donor read for another term fails");
    assert_eq!(err.code(), Code::FailedPrecondition);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_commit_shares_fsyncs() {
    let dir = TempDir::new("group");
    let t = tl("group-commit");
    let mut node = Node::start(config(1, dir.path())).await;
    elect(&mut node.client, &t, 1, 100).await;
    let before = fsyncs(1, "group-commit");
    let recs: Vec<_> = (0..32).map(|i| record(200, i as u8)).collect();
    let (acks, end) = append(&mut node.client, &t, 1, START, &recs, true).await;
    assert!(acks.iter().all(|a| a.accepted));
    assert_eq!(acks.last().unwrap().flush_lsn, end.0);
    let used = fsyncs(1, "group-commit") - before;
    eprintln!("32 pipelined appends: {used} fsyncs");
    assert!((1..=8).contains(&used), "32 appends took {used} fsyncs");
    let names: Vec<_> = prometheus::gather()
        .iter()
        .map(|f| f.name().to_string())
        .collect();
    for want in [
        "strata_safekeeper_fsyncs_total",
        "strata_safekeeper_fsync_seconds",
        "strata_safekeeper_append_bytes_total",
        "strata_safekeeper_flush_lsn",
        "strata_safekeeper_commit_lsn",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
    node.stop().await;
}

/// The lean Append wire (`crate::wire`) on the gRPC port: 32 pipelined
/// appends sent in one write share a few fsyncs and get one reply each, in
/// order; a request without a timeline ends the stream with an error frame;
/// a connection that does not send the magic is not answered as lean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lean_append_wire_group_commits_and_ends_on_bad_input() {
    use tokio::io::AsyncWriteExt;
    let dir = TempDir::new("lean");
    let t = tl("lean-wire");
    let mut node = Node::start(config(1, dir.path())).await;
    elect(&mut node.client, &t, 1, 100).await;
    let before = fsyncs(1, "lean-wire");
    let (mut inbound, mut out) = crate::wire::connect(&node.addr(), "", WAIT, None)
        .await
        .expect("lean connection");
    let mut buf = BytesMut::new();
    let mut lsn = START;
    for i in 0..32u8 {
        let r = record(200, i);
        let end = lsn + r.len() as u64;
        let req = pb::AppendRequest {
            timeline: Some(t.clone()),
            term: 1,
            begin_lsn: lsn.0,
            wal: r,
            commit_lsn: end.0,
            truncate_lsn: 0,
        };
        crate::wire::encode_request(&req, &mut buf).unwrap();
        lsn = end;
    }
    out.write_all(&buf).await.unwrap();
    let mut flushed = Vec::new();
    for _ in 0..32 {
        let frame = tokio::time::timeout(WAIT, inbound.next())
            .await
            .expect("reply in time")
            .expect("a reply per request")
            .expect("readable");
        let ack = crate::wire::decode_response(frame.freeze())
            .expect("well-formed")
            .expect("not an error");
        assert!(ack.accepted);
        flushed.push(ack.flush_lsn);
    }
    assert!(flushed.is_sorted(), "replies out of order: {flushed:?}");
    assert_eq!(*flushed.last().unwrap(), lsn.0);
    let used = fsyncs(1, "lean-wire") - before;
    assert!((1..=8).contains(&used), "32 appends took {used} fsyncs");

    let mut buf = BytesMut::new();
    let bad = pb::AppendRequest {
        timeline: None,
        term: 1,
        begin_lsn: lsn.0,
        wal: Bytes::new(),
        commit_lsn: 0,
        truncate_lsn: 0,
    };
    crate::wire::encode_request(&bad, &mut buf).unwrap();
    out.write_all(&buf).await.unwrap();
    let frame = tokio::time::timeout(WAIT, inbound.next())
        .await
        .expect("error in time")
        .expect("an error frame")
        .expect("readable");
    let why = crate::wire::decode_response(frame.freeze())
        .expect("well-formed")
        .expect_err("a request without a timeline is refused");
    assert!(why.contains("InvalidArgument"), "{why}");
    let after = tokio::time::timeout(WAIT, inbound.next())
        .await
        .expect("closed in time");
    assert!(
        after.is_none_or(|r| r.is_err()),
        "the stream ends after an error"
    );

    // gRPC still works on the same port after lean connections came and went.
    assert_eq!(status(&mut node.client, &t).await.flush_lsn, lsn.0);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generations_and_feedback() {
    let dir = TempDir::new("gens");
    let t = tl("gens");
    let mut node = Node::start(config(1, dir.path())).await;
    elect(&mut node.client, &t, 1, 100).await;
    let (_, end) = append(&mut node.client, &t, 1, START, &[record(64, 1)], true).await;
    let issue = |c: &mut SafekeeperClient<Channel>| {
        let mut c = c.clone();
        let t = t.clone();
        async move {
            c.issue_generation(pb::GenerationRequest {
                timeline: Some(t),
                pageserver_id: "ps-1".into(),
            })
            .await
            .unwrap()
            .into_inner()
            .generation
        }
    };
    assert_eq!(issue(&mut node.client).await, 1);
    assert_eq!(issue(&mut node.client).await, 2);
    let feedback = |generation: u64, lsn: Lsn| pb::FeedbackRequest {
        timeline: Some(t.clone()),
        generation,
        remote_consistent_lsn: lsn.0,
        last_record_lsn: lsn.0,
    };
    let r = node
        .client
        .pageserver_feedback(feedback(1, end))
        .await
        .unwrap()
        .into_inner();
    assert!(!r.accepted);
    assert_eq!(r.highest_generation, 2);
    let r = node
        .client
        .pageserver_feedback(feedback(2, end))
        .await
        .unwrap()
        .into_inner();
    assert!(r.accepted);
    assert_eq!(
        status(&mut node.client, &t).await.remote_consistent_lsn,
        end.0
    );
    node.stop().await;
    // The issued generation is durable: a restart issues a higher one.
    let mut node = Node::start(config(1, dir.path())).await;
    assert_eq!(issue(&mut node.client).await, 3);
    node.stop().await;
}

/// Appends ~40 KiB of committed WAL over 8 KiB segments; waits for the
/// uploads, reports a pageserver's remote_consistent_lsn, waits for local
/// segments to be deleted, and reads everything back (the old part from
/// object storage).
async fn offload_scenario(name: &str, object_store: String, s3: remote_storage::S3Options) {
    let dir = TempDir::new(name);
    let t = tl(name);
    let mut cfg = config(1, dir.path());
    cfg.segment_size = 8 << 10;
    cfg.object_store = Some(object_store.clone());
    cfg.s3 = s3.clone();
    let mut node = Node::start(cfg).await;
    elect(&mut node.client, &t, 1, 100).await;
    let recs: Vec<_> = (0..40).map(|i| record(900 + i, i as u8)).collect();
    let (_, end) = append(&mut node.client, &t, 1, START, &recs, true).await;

    let mut c = node.client.clone();
    let sealed = START + 3 * (8 << 10);
    eventually("backup_lsn past three segments", || {
        let (mut c, t) = (c.clone(), t.clone());
        async move { status(&mut c, &t).await.backup_lsn >= sealed.0 }
    })
    .await;
    let remote = remote_storage::RemoteStorage::from_url(&object_store, &s3).unwrap();
    let id = proto::TimelineId::new("default", name).unwrap();
    let objects = remote
        .list(&remote_storage::layout::wal_prefix(&id))
        .await
        .unwrap();
    assert!(objects.len() >= 3, "{objects:?}");

    // Nothing is deleted until a pageserver reports.
    let first = dir
        .path()
        .join("default")
        .join(name)
        .join("wal")
        .join(crate::storage::layout::segment_file_name(START));
    assert!(first.exists());
    let generation = c
        .issue_generation(pb::GenerationRequest {
            timeline: Some(t.clone()),
            pageserver_id: "ps".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .generation;
    let fb = c
        .pageserver_feedback(pb::FeedbackRequest {
            timeline: Some(t.clone()),
            generation,
            remote_consistent_lsn: end.0,
            last_record_lsn: end.0,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(fb.accepted);
    eventually("the first local segment is deleted", || {
        let first = first.clone();
        async move { !first.exists() }
    })
    .await;
    // The old WAL now comes from object storage, byte for byte.
    assert_eq!(read_all(&mut c, &t, START).await, recs.concat());
    let mid = START + recs[0].len() as u64;
    assert_eq!(read_all(&mut c, &t, mid).await, recs[1..].concat());

    // A flipped byte in an offloaded object is an error naming the object and the offset,
    // never WAL handed on.
    let key = &objects[0].key;
    let mut damaged = remote.get(key).await.unwrap().to_vec();
    let offset = START.0 % (8 << 10) + 100;
    damaged[offset as usize] ^= 0x40;
    remote.put(key, damaged.into()).await.unwrap();
    let mut s = c
        .read_wal(pb::ReadWalRequest {
            timeline: Some(t.clone()),
            start_lsn: START.0,
            stop_at_commit: true,
            include_uncommitted: false,
            term: 0,
            reader: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let err = loop {
        match tokio::time::timeout(WAIT, s.next()).await.expect("in time") {
            Some(Ok(chunk)) => assert!(
                chunk.start_lsn + (chunk.wal.len() as u64) <= START.0 + 100,
                "WAL past the flipped byte was served"
            ),
            Some(Err(e)) => break e,
            None => panic!("the damaged object was read without an error"),
        }
    };
    assert_eq!(err.code(), tonic::Code::DataLoss, "{err}");
    assert!(
        err.message()
            .contains(&format!("offloaded segment object {key}, offset")),
        "{err}"
    );
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offload_to_a_local_folder_then_trim_and_read_back() {
    let store = TempDir::new("offload-store");
    let url = format!("file://{}", store.path().display());
    offload_scenario("offload-file", url, Default::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_offload_to_moto_then_trim_and_read_back() {
    let Some(moto) = remote_storage::moto::MotoServer::start().await else {
        return; // skipped loudly by MotoServer::start (panics under CI=true)
    };
    moto.storage("sk-wal", "").await;
    offload_scenario("offload-s3", "s3://sk-wal/wal-test".into(), moto.options()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lagging_safekeeper_recovers_from_a_peer() {
    let (da, db) = (TempDir::new("recover-a"), TempDir::new("recover-b"));
    let t = tl("recover");
    let mut a = Node::start(config(1, da.path())).await;
    let mut cfg_b = config(2, db.path());
    cfg_b.peers = vec![a.addr()];
    let mut b = Node::start(cfg_b).await;
    elect(&mut a.client, &t, 1, 100).await;
    elect(&mut b.client, &t, 1, 100).await;
    // B missed every append (say it was partitioned); the proposer is gone.
    let recs: Vec<_> = (0..20).map(|i| record(3000 + i, i as u8)).collect();
    let (_, end) = append(&mut a.client, &t, 1, START, &recs, true).await;
    let c = b.client.clone();
    eventually("B catches up from A", || {
        let (mut c, t) = (c.clone(), t.clone());
        async move {
            let s = status(&mut c, &t).await;
            s.flush_lsn == end.0 && s.commit_lsn == end.0
        }
    })
    .await;
    assert_eq!(read_all(&mut b.client, &t, START).await, recs.concat());
    b.stop().await;
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_recovery_truncates_a_divergent_uncommitted_tail() {
    let (da, db) = (TempDir::new("diverge-a"), TempDir::new("diverge-b"));
    let t = tl("diverge");
    let mut a = Node::start(config(1, da.path())).await;
    let mut cfg_b = config(2, db.path());
    cfg_b.peers = vec![a.addr()];
    let mut b = Node::start(cfg_b).await;
    // Term 1 wrote an uncommitted record on B only, then died.
    elect(&mut b.client, &t, 1, 100).await;
    let stale = [record(500, 0xEE)];
    append(&mut b.client, &t, 1, START, &stale, false).await;
    // Term 2 never saw it, and committed other WAL on A.
    elect(&mut a.client, &t, 2, 200).await;
    let recs: Vec<_> = (0..5).map(|i| record(700 + i, i as u8)).collect();
    let (_, end) = append(&mut a.client, &t, 2, START, &recs, true).await;
    let c = b.client.clone();
    eventually("B drops its stale tail and catches up", || {
        let (mut c, t) = (c.clone(), t.clone());
        async move {
            let s = status(&mut c, &t).await;
            s.term == 2 && s.flush_lsn == end.0 && s.commit_lsn == end.0
        }
    })
    .await;
    assert_eq!(read_all(&mut b.client, &t, START).await, recs.concat());
    b.stop().await;
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_to_start_on_corrupt_committed_wal() {
    let dir = TempDir::new("corrupt");
    let t = tl("corrupt");
    let mut node = Node::start(config(1, dir.path())).await;
    elect(&mut node.client, &t, 1, 100).await;
    append(&mut node.client, &t, 1, START, &[record(100, 1)], true).await;
    node.stop().await;
    let segment = dir
        .path()
        .join("default/corrupt/wal")
        .join(crate::storage::layout::segment_file_name(START));
    let mut bytes = std::fs::read(&segment).unwrap();
    bytes[20] ^= 0xFF; // inside the committed record's payload
    std::fs::write(&segment, bytes).unwrap();
    let err = start(config(1, dir.path()), CancellationToken::new())
        .await
        .err()
        .expect("corrupt committed WAL must stop the safekeeper");
    let msg = err.to_string();
    assert!(msg.contains("corrupt WAL") && msg.contains(".seg"), "{msg}");
}
