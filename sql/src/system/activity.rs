//! `pg_catalog.pg_stat_activity`: one row per client session of the server, PostgreSQL
//! 15's columns, from the session list the front end provides ([`crate::env::Activity`];
//! without one, the running session alone). Columns of types Strata does not have yet are
//! text (`name`, `inet`) or NULL (object ids, transaction ids). A session waiting for a lock
//! shows `wait_event_type` `Lock` and the lock's type.

use super::{Context, SystemTable};
use crate::storage::Row;
use crate::storage::catalog::oids::{DATABASE_OID, PG_CATALOG_NAMESPACE};
use crate::{Result, Value};

/// The relation.
pub const PG_STAT_ACTIVITY: SystemTable = SystemTable {
    schema: PG_CATALOG_NAMESPACE,
    name: "pg_stat_activity",
    // In PostgreSQL's range of system views (below FirstNormalObjectId).
    oid: 12_222,
    columns: &[
        ("datid", "oid"),
        ("datname", "name"),
        ("pid", "int4"),
        ("leader_pid", "int4"),
        ("usesysid", "oid"),
        ("usename", "name"),
        ("application_name", "text"),
        ("client_addr", "inet"),
        ("client_hostname", "text"),
        ("client_port", "int4"),
        ("backend_start", "timestamptz"),
        ("xact_start", "timestamptz"),
        ("query_start", "timestamptz"),
        ("state_change", "timestamptz"),
        ("wait_event_type", "text"),
        ("wait_event", "text"),
        ("state", "text"),
        ("backend_xid", "xid"),
        ("backend_xmin", "xid"),
        ("query_id", "int8"),
        ("query", "text"),
        ("backend_type", "text"),
    ],
    rows,
};

fn text(s: Option<String>) -> Value {
    s.map_or(Value::Null, Value::Text)
}

fn time(t: Option<i64>) -> Value {
    t.map_or(Value::Null, Value::Timestamptz)
}

fn int(i: Option<i32>) -> Value {
    i.map_or(Value::Null, |i| Value::Int(i64::from(i)))
}

fn rows(ctx: &Context) -> Result<Vec<Row>> {
    let locks = ctx.env.services.locks();
    Ok(ctx
        .env
        .backends()
        .into_iter()
        .map(|b| {
            let waiting = super::locks::wait_event(&locks, b.pid);
            vec![
                Value::Int(i64::from(DATABASE_OID)),
                Value::Text(b.database),
                Value::Int(i64::from(b.pid)),
                Value::Null,
                Value::Null,
                Value::Text(b.user),
                Value::Text(b.application_name),
                text(b.client_addr),
                Value::Null,
                int(b.client_port),
                time(Some(b.backend_start)),
                time(b.xact_start),
                time(b.query_start),
                time(b.state_change),
                text(waiting.map(|_| "Lock".to_string())),
                text(waiting.map(str::to_string)),
                Value::Text(b.state),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Text(b.query),
                Value::Text("client backend".into()),
            ]
        })
        .collect())
}
