//! The session environment that evaluation and text output depend on: the `TimeZone`
//! setting, the transaction's and statement's start times (`now()`,
//! `statement_timestamp()`), the [`ObjectLookup`] that resolves `regclass` / `regproc`
//! names, and the session's identity and settings ([`SessionInfo`]: `current_user`,
//! `pg_backend_pid()`; its [`Settings`] are the one store SET, SHOW, RESET,
//! `current_setting` and `set_config` read and change), and — while a statement runs —
//! its [`CatalogEnv`]: the statement's catalog, the storage's non-transactional
//! [`Services`] (sequences, sizes), session state (`currval`, the user) and the server's
//! session list ([`Activity`]), which `nextval`, `pg_get_indexdef`, `pg_stat_activity`,
//! `pg_cancel_backend` and their kin read.
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
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::settings::Settings;
use crate::storage::{Catalog, Oid, Services};
use crate::types::datetime::zone::Zone;
use crate::types::oid::ObjectLookup;
use crate::{Error, Result};

/// See the module docs.
#[derive(Clone)]
pub struct Env {
    pub time_zone: Zone,
    /// The `IntervalStyle` setting, for interval output.
    pub interval_style: crate::types::datetime::interval_style::IntervalStyle,
    /// The `DateStyle` setting, for date/time input order and output.
    pub date_style: crate::types::datetime::style::DateStyle,
    /// The `extra_float_digits` and `bytea_output` settings, for float and bytea output.
    pub output: OutputSettings,
    /// `now()`: the start of the current transaction, in PostgreSQL microseconds
    /// (since 2000-01-01 00:00 UTC).
    pub transaction_start: i64,
    /// `statement_timestamp()`.
    pub statement_start: i64,
    /// Resolves relation and function names and OIDs (`regclass`, `regproc`).
    pub lookup: Option<Arc<dyn ObjectLookup>>,
    pub session: Arc<SessionInfo>,
    /// The running statement's catalog and session state (see [`CatalogEnv`]).
    pub catalog: Option<Arc<CatalogEnv>>,
}

/// The settings that change how floats and bytea values print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputSettings {
    /// `extra_float_digits`: 1 (the default) and above print the shortest exact digits;
    /// 0 and below print `15 + n` (float8) or `6 + n` (float4) significant digits.
    pub extra_float_digits: i32,
    /// `bytea_output = escape` (rather than `hex`).
    pub bytea_escape: bool,
}

impl Default for OutputSettings {
    fn default() -> OutputSettings {
        OutputSettings {
            extra_float_digits: 1,
            bytea_escape: false,
        }
    }
}

impl OutputSettings {
    /// The settings as the session has them.
    pub fn from_session(info: &SessionInfo) -> OutputSettings {
        OutputSettings {
            extra_float_digits: info
                .setting("extra_float_digits")
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(1),
            bytea_escape: info
                .setting("bytea_output")
                .is_some_and(|s| s.eq_ignore_ascii_case("escape")),
        }
    }
}

/// Who the session is (set by the front end from the startup packet) and its settings,
/// shared by the [`Session`](crate::Session) (SET / SHOW / RESET, transaction ends) and the
/// functions that read or change them (`current_setting`, `set_config`): one store, so a
/// `set_config` in a SELECT is seen by the next SHOW and undone by a ROLLBACK like a SET.
#[derive(Debug)]
pub struct SessionInfo {
    pub user: String,
    pub database: String,
    /// The backend process id the client was told (BackendKeyData).
    pub backend_pid: i32,
    settings: Mutex<Settings>,
    /// Whether the session took advisory locks: transaction-level ones in its current
    /// transaction (released when it ends), session-level ones ever (released at the
    /// session's end).
    pub advisory_xact: std::sync::atomic::AtomicBool,
    pub advisory_session: std::sync::atomic::AtomicBool,
    /// The current transaction's id once `txid_current()` assigned one (0: none yet); see
    /// [`crate::expr::functions::system::transaction_id`].
    pub xid: std::sync::atomic::AtomicU64,
    /// The running statement's transaction is read-only (`nextval()` and `setval()`
    /// refuse to run; see `session/read_only.rs`).
    pub read_only: std::sync::atomic::AtomicBool,
    /// The session created its temporary schema (it drops it when it ends).
    pub temp_schema: std::sync::atomic::AtomicBool,
    /// LISTEN / NOTIFY state (`pg_notify`, `pg_listening_channels`); kept when the session
    /// user changes.
    pub notify: Arc<crate::notify::SessionNotify>,
    /// `SET CONSTRAINTS` modes and the deferred foreign key checks of the open transaction
    /// (`crate::executor::deferred`); kept when the session user changes.
    pub deferred: Arc<crate::executor::deferred::Deferred>,
    /// The open cursors (SQL's DECLARE, PL/pgSQL's OPEN); kept when the session user
    /// changes.
    pub cursors: Arc<crate::cursor::Cursors>,
}

