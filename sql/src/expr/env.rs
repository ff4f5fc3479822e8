//! The running statement's environment: what expressions and system relations may reach
//! besides their input row — the statement's catalog, the storage's non-transactional
//! [`Services`] (sequences, sizes), session state (`currval`, settings, the user) and the
//! session list.
//!
//! Expression evaluation is pure (`Expr::eval(row, params)`); the few functions that need
//! more (`nextval`, `pg_get_indexdef`, `'t'::regclass`, `current_setting`, ...) read the
//! [`Env`] the session installs on its thread for the duration of one statement
//! ([`enter`]), as [`crate::interrupt`] does for cancellation. Outside a statement (binding
//! a prepared statement, unit tests) there is none, and such functions fail with XX000.

use crate::storage::{Catalog, Oid, Services};
use crate::{Error, Result};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// Sequence values this session obtained (`currval`, `lastval`).
#[derive(Debug, Default)]
pub struct SequenceValues {
    pub values: HashMap<Oid, i64>,
    pub last: Option<Oid>,
}

/// One backend, as `pg_stat_activity` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Backend {
    pub pid: i32,
    pub user: String,
    pub application_name: String,
    pub client_addr: Option<String>,
    /// `active`, `idle`, `idle in transaction`, ...
    pub state: String,
    pub query: String,
    /// Microseconds since the Unix epoch.
    pub backend_start_us: i64,
}

/// The session list a front end provides (`pg_stat_activity`, `pg_cancel_backend`,
/// `pg_terminate_backend`). Without one, a session knows only itself.
pub trait Activity: Send + Sync {
    fn backends(&self) -> Vec<Backend>;
    /// Cancels the running statement of backend `pid`; whether it exists.
    fn cancel(&self, pid: i32) -> bool;
    /// Closes backend `pid`'s connection; whether it exists.
    fn terminate(&self, pid: i32) -> bool;
}

/// What a statement's expressions may read besides their row. See the module docs.
pub struct Env {
    pub catalog: Arc<Catalog>,
    pub services: Arc<dyn Services>,
    /// Schemas searched for unqualified names.
    pub search_path: Vec<Oid>,
    /// Session settings (`current_setting`, `pg_settings`).
    pub settings: BTreeMap<String, String>,
    pub user: String,
    pub sequences: Arc<Mutex<SequenceValues>>,
    /// This backend (pid, state, the statement's text).
    pub backend: Backend,
    pub activity: Option<Arc<dyn Activity>>,
}

impl Env {
    /// The sessions `pg_stat_activity` lists: the front end's, or just this one.
    pub fn backends(&self) -> Vec<Backend> {
        match &self.activity {
            Some(a) => a.backends(),
            None => vec![self.backend.clone()],
        }
    }

    /// The session's sequence values (poison-tolerant: they are plain numbers).
    pub fn sequence_values(&self) -> std::sync::MutexGuard<'_, SequenceValues> {
        self.sequences.lock().unwrap_or_else(|p| p.into_inner())
    }
}

thread_local! {
    static ENV: RefCell<Option<Arc<Env>>> = const { RefCell::new(None) };
}

/// Restores the previous environment when dropped.
pub struct Guard {
    previous: Option<Arc<Env>>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        ENV.with(|e| *e.borrow_mut() = previous);
    }
}

/// Installs `env` on this thread until the guard drops.
pub fn enter(env: Arc<Env>) -> Guard {
    let previous = ENV.with(|e| e.borrow_mut().replace(env));
    Guard { previous }
}

/// The current environment (XX000 outside a statement).
pub fn current() -> Result<Arc<Env>> {
    ENV.with(|e| e.borrow().clone())
        .ok_or_else(|| Error::Internal("no statement environment on this thread".into()))
}

/// The current environment, if a statement runs on this thread.
pub fn try_current() -> Option<Arc<Env>> {
    ENV.with(|e| e.borrow().clone())
}
