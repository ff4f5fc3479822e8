//! # compute: the storage core
//!
//! Everything here is pure code on byte buffers — no I/O, no tokio — so it
//! can be property-tested against models. The async shell (pgwire, the page
//! cache and page client, the WAL sender) will wrap it.
//!
//! | module            | owns                                                          |
//! |-------------------|---------------------------------------------------------------|
//! | [`slotted_page`]  | the compute's page header and the slot/item layout            |
//! | [`keycodec`]      | order-preserving, prefix-free composite keys (memcmp order)   |
//! | [`values`]        | SQL values and the row encoding                               |
//! | [`btree`]         | the B-link tree over a [`btree::PageStore`]: nodes, splits,   |
//! |                   | cursors, structural checks, changed-page tracking             |
//! | [`mvcc`]          | row versions by LSN, visibility, pruning, old-snapshot refusal|
//! | [`index`]         | secondary indexes as versioned `(index key, pk)` entries      |
//! | [`frontend`]      | the PostgreSQL wire protocol (pgwire) over `sql::Session`s     |
//! | [`engine`]        | `sql::storage::Storage` over the trees: write sets, locks,    |
//! |                   | the serial commit step producing WAL records                  |
//! | [`page_cache`]    | dirty-page table, byte-bounded moka cache, last-written LSNs  |
//! | [`page_client`]   | the batched, pipelined GetPages stream to the pageserver      |
//! | [`server`]        | `strata compute`: election, engine over the page cache, pgwire |
//! | [`replica`]       | `strata compute --read-only`: committed WAL applied, no writes |
//! | [`error`]         | the crate's one error type                                    |
//!
//! ## A write, through this crate
//! At commit, the serial step applies the write set with the record's start
//! LSN `L`: [`mvcc::VersionedTree::insert`] / `update` / `delete` (and the
//! same on each [`index::SecondaryIndex`]) turn rows into version entries
//! (`pk ++ !L → deleted ++ row`), which [`btree::BTree::insert`] places in a
//! leaf, splitting nodes as needed (new page → old page → parent). Each call
//! returns the [`btree::ChangedPages`] it published; the commit path merges
//! them, walks [`btree::ChangedPages::publish_order`], and runs
//! `proto::redo::diff(old, new, end_lsn)` on each page to build the record's
//! `PageChange`s.
//!
//! ## A read, through this crate
//! A statement reads at snapshot `S` (a durable record end):
//! [`mvcc::VersionedTree::get`] / `scan` descend the B-link tree from block 0
//! (checking levels and fence keys at every step), walk the key's versions
//! newest first and return the one with `created < S <= deleted`. Any leaf
//! whose `prune_lsn > S` makes the read fail with
//! [`Error::NeedsOldSnapshot`]: the caller re-traverses at `S` with pages
//! from the pageserver.

pub mod btree;
pub mod engine;
pub mod error;
pub mod frontend;
pub mod index;
pub mod keycodec;
pub mod mvcc;
pub mod page_cache;
pub mod page_client;
pub mod replica;
pub mod server;
pub mod slotted_page;
pub mod sweeper;
pub mod values;

pub use error::{Error, Result};
pub use values::Value;

/// Property-test cases: `PROPTEST_CASES` if set, else `default`.
#[cfg(test)]
pub(crate) fn proptest_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}
