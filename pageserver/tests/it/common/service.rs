//! Test support for the running service: a pageserver on 127.0.0.1:0 with
//! the in-memory WAL source and generations, a gRPC client, and checks of
//! GetPages results against the reference model in `common`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use pageserver::{Config, MemoryGenerations, MemoryWalSource, Pageserver, grpc};
use proto::grpc::pageserver as pb;
use proto::grpc::pageserver::pageserver_client::PageserverClient;
use proto::{Lsn, PageKey, TimelineId};
use remote_storage::RemoteStorage;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

use super::{Workload, small_config};

/// What outlives one pageserver process: object storage, the safekeepers'
/// WAL and generations.
#[derive(Clone)]
pub struct Env {
    pub remote: RemoteStorage,
    pub wal: Arc<MemoryWalSource>,
    pub gens: Arc<MemoryGenerations>,
}

impl Env {
    pub fn new(remote: RemoteStorage) -> Env {
        Env {
            remote,
            wal: Arc::new(MemoryWalSource::new(3000)),
            gens: Arc::new(MemoryGenerations::new()),
        }
    }

    /// The same environment, with `intercept` on the object-store calls of
    /// the pageservers started on it.
    pub fn through(&self, intercept: Arc<dyn remote_storage::Intercept>) -> Env {
        Env {
            remote: self.remote.with_intercept(intercept),
            ..self.clone()
        }
    }

    /// Appends the part of `wl`'s WAL after `from` to `id`'s log (which
    /// starts at `start`).
    pub fn publish(&self, id: &TimelineId, start: Lsn, wl: &Workload, from: Lsn) -> Lsn {
        let base = super::START;
        let have = self.wal.end(id).unwrap_or(start).max(from);
        let at = (have.0 - base.0) as usize;
        self.wal.append(id, start, &wl.wal[at..])
    }
}

/// A running pageserver and a client connected to it.
pub struct Node {
    pub ps: Arc<Pageserver>,
    pub addr: SocketAddr,
    pub client: PageserverClient<Channel>,
    server: tokio::task::JoinHandle<pageserver::Result<()>>,
}

pub fn test_config(data_dir: &Path, url: &str) -> Config {
    let mut c = Config::new(
        "127.0.0.1:0".parse().expect("an address"),
        data_dir.to_path_buf(),
        url.to_string(),
    );
    c.timeline = small_config();
    c.maintenance_interval = None;
    c.wait_lsn_timeout = Duration::from_millis(300);
    c.cache_bytes = 64 * 8192;
    c.reconstruct_threads = 2;
    c.pageserver_id = format!("test-{}", data_dir.display());
    c
}

impl Node {
    pub async fn start(env: &Env, data_dir: &Path) -> Node {
        Node::start_with(env, test_config(data_dir, env.remote.url())).await
    }

    pub async fn start_with(env: &Env, config: Config) -> Node {
        let ps = Pageserver::start(
            config,
            env.remote.clone(),
            env.wal.clone(),
            env.gens.clone(),
            CancellationToken::new(),
        )
        .await
        .expect("start pageserver");
        let (addr, server) = grpc::spawn(ps.clone(), "127.0.0.1:0".parse().unwrap())
            .await
            .expect("bind");
        let client = PageserverClient::connect(format!("http://{addr}"))
            .await
            .expect("connect");
        Node {
            ps,
            addr,
            client,
            server,
        }
    }

    pub async fn stop(self) {
        self.ps.shutdown().await;
        self.server
            .await
            .expect("server task")
            .expect("server stops cleanly");
    }

    pub async fn create(
        &mut self,
        id: &TimelineId,
        ancestor: &str,
        lsn: u64,
        ts: i64,
    ) -> Result<pb::TimelineInfo, tonic::Status> {
        self.client
            .create_timeline(pb::CreateTimelineRequest {
                tenant: id.tenant.to_string(),
                timeline: id.timeline.to_string(),
                ancestor: ancestor.into(),
                ancestor_lsn: lsn,
                ancestor_timestamp_us: ts,
            })
            .await
            .map(|r| r.into_inner())
    }

    /// `LeaseLsn` on `id` at `lsn` for `ttl_ms`.
    pub async fn lease(
        &mut self,
        id: &TimelineId,
        lsn: Lsn,
        ttl_ms: u64,
    ) -> Result<pb::LeaseResponse, tonic::Status> {
        self.client
            .lease_lsn(pb::LeaseRequest {
                tenant: id.tenant.to_string(),
                timeline: id.timeline.to_string(),
                lsn: lsn.0,
                ttl_ms,
            })
            .await
            .map(|r| r.into_inner())
    }

