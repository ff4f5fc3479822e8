//! The `strata` command line. Each subcommand is a thin wrapper over the
//! library (`strata::*`) or a component crate; `anyhow` lives only here.
//!
//! Parsing is two-step (see `strata::config_file`): the clap command gets a
//! `STRATA_*` variable for every flag and, when a server subcommand is given
//! `--config FILE`, the file's values as defaults; then the arguments parse.

/// mimalloc instead of glibc's malloc: a bulk load allocates and frees a few small values
/// per row, and glibc's free lists (`_int_free`, `unlink_chunk`, `malloc_consolidate`) were
/// a quarter of the session thread's time in `pgbench -i` (BENCHMARKS.md, issue 9).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use proto::Lsn;
use std::net::SocketAddr;
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(
    name = "strata",
    version,
    about = "Strata: a PostgreSQL-compatible database with compute separated from storage",
    long_about = "Strata: a PostgreSQL-compatible database with compute separated from storage.\n\n\
        Compute nodes stream WAL to a quorum of safekeepers; a pageserver rebuilds any page at \
        any LSN from that WAL and from layer files in object storage.\n\n\
        Try it: `strata start` runs a whole cluster (three safekeepers, a pageserver and a \
        primary compute) in one process on ./strata-data and prints how to connect; \
        `strata status` shows its timelines. For real deployments run each server on its own: \
        `strata safekeeper`, `strata pageserver`, `strata compute`.\n\n\
        Configuration: every flag can also be set by an environment variable named after it \
        (`--data-dir` is STRATA_DATA_DIR), and the server subcommands read a TOML file given with \
        `--config FILE` (STRATA_CONFIG) whose keys are the flags' names. A flag wins over its \
        variable, which wins over the file, which wins over the default. See README.md."
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Print the records in a file of framed WAL (a safekeeper segment or a captured stream).
    Waldump {
        /// The file to read.
        file: PathBuf,
        /// LSN of the file's first byte, in PostgreSQL's X/Y form; it must be a record boundary.
        #[arg(long, default_value = "0/1000000")]
        start: Lsn,
    },
    /// Run a safekeeper: one acceptor of WAL consensus, serving many timelines over gRPC.
    ///
    /// `--peers` lists the other safekeepers (`host:port`, comma-separated): the lowest node id
    /// among the reachable ones uploads each timeline's WAL to `--object-store`, and a lagging
    /// safekeeper pulls missing committed WAL from them.
    Safekeeper {
        #[command(flatten)]
        config: ConfigArg,
        /// This safekeeper's node id, unique in the cluster and stable across restarts.
        #[arg(long)]
        id: u64,
        /// gRPC address to listen on.
        #[arg(long)]
        listen: std::net::SocketAddr,
        /// Directory holding the timelines' WAL and control files.
        #[arg(long)]
        data_dir: PathBuf,
        /// Object storage for WAL offload: file:///path, memory:// or s3://bucket/prefix.
        #[arg(long)]
        object_store: Option<String>,
        /// The other safekeepers' gRPC addresses, comma-separated.
        #[arg(long, value_delimiter = ',')]
        peers: Vec<String>,
        /// Serve Prometheus metrics at http://ADDR/metrics.
        #[arg(long)]
        metrics: Option<std::net::SocketAddr>,
        /// Size of new WAL segment files: a power of two from 4KiB to 1GiB. Smaller
        /// segments are sealed, offloaded and trimmed sooner (tests use them).
        #[arg(long, default_value = "16MiB", value_parser = compute::server::parse_size)]
        wal_segment_size: u64,
        #[command(flatten)]
        s3: S3Args,
        #[command(flatten)]
        auth: ServerAuthArgs,
        #[command(flatten)]
        grpc_tls: GrpcTlsArgs,
    },
    /// Run a pageserver: WAL ingest from the safekeepers, GetPage@LSN over gRPC, layer files
    /// in object storage (local disk is a cache).
    Pageserver {
        #[command(flatten)]
        config: ConfigArg,
        /// gRPC address to listen on.
        #[arg(long)]
        listen: std::net::SocketAddr,
        /// Local cache of layer files.
        #[arg(long)]
        data_dir: PathBuf,
        /// Object storage: file:///path, memory:// or s3://bucket/prefix.
        #[arg(long)]
        object_store: String,
        /// The safekeepers' gRPC addresses, comma-separated.
        #[arg(long, value_delimiter = ',')]
        safekeepers: Vec<String>,
        /// Serve Prometheus metrics at http://ADDR/metrics.
        #[arg(long)]
        metrics: Option<std::net::SocketAddr>,
        /// How often background maintenance (flush, compaction, GC, upload) runs.
        #[arg(long, default_value = "10s", value_parser = strata::durations::parse_duration)]
        maintenance_interval: std::time::Duration,
        /// Freeze and upload the open in-memory layer once it is this old, so
        /// `remote_consistent_lsn` advances on a quiet timeline.
        #[arg(long, default_value = "10m", value_parser = strata::durations::parse_duration)]
        checkpoint_interval: std::time::Duration,
        #[command(flatten)]
        s3: S3Args,
        #[command(flatten)]
        auth: ServerAuthArgs,
        #[command(flatten)]
        grpc_tls: GrpcTlsArgs,
    },
    /// Create or list timelines (branches) on a pageserver.
    Timeline {
        #[command(subcommand)]
        cmd: TimelineCmd,
    },
    /// Show each timeline as the pageserver and every safekeeper see it.
    ///
    /// Per timeline: each safekeeper's term and flush/commit LSN; the pageserver's generation,
    /// ingested and remote-consistent LSN, layer counts and physical size in the object store;
    /// the lag in bytes (committed but not ingested; ingested but not uploaded).
    ///
    /// With no addresses it reads DATA_DIR/cluster.toml, written by a running `strata start`.
    /// Exits non-zero unless the pageserver and a majority of the safekeepers answered.
    Status {
        #[command(flatten)]
        cluster: ClusterArgs,
        /// The tenant whose timelines to show.
        #[arg(long, default_value = "default")]
        tenant: String,
        /// Only this timeline (default: every timeline of the tenant).
        #[arg(long)]
        timeline: Option<String>,
        /// Print JSON (for scripts) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Start a whole cluster in this process (3 safekeepers, a pageserver, a primary compute)
    /// on a local folder: the embedded default. Stops cleanly on Ctrl-C; run again to resume.
    ///
    /// Prints a line per component as it comes up, then the connection string and where data
    /// and logs live. Logs go to DATA_DIR/logs/ (rotated daily, a week kept), and to the
    /// terminal too with --verbose or when RUST_LOG is set. The addresses chosen are written
    /// to DATA_DIR/cluster.toml, where `strata status` and `strata timeline` find them.
    Start {
        #[command(flatten)]
        config: ConfigArg,
        /// Where every component keeps its data; created if missing, resumed if present.
        #[arg(long, default_value = "./strata-data")]
        data_dir: PathBuf,
        /// Object storage instead of DATA_DIR/objects: file:///path, s3://bucket/prefix.
        #[arg(long)]
        object_store: Option<String>,
        /// The PostgreSQL port on 127.0.0.1.
        #[arg(long, default_value_t = 55432)]
        port: u16,
        /// The compute's page cache size, e.g. 64MiB, 256MiB, 1GiB.
        #[arg(long, default_value = "256MiB", value_parser = compute::server::parse_size)]
        cache_size: u64,
        /// Require SCRAM-SHA-256 passwords from these users (see `strata users add`);
        /// without it anyone may connect, on 127.0.0.1 only.
        #[arg(long)]
        users_file: Option<PathBuf>,
        /// Rules deciding per connection who may connect and how, first match wins, one
        /// `TYPE DATABASE USER ADDRESS METHOD` a line as in pg_hba.conf (host/hostssl/
        /// hostnossl; all or name lists; all, an IP or CIDR; trust, scram-sha-256 or reject).
        /// A client no rule matches is refused. Passwords: catalog roles, then --users-file.
        #[arg(long)]
        auth_rules: Option<PathBuf>,
        /// Serve Prometheus metrics (all components) at http://ADDR/metrics.
        #[arg(long)]
        metrics: Option<std::net::SocketAddr>,
        /// Also print the components' logs on the terminal (stderr).
        #[arg(long)]
        verbose: bool,
        /// Safekeepers to run: 3 (a commit is durable on 2 of them) or 1 (one fdatasync per
        /// commit; on one disk the three copies guard against losing a file, not the disk).
        /// Fixed when the data directory is created.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=3))]
        safekeepers: u8,
        /// Also start this many read replicas (each on a free port; their connection
        /// strings are printed). Replicas refuse writes and follow the primary's commits.
        #[arg(long, default_value_t = 0)]
        replicas: usize,
        /// Serve this branch (timeline of tenant `default`) instead of `main`: the compute and
        /// the replicas run on it. A branch that does not exist yet is created from `main` at
        /// its latest commit; for another parent or point in time, create it first with
        /// `strata timeline create --from ... --at ...` while the cluster runs.
        #[arg(long, default_value = "main")]
        branch: String,
        /// Serve TLS with a self-signed certificate made once in DATA_DIR/tls/ (names
        /// localhost, 127.0.0.1, ::1; clients verify it with sslrootcert=DATA_DIR/tls/server.crt).
        #[arg(long, conflicts_with = "tls_cert")]
        tls: bool,
        #[command(flatten)]
        tls_args: TlsArgs,
        /// TLS between the components too (gRPC and the safekeepers' Append wire), with a
        /// self-signed certificate made once in DATA_DIR/tls/grpc/; the admin commands find
        /// it through DATA_DIR/cluster.toml.
        #[arg(long)]
        grpc_tls: bool,
        #[command(flatten)]
        s3: S3Args,
    },
    /// Run a primary compute: wins an election on the safekeepers (fencing any older
    /// primary), reads pages from the pageserver, serves PostgreSQL clients on `--listen`.
    ///
    /// Commits return once a majority of the safekeepers has flushed them. The timeline is
    /// created on the pageserver if it does not exist yet.
    ///
    /// Authentication: on a loopback `--listen` anyone may connect as anyone (trust), as a
    /// local PostgreSQL; with `--users-file` clients log in with SCRAM-SHA-256 passwords. On
    /// any other address the compute refuses to start without a users file, unless
    /// `--auth trust` says that is what you want.
    Compute {
        #[command(flatten)]
        config: ConfigArg,
        /// PostgreSQL wire-protocol address to listen on.
        #[arg(long)]
        listen: std::net::SocketAddr,
        /// The pageserver's gRPC address.
        #[arg(long)]
        pageserver: String,
        /// The safekeepers' gRPC addresses, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        safekeepers: Vec<String>,
        /// Tenant name ([a-z0-9_-]{1,63}).
        #[arg(long, default_value = "default")]
        tenant: String,
        /// Timeline name ([a-z0-9_-]{1,63}).
        #[arg(long, default_value = "main")]
        timeline: String,
        /// Page cache size, e.g. 64MiB, 256MiB, 1GiB.
        #[arg(long, default_value = "256MiB", value_parser = compute::server::parse_size)]
        cache_size: u64,
        /// Most client connections at once; more get FATAL 53300.
        #[arg(long, default_value_t = 100)]
        max_connections: usize,
        /// `trust` (anyone) or `scram` (SCRAM-SHA-256 against --users-file). Default: scram
        /// with a users file, else trust on a loopback address, else refuse to start.
        #[arg(long)]
        auth: Option<compute::frontend::auth::AuthMethod>,
        /// Users and their SCRAM-SHA-256 verifiers, one `name:SCRAM-SHA-256$...` a line
        /// (PostgreSQL's rolpassword format; make lines with `strata users add`).
        #[arg(long)]
        users_file: Option<PathBuf>,
        /// Rules deciding per connection who may connect and how, first match wins, one
        /// `TYPE DATABASE USER ADDRESS METHOD` a line as in pg_hba.conf (host/hostssl/
        /// hostnossl; all or name lists; all, an IP or CIDR; trust, scram-sha-256 or reject).
        /// A client no rule matches is refused. Passwords: catalog roles, then --users-file.
        #[arg(long)]
        auth_rules: Option<PathBuf>,
        /// Serve Prometheus metrics at http://ADDR/metrics.
        #[arg(long)]
        metrics: Option<std::net::SocketAddr>,
        /// Start a read replica: no election; it streams committed WAL from the
        /// safekeepers, serves snapshots at the LSN it has applied and refuses writes
        /// (SQLSTATE 25006). Any number may run beside the primary.
        #[arg(long)]
        read_only: bool,
        /// With --read-only: the primary's address, named in the error writes get.
        #[arg(long, requires = "read_only")]
        primary: Option<String>,
        #[command(flatten)]
        tls_args: TlsArgs,
        #[command(flatten)]
        grpc_tls: GrpcCaArg,
        /// A compute token (`strata auth token --role compute --tenant T`) sent with every
        /// call to the safekeepers and the pageserver, when they run with --auth-public-key.
        /// Read again on SIGHUP and every 10 s (renew short-lived tokens in place).
        #[arg(long, value_name = "FILE")]
        auth_token_file: Option<PathBuf>,
    },
    /// Component auth: make a key pair and sign tokens for `--auth-public-key` servers.
    #[command(subcommand)]
    Auth(AuthCmd),
    /// Manage a compute's users file (`strata compute --users-file`).
    #[command(subcommand)]
    Users(UsersCmd),
}

/// `strata auth ...`
#[derive(Subcommand)]
enum AuthCmd {
    /// Write a new Ed25519 key pair to DIR: auth_key.pem (private, mode 0600: signs
    /// tokens) and auth_key.pub.pem (public: every server's --auth-public-key).
    Keygen {
        /// The directory to write the two files to (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
    /// Print a token (a JWT signed with the private key) for one role and scope.
    Token {
        /// The private key (auth_key.pem from `strata auth keygen`).
        #[arg(long)]
        key: PathBuf,
        /// compute (needs --tenant), pageserver, safekeeper or admin.
        #[arg(long)]
        role: proto::auth::Role,
        /// Only this tenant (a compute's tenant); every tenant when absent.
        #[arg(long)]
        tenant: Option<String>,
        /// Only this timeline of --tenant.
        #[arg(long, requires = "tenant")]
        timeline: Option<String>,
        /// How long the token is valid, e.g. 1h, 30m, 7d.
        #[arg(long, default_value = "1h", value_parser = strata::durations::parse_duration)]
        ttl: std::time::Duration,
    },
}

/// `--auth-public-key` / `--auth-token-file` of the safekeeper and the pageserver.
#[derive(clap::Args, Debug)]
struct ServerAuthArgs {
    /// Check every gRPC call's token against this Ed25519 public key (PEM, from
    /// `strata auth keygen`); without it the server answers anyone who reaches its port.
    /// The file may hold several keys, or be a directory of `*.pem` files: a token signed by
    /// any of them is accepted, and the keys are read again on SIGHUP and every 10 s, so
    /// keys rotate without a restart.
    #[arg(long, value_name = "FILE")]
    auth_public_key: Option<PathBuf>,
    /// The token this server sends to the safekeepers it calls (a safekeeper's peers,
    /// a pageserver's safekeepers): `strata auth token --role safekeeper|pageserver`.
    /// Read again on SIGHUP and every 10 s (renew short-lived tokens in place).
    #[arg(long, value_name = "FILE")]
    auth_token_file: Option<PathBuf>,
}

impl ServerAuthArgs {
    fn load(&self) -> anyhow::Result<(proto::auth::SharedVerifier, proto::auth::Token)> {
        let verifier = match &self.auth_public_key {
            Some(p) => Some(std::sync::Arc::new(
                proto::auth::Verifier::from_file(p).context("--auth-public-key")?,
            )),
            None => None,
        };
        let token = proto::auth::Token::from_optional_file(self.auth_token_file.as_deref())
            .context("--auth-token-file")?;
        Ok((verifier, token))
    }
}

/// `--grpc-tls-cert` / `--grpc-tls-key` / `--grpc-tls-ca` of the safekeeper and the pageserver.
#[derive(clap::Args, Debug)]
struct GrpcTlsArgs {
    /// Serve gRPC (and the safekeeper's Append wire) over TLS only, with this PEM
    /// certificate chain (leaf first; its names must match the address clients dial).
    #[arg(long, value_name = "FILE", requires = "grpc_tls_key")]
    grpc_tls_cert: Option<PathBuf>,
    /// The certificate's PEM private key.
    #[arg(long, value_name = "FILE", requires = "grpc_tls_cert")]
    grpc_tls_key: Option<PathBuf>,
    #[command(flatten)]
    ca: GrpcCaArg,
}

impl GrpcTlsArgs {
    fn server(&self) -> anyhow::Result<Option<proto::tls::ServerTls>> {
        let (Some(cert), Some(key)) = (&self.grpc_tls_cert, &self.grpc_tls_key) else {
            return Ok(None);
        };
        let files = proto::tls::TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        };
        Ok(Some(
            proto::tls::ServerTls::from_files(&files).context("--grpc-tls-cert/--grpc-tls-key")?,
        ))
    }
}

/// `--grpc-tls-ca` of every process that calls a safekeeper or a pageserver.
#[derive(clap::Args, Debug)]
struct GrpcCaArg {
    /// Call the safekeepers and the pageserver over TLS, trusting the CA certificate(s) in
    /// this PEM file (or their self-signed certificate itself).
    #[arg(long, value_name = "FILE")]
    grpc_tls_ca: Option<PathBuf>,
}

impl GrpcCaArg {
    fn client(&self) -> anyhow::Result<Option<proto::tls::ClientTls>> {
        self.grpc_tls_ca
            .as_deref()
            .map(proto::tls::ClientTls::from_ca_file)
            .transpose()
            .context("--grpc-tls-ca")
    }
}

/// `strata users ...`
#[derive(Subcommand)]
enum UsersCmd {
    /// Set a user's password: reads it from the first line of standard input and writes
    /// the user's SCRAM-SHA-256 verifier to the file (created with mode 0600 if missing;
    /// the user's old line is replaced). No password is stored.
    ///
    /// Example: `printf '%s\n' 'pa55word' | strata users add --file users --user alice`
    Add {
        /// The users file.
        #[arg(long)]
        file: PathBuf,
        /// The user name (no ':').
        #[arg(long)]
        user: String,
    },
}

/// `strata timeline ...`
#[derive(Subcommand)]
enum TimelineCmd {
    /// Create a root timeline, or a branch of `--from` at its last record, an LSN or a time.
    ///
    /// The pageserver creates it, then a majority of the safekeepers must hold it. With no
    /// addresses it reads DATA_DIR/cluster.toml, written by a running `strata start`.
    Create {
        #[command(flatten)]
        cluster: ClusterArgs,
        /// The tenant to create the timeline in.
        #[arg(long, default_value = "default")]
        tenant: String,
        /// The new timeline's name.
        #[arg(long)]
        timeline: String,
        /// Branch from this timeline (same tenant); a root timeline when absent.
        #[arg(long)]
        from: Option<String>,
        /// Branch point: an LSN (X/Y) or an RFC 3339 time (the last commit at or before it).
        #[arg(long, requires = "from")]
        at: Option<strata::admin::BranchPoint>,
    },
    /// List a pageserver's timelines (with no address: the one in DATA_DIR/cluster.toml).
    List {
        /// The pageserver's gRPC address (default: from DATA_DIR/cluster.toml).
        #[arg(long)]
        pageserver: Option<String>,
        /// A running `strata start`'s data directory, whose cluster.toml names the pageserver.
        #[arg(long, default_value = "./strata-data")]
        data_dir: PathBuf,
        /// Only this tenant's timelines (all when absent).
        #[arg(long)]
        tenant: Option<String>,
        /// An admin token to send (default: DATA_DIR/auth/admin.token if it exists).
        #[arg(long, value_name = "FILE")]
        auth_token_file: Option<PathBuf>,
        /// Call over TLS trusting this CA (default: the one DATA_DIR/cluster.toml names).
        #[arg(long, value_name = "FILE")]
        grpc_tls_ca: Option<PathBuf>,
    },
}

/// `--config FILE` of the server subcommands (read before parsing: see `strata::config_file`).
#[derive(clap::Args, Debug)]
struct ConfigArg {
    /// A TOML file of settings: keys are this command's flag names (`data-dir = "..."`).
    /// Precedence: flag > STRATA_* variable > this file > default.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

/// The servers an admin command talks to: given, or read from a running
/// `strata start`'s DATA_DIR/cluster.toml.
#[derive(clap::Args, Debug)]
struct ClusterArgs {
    /// The pageserver's gRPC address (default: from DATA_DIR/cluster.toml).
    #[arg(long)]
    pageserver: Option<String>,
    /// The safekeepers' gRPC addresses, comma-separated (default: from DATA_DIR/cluster.toml).
    #[arg(long, value_delimiter = ',')]
    safekeepers: Vec<String>,
    /// A running `strata start`'s data directory, whose cluster.toml names the servers.
    #[arg(long, default_value = "./strata-data")]
    data_dir: PathBuf,
    /// An admin token to send (default: DATA_DIR/auth/admin.token if it exists).
    #[arg(long, value_name = "FILE")]
    auth_token_file: Option<PathBuf>,
    /// Call over TLS trusting this CA (default: the one DATA_DIR/cluster.toml names).
    #[arg(long, value_name = "FILE")]
    grpc_tls_ca: Option<PathBuf>,
}

impl ClusterArgs {
    fn access(&self) -> Result<strata::admin::Access, strata::admin::AdminError> {
        strata::cluster_file::admin_access(
            self.auth_token_file.as_deref(),
            self.grpc_tls_ca.as_deref(),
            &self.data_dir,
        )
    }

    fn resolve(self) -> Result<strata::cluster_file::Servers, strata::admin::AdminError> {
        strata::cluster_file::resolve(self.pageserver, self.safekeepers, &self.data_dir, true)
    }
}

/// Runs one admin client call: warnings to stderr, a small runtime; prints
/// the text (partial on error) and turns the error into a non-zero exit.
fn run_client<F: Future<Output = (String, Result<(), strata::admin::AdminError>)>>(
    call: impl FnOnce() -> F,
) -> anyhow::Result<()> {
    strata::logging::init_client();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (out, result) = rt.block_on(call());
    print!("{out}");
    Ok(result?)
}

/// Connection settings for `s3://` object stores (keys from the usual AWS_* variables).
#[derive(clap::Args, Debug)]
struct S3Args {
    /// S3 endpoint for s3:// URLs (MinIO, moto); AWS when absent.
    #[arg(long)]
    s3_endpoint: Option<String>,
    /// S3 region (default: AWS_REGION, then us-east-1).
    #[arg(long)]
    s3_region: Option<String>,
    /// Allow plain-HTTP S3 endpoints.
    #[arg(long)]
    s3_allow_http: bool,
    /// Server-side encryption of every object written: AES256 (SSE-S3), aws:kms (SSE-KMS),
    /// aws:kms:dsse, or sse-c (key in AWS_SSE_CUSTOMER_KEY_BASE64). Default:
    /// AWS_SERVER_SIDE_ENCRYPTION, else the bucket's default encryption.
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(remote_storage::SSE_MODES))]
    s3_sse: Option<String>,
    /// The KMS key (id, ARN or alias) for --s3-sse aws:kms / aws:kms:dsse (default:
    /// AWS_SSE_KMS_KEY_ID, else the AWS-managed key).
    #[arg(long)]
    s3_sse_kms_key_id: Option<String>,
    /// Use S3 Bucket Keys with SSE-KMS (fewer KMS requests).
    #[arg(long)]
    s3_sse_bucket_key: bool,
}

