//! `pg_catalog.pg_locks` with PostgreSQL 15's columns. Strata's table locks live in the
//! compute's lock table, which the SQL layer does not see, so the view lists no lock: tools
//! that join it (monitoring queries, `pg_blocking_pids` dashboards) run and find nothing
//! waiting.

use super::{Context, SystemTable};
use crate::Result;
use crate::storage::Row;
use crate::storage::catalog::oids::PG_CATALOG_NAMESPACE;

fn rows(_ctx: &Context) -> Result<Vec<Row>> {
    Ok(Vec::new())
}

/// The relation (PostgreSQL 15's OID for the view).
pub const PG_LOCKS: SystemTable = SystemTable {
    schema: PG_CATALOG_NAMESPACE,
    name: "pg_locks",
    oid: 12_073,
    columns: &[
        ("locktype", "text"),
        ("database", "oid"),
        ("relation", "oid"),
        ("page", "int4"),
        ("tuple", "int2"),
        ("virtualxid", "text"),
        ("transactionid", "xid"),
        ("classid", "oid"),
        ("objid", "oid"),
        ("objsubid", "int2"),
        ("virtualtransaction", "text"),
        ("pid", "int4"),
        ("mode", "text"),
        ("granted", "bool"),
        ("fastpath", "bool"),
        ("waitstart", "timestamptz"),
    ],
    rows,
};
