//! # server: a primary compute node (`strata compute`)
//!
//! [`run`] wires the pieces of this crate into one server for one timeline:
//!
//! ```text
//!  1. WalProposer::start ──Greet/Vote/Elected──▶ safekeepers   (fences any older primary;
//!     (ProposerWal)                                            WAL ends at the TermStart)
//!  2. CreateTimeline ──gRPC──▶ pageserver                      (if missing: a fresh cluster)
//!  3. PageClient + PageCache (--cache-size) → PageTable::cached
//!     Engine::start: read the catalog from the pageserver at the WAL's end,
//!     or write the bootstrap record on a brand-new timeline
//!  4. frontend::bind_and_serve(--listen, --max-connections): pgwire sessions over the Engine
//!     + the lease task: the oldest held snapshot's LSN leased on the pageserver (LeaseLsn),
//!     renewed before it expires ([`SnapshotLeases`])
//!     + the sweeper: space maintenance of relations no commit writes ([`sweeper`])
//!  5. cancel (Ctrl-C / SIGTERM) → stop accepting, close sessions, stop the proposer
//!  6. the engine stops serving (Engine::stopping) → the same, and `run` fails
//! ```
//!
//! Commits are durable on a quorum of safekeepers ([`ProposerWal`]); pages come from the
//! pageserver through the page cache, so the compute keeps no state of its own: a fresh
//! compute on another port, after a kill -9 of this one, sees every committed row.
//! A compute that loses its WAL — a newer primary fenced it (learned from an append's
//! reply or the driver's idle heartbeat), or a commit's durability wait failed, leaving
//! its outcome unknown (08006) — stops serving at once: every session is closed (FATAL
//! 57P01 saying why), the listener is dropped and [`run`] returns [`Error::Stopped`], so
//! `strata compute` exits non-zero for its supervisor to start a fresh compute (new
//! election, empty caches). [`Running::lost`] lets an in-process owner (`strata start`)
//! restart it instead.
//!
//! Authentication ([`frontend::auth::resolve`], checked before anything else starts): trust
//! on a loopback address, as a local PostgreSQL; SCRAM-SHA-256 with `--users-file`; a
//! non-loopback `--listen` without a users file refuses to start unless `--auth trust`.
//! Errors are the crate's [`Error`] (`Election`, `Pageserver`, `EngineStart`, `Listen`,
//! `StartTimeout`, `Config`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use proto::auth::AuthChannel;
use proto::grpc::pageserver as pb;
use proto::grpc::pageserver::pageserver_client::PageserverClient;
use proto::{Lsn, TimelineId};
use safekeeper::driver::DriverConfig;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::Error;
use crate::engine::horizon::{LeasePlan, Snapshots};
use crate::engine::{Engine, EngineConfig, PageTable, ProposerWal, WalSink};
use crate::frontend::auth::{self, AuthMethod};
use crate::frontend::tls::{self, TlsFiles};
use crate::frontend::{self, FrontendConfig};
use crate::page_cache::{CacheConfig, PageCache};
use crate::page_client::{PageClient, PageClientConfig};
use crate::sweeper::{self, SweepConfig};