impl S3Args {
    fn options(self) -> remote_storage::S3Options {
        remote_storage::S3Options {
            endpoint: self.s3_endpoint,
            region: self.s3_region,
            allow_http: self.s3_allow_http,
            sse: self.s3_sse,
            sse_kms_key_id: self.s3_sse_kms_key_id,
            sse_bucket_key: self.s3_sse_bucket_key.then_some(true),
            ..Default::default()
        }
    }
}

/// TLS on the PostgreSQL port (shared by `compute` and `start`).
#[derive(clap::Args)]
struct TlsArgs {
    /// A PEM certificate chain (leaf first) for PostgreSQL clients: an SSLRequest is then
    /// answered with TLS (sslmode=require / verify-full work). Needs --tls-key.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's PEM private key (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Refuse clients that do not use TLS (FATAL 28000 before any password is asked).
    #[arg(long)]
    tls_required: bool,
}

impl TlsArgs {
    fn files(&self) -> Option<compute::frontend::tls::TlsFiles> {
        Some(compute::frontend::tls::TlsFiles {
            cert: self.tls_cert.clone()?,
            key: self.tls_key.clone()?,
        })
    }
}

/// Fails with a message naming `flag` when `addr` cannot be bound (in use,
/// or not an address of this machine). A port 0 is always free.
fn ensure_free(addr: SocketAddr, flag: &str) -> anyhow::Result<()> {
    if addr.port() == 0 {
        return Ok(());
    }
    match std::net::TcpListener::bind(addr) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => anyhow::bail!(
            "port {} ({addr}) is already in use: stop what listens there, or choose another \
             with {flag}",
            addr.port()
        ),
        Err(e) => anyhow::bail!("cannot listen on {addr} ({flag}): {e}"),
    }
}

