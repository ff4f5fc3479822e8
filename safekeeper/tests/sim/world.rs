//! The simulated cluster and its seeded scheduler.
//!
//! Three safekeepers (ids 1..=3, see `node.rs`: the real server timeline and
//! storage over a simulated disk) and two competing proposers (ids 100, 200:
//! the pure proposer core behind the driver's per-safekeeper link model,
//! [`AppendQueue`] merging and at most `max_inflight` appends per stream)
//! exchange messages through `net`, a bag from which each step delivers a
//! random (mostly old) message, so messages are delayed and reordered; some
//! are lost, and partitions drop messages between chosen pairs. Safekeepers
//! run group-commit batches of what they received, crash (kill -9 or power
//! loss, between batches or after any file-system call inside one or inside
//! recovery), suffer failed writes and fsyncs, and restart from their disk;
//! proposers crash (maybe half-way through sending a record) and restart
//! with a new incarnation, which greets and re-elects with a new term.
//! After every step the [`Checker`] verifies the invariants.

use std::collections::BTreeSet;

use bytes::Bytes;
use proto::Lsn;
use proto::record::Term;
use safekeeper::driver::AppendQueue;
use safekeeper::messages::{NodeId, Reply, Request};
use safekeeper::proposer::{Action, Phase};
use safekeeper::{Error, Proposer, ProposerConfig};

use crate::START;
use crate::checker::Checker;
use crate::fs::Faults;
use crate::node::{Batch, Inbound, Node};
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
    pub crashes_in_batch: u64,
    pub crashes_in_recovery: u64,
    pub proposer_crashes: u64,
    pub fenced: u64,
    pub appends: u64,
    pub batches: u64,
    pub merged_appends: u64,
    pub storage_errors: u64,
    pub preallocations: u64,
    pub fsync_failures: u64,
    pub write_failures: u64,
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
        self.crashes_in_batch += o.crashes_in_batch;
        self.crashes_in_recovery += o.crashes_in_recovery;
        self.batches += o.batches;
        self.merged_appends += o.merged_appends;
        self.storage_errors += o.storage_errors;
        self.preallocations += o.preallocations;
        self.fsync_failures += o.fsync_failures;
        self.write_failures += o.write_failures;
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
    /// The Append stream it travels on (0: a unary call).
    session: u64,
    payload: Payload,
}

/// The driver's link to one safekeeper (`driver/link.rs`): appends queue
/// and merge behind at most `max_inflight` outstanding ones; a stream that
/// stays silent for `STALL_TICKS` is dropped with its queue and reopened.
#[derive(Default)]
struct Link {
    queue: AppendQueue,
    inflight: usize,
    session: u64,
    silent_ticks: u64,
}

const STALL_TICKS: u64 = 6;

struct SimProposer {
    id: NodeId,
    incarnation: u64,
    core: Option<Proposer>,
    /// Records this incarnation appended: start -> bytes.
    appended: std::collections::BTreeMap<Lsn, Bytes>,
    links: Vec<Link>,
    max_inflight: usize,
    max_batch_bytes: usize,
}

pub struct World {
    rng: Rng,
    now: u64,
    acceptors: Vec<Node>,
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
        let faults = std::env::var("STRATA_SIM_NO_FAULTS").is_err();
        let mut rng = Rng::new(seed);
        let disk_faults = if faults {
            Faults {
                fsync_fail: 3,
                write_fail: 3,
            }
        } else {
            Faults::default()
        };
        let acceptors = ACCEPTORS
            .iter()
            .map(|&id| Node::create(id, rng.next_u64(), disk_faults))
            .collect();
        let proposers = PROPOSERS
            .iter()
            .map(|&id| SimProposer {
                id,
                incarnation: 0,
                core: None,
                appended: Default::default(),
                links: Vec::new(),
                max_inflight: 1,
                max_batch_bytes: 1,
            })
            .collect();
        let mut w = World {
            rng,
            now: 0,
            acceptors,
            proposers,
            net: Vec::new(),
            cut: BTreeSet::new(),
            faults,
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
        let trace = std::env::var("STRATA_SIM_TRACE").is_ok();
        for _ in 0..steps {
            self.step()?;
            self.check()?;
            if trace && self.now.is_multiple_of(50) {
                let up: Vec<String> = self
                    .acceptors
                    .iter()
                    .map(|a| match &a.tl {
                        Some(tl) => {
                            let s = tl.snapshot().state;
                            format!(
                                "{}:t{} f{} c{} q{}",
                                a.id,
                                s.term,
                                s.flush_lsn,
                                s.commit_lsn,
                                a.inbox.len()
                            )
                        }
                        None => format!("{}:down", a.id),
                    })
                    .collect();
                let ps: Vec<String> = self
                    .proposers
                    .iter()
                    .map(|p| match &p.core {
                        Some(c) => format!("{}:{:?}", p.id, c.phase()),
                        None => format!("{}:none", p.id),
                    })
                    .collect();
                eprintln!("step {} net {} {up:?} {ps:?}", self.now, self.net.len());
            }
        }
        self.quiesce()?;
        self.final_checks()
    }

