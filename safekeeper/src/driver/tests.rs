//! In-process tests of the driver against fake safekeepers: a tonic service
//! (and the lean Append wire) around the pure [`Acceptor`] core with its WAL
//! in memory, on loopback ports. A fake can be taken "down" (every RPC fails, open streams break)
//! and brought back with its state intact, like a restart on the same disk.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use proto::grpc::safekeeper as pb;
use proto::grpc::safekeeper::safekeeper_server::{Safekeeper, SafekeeperServer};
use proto::{Lsn, Record, TimelineId, WalDecoder};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use super::{DriverConfig, WalProposer};
use crate::acceptor::{Acceptor, Action};
use crate::error::Error;
use crate::messages::{self, Reply};

struct Timeline {
    acceptor: Acceptor,
    start: Lsn,
    wal: Vec<u8>,
}

#[derive(Clone)]
struct Fake {
    id: u64,
    down: Arc<AtomicBool>,
    tl: Arc<Mutex<Option<Timeline>>>,
}

impl Fake {
    fn check_up(&self) -> Result<(), Status> {
        if self.down.load(Ordering::SeqCst) {
            return Err(Status::unavailable("fake safekeeper is down"));
        }
        Ok(())
    }

    fn step(&self, req: messages::Request) -> Result<Reply, Status> {
        self.check_up()?;
        let mut guard = self.tl.lock().expect("lock");
        if guard.is_none() {
            let messages::Request::Greet(g) = &req else {
                return Err(Status::not_found("no timeline"));
            };
            let (acceptor, _) = Acceptor::create(self.id, g.timeline_start_lsn);
            *guard = Some(Timeline {
                acceptor,
                start: g.timeline_start_lsn,
                wal: Vec::new(),
            });
        }
        let tl = guard.as_mut().expect("created above");
        let out = tl
            .acceptor
            .step(req)
            .map_err(|e| Status::failed_precondition(e.to_string()))?;
        for a in out.actions {
            match a {
                Action::WriteWal { at, bytes } => {
                    let off = at.distance_from(tl.start) as usize;
                    tl.wal.truncate(off);
                    tl.wal.extend_from_slice(&bytes);
                }
                Action::TruncateWal { at } => tl.wal.truncate(at.distance_from(tl.start) as usize),
                Action::PersistControl(_) | Action::FlushWal { .. } => {}
            }
        }
        Ok(out.reply)
    }
}

fn bad(e: proto::Error) -> Status {
    Status::invalid_argument(e.to_string())
}

