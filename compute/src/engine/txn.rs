//! [`EngineTxn`]: one transaction, implementing the [`sql::storage::Txn`] contract.
//!
//! State: the snapshot (per statement under Read Committed, fixed under Repeatable Read),
//! the statement number, the private [`WriteSet`], the catalog as the current statement
//! sees it (snapshot catalog + own DDL), the locks it took (in the engine's
//! [`super::LockManager`]) and `max_seen`, the end of the newest record beyond its snapshot
//! whose effects it observed: every read of the *latest* state (`lock_row`, unique checks,
//! the RR visibility check of a conflict, DDL name checks, a commit's schema check) notes
//! the newest version it read there, live or deleted — so an absence counts too. Nothing
//! waits at the read: COMMIT waits for `max_seen`, and the session's reply waits for it
//! through the engine handle's cell ([`super::Engine::settle`], [`super::serving`]).
//!
//! Writers lock before they check: `lock_row` takes the row lock and then reads the latest
//! version; `insert` / `update` take the primary key's row lock and each unique key's key
//! lock, then look for a conflicting row among the latest applied rows and the
//! transaction's own writes. A conflicting in-flight writer therefore makes them wait, and
//! the re-check happens after it finished. Every lock is released right after the serial
//! step (or at rollback / drop), never held across the wait for durability.

use std::cell::Cell;
use std::collections::HashSet;
use std::sync::Arc;

use proto::Lsn;
use sql::storage::{
    Access, Catalog, IndexDef, InsertOutcome, Isolation, Key, KeyRange, LockOutcome, Oid,
    OnConflict, Row, RowLock, RowStream, SchemaDef, SequenceDef, TableDef, TableId, TableStats,
    Txn, ViewDef,
};
use sql::{Error, Result, Value};

use super::catalog::{EngineCatalog, Kind, Object, TableEntry};
use super::codec;
use super::horizon::SnapshotHold;
use super::locks::{LockError, LockMode, LockTarget, TxnId};
use super::serving::{Observed, Unknown};
use super::write_set::{DdlOp, PROVISIONAL_ROW_ID, WriteSet};
use super::{EngineState, program_limit_exceeded, storage_error};
use crate::mvcc::{VersionHead, VersionedTree};

/// A transaction over [`super::Engine`].
pub struct EngineTxn {
    pub(super) shared: Arc<EngineState>,
    pub(super) id: TxnId,
    isolation: Isolation,
    /// Set by `Engine::begin_at`: every statement reads here.
    fixed_snapshot: Option<Lsn>,
    pub(super) snapshot: Option<Lsn>,
    /// The snapshot's hold on the prune horizon ([`super::horizon`]), released when the
    /// transaction finishes.
    hold: Option<SnapshotHold>,
    pub(super) stmt: u64,
    pub(super) writes: WriteSet,
    base: Arc<EngineCatalog>,
    base_sql: Arc<Catalog>,
    pub(super) view: Arc<EngineCatalog>,
    pub(super) view_sql: Arc<Catalog>,
    /// Table locks held (`exclusive`); behind a mutex so a subquery's `FOR UPDATE`, which
    /// sees the transaction shared, can take them.
    table_locks: std::sync::Mutex<HashSet<(TableId, bool)>>,
    /// End of the newest record beyond the snapshot whose effects this transaction
    /// observed (see the module docs); also noted in `observed`, its session's cell.
    max_seen: Cell<Lsn>,
    observed: Arc<Observed>,
    next_provisional: i64,
    /// Whether inserts of (statement, table) are appended ([`super::append`]), as last
    /// decided.
    pub(super) append_to: Option<(u64, TableId, bool)>,
    finished: bool,
}

/// PostgreSQL's 54000 for an index entry longer than a B-tree key may be.
pub(super) fn index_row_too_large(size: usize, max: usize, index: &str) -> Error {
    program_limit_exceeded(format!(
        "index row size {size} exceeds btree version 4 maximum {max} for index \"{index}\""
    ))
}

fn serialization_failure(what: &str) -> Error {
    Error::SerializationFailure(format!(
        "could not serialize access due to concurrent {what}"
    ))
}

/// A conflicting row: constraint name, its columns, the row's key and the row.
type Conflict = (String, Vec<usize>, Key, Row);

