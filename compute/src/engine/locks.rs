//! [`LockManager`]: table, row and key locks, with waits and deadlock detection.
//!
//! Targets ([`LockTarget`]):
//! * `Table(t)` — DML and scans take it shared, DDL exclusive (PostgreSQL's ROW EXCLUSIVE /
//!   ACCESS EXCLUSIVE, collapsed to two modes);
//! * `Row(t, key)` — taken exclusive by `lock_row`, and by an insert of primary key `key`
//!   (so the primary key's key lock *is* the row lock: an insert waits for a transaction
//!   that is updating or deleting that key);
//! * `Key(index rel, key)` — unique index keys taken by inserts and updates;
//! * `Name(name)` — a relation name being created, so two transactions cannot both create it.
//!
//! Every lock is held until the transaction's serial apply has published its pages (or it
//! rolls back) — never across the wait for durability — and is released all at once by
//! [`LockManager::release_all`]. Locks taken inside a rolled-back savepoint are kept.
//!
//! A waiter sleeps on one condvar, woken by every release. Before each sleep it records
//! what it waits for and walks the wait-for graph (waiter → holders of the lock it wants →
//! what they wait for → ...); if the walk comes back to the waiter, the waiter closes a cycle
//! and fails with 40P01, which breaks it. An optional timeout bounds any single wait, and a
//! canceled statement ([`sql::interrupt`]) stops waiting within one sleep slice.

use std::collections::{HashMap, HashSet};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use proto::RelId;
use sql::storage::TableId;

/// A transaction's identity inside the engine.
pub type TxnId = u64;

/// Something a transaction can lock.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LockTarget {
    Table(TableId),
    Row(TableId, Vec<u8>),
    Key(RelId, Vec<u8>),
    Name(String),
}

/// Lock modes: shared locks are compatible with each other only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    Shared,
    Exclusive,
}

/// Why a lock was not granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockError {
    /// Waiting would close a cycle in the wait-for graph.
    Deadlock,
    /// The configured wait limit passed.
    Timeout,
    /// The waiting statement was canceled (57014).
    Canceled,
}

#[derive(Default)]
struct Inner {
    holders: HashMap<LockTarget, HashMap<TxnId, LockMode>>,
    held: HashMap<TxnId, Vec<LockTarget>>,
    waiting: HashMap<TxnId, (LockTarget, LockMode)>,
}

impl Inner {
    /// Other transactions whose hold on `target` conflicts with `txn` taking it in `mode`.
    fn blockers(&self, txn: TxnId, target: &LockTarget, mode: LockMode) -> Vec<TxnId> {
        let Some(h) = self.holders.get(target) else {
            return Vec::new();
        };
        h.iter()
            .filter(|(t, m)| {
                **t != txn && (mode == LockMode::Exclusive || **m == LockMode::Exclusive)
            })
            .map(|(t, _)| *t)
            .collect()
    }

    /// Whether `txn` waiting on its recorded target closes a cycle.
    fn closes_cycle(&self, txn: TxnId) -> bool {
        let mut stack: Vec<TxnId> = match self.waiting.get(&txn) {
            Some((target, mode)) => self.blockers(txn, target, *mode),
            None => return false,
        };
        let mut seen = HashSet::new();
        while let Some(t) = stack.pop() {
            if t == txn {
                return true;
            }
            if !seen.insert(t) {
                continue;
            }
            if let Some((target, mode)) = self.waiting.get(&t) {
                stack.extend(self.blockers(t, target, *mode));
            }
        }
        false
    }

    fn grant(&mut self, txn: TxnId, target: LockTarget, mode: LockMode) {
        let h = self.holders.entry(target.clone()).or_default();
        match h.get(&txn) {
            Some(LockMode::Exclusive) => {}
            Some(LockMode::Shared) => {
                h.insert(txn, mode);
            }
            None => {
                h.insert(txn, mode);
                self.held.entry(txn).or_default().push(target);
            }
        }
    }
}

/// The engine's lock table.
pub struct LockManager {
    inner: Mutex<Inner>,
    released: Condvar,
    timeout: Option<Duration>,
}

impl LockManager {
    /// A lock manager; `timeout` bounds every single wait (`None`: wait until granted or
    /// deadlocked).
    pub fn new(timeout: Option<Duration>) -> LockManager {
        LockManager {
            inner: Mutex::new(Inner::default()),
            released: Condvar::new(),
            timeout,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes `target` in `mode` for `txn`, waiting for conflicting holders to finish.
    pub fn acquire(&self, txn: TxnId, target: LockTarget, mode: LockMode) -> Result<(), LockError> {
        let deadline = self.timeout.map(|t| Instant::now() + t);
        let mut inner = self.lock();
        loop {
            if inner.blockers(txn, &target, mode).is_empty() {
                inner.waiting.remove(&txn);
                inner.grant(txn, target, mode);
                return Ok(());
            }
            inner.waiting.insert(txn, (target.clone(), mode));
            if inner.closes_cycle(txn) {
                inner.waiting.remove(&txn);
                tracing::debug!(txn, ?target, "deadlock detected");
                return Err(LockError::Deadlock);
            }
            if sql::interrupt::check().is_err() {
                inner.waiting.remove(&txn);
                return Err(LockError::Canceled);
            }
            // Sleep in short slices so a cycle formed by a later waiter, or a cancel, is seen.
            let mut slice = Duration::from_millis(50);
            if let Some(d) = deadline {
                let now = Instant::now();
                if now >= d {
                    inner.waiting.remove(&txn);
                    return Err(LockError::Timeout);
                }
                slice = slice.min(d - now);
            }
            inner = self
                .released
                .wait_timeout(inner, slice)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Whether `txn` holds `target` (in any mode).
    pub fn holds(&self, txn: TxnId, target: &LockTarget) -> bool {
        self.lock()
            .holders
            .get(target)
            .is_some_and(|h| h.contains_key(&txn))
    }

    /// Whether anyone is waiting for a lock (tests use it to see a waiter block).
    pub fn waiters(&self) -> usize {
        self.lock().waiting.len()
    }

    /// Releases every lock `txn` holds and wakes all waiters.
    pub fn release_all(&self, txn: TxnId) {
        let mut inner = self.lock();
        inner.waiting.remove(&txn);
        for target in inner.held.remove(&txn).unwrap_or_default() {
            if let Some(h) = inner.holders.get_mut(&target) {
                h.remove(&txn);
                if h.is_empty() {
                    inner.holders.remove(&target);
                }
            }
        }
        drop(inner);
        self.released.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_canceled_waiter_stops_waiting() {
        let locks = std::sync::Arc::new(LockManager::new(None));
        let target = LockTarget::Name("t".into());
        locks
            .acquire(1, target.clone(), LockMode::Exclusive)
            .expect("free lock");
        let interrupt = sql::Interrupt::new();
        interrupt.start();
        let waiter = {
            let (locks, target, interrupt) = (locks.clone(), target.clone(), interrupt.clone());
            std::thread::spawn(move || {
                let _g = interrupt.install();
                locks.acquire(2, target, LockMode::Exclusive)
            })
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while locks.waiters() == 0 {
            assert!(Instant::now() < deadline, "the waiter never blocked");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(interrupt.cancel());
        assert_eq!(waiter.join().expect("waiter"), Err(LockError::Canceled));
        assert_eq!(locks.waiters(), 0);
        assert!(locks.holds(1, &target) && !locks.holds(2, &target));
    }
}
