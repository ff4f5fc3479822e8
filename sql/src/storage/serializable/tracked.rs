//! [`Tracked`]: the transaction a session runs, over the storage's own. A transaction of
//! any other isolation level passes every call through untouched; a serializable one runs
//! on the storage's Repeatable Read, records its reads and writes on the way through, and
//! is validated by the [`SerialRegistry`] before the storage commits it.
//!
//! Invariant: every read and write a serializable transaction makes goes through one of
//! the recording calls below; DDL is recorded as a catalog change (which conflicts with
//! every concurrent reader).

use super::{Reads, SerialRegistry, Writes};
use crate::storage::{
    Access, Catalog, DatabaseDef, DefaultAclDef, ExtensionDef, FunctionDef, IndexDef,
    InsertOutcome, Isolation, Key, LockOutcome, Oid, OnConflict, Reservoir, RoleDef, Row, RowLock,
    RowStream, SchemaDef, SequenceDef, TableDef, TableId, TableStats, Txn, TypeDef, ViewDef,
};
use crate::{Result, Value};
use std::sync::{Arc, Mutex, MutexGuard};

/// A session's transaction; see the module docs.
pub struct Tracked<T> {
    inner: T,
    serial: Option<Box<Serial>>,
}

/// A serializable transaction's bookkeeping.
struct Serial {
    registry: Arc<SerialRegistry>,
    start: u64,
    /// Shared with the row streams of index scans, which record the keys they return.
    reads: Arc<Mutex<Reads>>,
    writes: Writes,
}

impl Drop for Serial {
    fn drop(&mut self) {
        self.registry.end(self.start);
    }
}

fn lock(reads: &Mutex<Reads>) -> MutexGuard<'_, Reads> {
    // Recording is plain collection inserts: a panic cannot leave them half-done.
    reads.lock().unwrap_or_else(|p| p.into_inner())
}

impl<T: Txn> Tracked<T> {
    /// A transaction of a level the storage implements itself.
    pub fn plain(inner: T) -> Tracked<T> {
        Tracked {
            inner,
            serial: None,
        }
    }

    /// A serializable transaction: `begin` starts the storage's Repeatable Read
    /// transaction, after the registry noted the start (so the snapshot is at least as new).
    pub fn serializable(
        registry: Arc<SerialRegistry>,
        begin: impl FnOnce(Isolation) -> Result<T>,
    ) -> Result<Tracked<T>> {
        let start = registry.begin();
        let serial = Box::new(Serial {
            registry,
            start,
            reads: Arc::default(),
            writes: Writes::default(),
        });
        Ok(Tracked {
            inner: begin(Isolation::RepeatableRead)?,
            serial: Some(serial),
        })
    }

    fn read_scan(&self, table: TableId, access: &Access) {
        if let Some(s) = &self.serial {
            lock(&s.reads).scan(table, access);
        }
    }

    fn read_key(&self, table: TableId, key: &Key) {
        if let Some(s) = &self.serial {
            lock(&s.reads).key(table, key);
        }
    }

    fn write_catalog(&mut self) {
        if let Some(s) = &mut self.serial {
            s.writes.catalog();
        }
    }

    fn write_table(&mut self, table: TableId) {
        if let Some(s) = &mut self.serial {
            s.writes.whole_table(table);
        }
    }

    /// A scan's rows, recording the keys an index scan returns.
    fn recorded(&self, table: TableId, access: &Access, rows: RowStream) -> RowStream {
        match (&self.serial, access) {
            (Some(s), Access::IndexRange { .. }) => {
                let reads = s.reads.clone();
                Box::new(rows.inspect(move |r| {
                    if let Ok(r) = r {
                        lock(&reads).key(table, &r.key);
                    }
                }))
            }
            _ => rows,
        }
    }
}

/// Passes a catalog-changing call through, recording a catalog change.
macro_rules! ddl {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {$(
        fn $name(&mut self, $($arg: $ty),*) -> $ret {
            self.write_catalog();
            self.inner.$name($($arg),*)
        }
    )*};
}

impl<T: Txn> Txn for Tracked<T> {
    fn isolation(&self) -> Isolation {
        match self.serial {
            Some(_) => Isolation::Serializable,
            None => self.inner.isolation(),
        }
    }

    fn begin_statement(&mut self) -> Result<()> {
        self.inner.begin_statement()
    }

    fn end_statement(&mut self, ok: bool) {
        self.inner.end_statement(ok)
    }

    fn catalog(&self) -> Result<Arc<Catalog>> {
        self.inner.catalog()
    }

    fn new_oid(&mut self) -> Result<Oid> {
        self.inner.new_oid()
    }

    ddl! {
        create_schema(def: SchemaDef) -> Result<()>;
        alter_schema(def: SchemaDef) -> Result<()>;
        drop_schema(oid: Oid) -> Result<()>;
        create_table(def: TableDef) -> Result<TableId>;
        alter_table(def: TableDef) -> Result<()>;
        create_index(table: TableId, index: IndexDef) -> Result<()>;
        drop_index(oid: Oid) -> Result<()>;
        create_sequence(def: SequenceDef) -> Result<()>;
        alter_sequence(def: SequenceDef) -> Result<()>;
        drop_sequence(oid: Oid) -> Result<()>;
        put_view(def: ViewDef) -> Result<()>;
        drop_view(oid: Oid) -> Result<()>;
        put_function(def: FunctionDef) -> Result<()>;
        drop_function(oid: Oid) -> Result<()>;
        put_type(def: TypeDef) -> Result<()>;
        drop_type(oid: Oid) -> Result<()>;
        put_database(def: DatabaseDef) -> Result<()>;
        put_extension(def: ExtensionDef) -> Result<()>;
        drop_extension(oid: Oid) -> Result<()>;
        put_role(def: RoleDef) -> Result<()>;
        drop_role(oid: Oid) -> Result<()>;
        put_default_acl(def: DefaultAclDef) -> Result<()>;
        drop_default_acl(oid: Oid) -> Result<()>;
        drop_table(table: TableId) -> Result<()>;
    }

