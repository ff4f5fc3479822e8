//! Unit tests of the acceptor's rules, one rule per test.

use bytes::Bytes;
use proto::frame::encode_record;
use proto::{Lsn, Record, RecordKind};

use super::*;
use crate::messages::AppendReply;

const START: Lsn = Lsn(0x100);

fn record(ts: i64) -> Bytes {
    encode_record(&Record::commit(ts, Vec::new())).freeze()
}

fn term_start(term: Term) -> Bytes {
    let mut r = Record::commit(0, Vec::new());
    r.kind = RecordKind::TermStart { term };
    encode_record(&r).freeze()
}

fn ts(term: Term, lsn: Lsn) -> TermSwitch {
    TermSwitch {
        term,
        start_lsn: lsn,
    }
}

fn new_acceptor() -> Acceptor {
    Acceptor::create(1, START).0
}

fn vote(a: &mut Acceptor, term: Term, proposer: NodeId) -> (Vec<Action>, VoteReply) {
    let out = a
        .step(Request::Vote(VoteRequest {
            term,
            proposer_id: proposer,
        }))
        .expect("votes never error");
    let Reply::Vote(r) = out.reply else {
        panic!("wrong reply")
    };
    (out.actions, r)
}

fn elected(a: &mut Acceptor, term: Term, hist: Vec<TermSwitch>, commit: Lsn) -> Result<Output> {
    a.step(Request::Elected(Elected {
        term,
        term_history: hist,
        commit_lsn: commit,
    }))
}

fn elected_reply(out: &Output) -> &ElectedReply {
    let Reply::Elected(r) = &out.reply else {
        panic!("wrong reply")
    };
    r
}

fn append(a: &mut Acceptor, term: Term, begin: Lsn, wal: Bytes, commit: Lsn) -> Output {
    a.step(Request::Append(Append {
        term,
        begin_lsn: begin,
        wal,
        commit_lsn: commit,
        truncate_lsn: Lsn::INVALID,
    }))
    .expect("append")
}

fn append_reply(out: &Output) -> &AppendReply {
    let Reply::Append(r) = &out.reply else {
        panic!("wrong reply")
    };
    r
}

/// An acceptor elected in `term` by a proposer starting at `START`, holding
/// `records` appended records; returns it and the WAL end.
fn elected_with(term: Term, records: usize) -> (Acceptor, Lsn) {
    let mut a = new_acceptor();
    vote(&mut a, term, 7);
    elected(&mut a, term, vec![ts(term, START)], Lsn::INVALID).expect("elected");
    let mut end = START;
    for i in 0..records {
        let r = record(i as i64);
        let len = r.len() as u64;
        append(&mut a, term, end, r, Lsn::INVALID);
        end = end + len;
    }
    (a, end)
}

#[test]
fn a_vote_is_granted_once_per_term_and_persisted_before_the_reply() {
    let mut a = new_acceptor();
    let (actions, r) = vote(&mut a, 3, 7);
    assert!(r.granted);
    let mut expected = initial_state(START);
    expected.term = 3;
    expected.voted_for = Some(7);
    assert_eq!(actions, vec![Action::PersistControl(expected)]);
    // Same term, other proposer (or the same one again): refused.
    let (actions, r) = vote(&mut a, 3, 8);
    assert!(!r.granted && actions.is_empty() && r.term == 3);
    let (_, r) = vote(&mut a, 3, 7);
    assert!(!r.granted);
    // Lower term: refused, the reply carries the acceptor's term.
    let (_, r) = vote(&mut a, 2, 8);
    assert!(!r.granted && r.term == 3);
    // Higher term: granted.
    let (_, r) = vote(&mut a, 4, 8);
    assert!(r.granted && r.term == 4);
}

#[test]
fn appends_are_refused_before_elected_of_that_term() {
    let mut a = new_acceptor();
    vote(&mut a, 1, 7);
    let out = append(&mut a, 1, START, record(1), Lsn::INVALID);
    assert!(!append_reply(&out).accepted && out.actions.is_empty());
    // An append of a term the acceptor has not even seen: same answer, and
    // the reply's lower term tells the proposer to send Elected.
    let out = append(&mut a, 2, START, record(1), Lsn::INVALID);
    assert!(!append_reply(&out).accepted);
    assert_eq!(append_reply(&out).term, 1);
}

#[test]
fn appends_are_written_then_fsynced_before_the_ack() {
    let (mut a, _) = elected_with(1, 0);
    let r = record(1);
    let end = START + r.len() as u64;
    let out = append(&mut a, 1, START, r.clone(), Lsn::INVALID);
    assert_eq!(
        out.actions,
        vec![
            Action::WriteWal {
                at: START,
                bytes: r
            },
            Action::FlushWal { up_to: end }
        ]
    );
    let reply = append_reply(&out);
    assert!(reply.accepted);
    assert_eq!(reply.flush_lsn, end);
}

