//! [`ProposerWal`]: the engine's [`WalSink`] over the safekeepers' proposer driver.
//!
//! A commit's record becomes durable when a quorum of safekeepers has flushed it
//! ([`safekeeper::driver::WalProposer::append`]). The engine calls the sink from plain
//! session threads, in two halves:
//!
//! ```text
//!  session thread (commit mutex held)          tokio runtime
//!  submit(record, start) ──enqueue, in order──▶ event loop ──Append──▶ safekeepers
//!  (mutex released)                               │ commit_lsn watch
//!  wait_durable(end) ◀── condvar ◀── follower task ┘
//! ```
//!
//! - **Positions**: the driver places records one after another in the order their
//!   appends reach its event loop, starting at [`WalProposer::ready_lsn`] (the end of the
//!   term's `TermStart`). The engine starts its WAL at [`WalSink::end_lsn`], which is that
//!   LSN, and `submit` hands the record to the driver *synchronously* (the append future is
//!   polled once, on the calling thread, which queues it on the event loop's channel) under
//!   this sink's own lock, so LSN order and queue order are the same. Each append's
//!   `(start, end)` is checked against the prediction when it resolves; a mismatch is a
//!   broken invariant and stops all further writes.
//! - **No quorum wait in the serial step**: `submit` never waits for the network; the rest
//!   of the append runs as a task on the runtime. Concurrent commits therefore have their
//!   appends queued together, and the driver merges them into one `Append` message per
//!   safekeeper (group commit).
//! - **Durability**: a follower task copies the driver's `commit_lsn` (always a record
//!   boundary) into a mutex + condvar; [`WalSink::wait_durable`] blocks the session thread
//!   on it (never a runtime thread), bounded by a wait limit.
//! - **Fencing**: when the driver stops (a newer primary won a higher term — learned from
//!   the reply to an append or to the driver's idle heartbeat — or shutdown), every waiter
//!   below the durable LSN fails, every later `submit` fails at once with
//!   [`WalError::ReadOnly`] and a message saying so, [`WalSink::stopped`] says why and
//!   [`WalSink::stopping`] is cancelled: the engine stops serving (a waiter's record was
//!   sent, so its commit's outcome is unknown; a refused `submit` is a definite failure).
//! - **Cheap checks**: the durable LSN and the stopped flag are atomics beside the lock, so
//!   the per-statement `durable_lsn` / `stopped` never take it.
//!
//! The driver's own byte budget (`max_pending_bytes`) must never make the first poll of an
//! append wait, or the queue order could differ from the LSN order: [`ProposerWal::start`]
//! sets it to the largest value the driver accepts. Backpressure comes from the sessions
//! themselves, each waiting for its commit.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use proto::{Lsn, Record};
use safekeeper::driver::{DriverConfig, WalProposer};
use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

use super::wal_sink::{WalError, WalSink};

/// What the sink knows, under one lock.
struct State {
    /// Where the next record starts (the driver places it there).
    next: Lsn,
    /// The quorum-durable LSN as last seen.
    durable: Lsn,
    /// Why writes stopped, once they have.
    failed: Option<String>,
}

struct Inner {
    state: Mutex<State>,
    changed: Condvar,
    timeline: String,
    /// `State::durable`, readable without the lock (written under it).
    durable: AtomicU64,
    /// Whether `State::failed` is set, readable without the lock.
    failed: AtomicBool,
    /// Cancelled once `State::failed` is set.
    stopping: CancellationToken,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Only plain assignments happen under the lock; a panic leaves a consistent state.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn advance(&self, lsn: Lsn) {
        let mut s = self.lock();
        if lsn > s.durable {
            s.durable = lsn;
            self.durable.store(lsn.0, Ordering::Release);
            drop(s);
            self.changed.notify_all();
        }
    }

    fn fail(&self, why: String) {
        let mut s = self.lock();
        if s.failed.is_none() {
            tracing::warn!(timeline = %self.timeline, reason = %why, "WAL writes stopped");
            s.failed = Some(why);
            self.failed.store(true, Ordering::Release);
        }
        drop(s);
        self.changed.notify_all();
        self.stopping.cancel();
    }
}

/// A [`WalSink`] whose durability is a quorum of safekeepers. See the module docs.
pub struct ProposerWal {
    proposer: Arc<WalProposer>,
    runtime: Handle,
    inner: Arc<Inner>,
    wait_limit: Duration,
}

/// Why writes stopped, once the driver has.
fn stopped_message(proposer: &WalProposer, timeline: &str) -> String {
    match proposer.error() {
        Some(safekeeper::Error::Fenced { term, own_term }) => format!(
            "a newer primary took over timeline {timeline} (term {term} > our term \
             {own_term}); this compute no longer accepts writes"
        ),
        Some(e) => format!(
            "WAL of timeline {timeline} unavailable: {e}; this compute no longer accepts writes"
        ),
        None => shut_down_message(timeline),
    }
}

fn shut_down_message(timeline: &str) -> String {
    format!("WAL of timeline {timeline} is shut down; this compute no longer accepts writes")
}

impl ProposerWal {
    /// Starts the proposer driver for `config` on `runtime` (an election on the
    /// safekeepers, fencing any older primary) and returns the sink once the term's
    /// `TermStart` is durable. The engine's WAL then starts at the proposer's ready LSN.
    pub async fn start(
        mut config: DriverConfig,
        runtime: Handle,
    ) -> Result<ProposerWal, safekeeper::Error> {
        // See the module docs: the first poll of an append must never wait for budget.
        config.max_pending_bytes = usize::MAX;
        let timeline = config.timeline.clone();
        let proposer = WalProposer::start(config).await?;
        Ok(Self::new(Arc::new(proposer), &timeline, runtime))
    }

