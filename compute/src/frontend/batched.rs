//! [`Batched`]: the connection's socket as the extended-protocol handlers see it, with
//! every flush but the ones that matter taken out.
//!
//! pgwire's handlers `send` each reply (ParseComplete, BindComplete, RowDescription,
//! CommandComplete), and a `send` is a write to the socket: a prepared statement's round
//! trip cost five `sendto` calls, which a profile of pgbench's select-only run at 8
//! clients put at about a third of the compute's CPU. PostgreSQL buffers its replies and
//! writes them when the client asks for them — at Sync (before ReadyForQuery) and at Flush
//! — or when its buffer fills, and so does Strata now: Parse, Bind, Describe and Execute
//! run on a `Batched` view of the socket whose `poll_flush` does nothing, while Sync and
//! Flush flush the socket itself.
//!
//! Invariants: messages keep their order (a `Batched` only forwards `start_send` to the
//! one buffer); memory stays bounded (`poll_ready` is forwarded, and the framed writer
//! writes out its buffer there once it passes its backpressure boundary, as before); a
//! handler that hands the client the turn outside Sync and Flush (a CopyInResponse:
//! the client sends data next) must flush the real socket itself.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Sink;
use pgwire::api::{ClientInfo, ClientPortalStore, PgWireConnectionState, SessionExtensions};
use pgwire::messages::ProtocolVersion;
use pgwire::messages::response::TransactionStatus;
use pgwire::messages::startup::SecretKey;
use pgwire::tokio::tokio_rustls::rustls::pki_types::CertificateDer;

/// A client whose flushes are deferred to the next Sync or Flush; see the module docs.
pub(super) struct Batched<'a, C>(pub(super) &'a mut C);

impl<C, M> Sink<M> for Batched<'_, C>
where
    C: Sink<M> + Unpin,
{
    type Error = C::Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), C::Error>> {
        Pin::new(&mut *self.0).poll_ready(cx)
    }

    fn start_send(mut self: Pin<&mut Self>, item: M) -> Result<(), C::Error> {
        Pin::new(&mut *self.0).start_send(item)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<(), C::Error>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), C::Error>> {
        Pin::new(&mut *self.0).poll_close(cx)
    }
}

impl<C: ClientPortalStore> ClientPortalStore for Batched<'_, C> {
    type PortalStore = C::PortalStore;

    fn portal_store(&self) -> &Self::PortalStore {
        self.0.portal_store()
    }
}

impl<C: ClientInfo> ClientInfo for Batched<'_, C> {
    fn socket_addr(&self) -> SocketAddr {
        self.0.socket_addr()
    }

    fn is_secure(&self) -> bool {
        self.0.is_secure()
    }

    fn protocol_version(&self) -> ProtocolVersion {
        self.0.protocol_version()
    }

    fn set_protocol_version(&mut self, version: ProtocolVersion) {
        self.0.set_protocol_version(version)
    }

    fn pid_and_secret_key(&self) -> (i32, SecretKey) {
        self.0.pid_and_secret_key()
    }

    fn set_pid_and_secret_key(&mut self, pid: i32, secret_key: SecretKey) {
        self.0.set_pid_and_secret_key(pid, secret_key)
    }

    fn state(&self) -> PgWireConnectionState {
        self.0.state()
    }

    fn set_state(&mut self, new_state: PgWireConnectionState) {
        self.0.set_state(new_state)
    }

    fn transaction_status(&self) -> TransactionStatus {
        self.0.transaction_status()
    }

    fn set_transaction_status(&mut self, new_status: TransactionStatus) {
        self.0.set_transaction_status(new_status)
    }

    fn metadata(&self) -> &HashMap<String, String> {
        self.0.metadata()
    }

    fn metadata_mut(&mut self) -> &mut HashMap<String, String> {
        self.0.metadata_mut()
    }

    fn session_extensions(&self) -> &SessionExtensions {
        self.0.session_extensions()
    }

    fn sni_server_name(&self) -> Option<&str> {
        self.0.sni_server_name()
    }

    fn client_certificates<'a>(&self) -> Option<&[CertificateDer<'a>]> {
        self.0.client_certificates()
    }
}

#[cfg(test)]
mod tests {
    use futures::SinkExt;
    use futures::channel::mpsc;

    use super::*;

    /// A sink that records how often it was flushed.
    struct Counting {
        items: Vec<u8>,
        flushes: usize,
    }

    impl Sink<u8> for Counting {
        type Error = mpsc::SendError;
        fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }
        fn start_send(mut self: Pin<&mut Self>, item: u8) -> Result<(), Self::Error> {
            self.items.push(item);
            Ok(())
        }
        fn poll_flush(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Result<(), Self::Error>> {
            self.flushes += 1;
            Poll::Ready(Ok(()))
        }
        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn sends_through_a_batched_view_are_not_flushed_and_keep_their_order() {
        let mut sink = Counting {
            items: Vec::new(),
            flushes: 0,
        };
        {
            let mut batched = Batched(&mut sink);
            batched.send(1).await.expect("send");
            batched.send(2).await.expect("send");
            batched.flush().await.expect("flush");
        }
        assert_eq!(sink.flushes, 0);
        sink.send(3).await.expect("send");
        assert_eq!(sink.items, vec![1, 2, 3]);
        assert_eq!(sink.flushes, 1);
    }
}
