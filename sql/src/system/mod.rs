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
//! * [`activity`] — `pg_stat_activity`, the server's sessions (from [`crate::env::Activity`]).

mod activity;

use crate::storage::Oid;
use crate::storage::Row;
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

/// The type of a system column given as SQL text. PostgreSQL's catalog types this crate
/// does not have yet print the same way as the type used here: `oid`/`regproc`/`xid` as
/// bigint, `name`/`"char"`/arrays/`aclitem[]` as text.
pub fn column_type(text: &str) -> DataType {
    match text {
        "bool" => DataType::Bool,
        "int2" => DataType::Int2,
        "int4" => DataType::Int4,
        "int8" | "oid" | "regproc" | "xid" | "regclass" | "regtype" => DataType::Int8,
        "float4" => DataType::Float4,
        "float8" => DataType::Float8,
        "timestamptz" => DataType::Timestamptz(None),
        _ => DataType::Text,
    }
}

/// Every virtual relation.
pub fn tables() -> &'static [SystemTable] {
    &[activity::PG_STAT_ACTIVITY]
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
