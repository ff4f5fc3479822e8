//! The driver's event loop and the state it shares with the committing threads.
//!
//! The [`DriverCore`] (the `Proposer` and its decisions) lives in [`LoopState`] behind one mutex, held only for
//! pure steps and channel sends (never across an await or any I/O). Two kinds
//! of caller step it:
//! - **Appends**, on the thread that commits ([`super::WalProposer::submit_wal`],
//!   [`super::WalProposer::append_wal`]): the record enters the core and its
//!   `Append` requests go to the links at once, with no hop through this task.
//!   Group commit happens in the links: whatever queues behind the one `Append`
//!   in flight is merged into the next message.
//! - **Links**, on their own task: an `Append` stream's reply is stepped into
//!   the core where it arrives ([`LoopState::deliver`]), so the reply that
//!   completes a quorum wakes the committers without a hop through this task.
//! - **This task**: each turn waits for one input (a unary reply or donor read
//!   from a link, a timer tick), takes every other event already queued, and executes
//!   the core's actions once: requests go to the links, `Durable` resolves the
//!   async waiters, `Ready` resolves `start`, and the new `commit_lsn` is
//!   published to [`DurableSignal`] (which wakes blocked committers directly) and to the
//!   watch channel. When the core stops (fenced, election timeout, broken
//!   invariant) every waiter fails with its error and the loop ends.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use proto::{Lsn, Term};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::DurableSignal;
use super::core::{DriverCore, Event, Input, Output, Step};
use super::link::LinkMsg;
use super::metrics::Metrics;
use crate::error::{Error, Result};

pub(super) type Waiter = oneshot::Sender<Result<(Lsn, Lsn)>>;

/// The state, for the links to step their Append stream's replies into the
/// core on their own task (no hop through the event loop); set once the state
/// exists, before any link has a stream open.
pub(super) type DirectState = Arc<std::sync::OnceLock<Arc<Mutex<LoopState>>>>;

/// Events taken per turn before the core's actions are executed.
const MAX_EVENTS_PER_TURN: usize = 4096;

/// The core and everything its outputs touch; see the module docs.
pub(super) struct LoopState {
    /// The decisions ([`DriverCore`]); this state only carries them out.
    pub core: DriverCore,
    /// Link of acceptor `id` at index `id - 1`.
    pub links: Vec<mpsc::UnboundedSender<LinkMsg>>,
    /// Async appends not yet durable, by end LSN (blocking committers wait on
    /// [`DurableSignal`] instead and have no entry here).
    pub waiters: BTreeMap<Lsn, Waiter>,
    pub commit_tx: watch::Sender<Lsn>,
    pub ready: Option<oneshot::Sender<Result<(Term, Lsn)>>>,
    pub shared: Arc<DurableSignal>,
    pub metrics: Arc<Metrics>,
    /// Cancelled when the driver stops (stops the links and this loop).
    pub cancel: CancellationToken,
}

/// Locks the state; a panic under the lock leaves the core half-stepped, so it
/// is reported as a broken invariant rather than used.
pub(super) fn lock(state: &Mutex<LoopState>) -> Result<MutexGuard<'_, LoopState>> {
    state
        .lock()
        .map_err(|_| Error::Invariant("a panic interrupted the proposer's core".into()))
}

use proto::now_us;

impl LoopState {
    /// Appends one record (whole frames) in the calling thread; its requests
    /// are on their way to the links when this returns. With `expect_start`,
    /// refuses (appending nothing) unless the record would start there.
    pub fn append(
        &mut self,
        wal: Bytes,
        expect_start: Option<Lsn>,
        waiter: Option<Waiter>,
    ) -> Result<(Lsn, Lsn)> {
        if self.core.is_stopped() {
            return Err(self.shared.error().unwrap_or(Error::ShutDown));
        }
        let ((start, end), step) = self.core.append(wal, expect_start)?;
        self.metrics.appends.inc();
        if let Some(w) = waiter {
            self.waiters.insert(end, w);
        }
        tracing::trace!(%start, %end, "append queued");
        self.execute(step);
        Ok((start, end))
    }

    /// Steps one event on the caller's task (a link's) and executes the
    /// outputs at once: the reply that completes a quorum advances
    /// `commit_lsn` and wakes the committers from the link's task.
    pub fn deliver(&mut self, ev: Event) {
        if self.core.is_stopped() {
            return;
        }
        let step = self.core.step(Input::Event(ev));
        self.execute(step);
    }

