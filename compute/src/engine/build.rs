//! Building a relation's pages ahead of the commit: the new table of a rewrite (ALTER TABLE
//! ... TYPE, ADD PRIMARY KEY, ...) and the index of a CREATE INDEX over existing rows.
//!
//! The tree is built bottom-up from its sorted entries ([`VersionedTree::bulk_load`]) in
//! private pages ([`MemPageStore`]) while no engine lock is held — the caller holds only the table's exclusive lock, which keeps the
//! table's writers out and nobody else. The pages then go to the WAL as full images in
//! `Commit` records of at most [`super::EngineConfig::record_split_bytes`], each appended
//! under the commit mutex for just the time to checksum and submit it, so other
//! transactions' commits go on between them; then they are published. Nothing links to the
//! relation until the transaction's commit record writes its catalog row, so the records
//! are harmless if the transaction never commits (its rollback writes a `DropRelation`).
//!
//! Versions are stamped [`BUILD_STAMP`], older than any snapshot: a snapshot that can see
//! the relation in the catalog is newer than the commit, and readers re-check index hits
//! against the table anyway.

use std::sync::Arc;

use proto::page::Page;
use proto::{Lsn, PageKey, RelId};
use sql::{Error, Result};

use super::records::{self, Changed, Layout};
use super::{EngineState, storage_error};
use crate::btree::{Limits, MemPageStore};
use crate::mvcc::VersionedTree;

/// The `created` LSN of every version a build writes.
pub const BUILD_STAMP: Lsn = Lsn(1);

/// RelIds reserved per catalog write.
const RESERVE_RELS: u32 = 64;

/// Makes the stored RelId counter pass `rel` before any page of it reaches the WAL, so that
/// a restarted compute never hands `rel` out again (its pages stay in storage if the
/// transaction never commits).
fn reserve_rel(shared: &EngineState, rel: RelId) -> Result<()> {
    let need = rel.0 + 1;
    if shared.commit_state().reserved_rel >= need {
        return Ok(());
    }
    let target = need + RESERVE_RELS;
    let end = super::commit::write_catalog_rows(
        shared,
        vec![(
            super::catalog::format::next_rel_key(),
            super::catalog::format::encode_counter(i64::from(target)),
        )],
        |st| st.reserved_rel = st.reserved_rel.max(target),
    )?;
    shared.wal.wait_durable(end).map_err(super::wal_error)
}

/// Builds relation `rel` from `entries` (sorted by key, keys distinct) and writes it.
pub(super) fn build(
    shared: &EngineState,
    rel: RelId,
    entries: impl IntoIterator<Item = (Vec<u8>, Vec<u8>)>,
) -> Result<()> {
    reserve_rel(shared, rel)?;
    let limits: Limits = shared.config.limits;
    let mut interrupted = Ok(());
    let mut n = 0u64;
    let entries = entries.into_iter().map_while(|e| {
        n += 1;
        if n.is_multiple_of(4096) {
            interrupted = sql::interrupt::check();
            if interrupted.is_err() {
                return None;
            }
        }
        Some(e)
    });
    let tree = VersionedTree::bulk_load(MemPageStore::new(), limits, entries, BUILD_STAMP)
        .map_err(storage_error);
    interrupted?;
    let pages = tree?.into_store().into_pages();
    write_pages(shared, rel, pages)
}

/// Writes brand-new pages of `rel` to the WAL in records of bounded size, one commit-mutex
/// hold per record, and publishes them.
fn write_pages(shared: &EngineState, rel: RelId, pages: Vec<Arc<Page>>) -> Result<()> {
    let split = shared.config.record_split_bytes.max(64 << 10);
    let per_record = (split / (proto::PAGE_SIZE + 64)).max(1);
    let mut blocks = pages.into_iter().enumerate().peekable();
    while blocks.peek().is_some() {
        if let Some(cache) = shared.pages.cache() {
            cache
                .wait_for_room()
                .map_err(|e| Error::Internal(e.to_string()))?;
        }
        let chunk: Vec<Changed> = blocks
            .by_ref()
            .take(per_record)
            .map(|(block, page)| {
                Changed::new_page(
                    PageKey {
                        rel,
                        block: block as u32,
                    },
                    page,
                )
            })
            .collect();
        let layout = Layout::single(&chunk);
        let mut st = shared.commit_state();
        let start = st.wal_end;
        records::emit(shared, &mut st, &chunk, &layout, start, 0)?;
    }
    Ok(())
}
