//! The front end's registry of client sessions: who is connected, what each runs, and how
//! to reach them — for CancelRequests, `pg_stat_activity`, `pg_cancel_backend(pid)` and
//! `pg_terminate_backend(pid)`.
//!
//! Every authenticated connection registers under its backend process id with its secret key
//! (both sent to the client as BackendKeyData) and its [`SessionControl`]: the session's
//! [`Interrupt`], a token that ends the connection, and its [`ActivityState`], which the
//! connection updates around every command. The registry implements [`sql::env::Activity`]
//! and is given to every session at startup, so SQL running in any session sees the others.
//!
//! * A CancelRequest (a new connection carrying a pid and a key) cancels the target's running
//!   statement only if both match ([`SessionRegistry::cancel`]); it fails with 57014 at its
//!   next check and the connection stays usable. A request that matches nothing, or arrives
//!   while the session is idle, is ignored, as in PostgreSQL; the client is never told.
//! * `pg_cancel_backend(pid)` does the same by pid alone (PostgreSQL lets a superuser do it).
//! * `pg_terminate_backend(pid)` cancels the running statement and ends the connection.
//!
//! Invariant: an entry lives exactly as long as its connection — the [`Registration`] guard
//! is kept in the connection's session extensions and removes the entry when dropped.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use bytes::Bytes;
use pgwire::api::cancel::CancelHandler;
use pgwire::messages::cancel::CancelRequest;
use pgwire::messages::startup::SecretKey;
use sql::Interrupt;
use sql::env::{Activity, Backend};
use tokio_util::sync::CancellationToken;

pub use proto::now_us;

/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01 00:00 UTC).
const PG_EPOCH_US: i64 = 946_684_800_000_000;

/// Unix microseconds as a PostgreSQL timestamp (what `pg_stat_activity` shows).
fn pg_time(unix_us: i64) -> i64 {
    unix_us - PG_EPOCH_US
}

/// What a session is doing, as `pg_stat_activity` shows it.
#[derive(Debug, Clone, Default)]
pub struct ActivityState {
    pub application_name: String,
    /// `active`, `idle`, `idle in transaction`, `idle in transaction (aborted)`.
    pub state: &'static str,
    pub query: String,
    pub xact_start_us: Option<i64>,
    pub query_start_us: Option<i64>,
    pub state_change_us: Option<i64>,
}

/// How the registry reaches one session; shared with its connection.
#[derive(Clone, Debug, Default)]
pub struct SessionControl {
    pub interrupt: Interrupt,
    /// Fired by `pg_terminate_backend`: the connection ends.
    pub terminate: CancellationToken,
    pub activity: Arc<Mutex<ActivityState>>,
    /// The FATAL a termination sends, when not `pg_terminate_backend`'s 57P01 (an idle
    /// timeout's): SQLSTATE and message.
    pub ended: Arc<Mutex<Option<(&'static str, String)>>>,
    /// The armed idle timeout (`idle_in_transaction_session_timeout`,
    /// `idle_session_timeout`), aborted when the next command starts.
    pub idle_timer: Arc<Mutex<Option<tokio::task::AbortHandle>>>,
}

impl SessionControl {
    /// Ends the connection with FATAL `code` `message`.
    pub fn terminate_with(&self, code: &'static str, message: String) {
        *self.ended.lock().unwrap_or_else(|p| p.into_inner()) = Some((code, message));
        self.terminate.cancel();
    }

