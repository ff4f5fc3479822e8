//! The `strata` command line. Each subcommand is a thin wrapper over the
//! library (`strata::*`) or a component crate; `anyhow` lives only here.

use std::fs::File;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
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
        Available today: `strata safekeeper`, `strata pageserver`, `strata compute`, \
        `strata timeline create|list`, `strata users add`, `strata status` and `strata waldump`. The embedded \
        cluster (`strata start`) is being built; see README.md."
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
    },
    /// Run a pageserver: WAL ingest from the safekeepers, GetPage@LSN over gRPC, layer files
    /// in object storage (local disk is a cache).
    Pageserver {
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
    },
    /// Create or list timelines (branches) on a pageserver.
    Timeline {
        #[command(subcommand)]
        cmd: TimelineCmd,
    },
    /// Show a timeline as the pageserver and each safekeeper see it (LSNs, generation, layers).
    Status {
        /// The pageserver's gRPC address.
        #[arg(long)]
        pageserver: String,
        /// The safekeepers' gRPC addresses, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        safekeepers: Vec<String>,
        #[arg(long, default_value = "default")]
        tenant: String,
        #[arg(long, default_value = "main")]
        timeline: String,
    },
    /// Start a whole cluster in this process (3 safekeepers, a pageserver, a primary compute)
    /// on a local folder: the embedded default. Stops cleanly on Ctrl-C; run again to resume.
    Start {
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
        /// Serve Prometheus metrics (all components) at http://ADDR/metrics.
        #[arg(long)]
        metrics: Option<std::net::SocketAddr>,
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
        /// Serve Prometheus metrics at http://ADDR/metrics.
        #[arg(long)]
        metrics: Option<std::net::SocketAddr>,
    },
    /// Manage a compute's users file (`strata compute --users-file`).
    #[command(subcommand)]
    Users(UsersCmd),
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
    Create {
        /// The pageserver's gRPC address.
        #[arg(long)]
        pageserver: String,
        /// The safekeepers' gRPC addresses, comma-separated; a majority must hold the timeline.
        #[arg(long, value_delimiter = ',', required = true)]
        safekeepers: Vec<String>,
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
    /// List a pageserver's timelines.
    List {
        /// The pageserver's gRPC address.
        #[arg(long)]
        pageserver: String,
        /// Only this tenant's timelines (all when absent).
        #[arg(long)]
        tenant: Option<String>,
    },
}

/// Runs one admin client call: warnings to stderr, a small runtime; prints
/// the text (partial on error) and turns the error into a non-zero exit.
fn run_client<F: Future<Output = (String, Result<(), strata::admin::AdminError>)>>(
    call: impl FnOnce() -> F,
) -> anyhow::Result<()> {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .try_init();
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
}

/// Runs a server until Ctrl-C or SIGTERM: logging (RUST_LOG, default info),
/// a tokio runtime, the Prometheus endpoint at `--metrics`, and one
/// cancellation token that the signal handler fires.
fn run_server<F, Fut>(metrics: Option<SocketAddr>, serve: F) -> anyhow::Result<()>
where
    F: FnOnce(CancellationToken) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .try_init();
    tokio::runtime::Runtime::new()?.block_on(async move {
        let cancel = CancellationToken::new();
        if let Some(addr) = metrics {
            let (bound, _) = strata::metrics_http::serve(addr, cancel.clone())
                .await
                .with_context(|| format!("serve metrics on {addr}"))?;
            tracing::info!(%bound, "serving metrics at /metrics");
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

fn main() -> anyhow::Result<()> {
    match Cli::parse().cmd {
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
            id,
            listen,
            data_dir,
            object_store,
            peers,
            metrics,
            wal_segment_size,
            s3,
        } => {
            let mut config = safekeeper::server::Config::new(id, listen, data_dir);
            config.object_store = object_store;
            config.segment_size = wal_segment_size;
            config.peers = peers.into_iter().filter(|p| !p.is_empty()).collect();
            config.s3 = safekeeper::server::config::S3Options {
                endpoint: s3.s3_endpoint,
                region: s3.s3_region,
                allow_http: s3.s3_allow_http,
                ..Default::default()
            };
            run_server(metrics, |cancel| async move {
                safekeeper::server::run(config, cancel)
                    .await
                    .context("run safekeeper")
            })?;
        }
        Cmd::Pageserver {
            listen,
            data_dir,
            object_store,
            safekeepers,
            metrics,
            maintenance_interval,
            checkpoint_interval,
            s3,
        } => {
            let mut config = pageserver::Config::new(listen, data_dir, object_store);
            config.maintenance_interval = Some(maintenance_interval);
            config.checkpoint_interval = checkpoint_interval;
            config.safekeepers = safekeepers.into_iter().filter(|s| !s.is_empty()).collect();
            config.s3 = pageserver::S3Options {
                endpoint: s3.s3_endpoint,
                region: s3.s3_region,
                allow_http: s3.s3_allow_http,
                ..Default::default()
            };
            run_server(metrics, |cancel| async move {
                pageserver::run(config, cancel)
                    .await
                    .context("run pageserver")
            })?;
        }
        Cmd::Timeline {
            cmd:
                TimelineCmd::Create {
                    pageserver,
                    safekeepers,
                    tenant,
                    timeline,
                    from,
                    at,
                },
        } => run_client(|| {
            strata::admin::create_timeline(
                &pageserver,
                &safekeepers,
                &tenant,
                &timeline,
                from.as_deref(),
                at,
            )
        })?,
        Cmd::Timeline {
            cmd: TimelineCmd::List { pageserver, tenant },
        } => run_client(|| async move {
            match strata::admin::list_timelines(&pageserver, tenant.as_deref()).await {
                Ok(out) => (out, Ok(())),
                Err(e) => (String::new(), Err(e)),
            }
        })?,
        Cmd::Status {
            pageserver,
            safekeepers,
            tenant,
            timeline,
        } => run_client(|| strata::admin::status(&pageserver, &safekeepers, &tenant, &timeline))?,
        Cmd::Start {
            data_dir,
            object_store,
            port,
            cache_size,
            users_file,
            metrics,
            s3,
        } => {
            let mut config = strata::LocalClusterConfig::new(data_dir);
            config.object_store = object_store;
            config.port = port;
            config.cache_bytes = Some(cache_size);
            config.users_file = users_file;
            config.s3 = remote_storage::S3Options {
                endpoint: s3.s3_endpoint,
                region: s3.s3_region,
                allow_http: s3.s3_allow_http,
                ..Default::default()
            };
            let data_dir = config.data_dir.display().to_string();
            run_server(metrics, |cancel| async move {
                let cluster = strata::LocalCluster::start(config)
                    .await
                    .context("start the local cluster")?;
                println!("Strata is running (data in {data_dir}).");
                println!("Connect with:  psql '{}'", cluster.connection_string());
                println!("Press Ctrl-C to stop; run `strata start` again to resume.");
                cancel.cancelled().await;
                cluster.stop().await;
                println!("Strata stopped.");
                Ok(())
            })?;
        }
        Cmd::Compute {
            listen,
            pageserver,
            safekeepers,
            tenant,
            timeline,
            cache_size,
            max_connections,
            auth,
            users_file,
            metrics,
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
            run_server(metrics, |cancel| async move {
                compute::server::run(config, cancel)
                    .await
                    .context("run compute")
            })?;
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
