//! One connection, one thread: the bridge between the async pgwire handlers
//! and the synchronous SQL layer.
//!
//! `sql::Session` is synchronous (storage calls that miss the page cache
//! block), so each connection runs on a dedicated thread with its own
//! current-thread tokio runtime ([`spawn_connection`]): the socket I/O of
//! pgwire and the session's statements run on that one thread, the way a
//! PostgreSQL backend process reads, executes and writes. A statement
//! therefore costs no thread hand-off: the earlier design (handlers on the
//! shared runtime, the session on its own thread, a channel and a oneshot
//! between them) paid two cross-thread wake-ups per statement, which were
//! most of a point SELECT's time in a profile (`finish_task_switch`).
//!
//! Blocking inside the handlers is correct here because the runtime serves
//! only this connection. The session is dropped — rolling back whatever
//! transaction was open — when the connection's handlers are.
//!
//! Cancellation: the session's [`Interrupt`] is installed on the
//! connection's thread, so the executor and lock waits see it; each command
//! is bracketed by [`Interrupt::start`]/[`Interrupt::finish`], so a cancel
//! request (served on another connection's thread) reaches exactly the
//! command in flight.
//!
//! Nothing unsafe to say leaves a command ([`SessionHandle`]'s `call`): a
//! stopped compute runs no command; after one, the session's storage handle
//! is settled ([`super::backend::Backend::settle`]: what it observed is
//! durable) before anything is returned; then [`screen`] turns an outcome the
//! compute cannot know (08006) into a [`Fatal`] and keeps every result of a
//! compute that stopped meanwhile from going out (its definite errors still
//! do).

use std::sync::{Arc, Mutex};

use sql::types::{DataType, Value};
use sql::{Interrupt, PreparedInfo, Session, StatementResult};

use super::backend::Backend;

/// What the handlers ask of a session, with the storage type erased.
trait SessionOps: Send {
    fn simple(&mut self, sql: &str) -> (Vec<sql::Result<StatementResult>>, char);
    fn prepare(
        &mut self,
        name: &str,
        sql: &str,
        declared: &[Option<DataType>],
    ) -> sql::Result<PreparedInfo>;
    fn execute(&mut self, name: &str, params: &[Value]) -> (sql::Result<StatementResult>, char);
    fn close(&mut self, name: &str);
    fn env(&self) -> Arc<sql::env::Env>;
    fn identify(&mut self, user: &str, database: &str, backend_pid: i32);
}

impl<S: Backend> SessionOps for Session<S> {
    fn simple(&mut self, sql: &str) -> (Vec<sql::Result<StatementResult>>, char) {
        let r = self.execute(sql);
        (r, self.transaction_status())
    }

    fn prepare(
        &mut self,
        name: &str,
        sql: &str,
        declared: &[Option<DataType>],
    ) -> sql::Result<PreparedInfo> {
        Session::prepare(self, name, sql, declared)
    }

    fn execute(&mut self, name: &str, params: &[Value]) -> (sql::Result<StatementResult>, char) {
        let r = self.execute_prepared(name, params);
        (r, self.transaction_status())
    }

    fn close(&mut self, name: &str) {
        self.close_prepared(name);
    }

    fn env(&self) -> Arc<sql::env::Env> {
        Session::env(self)
    }

    fn identify(&mut self, user: &str, database: &str, backend_pid: i32) {
        Session::identify(self, user, database, backend_pid)
    }
}

/// The part of a [`Backend`] a session needs, with the storage type erased.
trait Gate: Send + Sync {
    fn settle(&self) -> sql::Result<()>;
    fn stopped(&self) -> Option<String>;
}

impl<S: Backend> Gate for S {
    fn settle(&self) -> sql::Result<()> {
        Backend::settle(self)
    }

    fn stopped(&self) -> Option<String> {
        Backend::stopped(self)
    }
}

/// A cloneable handle to a connection's session.
#[derive(Clone)]
pub struct SessionHandle {
    session: Arc<Mutex<Box<dyn SessionOps>>>,
    gate: Arc<dyn Gate>,
    interrupt: Interrupt,
}

/// Why a connection must end now: sent as a FATAL error, then the connection closes.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Fatal {
    /// An earlier command panicked (XX000).
    #[error("the session ended unexpectedly")]
    Gone,
    /// The compute stopped serving (57P01 admin_shutdown).
    #[error("terminating connection because this compute stopped serving: {0}")]
    Stopped(String),
    /// The outcome of what the client asked is unknown (08006 connection_failure).
    #[error("{0}")]
    OutcomeUnknown(String),
}

impl Fatal {
    /// The SQLSTATE it is sent with.
    pub fn code(&self) -> &'static str {
        match self {
            Fatal::Gone => "XX000",
            Fatal::Stopped(_) => "57P01",
            Fatal::OutcomeUnknown(_) => "08006",
        }
    }
}

