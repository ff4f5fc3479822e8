//! The driver's event loop and the state it shares with the committing threads.
//!
//! The [`Proposer`] core lives in [`LoopState`] behind one mutex, held only for
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
//!   published to [`Shared`] (which wakes blocked committers directly) and to the
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

use super::Shared;
use super::link::{Event, LinkMsg};
use super::metrics::Metrics;
use crate::error::{Error, Result};
use crate::proposer::{Action, Phase, Proposer};

pub(super) type Waiter = oneshot::Sender<Result<(Lsn, Lsn)>>;

/// The state, for the links to step their Append stream's replies into the
/// core on their own task (no hop through the event loop); set once the state
/// exists, before any link has a stream open.
pub(super) type DirectState = Arc<std::sync::OnceLock<Arc<Mutex<LoopState>>>>;

/// Events taken per turn before the core's actions are executed.
const MAX_EVENTS_PER_TURN: usize = 4096;

/// The core and everything its actions touch; see the module docs.
pub(super) struct LoopState {
    pub core: Proposer,
    /// Link of acceptor `id` at index `id - 1`.
    pub links: Vec<mpsc::UnboundedSender<LinkMsg>>,
    /// Async appends not yet durable, by end LSN (blocking committers wait on
    /// [`Shared`] instead and have no entry here).
    pub waiters: BTreeMap<Lsn, Waiter>,
    pub commit_tx: watch::Sender<Lsn>,
    pub ready: Option<oneshot::Sender<Result<(Term, Lsn)>>>,
    pub shared: Arc<Shared>,
    pub metrics: Arc<Metrics>,
    /// Cancelled when the driver stops (stops the links and this loop).
    pub cancel: CancellationToken,
    /// Set once [`LoopState::stop`] ran: nothing is stepped any more.
    pub stopped: bool,
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
        if self.stopped {
            return Err(self.shared.error().unwrap_or(Error::ShutDown));
        }
        if let Some(start) = expect_start
            && self.core.end_lsn() != start
        {
            return Err(Error::Invariant(format!(
                "a record for {start} reached the proposer at {}: WAL positions diverged",
                self.core.end_lsn()
            )));
        }
        let (start, end) = self.core.append(wal)?;
        self.metrics.appends.inc();
        if let Some(w) = waiter {
            self.waiters.insert(end, w);
        }
        tracing::trace!(%start, %end, "append queued");
        self.execute();
        self.stop_if_core_stopped();
        Ok((start, end))
    }

    /// Steps one event on the caller's task (a link's) and executes the
    /// actions at once: the reply that completes a quorum advances
    /// `commit_lsn` and wakes the committers from the link's task.
    pub fn deliver(&mut self, ev: Event) {
        if self.stopped {
            return;
        }
        self.on_event(ev);
        self.execute();
        self.stop_if_core_stopped();
    }

    fn on_event(&mut self, ev: Event) {
        let res = match ev {
            Event::Reply { from, reply } => self.core.on_reply(from, reply),
            Event::WalRead { from, start, wal } => self.core.on_wal_read(from, start, wal),
            Event::Failed { from, why } => {
                self.core.on_request_failed(from, why);
                Ok(())
            }
        };
        if let Err(e) = res
            && !matches!(e, Error::Fenced { .. })
        {
            tracing::warn!(error = %e, "reply rejected");
        }
    }

    /// Executes the core's actions and publishes its `commit_lsn`.
    fn execute(&mut self) {
        // The one durability signal, published before anything it resolves
        // (`Ready`, `Durable`): wakes the committers blocked on it.
        let commit = self.core.commit_lsn();
        self.shared.advance(commit);
        for action in self.core.take_actions() {
            match action {
                Action::Send { to, request } => self.to_link(to, LinkMsg::Request(request)),
                Action::ReadWal {
                    from,
                    start,
                    end,
                    term,
                } => {
                    tracing::info!(donor = from, %start, %end, term, "reading WAL from the donor");
                    self.to_link(from, LinkMsg::ReadWal { start, end, term });
                }
                Action::Elected { term, start_lsn } => {
                    tracing::info!(term, %start_lsn, "elected");
                }
                Action::Ready { term, lsn } => {
                    if let Some(ready) = self.ready.take() {
                        let _ = ready.send(Ok((term, lsn)));
                    }
                }
                Action::Durable { start, end } => {
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
    }

    fn to_link(&self, to: u64, msg: LinkMsg) {
        let link = to
            .checked_sub(1)
            .and_then(|i| self.links.get(i as usize))
            .expect("the core only addresses configured acceptors");
        // A link that ended (shutdown) drops the message, like the network.
        let _ = link.send(msg);
    }

    /// Stops everything if the core stopped. True if stopped.
    fn stop_if_core_stopped(&mut self) -> bool {
        if self.stopped {
            return true;
        }
        if self.core.phase() != Phase::Stopped {
            return false;
        }
        let err = self.core.error().cloned().unwrap_or(Error::ShutDown);
        tracing::warn!(error = %err, "proposer stopped");
        self.stop(err);
        true
    }

    /// Fails everything still waiting with `err` and stops the driver.
    pub fn stop(&mut self, err: Error) {
        self.stopped = true;
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
    pub shared: Arc<Shared>,
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
        if s.stopped {
            return true;
        }
        if let Some(ev) = ev {
            s.on_event(ev);
        }
        for _ in 0..MAX_EVENTS_PER_TURN {
            match self.events.try_recv() {
                Ok(ev) => s.on_event(ev),
                Err(_) => break,
            }
        }
        if tick {
            s.core.tick(now_us());
        }
        s.execute();
        s.stop_if_core_stopped()
    }
}
