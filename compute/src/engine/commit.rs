//! The serial step: one transaction's write set → new page versions → one WAL record.
//!
//! `apply` runs under the engine's commit mutex and does CPU work only:
//!
//! 1. **Schema check.** Every table the transaction wrote or changed must still have the
//!    definition it based its work on in the latest catalog (else 40001: a concurrent
//!    schema change slipped in before its table lock).
//! 2. **Start LSN** `L` = the WAL's end.
//! 3. **DDL**: new tables and indexes get empty trees in their relations; catalog rows are
//!    inserted, replaced or deleted at `L`; the RelId counter row is rewritten.
//! 4. **Rows**: for each written key, the last write-set entry is applied against the latest
//!    applied version: insert / update / delete at `L`, with the index entries (key, pk) of
//!    every pre-existing index deleted and inserted at `L` in the same record. Provisional
//!    hidden row ids become real ones here, from a reservation row in the catalog that the
//!    record advances when it runs out. New indexes are then built from the table's live
//!    rows.
//! 5. **Record** (`seal`): every changed page, per relation in B-link publish order (new
//!    pages, then leaves, then parents), is diffed against its previous version; the record's
//!    end `E = L + framed length` is computed (lengths do not depend on CRC values), each
//!    change's `crc_after` is set for `page_lsn = E`, and each change is replayed with
//!    `proto::redo::apply` on a copy of the old page: the result must equal the new page
//!    outside the header. The record goes to the WAL sink; the *redo'd* pages (header
//!    `page_lsn = E`, valid CRC) are published. Nothing is published if any step fails.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use proto::page::{self, PAGE_HEADER_SIZE, Page};
use proto::{Lsn, PageKey, Record, RelId};
use sql::storage::{Key, Row, TableId};
use sql::{Error, Result, Value};

use super::catalog::{self, CATALOG_REL, EngineCatalog, TableEntry};
use super::codec;
use super::pages::Overlay;
use super::txn::EngineTxn;
use super::write_set::PROVISIONAL_ROW_ID;
use super::{CommitState, Shared, program_limit_exceeded, storage_error, wal_error};
use crate::btree::{ChangedPages, Limits};
use crate::mvcc::VersionedTree;

/// Tree operations on the overlay, recording the pages each one changed.
struct Writer<'o, 'a> {
    ov: &'o mut Overlay<'a>,
    limits: Limits,
    lsn: Lsn,
    /// Prune horizon for full leaves about to split (`None`: never prune).
    horizon: Option<Lsn>,
}

impl Writer<'_, '_> {
    /// The catalog always uses whole pages (its rows are wide); user relations use the
    /// configured limits.
    fn limits_for(&self, rel: RelId) -> Limits {
        if rel == CATALOG_REL {
            Limits::FULL_PAGE
        } else {
            self.limits
        }
    }

    fn run(
        &mut self,
        rel: RelId,
        f: impl FnOnce(
            &mut VersionedTree<super::pages::OverlayStore<'_, '_>>,
        ) -> crate::Result<ChangedPages>,
    ) -> Result<()> {
        let changed = {
            let limits = self.limits_for(rel);
            let mut tree = VersionedTree::open(self.ov.store(rel), limits);
            if let Some(h) = self.horizon {
                tree = tree.prune_before_split(h);
            }
            f(&mut tree).map_err(storage_error)?
        };
        self.ov.record(rel, changed);
        Ok(())
    }

    fn create(&mut self, rel: RelId) -> Result<()> {
        let limits = self.limits_for(rel);
        let (_, changed) =
            VersionedTree::create(self.ov.store(rel), limits).map_err(storage_error)?;
        self.ov.record(rel, changed);
        Ok(())
    }

    /// The latest live payload of `key` in `rel`.
    fn live(&mut self, rel: RelId, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let limits = self.limits_for(rel);
        let tree = VersionedTree::open(self.ov.store(rel), limits);
        let newest = tree.versions(key, Lsn::MAX).map_err(storage_error)?;
        Ok(newest
            .into_iter()
            .next()
            .filter(|v| v.is_live())
            .map(|v| v.payload))
    }

    /// Inserts or replaces the live version of `key`.
    fn put(&mut self, rel: RelId, key: &[u8], payload: &[u8]) -> Result<()> {
        let lsn = self.lsn;
        if self.live(rel, key)?.is_some() {
            self.run(rel, |t| t.update(key, payload, lsn))
        } else {
            self.run(rel, |t| t.insert(key, payload, lsn))
        }
    }

