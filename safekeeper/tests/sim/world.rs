//! The simulated cluster and its seeded scheduler.
//!
//! Three acceptors (ids 1..=3) and two competing proposers (ids 100, 200)
//! exchange messages through `net`, a bag from which each step delivers a
//! random (mostly old) message, so messages are delayed and reordered; some
//! are lost, and partitions drop messages between chosen pairs. Acceptors
//! crash (losing un-fsynced WAL, sometimes half-way through a request's
//! actions) and restart from their simulated disk; proposers crash (maybe
//! half-way through sending a record) and restart with a new incarnation,
//! which greets and re-elects with a new term. After every step the
//! [`Checker`] verifies the invariants.

use std::collections::BTreeSet;

use bytes::Bytes;
use proto::Lsn;
use proto::record::Term;
use safekeeper::acceptor::Action as AcceptorAction;
use safekeeper::messages::{NodeId, Reply, Request};
use safekeeper::proposer::{Action, Phase};
use safekeeper::{Acceptor, Error, Proposer, ProposerConfig};

use crate::START;
use crate::checker::Checker;
use crate::disk::{Disk, Effect, off};
use crate::rng::Rng;
use crate::workload::random_record;

pub const ACCEPTORS: [NodeId; 3] = [1, 2, 3];
pub const PROPOSERS: [NodeId; 2] = [100, 200];

/// Counters summed over seeds.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counts {
    pub steps: u64,
    pub elections: u64,
    pub durable: u64,
    pub donor_syncs: u64,
    pub truncations: u64,
    pub term_start_after_partial: u64,
    pub acceptor_crashes: u64,
    pub proposer_crashes: u64,
    pub fenced: u64,
    pub appends: u64,
}

impl Counts {
    pub fn add(&mut self, o: &Counts) {
        self.steps += o.steps;
        self.elections += o.elections;
        self.durable += o.durable;
        self.donor_syncs += o.donor_syncs;
        self.truncations += o.truncations;
        self.term_start_after_partial += o.term_start_after_partial;
        self.acceptor_crashes += o.acceptor_crashes;
        self.proposer_crashes += o.proposer_crashes;
        self.fenced += o.fenced;
        self.appends += o.appends;
    }
}

enum Payload {
    Request(Request),
    Reply(Reply),
    ReadRequest { start: Lsn, end: Lsn, term: Term },
    ReadReply { start: Lsn, wal: Bytes },
}

struct Envelope {
    from: NodeId,
    to: NodeId,
    /// The proposer incarnation that sent or is to receive it.
    incarnation: u64,
    payload: Payload,
}

struct SimAcceptor {
    id: NodeId,
    core: Option<Acceptor>,
    disk: Disk,
}

struct SimProposer {
    id: NodeId,
    incarnation: u64,
    core: Option<Proposer>,
    /// Records this incarnation appended: start -> bytes.
    appended: std::collections::BTreeMap<Lsn, Bytes>,
}

pub struct World {
    rng: Rng,
    now: u64,
    acceptors: Vec<SimAcceptor>,
    proposers: Vec<SimProposer>,
    net: Vec<Envelope>,
    cut: BTreeSet<(NodeId, NodeId)>,
    faults: bool,
    pub checker: Checker,
    pub counts: Counts,
}

type Check = Result<(), String>;

impl World {
    pub fn new(seed: u64) -> World {
        let acceptors = ACCEPTORS
            .iter()
            .map(|&id| {
                let (core, action) = Acceptor::create(id, START);
                let mut disk = Disk::default();
                disk.apply(action);
                SimAcceptor {
                    id,
                    core: Some(core),
                    disk,
                }
            })
            .collect();
        let proposers = PROPOSERS
            .iter()
            .map(|&id| SimProposer {
                id,
                incarnation: 0,
                core: None,
                appended: Default::default(),
            })
            .collect();
        let mut w = World {
            rng: Rng::new(seed),
            now: 0,
            acceptors,
            proposers,
            net: Vec::new(),
            cut: BTreeSet::new(),
            faults: std::env::var("SIM_NO_FAULTS").is_err(),
            checker: Checker::default(),
            counts: Counts::default(),
        };
        for i in 0..w.proposers.len() {
            w.start_proposer(i);
        }
        w
    }

