//! The catalog: every schema, table, index, constraint, sequence and view as the current
//! statement sees it, and the lookups the binder and DDL need.
//!
//! * [`oids`] — PostgreSQL's fixed OIDs for built-in objects and the policy for ours.
//! * [`objects`] — the object definitions (also the engine's durable catalog format).
//!
//! # Invariants
//!
//! (Checked by [`TableDef::validate`] and the DDL code before storage sees a definition, and
//! relied on by storage implementations.)
//! * Relation names — tables, views, sequences, indexes, including the primary key's index —
//!   are unique within a schema (PostgreSQL's `pg_class` namespace); constraint names are
//!   unique within their table.
//! * Column names are unique within a table.
//! * `primary_key` lists distinct column positions whose columns are NOT NULL; when it is
//!   empty the table has a hidden row id, assigned by the storage, as its key.
//! * Every unique constraint is also listed in `indexes` (with `unique = true` and
//!   `constraint` set), so the planner can use it for scans, as PostgreSQL backs UNIQUE with
//!   an index.
//! * `pg_catalog`, `pg_toast` and `information_schema` are built in ([`builtin_schemas`]);
//!   `public` (2200) is an ordinary schema that exists from the start and may be dropped.

pub mod acl;
pub mod index_keys;
pub mod objects;
pub mod oids;
pub mod partition;
pub mod partition_hash;
pub mod partition_prune;
pub mod type_text;

#[cfg(test)]
mod tests;

pub use objects::{
    CheckDef, ColumnDef, DatabaseDef, DefaultAclDef, DomainCheck, DomainDef, EnumLabel,
    ExtensionDef, FkAction, ForeignKeyDef, FunctionArg, FunctionDef, Identity, IndexDef,
    Membership, OwnedBy, RoleDef, RoleSetting, SchemaDef, SequenceDef, StandardBody, TableDef,
    TableId, TableStats, TriggerDef, TypeBody, TypeDef, ViewColumn, ViewDef,
};
pub use oids::Oid;

use crate::types::DataType;
use crate::{Error, Result};
use std::collections::BTreeMap;

/// A consistent view of the catalog, as of the current statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    /// Stored schemas (`public` and user schemas); see [`Catalog::all_schemas`].
    pub schemas: Vec<SchemaDef>,
    pub tables: Vec<TableDef>,
    pub views: Vec<ViewDef>,
    pub sequences: Vec<SequenceDef>,
    /// ANALYZE results per table.
    pub stats: BTreeMap<TableId, TableStats>,
    /// SQL functions (`CREATE FUNCTION ... LANGUAGE sql`).
    pub functions: Vec<FunctionDef>,
    /// Stored roles (`CREATE ROLE`); the built-in ones are [`acl::builtin_roles`].
    pub roles: Vec<RoleDef>,
    /// `ALTER DEFAULT PRIVILEGES` entries.
    pub default_acls: Vec<DefaultAclDef>,
    /// Composite types (`CREATE TYPE ... AS (...)`).
    pub types: Vec<TypeDef>,
    /// Installed extensions (`CREATE EXTENSION`); see [`crate::ddl::extension`].
    pub extensions: Vec<ExtensionDef>,
    /// The database's `ALTER DATABASE ... SET` defaults (at most one entry).
    pub databases: Vec<DatabaseDef>,
}

impl Default for Catalog {
    /// A new database: just `public`.
    fn default() -> Self {
        Catalog {
            schemas: vec![public_schema()],
            tables: Vec::new(),
            views: Vec::new(),
            sequences: Vec::new(),
            stats: BTreeMap::new(),
            functions: Vec::new(),
            roles: Vec::new(),
            default_acls: Vec::new(),
            types: Vec::new(),
            extensions: Vec::new(),
            databases: Vec::new(),
        }
    }
}