    fn rewrite_table(
        &mut self,
        def: TableDef,
        rows: &mut dyn Iterator<Item = Result<Row>>,
    ) -> Result<()> {
        self.write_catalog();
        self.inner.rewrite_table(def, rows)
    }

    fn rekey_in_place(&mut self, def: &TableDef, not_null: &[usize]) -> Result<bool> {
        self.write_catalog();
        self.inner.rekey_in_place(def, not_null)
    }

    fn truncate(&mut self, table: TableId) -> Result<()> {
        self.write_table(table);
        self.inner.truncate(table)
    }

    fn set_stats(&mut self, table: TableId, stats: TableStats) -> Result<()> {
        // Statistics steer plans, not results: not a conflict.
        self.inner.set_stats(table, stats)
    }

    fn lock_table(&mut self, table: TableId, exclusive: bool, nowait: bool) -> Result<()> {
        self.inner.lock_table(table, exclusive, nowait)
    }

    fn scan(&self, table: TableId, access: &Access) -> Result<RowStream> {
        self.read_scan(table, access);
        let rows = self.inner.scan(table, access)?;
        Ok(self.recorded(table, access, rows))
    }

    fn scan_rows_only(&self, table: TableId, access: &Access) -> Result<RowStream> {
        if self.serial.is_some() && matches!(access, Access::IndexRange { .. }) {
            // The keys are needed to record what the scan returned.
            return self.scan(table, access);
        }
        self.read_scan(table, access);
        self.inner.scan_rows_only(table, access)
    }

    fn sample(&self, table: TableId, sample: &mut Reservoir) -> Result<()> {
        self.read_scan(table, &Access::Full);
        self.inner.sample(table, sample)
    }

    fn scan_latest(&self, table: TableId, access: &Access) -> Result<RowStream> {
        self.read_scan(table, access);
        let rows = self.inner.scan_latest(table, access)?;
        Ok(self.recorded(table, access, rows))
    }

    fn lock_key_share(
        &mut self,
        table: TableId,
        constraint: &str,
        values: &[Value],
    ) -> Result<bool> {
        if let Some(s) = &self.serial {
            lock(&s.reads).unique_probe(table, constraint, values);
        }
        self.inner.lock_key_share(table, constraint, values)
    }

    fn lock_row(&mut self, table: TableId, key: &Key) -> Result<LockOutcome> {
        self.read_key(table, key);
        self.inner.lock_row(table, key)
    }

    fn lock_row_as(&self, table: TableId, key: &Key, how: RowLock) -> Result<Option<LockOutcome>> {
        self.read_key(table, key);
        self.inner.lock_row_as(table, key, how)
    }

    fn insert(
        &mut self,
        table: TableId,
        row: Row,
        on_conflict: &OnConflict,
    ) -> Result<InsertOutcome> {
        let Some(s) = &mut self.serial else {
            return self.inner.insert(table, row, on_conflict);
        };
        let outcome = self.inner.insert(table, row.clone(), on_conflict)?;
        match &outcome {
            InsertOutcome::Inserted(key) => s.writes.row(table, key.clone(), Some(row)),
            InsertOutcome::Conflict { key, .. } => lock(&s.reads).key(table, key),
        }
        Ok(outcome)
    }

    fn update(&mut self, table: TableId, key: &Key, row: Row) -> Result<Key> {
        let Some(s) = &mut self.serial else {
            return self.inner.update(table, key, row);
        };
        let new_key = self.inner.update(table, key, row.clone())?;
        if new_key != *key {
            s.writes.row(table, key.clone(), None);
        }
        s.writes.row(table, new_key.clone(), Some(row));
        Ok(new_key)
    }

    fn delete(&mut self, table: TableId, key: &Key) -> Result<()> {
        if let Some(s) = &mut self.serial {
            s.writes.row(table, key.clone(), None);
        }
        self.inner.delete(table, key)
    }

    fn savepoint(&mut self) -> u64 {
        self.inner.savepoint()
    }

    /// Writes rolled back stay in the footprint: coarser, never wrong.
    fn rollback_to(&mut self, id: u64) -> Result<()> {
        self.inner.rollback_to(id)
    }

    fn commit(self) -> Result<()> {
        let Tracked { inner, serial } = self;
        let Some(mut s) = serial else {
            return inner.commit();
        };
        let catalog = match inner.catalog() {
            Ok(c) => c,
            Err(e) => {
                inner.rollback();
                return Err(e);
            }
        };
        let writes = std::mem::take(&mut s.writes);
        let published = {
            let reads = lock(&s.reads);
            s.registry.validate(s.start, &reads, writes, catalog)
        };
        let seq = match published {
            Ok(seq) => seq,
            Err(e) => {
                inner.rollback();
                return Err(e);
            }
        };
        let r = inner.commit();
        if let Some(seq) = seq {
            s.registry.finished(seq, r.is_ok());
        }
        r
    }

    fn rollback(self) {
        self.inner.rollback()
    }
}
