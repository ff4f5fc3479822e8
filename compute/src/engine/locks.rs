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
//!
//! Each transaction's client session (its backend pid, from the session environment of
//! the thread that takes the lock) is kept beside its locks, so [`LockManager::snapshot`]
//! can list holders and waiters for `pg_locks` and `pg_blocking_pids`.

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
    /// An advisory lock (`pg_advisory_lock`): a bigint key, or two int4 keys packed
    /// (`two_part`), held by a session's advisory owner ([`super::advisory`]).
    Advisory {
        key: i64,
        two_part: bool,
    },
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
    /// The backend (client session pid) of each transaction that took or waits for a
    /// lock, and when its current wait began (`pg_locks`).
    owners: HashMap<TxnId, Owner>,
}

#[derive(Debug, Clone, Copy)]
struct Owner {
    pid: i32,
    wait_start: Option<std::time::SystemTime>,
}

/// One lock held or waited for, as `pg_locks` lists it ([`LockManager::snapshot`]).
#[derive(Debug, Clone, PartialEq)]
pub struct LockEntry {
    pub txn: TxnId,
    /// The client session's backend pid (0 outside a session).
    pub pid: i32,
    pub target: LockTarget,
    pub mode: LockMode,
    pub granted: bool,
    /// For a waiter: when it began waiting.
    pub wait_start: Option<std::time::SystemTime>,
    /// For a waiter: the pids of the transactions it waits for.
    pub blocked_by: Vec<i32>,
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

    /// Records `txn`'s client session (the pid of the session environment of the thread
    /// taking the lock) the first time it takes or waits for a lock.
    fn note_owner(&mut self, txn: TxnId) {
        self.owners.entry(txn).or_insert_with(|| Owner {
            pid: sql::env::with(|e| e.session.backend_pid),
            wait_start: None,
        });
    }