/// Runs a server until Ctrl-C or SIGTERM: a tokio runtime, the Prometheus and health
/// endpoint at `--metrics` (`/readyz` probes `service`, the server's own address), and one
/// cancellation token that the signal handler fires. Logging is set up by the caller
/// (`strata::logging`).
fn run_server<F, Fut>(
    metrics: Option<SocketAddr>,
    service: Option<SocketAddr>,
    serve: F,
) -> anyhow::Result<()>
where
    F: FnOnce(CancellationToken) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    if let Some(addr) = metrics {
        ensure_free(addr, "--metrics")?;
    }
    tokio::runtime::Runtime::new()?.block_on(async move {
        let cancel = CancellationToken::new();
        if let Some(addr) = metrics {
            remote_storage::metrics::register();
            let (bound, _) = strata::metrics_http::serve(addr, service, cancel.clone())
                .await
                .with_context(|| format!("serve metrics on {addr}"))?;
            tracing::info!(%bound, "serving /metrics, /healthz and /readyz");
        }
        let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("install SIGTERM handler")?;
        let on_signal = cancel.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = sigterm.recv() => {}
            }
            tracing::info!("shutting down");
            on_signal.cancel();
        });
        serve(cancel).await
    })
}

/// Parses the command line with `STRATA_*` variables and the `--config` file
/// (see `strata::config_file`).
fn parse() -> anyhow::Result<Cli> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let mut cmd = strata::config_file::with_env(Cli::command());
    if let Some((sub, path)) =
        strata::config_file::config_path(&args, std::env::var_os("STRATA_CONFIG"))
    {
        cmd = strata::config_file::apply_file(cmd, &sub, &path)?;
    }
    let matches = cmd.get_matches_from(args);
    Ok(Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit()))
}