    fn delete(&mut self, rel: RelId, key: &[u8]) -> Result<()> {
        let lsn = self.lsn;
        self.run(rel, |t| t.delete(key, lsn))
    }

    /// Every live `(key, payload)` of `rel`.
    fn live_rows(&mut self, rel: RelId) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let limits = self.limits_for(rel);
        let tree = VersionedTree::open(self.ov.store(rel), limits);
        let scan = tree
            .scan(
                std::ops::Bound::Unbounded,
                std::ops::Bound::Unbounded,
                Lsn::MAX,
            )
            .map_err(storage_error)?;
        scan.collect::<crate::Result<Vec<_>>>()
            .map_err(storage_error)
    }
}

fn index_entry(row: &[Value], columns: &[usize], pk: &[u8]) -> Vec<u8> {
    let ikey: Vec<Value> = columns.iter().map(|&c| row[c].clone()).collect();
    let mut k = codec::encode_key(&ikey);
    k.extend_from_slice(pk);
    k
}

fn schema_changed() -> Error {
    Error::SerializationFailure("could not serialize access due to concurrent schema change".into())
}

/// The serial step for `txn`; returns the record's end LSN (`Lsn::INVALID` if the write
/// set changed nothing).
pub(super) fn apply(txn: &EngineTxn) -> Result<Lsn> {
    let shared = &*txn.shared;
    // A full dirty-page table (the pageserver is behind) slows commits down here, before
    // the commit mutex, rather than growing without bound.
    if let Some(cache) = shared.pages.cache() {
        cache
            .wait_for_room()
            .map_err(|e| Error::Internal(e.to_string()))?;
    }
    let mut st = shared.commit_state();
    let latest = st.latest.clone();
    let net = txn.writes.net_ddl();
    for (id, (before, _)) in &net {
        if latest.tables.get(id) != before.as_ref() {
            return Err(schema_changed());
        }
    }
    for t in txn.writes.tables() {
        if !net.contains_key(&t) && latest.tables.get(&t) != txn.view.tables.get(&t) {
            return Err(schema_changed());
        }
    }
    let mut next = (*latest).clone();
    for (id, (_, after)) in &net {
        match after {
            Some(e) => next.tables.insert(*id, e.clone()),
            None => next.tables.remove(id),
        };
    }
    next.next_rel = shared
        .next_rel
        .load(std::sync::atomic::Ordering::Relaxed)
        .max(latest.next_rel);

    let start = st.wal_end;
    let horizon = (!shared.config.keep_history).then(|| shared.prune_horizon());
    let mut ov = Overlay::new(&shared.pages);
    let mut w = Writer {
        ov: &mut ov,
        limits: shared.config.limits,
        lsn: start,
        horizon,
    };

    // DDL: trees for new relations, catalog rows.
    let mut new_indexes: Vec<(TableId, usize)> = Vec::new();
    for (id, (before, after)) in &net {
        let old_rels: HashSet<RelId> = before
            .iter()
            .flat_map(|b| b.index_rels.iter().copied())
            .collect();
        if let Some(a) = after {
            if before.is_none() {
                w.create(a.rel())?;
            }
            for (i, rel) in a.index_rels.iter().enumerate() {
                if !old_rels.contains(rel) {
                    w.create(*rel)?;
                    new_indexes.push((*id, i));
                }
            }
            w.put(
                CATALOG_REL,
                &catalog::table_key(*id),
                &catalog::encode_entry(a),
            )?;
        } else if before.is_some() {
            w.delete(CATALOG_REL, &catalog::table_key(*id))?;
        }
    }
    if !net.is_empty() {
        w.put(
            CATALOG_REL,
            &catalog::next_rel_key(),
            &catalog::encode_next_rel(next.next_rel),
        )?;
    }

    // Rows, maintaining the indexes that existed before this record.
    let mut row_ids = HashMap::new();
    for t in txn.writes.tables() {
        let Some(entry) = next.tables.get(&t) else {
            continue; // dropped by this transaction
        };
        let fresh: HashSet<usize> = new_indexes
            .iter()
            .filter(|(id, _)| *id == t)
            .map(|(_, i)| *i)
            .collect();
        let maintained: Vec<usize> = (0..entry.def.indexes.len())
            .filter(|i| !fresh.contains(i))
            .collect();
        for (enc, kw) in txn.writes.table(t) {
            let Some((_, last)) = kw.entries.last() else {
                continue;
            };
            let enc = match real_row_id(&st, &mut row_ids, &mut w, entry, &kw.key)? {
                Some(key) => codec::encode_key(&key),
                None => enc.clone(),
            };
            apply_row(&mut w, entry, &maintained, &enc, last.as_ref())?;
        }
    }
    for (t, i) in new_indexes {
        let Some(entry) = next.tables.get(&t) else {
            continue;
        };
        let (def, rel) = (&entry.def.indexes[i], entry.index_rels[i]);
        for (pk, payload) in w.live_rows(entry.rel())? {
            let row = codec::decode_row(&payload, &entry.column_types()).map_err(storage_error)?;
            let lsn = w.lsn;
            let k = index_entry(&row, &def.columns, &pk);
            w.run(rel, |tree| tree.insert(&k, &[], lsn))?;
        }
    }

    // Opportunistic pruning of the leaves this record changes, logged in this record.
    if let Some(horizon) = horizon {
        super::horizon::prune_written(&mut ov, horizon, shared.config.limits)?;
    }

    let flags = if net.is_empty() {
        0
    } else {
        proto::record::FLAG_CATALOG_CHANGED
    };
    let end = seal(shared, &mut st, ov, start, flags)?;
    if !net.is_empty() && end.is_valid() {
        st.latest = Arc::new(next);
    }
    // Tombstones for the relations this record dropped.
    let end = super::tombstone::emit(shared, &mut st, &super::tombstone::freed(&net), end);
    st.row_ids.extend(row_ids);
    Ok(end)
}

