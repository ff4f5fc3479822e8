//! A moto S3 server for tests: started on a free loopback port, stopped when
//! dropped, with buckets made by a plain HTTP PUT.
//!
//! moto 5.2.5 (`pip install 'moto[s3]==5.2.5' flask flask-cors`) is the
//! S3-compatible server found to honour conditional puts under races;
//! MinIO cannot be installed on the project's machines. `./scripts/test`
//! installs it. When moto is missing, [`MotoServer::start`] returns
//! `None` so a test can skip loudly — except under `CI=true`, where it panics.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{RemoteStorage, S3Options};

/// Starts moto's server with its S3 PUT handler under one lock. moto checks
/// `If-None-Match: *` and then stores the object in two steps on a threaded server, so two
/// racing conditional creates can both win when the machine is loaded (seen in CI-like
/// runs); real S3 and MinIO decide atomically, which the lock restores. Fails like a
/// missing `moto_server` when moto is not installed.
const LAUNCHER: &str = r#"
import sys, threading
try:
    from moto.s3.responses import S3Response
    from moto.server import main
except ImportError as e:
    sys.stderr.write(f"moto is not installed: {e}\n")
    sys.exit(127)
_lock = threading.Lock()
def _locked(f):
    def g(self, *a, **k):
        with _lock:
            return f(self, *a, **k)
    return g
S3Response.put_object = _locked(S3Response.put_object)
sys.argv[0] = "moto_server"
main(sys.argv[1:])
"#;

/// A running moto S3 server on 127.0.0.1.
pub struct MotoServer {
    child: Child,
    pub endpoint: String,
    port: u16,
}

impl MotoServer {
    /// Starts moto and waits (up to 30 s) until it answers.
    pub async fn start() -> Option<MotoServer> {
        let port = free_port();
        let child = match Command::new("python3")
            .args(["-c", LAUNCHER, "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(c) => c,
            Err(e) => return unavailable(&format!("python3: {e}")),
        };
        let mut server = MotoServer {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if http_request(port, "GET", "/").await.is_ok() {
                return Some(server);
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                return unavailable(&format!("the moto server exited with {status}"));
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
            ..S3Options::default()
        }
    }
}

impl MotoServer {
    /// moto's whole state as JSON (`GET /moto-api/data.json`): every object with its
    /// `bucket_name`, `name`, `encryption`, `kms_key_id` under `s3.FakeKey`, to see what
    /// the server stored with an object (its objects are not readable unsigned).
    pub async fn state_json(&self) -> std::io::Result<String> {
        let text = http_exchange(self.port, "GET", "/moto-api/data.json").await?;
        text.split_once("\r\n\r\n")
            .map(|(_, body)| body.to_string())
            .ok_or_else(|| std::io::Error::other(format!("bad HTTP response: {text:.80}")))
    }
}

/// moto cannot run here: skip loudly, or fail under `CI=true`.
fn unavailable(why: &str) -> Option<MotoServer> {
    let msg = format!("moto not available ({why}); run ./scripts/test to install it");
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{msg}");
    }
    eprintln!("SKIPPING S3 test: {msg}");
    None
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
    let text = http_exchange(port, method, path).await?;
    text.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad HTTP response: {text:.80}")))
}

/// A minimal HTTP/1.1 request; returns the whole response as text.
async fn http_exchange(port: u16, method: &str, path: &str) -> std::io::Result<String> {
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
    Ok(String::from_utf8_lossy(&buf).into_owned())
}