fn main() -> anyhow::Result<()> {
    match parse()?.cmd {
        Cmd::Waldump { file, start } => {
            let mut f = File::open(&file).with_context(|| format!("open {}", file.display()))?;
            let stdout = std::io::stdout();
            let s = strata::waldump::dump(&mut f, start, &mut stdout.lock())
                .with_context(|| format!("dump {}", file.display()))?;
            eprintln!(
                "{} records, {} page changes, WAL ends at {}",
                s.records, s.page_changes, s.end_lsn
            );
        }
        Cmd::Safekeeper {
            config: file,
            id,
            listen,
            data_dir,
            object_store,
            peers,
            metrics,
            wal_segment_size,
            s3,
            auth,
            grpc_tls,
        } => {
            let mut config = safekeeper::server::Config::new(id, listen, data_dir);
            (config.auth, config.auth_token) = auth.load()?;
            config.tls = grpc_tls.server()?;
            config.peer_tls = grpc_tls.ca.client()?;
            config.object_store = object_store;
            config.segment_size = wal_segment_size;
            config.peers = peers.into_iter().filter(|p| !p.is_empty()).collect();
            config.s3 = s3.options();
            strata::logging::init_server();
            log_config(&file);
            ensure_free(config.listen, "--listen")?;
            let auth_files = (config.auth.clone(), config.auth_token.clone());
            run_server(metrics, Some(config.listen), |cancel| async move {
                strata::auth_reload::spawn(auth_files.0, auth_files.1, cancel.clone());
                safekeeper::server::run(config, cancel)
                    .await
                    .context("run safekeeper")
            })?;
        }
        Cmd::Pageserver {
            config: file,
            listen,
            data_dir,
            object_store,
            safekeepers,
            metrics,
            maintenance_interval,
            checkpoint_interval,
            s3,
            auth,
            grpc_tls,
        } => {
            let mut config = pageserver::Config::new(listen, data_dir, object_store);
            (config.auth, config.auth_token) = auth.load()?;
            config.tls = grpc_tls.server()?;
            config.safekeeper_tls = grpc_tls.ca.client()?;
            config.maintenance_interval = Some(maintenance_interval);
            config.checkpoint_interval = checkpoint_interval;
            config.safekeepers = safekeepers.into_iter().filter(|s| !s.is_empty()).collect();
            config.s3 = s3.options();
            strata::logging::init_server();
            log_config(&file);
            ensure_free(config.listen, "--listen")?;
            let auth_files = (config.auth.clone(), config.auth_token.clone());
            run_server(metrics, Some(config.listen), |cancel| async move {
                strata::auth_reload::spawn(auth_files.0, auth_files.1, cancel.clone());
                pageserver::run(config, cancel)
                    .await
                    .context("run pageserver")
            })?;
        }
        Cmd::Timeline {
            cmd:
                TimelineCmd::Create {
                    cluster,
                    tenant,
                    timeline,
                    from,
                    at,
                },
        } => {
            let access = cluster.access()?;
            let servers = cluster.resolve()?;
            run_client(|| async move {
                strata::admin::create_timeline(
                    &servers.pageserver,
                    &servers.safekeepers,
                    &tenant,
                    &timeline,
                    from.as_deref(),
                    at,
                    &access,
                )
                .await
            })?
        }
        Cmd::Timeline {
            cmd:
                TimelineCmd::List {
                    pageserver,
                    data_dir,
                    tenant,
                    auth_token_file,
                    grpc_tls_ca,
                },
        } => {
            let access = strata::cluster_file::admin_access(
                auth_token_file.as_deref(),
                grpc_tls_ca.as_deref(),
                &data_dir,
            )?;
            let servers = strata::cluster_file::resolve(pageserver, Vec::new(), &data_dir, false)?;
            run_client(|| async move {
                match strata::admin::list_timelines(&servers.pageserver, tenant.as_deref(), &access)
                    .await
                {
                    Ok(out) => (out, Ok(())),
                    Err(e) => (String::new(), Err(e)),
                }
            })?
        }
        Cmd::Status {
            cluster,
            tenant,
            timeline,
            json,
        } => {
            let access = cluster.access()?;
            let servers = cluster.resolve()?;
            let req = strata::status::StatusRequest {
                access,
                pageserver: servers.pageserver,
                safekeepers: servers.safekeepers,
                tenant,
                timeline,
            };
            run_client(|| async move {
                let (st, result) = strata::status::status(&req).await;
                let text = if json { st.to_json() } else { st.to_text() };
                (text, result)
            })?
        }
        Cmd::Start {
            config: file,
            data_dir,
            object_store,
            port,
            cache_size,
            users_file,
            auth_rules,
            metrics,
            verbose,
            safekeepers,
            replicas,
            branch,
            tls,
            tls_args,
            grpc_tls,
            s3,
        } => {
            let data_dir = std::path::absolute(&data_dir)
                .with_context(|| format!("data directory {}", data_dir.display()))?;
            ensure_free(std::net::SocketAddr::from(([127, 0, 0, 1], port)), "--port")?;
            let logs = strata::local_cluster::logs_dir(&data_dir);
            let _log_guard = strata::logging::init_embedded(&logs, verbose)
                .with_context(|| format!("set up logging in {}", logs.display()))?;
            log_config(&file);
            let mut config = strata::LocalClusterConfig::new(data_dir);
            config.object_store = object_store;
            config.port = port;
            config.cache_bytes = Some(cache_size);
            config.users_file = users_file;
            config.auth_rules = auth_rules;
            config.safekeepers = safekeepers as usize;
            config.replicas = replicas;
            if branch != "main" {
                config.timeline = proto::TimelineId::new("default", &branch)
                    .with_context(|| format!("--branch {branch:?}"))?;
                config.branch_from = Some("main".into());
            }
            config.tls = if tls {
                let dir = config.data_dir.join("tls");
                Some(strata::self_signed::ensure(&dir).with_context(|| {
                    format!("make a self-signed certificate in {}", dir.display())
                })?)
            } else {
                tls_args.files()
            };
            config.tls_required = tls_args.tls_required;
            config.grpc_tls = grpc_tls;
            let tls_files = config.tls.clone();
            config.s3 = s3.options();
            // Port 0 lets the compute choose: then readiness is liveness.
            let compute = (port != 0).then(|| std::net::SocketAddr::from(([127, 0, 0, 1], port)));
            run_server(metrics, compute, |cancel| async move {
                println!("Starting Strata in {}", config.data_dir.display());
                let started = std::time::Instant::now();
                let cluster = tokio::select! {
                    c = strata::LocalCluster::start_reporting(config, |s| print_started(&s, started)) => {
                        c.context("start the local cluster")?
                    }
                    _ = cancel.cancelled() => anyhow::bail!("interrupted while starting"),
                };
                print_running(&cluster, metrics, tls_files.as_ref(), tls);
                cancel.cancelled().await;
                println!("Stopping...");
                cluster.stop().await;
                println!("Strata stopped.");
                Ok(())
            })?;
        }
        Cmd::Compute {
            config: file,
            listen,
            pageserver,
            safekeepers,
            tenant,
            timeline,
            cache_size,
            max_connections,
            auth,
            users_file,
            auth_rules,
            metrics,
            read_only,
            primary,
            tls_args,
            grpc_tls,
            auth_token_file,
        } => {
            let timeline = proto::TimelineId::new(&tenant, &timeline)
                .with_context(|| format!("tenant {tenant:?} / timeline {timeline:?}"))?;
            let safekeepers = safekeepers.into_iter().filter(|s| !s.is_empty()).collect();
            let mut config =
                compute::server::ServerConfig::new(listen, pageserver, safekeepers, timeline);
            config.cache_bytes = cache_size;
            config.max_connections = max_connections;
            config.auth = auth;
            config.users_file = users_file;
            config.auth_rules = auth_rules;
            config.read_only = read_only;
            config.primary = primary;
            config.tls = tls_args.files();
            config.tls_required = tls_args.tls_required;
            config.grpc_tls = grpc_tls.client()?;
            config.auth_token = proto::auth::Token::from_optional_file(auth_token_file.as_deref())
                .context("--auth-token-file")?;
            strata::logging::init_server();
            log_config(&file);
            ensure_free(config.listen, "--listen")?;
            let token = config.auth_token.clone();
            run_server(metrics, Some(config.listen), |cancel| async move {
                strata::auth_reload::spawn(None, token, cancel.clone());
                compute::server::run(config, cancel)
                    .await
                    .context("run compute")
            })?;
        }
        Cmd::Auth(AuthCmd::Keygen { out }) => {
            let (private, public) = strata::auth_files::keygen(&out)?;
            println!(
                "private key (signs tokens; keep it secret): {}",
                private.display()
            );
            println!("public key (--auth-public-key): {}", public.display());
        }
        Cmd::Auth(AuthCmd::Token {
            key,
            role,
            tenant,
            timeline,
            ttl,
        }) => {
            let signer = proto::auth::Signer::from_file(&key)?;
            println!(
                "{}",
                signer.token(role, tenant.as_deref(), timeline.as_deref(), ttl)?
            );
        }
        Cmd::Users(UsersCmd::Add { file, user }) => {
            use std::io::IsTerminal;
            if std::io::stdin().is_terminal() {
                eprint!("Password for {user} (shown as typed): ");
            }
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .context("read the password from standard input")?;
            let password = password.trim_end_matches(['\n', '\r']);
            compute::frontend::users::set_password(&file, &user, password)
                .with_context(|| format!("set the password of {user:?}"))?;
            eprintln!("set the password of {user:?} in {}", file.display());
        }
    }
    Ok(())
}