/// Hidden row ids reserved per catalog write.
const ROW_ID_CHUNK: i64 = 1024;

/// For a provisional hidden row id, the real key it gets now. Counters advance in `staged`
/// and reach the commit state only once the record is in the WAL.
fn real_row_id(
    st: &CommitState,
    staged: &mut HashMap<TableId, (i64, i64)>,
    w: &mut Writer<'_, '_>,
    entry: &TableEntry,
    key: &Key,
) -> Result<Option<Key>> {
    if !entry.def.primary_key.is_empty() {
        return Ok(None);
    }
    let [Value::Int(id)] = key.as_slice() else {
        return Ok(None);
    };
    if *id <= PROVISIONAL_ROW_ID {
        return Ok(None);
    }
    let table = entry.def.id;
    let (next, mut limit) = match staged.get(&table).or_else(|| st.row_ids.get(&table)) {
        Some(counter) => *counter,
        None => {
            let limit = match w.live(CATALOG_REL, &catalog::row_id_key(table))? {
                Some(p) => catalog::decode_counter(&p).map_err(storage_error)?,
                None => 0,
            };
            (limit + 1, limit)
        }
    };
    if next > limit {
        limit = next + ROW_ID_CHUNK - 1;
        w.put(
            CATALOG_REL,
            &catalog::row_id_key(table),
            &catalog::encode_counter(limit),
        )?;
    }
    staged.insert(table, (next + 1, limit));
    Ok(Some(vec![Value::Int(next)]))
}

/// Applies the final write of one key against its latest applied version.
fn apply_row(
    w: &mut Writer<'_, '_>,
    entry: &TableEntry,
    maintained: &[usize],
    enc: &[u8],
    new: Option<&Row>,
) -> Result<()> {
    let rel = entry.rel();
    let lsn = w.lsn;
    let old = match w.live(rel, enc)? {
        Some(p) => Some(codec::decode_row(&p, &entry.column_types()).map_err(storage_error)?),
        None => None,
    };
    match (&old, new) {
        (_, Some(row)) => {
            let payload = codec::encode_row(row);
            if old.is_some() {
                w.run(rel, |t| t.update(enc, &payload, lsn))?;
            } else {
                w.run(rel, |t| t.insert(enc, &payload, lsn))?;
            }
        }
        (Some(_), None) => w.run(rel, |t| t.delete(enc, lsn))?,
        (None, None) => return Ok(()),
    }
    for &i in maintained {
        let (def, irel) = (&entry.def.indexes[i], entry.index_rels[i]);
        let old_k = old.as_ref().map(|r| index_entry(r, &def.columns, enc));
        let new_k = new.map(|r| index_entry(r, &def.columns, enc));
        if old_k == new_k {
            continue;
        }
        if let Some(k) = old_k {
            w.run(irel, |t| t.delete(&k, lsn))?;
        }
        if let Some(k) = new_k {
            w.run(irel, |t| t.insert(&k, &[], lsn))?;
        }
    }
    Ok(())
}

