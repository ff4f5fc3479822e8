//! The storage contract: what the SQL layer needs from the engine underneath it.
//!
//! The compute implements [`Storage`] over its B-link trees, page cache and MVCC (DESIGN.md,
//! "Compute"); [`crate::memory::MemoryStorage`] is the in-memory reference implementation and
//! test double. Everything here is synchronous: a call that misses the page cache blocks the
//! session's thread.
//!
//! # Transactions and statements
//!
//! [`Storage::begin`] starts a [`Txn`] at an isolation level. Before each SQL statement the
//! session calls [`Txn::begin_statement`], which numbers the statement and (under Read
//! Committed) takes a new snapshot; after it, [`Txn::end_statement`] with whether it
//! succeeded — a failed statement's writes are discarded (statement-level rollback), which is
//! the same mechanism as [`Txn::rollback_to`] a savepoint. Writes are tagged with their
//! statement number, and a statement sees:
//!
//! * committed rows visible at its snapshot (`created < S <= deleted` in LSN terms): the
//!   transaction's first statement's snapshot under Repeatable Read, the current statement's
//!   under Read Committed;
//! * plus the transaction's own writes of **earlier** statements — never its own writes of the
//!   current statement (so `UPDATE t SET k = k + 1` cannot see the rows it wrote: no Halloween
//!   problem).
//!
//! A [`RowStream`] returned by [`Txn::scan`] is detached from the transaction: it shows the
//! state described above as of the call, whatever the current statement writes while the
//! stream is consumed.
//!
//! # Writing rows
//!
//! Every row has a [`Key`]: its primary key values, or a hidden row id (`[Value::Int]`)
//! assigned by the storage when the table has no primary key. The executor writes an existing
//! row only after locking it:
//!
//! 1. [`Txn::lock_row`] takes the row lock (waiting for another writer to finish; a
//!    deadlock fails with 40P01) and then reads the **latest** committed version:
//!    * [`LockOutcome::Unchanged`] — the version the statement saw is still the latest;
//!    * [`LockOutcome::Changed`] — (Read Committed only) a concurrent transaction committed
//!      a newer version; the executor re-evaluates its WHERE clause on it and, if it still
//!      matches, applies its SET list to *that* version (PostgreSQL's EvalPlanQual);
//!    * [`LockOutcome::Deleted`] — (Read Committed only) a concurrent transaction deleted it;
//!      the executor skips the row.
//!
//!    Under Repeatable Read a newer committed version or a concurrent delete is a
//!    serialization failure (40001) instead.
//! 2. [`Txn::update`] / [`Txn::delete`] record the change in the write set. `update` may
//!    change primary key columns (the row's key changes).
//!
//! [`Txn::insert`] takes key locks on the primary key and every unique index (NULLs never
//! conflict); a key held by an in-flight transaction makes it wait for that transaction, then
//! re-check. With [`OnConflict::Error`] a duplicate is a unique violation (23505, naming the
//! constraint); with [`OnConflict::Report`] the storage returns the conflicting row
//! ([`InsertOutcome::Conflict`], latest committed version or the transaction's own) so the
//! executor can implement `ON CONFLICT DO NOTHING / DO UPDATE`. Updates check unique
//! constraints the same way.
//!
//! Nothing is visible to other transactions before [`Txn::commit`] returns `Ok`. Dropping a
//! `Txn` without committing rolls it back.
//!
//! # DDL
//!
//! DDL runs inside the transaction and becomes visible to others at commit; a failed
//! statement's DDL is discarded like its writes. The catalog a statement sees
//! ([`Txn::catalog`]) includes the transaction's own DDL. The SQL layer decides *what*
//! changes (naming, dependencies, validation of existing rows — `crate::ddl`); the storage
//! records definitions, assigns OIDs ([`Txn::new_oid`]) and builds what holds rows:
//!
//! * [`Txn::create_table`] / [`Txn::drop_table`] / [`Txn::create_index`] /
//!   [`Txn::drop_index`]: relations and their storage.
//! * [`Txn::alter_table`]: a new definition whose rows are stored the same way (renames,
//!   defaults, NOT NULL, CHECK / FOREIGN KEY constraints, comments, dropped indexes).
//! * [`Txn::rewrite_table`]: a new definition *and* new contents — a changed row layout or
//!   primary key (ALTER COLUMN TYPE, ADD/DROP COLUMN, ADD PRIMARY KEY, REFRESH).
//! * [`Txn::truncate`]: empty new storage for a table, transactionally.
//! * schemas, sequences (their definitions), views and ANALYZE statistics are plain
//!   catalog objects.
//!
//! Sequence *values* are not transactional (as in PostgreSQL): they live behind
//! [`Storage::services`], which also reports relation sizes.