    /// Carries out one step: publishes its `commit_lsn`, executes the
    /// outputs, and stops the driver if the core stopped.
    fn execute(&mut self, step: Step) {
        // The one durability signal, published before anything it resolves
        // (`Ready`, `Durable`): wakes the committers blocked on it.
        let commit = step.commit_lsn;
        self.shared.advance(commit);
        for output in step.outputs {
            match output {
                Output::ToLink { to, msg } => {
                    if let LinkMsg::ReadWal { start, end, term } = &msg {
                        tracing::info!(donor = to, %start, %end, term, "reading WAL from the donor");
                    }
                    self.to_link(to, msg);
                }
                Output::Elected { term, start_lsn } => {
                    tracing::info!(term, %start_lsn, "elected");
                }
                Output::Ready { term, lsn } => {
                    if let Some(ready) = self.ready.take() {
                        let _ = ready.send(Ok((term, lsn)));
                    }
                }
                Output::Durable { start, end } => {
                    if let Some(w) = self.waiters.remove(&end) {
                        let _ = w.send(Ok((start, end)));
                    }
                }
            }
        }
        self.commit_tx.send_if_modified(|c| {
            let moved = commit > *c;
            if moved {
                *c = commit;
            }
            moved
        });
        self.metrics.commit_lsn.set(commit.0 as i64);
        if let Some(err) = step.stopped {
            tracing::warn!(error = %err, "proposer stopped");
            self.stop(err);
        }
    }

    fn to_link(&self, to: u64, msg: LinkMsg) {
        let link = to
            .checked_sub(1)
            .and_then(|i| self.links.get(i as usize))
            .expect("the core only addresses configured acceptors");
        // A link that ended (shutdown) drops the message, like the network.
        let _ = link.send(msg);
    }

    /// Fails everything still waiting with `err` and stops the driver.
    pub fn stop(&mut self, err: Error) {
        self.core.stop();
        self.shared.set_error(err.clone());
        for (_, w) in std::mem::take(&mut self.waiters) {
            let _ = w.send(Err(err.clone()));
        }
        if let Some(ready) = self.ready.take() {
            let _ = ready.send(Err(err.clone()));
        }
        self.cancel.cancel();
    }
}

pub(super) struct EventLoop {
    pub state: Arc<Mutex<LoopState>>,
    pub shared: Arc<DurableSignal>,
    pub events: mpsc::UnboundedReceiver<Event>,
    pub tick: Duration,
}

impl EventLoop {
    pub async fn run(mut self, cancel: CancellationToken) {
        let mut ticker = tokio::time::interval(self.tick);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        if self.turn(None, true, &cancel) {
            return;
        }
        loop {
            let ev = tokio::select! {
                biased;
                _ = cancel.cancelled() => {
                    match lock(&self.state) {
                        Ok(mut s) => s.stop(Error::ShutDown),
                        Err(e) => self.shared.set_error(e),
                    }
                    return;
                }
                ev = self.events.recv() => match ev {
                    Some(ev) => Some(ev),
                    None => {
                        match lock(&self.state) {
                            Ok(mut s) => s.stop(Error::ShutDown),
                            Err(e) => self.shared.set_error(e),
                        }
                        cancel.cancel();
                        return;
                    }
                },
                _ = ticker.tick() => None,
            };
            let tick = ev.is_none();
            if self.turn(ev, tick, &cancel) {
                return;
            }
        }
    }

    /// One turn under the lock: `ev`, every event already queued, a tick if
    /// due, then the actions once. True when the driver stopped.
    fn turn(&mut self, ev: Option<Event>, tick: bool, cancel: &CancellationToken) -> bool {
        let mut s = match lock(&self.state) {
            Ok(s) => s,
            Err(e) => {
                // Waiters held in the state are dropped with it: their
                // receivers see the channel closed and report this error.
                tracing::error!(error = %e, "proposer stopped");
                self.shared.set_error(e);
                cancel.cancel();
                return true;
            }
        };
        if s.core.is_stopped() {
            return true;
        }
        if let Some(ev) = ev {
            s.core.feed(Input::Event(ev));
        }
        for _ in 0..MAX_EVENTS_PER_TURN {
            match self.events.try_recv() {
                Ok(ev) => s.core.feed(Input::Event(ev)),
                Err(_) => break,
            }
        }
        if tick {
            s.core.feed(Input::Tick { clock_us: now_us() });
        }
        let step = s.core.take_step();
        s.execute(step);
        s.core.is_stopped()
    }
}
