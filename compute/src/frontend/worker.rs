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
use super::registry::SessionControl;

/// Whether a statement left the session in a COPY (the front end then speaks the copy
/// sub-protocol).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyMode {
    None,
    /// COPY FROM STDIN waits for `columns` columns of data.
    In {
        columns: usize,
        /// The data comes in the BINARY format (CopyInResponse's format 1).
        binary: bool,
    },
    /// The last result is a COPY TO STDOUT of `columns` columns: its rows are the lines
    /// (text), or the tuples (bytea) of the BINARY format.
    Out {
        columns: usize,
        binary: bool,
    },
}

/// What the handlers ask of a session, with the storage type erased.
trait SessionOps: Send {
    fn simple(&mut self, sql: &str) -> (Vec<sql::Result<StatementResult>>, char);
    /// The COPY the last statement left the session in.
    fn copy_mode(&mut self) -> CopyMode;
    /// Whether a COPY FROM STDIN waits for data.
    fn in_copy(&self) -> bool;
    fn copy_data(&mut self, data: &[u8]) -> (sql::Result<()>, char);
    fn copy_done(&mut self) -> (sql::Result<StatementResult>, char);
    fn copy_fail(&mut self, message: &str) -> (sql::Error, char);
    /// Parse: `name` is the front end's, `client_name` the client's (`""`: unnamed).
    fn prepare(
        &mut self,
        name: &str,
        client_name: &str,
        sql: &str,
        declared: &[Option<DataType>],
    ) -> sql::Result<PreparedInfo>;
    fn execute(&mut self, name: &str, params: &[Value]) -> (sql::Result<StatementResult>, char);
    /// Sync: ends the batch's implicit transaction; a failed commit, and the status after.
    fn sync(&mut self) -> (Option<sql::Error>, char);
    /// An extended-protocol message failed outside Execute: the open block fails.
    fn fail_statement(&mut self) -> char;
    fn close(&mut self, name: &str);
    fn startup(
        &mut self,
        user: &str,
        params: &[(String, String)],
    ) -> sql::Result<Vec<(&'static str, String)>>;
    fn changed_reports(&mut self) -> Vec<(&'static str, String)>;
    /// The transaction status ('I', 'T', 'E') and `application_name`, for `pg_stat_activity`.
    fn activity(&self) -> (char, String);
    /// How long the session may now stay idle ('I', 'T' or 'E'): the
    /// `idle_in_transaction_session_timeout` or `idle_session_timeout` in force, if set.
    fn idle_timeout(&self) -> Option<(std::time::Duration, char)>;
    fn env(&self) -> Arc<sql::env::Env>;
    fn identify(
        &mut self,
        user: &str,
        database: &str,
        backend_pid: i32,
        activity: Arc<dyn sql::env::Activity>,
        hub: Arc<sql::notify::Hub>,
    );
}

impl<S: Backend> SessionOps for Session<S> {
    fn simple(&mut self, sql: &str) -> (Vec<sql::Result<StatementResult>>, char) {
        let r = self.execute(sql);
        (r, self.transaction_status())
    }

    fn copy_mode(&mut self) -> CopyMode {
        if let Some(info) = self.copy_in_info() {
            return CopyMode::In {
                columns: info.columns,
                binary: info.format == sql::copy::Format::Binary,
            };
        }
        match self.take_copy_out() {
            Some((format, columns)) => CopyMode::Out {
                columns,
                binary: format == sql::copy::Format::Binary,
            },
            None => CopyMode::None,
        }
    }

    fn in_copy(&self) -> bool {
        self.copy_in_pending()
    }

    fn copy_data(&mut self, data: &[u8]) -> (sql::Result<()>, char) {
        let r = Session::copy_data(self, data);
        (r, self.transaction_status())
    }

    fn copy_done(&mut self) -> (sql::Result<StatementResult>, char) {
        let r = Session::copy_done(self);
        (r, self.transaction_status())
    }

    fn copy_fail(&mut self, message: &str) -> (sql::Error, char) {
        let e = Session::copy_fail(self, message);
        (e, self.transaction_status())
    }

    fn prepare(
        &mut self,
        name: &str,
        client_name: &str,
        sql: &str,
        declared: &[Option<DataType>],
    ) -> sql::Result<PreparedInfo> {
        Session::prepare_as(self, name, client_name, sql, declared)
    }

    fn execute(&mut self, name: &str, params: &[Value]) -> (sql::Result<StatementResult>, char) {
        let r = self.execute_prepared(name, params);
        (r, self.transaction_status())
    }

    fn sync(&mut self) -> (Option<sql::Error>, char) {
        let e = Session::sync(self);
        (e, self.transaction_status())
    }

    fn fail_statement(&mut self) -> char {
        Session::fail_statement(self);
        self.transaction_status()
    }

    fn close(&mut self, name: &str) {
        self.close_prepared(name);
    }

    fn startup(
        &mut self,
        user: &str,
        params: &[(String, String)],
    ) -> sql::Result<Vec<(&'static str, String)>> {
        let mut settings = self.settings();
        settings.set_startup("session_authorization", user)?;
        for (name, value) in params {
            settings.set_startup(name, value)?;
        }
        Ok(settings.startup_reports())
    }

    fn changed_reports(&mut self) -> Vec<(&'static str, String)> {
        self.settings().take_changed_reports()
    }

    fn activity(&self) -> (char, String) {
        (
            self.transaction_status(),
            self.settings().get("application_name").unwrap_or_default(),
        )
    }

    fn idle_timeout(&self) -> Option<(std::time::Duration, char)> {
        let status = self.transaction_status();
        let name = if status == 'I' {
            "idle_session_timeout"
        } else {
            "idle_in_transaction_session_timeout"
        };
        self.settings()
            .millis(name)
            .filter(|&ms| ms > 0)
            .map(|ms| (std::time::Duration::from_millis(ms), status))
    }

    fn env(&self) -> Arc<sql::env::Env> {
        Session::env(self)
    }

    fn identify(
        &mut self,
        user: &str,
        database: &str,
        backend_pid: i32,
        activity: Arc<dyn sql::env::Activity>,
        hub: Arc<sql::notify::Hub>,
    ) {
        Session::identify(self, user, database, backend_pid);
        self.set_activity(activity);
        self.set_notify_hub(hub);
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
    control: SessionControl,
    /// The session's LISTEN / NOTIFY state, and what wakes the connection when a
    /// notification arrives for it.
    notify: Arc<sql::notify::SessionNotify>,
    arrived: Arc<tokio::sync::Notify>,
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
    /// The server closed the session while its command ran (57P01 admin_shutdown).
    #[error("terminating connection due to administrator command")]
    Shutdown,
    /// The outcome of what the client asked is unknown (08006 connection_failure).
    #[error("{0}")]
    OutcomeUnknown(String),
}

impl Fatal {
    /// The SQLSTATE it is sent with.
    pub fn code(&self) -> &'static str {
        match self {
            Fatal::Gone => "XX000",
            Fatal::Stopped(_) | Fatal::Shutdown => "57P01",
            Fatal::OutcomeUnknown(_) => "08006",
        }
    }
}

/// The results of one command as they may go out: every result up to an 08006 or 57P01
/// error (which becomes the [`Fatal`] that follows them); once the compute has `stopped`,
/// only the definite errors, then [`Fatal::Stopped`].
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
            // The server closed the session under the command: the FATAL says why.
            Err(sql::Error::AdminShutdown) => {
                return (out, Some(stopped.map_or(Fatal::Shutdown, Fatal::Stopped)));
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
        let session = Session::new(storage.clone());
        let notify = session.notifications();
        let arrived = Arc::new(tokio::sync::Notify::new());
        notify.set_waker(Arc::new({
            let arrived = arrived.clone();
            move || arrived.notify_one()
        }));
        SessionHandle {
            gate: Arc::new(storage),
            session: Arc::new(Mutex::new(Box::new(session))),
            control: SessionControl::default(),
            notify,
            arrived,
        }
    }

    /// The notifications that arrived for the session (deliver them only while it is idle
    /// outside a transaction block, as PostgreSQL does).
    pub fn notifications(&self) -> Vec<sql::notify::Notification> {
        self.notify.take()
    }

    /// Fires when a notification arrives for the session (a permit is kept if nobody waits).
    pub fn arrived(&self) -> Arc<tokio::sync::Notify> {
        self.arrived.clone()
    }

    /// The session's cancel signal.
    pub fn interrupt(&self) -> &Interrupt {
        &self.control.interrupt
    }

    /// How the session registry reaches this session.
    pub fn control(&self) -> &SessionControl {
        &self.control
    }

    /// Tells the session who it serves (after authentication) — what `current_user`,
    /// `current_database()` and `pg_backend_pid()` return — the server's session list
    /// (`pg_stat_activity`, `pg_cancel_backend`, `pg_terminate_backend`) and its LISTEN /
    /// NOTIFY hub.
    pub fn identify(
        &self,
        user: &str,
        database: &str,
        backend_pid: i32,
        activity: Arc<dyn sql::env::Activity>,
        hub: Arc<sql::notify::Hub>,
    ) {
        if let Ok(mut s) = self.session.lock() {
            s.identify(user, database, backend_pid, activity, hub);
        }
    }

    /// Why the compute stopped serving, once it has.
    pub fn stopped(&self) -> Option<String> {
        self.gate.stopped()
    }

    /// Runs `f` on the session as one command (cancellable meanwhile), unless the compute
    /// stopped serving; then settles the storage handle, so the caller may reply. A command
    /// that starts running `query` shows it in `pg_stat_activity`; `None` continues the
    /// running one (a COPY's data). A poisoned lock means an earlier command panicked: the
    /// session is gone.
    fn call<T>(
        &self,
        query: Option<&str>,
        f: impl FnOnce(&mut dyn SessionOps) -> T,
    ) -> Result<T, Fatal> {
        if let Some(why) = self.gate.stopped() {
            return Err(Fatal::Stopped(why));
        }
        self.control.arm_idle(None);
        let mut s = self.session.lock().map_err(|_| Fatal::Gone)?;
        if let Some(query) = query {
            self.control.command_started(query);
        }
        self.control.interrupt.start();
        let r = f(&mut **s);
        self.control.interrupt.finish();
        // A COPY FROM that waits for data is still running.
        if !s.in_copy() {
            let (status, application_name) = s.activity();
            self.control.command_finished(status, application_name);
            self.control.arm_idle(s.idle_timeout());
        }
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
    /// The COPY the command left the session in comes with them.
    pub async fn simple(
        &self,
        sql: String,
    ) -> Result<
        (
            Vec<sql::Result<StatementResult>>,
            char,
            Option<Fatal>,
            CopyMode,
        ),
        Fatal,
    > {
        let (results, status, copy) = self.call(Some(&sql), |s| {
            let (r, status) = s.simple(&sql);
            (r, status, s.copy_mode())
        })?;
        let (results, fatal) = screen(results, self.gate.stopped());
        Ok((results, status, fatal, copy))
    }

    /// A chunk of COPY FROM STDIN data.
    pub fn copy_data(&self, data: &[u8]) -> Result<(sql::Result<()>, char), Fatal> {
        self.call(None, |s| s.copy_data(data))
    }

    /// The end of COPY FROM STDIN data: the COPY's result.
    pub fn copy_done(&self) -> Result<(sql::Result<StatementResult>, char), Fatal> {
        let (r, status) = self.call(None, |s| s.copy_done())?;
        let (mut results, fatal) = screen(vec![r], self.gate.stopped());
        match (results.pop(), fatal) {
            (Some(r @ Err(_)), _) | (Some(r), None) => Ok((r, status)),
            (_, Some(fatal)) => Err(fatal),
            (None, None) => Err(Fatal::Gone),
        }
    }

    /// The client abandoned the COPY.
    pub fn copy_fail(&self, message: &str) -> Result<(sql::Error, char), Fatal> {
        self.call(None, |s| s.copy_fail(message))
    }

    /// Applies the startup packet's settings (`user` becomes `session_authorization`);
    /// returns the reported parameters for the startup message.
    pub fn startup(
        &self,
        user: &str,
        params: &[(String, String)],
    ) -> Result<sql::Result<Vec<(&'static str, String)>>, Fatal> {
        self.call(Some(""), |s| s.startup(user, params))
    }

    /// Reported parameters changed since the client last heard them.
    pub fn changed_reports(&self) -> Vec<(&'static str, String)> {
        match self.session.lock() {
            Ok(mut s) => s.changed_reports(),
            Err(_) => Vec::new(),
        }
    }

    /// Parse: stores `sql` under the front end's `name`; the client knows it as
    /// `client_name` (`""` for the unnamed statement).
    pub async fn prepare(
        &self,
        name: String,
        client_name: String,
        sql: String,
        declared: Vec<Option<DataType>>,
    ) -> Result<sql::Result<PreparedInfo>, Fatal> {
        self.call(Some(&sql), |s| {
            s.prepare(&name, &client_name, &sql, &declared)
        })
    }

    /// Extended protocol Execute: the result (if it may go out, see [`screen`]), the
    /// transaction status, or the [`Fatal`] that ends the connection instead.
    pub async fn execute(
        &self,
        name: String,
        sql: &str,
        params: Vec<Value>,
    ) -> Result<(sql::Result<StatementResult>, char, CopyMode), Fatal> {
        let (result, status, copy) = self.call(Some(sql), |s| {
            let (r, status) = s.execute(&name, &params);
            (r, status, s.copy_mode())
        })?;
        let (mut results, fatal) = screen(vec![result], self.gate.stopped());
        match (results.pop(), fatal) {
            // A definite error still goes out; the closing of idle sessions ends this one.
            (Some(r @ Err(_)), _) | (Some(r), None) => Ok((r, status, copy)),
            (_, Some(fatal)) => Err(fatal),
            (None, None) => Err(Fatal::Gone),
        }
    }

    /// Sync: commits (or rolls back) the batch's implicit transaction; the commit's error,
    /// if it failed, and the transaction status after.
    pub fn sync(&self) -> Result<(Option<sql::Error>, char), Fatal> {
        self.call(None, |s| s.sync())
    }

    /// A Parse, Bind or Describe failed (or a parameter did not convert): the open block,
    /// explicit or the batch's implicit one, fails as PostgreSQL's does; the status after.
    pub fn fail_statement(&self) -> Option<char> {
        self.session.lock().ok().map(|mut s| s.fail_statement())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_stopped_by_a_shutdown_ends_the_connection_with_57p01() {
        let results: Vec<sql::Result<u32>> = vec![Ok(1), Err(sql::Error::AdminShutdown), Ok(2)];
        let (out, fatal) = screen(results.clone(), None);
        assert_eq!(out, vec![Ok(1)]);
        assert_eq!(fatal, Some(Fatal::Shutdown));
        assert_eq!(Fatal::Shutdown.code(), "57P01");
        // A compute that stopped serving says why, and no success goes out.
        let (out, fatal) = screen(results, Some("a newer primary took over".into()));
        assert!(out.is_empty(), "{out:?}");
        assert_eq!(
            fatal,
            Some(Fatal::Stopped("a newer primary took over".into()))
        );
    }

    #[test]
    fn a_definite_error_still_goes_out_before_the_stop() {
        let results: Vec<sql::Result<u32>> = vec![Err(sql::Error::QueryCanceled)];
        let (out, fatal) = screen(results, Some("stopped".into()));
        assert_eq!(out, vec![Err(sql::Error::QueryCanceled)]);
        assert_eq!(fatal, Some(Fatal::Stopped("stopped".into())));
    }
}