    /// Runs `steps` random steps, then heals everything and lets one
    /// proposer commit, then runs the end-of-run checks.
    pub fn run(&mut self, steps: u64) -> Check {
        for _ in 0..steps {
            self.step()?;
            self.check()?;
        }
        self.quiesce()?;
        self.final_checks()
    }

    fn step(&mut self) -> Check {
        self.now += 1;
        self.counts.steps += 1;
        let roll = self.rng.below(100);
        match roll {
            0..55 => {
                for _ in 0..1 + self.rng.below(3) {
                    self.deliver()?;
                }
                Ok(())
            }
            55..67 => {
                let i = self.rng.index(self.proposers.len());
                self.tick(i)
            }
            67..75 => {
                let i = self.rng.index(self.proposers.len());
                self.client_append(i)
            }
            75..76 => {
                let i = self.rng.index(self.acceptors.len());
                self.crash_acceptor(i);
                Ok(())
            }
            76..84 => {
                let i = self.rng.index(self.acceptors.len());
                self.restart_acceptor(i)
            }
            84..85 => {
                let i = self.rng.index(self.proposers.len());
                if self.faults && self.rng.chance(50) {
                    self.crash_proposer(i);
                }
                Ok(())
            }
            85..89 => Ok(()),
            89..90 => {
                let i = self.rng.index(self.proposers.len());
                if self.proposers[i]
                    .core
                    .as_ref()
                    .is_none_or(|p| p.phase() == Phase::Stopped)
                {
                    self.start_proposer(i);
                }
                Ok(())
            }
            90..95 => {
                self.repartition();
                Ok(())
            }
            _ => {
                let i = self.rng.index(self.acceptors.len());
                let a = &mut self.acceptors[i];
                if let Some(core) = a.core.as_mut()
                    && let Some(action) = core.persist_if_dirty()
                {
                    a.disk.apply(action);
                }
                Ok(())
            }
        }
    }

    fn check(&mut self) -> Check {
        for a in &self.acceptors {
            if let Some(core) = &a.core {
                if core.flush_lsn() != START + a.disk.data.len() as u64 {
                    return Err(format!("acceptor {}: flush_lsn is not the WAL end", a.id));
                }
                self.checker
                    .check_acceptor(a.id, &a.disk.data, core.commit_lsn())?;
            }
        }
        Ok(())
    }

    fn repartition(&mut self) {
        if !self.faults || self.rng.chance(30) {
            self.cut.clear();
            return;
        }
        let p = PROPOSERS[self.rng.index(PROPOSERS.len())];
        let a = ACCEPTORS[self.rng.index(ACCEPTORS.len())];
        if !self.cut.remove(&(p, a)) {
            self.cut.insert((p, a));
        }
    }

    fn post(&mut self, from: NodeId, to: NodeId, incarnation: u64, payload: Payload) {
        self.net.push(Envelope {
            from,
            to,
            incarnation,
            payload,
        });
    }

    fn deliver(&mut self) -> Check {
        if self.net.is_empty() {
            return Ok(());
        }
        // Mostly old messages first: a delay, not a shuffle.
        let n = self.net.len();
        let i = if self.faults {
            self.rng.index(n).min(self.rng.index(n))
        } else {
            0
        };
        let env = self.net.remove(i);
        let pair = if PROPOSERS.contains(&env.from) {
            (env.from, env.to)
        } else {
            (env.to, env.from)
        };
        if self.faults && (self.cut.contains(&pair) || self.rng.chance(4)) {
            return Ok(());
        }
        match env.payload {
            Payload::Request(r) => self.acceptor_request(env.to, env.from, env.incarnation, r),
            Payload::ReadRequest { start, end, term } => {
                self.acceptor_read(env.to, env.from, env.incarnation, start, end, term);
                Ok(())
            }
            Payload::Reply(r) => {
                self.proposer_input(env.to, env.incarnation, |p| p.on_reply(env.from, r))
            }
            Payload::ReadReply { start, wal } => {
                let from = env.from;
                self.proposer_input(env.to, env.incarnation, |p| p.on_wal_read(from, start, wal))
            }
        }
    }

    fn acceptor_index(id: NodeId) -> usize {
        ACCEPTORS
            .iter()
            .position(|&a| a == id)
            .expect("known acceptor")
    }

