//! The session environment that evaluation and text output depend on: the `TimeZone`
//! setting, the transaction's and statement's start times (`now()`,
//! `statement_timestamp()`), and the [`ObjectLookup`] that resolves `regclass` / `regproc`
//! names.
//!
//! Expressions are evaluated and values printed far from the session (in executor operators,
//! in casts folded at bind time, in the pgwire encoder), so the environment is *installed*
//! on the running thread, like [`crate::interrupt`]'s current interrupt, instead of being
//! passed through every call: [`Session`](crate::Session) installs its environment for the
//! duration of each statement, and whoever formats a statement's rows later installs
//! [`Session::env`](crate::Session::env) around the formatting. Installing returns a guard
//! that restores the previous environment, so nested sessions on one thread (tests running
//! several connections) never see each other's settings. A thread with nothing installed
//! sees [`Env::default`]: UTC, and the current time for every timestamp.

use std::cell::RefCell;
use std::sync::Arc;

use crate::types::datetime::zone::Zone;
use crate::types::oid::ObjectLookup;

/// See the module docs.
#[derive(Clone)]
pub struct Env {
    pub time_zone: Zone,
    /// `now()`: the start of the current transaction, in PostgreSQL microseconds
    /// (since 2000-01-01 00:00 UTC).
    pub transaction_start: i64,
    /// `statement_timestamp()`.
    pub statement_start: i64,
    /// Resolves relation and function names and OIDs (`regclass`, `regproc`).
    pub lookup: Option<Arc<dyn ObjectLookup>>,
}

impl Default for Env {
    fn default() -> Env {
        let now = crate::types::datetime::clock_now();
        Env {
            time_zone: Zone::utc(),
            transaction_start: now,
            statement_start: now,
            lookup: None,
        }
    }
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field("time_zone", &self.time_zone.name())
            .field("transaction_start", &self.transaction_start)
            .field("statement_start", &self.statement_start)
            .finish()
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<Env>>> = const { RefCell::new(None) };
}

/// Restores the previously installed environment when dropped.
pub struct EnvGuard {
    previous: Option<Arc<Env>>,
}

impl Drop for EnvGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

/// Makes `env` the current thread's environment until the guard drops.
pub fn install(env: Arc<Env>) -> EnvGuard {
    let previous = CURRENT.with(|c| c.borrow_mut().replace(env));
    EnvGuard { previous }
}

/// The current thread's environment.
pub fn current() -> Arc<Env> {
    CURRENT
        .with(|c| c.borrow().clone())
        .unwrap_or_else(|| Arc::new(Env::default()))
}

/// Runs `f` with the current environment (no allocation when one is installed).
pub fn with<T>(f: impl FnOnce(&Env) -> T) -> T {
    CURRENT.with(|c| match c.borrow().as_deref() {
        Some(env) => f(env),
        None => f(&Env::default()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_nests_and_restores() {
        let ny = Zone::parse("America/New_York").unwrap();
        let outer = Arc::new(Env {
            time_zone: ny,
            ..Env::default()
        });
        assert_eq!(with(|e| e.time_zone.name().to_string()), "UTC");
        {
            let _g = install(outer);
            assert_eq!(with(|e| e.time_zone.name().to_string()), "America/New_York");
            {
                let _g2 = install(Arc::new(Env::default()));
                assert_eq!(with(|e| e.time_zone.name().to_string()), "UTC");
            }
            assert_eq!(current().time_zone.name().to_string(), "America/New_York");
        }
        assert_eq!(with(|e| e.time_zone.name().to_string()), "UTC");
    }
}