impl SessionInfo {
    pub fn new(user: &str, database: &str, backend_pid: i32, settings: Settings) -> SessionInfo {
        SessionInfo {
            user: user.to_string(),
            database: database.to_string(),
            backend_pid,
            settings: Mutex::new(settings),
            advisory_xact: Default::default(),
            advisory_session: Default::default(),
            xid: Default::default(),
            read_only: Default::default(),
            temp_schema: Default::default(),
            notify: Default::default(),
            deferred: Default::default(),
            cursors: Default::default(),
        }
    }

    /// The settings, to read or change. Never hold the guard across a statement's
    /// execution: the functions it evaluates lock them too.
    pub fn settings(&self) -> MutexGuard<'_, Settings> {
        // A poisoned lock only means a panic elsewhere; every change is one map operation.
        self.settings.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A setting's current value (`None`: unknown, or a custom one never set).
    pub fn setting(&self, name: &str) -> Option<String> {
        self.settings().get(name)
    }
}

impl Default for SessionInfo {
    fn default() -> SessionInfo {
        SessionInfo::new("postgres", "postgres", 0, Settings::new())
    }
}

/// Sequence values this session obtained (`currval`, `lastval`).
#[derive(Debug, Default)]
pub struct SequenceValues {
    pub values: HashMap<Oid, i64>,
    pub last: Option<Oid>,
}

/// One backend, as `pg_stat_activity` shows it. Times are PostgreSQL microseconds (since
/// 2000-01-01 00:00 UTC).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Backend {
    pub pid: i32,
    pub database: String,
    pub user: String,
    pub application_name: String,
    /// The client's IP address and port (`None` for a Unix socket or in-process).
    pub client_addr: Option<String>,
    pub client_port: Option<i32>,
    /// `active`, `idle`, `idle in transaction` or `idle in transaction (aborted)`.
    pub state: String,
    /// The running statement's text, or the last one's when idle.
    pub query: String,
    pub backend_start: i64,
    pub xact_start: Option<i64>,
    pub query_start: Option<i64>,
    pub state_change: Option<i64>,
}

/// The session list a server provides (`pg_stat_activity`, `pg_cancel_backend`,
/// `pg_terminate_backend`): the compute front end's session registry implements it and
/// gives it to each session ([`Session::set_activity`](crate::Session::set_activity)).
/// Without one, a session knows only itself and can signal no one.
pub trait Activity: Send + Sync {
    /// Every client session, in pid order.
    fn backends(&self) -> Vec<Backend>;
    /// Cancels the running statement of backend `pid`; whether it exists.
    fn cancel(&self, pid: i32) -> bool;
    /// Ends backend `pid`'s session (its connection closes with 57P01); whether it exists.
    fn terminate(&self, pid: i32) -> bool;
}

/// What a running statement's expressions and system relations read besides their rows.
#[derive(Clone)]
pub struct CatalogEnv {
    pub catalog: Arc<Catalog>,
    pub services: Arc<dyn Services>,
    /// Schemas searched for unqualified names.
    pub search_path: Vec<Oid>,
    pub user: String,
    pub sequences: Arc<Mutex<SequenceValues>>,
    /// This backend (pid, state, the statement's text).
    pub backend: Backend,
    pub activity: Option<Arc<dyn Activity>>,
    /// What the statement's operators did to each table (`pg_stat_user_tables`).
    pub counts: Arc<crate::system::table_stats::StatementCounts>,
    /// The session's named prepared statements (`pg_prepared_statements`).
    pub prepared: crate::session::NamedStatements,
}

impl CatalogEnv {
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

/// Installs a copy of the current environment whose catalog is `catalog` (a DDL statement
/// evaluating expressions after changing the catalog, e.g. a new column's `nextval`
/// default over the sequence just created); `None` outside a statement.
pub fn with_catalog(catalog: Arc<Catalog>) -> Option<EnvGuard> {
    let current = current();
    let mut cenv = (**current.catalog.as_ref()?).clone();
    cenv.catalog = catalog;
    let cenv = Arc::new(cenv);
    let lookup: Arc<dyn ObjectLookup> = cenv.clone();
    Some(install(Arc::new(Env {
        catalog: Some(cenv),
        lookup: Some(lookup),
        ..(*current).clone()
    })))
}

/// The running statement's [`CatalogEnv`] (XX000 outside a statement).
pub fn catalog() -> Result<Arc<CatalogEnv>> {
    with(|e| e.catalog.clone())
        .ok_or_else(|| Error::Internal("no statement environment on this thread".into()))
}

impl Default for Env {
    fn default() -> Env {
        let now = crate::types::datetime::clock_now();
        Env {
            time_zone: Zone::utc(),
            interval_style: Default::default(),
            date_style: Default::default(),
            output: OutputSettings::default(),
            transaction_start: now,
            statement_start: now,
            lookup: None,
            session: Arc::new(SessionInfo::default()),
            catalog: None,
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
