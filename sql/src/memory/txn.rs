//! [`MemoryTxn`]: one transaction over [`super::MemoryStorage`]. See the parent module for the
//! model; this file implements [`Txn`] on it.

use super::{Committed, TxnId, Version, lock};
use crate::storage::{
    Access, Catalog, IndexDef, InsertOutcome, Isolation, Key, LockOutcome, Oid, OnConflict, Row,
    RowLock, RowStream, ScannedRow, SchemaDef, SequenceDef, TableDef, TableId, TableStats, Txn,
    ViewDef,
};
use crate::{Error, Result, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Write-set entries of one key, oldest first: `(statement, Some(row) | None for deleted)`.
type KeyWrites = Vec<(u64, Option<Row>)>;

/// A transaction over [`super::MemoryStorage`].
pub struct MemoryTxn {
    pub(super) shared: Arc<Mutex<Committed>>,
    id: TxnId,
    isolation: Isolation,
    snapshot: Option<u64>,
    /// Current statement number (0 before the first statement).
    stmt: u64,
    pub(super) writes: BTreeMap<TableId, BTreeMap<Key, KeyWrites>>,
    /// Private catalog versions, oldest first, tagged with the statement that made them.
    ddl: Vec<(u64, Arc<Catalog>)>,
    /// The committed catalog as of the current statement.
    base_catalog: Arc<Catalog>,
    /// `catalog_changed_at` when this transaction first did DDL.
    ddl_base: Option<u64>,
    finished: bool,
}

fn serialization_failure(what: &str) -> Error {
    Error::SerializationFailure(format!(
        "could not serialize access due to concurrent {what}"
    ))
}

impl MemoryTxn {
    pub(super) fn new(shared: Arc<Mutex<Committed>>, id: TxnId, isolation: Isolation) -> Self {
        let base_catalog = lock(&shared).catalog.clone();
        MemoryTxn {
            shared,
            id,
            isolation,
            snapshot: None,
            stmt: 0,
            writes: BTreeMap::new(),
            ddl: Vec::new(),
            base_catalog,
            ddl_base: None,
            finished: false,
        }
    }

    pub(super) fn current_catalog(&self) -> Arc<Catalog> {
        self.ddl
            .last()
            .map(|(_, c)| c.clone())
            .unwrap_or_else(|| self.base_catalog.clone())
    }

    pub(super) fn table_def(&self, table: TableId) -> Result<TableDef> {
        self.current_catalog()
            .table_by_id(table)
            .cloned()
            .ok_or_else(|| Error::UndefinedTable(format!("#{table}")))
    }

    fn snapshot(&self) -> Result<u64> {
        self.snapshot
            .ok_or_else(|| Error::Internal("statement not begun".into()))
    }

    pub(super) fn change_catalog(
        &mut self,
        f: impl FnOnce(&mut Catalog) -> Result<()>,
    ) -> Result<()> {
        let mut next = (*self.current_catalog()).clone();
        f(&mut next)?;
        if self.ddl_base.is_none() {
            self.ddl_base = Some(lock(&self.shared).catalog_changed_at);
        }
        self.ddl.push((self.stmt, Arc::new(next)));
        Ok(())
    }

    /// The rows of `table` as this transaction's writes up to statement `upto` (inclusive)
    /// leave them, over committed rows chosen by `committed`.
    fn merged_rows(
        &self,
        shared: &Committed,
        table: TableId,
        upto: u64,
        committed: impl Fn(&Version) -> bool,
    ) -> BTreeMap<Key, Row> {
        let mut rows = BTreeMap::new();
        if let Some(data) = shared.tables.get(&table) {
            for (key, versions) in data {
                if let Some(v) = versions.iter().rev().find(|v| committed(v)) {
                    rows.insert(key.clone(), v.row.clone());
                }
            }
        }
        if let Some(writes) = self.writes.get(&table) {
            for (key, entries) in writes {
                if let Some((_, row)) = entries.iter().rev().find(|(s, _)| *s <= upto) {
                    match row {
                        Some(row) => rows.insert(key.clone(), row.clone()),
                        None => rows.remove(key),
                    };
                }
            }
        }
        rows
    }

    /// The latest rows (all committed + own writes so far), for unique checks.
    pub(super) fn latest_rows(&self, shared: &Committed, table: TableId) -> BTreeMap<Key, Row> {
        self.merged_rows(shared, table, u64::MAX, |v| v.deleted.is_none())
    }

    /// The latest version of one key: this transaction's own last write, else the latest
    /// committed live version.
    fn latest_row(&self, shared: &Committed, table: TableId, key: &Key) -> Option<Row> {
        if let Some((_, own)) = self
            .writes
            .get(&table)
            .and_then(|w| w.get(key))
            .and_then(|e| e.last())
        {
            return own.clone();
        }
        let v = shared.tables.get(&table)?.get(key)?.last()?;
        v.deleted.is_none().then(|| v.row.clone())
    }

    /// Checks unique constraints for `row` about to be stored under `key`, ignoring the row
    /// currently stored under `replacing`. Returns the first conflict `(constraint, key, row)`
    /// and takes key locks when there is none.
    #[allow(clippy::type_complexity)]
    fn check_unique(
        &self,
        shared: &mut Committed,
        def: &TableDef,
        row: &Row,
        replacing: Option<&Key>,
    ) -> Result<Option<(String, Vec<usize>, Key, Row)>> {
        // (constraint, columns, the row's key, the index when not the primary key)
        let mut constraints: Vec<(String, Vec<usize>, Vec<Value>, Option<&IndexDef>)> = Vec::new();
        if let Some(name) = &def.primary_key_name {
            let vals = def.primary_key.iter().map(|&c| row[c].clone()).collect();
            constraints.push((name.clone(), def.primary_key.clone(), vals, None));
        }
        for idx in def.indexes.iter().filter(|i| i.unique) {
            if let Some(vals) = idx.key_of(def, row)? {
                constraints.push((idx.name.clone(), idx.columns.clone(), vals, Some(idx)));
            }
        }
        // The primary key is the map key: look it up directly. Only unique secondary indexes
        // need the (linear) merged view of the latest rows.
        let needs_scan = def.indexes.iter().any(|i| i.unique);
        let latest = if needs_scan {
            self.latest_rows(shared, def.id)
        } else {
            BTreeMap::new()
        };
        for (name, cols, vals, idx) in &constraints {
            if vals.iter().any(Value::is_null) {
                continue;
            }
            let lock_key = (def.id, name.clone(), vals.clone());
            if shared
                .key_locks
                .get(&lock_key)
                .is_some_and(|h| *h != self.id)
            {
                return Err(serialization_failure("insert"));
            }
            let Some(idx) = idx else {
                if Some(vals) == replacing {
                    continue;
                }
                if let Some(existing) = self.latest_row(shared, def.id, vals) {
                    return Ok(Some((name.clone(), cols.clone(), vals.clone(), existing)));
                }
                continue;
            };
            for (k, r) in &latest {
                if Some(k) == replacing {
                    continue;
                }
                if idx.key_of(def, r)?.as_ref() == Some(vals) {
                    return Ok(Some((name.clone(), cols.clone(), k.clone(), r.clone())));
                }
            }
        }
        for (name, _, vals, _) in constraints {
            if !vals.iter().any(Value::is_null) {
                shared.key_locks.insert((def.id, name, vals), self.id);
            }
        }
        Ok(None)
    }

    pub(super) fn push_write(&mut self, table: TableId, key: Key, row: Option<Row>) {
        self.writes
            .entry(table)
            .or_default()
            .entry(key)
            .or_default()
            .push((self.stmt, row));
    }

    /// Drops write-set entries and catalog versions tagged after statement `mark`.
    fn discard_after(&mut self, mark: u64) {
        for keys in self.writes.values_mut() {
            for entries in keys.values_mut() {
                entries.retain(|(s, _)| *s <= mark);
            }
            keys.retain(|_, e| !e.is_empty());
        }
        self.ddl.retain(|(s, _)| *s <= mark);
        if self.ddl.is_empty() {
            self.ddl_base = None;
        }
    }

    pub(super) fn unique_violation(
        &self,
        def: &TableDef,
        constraint: &str,
        cols: &[usize],
        row: &Row,
    ) -> Error {
        let catalog = self.current_catalog();
        crate::storage::catalog::index_keys::unique_violation_of(
            &catalog, def, constraint, cols, row,
        )
    }

    /// Takes the row lock of `key` for a DDL's delete (first writer wins).
    pub(super) fn lock_for_ddl(&mut self, table: TableId, key: &Key) -> Result<()> {
        let mut shared = lock(&self.shared);
        let lock_key = (table, key.clone());
        let shared_by_other = shared
            .share_locks
            .get(&lock_key)
            .is_some_and(|h| h.iter().any(|t| *t != self.id));
        match shared.row_locks.get(&lock_key) {
            Some(holder) if *holder != self.id => Err(serialization_failure("update")),
            _ if shared_by_other => Err(serialization_failure("update")),
            _ => {
                shared.row_locks.insert(lock_key, self.id);
                Ok(())
            }
        }
    }

    /// Inserts `row`, failing on any unique conflict.
    pub(super) fn insert_row(&mut self, table: TableId, row: Row) -> Result<()> {
        self.insert(table, row, &OnConflict::Error).map(|_| ())
    }

    /// The latest rows of `table` (all committed and own writes) in `access` order.
    fn latest_scan(&self, table: TableId, access: &Access) -> Result<Vec<ScannedRow>> {
        let rows = {
            let shared = lock(&self.shared);
            self.latest_rows(&shared, table)
        };
        self.order(table, rows, access)
    }

    /// `rows` filtered and ordered as `access` asks.
    fn order(
        &self,
        table: TableId,
        rows: BTreeMap<Key, Row>,
        access: &Access,
    ) -> Result<Vec<ScannedRow>> {
        let def = self.table_def(table)?;
        Ok(match access {
            Access::Full => rows
                .into_iter()
                .map(|(key, row)| ScannedRow { key, row })
                .collect(),
            Access::PrimaryRange(range) => rows
                .into_iter()
                .filter(|(k, _)| range.contains(k))
                .map(|(key, row)| ScannedRow { key, row })
                .collect(),
            Access::IndexRange { index, range } => {
                let idx = def.index(index).ok_or_else(|| {
                    Error::UndefinedObject(format!("index \"{index}\" does not exist"))
                })?;
                let mut hits: Vec<(Vec<Value>, ScannedRow)> = rows
                    .into_iter()
                    .filter_map(|(key, row)| match idx.key_of(&def, &row) {
                        Ok(Some(ikey)) => Some(Ok((ikey, ScannedRow { key, row }))),
                        Ok(None) => None,
                        Err(e) => Some(Err(e)),
                    })
                    .filter(|r| r.as_ref().map_or(true, |(ikey, _)| range.contains(ikey)))
                    .collect::<Result<_>>()?;
                hits.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.key.cmp(&b.1.key)));
                hits.into_iter().map(|(_, r)| r).collect()
            }
        })
    }

    fn finish(&mut self) {
        if !self.finished {
            self.finished = true;
            lock(&self.shared).release_locks(self.id);
        }
    }
}

