//! # The safekeeper server: the running acceptor side
//!
//! A thin async shell (tokio + tonic) around the pure [`Acceptor`] and the
//! synchronous [`storage`](crate::storage). It owns:
//!
//! - [`service`]: the tonic `Safekeeper` service; requests are validated at
//!   the boundary (`messages` `TryFrom`) and errors become gRPC statuses.
//! - [`timeline`]: one [`Timeline`] per timeline — the
//!   acceptor + its files behind a mutex that only blocking threads lock,
//!   and a writer task per timeline that gives **group commit**: every
//!   queued request (from any stream) is stepped, all WAL written, one
//!   fdatasync, then all replies sent.
//! - [`append`]: the bidirectional `Append` stream (pipelined; acks in order).
//! - [`read_wal`]: `ReadWal` streams whole frames up to `commit_lsn` (or the
//!   donor's `flush_lsn`, term-checked) and tails live; WAL no longer held
//!   locally is read from object storage.
//! - [`pageserver_calls`]: `Status`, `ListTimelines`, `PageserverFeedback`,
//!   `IssueGeneration`.
//! - [`offload`]: per-timeline maintenance — poll peers, upload sealed
//!   segments of committed WAL (one uploader per timeline: the lowest node
//!   id among the reachable safekeepers), advance `backup_lsn` and the peer
//!   horizon, delete local WAL below
//!   `min(remote_consistent_lsn, backup_lsn, peer_horizon)`.
//! - [`peer_recovery`]: a lagging safekeeper with no active proposer pulls
//!   committed WAL from a peer.
//! - [`metrics`], [`config`].
//!
//! ## Life of a safekeeper
//! ```text
//! start:  open data dir → TimelineStore::list → open + recover each timeline
//!         → spawn its writer and maintenance tasks → serve gRPC
//! greet:  an unknown timeline is created with the greet's timeline_start_lsn
//! stop:   cancel token → gRPC stops accepting, streams end → writers
//!         persist a lazily advanced commit_lsn → run() returns
//! ```
//!
//! [`Acceptor`]: crate::Acceptor

pub mod append;
pub mod config;
pub mod metrics;
pub mod offload;
pub mod pageserver_calls;
pub mod peer_recovery;
pub mod read_wal;
pub mod readers;
pub mod service;
pub mod timeline;
pub mod wal_times;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proto::auth::AuthChannel;
use proto::grpc::safekeeper::safekeeper_client::SafekeeperClient;
use proto::grpc::safekeeper::safekeeper_server::SafekeeperServer;
use proto::{Lsn, TimelineId};
use remote_storage::RemoteStorage;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{Instrument, info, info_span};

pub use config::Config;

use crate::acceptor::initial_state;
use crate::error::{Error, Result};
use crate::storage::{TimelineFiles, TimelineStore};
use timeline::{Timeline, lock};

/// Largest gRPC message accepted (appends and WAL chunks are far smaller).
const MAX_MESSAGE_BYTES: usize = 64 << 20;

/// A started safekeeper.
pub struct Running {
    /// The bound gRPC address (the real port when listening on port 0).
    pub addr: SocketAddr,
    task: JoinHandle<Result<()>>,
}

impl Running {
    /// Waits until the server has stopped (after its cancellation token).
    pub async fn wait(self) -> Result<()> {
        self.task
            .await
            .map_err(|e| Error::Unavailable(format!("server task failed: {e}")))?
    }
}

/// Runs a safekeeper until `cancel` fires. Recovers every timeline in the
/// data directory first and fails (refuses to start) if one is corrupt.
pub async fn run(config: Config, cancel: CancellationToken) -> Result<()> {
    start(config, cancel).await?.wait().await
}

