//! The Prometheus endpoint every `strata` server exposes at `--metrics ADDR`.
//!
//! Components register their metrics in prometheus's default registry; this
//! module serves it as text at `GET /metrics` (any other path is 404). It is
//! deliberately tiny — one request per connection, bounded header size and
//! time — and stops when its cancellation token fires.

use std::net::SocketAddr;
use std::time::Duration;

use prometheus::{Encoder, TextEncoder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// Binds `addr` and serves metrics until `cancel` fires. Returns the bound
/// address (useful with port 0) and the serving task.
pub async fn serve(
    addr: SocketAddr,
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
                            let _ = tokio::time::timeout(Duration::from_secs(10), answer(stream)).await;
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

async fn answer(mut stream: TcpStream) -> std::io::Result<()> {
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
    let (status, body) = if path == "/metrics" || path.starts_with("/metrics?") {
        ("200 OK", render())
    } else {
        (
            "404 Not Found",
            "not found: metrics are at /metrics\n".to_string(),
        )
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
        let (addr, task) = serve("127.0.0.1:0".parse().unwrap(), cancel.clone())
            .await
            .unwrap();
        for (path, want_status, want_body) in [
            ("/metrics", "200", "strata_test_counter 7"),
            ("/other", "404", "not found"),
        ] {
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
                .await
                .unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).await.unwrap();
            assert!(out.starts_with(&format!("HTTP/1.1 {want_status}")), "{out}");
            assert!(out.contains(want_body), "{out}");
        }
        cancel.cancel();
        task.await.unwrap();
    }
}
