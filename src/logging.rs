//! # logging: where each `strata` command's tracing output goes
//!
//! - A server subcommand ([`init_server`]) logs to stderr at `info` (or
//!   `RUST_LOG`): it runs under a supervisor that collects stderr.
//! - An admin command ([`init_client`]) logs warnings only, to stderr.
//! - `strata start` ([`init_embedded`]) is for a person at a terminal: every
//!   component logs to `DATA_DIR/logs/strata.YYYY-MM-DD.log` (rotated daily,
//!   the last [`KEEP_LOG_FILES`] kept), and to stderr only with `--verbose`
//!   or when `RUST_LOG` is set, so the terminal shows just the progress lines
//!   and the connection string.
//!
//! Colors only when the output is a terminal and `NO_COLOR` is unset; never
//! in files.

use std::io::IsTerminal;
use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// Daily log files kept in `DATA_DIR/logs`.
pub const KEEP_LOG_FILES: usize = 7;

/// `RUST_LOG`, else `default`.
fn filter(default: &str) -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default))
}

/// Whether text written to stderr may carry ANSI colors.
pub fn stderr_colors() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Logging for a server subcommand: stderr, `info` unless `RUST_LOG` says otherwise.
pub fn init_server() {
    let _ = tracing_subscriber::fmt()
        .with_ansi(stderr_colors())
        .with_env_filter(filter("info"))
        .try_init();
}

/// Logging for an admin command: warnings on stderr.
pub fn init_client() {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(stderr_colors())
        .with_env_filter(filter("warn"))
        .try_init();
}

/// Logging for `strata start`: the rotated files in `logs_dir` (created if
/// missing), and stderr when `verbose` or `RUST_LOG` is set. Keep the guard
/// until exit: dropping it flushes the file writer.
pub fn init_embedded(logs_dir: &Path, verbose: bool) -> std::io::Result<WorkerGuard> {
    std::fs::create_dir_all(logs_dir)?;
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("strata")
        .filename_suffix("log")
        .max_log_files(KEEP_LOG_FILES)
        .build(logs_dir)
        .map_err(std::io::Error::other)?;
    let (file, guard) = tracing_appender::non_blocking(appender);
    let to_terminal = verbose || std::env::var_os("RUST_LOG").is_some();
    let terminal = to_terminal.then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(stderr_colors())
    });
    let _ = tracing_subscriber::registry()
        .with(filter("info"))
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(file)
                .with_ansi(false),
        )
        .with(terminal)
        .try_init();
    Ok(guard)
}