#[test]
fn an_old_proposers_append_after_a_new_election_is_rejected() {
    let (mut a, end) = elected_with(1, 2);
    vote(&mut a, 2, 8);
    let out = append(&mut a, 1, end, record(9), Lsn::INVALID);
    let reply = append_reply(&out);
    assert!(!reply.accepted);
    assert_eq!(reply.term, 2, "the reply names the term that fences");
    assert!(out.actions.is_empty());
    assert_eq!(a.flush_lsn(), end);
}

#[test]
fn appends_must_be_contiguous_whole_frames() {
    let (mut a, end) = elected_with(1, 1);
    // A gap: nothing written, the reply says where to resume.
    let gap = end + 100;
    let out = append(&mut a, 1, gap, record(2), Lsn::INVALID);
    assert!(out.actions.is_empty());
    assert_eq!(append_reply(&out).flush_lsn, end);
    // A resend of bytes already held, plus new ones: only the new ones.
    let (r1, r2) = (record(0), record(2));
    let mut both = r1.to_vec();
    both.extend_from_slice(&r2);
    let out = append(&mut a, 1, START, Bytes::from(both), Lsn::INVALID);
    assert_eq!(
        out.actions[0],
        Action::WriteWal {
            at: end,
            bytes: r2.clone()
        }
    );
    let end = end + r2.len() as u64;
    assert_eq!(a.flush_lsn(), end);
    // A torn frame is refused, state unchanged.
    let torn = record(3).slice(..10);
    let err = a
        .step(Request::Append(Append {
            term: 1,
            begin_lsn: end,
            wal: torn,
            commit_lsn: Lsn::INVALID,
            truncate_lsn: Lsn::INVALID,
        }))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err}");
    let mut bad = record(3).to_vec();
    bad[12] ^= 1;
    let err = a
        .step(Request::Append(Append {
            term: 1,
            begin_lsn: end,
            wal: Bytes::from(bad),
            commit_lsn: Lsn::INVALID,
            truncate_lsn: Lsn::INVALID,
        }))
        .unwrap_err();
    assert!(matches!(err, Error::CorruptWal { .. }), "{err}");
    assert_eq!(a.flush_lsn(), end);
}

#[test]
fn a_minority_written_tail_is_truncated_by_the_next_term() {
    // Term 1 wrote 3 records here, but the term-2 donor only had 1.
    let (mut a, end) = elected_with(1, 3);
    let donor_flush = START + record(0).len() as u64;
    vote(&mut a, 2, 8);
    let out = elected(
        &mut a,
        2,
        vec![ts(1, START), ts(2, donor_flush)],
        Lsn::INVALID,
    )
    .expect("elected");
    assert_eq!(out.actions[0], Action::TruncateWal { at: donor_flush });
    assert!(matches!(out.actions[1], Action::PersistControl(_)));
    assert!(end > donor_flush);
    assert_eq!(elected_reply(&out).flush_lsn, donor_flush);
    assert_eq!(
        a.effective_history(),
        vec![ts(1, START), ts(2, donor_flush)]
    );
    // Term 2 now appends at the cut.
    let out = append(&mut a, 2, donor_flush, term_start(2), Lsn::INVALID);
    assert!(append_reply(&out).accepted);
}

#[test]
fn a_tail_from_a_term_the_proposer_never_saw_is_truncated() {
    // Term 2 wrote here but nowhere else; term 3's donor has term 1 only.
    let (mut a, t1_end) = elected_with(1, 1);
    vote(&mut a, 2, 8);
    elected(&mut a, 2, vec![ts(1, START), ts(2, t1_end)], Lsn::INVALID).expect("elected");
    append(&mut a, 2, t1_end, term_start(2), Lsn::INVALID);
    vote(&mut a, 3, 9);
    let out = elected(&mut a, 3, vec![ts(1, START), ts(3, t1_end)], Lsn::INVALID).expect("elected");
    assert_eq!(out.actions[0], Action::TruncateWal { at: t1_end });
    assert_eq!(a.flush_lsn(), t1_end);
}

