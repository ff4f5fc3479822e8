//! `strata-bench replica`: read replica lag and start time (issue 11).
//!
//! `strata start --replicas 1` (release binary next to this one) runs the cluster and one
//! replica in one process.
//!
//! 1. **Lag** at each `--rates` target (writes/s): `--writers` connections to the primary,
//!    each paced to its share of the rate, commit `UPDATE progress SET seq = n WHERE w = me`
//!    (autocommit, n = 1, 2, 3, …) and note when each commit was acknowledged. One
//!    connection to the replica reads `SELECT w, seq FROM progress` back to back and notes
//!    when it first saw each writer's `seq` reach each value. A commit's lag is the first
//!    poll that saw it minus its acknowledgement (0 if the replica showed it before the
//!    client got the ack); the poll period (one round trip) is the resolution.
//! 2. **Replica start**, `--rounds` times: `strata compute --read-only` spawned against the
//!    running cluster (addresses from its `cluster.toml`, token from its `auth/`): spawn →
//!    listening (the listener is bound before the replica is ready), and spawn → the first
//!    `SELECT` answered.
//!
//! 3. **Select-only scaling**: a fresh `strata start --replicas 2`, `pgbench -i -s
//!    --select-scale` on the primary, then pgbench's select-only script (`-S -M prepared`)
//!    with `--select-clients` clients spread over the primary alone, the primary and one
//!    replica, and the primary and both replicas (one pgbench per compute, run at the same
//!    time; their TPS summed). On one machine the computes share its cores, so this shows
//!    what a replica costs and adds there, not what separate hosts would give.
//!
//! Every wait is bounded; the children are stopped at the end.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio_postgres::{Client, NoTls};

use crate::postgres::free_port;

