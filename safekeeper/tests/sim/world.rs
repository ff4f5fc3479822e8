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
use safekeeper::Error;
use safekeeper::driver::core::{Event, Input, greets_when_missing};
use safekeeper::messages::{Greet, NodeId, Reply, Request};
use safekeeper::proposer::Phase;

use crate::START;
use crate::checker::Checker;
use crate::driver::SimProposer;
use crate::fs::Faults;
use crate::maint::Store;
use crate::node::{Batch, Inbound, Node};
use crate::pageserver::{PageModel, Pageserver};
use crate::rng::Rng;

pub const ACCEPTORS: [NodeId; 3] = [1, 2, 3];
pub const PROPOSERS: [NodeId; 2] = [100, 200];
/// The disks' injected failures while faults run (per mille of calls).
const DISK_FAULTS: Faults = Faults {
    fsync_fail: 3,
    write_fail: 3,
};

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
    pub held_heartbeats: u64,
    pub storage_errors: u64,
    pub preallocations: u64,
    pub fsync_failures: u64,
    pub write_failures: u64,
    pub stream_breaks: u64,
    pub reconnects: u64,
    pub timelines_created: u64,
    pub crashes_in_creation: u64,
    pub uploads: u64,
    pub trims: u64,
    /// Trims while faults were still being injected.
    pub trims_under_faults: u64,
    /// Uploads while faults were still being injected.
    pub uploads_under_faults: u64,
    pub crashes_in_trim: u64,
    /// Safekeepers left behind with an old term's tail by a burst.
    pub left_behind: u64,
    /// Committed reads that took WAL from an offloaded segment.
    pub object_reads: u64,
    pub pageserver_restarts: u64,
    pub peer_recoveries: u64,
    pub committed_bytes: u64,
    /// Pages the pageserver reconstructed and the model checked.
    pub pages_read: u64,
    /// Acknowledged writes read back from the pageserver at their LSN.
    pub acked_pages_read: u64,
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
        self.held_heartbeats += o.held_heartbeats;
        self.storage_errors += o.storage_errors;
        self.preallocations += o.preallocations;
        self.fsync_failures += o.fsync_failures;
        self.write_failures += o.write_failures;
        self.proposer_crashes += o.proposer_crashes;
        self.fenced += o.fenced;
        self.appends += o.appends;
        self.stream_breaks += o.stream_breaks;
        self.reconnects += o.reconnects;
        self.timelines_created += o.timelines_created;
        self.crashes_in_creation += o.crashes_in_creation;
        self.uploads += o.uploads;
        self.trims += o.trims;
        self.trims_under_faults += o.trims_under_faults;
        self.uploads_under_faults += o.uploads_under_faults;
        self.crashes_in_trim += o.crashes_in_trim;
        self.left_behind += o.left_behind;
        self.object_reads += o.object_reads;
        self.pageserver_restarts += o.pageserver_restarts;
        self.peer_recoveries += o.peer_recoveries;
        self.committed_bytes += o.committed_bytes;
        self.pages_read += o.pages_read;
        self.acked_pages_read += o.acked_pages_read;
    }
}

pub enum Payload {
    Request(Request),
    Reply(Reply),
    ReadRequest {
        start: Lsn,
        end: Lsn,
        term: Term,
    },
    ReadReply {
        start: Lsn,
        wal: Bytes,
    },
    /// A unary call or donor read failed (the safekeeper is down).
    Failed {
        why: String,
    },
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

pub struct World {
    pub(crate) rng: Rng,
    pub(crate) now: u64,
    pub(crate) acceptors: Vec<Node>,
    pub(crate) proposers: Vec<SimProposer>,
    net: Vec<Envelope>,
    pub(crate) cut: BTreeSet<(NodeId, NodeId)>,
    pub(crate) faults: bool,
    /// Largest client record payload (per seed: small records, or WAL
    /// that fills segments fast enough to offload and trim).
    pub(crate) record_max: usize,
    pub(crate) store: Store,
    pub(crate) pageserver: Pageserver,
    /// What the clients wrote, committed and acknowledged (the
    /// pageserver's oracle).
    pub(crate) model: PageModel,
    pub checker: Checker,
    pub counts: Counts,
}

type Check = Result<(), String>;

impl World {
    pub fn new(seed: u64) -> World {
        let faults = std::env::var("STRATA_SIM_NO_FAULTS").is_err();
        let mut w = World::build(seed, faults, false);
        for i in 0..w.proposers.len() {
            w.start_proposer(i);
        }
        w
    }

