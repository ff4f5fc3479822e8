//! The running pageserver: attached timelines, their background tasks, and
//! the operations the gRPC service and tests call.
//!
//! [`Pageserver::start`] attaches every timeline that has a manifest in
//! object storage (ancestors first): it takes a new generation from the
//! safekeepers and claims it in object storage (a marker that fences older
//! pageservers) *before* reading the newest manifest ([`crate::remote`]
//! proves why), makes the local directory match that manifest
//! ([`remote::prepare_local`]), opens the [`LayeredTimeline`] (listed layers the
//! disk lacks are fetched when first read: [`crate::ondemand`]), writes its
//! own generation's manifest over the marker, and starts two
//! tasks per timeline — WAL [`ingest`] from `last_record_lsn`, and (when
//! `maintenance_interval` is set) maintenance: flush frozen layers, compact,
//! GC by the PITR window bounded by branch points and leases, and
//! [`remote::sync`]. A timeline that cannot be attached (e.g. a layer in
//! object storage fails its checksum) is listed as broken, with the reason,
//! and the others serve.
//!
//! One [`CancellationToken`] tree stops everything; [`Pageserver::shutdown`]
//! waits for the tasks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use futures::future::BoxFuture;
use proto::{Lsn, TimelineId, TimelineName, TimestampUs};
use remote_storage::RemoteStorage;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::cache::PageCache;
use crate::compaction::CompactionReport;
use crate::config::Config;
use crate::generations::Generations;
use crate::manifest::{AncestorRef, Manifest};
use crate::ondemand::{Download, RemoteLayers};
use crate::remote::{self, SyncReport};
use crate::retention::Retention;
use crate::timeline::GcReport;
use crate::timeline_handle::TimelineHandle;
use crate::wal_source::WalSource;
use crate::{Error, LayeredTimeline, Result, blocking, ingest};

mod local_damage;

/// A validated `CreateTimeline` request.
#[derive(Debug, Clone)]
pub struct CreateTimeline {
    pub id: TimelineId,
    /// Branch source (same tenant); `None` for a root timeline.
    pub ancestor: Option<TimelineName>,
    /// Branch point; default the ancestor's `last_record_lsn`.
    pub ancestor_lsn: Option<Lsn>,
    /// Alternatively: branch at the last commit at or before this time.
    pub ancestor_timestamp_us: Option<TimestampUs>,
}

/// The running service's state.
pub struct Pageserver {
    config: Config,
    remote: RemoteStorage,
    wal: Arc<dyn WalSource>,
    generations: Arc<dyn Generations>,
    timelines: RwLock<BTreeMap<TimelineId, Arc<TimelineHandle>>>,
    broken: Mutex<BTreeMap<TimelineId, String>>,
    /// Timelines being attached again after local damage (see [`local_damage`]).
    reattaching: Mutex<BTreeSet<TimelineId>>,
    /// Woken whenever a timeline is installed or a re-attach ends.
    attached: tokio::sync::Notify,
    /// Serializes timeline creation and attachment.
    attach_lock: tokio::sync::Mutex<()>,
    cache: PageCache,
    reconstruct: Arc<Semaphore>,
    /// Bounds on-demand layer downloads across all timelines.
    downloads: Arc<Semaphore>,
    cancel: CancellationToken,
    tasks: TaskTracker,
}

impl std::fmt::Debug for Pageserver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pageserver")
            .field("listen", &self.config.listen)
            .field("remote", &self.remote.url())
            .finish()
    }
}

use proto::now_us;

