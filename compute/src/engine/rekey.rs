//! ADD PRIMARY KEY keeping the table's tree, decided in one engine-side pass.
//!
//! A table without a primary key is keyed by hidden row ids; after a load such as `pgbench
//! -i`'s, the ids are `1..n` in the order of a column holding `1..n` too (`aid`). Adding
//! that column as the primary key would rewrite the table — clustered on its key — into a
//! tree with exactly the same entries: the encoded key `aid` is the encoded hidden id, the
//! rows are unchanged. [`EngineTxn::ddl_rekey_in_place`] checks that in a single scan of
//! the committed tree, decoding only the key columns (and the NOT NULL columns' tags) of
//! each row, and then only changes the catalog row: no rows for the SQL layer, no second
//! read, no re-encoding, no bulk build and no full-page images through the WAL. Secondary
//! indexes of the new definition are built from the same pass (their rows decoded whole).
//!
//! Whenever the tree does not qualify — a key that differs, a NULL in a NOT NULL column,
//! own writes to the table, a tree built by this transaction, other columns — it answers
//! `false` and changes nothing; the caller then rewrites the table as for any ALTER, which
//! reports the errors (NULLs, duplicates) as PostgreSQL does.

use std::collections::BTreeMap;
use std::ops::Bound;

use proto::Lsn;
use sql::storage::{Row, TableDef};
use sql::{Result, Value};

use super::catalog::{Kind, Object, TableEntry};
use super::codec;
use super::storage_error;
use super::txn::EngineTxn;
use crate::values::columns::{Column, decode_columns};

/// A row with its encoded primary key.
type KeyedRow = (Vec<u8>, Row);

impl EngineTxn {
    /// [`sql::storage::Txn::rekey_in_place`]: gives table `def.id` (without a primary key)
    /// `def`'s primary key, keeping its tree, if every row's key equals its hidden row id
    /// and no column of `not_null` is NULL; `false` (nothing changed) otherwise.
    pub(super) fn ddl_rekey_in_place(
        &mut self,
        mut def: TableDef,
        not_null: &[usize],
    ) -> Result<bool> {
        def.validate()?;
        let old = self.entry(def.id)?.clone();
        let same_columns = old.def.columns.len() == def.columns.len()
            && old
                .def
                .columns
                .iter()
                .zip(&def.columns)
                .all(|(a, b)| a.data_type == b.data_type);
        if def.primary_key.is_empty()
            || !old.def.primary_key.is_empty()
            || !same_columns
            || self.writes.has_rows(def.id)
            || self.writes.prebuilt().any(|r| r == old.rel)
            || !self.rel_exists(old.rel)
        {
            return Ok(false);
        }
        self.hold_table(def.id, true)?;
        self.saw_latest();
        let Some(keyed) = self.rows_keyed_as_stored(&old, &def, not_null)? else {
            return Ok(false);
        };
        self.assign_oids(&mut def);
        let old_names: Vec<String> = old.def.relation_names().map(str::to_string).collect();
        for n in def.relation_names() {
            if !old_names.iter().any(|o| o == n) {
                self.claim_name(def.schema, n, Some(def.id))?;
            }
        }
        let mut entry = TableEntry {
            def: def.clone(),
            rel: old.rel,
            index_rels: BTreeMap::new(),
            legacy: false,
        };
        self.build_indexes(&def, &keyed, &mut entry)?;
        self.writes.stash_table(self.stmt, def.id);
        self.push_object(Kind::Table, def.id, Some(Object::Table(entry)));
        Ok(true)
    }

    /// One pass over `old`'s latest rows: `None` as soon as a row's `def` key does not
    /// encode as its stored key or a `not_null` column is NULL (or the table is empty);
    /// otherwise the rows keyed by their keys when `def` has indexes to build (else none).
    fn rows_keyed_as_stored(
        &self,
        old: &TableEntry,
        def: &TableDef,
        not_null: &[usize],
    ) -> Result<Option<Vec<KeyedRow>>> {
        let types = old.column_types();
        let whole = !def.indexes.is_empty();
        let tree = self.tree(old.rel);
        let scan = tree
            .scan(Bound::Unbounded, Bound::Unbounded, Lsn::MAX)
            .map_err(storage_error)?;
        let mut keyed = Vec::new();
        let mut n = 0u64;
        for item in scan {
            let (key, payload) = item.map_err(storage_error)?;
            n += 1;
            if n.is_multiple_of(4096) {
                sql::interrupt::check()?;
            }
            let pk: Vec<Value> = if whole {
                let row = codec::decode_row(&payload, &types).map_err(storage_error)?;
                if not_null
                    .iter()
                    .any(|&c| row.get(c).is_none_or(Value::is_null))
                {
                    return Ok(None);
                }
                let pk = def.primary_key.iter().map(|&c| row[c].clone()).collect();
                keyed.push((key.clone(), row));
                pk
            } else {
                let cols = decode_columns(&payload, |i| def.primary_key.contains(&i))
                    .map_err(storage_error)?;
                if cols.values.len() != types.len() {
                    return Ok(None);
                }
                let null = |c: usize| match &cols.values[c] {
                    Column::Value(v) => matches!(v, crate::values::Value::Null),
                    Column::Skipped { null } => *null,
                };
                if not_null.iter().any(|&c| c >= types.len() || null(c)) {
                    return Ok(None);
                }
                let mut values = cols.values;
                let mut pk = Vec::with_capacity(def.primary_key.len());
                for &c in &def.primary_key {
                    let v = std::mem::replace(&mut values[c], Column::Skipped { null: true });
                    let Column::Value(v) = v else {
                        return Ok(None);
                    };
                    pk.push(codec::from_stored(v, types.get(c)));
                }
                pk
            };
            if pk.iter().any(Value::is_null) || codec::encode_key(&pk) != key {
                return Ok(None);
            }
        }
        Ok((n > 0).then_some(keyed))
    }
}