    fn acceptor_request(
        &mut self,
        to: NodeId,
        from: NodeId,
        incarnation: u64,
        request: Request,
    ) -> Check {
        let i = Self::acceptor_index(to);
        let Some(core) = self.acceptors[i].core.as_mut() else {
            return Ok(());
        };
        let out = match core.step(request) {
            Ok(out) => out,
            Err(e) => return Err(format!("acceptor {to} refused a request: {e}")),
        };
        for action in out.actions {
            if self.faults && self.rng.below(1000) < 3 {
                // Crash half-way through the actions: no reply escapes.
                self.crash_acceptor(i);
                return Ok(());
            }
            if let AcceptorAction::TruncateWal { at } = &action {
                self.checker.forget_above(to, off(*at));
            }
            if let Effect::Truncated = self.acceptors[i].disk.apply(action) {
                self.counts.truncations += 1;
            }
        }
        self.post(to, from, incarnation, Payload::Reply(out.reply));
        Ok(())
    }

    fn acceptor_read(
        &mut self,
        to: NodeId,
        from: NodeId,
        incarnation: u64,
        start: Lsn,
        end: Lsn,
        term: Term,
    ) {
        let a = &self.acceptors[Self::acceptor_index(to)];
        let Some(core) = &a.core else { return };
        if core.check_donor_read(term, start, end).is_err() {
            return;
        }
        let wal = Bytes::copy_from_slice(&a.disk.data[off(start)..off(end)]);
        self.post(to, from, incarnation, Payload::ReadReply { start, wal });
    }

    /// Feeds an input to proposer `id` if `incarnation` is still running,
    /// then routes its actions.
    fn proposer_input(
        &mut self,
        id: NodeId,
        incarnation: u64,
        f: impl FnOnce(&mut Proposer) -> Result<(), Error>,
    ) -> Check {
        let i = PROPOSERS
            .iter()
            .position(|&p| p == id)
            .expect("known proposer");
        let sp = &mut self.proposers[i];
        if sp.incarnation != incarnation {
            return Ok(());
        }
        let Some(core) = sp.core.as_mut() else {
            return Ok(());
        };
        let reads = core.stats().donor_reads;
        let was_running = core.phase() != Phase::Stopped;
        match f(core) {
            Ok(()) | Err(Error::Fenced { .. } | Error::ElectionTimeout { .. }) => {}
            Err(e) => return Err(format!("proposer {id}: {e}")),
        }
        if was_running && matches!(core.error(), Some(Error::Fenced { .. })) {
            self.counts.fenced += 1;
        }
        if let Some(e @ (Error::Invariant(_) | Error::CorruptWal { .. })) = core.error() {
            return Err(format!("proposer {id} stopped: {e}"));
        }
        if core.stats().donor_reads > reads {
            self.counts.donor_syncs += 1;
        }
        self.route(i, usize::MAX)
    }

    /// Sends proposer `i`'s actions; after `limit` sends it crashes.
    fn route(&mut self, i: usize, limit: usize) -> Check {
        let sp = &mut self.proposers[i];
        let (id, inc) = (sp.id, sp.incarnation);
        let Some(core) = sp.core.as_mut() else {
            return Ok(());
        };
        let actions = core.take_actions();
        let mut sent = 0;
        for action in actions {
            match action {
                Action::Send { to, request } => {
                    if sent == limit {
                        self.crash_proposer(i);
                        return Ok(());
                    }
                    sent += 1;
                    self.post(id, to, inc, Payload::Request(request));
                }
                Action::ReadWal {
                    from,
                    start,
                    end,
                    term,
                } => self.post(id, from, inc, Payload::ReadRequest { start, end, term }),
                Action::Elected { term, .. } => {
                    self.counts.elections += 1;
                    self.checker.elected(term, id * 1_000_000 + inc)?;
                }
                Action::Ready { .. } => {}
                Action::Durable { start, end } => {
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
                    self.checker.durable(start, bytes)?;
                }
            }
        }
        Ok(())
    }

    fn tick(&mut self, i: usize) -> Check {
        let clock = self.now as i64;
        let sp = &mut self.proposers[i];
        let (id, inc) = (sp.id, sp.incarnation);
        self.proposer_input(id, inc, |p| {
            p.tick(clock);
            Ok(())
        })
    }