    /// A world for a scripted scenario (`scenario.rs`): no faults, every
    /// safekeeper has the timeline, no proposer runs.
    pub fn scripted(seed: u64) -> World {
        World::build(seed, false, true)
    }

    fn build(seed: u64, faults: bool, all_with_timeline: bool) -> World {
        let mut rng = Rng::new(seed);
        let disk_faults = if faults {
            DISK_FAULTS
        } else {
            Faults::default()
        };
        // A quarter of the safekeepers join without the timeline: the first
        // Greet creates it (a safekeeper added to the cluster, or one that
        // missed the timeline's creation).
        let acceptors = ACCEPTORS
            .iter()
            .map(|&id| {
                let seed = rng.next_u64();
                let with_timeline = !rng.chance(25) || all_with_timeline;
                Node::create(id, seed, disk_faults, with_timeline)
            })
            .collect();
        let proposers = PROPOSERS.iter().map(|&id| SimProposer::new(id)).collect();
        let mut w = World {
            rng,
            now: 0,
            acceptors,
            proposers,
            net: Vec::new(),
            cut: BTreeSet::new(),
            faults,
            record_max: 0,
            store: Store::default(),
            pageserver: Pageserver::default(),
            model: PageModel::default(),
            checker: Checker::default(),
            counts: Counts::default(),
        };
        w.record_max = 300;
        w
    }

