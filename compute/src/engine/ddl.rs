//! The DDL half of [`EngineTxn`]: catalog objects changed in the write set (applied by the
//! commit's serial step), relation names claimed under name locks, table locks taken
//! exclusive, and relations that hold rows built ahead of the commit ([`super::build`]).
//!
//! * CREATE TABLE / TRUNCATE: new relations get empty trees in the commit record.
//! * CREATE INDEX on a table with committed rows: the index is built now from the table's
//!   latest rows (the exclusive table lock keeps them final) — not in the serial step, so
//!   other tables' commits never wait for it. The transaction's own rows are added by the
//!   commit like any write.
//! * Rewrites (`rewrite_table`): the new table and all its indexes are built now from the
//!   given rows; rows the transaction wrote to the table before are superseded (stashed).

use std::collections::BTreeMap;
use std::sync::Arc;

use proto::{Lsn, RelId};
use sql::storage::{
    Catalog, IndexDef, Oid, Relation, Row, SchemaDef, SequenceDef, TableDef, TableId, TableStats,
    ViewDef,
};
use sql::{Error, Result, Value};

use super::catalog::{Kind, Object, TableEntry};
use super::codec;
use super::commit::index_entry;
use super::locks::{LockMode, LockTarget};
use super::txn::EngineTxn;
use super::{build, storage_error};

/// The table (or, for an index, its table) a relation belongs to.
fn owner(r: &Relation) -> Oid {
    match r {
        Relation::Table(t) | Relation::Index { table: t, .. } => t.id,
        other => other.oid(),
    }
}

impl EngineTxn {
    /// A new RelId, never handed out before.
    fn new_rel(&self) -> RelId {
        RelId(
            self.shared
                .next_rel
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        )
    }