pub mod catalog;
pub mod sample;
pub mod sequence;
pub mod serializable;

pub use catalog::{
    Catalog, CheckDef, ColumnDef, DatabaseDef, DefaultAclDef, DomainCheck, DomainDef, EnumLabel,
    ExtensionDef, FkAction, ForeignKeyDef, FunctionArg, FunctionDef, Identity, IndexDef, IndexRef,
    Membership, Oid, OwnedBy, Relation, RoleDef, SchemaDef, SequenceDef, StandardBody, TableDef,
    TableId, TableStats, TriggerDef, TypeBody, TypeDef, ViewColumn, ViewDef,
};

pub use sample::Reservoir;

use crate::{Result, Value};
use std::ops::Bound;
use std::sync::Arc;

/// A row: one value per table column, in column order.
pub type Row = Vec<Value>;

/// A row's key: primary key column values, or `[Value::Int(row_id)]` for a hidden row id.
pub type Key = Vec<Value>;

/// Transaction isolation levels. A storage implements Read Committed and Repeatable Read;
/// Serializable is built above it ([`serializable`]) on its Repeatable Read, so a storage
/// handed `Serializable` treats it as Repeatable Read ([`Isolation::keeps_snapshot`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    ReadCommitted,
    RepeatableRead,
    Serializable,
}

impl Isolation {
    /// The value `SHOW transaction_isolation` prints.
    pub fn name(&self) -> &'static str {
        match self {
            Isolation::ReadCommitted => "read committed",
            Isolation::RepeatableRead => "repeatable read",
            Isolation::Serializable => "serializable",
        }
    }

    /// Whether the transaction keeps its first statement's snapshot to the end (and fails
    /// with 40001 on a row a concurrent transaction changed) rather than taking one per
    /// statement.
    pub fn keeps_snapshot(&self) -> bool {
        !matches!(self, Isolation::ReadCommitted)
    }
}

/// A range over a key *prefix*: bounds hold values for the leading `n` columns of the key
/// (`n` may be less than the key's width), compared in [`Value`]'s total order. A key is in
/// the range iff its first `bound.len()` columns satisfy each bound.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyRange {
    pub lower: Bound<Vec<Value>>,
    pub upper: Bound<Vec<Value>>,
}

impl KeyRange {
    pub const ALL: KeyRange = KeyRange {
        lower: Bound::Unbounded,
        upper: Bound::Unbounded,
    };

    /// The range holding exactly the keys starting with `prefix`.
    pub fn prefix(prefix: Vec<Value>) -> KeyRange {
        KeyRange {
            lower: Bound::Included(prefix.clone()),
            upper: Bound::Included(prefix),
        }
    }

    /// Whether `key` lies in the range.
    pub fn contains(&self, key: &[Value]) -> bool {
        let cmp = |b: &[Value]| key[..b.len().min(key.len())].cmp(b);
        let lower_ok = match &self.lower {
            Bound::Unbounded => true,
            Bound::Included(b) => cmp(b).is_ge(),
            Bound::Excluded(b) => cmp(b).is_gt(),
        };
        let upper_ok = match &self.upper {
            Bound::Unbounded => true,
            Bound::Included(b) => cmp(b).is_le(),
            Bound::Excluded(b) => cmp(b).is_lt(),
        };
        lower_ok && upper_ok
    }
}

