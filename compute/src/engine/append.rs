//! Appended rows: a transaction's inserts into a table whose relations it created (CREATE
//! TABLE or TRUNCATE in the same transaction) and which has no primary key and no index —
//! `pgbench -i`'s COPY of the accounts — are kept *encoded*, back to back in one buffer per
//! table ([`Appended`]), instead of as SQL values under a key in the write set's map. Their
//! keys are provisional hidden row ids, handed out in increasing order, so the buffer is in
//! key order and a row is found by binary search. No other transaction can see or write
//! such a table's rows (they live in relations nothing links to before the commit), and the
//! table has no key to check, so an insert there is only: encode the row, append it.
//!
//! The buffer is part of the write set (tagged by statement like every write, truncated by
//! a statement rollback or `ROLLBACK TO`, counted against the write-set limit) and its rows
//! are visible as own writes everywhere reads meet own writes: key-order scans and the
//! ANALYZE sample decode them ([`EngineTxn::appended_scan_rows`]), a row lock finds its row
//! by id ([`EngineTxn::appended_row`]). Whatever else touches the table first *settles* the
//! buffer — its rows move into the write set's map as ordinary writes with their statement
//! tags ([`EngineTxn::settle_appended`]): an UPDATE or DELETE of the table, an insert that
//! does not qualify any more, and DDL on tables (ALTER TABLE, TRUNCATE, DROP TABLE, CREATE
//! or DROP INDEX: it may add a key or an index, or rewrite the rows). At commit a table built ahead ([`super::load`]) takes the encoded rows as they are;
//! any other is settled and goes through the serial step as before.

use sql::storage::{Row, ScannedRow, TableId};
use sql::{Result, Value};

use super::catalog::TableEntry;
use super::codec;
use super::storage_error;
use super::txn::EngineTxn;
use super::write_set::PROVISIONAL_ROW_ID;

/// Write-set bytes counted per appended row besides its payload (the row entry, and what
/// the per-key map would hold for its key).
const ROW_OVERHEAD: usize = 64;

/// One appended row: its provisional hidden row id, its statement, and where its payload
/// ends in [`Appended::data`] (it starts where the previous one ends).
#[derive(Debug, Clone, Copy)]
struct AppendedRow {
    id: i64,
    stmt: u64,
    end: usize,
}

/// A table's appended rows, in id (= key) order; see the module docs.
#[derive(Debug, Default)]
pub struct Appended {
    data: Vec<u8>,
    rows: Vec<AppendedRow>,
}

impl Appended {
    /// Appends `row` (encoded here) under provisional id `id` (above every id appended
    /// before) for statement `stmt`; returns the bytes it counts for.
    pub fn push(&mut self, id: i64, stmt: u64, row: &[Value]) -> usize {
        let start = self.data.len();
        codec::encode_row_into(row, &mut self.data);
        self.rows.push(AppendedRow {
            id,
            stmt,
            end: self.data.len(),
        });
        ROW_OVERHEAD + self.data.len() - start
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Bytes counted for the whole buffer.
    pub fn bytes(&self) -> usize {
        self.data.len() + ROW_OVERHEAD * self.rows.len()
    }

    /// Every row: `(id, statement, payload)`, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (i64, u64, &[u8])> + '_ {
        let mut start = 0;
        self.rows.iter().map(move |r| {
            let payload = &self.data[start..r.end];
            start = r.end;
            (r.id, r.stmt, payload)
        })
    }

    /// The row with id `id`: `(statement, payload)`.
    pub fn get(&self, id: i64) -> Option<(u64, &[u8])> {
        let i = self.rows.binary_search_by_key(&id, |r| r.id).ok()?;
        let start = if i == 0 { 0 } else { self.rows[i - 1].end };
        let r = self.rows[i];
        Some((r.stmt, &self.data[start..r.end]))
    }

    /// Drops the rows of statements after `mark` (tags only grow along the buffer).
    pub fn discard_after(&mut self, mark: u64) {
        let keep = self.rows.partition_point(|r| r.stmt <= mark);
        self.rows.truncate(keep);
        self.data.truncate(self.rows.last().map_or(0, |r| r.end));
    }
}

/// The provisional id a hidden-row-id key encodes, if it is one.
fn provisional_id(entry: &TableEntry, enc: &[u8]) -> Option<i64> {
    if !entry.def.primary_key.is_empty() {
        return None;
    }
    match codec::decode_key(enc, &[None]).ok()?.as_slice() {
        [Value::Int(id)] if *id > PROVISIONAL_ROW_ID => Some(*id),
        _ => None,
    }
}

