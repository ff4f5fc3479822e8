//! `strata-bench commit`: one client's commit latency, Strata and PostgreSQL 15 side by side
//! in the same run, repeated in alternating rounds so that the noise of a shared machine
//! shows as spread rather than as a bias against one system.
//!
//! Each round starts a fresh PostgreSQL 15 (fsync and synchronous_commit on) and a fresh
//! `strata start` (release binary next to this one), commits `--inserts` single-row INSERTs
//! (`INSERT INTO bench_commit VALUES ($1, $2)`, int8 key and 100 bytes of text, prepared,
//! autocommit) from one tokio-postgres client on each, and prints p50/p99 and the ratio.
//! With `--tmpfs` both data directories live on /dev/shm, so fdatasync is nearly free and
//! what remains is each system's own software path. With `--perf FILE`, `perf record -g`
//! samples the Strata process (every component: compute, safekeepers, pageserver) during
//! its timed inserts of the first round.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio_postgres::NoTls;

use crate::compute::start_strata_with;
use crate::postgres::{VanillaPostgres, free_port};

#[derive(clap::Args)]
pub struct Opts {
    /// Committed single-row INSERTs per system per round (after 200 untimed ones).
    #[arg(long, default_value_t = 3000)]
    inserts: usize,
    /// Rounds (each starts both systems afresh).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Keep both data directories on tmpfs (/dev/shm).
    #[arg(long)]
    tmpfs: bool,
    /// Passed to `strata start --safekeepers` (the binary's default when absent).
    #[arg(long)]
    safekeepers: Option<usize>,
    /// Where Strata keeps its data when not on tmpfs (wiped first).
    #[arg(long, default_value = "target/bench-commit")]
    dir: PathBuf,
    /// Record a `perf record -g` profile of Strata's first timed round into this file.
    #[arg(long)]
    perf: Option<PathBuf>,
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// Context switches of every thread of process `pid` so far (voluntary and not): each
/// hand-off between threads on the commit path costs at least one.
fn context_switches(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("status")).ok())
        .flat_map(|s| {
            s.lines()
                .filter(|l| l.contains("ctxt_switches:"))
                .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .collect::<Vec<_>>()
        })
        .sum()
}

/// What one system measured: p50, p99 (ms), context switches per commit of `pid`.
struct Measured {
    p50: f64,
    p99: f64,
    switches: Option<f64>,
}

/// Connects (retrying while the server starts), then times `n` commits.
async fn measure(
    conninfo: &str,
    n: usize,
    pid: Option<u32>,
    profile: Option<&PathBuf>,
) -> anyhow::Result<Measured> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let (c, conn) = loop {
        match tokio_postgres::connect(conninfo, NoTls).await {
            Ok(c) => break c,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => return Err(e).context("connect"),
        }
    };
    tokio::spawn(conn);
    c.batch_execute(
        "DROP TABLE IF EXISTS bench_commit; \
         CREATE TABLE bench_commit (k int8 PRIMARY KEY, v text NOT NULL)",
    )
    .await?;
    let ins = c
        .prepare("INSERT INTO bench_commit VALUES ($1, $2)")
        .await?;
    let payload = "x".repeat(100);
    for i in 0..200i64 {
        c.execute(&ins, &[&-(i + 1), &payload]).await?;
    }
    let mut perf: Option<Child> = match profile.zip(pid) {
        Some((file, pid)) => Some(
            Command::new("perf")
                .args(["record", "-g", "-F", "2000", "-o"])
                .arg(file)
                .args(["-p", &pid.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .context("run perf")?,
        ),
        None => None,
    };
    if perf.is_some() {
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let switches0 = pid.map(context_switches);
    let mut lat = Vec::with_capacity(n);
    for i in 0..n as i64 {
        let t = Instant::now();
        c.execute(&ins, &[&i, &payload]).await?;
        lat.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let switches = pid
        .zip(switches0)
        .map(|(pid, s0)| (context_switches(pid) - s0) as f64 / n as f64);
    if let Some(p) = perf.as_mut() {
        let _ = Command::new("kill")
            .args(["-INT", &p.id().to_string()])
            .status();
        let _ = p.wait();
    }
    let n: i64 = c
        .query_one("SELECT count(*) FROM bench_commit WHERE k >= 0", &[])
        .await?
        .get(0);
    if n as usize != lat.len() {
        bail!("{n} rows after {} acknowledged inserts", lat.len());
    }
    Ok(Measured {
        p50: pct(&mut lat, 0.5),
        p99: pct(&mut lat, 0.99),
        switches,
    })
}

pub fn run(o: Opts) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (pg_base, strata_dir) = if o.tmpfs {
        (
            PathBuf::from("/dev/shm"),
            PathBuf::from(format!(
                "/dev/shm/strata-bench-commit-{}",
                std::process::id()
            )),
        )
    } else {
        (std::env::temp_dir(), o.dir.clone())
    };
    let mut extra = Vec::new();
    if let Some(n) = o.safekeepers {
        extra.extend(["--safekeepers".to_string(), n.to_string()]);
    }
    println!(
        "{} single-row INSERT commits per round, one client, data on {}, safekeepers: {}",
        o.inserts,
        if o.tmpfs { "tmpfs (/dev/shm)" } else { "disk" },
        o.safekeepers
            .map_or("strata start's default".to_string(), |n| n.to_string())
    );
    println!(
        "| round | Strata p50 / p99 (ms) | PostgreSQL 15 p50 / p99 (ms) | p50 ratio | Strata context switches per commit |"
    );
    println!("|---|---|---|---|---|");
    let mut ratios = Vec::new();
    for round in 1..=o.rounds {
        let pg = VanillaPostgres::start_in(&pg_base, &[])?;
        let p = rt.block_on(measure(&pg.conninfo(), o.inserts, None, None))?;
        drop(pg);

        let port = free_port();
        let mut child = start_strata_with(&strata_dir, port, &extra)?;
        let conninfo = format!("host=127.0.0.1 port={port} user=strata dbname=postgres");
        let profile = o.perf.as_ref().filter(|_| round == 1);
        let s = rt.block_on(measure(&conninfo, o.inserts, Some(child.id()), profile));
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let _ = child.wait();
        let _ = std::fs::remove_dir_all(&strata_dir);
        let s = s?;
        ratios.push(s.p50 / p.p50);
        println!(
            "| {round} | {:.3} / {:.3} | {:.3} / {:.3} | {:.2}x | {:.1} |",
            s.p50,
            s.p99,
            p.p50,
            p.p99,
            s.p50 / p.p50,
            s.switches.unwrap_or(f64::NAN)
        );
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "p50 ratio Strata / PostgreSQL: min {:.2}x, median {:.2}x, max {:.2}x",
        ratios[0],
        ratios[ratios.len() / 2],
        ratios[ratios.len() - 1]
    );
    Ok(())
}
