//! [`Config`]: everything a running safekeeper is told at startup.
//!
//! `strata safekeeper` builds it from its flags; tests build it with
//! [`Config::new`] and shorten the intervals. Nothing here is persisted: the
//! node id must stay the same across restarts of one data directory (it is
//! what proposers and peers know the safekeeper by), which the operator
//! guarantees by passing the same `--id`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The object-store settings for `s3://` URLs (re-exported for the CLI).
pub use remote_storage::S3Options;

use crate::messages::NodeId;
use crate::storage::SEGMENT_SIZE;

/// A safekeeper's configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// This safekeeper's id, unique in the cluster (`--id`).
    pub node_id: NodeId,
    /// gRPC address to listen on (`--listen`); port 0 picks a free port.
    pub listen: SocketAddr,
    /// Where timelines live (`--data-dir`).
    pub data_dir: PathBuf,
    /// Object storage URL for WAL offload (`--object-store`): `file:///…`,
    /// `memory://` or `s3://bucket/prefix`. No offload (and no deletion of
    /// local WAL) without it.
    pub object_store: Option<String>,
    /// Settings for `s3://` URLs (`--s3-endpoint`, `--s3-region`,
    /// `--s3-allow-http`).
    pub s3: S3Options,
    /// The other safekeepers of the cluster (`--peers`), as gRPC addresses
    /// (`host:port` or `http://host:port`). Used to choose the one WAL
    /// uploader per timeline (the lowest node id among those reachable), to
    /// learn the peer horizon, and for peer recovery. It may include this
    /// safekeeper's own address (so every node can get the same list).
    pub peers: Vec<String>,
    /// Size of new WAL segment files (a power of two; 16 MiB in production,
    /// smaller in tests so offload has sealed segments to upload).
    pub segment_size: u64,
    /// How often a lazily advanced `commit_lsn` is persisted.
    pub persist_interval: Duration,
    /// How often each timeline polls its peers, offloads and trims WAL.
    pub maintenance_interval: Duration,
    /// A timeline with no appends for this long is considered to have no
    /// active proposer, so it may pull missing WAL from a peer.
    pub recovery_idle: Duration,
    /// Checks every call's token (`--auth-public-key`); `None` serves anyone.
    pub auth: proto::auth::SharedVerifier,
    /// The token this safekeeper sends its peers (`--auth-token-file`).
    pub auth_token: proto::auth::Token,
    /// `--grpc-tls-cert` / `--grpc-tls-key`: serve gRPC and the lean Append wire over TLS
    /// only; `None` serves plaintext.
    pub tls: Option<proto::tls::ServerTls>,
    /// `--grpc-tls-ca`: call the peers over TLS, trusting this CA.
    pub peer_tls: Option<proto::tls::ClientTls>,
}

impl Config {
    /// Production defaults for node `node_id` serving `data_dir` on `listen`.
    pub fn new(node_id: NodeId, listen: SocketAddr, data_dir: impl Into<PathBuf>) -> Config {
        Config {
            node_id,
            listen,
            data_dir: data_dir.into(),
            object_store: None,
            s3: S3Options::default(),
            peers: Vec::new(),
            segment_size: SEGMENT_SIZE,
            persist_interval: Duration::from_secs(1),
            maintenance_interval: Duration::from_secs(1),
            recovery_idle: Duration::from_secs(5),
            auth: None,
            auth_token: proto::auth::Token::none(),
            tls: None,
            peer_tls: None,
        }
    }
}
