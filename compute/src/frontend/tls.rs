//! TLS on the PostgreSQL port (`--tls-cert`, `--tls-key`, `--tls-required`).
//!
//! A client's SSLRequest is answered `S` when the compute has a certificate and `N` when it
//! has none, as PostgreSQL does; pgwire performs the handshake (rustls, the aws-lc-rs
//! provider, TLS 1.2 and 1.3, ALPN `postgresql` for clients that start TLS directly). With
//! `--tls-required`, a client that starts without TLS is refused at startup with FATAL 28000
//! before any authentication exchange, so no password ever crosses the wire in clear text.
//!
//! The files are PEM: a certificate chain (leaf first) and one private key (PKCS#8,
//! PKCS#1 or SEC1). They are read once at startup; a missing, unreadable or mismatched
//! file stops the compute with an error naming the file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use pgwire::tokio::TlsAcceptor;
use pgwire::tokio::tokio_rustls::rustls;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::{Error, Result};

/// Where the certificate and key are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The acceptor for `files`, or an [`Error::Config`] that names the file at fault.
pub fn acceptor(files: &TlsFiles) -> Result<TlsAcceptor> {
    let bad = |path: &Path, what: String| Error::Config(format!("TLS: {}: {what}", path.display()));
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| bad(&files.cert, e.to_string()))?
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| bad(&files.cert, e.to_string()))?;
    if certs.is_empty() {
        return Err(bad(&files.cert, "no PEM certificate in the file".into()));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| bad(&files.key, format!("no usable PEM private key ({e})")))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            Error::Config(format!(
                "TLS: {} and {} do not make a usable pair: {e}",
                files.cert.display(),
                files.key.display()
            ))
        })?;
    config.alpn_protocols = vec![b"postgresql".to_vec()];
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
