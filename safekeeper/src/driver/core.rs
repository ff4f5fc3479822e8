//! The driver's decisions, pure (no I/O, no clock, no channels), driven both
//! by the async shell (`event_loop.rs`, `link.rs`) and by the deterministic
//! simulation (`safekeeper/tests/sim`), so the simulation exercises the very
//! logic a compute runs.
//!
//! - [`DriverCore`] is the event loop's half: the [`Proposer`] and what is
//!   done with its actions. Inputs are [`Input`]s (a link's [`Event`] or a
//!   timer tick) and appends; each step returns a [`Step`]: the `commit_lsn`
//!   to publish (always published before anything it resolves), the
//!   [`Output`]s in order, and the error if the core stopped with this step.
//! - [`LinkCore`] is one link's half: the `Append` stream's bookkeeping. At
//!   most `max_inflight` messages carrying WAL outstanding (an empty one,
//!   which only carries `commit_lsn`, does not count), appends queued behind
//!   them merged by [`AppendQueue`], the queue dropped over budget, appends
//!   dropped while the stream is down, the stall deadline (a stream with
//!   answers outstanding that stays silent for `rpc_timeout` is treated as
//!   broken), the reconnect backoff and the heartbeat hold: a queue of
//!   `Append`s without WAL (the proposer's new `commit_lsn` only) is held
//!   for up to [`LinkLimits::heartbeat_hold`] so that, under load, it merges
//!   into the next commit's `Append` instead of costing the safekeeper a
//!   message, a wake-up and a reply of its own (only the safekeepers' copy
//!   of `commit_lsn` lags by the hold; the compute's durability signal does
//!   not wait for it). Time is a [`Duration`] on the
//!   caller's clock (the shell: since the link started; the simulation: its
//!   step counter).
//!
//! ## Invariants
//! - Once a step reports `stopped`, the core takes no more input: every
//!   later step is empty and every append fails.
//! - [`LinkCore`] never holds an append while its stream is down.

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use proto::{Lsn, Term};

use super::link::AppendQueue;
use crate::error::{Error, Result};
use crate::messages::{Append, NodeId, Reply, Request};
use crate::proposer::{Action, Phase, Proposer};

/// From the event loop to a link.
#[derive(Debug)]
pub enum LinkMsg {
    Request(Request),
    /// Read WAL `[start, end)` from this safekeeper as the donor of `term`.
    ReadWal {
        start: Lsn,
        end: Lsn,
        term: Term,
    },
}

/// From a link to the event loop.
#[derive(Debug)]
pub enum Event {
    Reply {
        from: NodeId,
        reply: Reply,
    },
    WalRead {
        from: NodeId,
        start: Lsn,
        wal: Bytes,
    },
    /// A unary request or donor read failed (the safekeeper's error, or the RPC's).
    Failed {
        from: NodeId,
        why: String,
    },
}

/// One input of [`DriverCore::step`].
#[derive(Debug)]
pub enum Input {
    Event(Event),
    /// The timer: resends, heartbeats, election timeout.
    Tick {
        clock_us: i64,
    },
}

/// What the shell does, in order.
#[derive(Debug)]
pub enum Output {
    /// Hand `msg` to the link of acceptor `to`.
    ToLink {
        to: NodeId,
        msg: LinkMsg,
    },
    Elected {
        term: Term,
        start_lsn: Lsn,
    },
    /// The term's `TermStart` is committed: `start` resolves.
    Ready {
        term: Term,
        lsn: Lsn,
    },
    /// `[start, end)` is durable on a quorum: its waiter resolves.
    Durable {
        start: Lsn,
        end: Lsn,
    },
}

/// The result of one step (see the module docs).
#[derive(Debug, Default)]
pub struct Step {
    pub commit_lsn: Lsn,
    pub outputs: Vec<Output>,
    /// Set on the step where the core stopped (fenced, election timeout,
    /// broken invariant): every waiter fails with it, the driver ends.
    pub stopped: Option<Error>,
    /// The first input of the step the core refused (logged; a fencing
    /// reply is not counted): the simulation treats it as a failure.
    pub rejected: Option<Error>,
}