/// How to read a table. Rows come back in the order of the structure read: key order for
/// `Full` and `PrimaryRange` (hidden row id order when there is no primary key), index key
/// order (then primary key) for `IndexRange`.
#[derive(Debug, Clone, PartialEq)]
pub enum Access {
    Full,
    PrimaryRange(KeyRange),
    IndexRange { index: String, range: KeyRange },
}

/// A row as a scan returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScannedRow {
    pub key: Key,
    pub row: Row,
}

/// A detached stream of rows; see the module docs.
pub type RowStream = Box<dyn Iterator<Item = Result<ScannedRow>> + Send>;

/// What [`Txn::lock_row`] found after taking the lock.
#[derive(Debug, Clone, PartialEq)]
pub enum LockOutcome {
    /// The row version the statement saw is the latest.
    Unchanged(Row),
    /// A concurrent transaction committed this newer version (Read Committed only).
    Changed(Row),
    /// A concurrent transaction deleted the row (Read Committed only).
    Deleted,
}

/// How [`Txn::lock_row_as`] locks a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowLock {
    /// Exclusive (UPDATE, DELETE, `FOR [NO KEY] UPDATE`) or shared (`FOR [KEY] SHARE`).
    pub exclusive: bool,
    /// Wait for a transaction holding a conflicting lock to end; when false, such a lock
    /// makes the call return `None` at once (NOWAIT, SKIP LOCKED).
    pub wait: bool,
}

impl RowLock {
    /// The lock UPDATE and DELETE take.
    pub const WRITE: RowLock = RowLock {
        exclusive: true,
        wait: true,
    };
}

/// What [`Txn::insert`] does about a unique key that already exists.
#[derive(Debug, Clone, PartialEq)]
pub enum OnConflict {
    /// Fail with a unique violation (23505).
    Error,
    /// Report the conflicting row. `constraint` restricts the arbiter to one unique
    /// constraint (primary key or unique index, by name); a conflict on another constraint is
    /// still an error. `None` means any unique constraint is an arbiter.
    Report { constraint: Option<String> },
}

/// The result of [`Txn::insert`].
#[derive(Debug, Clone, PartialEq)]
pub enum InsertOutcome {
    Inserted(Key),
    /// The existing row that holds the conflicting key (only with [`OnConflict::Report`]).
    Conflict {
        key: Key,
        row: Row,
    },
}

/// Non-transactional services of a storage, usable while a statement runs (expression
/// evaluation reaches them through `crate::env`).
pub trait Services: Send + Sync {
    /// Advances sequence `seq` and returns its new value. Not rolled back with the
    /// transaction; a value is never returned twice, across restarts too. Past a bound
    /// without CYCLE: 2200H.
    fn nextval(&self, seq: &SequenceDef) -> Result<i64>;

    /// Sets the sequence's current value: the next `nextval` returns `value` when
    /// `is_called` is false, else the value after it.
    fn setval(&self, seq: &SequenceDef, value: i64, is_called: bool) -> Result<()>;

    /// The sequence's `(last_value, is_called)`, as `SELECT * FROM seq` shows them.
    fn sequence_state(&self, seq: &SequenceDef) -> Result<(i64, bool)>;

    /// The size in bytes of the relation (table or index) with OID `oid` in its latest
    /// committed state, `None` if there is no such stored relation.
    fn relation_size(&self, oid: Oid) -> Option<u64>;

    /// Where this server's WAL stands (`pg_is_in_recovery()`, `pg_current_wal_lsn()`,
    /// `pg_last_wal_replay_lsn()`, `strata_replication_status`). The default is a primary
    /// that knows no LSN (the in-memory reference storage).
    fn replication(&self) -> Replication {
        Replication::default()
    }

