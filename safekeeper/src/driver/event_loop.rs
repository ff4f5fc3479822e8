//! The driver's event loop: the one task that owns the [`Proposer`] core.
//!
//! Each turn waits for one input (a reply or donor read from a link, an
//! append from a client, a timer tick), then takes every other input that is
//! already queued (so all appends waiting at that moment enter the core
//! together — the first half of group commit), then executes the core's
//! actions once: requests go to the links, `Durable` resolves waiters,
//! `Ready` resolves `start`. When the core stops (fenced, election timeout,
//! broken invariant) every waiter fails with its error and the loop ends.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proto::{Lsn, Term};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::link::{Event, LinkMsg};
use super::metrics::Metrics;
use super::{AppendCmd, Shared};
use crate::error::{Error, Result};
use crate::proposer::{Action, Phase, Proposer};

type Waiter = oneshot::Sender<Result<(Lsn, Lsn)>>;

/// Inputs taken per turn before the core's actions are executed.
const MAX_INPUTS_PER_TURN: usize = 4096;

pub(super) struct EventLoop {
    pub core: Proposer,
    /// Link of acceptor `id` at index `id - 1`.
    pub links: Vec<mpsc::UnboundedSender<LinkMsg>>,
    pub events: mpsc::UnboundedReceiver<Event>,
    pub cmds: mpsc::UnboundedReceiver<AppendCmd>,
    /// Appends not yet durable, by end LSN.
    pub waiters: BTreeMap<Lsn, Waiter>,
    pub commit_tx: watch::Sender<Lsn>,
    pub ready: Option<oneshot::Sender<Result<(Term, Lsn)>>>,
    pub shared: Arc<Shared>,
    pub metrics: Arc<Metrics>,
    pub tick: Duration,
}

fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

impl EventLoop {
    pub async fn run(mut self, cancel: CancellationToken) {
        let mut ticker = tokio::time::interval(self.tick);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        self.core.tick(now_us());
        self.execute();
        loop {
            tokio::select! {
                biased;
                _ = cancel.cancelled() => {
                    self.stop(Error::ShutDown);
                    return;
                }
                ev = self.events.recv() => match ev {
                    Some(ev) => self.on_event(ev),
                    None => {
                        self.stop(Error::ShutDown);
                        return;
                    }
                },
                cmd = self.cmds.recv() => match cmd {
                    Some(cmd) => self.on_append(cmd),
                    // Every handle is gone (start gave up or the proposer was dropped).
                    None => {
                        self.stop(Error::ShutDown);
                        return;
                    }
                },
                _ = ticker.tick() => self.core.tick(now_us()),
            }
            self.drain_ready_inputs();
            self.execute();
            if self.core.phase() == Phase::Stopped {
                let err = self.core.error().cloned().unwrap_or(Error::ShutDown);
                tracing::warn!(error = %err, "proposer stopped");
                self.stop(err);
                cancel.cancel();
                return;
            }
        }
    }

    /// Takes whatever else is already queued, so one turn carries many appends.
    fn drain_ready_inputs(&mut self) {
        for _ in 0..MAX_INPUTS_PER_TURN {
            let mut any = false;
            if let Ok(ev) = self.events.try_recv() {
                self.on_event(ev);
                any = true;
            }
            if let Ok(cmd) = self.cmds.try_recv() {
                self.on_append(cmd);
                any = true;
            }
            if !any {
                break;
            }
        }
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

    fn on_append(&mut self, cmd: AppendCmd) {
        match self.core.append(cmd.wal) {
            Ok((start, end)) => {
                self.metrics.appends.inc();
                self.waiters.insert(end, cmd.done);
                tracing::trace!(%start, %end, "append queued");
            }
            Err(e) => {
                let _ = cmd.done.send(Err(e));
            }
        }
    }

    /// Executes the core's actions.
    fn execute(&mut self) {
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
        let commit = self.core.commit_lsn();
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

    /// Fails everything still waiting with `err`.
    fn stop(&mut self, err: Error) {
        self.shared.set_error(err.clone());
        for (_, w) in std::mem::take(&mut self.waiters) {
            let _ = w.send(Err(err.clone()));
        }
        if let Some(ready) = self.ready.take() {
            let _ = ready.send(Err(err.clone()));
        }
        self.cmds.close();
        while let Ok(cmd) = self.cmds.try_recv() {
            let _ = cmd.done.send(Err(err.clone()));
        }
    }
}
