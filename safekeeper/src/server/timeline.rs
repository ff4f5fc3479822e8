//! [`Timeline`]: one timeline on a running safekeeper — its [`Acceptor`],
//! its storage, and the writer task that gives it group commit.
//!
//! Appends do not take the queue: an `Append` stream's own task steps what it
//! has received as one batch ([`Timeline::step_now`], `append.rs`), under the
//! same core mutex, and replies itself. Everything else goes through the
//! writer task:
//!
//! ```text
//!  Greet/Vote/… ───┬─> queue (mpsc<Job>) ─> drain every queued job
//!                  │                        block in place (the blocking pool
//!                  │                          on a current-thread runtime):
//!                  │                          lock core, step each request, execute
//!                  │                          its actions in order (WAL
//!                  │                          writes buffered), ONE flush
//!                  │                        publish Snapshot (watch) ──> ReadWal tails
//!                  │                        send every reply
//! ```
//!
//! ## Invariants
//! - Every request of the consensus protocol is stepped in a batch under the
//!   core mutex, in arrival order per stream (the queue's, or an `Append`
//!   stream's), and its reply is sent only after the actions of its
//!   whole batch are durable: a vote is fsynced, an append's WAL is
//!   fdatasynced (once per batch: group commit), before the answer.
//! - A control file naming a `commit_lsn` is written only after the WAL up to
//!   it is flushed: a pending WAL flush is done before any `PersistControl`
//!   or `TruncateWal`.
//! - The [`Core`] mutex is only ever waited for on blocking threads (it is
//!   held across fsyncs); async code reads the published [`Snapshot`] instead,
//!   or, for a batch of heartbeats that needs no storage action, takes the
//!   lock only if it is free (`try_step_without_io`).
//!   Outside a batch, all written WAL is flushed.
//! - A failed fsync stops the whole process ([`remote_storage::durable`]):
//!   the page cache may have dropped the unsynced WAL, so neither a retry nor
//!   a reopen in this process could be trusted; the restart recovers from
//!   disk and peers. If any other storage action fails (a write, a rename),
//!   nothing in memory is trusted: the batch's requests all fail and the core
//!   is reopened from disk (recovery), as the acceptor's contract asks. If
//!   reopening fails the timeline stays unavailable until restart.
//! - `remote_consistent_lsn` and `pageserver_generation` are owned by this
//!   shell ([`PageserverState`]), not the acceptor: every control-file write
//!   takes them from here.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use proto::{Lsn, TimelineId};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, debug, error, info, info_span, warn};

use crate::acceptor::{Acceptor, Action};
use crate::error::{Error, Result};
use crate::messages::{NodeId, Reply, Request};
use crate::storage::{ControlState, Preallocation, TimelineFiles, TimelineStore, WalReader};

use super::metrics::{TimelineMetrics, lsn_gauge};
use super::readers::Readers;
use super::wal_times::WalTimes;

/// Most jobs in one group-commit batch.
const MAX_BATCH: usize = 1024;
/// Most WAL bytes in one group-commit batch.
const MAX_BATCH_BYTES: usize = 32 << 20;
/// A batch of appends runs in place on its async thread while the last
/// fdatasync took less than this (see `Timeline::try_step_without_io`).
const INLINE_FSYNC_US: u64 = 50;
/// Queue depth per timeline before submitters wait.
const QUEUE_DEPTH: usize = 4096;

/// What readers and status queries see; published after every batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The acceptor's state, with `flush_lsn` the real end of durable WAL.
    pub state: ControlState,
    /// First LSN still held locally (older WAL is only in object storage).
    pub wal_start: Lsn,
}

/// The pageserver-facing fields this shell owns (see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PageserverState {
    /// Highest generation issued here or seen in feedback.
    pub generation: u64,
    /// Reported by the pageserver of `generation`.
    pub remote_consistent_lsn: Lsn,
    /// Changed since the last control-file write.
    pub dirty: bool,
}

/// The acceptor and the files its actions land on.
pub struct Core {
    pub acceptor: Acceptor,
    pub files: TimelineFiles,
}

