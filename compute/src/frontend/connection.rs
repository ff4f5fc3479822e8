//! One connection's message loop: pgwire's `process_socket`, plus the asynchronous delivery
//! of notifications (LISTEN / NOTIFY) to an idle session.
//!
//! pgwire's loop only writes to the client in answer to a message, but PostgreSQL sends a
//! NotificationResponse to an idle session as soon as the notification is committed, so a
//! client blocked waiting on its socket (psycopg's `conn.notifies()`, JDBC's
//! `getNotifications(timeout)`, tokio-postgres' `poll_message`) hears it without sending
//! anything. This loop is pgwire's (TLS negotiation, the startup timeout, the same message
//! processing and error handling through pgwire's public `process_message` /
//! `process_error`) with one more branch: while it waits for the client's next message it
//! also waits on the session's "a notification arrived" signal, and then sends what arrived
//! — if the session is idle outside a transaction block and not inside an extended-protocol
//! batch (before its Sync), which is when PostgreSQL delivers. Otherwise the notifications
//! wait for the ReadyForQuery that ends the block or batch ([`Connection::send_notifications`]
//! sends them before it).

use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use pgwire::api::{ClientInfo, PgWireConnectionState, PgWireServerHandlers};
use pgwire::messages::PgWireFrontendMessage;
use pgwire::tokio::server::{negotiate_tls, process_error, process_message};
use tokio::net::TcpStream;

use super::handler::{Connection, ConnectionHandlers};

/// How long a client may take to finish its startup (pgwire's).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// Serves one client connection until it ends. See the module docs.
pub async fn process_socket(
    tcp_socket: TcpStream,
    tls_acceptor: Option<pgwire::tokio::TlsAcceptor>,
    handlers: Arc<ConnectionHandlers>,
) -> std::io::Result<()> {
    let startup_timeout = tokio::time::sleep(STARTUP_TIMEOUT);
    tokio::pin!(startup_timeout);
    let socket = tokio::select! {
        _ = &mut startup_timeout => return Ok(()),
        socket = negotiate_tls(tcp_socket, tls_acceptor) => socket?,
    };
    // A direct TLS negotiation without a TLS acceptor.
    let Some(mut socket) = socket else {
        return Ok(());
    };
    let startup_handler = handlers.startup_handler();
    let simple_query_handler = handlers.simple_query_handler();
    let extended_query_handler = handlers.extended_query_handler();
    let copy_handler = handlers.copy_handler();
    let cancel_handler = handlers.cancel_handler();
    let connection: &Arc<Connection> = handlers.connection();
    let arrived = connection.arrived();
    // Between an extended-protocol message and its Sync (PostgreSQL's implicit transaction).
    let mut in_batch = false;
    let socket = &mut socket;
    loop {
        let msg = if matches!(
            socket.state(),
            PgWireConnectionState::AwaitingStartup
                | PgWireConnectionState::AuthenticationInProgress
        ) {
            tokio::select! {
                _ = &mut startup_timeout => None,
                msg = socket.next() => msg,
            }
        } else {
            tokio::select! {
                msg = socket.next() => msg,
                _ = arrived.notified() => {
                    let ready = matches!(socket.state(), PgWireConnectionState::ReadyForQuery);
                    if ready && !in_batch {
                        connection
                            .send_notifications(socket)
                            .await
                            .map_err(std::io::Error::other)?;
                        socket.flush().await?;
                    }
                    continue;
                }
            }
        };
        let Some(Ok(msg)) = msg else {
            break;
        };
        // A Terminate means the client is disconnecting: close the connection.
        if matches!(msg, PgWireFrontendMessage::Terminate(_)) {
            break;
        }
        let is_extended_query = match socket.state() {
            PgWireConnectionState::CopyInProgress(is_extended_query) => is_extended_query,
            _ => msg.is_extended_query(),
        };
        in_batch = match msg {
            PgWireFrontendMessage::Sync(_) | PgWireFrontendMessage::Query(_) => false,
            ref m if m.is_extended_query() => true,
            _ => in_batch,
        };
        // `process_message` closes a CancelRequest's dedicated connection.
        let is_cancel_request = matches!(msg, PgWireFrontendMessage::CancelRequest(_));
        if let Err(e) = process_message(
            msg,
            socket,
            startup_handler.clone(),
            simple_query_handler.clone(),
            extended_query_handler.clone(),
            copy_handler.clone(),
            cancel_handler.clone(),
        )
        .await
        {
            // A FATAL error ends the session, as in PostgreSQL.
            let is_fatal = e.is_fatal();
            if is_extended_query && !is_fatal {
                connection.fail_statement();
            }
            process_error(socket, e, is_extended_query).await?;
            if is_fatal {
                break;
            }
        }
        if is_cancel_request {
            break;
        }
    }
    Ok(())
}
