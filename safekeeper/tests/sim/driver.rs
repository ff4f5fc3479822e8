//! The compute's proposer driver in the simulated world: the real
//! [`DriverCore`] (the event loop's decisions: the `Proposer` and what is
//! done with its actions) and one real [`LinkCore`] per safekeeper (the
//! `Append` stream's queue, merging, in-flight bound, heartbeat hold, stall
//! detection and reconnect backoff), exactly what `driver/event_loop.rs` and
//! `driver/link.rs` drive in a compute. Only the transport differs: a
//! link's stream and its unary calls are messages in the world's network
//! (delayed, reordered, lost, partitioned), a stream breaks when its
//! safekeeper dies or answers an error, when the scheduler cuts it, or when
//! it stays silent past `rpc_timeout` (`LinkCore::stalled`), and reopens
//! after the core's backoff — refused while the safekeeper is down. A link
//! holding heartbeats (`LinkCore::hold_deadline`) sends them at its first
//! pump at or after the deadline (a tick, a reply, a client's append), like
//! the shell's timer firing late.
//!
//! Time: one world step is one millisecond on the links' clock; the
//! proposer core's own clock is the step number.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use proto::Lsn;
use safekeeper::driver::core::{
    DriverCore, HEARTBEAT_HOLD, Input, LinkCore, LinkLimits, LinkMsg, Output, Step,
};
use safekeeper::messages::{NodeId, Request};
use safekeeper::proposer::Phase;
use safekeeper::{Error, Proposer, ProposerConfig};

use crate::START;
use crate::workload::Writer;
use crate::world::{ACCEPTORS, Payload, World};

/// One link: the real stream core, and when a broken stream may reopen.
pub struct SimLink {
    pub core: LinkCore,
    reopen_at: u64,
}

pub struct SimProposer {
    pub id: NodeId,
    pub incarnation: u64,
    pub driver: Option<DriverCore>,
    /// Records this incarnation appended: start -> bytes.
    pub appended: BTreeMap<Lsn, Bytes>,
    pub links: Vec<SimLink>,
    /// This incarnation's client pages, once it is elected.
    pub writer: Option<Writer>,
}

impl SimProposer {
    pub fn new(id: NodeId) -> SimProposer {
        SimProposer {
            id,
            incarnation: 0,
            driver: None,
            appended: BTreeMap::new(),
            links: Vec::new(),
            writer: None,
        }
    }

    pub fn core(&self) -> Option<&Proposer> {
        self.driver.as_ref().map(|d| d.proposer())
    }

    pub fn running(&self) -> bool {
        self.driver.as_ref().is_some_and(|d| !d.is_stopped())
    }
}

type Check = Result<(), String>;

impl World {
    pub fn clock(&self) -> Duration {
        Duration::from_millis(self.now)
    }

    /// Steps proposer `id`'s driver with `input` if `incarnation` is still
    /// running, then carries out the step.
    pub fn proposer_input(&mut self, id: NodeId, incarnation: u64, input: Input) -> Check {
        let i = Self::proposer_index(id);
        let sp = &mut self.proposers[i];
        if sp.incarnation != incarnation {
            return Ok(());
        }
        let Some(driver) = sp.driver.as_mut() else {
            return Ok(());
        };
        let reads = driver.proposer().stats().donor_reads;
        let step = driver.step(input);
        if driver.proposer().stats().donor_reads > reads {
            self.counts.donor_syncs += 1;
        }
        self.execute(i, step, usize::MAX)
    }

