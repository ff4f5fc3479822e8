//! Statement cancellation, checked cooperatively (PostgreSQL's `CHECK_FOR_INTERRUPTS`).
//!
//! An [`Interrupt`] is shared between the thread that runs a session's commands and whoever
//! may cancel them (the pgwire front end, on a client's CancelRequest). It is a small state
//! machine:
//!
//! ```text
//!   Idle ──start()──▶ Running ──cancel()──▶ Canceled
//!     ▲                  │                     │
//!     └────finish()──────┴─────────────────────┘
//! ```
//!
//! `cancel()` only has an effect while a command runs, so a cancel request that arrives
//! between commands is dropped (as in PostgreSQL) instead of failing the next command.
//!
//! The thread running the session makes its interrupt *current* with [`Interrupt::install`];
//! long loops then call [`check`], which fails with [`Error::QueryCanceled`] (57014) once the
//! current interrupt is canceled. The executor checks in its leaf operators and row loops;
//! storage engines may check in their waits (the compute's lock manager does). A thread with no
//! interrupt installed never fails a check. The check is one thread-local read and one atomic
//! load.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::{Error, Result};

const IDLE: u8 = 0;
const RUNNING: u8 = 1;
const CANCELED: u8 = 2;

/// A cancel signal for one session's commands. Clones share the signal. See the module docs.
#[derive(Clone, Debug, Default)]
pub struct Interrupt(Arc<AtomicU8>);

thread_local! {
    static CURRENT: RefCell<Option<Interrupt>> = const { RefCell::new(None) };
}

impl Interrupt {
    pub fn new() -> Interrupt {
        Interrupt::default()
    }

    /// A command starts: cancel requests from now on apply to it.
    pub fn start(&self) {
        self.0.store(RUNNING, Ordering::SeqCst);
    }

    /// The command ended: cancel requests are ignored until the next [`Interrupt::start`].
    pub fn finish(&self) {
        self.0.store(IDLE, Ordering::SeqCst);
    }

    /// Asks the running command to stop. Returns whether a command was running (otherwise
    /// the request has no effect).
    pub fn cancel(&self) -> bool {
        self.0
            .compare_exchange(RUNNING, CANCELED, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }

    /// Whether the running command has been asked to stop.
    pub fn is_canceled(&self) -> bool {
        self.0.load(Ordering::Relaxed) == CANCELED
    }

    /// Makes this the interrupt that [`check`] consults on the calling thread, until the
    /// returned guard is dropped (which restores the previous one).
    pub fn install(&self) -> Installed {
        let previous = CURRENT.with(|c| c.replace(Some(self.clone())));
        Installed { previous }
    }
}

/// Keeps an [`Interrupt`] current on its thread; see [`Interrupt::install`].
#[must_use = "the interrupt is current only while the guard lives"]
pub struct Installed {
    previous: Option<Interrupt>,
}

impl Drop for Installed {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

/// Fails with [`Error::QueryCanceled`] if the calling thread's current interrupt is canceled.
pub fn check() -> Result<()> {
    CURRENT.with(|c| match &*c.borrow() {
        Some(i) if i.is_canceled() => Err(Error::QueryCanceled),
        _ => Ok(()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_applies_only_to_a_running_command() {
        let i = Interrupt::new();
        let _g = i.install();
        assert!(!i.cancel(), "idle: nothing to cancel");
        assert_eq!(check(), Ok(()));
        i.start();
        assert_eq!(check(), Ok(()));
        assert!(i.cancel());
        assert_eq!(check(), Err(Error::QueryCanceled));
        assert!(!i.cancel(), "already canceled");
        i.finish();
        assert_eq!(check(), Ok(()), "the next command starts clean");
        i.start();
        assert_eq!(check(), Ok(()));
    }

    #[test]
    fn check_sees_only_the_installed_interrupt() {
        let i = Interrupt::new();
        i.start();
        assert!(i.cancel());
        assert_eq!(check(), Ok(()), "not installed on this thread");
        {
            let _g = i.install();
            assert_eq!(check(), Err(Error::QueryCanceled));
            let other = std::thread::spawn(check).join().expect("thread");
            assert_eq!(other, Ok(()), "other threads are unaffected");
        }
        assert_eq!(check(), Ok(()), "the guard uninstalled it");
    }

    #[test]
    fn a_long_statement_stops_with_57014_and_the_session_goes_on() {
        let mut session = crate::Session::new(crate::memory::MemoryStorage::new());
        let i = Interrupt::new();
        let _g = i.install();
        i.start();
        let canceler = {
            let i = i.clone();
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(100));
                i.cancel()
            })
        };
        let started = std::time::Instant::now();
        let r = session.execute(
            "SELECT count(*) FROM generate_series(1, 1000000) a, generate_series(1, 1000000) b",
        );
        assert!(
            canceler.join().expect("canceler"),
            "the statement was running"
        );
        assert_eq!(r, vec![Err(Error::QueryCanceled)]);
        assert_eq!(Error::QueryCanceled.code(), "57014");
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        i.finish();
        i.start();
        let r = session.execute("SELECT 1");
        assert!(r[0].is_ok(), "{r:?}");
    }
}