/// Settings of one compute node (the `strata compute` flags).
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// pgwire address (`--listen`).
    pub listen: SocketAddr,
    /// The pageserver's gRPC address (`--pageserver`).
    pub pageserver: String,
    /// The safekeepers' gRPC addresses (`--safekeepers`).
    pub safekeepers: Vec<String>,
    /// `--tenant` / `--timeline`.
    pub timeline: TimelineId,
    /// Bytes of clean pages cached (`--cache-size`).
    pub cache_bytes: u64,
    /// Client connections at once (`--max-connections`).
    pub max_connections: usize,
    /// This compute's proposer id in elections.
    pub proposer_id: u64,
    /// How long startup may take at most (election, pageserver, catalog).
    pub start_timeout: Duration,
    /// `--auth`: `None` decides from the listen address and the users file.
    pub auth: Option<AuthMethod>,
    /// `--users-file`: SCRAM-SHA-256 verifiers of the users who may log in.
    pub users_file: Option<PathBuf>,
    /// `--auth-rules`: who may connect from where, and how ([`frontend::auth_rules`]).
    pub auth_rules: Option<PathBuf>,
    /// `--read-only`: a read replica ([`crate::replica`]): no election, committed WAL
    /// streamed from the safekeepers, writes refused with 25006.
    pub read_only: bool,
    /// `--primary`: where a replica tells clients to send writes (shown in its 25006).
    pub primary: Option<String>,
    /// `--tls-cert` / `--tls-key`: TLS for clients that ask for it.
    pub tls: Option<TlsFiles>,
    /// `--tls-required`: refuse clients without TLS (needs `tls`).
    pub tls_required: bool,
    /// `--auth-token-file`: the compute token sent to the safekeepers and the pageserver.
    pub auth_token: proto::auth::Token,
    /// `--grpc-tls-ca`: reach the safekeepers and the pageserver over TLS, trusting this CA.
    pub grpc_tls: Option<proto::tls::ClientTls>,
}

impl ServerConfig {
    pub fn new(
        listen: SocketAddr,
        pageserver: String,
        safekeepers: Vec<String>,
        timeline: TimelineId,
    ) -> ServerConfig {
        ServerConfig {
            listen,
            pageserver,
            safekeepers,
            timeline,
            cache_bytes: CacheConfig::default().cache_bytes,
            max_connections: FrontendConfig::default().max_connections,
            proposer_id: default_proposer_id(),
            start_timeout: Duration::from_secs(60),
            auth: None,
            users_file: None,
            auth_rules: None,
            read_only: false,
            primary: None,
            tls: None,
            tls_required: false,
            auth_token: proto::auth::Token::none(),
            grpc_tls: None,
        }
    }
}

/// A proposer id unlikely to collide with another compute's: the clock and the pid.
fn default_proposer_id() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    (nanos ^ (u64::from(std::process::id()) << 32)) | 1
}

/// A started compute: its bound pgwire address and the task serving it.
pub struct Running {
    /// The bound address (the real port when listening on port 0).
    pub addr: SocketAddr,
    /// The engine (tests inspect it).
    pub engine: Engine,
    /// A primary's WAL (`None` on a replica).
    wal: Option<Arc<ProposerWal>>,
    /// A replica's WAL sink (`None` on a primary).
    replica: Option<Arc<crate::replica::ReplicaWal>>,
    serving: tokio::task::JoinHandle<()>,
    leasing: tokio::task::JoinHandle<()>,
    /// A primary's sweeper; a replica's WAL receiver.
    sweeping: Option<tokio::task::JoinHandle<u64>>,
    receiving: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Resolves when the engine stops serving (WAL lost or fenced), with why; the front
    /// end is then closing every session and stops accepting.
    pub async fn lost(&self) -> String {
        self.engine.stopping().cancelled().await;
        self.engine
            .stopped()
            .unwrap_or_else(|| "the engine stopped serving".to_string())
    }

    /// Waits until the front end has stopped (after `cancel`, or once the engine stopped
    /// serving), stops the lease task and the sweeper, then stops the proposer.
    pub async fn stopped(self) {
        if let Err(e) = self.serving.await {
            tracing::error!(error = %e, "front end task failed");
        }
        // It holds nothing to clean up (an unrenewed lease lapses), and it is not
        // cancelled when the engine stops serving on its own.
        self.leasing.abort();
        if let Err(e) = self.leasing.await
            && !e.is_cancelled()
        {
            tracing::error!(error = %e, "snapshot lease task failed");
        }
        // Cancelled with the front end (or stopped with the engine); an in-flight sweep
        // finishes first, so its record is not cut off by the proposer's shutdown.
        if let Some(sweeping) = self.sweeping {
            match sweeping.await {
                Ok(n) => tracing::debug!(records = n, "sweeper stopped"),
                Err(e) => tracing::error!(error = %e, "sweeper task failed"),
            }
        }
        if let Some(receiving) = self.receiving {
            receiving.abort();
            let _ = receiving.await;
        }
        if let Some(wal) = &self.wal {
            wal.proposer().shutdown();
        }
    }

