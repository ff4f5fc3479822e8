//! The prune and reuse horizons: which snapshots this compute still reads the latest
//! pages at.
//!
//! ## Snapshot registry
//! Every transaction statement that reads the latest pages holds its snapshot in the
//! [`Snapshots`] registry ([`Snapshots::hold`]) until the transaction ends (under Read
//! Committed, each statement's new snapshot replaces the previous one). The **horizon** is
//! the oldest held snapshot, or the newest snapshot a statement could take now when none is
//! held ([`Snapshots::horizon`]).
//!
//! Invariant: *no snapshot taken from now on is older than a horizon computed before*. A
//! hold reads the current snapshot LSN and registers it under the registry's lock, and the
//! horizon reads the same (monotonic) LSN under that lock, so a hold either is counted by a
//! horizon or takes a snapshot at least as new as it.
//!
//! Snapshots that do not hold the horizon: a fixed snapshot ([`super::Engine::begin_at`])
//! when pages at old LSNs can be fetched from the pageserver (cached mode). Such a reader
//! finds leaves pruned past its snapshot (`prune_lsn > S`), gets
//! [`crate::Error::NeedsOldSnapshot`] and re-reads the relation's pages as of `S` from
//! storage — "old snapshots come from storage, not from undo". In resident mode there is
//! no storage to ask, so every snapshot holds.
//!
//! ## The reuse horizon
//! Such a fixed snapshot does hold one thing: the reuse of freed blocks. Its reader still
//! walks this compute's latest pages until it meets a leaf pruned past it, so it may reach
//! a block through a page version that predates the block's freeing; the block must not
//! show it new content meanwhile. Fixed snapshots on a cached engine are therefore held in
//! a second registry, `readers`, and the **reuse horizon** is the older of the prune
//! horizon and the oldest of them ([`super::Shared::reuse_horizon`]). Pruning, sweeping
//! and merging, which use these horizons, live in [`super::space`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use proto::Lsn;

/// Active snapshots of this compute: `snapshot → holders`.
#[derive(Debug, Default)]
pub struct Snapshots {
    held: Mutex<BTreeMap<Lsn, usize>>,
}

impl Snapshots {
    pub fn new() -> Arc<Snapshots> {
        Arc::new(Snapshots::default())
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<Lsn, usize>> {
        // Every critical section is a single map update.
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes the snapshot `take()` returns and holds it until the returned guard drops.
    /// `take` runs under the registry's lock (see the module invariant).
    pub fn hold(self: &Arc<Snapshots>, take: impl FnOnce() -> Lsn) -> SnapshotHold {
        let mut held = self.lock();
        let lsn = take();
        *held.entry(lsn).or_insert(0) += 1;
        SnapshotHold {
            registry: self.clone(),
            lsn,
        }
    }

    /// The oldest snapshot any holder may read at, or `now` (the snapshot a statement
    /// beginning now would take, from the same monotonic source as [`Snapshots::hold`]'s)
    /// when it is older.
    pub fn horizon(&self, now: impl FnOnce() -> Lsn) -> Lsn {
        let held = self.lock();
        let now = now();
        held.keys().next().map_or(now, |&oldest| oldest.min(now))
    }

    /// The oldest held snapshot, if any.
    pub fn oldest(&self) -> Option<Lsn> {
        self.lock().keys().next().copied()
    }

    fn release(&self, lsn: Lsn) {
        let mut held = self.lock();
        if let Some(n) = held.get_mut(&lsn) {
            *n -= 1;
            if *n == 0 {
                held.remove(&lsn);
            }
        }
    }
}

/// A held snapshot; released on drop.
#[derive(Debug)]
pub struct SnapshotHold {
    registry: Arc<Snapshots>,
    lsn: Lsn,
}

impl SnapshotHold {
    pub fn lsn(&self) -> Lsn {
        self.lsn
    }
}

impl Drop for SnapshotHold {
    fn drop(&mut self) {
        self.registry.release(self.lsn);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn horizon_is_the_oldest_hold_or_now() {
        let s = Snapshots::new();
        assert_eq!(s.horizon(|| Lsn(50)), Lsn(50));
        let a = s.hold(|| Lsn(20));
        let b = s.hold(|| Lsn(30));
        let a2 = s.hold(|| Lsn(20));
        assert_eq!(a.lsn(), Lsn(20));
        assert_eq!(s.horizon(|| Lsn(50)), Lsn(20));
        drop(a);
        assert_eq!(s.horizon(|| Lsn(50)), Lsn(20), "a second holder of 20");
        drop(a2);
        assert_eq!(s.horizon(|| Lsn(50)), Lsn(30));
        assert_eq!(s.horizon(|| Lsn(25)), Lsn(25), "never past now");
        drop(b);
        assert_eq!(s.oldest(), None);
        assert_eq!(s.horizon(|| Lsn(60)), Lsn(60));
    }
}
