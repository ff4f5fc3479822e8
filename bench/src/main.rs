//! Strata's benchmarks, one subcommand each. Run in release:
//! `cargo run --release -p bench -- <subcommand>`. Figures go to
//! BENCHMARKS.md together with the command that produced them.

mod codec;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "strata-bench",
    about = "Strata benchmarks (run with --release)"
)]
struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// WAL decode + CRC throughput and redo (delta apply) rate, one core.
    Codec(codec::Opts),
}

fn main() -> anyhow::Result<()> {
    match Args::parse().cmd {
        Cmd::Codec(o) => codec::run(o),
    }
}