/// A request waiting for its batch.
struct Job {
    request: Request,
    reply: oneshot::Sender<Result<Reply>>,
}

/// One timeline of a running safekeeper; see the module docs.
pub struct Timeline {
    pub id: TimelineId,
    node_id: NodeId,
    store: TimelineStore,
    core: Mutex<Option<Core>>,
    pageserver: Mutex<PageserverState>,
    queue: mpsc::Sender<Job>,
    snapshot: watch::Sender<Snapshot>,
    reader: WalReader,
    segment_size: u64,
    /// Milliseconds since `epoch` of the last accepted append (heartbeats
    /// included: they mean a proposer is alive).
    last_append_ms: AtomicU64,
    /// How long the last WAL fdatasync took, in microseconds (`u64::MAX`
    /// until one has run): decides whether a batch may run in place.
    last_fsync_us: AtomicU64,
    epoch: Instant,
    /// The named `ReadWal` streams running now.
    readers: Arc<Readers>,
    /// When the durable end of WAL grew, for lag in seconds ([`WalTimes`]).
    wal_times: Mutex<WalTimes>,
    pub metrics: TimelineMetrics,
}

impl Timeline {
    /// Wraps opened (or created) storage; returns the timeline and the
    /// receiving end of its queue for [`Timeline::run_writer`].
    pub fn new(
        node_id: NodeId,
        store: TimelineStore,
        files: TimelineFiles,
    ) -> Result<(Arc<Timeline>, TimelineQueue)> {
        let acceptor = Acceptor::restore(node_id, files.state.clone(), files.recovered.flush_lsn)?;
        let pageserver = PageserverState {
            generation: files.state.pageserver_generation,
            remote_consistent_lsn: files.state.remote_consistent_lsn,
            dirty: false,
        };
        let reader = files.wal.reader();
        let segment_size = files.wal.segment_size();
        let core = Core { acceptor, files };
        let (queue, rx) = mpsc::channel(QUEUE_DEPTH);
        let (snapshot, _) = watch::channel(core.snapshot());
        let tl = Arc::new(Timeline {
            id: core.files.id.clone(),
            metrics: TimelineMetrics::new(node_id, &core.files.id),
            node_id,
            store,
            core: Mutex::new(Some(core)),
            pageserver: Mutex::new(pageserver),
            queue,
            snapshot,
            reader,
            segment_size,
            last_append_ms: AtomicU64::new(0),
            last_fsync_us: AtomicU64::new(u64::MAX),
            epoch: Instant::now(),
            readers: Arc::default(),
            wal_times: Mutex::default(),
        });
        tl.publish_metrics(&tl.snapshot());
        Ok((tl, TimelineQueue(rx)))
    }

    pub fn node_id(&self) -> NodeId {
        self.node_id
    }
    pub fn segment_size(&self) -> u64 {
        self.segment_size
    }
    pub fn reader(&self) -> &WalReader {
        &self.reader
    }

    /// The latest published state.
    pub fn snapshot(&self) -> Snapshot {
        self.snapshot.borrow().clone()
    }

    /// A receiver that wakes when a batch publishes new state.
    pub fn subscribe(&self) -> watch::Receiver<Snapshot> {
        self.snapshot.subscribe()
    }

    pub fn pageserver_state(&self) -> PageserverState {
        *lock(&self.pageserver)
    }

    /// How long since the last accepted append (`None`: none since startup).
    pub fn idle_for(&self) -> Option<Duration> {
        let last = self.last_append_ms.load(Ordering::Relaxed);
        (last != 0).then(|| {
            let now = self.epoch.elapsed().as_millis() as u64;
            Duration::from_millis(now.saturating_sub(last))
        })
    }

    /// The named `ReadWal` streams running now.
    pub fn readers(&self) -> &Arc<Readers> {
        &self.readers
    }

    /// When the durable end of WAL reached each LSN, as `(lsn, ms ago)`, oldest first.
    pub fn wal_ages(&self) -> Vec<(Lsn, u64)> {
        lock(&self.wal_times).ages(self.epoch.elapsed().as_millis() as u64)
    }

