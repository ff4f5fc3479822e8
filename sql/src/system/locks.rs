//! `pg_catalog.pg_locks` with PostgreSQL 15's columns, from the storage's lock table
//! ([`crate::storage::Services::locks`]): a row per lock a transaction holds and per lock
//! it waits for (`granted` false, with `waitstart`), so the usual monitoring queries (join
//! with `pg_stat_activity` on `pid`, `pg_blocking_pids`) find who blocks whom. Strata has
//! two table lock modes, listed under the PostgreSQL mode with the same conflicts
//! (`AccessShareLock`, `AccessExclusiveLock`); row and unique-key locks are `tuple` locks
//! without page and tuple numbers (rows have no ctid); advisory locks are `advisory` locks
//! with PostgreSQL's classid / objid / objsubid for their key; there are no `virtualxid` /
//! `transactionid` rows (transactions do not lock their own ids).

use super::{Context, SystemTable};
use crate::storage::catalog::oids::{DATABASE_OID, PG_CATALOG_NAMESPACE};
use crate::storage::{LockInfo, Row};
use crate::{Result, Value};

fn rows(ctx: &Context) -> Result<Vec<Row>> {
    Ok(ctx.env.services.locks().into_iter().map(row).collect())
}

fn row(l: LockInfo) -> Row {
    let oid = |o: Option<u32>| o.map_or(Value::Null, |o| Value::Int(i64::from(o)));
    let (classid, objid, objsubid) = match l.object {
        Some((c, o, s)) => (Some(c), Some(o), Value::Int(i64::from(s))),
        None => (None, None, Value::Null),
    };
    vec![
        Value::Text(l.locktype.to_string()),
        oid((l.relation.is_some() || l.object.is_some()).then_some(DATABASE_OID)),
        oid(l.relation),
        Value::Null,
        Value::Null,
        Value::Null,
        Value::Null,
        oid(classid),
        oid(objid),
        objsubid,
        Value::Text(format!("{}/{}", l.pid, l.txn)),
        Value::Int(i64::from(l.pid)),
        Value::Text(l.mode.to_string()),
        Value::Bool(l.granted),
        Value::Bool(false),
        l.wait_start.map_or(Value::Null, Value::Timestamptz),
    ]
}

/// `pg_blocking_pids(pid)`: the pids of the sessions holding a lock `pid` waits for.
pub fn blocking_pids(locks: &[LockInfo], pid: i32) -> Vec<i32> {
    let mut out: Vec<i32> = locks
        .iter()
        .filter(|l| l.pid == pid && !l.granted)
        .flat_map(|l| l.blocked_by.iter().copied())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// What a session waits for, as `pg_stat_activity`'s `wait_event_type` / `wait_event`
/// (`Lock`, and the lock type).
pub fn wait_event(locks: &[LockInfo], pid: i32) -> Option<&'static str> {
    locks
        .iter()
        .find(|l| l.pid == pid && !l.granted)
        .map(|l| l.locktype)
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
