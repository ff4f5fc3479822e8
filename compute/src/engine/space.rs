//! Space: what a record does, besides its writes, so that relations under update and
//! delete churn stay bounded — pruning, sweeping, merging, and handing freed blocks out
//! again.
//!
//! Every commit's serial step ends with [`maintain`] on each relation the record writes
//! (table, secondary-index and catalog trees alike), logged in the same record:
//!
//! 1. **Prune the written leaves**: remove the versions with `deleted < horizon` (the
//!    prune horizon, [`super::horizon`]) and raise their `prune_lsn` — like PostgreSQL's
//!    HOT pruning, but inside the record, so the pageserver and replicas hold the very
//!    same pages. Out-of-line payloads of removed versions go to the free list. The same
//!    horizon lets an insert into a full leaf prune it before splitting it.
//! 2. **Sweep** a few more leaves ([`super::EngineConfig::sweep_leaves`]) from where the
//!    relation's sweep stopped last time (its position is the low key of the next leaf,
//!    kept in the commit state; it wraps around at the last leaf): so leaves no commit
//!    writes again — an index whose keys only grow, a range of deleted rows — are pruned
//!    once the horizon passes them.
//! 3. **Merge** the under-full leaves among those (and, in turn, their parents;
//!    [`crate::btree::merge`]): emptied leaves leave the tree and their blocks go to the
//!    free list.
//!
//! Blocks on the free list are handed out again by any later write of the relation
//! (splits, out-of-line values) once the **reuse horizon** — the prune horizon, or an
//! older fixed snapshot still reading this compute's latest pages
//! ([`super::EngineState::reuse_horizon`]) — has passed the record that freed them
//! ([`crate::btree::freelist`]). Steps 2 and 3 are optional work: they read quietly
//! ([`Overlay::set_quiet`]), so on a cached engine a page the prepare phase did not pin
//! stops them instead of sending the commit back to prepare.
//!
//! [`sweep`] does steps 2–3 alone, for every relation of the latest catalog, as a record
//! of its own: [`super::Engine::sweep`], for relations no commit writes any more (no
//! background task calls it yet).
//!
//! Because `horizon <=` the durable LSN `<=` the record's start, a version deleted by the
//! record itself is never pruned, and a block it frees is never reused by it.

use std::collections::BTreeMap;

use proto::{BlockNo, Lsn, RelId};

use super::catalog::CATALOG_REL;
use super::pages::Overlay;
use super::storage_error;
use crate::btree::{ChangedPages, Limits, Node};
use crate::mvcc::VersionedTree;

/// Where each relation's sweep goes on: the low key of the next leaf to visit.
pub(super) type SweepCursors = BTreeMap<RelId, Vec<u8>>;

/// What a record's space maintenance works with.
#[derive(Debug, Clone, Copy)]
pub(super) struct Maintenance {
    /// Versions deleted before this are pruned.
    pub prune: Lsn,
    /// Blocks freed before this may be reused.
    pub reuse: Lsn,
    /// The record's start: the stamp of the blocks it frees.
    pub stamp: Lsn,
    /// Node limits of user relations (the catalog uses whole pages).
    pub limits: Limits,
    /// Leaves each relation's sweep visits per record.
    pub sweep_leaves: usize,
}

impl Maintenance {
    fn limits_for(&self, rel: RelId) -> Limits {
        if rel == CATALOG_REL {
            Limits::FULL_PAGE
        } else {
            self.limits
        }
    }

    fn tree<'o, 'a>(
        &self,
        ov: &'o mut Overlay<'a>,
        rel: RelId,
    ) -> VersionedTree<super::pages::OverlayStore<'o, 'a>> {
        VersionedTree::open(ov.store(rel), self.limits_for(rel)).reuse_below(self.reuse)
    }
}

