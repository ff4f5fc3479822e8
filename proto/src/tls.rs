//! TLS between components: `--grpc-tls-cert` / `--grpc-tls-key` on the servers (safekeeper,
//! pageserver), `--grpc-tls-ca` on every process that calls them (computes, safekeepers calling
//! their peers, the pageserver calling the safekeepers, admin commands).
//!
//! Invariants:
//! - A server with a certificate speaks only TLS: tonic's acceptor fails a plaintext HTTP/2
//!   preface, and the safekeeper's lean Append wire refuses its plaintext greeting.
//! - A client with a CA speaks only TLS and checks the server's certificate against that CA and
//!   the host (name or IP address) it dialled; `https://` URLs are used for its channels.
//! - The files are PEM (a certificate chain, leaf first; one PKCS#8, PKCS#1 or SEC1 key; one or
//!   more CA certificates), read once at startup; a missing, unreadable or mismatched file is
//!   an [`Error::Tls`] that names it.
//!
//! rustls with the aws-lc-rs provider (the one pgwire uses for the PostgreSQL port), TLS 1.2
//! and 1.3. Tokens ([`crate::auth`]) still authenticate the caller; TLS keeps them and the
//! WAL and pages private on the wire and proves the server's identity to the client.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_rustls::rustls;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity, ServerTlsConfig};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

use crate::Error;

/// Where a server's certificate chain and private key are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

fn bad(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::Tls(format!("{}: {what}", path.display()))
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| bad(path, e))
}

fn certificates(path: &Path, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(path, e))?;
    if certs.is_empty() {
        return Err(bad(path, "no PEM certificate in the file"));
    }
    Ok(certs)
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A rustls server configuration for `files`, offering `alpn` (the PostgreSQL port offers
/// `postgresql`; the lean Append wire none).
pub fn server_config(files: &TlsFiles, alpn: &[&[u8]]) -> Result<rustls::ServerConfig, Error> {
    let certs = certificates(&files.cert, &read(&files.cert)?)?;
    let key = PrivateKeyDer::from_pem_slice(&read(&files.key)?)
        .map_err(|e| bad(&files.key, format!("no usable PEM private key ({e})")))?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            Error::Tls(format!(
                "{} and {} do not make a usable pair: {e}",
                files.cert.display(),
                files.key.display()
            ))
        })?;
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(config)
}

/// A server's TLS: tonic's configuration for its gRPC services and an acceptor for the
/// safekeeper's lean Append wire, from the same certificate and key.
#[derive(Clone)]
pub struct ServerTls {
    grpc: ServerTlsConfig,
    lean: tokio_rustls::TlsAcceptor,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerTls")
    }
}

impl ServerTls {
    /// Reads and checks `files` (the pair must match).
    pub fn from_files(files: &TlsFiles) -> Result<ServerTls, Error> {
        let lean = tokio_rustls::TlsAcceptor::from(Arc::new(server_config(files, &[])?));
        let identity = Identity::from_pem(read(&files.cert)?, read(&files.key)?);
        Ok(ServerTls {
            grpc: ServerTlsConfig::new().identity(identity),
            lean,
        })
    }

    /// For `tonic::transport::Server::builder().tls_config(...)`.
    pub fn grpc(&self) -> ServerTlsConfig {
        self.grpc.clone()
    }

    /// The acceptor of the lean Append wire.
    pub fn acceptor(&self) -> &tokio_rustls::TlsAcceptor {
        &self.lean
    }
}

/// A client's TLS: the CA that signs the servers' certificates.
#[derive(Clone)]
pub struct ClientTls {
    grpc: ClientTlsConfig,
    lean: tokio_rustls::TlsConnector,
}

impl std::fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientTls")
    }
}

impl ClientTls {
    /// Trusts the certificates in the PEM file `ca` (a CA, or a self-signed server
    /// certificate itself).
    pub fn from_ca_file(ca: &Path) -> Result<ClientTls, Error> {
        ClientTls::from_ca_pem(ca, &read(ca)?)
    }

    /// As [`ClientTls::from_ca_file`], from the file's bytes (`origin` names it in errors).
    pub fn from_ca_pem(origin: &Path, pem: &[u8]) -> Result<ClientTls, Error> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in certificates(origin, pem)? {
            roots.add(cert).map_err(|e| bad(origin, e))?;
        }
        let config = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Tls(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(ClientTls {
            grpc: ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pem)),
            lean: tokio_rustls::TlsConnector::from(Arc::new(config)),
        })
    }

    /// Opens TLS on `stream`, checking the certificate names `host` (the host part of the
    /// address dialled).
    pub async fn connect<IO>(
        &self,
        host: &str,
        stream: IO,
    ) -> std::io::Result<tokio_rustls::client::TlsStream<IO>>
    where
        IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(host.to_string()).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{host:?} is not a host name for TLS: {e}"),
            )
        })?;
        self.lean.connect(name, stream).await
    }
}

/// The tonic endpoint for a component's address (`host:port`, or a URL): `http://` without
/// `tls`, `https://` with the CA's verification with it.
pub fn endpoint(addr: &str, tls: Option<&ClientTls>) -> Result<Endpoint, Error> {
    let rest = addr.split_once("://").map_or(addr, |(_, rest)| rest);
    let url = match tls {
        Some(_) => format!("https://{rest}"),
        None => crate::grpc::url(addr),
    };
    let endpoint = Endpoint::from_shared(url)
        .map_err(|e| Error::invalid("address", format!("{addr:?}: {e}")))?;
    match tls {
        Some(tls) => endpoint
            .tls_config(tls.grpc.clone())
            .map_err(|e| Error::Tls(format!("{addr}: {e}"))),
        None => Ok(endpoint),
    }
}

/// `host` of `host:port`, `[v6]:port` or a URL (for a certificate's name check).
pub fn host_of(addr: &str) -> &str {
    let rest = addr.split_once("://").map_or(addr, |(_, rest)| rest);
    let rest = rest.split('/').next().unwrap_or(rest);
    match rest.rfind(':') {
        Some(i) if !rest[i..].contains(']') => &rest[..i],
        _ => rest,
    }
}

#[cfg(test)]
mod tests;
