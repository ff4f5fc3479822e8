//! The commit: prepare phase, then the serial step: one transaction's write set → new page
//! versions → WAL records (one, or several for a large transaction).
//!
//! [`apply`] first runs the prepare phase ([`super::prepare`]) outside any lock: the pages
//! the write set will touch are fetched in batches and pinned. Then, under the engine's
//! commit mutex, the serial step does CPU work only, reading base pages without fetching
//! ([`Fetch::Forbidden`]); a page it misses sends the commit back to prepare (bounded; then
//! the step may fetch, so every commit makes progress):
//!
//! 1. **Schema check.** Every table the transaction wrote or changed must still have the
//!    definition it based its work on in the latest catalog (else 40001: a concurrent
//!    schema change slipped in before its table lock).
//! 2. **Start LSN** `L` = the WAL's end.
//! 3. **DDL** (`stage`): new tables and indexes get empty trees in their relations; catalog
//!    rows are inserted, replaced or deleted at `L`; the RelId counter row is rewritten.
//! 4. **Rows**: for each written key, the last write-set entry is applied against the latest
//!    applied version: insert / update / delete at `L`, with the index entries (key, pk) of
//!    every pre-existing index deleted and inserted at `L` in the same record. Provisional
//!    hidden row ids become real ones here, from a reservation row in the catalog that the
//!    record advances when it runs out. New indexes are then built from the table's live
//!    rows.
//! 5. **Layout** (`layout`): every changed page, per relation in B-link publish order (new
//!    pages, then leaves, then parents), is diffed against its previous version. If the
//!    record fits in [`EngineConfig::record_split_bytes`] it is one record. Otherwise the
//!    pages this commit *allocated* — which no published page links to yet — go first, as
//!    images in `Commit` records of at most that size, and the commit record holds the
//!    changes of the pages that existed (which link the new ones in). Every version must
//!    carry the commit record's start `C` (no snapshot may see them before the commit
//!    record), so steps 3–4 run a second time stamped `C` (the lengths of the records ahead
//!    depend only on how many pages they hold). A commit record over
//!    [`EngineConfig::max_record_bytes`] fails with 54000 before anything is written.
//! 6. **Records** (`emit`), each in turn: its end `E = start + framed length` (lengths do
//!    not depend on CRC values), each change's `crc_after` set for `page_lsn = E`, each
//!    change replayed with `proto::redo::apply` on a copy of the old page — the result must
//!    equal the new page outside the header (else XX001). The record goes to the WAL sink;
//!    the *redo'd* pages (header `page_lsn = E`, valid CRC) are published. Nothing is
//!    published if a step fails before the first record is submitted; a failure between
//!    the records of a large commit leaves only unreachable pages behind.

use std::collections::HashMap;
use std::sync::Arc;

use proto::{Lsn, PageKey, RelId};
use sql::storage::{Key, Row, TableId};
use sql::{Error, Result, Value};

use super::catalog::{self, CATALOG_REL, EngineCatalog, Kind, Object, TableEntry, format};
use super::codec;
use super::pages::{Fetch, Overlay};
use super::prepare;
use super::records::{Changed, Layout, collect, emit, layout};
use super::space;
use super::txn::EngineTxn;
use super::write_set::NetDdl;
use super::write_set::PROVISIONAL_ROW_ID;
use super::{CommitState, EngineState, storage_error};
use crate::btree::{ChangedPages, Limits};
use crate::mvcc::VersionedTree;

/// The horizons one commit uses in all its passes (a large commit's passes must stage
/// the same pages); `None` with [`EngineConfig::keep_history`].
#[derive(Debug, Clone, Copy)]
struct Horizons {
    /// Full leaves about to split are pruned at it, and so is every leaf the record
    /// writes or sweeps ([`super::space`]).
    prune: Lsn,
    /// Blocks freed by records that started before it may be reused.
    reuse: Lsn,
}