    /// `txn` gives up its wait (deadlock, timeout, cancel).
    fn stop_waiting(&mut self, txn: TxnId) {
        self.waiting.remove(&txn);
        if let Some(o) = self.owners.get_mut(&txn) {
            o.wait_start = None;
        }
        if !self.held.contains_key(&txn) {
            self.owners.remove(&txn);
        }
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
        inner.note_owner(txn);
        loop {
            if inner.blockers(txn, &target, mode).is_empty() {
                inner.waiting.remove(&txn);
                if let Some(o) = inner.owners.get_mut(&txn) {
                    o.wait_start = None;
                }
                inner.grant(txn, target, mode);
                return Ok(());
            }
            if !inner.waiting.contains_key(&txn)
                && let Some(o) = inner.owners.get_mut(&txn)
            {
                o.wait_start = Some(std::time::SystemTime::now());
            }
            inner.waiting.insert(txn, (target.clone(), mode));
            if inner.closes_cycle(txn) {
                inner.stop_waiting(txn);
                tracing::debug!(txn, ?target, "deadlock detected");
                return Err(LockError::Deadlock);
            }
            if sql::interrupt::check().is_err() {
                inner.stop_waiting(txn);
                return Err(LockError::Canceled);
            }
            // Sleep in short slices so a cycle formed by a later waiter, or a cancel, is seen.
            let mut slice = Duration::from_millis(50);
            if let Some(d) = deadline {
                let now = Instant::now();
                if now >= d {
                    inner.stop_waiting(txn);
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

    /// Takes `target` in `mode` for `txn` if no one else holds it in a conflicting mode;
    /// never waits.
    pub fn try_acquire(&self, txn: TxnId, target: LockTarget, mode: LockMode) -> bool {
        let mut inner = self.lock();
        if !inner.blockers(txn, &target, mode).is_empty() {
            return false;
        }
        inner.note_owner(txn);
        inner.grant(txn, target, mode);
        true
    }

    /// Releases `txn`'s hold on `target` alone and wakes all waiters.
    pub fn release(&self, txn: TxnId, target: &LockTarget) {
        let mut inner = self.lock();
        if let Some(h) = inner.holders.get_mut(target) {
            h.remove(&txn);
            if h.is_empty() {
                inner.holders.remove(target);
            }
        }
        if let Some(held) = inner.held.get_mut(&txn) {
            held.retain(|t| t != target);
            if held.is_empty() {
                inner.held.remove(&txn);
                if !inner.waiting.contains_key(&txn) {
                    inner.owners.remove(&txn);
                }
            }
        }
        let anyone_waiting = !inner.waiting.is_empty();
        drop(inner);
        if anyone_waiting {
            self.released.notify_all();
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

    /// Every lock held and every wait, grouped by transaction (holders first, then the
    /// lock it waits for): what `pg_locks` and `pg_blocking_pids` show.
    pub fn snapshot(&self) -> Vec<LockEntry> {
        let inner = self.lock();
        let pid = |t: &TxnId| inner.owners.get(t).map_or(0, |o| o.pid);
        let mut txns: Vec<TxnId> = inner
            .held
            .keys()
            .chain(inner.waiting.keys())
            .copied()
            .collect();
        txns.sort_unstable();
        txns.dedup();
        let mut out = Vec::new();
        for txn in txns {
            for target in inner.held.get(&txn).into_iter().flatten() {
                if let Some(mode) = inner.holders.get(target).and_then(|h| h.get(&txn)) {
                    out.push(LockEntry {
                        txn,
                        pid: pid(&txn),
                        target: target.clone(),
                        mode: *mode,
                        granted: true,
                        wait_start: None,
                        blocked_by: Vec::new(),
                    });
                }
            }
            if let Some((target, mode)) = inner.waiting.get(&txn) {
                let mut blocked_by: Vec<i32> =
                    inner.blockers(txn, target, *mode).iter().map(pid).collect();
                blocked_by.sort_unstable();
                blocked_by.dedup();
                out.push(LockEntry {
                    txn,
                    pid: pid(&txn),
                    target: target.clone(),
                    mode: *mode,
                    granted: false,
                    wait_start: inner.owners.get(&txn).and_then(|o| o.wait_start),
                    blocked_by,
                });
            }
        }
        out
    }

    /// Releases every lock `txn` holds and wakes all waiters.
    pub fn release_all(&self, txn: TxnId) {
        let mut inner = self.lock();
        inner.waiting.remove(&txn);
        inner.owners.remove(&txn);
        for target in inner.held.remove(&txn).unwrap_or_default() {
            if let Some(h) = inner.holders.get_mut(&target) {
                h.remove(&txn);
                if h.is_empty() {
                    inner.holders.remove(&target);
                }
            }
        }
        // Waiters register under the mutex before they sleep: with none registered there
        // is no one to wake, and the wake-up (a futex call even then) is skipped — it ran
        // at the end of every transaction.
        let anyone_waiting = !inner.waiting.is_empty();
        drop(inner);
        if anyone_waiting {
            self.released.notify_all();
        }
    }
}

/// `e` as `pg_locks` shows it: a table lock is a `relation` lock whose PostgreSQL mode has
/// the same conflicts (shared: `AccessShareLock`, conflicting only with exclusive:
/// `AccessExclusiveLock`), a row or unique-key lock a `tuple` lock on the table or index, a
/// name being created an `object` lock.
pub fn lock_info(e: LockEntry, catalog: &super::catalog::EngineCatalog) -> sql::storage::LockInfo {
    let (locktype, relation, mode) = match &e.target {
        LockTarget::Table(t) => (
            "relation",
            Some(*t),
            match e.mode {
                LockMode::Shared => "AccessShareLock",
                LockMode::Exclusive => "AccessExclusiveLock",
            },
        ),
        LockTarget::Row(t, _) => ("tuple", Some(*t), "ExclusiveLock"),
        LockTarget::Key(rel, _) => {
            let index = catalog.tables.values().find_map(|t| {
                t.index_rels
                    .iter()
                    .find(|(_, r)| *r == rel)
                    .map(|(oid, _)| *oid)
                    .or_else(|| (t.rel == *rel).then_some(t.def.id))
            });
            ("tuple", index, "ExclusiveLock")
        }
        LockTarget::Name(_) => ("object", None, "AccessExclusiveLock"),
        LockTarget::Advisory { .. } => (
            "advisory",
            None,
            match e.mode {
                LockMode::Shared => "ShareLock",
                LockMode::Exclusive => "ExclusiveLock",
            },
        ),
    };
    let object = match &e.target {
        LockTarget::Advisory { key, two_part } => Some((
            (*key >> 32) as u32,
            *key as u32,
            if *two_part { 2 } else { 1 },
        )),
        _ => None,
    };
    sql::storage::LockInfo {
        locktype,
        relation,
        object,
        mode,
        granted: e.granted,
        pid: e.pid,
        txn: e.txn,
        wait_start: e.wait_start.map(sql::types::datetime::from_system_time),
        blocked_by: e.blocked_by,
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

    #[test]
    fn a_snapshot_lists_holders_and_waiters() {
        let locks = std::sync::Arc::new(LockManager::new(None));
        let row = LockTarget::Row(7, b"k".to_vec());
        locks
            .acquire(1, LockTarget::Table(7), LockMode::Shared)
            .unwrap();
        locks.acquire(1, row.clone(), LockMode::Exclusive).unwrap();
        let waiter = {
            let (locks, row) = (locks.clone(), row.clone());
            std::thread::spawn(move || locks.acquire(2, row, LockMode::Exclusive))
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while locks.waiters() == 0 {
            assert!(Instant::now() < deadline, "the waiter never blocked");
            std::thread::sleep(Duration::from_millis(5));
        }
        let snap = locks.snapshot();
        let summary: Vec<(TxnId, bool)> = snap.iter().map(|e| (e.txn, e.granted)).collect();
        assert_eq!(summary, [(1, true), (1, true), (2, false)]);
        let wait = &snap[2];
        assert_eq!(wait.target, row);
        assert!(wait.wait_start.is_some());
        assert_eq!(wait.blocked_by, [0], "the holder's pid (no session here)");
        locks.release_all(1);
        assert_eq!(waiter.join().expect("waiter"), Ok(()));
        let snap = locks.snapshot();
        assert_eq!(snap.len(), 1);
        assert!(snap[0].granted && snap[0].txn == 2 && snap[0].wait_start.is_none());
        locks.release_all(2);
        assert!(locks.snapshot().is_empty());
    }
}
