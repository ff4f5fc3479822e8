//! The DDL half of [`MemoryTxn`]: every change is a new private catalog version
//! (`change_catalog`); TRUNCATE and rewrites delete every row through the write set, so a
//! failed statement or a rollback restores them like any write.

use super::lock;
use super::txn::MemoryTxn;
use crate::storage::{
    Catalog, IndexDef, Oid, Row, SchemaDef, SequenceDef, TableDef, TableId, TableStats, ViewDef,
};
use crate::{Error, Result, Value};

/// 42P07 unless every relation name of `def` is free in its schema (names of table
/// `except` itself do not count).
pub(crate) fn check_relation_names(
    catalog: &Catalog,
    def: &TableDef,
    except: Option<TableId>,
) -> Result<()> {
    for name in def.relation_names() {
        if let Some(r) = catalog.relation(def.schema, name) {
            let own = match r {
                crate::storage::Relation::Table(t)
                | crate::storage::Relation::Index { table: t, .. } => Some(t.id) == except,
                _ => false,
            };
            if !own {
                return Err(Error::DuplicateTable(name.to_string()));
            }
        }
    }
    Ok(())
}

impl MemoryTxn {
    pub(super) fn ddl_new_oid(&mut self) -> Oid {
        lock(&self.shared).new_oid()
    }

    /// Fills the OIDs a caller left 0 (tests build definitions by hand).
    fn assign_oids(&mut self, def: &mut TableDef) {
        let shared = self.shared.clone();
        def.assign_oids(|| lock(&shared).new_oid());
    }

    pub(super) fn ddl_create_schema(&mut self, def: SchemaDef) -> Result<()> {
        if self.current_catalog().schema(&def.name).is_some() {
            return Err(Error::DuplicateSchema(def.name));
        }
        self.change_catalog(|c| {
            c.schemas.push(def);
            Ok(())
        })
    }

    pub(super) fn ddl_alter_schema(&mut self, def: SchemaDef) -> Result<()> {
        let cat = self.current_catalog();
        if cat.schema(&def.name).is_some_and(|s| s.oid != def.oid) {
            return Err(Error::DuplicateSchema(def.name));
        }
        self.change_catalog(|c| {
            let s = c
                .schemas
                .iter_mut()
                .find(|s| s.oid == def.oid)
                .ok_or_else(|| Error::Internal(format!("schema {} is not stored", def.oid)))?;
            *s = def;
            Ok(())
        })
    }

    pub(super) fn ddl_drop_schema(&mut self, oid: Oid) -> Result<()> {
        self.change_catalog(|c| {
            c.schemas.retain(|s| s.oid != oid);
            Ok(())
        })
    }

    pub(super) fn ddl_create_table(&mut self, mut def: TableDef) -> Result<TableId> {
        def.validate()?;
        check_relation_names(&self.current_catalog(), &def, None)?;
        self.assign_oids(&mut def);
        let id = def.id;
        self.change_catalog(|c| {
            c.tables.push(def);
            Ok(())
        })?;
        Ok(id)
    }

    pub(super) fn ddl_alter_table(&mut self, def: TableDef) -> Result<()> {
        def.validate()?;
        check_relation_names(&self.current_catalog(), &def, Some(def.id))?;
        self.replace_table(def)
    }

    fn replace_table(&mut self, def: TableDef) -> Result<()> {
        self.change_catalog(|c| {
            let t = c
                .tables
                .iter_mut()
                .find(|t| t.id == def.id)
                .ok_or_else(|| Error::UndefinedTable(def.name.clone()))?;
            *t = def;
            Ok(())
        })
    }

    /// Deletes every row of `table` the transaction can see as latest (committed or own).
    fn delete_all(&mut self, table: TableId) -> Result<()> {
        let keys: Vec<_> = {
            let shared = lock(&self.shared);
            self.latest_rows(&shared, table).into_keys().collect()
        };
        for key in keys {
            self.lock_for_ddl(table, &key)?;
            self.push_write(table, key, None);
        }
        Ok(())
    }

    pub(super) fn ddl_truncate(&mut self, table: TableId) -> Result<()> {
        self.table_def(table)?;
        self.delete_all(table)
    }

