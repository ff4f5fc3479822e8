//! Bulk loads: the rows a transaction inserted into a relation it created (CREATE TABLE or
//! TRUNCATE in the same transaction, as `pgbench -i` does before its COPY) are built into
//! that relation, and its indexes, ahead of the commit ([`super::build`]), instead of being
//! inserted one by one in the serial step.
//!
//! Such a relation has no pages and nothing links to it until the commit record writes the
//! catalog row naming it, and the transaction holds the table's exclusive lock (TRUNCATE)
//! or the only view of the table (CREATE): so its final contents are exactly the write
//! set's last version of each key, and they can be packed bottom-up with
//! [`crate::mvcc::VersionedTree::bulk_load`] outside the commit mutex, as full page images
//! in records of bounded size. The commit then only links them in (a small record), and
//! the serial step never sees those rows. Durability is the same as for any record: every
//! page goes through the WAL sink (the safekeeper quorum) with its checksum, and the
//! commit waits for its own record. A crash or a failed commit before the commit record
//! leaves only pages nothing refers to (a failed commit writes a `DropRelation` for them),
//! so the load is all or nothing.
//!
//! Versions are stamped [`super::build::BUILD_STAMP`]; hidden row ids are numbered `1..=n`
//! in insertion order (the provisional ids' order), and the table's counter continues after
//! `n` ([`super::write_set::WriteSet::note_row_id_floor`]). Unique keys were checked as the
//! rows were inserted (the write set's own view), as for any commit.
//!
//! Rows appended encoded ([`super::append`]) follow the map's rows (their ids are higher)
//! and go into the build as they are, without decoding; the appended rows of a table that
//! is not built here are settled into the map for the serial step.

use sql::storage::TableId;
use sql::{Result, Value};

use super::build;
use super::codec;
use super::commit::index_entry;
use super::storage_error;
use super::txn::EngineTxn;
use super::write_set::PROVISIONAL_ROW_ID;

impl EngineTxn {
    /// Builds every table this transaction wrote at least
    /// [`super::EngineConfig::bulk_load_rows`] rows to and whose relations it created,
    /// and takes those rows out of the write set.
    pub(super) fn build_new_tables(&mut self) -> Result<()> {
        let tables: Vec<TableId> = self.writes.tables().collect();
        for t in tables {
            if self.loadable(t)? {
                self.load(t)?;
            } else {
                self.settle_appended(t)?;
            }
        }
        Ok(())
    }

    /// Whether `t`'s rows can be built ahead: enough of them, every relation of the table
    /// new (no pages, not built ahead already), and hidden row ids all provisional.
    fn loadable(&self, t: TableId) -> Result<bool> {
        let Ok(entry) = self.entry(t) else {
            return Ok(false); // dropped by this transaction
        };
        if !self.writes.has_rows(t) {
            return Ok(false);
        }
        let new = entry
            .all_rels()
            .into_iter()
            .all(|r| !self.rel_exists(r) && !self.writes.prebuilt().any(|p| p == r));
        let appended = self.writes.appended(t).map_or(0, |b| b.len());
        if !new || self.writes.table(t).count() + appended < self.shared.config.bulk_load_rows {
            return Ok(false);
        }
        if entry.def.primary_key.is_empty() {
            let provisional = self.writes.table(t).all(
                |(_, kw)| matches!(kw.key.as_slice(), [Value::Int(id)] if *id > PROVISIONAL_ROW_ID),
            );
            return Ok(provisional);
        }
        Ok(true)
    }

    fn load(&mut self, t: TableId) -> Result<()> {
        let entry = self.entry(t)?.clone();
        let rows = self.writes.take_table(t);
        let appended = self.writes.take_appended(t);
        let hidden = entry.def.primary_key.is_empty();
        let mut next_id = 0i64;
        let mut table = Vec::with_capacity(rows.len());
        let mut indexes: Vec<Vec<(Vec<u8>, Vec<u8>)>> = vec![Vec::new(); entry.def.indexes.len()];
        for (enc, kw) in rows {
            let Some((_, Some(row))) = kw.entries.into_iter().last() else {
                continue; // inserted, then deleted
            };
            let enc = if hidden {
                next_id += 1;
                codec::encode_key(&[Value::Int(next_id)])
            } else {
                enc
            };
            for (i, def) in entry.def.indexes.iter().enumerate() {
                if let Some(k) = index_entry(&row, def, &entry.def, &enc)? {
                    indexes[i].push((k, Vec::new()));
                }
            }
            table.push((enc, codec::encode_row(&row)));
        }
        if let Some(buffer) = &appended {
            // Without an index when appended; one created since settled them (`append`).
            let types = (!entry.def.indexes.is_empty()).then(|| entry.column_types());
            table.reserve(buffer.len());
            for (_, _, payload) in buffer.iter() {
                next_id += 1;
                let enc = codec::encode_key(&[Value::Int(next_id)]);
                if let Some(types) = &types {
                    let row = codec::decode_row(payload, types).map_err(storage_error)?;
                    for (i, def) in entry.def.indexes.iter().enumerate() {
                        if let Some(k) = index_entry(&row, def, &entry.def, &enc)? {
                            indexes[i].push((k, Vec::new()));
                        }
                    }
                }
                table.push((enc, payload.to_vec()));
            }
        }
        let stmt = self.stmt;
        for (i, mut entries) in indexes.into_iter().enumerate() {
            entries.sort_unstable();
            let rel = entry.index_rel_at(i);
            self.writes.note_prebuilt(stmt, rel);
            build::build(&self.shared, rel, entries)?;
        }
        self.writes.note_prebuilt(stmt, entry.rel());
        build::build(&self.shared, entry.rel(), table)?;
        if hidden {
            self.writes.note_row_id_floor(stmt, t, next_id);
        }
        Ok(())
    }
}