impl EngineTxn {
    pub(super) fn new(
        shared: Arc<EngineState>,
        observed: Arc<Observed>,
        id: TxnId,
        isolation: Isolation,
        fixed_snapshot: Option<Lsn>,
    ) -> EngineTxn {
        // Placeholders until the first statement reads the catalog: made once, not per
        // transaction (a default `Catalog` allocates its `public` schema).
        static EMPTY: std::sync::LazyLock<(Arc<EngineCatalog>, Arc<Catalog>)> =
            std::sync::LazyLock::new(|| {
                (
                    Arc::new(EngineCatalog::default()),
                    Arc::new(Catalog::default()),
                )
            });
        let (empty, empty_sql) = (EMPTY.0.clone(), EMPTY.1.clone());
        EngineTxn {
            shared,
            id,
            isolation,
            fixed_snapshot,
            snapshot: None,
            hold: None,
            stmt: 0,
            writes: WriteSet::default(),
            base: empty.clone(),
            base_sql: empty_sql.clone(),
            view: empty,
            view_sql: empty_sql,
            table_locks: std::sync::Mutex::new(HashSet::new()),
            max_seen: Cell::new(Lsn::INVALID),
            observed,
            next_provisional: 0,
            append_to: None,
            finished: false,
        }
    }

    pub(super) fn snapshot(&self) -> Result<Lsn> {
        self.snapshot
            .ok_or_else(|| Error::Internal("statement not begun".into()))
    }

    pub(super) fn entry(&self, table: TableId) -> Result<&TableEntry> {
        self.view
            .tables
            .get(&table)
            .ok_or_else(|| Error::UndefinedTable(format!("#{table}")))
    }

    pub(super) fn tree(&self, rel: proto::RelId) -> VersionedTree<super::pages::RelPages> {
        VersionedTree::open(self.shared.rel_pages(rel), self.shared.config.limits)
    }

    fn refresh_view(&mut self) {
        if self.writes.has_ddl() {
            let view = self.writes.apply_ddl(&self.base);
            self.view_sql = Arc::new(view.to_sql());
            self.view = Arc::new(view);
        } else {
            self.view = self.base.clone();
            self.view_sql = self.base_sql.clone();
        }
    }

    pub(super) fn lock(&self, target: LockTarget, mode: LockMode) -> Result<()> {
        self.shared
            .locks
            .acquire(self.id, target, mode)
            .map_err(lock_error)
    }

    /// Takes `table`'s lock for the rest of the transaction, waiting for conflicting holders.
    pub(super) fn hold_table(&self, table: TableId, exclusive: bool) -> Result<()> {
        self.take_table_lock(table, exclusive, true).map(|_| ())
    }

    /// Takes `table`'s lock for the rest of the transaction, waiting for conflicting
    /// holders if `wait`; false when it would have had to wait and `wait` is not set.
    fn take_table_lock(&self, table: TableId, exclusive: bool, wait: bool) -> Result<bool> {
        let held = |t: &Self| {
            let locks = t.table_locks.lock().unwrap_or_else(|e| e.into_inner());
            locks.contains(&(table, true)) || locks.contains(&(table, exclusive))
        };
        if held(self) {
            return Ok(true);
        }
        let mode = if exclusive {
            LockMode::Exclusive
        } else {
            LockMode::Shared
        };
        if wait {
            self.lock(LockTarget::Table(table), mode)?;
        } else if !self
            .shared
            .locks
            .try_acquire(self.id, LockTarget::Table(table), mode)
        {
            return Ok(false);
        }
        self.table_locks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((table, exclusive));
        Ok(true)
    }

    /// Whether `rel` has pages yet (a table or index created by an uncommitted
    /// transaction has none: its rows are all in that transaction's write set).
    pub(super) fn rel_exists(&self, rel: proto::RelId) -> bool {
        self.shared.pages.block_count(rel) > 0
    }

    /// Every version of `enc`, newest first, as latest applied; notes the newest as seen.
    fn latest_versions(&self, entry: &TableEntry, enc: &[u8]) -> Result<Vec<VersionHead>> {
        if !self.rel_exists(entry.rel()) {
            return Ok(Vec::new());
        }
        let versions = self
            .tree(entry.rel())
            .heads(enc, Lsn::MAX)
            .map_err(storage_error)?;
        if let Some(newest) = versions.first() {
            let change = if newest.is_live() {
                newest.created
            } else {
                newest.deleted
            };
            self.saw_change(change);
        }
        Ok(versions)
    }

    /// Notes that the current statement's answer depends on the state as of `end` (a
    /// record's end, or any LSN inside the record): its COMMIT and its reply wait until
    /// `end` is durable. Free when `end` is within the snapshot, which is durable.
    pub(super) fn saw_state(&self, end: Lsn) {
        if self.snapshot.is_some_and(|s| end <= s) || end <= self.max_seen.get() {
            return;
        }
        self.max_seen.set(end);
        self.observed.note(end);
    }