    /// A replica's WAL sink (its applied LSN and lag), `None` on a primary.
    pub fn replica(&self) -> Option<&Arc<crate::replica::ReplicaWal>> {
        self.replica.as_ref()
    }
}

/// Runs a compute until `cancel` fires. See the module docs.
pub async fn run(config: ServerConfig, cancel: CancellationToken) -> Result<(), Error> {
    let (tenant, timeline) = (
        config.timeline.tenant.to_string(),
        config.timeline.timeline.to_string(),
    );
    let running = start(config, cancel.clone()).await?;
    let lost = tokio::select! {
        _ = cancel.cancelled() => None,
        why = running.lost() => Some(why),
    };
    match &lost {
        None => tracing::info!(%tenant, %timeline, "compute shutting down"),
        Some(why) => tracing::error!(%tenant, %timeline, reason = %why, "compute stopped serving"),
    }
    running.stopped().await;
    lost.map_or(Ok(()), |why| Err(Error::Stopped(why)))
}

/// Starts a compute (steps 1–4 of the module docs) and returns once it accepts
/// connections; it serves until `cancel` fires.
pub async fn start(config: ServerConfig, cancel: CancellationToken) -> Result<Running, Error> {
    let span = tracing::info_span!(
        "compute",
        tenant = %config.timeline.tenant,
        timeline = %config.timeline.timeline,
    );
    let timeout = config.start_timeout;
    tokio::time::timeout(timeout, start_inner(config, cancel).instrument(span))
        .await
        .map_err(|_| Error::StartTimeout(timeout))?
}

async fn start_inner(config: ServerConfig, cancel: CancellationToken) -> Result<Running, Error> {
    let auth = auth::resolve_with_rules(
        config.listen,
        config.auth,
        config.users_file.as_deref(),
        config.auth_rules.as_deref(),
    )?;
    if config.tls_required && config.tls.is_none() {
        return Err(Error::Config(
            "--tls-required needs a certificate: give --tls-cert and --tls-key".into(),
        ));
    }
    let tls = config.tls.as_ref().map(tls::acceptor).transpose()?;
    if config.read_only {
        return start_replica(config, auth, tls, cancel).await;
    }
    let runtime = tokio::runtime::Handle::current();
    // The timeline first: its start LSN is what the proposer greets the safekeepers with
    // (a branch's WAL starts at its branch point, a root's at `Lsn::TIMELINE_START`; a
    // proposer greeting with the wrong one is refused by every safekeeper).
    let start_lsn = ensure_timeline(
        &config.pageserver,
        &config.timeline,
        config.start_timeout,
        &config.auth_token,
        config.grpc_tls.as_ref(),
    )
    .await?;
    let mut driver = DriverConfig::new(
        config.timeline.clone(),
        config.safekeepers.clone(),
        config.proposer_id,
    );
    driver.timeline_start_lsn = start_lsn;
    driver.registry = Some(prometheus::default_registry().clone());
    driver.auth_token = config.auth_token.clone();
    driver.tls = config.grpc_tls.clone();
    let wal = Arc::new(ProposerWal::start(driver, runtime.clone()).await?);
    let term = wal.proposer().term();
    let wal_end = wal.end_lsn();
    tracing::info!(term, %wal_end, %start_lsn, "elected primary");

    let client = PageClient::connect(
        &config.pageserver,
        config.timeline.clone(),
        runtime.clone(),
        PageClientConfig {
            auth_token: config.auth_token.clone(),
            tls: config.grpc_tls.clone(),
            ..PageClientConfig::default()
        },
    )
    .map_err(|e| Error::Pageserver {
        addr: config.pageserver.clone(),
        reason: e.to_string(),
    })?;
    let cache_config = CacheConfig {
        cache_bytes: config.cache_bytes,
        ..CacheConfig::default()
    };
    let cache = PageCache::new(client, cache_config, wal_end);
    let pages = Arc::new(PageTable::cached(cache));
    // The engine's constructor fetches pages and waits for durability: blocking work.
    let sink: Arc<dyn WalSink> = wal.clone();
    let engine =
        tokio::task::spawn_blocking(move || Engine::start(pages, sink, EngineConfig::default()))
            .await
            .map_err(|e| Error::EngineStart(format!("engine start task: {e}")))?
            .map_err(|e| Error::EngineStart(e.to_string()))?;
    tracing::info!(snapshot = %engine.durable_lsn(), "engine ready");

    let listener = bind(config.listen).await?;
    let (addr, serving, leasing) = serve(&config, listener, auth, tls, &engine, &cancel).await?;
    tracing::info!(%addr, max_connections = config.max_connections, "accepting connections");
    let sweeping = tokio::spawn(
        sweeper::run(engine.clone(), SweepConfig::default(), cancel.child_token())
            .in_current_span(),
    );
    Ok(Running {
        addr,
        engine,
        wal: Some(wal),
        replica: None,
        serving,
        leasing,
        sweeping: Some(sweeping),
        receiving: None,
    })
}