impl Drop for MemoryTxn {
    fn drop(&mut self) {
        self.finish();
    }
}

impl Txn for MemoryTxn {
    fn isolation(&self) -> Isolation {
        self.isolation
    }

    fn begin_statement(&mut self) -> Result<()> {
        self.stmt += 1;
        let shared = lock(&self.shared);
        if self.snapshot.is_none() || !self.isolation.keeps_snapshot() {
            self.snapshot = Some(shared.clock);
        }
        self.base_catalog = shared.catalog.clone();
        Ok(())
    }

    fn end_statement(&mut self, ok: bool) {
        if !ok {
            self.discard_after(self.stmt.saturating_sub(1));
        }
    }

    fn catalog(&self) -> Result<Arc<Catalog>> {
        Ok(self.current_catalog())
    }

    fn new_oid(&mut self) -> Result<Oid> {
        Ok(self.ddl_new_oid())
    }

    fn create_schema(&mut self, def: SchemaDef) -> Result<()> {
        self.ddl_create_schema(def)
    }

    fn alter_schema(&mut self, def: SchemaDef) -> Result<()> {
        self.ddl_alter_schema(def)
    }

    fn drop_schema(&mut self, oid: Oid) -> Result<()> {
        self.ddl_drop_schema(oid)
    }

    fn create_table(&mut self, def: TableDef) -> Result<TableId> {
        self.ddl_create_table(def)
    }

