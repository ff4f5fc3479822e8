//! Unit tests of the proposer's rules, driven against real acceptor cores
//! through a tiny in-memory harness (no faults beyond "this acceptor is
//! unreachable" and "hold these messages").

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use proto::frame::encode_record;
use proto::{Lsn, Record};

use super::*;
use crate::acceptor::{self, Acceptor};

const START: Lsn = Lsn(0x1000);

struct Node {
    core: Acceptor,
    wal: Vec<u8>,
}

impl Node {
    fn apply(&mut self, actions: Vec<acceptor::Action>) {
        for a in actions {
            match a {
                acceptor::Action::TruncateWal { at } => {
                    self.wal.truncate(at.distance_from(START) as usize)
                }
                acceptor::Action::WriteWal { at, bytes } => {
                    assert_eq!(at.distance_from(START) as usize, self.wal.len());
                    self.wal.extend_from_slice(&bytes);
                }
                acceptor::Action::FlushWal { .. } | acceptor::Action::PersistControl(_) => {}
            }
        }
    }
}

/// Three acceptors (ids 1, 2, 3) and a perfect network, except that
/// acceptors in `down` neither receive nor answer.
struct Harness {
    nodes: BTreeMap<NodeId, Node>,
    down: BTreeSet<NodeId>,
    events: Vec<Action>,
}

impl Harness {
    fn new() -> Harness {
        let nodes = (1..=3)
            .map(|id| {
                let core = Acceptor::create(id, START).0;
                (
                    id,
                    Node {
                        core,
                        wal: Vec::new(),
                    },
                )
            })
            .collect();
        Harness {
            nodes,
            down: BTreeSet::new(),
            events: Vec::new(),
        }
    }

    fn proposer(&self, id: NodeId) -> Proposer {
        let mut cfg = ProposerConfig::new(id, vec![1, 2, 3], START);
        cfg.max_append_bytes = 1;
        Proposer::new(cfg)
    }

    /// Runs actions until nothing is left; returns requests it could not
    /// deliver when `hold` says so.
    fn run(&mut self, p: &mut Proposer) {
        self.run_holding(p, |_, _| false);
    }

    fn run_holding(&mut self, p: &mut Proposer, hold: impl Fn(NodeId, &Request) -> bool) {
        loop {
            let actions = p.take_actions();
            if actions.is_empty() {
                return;
            }
            for action in actions {
                match action {
                    Action::Send { to, request } => {
                        if self.down.contains(&to) || hold(to, &request) {
                            continue;
                        }
                        let node = self.nodes.get_mut(&to).unwrap();
                        match node.core.step(request) {
                            Ok(out) => {
                                node.apply(out.actions);
                                let _ = p.on_reply(to, out.reply);
                            }
                            // A real safekeeper answers with an error status.
                            Err(e) => p.on_request_failed(to, e.to_string()),
                        }
                    }
                    Action::ReadWal {
                        from,
                        start,
                        end,
                        term,
                    } => {
                        if self.down.contains(&from) {
                            continue;
                        }
                        let node = &self.nodes[&from];
                        node.core
                            .check_donor_read(term, start, end)
                            .expect("donor read");
                        let (s, e) = (start.distance_from(START), end.distance_from(START));
                        let bytes = Bytes::copy_from_slice(&node.wal[s as usize..e as usize]);
                        p.on_wal_read(from, start, bytes).expect("wal read");
                    }
                    other => self.events.push(other),
                }
            }
        }
    }

    fn wal(&self, id: NodeId) -> &[u8] {
        &self.nodes[&id].wal
    }
}

fn rec(ts: i64) -> Bytes {
    encode_record(&Record::commit(ts, Vec::new())).freeze()
}

/// A ready proposer `id` on the harness.
fn ready(h: &mut Harness, id: NodeId) -> Proposer {
    let mut p = h.proposer(id);
    h.run(&mut p);
    assert_eq!(p.phase(), Phase::Ready, "{:?}", p.error());
    p
}