/// A read replica ([`crate::replica`]): the engine at the pageserver's ingested LSN, the
/// WAL receiver, the front end and the lease task — no election, no sweeper.
async fn start_replica(
    config: ServerConfig,
    auth: auth::Auth,
    tls: Option<pgwire::tokio::TlsAcceptor>,
    cancel: CancellationToken,
) -> Result<Running, Error> {
    let primary = config.primary.clone().unwrap_or_else(|| {
        format!(
            "the primary compute of timeline {}/{}",
            config.timeline.tenant, config.timeline.timeline
        )
    });
    // Bound first: the safekeepers list the replica by the address it serves on.
    let listener = bind(config.listen).await?;
    let addr = listener.local_addr().map_err(|e| Error::Listen {
        addr: config.listen,
        reason: e.to_string(),
    })?;
    let started = crate::replica::start(
        crate::replica::ReplicaConfig {
            pageserver: &config.pageserver,
            safekeepers: &config.safekeepers,
            timeline: &config.timeline,
            cache_bytes: config.cache_bytes,
            primary: &primary,
            name: format!("replica {addr}"),
            limit: config.start_timeout,
            token: &config.auth_token,
            tls: config.grpc_tls.as_ref(),
        },
        cancel.child_token(),
    )
    .await?;
    let engine = started.engine;
    let (addr, serving, leasing) = serve(&config, listener, auth, tls, &engine, &cancel).await?;
    tracing::info!(%addr, applied = %started.wal.applied(), "read replica accepting connections");
    Ok(Running {
        addr,
        engine,
        wal: None,
        replica: Some(started.wal),
        serving,
        leasing,
        sweeping: None,
        receiving: Some(started.receiving),
    })
}

/// The pgwire listener on `addr` (`--listen`).
async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, Error> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Error::Listen {
            addr,
            reason: e.to_string(),
        })
}

/// What a primary and a replica both run once their engine is up: the front end on
/// `listener` (bound to `config.listen`) and the lease task on the oldest snapshot.
/// Returns the bound address and the two tasks.
async fn serve(
    config: &ServerConfig,
    listener: tokio::net::TcpListener,
    auth: auth::Auth,
    tls: Option<pgwire::tokio::TlsAcceptor>,
    engine: &Engine,
    cancel: &CancellationToken,
) -> Result<
    (
        SocketAddr,
        tokio::task::JoinHandle<()>,
        tokio::task::JoinHandle<()>,
    ),
    Error,
> {
    let served = engine.clone();
    let addr = listener.local_addr().map_err(|e| Error::Listen {
        addr: config.listen,
        reason: e.to_string(),
    })?;
    let serving = tokio::spawn(frontend::serve(
        listener,
        FrontendConfig {
            max_connections: config.max_connections,
            auth,
            tls,
            tls_required: config.tls_required,
        },
        move || served.for_session(),
        cancel.child_token(),
    ));
    let leases = SnapshotLeases::new(
        &config.pageserver,
        config.timeline.clone(),
        engine.snapshots().clone(),
        SNAPSHOT_LEASE_TTL,
        &config.auth_token,
        config.grpc_tls.as_ref(),
    )?;
    let leasing = tokio::spawn(leases.run(cancel.child_token()).in_current_span());
    Ok((addr, serving, leasing))
}