    pub(super) fn ddl_rewrite_table(
        &mut self,
        mut def: TableDef,
        rows: &mut dyn Iterator<Item = Result<Row>>,
    ) -> Result<()> {
        def.validate()?;
        check_relation_names(&self.current_catalog(), &def, Some(def.id))?;
        self.assign_oids(&mut def);
        let table = def.id;
        self.table_def(table)?;
        self.delete_all(table)?;
        self.replace_table(def)?;
        for row in rows {
            // A key found twice fails the index build, worded as PostgreSQL's.
            self.insert_row(table, row?).map_err(|e| match e {
                Error::OnObject { error, object } => match *error {
                    Error::UniqueViolation { constraint, detail } => Error::UniqueIndexDuplicate {
                        index: constraint,
                        detail: detail.replace("already exists.", "is duplicated."),
                    }
                    .on(*object),
                    error => Error::OnObject {
                        error: Box::new(error),
                        object,
                    },
                },
                e => e,
            })?;
        }
        Ok(())
    }

    pub(super) fn ddl_drop_table(&mut self, table: TableId) -> Result<()> {
        self.table_def(table)?;
        self.writes.remove(&table);
        self.change_catalog(|c| {
            c.tables.retain(|t| t.id != table);
            c.stats.remove(&table);
            Ok(())
        })
    }

    pub(super) fn ddl_create_index(&mut self, table: TableId, mut index: IndexDef) -> Result<()> {
        let def = self.table_def(table)?;
        if self
            .current_catalog()
            .relation_exists(def.schema, &index.name)
        {
            return Err(Error::DuplicateTable(index.name));
        }
        if index.oid == 0 {
            index.oid = self.ddl_new_oid();
        }
        if index.unique {
            let shared = lock(&self.shared);
            let rows = self.latest_rows(&shared, table);
            let mut seen = std::collections::BTreeSet::new();
            for row in rows.values() {
                let Some(vals) = index.key_of(&def, row)? else {
                    continue;
                };
                if !vals.iter().any(Value::is_null) && !seen.insert(vals) {
                    return Err(index.build_violation(&self.current_catalog(), &def, row));
                }
            }
        }
        self.change_catalog(|c| {
            let t = c
                .tables
                .iter_mut()
                .find(|t| t.id == table)
                .ok_or_else(|| Error::UndefinedTable(def.name.clone()))?;
            t.indexes.push(index);
            Ok(())
        })
    }

    pub(super) fn ddl_drop_index(&mut self, oid: Oid) -> Result<()> {
        let cat = self.current_catalog();
        if !cat
            .tables
            .iter()
            .any(|t| t.indexes.iter().any(|i| i.oid == oid))
        {
            return Err(Error::UndefinedObject(format!(
                "index with OID {oid} does not exist"
            )));
        }
        self.change_catalog(|c| {
            for t in &mut c.tables {
                t.indexes.retain(|i| i.oid != oid);
            }
            Ok(())
        })
    }

    pub(super) fn ddl_create_sequence(&mut self, def: SequenceDef) -> Result<()> {
        if self
            .current_catalog()
            .relation_exists(def.schema, &def.name)
        {
            return Err(Error::DuplicateTable(def.name));
        }
        self.change_catalog(|c| {
            c.sequences.push(def);
            Ok(())
        })
    }

    /// 42P07 if a relation other than `oid` is called `name` in `schema`.
    fn name_free(&self, schema: Oid, name: &str, oid: Oid) -> Result<()> {
        if self
            .current_catalog()
            .relation(schema, name)
            .is_some_and(|r| r.oid() != oid)
        {
            return Err(Error::DuplicateTable(name.to_string()));
        }
        Ok(())
    }

    pub(super) fn ddl_alter_sequence(&mut self, def: SequenceDef) -> Result<()> {
        self.name_free(def.schema, &def.name, def.oid)?;
        self.change_catalog(|c| {
            let s = c
                .sequences
                .iter_mut()
                .find(|s| s.oid == def.oid)
                .ok_or_else(|| Error::UndefinedTable(def.name.clone()))?;
            *s = def;
            Ok(())
        })
    }

    pub(super) fn ddl_drop_sequence(&mut self, oid: Oid) -> Result<()> {
        self.change_catalog(|c| {
            c.sequences.retain(|s| s.oid != oid);
            Ok(())
        })
    }

    pub(super) fn ddl_put_view(&mut self, def: ViewDef) -> Result<()> {
        self.name_free(def.schema, &def.name, def.oid)?;
        self.change_catalog(|c| {
            match c.views.iter_mut().find(|v| v.oid == def.oid) {
                Some(v) => *v = def,
                None => c.views.push(def),
            }
            Ok(())
        })
    }

    pub(super) fn ddl_drop_view(&mut self, oid: Oid) -> Result<()> {
        self.change_catalog(|c| {
            c.views.retain(|v| v.oid != oid);
            Ok(())
        })
    }

    pub(super) fn ddl_set_stats(&mut self, table: TableId, stats: TableStats) -> Result<()> {
        self.change_catalog(|c| {
            c.stats.insert(table, stats);
            Ok(())
        })
    }
}