    /// Carries out a driver step as `LoopState::execute` does; after
    /// `limit` messages the proposer crashes (half-way through sending).
    pub fn execute(&mut self, i: usize, step: Step, limit: usize) -> Check {
        let (id, inc) = (self.proposers[i].id, self.proposers[i].incarnation);
        match step.rejected {
            None | Some(Error::Fenced { .. } | Error::ElectionTimeout { .. }) => {}
            Some(e) => return Err(format!("proposer {id} rejected an input: {e}")),
        }
        let mut sent = 0;
        for output in step.outputs {
            match output {
                Output::ToLink { to, msg } => {
                    if sent == limit {
                        self.crash_proposer(i);
                        return Ok(());
                    }
                    sent += 1;
                    match msg {
                        LinkMsg::Request(Request::Append(a)) => {
                            let sp = &mut self.proposers[i];
                            sp.links[Self::acceptor_index(to)].core.push(a);
                        }
                        LinkMsg::Request(other) => {
                            self.post(id, to, inc, 0, Payload::Request(other))
                        }
                        LinkMsg::ReadWal { start, end, term } => {
                            self.post(id, to, inc, 0, Payload::ReadRequest { start, end, term })
                        }
                    }
                }
                Output::Elected { term, .. } => {
                    self.counts.elections += 1;
                    self.checker.elected(term, id * 1_000_000 + inc)?;
                }
                Output::Ready { .. } => {}
                Output::Durable { start, end } => {
                    let bytes = self.proposers[i]
                        .appended
                        .remove(&start)
                        .ok_or_else(|| format!("proposer {id}: durable {start} never appended"))?;
                    if start + bytes.len() as u64 != end {
                        return Err(format!(
                            "proposer {id}: durable [{start}, {end}) has the wrong length"
                        ));
                    }
                    self.counts.durable += 1;
                    self.model.acknowledged(start, &bytes)?;
                    self.checker.durable(start, bytes)?;
                }
            }
        }
        if let Some(e) = step.stopped {
            match e {
                Error::Fenced { .. } => self.counts.fenced += 1,
                Error::Invariant(_) | Error::CorruptWal { .. } => {
                    return Err(format!("proposer {id} stopped: {e}"));
                }
                _ => {}
            }
        }
        self.pump(i);
        Ok(())
    }

    /// Sends what each link's stream may send now.
    pub fn pump(&mut self, i: usize) {
        let now = self.clock();
        let sp = &mut self.proposers[i];
        let (id, inc) = (sp.id, sp.incarnation);
        let mut out = Vec::new();
        for (k, link) in sp.links.iter_mut().enumerate() {
            let holds = link.core.holds();
            let batches = link.core.take_batches(now);
            self.counts.held_heartbeats += link.core.holds() - holds;
            for batch in batches {
                if batch.merged > 1 {
                    self.counts.merged_appends += 1;
                }
                out.push((ACCEPTORS[k], link.core.session(), batch.append));
            }
        }
        for (to, session, batch) in out {
            self.post(
                id,
                to,
                inc,
                session,
                Payload::Request(Request::Append(batch)),
            );
        }
    }

    /// An Append reply arrives on stream `session` of proposer `id`'s link
    /// to `from`; false if that stream is gone (its replies are lost).
    pub fn stream_reply(
        &mut self,
        id: NodeId,
        incarnation: u64,
        from: NodeId,
        session: u64,
    ) -> bool {
        let now = self.clock();
        let sp = &mut self.proposers[Self::proposer_index(id)];
        if sp.incarnation != incarnation {
            return false;
        }
        let Some(link) = sp.links.get_mut(Self::acceptor_index(from)) else {
            return false;
        };
        if !link.core.is_up() || link.core.session() != session {
            return false;
        }
        link.core.on_response(now);
        true
    }

    /// Proposer `id`'s stream `session` to acceptor `to` broke (the
    /// safekeeper died or answered an error, or the connection was cut).
    pub fn break_stream(&mut self, id: NodeId, incarnation: u64, to: NodeId, session: u64) {
        let now = self.now;
        let sp = &mut self.proposers[Self::proposer_index(id)];
        if sp.incarnation != incarnation {
            return;
        }
        let Some(link) = sp.links.get_mut(Self::acceptor_index(to)) else {
            return;
        };
        if link.core.is_up() && (session == 0 || link.core.session() == session) {
            let backoff = link.core.broke();
            link.reopen_at = now + backoff.as_millis() as u64;
            self.counts.stream_breaks += 1;
        }
    }

    /// Every stream to acceptor `to` breaks (it died).
    pub fn break_streams_to(&mut self, to: NodeId) {
        for i in 0..self.proposers.len() {
            let (id, inc) = (self.proposers[i].id, self.proposers[i].incarnation);
            self.break_stream(id, inc, to, 0);
        }
    }