#[tonic::async_trait]
impl Safekeeper for Fake {
    async fn greet(
        &self,
        r: Request<pb::GreetRequest>,
    ) -> Result<Response<pb::GreetResponse>, Status> {
        let m = messages::Greet::try_from(r.get_ref()).map_err(bad)?;
        match self.step(messages::Request::Greet(m))? {
            Reply::Greet(g) => Ok(Response::new(g.into())),
            _ => Err(Status::internal("wrong reply")),
        }
    }
    async fn vote(
        &self,
        r: Request<pb::VoteRequest>,
    ) -> Result<Response<pb::VoteResponse>, Status> {
        let m = messages::VoteRequest::try_from(r.get_ref()).map_err(bad)?;
        match self.step(messages::Request::Vote(m))? {
            Reply::Vote(v) => Ok(Response::new(v.into())),
            _ => Err(Status::internal("wrong reply")),
        }
    }
    async fn elected(
        &self,
        r: Request<pb::ElectedRequest>,
    ) -> Result<Response<pb::ElectedResponse>, Status> {
        let m = messages::Elected::try_from(r.get_ref()).map_err(bad)?;
        match self.step(messages::Request::Elected(m))? {
            Reply::Elected(v) => Ok(Response::new(v.into())),
            _ => Err(Status::internal("wrong reply")),
        }
    }
    type AppendStream = ReceiverStream<Result<pb::AppendResponse, Status>>;
    async fn append(
        &self,
        r: Request<Streaming<pb::AppendRequest>>,
    ) -> Result<Response<Self::AppendStream>, Status> {
        self.check_up()?;
        let mut inbound = r.into_inner();
        let (tx, rx) = tokio::sync::mpsc::channel(16);
        let me = self.clone();
        tokio::spawn(async move {
            while let Some(Ok(req)) = inbound.next().await {
                let res = messages::Append::try_from(req)
                    .map_err(bad)
                    .and_then(|m| me.step(messages::Request::Append(m)));
                let res = match res {
                    Ok(Reply::Append(a)) => Ok(a.into()),
                    Ok(_) => Err(Status::internal("wrong reply")),
                    Err(s) => Err(s),
                };
                let failed = res.is_err();
                if tx.send(res).await.is_err() || failed {
                    return;
                }
            }
        });
        Ok(Response::new(ReceiverStream::new(rx)))
    }
    type ReadWalStream = futures::stream::Iter<std::vec::IntoIter<Result<pb::WalChunk, Status>>>;
    async fn read_wal(
        &self,
        r: Request<pb::ReadWalRequest>,
    ) -> Result<Response<Self::ReadWalStream>, Status> {
        self.check_up()?;
        let r = r.into_inner();
        let guard = self.tl.lock().expect("lock");
        let tl = guard
            .as_ref()
            .ok_or_else(|| Status::not_found("no timeline"))?;
        let flush = tl.acceptor.flush_lsn();
        let end = if r.include_uncommitted {
            flush
        } else {
            tl.acceptor.commit_lsn()
        };
        let start = Lsn(r.start_lsn);
        if r.include_uncommitted && r.term != 0 {
            tl.acceptor
                .check_donor_read(r.term, start, end)
                .map_err(|e| Status::failed_precondition(e.to_string()))?;
        }
        if start < tl.start || start > end {
            return Err(Status::out_of_range("start outside the WAL"));
        }
        let lo = start.distance_from(tl.start) as usize;
        let hi = end.distance_from(tl.start) as usize;
        let chunks: Vec<_> = tl.wal[lo..hi]
            .chunks(64 << 10)
            .enumerate()
            .map(|(i, c)| {
                Ok(pb::WalChunk {
                    start_lsn: start.0 + (i * (64 << 10)) as u64,
                    wal: Bytes::copy_from_slice(c),
                    commit_lsn: tl.acceptor.commit_lsn().0,
                    term: tl.acceptor.term(),
                })
            })
            .collect();
        Ok(Response::new(futures::stream::iter(chunks)))
    }
    async fn status(
        &self,
        _: Request<pb::StatusRequest>,
    ) -> Result<Response<pb::StatusResponse>, Status> {
        Err(Status::unimplemented("status"))
    }
    async fn list_timelines(
        &self,
        _: Request<pb::ListTimelinesRequest>,
    ) -> Result<Response<pb::ListTimelinesResponse>, Status> {
        Err(Status::unimplemented("list"))
    }
    async fn pageserver_feedback(
        &self,
        _: Request<pb::FeedbackRequest>,
    ) -> Result<Response<pb::FeedbackResponse>, Status> {
        Err(Status::unimplemented("feedback"))
    }
    async fn issue_generation(
        &self,
        _: Request<pb::GenerationRequest>,
    ) -> Result<Response<pb::GenerationResponse>, Status> {
        Err(Status::unimplemented("generation"))
    }
}

async fn spawn_fake(id: u64) -> (Fake, SocketAddr) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let fake = Fake {
        id,
        down: Arc::default(),
        tl: Arc::default(),
    };
    let svc = SafekeeperServer::new(fake.clone());
    let lean = fake.clone();
    let incoming = crate::wire::split_incoming(
        listener,
        tokio_util::sync::CancellationToken::new(),
        move |s| {
            tokio::spawn(lean.clone().serve_lean(s));
        },
    );
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(svc)
            .serve_with_incoming(incoming),
    );
    (fake, addr)
}