impl Pageserver {
    /// Attaches every timeline found in `remote` and starts their tasks.
    pub async fn start(
        config: Config,
        remote: RemoteStorage,
        wal: Arc<dyn WalSource>,
        generations: Arc<dyn Generations>,
        cancel: CancellationToken,
    ) -> Result<Arc<Pageserver>> {
        crate::metrics::register();
        tokio::fs::create_dir_all(&config.data_dir)
            .await
            .map_err(|e| Error::io("create data directory", &config.data_dir, e))?;
        let ps = Arc::new(Pageserver {
            cache: PageCache::new(config.cache_bytes),
            reconstruct: Arc::new(Semaphore::new(config.reconstruct_threads.max(1))),
            downloads: Arc::new(Semaphore::new(config.download_concurrency.max(1))),
            config,
            remote,
            wal,
            generations,
            timelines: RwLock::new(BTreeMap::new()),
            broken: Mutex::new(BTreeMap::new()),
            reattaching: Mutex::new(BTreeSet::new()),
            attached: tokio::sync::Notify::new(),
            attach_lock: tokio::sync::Mutex::new(()),
            cancel,
            tasks: TaskTracker::new(),
        });
        let ids = remote::list_timelines(&ps.remote).await?;
        {
            let _g = ps.attach_lock.lock().await;
            for id in ids {
                if let Err(e) = ps.attach(id.clone()).await {
                    tracing::error!(timeline = %id, error = %e, "attach timeline; it is broken");
                    ps.lock_broken().insert(id, e.to_string());
                }
            }
        }
        Ok(ps)
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn remote_storage(&self) -> &RemoteStorage {
        &self.remote
    }

    pub(crate) fn cache(&self) -> &PageCache {
        &self.cache
    }

    pub(crate) fn reconstruct_permits(&self) -> &Arc<Semaphore> {
        &self.reconstruct
    }

    pub fn cancel_token(&self) -> &CancellationToken {
        &self.cancel
    }

    fn lock_broken(&self) -> std::sync::MutexGuard<'_, BTreeMap<TimelineId, String>> {
        self.broken.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_reattaching(&self) -> std::sync::MutexGuard<'_, BTreeSet<TimelineId>> {
        self.reattaching.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn timeline_dir(&self, id: &TimelineId) -> PathBuf {
        self.config
            .data_dir
            .join("tenants")
            .join(id.tenant.as_str())
            .join("timelines")
            .join(id.timeline.as_str())
    }

    /// The attached timeline `id`.
    pub fn timeline(&self, id: &TimelineId) -> Result<Arc<TimelineHandle>> {
        let map = self.timelines.read().unwrap_or_else(|p| p.into_inner());
        if let Some(h) = map.get(id) {
            return Ok(h.clone());
        }
        if let Some(reason) = self.lock_broken().get(id) {
            return Err(Error::Broken {
                id: id.clone(),
                reason: reason.clone(),
            });
        }
        Err(Error::TimelineNotFound { id: id.clone() })
    }

    /// Every attached timeline of `tenant` (all tenants if `None`).
    pub fn timelines(&self, tenant: Option<&str>) -> Vec<Arc<TimelineHandle>> {
        let map = self.timelines.read().unwrap_or_else(|p| p.into_inner());
        map.values()
            .filter(|h| tenant.is_none_or(|t| h.id.tenant.as_str() == t))
            .cloned()
            .collect()
    }

    /// Attaches `id` from its newest manifest, ancestors first.
    fn attach<'a>(
        self: &'a Arc<Self>,
        id: TimelineId,
    ) -> BoxFuture<'a, Result<Arc<TimelineHandle>>> {
        Box::pin(async move {
            if let Ok(h) = self.timeline(&id) {
                return Ok(h);
            }
            // Claim first, then read (remote.rs explains why this order).
            let generation = self
                .generations
                .issue(&id, &self.config.pageserver_id)
                .await?;
            remote::claim_generation(&self.remote, &id, generation).await?;
            let manifest = remote::read_for_attach(&self.remote, &id, generation).await?;
            let ancestor = match &manifest.ancestor {
                None => None,
                Some(a) => {
                    let aid = TimelineId {
                        tenant: id.tenant.clone(),
                        timeline: TimelineName::new(&a.timeline)?,
                    };
                    Some((self.attach(aid).await?, Lsn(a.lsn)))
                }
            };
            let dir = self.timeline_dir(&id);
            let missing = remote::prepare_local(&id, &manifest, &dir).await?;
            let start = Lsn(manifest.start_lsn);
            let download: Arc<dyn Download> = Arc::new(RemoteLayers::new(
                self.remote.clone(),
                id.clone(),
                manifest.layers.iter().cloned(),
                self.downloads.clone(),
                tokio::runtime::Handle::current(),
            ));
            let tl = self.open_local(&id, dir, start, missing, download).await?;
            let handle = Arc::new(TimelineHandle::new(
                id.clone(),
                start,
                ancestor,
                generation,
                tl,
                manifest,
                self.cancel.child_token(),
            ));
            // Branch points and leases: the manifest's, plus any this disk
            // kept (both only add retention).
            let local = blocking({
                let dir = self.timeline_dir(&id);
                move || Retention::load(&dir)
            })
            .await?;
            handle.retention().merge(&local);
            remote::claim(&self.remote, &handle).await?;
            self.persist_retention(&handle).await?;
            // Objects the claimed manifest makes unreachable (older
            // manifests, layers of a failed or superseded sync). A failure
            // here costs only space: attach goes on.
            if let Err(e) = remote::delete_unreferenced(&self.remote, &handle).await {
                tracing::warn!(timeline = %id, error = %e, "delete unreferenced objects");
            }
            // Normally registered when the branch was created; a manifest
            // written before branch points were recorded lacks it.
            if let Some((a, lsn)) = &handle.ancestor {
                let added = a.retention().add_branch_point(id.timeline.clone(), *lsn);
                if added && let Err(e) = self.persist_retention(a).await {
                    tracing::warn!(timeline = %a.id, error = %e, "persist a branch point");
                }
            }
            tracing::info!(timeline = %id, generation, last_record_lsn = %handle.last_record_lsn(), "attached timeline");
            self.install(handle.clone());
            Ok(handle)
        })
    }

    /// Creates a timeline: a root, or a branch of an attached timeline
    /// (nothing is copied: reads below the branch point go to the ancestor).
    pub async fn create_timeline(
        self: &Arc<Self>,
        req: CreateTimeline,
    ) -> Result<Arc<TimelineHandle>> {
        let _g = self.attach_lock.lock().await;
        let id = req.id.clone();
        if self.timeline(&id).is_ok()
            || !remote::manifest_generations(&self.remote, &id)
                .await?
                .is_empty()
        {
            return Err(Error::TimelineExists { id });
        }
        let ancestor = match &req.ancestor {
            None => None,
            Some(name) => {
                let aid = TimelineId {
                    tenant: id.tenant.clone(),
                    timeline: name.clone(),
                };
                let a = self.timeline(&aid)?;
                let last = a.last_record_lsn();
                let lsn = match (req.ancestor_lsn, req.ancestor_timestamp_us) {
                    (Some(lsn), _) => lsn,
                    (None, Some(ts)) => a.commits().lsn_at(ts).ok_or_else(|| {
                        Error::InvalidRequest(format!(
                            "{aid} has no commit at or before timestamp {ts} µs"
                        ))
                    })?,
                    (None, None) => last,
                };
                if lsn > last || lsn < a.start_lsn {
                    return Err(Error::InvalidRequest(format!(
                        "branch point {lsn} is outside {aid}'s WAL [{}, {last}]",
                        a.start_lsn
                    )));
                }
                // Atomic with GC: GC applies its cutoff under this lock.
                let mut retention = a.retention();
                let cutoff = a.gc_cutoff();
                if lsn < cutoff {
                    return Err(Error::BelowGcHorizon { lsn, cutoff });
                }
                retention.add_branch_point(id.timeline.clone(), lsn);
                drop(retention);
                Some((a, lsn))
            }
        };
        let unregister = async |ancestor: &Option<(Arc<TimelineHandle>, Lsn)>| {
            if let Some((a, _)) = ancestor {
                a.retention().children.remove(&id.timeline);
                if let Err(e) = self.persist_retention(a).await {
                    tracing::warn!(timeline = %a.id, error = %e, "persist a removed branch point");
                }
            }
        };
        let created = async {
            // The branch point is durable in the ancestor (its local file
            // and its manifest) before the branch exists: from now on the
            // ancestor keeps that history across restarts and wiped disks,
            // whether or not the child is ever attached.
            if let Some((a, _)) = &ancestor {
                self.persist_retention(a).await?;
            }
            let start = ancestor.as_ref().map_or(Lsn::TIMELINE_START, |(_, l)| *l);
            self.generations.create_timeline(&id, start).await?;
            let generation = self
                .generations
                .issue(&id, &self.config.pageserver_id)
                .await?;
            let aref = ancestor.as_ref().map(|(a, lsn)| AncestorRef {
                timeline: a.id.timeline.to_string(),
                lsn: lsn.0,
            });
            let manifest = Manifest::new(generation, start, aref);
            let dir = self.timeline_dir(&id);
            let cfg = self.config.timeline.clone();
            let tl = blocking(move || {
                match std::fs::remove_dir_all(&dir) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::io("remove stale timeline directory", &dir, e)),
                }
                LayeredTimeline::open(&dir, cfg, start)
            })
            .await?;
            let handle = Arc::new(TimelineHandle::new(
                id.clone(),
                start,
                ancestor.clone(),
                generation,
                tl,
                manifest,
                self.cancel.child_token(),
            ));
            remote::claim(&self.remote, &handle).await?;
            Ok::<_, Error>(handle)
        }
        .await;
        match created {
            Ok(handle) => {
                tracing::info!(timeline = %id, start = %handle.start_lsn, "created timeline");
                self.install(handle.clone());
                Ok(handle)
            }
            Err(e) => {
                unregister(&ancestor).await;
                Err(e)
            }
        }
    }

    fn install(self: &Arc<Self>, handle: Arc<TimelineHandle>) {
        self.lock_broken().remove(&handle.id);
        self.timelines
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(handle.id.clone(), handle.clone());
        self.attached.notify_waiters();
        self.tasks
            .spawn(ingest::run(handle.clone(), self.wal.clone()));
        if let Some(every) = self.config.maintenance_interval {
            let ps = self.clone();
            self.tasks
                .spawn(async move { ps.maintenance_loop(handle, every).await });
        }
    }

    async fn maintenance_loop(self: Arc<Self>, handle: Arc<TimelineHandle>, every: Duration) {
        let span = tracing::info_span!("maintenance", tenant = %handle.id.tenant, timeline = %handle.id.timeline);
        async move {
            loop {
                tokio::select! {
                    _ = handle.cancel.cancelled() => return,
                    _ = handle.flush_wanted.notified() => {}
                    _ = tokio::time::sleep(every) => {}
                }
                if let Err(e) = self.maintain(&handle).await {
                    match e {
                        Error::Fenced { .. } | Error::ShuttingDown => {}
                        e if self.recover_if_damaged(&handle, &e) => return,
                        e => tracing::warn!(error = %e, "timeline maintenance"),
                    }
                }
            }
        }
        .instrument(span)
        .await
    }

    /// One round of maintenance: flush (freezing the open layer when it is
    /// older than the checkpoint interval), compact, GC, sync.
    pub async fn maintain(&self, handle: &Arc<TimelineHandle>) -> Result<()> {
        let stale = handle
            .last_freeze
            .lock()
            .map(|t| t.elapsed() >= self.config.checkpoint_interval)
            .unwrap_or(true);
        let t = std::time::Instant::now();
        let flushed = if stale {
            self.flush(handle).await?
        } else {
            self.flush_frozen(handle).await?
        };
        warn_if_slow("flush", t);
        if flushed > 0 {
            let t = std::time::Instant::now();
            self.compact(handle).await?;
            warn_if_slow("compaction", t);
        }
        let t = std::time::Instant::now();
        self.gc(handle, None).await?;
        warn_if_slow("gc", t);
        let t = std::time::Instant::now();
        self.sync(handle).await?;
        warn_if_slow("sync (upload to the object store)", t);
        Ok(())
    }

    /// Freezes the open layer and writes every in-memory layer to disk.
    pub async fn flush(&self, handle: &Arc<TimelineHandle>) -> Result<usize> {
        if let Ok(mut t) = handle.last_freeze.lock() {
            *t = std::time::Instant::now();
        }
        Self::write_frozen(handle, true).await
    }

    /// Writes the frozen in-memory layers to disk.
    pub async fn flush_frozen(&self, handle: &Arc<TimelineHandle>) -> Result<usize> {
        Self::write_frozen(handle, false).await
    }

    /// The files are written holding no lock (reads and ingest go on); only
    /// freezing and installing them take the write lock.
    async fn write_frozen(handle: &Arc<TimelineHandle>, freeze: bool) -> Result<usize> {
        let _m = handle.maintenance.lock().await;
        let h = handle.clone();
        blocking(move || {
            if freeze {
                h.write().freeze();
            }
            let mut total = 0;
            // Only this task flushes (the maintenance lock), and ingest only
            // appends frozen layers, so the oldest stays the oldest.
            loop {
                let (frozen, dir, config) = {
                    let tl = h.read();
                    (
                        tl.oldest_frozen(),
                        tl.dir().to_path_buf(),
                        tl.config().clone(),
                    )
                };
                let Some(frozen) = frozen else { break };
                let written = LayeredTimeline::write_delta_files(&dir, &config, &frozen)?;
                total += written.len();
                h.write().finish_flush(&frozen, written)?;
            }
            Ok(total)
        })
        .await
    }

    /// Writes image layers where delta chains are long (on a branch, chains
    /// are replayed on the ancestor's pages at the branch point).
    pub async fn compact(&self, handle: &Arc<TimelineHandle>) -> Result<CompactionReport> {
        let _m = handle.maintenance.lock().await;
        let h = handle.clone();
        blocking(move || {
            // Reconstruction and image writes hold no lock; installing the
            // images takes the write lock briefly.
            let (mut files, dir, config) = {
                let tl = h.read();
                (
                    tl.file_layers(),
                    tl.dir().to_path_buf(),
                    tl.config().clone(),
                )
            };
            let base = |key| match &h.ancestor {
                None => Ok(None),
                Some((ancestor, branch_lsn)) => match ancestor.get_page(key, *branch_lsn) {
                    Ok(page) => Ok(Some(page)),
                    Err(Error::NeverWritten { .. }) => Ok(None),
                    Err(e) => Err(e),
                },
            };
            let report = LayeredTimeline::compact_file_layers(&mut files, &dir, &config, &base)?;
            h.write().install_images(&report, &files);
            Ok(report)
        })
        .await
    }

    /// GC at `wanted` (default: the PITR window by commit timestamps),
    /// lowered to the oldest branch point and lease. Only local files go
    /// here; their objects are deleted by the next [`Self::sync`].
    pub async fn gc(&self, handle: &Arc<TimelineHandle>, wanted: Option<Lsn>) -> Result<GcReport> {
        let wanted = match wanted {
            Some(l) => l,
            None if self.config.pitr_window.is_zero() => handle.last_record_lsn(),
            None => {
                let window = self.config.pitr_window.as_micros() as TimestampUs;
                handle
                    .commits()
                    .lsn_at(now_us() - window)
                    .unwrap_or(Lsn::INVALID)
            }
        };
        let _m = handle.maintenance.lock().await;
        let h = handle.clone();
        blocking(move || {
            let mut retention = h.retention();
            let cutoff = h.bounded_cutoff(wanted, &mut retention);
            // The cutoff is applied under the retention lock (see timeline_handle.rs).
            let report = h.write().gc(cutoff)?;
            h.commits().trim_below(report.cutoff);
            Ok(report)
        })
        .await
    }

    /// Grants (or extends) a lease on `lsn` for `ttl` and makes it durable
    /// (local file and manifest) before returning its expiry (ms since the
    /// Unix epoch): an acknowledged lease survives a restart, a wiped disk
    /// and a newer generation's attach. Refused below the GC cutoff.
    pub async fn lease(
        &self,
        handle: &Arc<TimelineHandle>,
        lsn: Lsn,
        ttl: Duration,
    ) -> Result<u64> {
        let until = handle.lease(lsn, ttl)?;
        self.persist_retention(handle).await?;
        Ok(until)
    }

    /// Makes `handle`'s branch points and leases durable: `retention.meta`,
    /// then the manifest with a fencing check after it
    /// ([`remote::upload_retention`]).
    pub async fn persist_retention(&self, handle: &Arc<TimelineHandle>) -> Result<()> {
        let _io = handle.retention_io.lock().await;
        let snapshot = handle.retention().clone();
        let dir = self.timeline_dir(&handle.id);
        let stored = snapshot.clone();
        blocking(move || stored.store(&dir)).await?;
        remote::upload_retention(&self.remote, handle, &snapshot).await
    }

    /// Uploads new layers and the manifest; deletes GC'd objects.
    pub async fn sync(&self, handle: &Arc<TimelineHandle>) -> Result<SyncReport> {
        let _m = handle.maintenance.lock().await;
        remote::sync(&self.remote, &*self.generations, handle).await
    }

    /// Flushes and uploads every timeline (best effort, each bounded by
    /// `timeout`), so the next start re-ingests little WAL.
    pub async fn checkpoint_all(&self, timeout: Duration) {
        for h in self.timelines(None) {
            let work = async {
                self.flush(&h).await?;
                self.sync(&h).await
            };
            match tokio::time::timeout(timeout, work).await {
                Ok(Ok(r)) => {
                    tracing::info!(timeline = %h.id, remote_consistent_lsn = %r.remote_consistent_lsn, "checkpointed")
                }
                Ok(Err(Error::Fenced { .. })) => {}
                Ok(Err(e)) => {
                    tracing::warn!(timeline = %h.id, error = %e, "checkpoint at shutdown")
                }
                Err(_) => tracing::warn!(timeline = %h.id, "checkpoint at shutdown timed out"),
            }
        }
    }

    /// Stops every task and waits for them.
    pub async fn shutdown(&self) {
        self.cancel.cancel();
        self.tasks.close();
        self.tasks.wait().await;
    }
}

/// Maintenance steps hold the timeline's maintenance lock (flushes wait behind them):
/// one that takes long is worth a line in the log, naming the step.
fn warn_if_slow(step: &str, started: std::time::Instant) {
    let took = started.elapsed();
    if took >= Duration::from_secs(10) {
        tracing::warn!(
            step,
            took_ms = took.as_millis() as u64,
            "slow maintenance step"
        );
    }
}