/// How long the lease on the oldest snapshot lasts; renewed after a third of it.
pub const SNAPSHOT_LEASE_TTL: Duration = Duration::from_secs(60);

/// How often the lease task looks at the oldest held snapshot.
const LEASE_POLL: Duration = Duration::from_millis(500);

/// The lease task: keeps the LSN of the oldest snapshot this compute holds leased on the
/// pageserver, so its GC never passes a snapshot in use ([`crate::engine::horizon`] has the
/// plan). A snapshot GC already passed cannot be leased: that is reported as "too old",
/// and reads needing its old page versions fail with the pageserver's GC-horizon error.
pub struct SnapshotLeases {
    addr: String,
    client: PageserverClient<AuthChannel>,
    timeline: TimelineId,
    snapshots: Arc<Snapshots>,
    plan: LeasePlan,
    /// The last failure logged (the same one is not logged again at every poll).
    last_error: Option<String>,
}

impl SnapshotLeases {
    /// A lease keeper for `snapshots` on the pageserver at `addr` (connected lazily).
    pub fn new(
        addr: &str,
        timeline: TimelineId,
        snapshots: Arc<Snapshots>,
        ttl: Duration,
        token: &proto::auth::Token,
        tls: Option<&proto::tls::ClientTls>,
    ) -> Result<SnapshotLeases, Error> {
        let channel = proto::tls::endpoint(addr, tls)
            .map_err(|e| Error::Config(format!("pageserver address {addr:?}: {e}")))?
            .connect_timeout(Duration::from_secs(5))
            .connect_lazy();
        Ok(SnapshotLeases {
            addr: addr.to_string(),
            client: PageserverClient::new(proto::auth::channel(channel, token)),
            timeline,
            snapshots,
            plan: LeasePlan::new(ttl),
            last_error: None,
        })
    }

    /// Takes or renews the lease if it is due; the LSN leased, if one was.
    pub async fn step(&mut self) -> Result<Option<Lsn>, Error> {
        let now = Instant::now();
        let Some(lsn) = self.plan.due(self.snapshots.oldest(), now) else {
            return Ok(None);
        };
        let request = pb::LeaseRequest {
            tenant: self.timeline.tenant.to_string(),
            timeline: self.timeline.timeline.to_string(),
            lsn: lsn.0,
            ttl_ms: self.plan.ttl().as_millis() as u64,
        };
        let answer =
            tokio::time::timeout(Duration::from_secs(10), self.client.lease_lsn(request)).await;
        let reason = match answer {
            Ok(Ok(_)) => {
                self.plan.granted(lsn, now);
                tracing::debug!(%lsn, "leased the oldest snapshot");
                return Ok(Some(lsn));
            }
            Ok(Err(s)) if s.code() == tonic::Code::FailedPrecondition => format!(
                "snapshot {lsn} is too old: the pageserver's GC has passed it, so it cannot be \
                 leased and reads that need its old page versions fail ({})",
                s.message()
            ),
            Ok(Err(s)) => format!("lease snapshot {lsn}: {s}"),
            Err(_) => format!("lease snapshot {lsn}: no answer within 10 s"),
        };
        self.plan.failed();
        Err(Error::Pageserver {
            addr: self.addr.clone(),
            reason,
        })
    }

    /// Steps every [`LEASE_POLL`] until `cancel`.
    pub async fn run(mut self, cancel: CancellationToken) {
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(LEASE_POLL) => {}
            }
            match self.step().await {
                Ok(_) => self.last_error = None,
                Err(e) => {
                    let text = e.to_string();
                    if self.last_error.as_ref() != Some(&text) {
                        tracing::error!(error = %text, "snapshot lease");
                        self.last_error = Some(text);
                    }
                }
            }
        }
    }
}

