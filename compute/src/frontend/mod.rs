//! # The PostgreSQL front end
//!
//! Clients (psql, pgbench, tokio-postgres, JDBC, ...) connect over the
//! PostgreSQL wire protocol, served by the `pgwire` crate:
//!
//! ```text
//! TcpListener --accept--> (connection permit?) --no--> FATAL 53300 (CancelRequests still served)
//!                               | yes
//!                               v
//!   thread "session-N" (current-thread runtime):
//!   connection::process_socket(ConnectionHandlers) --> SessionHandle --> sql::Session<S: Storage>
//!        simple Query / Parse/Bind/Describe/Execute/Sync   (called inline, no hand-off)
//! ```
//!
//! - [`serve`] is the accept loop (mini-redis style): a semaphore bounds the
//!   connections (`--max-connections`), accept errors back off, each
//!   connection runs in its own task. When the server's cancellation token
//!   fires, or the storage stops serving ([`backend::Backend::stopping`]: its
//!   WAL was lost or a newer primary fenced it), the loop stops accepting and
//!   every session closes: the statement in flight is canceled (57014), then
//!   the session gets FATAL 57P01 — "terminating connection due to
//!   administrator command", or the reason the compute stopped — and its
//!   socket is closed; `serve` returns once all are closed (bounded).
//! - [`backend`]: what the front end asks of the storage — settle what a
//!   session observed before each reply, and whether it still serves.
//! - [`worker`] runs each connection — socket and session — on its own
//!   thread with its own current-thread runtime: the SQL layer is
//!   synchronous by design, and a statement costs no thread hand-off.
//! - [`connection`] is each connection's message loop (pgwire's, which also delivers
//!   LISTEN / NOTIFY notifications to an idle session as they arrive).
//! - [`handler`] maps the protocol onto the session; [`encode`] converts
//!   values, parameters and errors (with their SQLSTATE).
//! - [`auth`] authenticates at startup: trust, or SCRAM-SHA-256 against the
//!   verifiers of a [`users`] file (FATAL 28P01 on any failure).
//! - [`registry`] knows every session by backend pid: a CancelRequest (psql's
//!   Ctrl-C) sessions the target's running statement with 57014, and SQL sees the
//!   sessions as `pg_stat_activity`, `pg_cancel_backend`, `pg_terminate_backend`
//!   (which closes the target like a shutdown does, FATAL 57P01).
//! - [`params`] applies the startup packet's settings and reports the session's
//!   parameters (startup message, then ParameterStatus whenever one changes).
//! - [`copy`] serves the COPY FROM STDIN sub-protocol.

pub mod auth;
pub mod auth_delay;
pub mod auth_rules;
pub mod backend;
mod batched;
pub mod connection;
pub mod copy;
pub mod encode;
pub mod handler;
pub mod params;
mod portal_commands;
pub mod registry;
pub mod tls;
pub mod users;
pub mod worker;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use auth::{Auth, Authenticator};
pub use backend::Backend;
use handler::{ConnectionHandlers, OverLimitHandlers};
use registry::SessionRegistry;
use worker::SessionHandle;

/// Front-end settings.
#[derive(Clone)]
pub struct FrontendConfig {
    pub max_connections: usize,
    /// How clients authenticate (trust by default: callers decide, see [`auth::resolve`]).
    pub auth: Auth,
    /// TLS for clients that ask for it ([`tls::acceptor`]); `None` answers SSLRequest `N`.
    pub tls: Option<pgwire::tokio::TlsAcceptor>,
    /// Refuse clients that did not start TLS (FATAL 28000 at startup).
    pub tls_required: bool,
}

impl std::fmt::Debug for FrontendConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrontendConfig")
            .field("max_connections", &self.max_connections)
            .field("auth", &self.auth)
            .field("tls", &self.tls.is_some())
            .field("tls_required", &self.tls_required)
            .finish()
    }
}

impl Default for FrontendConfig {
    fn default() -> Self {
        FrontendConfig {
            max_connections: 100,
            auth: Auth::Trust,
            tls: None,
            tls_required: false,
        }
    }
}

