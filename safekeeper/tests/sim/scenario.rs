//! Scripted scenarios in the simulated world: no random schedule, every
//! step chosen to put the cluster in one state that the random runs reach
//! only rarely, over the same real code (server timelines on the simulated
//! disk, the maintenance rules, peer recovery, the committed read).
//!
//! **A lagging peer with an old term's uncommitted tail.** Safekeeper 3
//! took term 1's WAL past the point where term 1 committed (`c1`) and then
//! missed term 2, which safekeepers 1 and 2 committed up to `c2`, several
//! segments further. It still answers its peers: its `flush_lsn` is past
//! `c1`, but its WAL agrees with theirs only up to `c1`; the next `Elected`
//! it accepts cuts it there. Safekeepers 1 and 2 offload and trim
//! meanwhile. Then safekeeper 3 must be truncated to exactly `c1` and catch
//! up with the committed WAL, by the next proposer's donor read (local WAL
//! only) or by peer recovery (local WAL, else the offloaded segments), with
//! nothing committed lost and nothing of its old tail left.

use bytes::{Bytes, BytesMut};
use proto::frame::encode_record;
use proto::grpc::TermSwitch;
use proto::record::Term;
use proto::{Lsn, Record, RecordKind};
use safekeeper::messages::{Append, Elected, Reply, Request, VoteRequest};
use safekeeper::server::offload::trim;
use safekeeper::server::pageserver_calls::take_feedback;

use crate::START;
use crate::checker::off;
use crate::node::SEGMENT_SIZE;
use crate::world::World;

type Check = Result<(), String>;

/// Safekeeper 3 (index 2) is the lagging one.
const LAGGING: usize = 2;

fn history(entries: &[(Term, Lsn)]) -> Vec<TermSwitch> {
    entries
        .iter()
        .map(|&(term, start_lsn)| TermSwitch { term, start_lsn })
        .collect()
}

fn term_start(term: Term) -> Bytes {
    let record = Record {
        kind: RecordKind::TermStart { term },
        timestamp_us: 0,
        flags: 0,
        page_changes: Vec::new(),
    };
    encode_record(&record).freeze()
}

/// The state after the setup: the committed WAL so far and its landmarks.
struct Lagging {
    w: World,
    /// Where term 1 committed and safekeeper 3's tail begins.
    c1: Lsn,
    /// Where term 2 committed on safekeepers 1 and 2.
    c2: Lsn,
    /// Committed WAL `[START, c2)`.
    committed: Vec<u8>,
    /// Safekeeper 3's uncommitted term-1 tail `[c1, ..)`.
    tail: Bytes,
}

impl Lagging {
    fn step(&mut self, i: usize, request: Request) -> Result<Reply, String> {
        self.w
            .local(i, request)?
            .ok_or_else(|| format!("safekeeper {} failed a scripted step", i + 1))
    }

    fn vote(&mut self, i: usize, term: Term, proposer_id: u64) -> Check {
        match self.step(i, Request::Vote(VoteRequest { term, proposer_id }))? {
            Reply::Vote(r) if r.granted => Ok(()),
            other => Err(format!("vote for term {term}: {other:?}")),
        }
    }

    /// `Elected`; the acceptor's `flush_lsn` after its truncation.
    fn elected(
        &mut self,
        i: usize,
        term: Term,
        h: Vec<TermSwitch>,
        commit: Lsn,
    ) -> Result<Lsn, String> {
        let m = Elected {
            term,
            term_history: h,
            commit_lsn: commit,
        };
        match self.step(i, Request::Elected(m))? {
            Reply::Elected(r) if r.accepted => Ok(r.flush_lsn),
            other => Err(format!("Elected of term {term}: {other:?}")),
        }
    }

    fn append(&mut self, i: usize, term: Term, begin: Lsn, wal: Bytes, commit: Lsn) -> Check {
        let end = begin + wal.len() as u64;
        let m = Append {
            term,
            begin_lsn: begin,
            wal,
            commit_lsn: commit,
            truncate_lsn: Lsn::INVALID,
        };
        match self.step(i, Request::Append(m))? {
            Reply::Append(r) if r.accepted && r.flush_lsn >= end => Ok(()),
            other => Err(format!("append of term {term} at {begin}: {other:?}")),
        }
    }