/// The `public` schema of a new database.
pub fn public_schema() -> SchemaDef {
    SchemaDef {
        oid: oids::PUBLIC_NAMESPACE,
        name: "public".into(),
        owner: oids::PG_DATABASE_OWNER,
        comment: Some("standard public schema".into()),
        acl: None,
    }
}

/// The schemas every database has and nobody can change.
pub fn builtin_schemas() -> [SchemaDef; 3] {
    BUILTIN_SCHEMAS.clone()
}

/// [`builtin_schemas`], made once: name lookups run for every statement.
static BUILTIN_SCHEMAS: std::sync::LazyLock<[SchemaDef; 3]> =
    std::sync::LazyLock::new(make_builtin_schemas);

fn make_builtin_schemas() -> [SchemaDef; 3] {
    let s = |oid, name: &str, comment: &str| SchemaDef {
        oid,
        name: name.into(),
        owner: oids::BOOTSTRAP_SUPERUSER,
        comment: Some(comment.into()),
        acl: None,
    };
    [
        s(
            oids::PG_CATALOG_NAMESPACE,
            "pg_catalog",
            "system catalog schema",
        ),
        s(
            oids::PG_TOAST_NAMESPACE,
            "pg_toast",
            "reserved schema for TOAST tables",
        ),
        s(oids::INFORMATION_SCHEMA_NAMESPACE, "information_schema", ""),
    ]
}

/// Which index of a table: the primary key's or a secondary one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum IndexRef<'a> {
    Primary,
    Secondary(&'a IndexDef),
}

/// A relation found by name or OID.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Relation<'a> {
    Table(&'a TableDef),
    View(&'a ViewDef),
    Sequence(&'a SequenceDef),
    Index {
        table: &'a TableDef,
        index: IndexRef<'a>,
    },
}

impl<'a> Relation<'a> {
    pub fn oid(&self) -> Oid {
        match self {
            Relation::Table(t) => t.id,
            Relation::View(v) => v.oid,
            Relation::Sequence(s) => s.oid,
            Relation::Index {
                table,
                index: IndexRef::Primary,
            } => table.pk_index_oid,
            Relation::Index {
                index: IndexRef::Secondary(i),
                ..
            } => i.oid,
        }
    }

    pub fn name(&self) -> &'a str {
        match self {
            Relation::Table(t) => &t.name,
            Relation::View(v) => &v.name,
            Relation::Sequence(s) => &s.name,
            Relation::Index {
                table,
                index: IndexRef::Primary,
            } => table.primary_key_name.as_deref().unwrap_or(""),
            Relation::Index {
                index: IndexRef::Secondary(i),
                ..
            } => &i.name,
        }
    }

    pub fn schema(&self) -> Oid {
        match self {
            Relation::Table(t) | Relation::Index { table: t, .. } => t.schema,
            Relation::View(v) => v.schema,
            Relation::Sequence(s) => s.schema,
        }
    }

    /// PostgreSQL's `relkind`.
    pub fn relkind(&self) -> char {
        match self {
            Relation::Table(t) if t.materialized.is_some() => 'm',
            Relation::Table(t) if t.partition_key.is_some() => 'p',
            Relation::Table(_) => 'r',
            Relation::View(_) => 'v',
            Relation::Sequence(_) => 'S',
            Relation::Index { .. } => 'i',
        }
    }

    /// The word PostgreSQL uses for the kind in messages ("table", "index", ...).
    pub fn kind_name(&self) -> &'static str {
        match self.relkind() {
            'm' => "materialized view",
            'r' | 'p' => "table",
            'v' => "view",
            'S' => "sequence",
            _ => "index",
        }
    }
}

impl TableDef {
    /// The types of a row's storage key: the primary key's columns, or the hidden `int8`
    /// row id of a table without one.
    pub fn key_types(&self) -> Vec<DataType> {
        if self.primary_key.is_empty() {
            vec![DataType::Int8]
        } else {
            self.primary_key
                .iter()
                .map(|&c| self.columns[c].data_type)
                .collect()
        }
    }

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

