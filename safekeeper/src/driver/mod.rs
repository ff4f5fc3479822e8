//! # The proposer's async driver: what a compute links to make WAL durable
//!
//! [`WalProposer`] is the shell around the pure [`Proposer`] core. The core
//! sits behind one mutex (`event_loop::LoopState`), stepped by the thread that
//! appends and by one task (the *event loop*, `event_loop.rs`) that takes the
//! links' replies and the timer; one task per safekeeper (a *link*,
//! `link.rs`) moves messages:
//!
//! ```text
//!  submit_wal(record) ─core.append─▶ Send ──────────▶ link 1 ──gRPC──▶ safekeeper 1
//!  (committing thread)     (Proposer, locked)         link 2 ──gRPC──▶ safekeeper 2
//!  wait_durable(end) ◀── commit_lsn ◀── core.on_reply ◀── link 3 ──gRPC──▶ safekeeper 3
//!   (condvar, DurableSignal)  (stepped on the link's task; the event loop takes
//!                       unary replies, donor reads and the `tick`)
//! ```
//!
//! - **Election**: [`WalProposer::start`] greets every safekeeper, votes,
//!   sends `Elected`, syncs lagging acceptors from the donor (`ReadWal` with
//!   `include_uncommitted` and the term) and resolves once the term's
//!   `TermStart` record is committed, returning the term and the first
//!   snapshot LSN (the TermStart's end).
//! - **Appends**: [`WalProposer::submit_wal`] steps the core on the calling
//!   thread and hands the `Append` requests straight to the links; the caller
//!   then blocks in [`WalProposer::wait_durable`] until `commit_lsn >= end`,
//!   the one durability signal, which the event loop publishes and which wakes
//!   every blocked caller directly (no per-append channel, no follower task).
//!   [`WalProposer::append`] is the async form (a oneshot per append). Greet, Vote and Elected are
//!   unary RPCs; appends travel on one bidirectional `Append` stream per
//!   safekeeper. At most `max_pending_bytes` of appends wait for
//!   durability at once; further callers wait (backpressure while no quorum
//!   is reachable, instead of an unbounded WAL buffer).
//! - **Group commit**: the event loop hands every append queued since its
//!   last turn to the core at once, and each link keeps at most
//!   `max_inflight_appends` `Append` messages outstanding; whatever queues up
//!   behind them is merged into one message (contiguous WAL, the newest
//!   `commit_lsn`), so concurrent appends share one round trip and one fsync
//!   per safekeeper. The `append_messages` / `appends` metrics show the ratio.
//! - **Failures**: links connect lazily and reconnect with exponential
//!   backoff; a message lost with a connection is simply not answered, and
//!   the core's tick resends from the acceptor's acknowledged position. While
//!   a link is down its queued appends are dropped (the core resends). A
//!   safekeeper that missed the election's Greet (down at the time, or new)
//!   answers Vote/Elected with NOT_FOUND; the link greets it (which creates
//!   the timeline there) and the core's resend of Elected brings it in.
//! - **Fencing**: once a higher term appears the core stops; every pending
//!   and every later append fails with [`Error::Fenced`] (see
//!   [`WalProposer::error`]); the driver never retries in place.
//!
//! ## Invariants
//! - The [`Proposer`] is only stepped under its mutex, which is never held
//!   across an await or I/O; links only move messages.
//! - A waiter is resolved `Ok` only by the core's `Durable` action, i.e. when
//!   a majority flushed the record under this term. Every other end (fenced,
//!   shut down, invariant broken) resolves it with the error.
//! - `commit_lsn()` never goes backwards and is always a record boundary.