    /// [`Self::saw_state`] for a version change stamped `start` (its record's start LSN):
    /// the record has ended once the durable LSN, a record boundary, passes `start`.
    pub(super) fn saw_change(&self, start: Lsn) {
        if start != Lsn::MAX {
            self.saw_state(Lsn(start.0 + 1));
        }
    }

    /// Reads of the whole latest table (unique index builds) saw every applied record.
    pub(super) fn saw_latest(&self) {
        self.saw_state(self.shared.applied_lsn());
    }

    /// The latest applied live row of `enc`, if any.
    fn latest_row(&self, entry: &TableEntry, enc: &[u8]) -> Result<Option<Row>> {
        match self.latest_versions(entry, enc)?.into_iter().next() {
            Some(v) if v.is_live() => Ok(Some(self.latest_payload(entry, &v)?)),
            _ => Ok(None),
        }
    }

    /// The row of a version read at the latest state (its payload read only now).
    fn latest_payload(&self, entry: &TableEntry, head: &VersionHead) -> Result<Row> {
        let payload = self
            .tree(entry.rel())
            .payload(head, Lsn::MAX)
            .map_err(storage_error)?;
        self.decode(entry, &payload)
    }

    pub(super) fn decode(&self, entry: &TableEntry, payload: &[u8]) -> Result<Row> {
        codec::decode_row(payload, &entry.column_types()).map_err(storage_error)
    }

    /// The latest state of `enc` for this transaction: own writes of any statement first,
    /// then the latest applied row.
    fn current_row(&self, entry: &TableEntry, enc: &[u8]) -> Result<Option<Row>> {
        match self.writes.row_at(entry.def.id, enc, u64::MAX) {
            Some(own) => Ok(own.cloned()),
            None => self.latest_row(entry, enc),
        }
    }

    /// Fails with 54000, PostgreSQL's "index row size N exceeds btree version 4 maximum M
    /// for index …", when `row`'s primary key (encoded `enc`) or one of its index entries
    /// is longer than a tree key may be. The sizes are our tree keys' (the encoded key with
    /// its 8-byte version suffix); the maximum is this engine's, not PostgreSQL's 2704.
    fn check_key_sizes(&self, entry: &TableEntry, enc: &[u8], row: &Row) -> Result<()> {
        let max = self.shared.config.limits.max_key;
        let def = &entry.def;
        if !def.primary_key.is_empty() && enc.len() + 8 > max {
            let name = def
                .primary_key_name
                .clone()
                .unwrap_or_else(|| format!("{}_pkey", def.name));
            return Err(index_row_too_large(enc.len() + 8, max, &name));
        }
        for index in &def.indexes {
            let Some(k) = super::commit::index_entry(row, index, def, enc)? else {
                continue;
            };
            let size = k.len() + 8;
            if size > max {
                return Err(index_row_too_large(size, max, &index.name));
            }
        }
        Ok(())
    }

    fn check_write_limit(&self) -> Result<()> {
        let limit = self.shared.config.write_set_limit;
        if self.writes.bytes() > limit {
            return Err(program_limit_exceeded(format!(
                "transaction write set exceeds {limit} bytes"
            )));
        }
        Ok(())
    }