    pub(super) fn ddl_new_oid(&self) -> Oid {
        self.shared
            .next_oid
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    /// Takes the name lock on relation name `name` of schema `schema` and fails with 42P07
    /// if a relation other than those of `except` (a table OID) has it — in this
    /// transaction's catalog or in the latest committed one (a concurrent creator).
    pub(super) fn claim_name(
        &mut self,
        schema: Oid,
        name: &str,
        except: Option<Oid>,
    ) -> Result<()> {
        self.lock(
            LockTarget::Name(format!("{schema}.{name}")),
            LockMode::Exclusive,
        )?;
        let latest = self.shared.commit_state().latest.clone();
        self.saw_state(self.shared.catalog_changed_lsn());
        let touched = self.writes.net_ddl();
        let latest_sql = latest.to_sql();
        let taken_latest = latest_sql.relation(schema, name).is_some_and(|r| {
            let o = owner(&r);
            Some(o) != except && !touched.keys().any(|(_, oid)| *oid == o)
        });
        let taken_here = self
            .view_sql()
            .relation(schema, name)
            .is_some_and(|r| Some(owner(&r)) != except);
        if taken_here || taken_latest {
            return Err(Error::DuplicateTable(name.to_string()));
        }
        Ok(())
    }

    pub(super) fn push_object(&mut self, kind: Kind, oid: Oid, after: Option<Object>) {
        let before = self.view.get(kind, oid);
        self.push_ddl_op(kind, oid, before, after);
    }

    pub(super) fn ddl_create_schema(&mut self, def: SchemaDef) -> Result<()> {
        self.lock(
            LockTarget::Name(format!("schema:{}", def.name)),
            LockMode::Exclusive,
        )?;
        let latest = self.shared.commit_state().latest.clone();
        self.saw_state(self.shared.catalog_changed_lsn());
        let taken_latest = latest.schemas.values().any(|s| s.name == def.name)
            && !self
                .writes
                .net_ddl()
                .keys()
                .any(|(k, _)| *k == Kind::Schema);
        if self.view_sql().schema(&def.name).is_some() || taken_latest {
            return Err(Error::DuplicateSchema(def.name));
        }
        self.push_object(Kind::Schema, def.oid, Some(Object::Schema(def)));
        Ok(())
    }

    pub(super) fn ddl_alter_schema(&mut self, def: SchemaDef) -> Result<()> {
        if self
            .view_sql()
            .schema(&def.name)
            .is_some_and(|s| s.oid != def.oid)
        {
            return Err(Error::DuplicateSchema(def.name));
        }
        self.lock(
            LockTarget::Name(format!("schema:{}", def.name)),
            LockMode::Exclusive,
        )?;
        self.push_object(Kind::Schema, def.oid, Some(Object::Schema(def)));
        Ok(())
    }

    pub(super) fn ddl_drop_schema(&mut self, oid: Oid) -> Result<()> {
        self.push_object(Kind::Schema, oid, None);
        Ok(())
    }

    /// Fills OIDs a caller left 0 (tests build definitions by hand).
    pub(super) fn assign_oids(&self, def: &mut TableDef) {
        def.assign_oids(|| self.ddl_new_oid());
    }

    pub(super) fn ddl_create_table(&mut self, mut def: TableDef) -> Result<TableId> {
        def.validate()?;
        self.assign_oids(&mut def);
        let names: Vec<String> = def.relation_names().map(str::to_string).collect();
        for n in &names {
            self.claim_name(def.schema, n, None)?;
        }
        let rel = self.new_rel();
        let index_rels = def
            .indexes
            .iter()
            .map(|i| (i.oid, self.new_rel()))
            .collect();
        let id = def.id;
        self.hold_table(id, true)?;
        let entry = TableEntry {
            def,
            rel,
            index_rels,
            legacy: false,
        };
        self.push_object(Kind::Table, id, Some(Object::Table(entry)));
        Ok(id)
    }

    pub(super) fn ddl_alter_table(&mut self, def: TableDef) -> Result<()> {
        def.validate()?;
        let mut entry = self.entry(def.id)?.clone();
        let old = &entry.def;
        let same_layout = old.columns.len() == def.columns.len()
            && old
                .columns
                .iter()
                .zip(&def.columns)
                .all(|(a, b)| a.data_type == b.data_type)
            && old.primary_key == def.primary_key
            && def.indexes.iter().all(|i| {
                old.indexes
                    .iter()
                    .any(|o| o.oid == i.oid && o.columns == i.columns && o.unique == i.unique)
            });
        if !same_layout {
            return Err(Error::Internal(
                "alter_table changes how rows are stored: use rewrite_table".into(),
            ));
        }
        self.hold_table(def.id, true)?;
        let old_names: Vec<String> = old.relation_names().map(str::to_string).collect();
        for n in def.relation_names() {
            if !old_names.iter().any(|o| o == n) {
                self.claim_name(def.schema, n, Some(def.id))?;
            }
        }
        entry
            .index_rels
            .retain(|oid, _| def.indexes.iter().any(|i| i.oid == *oid));
        entry.def = def;
        let id = entry.def.id;
        self.push_object(Kind::Table, id, Some(Object::Table(entry)));
        Ok(())
    }

    pub(super) fn ddl_drop_table(&mut self, table: TableId) -> Result<()> {
        self.entry(table)?;
        self.hold_table(table, true)?;
        self.push_object(Kind::Table, table, None);
        if self.view.stats.contains_key(&table) {
            self.push_object(Kind::Stats, table, None);
        }
        Ok(())
    }

    pub(super) fn ddl_truncate(&mut self, table: TableId) -> Result<()> {
        let mut entry = self.entry(table)?.clone();
        self.hold_table(table, true)?;
        entry.rel = self.new_rel();
        for rel in entry.index_rels.values_mut() {
            *rel = self.new_rel();
        }
        let stmt = self.stmt;
        self.writes.stash_table(stmt, table);
        self.push_object(Kind::Table, table, Some(Object::Table(entry)));
        Ok(())
    }

    pub(super) fn ddl_create_index(&mut self, table: TableId, mut index: IndexDef) -> Result<()> {
        let mut entry = self.entry(table)?.clone();
        self.claim_name(entry.def.schema, &index.name, None)?;
        self.hold_table(table, true)?;
        if index.oid == 0 {
            index.oid = self.ddl_new_oid();
        }
        // The build reads the whole latest table.
        self.saw_latest();
        if index.unique {
            // The exclusive table lock keeps other writers out: the latest rows are final.
            let mut seen = std::collections::HashSet::new();
            for r in self.latest_rows(&entry)? {
                let Some(vals) = index.key_of(&entry.def, &r.row)? else {
                    continue;
                };
                if !vals.iter().any(Value::is_null) && !seen.insert(codec::encode_key(&vals)) {
                    return Err(self.duplicated(&entry.def, &index, &r.row));
                }
            }
        }
        let rel = self.new_rel();
        if self.rel_exists(entry.rel()) {
            // Build from the committed rows now; the commit adds the transaction's own.
            let tree = self.tree(entry.rel());
            let scan = tree
                .scan(
                    std::ops::Bound::Unbounded,
                    std::ops::Bound::Unbounded,
                    Lsn::MAX,
                )
                .map_err(storage_error)?;
            let mut entries = Vec::new();
            for item in scan {
                let (pk, payload) = item.map_err(storage_error)?;
                let row = self.decode(&entry, &payload)?;
                let max = self.shared.config.limits.max_key;
                if let Some(k) = checked_index_entry(&row, &index, &entry.def, &pk, max)? {
                    entries.push((k, Vec::new()));
                }
            }
            entries.sort();
            build::build(&self.shared, rel, entries)?;
            let stmt = self.stmt;
            self.writes.note_prebuilt(stmt, rel);
        }
        entry.index_rels.insert(index.oid, rel);
        entry.def.indexes.push(index);
        self.push_object(Kind::Table, table, Some(Object::Table(entry)));
        Ok(())
    }

    pub(super) fn ddl_drop_index(&mut self, oid: Oid) -> Result<()> {
        let Some(table) = self.view_sql().index_table(oid).map(|t| t.id) else {
            return Err(Error::UndefinedObject(format!(
                "index with OID {oid} does not exist"
            )));
        };
        self.hold_table(table, true)?;
        let mut entry = self.entry(table)?.clone();
        entry.def.indexes.retain(|x| x.oid != oid);
        entry.index_rels.remove(&oid);
        self.push_object(Kind::Table, table, Some(Object::Table(entry)));
        Ok(())
    }

    /// 23505 for a key a new unique index or rewrite finds twice.
    fn duplicated(&self, def: &TableDef, index: &IndexDef, row: &Row) -> Error {
        index.build_violation(&self.view_sql(), def, row)
    }

    pub(super) fn ddl_rewrite_table(
        &mut self,
        mut def: TableDef,
        rows: &mut dyn Iterator<Item = Result<Row>>,
    ) -> Result<()> {
        def.validate()?;
        self.assign_oids(&mut def);
        let old = self.entry(def.id)?.clone();
        self.hold_table(def.id, true)?;
        self.saw_latest();
        let old_names: Vec<String> = old.def.relation_names().map(str::to_string).collect();
        for n in def.relation_names() {
            if !old_names.iter().any(|o| o == n) {
                self.claim_name(def.schema, n, Some(def.id))?;
            }
        }
        // Key every row: by the new primary key, or hidden row ids 1..n.
        let mut keyed: Vec<(Vec<u8>, Row)> = Vec::new();
        let mut next_id = 0i64;
        for row in rows {
            let row = row?;
            if row.len() != def.columns.len() {
                return Err(Error::Internal("rewritten row width does not match".into()));
            }
            let key = match def.primary_key_of(&row) {
                Some(k) => k,
                None => {
                    next_id += 1;
                    vec![Value::Int(next_id)]
                }
            };
            keyed.push((codec::encode_key(&key), row));
        }
        // The table's tree already holds exactly these entries (ADD PRIMARY KEY on a table
        // whose hidden row ids equal the new key, as after pgbench's load): keep it.
        let reuse = self.tree_matches(&old, &def, &keyed)?;
        if !reuse {
            keyed.sort_by(|a, b| a.0.cmp(&b.0));
        }
        if let Some(w) = keyed.windows(2).find(|w| w[0].0 == w[1].0) {
            let name = def.primary_key_name.clone().unwrap_or_default();
            let pk = IndexDef {
                name: name.clone(),
                columns: def.primary_key.clone(),
                ..Default::default()
            };
            return Err(self.duplicated(&def, &pk, &w[0].1));
        }
        let mut entry = TableEntry {
            def: def.clone(),
            rel: if reuse { old.rel } else { self.new_rel() },
            index_rels: BTreeMap::new(),
            legacy: false,
        };
        let stmt = self.stmt;
        self.build_indexes(&def, &keyed, &mut entry)?;
        if !reuse {
            let payloads = keyed
                .into_iter()
                .map(|(k, row)| (k, codec::encode_row(&row)));
            build::build(&self.shared, entry.rel, payloads)?;
            self.writes.note_prebuilt(stmt, entry.rel);
        }
        self.writes.stash_table(stmt, def.id);
        if def.primary_key.is_empty() {
            self.writes.note_row_id_floor(stmt, def.id, next_id);
        }
        self.push_object(Kind::Table, def.id, Some(Object::Table(entry)));
        Ok(())
    }

    /// Builds every index of `def` over `keyed` (rows by encoded primary key) ahead of the
    /// commit, into new relations noted in `entry`; 23505 for a unique key found twice.
    pub(super) fn build_indexes(
        &mut self,
        def: &TableDef,
        keyed: &[(Vec<u8>, Row)],
        entry: &mut TableEntry,
    ) -> Result<()> {
        let stmt = self.stmt;
        for index in &def.indexes {
            let max = self.shared.config.limits.max_key;
            let mut entries: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
            for (pk, row) in keyed {
                if let Some(k) = checked_index_entry(row, index, def, pk, max)? {
                    entries.push((k, Vec::new()));
                }
            }
            entries.sort();
            if index.unique {
                let mut seen = std::collections::HashSet::new();
                for (_, row) in keyed {
                    if let Some(vals) = index.key_of(def, row)?
                        && !vals.iter().any(Value::is_null)
                        && !seen.insert(codec::encode_key(&vals))
                    {
                        return Err(self.duplicated(def, index, row));
                    }
                }
            }
            let rel = self.new_rel();
            build::build(&self.shared, rel, entries)?;
            self.writes.note_prebuilt(stmt, rel);
            entry.index_rels.insert(index.oid, rel);
        }
        Ok(())
    }

    /// Whether the committed tree of `old` (the table before a rewrite to `def`) already
    /// holds exactly `keyed` — the same keys and encoded rows, in its order, one visible
    /// version each — so the rewrite can keep it instead of building a copy. This is
    /// ADD PRIMARY KEY over a table without one whose hidden row ids equal the new key
    /// (`pgbench -i`: `aid` 1..n loaded in order). Only for a table this transaction has
    /// not written to and whose tree it did not build, and when no version is newer than
    /// what it read (the exclusive lock keeps it so). The key encodes the same, so every
    /// existing reader of the tree, at any snapshot, reads the same rows.
    fn tree_matches(
        &self,
        old: &TableEntry,
        def: &TableDef,
        keyed: &[(Vec<u8>, Row)],
    ) -> Result<bool> {
        if def.primary_key.is_empty()
            || keyed.is_empty()
            || old.def.columns.len() != def.columns.len()
            || self.writes.table(def.id).next().is_some()
            || self.writes.prebuilt().any(|r| r == old.rel)
            || !self.rel_exists(old.rel)
        {
            return Ok(false);
        }
        let tree = self.tree(old.rel);
        let scan = tree
            .scan(
                std::ops::Bound::Unbounded,
                std::ops::Bound::Unbounded,
                Lsn::MAX,
            )
            .map_err(storage_error)?;
        let mut want = keyed.iter();
        for item in scan {
            let (key, payload) = item.map_err(storage_error)?;
            match want.next() {
                Some((k, row)) if *k == key && codec::encode_row(row) == payload => {}
                _ => return Ok(false),
            }
        }
        Ok(want.next().is_none())
    }

    pub(super) fn ddl_put_sequence(&mut self, def: SequenceDef, creating: bool) -> Result<()> {
        let except = (!creating).then_some(def.oid);
        self.claim_name(def.schema, &def.name, except)?;
        self.push_object(Kind::Sequence, def.oid, Some(Object::Sequence(def)));
        Ok(())
    }

    pub(super) fn ddl_drop_sequence(&mut self, oid: Oid) -> Result<()> {
        self.push_object(Kind::Sequence, oid, None);
        Ok(())
    }

    pub(super) fn ddl_put_view(&mut self, def: ViewDef) -> Result<()> {
        let existing = self.view.views.contains_key(&def.oid);
        self.claim_name(def.schema, &def.name, existing.then_some(def.oid))?;
        self.push_object(Kind::View, def.oid, Some(Object::View(def)));
        Ok(())
    }

    pub(super) fn ddl_drop_view(&mut self, oid: Oid) -> Result<()> {
        self.push_object(Kind::View, oid, None);
        Ok(())
    }

    pub(super) fn ddl_put_function(&mut self, def: sql::storage::FunctionDef) -> Result<()> {
        self.push_object(Kind::Function, def.oid, Some(Object::Function(def)));
        Ok(())
    }

    pub(super) fn ddl_drop_function(&mut self, oid: Oid) -> Result<()> {
        self.push_object(Kind::Function, oid, None);
        Ok(())
    }

    pub(super) fn ddl_put_type(&mut self, def: sql::storage::TypeDef) -> Result<()> {
        self.push_object(Kind::Type, def.oid, Some(Object::Type(def)));
        Ok(())
    }

    pub(super) fn ddl_drop_type(&mut self, oid: Oid) -> Result<()> {
        self.push_object(Kind::Type, oid, None);
        Ok(())
    }

    pub(super) fn ddl_put_database(&mut self, def: sql::storage::DatabaseDef) -> Result<()> {
        self.push_object(Kind::Database, def.oid, Some(Object::Database(def)));
        Ok(())
    }

    pub(super) fn ddl_put_extension(&mut self, def: sql::storage::ExtensionDef) -> Result<()> {
        self.push_object(Kind::Extension, def.oid, Some(Object::Extension(def)));
        Ok(())
    }

    pub(super) fn ddl_drop_extension(&mut self, oid: Oid) -> Result<()> {
        self.push_object(Kind::Extension, oid, None);
        Ok(())
    }

    pub(super) fn ddl_put_role(&mut self, def: sql::storage::RoleDef) -> Result<()> {
        self.push_object(Kind::Role, def.oid, Some(Object::Role(def)));
        Ok(())
    }

    pub(super) fn ddl_drop_role(&mut self, oid: Oid) -> Result<()> {
        self.push_object(Kind::Role, oid, None);
        Ok(())
    }

    pub(super) fn ddl_put_default_acl(&mut self, def: sql::storage::DefaultAclDef) -> Result<()> {
        self.push_object(Kind::DefaultAcl, def.oid, Some(Object::DefaultAcl(def)));
        Ok(())
    }

    pub(super) fn ddl_drop_default_acl(&mut self, oid: Oid) -> Result<()> {
        self.push_object(Kind::DefaultAcl, oid, None);
        Ok(())
    }

    pub(super) fn ddl_set_stats(&mut self, table: TableId, stats: TableStats) -> Result<()> {
        self.push_object(Kind::Stats, table, Some(Object::Stats(stats)));
        Ok(())
    }

    /// This transaction's SQL catalog.
    pub(super) fn view_sql(&self) -> Arc<Catalog> {
        self.view_sql.clone()
    }
}

/// An index entry for a build, refused with 54000 past the B-tree's key limit (an entry
/// also carries an 8-byte version stamp), as PostgreSQL refuses an over-long index row.
fn checked_index_entry(
    row: &[Value],
    index: &IndexDef,
    table: &TableDef,
    pk: &[u8],
    max: usize,
) -> Result<Option<Vec<u8>>> {
    let Some(k) = index_entry(row, index, table, pk)? else {
        return Ok(None);
    };
    if k.len() + 8 > max {
        return Err(super::txn::index_row_too_large(
            k.len() + 8,
            max,
            &index.name,
        ));
    }
    Ok(Some(k))
}