#[derive(clap::Args)]
pub struct Opts {
    /// Target commit rates on the primary, writes/s.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
    rates: Vec<u64>,
    /// Seconds per rate.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Writer connections on the primary.
    #[arg(long, default_value_t = 16)]
    writers: usize,
    /// Replica starts measured.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Seconds per select-only run (primary alone, then with 1 and 2 replicas); 0 skips.
    #[arg(long, default_value_t = 10)]
    select_seconds: u64,
    /// pgbench clients in each select-only run, spread over the computes.
    #[arg(long, default_value_t = 8)]
    select_clients: usize,
    /// pgbench scale for the select-only runs.
    #[arg(long, default_value_t = 1)]
    select_scale: u32,
    /// Where the cluster keeps its data (wiped first).
    #[arg(long, default_value = "target/bench-replica")]
    dir: PathBuf,
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

async fn connect(port: u16) -> anyhow::Result<Client> {
    let s = format!("host=127.0.0.1 port={port} user=strata dbname=postgres");
    let (c, conn) = tokio_postgres::connect(&s, NoTls).await?;
    tokio::spawn(conn);
    Ok(c)
}

/// `strata start --replicas N`: the child and the primary's and replicas' ports (read from
/// the lines it prints).
fn start_cluster(dir: &Path, replicas: usize) -> anyhow::Result<(Child, u16, Vec<u16>)> {
    use std::io::{BufRead, BufReader};
    let exe = std::env::current_exe()?.with_file_name("strata");
    let _ = std::fs::remove_dir_all(dir);
    let port = free_port();
    let mut child = Command::new(&exe)
        .args(["start", "--port", &port.to_string()])
        .args(["--replicas", &replicas.to_string()])
        .arg("--data-dir")
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("run {} (cargo build --release -p strata)", exe.display()))?;
    let stdout = child.stdout.take().context("stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut ports = Vec::new();
    while Instant::now() < deadline {
        let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        if let Some(rest) = line
            .trim()
            .strip_prefix("Replica:  psql 'postgresql://strata@127.0.0.1:")
            && let Some(replica) = rest.split('/').next().and_then(|p| p.parse().ok())
        {
            ports.push(replica);
            if ports.len() == replicas {
                return Ok((child, port, ports));
            }
        }
    }
    let _ = child.kill();
    bail!(
        "strata start printed {} of {replicas} replicas within 60 s",
        ports.len()
    )
}

fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

/// One rate: `(achieved writes/s, lags in ms)`.
async fn lag_at(
    primary: u16,
    replica: u16,
    rate: u64,
    o: &Opts,
) -> anyhow::Result<(f64, Vec<f64>)> {
    let setup = connect(primary).await?;
    setup
        .batch_execute("DROP TABLE IF EXISTS progress; CREATE TABLE progress (w int8 PRIMARY KEY, seq int8 NOT NULL)")
        .await?;
    let rows: Vec<String> = (0..o.writers).map(|w| format!("({w}, 0)")).collect();
    setup
        .batch_execute(&format!("INSERT INTO progress VALUES {}", rows.join(",")))
        .await?;
    let lsn: String = setup
        .query_one("SELECT pg_current_wal_lsn()", &[])
        .await?
        .get(0);
    let poller = connect(replica).await?;
    poller
        .query_one("SELECT strata_wait_lsn($1, 30000)", &[&lsn])
        .await?;

    let run = Duration::from_secs(o.seconds);
    let start = Instant::now();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // The replica poller: per writer, (seq seen, when), whenever it grows.
    let poll_stop = stop.clone();
    let writers = o.writers;
    let polling = tokio::spawn(async move {
        let mut seen: Vec<Vec<(i64, Duration)>> = vec![Vec::new(); writers];
        let mut polls = 0u64;
        let stmt = poller.prepare("SELECT w, seq FROM progress").await?;
        while !poll_stop.load(std::sync::atomic::Ordering::Relaxed) {
            let rows = poller.query(&stmt, &[]).await?;
            let now = start.elapsed();
            polls += 1;
            for r in rows {
                let (w, seq): (i64, i64) = (r.get(0), r.get(1));
                let v = &mut seen[w as usize];
                if v.last().is_none_or(|l| l.0 < seq) {
                    v.push((seq, now));
                }
            }
        }
        anyhow::Ok((seen, polls))
    });
    let per_writer = rate as f64 / o.writers as f64;
    let mut tasks = Vec::new();
    for w in 0..o.writers {
        let c = connect(primary).await?;
        tasks.push(tokio::spawn(async move {
            let stmt = c
                .prepare("UPDATE progress SET seq = $1 WHERE w = $2")
                .await?;
            let mut acks: Vec<Duration> = Vec::new();
            let mut seq = 0i64;
            while start.elapsed() < run {
                seq += 1;
                let due = Duration::from_secs_f64(seq as f64 / per_writer);
                if let Some(wait) = due.checked_sub(start.elapsed()) {
                    tokio::time::sleep(wait).await;
                }
                c.execute(&stmt, &[&seq, &(w as i64)]).await?;
                acks.push(start.elapsed());
            }
            anyhow::Ok(acks)
        }));
    }
    let mut acks = Vec::new();
    for t in tasks {
        acks.push(t.await??);
    }
    let elapsed = start.elapsed();
    // Let the replica show the last commits, then stop polling.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (seen, polls) = polling.await??;
    let committed: usize = acks.iter().map(Vec::len).sum();
    let mut lags = Vec::with_capacity(committed);
    for (w, acks) in acks.iter().enumerate() {
        let seen = &seen[w];
        let mut i = 0;
        for (k, ack) in acks.iter().enumerate() {
            let seq = k as i64 + 1;
            while i < seen.len() && seen[i].0 < seq {
                i += 1;
            }
            let Some(&(_, at)) = seen.get(i) else {
                bail!("writer {w}'s commit {seq} never showed on the replica");
            };
            lags.push(at.saturating_sub(*ack).as_secs_f64() * 1e3);
        }
    }
    println!(
        "  target {rate}/s: {committed} commits in {:.1} s, {} replica polls ({:.2} ms each)",
        elapsed.as_secs_f64(),
        polls,
        (elapsed.as_secs_f64() + 0.5) * 1e3 / polls.max(1) as f64
    );
    Ok((committed as f64 / elapsed.as_secs_f64(), lags))
}

/// Spawns a read replica against the running cluster: (spawn → listening, spawn → a
/// SELECT answered) in ms.
async fn replica_start(dir: &Path, primary: u16) -> anyhow::Result<(f64, f64)> {
    let toml = std::fs::read_to_string(dir.join("cluster.toml")).context("cluster.toml")?;
    let field = |name: &str| -> anyhow::Result<String> {
        toml.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} = ")))
            .map(|v| v.trim().to_string())
            .with_context(|| format!("{name} in cluster.toml"))
    };
    let pageserver = field("pageserver")?.trim_matches('"').to_string();
    let sks = field("safekeepers")?;
    let sks: Vec<String> = sks
        .trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let port = free_port();
    let exe = std::env::current_exe()?.with_file_name("strata");
    let t = Instant::now();
    let mut child = Command::new(&exe)
        .args([
            "compute",
            "--read-only",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .args(["--pageserver", &pageserver, "--safekeepers", &sks.join(",")])
        .args(["--primary", &format!("127.0.0.1:{primary}")])
        // `strata start` runs with component auth on: the replica needs a token.
        .args(
            Some(dir.join("auth").join("admin.token"))
                .filter(|t| t.exists())
                .map(|t| vec!["--auth-token-file".into(), t.into_os_string()])
                .unwrap_or_default(),
        )
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(50)).is_err() {
        if Instant::now() > deadline {
            let _ = child.kill();
            bail!("the replica did not listen within 30 s");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let listening = t.elapsed().as_secs_f64() * 1e3;
    let c = connect(port).await?;
    c.query_one("SELECT count(*) FROM progress", &[]).await?;
    let answered = t.elapsed().as_secs_f64() * 1e3;
    drop(c);
    stop(child);
    Ok((listening, answered))
}

/// Phase 3: select-only TPS over 1, 2 and 3 computes (see the module docs).
fn select_scaling(o: &Opts) -> anyhow::Result<()> {
    use crate::pgbench::{pgbench, psql, tps};
    let (child, primary, replicas) = start_cluster(&o.dir, 2)?;
    let url = |p: u16| format!("postgresql://strata@127.0.0.1:{p}/postgres");
    let result = (|| {
        pgbench(
            &url(primary),
            &["-i", "-q", "-s", &o.select_scale.to_string()].map(String::from),
        )?;
        let lsn = psql(&url(primary), b"SELECT pg_current_wal_lsn()")?;
        for &r in &replicas {
            psql(
                &url(r),
                format!("SELECT strata_wait_lsn('{lsn}', 60000)").as_bytes(),
            )?;
        }
        println!(
            "select-only (pgbench -S -M prepared, scale {}, {} clients, {} s):",
            o.select_scale, o.select_clients, o.select_seconds
        );
        let mut alone = None;
        for n in 0..=replicas.len() {
            let computes: Vec<u16> = std::iter::once(primary)
                .chain(replicas[..n].iter().copied())
                .collect();
            let runs: Vec<_> = computes
                .iter()
                .enumerate()
                .map(|(i, &p)| {
                    // Clients spread as evenly as they go; the primary takes any rest.
                    let k = o.select_clients / computes.len()
                        + usize::from(i < o.select_clients % computes.len());
                    let args = [
                        "-n",
                        "-S",
                        "-M",
                        "prepared",
                        "-c",
                        &k.to_string(),
                        "-j",
                        &k.min(2).to_string(),
                        "-T",
                        &o.select_seconds.to_string(),
                    ]
                    .map(String::from);
                    let u = url(p);
                    std::thread::spawn(move || pgbench(&u, &args).and_then(|r| tps(&r)))
                })
                .collect();
            let mut each = Vec::new();
            for r in runs {
                each.push(
                    r.join()
                        .map_err(|_| anyhow::anyhow!("pgbench thread panicked"))??,
                );
            }
            let total: f64 = each.iter().sum();
            let base = *alone.get_or_insert(total);
            let split: Vec<String> = each.iter().map(|t| format!("{t:.0}")).collect();
            println!(
                "  primary + {n} replica(s): {total:>8.0} tps ({}) = {:.2}x the primary alone",
                split.join(" + "),
                total / base
            );
        }
        anyhow::Ok(())
    })();
    stop(child);
    result
}

pub fn run(o: Opts) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (child, primary, replicas) = start_cluster(&o.dir, 1)?;
    let replica = replicas[0];
    let result = rt.block_on(async {
        println!(
            "replica lag (commit acknowledged on the primary -> visible on the replica), {} writers:",
            o.writers
        );
        let mut lines = Vec::new();
        for &rate in &o.rates {
            let (achieved, mut lags) = lag_at(primary, replica, rate, &o).await?;
            lines.push(format!(
                "  target {rate:>6}/s  achieved {achieved:>7.0}/s  lag p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
                pct(&mut lags, 0.5),
                pct(&mut lags, 0.99),
                pct(&mut lags, 1.0)
            ));
        }
        for l in &lines {
            println!("{l}");
        }
        let mut listening = Vec::new();
        let mut answered = Vec::new();
        for _ in 0..o.rounds {
            let (l, a) = replica_start(&o.dir, primary).await?;
            listening.push(l);
            answered.push(a);
        }
        println!(
            "replica start ({} rounds): spawn -> listening p50 {:.1} ms, spawn -> first SELECT p50 {:.1} ms (max {:.1} ms)",
            o.rounds,
            pct(&mut listening, 0.5),
            pct(&mut answered, 0.5),
            pct(&mut answered, 1.0)
        );
        anyhow::Ok(())
    });
    stop(child);
    result?;
    if o.select_seconds > 0 {
        select_scaling(&o)?;
    }
    Ok(())
}
