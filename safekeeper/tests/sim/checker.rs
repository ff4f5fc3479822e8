//! The simulation's invariants, checked after every step:
//!
//! 1. Committed prefixes never diverge: the WAL up to `commit_lsn` on any
//!    acceptor is a prefix of `golden`, the longest committed prefix seen
//!    (which only ever grows by extension).
//! 2. Nothing a proposer reported durable is lost or changed: every durable
//!    record is, byte for byte, in `golden` once `golden` reaches its end
//!    (and at the end of a run, after a final election, it must have).
//! 3. At most one proposer is ever elected in a term.
//!
//! Committed WAL below an acceptor's `commit_lsn` never changes (the
//! acceptor refuses to truncate it), so each acceptor is compared
//! incrementally from the prefix already verified (`checked`).

use std::collections::BTreeMap;

use bytes::Bytes;
use proto::Lsn;
use proto::record::Term;
use safekeeper::messages::NodeId;

use crate::START;

/// The offset of `lsn` in the timeline's WAL.
pub fn off(lsn: Lsn) -> usize {
    lsn.distance_from(START) as usize
}

#[derive(Default)]
pub struct Checker {
    pub golden: Vec<u8>,
    checked: BTreeMap<NodeId, usize>,
    /// Durable records not yet covered by `golden`: start offset -> bytes.
    pending: BTreeMap<usize, Bytes>,
    pub durable_verified: u64,
    leaders: BTreeMap<Term, NodeId>,
    /// Offloaded objects not yet covered by `golden`: start offset -> bytes.
    objects: BTreeMap<usize, Bytes>,
}

impl Checker {
    /// Checks acceptor `id`'s committed prefix (WAL up to `commit`); `read`
    /// reads its WAL `[from, to)` from its storage.
    pub fn check_acceptor(
        &mut self,
        id: NodeId,
        commit: Lsn,
        read: impl FnOnce(Lsn, Lsn) -> Result<Vec<u8>, String>,
    ) -> Result<(), String> {
        let c = off(commit);
        let from = self.checked.get(&id).copied().unwrap_or(0).min(c);
        if from == c {
            return Ok(());
        }
        let data = read(START + from as u64, commit)
            .map_err(|e| format!("acceptor {id}: committed WAL up to {commit} unreadable: {e}"))?;
        let shared = c.min(self.golden.len());
        if from < shared && data[..shared - from] != self.golden[from..shared] {
            let at = (from..shared)
                .find(|&i| data[i - from] != self.golden[i])
                .expect("differs somewhere");
            return Err(format!(
                "acceptor {id}: committed WAL diverges from another committed prefix at byte {at} (commit {commit})"
            ));
        }
        if c > self.golden.len() {
            self.golden
                .extend_from_slice(&data[self.golden.len() - from..c - from]);
            self.check_pending()?;
            self.check_objects()?;
        }
        self.checked.insert(id, c);
        Ok(())
    }

    /// The acceptor trimmed its WAL below `at`: committed WAL that was
    /// verified before it was trimmed (trimming stays below `commit_lsn`,
    /// which never goes back) and is no longer read.
    pub fn trimmed_below(&mut self, id: NodeId, at: usize) {
        let c = self.checked.entry(id).or_default();
        *c = (*c).max(at);
    }

    /// The acceptor's WAL may change at and past `at` (truncation, restart).
    pub fn forget_above(&mut self, id: NodeId, at: usize) {
        if let Some(c) = self.checked.get_mut(&id) {
            *c = (*c).min(at);
        }
    }

    pub fn durable(&mut self, start: Lsn, bytes: Bytes) -> Result<(), String> {
        self.pending.insert(off(start), bytes);
        self.check_pending()
    }

    fn check_pending(&mut self) -> Result<(), String> {
        while let Some((&start, bytes)) = self.pending.first_key_value() {
            let end = start + bytes.len();
            if end > self.golden.len() {
                break;
            }
            if self.golden[start..end] != bytes[..] {
                return Err(format!(
                    "a durable record at offset {start} ({} bytes) was changed or lost in committed WAL",
                    bytes.len()
                ));
            }
            self.pending.pop_first();
            self.durable_verified += 1;
        }
        Ok(())
    }

    /// An object uploaded for the segment at `segment`: it must be
    /// committed WAL, byte for byte.
    pub fn offloaded(&mut self, segment: Lsn, object: &Bytes) -> Result<(), String> {
        self.objects.insert(off(segment), object.clone());
        self.check_objects()
    }

    fn check_objects(&mut self) -> Result<(), String> {
        let golden = &self.golden;
        let mut bad = None;
        self.objects.retain(|&start, object| {
            let end = (start + object.len()).min(golden.len());
            if start < end && golden[start..end] != object[..end - start] {
                bad.get_or_insert(start);
            }
            start + object.len() > golden.len()
        });
        match bad {
            Some(start) => Err(format!(
                "the object offloaded for the segment at offset {start} is not committed WAL"
            )),
            None => Ok(()),
        }
    }

    /// Offloaded objects whose WAL never became committed.
    pub fn pending_objects(&self) -> usize {
        self.objects.len()
    }

    pub fn pending_durable(&self) -> usize {
        self.pending.len()
    }

    pub fn elected(&mut self, term: Term, proposer: NodeId) -> Result<(), String> {
        if let Some(other) = self.leaders.insert(term, proposer)
            && other != proposer
        {
            return Err(format!("term {term} elected both {other} and {proposer}"));
        }
        Ok(())
    }
}
