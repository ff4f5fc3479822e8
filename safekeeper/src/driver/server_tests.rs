//! The driver against three real safekeeper servers (`crate::server`) in
//! this process, on loopback ports with fsync'ed data dirs: the protocol as
//! both shells speak it, before the multi-process test in tests/.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use proto::grpc::safekeeper as pb;
use proto::grpc::safekeeper::safekeeper_client::SafekeeperClient;
use proto::{Lsn, TimelineId, WalDecoder};
use tokio_util::sync::CancellationToken;

use super::tests::record;
use super::{DriverConfig, WalProposer};
use crate::error::Error;
use crate::server;

struct Servers {
    addrs: Vec<String>,
    dir: std::path::PathBuf,
    cancel: CancellationToken,
}

impl Drop for Servers {
    fn drop(&mut self) {
        self.cancel.cancel();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn servers(name: &str) -> Servers {
    servers_with(name, None, None).await
}

/// Three safekeepers serving with `tls` and calling each other with `peer_tls`.
async fn servers_with(
    name: &str,
    tls: Option<proto::tls::ServerTls>,
    peer_tls: Option<proto::tls::ClientTls>,
) -> Servers {
    let dir = std::env::temp_dir().join(format!("strata-driver-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cancel = CancellationToken::new();
    let mut addrs = Vec::new();
    for id in 1..=3 {
        let listen = "127.0.0.1:0".parse().expect("valid address");
        let mut cfg = server::Config::new(id, listen, dir.join(format!("sk{id}")));
        cfg.tls = tls.clone();
        cfg.peer_tls = peer_tls.clone();
        let running = server::start(cfg, cancel.child_token())
            .await
            .expect("start a safekeeper");
        addrs.push(running.addr.to_string());
    }
    Servers { addrs, dir, cancel }
}

/// The committed WAL of the safekeeper at `addr` from `start` to `end`.
async fn read_committed(addr: &str, start: Lsn, end: Lsn) -> Vec<proto::DecodedRecord> {
    let mut client = SafekeeperClient::connect(format!("http://{addr}"))
        .await
        .expect("connect");
    let req = pb::ReadWalRequest {
        timeline: Some((&timeline()).into()),
        start_lsn: start.0,
        stop_at_commit: false,
        include_uncommitted: false,
        term: 0,
        reader: String::new(),
    };
    let mut stream = client.read_wal(req).await.expect("read_wal").into_inner();
    let mut dec = WalDecoder::new(start);
    let mut out = Vec::new();
    let mut pos = start;
    while pos < end {
        let chunk = tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .expect("WAL arrives in time")
            .expect("stream open")
            .expect("chunk");
        pos = pos + chunk.wal.len() as u64;
        dec.push(&chunk.wal);
        while let Some(r) = dec.next_record().expect("valid WAL") {
            out.push(r);
        }
    }
    out
}

fn timeline() -> TimelineId {
    TimelineId::new("t1", "main").expect("valid names")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_through_real_safekeepers_are_read_back_and_fenced() {
    let s = servers("real").await;
    let mut cfg = DriverConfig::new(timeline(), s.addrs.clone(), 1);
    cfg.tick = Duration::from_millis(10);
    let p = Arc::new(WalProposer::start(cfg.clone()).await.expect("start"));
    let first = p.ready_lsn();
    let tasks: Vec<_> = (0..64u64)
        .map(|i| {
            let p = p.clone();
            tokio::spawn(async move { (i, p.append(&record(i)).await) })
        })
        .collect();
    let mut acked = Vec::new();
    for t in tasks {
        let (i, r) = t.await.expect("task");
        acked.push((r.expect("durable"), i));
    }
    let stats = p.stats();
    assert!(stats.append_messages < 3 * 64, "no group commit: {stats:?}");

    let mut cfg2 = cfg;
    cfg2.proposer_id = 2;
    let p2 = WalProposer::start(cfg2).await.expect("second proposer");
    let err = p.append(&record(100)).await.expect_err("fenced");
    assert!(matches!(err, Error::Fenced { .. }), "{err}");
    let (_, end) = p2.append(&record(101)).await.expect("p2 appends");

    for addr in &s.addrs {
        let recs = read_committed(addr, first, end).await;
        for ((start, end), i) in &acked {
            assert!(
                recs.iter()
                    .any(|r| r.start == *start && r.end == *end && r.record == record(*i)),
                "{addr}: record {i} at {start} missing"
            );
        }
    }
}

/// A self-signed certificate for 127.0.0.1 in `dir`: the servers' pair and the
/// clients' trust.
fn self_signed(dir: &std::path::Path) -> (proto::tls::ServerTls, proto::tls::ClientTls) {
    std::fs::create_dir_all(dir).expect("certificate directory");
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).expect("rcgen");
    let files = proto::tls::TlsFiles {
        cert: dir.join("sk.crt"),
        key: dir.join("sk.key"),
    };
    std::fs::write(&files.cert, made.cert.pem()).expect("write certificate");
    std::fs::write(&files.key, made.signing_key.serialize_pem()).expect("write key");
    (
        proto::tls::ServerTls::from_files(&files).expect("server TLS"),
        proto::tls::ClientTls::from_ca_file(&files.cert).expect("client TLS"),
    )
}

/// Safekeepers with `--grpc-tls-cert`: a proposer with the CA elects itself (gRPC over
/// TLS) and commits (the lean Append wire over TLS); one without TLS gets neither, and
/// neither a plaintext lean connection nor a plaintext gRPC call is answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_safekeepers_serve_only_tls_proposers() {
    let certs = std::env::temp_dir().join(format!("strata-driver-certs-{}", std::process::id()));
    let (server_tls, client_tls) = self_signed(&certs);
    let s = servers_with("tls", Some(server_tls), Some(client_tls.clone())).await;

    let mut cfg = DriverConfig::new(timeline(), s.addrs.clone(), 1);
    cfg.tick = Duration::from_millis(10);
    cfg.tls = Some(client_tls.clone());
    let p = WalProposer::start(cfg.clone())
        .await
        .expect("start over TLS");
    let mut acked = Vec::new();
    for i in 0..8u64 {
        acked.push((p.append(&record(i)).await.expect("durable"), i));
    }
    let end = acked.last().expect("appended").0.1;
    // Every safekeeper holds the records (one that missed the election, the handshakes
    // being slower, joins and catches up), asked over TLS.
    for addr in &s.addrs {
        let channel = proto::tls::endpoint(addr, Some(&client_tls))
            .expect("endpoint")
            .connect()
            .await
            .expect("connect over TLS");
        let mut client = SafekeeperClient::new(channel);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let status = client
                .status(pb::StatusRequest {
                    timeline: Some((&timeline()).into()),
                })
                .await
                .expect("status over TLS")
                .into_inner();
            if status.flush_lsn >= end.0 {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{addr} never caught up: {status:?}"
            );
            p.append(&record(99)).await.expect("durable");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let plain = crate::wire::connect(&s.addrs[0], "", Duration::from_secs(5), None).await;
    assert!(plain.is_err(), "a plaintext lean connection was accepted");
    let refused = match SafekeeperClient::connect(format!("http://{}", s.addrs[0])).await {
        Err(_) => true,
        Ok(mut plain_grpc) => plain_grpc
            .status(pb::StatusRequest {
                timeline: Some((&timeline()).into()),
            })
            .await
            .is_err(),
    };
    assert!(refused, "a plaintext gRPC call was answered");

    let mut no_tls = cfg;
    no_tls.proposer_id = 2;
    no_tls.tls = None;
    no_tls.start_timeout = Duration::from_secs(2);
    assert!(
        WalProposer::start(no_tls).await.is_err(),
        "a proposer without TLS was elected"
    );
    let _ = std::fs::remove_dir_all(&certs);
}