    /// The server's per-table activity counters (`pg_stat_user_tables`); `None` keeps none.
    fn table_activity(&self) -> Option<Arc<crate::system::table_stats::TableActivity>> {
        None
    }

    /// The locks transactions hold and wait for (`pg_locks`, `pg_blocking_pids`); none by
    /// default.
    fn locks(&self) -> Vec<LockInfo> {
        Vec::new()
    }

    /// Takes the advisory lock `key` for the session `pid` (`xact`: until its transaction
    /// ends, else until unlocked or the session ends), waiting if `wait`; whether it was
    /// taken. Locks of one session never conflict with each other and count: each lock is
    /// undone by one unlock.
    fn advisory_lock(
        &self,
        pid: i32,
        key: AdvisoryKey,
        shared: bool,
        xact: bool,
        wait: bool,
    ) -> Result<bool> {
        let _ = (pid, key, shared, xact, wait);
        Err(crate::Error::unsupported("advisory locks need the engine"))
    }

    /// Undoes one session-level `pg_advisory_lock` of `key` by `pid`; false (PostgreSQL
    /// warns) when the session holds none.
    fn advisory_unlock(&self, pid: i32, key: AdvisoryKey, shared: bool) -> Result<bool> {
        let _ = (pid, key, shared);
        Err(crate::Error::unsupported("advisory locks need the engine"))
    }

    /// Releases the advisory locks of session `pid`: those of its transaction (`xact_only`,
    /// at the transaction's end), or all of them (`pg_advisory_unlock_all`, the session's end).
    fn advisory_release(&self, pid: i32, xact_only: bool) {
        let _ = (pid, xact_only);
    }

    /// Blocks until this server has applied the WAL up to `lsn` (a read replica; a primary
    /// has everything it committed), at most `timeout`; returns the LSN reached. Past the
    /// timeout: 55000 naming both LSNs.
    fn wait_for_lsn(&self, lsn: u64, timeout: std::time::Duration) -> Result<u64> {
        let _ = timeout;
        Ok(self.replication().lsn.max(lsn))
    }

    /// The registry of this storage's serializable transactions, shared by every session
    /// ([`serializable`]); `None`: SERIALIZABLE is refused with 0A000.
    fn serializable(&self) -> Option<Arc<serializable::SerialRegistry>> {
        None
    }
}

/// An advisory lock's key: a bigint, or two int4s packed high-low (`two_part`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AdvisoryKey {
    pub key: i64,
    pub two_part: bool,
}

/// One lock held or waited for ([`Services::locks`]), in `pg_locks`' terms.
#[derive(Debug, Clone, PartialEq)]
pub struct LockInfo {
    /// `relation` (a table or index), `tuple` (a row or a unique key of one), `object` (a
    /// relation name being created).
    pub locktype: &'static str,
    /// The table or index locked (`relation`, `tuple`).
    pub relation: Option<Oid>,
    /// An advisory lock's `(classid, objid, objsubid)`: the key's high and low 32 bits, and
    /// 1 for a bigint key, 2 for two int4 keys.
    pub object: Option<(u32, u32, i16)>,
    /// PostgreSQL's name for the mode with the same conflicts (`AccessShareLock`,
    /// `AccessExclusiveLock`, `ExclusiveLock`).
    pub mode: &'static str,
    pub granted: bool,
    /// The holder's or waiter's backend pid.
    pub pid: i32,
    /// The storage's transaction identity.
    pub txn: u64,
    /// For a waiter: when its wait began (PostgreSQL microseconds since 2000-01-01 UTC).
    pub wait_start: Option<i64>,
    /// For a waiter: the pids it waits for.
    pub blocked_by: Vec<i32>,
}