#[test]
fn appends_are_refused_until_elected_and_synced() {
    let mut h = Harness::new();
    let mut p = h.proposer(100);
    assert!(matches!(p.append(rec(1)), Err(Error::NotElected { .. })));
    // Elected, but no acceptor has acked the TermStart yet.
    h.run_holding(&mut p, |_, r| matches!(r, Request::Append(_)));
    assert_eq!(p.phase(), Phase::Syncing);
    assert!(matches!(
        p.append(rec(1)),
        Err(Error::NotSynced { term: 1 })
    ));
    for _ in 0..3 {
        p.tick(0);
    }
    h.run(&mut p);
    assert_eq!(p.phase(), Phase::Ready);
    assert!(p.append(rec(1)).is_ok());
}

#[test]
fn the_first_record_of_a_term_is_its_term_start() {
    let mut h = Harness::new();
    let p = ready(&mut h, 100);
    let mut dec = proto::WalDecoder::new(START);
    dec.push(h.wal(1));
    let first = dec.next_record().unwrap().unwrap();
    assert_eq!(first.record.kind, RecordKind::TermStart { term: 1 });
    assert_eq!((first.start, first.end), (START, p.commit_lsn()));
    assert!(h.events.contains(&Action::Ready {
        term: 1,
        lsn: p.commit_lsn()
    }));
}

#[test]
fn a_new_proposer_takes_the_highest_term_plus_one() {
    let mut h = Harness::new();
    let p1 = ready(&mut h, 100);
    let p2 = ready(&mut h, 200);
    assert_eq!((p1.term(), p2.term()), (1, 2));
    assert_eq!(
        p2.term_history(),
        &[
            TermSwitch {
                term: 1,
                start_lsn: START
            },
            TermSwitch {
                term: 2,
                start_lsn: p1.end_lsn()
            }
        ]
    );
}

#[test]
fn appended_records_become_durable_and_commit_is_sent_when_idle() {
    let mut h = Harness::new();
    let mut p = ready(&mut h, 100);
    let (start, end) = p.append(rec(7)).unwrap();
    h.run(&mut p);
    assert!(h.events.contains(&Action::Durable { start, end }));
    assert_eq!(p.commit_lsn(), end);
    // The acceptors learned the new commit_lsn from a heartbeat.
    for id in 1..=3 {
        assert_eq!(h.nodes[&id].core.commit_lsn(), end);
    }
    // A record is whole frames, FIRST through LAST.
    assert!(p.append(rec(1).slice(..5)).is_err());
    let mut two = rec(1).to_vec();
    two.extend_from_slice(&rec(2));
    assert!(p.append(Bytes::from(two)).is_err(), "two records");
}

#[test]
fn commit_needs_a_majority() {
    let mut h = Harness::new();
    let mut p = ready(&mut h, 100);
    h.down.extend([2, 3]);
    let (_, end) = p.append(rec(1)).unwrap();
    h.run(&mut p);
    assert!(p.commit_lsn() < end);
    h.down.remove(&3);
    for _ in 0..4 {
        p.tick(0);
        h.run(&mut p);
    }
    assert_eq!(p.commit_lsn(), end);
}

#[test]
fn a_lagging_acceptor_is_synced_from_the_donor() {
    let mut h = Harness::new();
    h.down.insert(3);
    let mut p1 = ready(&mut h, 100);
    for i in 0..3 {
        p1.append(rec(i)).unwrap();
    }
    h.run(&mut p1);
    h.down.clear();
    let mut p2 = ready(&mut h, 200);
    assert!(p2.stats().donor_reads > 0);
    assert!(p2.stats().donor_bytes_sent > 0);
    p2.append(rec(9)).unwrap();
    h.run(&mut p2);
    assert_eq!(h.wal(3), h.wal(1));
    assert_eq!(h.wal(2), h.wal(1));
}

#[test]
fn a_minority_tail_is_truncated_by_the_next_term() {
    let mut h = Harness::new();
    let mut p1 = ready(&mut h, 100);
    let committed = p1.commit_lsn();
    // This record reaches acceptor 1 only.
    h.down.extend([2, 3]);
    p1.append(rec(1)).unwrap();
    h.run(&mut p1);
    assert!(h.wal(1).len() > h.wal(2).len());
    // Term 2 is elected by 2 and 3, which never saw it.
    h.down = BTreeSet::from([1]);
    let mut p2 = ready(&mut h, 200);
    assert_eq!(p2.term_start_lsn(), committed);
    p2.append(rec(2)).unwrap();
    h.run(&mut p2);
    // Acceptor 1 comes back: its tail is cut and replaced by term 2's WAL.
    h.down.clear();
    p2.tick(0);
    p2.tick(0);
    p2.tick(0);
    h.run(&mut p2);
    assert_eq!(h.wal(1), h.wal(2));
    assert_eq!(h.wal(1), h.wal(3));
}