impl EngineTxn {
    /// Whether inserts of the current statement into `entry` may be appended: no primary
    /// key, no index, no trigger (whose functions may read and write the table), and every relation of the table new to this transaction (created by
    /// it, not yet built). Decided once per statement and table.
    pub(super) fn appends_to(&mut self, entry: &TableEntry) -> bool {
        let table = entry.def.id;
        if let Some((stmt, t, ok)) = self.append_to
            && stmt == self.stmt
            && t == table
        {
            return ok;
        }
        let ok = entry.def.primary_key.is_empty()
            && entry.def.indexes.is_empty()
            && entry.def.triggers.is_empty()
            && entry
                .all_rels()
                .into_iter()
                .all(|r| !self.rel_exists(r) && !self.writes.prebuilt().any(|p| p == r));
        self.append_to = Some((self.stmt, table, ok));
        ok
    }

    /// Moves `table`'s appended rows into the write set's map as ordinary writes (see the
    /// module docs). Rows of a table dropped since are dropped with it.
    pub(super) fn settle_appended(&mut self, table: TableId) -> Result<()> {
        let Some(buffer) = self.writes.take_appended(table) else {
            return Ok(());
        };
        let Some(entry) = self.view.tables.get(&table).cloned() else {
            return Ok(());
        };
        let types = entry.column_types();
        for (id, stmt, payload) in buffer.iter() {
            let row = codec::decode_row(payload, &types).map_err(storage_error)?;
            let key = vec![Value::Int(id)];
            let enc = codec::encode_key(&key);
            self.note_write(&entry, enc, key, stmt, Some(row));
        }
        Ok(())
    }

    /// Settles every table's appended rows, and forgets which tables qualify (before DDL,
    /// which may give a table a key or an index).
    pub(super) fn settle_all_appended(&mut self) -> Result<()> {
        self.append_to = None;
        for t in self.writes.appended_tables() {
            self.settle_appended(t)?;
        }
        Ok(())
    }

    /// The appended row under key `enc` of `entry`, if there is one.
    pub(super) fn appended_row(&self, entry: &TableEntry, enc: &[u8]) -> Result<Option<Row>> {
        let Some(buffer) = self.writes.appended(entry.def.id) else {
            return Ok(None);
        };
        let Some((_, payload)) = provisional_id(entry, enc).and_then(|id| buffer.get(id)) else {
            return Ok(None);
        };
        codec::decode_row(payload, &entry.column_types())
            .map(Some)
            .map_err(storage_error)
    }

    /// The appended rows of `entry` of statements up to `upto`, decoded, in key order.
    pub(super) fn appended_scan_rows(
        &self,
        entry: &TableEntry,
        upto: u64,
    ) -> Result<Vec<(Vec<u8>, ScannedRow)>> {
        let Some(buffer) = self.writes.appended(entry.def.id) else {
            return Ok(Vec::new());
        };
        let types = entry.column_types();
        let mut out = Vec::new();
        for (id, stmt, payload) in buffer.iter() {
            if stmt > upto {
                break; // tags only grow along the buffer
            }
            let key = vec![Value::Int(id)];
            let row = codec::decode_row(payload, &types).map_err(storage_error)?;
            out.push((codec::encode_key(&key), ScannedRow { key, row }));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::Appended;
    use sql::Value;

    #[test]
    fn rows_are_found_iterated_and_discarded_by_statement() {
        let mut b = Appended::default();
        for (id, stmt) in [(10, 1), (11, 1), (15, 2), (16, 3)] {
            b.push(id, stmt, &[Value::Int(id), Value::Text(format!("r{id}"))]);
        }
        assert_eq!(b.len(), 4);
        let ids: Vec<i64> = b.iter().map(|(id, _, _)| id).collect();
        assert_eq!(ids, [10, 11, 15, 16]);
        let (stmt, payload) = b.get(15).unwrap();
        assert_eq!(stmt, 2);
        assert_eq!(
            payload,
            super::codec::encode_row(&[Value::Int(15), Value::Text("r15".into())])
        );
        assert!(b.get(12).is_none());
        b.discard_after(1);
        assert_eq!(b.len(), 2);
        assert!(b.get(15).is_none());
        assert_eq!(
            b.bytes(),
            b.iter().map(|(_, _, p)| p.len() + 64).sum::<usize>()
        );
        b.discard_after(0);
        assert!(b.is_empty() && b.bytes() == 0);
    }
}
