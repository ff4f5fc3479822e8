//! `information_schema.constraint_column_usage` and `constraint_table_usage`: which
//! columns and tables each constraint uses — what Sequelize's
//! `getForeignKeyReferencesForTable` (run by every `sync()`) joins to find the table and
//! column a foreign key points at.
//!
//! As in PostgreSQL 15, a PRIMARY KEY or UNIQUE constraint uses its own table's key
//! columns, a CHECK constraint the columns its expression reads, and a FOREIGN KEY the
//! **referenced** table and columns (not the referencing ones: those are in
//! `key_column_usage`); `constraint_table_usage` lists the keys' and foreign keys' tables,
//! not the checks'. NOT NULL is not a constraint in PostgreSQL 15's catalog and is not
//! listed. Rows come in catalog order; PostgreSQL promises none either.

use super::relations::{ConstraintRef, constraints};
use super::val::*;
use super::{Context, SystemTable};
use crate::Result;
use crate::storage::catalog::oids::INFORMATION_SCHEMA_NAMESPACE;
use crate::storage::{Row, TableDef};
use crate::types::Value;

fn database() -> Value {
    text(crate::env::with(|e| e.session.database.clone()))
}

/// `information_schema.constraint_column_usage`.
pub const CONSTRAINT_COLUMN_USAGE: SystemTable = SystemTable {
    schema: INFORMATION_SCHEMA_NAMESPACE,
    name: "constraint_column_usage",
    oid: 13_330,
    columns: &[
        ("table_catalog", "name"),
        ("table_schema", "name"),
        ("table_name", "name"),
        ("column_name", "name"),
        ("constraint_catalog", "name"),
        ("constraint_schema", "name"),
        ("constraint_name", "name"),
    ],
    rows: column_rows,
};

/// `information_schema.constraint_table_usage`.
pub const CONSTRAINT_TABLE_USAGE: SystemTable = SystemTable {
    schema: INFORMATION_SCHEMA_NAMESPACE,
    name: "constraint_table_usage",
    oid: 13_331,
    columns: &[
        ("table_catalog", "name"),
        ("table_schema", "name"),
        ("table_name", "name"),
        ("constraint_catalog", "name"),
        ("constraint_schema", "name"),
        ("constraint_name", "name"),
    ],
    rows: table_rows,
};

/// One constraint's use: the constraint's table (its schema is the constraint's), its
/// name, the table it uses and that table's columns it uses.
struct Usage<'a> {
    owner: &'a TableDef,
    name: String,
    used: &'a TableDef,
    columns: Vec<usize>,
    /// A CHECK: in `constraint_column_usage` only.
    check: bool,
}

fn usages<'a>(ctx: &'a Context<'a>) -> Vec<Usage<'a>> {
    let cat = &ctx.env.catalog;
    let mut out = Vec::new();
    for t in &cat.tables {
        for c in constraints(t) {
            let check = matches!(c, ConstraintRef::Check(..));
            let (name, used, columns) = match c {
                ConstraintRef::Key(i) => (i.name.to_string(), t, i.columns.to_vec()),
                ConstraintRef::Check(_, ck) => {
                    let mut cols = ck.columns.clone();
                    cols.sort_unstable();
                    cols.dedup();
                    (ck.name.clone(), t, cols)
                }
                ConstraintRef::Foreign(_, fk) => match cat.table_by_id(fk.ref_table) {
                    Some(rt) => (fk.name.clone(), rt, fk.ref_columns.clone()),
                    None => continue,
                },
            };
            out.push(Usage {
                owner: t,
                name,
                used,
                columns,
                check,
            });
        }
    }
    out
}

fn column_rows(ctx: &Context) -> Result<Vec<Row>> {
    let cat = &ctx.env.catalog;
    let mut rows = Vec::new();
    for u in usages(ctx) {
        for &col in &u.columns {
            let Some(column) = u.used.columns.get(col) else {
                continue;
            };
            rows.push(vec![
                database(),
                text(cat.schema_name(u.used.schema)),
                text(u.used.name.clone()),
                text(column.name.clone()),
                database(),
                text(cat.schema_name(u.owner.schema)),
                text(u.name.clone()),
            ]);
        }
    }
    Ok(rows)
}

fn table_rows(ctx: &Context) -> Result<Vec<Row>> {
    let cat = &ctx.env.catalog;
    Ok(usages(ctx)
        .into_iter()
        .filter(|u| !u.check)
        .map(|u| {
            vec![
                database(),
                text(cat.schema_name(u.used.schema)),
                text(u.used.name.clone()),
                database(),
                text(cat.schema_name(u.owner.schema)),
                text(u.name),
            ]
        })
        .collect())
}
