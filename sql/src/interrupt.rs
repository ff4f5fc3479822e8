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
//! `time_out(ticket)` is the same transition for `statement_timeout`, but only for the command
//! the ticket was issued to ([`Interrupt::start`] returns it), so a late timer never stops a
//! later command; [`check`] then fails with 57014 "canceling statement due to statement
//! timeout". [`arm`] (or [`arm_current`], as the session does per statement) sets such a timer on one process-wide watchdog thread; dropping the
//! returned [`Armed`] disarms it (the common case: the statement finished first).
//!
//! The thread running the session makes its interrupt *current* with [`Interrupt::install`];
//! long loops then call [`check`], which fails with [`Error::QueryCanceled`] (57014) once the
//! current interrupt is canceled. The executor checks in its leaf operators and row loops;
//! storage engines may check in their waits (the compute's lock manager does). A thread with no
//! interrupt installed never fails a check. The check is one thread-local read and one atomic
//! load.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::{Error, Result};

const IDLE: u8 = 0;
const RUNNING: u8 = 1;
const CANCELED: u8 = 2;
const TIMED_OUT: u8 = 3;
const SHUT_DOWN: u8 = 4;

/// A cancel signal for one session's commands. Clones share the signal. See the module docs.
#[derive(Clone, Debug, Default)]
pub struct Interrupt(Arc<State>);

#[derive(Debug, Default)]
struct State {
    state: AtomicU8,
    /// Counts commands: the ticket of the running one.
    command: AtomicU64,
}

thread_local! {
    static CURRENT: RefCell<Option<Interrupt>> = const { RefCell::new(None) };
}

impl Interrupt {
    pub fn new() -> Interrupt {
        Interrupt::default()
    }

    /// A command starts: cancel requests from now on apply to it. Returns its ticket (for
    /// [`Interrupt::time_out`]).
    pub fn start(&self) -> u64 {
        let ticket = self.0.command.fetch_add(1, Ordering::SeqCst) + 1;
        self.0.state.store(RUNNING, Ordering::SeqCst);
        ticket
    }

    /// The command ended: cancel requests are ignored until the next [`Interrupt::start`].
    pub fn finish(&self) {
        self.0.state.store(IDLE, Ordering::SeqCst);
    }

    /// Asks the running command to stop. Returns whether a command was running (otherwise
    /// the request has no effect).
    pub fn cancel(&self) -> bool {
        self.0
            .state
            .compare_exchange(RUNNING, CANCELED, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }

    /// Stops the running command because the server is closing its sessions: the command
    /// fails with [`Error::AdminShutdown`] (57P01), which the front end sends as the FATAL
    /// that ends the connection — never as a 57014 the client could retry on this server.
    /// Returns whether a command was running.
    pub fn shut_down(&self) -> bool {
        self.0
            .state
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |s| {
                matches!(s, RUNNING | CANCELED | TIMED_OUT).then_some(SHUT_DOWN)
            })
            .is_ok()
    }

    /// Stops the command of `ticket` for its statement timeout, if it still runs.
    pub fn time_out(&self, ticket: u64) -> bool {
        self.0.command.load(Ordering::SeqCst) == ticket
            && self
                .0
                .state
                .compare_exchange(RUNNING, TIMED_OUT, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
    }

    /// Whether the running command has been asked to stop (canceled, timed out or shut down).
    pub fn is_canceled(&self) -> bool {
        matches!(
            self.0.state.load(Ordering::Relaxed),
            CANCELED | TIMED_OUT | SHUT_DOWN
        )
    }

    /// The error a stopped command fails with (`None`: it was not stopped).
    pub fn error(&self) -> Option<Error> {
        match self.0.state.load(Ordering::Relaxed) {
            CANCELED => Some(Error::QueryCanceled),
            TIMED_OUT => Some(Error::QueryCanceledWith(
                "canceling statement due to statement timeout".into(),
            )),
            SHUT_DOWN => Some(Error::AdminShutdown),
            _ => None,
        }
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

/// Fails with 57014 if the calling thread's current interrupt is canceled or timed out.
pub fn check() -> Result<()> {
    CURRENT.with(|c| match c.borrow().as_ref().and_then(Interrupt::error) {
        Some(e) => Err(e),
        None => Ok(()),
    })
}

/// The timers of [`arm`], on one thread for the whole process.
struct Watchdog {
    timers: Mutex<BTreeMap<(Instant, u64), (Interrupt, u64)>>,
    changed: Condvar,
    next_id: AtomicU64,
}

fn watchdog() -> &'static Watchdog {
    static WATCHDOG: OnceLock<&'static Watchdog> = OnceLock::new();
    WATCHDOG.get_or_init(|| {
        let w: &'static Watchdog = Box::leak(Box::new(Watchdog {
            timers: Mutex::new(BTreeMap::new()),
            changed: Condvar::new(),
            next_id: AtomicU64::new(0),
        }));
        std::thread::Builder::new()
            .name("statement-timeouts".into())
            .spawn(move || w.run())
            .expect("spawn the statement-timeout thread");
        w
    })
}

