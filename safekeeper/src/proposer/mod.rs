//! # The proposer: a compute's side of WAL consensus
//!
//! A pure state machine the compute links; its async driver (the shell)
//! sends the [`Action::Send`] requests, feeds back replies with
//! [`Proposer::on_reply`], answers [`Action::ReadWal`] with
//! [`Proposer::on_wal_read`], calls [`Proposer::tick`] periodically and
//! hands client records to [`Proposer::append`]. Inputs never block; outputs
//! are collected with [`Proposer::take_actions`].
//!
//! ## Life of a proposer
//! ```text
//! Greeting --majority of greets--> Voting (term = max term seen + 1)
//!   --majority of votes--> Syncing: donor = highest (last_log_term, flush_lsn);
//!        history = donor history + (term, donor flush); TermStart appended
//!        at the donor's flush; Elected sent to every acceptor, which cuts
//!        its divergent tail and reports its flush_lsn; missing WAL below the
//!        term start is read from the donor (ReadWal) and streamed
//!   --TermStart committed--> Ready: client appends are taken and pipelined
//! any reply with a higher term --> Stopped (fenced); election timeout --> Stopped
//! ```
//!
//! ## Invariants
//! - Appends are refused until the term's `TermStart` is committed
//!   ([`Error::NotElected`], [`Error::NotSynced`]). The `TermStart` is the
//!   first record of every term (a FIRST frame, so readers drop any partial
//!   record the previous term left at the donor's flush).
//! - `commit_lsn` is the highest end of one of *this term's* records that a
//!   majority has flushed: never an older term's LSN counted by itself (the
//!   first candidate is the `TermStart`'s end), always a record boundary.
//!   It is sent as soon as it advances, on appends or alone (heartbeat).
//! - A record is reported [`Action::Durable`] once `commit_lsn >= end`.
//! - An acceptor's acked `flush_lsn` only counts once it accepted this term's
//!   `Elected` (so its WAL is a prefix of this proposer's WAL).
//! - Any reply with a higher term fences the proposer for good.

mod wal_buffer;

use std::collections::{BTreeMap, VecDeque};

use bytes::Bytes;
use proto::frame::{FLAG_FIRST, FLAG_LAST, encode_record};
use proto::grpc::TermSwitch;
use proto::record::Term;
use proto::{Lsn, Record, RecordKind, TimestampUs};

use crate::error::{Error, Result};
use crate::history;
use crate::messages::{
    Append, AppendReply, Elected, ElectedReply, Greet, GreetReply, NodeId, Reply, Request,
    VoteReply, VoteRequest,
};
pub use wal_buffer::{RawFrame, WalBuffer, split_frames};

/// Tunables of a proposer.
#[derive(Clone, Debug)]
pub struct ProposerConfig {
    pub id: NodeId,
    pub acceptors: Vec<NodeId>,
    pub timeline_start_lsn: Lsn,
    /// Largest `Append` payload (whole frames; one frame is always sent).
    pub max_append_bytes: usize,
    /// Unacknowledged bytes in flight per acceptor.
    pub max_inflight_bytes: u64,
    /// Ticks without progress before a request is resent (and, for appends,
    /// before the send position rewinds to the acked `flush_lsn`); also the
    /// heartbeat interval.
    pub resend_ticks: u64,
    /// Ticks to win an election before giving up.
    pub election_timeout_ticks: u64,
}

impl ProposerConfig {
    pub fn new(id: NodeId, acceptors: Vec<NodeId>, timeline_start_lsn: Lsn) -> ProposerConfig {
        ProposerConfig {
            id,
            acceptors,
            timeline_start_lsn,
            max_append_bytes: 128 << 10,
            max_inflight_bytes: 8 << 20,
            resend_ticks: 3,
            election_timeout_ticks: 30,
        }
    }
}

