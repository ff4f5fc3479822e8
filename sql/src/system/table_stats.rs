//! `pg_catalog.pg_stat_user_tables`: per-table activity counters and row estimates, kept
//! the way PostgreSQL's cumulative statistics keep them.
//!
//! Three levels, as in PostgreSQL:
//! * operators note what they did into the running statement's [`StatementCounts`] (kept
//!   in [`crate::env::CatalogEnv`]; each operator adds its totals once, when it is dropped,
//!   so a row costs nothing here);
//! * when the statement ends, the session adds its scans to the server's [`TableActivity`]
//!   at once and keeps its inserted/updated/deleted rows in its [`PendingCounts`];
//! * the transaction's end counts them (`n_tup_*`, rolled-back work included, as in
//!   PostgreSQL) and turns them into `n_live_tup` / `n_dead_tup` (a commit: inserted minus
//!   deleted rows are live, updated and deleted ones dead, all are modifications since
//!   ANALYZE; an abort: what it inserted or updated is dead). A TRUNCATE in the
//!   transaction drops what it counted before; committed, it zeroes the live and dead rows. ANALYZE sets `n_live_tup` to the rows it counted; VACUUM clears
//!   `n_dead_tup`.
//!
//! The counters live as long as the server process (PostgreSQL's survive a clean restart;
//! these do not). Invariant: `n_live_tup` and `n_dead_tup` never go below zero.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::val::{int, null, oid, text};
use super::{Context, SystemTable};
use crate::storage::Oid;
use crate::storage::Row;
use crate::storage::catalog::oids::PG_CATALOG_NAMESPACE;
use crate::{Result, Value};

/// What one statement did to one table.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Delta {
    pub seq_scan: u64,
    pub seq_tup_read: u64,
    pub idx_scan: u64,
    pub idx_tup_fetch: u64,
    pub ins: u64,
    pub upd: u64,
    pub del: u64,
    /// TRUNCATE: at commit the table has no live rows but those inserted after it.
    pub truncated: bool,
}

impl Delta {
    fn add(&mut self, o: &Delta) {
        self.seq_scan += o.seq_scan;
        self.seq_tup_read += o.seq_tup_read;
        self.idx_scan += o.idx_scan;
        self.idx_tup_fetch += o.idx_tup_fetch;
        self.ins += o.ins;
        self.upd += o.upd;
        self.del += o.del;
        self.truncated |= o.truncated;
    }
}

/// The running statement's [`Delta`] per table, and its scans per index.
#[derive(Debug, Default)]
pub struct StatementCounts {
    tables: Mutex<BTreeMap<Oid, Delta>>,
    indexes: Mutex<BTreeMap<Oid, IndexDelta>>,
}

/// What one statement's scans did through one index (`pg_stat_user_indexes`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct IndexDelta {
    pub scans: u64,
    /// Entries read, each leading to one row fetched (no index-only scans here).
    pub tuples: u64,
}

/// One finished statement's counts.
#[derive(Debug, Default)]
pub struct StatementTotals {
    pub tables: BTreeMap<Oid, Delta>,
    pub indexes: BTreeMap<Oid, IndexDelta>,
}

impl StatementCounts {
    pub fn add(&self, table: Oid, d: Delta) {
        let mut m = self.tables.lock().unwrap_or_else(|p| p.into_inner());
        m.entry(table).or_default().add(&d);
    }

    pub fn add_index(&self, index: Oid, d: IndexDelta) {
        let mut m = self.indexes.lock().unwrap_or_else(|p| p.into_inner());
        let e = m.entry(index).or_default();
        e.scans += d.scans;
        e.tuples += d.tuples;
    }

    pub fn take(&self) -> StatementTotals {
        StatementTotals {
            tables: std::mem::take(&mut *self.tables.lock().unwrap_or_else(|p| p.into_inner())),
            indexes: std::mem::take(&mut *self.indexes.lock().unwrap_or_else(|p| p.into_inner())),
        }
    }
}

/// Adds `d` to the running statement's counts for `table` (nothing outside a statement).
pub fn note(table: Oid, d: Delta) {
    if d != Delta::default()
        && let Ok(c) = crate::env::catalog()
    {
        c.counts.add(table, d);
    }
}

/// Adds one scan through `index` that read `tuples` entries to the running statement's
/// counts (nothing outside a statement).
pub fn note_index(index: Oid, tuples: u64) {
    if let Ok(c) = crate::env::catalog() {
        c.counts.add_index(index, IndexDelta { scans: 1, tuples });
    }
}