    /// Looks for a row other than `replacing` that holds one of `row`'s unique keys, after
    /// taking the locks on those keys.
    fn find_conflict(
        &mut self,
        entry: &TableEntry,
        row: &Row,
        replacing: Option<&[u8]>,
    ) -> Result<Option<Conflict>> {
        let def = &entry.def;
        if let (Some(name), Some(pk)) = (&def.primary_key_name, def.primary_key_of(row)) {
            let enc = codec::encode_key(&pk);
            if replacing != Some(enc.as_slice()) {
                self.lock(LockTarget::Row(def.id, enc.clone()), LockMode::Exclusive)?;
                if let Some(existing) = self.current_row(entry, &enc)? {
                    return Ok(Some((name.clone(), def.primary_key.clone(), pk, existing)));
                }
            }
        }
        for (idx, rel) in entry.indexes() {
            let rel = &rel;
            if !idx.unique {
                continue;
            }
            let Some(vals) = idx.key_of(def, row)? else {
                continue;
            };
            if vals.iter().any(Value::is_null) {
                continue;
            }
            let ienc = codec::encode_key(&vals);
            self.lock(LockTarget::Key(*rel, ienc.clone()), LockMode::Exclusive)?;
            let same = |r: &Row| idx.key_of(def, r).ok().flatten().as_ref() == Some(&vals);
            let own: Vec<Vec<u8>> = match self.writes.unique_candidates(def.id, *rel, &ienc) {
                Some(candidates) => candidates,
                None => self
                    .writes
                    .table(def.id)
                    .map(|(enc, _)| enc.clone())
                    .collect(),
            };
            for enc in own {
                if replacing == Some(enc.as_slice()) {
                    continue;
                }
                if let Some(Some(r)) = self.writes.row_at(def.id, &enc, u64::MAX)
                    && same(r)
                {
                    let key = self
                        .writes
                        .key_of(def.id, &enc)
                        .cloned()
                        .unwrap_or_default();
                    return Ok(Some((
                        idx.name.clone(),
                        idx.columns.clone(),
                        key,
                        r.clone(),
                    )));
                }
            }
            if !self.rel_exists(*rel) {
                // A new index: the table's committed rows are checked directly.
                self.saw_latest();
                for r in self.latest_rows(entry)? {
                    let enc = codec::encode_key(&r.key);
                    if replacing != Some(enc.as_slice()) && same(&r.row) {
                        return Ok(Some((idx.name.clone(), idx.columns.clone(), r.key, r.row)));
                    }
                }
                continue;
            }
            let upper = crate::keycodec::prefix_successor(&ienc);
            let index = self.tree(*rel);
            let mut scan = index
                .scan(
                    std::ops::Bound::Included(&ienc),
                    upper
                        .as_deref()
                        .map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded),
                    Lsn::MAX,
                )
                .map_err(storage_error)?;
            let hits: Vec<Vec<u8>> = scan
                .by_ref()
                .map(|hit| hit.map(|(ikey, _)| ikey).map_err(storage_error))
                .collect::<Result<_>>()?;
            // Entries of this key deleted by a commit not yet durable count too: the key
            // being free is an answer as well.
            self.saw_change(scan.newest_change());
            drop(scan);
            for ikey in hits {
                let pk = ikey[ienc.len()..].to_vec();
                if replacing == Some(pk.as_slice())
                    || self.writes.row_at(def.id, &pk, u64::MAX).is_some()
                {
                    continue;
                }
                if self.latest_row(entry, &pk)?.is_some_and(|r| same(&r)) {
                    // The holder may be deleting or changing that row: wait for it (as
                    // PostgreSQL waits on the row's xmax), then look again.
                    self.lock(LockTarget::Row(def.id, pk.clone()), LockMode::Exclusive)?;
                    if let Some(r) = self.latest_row(entry, &pk)?
                        && same(&r)
                    {
                        let key =
                            codec::decode_key(&pk, &entry.key_types()).map_err(storage_error)?;
                        return Ok(Some((idx.name.clone(), idx.columns.clone(), key, r)));
                    }
                }
            }
        }
        Ok(None)
    }

    fn unique_violation(
        &self,
        def: &TableDef,
        constraint: &str,
        cols: &[usize],
        row: &Row,
    ) -> Error {
        let catalog = self.view_sql();
        sql::storage::catalog::index_keys::unique_violation_of(&catalog, def, constraint, cols, row)
    }

    /// Records a row write by the current statement (after settling the table's appended
    /// rows, which the write may concern).
    fn record_write(
        &mut self,
        entry: &TableEntry,
        enc: Vec<u8>,
        key: Key,
        row: Option<Row>,
    ) -> Result<()> {
        self.settle_appended(entry.def.id)?;
        self.note_write(entry, enc, key, self.stmt, row);
        Ok(())
    }

    /// Records a row write by statement `stmt`, noting its unique keys for later unique
    /// checks.
    pub(super) fn note_write(
        &mut self,
        entry: &TableEntry,
        enc: Vec<u8>,
        key: Key,
        stmt: u64,
        row: Option<Row>,
    ) {
        let def = &entry.def;
        let unique = || entry.indexes().filter(|(i, _)| i.unique);
        self.writes.cover(def.id, unique().map(|(_, rel)| rel));
        if let Some(row) = &row {
            for (idx, rel) in unique() {
                let Ok(Some(vals)) = idx.key_of(def, row) else {
                    continue;
                };
                if !vals.iter().any(Value::is_null) {
                    self.writes
                        .note_unique(rel, codec::encode_key(&vals), enc.clone());
                }
            }
        }
        self.writes.push(def.id, enc, key, stmt, row);
    }

    pub(super) fn push_ddl_op(
        &mut self,
        kind: Kind,
        oid: Oid,
        before: Option<Object>,
        after: Option<Object>,
    ) {
        self.writes.push_ddl(
            self.stmt,
            DdlOp {
                kind,
                oid,
                before,
                after,
            },
        );
        self.refresh_view();
    }

    fn finish(&mut self) {
        if !self.finished {
            self.finished = true;
            self.hold = None;
            self.shared.locks.release_all(self.id);
        }
    }

    /// Frees the relations built ahead for a transaction that did not commit.
    fn free_prebuilt(&mut self) {
        let rels: Vec<proto::RelId> = self
            .writes
            .prebuilt()
            .chain(self.writes.orphans().iter().copied())
            .collect();
        if rels.is_empty() {
            return;
        }
        let mut st = self.shared.commit_state();
        let end = st.wal_end;
        super::tombstone::emit(&self.shared, &mut st, &rels, end);
    }

    /// The snapshot for the statement beginning now, held in the engine's registry so
    /// that pruning keeps what it may read (the previous statement's hold is released).
    /// A fixed snapshot served from storage holds only the reuse horizon, from the
    /// applied LSN it begins reading the latest pages at (see [`super::horizon`]).
    fn take_snapshot(&mut self) -> Lsn {
        let shared = &self.shared;
        let hold = match self.fixed_snapshot {
            Some(s) if shared.pages.cache().is_some() => {
                self.hold = Some(shared.readers.hold(|| shared.applied_lsn()));
                return s;
            }
            Some(s) => shared.snapshots.hold(|| s),
            None => shared.snapshots.hold(|| shared.snapshot_lsn()),
        };
        let s = hold.lsn();
        self.hold = Some(hold);
        s
    }
}