/// Recovers the data directory, binds the gRPC listener and serves in the
/// background until `cancel` fires.
pub async fn start(config: Config, cancel: CancellationToken) -> Result<Running> {
    if !crate::storage::layout::valid_segment_size(config.segment_size) {
        return Err(Error::InvalidRequest(format!(
            "WAL segment size {} is not a power of two from {} to {} bytes",
            config.segment_size,
            crate::storage::layout::MIN_SEGMENT_SIZE,
            crate::storage::layout::MAX_SEGMENT_SIZE
        )));
    }
    let remote = match &config.object_store {
        Some(url) => Some(RemoteStorage::from_url(url, &config.s3)?),
        None => None,
    };
    let data_dir = config.data_dir.clone();
    let (store, recovered) = tokio::task::spawn_blocking(move || -> Result<_> {
        let store = TimelineStore::open(&data_dir)?;
        let mut out = Vec::new();
        for id in store.list()? {
            let files = store.open_timeline(&id)?;
            out.push(files);
        }
        Ok((store, out))
    })
    .await
    .map_err(|e| Error::Unavailable(format!("startup task failed: {e}")))??;

    let peers = config
        .peers
        .iter()
        .map(|addr| Peer::new(addr, &config.auth_token, config.peer_tls.as_ref()))
        .collect::<Result<Vec<_>>>()?;
    let ctx = Arc::new(Context {
        config,
        store,
        remote,
        peers,
        cancel: cancel.clone(),
        tracker: TaskTracker::new(),
        timelines: Mutex::new(HashMap::new()),
        create_lock: tokio::sync::Mutex::new(()),
    });
    let mut summary = Vec::new();
    for files in recovered {
        let tl = ctx.register(files)?;
        let s = tl.snapshot().state;
        summary.push(format!(
            "{} (flush {}, commit {})",
            tl.id, s.flush_lsn, s.commit_lsn
        ));
    }

    let listener = tokio::net::TcpListener::bind(ctx.config.listen)
        .await
        .map_err(|e| Error::Unavailable(format!("bind {}: {e}", ctx.config.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Unavailable(format!("local address: {e}")))?;
    info!(
        node_id = ctx.config.node_id,
        %addr,
        data_dir = %ctx.config.data_dir.display(),
        object_store = ctx.config.object_store.as_deref().unwrap_or("none"),
        peers = ?ctx.config.peers,
        timelines = %if summary.is_empty() { "none".to_string() } else { summary.join(", ") },
        "safekeeper listening"
    );
    let service = SafekeeperServer::new(service::Service::new(ctx.clone()))
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    // The hot Append stream's lean wire and gRPC share the port (see
    // `crate::wire`); both with TCP_NODELAY.
    let lean_ctx = ctx.clone();
    let incoming = crate::wire::split_incoming(listener, cancel.clone(), move |s| {
        lean_ctx
            .tracker
            .spawn(append::serve_lean(lean_ctx.clone(), s));
    });
    let task = tokio::spawn(async move {
        let mut server = tonic::transport::Server::builder();
        if let Some(tls) = &ctx.config.tls {
            server = server
                .tls_config(tls.grpc())
                .map_err(|e| Error::Unavailable(format!("gRPC TLS: {e}")))?;
        }
        let served = server
            .add_service(service)
            .serve_with_incoming_shutdown(incoming, cancel.clone().cancelled_owned())
            .await;
        // The token may not have fired if serving failed: stop the tasks.
        cancel.cancel();
        ctx.tracker.close();
        ctx.tracker.wait().await;
        info!(node_id = ctx.config.node_id, "safekeeper stopped");
        served.map_err(|e| Error::Unavailable(format!("gRPC server: {e}")))
    });
    Ok(Running { addr, task })
}

/// State shared by every request handler and background task.
pub struct Context {
    pub config: Config,
    pub store: TimelineStore,
    pub remote: Option<RemoteStorage>,
    pub peers: Vec<Peer>,
    pub cancel: CancellationToken,
    tracker: TaskTracker,
    timelines: Mutex<HashMap<TimelineId, Arc<Timeline>>>,
    create_lock: tokio::sync::Mutex<()>,
}

impl Context {
    /// The timeline `id`, if this safekeeper has it.
    pub fn get(&self, id: &TimelineId) -> Result<Arc<Timeline>> {
        lock(&self.timelines)
            .get(id)
            .cloned()
            .ok_or_else(|| Error::TimelineNotFound(id.to_string()))
    }

    /// Every timeline, sorted.
    pub fn list(&self) -> Vec<TimelineId> {
        let mut ids: Vec<_> = lock(&self.timelines).keys().cloned().collect();
        ids.sort();
        ids
    }

    /// The timeline `id`, created (durably) starting at `start` if new.
    pub async fn get_or_create(
        self: &Arc<Self>,
        id: &TimelineId,
        start: Lsn,
    ) -> Result<Arc<Timeline>> {
        if let Ok(tl) = self.get(id) {
            return Ok(tl);
        }
        let _creating = self.create_lock.lock().await;
        if let Ok(tl) = self.get(id) {
            return Ok(tl);
        }
        let store = self.store.clone();
        let (segment_size, create_id) = (self.config.segment_size, id.clone());
        let files = tokio::task::spawn_blocking(move || {
            store.create(&create_id, initial_state(start), segment_size)
        })
        .await
        .map_err(|e| Error::Unavailable(format!("create task failed: {e}")))??;
        info!(tenant = %id.tenant, timeline = %id.timeline, start_lsn = %start, "created timeline");
        self.register(files)
    }

    /// Wraps opened storage into a served timeline and starts its tasks.
    fn register(self: &Arc<Self>, files: TimelineFiles) -> Result<Arc<Timeline>> {
        let (tl, queue) = Timeline::new(self.config.node_id, self.store.clone(), files)?;
        lock(&self.timelines).insert(tl.id.clone(), tl.clone());
        self.tracker.spawn(tl.clone().run_writer(
            queue,
            self.config.persist_interval,
            self.cancel.clone(),
        ));
        let span = info_span!("maintenance", tenant = %tl.id.tenant, timeline = %tl.id.timeline);
        self.tracker
            .spawn(offload::run_maintenance(self.clone(), tl.clone()).instrument(span));
        Ok(tl)
    }
}

/// Another safekeeper of the cluster, reached over gRPC.
#[derive(Clone, Debug)]
pub struct Peer {
    pub addr: String,
    pub client: SafekeeperClient<AuthChannel>,
}

impl Peer {
    fn new(
        addr: &str,
        token: &proto::auth::Token,
        tls: Option<&proto::tls::ClientTls>,
    ) -> Result<Peer> {
        let endpoint = proto::tls::endpoint(addr, tls)
            .map_err(|e| Error::InvalidRequest(format!("peer address {addr:?}: {e}")))?
            .connect_timeout(Duration::from_secs(2));
        let client = SafekeeperClient::new(proto::auth::channel(endpoint.connect_lazy(), token))
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES);
        Ok(Peer {
            addr: addr.to_string(),
            client,
        })
    }
}