    fn alter_table(&mut self, def: TableDef) -> Result<()> {
        self.ddl_alter_table(def)
    }

    fn rewrite_table(
        &mut self,
        def: TableDef,
        rows: &mut dyn Iterator<Item = Result<Row>>,
    ) -> Result<()> {
        self.ddl_rewrite_table(def, rows)
    }

    fn truncate(&mut self, table: TableId) -> Result<()> {
        self.ddl_truncate(table)
    }

    fn drop_table(&mut self, table: TableId) -> Result<()> {
        self.ddl_drop_table(table)
    }

    fn create_index(&mut self, table: TableId, index: IndexDef) -> Result<()> {
        self.ddl_create_index(table, index)
    }

    fn drop_index(&mut self, oid: Oid) -> Result<()> {
        self.ddl_drop_index(oid)
    }

    fn create_sequence(&mut self, def: SequenceDef) -> Result<()> {
        self.ddl_create_sequence(def)
    }

    fn alter_sequence(&mut self, def: SequenceDef) -> Result<()> {
        self.ddl_alter_sequence(def)
    }

    fn drop_sequence(&mut self, oid: Oid) -> Result<()> {
        self.ddl_drop_sequence(oid)
    }

    fn put_view(&mut self, def: ViewDef) -> Result<()> {
        self.ddl_put_view(def)
    }

