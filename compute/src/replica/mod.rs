//! # replica: a read-only compute (`strata compute --read-only`)
//!
//! A read replica serves the same SQL as a primary over the same pageserver, but holds no
//! election and writes nothing:
//!
//! ```text
//!  1. TimelineStatus ──gRPC──▶ pageserver: start at its ingested LSN S0 (a record end;
//!     once the primary has bootstrapped the catalog there)
//!  2. PageCache at S0 → Engine::replica (catalog read at S0) over ReplicaWal
//!  3. Receiver: ReadWal(S0) from the safekeeper with the highest commit_lsn → WalDecoder
//!     → Engine::apply_replicated (redo on cached pages, drop the rest, catalog LSN)
//!     → ReplicaWal::advance (snapshots now read at the record's end)
//!  4. frontend::bind_and_serve: pgwire sessions; writes are 25006 naming the primary
//!     + the lease task (the oldest snapshot leased on the pageserver, as on a primary)
//! ```
//!
//! Only committed WAL is ever applied (safekeepers stream up to their `commit_lsn`), so a
//! replica never shows a state the primary could lose. A page the replica has not cached
//! is fetched from the pageserver at the applied LSN, with its last-written LSN as
//! `not_modified_since` so the answer includes every change the replica dropped. A
//! primary restart or takeover is just more committed WAL (a `TermStart`, then the new
//! primary's commits); a safekeeper that fails or stalls is replaced by another
//! ([`receiver`]). There is no sweeper: space maintenance writes records.
//!
//! Status: `pg_is_in_recovery()` (true), `pg_last_wal_replay_lsn()`,
//! `pg_last_wal_receive_lsn()`, `strata_wait_lsn('X/Y' [, ms])` and the
//! `strata_replication_status` relation ([`ReplicaWal`] answers them through the engine's
//! services); lag in Prometheus ([`metrics`]).

pub mod metrics;
pub mod receiver;
pub mod wal;

use std::sync::Arc;
use std::time::{Duration, Instant};

use proto::grpc::pageserver as pb;
use proto::grpc::pageserver::pageserver_client::PageserverClient;
use proto::{Lsn, PageKey, TimelineId};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

pub use receiver::Receiver;
pub use wal::ReplicaWal;

use crate::Error;
use crate::engine::{CATALOG_REL, Engine, EngineConfig, PageTable, WalSink};
use crate::page_cache::{CacheConfig, PageCache};
use crate::page_client::{PageClient, PageClientConfig};