/// A session's open transaction: its row changes per table, counted into the server's
/// [`TableActivity`] (if the storage keeps one) when the transaction ends.
#[derive(Debug, Default)]
pub struct PendingCounts {
    server: Option<Arc<TableActivity>>,
    tables: BTreeMap<Oid, Pending>,
}

/// One table's changes in the open transaction: rows inserted, updated and deleted — since
/// its TRUNCATE if it ran one, with the counts from before it kept for a rollback (which
/// undoes the TRUNCATE), as PostgreSQL keeps them.
#[derive(Debug, Default, Clone, Copy)]
struct Pending {
    rows: Rows,
    before_truncate: Option<Rows>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Rows {
    ins: i64,
    upd: i64,
    del: i64,
}

impl PendingCounts {
    /// Counts for a session of a server that keeps `server`'s counters (`None`: none).
    pub fn new(server: Option<Arc<TableActivity>>) -> PendingCounts {
        PendingCounts {
            server,
            tables: BTreeMap::new(),
        }
    }

    /// Folds in a finished statement: its scans go to the server now, its row changes wait
    /// for the transaction's end.
    pub fn statement_done(&mut self, counts: StatementTotals) {
        let Some(server) = &self.server else {
            return;
        };
        for (index, d) in counts.indexes {
            server.index_scanned(index, d);
        }
        for (table, d) in counts.tables {
            server.scanned(table, &d);
            let e = self.tables.entry(table).or_default();
            if d.truncated {
                if e.before_truncate.is_none() {
                    e.before_truncate = Some(e.rows);
                }
                e.rows = Rows::default();
            }
            e.rows.ins += d.ins as i64;
            e.rows.upd += d.upd as i64;
            e.rows.del += d.del as i64;
        }
    }

    /// The transaction ended: with a commit, or rolled back — then its rows count as
    /// attempted work, what it inserted or updated is dead, what it deleted stays live (as
    /// PostgreSQL counts).
    pub fn ended(&mut self, committed: bool) {
        let tables = std::mem::take(&mut self.tables);
        if let Some(server) = &self.server {
            server.transaction_ended(committed);
            for (table, p) in tables {
                server.ended(table, p, committed);
            }
        }
    }
}

/// One table's counters, as `pg_stat_user_tables` shows them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TableCounters {
    pub seq_scan: i64,
    pub seq_tup_read: i64,
    pub idx_scan: i64,
    pub idx_tup_fetch: i64,
    pub n_tup_ins: i64,
    pub n_tup_upd: i64,
    pub n_tup_del: i64,
    pub n_live_tup: i64,
    pub n_dead_tup: i64,
    pub n_mod_since_analyze: i64,
    pub n_ins_since_vacuum: i64,
    /// PostgreSQL microseconds.
    pub last_vacuum: Option<i64>,
    pub last_analyze: Option<i64>,
    pub vacuum_count: i64,
    pub analyze_count: i64,
}

impl TableCounters {
    /// Adds `o`'s activity counts (not its row estimates or times).
    fn add(&mut self, o: &TableCounters) {
        self.seq_scan += o.seq_scan;
        self.seq_tup_read += o.seq_tup_read;
        self.idx_scan += o.idx_scan;
        self.idx_tup_fetch += o.idx_tup_fetch;
        self.n_tup_ins += o.n_tup_ins;
        self.n_tup_upd += o.n_tup_upd;
        self.n_tup_del += o.n_tup_del;
    }
}

/// The server's counters for every table it has seen used, and its transactions
/// (`pg_stat_database`).
#[derive(Debug, Default)]
pub struct TableActivity {
    tables: Mutex<BTreeMap<Oid, TableCounters>>,
    /// Per index: scans and entries read (`pg_stat_user_indexes`).
    indexes: Mutex<BTreeMap<Oid, IndexDelta>>,
    transactions: Mutex<Transactions>,
}

/// Transactions ended, and the row counts of tables since dropped (a database's totals
/// keep them, as PostgreSQL's do).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Transactions {
    pub committed: i64,
    pub rolled_back: i64,
    pub dropped: TableCounters,
}

impl TableActivity {
    fn with(&self, table: Oid, f: impl FnOnce(&mut TableCounters)) {
        let mut m = self.tables.lock().unwrap_or_else(|p| p.into_inner());
        f(m.entry(table).or_default());
    }

    fn transactions(&self) -> std::sync::MutexGuard<'_, Transactions> {
        self.transactions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A transaction ended (committed or rolled back).
    fn transaction_ended(&self, committed: bool) {
        let mut t = self.transactions();
        if committed {
            t.committed += 1;
        } else {
            t.rolled_back += 1;
        }
    }