/// A server's replication state ([`Services::replication`]). LSNs are byte positions in
/// the timeline's WAL (0: unknown), printed as PostgreSQL prints `pg_lsn` ([`format_lsn`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Replication {
    /// `true` on a read replica (PostgreSQL's "in recovery").
    pub in_recovery: bool,
    /// A primary's durable WAL end; a replica's applied (replayed) LSN.
    pub lsn: u64,
    /// A replica: the highest commit LSN its WAL source has reported.
    pub received_lsn: u64,
    /// A replica: the safekeeper it streams from (empty while it has none).
    pub source: String,
    /// A replica: where writes go (the primary's address, or a description).
    pub primary: String,
    /// A replica: committed WAL bytes not applied yet.
    pub lag_bytes: u64,
    /// A replica: milliseconds between the last applied record's commit on the primary
    /// and its application here (0 when caught up).
    pub lag_ms: f64,
    /// A replica: when (µs since the Unix epoch) the last record was applied.
    pub last_applied_us: Option<i64>,
}

/// `lsn` in PostgreSQL's `pg_lsn` text form (`0/16B3748`).
pub fn format_lsn(lsn: u64) -> String {
    format!("{:X}/{:X}", lsn >> 32, lsn as u32)
}

/// Parses PostgreSQL's `pg_lsn` text form (`0/16B3748`); `None` if malformed.
pub fn parse_lsn(text: &str) -> Option<u64> {
    let (hi, lo) = text.trim().split_once('/')?;
    let hi = u32::from_str_radix(hi, 16).ok()?;
    let lo = u32::from_str_radix(lo, 16).ok()?;
    Some((u64::from(hi) << 32) | u64::from(lo))
}

/// A storage engine: makes transactions.
pub trait Storage: Send + Sync {
    type Txn: Txn;

    /// Starts a transaction. The snapshot is taken by the first `begin_statement`.
    fn begin(&self, isolation: Isolation) -> Result<Self::Txn>;

    /// Sequences and sizes (see [`Services`]).
    fn services(&self) -> Arc<dyn Services>;
}

impl<S: Storage> Storage for Arc<S> {
    type Txn = S::Txn;
    fn begin(&self, isolation: Isolation) -> Result<Self::Txn> {
        (**self).begin(isolation)
    }
    fn services(&self) -> Arc<dyn Services> {
        (**self).services()
    }
}

/// One transaction. See the module docs for the rules every implementation follows.
pub trait Txn: Send {
    fn isolation(&self) -> Isolation;

    /// Starts the next statement: bumps the statement number; under Read Committed takes a
    /// fresh snapshot (under Repeatable Read only the first call does).
    fn begin_statement(&mut self) -> Result<()>;

    /// Ends the current statement; `ok = false` discards its writes and DDL.
    fn end_statement(&mut self, ok: bool);

    /// The catalog as the current statement sees it (committed DDL at the snapshot plus this
    /// transaction's own).
    fn catalog(&self) -> Result<Arc<Catalog>>;

    /// A new OID, never handed out before (not even to a transaction that rolled back).
    fn new_oid(&mut self) -> Result<Oid>;

    /// Creates a schema (42P06 if its name is taken).
    fn create_schema(&mut self, def: SchemaDef) -> Result<()>;

    /// Replaces the definition of schema `def.oid` (rename, comment).
    fn alter_schema(&mut self, def: SchemaDef) -> Result<()>;

    /// Drops an (empty) schema.
    fn drop_schema(&mut self, oid: Oid) -> Result<()>;

    /// Creates a table and its indexes. Every OID in `def` (table, indexes, constraints) is
    /// set by the caller with [`Txn::new_oid`]. Fails with 42P07 if one of its relation
    /// names is taken in its schema. If `def.id` is 0 the storage assigns it.
    fn create_table(&mut self, def: TableDef) -> Result<TableId>;

    /// Replaces table `def.id`'s definition by one that stores rows the same way: same
    /// columns and types in the same order, same primary key, indexes the same or fewer.
    /// New relation names are claimed (42P07).
    fn alter_table(&mut self, def: TableDef) -> Result<()>;

