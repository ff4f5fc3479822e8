//! `pg_catalog.pg_cursors`: the session's open cursors ([`crate::cursor::Cursors`]), those
//! of SQL's DECLARE (with the query text that declared them) and PL/pgSQL's OPEN (no text:
//! PostgreSQL shows the function's query). Strata's cursors hold their rows, never binary.

use super::val::*;
use super::{Context, SystemTable};
use crate::storage::Row;
use crate::storage::catalog::oids::PG_CATALOG_NAMESPACE;
use crate::{Result, Value};

/// The relation.
pub const PG_CURSORS: SystemTable = SystemTable {
    schema: PG_CATALOG_NAMESPACE,
    name: "pg_cursors",
    // PostgreSQL 15's OID for the view.
    oid: 12_077,
    columns: &[
        ("name", "text"),
        ("statement", "text"),
        ("is_holdable", "bool"),
        ("is_binary", "bool"),
        ("is_scrollable", "bool"),
        ("creation_time", "timestamptz"),
    ],
    rows,
};

fn rows(_: &Context) -> Result<Vec<Row>> {
    let session = crate::env::current().session.clone();
    let portals = session.cursors.lock();
    Ok(portals
        .open
        .iter()
        .map(|(name, c)| {
            let (statement, created) = match &c.source {
                Some((q, at)) => (text(q.to_string()), Value::Timestamptz(*at)),
                None => (null(), null()),
            };
            vec![
                text(name.clone()),
                statement,
                b(c.holdable()),
                b(false),
                b(c.scrollable()),
                created,
            ]
        })
        .collect())
}
