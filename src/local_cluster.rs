//! `strata start` as a library: a whole cluster in one process.
//!
//! [`LocalCluster`] runs three safekeepers (or one: [`LocalClusterConfig::safekeepers`]),
//! one pageserver and one primary compute, each exactly as its own `strata` subcommand would run it, talking
//! to each other over gRPC on loopback ports — only the process boundary is
//! missing. Everything lives under one data directory:
//!
//! ```text
//! {data_dir}/safekeeper-1|2|3/   WAL segments and control files (only -1 with one safekeeper)
//! {data_dir}/pageserver/         the pageserver's local layer cache
//! {data_dir}/objects/            the object store (file://), unless --object-store says otherwise
//! {data_dir}/logs/               the components' logs (`strata start` sets this up, see crate::logging)
//! {data_dir}/cluster.toml        the addresses chosen, while running (crate::cluster_file)
//! {data_dir}/ports.toml          the safekeeper and pageserver ports, reused across restarts (crate::local_ports)
//! {data_dir}/auth/               the key pair and admin token of component auth (crate::auth_files)
//! ```
//!
//! Start order is the dependency order: safekeepers (on ports picked up
//! front so each knows its peers), then the pageserver (which streams WAL from
//! them), then the compute (which wins an election on the safekeepers and
//! creates tenant `default` / timeline `main` on the pageserver if missing);
//! [`LocalCluster::start_reporting`] reports each as it comes up ([`Started`]).
//! Once all serve, `cluster.toml` records their addresses for the admin
//! commands. [`LocalCluster::stop`] stops them in reverse order and removes
//! `cluster.toml`; the pageserver flushes
//! and uploads what it ingested. Run again on the same directory, the cluster
//! resumes with all its data: the safekeepers recover their WAL, the
//! pageserver reattaches from the object store, and the new compute's
//! election fences nothing but its own previous run.
//!
//! How many safekeepers is fixed when the data directory is created: a directory made with
//! three refuses to start with one (the one left might be the one that missed the
//! committed tail) and the other way round (two empty newcomers would outvote the one that
//! holds the WAL). One safekeeper makes a commit one fdatasync on this machine's disk
//! instead of the second of three concurrent ones; on one machine with one disk the three
//! copies add no protection against losing that disk, only against losing a file.
//! Read replicas (`LocalClusterConfig::replicas`, [`LocalCluster::add_replica`],
//! [`LocalCluster::remove_replica`]) are read-only computes on free loopback ports
//! following the same timeline (`compute::replica`); they may come and go while the
//! cluster runs and stop before the primary.
//!
//! Component auth is on unless [`LocalClusterConfig::auth`] is false: every gRPC call
//! between the components carries a token of its role (compute, pageserver, safekeeper,
//! admin) signed with the data directory's key, and every server checks it
//! (`proto::auth`); the timeline is created with the admin token before the compute
//! starts, since a compute token may not create timelines.
//!
//! The compute is supervised: if it stops serving — a commit's durability wait
//! failed (its outcome unknown) or another proposer fenced it — its sessions are
//! closed and a fresh compute (new election, empty caches) is started on the same
//! port, retried with backoff (each failure logged as an error) until it serves
//! or the cluster stops. The cluster owns its timeline, so a takeover by an
//! outside proposer is treated like any other loss.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use proto::TimelineId;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// What to start.
#[derive(Clone, Debug)]
pub struct LocalClusterConfig {
    pub data_dir: PathBuf,
    /// Object store URL; `None` is `file://{data_dir}/objects`.
    pub object_store: Option<String>,
    pub s3: remote_storage::S3Options,
    /// The PostgreSQL port on 127.0.0.1 (0 picks a free one).
    pub port: u16,
    /// Bytes of clean pages the compute caches.
    pub cache_bytes: Option<u64>,
    /// SCRAM-SHA-256 users for the compute (`None`: trust, it listens on loopback only).
    pub users_file: Option<PathBuf>,
    /// Who may connect from where, and how (`--auth-rules`, pg_hba.conf-like).
    pub auth_rules: Option<PathBuf>,
    /// TLS for PostgreSQL clients (`strata start --tls` makes a self-signed pair).
    pub tls: Option<compute::frontend::tls::TlsFiles>,
    /// Refuse PostgreSQL clients without TLS.
    pub tls_required: bool,
    pub timeline: TimelineId,
    /// Create `timeline` as a branch of this timeline (of the same tenant, at its latest
    /// commit) when it does not exist yet (`strata start --branch NAME`).
    pub branch_from: Option<String>,
    /// How many safekeepers: 3 (the default; a commit is durable on 2) or 1.
    pub safekeepers: usize,
    /// Read replicas started with the cluster (`strata start --replicas N`); more can be
    /// added and removed while it runs ([`LocalCluster::add_replica`]).
    pub replicas: usize,
    /// Component auth (see the module docs); on by default.
    pub auth: bool,
    /// TLS between the components (`strata start --grpc-tls`): a self-signed pair made
    /// once in `DATA_DIR/tls/grpc/`, served by the safekeepers and the pageserver and
    /// trusted by every caller; off by default (loopback only).
    pub grpc_tls: bool,
}

