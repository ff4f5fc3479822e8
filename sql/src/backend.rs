//! The session's view of the server around it: its own backend process id (the pid the
//! client got in BackendKeyData) and the other sessions of the same server, which
//! `pg_stat_activity`, `pg_cancel_backend(pid)` and `pg_terminate_backend(pid)` reach.
//!
//! The server (the compute's pgwire front end) owns the registry of sessions and implements
//! [`Server`]; each connection's thread makes its [`Backend`] current with
//! [`Backend::install`], the same way it installs its [`crate::Interrupt`], and the functions
//! evaluated on that thread read it with [`current`]. A thread with no backend installed (a
//! test over [`crate::memory::MemoryStorage`]) sees pid 0 and no other sessions.

use std::cell::RefCell;
use std::sync::Arc;

/// One session as `pg_stat_activity` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub pid: i32,
    pub database: String,
    pub user: String,
    pub application_name: String,
    /// The client's IP address and port (`None` for a Unix socket).
    pub client_addr: Option<String>,
    pub client_port: Option<i32>,
    /// Microseconds since the Unix epoch.
    pub backend_start_us: i64,
    pub xact_start_us: Option<i64>,
    pub query_start_us: Option<i64>,
    pub state_change_us: Option<i64>,
    /// `active`, `idle`, `idle in transaction` or `idle in transaction (aborted)`.
    pub state: String,
    /// The running statement's text, or the last one's when idle.
    pub query: String,
}

/// What a server offers its sessions.
pub trait Server: Send + Sync {
    /// Every client session, in pid order.
    fn activity(&self) -> Vec<Activity>;
    /// Cancels the running statement of backend `pid`; whether such a backend exists.
    fn cancel_backend(&self, pid: i32) -> bool;
    /// Ends backend `pid`'s session (its connection is closed with 57P01); whether such a
    /// backend exists.
    fn terminate_backend(&self, pid: i32) -> bool;
}

/// This session's place in its server.
#[derive(Clone)]
pub struct Backend {
    pub pid: i32,
    /// The user and database the client connected as.
    pub user: String,
    pub database: String,
    pub server: Arc<dyn Server>,
}

thread_local! {
    static CURRENT: RefCell<Option<Backend>> = const { RefCell::new(None) };
}

impl Backend {
    /// Makes this the backend of the calling thread until the guard is dropped.
    pub fn install(&self) -> Installed {
        let previous = CURRENT.with(|c| c.replace(Some(self.clone())));
        Installed { previous }
    }
}

/// Keeps a [`Backend`] current on its thread; see [`Backend::install`].
#[must_use = "the backend is current only while the guard lives"]
pub struct Installed {
    previous: Option<Backend>,
}

impl Drop for Installed {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

/// The calling thread's backend, if one is installed.
pub fn current() -> Option<Backend> {
    CURRENT.with(|c| c.borrow().clone())
}

/// The calling thread's backend pid (0 when none is installed).
pub fn pid() -> i32 {
    CURRENT.with(|c| c.borrow().as_ref().map_or(0, |b| b.pid))
}

/// The user and database of the calling thread's session (`strata`, `postgres` when no
/// backend is installed).
pub fn user_and_database() -> (String, String) {
    CURRENT.with(|c| match c.borrow().as_ref() {
        Some(b) => (b.user.clone(), b.database.clone()),
        None => ("strata".into(), "postgres".into()),
    })
}