    /// Replaces table `def.id`'s definition and all its rows by `rows` (the complete new
    /// contents, full rows of `def`); indexes of `def` are built over them. A unique
    /// constraint the rows break fails with 23505. Rows the transaction wrote earlier are
    /// superseded (they are expected in `rows`).
    fn rewrite_table(
        &mut self,
        def: TableDef,
        rows: &mut dyn Iterator<Item = Result<Row>>,
    ) -> Result<()>;

    /// Gives table `def.id`, which has no primary key, `def`'s primary key (same columns,
    /// nothing else changed but indexes, which are built) *without* rewriting its rows —
    /// when the storage can tell in one pass that its stored rows already sit where the new
    /// key puts them and no column of `not_null` holds a NULL. Answers `false`, having
    /// changed nothing, when it cannot (the caller then rewrites the table with
    /// [`Txn::rewrite_table`], which reports the errors); the default always does.
    fn rekey_in_place(&mut self, def: &TableDef, not_null: &[usize]) -> Result<bool> {
        let _ = (def, not_null);
        Ok(false)
    }

    /// Removes every row of the table (transactionally: new, empty storage).
    fn truncate(&mut self, table: TableId) -> Result<()>;

    /// Drops a table with its indexes and rows (42P01 if absent).
    fn drop_table(&mut self, table: TableId) -> Result<()>;

    /// Adds an index (its `oid` set) over the table's existing rows. A unique index over
    /// duplicate existing keys fails with 23505.
    fn create_index(&mut self, table: TableId, index: IndexDef) -> Result<()>;

    /// Drops a secondary index by OID (42704 if absent).
    fn drop_index(&mut self, oid: Oid) -> Result<()>;

    /// Creates a sequence definition (42P07 if the name is taken).
    fn create_sequence(&mut self, def: SequenceDef) -> Result<()>;

    /// Replaces sequence `def.oid`'s definition (its value is untouched).
    fn alter_sequence(&mut self, def: SequenceDef) -> Result<()>;

    fn drop_sequence(&mut self, oid: Oid) -> Result<()>;

    /// Creates view `def` or replaces the view with its OID.
    fn put_view(&mut self, def: ViewDef) -> Result<()>;

    fn drop_view(&mut self, oid: Oid) -> Result<()>;

    /// Creates or replaces (same OID) a SQL function.
    fn put_function(&mut self, def: FunctionDef) -> Result<()>;

    fn drop_function(&mut self, oid: Oid) -> Result<()>;

    /// Creates or replaces (same OID) a composite type.
    fn put_type(&mut self, def: TypeDef) -> Result<()>;

    fn drop_type(&mut self, oid: Oid) -> Result<()>;

    /// Sets the database's settings (`ALTER DATABASE ... SET`).
    fn put_database(&mut self, def: DatabaseDef) -> Result<()>;

    /// Creates or replaces (same OID) an extension's catalog entry.
    fn put_extension(&mut self, def: ExtensionDef) -> Result<()>;

    fn drop_extension(&mut self, oid: Oid) -> Result<()>;

    /// Creates or replaces (same OID) a role.
    fn put_role(&mut self, def: RoleDef) -> Result<()>;

    fn drop_role(&mut self, oid: Oid) -> Result<()>;

    /// Creates or replaces (same OID) an `ALTER DEFAULT PRIVILEGES` entry.
    fn put_default_acl(&mut self, def: DefaultAclDef) -> Result<()>;

    fn drop_default_acl(&mut self, oid: Oid) -> Result<()>;

    /// Records ANALYZE's statistics of a table.
    fn set_stats(&mut self, table: TableId, stats: TableStats) -> Result<()>;

    /// `LOCK TABLE`: takes `table`'s lock for the rest of the transaction — shared (the
    /// lock DML and reads take) or exclusive (DDL's) — waiting for conflicting holders, or
    /// failing with 55P03 at once when `nowait`. The in-memory storage has no locks.
    fn lock_table(&mut self, table: TableId, exclusive: bool, nowait: bool) -> Result<()> {
        let _ = (table, exclusive, nowait);
        Ok(())
    }