impl Drop for EngineTxn {
    fn drop(&mut self) {
        if !self.finished {
            self.free_prebuilt();
        }
        self.finish();
    }
}

impl Txn for EngineTxn {
    fn isolation(&self) -> Isolation {
        self.isolation
    }

    fn begin_statement(&mut self) -> Result<()> {
        self.shared.check_serving()?;
        self.stmt += 1;
        if self.snapshot.is_none() || !self.isolation.keeps_snapshot() {
            let s = self.take_snapshot();
            let cached = self.shared.catalog_at(s)?;
            self.snapshot = Some(s);
            self.base = cached.catalog;
            self.base_sql = cached.sql;
            self.refresh_view();
        }
        Ok(())
    }

    fn end_statement(&mut self, ok: bool) {
        if !ok {
            self.writes.discard_after(self.stmt.saturating_sub(1));
            self.refresh_view();
        }
    }

    fn catalog(&self) -> Result<Arc<Catalog>> {
        Ok(self.view_sql.clone())
    }

    fn new_oid(&mut self) -> Result<Oid> {
        Ok(self.ddl_new_oid())
    }

    fn create_schema(&mut self, def: SchemaDef) -> Result<()> {
        self.shared.refuse_writes("CREATE SCHEMA")?;
        self.ddl_create_schema(def)
    }

    fn alter_schema(&mut self, def: SchemaDef) -> Result<()> {
        self.shared.refuse_writes("ALTER SCHEMA")?;
        self.ddl_alter_schema(def)
    }

    fn drop_schema(&mut self, oid: Oid) -> Result<()> {
        self.shared.refuse_writes("DROP SCHEMA")?;
        self.ddl_drop_schema(oid)
    }

    fn create_table(&mut self, def: TableDef) -> Result<TableId> {
        self.shared.refuse_writes("CREATE TABLE")?;
        self.ddl_create_table(def)
    }

    fn alter_table(&mut self, def: TableDef) -> Result<()> {
        self.shared.refuse_writes("ALTER TABLE")?;
        self.settle_all_appended()?;
        self.ddl_alter_table(def)
    }

    fn rewrite_table(
        &mut self,
        def: TableDef,
        rows: &mut dyn Iterator<Item = Result<Row>>,
    ) -> Result<()> {
        self.shared.refuse_writes("ALTER TABLE")?;
        self.settle_all_appended()?;
        self.ddl_rewrite_table(def, rows)
    }

    fn rekey_in_place(&mut self, def: &TableDef, not_null: &[usize]) -> Result<bool> {
        self.shared.refuse_writes("ALTER TABLE")?;
        self.settle_all_appended()?;
        self.ddl_rekey_in_place(def.clone(), not_null)
    }

    fn truncate(&mut self, table: TableId) -> Result<()> {
        self.shared.refuse_writes("TRUNCATE TABLE")?;
        self.settle_all_appended()?;
        self.ddl_truncate(table)
    }

    fn drop_table(&mut self, table: TableId) -> Result<()> {
        self.shared.refuse_writes("DROP TABLE")?;
        self.settle_all_appended()?;
        self.ddl_drop_table(table)
    }

    fn create_index(&mut self, table: TableId, index: IndexDef) -> Result<()> {
        self.shared.refuse_writes("CREATE INDEX")?;
        self.settle_all_appended()?;
        self.ddl_create_index(table, index)
    }