    /// Runs `steps` random steps, with a burst of committed WAL two thirds
    /// in ([`Self::burst`]), then heals everything and lets one proposer
    /// commit, then runs the end-of-run checks.
    pub fn run(&mut self, steps: u64) -> Check {
        let trace = std::env::var("STRATA_SIM_TRACE").is_ok();
        for n in 0..steps {
            if n == steps * 2 / 3 {
                self.burst()?;
            }
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
                    .map(|p| match p.core() {
                        Some(c) => format!("{}:{:?}", p.id, c.phase()),
                        None => format!("{}:none", p.id),
                    })
                    .collect();
                eprintln!("step {} net {} {up:?} {ps:?}", self.now, self.net.len());
            }
        }
        self.quiesce()?;
        self.offload_phase()?;
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
        let roll = self.rng.below(112);
        match roll {
            100..104 => {
                let i = self.rng.index(self.acceptors.len());
                self.maintain(i)
            }
            104..109 => self.pageserver_step(),
            109..112 => {
                let i = self.rng.index(self.acceptors.len());
                self.peer_recover(i)
            }
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
                // A burst of commits from one compute's clients.
                let i = self.rng.index(self.proposers.len());
                for _ in 0..1 + self.rng.below(4) {
                    self.client_append(i)?;
                }
                Ok(())
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
            84..85 => {
                // A connection drops (a proxy restarts, a NAT forgets it).
                if self.faults {
                    let i = self.rng.index(self.proposers.len());
                    let (id, inc) = (self.proposers[i].id, self.proposers[i].incarnation);
                    let to = ACCEPTORS[self.rng.index(ACCEPTORS.len())];
                    self.break_stream(id, inc, to, 0);
                }
                Ok(())
            }
            85..86 => {
                let i = self.rng.index(self.proposers.len());
                if !self.proposers[i].running() {
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
    pub(crate) fn after_io(&mut self, i: usize, in_batch: bool) {
        if self.acceptors[i].is_up() && self.acceptors[i].disk.dead() {
            self.acceptors[i].crash(&mut self.rng, true, !in_batch);
            self.counts.acceptor_crashes += 1;
            let id = self.acceptors[i].id;
            self.break_streams_to(id);
        }
    }

    pub(crate) fn check(&mut self) -> Check {
        for a in &self.acceptors {
            let Some(tl) = &a.tl else { continue };
            let snap = tl.snapshot();
            let commit = snap.state.commit_lsn;
            self.checker
                .trimmed_below(a.id, crate::checker::off(snap.wal_start));
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

    pub(crate) fn post(
        &mut self,
        from: NodeId,
        to: NodeId,
        incarnation: u64,
        session: u64,
        payload: Payload,
    ) {
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
        if self.cut.contains(&pair) || (self.faults && self.rng.chance(4)) {
            return Ok(());
        }
        match env.payload {
            Payload::Request(request) => {
                let i = Self::acceptor_index(env.to);
                if self.acceptors[i].is_up()
                    && self.acceptors[i].tl.is_none()
                    && !self.without_timeline(
                        i,
                        (env.from, env.to, env.incarnation, env.session),
                        &request,
                    )?
                {
                    return Ok(());
                }
                let a = &mut self.acceptors[i];
                if a.is_up() {
                    a.inbox.push(Inbound {
                        from: env.from,
                        incarnation: env.incarnation,
                        session: env.session,
                        request,
                    });
                } else if env.session == 0 {
                    // Connection refused: the unary call fails at once.
                    let why = "unavailable: connection refused".to_string();
                    self.post(
                        env.to,
                        env.from,
                        env.incarnation,
                        0,
                        Payload::Failed { why },
                    );
                }
                Ok(())
            }
            Payload::ReadRequest { start, end, term } => {
                self.acceptor_read(env.to, env.from, env.incarnation, start, end, term)
            }
            Payload::Reply(r) => {
                let (from, session) = (env.from, env.session);
                if let Reply::Append(_) = r
                    && !self.stream_reply(env.to, env.incarnation, from, session)
                {
                    return Ok(());
                }
                let ev = Event::Reply { from, reply: r };
                self.proposer_input(env.to, env.incarnation, Input::Event(ev))
            }
            Payload::ReadReply { start, wal } => {
                let from = env.from;
                let ev = Event::WalRead { from, start, wal };
                self.proposer_input(env.to, env.incarnation, Input::Event(ev))
            }
            Payload::Failed { why } => {
                let ev = Event::Failed {
                    from: env.from,
                    why,
                };
                self.proposer_input(env.to, env.incarnation, Input::Event(ev))
            }
        }
    }

    pub(crate) fn acceptor_index(id: NodeId) -> usize {
        ACCEPTORS
            .iter()
            .position(|&a| a == id)
            .expect("known acceptor")
    }

    pub(crate) fn proposer_index(id: NodeId) -> usize {
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
                        Err(e @ (Error::Storage(_) | Error::Unavailable(_))) if self.faults => {
                            // The service answers with an error status: an
                            // Append stream breaks, a unary call fails.
                            self.counts.storage_errors += 1;
                            if job.session != 0 {
                                self.break_stream(job.from, job.incarnation, id, job.session);
                            } else {
                                let why = e.to_string();
                                let p = Payload::Failed { why };
                                self.post(id, job.from, job.incarnation, 0, p);
                            }
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
    ) -> Check {
        let a = &self.acceptors[Self::acceptor_index(to)];
        // Donor reads are served from local WAL only: the proposer must
        // never need WAL its donor trimmed. Its view of a safekeeper may be
        // stale (acks lost with a broken stream): the read is then refused
        // like any other and the next reply corrects the view. It is a bug
        // only if a safekeeper that took this term's Elected really holds
        // less than the donor still has.
        if let Some(tl) = &a.tl
            && start < tl.snapshot().wal_start
            && a.donor_read(term, start, end).is_none()
            && tl.snapshot().state.term == term
        {
            let wal_start = tl.snapshot().wal_start;
            let behind = self.acceptors.iter().find_map(|k| {
                let s = k.tl.as_ref()?.snapshot().state;
                let of_term =
                    s.term == term && s.term_history.last().is_some_and(|e| e.term == term);
                (of_term && s.flush_lsn < wal_start).then_some((k.id, s.flush_lsn))
            });
            if let Some((k, flush)) = behind {
                return Err(format!(
                    "proposer {from}'s donor read needs WAL at {start} that safekeeper {to} \
                     trimmed (its WAL starts at {wal_start}): safekeeper {k} of term {term} \
                     holds WAL only up to {flush}"
                ));
            }
        }
        let Some(wal) = a.donor_read(term, start, end) else {
            return Ok(());
        };
        let wal = Bytes::from(wal);
        self.post(to, from, incarnation, 0, Payload::ReadReply { start, wal });
        Ok(())
    }

    /// A request reached node `i`, which is up without the timeline: a
    /// Greet creates it (true: go on and queue it); anything else is
    /// NOT_FOUND — a unary call fails (and the link greets the node for a
    /// Vote or Elected, `greets_when_missing`), a stream breaks.
    fn without_timeline(
        &mut self,
        i: usize,
        (from, to, incarnation, session): (NodeId, NodeId, u64, u64),
        request: &Request,
    ) -> Result<bool, String> {
        if let Request::Greet(_) = request {
            let kill = (self.faults && self.rng.chance(10)).then(|| self.rng.below(12));
            if self.acceptors[i].create_timeline(kill)? {
                self.counts.timelines_created += 1;
                return Ok(true);
            }
            if self.acceptors[i].disk.dead() {
                self.counts.crashes_in_creation += 1;
                self.crash_acceptor(i, false);
            } else {
                let why = "storage error while creating the timeline".to_string();
                self.post(to, from, incarnation, 0, Payload::Failed { why });
            }
            return Ok(false);
        }
        if session != 0 {
            self.break_stream(from, incarnation, to, session);
            return Ok(false);
        }
        let why = "NOT_FOUND: no such timeline".to_string();
        self.post(to, from, incarnation, 0, Payload::Failed { why });
        if greets_when_missing(request) {
            // The link's own Greet: its answer is dropped (incarnation 0).
            let greet = Greet {
                proposer_id: from,
                timeline_start_lsn: START,
            };
            self.post(from, to, 0, 0, Payload::Request(Request::Greet(greet)));
        }
        Ok(false)
    }

    /// Safekeeper `i` dies: a kill -9 (the page cache survives) or a power
    /// loss (un-fsynced writes are lost or torn), maybe between batches.
    pub(crate) fn crash_acceptor(&mut self, i: usize, between_batches: bool) {
        if !self.faults || !self.acceptors[i].is_up() {
            return;
        }
        self.counts.acceptor_crashes += 1;
        let power_loss = self.rng.chance(70);
        let id = self.acceptors[i].id;
        self.acceptors[i].crash(&mut self.rng, power_loss, between_batches);
        self.checker.forget_above(id, 0);
        self.break_streams_to(id);
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

    /// The faults pause long enough for the cluster to heal and commit a
    /// few segments of WAL (under faults it commits little: a few KiB in a
    /// whole run), with neither the pageserver nor maintenance running; then
    /// they resume, so offloading and trimming that WAL happen under
    /// crashes (inside the trim too), torn writes, failed fsyncs and
    /// partitions, not only in the calm phase at the end.
    ///
    /// In half the seeds one safekeeper is left behind for it with an old
    /// term's uncommitted tail and stays cut off from proposer 0 until the
    /// schedule heals the partition: its peers offload and trim meanwhile,
    /// and the proposer must then still catch it up with a donor read.
    fn burst(&mut self) -> Check {
        let faults = self.faults;
        self.quiesce()?;
        let record_max = self.record_max;
        self.record_max = 1200;
        let lagging = (faults && self.rng.chance(50)).then(|| self.rng.index(self.acceptors.len()));
        if let Some(l) = lagging {
            self.leave_behind(l)?;
            self.counts.left_behind += 1;
        }
        for _ in 0..16 {
            self.client_append(0)?;
        }
        let lagging_id = lagging.map(|l| ACCEPTORS[l]);
        self.settle("the burst was not committed", |w| {
            let p = w.proposers[0].core().expect("started");
            let commit = p.commit_lsn();
            p.phase() == Phase::Ready
                && w.acceptors
                    .iter()
                    .filter(|a| Some(a.id) != lagging_id)
                    .all(|a| {
                        a.tl.as_ref()
                            .is_some_and(|t| t.snapshot().state.commit_lsn == commit)
                    })
        })?;
        self.record_max = record_max;
        if faults {
            self.faults = true;
            for a in &self.acceptors {
                a.disk.set_faults(DISK_FAULTS);
            }
        }
        Ok(())
    }

    /// No more faults: heal, restart every acceptor, keep one proposer and
    /// run until it has committed and every acceptor knows its commit_lsn.
    pub(crate) fn quiesce(&mut self) -> Check {
        self.faults = false;
        self.cut.clear();
        for a in &self.acceptors {
            a.disk.set_faults(Faults::default());
        }
        for i in 0..self.acceptors.len() {
            self.restart_acceptor(i)?;
        }
        self.crash_proposer(1);
        self.settle(
            "the cluster did not converge after the faults stopped",
            |w| {
                let p = w.proposers[0].core().expect("started");
                let commit = p.commit_lsn();
                p.phase() == Phase::Ready
                    && w.acceptors.iter().all(|a| {
                        a.tl.as_ref()
                            .is_some_and(|t| t.snapshot().state.commit_lsn == commit)
                    })
            },
        )
    }

    /// Runs the cluster without faults (but with `cut`) — proposer 0
    /// restarted whenever it stopped, every message delivered, every batch
    /// run, a tick every other round — until it is idle and `done`.
    fn settle(&mut self, what: &str, done: impl Fn(&World) -> bool) -> Check {
        for round in 0..400 {
            // Time passes: broken streams reopen after their backoff.
            self.now += 5;
            let stopped = !self.proposers[0].running();
            if stopped {
                self.start_proposer(0);
            }
            let idle = self.net.is_empty() && self.acceptors.iter().all(|a| a.inbox.is_empty());
            if idle && done(self) {
                return self.check();
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
        Err(what.into())
    }

    /// Leaves safekeeper `l` behind with an old term's uncommitted tail
    /// (the state of the lagging-peer scenario, `scenario.rs`): proposer 0
    /// appends records only `l` receives, dies, and a new incarnation,
    /// cut off from `l`, is elected by the other two.
    fn leave_behind(&mut self, l: usize) -> Check {
        let p = PROPOSERS[0];
        for (k, &a) in ACCEPTORS.iter().enumerate() {
            if k != l {
                self.cut.insert((p, a));
            }
        }
        for _ in 0..2 + self.rng.below(6) {
            self.client_append(0)?;
        }
        self.settle("the records did not reach the lagging safekeeper", |_| true)?;
        self.crash_proposer(0);
        self.cut.clear();
        self.cut.insert((p, ACCEPTORS[l]));
        self.settle(
            "no proposer was elected without the lagging safekeeper",
            |w| {
                w.proposers[0]
                    .core()
                    .is_some_and(|c| c.phase() == Phase::Ready)
            },
        )
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
        if self.checker.pending_objects() > 0 {
            return Err(format!(
                "{} offloaded objects hold WAL that never became committed",
                self.checker.pending_objects()
            ));
        }
        // `backup_lsn` means offloaded: every segment below it is in the
        // object store, whole.
        for a in &self.acceptors {
            let Some(tl) = &a.tl else { continue };
            let backup = tl.snapshot().state.backup_lsn;
            let mut seg = START;
            while seg + crate::node::SEGMENT_SIZE <= backup {
                if self.store.objects.get(&seg).map(|o| o.len() as u64)
                    != Some(crate::node::SEGMENT_SIZE)
                {
                    return Err(format!(
                        "safekeeper {} has backup_lsn {backup} but the segment at {seg} was never offloaded",
                        a.id
                    ));
                }
                seg = seg + crate::node::SEGMENT_SIZE;
            }
        }
        // Nobody ever needs trimmed WAL: the pageserver can resume from its
        // consistent LSN on every safekeeper; and it serves every page.
        self.pageserver_final()
    }
}