impl Fake {
    /// The Append stream on the lean wire (what the driver's links speak):
    /// refused while down; a request that fails ends it with an error frame.
    async fn serve_lean(self, s: tokio::net::TcpStream) {
        use tokio::io::AsyncWriteExt;
        if self.check_up().is_err() {
            return;
        }
        let admit = |_: &str| Ok::<(), String>(());
        let Ok((mut inbound, mut out, ())) =
            crate::wire::accept(s, Duration::from_secs(5), None, admit).await
        else {
            return;
        };
        while let Some(Ok(frame)) = inbound.next().await {
            let res = crate::wire::decode_request(frame.freeze())
                .map_err(|e| Status::invalid_argument(e.to_string()))
                .and_then(|r| messages::Append::try_from(r).map_err(bad))
                .and_then(|m| self.step(messages::Request::Append(m)));
            let res = match res {
                Ok(Reply::Append(a)) => Ok(a.into()),
                Ok(_) => Err("wrong reply".to_string()),
                Err(s) => Err(s.message().to_string()),
            };
            let failed = res.is_err();
            let mut buf = bytes::BytesMut::new();
            crate::wire::encode_response(&res, &mut buf).expect("small frame");
            if out.write_all(&buf).await.is_err() || failed {
                return;
            }
        }
    }
}

async fn cluster() -> (Vec<Fake>, DriverConfig) {
    let mut fakes = Vec::new();
    let mut addrs = Vec::new();
    for id in 1..=3 {
        let (f, a) = spawn_fake(id).await;
        fakes.push(f);
        addrs.push(a.to_string());
    }
    let tl = TimelineId::new("t1", "main").expect("valid names");
    let mut cfg = DriverConfig::new(tl, addrs, 7);
    cfg.tick = Duration::from_millis(10);
    cfg.resend_after = Duration::from_millis(50);
    cfg.backoff_max = Duration::from_millis(50);
    (fakes, cfg)
}

pub(super) fn record(i: u64) -> Record {
    let change = proto::PageChange {
        key: proto::PageKey {
            rel: proto::RelId(16384),
            block: i as u32,
        },
        base_lsn: Lsn::INVALID,
        body: proto::PageBody::Delta(proto::Delta::from_runs([(100u16, &i.to_le_bytes()[..])])),
        crc_after: i as u32,
    };
    Record::commit(i as i64, vec![change])
}