    /// Why the connection was ended, if [`SessionControl::terminate_with`] said.
    pub fn ended(&self) -> Option<(&'static str, String)> {
        self.ended.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Arms the idle timeout for the state the session is now in ('I', 'T' or 'E'), or
    /// disarms it (`None`). Must be called on the connection's runtime.
    pub fn arm_idle(&self, after: Option<(std::time::Duration, char)>) {
        let mut timer = self.idle_timer.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(t) = timer.take() {
            t.abort();
        }
        let Some((after, status)) = after else {
            return;
        };
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (code, message) = if status == 'I' {
            (
                "57P05",
                "terminating connection due to idle-session timeout",
            )
        } else {
            (
                "25P03",
                "terminating connection due to idle-in-transaction timeout",
            )
        };
        let control = self.clone();
        let task = rt.spawn(async move {
            tokio::time::sleep(after).await;
            tracing::info!(code, "{message}");
            control.terminate_with(code, message.to_string());
        });
        *timer = Some(task.abort_handle());
    }

    /// The activity state, whatever a panicking holder left in it.
    pub fn activity(&self) -> MutexGuard<'_, ActivityState> {
        self.activity.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A command starts: `query` is what it runs.
    pub fn command_started(&self, query: &str) {
        let now = now_us();
        let mut a = self.activity();
        if a.xact_start_us.is_none() {
            a.xact_start_us = Some(now);
        }
        a.state = "active";
        a.query = query.to_string();
        a.query_start_us = Some(now);
        a.state_change_us = Some(now);
    }

    /// The command ended, leaving the session in transaction status `status` (`I`, `T`,
    /// `E`) with `application_name`.
    pub fn command_finished(&self, status: char, application_name: String) {
        let mut a = self.activity();
        a.state = match status {
            'T' => "idle in transaction",
            'E' => "idle in transaction (aborted)",
            _ => "idle",
        };
        if status == 'I' {
            a.xact_start_us = None;
        }
        a.state_change_us = Some(now_us());
        a.application_name = application_name;
    }
}

/// Who a connection is, fixed at its startup.
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    pub user: String,
    pub database: String,
    pub client: SocketAddr,
    pub backend_start_us: i64,
}

struct Entry {
    secret: Bytes,
    control: SessionControl,
    info: ConnectionInfo,
}

/// Registered sessions by backend pid.
#[derive(Default)]
pub struct SessionRegistry {
    sessions: Mutex<BTreeMap<i32, Entry>>,
    /// The server's LISTEN / NOTIFY hub: every session of this front end hears the others.
    pub notify: Arc<sql::notify::Hub>,
}

impl SessionRegistry {
    pub fn new() -> Arc<SessionRegistry> {
        Arc::new(SessionRegistry::default())
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<i32, Entry>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a session under its backend key until the returned guard is dropped.
    pub fn register(
        self: &Arc<Self>,
        pid: i32,
        secret: &SecretKey,
        control: SessionControl,
        info: ConnectionInfo,
    ) -> Registration {
        self.lock().insert(
            pid,
            Entry {
                secret: secret.to_bytes(),
                control,
                info,
            },
        );
        Registration {
            registry: self.clone(),
            pid,
        }
    }

    /// Number of registered sessions of `user` (for its role's CONNECTION LIMIT).
    pub fn count_user(&self, user: &str) -> usize {
        self.lock().values().filter(|e| e.info.user == user).count()
    }

    /// Cancels the running statement of the session with this backend key; returns whether
    /// one was running.
    pub fn cancel(&self, pid: i32, secret: &SecretKey) -> bool {
        let interrupt = self
            .lock()
            .get(&pid)
            .filter(|e| e.secret == secret.to_bytes())
            .map(|e| e.control.interrupt.clone());
        match interrupt {
            Some(i) => {
                let canceled = i.cancel();
                tracing::info!(pid, canceled, "cancel request");
                canceled
            }
            None => {
                tracing::debug!(pid, "cancel request for no known session");
                false
            }
        }
    }

    /// Stops the running statement of every session with 57P01 (the server is closing them
    /// all, see [`Interrupt::shut_down`]); returns how many were running one.
    pub fn shut_down_all(&self) -> usize {
        let sessions: Vec<Interrupt> = self
            .lock()
            .values()
            .map(|e| e.control.interrupt.clone())
            .collect();
        sessions.iter().filter(|i| i.shut_down()).count()
    }

    fn control(&self, pid: i32) -> Option<SessionControl> {
        self.lock().get(&pid).map(|e| e.control.clone())
    }

    /// How many sessions are registered.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Activity for SessionRegistry {
    fn backends(&self) -> Vec<Backend> {
        self.lock()
            .iter()
            .map(|(pid, e)| {
                let a = e.control.activity().clone();
                Backend {
                    pid: *pid,
                    database: e.info.database.clone(),
                    user: e.info.user.clone(),
                    application_name: a.application_name,
                    client_addr: Some(e.info.client.ip().to_string()),
                    client_port: Some(i32::from(e.info.client.port())),
                    backend_start: pg_time(e.info.backend_start_us),
                    xact_start: a.xact_start_us.map(pg_time),
                    query_start: a.query_start_us.map(pg_time),
                    state_change: a.state_change_us.map(pg_time),
                    state: a.state.to_string(),
                    query: a.query,
                }
            })
            .collect()
    }

    fn cancel(&self, pid: i32) -> bool {
        match self.control(pid) {
            Some(c) => {
                c.interrupt.cancel();
                tracing::info!(pid, "pg_cancel_backend");
                true
            }
            None => false,
        }
    }

    fn terminate(&self, pid: i32) -> bool {
        match self.control(pid) {
            Some(c) => {
                c.terminate.cancel();
                c.interrupt.cancel();
                tracing::info!(pid, "pg_terminate_backend");
                true
            }
            None => false,
        }
    }
}

/// Keeps a session registered; see [`SessionRegistry::register`].
pub struct Registration {
    registry: Arc<SessionRegistry>,
    pid: i32,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.registry.lock().remove(&self.pid);
    }
}

/// pgwire's hook: a CancelRequest on a fresh connection.
pub struct Canceler(pub Arc<SessionRegistry>);

#[async_trait]
impl CancelHandler for Canceler {
    async fn on_cancel_request(&self, request: CancelRequest) {
        self.0.cancel(request.pid, &request.secret_key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> ConnectionInfo {
        ConnectionInfo {
            user: "u".into(),
            database: "d".into(),
            client: "127.0.0.1:5000".parse().unwrap(),
            backend_start_us: 1,
        }
    }

    #[test]
    fn only_the_matching_key_cancels_and_registration_ends_with_its_guard() {
        let registry = SessionRegistry::new();
        let control = SessionControl::default();
        let interrupt = control.interrupt.clone();
        let guard = registry.register(7, &SecretKey::I32(42), control, info());
        interrupt.start();
        assert!(!registry.cancel(7, &SecretKey::I32(41)), "wrong secret");
        assert!(!registry.cancel(8, &SecretKey::I32(42)), "wrong pid");
        assert!(!interrupt.is_canceled());
        assert!(registry.cancel(7, &SecretKey::I32(42)));
        assert!(interrupt.is_canceled());
        drop(guard);
        assert!(registry.is_empty());
        interrupt.start();
        assert!(!registry.cancel(7, &SecretKey::I32(42)), "unregistered");
    }

    #[test]
    fn activity_follows_commands_and_terminate_fires_the_token() {
        let registry = SessionRegistry::new();
        let control = SessionControl::default();
        let _guard = registry.register(9, &SecretKey::I32(1), control.clone(), info());
        control.command_started("BEGIN");
        control.command_finished('T', "app".into());
        control.command_started("SELECT 1");
        let now = registry.backends();
        assert_eq!(now.len(), 1);
        assert_eq!(now[0].state, "active");
        assert_eq!(now[0].query, "SELECT 1");
        assert!(now[0].xact_start <= now[0].query_start);
        control.command_finished('I', "app".into());
        let now = registry.backends();
        assert_eq!(now[0].state, "idle");
        assert_eq!(now[0].application_name, "app");
        assert_eq!(now[0].xact_start, None);
        assert!(!Activity::terminate(&*registry, 10));
        assert!(Activity::terminate(&*registry, 9));
        assert!(control.terminate.is_cancelled());
    }
}