    /// Rows of `table` visible to the current statement, in the order `access` implies.
    fn scan(&self, table: TableId, access: &Access) -> Result<RowStream>;

    /// Like [`Txn::scan`], for a reader that never writes the rows back (the input of a
    /// join or an aggregate): the rows' keys may come back empty, which spares the storage
    /// decoding them. By default the same as `scan`.
    fn scan_rows_only(&self, table: TableId, access: &Access) -> Result<RowStream> {
        self.scan(table, access)
    }

    /// Offers every row a full [`Txn::scan`] of `table` returns, in its order, to
    /// `sample` (which counts them and keeps some). A storage may count the rows it is
    /// not asked for without decoding them.
    fn sample(&self, table: TableId, sample: &mut Reservoir) -> Result<()> {
        for r in self.scan(table, &Access::Full)? {
            sample.add(r?.row);
        }
        Ok(())
    }

    /// Like [`Txn::scan`], but over the *latest* committed rows (plus every own write):
    /// what a foreign key check must see whatever the snapshot.
    fn scan_latest(&self, table: TableId, access: &Access) -> Result<RowStream>;

    /// Takes a shared lock on the row of `table` whose unique key `constraint` (the primary
    /// key's or a unique index's name) has `values`, so it cannot be deleted or get another
    /// key until this transaction ends (PostgreSQL's `FOR KEY SHARE`), and reports whether
    /// such a row exists in the latest state (own writes included). Used by foreign keys.
    fn lock_key_share(
        &mut self,
        table: TableId,
        constraint: &str,
        values: &[Value],
    ) -> Result<bool>;

    /// Locks the row with `key` for writing and reports its latest version; see the
    /// module docs.
    fn lock_row(&mut self, table: TableId, key: &Key) -> Result<LockOutcome> {
        self.lock_row_as(table, key, RowLock::WRITE)?
            .ok_or_else(|| crate::Error::Internal("a waiting row lock was not taken".into()))
    }

    /// Like [`Txn::lock_row`], in the mode `how` says (`SELECT ... FOR UPDATE / SHARE`);
    /// `None` when `how.wait` is false and another transaction holds a conflicting lock.
    /// Takes the transaction shared: a subquery's `FOR UPDATE` locks too.
    fn lock_row_as(&self, table: TableId, key: &Key, how: RowLock) -> Result<Option<LockOutcome>>;

    /// Inserts a row (NOT NULL and types are already checked by the executor).
    fn insert(
        &mut self,
        table: TableId,
        row: Row,
        on_conflict: &OnConflict,
    ) -> Result<InsertOutcome>;

    /// Replaces the locked row `key` with `row`; returns the row's (possibly new) key.
    fn update(&mut self, table: TableId, key: &Key, row: Row) -> Result<Key>;

    /// Deletes the locked row `key`.
    fn delete(&mut self, table: TableId, key: &Key) -> Result<()>;

    /// Marks a savepoint at the current point of the write set; returns its id.
    fn savepoint(&mut self) -> u64;

    /// Discards every write (and DDL) made since savepoint `id`. The savepoint stays valid.
    fn rollback_to(&mut self, id: u64) -> Result<()>;

    /// COMMIT / ROLLBACK inside a procedure or DO block: ends this transaction (committing
    /// it when `commit`) and goes on in a new one in its place. Only the transaction the
    /// session runs a top-level CALL or DO in can (`session/procedures.rs`); any other is
    /// 2D000, PostgreSQL's error for an atomic context.
    fn restart(&mut self, commit: bool) -> Result<()> {
        let _ = commit;
        Err(crate::Error::Raised(Box::new(crate::error::Raised {
            code: "2D000",
            message: "invalid transaction termination".into(),
            detail: None,
            hint: None,
        })))
    }

    /// Commits. On error the transaction is rolled back (e.g. 40001).
    fn commit(self) -> Result<()>;

    /// Rolls back, releasing locks.
    fn rollback(self);
}