impl Watchdog {
    fn run(&self) {
        let mut timers = self.timers.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let now = Instant::now();
            while let Some(entry) = timers.first_entry() {
                if entry.key().0 > now {
                    break;
                }
                let (interrupt, ticket) = entry.remove();
                interrupt.time_out(ticket);
            }
            timers = match timers.keys().next().map(|(at, _)| *at) {
                Some(at) => {
                    let wait = at.saturating_duration_since(Instant::now());
                    self.changed
                        .wait_timeout(timers, wait)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
                None => self.changed.wait(timers).unwrap_or_else(|p| p.into_inner()),
            };
        }
    }
}

/// A statement timeout set with [`arm`]; dropping it disarms the timer.
#[must_use = "the timer is disarmed when this is dropped"]
pub struct Armed {
    key: (Instant, u64),
}

impl Drop for Armed {
    fn drop(&mut self) {
        let w = watchdog();
        w.timers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.key);
    }
}

/// [`arm`] for the calling thread's current interrupt and its running command (`None`: no
/// interrupt installed, or no command running).
pub fn arm_current(after: Duration) -> Option<Armed> {
    CURRENT.with(|c| {
        let c = c.borrow();
        let i = c.as_ref()?;
        (i.0.state.load(Ordering::SeqCst) == RUNNING)
            .then(|| arm(i, i.0.command.load(Ordering::SeqCst), after))
    })
}

/// Times out the command of `ticket` on `interrupt` after `after` (`statement_timeout`),
/// unless the returned [`Armed`] is dropped first.
pub fn arm(interrupt: &Interrupt, ticket: u64, after: Duration) -> Armed {
    let w = watchdog();
    let key = (
        Instant::now() + after,
        w.next_id.fetch_add(1, Ordering::Relaxed),
    );
    let mut timers = w.timers.lock().unwrap_or_else(|p| p.into_inner());
    let earliest = timers.keys().next().is_none_or(|k| key < *k);
    timers.insert(key, (interrupt.clone(), ticket));
    drop(timers);
    if earliest {
        w.changed.notify_one();
    }
    Armed { key }
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
    fn a_timeout_stops_only_the_command_it_was_armed_for() {
        let i = Interrupt::new();
        let _g = i.install();
        let first = i.start();
        let _armed = arm(&i, first, Duration::from_millis(20));
        let deadline = Instant::now() + Duration::from_secs(10);
        while check().is_ok() {
            assert!(Instant::now() < deadline, "the timer never fired");
            std::thread::sleep(Duration::from_millis(5));
        }
        let e = check().unwrap_err();
        assert_eq!(e.code(), "57014");
        assert_eq!(
            e.to_string(),
            "canceling statement due to statement timeout"
        );
        i.finish();

        // A timer of an earlier command never stops a later one, and a disarmed one never fires.
        let second = i.start();
        assert!(!i.time_out(first));
        drop(arm(&i, second, Duration::from_millis(10)));
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(check(), Ok(()));
        assert!(i.time_out(second));
        assert!(check().is_err());
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

    #[test]
    fn a_shutdown_stops_the_running_command_with_57p01_and_only_it() {
        let i = Interrupt::new();
        assert!(!i.shut_down(), "nothing runs: nothing to stop");
        let _g = i.install();
        i.start();
        assert!(i.cancel());
        assert!(i.shut_down(), "a shutdown overrides a pending cancel");
        assert_eq!(check(), Err(Error::AdminShutdown));
        assert_eq!(Error::AdminShutdown.code(), "57P01");
        i.finish();
        assert_eq!(check(), Ok(()));
    }
}
