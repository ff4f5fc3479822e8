//! [`MemoryStorage`]: a simple, correct, in-memory implementation of [`crate::storage`].
//!
//! It is the test double for the SQL layer and the reference model the real engine will be
//! property-tested against, so it favours obviousness over speed.
//!
//! # Model
//!
//! One global mutex guards [`Committed`]: a commit clock, the committed catalog, and per table a
//! `BTreeMap<Key, Vec<Version>>` of committed row versions. A commit stamps its versions with
//! the next clock value `ts`; a snapshot is a clock value `S`, and a version is visible iff
//! `created <= S` and it is not deleted at or before `S` (DESIGN.md's `created < S <= deleted`
//! with `S` pointing just past a record). Old versions are never garbage-collected.
//!
//! A [`MemoryTxn`] keeps a private write set `table → key → [(statement, Some(row) | None)]`
//! and private catalog versions, both tagged with statement numbers. Scans merge committed
//! rows at the snapshot with write-set entries of earlier statements; statement rollback,
//! savepoints and `rollback_to` drop entries by tag. Commit applies the latest entry per key.
//!
//! # Concurrency (simplified — the real engine blocks, this never does)
//!
//! * Row locks and key locks (`(table, constraint, key)` for the primary key and unique
//!   indexes) are recorded in `Committed` and released at commit or rollback (including when a
//!   `MemoryTxn` is dropped). Locks taken inside a rolled-back savepoint are kept.
//! * **First writer wins**: where PostgreSQL (and the real engine) would *wait* for a lock
//!   held by another in-flight transaction, `MemoryStorage` fails immediately with 40001
//!   (`could not serialize access due to concurrent update`). Hence it never deadlocks and
//!   never reports 40P01, and a single thread can drive several sessions.
//! * `lock_row` compares the latest committed version with the snapshot exactly as the
//!   contract says (Changed / Deleted under Read Committed, 40001 under Repeatable Read).
//! * Unique checks look at the latest committed rows plus the transaction's own writes;
//!   in-flight inserts of others are excluded by the key locks.
//! * DDL is transactional; a commit whose transaction did DDL fails with 40001 if another
//!   transaction committed DDL since this one first changed the catalog. TRUNCATE and table
//!   rewrites are modelled as deleting every row (and inserting the new ones).
//! * Foreign keys' shared row locks (`lock_key_share`) conflict with `lock_row` the same
//!   first-writer-wins way.
//!
//! Sequences ([`services`]) are a map outside transactions, as in PostgreSQL.

mod ddl;
mod services;
mod txn;

pub use txn::MemoryTxn;

use crate::Result;
use crate::storage::catalog::oids::FIRST_NORMAL_OID;
use crate::storage::{Catalog, Isolation, Key, Oid, Row, Services, Storage, TableId};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

/// Transaction identifier inside [`MemoryStorage`].
type TxnId = u64;

/// One committed row version.
#[derive(Debug, Clone)]
struct Version {
    created: u64,
    deleted: Option<u64>,
    row: Row,
}

impl Version {
    fn visible_at(&self, snapshot: u64) -> bool {
        self.created <= snapshot && self.deleted.is_none_or(|d| d > snapshot)
    }
}

/// Committed state, guarded by the global mutex.
#[derive(Debug, Default)]
struct Committed {
    /// Timestamp of the last commit.
    clock: u64,
    next_txn: TxnId,
    /// The next OID to hand out (0 means [`FIRST_NORMAL_OID`]).
    next_oid: Oid,
    next_row_id: i64,
    catalog: Arc<Catalog>,
    /// Clock value of the last commit that changed the catalog.
    catalog_changed_at: u64,
    tables: HashMap<TableId, BTreeMap<Key, Vec<Version>>>,
    row_locks: BTreeMap<(TableId, Key), TxnId>,
    /// Shared row locks of foreign key checks.
    share_locks: BTreeMap<(TableId, Key), BTreeSet<TxnId>>,
    key_locks: BTreeMap<(TableId, String, Key), TxnId>,
    /// Sequence values `(last_value, is_called)`, outside transactions.
    sequences: HashMap<Oid, (i64, bool)>,
}

impl Committed {
    fn release_locks(&mut self, txn: TxnId) {
        self.row_locks.retain(|_, holder| *holder != txn);
        self.key_locks.retain(|_, holder| *holder != txn);
        for holders in self.share_locks.values_mut() {
            holders.remove(&txn);
        }
        self.share_locks.retain(|_, h| !h.is_empty());
    }

    fn new_oid(&mut self) -> Oid {
        let oid = self.next_oid.max(FIRST_NORMAL_OID);
        self.next_oid = oid + 1;
        oid
    }
}

/// The in-memory reference storage. Cloning shares the same database.
#[derive(Debug, Clone, Default)]
pub struct MemoryStorage {
    shared: Arc<Mutex<Committed>>,
    activity: Arc<crate::system::table_stats::TableActivity>,
    serial: Arc<crate::storage::serializable::SerialRegistry>,
}

impl MemoryStorage {
    pub fn new() -> Self {
        Self::default()
    }
}

fn lock(shared: &Mutex<Committed>) -> std::sync::MutexGuard<'_, Committed> {
    // A panic while holding the lock cannot leave `Committed` half-updated in a way later
    // readers could misread (every mutation is a single insert/retain), so poison is ignored.
    shared.lock().unwrap_or_else(|p| p.into_inner())
}

impl Storage for MemoryStorage {
    type Txn = MemoryTxn;

    fn begin(&self, isolation: Isolation) -> Result<MemoryTxn> {
        let id = {
            let mut s = lock(&self.shared);
            s.next_txn += 1;
            s.next_txn
        };
        Ok(MemoryTxn::new(self.shared.clone(), id, isolation))
    }

    fn services(&self) -> Arc<dyn Services> {
        Arc::new(services::MemoryServices {
            shared: self.shared.clone(),
            activity: self.activity.clone(),
            serial: self.serial.clone(),
        })
    }
}

#[cfg(test)]
mod tests;