    /// Client records filling at least `segments` segments.
    /// (Term `term`'s writer's records, starting at `start`.)
    fn records(&mut self, term: Term, start: Lsn, segments: u64) -> Bytes {
        let mut writer = crate::workload::Writer::new(term as u32);
        let mut out = BytesMut::new();
        while (out.len() as u64) < segments * SEGMENT_SIZE {
            let ts = out.len() as i64;
            let at = start + out.len() as u64;
            let w = writer.record(&mut self.w.rng, ts, 1200, at);
            out.extend_from_slice(&w.wal);
        }
        out.freeze()
    }

    fn new(seed: u64) -> Result<Lagging, String> {
        let mut s = Lagging {
            w: World::scripted(seed),
            c1: START,
            c2: START,
            committed: Vec::new(),
            tail: Bytes::new(),
        };
        // Term 1 (proposer 100) on all three: committed up to c1.
        let h1 = history(&[(1, START)]);
        let mut wal1 = BytesMut::from(&term_start(1)[..]);
        let at = START + wal1.len() as u64;
        wal1.extend_from_slice(&s.records(1, at, 3));
        let wal1 = wal1.freeze();
        let c1 = START + wal1.len() as u64;
        for i in 0..3 {
            s.vote(i, 1, 100)?;
            s.elected(i, 1, h1.clone(), START)?;
            s.append(i, 1, START, wal1.clone(), c1)?;
        }
        // Term 1's last records reach safekeeper 3 only: never committed.
        let tail = s.records(1, c1, 3);
        s.append(LAGGING, 1, c1, tail.clone(), c1)?;
        // Term 2 (proposer 200) elected by safekeepers 1 and 2, committing
        // several segments past safekeeper 3's tail.
        let h2 = history(&[(1, START), (2, c1)]);
        let mut wal2 = BytesMut::from(&term_start(2)[..]);
        let at = c1 + wal2.len() as u64;
        wal2.extend_from_slice(&s.records(2, at, 8));
        let wal2 = wal2.freeze();
        let c2 = c1 + wal2.len() as u64;
        for i in 0..2 {
            s.vote(i, 2, 200)?;
            s.elected(i, 2, h2.clone(), c1)?;
            s.append(i, 2, c1, wal2.clone(), c2)?;
        }
        s.w.check()?;
        // The pageserver ingested everything and reports it.
        for i in 0..2 {
            let tl = s.w.acceptors[i].tl.clone().ok_or("no timeline")?;
            tl.with_core_blocking(move |tl, core| {
                tl.update_pageserver(core, false, |ps| take_feedback(ps, 1, c2))
            })
            .map_err(|e| format!("feedback: {e}"))?;
        }
        s.c1 = c1;
        s.c2 = c2;
        s.committed = [&wal1[..], &wal2[..]].concat();
        s.tail = tail;
        Ok(s)
    }

    /// Maintenance rounds on every safekeeper: poll peers, offload, trim.
    fn maintain(&mut self) -> Check {
        for _ in 0..3 {
            for i in 0..3 {
                self.w.maintain(i)?;
            }
        }
        if self.w.store.objects.is_empty() || self.w.counts.trims == 0 {
            return Err(format!(
                "the setup offloaded {} segments and trimmed {} times: the scenario is vacuous",
                self.w.store.objects.len(),
                self.w.counts.trims
            ));
        }
        Ok(())
    }

    fn wal_start(&self, i: usize) -> Lsn {
        self.w.acceptors[i]
            .tl
            .as_ref()
            .map_or(START, |t| t.snapshot().wal_start)
    }

    /// Safekeeper `i` holds exactly the committed WAL `[START, end)` (read
    /// from its local start, the rest through the committed read, which
    /// falls back to the offloaded segments), and nothing past `end`.
    fn holds_exactly(&mut self, i: usize, expected: &[u8]) -> Check {
        let tl = self.w.acceptors[i].tl.as_ref().ok_or("no timeline")?;
        let s = tl.snapshot().state;
        let end = START + expected.len() as u64;
        if s.flush_lsn != end || s.commit_lsn != end {
            return Err(format!(
                "safekeeper {} ends at flush {} / commit {}, expected {end}",
                i + 1,
                s.flush_lsn,
                s.commit_lsn
            ));
        }
        let read =
            self.w
                .committed_read(i, START, end, &format!("safekeeper {}'s check", i + 1))?;
        if read[..] != expected[..] {
            return Err(format!(
                "safekeeper {} holds WAL that is not the committed WAL",
                i + 1
            ));
        }
        if read
            .windows(self.tail.len().min(64))
            .any(|w| self.tail.starts_with(w))
        {
            return Err(format!(
                "safekeeper {}'s uncommitted term-1 tail was resurrected",
                i + 1
            ));
        }
        Ok(())
    }
}

