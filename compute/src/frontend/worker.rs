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

use std::sync::{Arc, Mutex};

use sql::storage::Storage;
use sql::types::{DataType, Value};
use sql::{Interrupt, PreparedInfo, Session, StatementResult};

use super::registry::SessionControl;

/// Whether a statement left the session in a COPY (the front end then speaks the copy
/// sub-protocol).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyMode {
    None,
    /// COPY FROM STDIN waits for `columns` columns of data.
    In {
        columns: usize,
    },
    /// The last result is a COPY TO STDOUT of `columns` columns: its rows are the lines.
    Out {
        columns: usize,
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
    fn prepare(
        &mut self,
        name: &str,
        sql: &str,
        declared: &[Option<DataType>],
    ) -> sql::Result<PreparedInfo>;
    fn execute(&mut self, name: &str, params: &[Value]) -> (sql::Result<StatementResult>, char);
    fn close(&mut self, name: &str);
    fn startup(
        &mut self,
        user: &str,
        params: &[(String, String)],
    ) -> sql::Result<Vec<(&'static str, String)>>;
    fn changed_reports(&mut self) -> Vec<(&'static str, String)>;
    /// The transaction status ('I', 'T', 'E') and `application_name`, for `pg_stat_activity`.
    fn activity(&self) -> (char, String);
}

impl<S: Storage + Send> SessionOps for Session<S> {
    fn simple(&mut self, sql: &str) -> (Vec<sql::Result<StatementResult>>, char) {
        let r = self.execute(sql);
        (r, self.transaction_status())
    }

    fn copy_mode(&mut self) -> CopyMode {
        if let Some(info) = self.copy_in_info() {
            return CopyMode::In {
                columns: info.columns,
            };
        }
        match self.take_copy_out() {
            Some((_, columns)) => CopyMode::Out { columns },
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

    fn startup(
        &mut self,
        user: &str,
        params: &[(String, String)],
    ) -> sql::Result<Vec<(&'static str, String)>> {
        let settings = self.settings_mut();
        settings.set_startup("session_authorization", user)?;
        for (name, value) in params {
            settings.set_startup(name, value)?;
        }
        Ok(settings.startup_reports())
    }

    fn changed_reports(&mut self) -> Vec<(&'static str, String)> {
        self.settings_mut().take_changed_reports()
    }

    fn activity(&self) -> (char, String) {
        (
            self.transaction_status(),
            self.settings().get("application_name").unwrap_or_default(),
        )
    }
}

/// A cloneable handle to a connection's session.
#[derive(Clone)]
pub struct SessionHandle {
    session: Arc<Mutex<Box<dyn SessionOps>>>,
    control: SessionControl,
}

/// Why a session could not answer.
#[derive(Debug, thiserror::Error)]
#[error("the session has stopped")]
pub struct SessionGone;

impl SessionHandle {
    /// A session over `storage`, to be used on one connection's thread.
    pub fn new<S: Storage + Send + 'static>(storage: S) -> SessionHandle {
        SessionHandle {
            session: Arc::new(Mutex::new(Box::new(Session::new(storage)))),
            control: SessionControl::default(),
        }
    }

    /// The session's cancel signal.
    pub fn interrupt(&self) -> &Interrupt {
        &self.control.interrupt
    }

    /// How the session registry reaches this session.
    pub fn control(&self) -> &SessionControl {
        &self.control
    }

    /// Runs `f` on the session as one command (cancellable meanwhile). A command that
    /// starts running `query` shows it in `pg_stat_activity`; `None` continues the running
    /// one (a COPY's data). A poisoned lock means an earlier command panicked: the session is
    /// gone.
    fn call<T>(
        &self,
        query: Option<&str>,
        f: impl FnOnce(&mut dyn SessionOps) -> T,
    ) -> Result<T, SessionGone> {
        let mut s = self.session.lock().map_err(|_| SessionGone)?;
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
        }
        Ok(r)
    }

    /// Simple protocol: every statement of `sql`, the transaction status after them
    /// ('I', 'T' or 'E'), and the COPY they left the session in.
    pub async fn simple(
        &self,
        sql: String,
    ) -> Result<(Vec<sql::Result<StatementResult>>, char, CopyMode), SessionGone> {
        self.call(Some(&sql), |s| {
            let (r, status) = s.simple(&sql);
            (r, status, s.copy_mode())
        })
    }

    /// A chunk of COPY FROM STDIN data.
    pub fn copy_data(&self, data: &[u8]) -> Result<(sql::Result<()>, char), SessionGone> {
        self.call(None, |s| s.copy_data(data))
    }

    /// The end of COPY FROM STDIN data: the COPY's result.
    pub fn copy_done(&self) -> Result<(sql::Result<StatementResult>, char), SessionGone> {
        self.call(None, |s| s.copy_done())
    }

    /// The client abandoned the COPY.
    pub fn copy_fail(&self, message: &str) -> Result<(sql::Error, char), SessionGone> {
        self.call(None, |s| s.copy_fail(message))
    }

    pub async fn prepare(
        &self,
        name: String,
        sql: String,
        declared: Vec<Option<DataType>>,
    ) -> Result<sql::Result<PreparedInfo>, SessionGone> {
        self.call(Some(&sql), |s| s.prepare(&name, &sql, &declared))
    }

    /// Extended protocol: runs prepared statement `name` (whose text is `sql`).
    pub async fn execute(
        &self,
        name: String,
        sql: &str,
        params: Vec<Value>,
    ) -> Result<(sql::Result<StatementResult>, char, CopyMode), SessionGone> {
        self.call(Some(sql), |s| {
            let (r, status) = s.execute(&name, &params);
            (r, status, s.copy_mode())
        })
    }

    /// Applies the startup packet's settings (`user` becomes `session_authorization`);
    /// returns the reported parameters for the startup message.
    pub fn startup(
        &self,
        user: &str,
        params: &[(String, String)],
    ) -> Result<sql::Result<Vec<(&'static str, String)>>, SessionGone> {
        self.call(Some(""), |s| s.startup(user, params))
    }

    /// Reported parameters changed since the client last heard them.
    pub fn changed_reports(&self) -> Vec<(&'static str, String)> {
        match self.session.lock() {
            Ok(mut s) => s.changed_reports(),
            Err(_) => Vec::new(),
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