/// Steps 1–3 of the module docs on every relation the overlay's record writes. Returns
/// the sweep positions after it (the caller keeps them once the record is written).
pub(super) fn maintain(
    ov: &mut Overlay<'_>,
    m: &Maintenance,
    cursors: &SweepCursors,
) -> sql::Result<SweepCursors> {
    let written: Vec<(RelId, Vec<BlockNo>)> = ov
        .changed()
        .iter()
        .map(|(rel, changed)| (*rel, changed.leaves().collect()))
        .collect();
    let mut next = cursors.clone();
    for (rel, leaves) in written {
        let pruned = m
            .tree(ov, rel)
            .prune_leaves(leaves.iter().copied(), m.prune, m.stamp)
            .map_err(storage_error)?;
        if !pruned.is_empty() {
            tracing::debug!(rel = rel.0, pages = pruned.len(), horizon = %m.prune, "pruned leaves");
        }
        ov.record(rel, pruned);
        let cursor = cursors.get(&rel).cloned().unwrap_or_default();
        if let Some(cursor) = quietly(ov, |ov| sweep_relation(ov, m, rel, leaves, cursor))? {
            next.insert(rel, cursor);
        }
    }
    Ok(next)
}

/// Steps 2–3 on `rel`: sweeps `m.sweep_leaves` leaves from `cursor`, then merges the
/// under-full ones among them and `written`. Returns where the next sweep starts.
fn sweep_relation(
    ov: &mut Overlay<'_>,
    m: &Maintenance,
    rel: RelId,
    written: Vec<BlockNo>,
    mut cursor: Vec<u8>,
) -> crate::Result<Vec<u8>> {
    let mut targets = written;
    for _ in 0..m.sweep_leaves {
        let (block, high) = {
            let tree = m.tree(ov, rel);
            let (block, page) = tree.tree().descend(&cursor, 0)?;
            let high = Node::open(block, &*page)?.high_key()?.map(<[u8]>::to_vec);
            (block, high)
        };
        let pruned = m.tree(ov, rel).prune_leaves([block], m.prune, m.stamp)?;
        ov.record(rel, pruned);
        targets.push(block);
        match high {
            Some(high) => cursor = high,
            None => {
                cursor = Vec::new(); // past the last leaf: start over next time
                break;
            }
        }
    }
    let mut merged = ChangedPages::default();
    let result = m.tree(ov, rel).rebalance(targets, m.stamp, &mut merged);
    if !merged.is_empty() {
        tracing::debug!(rel = rel.0, pages = merged.len(), "merged nodes");
    }
    ov.record(rel, merged);
    result.map(|()| cursor)
}

/// Runs optional work with quiet reads: a page missing from memory stops it (`None`),
/// any other error fails the record.
fn quietly<T>(
    ov: &mut Overlay<'_>,
    work: impl FnOnce(&mut Overlay<'_>) -> crate::Result<T>,
) -> sql::Result<Option<T>> {
    ov.set_quiet(true);
    let result = work(ov);
    ov.set_quiet(false);
    match result {
        Ok(t) => Ok(Some(t)),
        Err(crate::Error::PageUnavailable { block, reason }) => {
            tracing::debug!(block, %reason, "space maintenance stopped at a page not in memory");
            Ok(None)
        }
        Err(e) => Err(storage_error(e)),
    }
}

/// Steps 2–3 alone on every relation in `rels`: what [`super::Engine::sweep`] writes as
/// a record of its own.
pub(super) fn sweep(
    ov: &mut Overlay<'_>,
    m: &Maintenance,
    rels: &[RelId],
    cursors: &SweepCursors,
) -> sql::Result<SweepCursors> {
    let mut next = cursors.clone();
    for &rel in rels {
        let cursor = cursors.get(&rel).cloned().unwrap_or_default();
        if let Some(cursor) = quietly(ov, |ov| sweep_relation(ov, m, rel, Vec::new(), cursor))? {
            next.insert(rel, cursor);
        }
    }
    Ok(next)
}
