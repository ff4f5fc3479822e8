//! Commit timestamps indexed to LSNs, for branches "as of" a time.
//!
//! Ingest appends `(commit timestamp, record end LSN)` for every `Commit`
//! record; [`CommitIndex::lsn_at`] answers "the LSN of the last commit at or
//! before time T", the branch point of `timeline create --at TIMESTAMP`.
//! Entries are in LSN order; timestamps are expected to be non-decreasing
//! (one primary's clock) but a step backwards only makes the answer
//! conservative: the scan takes the highest LSN whose timestamp is `<= T`.
//!
//! The index is bounded: it keeps one entry (the latest commit) per
//! [`GRANULARITY_US`] of commit time, so an "as of T" lookup is exact to
//! within that granularity and errs only towards an *earlier* commit (never
//! one after `T`); entries below the GC cutoff are dropped
//! ([`CommitIndex::trim_below`]), since no branch can start there. The part at
//! or below `remote_consistent_lsn` is persisted in the manifest.

use proto::{Lsn, TimestampUs};

/// One entry per this much commit time (1 s).
pub const GRANULARITY_US: TimestampUs = 1_000_000;

#[derive(Debug, Clone, Default)]
pub struct CommitIndex {
    entries: Vec<(TimestampUs, Lsn)>,
}

impl CommitIndex {
    pub fn from_entries(entries: impl IntoIterator<Item = (TimestampUs, Lsn)>) -> CommitIndex {
        CommitIndex {
            entries: entries.into_iter().collect(),
        }
    }

    /// Records a commit ending at `lsn` (LSNs only grow; a record already
    /// indexed, e.g. re-ingested after a restart, is ignored).
    pub fn push(&mut self, ts: TimestampUs, lsn: Lsn) {
        match self.entries.last_mut() {
            Some(&mut (_, l)) if l >= lsn => {}
            // The same time bucket, clock not stepping back: the later commit
            // replaces the earlier one.
            Some(last)
                if last.0.div_euclid(GRANULARITY_US) == ts.div_euclid(GRANULARITY_US)
                    && ts >= last.0 =>
            {
                *last = (ts, lsn);
            }
            _ => self.entries.push((ts, lsn)),
        }
    }

    /// Drops entries no branch can use any more: those below `cutoff`,
    /// except the last one (still the answer for times just before it).
    pub fn trim_below(&mut self, cutoff: Lsn) {
        let n = self.entries.partition_point(|&(_, l)| l < cutoff);
        self.entries.drain(..n.saturating_sub(1));
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The end LSN of the last commit at or before `ts`.
    pub fn lsn_at(&self, ts: TimestampUs) -> Option<Lsn> {
        self.entries
            .iter()
            .filter(|(t, _)| *t <= ts)
            .map(|&(_, l)| l)
            .max()
    }

    /// Entries at or below `lsn` (what the manifest persists).
    pub fn upto(&self, lsn: Lsn) -> Vec<(TimestampUs, Lsn)> {
        let n = self.entries.partition_point(|&(_, l)| l <= lsn);
        self.entries[..n].to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: TimestampUs = GRANULARITY_US;

    #[test]
    fn last_commit_at_or_before() {
        let mut ix = CommitIndex::default();
        ix.push(S, Lsn(10));
        ix.push(2 * S, Lsn(20));
        ix.push(2 * S, Lsn(20));
        ix.push(3 * S, Lsn(30));
        assert_eq!(ix.lsn_at(S - 1), None);
        assert_eq!(ix.lsn_at(S), Some(Lsn(10)));
        assert_eq!(ix.lsn_at(2 * S + 5), Some(Lsn(20)));
        assert_eq!(ix.lsn_at(10 * S), Some(Lsn(30)));
        assert_eq!(ix.upto(Lsn(20)).len(), 2);
    }

    #[test]
    fn one_entry_per_bucket_never_later_than_asked() {
        let mut ix = CommitIndex::default();
        for i in 0..1000u64 {
            ix.push(5 * S + i as TimestampUs * 1000, Lsn(100 + i));
        }
        assert_eq!(ix.len(), 1, "a second of commits is one entry");
        // Asking inside the bucket answers with an earlier commit or none.
        assert_eq!(ix.lsn_at(5 * S + 500_000), None);
        assert_eq!(ix.lsn_at(6 * S), Some(Lsn(1099)));
        ix.push(7 * S, Lsn(2000));
        ix.push(9 * S, Lsn(3000));
        ix.trim_below(Lsn(2500));
        assert_eq!(ix.len(), 2, "keeps the last entry below the cutoff");
        assert_eq!(ix.lsn_at(8 * S), Some(Lsn(2000)));
    }
}