    fn drop_view(&mut self, oid: Oid) -> Result<()> {
        self.ddl_drop_view(oid)
    }

    fn put_function(&mut self, def: crate::storage::FunctionDef) -> Result<()> {
        self.change_catalog(|c| {
            match c.functions.iter_mut().find(|f| f.oid == def.oid) {
                Some(f) => *f = def,
                None => c.functions.push(def),
            }
            Ok(())
        })
    }

    fn drop_function(&mut self, oid: Oid) -> Result<()> {
        self.change_catalog(|c| {
            c.functions.retain(|f| f.oid != oid);
            Ok(())
        })
    }

    fn put_type(&mut self, def: crate::storage::TypeDef) -> Result<()> {
        self.change_catalog(|c| {
            match c.types.iter_mut().find(|t| t.oid == def.oid) {
                Some(t) => *t = def,
                None => c.types.push(def),
            }
            Ok(())
        })
    }

    fn drop_type(&mut self, oid: Oid) -> Result<()> {
        self.change_catalog(|c| {
            c.types.retain(|t| t.oid != oid);
            Ok(())
        })
    }

    fn put_database(&mut self, def: crate::storage::DatabaseDef) -> Result<()> {
        self.change_catalog(|c| {
            c.databases.retain(|d| d.oid != def.oid);
            c.databases.push(def);
            Ok(())
        })
    }

    fn put_extension(&mut self, def: crate::storage::ExtensionDef) -> Result<()> {
        self.change_catalog(|c| {
            match c.extensions.iter_mut().find(|e| e.oid == def.oid) {
                Some(e) => *e = def,
                None => c.extensions.push(def),
            }
            Ok(())
        })
    }

    fn drop_extension(&mut self, oid: Oid) -> Result<()> {
        self.change_catalog(|c| {
            c.extensions.retain(|e| e.oid != oid);
            Ok(())
        })
    }

    fn put_role(&mut self, def: crate::storage::RoleDef) -> Result<()> {
        self.change_catalog(|c| {
            match c.roles.iter_mut().find(|r| r.oid == def.oid) {
                Some(r) => *r = def,
                None => c.roles.push(def),
            }
            Ok(())
        })
    }

    fn put_default_acl(&mut self, def: crate::storage::DefaultAclDef) -> Result<()> {
        self.change_catalog(|c| {
            match c.default_acls.iter_mut().find(|d| d.oid == def.oid) {
                Some(d) => *d = def,
                None => c.default_acls.push(def),
            }
            Ok(())
        })
    }

