//! The pageserver's configuration: what `strata pageserver` parses from its
//! flags, and what tests set small so freeze, compaction and GC really run.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use remote_storage::S3Options;

use crate::TimelineConfig;

#[derive(Debug, Clone)]
pub struct Config {
    /// gRPC listen address (port 0 picks a free one).
    pub listen: SocketAddr,
    /// The local cache of layer files: `{data_dir}/tenants/{t}/timelines/{l}/`.
    pub data_dir: PathBuf,
    /// `file:///path`, `memory://` or `s3://bucket/prefix`.
    pub object_store: String,
    pub s3: S3Options,
    /// Safekeeper gRPC addresses (`host:port`).
    pub safekeepers: Vec<String>,
    /// Sent with `IssueGeneration`, for the safekeepers' logs.
    pub pageserver_id: String,
    /// Sizes and thresholds of every timeline's storage.
    pub timeline: TimelineConfig,
    /// How long a GetPage waits for WAL up to `not_modified_since`.
    pub wait_lsn_timeout: Duration,
    /// Bytes of reconstructed pages the page cache holds.
    pub cache_bytes: u64,
    /// How many reconstructions run at once on the blocking pool.
    pub reconstruct_threads: usize,
    /// How many layer files are downloaded on demand at once.
    pub download_concurrency: usize,
    /// Background flush, compaction, GC and upload run this often; `None`
    /// leaves them to explicit calls (tests).
    pub maintenance_interval: Option<Duration>,
    /// Freeze and upload the open in-memory layer when it is this old, so
    /// `remote_consistent_lsn` keeps advancing on a quiet timeline.
    pub checkpoint_interval: Duration,
    /// GC keeps this much history (by commit timestamp).
    pub pitr_window: Duration,
    /// Checks every call's token (`--auth-public-key`); `None` serves anyone.
    pub auth: proto::auth::SharedVerifier,
    /// The token sent to the safekeepers (`--auth-token-file`).
    pub auth_token: proto::auth::Token,
    /// `--grpc-tls-cert` / `--grpc-tls-key`: serve gRPC over TLS only; `None` serves
    /// plaintext.
    pub tls: Option<proto::tls::ServerTls>,
    /// `--grpc-tls-ca`: reach the safekeepers over TLS, trusting this CA.
    pub safekeeper_tls: Option<proto::tls::ClientTls>,
}

impl Config {
    /// A configuration with the production defaults.
    pub fn new(listen: SocketAddr, data_dir: PathBuf, object_store: String) -> Config {
        Config {
            listen,
            data_dir,
            object_store,
            s3: S3Options::default(),
            safekeepers: Vec::new(),
            pageserver_id: format!("pageserver-{listen}"),
            timeline: TimelineConfig::default(),
            wait_lsn_timeout: Duration::from_secs(10),
            cache_bytes: 256 << 20,
            reconstruct_threads: 4,
            download_concurrency: 4,
            maintenance_interval: Some(Duration::from_secs(10)),
            checkpoint_interval: Duration::from_secs(600),
            pitr_window: Duration::from_secs(7 * 24 * 3600),
            auth: None,
            auth_token: proto::auth::Token::none(),
            tls: None,
            safekeeper_tls: None,
        }
    }
}
