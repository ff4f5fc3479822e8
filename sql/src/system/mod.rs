//! The virtual `pg_catalog` and `information_schema` relations: read-only tables whose rows
//! are generated from the catalog of the statement that reads them (so they always agree
//! with it — same snapshot, the transaction's own DDL included), never stored.
//!
//! Each relation is a [`SystemTable`]: its schema, name, OID, columns (name and SQL type
//! text) and a generator. The binder finds them by name ([`lookup`]) before stored
//! relations of the same schema; the executor's `SystemScan` calls the generator with a
//! [`Context`] built from the running statement's environment ([`crate::env`]).
//! One file per group of relations:
//!
//! * [`relations`] — what describes the user's objects: `pg_namespace`, `pg_class`,
//!   `pg_attribute`, `pg_attrdef`, `pg_index`, `pg_constraint`, `pg_sequence`,
//!   `pg_description`, `pg_depend`.
//! * [`views`] — `pg_tables`, `pg_views`, `pg_indexes`, `pg_sequences`.
//! * [`builtin`] — what is fixed: `pg_type` (PostgreSQL's OIDs, which drivers hard-code),
//!   `pg_am`, `pg_database`, the roles (`pg_roles`, `pg_authid`, `pg_user`,
//!   `pg_auth_members`), `pg_collation`, `pg_tablespace`, `pg_proc` (the functions psql asks
//!   about), and the relations that are always empty here (`pg_policy`,
//!   `pg_inherits`, `pg_rewrite`, `pg_statistic_ext`, `pg_publication*`, ...).
//! * [`info_schema`] — `information_schema.tables`, `columns`, `schemata`, `views`,
//!   `sequences`, `table_constraints`, `key_column_usage`, `referential_constraints`.
//! * [`constraint_usage`] — `information_schema.constraint_column_usage` and
//!   `constraint_table_usage`; [`io_stats`] — `pg_statio_*_tables` (block counters zero).
//! * [`activity`] — `pg_stat_activity`, the server's sessions (from [`crate::env::Activity`]).
//! * [`table_stats`] — `pg_stat_user_tables`, per-table activity counters and row estimates
//!   (from [`crate::storage::Services::table_activity`]).
//! * [`replication`] — `strata_replication_status`, where the server's WAL stands (from
//!   [`crate::storage::Services::replication`]).
//! * [`casts`] — `pg_cast`, PostgreSQL's built-in casts between Strata's types;
//!   [`operators`] — `pg_operator`, the operators Strata evaluates; [`builtin_procs`] —
//!   `pg_proc`'s built-in rows (PostgreSQL's OIDs: the functions Strata implements and those
//!   its operators, casts and types name) and the types' I/O functions; [`locks`] — `pg_locks`,
//!   with PostgreSQL's columns and no rows.
//! * [`cursors`] — `pg_cursors`, the session's open cursors.
//! * [`catalog_relations`] — the virtual relations' own `pg_class` / `pg_attribute` rows.
//! * [`triggers`] — `pg_trigger` and `information_schema.triggers`, the tables' triggers,
//!   and `pg_get_triggerdef`'s text.
//!
//! Column types are PostgreSQL's (`oid`, `name`, `"char"`, `regproc`, arrays), so rows print
//! and travel as PostgreSQL's do; `int2vector` / `oidvector` are text in their output form
//! (`1 2`) and `pg_node_tree` is the expression's SQL text (what `pg_get_expr` deparses).

mod activity;
pub mod builtin;
pub mod builtin_procs;
pub mod casts;
mod catalog_relations;
mod constraint_usage;
mod cursors;
mod database_stats;
mod default_acl;
pub mod deparse;
pub mod extensions;
pub mod index_stats;
pub mod info_schema;
pub mod info_schema_routines;
mod io_stats;
pub mod locks;
pub mod operators;
pub mod partitions;
mod prepared;
pub mod relations;
mod replication;
pub mod table_stats;
pub mod triggers;
pub(crate) mod ts_catalog;
pub mod user_types;
mod view_def;
pub mod views;

use crate::storage::Oid;
use crate::storage::Row;
use crate::types::Value;
use crate::types::array::Array;
use crate::types::oid::RegKind;
use crate::{DataType, Result};

/// What a generator reads.
pub struct Context<'a> {
    pub env: &'a crate::env::CatalogEnv,
}

/// A virtual relation.
#[derive(Debug)]
pub struct SystemTable {
    pub schema: Oid,
    pub name: &'static str,
    pub oid: Oid,
    /// `(column name, SQL type text)`.
    pub columns: &'static [(&'static str, &'static str)],
    pub rows: fn(&Context) -> Result<Vec<Row>>,
}

impl SystemTable {
    /// The columns with their types.
    pub fn column_types(&self) -> Vec<(String, DataType)> {
        self.columns
            .iter()
            .map(|(n, t)| (n.to_string(), column_type(t)))
            .collect()
    }
}