#[test]
fn an_earlier_terms_entry_is_committed_only_with_the_new_term_start() {
    let mut h = Harness::new();
    let mut p1 = ready(&mut h, 100);
    // Record R reaches acceptor 1 only: not committed in term 1.
    h.down.extend([2, 3]);
    let (_, r_end) = p1.append(rec(1)).unwrap();
    h.run(&mut p1);
    assert!(p1.commit_lsn() < r_end);
    // Term 2, elected by 1 and 2: 1 is the donor and has R. Deliver only
    // the donor WAL (R) to 2, holding the TermStart: R is now on a majority
    // but must not count as committed by itself.
    h.down = BTreeSet::from([3]);
    let mut p2 = h.proposer(200);
    h.run_holding(&mut p2, |to, r| {
        matches!(r, Request::Append(a) if to == 2 && a.begin_lsn >= r_end && !a.wal.is_empty())
    });
    assert_eq!(p2.term_start_lsn(), r_end, "the donor had R");
    assert_eq!(
        h.wal(2).len(),
        h.wal(1).len() - (p2.end_lsn().0 - r_end.0) as usize
    );
    assert!(
        p2.commit_lsn() < r_end,
        "R is not committed by a majority of flushes alone"
    );
    assert_eq!(p2.phase(), Phase::Syncing);
    // Once the TermStart is on a majority, everything up to its end is.
    for _ in 0..3 {
        p2.tick(0);
    }
    h.run(&mut p2);
    assert_eq!(p2.commit_lsn(), p2.end_lsn());
    assert!(p2.commit_lsn() > r_end);
}

#[test]
fn a_higher_term_fences_the_proposer() {
    let mut h = Harness::new();
    let mut p1 = ready(&mut h, 100);
    let mut p2 = ready(&mut h, 200);
    p1.append(rec(1)).unwrap();
    h.run(&mut p1);
    assert_eq!(p1.phase(), Phase::Stopped);
    assert!(matches!(
        p1.error(),
        Some(Error::Fenced {
            term: 2,
            own_term: 1
        })
    ));
    assert!(matches!(p1.append(rec(2)), Err(Error::Fenced { .. })));
    // Term 2 is unaffected.
    let (_, end) = p2.append(rec(3)).unwrap();
    h.run(&mut p2);
    assert_eq!(p2.commit_lsn(), end);
}

#[test]
fn an_election_without_a_majority_times_out() {
    let mut h = Harness::new();
    h.down.extend([2, 3]);
    let mut p = h.proposer(100);
    for _ in 0..40 {
        p.tick(0);
        h.run(&mut p);
    }
    assert_eq!(p.phase(), Phase::Stopped);
    let Some(Error::ElectionTimeout { why, .. }) = p.error() else {
        panic!("expected an election timeout, got {:?}", p.error());
    };
    assert!(why.contains("1 of 3 acceptors answered"), "{why}");
}

/// A compute started on a branch with the root's start LSN: every acceptor refuses the
/// greeting, and the timeout says so (it once said only "within 250 ticks").
#[test]
fn an_election_with_the_wrong_timeline_start_says_why() {
    let mut h = Harness::new();
    let mut cfg = ProposerConfig::new(100, vec![1, 2, 3], Lsn(START.0 + 0x100));
    cfg.max_append_bytes = 1;
    let mut p = Proposer::new(cfg);
    for _ in 0..40 {
        p.tick(0);
        h.run(&mut p);
    }
    assert_eq!(p.phase(), Phase::Stopped);
    let Some(Error::ElectionTimeout { why, .. }) = p.error() else {
        panic!("expected an election timeout, got {:?}", p.error());
    };
    assert!(why.contains("0 of 3 acceptors answered"), "{why}");
    assert!(
        why.contains("acceptor 1: invalid request: proposer 100 says the timeline starts at 0/1100, this acceptor has it at 0/1000"),
        "{why}"
    );
}

