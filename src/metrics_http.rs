//! The HTTP endpoint every `strata` server exposes at `--metrics ADDR`: Prometheus
//! metrics and health checks for orchestrators (Kubernetes probes, compose healthchecks).
//!
//! - `GET /metrics`: prometheus's default registry as text (components register there).
//! - `GET /healthz`: liveness — 200 `ok` whenever the process can answer at all.
//! - `GET /readyz`: readiness — 200 once the server's own service address accepts a TCP
//!   connection (the compute listens only after it won its election and opened its
//!   timeline; a safekeeper or pageserver once its gRPC server runs), else 503.
//!
//! Any other path is 404. It is deliberately tiny — one request per connection, bounded
//! header size and time — and stops when its cancellation token fires.

use std::net::SocketAddr;
use std::time::Duration;

use prometheus::{Encoder, TextEncoder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// Binds `addr` and serves metrics and health until `cancel` fires. `service` is the
/// server's own listen address that `/readyz` probes (`None`: ready whenever alive).
/// Returns the bound address (useful with port 0) and the serving task.
pub async fn serve(
    addr: SocketAddr,
    service: Option<SocketAddr>,
    cancel: CancellationToken,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let task = tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        tokio::spawn(async move {
                            let _ = tokio::time::timeout(Duration::from_secs(10), answer(stream, service)).await;
                        });
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "accept on metrics endpoint");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
            }
        }
    });
    Ok((local, task))
}

/// The current metrics in Prometheus text format.
pub fn render() -> String {
    let mut buf = Vec::new();
    TextEncoder::new()
        .encode(&prometheus::gather(), &mut buf)
        .expect("text encoding into a Vec cannot fail");
    String::from_utf8(buf).expect("prometheus text format is UTF-8")
}

/// Whether the service at `addr` accepts a connection (an unspecified address such as
/// `0.0.0.0:P` is probed on loopback).
async fn accepts(addr: SocketAddr) -> bool {
    let target = if addr.ip().is_unspecified() {
        let loopback: std::net::IpAddr = if addr.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        };
        SocketAddr::new(loopback, addr.port())
    } else {
        addr
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(target)).await,
        Ok(Ok(_))
    )
}

async fn answer(mut stream: TcpStream, service: Option<SocketAddr>) -> std::io::Result<()> {
    let mut buf = vec![0u8; 4096];
    let mut n = 0;
    while !buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
        if n == buf.len() {
            return stream
                .write_all(
                    b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n",
                )
                .await;
        }
        let got = stream.read(&mut buf[n..]).await?;
        if got == 0 {
            return Ok(());
        }
        n += got;
    }
    let request_line = String::from_utf8_lossy(&buf[..n]);
    let path = request_line.split_whitespace().nth(1).unwrap_or("");
    let route = path.split('?').next().unwrap_or("");
    let (status, body) = match route {
        "/metrics" => ("200 OK", render()),
        "/healthz" => ("200 OK", "ok\n".to_string()),
        "/readyz" => match service {
            Some(addr) if !accepts(addr).await => (
                "503 Service Unavailable",
                format!("not ready: {addr} does not accept connections yet\n"),
            ),
            _ => ("200 OK", "ready\n".to_string()),
        },
        _ => (
            "404 Not Found",
            "not found: try /metrics, /healthz or /readyz\n".to_string(),
        ),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn serves_registered_metrics() {
        let c = prometheus::register_int_counter!("strata_test_counter", "a test counter").unwrap();
        c.inc_by(7);
        let cancel = CancellationToken::new();
        // The "service" is a listener this test opens only halfway through.
        let service = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let service_addr = service.local_addr().unwrap();
        drop(service);
        let (addr, task) = serve(
            "127.0.0.1:0".parse().unwrap(),
            Some(service_addr),
            cancel.clone(),
        )
        .await
        .unwrap();
        let expect = |path: &'static str, want_status: &'static str, want_body: &'static str| async move {
            let out = get(addr, path).await;
            assert!(
                out.starts_with(&format!("HTTP/1.1 {want_status}")),
                "{path}: {out}"
            );
            assert!(out.contains(want_body), "{path}: {out}");
        };
        expect("/metrics", "200", "strata_test_counter 7").await;
        expect("/metrics?x=1", "200", "strata_test_counter 7").await;
        expect("/healthz", "200", "ok").await;
        expect("/readyz", "503", "not ready").await;
        expect("/other", "404", "not found").await;
        let _listening = TcpListener::bind(service_addr).await.unwrap();
        expect("/readyz", "200", "ready").await;
        cancel.cancel();
        task.await.unwrap();
    }

    async fn get(addr: SocketAddr, path: &str) -> String {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }
}