/// Writes the bootstrap record: the empty catalog tree.
pub(super) fn bootstrap(shared: &Shared) -> Result<Lsn> {
    let mut st = shared.commit_state();
    let start = st.wal_end;
    let mut ov = Overlay::new(&shared.pages);
    let mut w = Writer {
        ov: &mut ov,
        limits: shared.config.limits,
        lsn: start,
        horizon: None,
    };
    w.create(CATALOG_REL)?;
    w.put(
        CATALOG_REL,
        &catalog::next_rel_key(),
        &catalog::encode_next_rel(catalog::FIRST_USER_REL),
    )?;
    let end = seal(
        shared,
        &mut st,
        ov,
        start,
        proto::record::FLAG_CATALOG_CHANGED,
    )?;
    st.latest = Arc::new(EngineCatalog {
        tables: Default::default(),
        next_rel: catalog::FIRST_USER_REL,
    });
    Ok(end)
}

pub(super) fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// Turns the overlay into one record starting at `start`, self-checks it with redo, hands
/// it to the WAL sink and publishes the redo'd pages. Returns the record's end
/// (`Lsn::INVALID` when nothing changed).
fn seal(
    shared: &Shared,
    st: &mut CommitState,
    ov: Overlay<'_>,
    start: Lsn,
    flags: u16,
) -> Result<Lsn> {
    if ov.is_empty() {
        return Ok(Lsn::INVALID);
    }
    let mut pages: Vec<(PageKey, Option<Arc<Page>>, Arc<Page>)> = Vec::new();
    for (rel, changed) in ov.changed() {
        for block in changed.publish_order() {
            let key = PageKey { rel: *rel, block };
            let new = ov
                .new_page(key)
                .map_err(storage_error)?
                .ok_or_else(|| Error::Internal(format!("changed page {key} is missing")))?;
            pages.push((key, ov.old(key).map_err(storage_error)?, new));
        }
    }
    let changes = pages
        .iter()
        .map(|(key, old, new)| proto::redo::diff(*key, old.as_deref(), new, Lsn::INVALID))
        .collect();
    let mut record = Record::commit(now_us(), changes);
    record.flags = flags;
    let len = proto::frame::record_framed_len(&record);
    if len > proto::decoder::DEFAULT_MAX_RECORD_SIZE {
        return Err(program_limit_exceeded(format!(
            "commit record of {len} bytes exceeds the maximum record size"
        )));
    }
    let end = Lsn(start.0 + len as u64);
    let mut published = Vec::with_capacity(pages.len());
    for ((key, old, new), change) in pages.iter().zip(record.page_changes.iter_mut()) {
        change.crc_after = page::crc_with_lsn(new, end);
        let mut redone: Box<Page> = match old {
            Some(p) => Box::new(**p),
            None => page::zeroed_page(),
        };
        proto::redo::apply(&mut redone, change, end)
            .map_err(|e| Error::Internal(format!("redo self-check of {key}: {e}")))?;
        if redone[PAGE_HEADER_SIZE..] != new[PAGE_HEADER_SIZE..] {
            return Err(Error::Internal(format!(
                "redo self-check of {key}: page differs after redo"
            )));
        }
        published.push((*key, Arc::<Page>::from(redone)));
    }
    let got = shared.wal.submit(&record, start).map_err(wal_error)?;
    if got != end {
        return Err(Error::Internal(format!(
            "WAL placed the record at [{start}, {got}), expected end {end}"
        )));
    }
    // Catalog readers must learn of the change before any snapshot can include it.
    if flags & proto::record::FLAG_CATALOG_CHANGED != 0 {
        shared.note_catalog_change(end);
    }
    shared.pages.publish(published);
    shared.note_applied(end);
    st.wal_end = end;
    tracing::debug!(%start, %end, changes = record.page_changes.len(), "committed record");
    Ok(end)
}
