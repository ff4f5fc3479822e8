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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use proto::page::{self, PAGE_HEADER_SIZE, Page};
use proto::{Lsn, PageChange, PageKey, Record, RelId};
use sql::storage::{Key, Row, TableId};
use sql::{Error, Result, Value};

use super::catalog::{self, CATALOG_REL, EngineCatalog, TableEntry};
use super::codec;
use super::pages::{Fetch, Overlay};
use super::prepare;
use super::space;
use super::txn::EngineTxn;
use super::write_set::PROVISIONAL_ROW_ID;
use super::{
    CommitState, EngineConfig, Shared, data_corrupted, program_limit_exceeded, storage_error,
    wal_error,
};
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

pub(super) fn index_entry(row: &[Value], columns: &[usize], pk: &[u8]) -> Vec<u8> {
    let ikey: Vec<Value> = columns.iter().map(|&c| row[c].clone()).collect();
    let mut k = codec::encode_key(&ikey);
    k.extend_from_slice(pk);
    k
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

/// The schema check: every table the transaction wrote or changed still has the definition
/// it based its work on. Returns the net DDL and the catalog after it.
fn check_schema(txn: &EngineTxn, st: &CommitState) -> Result<(NetDdl, EngineCatalog)> {
    let latest = &st.latest;
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
    let mut next = (**latest).clone();
    for (id, (_, after)) in &net {
        match after {
            Some(e) => next.tables.insert(*id, e.clone()),
            None => next.tables.remove(id),
        };
    }
    next.next_rel = txn
        .shared
        .next_rel
        .load(std::sync::atomic::Ordering::Relaxed)
        .max(latest.next_rel);
    Ok((net, next))
}

type NetDdl = BTreeMap<TableId, (Option<TableEntry>, Option<TableEntry>)>;
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
    if !net.is_empty() && end.is_valid() {
        st.latest = Arc::new(next);
    }
    // Tombstones for the relations this record dropped.
    let end = super::tombstone::emit(shared, st, &super::tombstone::freed(&net), end);
    st.row_ids.extend(staged.row_ids);
    if let Some(sweep) = staged.sweep {
        st.sweep = sweep;
    }
    Ok(end)
}

