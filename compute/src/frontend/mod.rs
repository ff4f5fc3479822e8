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
//!   pgwire::process_socket(ConnectionHandlers) --> SessionHandle --> sql::Session<S: Storage>
//!        simple Query / Parse/Bind/Describe/Execute/Sync   (called inline, no hand-off)
//! ```
//!
//! - [`serve`] is the accept loop (mini-redis style): a semaphore bounds the
//!   connections (`--max-connections`), accept errors back off, each
//!   connection runs in its own task and stops when the server's
//!   cancellation token fires (graceful shutdown).
//! - [`worker`] runs each connection — socket and session — on its own
//!   thread with its own current-thread runtime: the SQL layer is
//!   synchronous by design, and a statement costs no thread hand-off.
//! - [`handler`] maps the protocol onto the session; [`encode`] converts
//!   values, parameters and errors (with their SQLSTATE).
//! - [`auth`] authenticates at startup: trust, or SCRAM-SHA-256 against the
//!   verifiers of a [`users`] file (FATAL 28P01 on any failure).
//! - [`registry`] knows every session by backend pid: a CancelRequest (psql's
//!   Ctrl-C) cancels the target's running statement with 57014, and SQL sees the
//!   sessions as `pg_stat_activity`, `pg_cancel_backend`, `pg_terminate_backend`.
//! - [`params`] applies the startup packet's settings and reports the session's
//!   parameters (startup message, then ParameterStatus whenever one changes).

pub mod auth;
pub mod copy;
pub mod encode;
pub mod handler;
pub mod params;
pub mod registry;
pub mod users;
pub mod worker;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use auth::{Auth, Authenticator};
use handler::{ConnectionHandlers, OverLimitHandlers};
use registry::SessionRegistry;
use worker::SessionHandle;

/// Front-end settings.
#[derive(Clone, Debug)]
pub struct FrontendConfig {
    pub max_connections: usize,
    /// How clients authenticate (trust by default: callers decide, see [`auth::resolve`]).
    pub auth: Auth,
}

impl Default for FrontendConfig {
    fn default() -> Self {
        FrontendConfig {
            max_connections: 100,
            auth: Auth::Trust,
        }
    }
}

/// Accepts connections on `listener` until `cancel` fires; each connection
/// gets a session over a storage made by `storage`.
pub async fn serve<S, F>(
    listener: TcpListener,
    config: FrontendConfig,
    storage: F,
    cancel: CancellationToken,
) where
    S: sql::storage::Storage + Send + 'static,
    F: Fn() -> S + Send + Sync + 'static,
{
    let permits = Arc::new(Semaphore::new(config.max_connections));
    let sessions = SessionRegistry::new();
    let authenticator = Authenticator::new(&config.auth, sessions.clone());
    let next_id = AtomicU64::new(1);
    let mut backoff = Duration::from_millis(10);
    loop {
        let (socket, peer) = tokio::select! {
            _ = cancel.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok(a) => { backoff = Duration::from_millis(10); a }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed; backing off");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                    continue;
                }
            },
        };
        let _ = socket.set_nodelay(true);
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            // Over the limit: FATAL 53300, but a CancelRequest is still served.
            let handlers = Arc::new(OverLimitHandlers::new(sessions.clone()));
            tokio::spawn(async move {
                let served = pgwire::tokio::process_socket(socket, None, handlers);
                let _ = tokio::time::timeout(Duration::from_secs(5), served).await;
            });
            continue;
        };
        let id = next_id.fetch_add(1, Ordering::Relaxed);
        // The connection moves to its own thread and runtime (see
        // [`worker`]): hand the socket over as a std socket.
        let socket = match socket.into_std() {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "detach an accepted socket");
                continue;
            }
        };
        let session = SessionHandle::new(storage());
        let interrupt = session.interrupt().clone();
        let terminate = session.control().terminate.clone();
        let cancel = cancel.clone();
        let (auth, sessions) = (authenticator.clone(), sessions.clone());
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
            let handlers = Arc::new(ConnectionHandlers::new(session, auth, sessions));
            tokio::select! {
                r = pgwire::tokio::process_socket(socket, None, handlers) => {
                    if let Err(e) = r {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                }
                _ = cancel.cancelled() => {}
                // pg_terminate_backend: the connection ends.
                _ = terminate.cancelled() => {}
            }
        };
        if let Err(e) = worker::spawn_connection(format!("session-{id}"), interrupt, serve_one) {
            tracing::error!(error = %e, "start a connection thread");
        }
    }
}

/// Binds `addr` and serves; returns the bound address and the serving task.
pub async fn bind_and_serve<S, F>(
    addr: SocketAddr,
    config: FrontendConfig,
    storage: F,
    cancel: CancellationToken,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)>
where
    S: sql::storage::Storage + Send + 'static,
    F: Fn() -> S + Send + Sync + 'static,
{
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((
        local,
        tokio::spawn(serve(listener, config, storage, cancel)),
    ))
}