/// The next proposer (term 3) is elected by safekeepers 1 and 3; its donor
/// is safekeeper 1. `Elected` must cut safekeeper 3 at `c1`, and the
/// proposer's donor read of `[c1, c2)` — local WAL only, under the donor's
/// lock — must find it: the peers may not have trimmed past the point where
/// safekeeper 3's WAL stops agreeing with theirs, whatever its `flush_lsn`.
/// (Before the peer horizon took the term histories into account it was
/// safekeeper 3's `flush_lsn`, the others trimmed past `c1`, and safekeeper
/// 3 could never be caught up by a proposer.)
#[test]
fn a_lagging_peer_with_an_old_term_tail_is_caught_up_by_the_next_proposer() {
    for seed in 0..8 {
        if let Err(e) = next_proposer_catches_up(seed) {
            panic!("seed {seed}: {e}");
        }
    }
}

fn next_proposer_catches_up(seed: u64) -> Check {
    let mut s = Lagging::new(seed)?;
    let (c1, c2) = (s.c1, s.c2);
    s.maintain()?;
    // Term 3 (proposer 100 again): votes from 1 and 3; the donor is 1
    // (last term 2), the history the donor's plus term 3 at its flush.
    let h3 = history(&[(1, START), (2, c1), (3, c2)]);
    for i in [0, LAGGING] {
        s.vote(i, 3, 100)?;
    }
    let cut = s.elected(LAGGING, 3, h3.clone(), c1)?;
    if cut != c1 {
        return Err(format!(
            "Elected cut safekeeper 3 at {cut}, not where its WAL diverges ({c1})"
        ));
    }
    if s.elected(0, 3, h3, c1)? != c2 {
        return Err("the donor lost WAL".into());
    }
    let Some(wal) = s.w.acceptors[0].donor_read(3, c1, c2) else {
        return Err(format!(
            "the proposer cannot catch safekeeper 3 up: its donor read [{c1}, {c2}) fails on \
             safekeeper 1, whose WAL now starts at {} (peer horizon {})",
            s.wal_start(0),
            s.w.acceptors[0]
                .tl
                .as_ref()
                .map_or(START, |t| t.snapshot().state.peer_horizon_lsn)
        ));
    };
    if wal[..] != s.committed[off(c1)..] {
        return Err("the donor read is not the committed WAL".into());
    }
    s.append(LAGGING, 3, c1, Bytes::from(wal), c1)?;
    // The term's TermStart, committed by 1 and 3.
    let ts = term_start(3);
    let c3 = c2 + ts.len() as u64;
    for i in [0, LAGGING] {
        s.append(i, 3, c2, ts.clone(), c3)?;
    }
    s.w.check()?;
    let expected = [&s.committed[..], &ts[..]].concat();
    s.holds_exactly(LAGGING, &expected)?;
    s.holds_exactly(0, &expected)
}

/// Safekeeper 3 recovers by itself (`peer_recovery`, no proposer active):
/// it adopts a peer's history (cut at `c1`) and pulls `[c1, c2)` through
/// the committed read. Its peers' WAL here starts past `c1`: a release that
/// took the peer horizon from `flush_lsn` trimmed by it before the upgrade
/// (the current one never does, see the next test); so the pieces below
/// their local start come from the offloaded segments.
#[test]
fn a_lagging_peer_with_an_old_term_tail_recovers_from_the_offloaded_segments() {
    let mut objects = 0;
    for seed in 0..8 {
        match peer_recovery_catches_up(seed) {
            Ok(n) => objects += n,
            Err(e) => panic!("seed {seed}: {e}"),
        }
    }
    assert!(objects > 0, "no recovery read an offloaded segment");
}