/// The event loop's decisions (see the module docs).
pub struct DriverCore {
    core: Proposer,
    stopped: bool,
    rejected: Option<Error>,
}

impl DriverCore {
    pub fn new(core: Proposer) -> DriverCore {
        DriverCore {
            core,
            stopped: false,
            rejected: None,
        }
    }

    pub fn proposer(&self) -> &Proposer {
        &self.core
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// Stops from outside (shutdown): no more input is taken.
    pub fn stop(&mut self) {
        self.stopped = true;
    }

    /// Appends one record (whole frames). With `expect_start`, refuses
    /// (appending nothing) unless the record would start there. `Err` with
    /// `None` for the stop reason when the driver had already stopped.
    pub fn append(&mut self, wal: Bytes, expect_start: Option<Lsn>) -> Result<((Lsn, Lsn), Step)> {
        if self.stopped {
            return Err(Error::ShutDown);
        }
        if let Some(start) = expect_start
            && self.core.end_lsn() != start
        {
            return Err(Error::Invariant(format!(
                "a record for {start} reached the proposer at {}: WAL positions diverged",
                self.core.end_lsn()
            )));
        }
        let range = self.core.append(wal)?;
        Ok((range, self.take_step()))
    }

    /// Steps one input and returns what to do.
    pub fn step(&mut self, input: Input) -> Step {
        self.feed(input);
        self.take_step()
    }

    /// Feeds an input without collecting the outputs (an event loop turn
    /// feeds everything queued, then calls [`Self::take_step`] once).
    pub fn feed(&mut self, input: Input) {
        if self.stopped {
            return;
        }
        let res = match input {
            Input::Event(Event::Reply { from, reply }) => self.core.on_reply(from, reply),
            Input::Event(Event::WalRead { from, start, wal }) => {
                self.core.on_wal_read(from, start, wal)
            }
            Input::Event(Event::Failed { from, why }) => {
                self.core.on_request_failed(from, why);
                Ok(())
            }
            Input::Tick { clock_us } => {
                self.core.tick(clock_us);
                Ok(())
            }
        };
        if let Err(e) = res
            && !matches!(e, Error::Fenced { .. })
        {
            tracing::warn!(error = %e, "reply rejected");
            self.rejected.get_or_insert(e);
        }
    }

    /// The outputs of everything fed since the last call.
    pub fn take_step(&mut self) -> Step {
        let rejected = self.rejected.take();
        if self.stopped {
            return Step {
                commit_lsn: self.core.commit_lsn(),
                rejected,
                ..Step::default()
            };
        }
        let outputs = self
            .core
            .take_actions()
            .into_iter()
            .map(|action| match action {
                Action::Send { to, request } => Output::ToLink {
                    to,
                    msg: LinkMsg::Request(request),
                },
                Action::ReadWal {
                    from,
                    start,
                    end,
                    term,
                } => Output::ToLink {
                    to: from,
                    msg: LinkMsg::ReadWal { start, end, term },
                },
                Action::Elected { term, start_lsn } => Output::Elected { term, start_lsn },
                Action::Ready { term, lsn } => Output::Ready { term, lsn },
                Action::Durable { start, end } => Output::Durable { start, end },
            })
            .collect();
        let stopped = (self.core.phase() == Phase::Stopped).then(|| {
            self.stopped = true;
            self.core.error().cloned().unwrap_or(Error::ShutDown)
        });
        Step {
            commit_lsn: self.core.commit_lsn(),
            outputs,
            stopped,
            rejected,
        }
    }
}

/// Whether a unary request refused with NOT_FOUND (the safekeeper missed
/// the election's Greet, or is new) makes the link greet it: the Greet
/// creates the timeline there and the core's resend then succeeds.
pub fn greets_when_missing(request: &Request) -> bool {
    matches!(request, Request::Vote(_) | Request::Elected(_))
}

/// How long a queue of WAL-less `Append`s waits for a commit's WAL to ride
/// on (the links' [`LinkLimits::heartbeat_hold`]).
pub const HEARTBEAT_HOLD: Duration = Duration::from_millis(1);

/// A link's limits (from [`super::DriverConfig`]).
#[derive(Clone, Copy, Debug)]
pub struct LinkLimits {
    pub max_batch_bytes: usize,
    pub max_inflight: usize,
    /// Drop the queue beyond this (the acceptor is not keeping up; the core
    /// resends what it still needs).
    pub max_queue_bytes: usize,
    /// Silence with answers outstanding for this long breaks the stream.
    pub rpc_timeout: Duration,
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// How long a queue holding only WAL-less `Append`s waits before it is
    /// sent ([`HEARTBEAT_HOLD`]; zero sends at once).
    pub heartbeat_hold: Duration,
}

/// One message to send on the stream.
#[derive(Debug)]
pub struct Batch {
    pub append: Append,
    /// How many queued appends it merges.
    pub merged: usize,
}

/// One link's stream decisions (see the module docs).
#[derive(Debug)]
pub struct LinkCore {
    limits: LinkLimits,
    up: bool,
    /// Streams opened so far (the current one's number while up).
    session: u64,
    queue: AppendQueue,
    /// Whether each outstanding message carries WAL, oldest first (the
    /// safekeeper answers in order).
    outstanding: VecDeque<bool>,
    inflight: usize,
    deadline: Duration,
    backoff: Duration,
    /// When the held heartbeats go out, while they are held.
    hold_until: Option<Duration>,
    /// Holds started so far (a statistic).
    holds: u64,
}

impl LinkCore {
    pub fn new(limits: LinkLimits) -> LinkCore {
        LinkCore {
            backoff: limits.backoff_min,
            limits,
            up: false,
            session: 0,
            queue: AppendQueue::default(),
            outstanding: VecDeque::new(),
            inflight: 0,
            deadline: Duration::ZERO,
            hold_until: None,
            holds: 0,
        }
    }