/// Something for the shell to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send `request` to acceptor `to`; feed its reply to `on_reply`.
    Send { to: NodeId, request: Request },
    /// Read WAL `[start, end)` from acceptor `from`, which must still be at
    /// `term` when it serves it (`Acceptor::check_donor_read`); feed the
    /// bytes to `on_wal_read`. Retried on `tick` if unanswered.
    ReadWal {
        from: NodeId,
        start: Lsn,
        end: Lsn,
        term: Term,
    },
    /// Won the election: this term's WAL starts at `start_lsn`.
    Elected { term: Term, start_lsn: Lsn },
    /// The TermStart is committed: appends are taken from now on, and
    /// `lsn` is the first snapshot the compute may read at.
    Ready { term: Term, lsn: Lsn },
    /// A record appended with `append` is committed (durable on a majority).
    Durable { start: Lsn, end: Lsn },
}

/// Where the proposer is in its life (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Greeting,
    Voting,
    Syncing,
    Ready,
    Stopped,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Greeting => "greeting",
            Phase::Voting => "voting",
            Phase::Syncing => "syncing",
            Phase::Ready => "ready",
            Phase::Stopped => "stopped",
        }
    }
}

/// What the proposer knows about one acceptor.
#[derive(Debug, Default)]
struct Peer {
    /// Accepted this term's `Elected`.
    elected: bool,
    /// Highest flush_lsn acked in this term (valid when `elected`).
    flush: Lsn,
    /// Where the next append starts.
    next: Lsn,
    /// commit_lsn last sent.
    sent_commit: Lsn,
    /// Tick of the last progress (reply that moved `flush`) or resend.
    progress_tick: u64,
}

#[derive(Debug)]
struct PendingRead {
    from: NodeId,
    start: Lsn,
    tick: u64,
}

/// Counters for tests and metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Donor reads answered and added to the window.
    pub donor_reads: u64,
    /// Appends sent whose bytes came from a donor read (below the term start).
    pub donor_bytes_sent: u64,
}

/// The proposer state machine. See the module docs.
#[derive(Debug)]
pub struct Proposer {
    cfg: ProposerConfig,
    phase: Phase,
    error: Option<Error>,
    term: Term,
    max_term_seen: Term,
    greets: BTreeMap<NodeId, GreetReply>,
    /// Why an acceptor refused or failed a request since its last good reply (the
    /// election timeout reports them).
    refusals: BTreeMap<NodeId, String>,
    votes: BTreeMap<NodeId, VoteReply>,
    history: Vec<TermSwitch>,
    donor: NodeId,
    term_start_lsn: Lsn,
    wal: WalBuffer,
    /// This term's records not yet committed: `(start, end, from append)`.
    records: VecDeque<(Lsn, Lsn, bool)>,
    commit_lsn: Lsn,
    peers: BTreeMap<NodeId, Peer>,
    now: u64,
    phase_tick: u64,
    clock_us: TimestampUs,
    pending_read: Option<PendingRead>,
    stats: Stats,
    out: Vec<Action>,
}

impl Proposer {
    /// Starts a proposer: its first actions greet every acceptor.
    pub fn new(cfg: ProposerConfig) -> Proposer {
        assert!(!cfg.acceptors.is_empty(), "a proposer needs acceptors");
        let peers = cfg
            .acceptors
            .iter()
            .map(|&a| (a, Peer::default()))
            .collect();
        let start = cfg.timeline_start_lsn;
        let mut p = Proposer {
            cfg,
            phase: Phase::Greeting,
            error: None,
            term: 0,
            max_term_seen: 0,
            greets: BTreeMap::new(),
            refusals: BTreeMap::new(),
            votes: BTreeMap::new(),
            history: Vec::new(),
            donor: 0,
            term_start_lsn: start,
            wal: WalBuffer::new(start),
            records: VecDeque::new(),
            commit_lsn: start,
            peers,
            now: 0,
            phase_tick: 0,
            clock_us: 0,
            pending_read: None,
            stats: Stats::default(),
            out: Vec::new(),
        };
        for a in p.cfg.acceptors.clone() {
            p.send_greet(a);
        }
        p
    }

