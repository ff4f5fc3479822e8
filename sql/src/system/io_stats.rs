//! `pg_catalog.pg_statio_user_tables` (and `_all_` / `_sys_`): per-table block I/O, which
//! ORMs join for other reasons — Sequelize's `describeTable` finds a column's comment
//! through `pg_statio_all_tables.relid`.
//!
//! Strata reads pages through the compute's page cache, which counts hits and misses for
//! the whole server, not per relation, so the block counters here are zero (PostgreSQL's
//! count from the server's start). As in PostgreSQL, `idx_blks_*` are NULL for a table
//! without indexes; the `toast_*` and `tidx_*` columns are NULL, since Strata keeps no
//! TOAST relations (`pg_class.reltoastrelid` is 0). The catalog's relations are virtual,
//! so `pg_statio_sys_tables` is empty.

use super::val::{int, null, oid, text};
use super::{Context, SystemTable};
use crate::Result;
use crate::storage::Row;
use crate::storage::catalog::oids::PG_CATALOG_NAMESPACE;

const COLUMNS: &[(&str, &str)] = &[
    ("relid", "oid"),
    ("schemaname", "name"),
    ("relname", "name"),
    ("heap_blks_read", "int8"),
    ("heap_blks_hit", "int8"),
    ("idx_blks_read", "int8"),
    ("idx_blks_hit", "int8"),
    ("toast_blks_read", "int8"),
    ("toast_blks_hit", "int8"),
    ("tidx_blks_read", "int8"),
    ("tidx_blks_hit", "int8"),
];

/// The user's tables.
pub const PG_STATIO_USER_TABLES: SystemTable = SystemTable {
    schema: PG_CATALOG_NAMESPACE,
    name: "pg_statio_user_tables",
    oid: 12_179,
    columns: COLUMNS,
    rows,
};

/// Every table: the user's (the catalog's are virtual).
pub const PG_STATIO_ALL_TABLES: SystemTable = SystemTable {
    schema: PG_CATALOG_NAMESPACE,
    name: "pg_statio_all_tables",
    oid: 12_170,
    columns: COLUMNS,
    rows,
};

/// The catalog's tables: none stored.
pub const PG_STATIO_SYS_TABLES: SystemTable = SystemTable {
    schema: PG_CATALOG_NAMESPACE,
    name: "pg_statio_sys_tables",
    oid: 12_175,
    columns: COLUMNS,
    rows: |_| Ok(Vec::new()),
};

fn rows(ctx: &Context) -> Result<Vec<Row>> {
    let cat = &ctx.env.catalog;
    let mut out = Vec::new();
    for t in &cat.tables {
        let Some(schema) = cat.schemas.iter().find(|s| s.oid == t.schema) else {
            continue;
        };
        let indexed = !t.primary_key.is_empty() || !t.indexes.is_empty();
        let idx = || if indexed { int(0) } else { null() };
        out.push(vec![
            oid(t.id),
            text(schema.name.clone()),
            text(t.name.clone()),
            int(0),
            int(0),
            idx(),
            idx(),
            null(),
            null(),
            null(),
            null(),
        ]);
    }
    Ok(out)
}