    pub fn is_up(&self) -> bool {
        self.up
    }

    pub fn limits(&self) -> &LinkLimits {
        &self.limits
    }

    /// The current (or last) stream's number.
    pub fn session(&self) -> u64 {
        self.session
    }

    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// The stream opened at `now`.
    pub fn opened(&mut self, now: Duration) {
        self.reset();
        self.up = true;
        self.session += 1;
        self.deadline = now + self.limits.rpc_timeout;
    }

    /// The stream broke (or failed to open): everything queued or
    /// outstanding is lost. Returns how long to wait before reopening.
    pub fn broke(&mut self) -> Duration {
        if self.up {
            self.backoff = self.limits.backoff_min;
        }
        self.up = false;
        self.reset();
        let delay = self.backoff;
        self.backoff = (self.backoff * 2).min(self.limits.backoff_max.max(self.limits.backoff_min));
        delay
    }

    fn reset(&mut self) {
        self.hold_until = None;
        self.queue.clear();
        self.outstanding.clear();
        self.inflight = 0;
    }

    /// Queues an append; false (dropped) while the stream is down.
    pub fn push(&mut self, append: Append) -> bool {
        if !self.up {
            return false;
        }
        self.queue.push(append);
        true
    }

    /// An answer arrived on the stream at `now`.
    pub fn on_response(&mut self, now: Duration) {
        if self.outstanding.pop_front() == Some(true) {
            self.inflight -= 1;
        }
        self.deadline = now + self.limits.rpc_timeout;
    }