    fn client_append(&mut self, i: usize) -> Check {
        let record = random_record(&mut self.rng, self.now as i64);
        let crash_mid_send = self.faults && self.rng.chance(3);
        let limit = if crash_mid_send {
            self.rng.index(4)
        } else {
            usize::MAX
        };
        let sp = &mut self.proposers[i];
        let Some(core) = sp.core.as_mut() else {
            return Ok(());
        };
        if core.phase() != Phase::Ready {
            return Ok(());
        }
        let (start, _) = core
            .append(record.clone())
            .map_err(|e| format!("proposer {}: append refused when ready: {e}", sp.id))?;
        sp.appended.insert(start, record);
        self.counts.appends += 1;
        self.route(i, limit)
    }

    fn crash_acceptor(&mut self, i: usize) {
        if !self.faults {
            return;
        }
        let a = &mut self.acceptors[i];
        if a.core.take().is_none() {
            return;
        }
        self.counts.acceptor_crashes += 1;
        let volatile = a.disk.data.len() - a.disk.durable;
        let keep = self.rng.index(volatile + 1);
        a.disk.crash(keep);
    }

    fn restart_acceptor(&mut self, i: usize) -> Check {
        let a = &mut self.acceptors[i];
        if a.core.is_some() {
            return Ok(());
        }
        let end = a.disk.recover();
        let control = a.disk.control.clone().expect("created with a control file");
        let commit = control.commit_lsn;
        a.core = Some(
            Acceptor::restore(a.id, control, end)
                .map_err(|e| format!("acceptor {} cannot restart: {e}", a.id))?,
        );
        self.checker.forget_above(a.id, off(commit));
        Ok(())
    }

    fn crash_proposer(&mut self, i: usize) {
        let sp = &mut self.proposers[i];
        if sp.core.take().is_some() {
            self.counts.proposer_crashes += 1;
        }
        sp.appended.clear();
    }

    fn start_proposer(&mut self, i: usize) {
        let sp = &mut self.proposers[i];
        sp.incarnation += 1;
        sp.appended.clear();
        let mut cfg = ProposerConfig::new(sp.id, ACCEPTORS.to_vec(), START);
        cfg.max_append_bytes = 100;
        cfg.max_inflight_bytes = 2000;
        cfg.resend_ticks = 3;
        cfg.election_timeout_ticks = 25;
        sp.core = Some(Proposer::new(cfg));
        let _ = self.route(i, usize::MAX);
    }

    /// No more faults: heal, restart every acceptor, keep one proposer and
    /// run until it has committed and every acceptor knows its commit_lsn.
    fn quiesce(&mut self) -> Check {
        self.faults = false;
        self.cut.clear();
        for i in 0..self.acceptors.len() {
            self.restart_acceptor(i)?;
        }
        self.crash_proposer(1);
        for round in 0..400 {
            let stopped = self.proposers[0]
                .core
                .as_ref()
                .is_none_or(|p| p.phase() == Phase::Stopped);
            if stopped {
                self.start_proposer(0);
            }
            let p = self.proposers[0].core.as_ref().expect("started");
            if p.phase() == Phase::Ready && self.net.is_empty() {
                let commit = p.commit_lsn();
                if self
                    .acceptors
                    .iter()
                    .all(|a| a.core.as_ref().is_some_and(|c| c.commit_lsn() == commit))
                {
                    return self.check();
                }
            }
            while !self.net.is_empty() {
                self.deliver()?;
                self.check()?;
            }
            if round % 2 == 0 {
                self.tick(0)?;
            }
        }
        Err("the cluster did not converge after the faults stopped".into())
    }

    fn final_checks(&mut self) -> Check {
        if self.checker.pending_durable() > 0 {
            return Err(format!(
                "{} durable records are missing from the final committed WAL",
                self.checker.pending_durable()
            ));
        }
        let mut dec = proto::WalDecoder::new(START);
        dec.push(&self.checker.golden);
        let mut last_term = 0;
        while let Some(r) = dec
            .next_record()
            .map_err(|e| format!("committed WAL does not decode: {e}"))?
        {
            if let proto::RecordKind::TermStart { term } = r.record.kind {
                if term <= last_term {
                    return Err(format!("TermStart {term} after term {last_term}"));
                }
                last_term = term;
            }
        }
        if dec.frame_lsn() != START + self.checker.golden.len() as u64
            || dec.pending_start().is_some()
        {
            return Err("committed WAL ends inside a record".into());
        }
        self.counts.term_start_after_partial += dec.dropped_partials();
        Ok(())
    }
}