    fn drop_index(&mut self, oid: Oid) -> Result<()> {
        self.shared.refuse_writes("DROP INDEX")?;
        self.settle_all_appended()?;
        self.ddl_drop_index(oid)
    }

    fn create_sequence(&mut self, def: SequenceDef) -> Result<()> {
        self.shared.refuse_writes("CREATE SEQUENCE")?;
        self.ddl_put_sequence(def, true)
    }

    fn alter_sequence(&mut self, def: SequenceDef) -> Result<()> {
        self.shared.refuse_writes("ALTER SEQUENCE")?;
        self.ddl_put_sequence(def, false)
    }

    fn drop_sequence(&mut self, oid: Oid) -> Result<()> {
        self.shared.refuse_writes("DROP SEQUENCE")?;
        self.ddl_drop_sequence(oid)
    }

    fn put_view(&mut self, def: ViewDef) -> Result<()> {
        self.shared.refuse_writes("CREATE VIEW")?;
        self.ddl_put_view(def)
    }

    fn drop_view(&mut self, oid: Oid) -> Result<()> {
        self.shared.refuse_writes("DROP VIEW")?;
        self.ddl_drop_view(oid)
    }

    fn put_function(&mut self, def: sql::storage::FunctionDef) -> Result<()> {
        self.ddl_put_function(def)
    }

    fn drop_function(&mut self, oid: Oid) -> Result<()> {
        self.ddl_drop_function(oid)
    }

    fn put_type(&mut self, def: sql::storage::TypeDef) -> Result<()> {
        self.shared.refuse_writes("CREATE TYPE")?;
        self.ddl_put_type(def)
    }

    fn drop_type(&mut self, oid: Oid) -> Result<()> {
        self.shared.refuse_writes("DROP TYPE")?;
        self.ddl_drop_type(oid)
    }

    fn put_database(&mut self, def: sql::storage::DatabaseDef) -> Result<()> {
        self.shared.refuse_writes("ALTER DATABASE")?;
        self.ddl_put_database(def)
    }

    fn put_extension(&mut self, def: sql::storage::ExtensionDef) -> Result<()> {
        self.shared.refuse_writes("CREATE EXTENSION")?;
        self.ddl_put_extension(def)
    }

    fn drop_extension(&mut self, oid: Oid) -> Result<()> {
        self.shared.refuse_writes("DROP EXTENSION")?;
        self.ddl_drop_extension(oid)
    }

    fn put_role(&mut self, def: sql::storage::RoleDef) -> Result<()> {
        self.ddl_put_role(def)
    }

    fn drop_role(&mut self, oid: Oid) -> Result<()> {
        self.ddl_drop_role(oid)
    }

    fn put_default_acl(&mut self, def: sql::storage::DefaultAclDef) -> Result<()> {
        self.ddl_put_default_acl(def)
    }

    fn drop_default_acl(&mut self, oid: Oid) -> Result<()> {
        self.ddl_drop_default_acl(oid)
    }

    fn set_stats(&mut self, table: TableId, stats: TableStats) -> Result<()> {
        self.shared.refuse_writes("ANALYZE")?;
        self.ddl_set_stats(table, stats)
    }