/// The results of one command as they may go out: every result up to an 08006 error
/// (which becomes the [`Fatal`] that follows them); once the compute has `stopped`, only
/// the definite errors, then [`Fatal::Stopped`].
pub fn screen<R>(
    results: Vec<sql::Result<R>>,
    stopped: Option<String>,
) -> (Vec<sql::Result<R>>, Option<Fatal>) {
    let mut out = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Err(sql::Error::ConnectionFailure(msg)) => {
                return (out, Some(Fatal::OutcomeUnknown(msg)));
            }
            Ok(_) if stopped.is_some() => {}
            r => out.push(r),
        }
    }
    (out, stopped.map(Fatal::Stopped))
}

impl SessionHandle {
    /// A session over `storage`, to be used on one connection's thread.
    pub fn new<S: Backend + Clone>(storage: S) -> SessionHandle {
        SessionHandle {
            gate: Arc::new(storage.clone()),
            session: Arc::new(Mutex::new(Box::new(Session::new(storage)))),
            interrupt: Interrupt::new(),
        }
    }

    /// The session's cancel signal.
    pub fn interrupt(&self) -> &Interrupt {
        &self.interrupt
    }

    /// Tells the session who it serves (after authentication): what `current_user`,
    /// `current_database()` and `pg_backend_pid()` return.
    pub fn identify(&self, user: &str, database: &str, backend_pid: i32) {
        if let Ok(mut s) = self.session.lock() {
            s.identify(user, database, backend_pid);
        }
    }

    /// Why the compute stopped serving, once it has.
    pub fn stopped(&self) -> Option<String> {
        self.gate.stopped()
    }

    /// Runs `f` on the session as one command (cancellable meanwhile), unless the compute
    /// stopped serving; then settles the storage handle, so the caller may reply. A
    /// poisoned lock means an earlier command panicked: the session is gone.
    fn call<T>(&self, f: impl FnOnce(&mut dyn SessionOps) -> T) -> Result<T, Fatal> {
        if let Some(why) = self.gate.stopped() {
            return Err(Fatal::Stopped(why));
        }
        let mut s = self.session.lock().map_err(|_| Fatal::Gone)?;
        self.interrupt.start();
        let r = f(&mut **s);
        self.interrupt.finish();
        drop(s);
        // Before any reply: nothing the command observed may still be lost.
        self.gate.settle().map_err(|e| match e {
            sql::Error::ConnectionFailure(msg) => Fatal::OutcomeUnknown(msg),
            other => Fatal::OutcomeUnknown(other.to_string()),
        })?;
        Ok(r)
    }

    /// Simple protocol: the results of every statement of `sql` that may go out
    /// ([`screen`]), the transaction status after them ('I', 'T' or 'E'), and the
    /// [`Fatal`] that ends the connection after them, if any.
    pub async fn simple(
        &self,
        sql: String,
    ) -> Result<(Vec<sql::Result<StatementResult>>, char, Option<Fatal>), Fatal> {
        let (results, status) = self.call(|s| s.simple(&sql))?;
        let (results, fatal) = screen(results, self.gate.stopped());
        Ok((results, status, fatal))
    }

    pub async fn prepare(
        &self,
        name: String,
        sql: String,
        declared: Vec<Option<DataType>>,
    ) -> Result<sql::Result<PreparedInfo>, Fatal> {
        self.call(|s| s.prepare(&name, &sql, &declared))
    }

    /// Extended protocol Execute: the result (if it may go out, see [`screen`]), the
    /// transaction status, or the [`Fatal`] that ends the connection instead.
    pub async fn execute(
        &self,
        name: String,
        params: Vec<Value>,
    ) -> Result<(sql::Result<StatementResult>, char), Fatal> {
        let (result, status) = self.call(|s| s.execute(&name, &params))?;
        let (mut results, fatal) = screen(vec![result], self.gate.stopped());
        match (results.pop(), fatal) {
            // A definite error still goes out; the closing of idle sessions ends this one.
            (Some(r @ Err(_)), _) | (Some(r), None) => Ok((r, status)),
            (_, Some(fatal)) => Err(fatal),
            (None, None) => Err(Fatal::Gone),
        }
    }

    /// The session's environment (time zone, catalog lookup), to install while values are
    /// formatted or parsed outside the session ([`sql::env`]).
    pub fn env(&self) -> Arc<sql::env::Env> {
        match self.session.lock() {
            Ok(s) => s.env(),
            Err(_) => Arc::new(sql::env::Env::default()),
        }
    }

    /// Forgets a prepared statement.
    pub fn close(&self, name: String) {
        if let Ok(mut s) = self.session.lock() {
            s.close(&name);
        }
    }
}

/// Runs `serve` on a new thread named `name` with its own current-thread
/// runtime, with `interrupt` installed as the thread's cancel signal.
pub fn spawn_connection<F>(
    name: String,
    interrupt: Interrupt,
    serve: impl FnOnce() -> F + Send + 'static,
) -> std::io::Result<()>
where
    F: std::future::Future<Output = ()>,
{
    std::thread::Builder::new().name(name).spawn(move || {
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                tracing::error!(error = %e, "start a connection's runtime");
                return;
            }
        };
        let _installed = interrupt.install();
        rt.block_on(serve());
    })?;
    Ok(())
}
