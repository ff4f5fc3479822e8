//! The real safekeeper client ([`SafekeeperClient`]) against fake tonic
//! safekeepers on 127.0.0.1:0 serving the `Safekeeper` contract: the
//! pageserver streams WAL from the most advanced safekeeper, fails over when
//! its stream breaks and that safekeeper goes away, takes generations as the
//! maximum over a majority, and reports `remote_consistent_lsn`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::common::service::test_config;
use crate::common::{START, Workload};
use futures::StreamExt;
use pageserver::safekeeper_client::SafekeeperClient;
use pageserver::{MemoryWalSource, Pageserver, WalSource};
use proto::grpc::safekeeper as pb;
use proto::grpc::safekeeper::safekeeper_server::{Safekeeper, SafekeeperServer};
use proto::page::PAGE_SIZE;
use proto::{Lsn, PageKey, TimelineId};
use remote_storage::RemoteStorage;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, Streaming};

/// A safekeeper that serves a shared in-memory WAL.
struct Fake {
    wal: Arc<MemoryWalSource>,
    /// Reported `commit_lsn` bonus (makes this one "most advanced").
    ahead: u64,
    /// End every WAL stream after this many chunks and then go away.
    break_after: Option<usize>,
    dead: Arc<AtomicBool>,
    streams: Arc<AtomicU64>,
    generation: Arc<AtomicU64>,
    feedback: Arc<Mutex<Vec<(u64, u64)>>>,
}

type Stream<T> = futures::stream::BoxStream<'static, Result<T, Status>>;

fn unimplemented<T>() -> Result<T, Status> {
    Err(Status::unimplemented("not in this fake"))
}

#[tonic::async_trait]
impl Safekeeper for Fake {
    async fn greet(
        &self,
        r: Request<pb::GreetRequest>,
    ) -> Result<Response<pb::GreetResponse>, Status> {
        // The pageserver greets to create a new timeline.
        if self.dead.load(Ordering::SeqCst) {
            return Err(Status::unavailable("gone"));
        }
        Ok(Response::new(pb::GreetResponse {
            timeline_start_lsn: r.into_inner().timeline_start_lsn,
            ..Default::default()
        }))
    }
    async fn vote(
        &self,
        _: Request<pb::VoteRequest>,
    ) -> Result<Response<pb::VoteResponse>, Status> {
        unimplemented()
    }
    async fn elected(
        &self,
        _: Request<pb::ElectedRequest>,
    ) -> Result<Response<pb::ElectedResponse>, Status> {
        unimplemented()
    }
    type AppendStream = Stream<pb::AppendResponse>;
    async fn append(
        &self,
        _: Request<Streaming<pb::AppendRequest>>,
    ) -> Result<Response<Self::AppendStream>, Status> {
        unimplemented()
    }
    type ReadWalStream = Stream<pb::WalChunk>;
    async fn read_wal(
        &self,
        req: Request<pb::ReadWalRequest>,
    ) -> Result<Response<Self::ReadWalStream>, Status> {
        if self.dead.load(Ordering::SeqCst) {
            return Err(Status::unavailable("gone"));
        }
        let r = req.into_inner();
        let id = proto::grpc::required_timeline(r.timeline.as_ref())
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        let s = self
            .wal
            .read_wal(&id, Lsn(r.start_lsn))
            .await
            .map_err(|e| Status::not_found(e.to_string()))?;
        self.streams.fetch_add(1, Ordering::SeqCst);
        let s = s.map(|c| {
            c.map(|c| pb::WalChunk {
                start_lsn: c.start_lsn.0,
                wal: c.wal,
                commit_lsn: c.commit_lsn.0,
                term: 1,
            })
            .map_err(|e| Status::internal(e.to_string()))
        });
        let s: Stream<pb::WalChunk> = match self.break_after {
            Some(n) => {
                let dead = self.dead.clone();
                s.take(n)
                    .chain(futures::stream::once(async move {
                        dead.store(true, Ordering::SeqCst);
                        Err(Status::unavailable("safekeeper stopped"))
                    }))
                    .boxed()
            }
            None => s.boxed(),
        };
        Ok(Response::new(s))
    }
    async fn status(
        &self,
        req: Request<pb::StatusRequest>,
    ) -> Result<Response<pb::StatusResponse>, Status> {
        if self.dead.load(Ordering::SeqCst) {
            return Err(Status::unavailable("gone"));
        }
        let id = proto::grpc::required_timeline(req.get_ref().timeline.as_ref())
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        let end = self.wal.end(&id).unwrap_or(START);
        Ok(Response::new(pb::StatusResponse {
            commit_lsn: end.0 + self.ahead,
            ..Default::default()
        }))
    }
    async fn list_timelines(
        &self,
        _: Request<pb::ListTimelinesRequest>,
    ) -> Result<Response<pb::ListTimelinesResponse>, Status> {
        unimplemented()
    }
    async fn pageserver_feedback(
        &self,
        req: Request<pb::FeedbackRequest>,
    ) -> Result<Response<pb::FeedbackResponse>, Status> {
        let r = req.into_inner();
        self.feedback
            .lock()
            .unwrap()
            .push((r.generation, r.remote_consistent_lsn));
        Ok(Response::new(pb::FeedbackResponse {
            accepted: true,
            highest_generation: r.generation,
        }))
    }
    async fn issue_generation(
        &self,
        _: Request<pb::GenerationRequest>,
    ) -> Result<Response<pb::GenerationResponse>, Status> {
        if self.dead.load(Ordering::SeqCst) {
            return Err(Status::unavailable("gone"));
        }
        let g = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(Response::new(pb::GenerationResponse {
            node_id: 0,
            generation: g,
        }))
    }
}