    pub fn id(&self) -> NodeId {
        self.cfg.id
    }
    pub fn phase(&self) -> Phase {
        self.phase
    }
    /// Elected, synced, taking appends.
    pub fn is_ready(&self) -> bool {
        self.phase == Phase::Ready
    }
    /// The term this proposer runs for (0 before it picked one).
    pub fn term(&self) -> Term {
        self.term
    }
    pub fn commit_lsn(&self) -> Lsn {
        self.commit_lsn
    }
    /// End of this proposer's WAL (where the next record goes).
    pub fn end_lsn(&self) -> Lsn {
        self.wal.end()
    }
    /// Where this term's WAL starts (the donor's flush_lsn).
    pub fn term_start_lsn(&self) -> Lsn {
        self.term_start_lsn
    }
    pub fn term_history(&self) -> &[TermSwitch] {
        &self.history
    }
    pub fn donor(&self) -> Option<NodeId> {
        (!self.history.is_empty()).then_some(self.donor)
    }
    /// Why the proposer stopped, if it did.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The actions produced since the last call, in order.
    pub fn take_actions(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.out)
    }

    /// A request to `from` failed or was refused (the acceptor's error, or the RPC's): kept
    /// until its next good reply, for the election timeout's message.
    pub fn on_request_failed(&mut self, from: NodeId, why: String) {
        if self.peers.contains_key(&from) && matches!(self.phase, Phase::Greeting | Phase::Voting) {
            self.refusals.insert(from, why);
        }
    }

    /// What an election that timed out was missing, for the error.
    fn election_stall(&self) -> String {
        let need = self.majority();
        let total = self.cfg.acceptors.len();
        if !self.refusals.is_empty() {
            let refused: Vec<String> = self
                .refusals
                .iter()
                .map(|(a, why)| format!("acceptor {a}: {why}"))
                .collect();
            return format!(
                "{} of {total} acceptors answered, {need} needed; {}",
                self.greets.len(),
                refused.join("; ")
            );
        }
        match self.phase {
            Phase::Greeting => format!(
                "{} of {total} acceptors answered the greeting, {need} needed (the others \
                 are unreachable or slow)",
                self.greets.len()
            ),
            _ => format!(
                "{} of {total} acceptors granted the vote for term {}, {need} needed \
                 (a competing proposer may hold a newer term)",
                self.votes.len(),
                self.term
            ),
        }
    }

    fn majority(&self) -> usize {
        self.cfg.acceptors.len() / 2 + 1
    }

    /// Appends one whole record (its frames, FIRST to LAST) and returns its
    /// `[start, end)`. Refused until the proposer is elected and synced.
    pub fn append(&mut self, wal: Bytes) -> Result<(Lsn, Lsn)> {
        self.check_ready()?;
        let start = self.wal.end();
        let frames = split_frames(start, &wal)?;
        let n = frames.len();
        if n == 0 {
            return Err(Error::InvalidRequest("an empty record".into()));
        }
        for (i, f) in frames.iter().enumerate() {
            let want = if i == 0 { FLAG_FIRST } else { 0 } | if i + 1 == n { FLAG_LAST } else { 0 };
            if f.flags != want {
                return Err(Error::InvalidRequest(format!(
                    "frame {i} of {n} of a record has flags {:#x}, expected {want:#x}",
                    f.flags
                )));
            }
        }
        Ok(self.push_record(frames, true))
    }

    /// Encodes and appends a record.
    pub fn append_record(&mut self, record: &Record) -> Result<(Lsn, Lsn)> {
        self.check_ready()?;
        self.append(encode_record(record).freeze())
    }

    fn check_ready(&self) -> Result<()> {
        match self.phase {
            Phase::Ready => Ok(()),
            Phase::Syncing => Err(Error::NotSynced { term: self.term }),
            Phase::Stopped => Err(self.error.clone().unwrap_or(Error::NotElected {
                phase: self.phase.name(),
            })),
            _ => Err(Error::NotElected {
                phase: self.phase.name(),
            }),
        }
    }

    fn push_record(&mut self, frames: Vec<RawFrame>, user: bool) -> (Lsn, Lsn) {
        let start = self.wal.end();
        self.wal.push_back(frames);
        let end = self.wal.end();
        self.records.push_back((start, end, user));
        self.pump_all();
        (start, end)
    }

    /// Advances time: resends what went unanswered, rewinds stalled streams,
    /// sends heartbeats, and gives up an election that takes too long.
    /// `clock_us` stamps the next TermStart record.
    pub fn tick(&mut self, clock_us: TimestampUs) {
        self.now += 1;
        self.clock_us = clock_us;
        let stale = |tick: u64, now: u64, n: u64| now >= tick + n;
        match self.phase {
            Phase::Stopped => {}
            Phase::Greeting | Phase::Voting => {
                if stale(self.phase_tick, self.now, self.cfg.election_timeout_ticks) {
                    let why = self.election_stall();
                    self.stop(Error::ElectionTimeout {
                        ticks: self.cfg.election_timeout_ticks,
                        why,
                    });
                    return;
                }
                for a in self.cfg.acceptors.clone() {
                    let peer = self.peers.get_mut(&a).expect("peers are fixed");
                    if !stale(peer.progress_tick, self.now, self.cfg.resend_ticks) {
                        continue;
                    }
                    if self.phase == Phase::Greeting && !self.greets.contains_key(&a) {
                        self.send_greet(a);
                    } else if self.phase == Phase::Voting && !self.votes.contains_key(&a) {
                        self.send_vote(a);
                    }
                }
            }
            Phase::Syncing | Phase::Ready => {
                for a in self.cfg.acceptors.clone() {
                    let now = self.now;
                    let peer = self.peers.get_mut(&a).expect("peers are fixed");
                    if !stale(peer.progress_tick, now, self.cfg.resend_ticks) {
                        continue;
                    }
                    peer.progress_tick = now;
                    if !peer.elected {
                        self.send_elected(a);
                    } else {
                        // Nothing acked for a while: whatever is in flight is
                        // presumed lost; resend from the acked position (or
                        // send a heartbeat if there is nothing to send).
                        peer.next = peer.flush;
                        peer.sent_commit = Lsn::INVALID;
                        self.pump(a);
                    }
                }
                if let Some(r) = &self.pending_read
                    && stale(r.tick, self.now, self.cfg.resend_ticks)
                {
                    self.pending_read = None;
                    self.pump_all();
                }
            }
        }
    }

    /// Feeds an acceptor's reply. `Err` means the proposer stopped (fenced)
    /// or the reply was malformed (it is then ignored).
    pub fn on_reply(&mut self, from: NodeId, reply: Reply) -> Result<()> {
        if self.phase == Phase::Stopped {
            return Err(self.error.clone().expect("stopped with an error"));
        }
        if !self.peers.contains_key(&from) {
            return Err(Error::InvalidRequest(format!(
                "reply from unknown acceptor {from}"
            )));
        }
        let term = reply.term();
        self.max_term_seen = self.max_term_seen.max(term);
        if self.term != 0 && term > self.term {
            let err = Error::Fenced {
                term,
                own_term: self.term,
            };
            self.stop(err.clone());
            return Err(err);
        }
        match reply {
            Reply::Greet(r) => self.on_greet(from, r),
            Reply::Vote(r) => self.on_vote(from, r),
            Reply::Elected(r) => self.on_elected(from, r),
            Reply::Append(r) => self.on_append(from, r),
        }
    }

    fn on_greet(&mut self, from: NodeId, r: GreetReply) -> Result<()> {
        if self.phase != Phase::Greeting {
            return Ok(());
        }
        if r.timeline_start_lsn != self.cfg.timeline_start_lsn {
            let why = format!(
                "acceptor {from} has the timeline starting at {}, but this proposer was \
                 started for a timeline starting at {} (a branch starts at its branch point)",
                r.timeline_start_lsn, self.cfg.timeline_start_lsn
            );
            self.refusals.insert(from, why.clone());
            return Err(Error::InvalidRequest(why));
        }
        self.refusals.remove(&from);
        self.greets.insert(from, r);
        if self.greets.len() >= self.majority() {
            self.term = self.max_term_seen + 1;
            self.phase = Phase::Voting;
            self.phase_tick = self.now;
            for a in self.cfg.acceptors.clone() {
                self.send_vote(a);
            }
        }
        Ok(())
    }

    fn on_vote(&mut self, from: NodeId, r: VoteReply) -> Result<()> {
        if self.phase != Phase::Voting || !r.granted || r.term != self.term {
            return Ok(());
        }
        history::validate(&r.term_history, self.cfg.timeline_start_lsn)?;
        if r.term_history
            .last()
            .is_some_and(|e| e.start_lsn > r.flush_lsn)
            || r.commit_lsn > r.flush_lsn
        {
            return Err(Error::InvalidRequest(format!(
                "vote from {from}: history or commit_lsn past flush_lsn {}",
                r.flush_lsn
            )));
        }
        self.votes.insert(from, r);
        if self.votes.len() >= self.majority() {
            return self.become_elected();
        }
        Ok(())
    }

    fn become_elected(&mut self) -> Result<()> {
        let (&donor, best) = self
            .votes
            .iter()
            .max_by_key(|(id, v)| (history::last_term(&v.term_history), v.flush_lsn, **id))
            .expect("a majority of votes");
        let known_commit = self.votes.values().map(|v| v.commit_lsn).max();
        let known_commit = known_commit.unwrap_or(self.cfg.timeline_start_lsn);
        if known_commit > best.flush_lsn {
            let err = Error::Invariant(format!(
                "a voter's commit_lsn {known_commit} is past the donor's flush_lsn {}",
                best.flush_lsn
            ));
            self.stop(err.clone());
            return Err(err);
        }
        self.donor = donor;
        self.term_start_lsn = best.flush_lsn;
        self.history = best.term_history.clone();
        self.history.push(TermSwitch {
            term: self.term,
            start_lsn: best.flush_lsn,
        });
        self.commit_lsn = known_commit.max(self.cfg.timeline_start_lsn);
        self.wal = WalBuffer::new(self.term_start_lsn);
        self.phase = Phase::Syncing;
        self.phase_tick = self.now;
        self.out.push(Action::Elected {
            term: self.term,
            start_lsn: self.term_start_lsn,
        });
        for a in self.cfg.acceptors.clone() {
            self.send_elected(a);
        }
        let record = Record {
            kind: RecordKind::TermStart { term: self.term },
            timestamp_us: self.clock_us,
            flags: 0,
            page_changes: Vec::new(),
        };
        let bytes = encode_record(&record).freeze();
        let frames = split_frames(self.term_start_lsn, &bytes).expect("encode_record makes frames");
        self.push_record(frames, false);
        Ok(())
    }

    fn on_elected(&mut self, from: NodeId, r: ElectedReply) -> Result<()> {
        if !matches!(self.phase, Phase::Syncing | Phase::Ready) || r.term != self.term {
            return Ok(());
        }
        if !r.accepted {
            return Ok(());
        }
        if r.flush_lsn > self.wal.end() {
            return Err(Error::Invariant(format!(
                "acceptor {from} holds WAL up to {} in term {}, past this proposer's end {}",
                r.flush_lsn,
                self.term,
                self.wal.end()
            )));
        }
        let now = self.now;
        let peer = self.peers.get_mut(&from).expect("checked in on_reply");
        if !peer.elected {
            peer.elected = true;
            peer.flush = r.flush_lsn;
            peer.next = r.flush_lsn;
            peer.sent_commit = Lsn::INVALID;
        }
        peer.progress_tick = now;
        self.advance_commit();
        self.pump(from);
        Ok(())
    }

    fn on_append(&mut self, from: NodeId, r: AppendReply) -> Result<()> {
        if !matches!(self.phase, Phase::Syncing | Phase::Ready) {
            return Ok(());
        }
        let now = self.now;
        let peer = self.peers.get_mut(&from).expect("checked in on_reply");
        if !r.accepted || r.term != self.term {
            // The acceptor has not taken this term's Elected (reordered, or
            // it restarted before persisting it): start over with it.
            if peer.elected {
                peer.elected = false;
                self.send_elected(from);
            }
            return Ok(());
        }
        if !peer.elected {
            return Ok(());
        }
        if r.flush_lsn > self.wal.end() {
            return Err(Error::Invariant(format!(
                "acceptor {from} acked {} in term {}, past this proposer's end {}",
                r.flush_lsn,
                self.term,
                self.wal.end()
            )));
        }
        if r.flush_lsn > peer.flush {
            peer.flush = r.flush_lsn;
            peer.progress_tick = now;
        }
        peer.next = peer.next.max(peer.flush);
        self.advance_commit();
        self.pump_all();
        Ok(())
    }

    /// Feeds WAL read from a donor (`[start, start + len)`), answering
    /// [`Action::ReadWal`]. Bytes that no longer fit the window are ignored.
    pub fn on_wal_read(&mut self, from: NodeId, start: Lsn, wal: Bytes) -> Result<()> {
        if !matches!(self.phase, Phase::Syncing | Phase::Ready) {
            return Ok(());
        }
        let Some(pending) = &self.pending_read else {
            return Ok(());
        };
        if pending.from != from || pending.start != start {
            return Ok(());
        }
        self.pending_read = None;
        let end = start + wal.len() as u64;
        if end != self.wal.base() {
            return Ok(());
        }
        let frames = split_frames(start, &wal)?;
        self.wal.push_front(frames)?;
        self.stats.donor_reads += 1;
        self.pump_all();
        Ok(())
    }

    fn stop(&mut self, err: Error) {
        self.phase = Phase::Stopped;
        self.error = Some(err);
    }

    fn send(&mut self, to: NodeId, request: Request) {
        self.out.push(Action::Send { to, request });
    }

    fn send_greet(&mut self, to: NodeId) {
        let now = self.now;
        self.peers
            .get_mut(&to)
            .expect("peers are fixed")
            .progress_tick = now;
        let request = Request::Greet(Greet {
            proposer_id: self.cfg.id,
            timeline_start_lsn: self.cfg.timeline_start_lsn,
        });
        self.send(to, request);
    }

    fn send_vote(&mut self, to: NodeId) {
        let now = self.now;
        self.peers
            .get_mut(&to)
            .expect("peers are fixed")
            .progress_tick = now;
        let request = Request::Vote(VoteRequest {
            term: self.term,
            proposer_id: self.cfg.id,
        });
        self.send(to, request);
    }

    fn send_elected(&mut self, to: NodeId) {
        let now = self.now;
        self.peers
            .get_mut(&to)
            .expect("peers are fixed")
            .progress_tick = now;
        let request = Request::Elected(Elected {
            term: self.term,
            term_history: self.history.clone(),
            commit_lsn: self.commit_lsn,
        });
        self.send(to, request);
    }

    /// commit_lsn = the end of the highest record of this term flushed on a
    /// majority of acceptors that accepted this term.
    fn advance_commit(&mut self) {
        let mut flushes: Vec<Lsn> = self
            .peers
            .values()
            .map(|p| if p.elected { p.flush } else { Lsn::INVALID })
            .collect();
        flushes.sort_unstable_by(|a, b| b.cmp(a));
        let quorum_flush = flushes[self.majority() - 1];
        let mut advanced = false;
        while let Some(&(start, end, user)) = self.records.front() {
            if end > quorum_flush {
                break;
            }
            self.records.pop_front();
            self.commit_lsn = end;
            advanced = true;
            if user {
                self.out.push(Action::Durable { start, end });
            }
        }
        if !advanced {
            return;
        }
        if self.phase == Phase::Syncing {
            self.phase = Phase::Ready;
            self.out.push(Action::Ready {
                term: self.term,
                lsn: self.commit_lsn,
            });
        }
        // Keep only what an acceptor that accepted this term may still need;
        // anyone further behind is served by a donor read.
        let min_flush = self
            .peers
            .values()
            .filter(|p| p.elected)
            .map(|p| p.flush)
            .min()
            .unwrap_or(self.commit_lsn);
        self.wal.trim_below(min_flush.min(self.commit_lsn));
        self.pump_all();
    }

    fn pump_all(&mut self) {
        for a in self.cfg.acceptors.clone() {
            self.pump(a);
        }
    }

    /// Sends `a` what it is missing, within the in-flight budget, or a
    /// heartbeat if only `commit_lsn` changed.
    fn pump(&mut self, a: NodeId) {
        let peer = self.peers.get(&a).expect("peers are fixed");
        if !peer.elected {
            return;
        }
        let mut next = peer.next;
        let flush = peer.flush;
        let mut sent = false;
        while next < self.wal.end() && next.distance_from(flush) < self.cfg.max_inflight_bytes {
            if next < self.wal.base() {
                self.request_read(next);
                break;
            }
            let Some(wal) = self.wal.chunk(next, self.cfg.max_append_bytes) else {
                // An acceptor of this term holds a prefix of our WAL, so its
                // position is always one of our frame boundaries.
                self.stop(Error::Invariant(format!(
                    "acceptor {a} is at {next}, not a frame boundary of this proposer's WAL"
                )));
                return;
            };
            if next < self.term_start_lsn {
                self.stats.donor_bytes_sent += wal.len() as u64;
            }
            let len = wal.len() as u64;
            self.send_append(a, next, wal);
            next = next + len;
            sent = true;
        }
        let peer = self.peers.get_mut(&a).expect("peers are fixed");
        peer.next = next;
        if !sent && peer.sent_commit != self.commit_lsn {
            self.send_append(a, next, Bytes::new());
        }
    }

    fn send_append(&mut self, to: NodeId, begin_lsn: Lsn, wal: Bytes) {
        let peer = self.peers.get_mut(&to).expect("peers are fixed");
        peer.sent_commit = self.commit_lsn;
        let request = Request::Append(Append {
            term: self.term,
            begin_lsn,
            wal,
            commit_lsn: self.commit_lsn,
            truncate_lsn: self.wal.base(),
        });
        self.send(to, request);
    }

    /// Asks a source for the WAL from `start` up to the window's base: the
    /// donor, or any acceptor of this term that holds it.
    fn request_read(&mut self, start: Lsn) {
        let end = self.wal.base();
        if let Some(p) = &self.pending_read
            && p.start <= start
        {
            return;
        }
        let holds = |id: &NodeId, p: &Peer| p.elected && p.flush >= end && *id != self.donor;
        let donor_ok = end <= self.term_start_lsn
            || self
                .peers
                .get(&self.donor)
                .is_some_and(|p| p.elected && p.flush >= end);
        let others: Vec<NodeId> = self
            .peers
            .iter()
            .filter(|(id, p)| holds(id, p))
            .map(|(id, _)| *id)
            .collect();
        let from = if donor_ok && (others.is_empty() || self.now.is_multiple_of(2)) {
            self.donor
        } else if let Some(&o) = others.get((self.now as usize) % others.len().max(1)) {
            o
        } else {
            return;
        };
        self.pending_read = Some(PendingRead {
            from,
            start,
            tick: self.now,
        });
        self.out.push(Action::ReadWal {
            from,
            start,
            end,
            term: self.term,
        });
    }
}

#[cfg(test)]
mod tests;
