//! Catalog objects as the storage layer stores them and the binder reads them.
//!
//! Invariants (checked by [`TableDef::validate`] before `create_table` is called, and relied on
//! by storage implementations):
//! * column names are unique within a table; index and constraint names are unique among all
//!   relations (PostgreSQL's shared relation namespace);
//! * `primary_key` lists distinct column positions whose columns are NOT NULL; when it is
//!   empty the table has a hidden row id, assigned by the storage, as its key;
//! * every unique constraint is also listed in `indexes` (with `unique = true`), so the planner
//!   can use it for scans, as PostgreSQL backs UNIQUE with an index.

use crate::types::DataType;
use crate::{Error, Result};

/// Storage-assigned table identifier; never reused (DESIGN.md's `RelId`).
pub type TableId = u32;

/// One column of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    pub name: String,
    pub data_type: DataType,
    pub not_null: bool,
    /// The DEFAULT expression's SQL text, bound anew at every INSERT (so the catalog does
    /// not depend on the binder's internal types). `None` means DEFAULT NULL.
    pub default: Option<String>,
}

/// A secondary index (or the index behind a UNIQUE constraint).
#[derive(Debug, Clone, PartialEq)]
pub struct IndexDef {
    pub name: String,
    /// Column positions, leading column first.
    pub columns: Vec<usize>,
    pub unique: bool,
}

/// A table's definition.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDef {
    /// Assigned by the storage in `create_table`; 0 in the request.
    pub id: TableId,
    pub name: String,
    pub columns: Vec<ColumnDef>,
    /// Column positions of the primary key; empty → hidden row id.
    pub primary_key: Vec<usize>,
    /// The primary key constraint's name (PostgreSQL's `{table}_pkey` by default).
    pub primary_key_name: Option<String>,
    pub indexes: Vec<IndexDef>,
}

impl TableDef {
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    pub fn index(&self, name: &str) -> Option<&IndexDef> {
        self.indexes.iter().find(|i| i.name == name)
    }

    /// The key of `row` in this table's primary key, if the table has one.
    pub fn primary_key_of(&self, row: &[crate::Value]) -> Option<Vec<crate::Value>> {
        if self.primary_key.is_empty() {
            return None;
        }
        Some(self.primary_key.iter().map(|&i| row[i].clone()).collect())
    }

    /// Checks the invariants listed in the module docs.
    pub fn validate(&self) -> Result<()> {
        for (i, c) in self.columns.iter().enumerate() {
            if self.columns[..i].iter().any(|o| o.name == c.name) {
                return Err(Error::DuplicateColumn(c.name.clone()));
            }
        }
        let n = self.columns.len();
        let in_range = |cols: &[usize]| cols.iter().all(|&c| c < n);
        if !in_range(&self.primary_key) || !self.indexes.iter().all(|i| in_range(&i.columns)) {
            return Err(Error::Internal("column position out of range".into()));
        }
        for &c in &self.primary_key {
            if !self.columns[c].not_null {
                return Err(Error::Internal(
                    "primary key column must be NOT NULL".into(),
                ));
            }
        }
        Ok(())
    }
}

/// A consistent view of all tables, as of the current statement.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    pub tables: Vec<TableDef>,
}

impl Catalog {
    pub fn table(&self, name: &str) -> Option<&TableDef> {
        self.tables.iter().find(|t| t.name == name)
    }

    pub fn table_by_id(&self, id: TableId) -> Option<&TableDef> {
        self.tables.iter().find(|t| t.id == id)
    }

    /// Whether any relation (table, index or constraint index) is called `name`.
    pub fn relation_exists(&self, name: &str) -> bool {
        self.tables.iter().any(|t| {
            t.name == name
                || t.primary_key_name.as_deref() == Some(name)
                || t.indexes.iter().any(|i| i.name == name)
        })
    }

    /// The table owning index `name`.
    pub fn index_table(&self, name: &str) -> Option<&TableDef> {
        self.tables.iter().find(|t| t.index(name).is_some())
    }
}

/// The default name ↔ OID resolution for `regclass`: a table's OID is its [`TableId`]. The
/// pg_catalog layer may install its own [`ObjectLookup`](crate::types::oid::ObjectLookup)
/// with stable OIDs for every relation.
impl crate::types::oid::ObjectLookup for Catalog {
    fn relation_oid(&self, name: &str) -> Option<u32> {
        let name = name.strip_prefix("public.").unwrap_or(name);
        self.table(name).map(|t| t.id)
    }

    fn relation_name(&self, oid: u32) -> Option<String> {
        self.table_by_id(oid).map(|t| t.name.clone())
    }
}
