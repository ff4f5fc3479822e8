//! Term histories: which term wrote which part of the WAL.
//!
//! A history is a list of [`TermSwitch`]es `(term, start_lsn)`: `term` began
//! writing at `start_lsn` and wrote until the next entry's `start_lsn` (the
//! last entry until the end of the WAL). Invariants, checked by
//! [`validate`]: terms strictly increase, start LSNs never decrease, no start
//! is below the timeline's start, and an elected proposer's history ends with
//! its own term.
//!
//! An acceptor persists the history of the last proposer it accepted
//! (`Elected`), which may run ahead of the WAL it holds; its *effective*
//! history is [`up_to`] its `flush_lsn`. Two WALs whose effective histories
//! share an entry hold identical bytes up to where that term ends in both
//! (one proposer wrote them), which is what [`highest_common_point`] uses to
//! find where an acceptor's tail diverges from the new proposer's.

use proto::Lsn;
use proto::grpc::TermSwitch;
use proto::record::Term;

use crate::error::{Error, Result};

/// The entries of `history` that began at or before `lsn`.
pub fn up_to(history: &[TermSwitch], lsn: Lsn) -> Vec<TermSwitch> {
    history
        .iter()
        .copied()
        .take_while(|e| e.start_lsn <= lsn)
        .collect()
}

/// The term of the last entry (0 for an empty history: nothing written).
pub fn last_term(history: &[TermSwitch]) -> Term {
    history.last().map_or(0, |e| e.term)
}

/// Checks the shape of a history received from a peer.
pub fn validate(history: &[TermSwitch], timeline_start: Lsn) -> Result<()> {
    for e in history {
        if e.term == 0 || e.start_lsn < timeline_start {
            return Err(Error::InvalidRequest(format!(
                "term history entry {e:?} has term 0 or starts before the timeline start {timeline_start}"
            )));
        }
    }
    for w in history.windows(2) {
        if w[1].term <= w[0].term || w[1].start_lsn < w[0].start_lsn {
            return Err(Error::InvalidRequest(format!(
                "term history {history:?}: terms must increase and LSNs not decrease"
            )));
        }
    }
    Ok(())
}

/// Where the acceptor's WAL (effective history `sk`, WAL end `sk_end`) stops
/// agreeing with the proposer's history `prop`: the end of the last term both
/// share, in the shorter of the two. `None` when they share no term (the
/// acceptor keeps nothing past the timeline start).
///
/// The proposer's last term is open-ended (it is still writing), so it ends
/// at `Lsn::MAX` on the proposer's side.
pub fn highest_common_point(
    prop: &[TermSwitch],
    sk: &[TermSwitch],
    sk_end: Lsn,
) -> Result<Option<Lsn>> {
    if let Some(last) = sk.last()
        && last.start_lsn > sk_end
    {
        return Err(Error::Invariant(format!(
            "effective history {sk:?} runs past the WAL end {sk_end}"
        )));
    }
    let mut common = None;
    for (i, (p, s)) in prop.iter().zip(sk).enumerate() {
        if p.term != s.term {
            break;
        }
        if p.start_lsn != s.start_lsn {
            return Err(Error::Invariant(format!(
                "term {} starts at {} in the proposer's history but at {} in the acceptor's",
                p.term, p.start_lsn, s.start_lsn
            )));
        }
        common = Some(i);
    }
    let Some(i) = common else {
        return Ok(None);
    };
    let prop_end = prop.get(i + 1).map_or(Lsn::MAX, |e| e.start_lsn);
    let sk_end = sk.get(i + 1).map_or(sk_end, |e| e.start_lsn);
    Ok(Some(prop_end.min(sk_end)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(entries: &[(Term, u64)]) -> Vec<TermSwitch> {
        entries
            .iter()
            .map(|&(term, lsn)| TermSwitch {
                term,
                start_lsn: Lsn(lsn),
            })
            .collect()
    }

    #[test]
    fn up_to_keeps_entries_starting_at_or_before() {
        let hist = h(&[(1, 10), (2, 20), (3, 30)]);
        assert_eq!(up_to(&hist, Lsn(20)), h(&[(1, 10), (2, 20)]));
        assert_eq!(up_to(&hist, Lsn(19)), h(&[(1, 10)]));
        assert_eq!(up_to(&hist, Lsn(5)), h(&[]));
        assert_eq!(last_term(&up_to(&hist, Lsn(99))), 3);
        assert_eq!(last_term(&[]), 0);
    }

    #[test]
    fn validate_rejects_bad_shapes() {
        assert!(validate(&h(&[(1, 10), (2, 10), (4, 30)]), Lsn(10)).is_ok());
        assert!(validate(&h(&[(2, 10), (2, 20)]), Lsn(10)).is_err());
        assert!(validate(&h(&[(1, 20), (2, 10)]), Lsn(10)).is_err());
        assert!(validate(&h(&[(0, 10)]), Lsn(10)).is_err());
        assert!(validate(&h(&[(1, 5)]), Lsn(10)).is_err());
    }

    #[test]
    fn common_point_is_the_end_of_the_last_shared_term() {
        // Acceptor wrote term 1 past where term 2's donor stopped: cut at 20.
        let prop = h(&[(1, 10), (2, 20)]);
        assert_eq!(
            highest_common_point(&prop, &h(&[(1, 10)]), Lsn(35)),
            Ok(Some(Lsn(20)))
        );
        // Acceptor behind the donor: nothing to cut.
        assert_eq!(
            highest_common_point(&prop, &h(&[(1, 10)]), Lsn(15)),
            Ok(Some(Lsn(15)))
        );
        // Acceptor already in the proposer's term: keep everything.
        assert_eq!(
            highest_common_point(&prop, &prop, Lsn(50)),
            Ok(Some(Lsn(50)))
        );
        // Acceptor has a term the proposer never saw: cut where it began.
        assert_eq!(
            highest_common_point(&h(&[(1, 10), (3, 40)]), &h(&[(1, 10), (2, 30)]), Lsn(45)),
            Ok(Some(Lsn(30)))
        );
        // No shared term at all.
        assert_eq!(
            highest_common_point(&h(&[(2, 10)]), &h(&[(1, 10)]), Lsn(45)),
            Ok(None)
        );
        // Same term, different start: corrupt.
        assert!(highest_common_point(&h(&[(1, 10)]), &h(&[(1, 11)]), Lsn(45)).is_err());
    }
}