/// Creates `timeline` on the pageserver unless it exists, retrying while the pageserver
/// is unreachable (it may be starting) for up to `limit`. Returns where the timeline's WAL
/// starts (a branch's branch point). An existing timeline is only looked at, so a compute
/// token (which may not create timelines) starts a compute on a timeline an admin made.
pub async fn ensure_timeline(
    addr: &str,
    timeline: &TimelineId,
    limit: Duration,
    token: &proto::auth::Token,
    tls: Option<&proto::tls::ClientTls>,
) -> Result<Lsn, Error> {
    let deadline = Instant::now() + limit;
    let mut backoff =
        proto::backoff::Backoff::new(Duration::from_millis(50), Duration::from_secs(1));
    loop {
        let attempt = async {
            let channel = proto::tls::endpoint(addr, tls)
                .map_err(|e| tonic::Status::invalid_argument(e.to_string()))?
                .connect()
                .await
                .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
            let mut client = PageserverClient::new(proto::auth::channel(channel, token));
            let status_request = pb::TimelineStatusRequest {
                tenant: timeline.tenant.to_string(),
                timeline: timeline.timeline.to_string(),
                with_logical_size: false,
            };
            match client.timeline_status(status_request.clone()).await {
                Err(s) if s.code() == tonic::Code::NotFound => {}
                other => return other,
            }
            let created = client
                .create_timeline(pb::CreateTimelineRequest {
                    tenant: timeline.tenant.to_string(),
                    timeline: timeline.timeline.to_string(),
                    ..Default::default()
                })
                .await;
            match created {
                Err(s) if s.code() == tonic::Code::AlreadyExists => {
                    tracing::debug!("the timeline exists on the pageserver");
                    client.timeline_status(status_request).await
                }
                other => other,
            }
        };
        let outcome = tokio::time::timeout(Duration::from_secs(10), attempt).await;
        let status = match outcome {
            Ok(Ok(info)) => {
                let info = info.into_inner();
                tracing::info!(
                    generation = info.generation,
                    start_lsn = %Lsn(info.start_lsn),
                    ancestor = %info.ancestor,
                    "the timeline is on the pageserver"
                );
                if info.start_lsn == 0 {
                    return Ok(Lsn::TIMELINE_START);
                }
                return Ok(Lsn(info.start_lsn));
            }
            Ok(Err(s)) => s,
            Err(_) => tonic::Status::deadline_exceeded("CreateTimeline took over 10s"),
        };
        let retry = matches!(
            status.code(),
            tonic::Code::Unavailable | tonic::Code::DeadlineExceeded | tonic::Code::Unknown
        );
        if !retry || Instant::now() + backoff.peek() > deadline {
            return Err(Error::Pageserver {
                addr: addr.to_string(),
                reason: format!(
                    "create timeline {}/{}: {status}",
                    timeline.tenant, timeline.timeline
                ),
            });
        }
        tracing::warn!(error = %status, "pageserver not ready; retrying");
        tokio::time::sleep(backoff.next_delay()).await;
    }
}

/// Parses a size with an optional binary unit: `1048576`, `64KiB`, `256MiB`, `1GiB`
/// (also `kB`/`MB`/`GB` as PostgreSQL's memory units, which are binary too).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("invalid size {text:?}: expected e.g. 256MiB"))?;
    let shift = match unit.trim() {
        "" | "B" => 0,
        "K" | "KB" | "kB" | "KiB" => 10,
        "M" | "MB" | "MiB" => 20,
        "G" | "GB" | "GiB" => 30,
        "T" | "TB" | "TiB" => 40,
        other => {
            return Err(format!(
                "invalid size unit {other:?} in {text:?}: use KiB, MiB or GiB"
            ));
        }
    };
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("size {text:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("1MiB"), Ok(1 << 20));
        assert_eq!(parse_size("256MiB"), Ok(256 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("64KiB"), Ok(64 << 10));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("2GB"), Ok(2 << 30));
        assert!(parse_size("12XB").is_err());
        assert!(parse_size("MiB").is_err());
        assert!(parse_size("99999999999TiB").is_err());
    }
}
