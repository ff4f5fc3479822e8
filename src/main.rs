//! The `strata` command line. Each subcommand is a thin wrapper over the
//! library (`strata::*`) or a component crate; `anyhow` lives only here.

use std::fs::File;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use proto::Lsn;

#[derive(Parser)]
#[command(
    name = "strata",
    version,
    about = "Strata: a PostgreSQL-compatible database with compute separated from storage",
    long_about = "Strata: a PostgreSQL-compatible database with compute separated from storage.\n\n\
        Compute nodes stream WAL to a quorum of safekeepers; a pageserver rebuilds any page at \
        any LSN from that WAL and from layer files in object storage.\n\n\
        Available today: `strata waldump` (inspect framed WAL). The cluster commands \
        (start, safekeeper, pageserver, compute, timeline, status) are being built; see README.md."
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
    }
    Ok(())
}
