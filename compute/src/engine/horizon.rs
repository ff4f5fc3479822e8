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
//! ## LSN leases on the pageserver
//! The pageserver's GC keeps history only above its cutoff; a compute keeps the LSN of its
//! oldest held snapshot leased there, renewed before it expires, so GC never passes a
//! snapshot in use. [`LeasePlan`] is the pure decision (lease when nothing covers the oldest
//! snapshot, renew a third of the way into the lease, move the lease forward then); the
//! task around it is [`crate::server`]'s. A snapshot GC already passed cannot be leased: the
//! task logs it as "snapshot too old", and reads that would need its old page versions fail
//! with "snapshot too old" (72000, [`crate::Error::SnapshotTooOld`]) — never with other data.
//!
//! ## The reuse horizon
//! A fixed snapshot on a cached engine does hold one thing: the reuse of freed blocks. Its
//! reader still walks this compute's latest pages until it meets a leaf pruned past it, so
//! it may reach a block through a page version that predates the block's freeing; the
//! block must not show it new content meanwhile. Fixed snapshots on a cached engine are therefore held in
//! a second registry, `readers`, and the **reuse horizon** is the older of the prune
//! horizon and the oldest of them ([`super::EngineState::reuse_horizon`]). Pruning, sweeping
//! and merging, which use these horizons, live in [`super::space`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

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

impl super::Engine {
    /// The snapshots this engine's transactions hold (the lease task reads the oldest).
    pub fn snapshots(&self) -> &Arc<Snapshots> {
        &self.shared.snapshots
    }
}

/// When to take or renew the LSN lease that keeps the pageserver's GC below the oldest held
/// snapshot (see the module docs). Pure: the caller asks [`LeasePlan::due`] with the oldest
/// snapshot and the time, leases what it answers, and reports the outcome.
#[derive(Debug, Clone)]
pub struct LeasePlan {
    ttl: Duration,
    /// The leased LSN and when it was granted.
    leased: Option<(Lsn, Instant)>,
}

impl LeasePlan {
    /// Leases last `ttl`; they are renewed after a third of it.
    pub fn new(ttl: Duration) -> LeasePlan {
        LeasePlan { ttl, leased: None }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The LSN to lease now, if any: the oldest held snapshot when no live lease covers it
    /// (a lease at `L` keeps every LSN from `L` on), or when the lease is due for renewal
    /// (then the lease moves up to the oldest snapshot). Nothing when no snapshot is held:
    /// the last lease simply lapses.
    pub fn due(&self, oldest: Option<Lsn>, now: Instant) -> Option<Lsn> {
        let oldest = oldest?;
        match self.leased {
            Some((lsn, at)) if lsn <= oldest && now < at + self.ttl / 3 => None,
            _ => Some(oldest),
        }
    }

    /// `lsn` was leased at `now`.
    pub fn granted(&mut self, lsn: Lsn, now: Instant) {
        self.leased = Some((lsn, now));
    }

    /// The lease of the last [`LeasePlan::due`] could not be taken: ask again next time.
    pub fn failed(&mut self) {
        self.leased = None;
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
    fn a_lease_covers_the_oldest_snapshot_and_is_renewed_at_a_third_of_its_ttl() {
        let t0 = Instant::now();
        let ttl = Duration::from_secs(60);
        let mut plan = LeasePlan::new(ttl);
        assert_eq!(plan.due(None, t0), None, "no snapshot, no lease");
        assert_eq!(plan.due(Some(Lsn(100)), t0), Some(Lsn(100)));
        plan.granted(Lsn(100), t0);
        let soon = t0 + Duration::from_secs(5);
        assert_eq!(plan.due(Some(Lsn(100)), soon), None, "covered");
        assert_eq!(plan.due(Some(Lsn(150)), soon), None, "covered from below");
        assert_eq!(plan.due(Some(Lsn(90)), soon), Some(Lsn(90)), "an older one");
        let renew = t0 + ttl / 3;
        assert_eq!(
            plan.due(Some(Lsn(150)), renew),
            Some(Lsn(150)),
            "renewed, moving up"
        );
        plan.failed();
        assert_eq!(plan.due(Some(Lsn(150)), soon), Some(Lsn(150)));
    }

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