    fn drop_default_acl(&mut self, oid: Oid) -> Result<()> {
        self.change_catalog(|c| {
            c.default_acls.retain(|d| d.oid != oid);
            Ok(())
        })
    }

    fn drop_role(&mut self, oid: Oid) -> Result<()> {
        self.change_catalog(|c| {
            c.roles.retain(|r| r.oid != oid);
            Ok(())
        })
    }

    fn set_stats(&mut self, table: TableId, stats: TableStats) -> Result<()> {
        self.ddl_set_stats(table, stats)
    }

    fn scan_latest(&self, table: TableId, access: &Access) -> Result<RowStream> {
        let rows = self.latest_scan(table, access)?;
        Ok(Box::new(rows.into_iter().map(Ok)))
    }

    fn lock_key_share(
        &mut self,
        table: TableId,
        constraint: &str,
        values: &[Value],
    ) -> Result<bool> {
        let def = self.table_def(table)?;
        let cols = if def.primary_key_name.as_deref() == Some(constraint) {
            def.primary_key.clone()
        } else {
            def.index(constraint)
                .map(|i| i.columns.clone())
                .ok_or_else(|| Error::Internal(format!("no unique key {constraint}")))?
        };
        let mut shared = lock(&self.shared);
        let rows = self.latest_rows(&shared, table);
        let Some((key, _)) = rows
            .into_iter()
            .find(|(_, r)| cols.iter().map(|&c| &r[c]).eq(values.iter()))
        else {
            return Ok(false);
        };
        let lock_key = (table, key);
        if shared
            .row_locks
            .get(&lock_key)
            .is_some_and(|h| *h != self.id)
        {
            return Err(serialization_failure("update"));
        }
        shared
            .share_locks
            .entry(lock_key)
            .or_default()
            .insert(self.id);
        Ok(true)
    }

    fn scan(&self, table: TableId, access: &Access) -> Result<RowStream> {
        let snapshot = self.snapshot()?;
        let rows = {
            let shared = lock(&self.shared);
            self.merged_rows(&shared, table, self.stmt.saturating_sub(1), |v| {
                v.visible_at(snapshot)
            })
        };
        let out = self.order(table, rows, access)?;
        Ok(Box::new(out.into_iter().map(Ok)))
    }

    fn lock_row_as(&self, table: TableId, key: &Key, how: RowLock) -> Result<Option<LockOutcome>> {
        let snapshot = self.snapshot()?;
        let mut shared = lock(&self.shared);
        let lock_key = (table, key.clone());
        let shared_by_other = shared
            .share_locks
            .get(&lock_key)
            .is_some_and(|h| h.iter().any(|t| *t != self.id));
        let written_by_other = shared
            .row_locks
            .get(&lock_key)
            .is_some_and(|h| *h != self.id);
        // The reference storage never waits: where the engine would wait, it fails.
        if written_by_other || (how.exclusive && shared_by_other) {
            if !how.wait {
                return Ok(None);
            }
            return Err(serialization_failure("update"));
        }
        if how.exclusive {
            shared.row_locks.insert(lock_key, self.id);
        } else {
            shared
                .share_locks
                .entry(lock_key)
                .or_default()
                .insert(self.id);
        }
        if let Some((_, own)) = self
            .writes
            .get(&table)
            .and_then(|w| w.get(key))
            .and_then(|e| e.last())
        {
            return Ok(Some(match own {
                Some(row) => LockOutcome::Unchanged(row.clone()),
                None => LockOutcome::Deleted,
            }));
        }
        let Some(latest) = shared
            .tables
            .get(&table)
            .and_then(|t| t.get(key))
            .and_then(|v| v.last())
        else {
            return Ok(Some(LockOutcome::Deleted));
        };
        let rr = self.isolation.keeps_snapshot();
        if latest.deleted.is_some() {
            if rr && latest.visible_at(snapshot) {
                return Err(serialization_failure("delete"));
            }
            return Ok(Some(LockOutcome::Deleted));
        }
        if latest.created <= snapshot {
            Ok(Some(LockOutcome::Unchanged(latest.row.clone())))
        } else if rr {
            Err(serialization_failure("update"))
        } else {
            Ok(Some(LockOutcome::Changed(latest.row.clone())))
        }
    }