struct Handles {
    addr: SocketAddr,
    dead: Arc<AtomicBool>,
    streams: Arc<AtomicU64>,
    feedback: Arc<Mutex<Vec<(u64, u64)>>>,
}

async fn spawn_fake(
    wal: Arc<MemoryWalSource>,
    ahead: u64,
    break_after: Option<usize>,
    first_generation: u64,
    cancel: CancellationToken,
) -> Handles {
    let fake = Fake {
        wal,
        ahead,
        break_after,
        dead: Arc::new(AtomicBool::new(false)),
        streams: Arc::new(AtomicU64::new(0)),
        generation: Arc::new(AtomicU64::new(first_generation)),
        feedback: Arc::new(Mutex::new(Vec::new())),
    };
    let h = Handles {
        addr: "127.0.0.1:0".parse().unwrap(),
        dead: fake.dead.clone(),
        streams: fake.streams.clone(),
        feedback: fake.feedback.clone(),
    };
    let listener = tokio::net::TcpListener::bind(h.addr).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(SafekeeperServer::new(fake))
            .serve_with_incoming_shutdown(
                TcpListenerStream::new(listener),
                cancel.cancelled_owned(),
            ),
    );
    Handles { addr, ..h }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_fails_over_and_generations_take_the_majority_maximum() {
    let cancel = CancellationToken::new();
    let wal = Arc::new(MemoryWalSource::new(1500));
    // `a` looks most advanced but breaks after 3 chunks and goes away; `b`
    // serves everything; `c` is down from the start.
    let a = spawn_fake(wal.clone(), 1000, Some(3), 4, cancel.clone()).await;
    let b = spawn_fake(wal.clone(), 0, None, 1, cancel.clone()).await;
    let c = spawn_fake(wal.clone(), 0, None, 9, cancel.clone()).await;
    c.dead.store(true, Ordering::SeqCst);
    let client = Arc::new(SafekeeperClient::new(
        [a.addr, b.addr, c.addr]
            .iter()
            .map(|a| a.to_string())
            .collect(),
    ));

    let id = TimelineId::new("acme", "main").unwrap();
    let mut wl = Workload::new();
    for i in 0..40u32 {
        let k = PageKey::new(3, i % 8);
        let page = wl.edited(k, |p| {
            p[12 + (i as usize * 131) % (PAGE_SIZE - 20)] = i as u8 + 1
        });
        wl.write(vec![(k, page, false)]);
    }
    wal.append(&id, START, &wl.wal);

    let dir = tempfile::tempdir().unwrap();
    let store = RemoteStorage::from_url("memory://", &Default::default()).unwrap();
    let config = test_config(dir.path(), store.url());
    let ps = Pageserver::start(
        config,
        store,
        client.clone(),
        client.clone(),
        cancel.clone(),
    )
    .await
    .unwrap();
    let h = ps
        .create_timeline(pageserver::CreateTimeline {
            id: id.clone(),
            ancestor: None,
            ancestor_lsn: None,
            ancestor_timestamp_us: None,
        })
        .await
        .unwrap();
    // a answered 5, b answered 2, c is down: the maximum of the majority.
    assert_eq!(h.generation, 5);

    h.wait_for(wl.end(), std::time::Duration::from_secs(30))
        .await
        .expect("ingest fails over to b");
    assert_eq!(
        a.streams.load(Ordering::SeqCst),
        1,
        "streamed from the most advanced first"
    );
    assert!(b.streams.load(Ordering::SeqCst) >= 1, "then failed over");
    for (&(_, end), i) in wl.records.iter().zip(0..) {
        let k = PageKey::new(3, i % 8);
        let got = h.get_page(k, end).unwrap();
        assert_eq!(&got[..], &wl.expected(k, end).unwrap()[..]);
    }

    ps.flush(&h).await.unwrap();
    let sync = ps.sync(&h).await.unwrap();
    assert_eq!(sync.remote_consistent_lsn, wl.end());
    assert!(b.feedback.lock().unwrap().contains(&(5, wl.end().0)));

    // With two of three safekeepers down there is no majority.
    b.dead.store(true, Ordering::SeqCst);
    let other = TimelineId::new("acme", "other").unwrap();
    let err = ps
        .create_timeline(pageserver::CreateTimeline {
            id: other,
            ancestor: None,
            ancestor_lsn: None,
            ancestor_timestamp_us: None,
        })
        .await
        .unwrap_err();
    assert!(matches!(err, pageserver::Error::Safekeeper(_)), "{err}");
    drop(h);
    ps.shutdown().await;
    cancel.cancel();
}
