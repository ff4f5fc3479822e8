//! A moto S3 server for tests: started on a free loopback port, stopped when
//! dropped, with buckets made by a plain HTTP PUT.
//!
//! moto 5.2.5 (`pip install 'moto[s3]==5.2.5' flask flask-cors`) is the
//! S3-compatible server found to honour conditional puts under races;
//! MinIO cannot be installed on the project's machines. `./scripts/test`
//! installs it. When `moto_server` is missing, [`MotoServer::start`] returns
//! `None` so a test can skip loudly — except under `CI=true`, where it panics.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{RemoteStorage, S3Options};

/// A running `moto_server` on 127.0.0.1.
pub struct MotoServer {
    child: Child,
    pub endpoint: String,
    port: u16,
}

impl MotoServer {
    /// Starts moto and waits (up to 30 s) until it answers.
    pub async fn start() -> Option<MotoServer> {
        let port = free_port();
        let child = match Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(c) => c,
            Err(e) => {
                let msg =
                    format!("moto_server not available ({e}); run ./scripts/test to install it");
                if std::env::var("CI").as_deref() == Ok("true") {
                    panic!("{msg}");
                }
                eprintln!("SKIPPING S3 test: {msg}");
                return None;
            }
        };
        let server = MotoServer {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if http_request(port, "GET", "/").await.is_ok() {
                return Some(server);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("moto_server did not answer on port {port} within 30 s");
    }

    /// Creates `bucket` and opens it as `s3://bucket/prefix`.
    pub async fn storage(&self, bucket: &str, prefix: &str) -> RemoteStorage {
        let status = http_request(self.port, "PUT", &format!("/{bucket}"))
            .await
            .expect("create bucket");
        assert!(status == 200, "create bucket {bucket}: HTTP {status}");
        RemoteStorage::from_url(&format!("s3://{bucket}/{prefix}"), &self.options())
            .expect("open moto bucket")
    }

    /// Options that reach this server.
    pub fn options(&self) -> S3Options {
        S3Options {
            endpoint: Some(self.endpoint.clone()),
            region: Some("us-east-1".into()),
            allow_http: true,
            access_key_id: Some("testing".into()),
            secret_access_key: Some("testing".into()),
        }
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind a loopback port")
}

/// A minimal HTTP/1.1 request; returns the status code.
async fn http_request(port: u16, method: &str, path: &str) -> std::io::Result<u16> {
    let mut s = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::net::TcpStream::connect(("127.0.0.1", port)),
    )
    .await??;
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await?;
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut buf)).await??;
    let text = String::from_utf8_lossy(&buf);
    text.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad HTTP response: {text:.80}")))
}