/// Where a replica starts: the pageserver's ingested LSN once the catalog exists there,
/// and a page cache whose latest versions are those at it.
async fn start_point(
    pageserver: &str,
    timeline: &TimelineId,
    cache_bytes: u64,
    deadline: Instant,
    token: &proto::auth::Token,
    tls: Option<&proto::tls::ClientTls>,
) -> Result<(Lsn, Arc<PageCache>), Error> {
    let fail = |reason: String| Error::Pageserver {
        addr: pageserver.to_string(),
        reason,
    };
    let runtime = tokio::runtime::Handle::current();
    let mut last = String::from("not asked yet");
    loop {
        if Instant::now() >= deadline {
            return Err(fail(format!(
                "no start point for a replica of {}/{}: {last}",
                timeline.tenant, timeline.timeline
            )));
        }
        let status = async {
            let channel = proto::tls::endpoint(pageserver, tls)
                .map_err(|e| e.to_string())?
                .connect()
                .await
                .map_err(|e| e.to_string())?;
            let mut c = PageserverClient::new(proto::auth::channel(channel, token));
            c.timeline_status(pb::TimelineStatusRequest {
                tenant: timeline.tenant.to_string(),
                timeline: timeline.timeline.to_string(),
                with_logical_size: false,
            })
            .await
            .map(|r| r.into_inner())
            .map_err(|s| s.to_string())
        };
        match tokio::time::timeout(Duration::from_secs(5), status).await {
            Ok(Ok(info)) => {
                let start = Lsn(info.last_record_lsn.max(info.start_lsn));
                let client = PageClient::connect(
                    pageserver,
                    timeline.clone(),
                    runtime.clone(),
                    PageClientConfig {
                        auth_token: token.clone(),
                        tls: tls.cloned(),
                        ..PageClientConfig::default()
                    },
                )
                .map_err(|e| fail(e.to_string()))?;
                let cache = PageCache::new(
                    client,
                    CacheConfig {
                        cache_bytes,
                        ..CacheConfig::default()
                    },
                    start,
                );
                cache.advance_latest(start);
                let probe = cache.clone();
                let catalog = tokio::task::spawn_blocking(move || {
                    probe.get(PageKey {
                        rel: CATALOG_REL,
                        block: 0,
                    })
                })
                .await
                .map_err(|e| fail(format!("catalog probe task: {e}")))?;
                match catalog {
                    Ok(Some(_)) => return Ok((start, cache)),
                    Ok(None) => {
                        last = format!("no catalog at {start} yet (the primary has not started)")
                    }
                    Err(e) => last = format!("read the catalog at {start}: {e}"),
                }
            }
            Ok(Err(e)) => last = e,
            Err(_) => last = "TimelineStatus took over 5 s".into(),
        }
        tracing::debug!(reason = %last, "replica start point not ready; retrying");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A started replica's parts (the server wraps them in its `Running`).
pub struct Started {
    pub engine: Engine,
    pub wal: Arc<ReplicaWal>,
    pub receiving: tokio::task::JoinHandle<()>,
}

/// What a replica starts from.
pub struct ReplicaConfig<'a> {
    pub pageserver: &'a str,
    pub safekeepers: &'a [String],
    pub timeline: &'a TimelineId,
    pub cache_bytes: u64,
    /// Named in the error of a write (25006).
    pub primary: &'a str,
    /// How the safekeepers list this replica in their `Status`.
    pub name: String,
    /// How long to wait for a start point.
    pub limit: Duration,
    /// The compute's token for the pageserver and the safekeepers.
    pub token: &'a proto::auth::Token,
    /// `--grpc-tls-ca`: reach them over TLS, trusting this CA.
    pub tls: Option<&'a proto::tls::ClientTls>,
}

/// Steps 1–3 of the module docs: the engine at the start point and the WAL receiver
/// running (until `cancel`).
pub async fn start(config: ReplicaConfig<'_>, cancel: CancellationToken) -> Result<Started, Error> {
    let ReplicaConfig {
        pageserver,
        safekeepers,
        timeline,
        cache_bytes,
        primary,
        name,
        limit,
        token,
        tls,
    } = config;
    let deadline = Instant::now() + limit;
    let (start, cache) =
        start_point(pageserver, timeline, cache_bytes, deadline, token, tls).await?;
    let wal = Arc::new(ReplicaWal::new(start, primary, timeline));
    let pages = Arc::new(PageTable::cached(cache));
    let sink: Arc<dyn WalSink> = wal.clone();
    let reason = wal.read_only_reason();
    let engine = tokio::task::spawn_blocking(move || {
        Engine::replica(pages, sink, EngineConfig::default(), reason)
    })
    .await
    .map_err(|e| Error::EngineStart(format!("engine start task: {e}")))?
    .map_err(|e| Error::EngineStart(e.to_string()))?;
    tracing::info!(%start, "replica engine ready");
    let receiver = Receiver {
        timeline: timeline.clone(),
        safekeepers: safekeepers.to_vec(),
        engine: engine.clone(),
        wal: wal.clone(),
        token: token.clone(),
        tls: tls.cloned(),
        name,
    };
    let receiving = tokio::spawn(receiver.run(cancel).in_current_span());
    Ok(Started {
        engine,
        wal,
        receiving,
    })
}