/// A record of `n` small frames (readers accept any frame size up to the
/// maximum, so this is valid WAL and cheap to make multi-frame).
fn multi_frame_record(n: usize) -> Bytes {
    use bytes::{BufMut, BytesMut};
    let mut record = Record::commit(5, Vec::new());
    record.flags = 0;
    let mut payload = BytesMut::new();
    record.encode_payload(&mut payload);
    let per = payload.len().div_ceil(n);
    let mut out = BytesMut::new();
    let chunks: Vec<&[u8]> = payload.chunks(per).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        let mut flags = 0;
        if i == 0 {
            flags |= FLAG_FIRST;
        }
        if i + 1 == chunks.len() {
            flags |= FLAG_LAST;
        }
        let mut hdr = [0u8; 5];
        hdr[..4].copy_from_slice(&(chunk.len() as u32).to_le_bytes());
        hdr[4] = flags;
        out.put_slice(&hdr);
        out.put_u32_le(crc32c::crc32c_append(crc32c::crc32c(&hdr), chunk));
        out.put_slice(chunk);
    }
    out.freeze()
}

#[test]
fn appends_are_pipelined_within_the_inflight_budget() {
    let mut h = Harness::new();
    let mut p = ready(&mut h, 100);
    p.take_actions();
    for i in 0..3 {
        p.append(rec(i)).unwrap();
    }
    let appends = |actions: &[Action], to: NodeId| {
        actions
            .iter()
            .filter(|a| matches!(a, Action::Send { to: t, request: Request::Append(a) } if *t == to && !a.wal.is_empty()))
            .count()
    };
    let actions = p.take_actions();
    assert_eq!(appends(&actions, 1), 3, "all three sent before any ack");
    // With a budget of one record in flight, the rest waits for acks.
    let mut h = Harness::new();
    let mut cfg = ProposerConfig::new(100, vec![1, 2, 3], START);
    cfg.max_inflight_bytes = 1;
    let mut p = Proposer::new(cfg);
    h.run(&mut p);
    p.take_actions();
    for i in 0..3 {
        p.append(rec(i)).unwrap();
    }
    assert_eq!(appends(&p.take_actions(), 1), 1);
}

#[test]
fn a_term_start_follows_a_partial_record_left_by_a_crashed_proposer() {
    let mut h = Harness::new();
    let mut p1 = ready(&mut h, 100);
    // p1 "crashes" after sending only the first two frames of a 4-frame
    // record: the acceptors hold a tail that ends inside a record.
    let record = multi_frame_record(4);
    let (start, _) = p1.append(record).unwrap();
    // Each append carries one 13-byte frame (max_append_bytes = 1).
    let third_frame = start + 26;
    h.run_holding(
        &mut p1,
        |_, r| matches!(r, Request::Append(a) if a.begin_lsn >= third_frame && !a.wal.is_empty()),
    );
    drop(p1);
    let partial_end = Lsn(START.0 + h.wal(1).len() as u64);
    assert!(
        partial_end > start,
        "part of the record reached the acceptors"
    );
    let (frame_end, record_end, _) = proto::frame::scan_frames(START, h.wal(1));
    assert_eq!(frame_end, partial_end);
    assert!(record_end < frame_end, "the tail ends inside a record");
    // The next term starts right after the partial record.
    let p2 = ready(&mut h, 200);
    assert_eq!(p2.term_start_lsn(), partial_end);
    let mut dec = proto::WalDecoder::new(START);
    dec.push(h.wal(2));
    let mut kinds = Vec::new();
    while let Some(r) = dec.next_record().unwrap() {
        kinds.push(r.record.kind);
    }
    assert_eq!(
        kinds,
        vec![
            RecordKind::TermStart { term: 1 },
            RecordKind::TermStart { term: 2 }
        ]
    );
    assert_eq!(dec.dropped_partials(), 1);
    assert_eq!(p2.commit_lsn(), START + h.wal(2).len() as u64);
}