    /// The messages to send now: merged batches while fewer than
    /// `max_inflight` carrying WAL are outstanding. A queue over budget is
    /// dropped first. A queue of WAL-less appends only is held until
    /// `heartbeat_hold` after it started waiting (see
    /// [`Self::hold_deadline`]): nothing is sent before, unless WAL joins it.
    pub fn take_batches(&mut self, now: Duration) -> Vec<Batch> {
        let mut out = Vec::new();
        if !self.up {
            return out;
        }
        if self.queue.bytes() > self.limits.max_queue_bytes {
            tracing::debug!(
                bytes = self.queue.bytes(),
                "append queue over budget: dropped"
            );
            self.queue.clear();
        }
        if self.queue.is_empty() || self.queue.bytes() > 0 {
            // Nothing to hold, or WAL the heartbeats merge into.
            self.hold_until = None;
        } else {
            match self.hold_until {
                None if !self.limits.heartbeat_hold.is_zero() => {
                    self.hold_until = Some(now + self.limits.heartbeat_hold);
                    self.holds += 1;
                    return out;
                }
                Some(due) if now < due => return out,
                // Due (or no hold): send them alone.
                _ => self.hold_until = None,
            }
        }
        while self.inflight < self.limits.max_inflight.max(1) {
            let before = self.queue.len();
            let Some(append) = self.queue.pop_batch(self.limits.max_batch_bytes.max(1)) else {
                break;
            };
            if self.outstanding.is_empty() {
                self.deadline = now + self.limits.rpc_timeout;
            }
            let carries_wal = !append.wal.is_empty();
            self.outstanding.push_back(carries_wal);
            if carries_wal {
                self.inflight += 1;
            }
            out.push(Batch {
                append,
                merged: before - self.queue.len(),
            });
        }
        out
    }

    /// When the held heartbeats are due (the shell arms a timer for it and
    /// then calls [`Self::take_batches`]), while they are held.
    pub fn hold_deadline(&self) -> Option<Duration> {
        self.hold_until
    }

    /// How many times heartbeats were held so far.
    pub fn holds(&self) -> u64 {
        self.holds
    }

    /// When the stream counts as stalled, if answers are outstanding.
    pub fn stall_deadline(&self) -> Option<Duration> {
        (self.up && !self.outstanding.is_empty()).then_some(self.deadline)
    }

