//! [`ProposerWal`]: the engine's [`WalSink`] over the safekeepers' proposer driver.
//!
//! A commit's record becomes durable when a quorum of safekeepers has flushed it. The
//! engine calls the sink from plain session threads, in two halves:
//!
//! ```text
//!  session thread (commit mutex held)
//!  submit(record, start) ──core.append, in order──▶ links ──Append──▶ safekeepers
//!  (mutex released)                                                       │
//!  wait_durable(end) ◀── the driver's condvar ◀── commit_lsn ◀── replies ──┘
//! ```
//!
//! - **Positions**: the driver places records one after another, starting at
//!   [`WalProposer::ready_lsn`] (the end of the term's `TermStart`). The engine starts its
//!   WAL at [`WalSink::end_lsn`], which is that LSN, and `submit` hands the record to the
//!   driver *synchronously* ([`WalProposer::submit_wal`]: the core is stepped on the calling
//!   thread and the `Append` requests go straight to the safekeeper links) under this sink's
//!   own lock, with the start the engine predicted: the driver refuses a record that would
//!   land anywhere else, so positions cannot diverge silently. The end LSN is the one the
//!   driver computed while splitting the frames (the engine's own prediction, from
//!   `record_framed_len`, is checked against it by the caller).
//! - **No quorum wait in the serial step**: `submit` never waits for the network.
//!   Concurrent commits' appends queue behind the one `Append` each link has in flight and
//!   are merged into the next message (group commit).
//! - **Durability**: one signal. [`WalSink::wait_durable`] blocks the session thread on the
//!   driver's own condvar ([`WalProposer::wait_durable`]), which the driver's event loop
//!   notifies as `commit_lsn` (always a record boundary) advances; no per-append channel,
//!   no task per append, no follower task in between. Bounded by a wait limit.
//! - **Fencing**: when the driver stops (a newer primary won a higher term — learned from
//!   the reply to an append or to the driver's idle heartbeat — or shutdown), every waiter
//!   below the durable LSN fails, every later `submit` fails at once with
//!   [`WalError::ReadOnly`] and a message saying so, [`WalSink::stopped`] says why and
//!   [`WalSink::stopping`] is cancelled (a task waits for the driver's stop token, once):
//!   the engine stops serving (a waiter's record was sent, so its commit's outcome is
//!   unknown; a refused `submit` is a definite failure).
//! - **Cheap checks**: the durable LSN and the stopped flag are atomics, so the
//!   per-statement `durable_lsn` / `stopped` take no lock.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use proto::{Lsn, Record};
use safekeeper::driver::{DriverConfig, WalProposer};
use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

use super::wal_sink::{WalError, WalSink};

struct Inner {
    /// Where the next record starts (the driver places it there); the submit lock.
    next: Mutex<Lsn>,
    /// Why writes stopped, once they have.
    failed: Mutex<Option<String>>,
    /// Whether `failed` is set, readable without the lock.
    failed_flag: AtomicBool,
    timeline: String,
    /// Cancelled once `failed` is set.
    stopping: CancellationToken,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Only plain assignments happen under these locks; a panic leaves them consistent.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Inner {
    fn fail(&self, why: String) -> String {
        let mut f = lock(&self.failed);
        if f.is_none() {
            tracing::warn!(timeline = %self.timeline, reason = %why, "WAL writes stopped");
            *f = Some(why);
            self.failed_flag.store(true, Ordering::Release);
        }
        let why = f.clone().unwrap_or_default();
        drop(f);
        self.stopping.cancel();
        why
    }

    fn failed(&self) -> Option<String> {
        if !self.failed_flag.load(Ordering::Acquire) {
            return None;
        }
        lock(&self.failed).clone()
    }
}

/// A [`WalSink`] whose durability is a quorum of safekeepers. See the module docs.
pub struct ProposerWal {
    proposer: Arc<WalProposer>,
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
        config: DriverConfig,
        runtime: Handle,
    ) -> Result<ProposerWal, safekeeper::Error> {
        let timeline = config.timeline.clone();
        let proposer = WalProposer::start(config).await?;
        Ok(Self::new(Arc::new(proposer), &timeline, runtime))
    }

    /// A sink over an elected `proposer`. Spawns, on `runtime`, the task that marks the
    /// sink stopped when the driver stops.
    pub fn new(
        proposer: Arc<WalProposer>,
        timeline: &proto::TimelineId,
        runtime: Handle,
    ) -> ProposerWal {
        let timeline = format!("{}/{}", timeline.tenant, timeline.timeline);
        let inner = Arc::new(Inner {
            next: Mutex::new(proposer.ready_lsn()),
            failed: Mutex::new(None),
            failed_flag: AtomicBool::new(false),
            timeline,
            stopping: CancellationToken::new(),
        });
        let watcher = {
            let inner = inner.clone();
            // Weak: dropping the sink drops the proposer, which stops the driver (and this).
            let weak = Arc::downgrade(&proposer);
            let stopped = proposer.stopped();
            async move {
                stopped.cancelled().await;
                let msg = match weak.upgrade() {
                    Some(proposer) => stopped_message(&proposer, &inner.timeline),
                    None => shut_down_message(&inner.timeline),
                };
                inner.fail(msg);
            }
        };
        runtime.spawn(watcher);
        ProposerWal {
            proposer,
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

impl WalSink for ProposerWal {
    fn submit(&self, record: &Record, start: Lsn) -> Result<Lsn, WalError> {
        let mut next = lock(&self.inner.next);
        if let Some(why) = self.inner.failed() {
            return Err(WalError::ReadOnly(why));
        }
        if start != *next {
            return Err(WalError::OutOfOrder { start, end: *next });
        }
        let wal = proto::frame::encode_record(record).freeze();
        match self.proposer.submit_wal(wal, start) {
            Ok((_, end)) => {
                *next = end;
                Ok(end)
            }
            // Refused: the record went nowhere and the WAL's end stays where it was.
            Err(e) => {
                drop(next);
                tracing::warn!(timeline = %self.inner.timeline, %start, error = %e, "append refused");
                let msg = match e {
                    safekeeper::Error::Invariant(why) => {
                        format!("{why}; this compute no longer accepts writes")
                    }
                    _ => stopped_message(&self.proposer, &self.inner.timeline),
                };
                Err(WalError::ReadOnly(self.inner.fail(msg)))
            }
        }
    }

    fn wait_durable(&self, end: Lsn) -> Result<(), WalError> {
        let started = Instant::now();
        match self.proposer.wait_durable(end, self.wait_limit) {
            Ok(true) => Ok(()),
            Ok(false) => Err(WalError::Unavailable(format!(
                "{end} not durable on a quorum of safekeepers after {:?}",
                started.elapsed()
            ))),
            Err(_) => Err(WalError::ReadOnly(
                self.inner
                    .fail(stopped_message(&self.proposer, &self.inner.timeline)),
            )),
        }
    }

    fn durable_lsn(&self) -> Lsn {
        self.proposer.durable_lsn()
    }

    fn end_lsn(&self) -> Lsn {
        *lock(&self.inner.next)
    }

    fn stopped(&self) -> Option<String> {
        self.inner.failed()
    }

    fn stopping(&self) -> CancellationToken {
        self.inner.stopping.clone()
    }
}

#[cfg(test)]
mod tests;