    /// The database's totals: its transactions, and every table's counters summed (those
    /// of dropped tables included).
    pub fn database(&self) -> (Transactions, TableCounters) {
        let t = *self.transactions();
        let mut sum = t.dropped;
        for c in self
            .tables
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
        {
            sum.add(c);
        }
        (t, sum)
    }

    fn scanned(&self, table: Oid, d: &Delta) {
        if d.seq_scan + d.idx_scan == 0 {
            return;
        }
        self.with(table, |c| {
            c.seq_scan += d.seq_scan as i64;
            c.seq_tup_read += d.seq_tup_read as i64;
            c.idx_scan += d.idx_scan as i64;
            c.idx_tup_fetch += d.idx_tup_fetch as i64;
        });
    }

    fn ended(&self, table: Oid, p: Pending, committed: bool) {
        let r = match (committed, p.before_truncate) {
            (false, Some(before)) => before,
            _ => p.rows,
        };
        self.with(table, |c| {
            c.n_tup_ins += r.ins;
            c.n_tup_upd += r.upd;
            c.n_tup_del += r.del;
            if committed {
                if p.before_truncate.is_some() {
                    (c.n_live_tup, c.n_dead_tup, c.n_ins_since_vacuum) = (0, 0, 0);
                }
                c.n_live_tup = (c.n_live_tup + r.ins - r.del).max(0);
                c.n_dead_tup += r.upd + r.del;
                c.n_mod_since_analyze += r.ins + r.upd + r.del;
            } else {
                c.n_dead_tup += r.ins + r.upd;
            }
            c.n_ins_since_vacuum += r.ins;
        });
    }

    /// ANALYZE counted `rows` live rows of `table` at `now`.
    pub fn analyzed(&self, table: Oid, rows: u64, now: i64) {
        self.with(table, |c| {
            c.n_live_tup = rows as i64;
            c.n_mod_since_analyze = 0;
            c.last_analyze = Some(now);
            c.analyze_count += 1;
        });
    }

    /// VACUUM ran on `table` at `now`.
    pub fn vacuumed(&self, table: Oid, now: i64) {
        self.with(table, |c| {
            c.n_dead_tup = 0;
            c.n_ins_since_vacuum = 0;
            c.last_vacuum = Some(now);
            c.vacuum_count += 1;
        });
    }

    fn index_scanned(&self, index: Oid, d: IndexDelta) {
        let mut m = self.indexes.lock().unwrap_or_else(|p| p.into_inner());
        let e = m.entry(index).or_default();
        e.scans += d.scans;
        e.tuples += d.tuples;
    }

    /// `index`'s scans and entries read (zeros if it was never used).
    pub fn index(&self, index: Oid) -> IndexDelta {
        let m = self.indexes.lock().unwrap_or_else(|p| p.into_inner());
        m.get(&index).copied().unwrap_or_default()
    }

    /// `table`'s counters (zeros if it was never used).
    pub fn get(&self, table: Oid) -> TableCounters {
        let m = self.tables.lock().unwrap_or_else(|p| p.into_inner());
        m.get(&table).cloned().unwrap_or_default()
    }

    /// A dropped table's counters go with it.
    pub fn forget(&self, table: Oid) {
        let removed = self
            .tables
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&table);
        if let Some(c) = removed {
            self.transactions().dropped.add(&c);
        }
    }
}

/// The columns of `pg_stat_*_tables`.
const COLUMNS: &[(&str, &str)] = &[
    ("relid", "oid"),
    ("schemaname", "name"),
    ("relname", "name"),
    ("seq_scan", "int8"),
    ("seq_tup_read", "int8"),
    ("idx_scan", "int8"),
    ("idx_tup_fetch", "int8"),
    ("n_tup_ins", "int8"),
    ("n_tup_upd", "int8"),
    ("n_tup_del", "int8"),
    ("n_tup_hot_upd", "int8"),
    ("n_live_tup", "int8"),
    ("n_dead_tup", "int8"),
    ("n_mod_since_analyze", "int8"),
    ("n_ins_since_vacuum", "int8"),
    ("last_vacuum", "timestamptz"),
    ("last_autovacuum", "timestamptz"),
    ("last_analyze", "timestamptz"),
    ("last_autoanalyze", "timestamptz"),
    ("vacuum_count", "int8"),
    ("autovacuum_count", "int8"),
    ("analyze_count", "int8"),
    ("autoanalyze_count", "int8"),
];

/// The user's tables.
pub const PG_STAT_USER_TABLES: SystemTable = SystemTable {
    schema: PG_CATALOG_NAMESPACE,
    name: "pg_stat_user_tables",
    oid: 12_161,
    columns: COLUMNS,
    rows,
};