    pub async fn status(&mut self, id: &TimelineId) -> pb::TimelineInfo {
        self.client
            .timeline_status(pb::TimelineStatusRequest {
                tenant: id.tenant.to_string(),
                timeline: id.timeline.to_string(),
                with_logical_size: true,
            })
            .await
            .expect("timeline status")
            .into_inner()
    }

    /// Publishes WAL from `START` with one full image per key of `keys` (bytes 100..300
    /// set to the key's index + 1) and waits until `id` has ingested it; returns what was
    /// written.
    pub async fn ingest_one_image_per_key(
        &self,
        env: &Env,
        id: &TimelineId,
        keys: impl IntoIterator<Item = PageKey>,
    ) -> Workload {
        let mut wl = Workload::new();
        for (i, k) in keys.into_iter().enumerate() {
            let page = wl.edited(k, |p| p[100..300].fill(i as u8 + 1));
            wl.write(vec![(k, page, true)]);
        }
        env.publish(id, super::START, &wl, super::START);
        self.wait_ingested(id, wl.end()).await;
        wl
    }

    /// Waits (up to 30 s) until `id` has ingested up to `lsn`.
    pub async fn wait_ingested(&self, id: &TimelineId, lsn: Lsn) {
        let h = self.ps.timeline(id).expect("timeline attached");
        h.wait_for(lsn, Duration::from_secs(30))
            .await
            .expect("ingest catches up");
    }

    /// GetPages for `(key, request_lsn, not_modified_since)` triples, sent as
    /// pipelined batches of 7 over one stream; results in request order.
    pub async fn get_pages(
        &mut self,
        id: &TimelineId,
        reqs: &[(PageKey, Lsn, Lsn)],
    ) -> Vec<pb::PageResult> {
        let (tx, rx) = mpsc::channel(64);
        let mut responses = self
            .client
            .get_pages(ReceiverStream::new(rx))
            .await
            .expect("open GetPages")
            .into_inner();
        let batches: Vec<_> = reqs.chunks(7).collect();
        let n = batches.len();
        let sender = {
            let (tenant, timeline) = (id.tenant.to_string(), id.timeline.to_string());
            let batches: Vec<Vec<pb::GetPageRequest>> = batches
                .iter()
                .map(|b| {
                    b.iter()
                        .map(|&(key, lsn, nms)| pb::GetPageRequest {
                            key: Some(key.into()),
                            request_lsn: lsn.0,
                            not_modified_since: nms.0,
                        })
                        .collect()
                })
                .collect();
            tokio::spawn(async move {
                for (i, pages) in batches.into_iter().enumerate() {
                    let req = pb::GetPagesRequest {
                        tenant: tenant.clone(),
                        timeline: timeline.clone(),
                        batch_id: i as u64 + 100,
                        pages,
                    };
                    if tx.send(req).await.is_err() {
                        return;
                    }
                }
            })
        };
        let mut by_batch = BTreeMap::new();
        while by_batch.len() < n {
            let resp = responses
                .message()
                .await
                .expect("GetPages response")
                .expect("a response per batch");
            by_batch.insert(resp.batch_id, resp.pages);
        }
        sender.await.expect("sender");
        by_batch.into_values().flatten().collect()
    }
}

/// The error code of a result, if it is an error.
pub fn error_of(r: &pb::PageResult) -> Option<(pb::PageErrorCode, String)> {
    match &r.result {
        Some(pb::page_result::Result::Error(e)) => Some((e.code(), e.message.clone())),
        _ => None,
    }
}

/// Checks one GetPages result against the model (`cutoff`: the GC cutoff).
pub fn check(
    wl: &Workload,
    key: PageKey,
    lsn: Lsn,
    cutoff: Lsn,
    r: &pb::PageResult,
) -> Result<(), String> {
    use pb::PageErrorCode as C;
    let want = wl.expected(key, lsn);
    match (&r.result, want) {
        (Some(pb::page_result::Result::Error(e)), _)
            if lsn < cutoff && e.code() == C::PageErrorBelowGcHorizon =>
        {
            Ok(())
        }
        (_, _) if lsn < cutoff => Err(format!("{key}@{lsn}: served below the GC cutoff {cutoff}")),
        (Some(pb::page_result::Result::Page(p)), Some(want)) if p[..] == want[..] => Ok(()),
        (Some(pb::page_result::Result::Error(e)), None) if e.code() == C::PageErrorNeverWritten => {
            Ok(())
        }
        (got, want) => Err(format!(
            "{key}@{lsn}: got {}, expected {}",
            match got {
                Some(pb::page_result::Result::Page(_)) => "a different page".to_string(),
                Some(pb::page_result::Result::Error(e)) => format!("{:?}: {}", e.code(), e.message),
                None => "nothing".into(),
            },
            if want.is_some() {
                "a page"
            } else {
                "never written"
            }
        )),
    }
}
