//! `strata_replication_status`: one row describing where this server's WAL stands, from
//! the storage's [`crate::storage::Services::replication`] — on a read replica its applied
//! and received LSNs, its WAL source, the primary, and its lag in bytes and milliseconds;
//! on a primary its durable WAL end (the replica-only columns are NULL). PostgreSQL has
//! no such relation (its standbys show `pg_stat_wal_receiver`); the name is Strata's.

use super::{Context, SystemTable};
use crate::storage::Row;
use crate::storage::catalog::oids::PG_CATALOG_NAMESPACE;
use crate::storage::format_lsn;
use crate::{Result, Value};

/// The relation (in `pg_catalog`, so it resolves unqualified).
pub const STRATA_REPLICATION_STATUS: SystemTable = SystemTable {
    schema: PG_CATALOG_NAMESPACE,
    name: "strata_replication_status",
    // Above PostgreSQL's system views, below FirstNormalObjectId.
    oid: 16_300,
    columns: &[
        ("role", "text"),
        ("applied_lsn", "text"),
        ("received_lsn", "text"),
        ("source", "text"),
        ("primary_conninfo", "text"),
        ("lag_bytes", "int8"),
        ("lag_ms", "float8"),
        ("last_applied", "timestamptz"),
    ],
    rows,
};

fn rows(ctx: &Context) -> Result<Vec<Row>> {
    let r = ctx.env.services.replication();
    let replica = |v: Value| if r.in_recovery { v } else { Value::Null };
    let text = |s: &str| {
        if s.is_empty() {
            Value::Null
        } else {
            Value::Text(s.to_string())
        }
    };
    Ok(vec![vec![
        Value::Text(if r.in_recovery { "replica" } else { "primary" }.into()),
        Value::Text(format_lsn(r.lsn)),
        replica(Value::Text(format_lsn(r.received_lsn))),
        replica(text(&r.source)),
        replica(text(&r.primary)),
        replica(Value::Int(r.lag_bytes as i64)),
        replica(Value::Float(r.lag_ms)),
        replica(r.last_applied_us.map_or(Value::Null, Value::Timestamptz)),
    ]])
}