pub mod core;
mod event_loop;
mod link;
mod metrics;
#[cfg(test)]
mod server_tests;
#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use proto::frame::encode_record;
use proto::{Lsn, Record, Term, TimelineId};
use tokio::sync::{Semaphore, mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::error::{Error, Result};
use crate::messages::NodeId;
use crate::proposer::{Proposer, ProposerConfig};
pub use link::AppendQueue;
pub use metrics::{DriverStats, Metrics};

/// How to reach the safekeepers and how patient to be.
#[derive(Clone, Debug)]
pub struct DriverConfig {
    pub timeline: TimelineId,
    /// Safekeeper gRPC addresses, `host:port` or `http://host:port`.
    pub safekeepers: Vec<String>,
    /// This proposer's id (a compute's id), sent in Greet and Vote.
    pub proposer_id: NodeId,
    /// Where the timeline's WAL starts (used by safekeepers that have never
    /// seen the timeline).
    pub timeline_start_lsn: Lsn,
    /// How often the core ticks (resends, heartbeats, election timeout).
    pub tick: Duration,
    /// Without progress for this long, a request is resent.
    pub resend_after: Duration,
    /// The election (greet + vote) must succeed within this.
    pub election_timeout: Duration,
    /// `start` gives up after this (election and TermStart commit).
    pub start_timeout: Duration,
    /// Bound on one unary RPC, a donor read, or opening a stream.
    pub rpc_timeout: Duration,
    /// Largest merged `Append` message (a single frame may exceed it).
    pub max_batch_bytes: usize,
    /// `Append` messages outstanding per safekeeper; more queue and merge.
    pub max_inflight_appends: usize,
    /// Bytes of appends not yet durable before `append` waits
    /// (backpressure while no quorum is reachable).
    pub max_pending_bytes: usize,
    /// Reconnect backoff: first and longest delay.
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// Register the driver's metrics here (a private registry if `None`).
    pub registry: Option<prometheus::Registry>,
    /// The compute's token for the safekeepers (`--auth-token-file`).
    pub auth_token: proto::auth::Token,
    /// `--grpc-tls-ca`: reach the safekeepers over TLS, trusting this CA.
    pub tls: Option<proto::tls::ClientTls>,
}

impl DriverConfig {
    pub fn new(timeline: TimelineId, safekeepers: Vec<String>, proposer_id: NodeId) -> Self {
        DriverConfig {
            timeline,
            safekeepers,
            proposer_id,
            timeline_start_lsn: Lsn(0x0100_0000),
            tick: Duration::from_millis(20),
            resend_after: Duration::from_millis(200),
            election_timeout: Duration::from_secs(5),
            start_timeout: Duration::from_secs(20),
            rpc_timeout: Duration::from_secs(5),
            max_batch_bytes: 2 << 20,
            max_inflight_appends: 1,
            max_pending_bytes: 256 << 20,
            backoff_min: Duration::from_millis(20),
            backoff_max: Duration::from_millis(500),
            registry: None,
            auth_token: proto::auth::Token::none(),
            tls: None,
        }
    }

    fn ticks(&self, d: Duration) -> u64 {
        let tick = self.tick.as_micros().max(1);
        (d.as_micros() / tick).max(1) as u64
    }
}

/// The durable LSN and why the driver stopped, under one lock with a condvar:
/// the one signal blocked committers wait on.
#[derive(Default)]
struct DurableState {
    durable: Lsn,
    /// Why the driver stopped (fenced, shut down, broken invariant).
    stopped: Option<Error>,
}

/// What the core's state shares with the handles and the blocked committers.
#[derive(Default)]
struct DurableSignal {
    state: Mutex<DurableState>,
    changed: Condvar,
    /// `DurableState::durable`, readable without the lock (written under it).
    durable: AtomicU64,
}

impl DurableSignal {
    fn lock(&self) -> std::sync::MutexGuard<'_, DurableState> {
        // Only plain assignments happen under this lock.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
    fn error(&self) -> Option<Error> {
        self.lock().stopped.clone()
    }
    fn set_error(&self, err: Error) {
        let mut s = self.lock();
        if s.stopped.is_none() {
            s.stopped = Some(err);
        }
        drop(s);
        self.changed.notify_all();
    }
    /// Publishes a new quorum-durable LSN and wakes every blocked committer.
    fn advance(&self, lsn: Lsn) {
        let mut s = self.lock();
        if lsn > s.durable {
            s.durable = lsn;
            self.durable.store(lsn.0, Ordering::Release);
            drop(s);
            self.changed.notify_all();
        }
    }
}

/// A running, elected proposer. See the module docs. Dropping it stops the
/// driver's tasks (pending appends fail with [`Error::ShutDown`]).
pub struct WalProposer {
    state: Arc<Mutex<event_loop::LoopState>>,
    shared: Arc<DurableSignal>,
    commit_rx: watch::Receiver<Lsn>,
    term: Term,
    ready_lsn: Lsn,
    metrics: Arc<Metrics>,
    /// Pending bytes, in KiB permits (see `max_pending_bytes`).
    budget: Arc<Semaphore>,
    budget_kib: u32,
    cancel: CancellationToken,
    span: tracing::Span,
}

impl WalProposer {
    /// Connects, wins an election and commits the term's `TermStart`.
    /// Resolves with the proposer once it takes appends.
    pub async fn start(cfg: DriverConfig) -> Result<WalProposer> {
        if cfg.safekeepers.is_empty() {
            return Err(Error::InvalidRequest("no safekeepers given".into()));
        }
        let span = tracing::info_span!(
            "proposer",
            tenant = %cfg.timeline.tenant,
            timeline = %cfg.timeline.timeline,
            proposer = cfg.proposer_id,
        );
        let metrics = Arc::new(Metrics::new(&cfg));
        let cancel = CancellationToken::new();
        let shared = Arc::new(DurableSignal::default());
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let direct: event_loop::DirectState = Default::default();
        let mut links = Vec::with_capacity(cfg.safekeepers.len());
        let mut ids = Vec::with_capacity(cfg.safekeepers.len());
        for (i, addr) in cfg.safekeepers.iter().enumerate() {
            let id = i as NodeId + 1;
            let (link, tx) = link::Link::new(
                id,
                addr,
                &cfg,
                events_tx.clone(),
                direct.clone(),
                metrics.clone(),
            )?;
            let link_span = tracing::info_span!(parent: &span, "link", safekeeper = %addr);
            tokio::spawn(link.run(cancel.child_token()).instrument(link_span));
            links.push(tx);
            ids.push(id);
        }
        let mut pcfg = ProposerConfig::new(cfg.proposer_id, ids, cfg.timeline_start_lsn);
        pcfg.resend_ticks = cfg.ticks(cfg.resend_after);
        pcfg.election_timeout_ticks = cfg.ticks(cfg.election_timeout);
        let core = Proposer::new(pcfg);
        shared.advance(core.commit_lsn());
        let (commit_tx, commit_rx) = watch::channel(core.commit_lsn());
        let (ready_tx, ready_rx) = oneshot::channel();
        let state = Arc::new(Mutex::new(event_loop::LoopState {
            core: core::DriverCore::new(core),
            links,
            waiters: Default::default(),
            commit_tx,
            ready: Some(ready_tx),
            shared: shared.clone(),
            metrics: metrics.clone(),
            cancel: cancel.clone(),
        }));
        let _ = direct.set(state.clone());
        let event_loop = event_loop::EventLoop {
            state: state.clone(),
            shared: shared.clone(),
            events: events_rx,
            tick: cfg.tick,
        };
        tokio::spawn(event_loop.run(cancel.clone()).instrument(span.clone()));
        let ready = tokio::time::timeout(cfg.start_timeout, ready_rx).await;
        let (term, ready_lsn) = match ready {
            Ok(Ok(Ok(ready))) => ready,
            Ok(Ok(Err(e))) => {
                cancel.cancel();
                return Err(e);
            }
            Ok(Err(_)) => {
                cancel.cancel();
                return Err(shared.error().unwrap_or(Error::ShutDown));
            }
            Err(_) => {
                cancel.cancel();
                return Err(Error::ElectionTimeout {
                    ticks: cfg.ticks(cfg.start_timeout),
                    why: shared.error().map_or_else(
                        || "no election and TermStart commit within the start timeout".to_string(),
                        |e| e.to_string(),
                    ),
                });
            }
        };
        span.in_scope(|| tracing::info!(term, %ready_lsn, "proposer ready"));
        let budget_kib = (cfg.max_pending_bytes >> 10).clamp(1, u32::MAX as usize) as u32;
        Ok(WalProposer {
            budget: Arc::new(Semaphore::new(budget_kib as usize)),
            budget_kib,
            state,
            shared,
            commit_rx,
            term,
            ready_lsn,
            metrics,
            cancel,
            span,
        })
    }

    /// Appends one record; resolves with its `[start, end)` once it is
    /// durable on a quorum of safekeepers.
    pub async fn append(&self, record: &Record) -> Result<(Lsn, Lsn)> {
        self.append_wal(encode_record(record).freeze()).await
    }

    /// Appends one record already cut into frames (FIRST..LAST).
    pub async fn append_wal(&self, wal: Bytes) -> Result<(Lsn, Lsn)> {
        if let Some(e) = self.shared.error() {
            return Err(e);
        }
        let started = Instant::now();
        let kib = ((wal.len() >> 10) as u32).clamp(1, self.budget_kib);
        let _pending = self
            .budget
            .acquire_many(kib)
            .await
            .expect("the budget semaphore is never closed");
        let (done, rx) = oneshot::channel();
        event_loop::lock(&self.state)?.append(wal, None, Some(done))?;
        let res = rx.await.map_err(|_| self.stop_reason())?;
        if res.is_ok() {
            self.metrics.observe_append(started.elapsed());
        }
        res
    }

    /// Appends one record already cut into frames, which must start at
    /// `start` (the WAL's end as the caller predicted; otherwise nothing is
    /// appended and a broken invariant is returned). Steps the core on the
    /// calling thread and hands the `Append` requests to the links; never
    /// waits for the network. Returns `[start, end)`; durability is
    /// [`Self::wait_durable`]'s. Takes no budget: the caller bounds what it
    /// has outstanding (each committer waits for its own record).
    pub fn submit_wal(&self, wal: Bytes, start: Lsn) -> Result<(Lsn, Lsn)> {
        event_loop::lock(&self.state)?.append(wal, Some(start), None)
    }

    /// Blocks the calling thread (never a runtime thread) until `end` is
    /// durable on a quorum (`Ok(true)`), `timeout` passes (`Ok(false)`), or the
    /// driver stops first (its error). Woken directly by every advance of
    /// `commit_lsn`.
    pub fn wait_durable(&self, end: Lsn, timeout: Duration) -> Result<bool> {
        let deadline = Instant::now() + timeout;
        let mut s = self.shared.lock();
        loop {
            if s.durable >= end {
                return Ok(true);
            }
            if let Some(e) = &s.stopped {
                return Err(e.clone());
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(false);
            }
            s = self
                .shared
                .changed
                .wait_timeout(s, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// The quorum-durable LSN (a record boundary), without locking.
    pub fn durable_lsn(&self) -> Lsn {
        Lsn(self.shared.durable.load(Ordering::Acquire))
    }

    /// Cancelled once the driver has stopped ([`Self::error`] says why).
    pub fn stopped(&self) -> CancellationToken {
        self.cancel.child_token()
    }

    fn stop_reason(&self) -> Error {
        self.shared.error().unwrap_or(Error::ShutDown)
    }

    /// The term this proposer won.
    pub fn term(&self) -> Term {
        self.term
    }

    /// The first snapshot LSN: the end of this term's `TermStart`.
    pub fn ready_lsn(&self) -> Lsn {
        self.ready_lsn
    }

    /// The quorum-durable LSN, updated as it advances.
    pub fn commit_lsn(&self) -> watch::Receiver<Lsn> {
        self.commit_rx.clone()
    }

    /// Why the proposer stopped taking appends ([`Error::Fenced`] when a
    /// newer proposer took over), or `None` while it runs.
    pub fn error(&self) -> Option<Error> {
        self.shared.error()
    }

    /// Counters of this driver (appends, Append messages, bytes).
    pub fn stats(&self) -> DriverStats {
        self.metrics.stats()
    }

    /// The driver's metrics (also registered in the configured registry).
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Stops the driver; pending appends fail with [`Error::ShutDown`].
    pub fn shutdown(&self) {
        self.span
            .in_scope(|| tracing::info!("proposer shutting down"));
        self.cancel.cancel();
    }
}

impl Drop for WalProposer {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}