    /// Every relation name this table brings into its schema: its own, its primary key
    /// index's and its secondary indexes'.
    pub fn relation_names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str())
            .chain(self.primary_key_name.as_deref())
            .chain(self.indexes.iter().map(|i| i.name.as_str()))
    }

    /// Names of every constraint of the table (primary key, unique, check, foreign key).
    pub fn constraint_names(&self) -> impl Iterator<Item = &str> {
        self.primary_key_name
            .as_deref()
            .into_iter()
            .chain(
                self.indexes
                    .iter()
                    .filter(|i| i.constraint.is_some())
                    .map(|i| i.name.as_str()),
            )
            .chain(self.checks.iter().map(|c| c.name.as_str()))
            .chain(self.foreign_keys.iter().map(|f| f.name.as_str()))
    }

    /// Fills the OIDs left 0 (table, primary key index and constraint, indexes) from
    /// `new_oid`: storages do this for definitions built by hand.
    pub fn assign_oids(&mut self, mut new_oid: impl FnMut() -> Oid) {
        if self.id == 0 {
            self.id = new_oid();
        }
        if !self.primary_key.is_empty() {
            if self.pk_index_oid == 0 {
                self.pk_index_oid = new_oid();
            }
            if self.pk_constraint_oid == 0 {
                self.pk_constraint_oid = new_oid();
            }
        }
        for i in &mut self.indexes {
            if i.oid == 0 {
                i.oid = new_oid();
            }
        }
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
        let fks_ok = self.foreign_keys.iter().all(|f| in_range(&f.columns));
        let checks_ok = self.checks.iter().all(|c| in_range(&c.columns));
        if !in_range(&self.primary_key)
            || !self.indexes.iter().all(|i| {
                let keys_ok = i.columns.iter().enumerate().all(|(k, &c)| {
                    c < n || (c == IndexDef::EXPRESSION && i.expr_text(k).is_some())
                });
                keys_ok && in_range(&i.include)
            })
            || !fks_ok
            || !checks_ok
        {
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

impl Catalog {
    /// Every schema, built-in ones first.
    pub fn all_schemas(&self) -> Vec<SchemaDef> {
        let mut v: Vec<SchemaDef> = builtin_schemas().into();
        v.extend(self.schemas.iter().cloned());
        v
    }

    /// The schema called `name` (built in or stored).
    pub fn schema(&self, name: &str) -> Option<SchemaDef> {
        let temp;
        let name = if name == "pg_temp" {
            temp = crate::binder::temp_schema_name();
            temp.as_str()
        } else {
            name
        };
        self.schema_def(name).cloned()
    }

    /// The OID of the schema named `name` (as [`Catalog::schema`] finds it), without a copy
    /// of its definition.
    pub fn schema_oid(&self, name: &str) -> Option<Oid> {
        if name == "pg_temp" {
            return self.schema(name).map(|s| s.oid);
        }
        self.schema_def(name).map(|s| s.oid)
    }

    fn schema_def(&self, name: &str) -> Option<&SchemaDef> {
        BUILTIN_SCHEMAS
            .iter()
            .find(|s| s.name == name)
            .or_else(|| self.schemas.iter().find(|s| s.name == name))
    }

    pub fn schema_by_oid(&self, oid: Oid) -> Option<SchemaDef> {
        builtin_schemas()
            .into_iter()
            .find(|s| s.oid == oid)
            .or_else(|| self.schemas.iter().find(|s| s.oid == oid).cloned())
    }

    /// The name of schema `oid` (empty if unknown).
    pub fn schema_name(&self, oid: Oid) -> String {
        self.schema_by_oid(oid).map(|s| s.name).unwrap_or_default()
    }

    /// The relation `name` in schema `schema`.
    pub fn relation(&self, schema: Oid, name: &str) -> Option<Relation<'_>> {
        for t in self.tables.iter().filter(|t| t.schema == schema) {
            if t.name == name {
                return Some(Relation::Table(t));
            }
            if t.primary_key_name.as_deref() == Some(name) {
                return Some(Relation::Index {
                    table: t,
                    index: IndexRef::Primary,
                });
            }
            if let Some(i) = t.index(name) {
                return Some(Relation::Index {
                    table: t,
                    index: IndexRef::Secondary(i),
                });
            }
        }
        if let Some(v) = self
            .views
            .iter()
            .find(|v| v.schema == schema && v.name == name)
        {
            return Some(Relation::View(v));
        }
        self.sequences
            .iter()
            .find(|s| s.schema == schema && s.name == name)
            .map(Relation::Sequence)
    }

    /// The relation with OID `oid`.
    pub fn relation_by_oid(&self, oid: Oid) -> Option<Relation<'_>> {
        for t in &self.tables {
            if t.id == oid {
                return Some(Relation::Table(t));
            }
            if t.pk_index_oid == oid && !t.primary_key.is_empty() {
                return Some(Relation::Index {
                    table: t,
                    index: IndexRef::Primary,
                });
            }
            if let Some(i) = t.indexes.iter().find(|i| i.oid == oid) {
                return Some(Relation::Index {
                    table: t,
                    index: IndexRef::Secondary(i),
                });
            }
        }
        if let Some(v) = self.views.iter().find(|v| v.oid == oid) {
            return Some(Relation::View(v));
        }
        self.sequences
            .iter()
            .find(|s| s.oid == oid)
            .map(Relation::Sequence)
    }

    /// Whether schema `schema` has a relation called `name`.
    pub fn relation_exists(&self, schema: Oid, name: &str) -> bool {
        self.relation(schema, name).is_some()
    }

    /// Resolves a possibly schema-qualified relation name: a qualified name looks in its
    /// schema only (42P01 / 3F000 when absent); an unqualified one searches `path` (schema
    /// OIDs, `pg_catalog` first) and returns the first match. `None`: not found.
    pub fn resolve(
        &self,
        schema: Option<&str>,
        name: &str,
        path: &[Oid],
    ) -> Result<Option<Relation<'_>>> {
        match schema {
            Some(s) => {
                let sch = self.schema(s).ok_or_else(|| undefined_schema(s))?;
                Ok(self.relation(sch.oid, name))
            }
            None => Ok(path.iter().find_map(|&oid| self.relation(oid, name))),
        }
    }

    /// The table `name` of schema `public` (a shorthand for tests and tools).
    pub fn table(&self, name: &str) -> Option<&TableDef> {
        self.tables
            .iter()
            .find(|t| t.schema == oids::PUBLIC_NAMESPACE && t.name == name)
    }

    pub fn table_by_id(&self, id: TableId) -> Option<&TableDef> {
        self.tables.iter().find(|t| t.id == id)
    }

    pub fn sequence_by_id(&self, oid: Oid) -> Option<&SequenceDef> {
        self.sequences.iter().find(|s| s.oid == oid)
    }

    pub fn view_by_id(&self, oid: Oid) -> Option<&ViewDef> {
        self.views.iter().find(|v| v.oid == oid)
    }

    /// The table owning the index with OID `oid`.
    pub fn index_table(&self, oid: Oid) -> Option<&TableDef> {
        self.tables.iter().find(|t| {
            (t.pk_index_oid == oid && !t.primary_key.is_empty())
                || t.indexes.iter().any(|i| i.oid == oid)
        })
    }

    /// Tables with a foreign key referencing `table`, with the key.
    pub fn referencing(&self, table: TableId) -> Vec<(&TableDef, &ForeignKeyDef)> {
        let mut out = Vec::new();
        for t in &self.tables {
            for fk in &t.foreign_keys {
                if fk.ref_table == table {
                    out.push((t, fk));
                }
            }
        }
        out
    }
}

/// 3F000: `schema "x" does not exist`.
pub fn undefined_schema(name: &str) -> Error {
    Error::InvalidSchemaName(format!("schema \"{name}\" does not exist"))
}