/// The type of a system column given as SQL text: PostgreSQL's catalog types, with
/// `pg_node_tree` / `aclitem` as text and `xid` as bigint.
pub fn column_type(text: &str) -> DataType {
    if let Some(elem) = text.strip_suffix("[]") {
        return DataType::array_of(column_type(elem));
    }
    match text {
        "bool" => DataType::Bool,
        "int2" => DataType::Int2,
        "int4" => DataType::Int4,
        "int8" | "xid" => DataType::Int8,
        "oid" => DataType::Oid,
        "regproc" => DataType::RegProc,
        "regprocedure" => DataType::RegProcedure,
        "regclass" => DataType::RegClass,
        "regtype" => DataType::RegType,
        "regnamespace" => DataType::RegNamespace,
        "regrole" => DataType::RegRole,
        "regconfig" => DataType::RegConfig,
        "tsvector" => DataType::TsVector,
        "tsquery" => DataType::TsQuery,
        "jsonpath" => DataType::JsonPath,
        "name" => DataType::Name,
        "char" => DataType::Char,
        "float4" => DataType::Float4,
        "float8" => DataType::Float8,
        "timestamptz" => DataType::Timestamptz(None),
        "int2vector" => DataType::Int2Vector,
        "oidvector" => DataType::OidVector,
        "bytea" => DataType::Bytea,
        _ => DataType::Text,
    }
}

/// Every virtual relation.
pub fn tables() -> &'static [SystemTable] {
    static TABLES: std::sync::OnceLock<Vec<SystemTable>> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let mut v = relations::tables();
        v.extend(builtin::tables());
        v.extend(views::tables());
        v.extend(info_schema::tables());
        v.extend(info_schema_routines::tables());
        v.push(activity::PG_STAT_ACTIVITY);
        v.push(prepared::PG_PREPARED_STATEMENTS);
        v.push(cursors::PG_CURSORS);
        v.push(default_acl::PG_DEFAULT_ACL);
        v.push(extensions::PG_EXTENSION);
        v.push(extensions::PG_AVAILABLE_EXTENSIONS);
        v.push(database_stats::PG_STAT_DATABASE);
        v.push(replication::STRATA_REPLICATION_STATUS);
        v.push(table_stats::PG_STAT_USER_TABLES);
        v.push(table_stats::PG_STAT_ALL_TABLES);
        v.push(table_stats::PG_STAT_SYS_TABLES);
        v.push(index_stats::PG_STAT_USER_INDEXES);
        v.push(index_stats::PG_STAT_ALL_INDEXES);
        v.push(index_stats::PG_STAT_SYS_INDEXES);
        v.push(io_stats::PG_STATIO_USER_TABLES);
        v.push(io_stats::PG_STATIO_ALL_TABLES);
        v.push(io_stats::PG_STATIO_SYS_TABLES);
        v.push(constraint_usage::CONSTRAINT_COLUMN_USAGE);
        v.push(constraint_usage::CONSTRAINT_TABLE_USAGE);
        v.push(casts::PG_CAST);
        v.push(operators::PG_OPERATOR);
        v.push(locks::PG_LOCKS);
        v.push(triggers::PG_TRIGGER);
        v.push(partitions::PG_PARTITIONED_TABLE);
        v.push(partitions::PG_INHERITS);
        v.push(triggers::INFORMATION_SCHEMA_TRIGGERS);
        v
    })
}

/// Value constructors for generators.
pub(crate) mod val {
    use super::*;

    pub fn oid(o: Oid) -> Value {
        Value::Int(i64::from(o))
    }
    pub fn text(s: impl Into<String>) -> Value {
        Value::Text(s.into())
    }
    pub fn opt_text(s: Option<impl Into<String>>) -> Value {
        s.map_or(Value::Null, |s| Value::Text(s.into()))
    }
    pub fn ch(c: char) -> Value {
        Value::Text(c.to_string())
    }
    pub fn int(i: impl Into<i64>) -> Value {
        Value::Int(i.into())
    }
    pub fn b(v: bool) -> Value {
        Value::Bool(v)
    }
    pub fn null() -> Value {
        Value::Null
    }
    pub fn proc0() -> Value {
        Value::Reg(RegKind::Proc, 0)
    }
    pub fn array(items: Vec<Value>) -> Value {
        Value::Array(Box::new(Array::from_items(items)))
    }
    pub fn int_array<I: Into<i64>>(items: impl IntoIterator<Item = I>) -> Value {
        array(items.into_iter().map(|i| Value::Int(i.into())).collect())
    }
    /// An `int2vector` / `oidvector` in its output form.
    pub fn vector<I: ToString>(items: impl IntoIterator<Item = I>) -> Value {
        Value::Text(
            items
                .into_iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(" "),
        )
    }
}

/// The virtual relation `name` of schema `schema`, if there is one.
pub fn lookup(schema: Oid, name: &str) -> Option<&'static SystemTable> {
    tables()
        .iter()
        .find(|t| t.schema == schema && t.name == name)
}

/// The columns of `SELECT * FROM sequence`.
pub fn sequence_columns() -> Vec<(String, DataType)> {
    vec![
        ("last_value".into(), DataType::Int8),
        ("log_cnt".into(), DataType::Int8),
        ("is_called".into(), DataType::Bool),
    ]
}