/// Tree operations on the overlay, recording the pages each one changed.
struct Writer<'o, 'a> {
    ov: &'o mut Overlay<'a>,
    limits: Limits,
    lsn: Lsn,
    horizons: Option<Horizons>,
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
            if let Some(h) = self.horizons {
                tree = tree.prune_before_split(h.prune).reuse_below(h.reuse);
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
        let newest = tree.heads(key, Lsn::MAX).map_err(storage_error)?;
        match newest.into_iter().next().filter(|v| v.is_live()) {
            Some(head) => Ok(Some(tree.payload(&head, Lsn::MAX).map_err(storage_error)?)),
            None => Ok(None),
        }
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
}

/// `None` when a partial index does not cover `row`.
pub(super) fn index_entry(
    row: &[Value],
    index: &sql::storage::IndexDef,
    table: &sql::storage::TableDef,
    pk: &[u8],
) -> Result<Option<Vec<u8>>> {
    let Some(ikey) = index.key_of(table, row)? else {
        return Ok(None);
    };
    let mut k = codec::encode_key(&ikey);
    k.extend_from_slice(pk);
    Ok(Some(k))
}

/// Writes object `(kind, oid)`'s catalog rows for its change from `before` to `after`:
/// the document's parts, stale parts deleted, a legacy row replaced.
fn write_object(
    w: &mut Writer<'_, '_>,
    kind: Kind,
    oid: u32,
    before: Option<&Object>,
    after: Option<&Object>,
) -> Result<()> {
    let old_parts = match before {
        Some(Object::Table(t)) if t.legacy => {
            w.delete(CATALOG_REL, &catalog::legacy::table_key(oid))?;
            0
        }
        Some(o) => catalog::encode_object(o).len(),
        None => 0,
    };
    let new = after.map(catalog::encode_object).unwrap_or_default();
    for (i, payload) in new.iter().enumerate() {
        w.put(CATALOG_REL, &format::part_key(kind, oid, i), payload)?;
    }
    for i in new.len()..old_parts {
        w.delete(CATALOG_REL, &format::part_key(kind, oid, i))?;
    }
    Ok(())
}

fn schema_changed() -> Error {
    Error::SerializationFailure("could not serialize access due to concurrent schema change".into())
}

/// How a serial step ended without committing.
enum Step {
    /// It missed pages the prepare phase did not pin (fetching was forbidden).
    Missed(Vec<PageKey>),
    Failed(Error),
}

/// Commits `txn`: prepare phase, then the serial step under the commit mutex (again after
/// a fresh prepare if the step missed a page; see [`super::prepare`]). Returns the end of
/// the commit's record (`Lsn::INVALID` if the write set changed nothing).
pub(super) fn apply(txn: &EngineTxn) -> Result<Lsn> {
    let shared = &*txn.shared;
    // A full dirty-page table (the pageserver is behind) slows commits down here, before
    // the commit mutex, rather than growing without bound.
    if let Some(cache) = shared.pages.cache() {
        cache
            .wait_for_room()
            .map_err(|e| Error::Internal(e.to_string()))?;
    }
    let mut missed: Vec<PageKey> = Vec::new();
    let mut retries = 0;
    loop {
        let prepared = prepare::prepare(txn, &missed)?;
        let fetch = if retries >= prepare::MAX_RETRIES {
            Fetch::Allowed
        } else {
            prepared.fetch
        };
        if fetch == Fetch::Allowed && shared.pages.cache().is_some() {
            shared.commit_stats.note_fallback();
        }
        let mut st = shared.commit_state();
        match serial(txn, &mut st, fetch) {
            Ok(end) => return Ok(end),
            Err(Step::Failed(e)) => return Err(e),
            Err(Step::Missed(keys)) => {
                drop(st);
                tracing::debug!(?keys, retries, "serial step missed pages: prepare again");
                shared.commit_stats.note_retry();
                missed.extend(keys);
                retries += 1;
            }
        }
    }
}

/// The schema check: every object the transaction changed, and every table it wrote, still
/// has the definition it based its work on (statistics are last-writer-wins). Returns the
/// net DDL and the catalog after it.
fn check_schema(txn: &EngineTxn, st: &CommitState) -> Result<(NetDdl, EngineCatalog)> {
    let latest = &st.latest;
    let net = txn.writes.net_ddl();
    for ((kind, oid), (before, _)) in &net {
        if *kind != Kind::Stats && latest.get(*kind, *oid) != *before {
            return Err(schema_changed());
        }
    }
    for t in txn.writes.tables() {
        if !net.contains_key(&(Kind::Table, t)) && latest.tables.get(&t) != txn.view.tables.get(&t)
        {
            return Err(schema_changed());
        }
    }
    let mut next = (**latest).clone();
    for ((kind, oid), (_, after)) in &net {
        next.set(*kind, *oid, after.clone());
    }
    next.next_rel = txn
        .shared
        .next_rel
        .load(std::sync::atomic::Ordering::Relaxed)
        .max(latest.next_rel)
        .max(st.reserved_rel);
    next.next_oid = txn
        .shared
        .next_oid
        .load(std::sync::atomic::Ordering::Relaxed)
        .max(latest.next_oid);
    next.schemas_stored = true;
    Ok((net, next))
}

type RowIds = HashMap<TableId, (i64, i64)>;

/// What staging a write set leaves for the commit state, once its record is written.
#[derive(Default)]
struct Staged {
    /// Hidden-row-id counters advanced.
    row_ids: RowIds,
    /// Sweep positions after the record's space maintenance.
    sweep: Option<space::SweepCursors>,
}

/// The serial step, under the commit mutex. See the module docs.
fn serial(txn: &EngineTxn, st: &mut CommitState, fetch: Fetch) -> Result<Lsn, Step> {
    let shared = &*txn.shared;
    let (net, next) = check_schema(txn, st).map_err(Step::Failed)?;
    let start = st.wal_end;
    // One pair of horizons for both passes of a large commit: they must stage the same
    // pages.
    let horizons = (!shared.config.keep_history).then(|| Horizons {
        prune: shared.prune_horizon(),
        reuse: shared.reuse_horizon(),
    });
    let mut ov = Overlay::new(&shared.pages, fetch);
    let outcome = stage(txn, st, &mut ov, &net, &next, start, horizons);
    let (mut staged, mut changes) = finish_stage(shared, &ov, outcome)?;
    let mut layout = layout(&changes, &shared.config, false).map_err(Step::Failed)?;
    let commit_start = layout.commit_start(start);
    if commit_start != start {
        // New pages go ahead in records of their own, so the versions must carry the
        // commit record's start: apply the write set again, stamped with it.
        ov = ov.restart();
        let outcome = stage(txn, st, &mut ov, &net, &next, commit_start, horizons);
        (staged, changes) = finish_stage(shared, &ov, outcome)?;
        // Split again even if the restamped record happens to fit: the records ahead
        // must be the ones the stamps were computed for.
        layout = self::layout(&changes, &shared.config, true).map_err(Step::Failed)?;
        if layout.commit_start(start) != commit_start {
            return Err(Step::Failed(Error::Internal(format!(
                "a large commit's records moved between passes: {} != {commit_start}",
                layout.commit_start(start)
            ))));
        }
    }
    let flags = if net.is_empty() {
        0
    } else {
        proto::record::FLAG_CATALOG_CHANGED
    };
    let end = emit(shared, st, &changes, &layout, start, flags).map_err(Step::Failed)?;
    let next_for_tombstones = next.clone();
    if !net.is_empty() && end.is_valid() {
        st.reserved_rel = st.reserved_rel.max(next.next_rel);
        st.latest = Arc::new(next);
    }
    // Tombstones for the relations this record dropped, and for relations built ahead
    // that the final catalog does not use.
    let mut freed = super::tombstone::freed(&net);
    if end.is_valid() {
        freed.extend(super::tombstone::unused(
            txn.writes
                .prebuilt()
                .chain(txn.writes.orphans().iter().copied()),
            if net.is_empty() {
                &st.latest
            } else {
                &next_for_tombstones
            },
        ));
    }
    let end = super::tombstone::emit(shared, st, &freed, end);
    st.row_ids.extend(staged.row_ids);
    if let Some(sweep) = staged.sweep {
        st.sweep = sweep;
    }
    Ok(end)
}

/// Turns a staging outcome into the step's result: on any failure, pages missed with
/// fetching forbidden send the commit back to prepare.
fn finish_stage(
    shared: &EngineState,
    ov: &Overlay<'_>,
    outcome: Result<Staged>,
) -> Result<(Staged, Vec<Changed>), Step> {
    shared.commit_stats.note_serial_fetches(ov.fetched());
    let result = outcome.and_then(|staged| Ok((staged, collect(ov)?)));
    match result {
        Ok(r) => Ok(r),
        Err(e) => {
            let missed = ov.missed();
            if missed.is_empty() {
                Err(Step::Failed(e))
            } else {
                Err(Step::Missed(missed))
            }
        }
    }
}

/// Applies the write set to `ov` with versions stamped `lsn`: DDL, rows, index builds,
/// then the record's space maintenance ([`space::maintain`]).
fn stage(
    txn: &EngineTxn,
    st: &CommitState,
    ov: &mut Overlay<'_>,
    net: &NetDdl,
    next: &EngineCatalog,
    lsn: Lsn,
    horizons: Option<Horizons>,
) -> Result<Staged> {
    let shared = &*txn.shared;
    let mut w = Writer {
        ov,
        limits: shared.config.limits,
        lsn,
        horizons,
    };

    // DDL: trees for new relations, catalog rows.
    let latest = &st.latest;
    for ((kind, oid), (before, after)) in net {
        if let Some(Object::Table(a)) = after {
            for rel in a.all_rels() {
                // A relation built ahead has pages already; any other new one starts empty.
                let had = matches!(before, Some(Object::Table(b)) if b.all_rels().contains(&rel));
                if !had && !txn.writes.prebuilt().any(|r| r == rel) {
                    w.create(rel)?;
                }
            }
        }
        write_object(&mut w, *kind, *oid, before.as_ref(), after.as_ref())?;
        if *kind == Kind::Sequence
            && after.is_none()
            && w.live(CATALOG_REL, &format::seqval_key(*oid))?.is_some()
        {
            w.delete(CATALOG_REL, &format::seqval_key(*oid))?;
        }
    }
    if !net.is_empty() {
        w.put(
            CATALOG_REL,
            &format::next_rel_key(),
            &format::encode_counter(i64::from(next.next_rel)),
        )?;
        w.put(
            CATALOG_REL,
            &format::next_oid_key(),
            &format::encode_counter(i64::from(next.next_oid)),
        )?;
        if !latest.schemas_stored {
            // The first DDL of a database from before schemas were stored: store `public`.
            w.put(
                CATALOG_REL,
                &format::format_key(),
                &format::encode_counter(format::FORMAT_SCHEMAS),
            )?;
            let public = sql::storage::catalog::oids::PUBLIC_NAMESPACE;
            if !net.contains_key(&(Kind::Schema, public))
                && let Some(s) = next.schemas.get(&public)
            {
                write_object(
                    &mut w,
                    Kind::Schema,
                    public,
                    None,
                    Some(&Object::Schema(s.clone())),
                )?;
            }
        }
    }

    // Rows, maintaining every index of their table (an index built ahead holds the
    // committed rows; an empty new one gets the transaction's).
    let mut row_ids = HashMap::new();
    // A rewritten table's new relation numbered its rows 1..=floor: continue after them.
    let floors: Vec<(TableId, i64)> = next
        .tables
        .keys()
        .filter_map(|t| txn.writes.row_id_floor(*t).map(|f| (*t, f)))
        .collect();
    for &(t, floor) in &floors {
        row_ids.insert(t, (floor + 1, floor));
    }
    for t in txn.writes.tables() {
        let Some(entry) = next.tables.get(&t) else {
            continue; // dropped by this transaction
        };
        let maintained: Vec<usize> = (0..entry.def.indexes.len()).collect();
        for (enc, kw) in txn.writes.table(t) {
            let Some((_, last)) = kw.entries.last() else {
                continue;
            };
            let enc = match real_row_id(st, &mut row_ids, &mut w, entry, &kw.key)? {
                Some(key) => codec::encode_key(&key),
                None => enc.clone(),
            };
            apply_row(&mut w, entry, &maintained, &enc, last.as_ref())?;
        }
    }
    for (t, floor) in floors {
        if row_ids.get(&t) == Some(&(floor + 1, floor)) {
            w.put(
                CATALOG_REL,
                &format::row_id_key(t),
                &format::encode_counter(floor),
            )?;
        }
    }

    // Pruning, sweeping and merging, logged in this record.
    let sweep = match horizons {
        Some(h) => {
            let m = space::Maintenance {
                prune: h.prune,
                reuse: h.reuse,
                stamp: lsn,
                limits: shared.config.limits,
                sweep_leaves: shared.config.sweep_leaves,
            };
            Some(space::maintain(w.ov, &m, &st.sweep)?)
        }
        None => None,
    };
    Ok(Staged { row_ids, sweep })
}

/// A record of space maintenance alone ([`space::sweep`]) over every relation of the
/// latest catalog: [`super::Engine::sweep`]. On a cached engine the leaves to visit are
/// read first, outside the commit mutex; the step itself only reads what is in memory.
pub(super) fn sweep(shared: &EngineState, leaves_per_relation: usize) -> Result<Lsn> {
    if shared.config.keep_history {
        return Ok(Lsn::INVALID);
    }
    shared.check_writable()?;
    let (rels, cursors) = {
        let st = shared.commit_state();
        let mut rels = vec![CATALOG_REL];
        for entry in st.latest.tables.values() {
            rels.push(entry.rel());
            rels.extend(entry.index_rels.values().copied());
        }
        (rels, st.sweep.clone())
    };
    let _pins = prepare::sweep(shared, &rels, &cursors, leaves_per_relation);
    let fetch = match shared.pages.cache() {
        Some(_) => Fetch::Forbidden,
        None => Fetch::Allowed,
    };
    let mut st = shared.commit_state();
    shared.check_writable()?;
    let start = st.wal_end;
    let mut ov = Overlay::new(&shared.pages, fetch);
    let m = space::Maintenance {
        prune: shared.prune_horizon(),
        reuse: shared.reuse_horizon(),
        stamp: start,
        limits: shared.config.limits,
        sweep_leaves: leaves_per_relation,
    };
    let cursors = space::sweep(&mut ov, &m, &rels, &st.sweep)?;
    let changes = collect(&ov)?;
    let layout = layout(&changes, &shared.config, false)?;
    let end = emit(shared, &mut st, &changes, &layout, start, 0)?;
    st.sweep = cursors;
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
            let limit = match w.live(CATALOG_REL, &format::row_id_key(table))? {
                Some(p) => format::decode_counter(&p).map_err(storage_error)?,
                None => 0,
            };
            (limit + 1, limit)
        }
    };
    if next > limit {
        limit = next + ROW_ID_CHUNK - 1;
        w.put(
            CATALOG_REL,
            &format::row_id_key(table),
            &format::encode_counter(limit),
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
        let (def, irel) = (&entry.def.indexes[i], entry.index_rel_at(i));
        let old_k = match &old {
            Some(r) => index_entry(r, def, &entry.def, enc)?,
            None => None,
        };
        let new_k = match new {
            Some(r) => index_entry(r, def, &entry.def, enc)?,
            None => None,
        };
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

/// Writes catalog rows outside any transaction (a sequence's reservation) in a record of
/// their own, now; returns its end (not yet durable). The rows' paths are fetched and pinned
/// before the commit mutex, like a prepare phase.
/// `written` runs under the commit mutex once the record is submitted.
pub(super) fn write_catalog_rows(
    shared: &EngineState,
    rows: Vec<(Vec<u8>, Vec<u8>)>,
    written: impl FnOnce(&mut CommitState),
) -> Result<Lsn> {
    let _pins = prepare::pin_paths(
        shared,
        rows.iter().map(|(k, _)| (CATALOG_REL, k.clone())).collect(),
    )?;
    let mut st = shared.commit_state();
    let start = st.wal_end;
    let horizons = (!shared.config.keep_history).then(|| Horizons {
        prune: shared.prune_horizon(),
        reuse: shared.reuse_horizon(),
    });
    let mut ov = Overlay::new(&shared.pages, Fetch::Allowed);
    {
        let mut w = Writer {
            ov: &mut ov,
            limits: shared.config.limits,
            lsn: start,
            horizons,
        };
        for (key, payload) in &rows {
            w.put(CATALOG_REL, key, payload)?;
        }
    }
    // The same space maintenance as a commit's, logged in this record.
    let sweep = match horizons {
        Some(h) => {
            let m = space::Maintenance {
                prune: h.prune,
                reuse: h.reuse,
                stamp: start,
                limits: shared.config.limits,
                sweep_leaves: shared.config.sweep_leaves,
            };
            Some(space::maintain(&mut ov, &m, &st.sweep)?)
        }
        None => None,
    };
    let changes = collect(&ov)?;
    let layout = Layout::single(&changes);
    let end = emit(shared, &mut st, &changes, &layout, start, 0)?;
    if let Some(sweep) = sweep {
        st.sweep = sweep;
    }
    written(&mut st);
    Ok(end)
}

/// Writes the bootstrap record: the empty catalog tree.
pub(super) fn bootstrap(shared: &EngineState) -> Result<Lsn> {
    let mut st = shared.commit_state();
    let start = st.wal_end;
    let mut ov = Overlay::new(&shared.pages, Fetch::Allowed);
    let mut w = Writer {
        ov: &mut ov,
        limits: shared.config.limits,
        lsn: start,
        horizons: None,
    };
    w.create(CATALOG_REL)?;
    let fresh = EngineCatalog::default();
    w.put(
        CATALOG_REL,
        &format::next_rel_key(),
        &format::encode_counter(i64::from(fresh.next_rel)),
    )?;
    w.put(
        CATALOG_REL,
        &format::next_oid_key(),
        &format::encode_counter(i64::from(fresh.next_oid)),
    )?;
    w.put(
        CATALOG_REL,
        &format::format_key(),
        &format::encode_counter(format::FORMAT_SCHEMAS),
    )?;
    for (oid, s) in &fresh.schemas {
        write_object(
            &mut w,
            Kind::Schema,
            *oid,
            None,
            Some(&Object::Schema(s.clone())),
        )?;
    }
    let changes = collect(&ov)?;
    let layout = Layout::single(&changes);
    let end = emit(
        shared,
        &mut st,
        &changes,
        &layout,
        start,
        proto::record::FLAG_CATALOG_CHANGED,
    )?;
    st.latest = Arc::new(fresh);
    Ok(end)
}
