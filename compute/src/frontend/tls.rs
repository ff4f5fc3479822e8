//! TLS on the PostgreSQL port (`--tls-cert`, `--tls-key`, `--tls-required`).
//!
//! A client's SSLRequest is answered `S` when the compute has a certificate and `N` when it
//! has none, as PostgreSQL does; pgwire performs the handshake (rustls, the aws-lc-rs
//! provider, TLS 1.2 and 1.3, ALPN `postgresql` for clients that start TLS directly). With
//! `--tls-required`, a client that starts without TLS is refused at startup with FATAL 28000
//! before any authentication exchange, so no password ever crosses the wire in clear text.
//!
//! The files are PEM: a certificate chain (leaf first) and one private key (PKCS#8,
//! PKCS#1 or SEC1), loaded by `proto::tls` as the components' gRPC TLS is. They are read
//! once at startup; a missing, unreadable or mismatched file stops the compute with an
//! error naming the file.

use std::sync::Arc;

use pgwire::tokio::TlsAcceptor;

pub use proto::tls::TlsFiles;

use crate::{Error, Result};

/// The acceptor for `files`, or an [`Error::Config`] that names the file at fault.
pub fn acceptor(files: &TlsFiles) -> Result<TlsAcceptor> {
    let config = proto::tls::server_config(files, &[b"postgresql"])
        .map_err(|e| Error::Config(e.to_string()))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let files = TlsFiles {
            cert: dir.path().join("missing.crt"),
            key: dir.path().join("missing.key"),
        };
        let e = acceptor(&files).err().expect("missing files are an error");
        assert!(e.to_string().contains("missing.crt"), "{e}");

        std::fs::write(&files.cert, "not a certificate").unwrap();
        let e = acceptor(&files).err().expect("no certificate");
        assert!(e.to_string().contains("no PEM certificate"), "{e}");
    }
}