/// Every record of the fake's WAL, decoded (none if the fake was never
/// greeted: a quorum of the others may have been enough).
fn records_of(f: &Fake) -> Vec<proto::DecodedRecord> {
    let guard = f.tl.lock().expect("lock");
    let Some(tl) = guard.as_ref() else {
        return Vec::new();
    };
    let mut dec = WalDecoder::new(tl.start);
    dec.push(&tl.wal);
    let mut out = Vec::new();
    while let Some(r) = dec.next_record().expect("valid WAL") {
        out.push(r);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_are_durable_and_group_committed() {
    let (fakes, cfg) = cluster().await;
    let p = Arc::new(WalProposer::start(cfg).await.expect("start"));
    assert_eq!(p.term(), 1);
    let ready = p.ready_lsn();
    let mut tasks = Vec::new();
    for i in 0..200u64 {
        let p = p.clone();
        tasks.push(tokio::spawn(async move { (i, p.append(&record(i)).await) }));
    }
    let mut acked = Vec::new();
    for t in tasks {
        let (i, r) = t.await.expect("task");
        let (start, end) = r.expect("durable");
        assert!(start >= ready);
        acked.push((start, end, i));
    }
    assert!(*p.commit_lsn().borrow() >= acked.iter().map(|a| a.1).max().unwrap());
    let stats = p.stats();
    assert_eq!(stats.appends, 200);
    assert!(
        stats.append_messages < 3 * 200,
        "no group commit: {stats:?}"
    );
    // Every acknowledged record is on a majority, byte for byte.
    for (start, end, i) in acked {
        let holders = fakes
            .iter()
            .filter(|f| {
                records_of(f)
                    .iter()
                    .any(|r| r.start == start && r.end == end && r.record == record(i))
            })
            .count();
        assert!(holders >= 2, "record {i} at {start} on {holders} fakes");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_survive_one_acceptor_down_and_stall_without_a_quorum() {
    let (fakes, cfg) = cluster().await;
    let p = Arc::new(WalProposer::start(cfg).await.expect("start"));
    p.append(&record(1)).await.expect("durable");
    fakes[0].down.store(true, Ordering::SeqCst);
    for i in 2..20 {
        p.append(&record(i)).await.expect("durable with 2 of 3");
    }
    fakes[1].down.store(true, Ordering::SeqCst);
    let stalled = {
        let p = p.clone();
        tokio::spawn(async move { p.append(&record(99)).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!stalled.is_finished(), "durable without a quorum");
    fakes[0].down.store(false, Ordering::SeqCst);
    fakes[1].down.store(false, Ordering::SeqCst);
    let (_, end) = tokio::time::timeout(Duration::from_secs(10), stalled)
        .await
        .expect("resumes")
        .expect("task")
        .expect("durable");
    // The lagging acceptors catch up to everything acknowledged.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    for f in &fakes {
        while records_of(f).last().map(|r| r.end) < Some(end) {
            assert!(tokio::time::Instant::now() < deadline, "fake {} lags", f.id);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_proposer_fences_the_first() {
    let (fakes, cfg) = cluster().await;
    let p1 = WalProposer::start(cfg.clone()).await.expect("start p1");
    let (_, acked) = p1.append(&record(1)).await.expect("durable");
    let mut cfg2 = cfg;
    cfg2.proposer_id = 8;
    let p2 = WalProposer::start(cfg2).await.expect("start p2");
    assert!(p2.term() > p1.term());
    assert!(p2.ready_lsn() > acked);
    let err = p1.append(&record(2)).await.expect_err("fenced");
    assert!(matches!(err, Error::Fenced { .. }), "{err}");
    assert!(matches!(p1.error(), Some(Error::Fenced { .. })));
    let err = p1.append(&record(3)).await.expect_err("still fenced");
    assert!(matches!(err, Error::Fenced { .. }), "{err}");
    p2.append(&record(4)).await.expect("p2 appends");
    // p1's acknowledged record is kept by p2's term: on the quorum p2's append reached at
    // once, and on every acceptor once p2 has synced the one it did not wait for.
    let holds = |f: &Fake| {
        records_of(f)
            .iter()
            .any(|r| r.end == acked && r.record == record(1))
    };
    assert!(fakes.iter().filter(|f| holds(f)).count() >= 2);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    for f in &fakes {
        while !holds(f) {
            assert!(tokio::time::Instant::now() < deadline, "fake {} lags", f.id);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_safekeeper_that_missed_the_election_joins_and_catches_up() {
    let (fakes, cfg) = cluster().await;
    fakes[2].down.store(true, Ordering::SeqCst);
    let p = WalProposer::start(cfg).await.expect("start with 2 of 3");
    let mut end = Lsn::INVALID;
    for i in 0..20 {
        end = p.append(&record(i)).await.expect("durable").1;
    }
    fakes[2].down.store(false, Ordering::SeqCst);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let caught_up = fakes[2]
            .tl
            .lock()
            .expect("lock")
            .as_ref()
            .is_some_and(|t| t.acceptor.flush_lsn() >= end);
        if caught_up {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "fake 3 never caught up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let recs = records_of(&fakes[2]);
    assert_eq!(
        recs.iter()
            .filter(|r| r.record.page_changes.len() == 1)
            .count(),
        20
    );
}

/// The driver's own overhead (no disk, one process): run with
/// `cargo test --release -p safekeeper driver_latency -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a check"]
async fn driver_latency_against_in_memory_fakes() {
    let (_fakes, cfg) = cluster().await;
    let p = WalProposer::start(cfg).await.expect("start");
    let mut lat = Vec::new();
    for i in 0..3000 {
        let t = std::time::Instant::now();
        p.append(&record(i)).await.expect("durable");
        lat.push(t.elapsed());
    }
    lat.sort_unstable();
    println!(
        "1 appender, in-memory fakes: p50 {:?}, p99 {:?}",
        lat[lat.len() / 2],
        lat[lat.len() * 99 / 100]
    );
}