/// Pieces read from offloaded segments (a stream's snapshot from before
/// the donor's trim still reads its kept segment locally).
fn peer_recovery_catches_up(seed: u64) -> Result<u64, String> {
    let mut s = Lagging::new(seed)?;
    let c1 = s.c1;
    let old_horizon = s.w.acceptors[LAGGING]
        .tl
        .as_ref()
        .map_or(START, |t| t.snapshot().state.flush_lsn);
    for i in 0..2 {
        let tl = s.w.acceptors[i].tl.clone().ok_or("no timeline")?;
        tl.with_core_blocking(move |_, core| {
            core.acceptor.advance_peer_horizon_lsn(old_horizon);
            Ok(())
        })
        .map_err(|e| format!("horizon: {e}"))?;
    }
    s.maintain()?;
    // What the older release did with that horizon: trim past `c1`, here
    // up to `backup_lsn` (a frame boundary).
    for i in 0..2 {
        let tl = s.w.acceptors[i].tl.clone().ok_or("no timeline")?;
        let at = tl.snapshot().state.backup_lsn;
        tl.with_core_blocking(move |tl, core| trim(tl, core, at))
            .map_err(|e| format!("trim: {e}"))?;
    }
    if s.wal_start(0) <= c1 || s.wal_start(1) <= c1 {
        return Err(format!(
            "a peer did not trim past {c1} (WAL starts at {} and {}): the scenario is vacuous",
            s.wal_start(0),
            s.wal_start(1)
        ));
    }
    let (before, objects) = (s.w.counts.peer_recoveries, s.w.counts.object_reads);
    s.w.peer_recover(LAGGING)?;
    if s.w.counts.peer_recoveries != before + 1 {
        return Err("safekeeper 3 did not recover from a peer".into());
    }
    let tl = s.w.acceptors[LAGGING].tl.as_ref().ok_or("no timeline")?;
    let h = tl.snapshot().state.term_history;
    if h != history(&[(1, START), (2, c1)]) {
        return Err(format!(
            "safekeeper 3 did not adopt its donor's history: {h:?}"
        ));
    }
    s.w.check()?;
    let objects = s.w.counts.object_reads - objects;
    let expected = s.committed.clone();
    s.holds_exactly(LAGGING, &expected)?;
    Ok(objects)
}

/// Safekeepers 1 and 2 saved a peer horizon computed by the release that
/// took the lowest `flush_lsn` (safekeeper 3's, the end of its term-1
/// tail, past `c1` where its WAL stops being theirs), and restart on the
/// new release (an upgrade). Their maintenance must never trim past `c1`:
/// a loaded horizon is not trusted until the node computed one itself, and
/// the first one it computes replaces it (`offload::Offload::trim_point`).
/// (Before: the loaded horizon let the first rounds trim past `c1`.)
#[test]
fn a_horizon_saved_by_an_older_release_never_lets_a_trim_pass_the_divergence() {
    for seed in 0..8 {
        if let Err(e) = old_horizon_after_upgrade(seed) {
            panic!("seed {seed}: {e}");
        }
    }
}

fn old_horizon_after_upgrade(seed: u64) -> Check {
    let mut s = Lagging::new(seed)?;
    let c1 = s.c1;
    let old_horizon = s.w.acceptors[LAGGING]
        .tl
        .as_ref()
        .map_or(START, |t| t.snapshot().state.flush_lsn);
    if old_horizon <= c1 {
        return Err("safekeeper 3 holds no tail past c1: the scenario is vacuous".into());
    }
    for i in 0..2 {
        let tl = s.w.acceptors[i].tl.clone().ok_or("no timeline")?;
        tl.with_core_blocking(move |tl, core| {
            core.acceptor.advance_peer_horizon_lsn(old_horizon);
            tl.persist_if_dirty(core)
        })
        .map_err(|e| format!("horizon: {e}"))?;
        // The upgrade: a clean restart from the disk.
        let node = &mut s.w.acceptors[i];
        node.crash(&mut s.w.rng, false, true);
        node.restart(&mut s.w.rng, None)?;
        let saved = node
            .tl
            .as_ref()
            .map_or(START, |t| t.snapshot().state.peer_horizon_lsn);
        if saved != old_horizon {
            return Err(format!(
                "safekeeper {} restarted with peer horizon {saved}, not the saved {old_horizon}",
                i + 1
            ));
        }
        let id = s.w.acceptors[i].id;
        s.w.checker.forget_above(id, 0);
    }
    s.maintain()?;
    for i in 0..2 {
        if s.wal_start(i) > c1 {
            return Err(format!(
                "safekeeper {} trimmed its WAL up to {} by the saved horizon {old_horizon}, past \
                 {c1} where safekeeper 3's WAL stops being its own",
                i + 1,
                s.wal_start(i)
            ));
        }
    }
    s.w.check()
}
