//! `pg_catalog.pg_stat_database`: per-database activity, PostgreSQL 15's columns. Strata
//! serves one database per timeline, so there are two rows, as PostgreSQL has for one
//! database: the shared objects' (`datid` 0, all zero) and the database's, whose
//! transaction counts come from the server's [`TableActivity`] (every transaction a session
//! ended, committed or rolled back) and whose row counts are the sums of
//! `pg_stat_all_tables` (dropped tables' included): `tup_returned` is rows read by
//! sequential scans plus rows fetched by index scans, `tup_fetched` the latter.
//! `numbackends` counts the client sessions. Counters Strata does not keep (blocks read and
//! hit, temporary files, session times) are zero; data checksums are always on, and none
//! has failed in a way that reached SQL, so `checksum_failures` is 0.
//!
//! [`TableActivity`]: super::table_stats::TableActivity

use super::val::*;
use super::{Context, SystemTable};
use crate::storage::Row;
use crate::storage::catalog::oids::{DATABASE_OID, PG_CATALOG_NAMESPACE};
use crate::{Result, Value};

/// The relation.
pub const PG_STAT_DATABASE: SystemTable = SystemTable {
    schema: PG_CATALOG_NAMESPACE,
    name: "pg_stat_database",
    // PostgreSQL 15's OID for the view.
    oid: 12_266,
    columns: &[
        ("datid", "oid"),
        ("datname", "name"),
        ("numbackends", "int4"),
        ("xact_commit", "int8"),
        ("xact_rollback", "int8"),
        ("blks_read", "int8"),
        ("blks_hit", "int8"),
        ("tup_returned", "int8"),
        ("tup_fetched", "int8"),
        ("tup_inserted", "int8"),
        ("tup_updated", "int8"),
        ("tup_deleted", "int8"),
        ("conflicts", "int8"),
        ("temp_files", "int8"),
        ("temp_bytes", "int8"),
        ("deadlocks", "int8"),
        ("checksum_failures", "int8"),
        ("checksum_last_failure", "timestamptz"),
        ("blk_read_time", "float8"),
        ("blk_write_time", "float8"),
        ("session_time", "float8"),
        ("active_time", "float8"),
        ("idle_in_transaction_time", "float8"),
        ("sessions", "int8"),
        ("sessions_abandoned", "int8"),
        ("sessions_fatal", "int8"),
        ("sessions_killed", "int8"),
        ("stats_reset", "timestamptz"),
    ],
    rows,
};

/// One row: identity, then numbackends, transactions and row counts.
struct Counts {
    backends: i64,
    committed: i64,
    rolled_back: i64,
    returned: i64,
    fetched: i64,
    inserted: i64,
    updated: i64,
    deleted: i64,
}

fn row(datid: Value, datname: Value, c: Counts) -> Row {
    let mut r = vec![
        datid,
        datname,
        int(c.backends),
        int(c.committed),
        int(c.rolled_back),
        int(0),
        int(0),
        int(c.returned),
        int(c.fetched),
        int(c.inserted),
        int(c.updated),
        int(c.deleted),
    ];
    // conflicts, temp_files, temp_bytes, deadlocks, checksum_failures
    r.extend(std::iter::repeat_n(int(0), 5));
    r.push(null()); // checksum_last_failure
    r.extend(std::iter::repeat_n(Value::Float(0.0), 5));
    r.extend(std::iter::repeat_n(int(0), 4));
    r.push(null()); // stats_reset
    r
}

fn rows(ctx: &Context) -> Result<Vec<Row>> {
    let zero = Counts {
        backends: 0,
        committed: 0,
        rolled_back: 0,
        returned: 0,
        fetched: 0,
        inserted: 0,
        updated: 0,
        deleted: 0,
    };
    let backends = ctx.env.backends();
    // Named as pg_database names it: the session's database.
    let database = crate::env::with(|e| e.session.database.clone());
    let mut counts = Counts {
        backends: backends.len() as i64,
        ..zero
    };
    if let Some(activity) = ctx.env.services.table_activity() {
        let (t, sum) = activity.database();
        counts.committed = t.committed;
        counts.rolled_back = t.rolled_back;
        counts.returned = sum.seq_tup_read + sum.idx_tup_fetch;
        counts.fetched = sum.idx_tup_fetch;
        counts.inserted = sum.n_tup_ins;
        counts.updated = sum.n_tup_upd;
        counts.deleted = sum.n_tup_del;
    }
    Ok(vec![
        row(oid(0), null(), zero),
        row(oid(DATABASE_OID), text(database), counts),
    ])
}