    /// A sink over an elected `proposer` whose budget never blocks (see the module docs).
    /// Spawns the task that follows its commit LSN on `runtime`.
    pub fn new(
        proposer: Arc<WalProposer>,
        timeline: &proto::TimelineId,
        runtime: Handle,
    ) -> ProposerWal {
        let timeline = format!("{}/{}", timeline.tenant, timeline.timeline);
        let ready = proposer.ready_lsn();
        let inner = Arc::new(Inner {
            state: Mutex::new(State {
                next: ready,
                durable: ready,
                failed: None,
            }),
            changed: Condvar::new(),
            timeline,
            durable: AtomicU64::new(ready.0),
            failed: AtomicBool::new(false),
            stopping: CancellationToken::new(),
        });
        let follower = {
            let inner = inner.clone();
            // Weak: dropping the sink drops the proposer, which stops the driver (and this).
            let weak = Arc::downgrade(&proposer);
            let mut commit = proposer.commit_lsn();
            async move {
                loop {
                    let lsn = *commit.borrow_and_update();
                    inner.advance(lsn);
                    if commit.changed().await.is_err() {
                        break;
                    }
                }
                // The event loop ended: fenced or shut down.
                let msg = match weak.upgrade() {
                    Some(proposer) => stopped_message(&proposer, &inner.timeline),
                    None => shut_down_message(&inner.timeline),
                };
                inner.fail(msg);
            }
        };
        runtime.spawn(follower);
        ProposerWal {
            proposer,
            runtime,
            inner,
            wait_limit: Duration::from_secs(60),
        }
    }

    /// How long [`WalSink::wait_durable`] waits before giving up (default 60 s).
    pub fn with_wait_limit(mut self, limit: Duration) -> ProposerWal {
        self.wait_limit = limit;
        self
    }

    /// The driver (its term, metrics, stats).
    pub fn proposer(&self) -> &Arc<WalProposer> {
        &self.proposer
    }
}

/// An append on its way: resolves with where the driver placed the record.
type Append = Pin<Box<dyn Future<Output = safekeeper::Result<(Lsn, Lsn)>> + Send>>;

/// Acts on an append's outcome. Never called under the state lock.
fn finish(
    inner: &Inner,
    proposer: &WalProposer,
    (start, end): (Lsn, Lsn),
    outcome: safekeeper::Result<(Lsn, Lsn)>,
) {
    match outcome {
        Ok(placed) if placed == (start, end) => {}
        Ok((got_start, got_end)) => inner.fail(format!(
            "the proposer placed a record at {got_start}..{got_end}, the engine at \
             {start}..{end}: WAL positions diverged; this compute no longer accepts writes"
        )),
        Err(e) => {
            tracing::warn!(timeline = %inner.timeline, %start, %end, error = %e, "append failed");
            inner.fail(stopped_message(proposer, &inner.timeline));
        }
    }
}

impl WalSink for ProposerWal {
    fn submit(&self, record: &Record, start: Lsn) -> Result<Lsn, WalError> {
        let mut s = self.inner.lock();
        if let Some(why) = &s.failed {
            return Err(WalError::ReadOnly(why.clone()));
        }
        if start != s.next {
            return Err(WalError::OutOfOrder { start, end: s.next });
        }
        let wal = proto::frame::encode_record(record).freeze();
        let end = Lsn(start.0 + wal.len() as u64);
        let proposer = self.proposer.clone();
        let mut append: Append = Box::pin(async move { proposer.append_wal(wal).await });
        // Poll once here, under our lock: that queues the append on the driver's channel
        // in LSN order (its budget never waits, see `start`). The runtime finishes it.
        // The future only talks to the driver, so polling it under the lock cannot block.
        let poll = {
            let _guard = self.runtime.enter();
            append
                .as_mut()
                .poll(&mut Context::from_waker(Waker::noop()))
        };
        if let Poll::Ready(outcome) = poll {
            if matches!(outcome, Ok(placed) if placed == (start, end)) {
                s.next = end;
                return Ok(end);
            }
            // Resolved at once with an error: the driver had already stopped (fenced or
            // shut down), so the record went nowhere and the WAL's end stays where it was.
            drop(s);
            finish(&self.inner, &self.proposer, (start, end), outcome);
            let why = self.inner.lock().failed.clone();
            return Err(WalError::ReadOnly(why.unwrap_or_else(|| {
                stopped_message(&self.proposer, &self.inner.timeline)
            })));
        }
        s.next = end;
        drop(s);
        let (proposer, inner) = (self.proposer.clone(), self.inner.clone());
        self.runtime.spawn(async move {
            let outcome = append.await;
            finish(&inner, &proposer, (start, end), outcome);
        });
        Ok(end)
    }

    fn wait_durable(&self, end: Lsn) -> Result<(), WalError> {
        let deadline = Instant::now() + self.wait_limit;
        let mut s = self.inner.lock();
        loop {
            if s.durable >= end {
                return Ok(());
            }
            if let Some(why) = &s.failed {
                return Err(WalError::ReadOnly(why.clone()));
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(WalError::Unavailable(format!(
                    "{end} not durable on a quorum of safekeepers after {:?}",
                    self.wait_limit
                )));
            }
            s = self
                .inner
                .changed
                .wait_timeout(s, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    fn durable_lsn(&self) -> Lsn {
        Lsn(self.inner.durable.load(Ordering::Acquire))
    }

    fn end_lsn(&self) -> Lsn {
        self.inner.lock().next
    }

    fn stopped(&self) -> Option<String> {
        if !self.inner.failed.load(Ordering::Acquire) {
            return None;
        }
        self.inner.lock().failed.clone()
    }

    fn stopping(&self) -> CancellationToken {
        self.inner.stopping.clone()
    }
}

#[cfg(test)]
mod tests;