    fn insert(
        &mut self,
        table: TableId,
        row: Row,
        on_conflict: &OnConflict,
    ) -> Result<InsertOutcome> {
        let def = self.table_def(table)?;
        if row.len() != def.columns.len() {
            return Err(Error::Internal("row width does not match table".into()));
        }
        let snapshot = self.snapshot()?;
        let mut shared = lock(&self.shared);
        let key = match def.primary_key_of(&row) {
            Some(k) => k,
            None => {
                shared.next_row_id += 1;
                vec![Value::Int(shared.next_row_id)]
            }
        };
        if let Some((name, cols, ckey, crow)) = self.check_unique(&mut shared, &def, &row, None)? {
            if let OnConflict::Report { constraint } = on_conflict
                && constraint.as_ref().is_none_or(|c| *c == name)
            {
                let own = self
                    .writes
                    .get(&table)
                    .is_some_and(|w| w.contains_key(&ckey));
                let visible = own
                    || shared
                        .tables
                        .get(&table)
                        .and_then(|t| t.get(&ckey))
                        .and_then(|v| v.last())
                        .is_some_and(|v| v.visible_at(snapshot));
                if self.isolation.keeps_snapshot() && !visible {
                    return Err(serialization_failure("update"));
                }
                return Ok(InsertOutcome::Conflict {
                    key: ckey,
                    row: crow,
                });
            }
            return Err(self.unique_violation(&def, &name, &cols, &row));
        }
        drop(shared);
        self.push_write(table, key.clone(), Some(row));
        Ok(InsertOutcome::Inserted(key))
    }

    fn update(&mut self, table: TableId, key: &Key, row: Row) -> Result<Key> {
        let def = self.table_def(table)?;
        let mut shared = lock(&self.shared);
        let new_key = def.primary_key_of(&row).unwrap_or_else(|| key.clone());
        if let Some((name, cols, _, _)) = self.check_unique(&mut shared, &def, &row, Some(key))? {
            return Err(self.unique_violation(&def, &name, &cols, &row));
        }
        drop(shared);
        if new_key != *key {
            self.push_write(table, key.clone(), None);
        }
        self.push_write(table, new_key.clone(), Some(row));
        Ok(new_key)
    }

    fn delete(&mut self, table: TableId, key: &Key) -> Result<()> {
        self.table_def(table)?;
        self.push_write(table, key.clone(), None);
        Ok(())
    }

    fn savepoint(&mut self) -> u64 {
        self.stmt
    }

    fn rollback_to(&mut self, id: u64) -> Result<()> {
        self.discard_after(id);
        Ok(())
    }

    fn commit(mut self) -> Result<()> {
        let mut shared = lock(&self.shared);
        if let Some(base) = self.ddl_base
            && shared.catalog_changed_at != base
        {
            drop(shared);
            self.finish();
            return Err(serialization_failure("schema change"));
        }
        let ts = shared.clock + 1;
        if let Some((_, catalog)) = self.ddl.last() {
            let live: Vec<TableId> = catalog.tables.iter().map(|t| t.id).collect();
            shared.tables.retain(|id, _| live.contains(id));
            for id in live {
                shared.tables.entry(id).or_default();
            }
            shared.catalog = catalog.clone();
            shared.catalog_changed_at = ts;
        }
        for (table, keys) in std::mem::take(&mut self.writes) {
            let Some(data) = shared.tables.get_mut(&table) else {
                continue;
            };
            for (key, entries) in keys {
                let Some((_, last)) = entries.into_iter().last() else {
                    continue;
                };
                let versions = data.entry(key).or_default();
                if let Some(v) = versions.last_mut().filter(|v| v.deleted.is_none()) {
                    v.deleted = Some(ts);
                }
                if let Some(row) = last {
                    versions.push(Version {
                        created: ts,
                        deleted: None,
                        row,
                    });
                }
            }
        }
        shared.clock = ts;
        drop(shared);
        self.finish();
        Ok(())
    }

    fn rollback(mut self) {
        self.finish();
    }
}