    fn scan_latest(&self, table: TableId, access: &Access) -> Result<RowStream> {
        let entry = self.entry(table)?;
        self.saw_latest();
        let rows = match access {
            Access::Full => self.key_range_rows_latest(entry, &KeyRange::ALL)?,
            Access::PrimaryRange(r) => self.key_range_rows_latest(entry, r)?,
            Access::IndexRange { index, range } => {
                let def = entry.def.index(index).ok_or_else(|| {
                    Error::UndefinedObject(format!("index \"{index}\" does not exist"))
                })?;
                let mut rows: Vec<(Vec<Value>, sql::storage::ScannedRow)> = Vec::new();
                for r in self.key_range_rows_latest(entry, &KeyRange::ALL)? {
                    if let Some(k) = def.key_of(&entry.def, &r.row)?
                        && range.contains(&k)
                    {
                        rows.push((k, r));
                    }
                }
                rows.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.key.cmp(&b.1.key)));
                rows.into_iter().map(|(_, r)| r).collect()
            }
        };
        Ok(Box::new(rows.into_iter().map(Ok)))
    }

    fn lock_key_share(
        &mut self,
        table: TableId,
        constraint: &str,
        values: &[Value],
    ) -> Result<bool> {
        self.shared.refuse_writes("SELECT FOR KEY SHARE")?;
        let entry = self.entry(table)?.clone();
        let def = &entry.def;
        let pk = if def.primary_key_name.as_deref() == Some(constraint) {
            codec::encode_key(values)
        } else {
            let idx = def
                .index(constraint)
                .ok_or_else(|| Error::Internal(format!("no unique key {constraint}")))?;
            let found = self
                .key_range_rows_latest(&entry, &KeyRange::ALL)?
                .into_iter()
                .find(|r| idx.columns.iter().map(|&c| &r.row[c]).eq(values.iter()));
            match found {
                Some(r) => codec::encode_key(&r.key),
                None => return Ok(false),
            }
        };
        self.lock(LockTarget::Row(table, pk.clone()), LockMode::Shared)?;
        Ok(self.current_row(&entry, &pk)?.is_some())
    }

    fn scan(&self, table: TableId, access: &Access) -> Result<RowStream> {
        // Scans take no table lock: readers never block (a concurrent DROP is caught by
        // the schema check of writers, and a reader keeps its snapshot's pages).
        let entry = self.entry(table)?;
        self.scan_rows(entry, access)
    }

    fn scan_rows_only(&self, table: TableId, access: &Access) -> Result<RowStream> {
        let entry = self.entry(table)?;
        match access {
            // Without a range to check keys against, the tree's keys are not decoded.
            Access::Full => Ok(Box::new(self.full_scan_rows_only(entry)?)),
            _ => self.scan_rows(entry, access),
        }
    }

    fn lock_table(&mut self, table: TableId, exclusive: bool, nowait: bool) -> Result<()> {
        if self.take_table_lock(table, exclusive, !nowait)? {
            return Ok(());
        }
        let name = self
            .catalog()
            .ok()
            .and_then(|c| c.table_by_id(table).map(|t| t.name.clone()))
            .unwrap_or_default();
        Err(Error::LockNotAvailable(format!(
            "could not obtain lock on relation \"{name}\""
        )))
    }

    fn sample(&self, table: TableId, sample: &mut sql::storage::Reservoir) -> Result<()> {
        self.sample_rows(table, sample)
    }

    fn lock_row_as(&self, table: TableId, key: &Key, how: RowLock) -> Result<Option<LockOutcome>> {
        self.shared
            .refuse_writes("UPDATE, DELETE or SELECT FOR UPDATE/SHARE")?;
        let snapshot = self.snapshot()?;
        let entry = self.entry(table)?.clone();
        self.hold_table(table, false)?;
        let enc = codec::encode_key(key);
        let target = LockTarget::Row(table, enc.clone());
        let mode = if how.exclusive {
            LockMode::Exclusive
        } else {
            LockMode::Shared
        };
        if how.wait {
            self.lock(target, mode)?;
        } else if !self.shared.locks.try_acquire(self.id, target, mode) {
            return Ok(None);
        }
        if let Some(own) = self.writes.row_at(table, &enc, u64::MAX) {
            return Ok(Some(match own {
                Some(row) => LockOutcome::Unchanged(row.clone()),
                None => LockOutcome::Deleted,
            }));
        }
        if let Some(row) = self.appended_row(&entry, &enc)? {
            return Ok(Some(LockOutcome::Unchanged(row)));
        }
        let Some(newest) = self.latest_versions(&entry, &enc)?.into_iter().next() else {
            return Ok(Some(LockOutcome::Deleted));
        };
        let rr = self.isolation.keeps_snapshot();
        // `latest_versions` noted the newest version as seen: a newer one than the
        // snapshot holds the statement's reply until it is durable.
        if !newest.is_live() {
            if rr && newest.is_visible(snapshot) {
                return Err(serialization_failure("delete"));
            }
            return Ok(Some(LockOutcome::Deleted));
        }
        let row = self.latest_payload(&entry, &newest)?;
        if newest.created < snapshot {
            Ok(Some(LockOutcome::Unchanged(row)))
        } else if rr {
            Err(serialization_failure("update"))
        } else {
            Ok(Some(LockOutcome::Changed(row)))
        }
    }

    fn insert(
        &mut self,
        table: TableId,
        row: Row,
        on_conflict: &OnConflict,
    ) -> Result<InsertOutcome> {
        self.shared.refuse_writes("INSERT")?;
        // The view's own entry (an Arc, not a copy of the definition per row of a COPY).
        let view = self.view.clone();
        let entry = view
            .tables
            .get(&table)
            .ok_or_else(|| Error::UndefinedTable(format!("#{table}")))?;
        if row.len() != entry.def.columns.len() {
            return Err(Error::Internal("row width does not match table".into()));
        }
        self.check_write_limit()?;
        let snapshot = self.snapshot()?;
        self.hold_table(table, false)?;
        if entry.def.primary_key.is_empty() && self.appends_to(entry) {
            // A table only this transaction sees, without key or index: appended encoded.
            self.next_provisional += 1;
            let id = PROVISIONAL_ROW_ID + self.next_provisional;
            self.writes.append(table, id, self.stmt, &row);
            return Ok(InsertOutcome::Inserted(vec![Value::Int(id)]));
        }
        let key = match entry.def.primary_key_of(&row) {
            Some(k) => k,
            None => {
                self.next_provisional += 1;
                vec![Value::Int(PROVISIONAL_ROW_ID + self.next_provisional)]
            }
        };
        self.check_key_sizes(entry, &codec::encode_key(&key), &row)?;
        if let Some((name, cols, ckey, crow)) = self.find_conflict(entry, &row, None)? {
            if let OnConflict::Report { constraint } = on_conflict
                && constraint.as_ref().is_none_or(|c| *c == name)
            {
                let cenc = codec::encode_key(&ckey);
                let own = self.writes.row_at(table, &cenc, u64::MAX).is_some();
                if self.isolation.keeps_snapshot() && !own {
                    let visible = self
                        .latest_versions(entry, &cenc)?
                        .first()
                        .is_some_and(|v| v.is_visible(snapshot));
                    if !visible {
                        return Err(serialization_failure("update"));
                    }
                }
                return Ok(InsertOutcome::Conflict {
                    key: ckey,
                    row: crow,
                });
            }
            return Err(self.unique_violation(&entry.def, &name, &cols, &row));
        }
        let enc = codec::encode_key(&key);
        self.record_write(entry, enc, key.clone(), Some(row))?;
        Ok(InsertOutcome::Inserted(key))
    }

    fn update(&mut self, table: TableId, key: &Key, row: Row) -> Result<Key> {
        self.shared.refuse_writes("UPDATE")?;
        let entry = self.entry(table)?.clone();
        self.check_write_limit()?;
        self.hold_table(table, false)?;
        let old = codec::encode_key(key);
        let new_key = entry
            .def
            .primary_key_of(&row)
            .unwrap_or_else(|| key.clone());
        self.check_key_sizes(&entry, &codec::encode_key(&new_key), &row)?;
        if let Some((name, cols, _, _)) = self.find_conflict(&entry, &row, Some(&old))? {
            return Err(self.unique_violation(&entry.def, &name, &cols, &row));
        }
        let new = codec::encode_key(&new_key);
        if new != old {
            self.record_write(&entry, old, key.clone(), None)?;
        }
        self.record_write(&entry, new, new_key.clone(), Some(row))?;
        Ok(new_key)
    }

    fn delete(&mut self, table: TableId, key: &Key) -> Result<()> {
        self.shared.refuse_writes("DELETE")?;
        let entry = self.entry(table)?.clone();
        self.check_write_limit()?;
        self.hold_table(table, false)?;
        let enc = codec::encode_key(key);
        self.record_write(&entry, enc, key.clone(), None)?;
        Ok(())
    }

    fn savepoint(&mut self) -> u64 {
        self.stmt
    }

    fn rollback_to(&mut self, id: u64) -> Result<()> {
        self.writes.discard_after(id);
        self.refresh_view();
        Ok(())
    }

    fn commit(mut self) -> Result<()> {
        let applied = if self.writes.is_empty() {
            Ok(Lsn::INVALID)
        } else {
            // A stopped engine sends nothing more: a definite failure.
            self.shared
                .check_writable()
                .and_then(|()| self.build_new_tables())
                .and_then(|()| super::commit::apply(&self))
        };
        if applied.is_err() {
            self.free_prebuilt();
        }
        // Locks are released once the pages are published: not across the durability wait.
        self.finish();
        let end = match applied {
            Ok(end) => end,
            Err(e) => {
                // Nothing was committed; the error may come from the latest catalog (a
                // concurrent schema change), so the reply waits for it (`Engine::settle`).
                self.saw_state(self.shared.catalog_changed_lsn());
                return Err(e);
            }
        };
        if end.is_valid() {
            // The record follows every record this transaction observed.
            return self.shared.await_durable(end, Unknown::Commit);
        }
        // Read-only: its answers may rest on versions of commits not yet durable.
        self.shared
            .await_durable(self.max_seen.get(), Unknown::Observed)
    }

    fn rollback(mut self) {
        self.free_prebuilt();
        self.finish();
    }
}

/// The SQL error of a lock wait that failed.
pub(super) fn lock_error(e: LockError) -> Error {
    match e {
        LockError::Deadlock => Error::DeadlockDetected,
        LockError::Timeout => serialization_failure("update (lock wait timed out)"),
        LockError::Canceled => sql::interrupt::check()
            .err()
            .unwrap_or(Error::QueryCanceled),
    }
}