#[test]
fn elected_never_truncates_below_commit_lsn() {
    let (mut a, end) = elected_with(1, 3);
    // Term 1 committed everything it wrote here.
    append(&mut a, 1, end, Bytes::new(), end);
    assert_eq!(a.commit_lsn(), end);
    vote(&mut a, 2, 8);
    let before = a.state().clone();
    let err = elected(
        &mut a,
        2,
        vec![ts(1, START), ts(2, START + 1)],
        Lsn::INVALID,
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::WouldTruncateCommitted { commit_lsn, .. } if commit_lsn == end),
        "{err}"
    );
    assert_eq!(a.state(), &before);
    assert_eq!(a.flush_lsn(), end);
}

#[test]
fn elected_from_a_lower_term_is_refused_and_a_repeat_is_harmless() {
    let (mut a, end) = elected_with(2, 2);
    let out = elected(&mut a, 1, vec![ts(1, START)], Lsn::INVALID).expect("no error");
    assert!(!elected_reply(&out).accepted);
    assert_eq!(elected_reply(&out).term, 2);
    // The same Elected again (a retransmission) truncates nothing.
    let out = elected(&mut a, 2, vec![ts(2, START)], Lsn::INVALID).expect("elected");
    assert!(elected_reply(&out).accepted);
    assert!(
        !out.actions
            .iter()
            .any(|x| matches!(x, Action::TruncateWal { .. }))
    );
    assert_eq!(a.flush_lsn(), end);
}

#[test]
fn elected_of_a_term_not_voted_in_adopts_the_term() {
    let mut a = new_acceptor();
    let out = elected(&mut a, 5, vec![ts(5, START)], Lsn::INVALID).expect("elected");
    assert!(elected_reply(&out).accepted);
    assert_eq!(a.term(), 5);
    // It can no longer vote in term 5.
    let (_, r) = vote(&mut a, 5, 9);
    assert!(!r.granted);
    // Malformed histories are refused.
    assert!(elected(&mut a, 6, vec![ts(5, START)], Lsn::INVALID).is_err());
    assert!(elected(&mut a, 6, vec![ts(6, Lsn(1))], Lsn::INVALID).is_err());
}

#[test]
fn commit_lsn_never_goes_backwards_nor_past_flush_and_is_persisted_lazily() {
    let (mut a, end) = elected_with(1, 2);
    let mid = START + record(0).len() as u64;
    let out = append(&mut a, 1, end, Bytes::new(), mid);
    assert_eq!(append_reply(&out).commit_lsn, mid);
    assert!(out.actions.is_empty(), "commit_lsn alone is not persisted");
    append(&mut a, 1, end, Bytes::new(), START);
    assert_eq!(a.commit_lsn(), mid, "never backwards");
    append(&mut a, 1, end, Bytes::new(), end + 1000);
    assert_eq!(a.commit_lsn(), mid, "never past the local WAL");
    match a.persist_if_dirty() {
        Some(Action::PersistControl(s)) => assert_eq!(s.commit_lsn, mid),
        other => panic!("{other:?}"),
    }
    assert_eq!(a.persist_if_dirty(), None);
}

#[test]
fn restore_uses_the_wal_end_and_the_effective_history() {
    let (a, end) = elected_with(1, 2);
    let mut state = a.state().clone();
    // The history may run ahead of the WAL (Elected accepted, WAL not yet
    // streamed): only the part up to the WAL end counts.
    state.term_history.push(ts(2, end + 50));
    let b = Acceptor::restore(1, state.clone(), end).expect("restore");
    assert_eq!(b.effective_history(), vec![ts(1, START)]);
    assert_eq!(b.flush_lsn(), end);
    state.commit_lsn = end + 1;
    assert!(
        Acceptor::restore(1, state, end).is_err(),
        "lost committed WAL"
    );
}

#[test]
fn donor_reads_are_served_only_at_the_same_term() {
    let (mut a, end) = elected_with(1, 2);
    assert!(a.check_donor_read(1, START, end).is_ok());
    assert!(a.check_donor_read(1, START, end + 1).is_err());
    vote(&mut a, 2, 8);
    assert!(matches!(
        a.check_donor_read(1, START, end),
        Err(Error::Fenced { term: 2, .. })
    ));
}

#[test]
fn greet_reports_state_and_checks_the_timeline_start() {
    let (mut a, end) = elected_with(1, 1);
    let out = a
        .step(Request::Greet(Greet {
            proposer_id: 9,
            timeline_start_lsn: START,
        }))
        .expect("greet");
    let Reply::Greet(r) = out.reply else { panic!() };
    assert_eq!((r.term, r.flush_lsn), (1, end));
    assert_eq!(r.term_history, vec![ts(1, START)]);
    assert!(
        a.step(Request::Greet(Greet {
            proposer_id: 9,
            timeline_start_lsn: Lsn(1),
        }))
        .is_err()
    );
}
