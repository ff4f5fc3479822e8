//! What a serializable transaction read and wrote, and whether a write footprint touches a
//! read footprint ([`Reads::touched_by`]).
//!
//! Reads are kept per table as the ranges the statements asked for: primary-key ranges
//! (`Access::PrimaryRange`), index ranges (`Access::IndexRange`, plus the keys of the rows
//! such a scan returned, so that a later change to one of those rows is seen even when it
//! moves the row out of the range), single row keys (row locks), unique-key probes (foreign
//! key checks) and whole tables (full scans). Writes are kept as the keys of the rows
//! written, with their new versions, so that an index range read can be matched against
//! the index key a new version has.
//!
//! Invariant: a footprint may only grow coarser, never finer, than what happened: past
//! [`LIMIT`] entries for one table it becomes "the whole table", and anything it cannot
//! decide (an index it cannot find, a key it cannot compute) counts as touched. Coarser
//! means more 40001 failures, never a missed conflict.

use crate::storage::{Access, Catalog, Key, KeyRange, Row, TableDef, TableId};
use crate::types::Value;
use std::collections::{BTreeSet, HashMap};

/// Entries kept per table before a footprint keeps the whole table instead.
pub const LIMIT: usize = 4096;

/// A transaction's reads.
#[derive(Debug, Default)]
pub struct Reads {
    tables: HashMap<TableId, TableReads>,
}

#[derive(Debug, Default)]
struct TableReads {
    whole: bool,
    /// Primary-key ranges.
    ranges: Vec<KeyRange>,
    /// Ranges of a unique key or an index, by the constraint's or index's name.
    index_ranges: Vec<(String, KeyRange)>,
    /// Keys of rows read.
    keys: BTreeSet<Key>,
}

impl TableReads {
    fn entries(&self) -> usize {
        self.ranges.len() + self.index_ranges.len() + self.keys.len()
    }

    fn coarsen_if_large(&mut self) {
        if self.entries() > LIMIT {
            *self = TableReads {
                whole: true,
                ..TableReads::default()
            };
        }
    }
}

impl Reads {
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    fn table(&mut self, table: TableId) -> Option<&mut TableReads> {
        let t = self.tables.entry(table).or_default();
        (!t.whole).then_some(t)
    }

    /// A scan of `table` by `access`.
    pub fn scan(&mut self, table: TableId, access: &Access) {
        let Some(t) = self.table(table) else { return };
        match access {
            Access::Full => t.whole = true,
            Access::PrimaryRange(r) => t.ranges.push(r.clone()),
            Access::IndexRange { index, range } => {
                t.index_ranges.push((index.clone(), range.clone()))
            }
        }
        t.coarsen_if_large();
    }

    /// A row read by its key (a row lock, or a row an index scan returned).
    pub fn key(&mut self, table: TableId, key: &Key) {
        let Some(t) = self.table(table) else { return };
        if !t.keys.contains(key) {
            t.keys.insert(key.clone());
            t.coarsen_if_large();
        }
    }

    /// A probe of unique key `constraint` (the primary key's or an index's name) for `values`.
    pub fn unique_probe(&mut self, table: TableId, constraint: &str, values: &[Value]) {
        let Some(t) = self.table(table) else { return };
        t.index_ranges
            .push((constraint.to_string(), KeyRange::prefix(values.to_vec())));
        t.coarsen_if_large();
    }

    /// Whether `writes` (made by a transaction whose catalog was `catalog`) wrote anything
    /// these reads saw or would have seen.
    pub fn touched_by(&self, writes: &Writes, catalog: &Catalog) -> bool {
        if writes.everything {
            return !self.is_empty();
        }
        writes.tables.iter().any(|(id, w)| {
            self.tables
                .get(id)
                .is_some_and(|r| table_touched(r, w, catalog.table_by_id(*id)))
        })
    }
}

fn table_touched(reads: &TableReads, writes: &TableWrites, def: Option<&TableDef>) -> bool {
    if reads.whole || writes.whole {
        return true;
    }
    writes.rows.iter().any(|w| {
        reads.keys.contains(&w.key)
            || reads.ranges.iter().any(|r| r.contains(&w.key))
            || reads
                .index_ranges
                .iter()
                .any(|(name, range)| index_range_touched(name, range, w, def))
    })
}

/// Whether the written row `w` has (or had: its key) an entry in `range` of `name`.
fn index_range_touched(name: &str, range: &KeyRange, w: &Written, def: Option<&TableDef>) -> bool {
    let Some(def) = def else { return true };
    if def.primary_key_name.as_deref() == Some(name) {
        return range.contains(&w.key);
    }
    let Some(row) = &w.row else {
        // A deleted row (or a key's old row): its old index key is not known here. A scan
        // that found it holds its key already; a unique-key probe may not, so assume it did.
        return true;
    };
    match def.index(name) {
        Some(index) => match index.key_of(def, row) {
            Ok(Some(k)) => range.contains(&k),
            Ok(None) => false,
            Err(_) => true,
        },
        None => true,
    }
}

/// A transaction's writes.
#[derive(Debug, Default)]
pub struct Writes {
    /// DDL: the catalog changed, which any reader may have depended on.
    everything: bool,
    tables: HashMap<TableId, TableWrites>,
}

#[derive(Debug, Default)]
struct TableWrites {
    whole: bool,
    rows: Vec<Written>,
}

/// One row written: its key, and its new version (`None`: deleted, or the old key of a
/// row whose key changed).
#[derive(Debug)]
struct Written {
    key: Key,
    row: Option<Row>,
}

impl Writes {
    pub fn is_empty(&self) -> bool {
        !self.everything && self.tables.is_empty()
    }

    /// A catalog change.
    pub fn catalog(&mut self) {
        self.everything = true;
        self.tables.clear();
    }

    /// Every row of `table` (TRUNCATE, a rewrite).
    pub fn whole_table(&mut self, table: TableId) {
        if !self.everything {
            self.tables.insert(
                table,
                TableWrites {
                    whole: true,
                    rows: Vec::new(),
                },
            );
        }
    }

    /// Row `key` of `table` written; `row` its new version.
    pub fn row(&mut self, table: TableId, key: Key, row: Option<Row>) {
        if self.everything {
            return;
        }
        let t = self.tables.entry(table).or_default();
        if t.whole {
            return;
        }
        t.rows.push(Written { key, row });
        if t.rows.len() > LIMIT {
            t.whole = true;
            t.rows = Vec::new();
        }
    }
}
