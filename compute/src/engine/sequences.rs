//! Sequence values and relation sizes: the engine's [`Services`].
//!
//! A sequence's value lives outside transactions (as in PostgreSQL): `nextval` is never
//! rolled back. Durability is by reservation, like PostgreSQL's `SEQ_LOG_VALS`: the catalog
//! row `["seqval", oid]` says "values up to here may have been handed out"; it is written
//! ahead, [`RESERVE`] values at a time, as a small `Commit` record of its own (DESIGN.md:
//! sequences are pages too, so reserving values ahead is a small Commit), and `nextval`
//! returns a value only once the row covering it is durable. A compute that crashes, is
//! restarted or replaced by another one reads the row and continues after it: no value is
//! handed out twice (the unused rest of a reservation is skipped, as PostgreSQL skips
//! cached values). `setval` and `ALTER SEQUENCE ... RESTART` write the row at once.
//!
//! Values are handed out under one engine-wide mutex; a reservation's durability wait (one
//! in [`RESERVE`] calls) happens under it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sql::Result;
use sql::storage::{Oid, SequenceDef, Services, sequence};

use super::catalog::{self, CATALOG_REL, format};
use super::{EngineState, storage_error, wal_error};

/// Values reserved per catalog write.
pub const RESERVE: i64 = 32;

/// One sequence's value in memory.
#[derive(Debug, Clone, Copy)]
struct Seq {
    last: i64,
    called: bool,
    /// Values up to here (in the increment's direction) are covered by the durable row.
    reserved: Option<i64>,
}

/// The sequences this engine has used.
#[derive(Default)]
pub struct SequenceState {
    inner: Mutex<HashMap<Oid, Seq>>,
}

/// [`Services`] of an engine.
pub struct EngineServices {
    pub(super) shared: Arc<EngineState>,
}

impl EngineServices {
    /// The sequence's value: remembered, or read from its row, or the initial one.
    fn load(&self, map: &mut HashMap<Oid, Seq>, def: &SequenceDef) -> Result<Seq> {
        if let Some(s) = map.get(&def.oid) {
            return Ok(*s);
        }
        let stored = catalog::read_seqval(self.shared.rel_pages(CATALOG_REL), def.oid)
            .map_err(storage_error)?;
        let seq = match stored {
            Some((last, called)) => Seq {
                last,
                called,
                reserved: called.then_some(last),
            },
            None => {
                let (last, called) = sequence::initial_state(def);
                Seq {
                    last,
                    called,
                    reserved: None,
                }
            }
        };
        map.insert(def.oid, seq);
        Ok(seq)
    }

    /// Writes the sequence's row durably.
    fn store(&self, oid: Oid, last: i64, called: bool) -> Result<()> {
        let key = format::seqval_key(oid);
        let end = super::commit::write_catalog_rows(
            &self.shared,
            vec![(key, format::encode_seqval(last, called))],
            |_| {},
        )?;
        self.shared.wal.wait_durable(end).map_err(wal_error)
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<Oid, Seq>> {
        self.shared
            .sequences
            .inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }
}

/// Whether `next` is covered by `seq`'s durable reservation (and comes after the last value
/// handed out: a wrap-around of a CYCLE sequence needs a new reservation).
fn covered(def: &SequenceDef, seq: &Seq, next: i64) -> bool {
    let Some(r) = seq.reserved else {
        return false;
    };
    if def.increment > 0 {
        next <= r && (!seq.called || next > seq.last)
    } else {
        next >= r && (!seq.called || next < seq.last)
    }
}

impl Services for EngineServices {
    fn serializable(&self) -> Option<Arc<sql::storage::serializable::SerialRegistry>> {
        Some(self.shared.serial.clone())
    }

    fn table_activity(&self) -> Option<Arc<sql::system::table_stats::TableActivity>> {
        Some(self.shared.table_activity.clone())
    }

    fn advisory_lock(
        &self,
        pid: i32,
        key: sql::storage::AdvisoryKey,
        shared: bool,
        xact: bool,
        wait: bool,
    ) -> Result<bool> {
        self.shared
            .advisory
            .lock(&self.shared.locks, pid, key, shared, xact, wait)
            .map_err(super::txn::lock_error)
    }

    fn advisory_unlock(
        &self,
        pid: i32,
        key: sql::storage::AdvisoryKey,
        shared: bool,
    ) -> Result<bool> {
        Ok(self
            .shared
            .advisory
            .unlock(&self.shared.locks, pid, key, shared))
    }

    fn advisory_release(&self, pid: i32, xact_only: bool) {
        self.shared
            .advisory
            .release(&self.shared.locks, pid, xact_only);
    }

    fn locks(&self) -> Vec<sql::storage::LockInfo> {
        let entries = self.shared.locks.snapshot();
        if entries.is_empty() {
            return Vec::new();
        }
        let catalog = self.shared.commit_state().latest.clone();
        entries
            .into_iter()
            .map(|e| super::locks::lock_info(e, &catalog))
            .collect()
    }

    fn nextval(&self, def: &SequenceDef) -> Result<i64> {
        self.shared.refuse_writes("nextval()")?;
        let mut map = self.map();
        let mut seq = self.load(&mut map, def)?;
        let next = sequence::next_value(def, seq.last, seq.called)?;
        if !covered(def, &seq, next) {
            let wrapped = seq.called
                && ((def.increment > 0 && next <= seq.last)
                    || (def.increment < 0 && next >= seq.last));
            let until = if wrapped {
                next
            } else {
                sequence::reserve_until(def, next, RESERVE - 1)
            };
            self.store(def.oid, until, true)?;
            seq.reserved = Some(until);
        }
        seq.last = next;
        seq.called = true;
        map.insert(def.oid, seq);
        Ok(next)
    }

    fn setval(&self, def: &SequenceDef, value: i64, is_called: bool) -> Result<()> {
        self.shared.refuse_writes("setval()")?;
        sequence::check_setval(def, value)?;
        let mut map = self.map();
        self.store(def.oid, value, is_called)?;
        map.insert(
            def.oid,
            Seq {
                last: value,
                called: is_called,
                reserved: is_called.then_some(value),
            },
        );
        Ok(())
    }

    fn sequence_state(&self, def: &SequenceDef) -> Result<(i64, bool)> {
        let mut map = self.map();
        let seq = self.load(&mut map, def)?;
        Ok((seq.last, seq.called))
    }

    fn replication(&self) -> sql::storage::Replication {
        let mut r = self.shared.wal.replication();
        r.lsn = r.lsn.min(self.shared.snapshot_lsn().0);
        r
    }

    fn wait_for_lsn(&self, lsn: u64, timeout: std::time::Duration) -> Result<u64> {
        let reached = self
            .shared
            .wal
            .wait_applied(proto::Lsn(lsn), timeout)
            .map_err(|e| match e {
                super::WalError::Unavailable(why) => sql::Error::QueryCanceledWith(why),
                other => wal_error(other),
            })?;
        Ok(reached.0)
    }

    fn relation_size(&self, oid: Oid) -> Option<u64> {
        let latest = self.shared.commit_state().latest.clone();
        let rel = latest.tables.values().find_map(|t| {
            if t.def.id == oid || (t.def.pk_index_oid == oid && !t.def.primary_key.is_empty()) {
                Some(t.rel)
            } else {
                t.index_rels.get(&oid).copied()
            }
        })?;
        let blocks = self.shared.pages.try_block_count(rel).ok()?;
        Some(u64::from(blocks) * proto::PAGE_SIZE as u64)
    }
}