    /// True if the stream is stalled at `now` (the shell then breaks it).
    pub fn stalled(&self, now: Duration) -> bool {
        self.stall_deadline().is_some_and(|d| now >= d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn limits() -> LinkLimits {
        LinkLimits {
            max_batch_bytes: 2,
            max_inflight: 1,
            max_queue_bytes: 8,
            rpc_timeout: 100 * MS,
            backoff_min: 10 * MS,
            backoff_max: 35 * MS,
            heartbeat_hold: Duration::ZERO,
        }
    }

    fn append(begin: u64, wal: &'static [u8]) -> Append {
        Append {
            term: 2,
            begin_lsn: Lsn(begin),
            wal: Bytes::from_static(wal),
            commit_lsn: Lsn(100),
            truncate_lsn: Lsn(100),
        }
    }

    #[test]
    fn appends_wait_behind_the_inflight_bound_but_heartbeats_take_no_slot() {
        let mut link = LinkCore::new(limits());
        assert!(!link.push(append(100, b"ab")), "queued while down");
        link.opened(Duration::ZERO);
        // A heartbeat (no WAL) in flight does not hold back the next WAL.
        link.push(append(100, b""));
        assert_eq!(link.take_batches(Duration::ZERO).len(), 1);
        assert!(link.push(append(100, b"ab")));
        let sent = link.take_batches(Duration::ZERO);
        assert_eq!(sent.len(), 1);
        assert_eq!(&sent[0].append.wal[..], b"ab");
        // WAL waits for the answer to the WAL in flight (answers come in
        // order: the heartbeat's, then ab's).
        link.push(append(102, b"cd"));
        assert!(
            link.take_batches(Duration::ZERO).is_empty(),
            "one in flight"
        );
        link.on_response(MS);
        assert!(link.take_batches(MS).is_empty(), "that was the heartbeat's");
        link.on_response(2 * MS);
        let sent = link.take_batches(2 * MS);
        assert_eq!(sent.len(), 1);
        assert_eq!(&sent[0].append.wal[..], b"cd");
    }

    #[test]
    fn a_silent_stream_stalls_after_the_rpc_timeout() {
        let mut link = LinkCore::new(limits());
        link.opened(Duration::ZERO);
        assert_eq!(link.stall_deadline(), None, "nothing outstanding");
        link.push(append(100, b"ab"));
        link.take_batches(5 * MS);
        assert!(!link.stalled(104 * MS));
        assert!(link.stalled(105 * MS));
        link.on_response(50 * MS);
        assert_eq!(link.stall_deadline(), None);
        assert!(!link.stalled(500 * MS));
    }

    #[test]
    fn reconnects_back_off_and_a_broken_stream_forgets_its_queue() {
        let mut link = LinkCore::new(limits());
        // Failed opens double the delay up to the cap.
        let delays: Vec<_> = (0..4).map(|_| link.broke()).collect();
        assert_eq!(delays, vec![10 * MS, 20 * MS, 35 * MS, 35 * MS]);
        link.opened(Duration::ZERO);
        link.push(append(100, b"ab"));
        link.take_batches(Duration::ZERO);
        link.push(append(102, b"cd"));
        assert_eq!(link.broke(), 10 * MS, "a stream that was up starts over");
        assert!(!link.is_up());
        link.opened(MS);
        assert_eq!(link.queued(), 0);
        assert_eq!(
            link.stall_deadline(),
            None,
            "the lost message is not awaited"
        );
        link.push(append(102, b"cd"));
        assert_eq!(link.take_batches(MS).len(), 1, "the in-flight slot is free");
    }

    #[test]
    fn a_queue_over_budget_is_dropped() {
        let mut link = LinkCore::new(LinkLimits {
            max_inflight: 1,
            ..limits()
        });
        link.opened(Duration::ZERO);
        link.push(append(100, b"ab"));
        link.take_batches(Duration::ZERO);
        for i in 0..5 {
            link.push(append(102 + 2 * i, b"xy"));
        }
        assert!(link.take_batches(Duration::ZERO).is_empty());
        assert_eq!(link.queued(), 0, "10 bytes queued over a budget of 8");
    }

    #[test]
    fn a_lone_heartbeat_is_held_and_rides_on_the_next_commit() {
        let mut link = LinkCore::new(LinkLimits {
            heartbeat_hold: MS,
            max_batch_bytes: 64,
            ..limits()
        });
        link.opened(Duration::ZERO);
        // A heartbeat alone waits: nothing is sent, a 1 ms timer is armed.
        link.push(append(100, b""));
        assert!(link.take_batches(Duration::ZERO).is_empty());
        assert_eq!(link.hold_deadline(), Some(MS));
        assert_eq!(link.stall_deadline(), None, "nothing outstanding");
        // Another heartbeat before the timer neither sends nor re-arms it.
        link.push(Append {
            commit_lsn: Lsn(101),
            ..append(100, b"")
        });
        assert!(link.take_batches(MS / 2).is_empty());
        assert_eq!(link.hold_deadline(), Some(MS));
        // A commit's WAL arrives in time: one message carries both.
        link.push(append(100, b"ab"));
        let sent = link.take_batches(MS / 2);
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].merged, 3);
        assert_eq!(&sent[0].append.wal[..], b"ab");
        assert_eq!(sent[0].append.commit_lsn, Lsn(101));
        assert_eq!(link.hold_deadline(), None);
        assert_eq!(link.holds(), 1);

        // No WAL follows: the heartbeat goes out alone when the timer is due.
        link.on_response(MS);
        link.push(append(102, b""));
        assert!(link.take_batches(2 * MS).is_empty());
        assert_eq!(link.hold_deadline(), Some(3 * MS));
        assert!(
            link.take_batches(3 * MS - Duration::from_micros(1))
                .is_empty()
        );
        let sent = link.take_batches(3 * MS);
        assert_eq!(sent.len(), 1);
        assert!(sent[0].append.wal.is_empty());
        assert_eq!(link.hold_deadline(), None);
        assert_eq!(link.holds(), 2);

        // A broken stream forgets the hold with its queue.
        link.push(append(102, b""));
        assert!(link.take_batches(4 * MS).is_empty());
        link.broke();
        assert_eq!(link.hold_deadline(), None);
    }
}
