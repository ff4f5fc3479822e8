//! `pg_catalog.pg_stat_user_indexes` (and `_all_` / `_sys_`): per-index scan counters, as
//! monitoring queries read them ("unused indexes": `idx_scan = 0`).
//!
//! A scan through an index (a primary key's or a secondary one) notes one scan and the
//! entries it read when its operator is dropped ([`super::table_stats::note_index`]); the
//! session adds a finished statement's scans to the server's
//! [`super::table_stats::TableActivity`], like the tables' scans. Every entry read leads to
//! one row fetched (there are no index-only or bitmap scans), so `idx_tup_read` equals
//! `idx_tup_fetch`. As in PostgreSQL, the indexes of partitioned tables themselves are not
//! listed (their partitions' are), and a table's `idx_scan` in `pg_stat_user_tables` is the
//! sum of its indexes'. Counters live as long as the server process.

use super::val::{int, oid, text};
use super::{Context, SystemTable};
use crate::Result;
use crate::storage::Row;
use crate::storage::catalog::oids::PG_CATALOG_NAMESPACE;

const COLUMNS: &[(&str, &str)] = &[
    ("relid", "oid"),
    ("indexrelid", "oid"),
    ("schemaname", "name"),
    ("relname", "name"),
    ("indexrelname", "name"),
    ("idx_scan", "int8"),
    ("idx_tup_read", "int8"),
    ("idx_tup_fetch", "int8"),
];

/// The user's indexes.
pub const PG_STAT_USER_INDEXES: SystemTable = SystemTable {
    schema: PG_CATALOG_NAMESPACE,
    name: "pg_stat_user_indexes",
    oid: 12_192,
    columns: COLUMNS,
    rows,
};

/// Every index: the user's (the catalog's relations are virtual, without indexes).
pub const PG_STAT_ALL_INDEXES: SystemTable = SystemTable {
    schema: PG_CATALOG_NAMESPACE,
    name: "pg_stat_all_indexes",
    oid: 12_183,
    columns: COLUMNS,
    rows,
};

/// The catalog's indexes: none stored.
pub const PG_STAT_SYS_INDEXES: SystemTable = SystemTable {
    schema: PG_CATALOG_NAMESPACE,
    name: "pg_stat_sys_indexes",
    oid: 12_188,
    columns: COLUMNS,
    rows: |_| Ok(Vec::new()),
};

fn rows(ctx: &Context) -> Result<Vec<Row>> {
    let cat = &ctx.env.catalog;
    let activity = ctx.env.services.table_activity();
    let mut out = Vec::new();
    for t in cat.tables.iter().filter(|t| t.partition_key.is_none()) {
        let Some(schema) = cat.schemas.iter().find(|s| s.oid == t.schema) else {
            continue;
        };
        let pk = t
            .primary_key_name
            .clone()
            .filter(|_| !t.primary_key.is_empty())
            .map(|name| (t.pk_index_oid, name));
        let indexes = pk
            .into_iter()
            .chain(t.indexes.iter().map(|i| (i.oid, i.name.clone())));
        for (index, name) in indexes {
            let c = activity
                .as_ref()
                .map(|a| a.index(index))
                .unwrap_or_default();
            out.push(vec![
                oid(t.id),
                oid(index),
                text(schema.name.clone()),
                text(t.name.clone()),
                text(name),
                int(c.scans as i64),
                int(c.tuples as i64),
                int(c.tuples as i64),
            ]);
        }
    }
    Ok(out)
}
