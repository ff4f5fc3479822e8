//! Strata's benchmarks, one subcommand each. Run in release:
//! `cargo run --release -p bench -- <subcommand>`. Figures go to
//! BENCHMARKS.md together with the command that produced them.

mod codec;
mod compute;
mod disk;
mod failover;
mod getpages_paced;
mod pageserver;
mod pgbench;
pub mod postgres;
mod replica;
mod safekeepers;
mod sql;

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
    /// `strata start` vs vanilla PostgreSQL: single-row INSERT commit latency and
    /// point SELECT latency, one client (needs `cargo build --release -p strata`).
    Compute(compute::Opts),
    /// pgbench 15, unmodified, against `strata start` and PostgreSQL 15: load time, then
    /// tpcb-like and select-only with -M prepared at 1/8/32 clients (needs
    /// `cargo build --release -p strata`).
    Pgbench(pgbench::Opts),
    /// SQL on `strata start` vs vanilla PostgreSQL: SQLite's sqllogictest corpus total time,
    /// and a 1M-row hash join + GROUP BY (needs `cargo build --release -p strata`).
    Sql(sql::Opts),
    /// Three `strata safekeeper` processes on loopback: append-to-durable
    /// latency at 1 and 32 appenders, fsyncs per append (group commit), bulk
    /// throughput, against the disk's own limits.
    Safekeepers(safekeepers::Opts),
    /// A real `strata pageserver` fed by three safekeepers: ingest MB/s, then
    /// GetPage throughput and latency (cold from layer files, warm from the
    /// cache) at 1 and 16 batches in flight.
    Pageserver(pageserver::Opts),
    /// Failover: kill -9 of the primary compute → first commit on its successor; a
    /// pageserver restarted on a wiped disk → first page served.
    Failover(failover::Opts),
    /// Read replicas: lag (commit acknowledged on the primary → visible on a replica) at
    /// paced write rates, and replica start time (needs `cargo build --release -p strata`).
    Replica(replica::Opts),
    /// The disk's own fdatasync latency and sequential write rate (the
    /// physical limit for WAL durability), and a vanilla PostgreSQL start/stop check.
    Disk {
        /// Where to measure (a directory on the disk that will hold data).
        #[arg(long, default_value = "target/bench-disk")]
        dir: std::path::PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    match Args::parse().cmd {
        Cmd::Codec(o) => codec::run(o),
        Cmd::Compute(o) => compute::run(o),
        Cmd::Pgbench(o) => pgbench::run(o),
        Cmd::Sql(o) => sql::run(o),
        Cmd::Safekeepers(o) => safekeepers::run(o),
        Cmd::Pageserver(o) => pageserver::run(o),
        Cmd::Failover(o) => failover::run(o),
        Cmd::Replica(o) => replica::run(o),
        Cmd::Disk { dir } => {
            let d = disk::measure(&dir)?;
            match d.pg_fdatasync_ops {
                Some(ops) => println!(
                    "pg_test_fsync fdatasync: {ops:.0} ops/s ({:.0} us/op)",
                    1e6 / ops
                ),
                None => println!("pg_test_fsync: not available"),
            }
            println!("write 8 KiB + fdatasync p50: {:.0} us", d.fdatasync_p50_us);
            println!(
                "sequential write (1 MiB writes, one fdatasync): {:.0} MB/s",
                d.seq_write_mbps
            );
            let pg = postgres::VanillaPostgres::start(&[])?;
            println!("vanilla PostgreSQL started on port {} and stopped", pg.port);
            Ok(())
        }
    }
}