    /// The proposer's timer: stalled streams break, broken ones reopen
    /// after their backoff (if the safekeeper is up and reachable), then
    /// the core ticks.
    pub fn tick(&mut self, i: usize) -> Check {
        let (now, clock) = (self.now, self.clock());
        let (id, inc) = (self.proposers[i].id, self.proposers[i].incarnation);
        for (k, acceptor) in ACCEPTORS.iter().enumerate() {
            let reachable = self.acceptors[k].is_up() && !self.cut.contains(&(id, *acceptor));
            let Some(link) = self.proposers[i].links.get_mut(k) else {
                continue;
            };
            if link.core.stalled(clock) {
                // "no Append response: reconnecting"
                let backoff = link.core.broke();
                link.reopen_at = now + backoff.as_millis() as u64;
                self.counts.stream_breaks += 1;
            } else if !link.core.is_up() && now >= link.reopen_at {
                if reachable {
                    link.core.opened(clock);
                    self.counts.reconnects += 1;
                } else {
                    let backoff = link.core.broke();
                    link.reopen_at = now + backoff.as_millis() as u64;
                }
            }
        }
        self.proposer_input(
            id,
            inc,
            Input::Tick {
                clock_us: now as i64,
            },
        )
    }

    /// A client commits a record on proposer `i` (if it is ready); with
    /// faults the proposer may crash half-way through sending it.
    pub fn client_append(&mut self, i: usize) -> Check {
        let crash_mid_send = self.faults && self.rng.chance(3);
        let limit = if crash_mid_send {
            self.rng.index(4)
        } else {
            usize::MAX
        };
        let sp = &mut self.proposers[i];
        let Some(driver) = sp.driver.as_mut() else {
            return Ok(());
        };
        if driver.proposer().phase() != Phase::Ready {
            return Ok(());
        }
        let (term, start) = (driver.proposer().term(), driver.proposer().end_lsn());
        let write = sp
            .writer
            .get_or_insert_with(|| Writer::new(term as u32))
            .record(&mut self.rng, self.now as i64, self.record_max, start);
        let record = write.wal.clone();
        let ((start, _), step) = driver
            .append(record.clone(), Some(start))
            .map_err(|e| format!("proposer {}: append refused when ready: {e}", sp.id))?;
        sp.appended.insert(start, record);
        self.model.written(write);
        self.counts.appends += 1;
        self.execute(i, step, limit)
    }

    pub fn crash_proposer(&mut self, i: usize) {
        let sp = &mut self.proposers[i];
        if sp.driver.take().is_some() {
            self.counts.proposer_crashes += 1;
        }
        sp.appended.clear();
        sp.links.clear();
        sp.writer = None;
    }

    /// A new incarnation of proposer `i` (a compute starting): links with
    /// seeded limits, opened at once, and a fresh election.
    pub fn start_proposer(&mut self, i: usize) {
        let limits = LinkLimits {
            max_batch_bytes: 100 + self.rng.index(900),
            max_inflight: 1 + self.rng.index(3),
            max_queue_bytes: 4000 + self.rng.index(8000),
            rpc_timeout: Duration::from_millis(100 + self.rng.below(150)),
            backoff_min: Duration::from_millis(2 + self.rng.below(8)),
            backoff_max: Duration::from_millis(40 + self.rng.below(60)),
            heartbeat_hold: HEARTBEAT_HOLD,
        };
        let clock = self.clock();
        let sp = &mut self.proposers[i];
        sp.incarnation += 1;
        sp.appended.clear();
        sp.writer = None;
        sp.links = ACCEPTORS
            .iter()
            .map(|_| {
                let mut core = LinkCore::new(limits);
                core.opened(clock);
                SimLink { core, reopen_at: 0 }
            })
            .collect();
        let mut cfg = ProposerConfig::new(sp.id, ACCEPTORS.to_vec(), START);
        cfg.max_append_bytes = 100;
        cfg.max_inflight_bytes = 2000;
        cfg.resend_ticks = 3;
        cfg.election_timeout_ticks = 25;
        let mut driver = DriverCore::new(Proposer::new(cfg));
        let step = driver.take_step();
        sp.driver = Some(driver);
        let _ = self.execute(i, step, usize::MAX);
    }
}