/// Logs which config file the settings came from.
fn log_config(file: &ConfigArg) {
    if let Some(path) = &file.config {
        tracing::info!(config = %path.display(), "settings from a config file (flags and STRATA_* variables win)");
    }
}

/// `strata start`'s progress line for a component that came up.
fn print_started(s: &strata::Started, since: std::time::Instant) {
    let secs = since.elapsed().as_secs_f64();
    let (what, addrs) = match s {
        strata::Started::Safekeepers(a) => ("safekeepers", a.clone()),
        strata::Started::Pageserver(a) => ("pageserver", vec![*a]),
        strata::Started::Compute(a) => ("compute", vec![*a]),
        strata::Started::Replica(a) => ("replica", vec![*a]),
        strata::Started::Branched { from, at } => {
            println!("  branch       created from {from} at {at}  ({secs:.1}s)");
            return;
        }
    };
    let addrs: Vec<String> = addrs.iter().map(|a| a.to_string()).collect();
    println!("  {what:<12} up at {}  ({secs:.1}s)", addrs.join(", "));
}

/// What `strata start` prints once the cluster serves.
fn print_running(
    cluster: &strata::LocalCluster,
    metrics: Option<SocketAddr>,
    tls: Option<&compute::frontend::tls::TlsFiles>,
    self_signed: bool,
) {
    let dir = cluster.data_dir();
    let quoted = shell_quote(dir);
    println!("Strata is running.");
    let ssl = match tls {
        Some(files) if self_signed => {
            format!("?sslmode=verify-full&sslrootcert={}", files.cert.display())
        }
        Some(_) => "?sslmode=require".to_string(),
        None => String::new(),
    };
    println!("  Connect:  psql '{}{ssl}'", cluster.connection_string());
    for addr in cluster.replica_addrs() {
        println!(
            "  Replica:  psql '{}{ssl}'  (read-only)",
            strata::LocalCluster::replica_connection_string(addr)
        );
    }
    if cluster.timeline.timeline.to_string() != "main" {
        println!("  Branch:   {}", cluster.timeline.timeline);
    }
    println!("  Data:     {}", dir.display());
    println!("  Logs:     {}", cluster.logs_dir().display());
    if let Some(m) = metrics {
        println!("  Metrics:  http://{m}/metrics");
    }
    println!("  Status:   strata status --data-dir {quoted}");
    println!("Press Ctrl-C to stop; run `strata start` again to resume.");
}

/// A path as a shell word (single-quoted when it needs to be).
fn shell_quote(p: &Path) -> String {
    let s = p.display().to_string();
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:@".contains(c))
    {
        s
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every subcommand says what it does and every flag what it means (`--help`).
    #[test]
    fn every_command_and_flag_has_help() {
        fn check(cmd: &clap::Command, path: &str) {
            assert!(cmd.get_about().is_some(), "`{path}` has no description");
            for arg in cmd.get_arguments() {
                assert!(
                    arg.get_help().is_some() || arg.get_long_help().is_some(),
                    "`{path}` --{} has no description",
                    arg.get_id()
                );
            }
            for sub in cmd.get_subcommands() {
                check(sub, &format!("{path} {}", sub.get_name()));
            }
        }
        let cmd = strata::config_file::with_env(Cli::command());
        cmd.clone().debug_assert();
        check(&cmd, "strata");
    }
}