/// Every table: the user's (the catalog's relations are virtual here, nothing is stored or
/// counted for them).
pub const PG_STAT_ALL_TABLES: SystemTable = SystemTable {
    schema: PG_CATALOG_NAMESPACE,
    name: "pg_stat_all_tables",
    oid: 12_142,
    columns: COLUMNS,
    rows,
};

/// The catalog's tables: none stored.
pub const PG_STAT_SYS_TABLES: SystemTable = SystemTable {
    schema: PG_CATALOG_NAMESPACE,
    name: "pg_stat_sys_tables",
    oid: 12_152,
    columns: COLUMNS,
    rows: |_| Ok(Vec::new()),
};

fn rows(ctx: &Context) -> Result<Vec<Row>> {
    let cat = &ctx.env.catalog;
    let activity = ctx.env.services.table_activity();
    let time = |t: Option<i64>| t.map_or(Value::Null, Value::Timestamptz);
    let mut out = Vec::new();
    for t in &cat.tables {
        let Some(schema) = cat.schemas.iter().find(|s| s.oid == t.schema) else {
            continue;
        };
        let c = activity.as_ref().map(|a| a.get(t.id)).unwrap_or_default();
        // PostgreSQL sums the scans of the table's indexes: NULL when it has none.
        let indexed = !t.primary_key.is_empty() || !t.indexes.is_empty();
        let idx = |v: i64| if indexed { int(v) } else { null() };
        out.push(vec![
            oid(t.id),
            text(schema.name.clone()),
            text(t.name.clone()),
            int(c.seq_scan),
            int(c.seq_tup_read),
            idx(c.idx_scan),
            idx(c.idx_tup_fetch),
            int(c.n_tup_ins),
            int(c.n_tup_upd),
            int(c.n_tup_del),
            int(0),
            int(c.n_live_tup),
            int(c.n_dead_tup),
            int(c.n_mod_since_analyze),
            int(c.n_ins_since_vacuum),
            time(c.last_vacuum),
            Value::Null,
            time(c.last_analyze),
            Value::Null,
            int(c.vacuum_count),
            int(0),
            int(c.analyze_count),
            int(0),
        ]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals<const N: usize>(tables: [(Oid, Delta); N]) -> StatementTotals {
        StatementTotals {
            tables: BTreeMap::from(tables),
            indexes: BTreeMap::new(),
        }
    }

    #[test]
    fn live_rows_change_only_when_the_transaction_ends() {
        let server = Arc::new(TableActivity::default());
        let mut txn = PendingCounts::new(Some(server.clone()));
        let d = |ins, upd, del, truncated| Delta {
            ins,
            upd,
            del,
            truncated,
            ..Delta::default()
        };
        let scan = Delta {
            seq_scan: 1,
            seq_tup_read: 3,
            ..d(5, 0, 1, false)
        };
        txn.statement_done(totals([(7, scan)]));
        let c = server.get(7);
        assert_eq!((c.seq_scan, c.seq_tup_read), (1, 3), "scans count at once");
        assert_eq!((c.n_tup_ins, c.n_live_tup), (0, 0), "rows at the end");
        txn.ended(true);
        let c = server.get(7);
        assert_eq!(
            (c.n_tup_ins, c.n_tup_del, c.n_live_tup, c.n_dead_tup),
            (5, 1, 4, 1)
        );
        assert_eq!(c.n_mod_since_analyze, 6);
        // Rolled back: attempted work, dead inserts, no modifications for ANALYZE.
        txn.statement_done(totals([(7, d(2, 0, 10, false))]));
        txn.ended(false);
        let c = server.get(7);
        assert_eq!(
            (c.n_tup_ins, c.n_tup_del, c.n_live_tup, c.n_dead_tup),
            (7, 11, 4, 3)
        );
        assert_eq!(c.n_mod_since_analyze, 6);
        // TRUNCATE then inserts, committed: only what followed it counts.
        txn.statement_done(totals([(7, d(1, 0, 0, false))]));
        txn.statement_done(totals([(7, d(2, 0, 0, true))]));
        txn.ended(true);
        let c = server.get(7);
        assert_eq!((c.n_tup_ins, c.n_live_tup, c.n_dead_tup), (9, 2, 0));
        assert_eq!(c.n_ins_since_vacuum, 2);
        server.analyzed(7, 40, 1);
        server.vacuumed(7, 2);
        let c = server.get(7);
        assert_eq!(
            (c.n_live_tup, c.n_dead_tup, c.analyze_count, c.vacuum_count),
            (40, 0, 1, 1)
        );
        assert_eq!((c.n_mod_since_analyze, c.n_ins_since_vacuum), (0, 0));
    }
}