/// Turns a staging outcome into the step's result: on any failure, pages missed with
/// fetching forbidden send the commit back to prepare.
fn finish_stage(
    shared: &Shared,
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
    let mut new_indexes: Vec<(TableId, usize)> = Vec::new();
    for (id, (before, after)) in net {
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
            let enc = match real_row_id(st, &mut row_ids, &mut w, entry, &kw.key)? {
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
            let max = w.limits.max_key;
            if k.len() + 8 > max {
                return Err(super::txn::index_row_too_large(k.len() + 8, max, &def.name));
            }
            w.run(rel, |tree| tree.insert(&k, &[], lsn))?;
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
pub(super) fn sweep(shared: &Shared, leaves_per_relation: usize) -> Result<Lsn> {
    if shared.config.keep_history {
        return Ok(Lsn::INVALID);
    }
    shared.check_writable()?;
    let (rels, cursors) = {
        let st = shared.commit_state();
        let mut rels = vec![CATALOG_REL];
        for entry in st.latest.tables.values() {
            rels.push(entry.rel());
            rels.extend(entry.index_rels.iter().copied());
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
    let mut ov = Overlay::new(&shared.pages, Fetch::Allowed);
    let mut w = Writer {
        ov: &mut ov,
        limits: shared.config.limits,
        lsn: start,
        horizons: None,
    };
    w.create(CATALOG_REL)?;
    w.put(
        CATALOG_REL,
        &catalog::next_rel_key(),
        &catalog::encode_next_rel(catalog::FIRST_USER_REL),
    )?;
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

/// One changed page: its version before the commit (`None`: allocated by it), after, and
/// the change between them (its `crc_after` is filled in once the record's end is known).
struct Changed {
    key: PageKey,
    old: Option<Arc<Page>>,
    new: Arc<Page>,
    change: PageChange,
    /// Bytes the change adds to a record's payload.
    len: usize,
}

/// Every page the overlay changed, per relation in B-link publish order, diffed. A page
/// new to the tree — allocated past the relation's end, or a free block reused — has no
/// old version to diff against: it is logged as an image and may go ahead of the commit
/// record (nothing reachable links to it before).
fn collect(ov: &Overlay<'_>) -> Result<Vec<Changed>> {
    let mut out = Vec::new();
    for (rel, changed) in ov.changed() {
        for block in changed.publish_order() {
            let key = PageKey { rel: *rel, block };
            let new = ov
                .new_page(key)
                .map_err(storage_error)?
                .ok_or_else(|| Error::Internal(format!("changed page {key} is missing")))?;
            let is_new = changed.get(block).is_some_and(|p| p.is_new);
            let old = if is_new {
                None
            } else {
                ov.old(key).map_err(storage_error)?
            };
            let change = proto::redo::diff(key, old.as_deref(), &new, Lsn::INVALID);
            let len = Record::commit(0, vec![change.clone()]).payload_len() - record_header_len();
            out.push(Changed {
                key,
                old,
                new,
                change,
                len,
            });
        }
    }
    Ok(out)
}

/// The records a commit is written as, in WAL order: each a list of indexes into its
/// changes, with its framed length. The last one is the commit record; any before it hold
/// only pages the commit allocated (unreachable until the commit record links them in).
struct Layout {
    records: Vec<(Vec<usize>, usize)>,
}

/// Payload bytes of a `Commit` record without changes.
fn record_header_len() -> usize {
    Record::commit(0, Vec::new()).payload_len()
}

/// Framed length of a `Commit` record of the changes `group`.
fn framed_len(changes: &[Changed], group: &[usize]) -> usize {
    let body: usize = group.iter().map(|&i| changes[i].len).sum();
    proto::frame::framed_len(record_header_len() + body)
}

impl Layout {
    /// Everything in one record.
    fn single(changes: &[Changed]) -> Layout {
        let all: Vec<usize> = (0..changes.len()).collect();
        let len = framed_len(changes, &all);
        Layout {
            records: vec![(all, len)],
        }
    }

    /// Where the commit record starts if the first record starts at `start`.
    fn commit_start(&self, start: Lsn) -> Lsn {
        let ahead: usize = self.records.iter().rev().skip(1).map(|(_, len)| len).sum();
        Lsn(start.0 + ahead as u64)
    }
}

/// Smallest record-split size honoured (one page image plus framing always fits).
const MIN_SPLIT_BYTES: usize = 64 << 10;

/// Lays a commit's changes out in records: one if it fits in
/// [`EngineConfig::record_split_bytes`]; else the new pages go ahead in records of at most
/// that size and the rest forms the commit record, which must fit in
/// [`EngineConfig::max_record_bytes`] (else 54000, and nothing was written).
/// `split_anyway`: split even a commit that fits (the second pass of a large commit).
fn layout(changes: &[Changed], config: &EngineConfig, split_anyway: bool) -> Result<Layout> {
    let max = config
        .max_record_bytes
        .min(proto::decoder::DEFAULT_MAX_RECORD_SIZE);
    let split = config.record_split_bytes.max(MIN_SPLIT_BYTES).min(max);
    let single = Layout::single(changes);
    let total = single.records[0].1;
    let (new, old): (Vec<usize>, Vec<usize>) =
        (0..changes.len()).partition(|&i| changes[i].old.is_none());
    if (total <= split && !split_anyway) || new.is_empty() {
        if total > max {
            return Err(too_large(total, max));
        }
        return Ok(single);
    }
    let mut records = Vec::new();
    let mut group: Vec<usize> = Vec::new();
    let mut body = 0;
    for i in new {
        let with = proto::frame::framed_len(record_header_len() + body + changes[i].len);
        if with > split && !group.is_empty() {
            let len = framed_len(changes, &group);
            records.push((std::mem::take(&mut group), len));
            body = 0;
        }
        group.push(i);
        body += changes[i].len;
    }
    let len = framed_len(changes, &group);
    records.push((group, len));
    let len = framed_len(changes, &old);
    if len > max {
        return Err(too_large(len, max));
    }
    records.push((old, len));
    Ok(Layout { records })
}

fn too_large(len: usize, max: usize) -> Error {
    program_limit_exceeded(format!(
        "commit record of {len} bytes exceeds the maximum record size of {max} bytes"
    ))
}

/// Writes the records of `layout`, the first at `start`: for each, sets the changes' CRCs
/// for its end, self-checks every change with redo, hands it to the WAL sink and publishes
/// the redo'd pages. Returns the last record's end (`Lsn::INVALID` when nothing changed).
fn emit(
    shared: &Shared,
    st: &mut CommitState,
    changes: &[Changed],
    layout: &Layout,
    start: Lsn,
    flags: u16,
) -> Result<Lsn> {
    if changes.is_empty() {
        return Ok(Lsn::INVALID);
    }
    let now = now_us();
    let (n, mut at) = (layout.records.len(), start);
    for (r, (group, len)) in layout.records.iter().enumerate() {
        let last = r + 1 == n;
        let mut record = Record::commit(
            now,
            group.iter().map(|&i| changes[i].change.clone()).collect(),
        );
        if last {
            record.flags = flags;
        }
        let end = Lsn(at.0 + *len as u64);
        let mut published = Vec::with_capacity(group.len());
        for (&i, change) in group.iter().zip(record.page_changes.iter_mut()) {
            let Changed { key, old, new, .. } = &changes[i];
            change.crc_after = page::crc_with_lsn(new, end);
            let mut redone: Box<Page> = match old {
                Some(p) => Box::new(**p),
                None => page::zeroed_page(),
            };
            proto::redo::apply(&mut redone, change, end)
                .map_err(|e| data_corrupted(format!("redo self-check of {key}: {e}")))?;
            if redone[PAGE_HEADER_SIZE..] != new[PAGE_HEADER_SIZE..] {
                return Err(data_corrupted(format!(
                    "redo self-check of {key}: page differs after redo"
                )));
            }
            published.push((*key, Arc::<Page>::from(redone)));
        }
        let got = shared.wal.submit(&record, at).map_err(wal_error)?;
        if got != end {
            return Err(Error::Internal(format!(
                "WAL placed the record at [{at}, {got}), expected end {end}"
            )));
        }
        // Catalog readers must learn of the change before any snapshot can include it.
        if last && flags & proto::record::FLAG_CATALOG_CHANGED != 0 {
            shared.note_catalog_change(end);
        }
        shared.pages.publish(published);
        shared.note_applied(end);
        st.wal_end = end;
        tracing::debug!(start = %at, %end, changes = record.page_changes.len(), last, "wrote record");
        at = end;
    }
    if n > 1 {
        shared.commit_stats.note_ahead_records(n - 1);
    }
    Ok(at)
}