    /// How long this timeline has been served (since startup or creation).
    pub fn uptime(&self) -> Duration {
        self.epoch.elapsed()
    }

    /// Queues `request` for the next batch; the receiver resolves once its
    /// batch is durable.
    pub async fn submit(&self, request: Request) -> Result<oneshot::Receiver<Result<Reply>>> {
        let (reply, rx) = oneshot::channel();
        self.queue
            .send(Job { request, reply })
            .await
            .map_err(|_| Error::Unavailable(format!("timeline {} is shutting down", self.id)))?;
        Ok(rx)
    }

    /// Submits `request` and waits for its durable reply.
    pub async fn step(&self, request: Request) -> Result<Reply> {
        self.submit(request)
            .await?
            .await
            .map_err(|_| Error::Unavailable(format!("timeline {} is shutting down", self.id)))?
    }

    /// Runs `f` on the core on a blocking thread (the core lock is held
    /// across disk I/O, so never on a runtime thread), then publishes the
    /// new state. Fails if the timeline could not be reopened after an I/O
    /// error.
    pub async fn with_core<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Timeline, &mut Core) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let tl = self.clone();
        tokio::task::spawn_blocking(move || tl.with_core_blocking(f))
            .await
            .map_err(|e| Error::Unavailable(format!("blocking task failed: {e}")))?
    }

    /// [`Self::with_core`] on the calling thread, which must be allowed to
    /// block (a blocking-pool thread, or the deterministic simulation).
    pub fn with_core_blocking<T>(
        &self,
        f: impl FnOnce(&Timeline, &mut Core) -> Result<T>,
    ) -> Result<T> {
        let mut guard = self.lock_core();
        let core = self.usable_core(&mut guard)?;
        let out = f(self, core);
        let snap = core.snapshot();
        drop(guard);
        self.publish(snap);
        out
    }

    /// The writer loop: batches queued jobs (group commit) and persists a
    /// lazily advanced state every `persist_interval`, until `cancel`.
    pub async fn run_writer(
        self: Arc<Self>,
        mut rx: TimelineQueue,
        persist_interval: Duration,
        cancel: CancellationToken,
    ) {
        let span = info_span!("writer", tenant = %self.id.tenant, timeline = %self.id.timeline);
        async move {
            let mut persist = tokio::time::interval(persist_interval);
            persist.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    job = rx.0.recv() => {
                        let Some(job) = job else { break };
                        let mut batch = vec![job];
                        let mut bytes = 0;
                        while batch.len() < MAX_BATCH && bytes < MAX_BATCH_BYTES {
                            match rx.0.try_recv() {
                                Ok(job) => {
                                    if let Request::Append(a) = &job.request {
                                        bytes += a.wal.len();
                                    }
                                    batch.push(job);
                                }
                                Err(_) => break,
                            }
                        }
                        self.run_batch(batch).await;
                    }
                    _ = persist.tick() => {
                        if let Err(e) = self.with_core(|tl, core| tl.persist_if_dirty(core)).await {
                            warn!(error = %e, "persist control file");
                        }
                    }
                }
            }
            if let Err(e) = self.with_core(|tl, core| tl.persist_if_dirty(core)).await {
                warn!(error = %e, "persist control file at shutdown");
            }
        }
        .instrument(span)
        .await
    }

    async fn run_batch(self: &Arc<Self>, batch: Vec<Job>) {
        let (requests, replies): (Vec<_>, Vec<_>) =
            batch.into_iter().map(|j| (j.request, j.reply)).unzip();
        let results = self.step_now(requests).await;
        for (reply, result) in replies.into_iter().zip(results) {
            // A submitter that went away no longer needs its answer.
            let _ = reply.send(result);
        }
    }

    /// Steps `requests` as one group-commit batch on the calling task, bypassing
    /// the queue (an `Append` stream's reader batches what it has received and
    /// replies itself; the core mutex orders it with the writer's batches).
    /// One reply per request, in order.
    pub async fn step_now(self: &Arc<Self>, requests: Vec<Request>) -> Vec<Result<Reply>> {
        if let Some(results) = self.try_step_without_io(&requests) {
            return results;
        }
        let n = requests.len();
        match self.step_batch_off_runtime(requests).await {
            Ok(r) => r,
            Err(e) => {
                error!(error = %e, "group-commit batch panicked");
                let err = Error::Unavailable(format!("batch failed: {e}"));
                vec![Err(err); n]
            }
        }
    }

    /// [`Self::step_batch`] where blocking is allowed. On a multi-threaded
    /// runtime the writer task blocks in place (its worker's other tasks move
    /// to another thread): a round trip to the blocking pool and back was two
    /// thread wake-ups on every append's path. On a current-thread runtime
    /// (tests) it goes to the blocking pool.
    /// A panic inside is caught and returned as its message, as the
    /// blocking pool would report it.
    async fn step_batch_off_runtime(
        self: &Arc<Self>,
        requests: Vec<Request>,
    ) -> std::result::Result<Vec<Result<Reply>>, String> {
        use tokio::runtime::{Handle, RuntimeFlavor};
        let (results, prealloc) =
            if Handle::current().runtime_flavor() == RuntimeFlavor::MultiThread {
                let step = std::panic::AssertUnwindSafe(|| self.step_batch(requests));
                tokio::task::block_in_place(|| std::panic::catch_unwind(step)).map_err(|p| {
                    p.downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| p.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "a panic".to_string())
                })?
            } else {
                let tl = self.clone();
                tokio::task::spawn_blocking(move || tl.step_batch(requests))
                    .await
                    .map_err(|e| e.to_string())?
            };
        // Pre-allocate the next segment off the hot path.
        if let Some(job) = prealloc {
            tokio::task::spawn_blocking(move || {
                let segment = job.segment();
                if let Err(e) = job.run() {
                    warn!(%segment, error = %e, "pre-allocate WAL segment");
                }
            });
        }
        Ok(results)
    }

    /// Steps every request and executes its actions with one WAL flush, on
    /// the calling thread (which may block). Returns the replies, in order,
    /// and the pre-allocation of the next segment for the caller to run off
    /// the write path. (The writer task calls it; so does the deterministic
    /// simulation, which runs the job whenever its schedule says.)
    pub fn step_batch(
        &self,
        requests: Vec<Request>,
    ) -> (Vec<Result<Reply>>, Option<Preallocation>) {
        let guard = self.lock_core();
        self.step_batch_locked(guard, requests)
    }

    /// [`Self::step_batch`] on an async thread, if that cannot block for
    /// long: the core is open and not locked by anyone else (who might be
    /// fsyncing), and either every request is an `Append` without WAL (a
    /// heartbeat carrying `commit_lsn`, which the acceptor answers without any
    /// storage action) or only appends that the last fdatasync suggests take
    /// microseconds (a tmpfs, a fast NVMe: under [`INLINE_FSYNC_US`]). `None`:
    /// take the blocking path. Saves handing a worker thread off
    /// (`block_in_place`, a thread wake-up) where the disk is not the cost.
    fn try_step_without_io(&self, requests: &[Request]) -> Option<Vec<Result<Reply>>> {
        let io_free = requests
            .iter()
            .all(|r| matches!(r, Request::Append(a) if a.wal.is_empty()));
        let fast_disk = requests.iter().all(|r| matches!(r, Request::Append(_)))
            && self.last_fsync_us.load(Ordering::Relaxed) < INLINE_FSYNC_US;
        if !io_free && !fast_disk {
            return None;
        }
        let guard = self.core.try_lock().ok()?;
        guard.as_ref()?;
        let (results, prealloc) = self.step_batch_locked(guard, requests.to_vec());
        if let Some(job) = prealloc {
            tokio::task::spawn_blocking(move || {
                let segment = job.segment();
                if let Err(e) = job.run() {
                    warn!(%segment, error = %e, "pre-allocate WAL segment");
                }
            });
        }
        Some(results)
    }

    fn step_batch_locked(
        &self,
        mut guard: MutexGuard<'_, Option<Core>>,
        requests: Vec<Request>,
    ) -> (Vec<Result<Reply>>, Option<Preallocation>) {
        let core = match self.usable_core(&mut guard) {
            Ok(core) => core,
            Err(e) => return (vec![Err(e); requests.len()], None),
        };
        let mut results = Vec::with_capacity(requests.len());
        let mut pending_flush = false;
        let mut failure: Option<Error> = None;
        for request in requests {
            if let Some(e) = &failure {
                results.push(Err(e.clone()));
                continue;
            }
            match core.acceptor.step(request) {
                Err(e) => results.push(Err(e)),
                Ok(out) => match self.execute(core, out.actions, &mut pending_flush) {
                    Ok(()) => {
                        if let Reply::Append(r) = &out.reply {
                            self.metrics.append_requests.inc();
                            if r.accepted {
                                self.touch_append();
                            }
                        }
                        results.push(Ok(out.reply));
                    }
                    Err(e) => {
                        failure = Some(e.clone());
                        results.push(Err(e));
                    }
                },
            }
        }
        if failure.is_none()
            && pending_flush
            && let Err(e) = self.flush(core)
        {
            failure = Some(e);
        }
        if let Some(e) = failure {
            error!(error = %e, "storage failed; reopening the timeline from disk");
            for r in &mut results {
                if r.is_ok() {
                    *r = Err(e.clone());
                }
            }
            *guard = self.reopen();
            if let Some(core) = guard.as_ref() {
                let snap = core.snapshot();
                drop(guard);
                self.publish(snap);
            }
            return (results, None);
        }
        let prealloc = core.files.wal.preallocate_ahead();
        let snap = core.snapshot();
        drop(guard);
        self.publish(snap);
        (results, prealloc)
    }

    /// Executes one step's actions in order; WAL flushes are deferred to the
    /// end of the batch unless a control write or truncation needs them.
    fn execute(
        &self,
        core: &mut Core,
        actions: Vec<Action>,
        pending_flush: &mut bool,
    ) -> Result<()> {
        for action in actions {
            match action {
                Action::WriteWal { at, bytes } => {
                    // The acceptor CRC-checked these frames (check_whole_frames).
                    core.files.wal.write_validated(at, &bytes)?;
                    self.metrics.append_bytes.inc_by(bytes.len() as u64);
                }
                Action::FlushWal { .. } => *pending_flush = true,
                Action::TruncateWal { at } => {
                    if std::mem::take(pending_flush) {
                        self.flush(core)?;
                    }
                    let commit = core.acceptor.commit_lsn();
                    core.files.wal.truncate(at, commit)?;
                }
                Action::PersistControl(state) => {
                    if std::mem::take(pending_flush) {
                        self.flush(core)?;
                    }
                    self.store_control(core, state)?;
                }
            }
        }
        Ok(())
    }

    fn flush(&self, core: &mut Core) -> Result<()> {
        let timer = self.metrics.fsync_seconds.start_timer();
        let started = Instant::now();
        core.files.wal.flush()?;
        let took = started.elapsed().as_micros().min(u64::MAX as u128 - 1) as u64;
        self.last_fsync_us.store(took, Ordering::Relaxed);
        timer.observe_duration();
        self.metrics.fsyncs.inc();
        Ok(())
    }

    /// Writes `state` (with this shell's pageserver fields) durably.
    pub fn store_control(&self, core: &mut Core, mut state: ControlState) -> Result<()> {
        let mut ps = lock(&self.pageserver);
        state.pageserver_generation = ps.generation;
        state.remote_consistent_lsn = ps.remote_consistent_lsn;
        core.files.control.store(&state)?;
        ps.dirty = false;
        self.metrics.control_writes.inc();
        Ok(())
    }

    /// Persists lazily advanced state (commit_lsn, backup_lsn, feedback).
    pub fn persist_if_dirty(&self, core: &mut Core) -> Result<()> {
        let action = core.acceptor.persist_if_dirty();
        let state = match action {
            Some(Action::PersistControl(state)) => state,
            Some(other) => {
                return Err(Error::Invariant(format!(
                    "persist_if_dirty returned {other:?}"
                )));
            }
            None if lock(&self.pageserver).dirty => {
                let mut state = core.acceptor.state().clone();
                state.flush_lsn = core.acceptor.flush_lsn();
                state
            }
            None => return Ok(()),
        };
        debug!(commit_lsn = %state.commit_lsn, "persisting control file");
        self.store_control(core, state)
    }

    /// Updates the pageserver fields under the core lock (so a concurrent
    /// control write sees all or nothing); `persist` writes them durably now.
    pub fn update_pageserver<T>(
        &self,
        core: &mut Core,
        persist: bool,
        f: impl FnOnce(&mut PageserverState) -> T,
    ) -> Result<T> {
        let old = *lock(&self.pageserver);
        let out = {
            let mut ps = lock(&self.pageserver);
            let out = f(&mut ps);
            ps.dirty = ps.dirty || *ps != old;
            out
        };
        if persist && lock(&self.pageserver).dirty {
            let mut state = core.acceptor.state().clone();
            state.flush_lsn = core.acceptor.flush_lsn();
            if let Err(e) = self.store_control(core, state) {
                *lock(&self.pageserver) = old;
                return Err(e);
            }
        }
        Ok(out)
    }

    /// Locks the core. If a panic poisoned the lock, the in-memory state may
    /// be half-updated, so it is dropped and reopened from disk.
    fn lock_core(&self) -> MutexGuard<'_, Option<Core>> {
        match self.core.lock() {
            Ok(guard) => guard,
            Err(poisoned) => {
                error!("a panic interrupted a timeline operation; reopening from disk");
                let mut guard = poisoned.into_inner();
                *guard = None;
                self.core.clear_poison();
                guard
            }
        }
    }

    fn touch_append(&self) {
        let now = (self.epoch.elapsed().as_millis() as u64).max(1);
        self.last_append_ms.store(now, Ordering::Relaxed);
    }

    fn usable_core<'a>(&self, guard: &'a mut MutexGuard<'_, Option<Core>>) -> Result<&'a mut Core> {
        if guard.is_none() {
            **guard = self.reopen();
        }
        guard.as_mut().ok_or_else(|| {
            Error::Unavailable(format!(
                "timeline {} failed and could not be reopened; see the log",
                self.id
            ))
        })
    }

    /// Reopens the timeline from disk (recovery) after a storage failure.
    fn reopen(&self) -> Option<Core> {
        let files = match self.store.open_timeline(&self.id) {
            Ok(files) => files,
            Err(e) => {
                error!(error = %e, "reopen timeline");
                return None;
            }
        };
        match Acceptor::restore(self.node_id, files.state.clone(), files.recovered.flush_lsn) {
            Ok(acceptor) => {
                info!(flush_lsn = %files.recovered.flush_lsn, "reopened timeline");
                Some(Core { acceptor, files })
            }
            Err(e) => {
                error!(error = %e, "restore acceptor");
                None
            }
        }
    }

    fn publish(&self, snap: Snapshot) {
        self.publish_metrics(&snap);
        let now_ms = self.epoch.elapsed().as_millis() as u64;
        lock(&self.wal_times).note(snap.state.flush_lsn, now_ms);
        self.snapshot.send_if_modified(|old| {
            let changed = *old != snap;
            *old = snap;
            changed
        });
    }

    fn publish_metrics(&self, snap: &Snapshot) {
        self.metrics.flush_lsn.set(lsn_gauge(snap.state.flush_lsn));
        self.metrics
            .commit_lsn
            .set(lsn_gauge(snap.state.commit_lsn));
        self.metrics
            .backup_lsn
            .set(lsn_gauge(snap.state.backup_lsn));
    }
}

impl Core {
    pub fn snapshot(&self) -> Snapshot {
        let mut state = self.acceptor.state().clone();
        state.flush_lsn = self.acceptor.flush_lsn();
        Snapshot {
            state,
            wal_start: self.files.wal.start_lsn(),
        }
    }
}

/// The receiving end of a timeline's job queue, consumed by its writer.
pub struct TimelineQueue(mpsc::Receiver<Job>);

/// Locks a mutex, recovering from poisoning: used for data that is only
/// replaced whole (the core uses `Timeline::lock_core` instead).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
