//! SERIALIZABLE isolation, above any storage: PostgreSQL's guarantee that a set of
//! concurrent serializable transactions has the effect of running them one at a time in
//! some order, as optimistic validation over the storage's Repeatable Read snapshot.
//!
//! * A serializable transaction runs on a Repeatable Read transaction of the storage
//!   ([`Tracked`]), which keeps one snapshot and fails with 40001 when it writes a row a
//!   concurrent transaction changed (write-write conflicts). It records what it read and
//!   wrote ([`footprint`]).
//! * At commit it is checked against the write footprints of the serializable transactions
//!   that committed after its snapshot ([`SerialRegistry::validate`]): if any wrote what it
//!   read, it fails with 40001 ("could not serialize access due to read/write dependencies
//!   among transactions"), which a client retries as it would on PostgreSQL. Otherwise its
//!   own writes are published with the next sequence number and it commits in the storage.
//!   The order of publication is the serial order: each committed transaction read exactly
//!   what it would have read running alone at that point.
//!
//! Invariants: `visible` is the highest number `n` such that every transaction published
//! with a number `<= n` has finished its storage commit; a transaction takes `visible` as
//! its `start` *before* the storage takes its snapshot, so every record numbered `<= start`
//! is in that snapshot and every record numbered `> start` is checked. Validation and
//! publication happen under one mutex, so no two transactions validate without seeing each
//! other. A record is kept while an active transaction started before it.
//!
//! PostgreSQL's SSI aborts only on dangerous structures of two rw-dependencies; this checks
//! one, so it fails more often under contention, never less safely. Non-serializable
//! transactions are not tracked (PostgreSQL guarantees nothing about interleaving with
//! them either).

pub mod footprint;
mod tracked;

pub use footprint::{Reads, Writes};
pub use tracked::Tracked;

use crate::error::Raised;
use crate::storage::Catalog;
use crate::{Error, Result};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

/// The serializable transactions of one storage: their start points and the write
/// footprints of the ones that committed while others ran. One per storage, shared by its
/// sessions (`Services::serializable`).
#[derive(Debug, Default)]
pub struct SerialRegistry {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The last sequence number given out.
    last: u64,
    /// See the module docs.
    visible: u64,
    /// Published numbers whose storage commit has not finished.
    pending: BTreeSet<u64>,
    /// Write footprints by number, oldest first.
    records: VecDeque<Record>,
    /// Active transactions by start point (how many started there).
    active: BTreeMap<u64, usize>,
}

#[derive(Debug)]
struct Record {
    seq: u64,
    writes: Writes,
    /// The writer's catalog (to compute index keys of its rows).
    catalog: Arc<Catalog>,
}

impl SerialRegistry {
    fn state(&self) -> MutexGuard<'_, State> {
        // Every mutation is a handful of plain assignments and collection updates that
        // cannot panic half-way in a way later readers could misread.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a transaction about to take its snapshot; returns its start point, to be
    /// handed back to [`SerialRegistry::end`].
    pub fn begin(&self) -> u64 {
        let mut s = self.state();
        let start = s.visible;
        *s.active.entry(start).or_default() += 1;
        start
    }

    /// Checks a committing transaction that started at `start` and read `reads`; publishes
    /// `writes` (made against `catalog`) under a new number, returned to be settled with
    /// [`SerialRegistry::finished`] once the storage commit ends. `None`: nothing written.
    pub fn validate(
        &self,
        start: u64,
        reads: &Reads,
        writes: Writes,
        catalog: Arc<Catalog>,
    ) -> Result<Option<u64>> {
        let mut s = self.state();
        let conflict = s
            .records
            .iter()
            .filter(|r| r.seq > start)
            .any(|r| reads.touched_by(&r.writes, &r.catalog));
        if conflict {
            return Err(serialization_failure());
        }
        if writes.is_empty() {
            return Ok(None);
        }
        s.last += 1;
        let seq = s.last;
        s.pending.insert(seq);
        s.records.push_back(Record {
            seq,
            writes,
            catalog,
        });
        Ok(Some(seq))
    }

    /// The storage commit of the transaction published as `seq` ended; `committed: false`
    /// withdraws its writes (they never happened).
    pub fn finished(&self, seq: u64, committed: bool) {
        let mut s = self.state();
        s.pending.remove(&seq);
        if !committed {
            s.records.retain(|r| r.seq != seq);
        }
        s.visible = match s.pending.first() {
            Some(&first) => first - 1,
            None => s.last,
        };
        s.prune();
    }

    /// A transaction that began at `start` ended (committed or not).
    pub fn end(&self, start: u64) {
        let mut s = self.state();
        if let Some(n) = s.active.get_mut(&start) {
            *n -= 1;
            if *n == 0 {
                s.active.remove(&start);
            }
        }
        s.prune();
    }

    /// How many write footprints are kept (for tests and metrics).
    pub fn records(&self) -> usize {
        self.state().records.len()
    }
}

impl State {
    /// Drops the records no transaction can still need: numbered at or below every active
    /// transaction's start and below `visible` (a later start is at least `visible`).
    fn prune(&mut self) {
        let floor = self
            .active
            .first_key_value()
            .map_or(self.visible, |(&start, _)| start.min(self.visible));
        while self.records.front().is_some_and(|r| r.seq <= floor) {
            self.records.pop_front();
        }
    }
}

/// PostgreSQL's error for a transaction that cannot be serialized with the ones that
/// committed while it ran.
pub fn serialization_failure() -> Error {
    Error::Raised(Box::new(Raised {
        code: "40001",
        message: "could not serialize access due to read/write dependencies among transactions"
            .into(),
        detail: Some(
            "Reason code: Canceled on identification as a pivot, during commit attempt.".into(),
        ),
        hint: Some("The transaction might succeed if retried.".into()),
    }))
}

#[cfg(test)]
mod tests;