/// How long a closing session may take to finish the command in flight and
/// send what it has before its socket is closed anyway.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// Accepts connections on `listener` until `cancel` fires or the storage stops
/// serving; each connection gets a session over a storage made by `storage`.
pub async fn serve<S, F>(
    listener: TcpListener,
    config: FrontendConfig,
    storage: F,
    cancel: CancellationToken,
) where
    S: Backend + Clone,
    F: Fn() -> S + Send + Sync + 'static,
{
    // Sessions close when the server stops or the storage stops serving.
    let closing = cancel.child_token();
    let stopping = storage().stopping();
    tokio::spawn({
        let closing = closing.clone();
        async move {
            tokio::select! {
                _ = stopping.cancelled() => closing.cancel(),
                _ = closing.cancelled() => {}
            }
        }
    });
    let permits = Arc::new(Semaphore::new(config.max_connections));
    let sessions = SessionRegistry::new();
    let authenticator = Authenticator::new(
        &config.auth,
        config.tls_required,
        sessions.clone(),
        auth::catalog_roles(storage()),
    );
    let next_id = AtomicU64::new(1);
    let mut backoff =
        proto::backoff::Backoff::new(Duration::from_millis(10), Duration::from_secs(1));
    loop {
        let (socket, peer) = tokio::select! {
            _ = closing.cancelled() => {
                // Running statements stop at their next check; each session then closes
                // (see `close_session`). Wait, bounded, until every connection is gone.
                let running = sessions.shut_down_all();
                let all = u32::try_from(config.max_connections).unwrap_or(u32::MAX);
                let closed = tokio::time::timeout(
                    CLOSE_GRACE + Duration::from_secs(1),
                    permits.acquire_many(all),
                );
                if closed.await.is_err() {
                    tracing::warn!("sessions still open after the close grace period");
                }
                tracing::info!(running, "front end closed");
                return;
            }
            accepted = listener.accept() => match accepted {
                Ok(a) => { backoff.reset(); a }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed; backing off");
                    tokio::time::sleep(backoff.next_delay()).await;
                    continue;
                }
            },
        };
        let _ = socket.set_nodelay(true);
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            // Over the limit: FATAL 53300, but a CancelRequest is still served.
            let handlers = Arc::new(OverLimitHandlers::new(sessions.clone()));
            let tls = config.tls.clone();
            tokio::spawn(async move {
                let served = pgwire::tokio::process_socket(socket, tls, handlers);
                let _ = tokio::time::timeout(Duration::from_secs(5), served).await;
            });
            continue;
        };
        let id = next_id.fetch_add(1, Ordering::Relaxed);
        // The connection moves to its own thread and runtime (see
        // [`worker`]): hand the socket over as a std socket.
        // A second handle on the socket lets a closing session say why after pgwire
        // let go of it.
        let (socket, closer) = match socket
            .into_std()
            .and_then(|s| s.try_clone().map(|c| (s, c)))
        {
            Ok(pair) => pair,
            Err(e) => {
                tracing::warn!(error = %e, "detach an accepted socket");
                continue;
            }
        };
        let session = SessionHandle::new(storage());
        let interrupt = session.interrupt().clone();
        // pg_terminate_backend closes this one session as a shutdown closes all.
        let terminate = session.control().terminate.clone();
        let closing = closing.clone();
        let (auth, sessions) = (authenticator.clone(), sessions.clone());
        let tls = config.tls.clone();
        let serve_one = move || async move {
            let _permit = permit;
            let span = tracing::info_span!("connection", id, %peer);
            let _g = span.enter();
            let socket = match tokio::net::TcpStream::from_std(socket) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "attach a connection's socket");
                    return;
                }
            };
            let handlers = Arc::new(ConnectionHandlers::new(session.clone(), auth, sessions));
            let fatal_sent = handlers.fatal_sent();
            let secure = handlers.secure();
            let served = connection::process_socket(socket, tls, handlers);
            tokio::pin!(served);
            tokio::select! {
                r = &mut served => {
                    if let Err(e) = r {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                    return;
                }
                _ = closing.cancelled() => {}
                _ = terminate.cancelled() => {}
            }
            let why = session.control().ended();
            close_session(closer, served, &fatal_sent, &secure, session.stopped(), why).await;
        };
        if let Err(e) = worker::spawn_connection(format!("session-{id}"), interrupt, serve_one) {
            tracing::error!(error = %e, "start a connection thread");
        }
    }
}

/// Closes a session as PostgreSQL's shutdown does: stops reading (pgwire sees the end of
/// its input once the command in flight is answered), waits for it to finish (bounded),
/// then sends FATAL 57P01 — unless the session already sent a FATAL error — and closes.
async fn close_session(
    closer: std::net::TcpStream,
    served: impl std::future::Future<Output = std::io::Result<()>>,
    fatal_sent: &AtomicBool,
    secure: &AtomicBool,
    stopped: Option<String>,
    ended: Option<(&'static str, String)>,
) {
    use std::io::Write;
    use std::net::Shutdown;
    let _ = closer.shutdown(Shutdown::Read);
    if tokio::time::timeout(CLOSE_GRACE, served).await.is_err() {
        tracing::info!("a closing session did not finish in time: closing its socket");
        let _ = closer.shutdown(Shutdown::Both);
        return;
    }
    // On a TLS connection the raw socket carries TLS records: a clear-text message there
    // would only garble the stream, so the client just sees the connection close.
    if !fatal_sent.load(Ordering::SeqCst) && !secure.load(Ordering::SeqCst) {
        let (code, fatal) = match (stopped, ended) {
            (Some(why), _) => ("57P01", worker::Fatal::Stopped(why).to_string()),
            (None, Some((code, message))) => (code, message),
            (None, None) => (
                "57P01",
                "terminating connection due to administrator command".to_string(),
            ),
        };
        tracing::info!(code, reason = %fatal, "closing the connection");
        // pgwire has let go of the socket (non-blocking; a small message on an idle
        // connection fits in the send buffer, and a failure only loses the message).
        if let Ok(bytes) = encode::fatal_message(code, fatal) {
            let _ = (&closer).write_all(&bytes);
        }
    }
    let _ = closer.shutdown(Shutdown::Both);
}

/// Binds `addr` and serves; returns the bound address and the serving task.
pub async fn bind_and_serve<S, F>(
    addr: SocketAddr,
    config: FrontendConfig,
    storage: F,
    cancel: CancellationToken,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)>
where
    S: Backend + Clone,
    F: Fn() -> S + Send + Sync + 'static,
{
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((
        local,
        tokio::spawn(serve(listener, config, storage, cancel)),
    ))
}
