//! The engine of a read replica (`strata compute --read-only`, [`crate::replica`]).
//!
//! A replica's engine is an ordinary [`Engine`] over a cached [`PageTable`] whose WAL sink
//! is the replica's ([`crate::replica::ReplicaWal`]): it never writes. Instead the WAL
//! receiver hands it every committed record, in LSN order, through
//! [`Engine::apply_replicated`]:
//!
//! 1. a catalog-changing record (`FLAG_CATALOG_CHANGED`) first raises the catalog-changed
//!    LSN, as the primary's serial step does, so a snapshot at or past the record's end
//!    re-reads the catalog tree and one before it keeps the old catalog;
//! 2. each page change is applied with the shared redo to the cached latest version of its
//!    page, or dropped when the page is not cached ([`PageTable::apply_replicated`]); the
//!    page's last-written LSN makes a later miss fetch it from the pageserver at a version
//!    that includes the change;
//! 3. the record's end becomes the applied LSN: statements beginning now read at it.
//!
//! Why this is the primary's own concurrency argument: the record's changes are in the
//! primary's publish order (new pages, leaves, parents), so readers descending while a
//! record is applied see the mix of old and new pages the B-link tree is built to
//! tolerate, and MVCC by LSN hides every version newer than the reader's snapshot. Leaves
//! the primary pruned past an old replica snapshot answer `NeedsOldSnapshot` and are read
//! at the snapshot from the pageserver, exactly as on the primary.
//!
//! Writes: every write entry of the transaction (rows, row locks, DDL, sequences) calls
//! [`EngineState::refuse_writes`], which fails with 25006 naming the primary.

use std::sync::Arc;

use proto::{DecodedRecord, Lsn};

use super::catalog::{self, CATALOG_REL};
use super::pages::RelPages;
use super::{Engine, EngineConfig, EngineState, PageTable, WalSink, storage_error};
use crate::btree::Limits;

impl EngineState {
    /// `Ok` on a primary; on a replica 25006 "cannot execute `what` in a read-only
    /// transaction: …" naming where writes go.
    pub(crate) fn refuse_writes(&self, what: &str) -> sql::Result<()> {
        match &self.read_only {
            None => Ok(()),
            Some(why) => Err(sql::Error::ReadOnlySqlTransaction(format!(
                "cannot execute {what} in a read-only transaction: {why}"
            ))),
        }
    }
}

/// What applying one record did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Page changes applied to cached pages.
    pub pages_applied: usize,
    /// Page changes dropped (the page was not cached).
    pub pages_dropped: usize,
    /// Whether the record changed the catalog.
    pub catalog: bool,
}

impl Engine {
    /// A read replica's engine over cached `pages` whose latest versions are those at the
    /// replica's start LSN (`wal.end_lsn()`): the catalog is read there. `read_only` says
    /// why writes are refused (it names the primary).
    pub fn replica(
        pages: Arc<PageTable>,
        wal: Arc<dyn WalSink>,
        config: EngineConfig,
        read_only: String,
    ) -> sql::Result<Engine> {
        assert!(pages.cache().is_some(), "a replica reads from a pageserver");
        if let Some(cache) = pages.cache() {
            cache.advance_latest(wal.end_lsn());
        }
        let latest = catalog::read(
            RelPages::new(pages.clone(), CATALOG_REL),
            Limits::FULL_PAGE,
            Lsn::MAX,
        )
        .map_err(storage_error)?;
        Self::build(pages, wal, config, Some(latest), Some(read_only))
    }

    /// Whether this is a read replica's engine.
    pub fn is_replica(&self) -> bool {
        self.shared.read_only.is_some()
    }

    /// Applies one committed record (the next in LSN order) to the replica's cached pages
    /// and makes its end the applied LSN. The caller then tells its WAL sink, whose
    /// durable LSN bounds snapshots too.
    pub fn apply_replicated(&self, rec: &DecodedRecord) -> Applied {
        let catalog = rec.record.flags & proto::record::FLAG_CATALOG_CHANGED != 0;
        if catalog {
            self.shared.note_catalog_change(rec.end);
        }
        let (pages_applied, pages_dropped) = self.shared.pages.apply_replicated(rec);
        self.shared.note_applied(rec.end);
        Applied {
            pages_applied,
            pages_dropped,
            catalog,
        }
    }
}