    /// Adds the disks' injected-fault counters to `counts`.
    pub fn count_faults(&mut self) {
        for a in &self.acceptors {
            let (fsync, write) = a.disk.fault_counts();
            self.counts.fsync_failures += fsync;
            self.counts.write_failures += write;
        }
    }

    fn step(&mut self) -> Check {
        self.now += 1;
        self.counts.steps += 1;
        let roll = self.rng.below(100);
        match roll {
            0..40 | 95..100 => {
                for _ in 0..1 + self.rng.below(3) {
                    self.deliver()?;
                }
                Ok(())
            }
            40..57 => {
                let busy: Vec<usize> = (0..self.acceptors.len())
                    .filter(|&i| !self.acceptors[i].inbox.is_empty())
                    .collect();
                if busy.is_empty() {
                    return Ok(());
                }
                let i = busy[self.rng.index(busy.len())];
                self.batch(i)
            }
            57..65 => {
                let i = self.rng.index(self.proposers.len());
                self.tick(i)
            }
            65..72 => {
                let i = self.rng.index(self.proposers.len());
                self.client_append(i)
            }
            72..73 => {
                let i = self.rng.index(self.acceptors.len());
                self.crash_acceptor(i, true);
                Ok(())
            }
            73..80 => {
                let i = self.rng.index(self.acceptors.len());
                self.restart_acceptor(i)
            }
            80..81 => {
                let i = self.rng.index(self.proposers.len());
                if self.faults && self.rng.chance(50) {
                    self.crash_proposer(i);
                }
                Ok(())
            }
            81..84 => {
                let i = self.rng.index(self.acceptors.len());
                if !self.acceptors[i].prealloc.is_empty() {
                    self.counts.preallocations += 1;
                }
                self.acceptors[i].run_prealloc();
                self.after_io(i, false);
                Ok(())
            }
            84..85 => Ok(()),
            85..86 => {
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
            86..91 => {
                self.repartition();
                Ok(())
            }
            _ => {
                let i = self.rng.index(self.acceptors.len());
                self.acceptors[i].persist();
                self.after_io(i, false);
                Ok(())
            }
        }
    }

    /// A failed fsync outside a batch (persist, pre-allocation) kills the
    /// process, as `remote_storage::durable` does.
    fn after_io(&mut self, i: usize, in_batch: bool) {
        if self.acceptors[i].is_up() && self.acceptors[i].disk.dead() {
            self.acceptors[i].crash(&mut self.rng, true, !in_batch);
            self.counts.acceptor_crashes += 1;
        }
    }

    fn check(&mut self) -> Check {
        for a in &self.acceptors {
            let Some(tl) = &a.tl else { continue };
            let commit = tl.snapshot().state.commit_lsn;
            self.checker
                .check_acceptor(a.id, commit, |from, to| a.read(from, to))?;
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

    fn post(&mut self, from: NodeId, to: NodeId, incarnation: u64, session: u64, payload: Payload) {
        self.net.push(Envelope {
            from,
            to,
            incarnation,
            session,
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
            Payload::Request(request) => {
                let a = &mut self.acceptors[Self::acceptor_index(env.to)];
                if a.is_up() {
                    a.inbox.push(Inbound {
                        from: env.from,
                        incarnation: env.incarnation,
                        session: env.session,
                        request,
                    });
                }
                Ok(())
            }
            Payload::ReadRequest { start, end, term } => {
                self.acceptor_read(env.to, env.from, env.incarnation, start, end, term);
                Ok(())
            }
            Payload::Reply(r) => {
                let (from, session) = (env.from, env.session);
                if let Reply::Append(_) = r
                    && !self.stream_reply(env.to, env.incarnation, from, session)
                {
                    return Ok(());
                }
                self.proposer_input(env.to, env.incarnation, |p| p.on_reply(from, r))
            }
            Payload::ReadReply { start, wal } => {
                let from = env.from;
                self.proposer_input(env.to, env.incarnation, |p| p.on_wal_read(from, start, wal))
            }
        }
    }

    /// An Append reply arrives on stream `session` of proposer `id`'s link
    /// to `from`; false if that stream is gone (its replies are lost).
    fn stream_reply(&mut self, id: NodeId, incarnation: u64, from: NodeId, session: u64) -> bool {
        let sp = &mut self.proposers[Self::proposer_index(id)];
        if sp.incarnation != incarnation {
            return false;
        }
        let Some(link) = sp.links.get_mut(Self::acceptor_index(from)) else {
            return false;
        };
        if link.session != session {
            return false;
        }
        link.inflight = link.inflight.saturating_sub(1);
        link.silent_ticks = 0;
        true
    }

    fn acceptor_index(id: NodeId) -> usize {
        ACCEPTORS
            .iter()
            .position(|&a| a == id)
            .expect("known acceptor")
    }

    fn proposer_index(id: NodeId) -> usize {
        PROPOSERS
            .iter()
            .position(|&p| p == id)
            .expect("known proposer")
    }

    /// Safekeeper `i` runs one group-commit batch of what it has received;
    /// sometimes it dies after a random number of file-system calls.
    fn batch(&mut self, i: usize) -> Check {
        let a = &mut self.acceptors[i];
        if !a.is_up() || a.inbox.is_empty() {
            return Ok(());
        }
        let n = 1 + self.rng.index(a.inbox.len());
        let kill = (self.faults && self.rng.chance(5)).then(|| self.rng.below(8));
        self.counts.batches += 1;
        let a = &mut self.acceptors[i];
        match a.batch(n, kill)? {
            Batch::Died => {
                self.counts.crashes_in_batch += 1;
                self.crash_acceptor(i, false);
            }
            Batch::Done(results) => {
                let id = self.acceptors[i].id;
                self.counts.truncations += std::mem::take(&mut self.acceptors[i].truncations);
                for (job, result) in results {
                    match result {
                        Ok(reply) => self.post(
                            id,
                            job.from,
                            job.incarnation,
                            job.session,
                            Payload::Reply(reply),
                        ),
                        Err(Error::Storage(_) | Error::Unavailable(_)) if self.faults => {
                            // The service answers with an error status; the
                            // Append stream breaks (the link notices).
                            self.counts.storage_errors += 1;
                        }
                        Err(e) => return Err(format!("safekeeper {id} refused a request: {e}")),
                    }
                }
            }
        }
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
        let Some(wal) = a.donor_read(term, start, end) else {
            return;
        };
        let wal = Bytes::from(wal);
        self.post(to, from, incarnation, 0, Payload::ReadReply { start, wal });
    }

    /// Feeds an input to proposer `id` if `incarnation` is still running,
    /// then routes its actions.
    fn proposer_input(
        &mut self,
        id: NodeId,
        incarnation: u64,
        f: impl FnOnce(&mut Proposer) -> Result<(), Error>,
    ) -> Check {
        let i = Self::proposer_index(id);
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
                    match request {
                        Request::Append(a) => {
                            let sp = &mut self.proposers[i];
                            sp.links[Self::acceptor_index(to)].queue.push(a);
                        }
                        other => self.post(id, to, inc, 0, Payload::Request(other)),
                    }
                }
                Action::ReadWal {
                    from,
                    start,
                    end,
                    term,
                } => self.post(id, from, inc, 0, Payload::ReadRequest { start, end, term }),
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
        self.pump(i);
        Ok(())
    }

    /// Sends what each link's queue may send now (`Link::session` in
    /// `driver/link.rs`): merged batches up to `max_inflight` outstanding.
    fn pump(&mut self, i: usize) {
        let sp = &mut self.proposers[i];
        let (id, inc, max_inflight, max_bytes) =
            (sp.id, sp.incarnation, sp.max_inflight, sp.max_batch_bytes);
        let mut out = Vec::new();
        for (k, link) in sp.links.iter_mut().enumerate() {
            while link.inflight < max_inflight {
                let queued = link.queue.len();
                let Some(batch) = link.queue.pop_batch(max_bytes) else {
                    break;
                };
                if queued > link.queue.len() + 1 {
                    self.counts.merged_appends += 1;
                }
                link.inflight += 1;
                out.push((ACCEPTORS[k], link.session, batch));
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

    fn tick(&mut self, i: usize) -> Check {
        let clock = self.now as i64;
        let sp = &mut self.proposers[i];
        let (id, inc) = (sp.id, sp.incarnation);
        for link in &mut sp.links {
            if link.inflight > 0 {
                link.silent_ticks += 1;
                if link.silent_ticks > STALL_TICKS {
                    // "no Append response: reconnecting"
                    link.session += 1;
                    link.queue.clear();
                    link.inflight = 0;
                    link.silent_ticks = 0;
                }
            }
        }
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

    /// Safekeeper `i` dies: a kill -9 (the page cache survives) or a power
    /// loss (un-fsynced writes are lost or torn), maybe between batches.
    fn crash_acceptor(&mut self, i: usize, between_batches: bool) {
        if !self.faults || !self.acceptors[i].is_up() {
            return;
        }
        self.counts.acceptor_crashes += 1;
        let power_loss = self.rng.chance(70);
        let id = self.acceptors[i].id;
        self.acceptors[i].crash(&mut self.rng, power_loss, between_batches);
        self.checker.forget_above(id, 0);
    }

    fn restart_acceptor(&mut self, i: usize) -> Check {
        if self.acceptors[i].is_up() {
            return Ok(());
        }
        let kill = (self.faults && self.rng.chance(10)).then(|| self.rng.below(30));
        if !self.acceptors[i].restart(&mut self.rng, kill)? {
            self.counts.crashes_in_recovery += 1;
        }
        Ok(())
    }

    fn crash_proposer(&mut self, i: usize) {
        let sp = &mut self.proposers[i];
        if sp.core.take().is_some() {
            self.counts.proposer_crashes += 1;
        }
        sp.appended.clear();
        sp.links.clear();
    }

    fn start_proposer(&mut self, i: usize) {
        let max_inflight = 1 + self.rng.index(3);
        let max_batch_bytes = 100 + self.rng.index(900);
        let sp = &mut self.proposers[i];
        sp.incarnation += 1;
        sp.appended.clear();
        sp.links = ACCEPTORS.iter().map(|_| Link::default()).collect();
        sp.max_inflight = max_inflight;
        sp.max_batch_bytes = max_batch_bytes;
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
        for a in &self.acceptors {
            a.disk.set_faults(Faults::default());
        }
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
            let idle = self.net.is_empty() && self.acceptors.iter().all(|a| a.inbox.is_empty());
            if p.phase() == Phase::Ready && idle {
                let commit = p.commit_lsn();
                if self.acceptors.iter().all(|a| {
                    a.tl.as_ref()
                        .is_some_and(|t| t.snapshot().state.commit_lsn == commit)
                }) {
                    return self.check();
                }
            }
            loop {
                while !self.net.is_empty() {
                    self.deliver()?;
                }
                let mut ran = false;
                for i in 0..self.acceptors.len() {
                    if !self.acceptors[i].inbox.is_empty() {
                        self.batch(i)?;
                        ran = true;
                    }
                }
                self.check()?;
                if !ran && self.net.is_empty() {
                    break;
                }
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