impl LocalClusterConfig {
    /// The embedded default: `./strata-data`, port 55432, `default`/`main`.
    pub fn new(data_dir: impl Into<PathBuf>) -> LocalClusterConfig {
        LocalClusterConfig {
            data_dir: data_dir.into(),
            object_store: None,
            s3: Default::default(),
            port: 55432,
            cache_bytes: None,
            users_file: None,
            auth_rules: None,
            tls: None,
            tls_required: false,
            timeline: TimelineId::new("default", "main").expect("valid built-in names"),
            branch_from: None,
            safekeepers: 3,
            replicas: 0,
            auth: true,
            grpc_tls: false,
        }
    }
}

/// A component that came up, as [`LocalCluster::start_reporting`] reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Started {
    Safekeepers(Vec<SocketAddr>),
    Pageserver(SocketAddr),
    /// The primary compute: PostgreSQL clients can connect here.
    Compute(SocketAddr),
    /// A read replica: read-only PostgreSQL clients can connect here.
    Replica(SocketAddr),
    /// The timeline was created as a branch of `from` (see
    /// [`LocalClusterConfig::branch_from`]).
    Branched {
        from: String,
        at: String,
    },
}

/// Why the cluster could not start.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("prepare {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    SafekeeperCount(String),
    #[error("start safekeeper {id}: {source}")]
    Safekeeper { id: u64, source: safekeeper::Error },
    #[error("start the pageserver: {0}")]
    Pageserver(#[from] pageserver::Error),
    #[error("open the object store: {0}")]
    ObjectStore(#[from] remote_storage::Error),
    #[error("start the compute: {0}")]
    Compute(#[from] compute::Error),
    #[error("component auth: {0}")]
    Auth(#[from] proto::auth::AuthError),
    #[error("component TLS: {0}")]
    Tls(proto::Error),
    #[error("create timeline {timeline}: {source}")]
    Timeline {
        timeline: String,
        source: compute::Error,
    },
    #[error("branch {timeline} from {from}: {source}")]
    Branch {
        timeline: String,
        from: String,
        source: crate::admin::AdminError,
    },
}

/// A running local cluster.
pub struct LocalCluster {
    /// Where PostgreSQL clients connect.
    pub postgres_addr: SocketAddr,
    pub safekeepers: Vec<SocketAddr>,
    pub pageserver: SocketAddr,
    pub timeline: TimelineId,
    data_dir: PathBuf,
    cancel: CancellationToken,
    /// The compute's supervisor (see the module docs).
    compute: JoinHandle<()>,
    ps: Arc<pageserver::Pageserver>,
    ps_server: JoinHandle<pageserver::Result<()>>,
    sk_cancel: CancellationToken,
    sks: Vec<safekeeper::server::Running>,
    /// What a new replica is started with (read-only, on a free port).
    replica_config: compute::server::ServerConfig,
    replicas: std::sync::Mutex<Vec<ReplicaHandle>>,
    /// The admin token (none without component auth) and the CA of the components' TLS.
    admin: crate::admin::Access,
    /// Where that CA is (`cluster.toml` names it for the admin commands).
    grpc_tls_ca: Option<PathBuf>,
}

/// One running read replica of the cluster.
struct ReplicaHandle {
    addr: SocketAddr,
    cancel: CancellationToken,
    task: JoinHandle<()>,
}

/// `DATA_DIR/logs`: where `strata start` writes the components' logs.
pub fn logs_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("logs")
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ClusterError + '_ {
    move |source| ClusterError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Refuses a safekeeper count other than 1 or 3, or other than the one the data
/// directory was made with (see the module docs).
fn check_safekeeper_count(dir: &Path, n: usize) -> Result<(), ClusterError> {
    if n != 1 && n != 3 {
        return Err(ClusterError::SafekeeperCount(format!(
            "--safekeepers must be 1 or 3, not {n}"
        )));
    }
    let existing = (1..=3)
        .filter(|id| dir.join(format!("safekeeper-{id}")).exists())
        .count();
    if existing != 0 && existing != n {
        return Err(ClusterError::SafekeeperCount(format!(
            "{} was created with {existing} safekeeper(s) and cannot be started with {n}: \
             a different count could lose committed WAL",
            dir.display()
        )));
    }
    Ok(())
}

impl LocalCluster {
    /// Starts every component; returns once PostgreSQL clients can connect.
    pub async fn start(config: LocalClusterConfig) -> Result<LocalCluster, ClusterError> {
        LocalCluster::start_reporting(config, |_| {}).await
    }

    /// [`LocalCluster::start`], calling `progress` as each component comes up.
    pub async fn start_reporting(
        config: LocalClusterConfig,
        mut progress: impl FnMut(Started),
    ) -> Result<LocalCluster, ClusterError> {
        let dir = &config.data_dir;
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let dir = std::path::absolute(dir).map_err(io(dir))?;
        let object_store = match &config.object_store {
            Some(url) => url.clone(),
            None => {
                let objects = dir.join("objects");
                std::fs::create_dir_all(&objects).map_err(io(&objects))?;
                format!("file://{}", objects.display())
            }
        };

        check_safekeeper_count(&dir, config.safekeepers)?;
        let auth = if config.auth {
            Some(crate::auth_files::ensure_local(&dir, &config.timeline)?)
        } else {
            None
        };
        let verifier = auth.as_ref().map(|a| a.verifier.clone());
        let token = |pick: fn(&crate::auth_files::LocalAuth) -> &proto::auth::Token| {
            auth.as_ref().map(pick).cloned().unwrap_or_default()
        };
        let (server_tls, client_tls, grpc_tls_ca) = if config.grpc_tls {
            let tls_dir = dir.join("tls").join("grpc");
            let files = crate::self_signed::ensure(&tls_dir).map_err(io(&tls_dir))?;
            (
                Some(proto::tls::ServerTls::from_files(&files).map_err(ClusterError::Tls)?),
                Some(proto::tls::ClientTls::from_ca_file(&files.cert).map_err(ClusterError::Tls)?),
                Some(files.cert),
            )
        } else {
            (None, None, None)
        };
        let admin = crate::admin::Access {
            token: token(|a| &a.admin),
            tls: client_tls.clone(),
        };
        // Safekeepers first: the others need their addresses.
        let sk_cancel = CancellationToken::new();
        let chosen = crate::local_ports::choose(&dir, config.safekeepers).map_err(io(&dir))?;
        let ports = &chosen.safekeepers;
        let peers: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        let mut sks = Vec::new();
        for (i, port) in ports.iter().enumerate() {
            let id = i as u64 + 1;
            let listen = SocketAddr::from(([127, 0, 0, 1], *port));
            let mut c =
                safekeeper::server::Config::new(id, listen, dir.join(format!("safekeeper-{id}")));
            c.object_store = Some(object_store.clone());
            c.peers = peers.clone();
            c.s3 = config.s3.clone();
            c.auth = verifier.clone();
            c.auth_token = token(|a| &a.safekeeper);
            c.tls = server_tls.clone();
            c.peer_tls = client_tls.clone();
            let running = safekeeper::server::start(c, sk_cancel.clone())
                .await
                .map_err(|source| ClusterError::Safekeeper { id, source })?;
            sks.push(running);
        }
        let safekeepers: Vec<SocketAddr> = sks.iter().map(|s| s.addr).collect();
        let sk_list: Vec<String> = safekeepers.iter().map(|a| a.to_string()).collect();
        progress(Started::Safekeepers(safekeepers.clone()));

        // The pageserver streams WAL from them.
        let cancel = CancellationToken::new();
        let mut pc = pageserver::Config::new(
            SocketAddr::from(([127, 0, 0, 1], chosen.pageserver)),
            dir.join("pageserver"),
            object_store.clone(),
        );
        pc.safekeepers = sk_list.clone();
        pc.s3 = config.s3.clone();
        pc.auth = verifier.clone();
        pc.auth_token = token(|a| &a.pageserver);
        pc.tls = server_tls.clone();
        pc.safekeeper_tls = client_tls.clone();
        let remote = remote_storage::RemoteStorage::from_url(&pc.object_store, &pc.s3)?;
        let client = Arc::new(
            pageserver::safekeeper_client::SafekeeperClient::new(sk_list.clone())
                .with_token(pc.auth_token.clone())
                .with_tls(client_tls.clone()),
        );
        let listen = pc.listen;
        let ps = pageserver::Pageserver::start(pc, remote, client.clone(), client, cancel.clone())
            .await?;
        let (pageserver, ps_server) = pageserver::grpc::spawn(ps.clone(), listen).await?;
        progress(Started::Pageserver(pageserver));
        if let Some(from) = &config.branch_from {
            let branched = branch_if_missing(
                &pageserver.to_string(),
                &sk_list,
                &config.timeline,
                from,
                &admin,
            )
            .await;
            match branched {
                Ok(Some(at)) => progress(Started::Branched {
                    from: from.clone(),
                    at,
                }),
                Ok(None) => {}
                Err(source) => {
                    cancel.cancel();
                    sk_cancel.cancel();
                    return Err(ClusterError::Branch {
                        timeline: config.timeline.timeline.to_string(),
                        from: from.clone(),
                        source,
                    });
                }
            }
        }

        // The timeline, with the admin's token (a compute's may not create one).
        if let Err(source) = compute::server::ensure_timeline(
            &pageserver.to_string(),
            &config.timeline,
            std::time::Duration::from_secs(60),
            &admin.token,
            admin.tls.as_ref(),
        )
        .await
        {
            cancel.cancel();
            sk_cancel.cancel();
            return Err(ClusterError::Timeline {
                timeline: config.timeline.to_string(),
                source,
            });
        }

        // The primary compute: election, timeline, engine, pgwire.
        let mut cc = compute::server::ServerConfig::new(
            SocketAddr::from(([127, 0, 0, 1], config.port)),
            pageserver.to_string(),
            sk_list,
            config.timeline.clone(),
        );
        if let Some(bytes) = config.cache_bytes {
            cc.cache_bytes = bytes;
        }
        cc.users_file = config.users_file.clone();
        cc.auth_rules = config.auth_rules.clone();
        cc.tls = config.tls.clone();
        cc.tls_required = config.tls_required;
        cc.auth_token = token(|a| &a.compute);
        cc.grpc_tls = client_tls;
        let compute = compute::server::start(cc.clone(), cancel.clone()).await?;
        let postgres_addr = compute.addr;
        progress(Started::Compute(postgres_addr));
        let mut replica_config = cc.clone();
        replica_config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        replica_config.read_only = true;
        replica_config.primary = Some(format!("postgresql://{postgres_addr}"));
        cc.listen = postgres_addr; // a restarted compute serves on the same port
        let compute = tokio::spawn(supervise(compute, cc, cancel.clone()));
        let cluster = LocalCluster {
            postgres_addr,
            safekeepers,
            pageserver,
            timeline: config.timeline,
            data_dir: dir.clone(),
            cancel,
            compute,
            ps,
            ps_server,
            sk_cancel,
            sks,
            replica_config,
            replicas: std::sync::Mutex::new(Vec::new()),
            admin,
            grpc_tls_ca,
        };
        for _ in 0..config.replicas {
            match cluster.add_replica().await {
                Ok(addr) => progress(Started::Replica(addr)),
                Err(e) => {
                    cluster.stop().await;
                    return Err(e);
                }
            }
        }
        let file = cluster.cluster_file(object_store);
        if let Err(source) = crate::cluster_file::write(&dir, &file) {
            cluster.stop().await;
            return Err(ClusterError::Io {
                path: crate::cluster_file::path(&dir),
                source,
            });
        }
        Ok(cluster)
    }

    /// What `cluster.toml` says about this cluster.
    fn cluster_file(&self, object_store: String) -> crate::cluster_file::ClusterFile {
        crate::cluster_file::ClusterFile {
            pid: std::process::id(),
            postgres: self.postgres_addr.to_string(),
            connection_string: self.connection_string(),
            pageserver: self.pageserver.to_string(),
            safekeepers: self.safekeepers.iter().map(|a| a.to_string()).collect(),
            tenant: self.timeline.tenant.to_string(),
            timeline: self.timeline.timeline.to_string(),
            object_store,
            logs: self.logs_dir(),
            grpc_tls_ca: self.grpc_tls_ca.clone(),
        }
    }

    /// The admin token every component accepts (none without component auth); the same
    /// one `DATA_DIR/auth/admin.token` holds.
    pub fn admin_token(&self) -> &proto::auth::Token {
        &self.admin.token
    }

    /// How an admin client reaches the components: the admin token, and TLS trusting
    /// their certificate when they serve TLS.
    pub fn admin_access(&self) -> &crate::admin::Access {
        &self.admin
    }

    /// The (absolute) data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Where `strata start` writes the components' logs: `DATA_DIR/logs`.
    pub fn logs_dir(&self) -> PathBuf {
        logs_dir(&self.data_dir)
    }

    /// A libpq connection string for psql and drivers.
    pub fn connection_string(&self) -> String {
        format!(
            "postgresql://strata@{}:{}/postgres",
            self.postgres_addr.ip(),
            self.postgres_addr.port()
        )
    }

    fn replica_list(&self) -> std::sync::MutexGuard<'_, Vec<ReplicaHandle>> {
        self.replicas.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts one more read replica (`strata compute --read-only` in this process, on a
    /// free loopback port) and returns its PostgreSQL address once it serves.
    pub async fn add_replica(&self) -> Result<SocketAddr, ClusterError> {
        let cancel = self.cancel.child_token();
        let running = compute::server::start(self.replica_config.clone(), cancel.clone()).await?;
        let addr = running.addr;
        let stop = cancel.clone();
        let task = tokio::spawn(async move {
            tokio::select! {
                _ = stop.cancelled() => {}
                why = running.lost() => {
                    tracing::error!(%addr, reason = %why, "a read replica stopped serving");
                }
            }
            running.stopped().await;
        });
        tracing::info!(%addr, "read replica serving");
        self.replica_list()
            .push(ReplicaHandle { addr, cancel, task });
        Ok(addr)
    }

    /// Stops the read replica serving at `addr` (its sessions are closed); `false` if
    /// there is none.
    pub async fn remove_replica(&self, addr: SocketAddr) -> bool {
        let handle = {
            let mut list = self.replica_list();
            let Some(i) = list.iter().position(|r| r.addr == addr) else {
                return false;
            };
            list.remove(i)
        };
        handle.cancel.cancel();
        if let Err(e) = handle.task.await {
            tracing::error!(error = %e, "read replica task failed");
        }
        true
    }

    /// The PostgreSQL addresses of the running read replicas, oldest first.
    pub fn replica_addrs(&self) -> Vec<SocketAddr> {
        self.replica_list().iter().map(|r| r.addr).collect()
    }

    /// A libpq connection string for the read replica at `addr`.
    pub fn replica_connection_string(addr: SocketAddr) -> String {
        format!("postgresql://strata@{}:{}/postgres", addr.ip(), addr.port())
    }

    /// Removes `cluster.toml`, then stops the compute, then the pageserver
    /// (flushing and uploading what it ingested), then the safekeepers.
    pub async fn stop(self) {
        if let Err(e) = crate::cluster_file::remove(&self.data_dir) {
            tracing::warn!(error = %e, "remove cluster.toml");
        }
        self.cancel.cancel();
        let replicas: Vec<ReplicaHandle> = std::mem::take(&mut *self.replica_list());
        for r in replicas {
            if let Err(e) = r.task.await {
                tracing::error!(error = %e, "read replica task failed");
            }
        }
        if let Err(e) = self.compute.await {
            tracing::error!(error = %e, "compute supervisor failed");
        }
        match self.ps_server.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "pageserver gRPC server stopped with an error")
            }
            Err(e) => tracing::warn!(error = %e, "pageserver gRPC task failed"),
        }
        self.ps.shutdown().await;
        self.ps
            .checkpoint_all(std::time::Duration::from_secs(30))
            .await;
        self.sk_cancel.cancel();
        for sk in self.sks {
            if let Err(e) = sk.wait().await {
                tracing::warn!(error = %e, "safekeeper stopped with an error");
            }
        }
    }
}

/// Runs the compute until `cancel` fires, starting a fresh one whenever it stops serving
/// (see the module docs).
async fn supervise(
    mut running: compute::server::Running,
    config: compute::server::ServerConfig,
    cancel: CancellationToken,
) {
    loop {
        let why = tokio::select! {
            _ = cancel.cancelled() => {
                running.stopped().await;
                return;
            }
            why = running.lost() => why,
        };
        tracing::error!(reason = %why, "the compute stopped serving; starting a fresh one");
        running.stopped().await;
        let mut backoff =
            proto::backoff::Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
        running = loop {
            let attempt = tokio::select! {
                _ = cancel.cancelled() => return,
                r = compute::server::start(config.clone(), cancel.clone()) => r,
            };
            match attempt {
                Ok(r) => break r,
                Err(e) => {
                    let wait = backoff.next_delay();
                    tracing::error!(error = %e, retry_in = ?wait, "restart the compute");
                    tokio::select! {
                        _ = cancel.cancelled() => return,
                        _ = tokio::time::sleep(wait) => {}
                    }
                }
            }
        };
        tracing::info!(addr = %running.addr, "the compute serves again");
    }
}

/// Creates `timeline` as a branch of `from` at `from`'s last commit unless it exists; the
/// branch point (`X/Y`) when it made one. The last commit is the highest commit LSN the
/// safekeepers know; the pageserver is waited for (bounded) until it has ingested it.
async fn branch_if_missing(
    pageserver: &str,
    safekeepers: &[String],
    timeline: &TimelineId,
    from: &str,
    access: &crate::admin::Access,
) -> Result<Option<String>, crate::admin::AdminError> {
    use crate::admin::{AdminError, BranchPoint, create_timeline, timeline_info};
    let (tenant, name) = (timeline.tenant.to_string(), timeline.timeline.to_string());
    if timeline_info(pageserver, &tenant, &name, access)
        .await?
        .is_some()
    {
        return Ok(None);
    }
    if timeline_info(pageserver, &tenant, from, access)
        .await?
        .is_none()
    {
        return Err(AdminError::Invalid(format!(
            "timeline {from:?} does not exist yet: start the cluster without --branch first"
        )));
    }
    let mut commit = 0;
    for sk in safekeepers {
        if let Ok(s) = crate::status::safekeeper_status(sk, &tenant, from, access).await {
            commit = commit.max(s.commit_lsn);
        }
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let info = timeline_info(pageserver, &tenant, from, access)
            .await?
            .ok_or_else(|| AdminError::Invalid(format!("timeline {from:?} vanished")))?;
        if info.last_record_lsn >= commit {
            break;
        }
        if std::time::Instant::now() > deadline {
            return Err(AdminError::Invalid(format!(
                "the pageserver has ingested {from} up to {} but its last commit is {} \
                 (waited 30 s)",
                proto::Lsn(info.last_record_lsn),
                proto::Lsn(commit)
            )));
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (_, result) = create_timeline(
        pageserver,
        safekeepers,
        &tenant,
        &name,
        Some(from),
        (commit > 0).then_some(BranchPoint::Lsn(proto::Lsn(commit))),
        access,
    )
    .await;
    result?;
    let info = timeline_info(pageserver, &tenant, &name, access)
        .await?
        .ok_or_else(|| {
            AdminError::Invalid(format!("timeline {name:?} vanished after its creation"))
        })?;
    Ok(Some(proto::Lsn(info.ancestor_lsn).to_string()))
}
