//! Advisory locks (`pg_advisory_lock` and friends) over the engine's [`LockManager`].
//!
//! Each client session is one lock owner ([`owner`]: its pid in a range engine
//! transactions never use), so its session-level and transaction-level advisory locks
//! never conflict with each other, while other sessions' do — through the same lock table,
//! waits, cancel and deadlock detection as row and table locks, and listed in `pg_locks`.
//!
//! PostgreSQL counts advisory locks: a key locked twice needs two unlocks. The counts live
//! here, per `(session, key, mode, level)`; the lock manager holds the key for the session
//! while any count of it is above zero (in the stronger mode taken). Transaction-level
//! counts go when the session's transaction ends ([`AdvisoryLocks::release`] with
//! `xact_only`), everything when the session ends.
//!
//! Invariant: the lock manager holds `Advisory { key }` for a session's owner exactly when
//! some count of that session and key is positive.

use std::collections::HashMap;
use std::sync::Mutex;

use sql::storage::AdvisoryKey;

use super::locks::{LockError, LockManager, LockMode, LockTarget, TxnId};

/// The lock owner of session `pid`: above every engine transaction id.
pub fn owner(pid: i32) -> TxnId {
    (1 << 62) | u64::from(pid as u32)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Count {
    pid: i32,
    key: AdvisoryKey,
    shared: bool,
    xact: bool,
}

/// The per-session counts of advisory locks (see the module docs).
#[derive(Default)]
pub struct AdvisoryLocks {
    counts: Mutex<HashMap<Count, u32>>,
}

fn target(key: AdvisoryKey) -> LockTarget {
    LockTarget::Advisory {
        key: key.key,
        two_part: key.two_part,
    }
}

impl AdvisoryLocks {
    fn counts(&self) -> std::sync::MutexGuard<'_, HashMap<Count, u32>> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes `key` for session `pid` (waiting if `wait`); whether it was taken.
    pub fn lock(
        &self,
        locks: &LockManager,
        pid: i32,
        key: AdvisoryKey,
        shared: bool,
        xact: bool,
        wait: bool,
    ) -> Result<bool, LockError> {
        let mode = if shared {
            LockMode::Shared
        } else {
            LockMode::Exclusive
        };
        // A session holding the key exclusively already has it in either mode.
        let held_exclusive = self
            .counts()
            .iter()
            .any(|(c, n)| c.pid == pid && c.key == key && !c.shared && *n > 0);
        if !held_exclusive {
            if wait {
                locks.acquire(owner(pid), target(key), mode)?;
            } else if !locks.try_acquire(owner(pid), target(key), mode) {
                return Ok(false);
            }
        }
        *self
            .counts()
            .entry(Count {
                pid,
                key,
                shared,
                xact,
            })
            .or_default() += 1;
        Ok(true)
    }

    /// Undoes one session-level lock of `key` in the given mode; false if there is none.
    pub fn unlock(&self, locks: &LockManager, pid: i32, key: AdvisoryKey, shared: bool) -> bool {
        let mut counts = self.counts();
        let c = Count {
            pid,
            key,
            shared,
            xact: false,
        };
        match counts.get_mut(&c) {
            Some(n) if *n > 0 => {
                *n -= 1;
                if *n == 0 {
                    counts.remove(&c);
                }
            }
            _ => return false,
        }
        let still = counts.iter().any(|(c, _)| c.pid == pid && c.key == key);
        drop(counts);
        if !still {
            locks.release(owner(pid), &target(key));
        }
        true
    }

    /// Releases session `pid`'s transaction-level locks (`xact_only`) or all of them.
    pub fn release(&self, locks: &LockManager, pid: i32, xact_only: bool) {
        let mut counts = self.counts();
        let gone: Vec<AdvisoryKey> = counts
            .keys()
            .filter(|c| c.pid == pid && (c.xact || !xact_only))
            .map(|c| c.key)
            .collect();
        if gone.is_empty() {
            return;
        }
        counts.retain(|c, _| c.pid != pid || (xact_only && !c.xact));
        let mut released = Vec::new();
        for key in gone {
            if !released.contains(&key) && !counts.keys().any(|c| c.pid == pid && c.key == key) {
                released.push(key);
            }
        }
        drop(counts);
        for key in released {
            locks.release(owner(pid), &target(key));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K: AdvisoryKey = AdvisoryKey {
        key: 42,
        two_part: false,
    };

    #[test]
    fn locks_count_and_sessions_conflict() {
        let (locks, adv) = (LockManager::new(None), AdvisoryLocks::default());
        assert_eq!(adv.lock(&locks, 1, K, false, false, false), Ok(true));
        assert_eq!(
            adv.lock(&locks, 1, K, false, false, false),
            Ok(true),
            "reentrant"
        );
        assert_eq!(
            adv.lock(&locks, 1, K, true, true, false),
            Ok(true),
            "own modes agree"
        );
        assert_eq!(adv.lock(&locks, 2, K, true, false, false), Ok(false));
        assert!(adv.unlock(&locks, 1, K, false));
        assert_eq!(
            adv.lock(&locks, 2, K, false, false, false),
            Ok(false),
            "one count left"
        );
        assert!(adv.unlock(&locks, 1, K, false));
        assert!(!adv.unlock(&locks, 1, K, false), "no more session locks");
        assert_eq!(
            adv.lock(&locks, 2, K, false, false, false),
            Ok(false),
            "the xact lock"
        );
        adv.release(&locks, 1, true);
        assert_eq!(adv.lock(&locks, 2, K, false, false, false), Ok(true));
        assert!(locks.snapshot().iter().all(|e| e.txn == owner(2)));
        adv.release(&locks, 2, false);
        assert!(locks.snapshot().is_empty());
    }

    #[test]
    fn shared_locks_share() {
        let (locks, adv) = (LockManager::new(None), AdvisoryLocks::default());
        assert_eq!(adv.lock(&locks, 1, K, true, false, false), Ok(true));
        assert_eq!(adv.lock(&locks, 2, K, true, false, false), Ok(true));
        assert_eq!(adv.lock(&locks, 3, K, false, false, false), Ok(false));
        adv.release(&locks, 1, false);
        adv.release(&locks, 2, false);
        assert_eq!(adv.lock(&locks, 3, K, false, false, false), Ok(true));
    }
}
