//! `strata-bench pgbench`: pgbench 15, unmodified, against `strata start` and a vanilla
//! PostgreSQL 15 (fsync on, synchronous_commit on) in one run: the load (`pgbench -i -s N`)
//! timed, then the built-in tpcb-like and select-only scripts with `-M prepared` at 1, 8 and
//! 32 clients for a fixed time each, then (`--init-scale M`) `pgbench -i -s M` timed again
//! (`--init-only` times the loads alone). Prints a table of transactions per second and the
//! ratios, for BENCHMARKS.md, and each server's CPU time per transaction (the `strata start`
//! process; the postmaster with its exited backends), which tells a server that is slower
//! from one that waits.
//!
//! When Strata cannot yet run `pgbench -i` (it needs TRUNCATE, VACUUM, ALTER TABLE ADD
//! PRIMARY KEY and `CURRENT_TIMESTAMP`, which other work brings), both systems get the same
//! hand-made schema instead (the pgbench tables with primary keys in CREATE TABLE, accounts
//! loaded by COPY FROM STDIN in pgbench's own stream format, timed as the load), and the
//! TPC-B transaction runs as a custom script identical to tpcb-like except that its history
//! row has no `mtime`. The output says which variant ran.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::compute::start_strata_with;
use crate::postgres::{VanillaPostgres, cpu_seconds, free_port};

#[derive(clap::Args)]
pub struct Opts {
    /// pgbench's scale factor (100 000 accounts per unit).
    #[arg(long, default_value_t = 10)]
    scale: u32,
    /// Seconds per measured run.
    #[arg(long, default_value_t = 30)]
    seconds: u32,
    /// Client counts to measure.
    #[arg(long, value_delimiter = ',', default_value = "1,8,32")]
    clients: Vec<u32>,
    /// Where Strata keeps its data (a disk directory; wiped first).
    #[arg(long, default_value = "target/bench-pgbench")]
    dir: PathBuf,
    /// Passed to `strata start --safekeepers` (the binary's default when absent).
    #[arg(long)]
    safekeepers: Option<usize>,
    /// Also time `pgbench -i -s N` (the default steps, after the runs) for each system:
    /// the load target is at scale 10.
    #[arg(long)]
    init_scale: Option<u32>,
    /// Only time the loads (`--scale`, and `--init-scale` if given): no pgbench runs.
    #[arg(long)]
    init_only: bool,
}

/// The built-in tpcb-like script without `mtime = CURRENT_TIMESTAMP`.
const TPCB_WITHOUT_MTIME: &str = "\
\\set aid random(1, 100000 * :scale)
\\set bid random(1, 1 * :scale)
\\set tid random(1, 10 * :scale)
\\set delta random(-5000, 5000)
BEGIN;
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid;
UPDATE pgbench_branches SET bbalance = bbalance + :delta WHERE bid = :bid;
INSERT INTO pgbench_history (tid, bid, aid, delta) VALUES (:tid, :bid, :aid, :delta);
END;
";

pub(crate) fn psql(url: &str, input: &[u8]) -> anyhow::Result<String> {
    let mut child = Command::new("psql")
        .args([url, "-XAtq", "-v", "ON_ERROR_STOP=1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("run psql")?;
    child
        .stdin
        .take()
        .context("psql's stdin")?
        .write_all(input)?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!("psql: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

pub(crate) fn pgbench(url: &str, args: &[String]) -> anyhow::Result<String> {
    let out = Command::new("pgbench")
        .args(args)
        .arg(url)
        .output()
        .context("run pgbench (apt postgresql-client-15)")?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!(
            "pgbench {args:?}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(stdout)
}

/// `tps = N (without initial connection time)` from pgbench's report.
pub(crate) fn tps(report: &str) -> anyhow::Result<f64> {
    report
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("no tps in:\n{report}"))
}

/// Whether `pgbench -i` can run on the server at `url` (probed on a scratch table; pgbench
/// 15 sends no pg_class look-up, see ../shared/testdata/pgbench/NOTES.md).
fn supports_pgbench_init(url: &str) -> bool {
    let probe = b"CREATE TABLE bench_probe (t timestamp, c char(4)) WITH (fillfactor=100);
TRUNCATE bench_probe;
VACUUM ANALYZE bench_probe;
ALTER TABLE bench_probe ADD PRIMARY KEY (c);
INSERT INTO bench_probe VALUES (CURRENT_TIMESTAMP, 'x');
";
    let ok = psql(url, probe).is_ok();
    let _ = psql(url, b"DROP TABLE IF EXISTS bench_probe");
    ok
}

/// Loads the hand-made pgbench schema at `scale` (see the module docs).
fn hand_made_load(url: &str, scale: u32) -> anyhow::Result<()> {
    psql(
        url,
        format!(
            "DROP TABLE IF EXISTS pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers;
             CREATE TABLE pgbench_branches (bid int PRIMARY KEY, bbalance int, filler text);
             CREATE TABLE pgbench_tellers (tid int PRIMARY KEY, bid int, tbalance int, filler text);
             CREATE TABLE pgbench_accounts (aid int PRIMARY KEY, bid int, abalance int, filler text);
             CREATE TABLE pgbench_history (tid int, bid int, aid int, delta int, mtime text, filler text);
             INSERT INTO pgbench_branches (bid, bbalance) SELECT bid, 0 FROM generate_series(1, {scale}) AS bid;
             INSERT INTO pgbench_tellers (tid, bid, tbalance)
                 SELECT tid, (tid - 1) / 10 + 1, 0 FROM generate_series(1, {}) AS tid;",
            scale * 10
        )
        .as_bytes(),
    )?;
    let mut copy = b"COPY pgbench_accounts FROM STDIN WITH (FREEZE ON);\n".to_vec();
    for k in 1..=100_000 * scale {
        writeln!(copy, "{k}\t{}\t0\t", (k - 1) / 100_000 + 1)?;
    }
    copy.extend_from_slice(b"\\.\n");
    psql(url, &copy)?;
    Ok(())
}

/// One system's figures.
struct Figures {
    load_seconds: f64,
    /// `pgbench -i -s init_scale`, when asked for.
    init_seconds: Option<f64>,
    /// (script, clients, tps, server CPU microseconds per transaction)
    runs: Vec<(&'static str, u32, f64, Option<f64>)>,
}

/// `pgbench`'s count of processed transactions.
fn transactions(report: &str) -> Option<f64> {
    report
        .lines()
        .find_map(|l| l.strip_prefix("number of transactions actually processed: "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// Measures the server at `url`; `server_pid` is the process whose CPU time (with its
/// reaped children's) is charged to the runs.
fn measure(
    url: &str,
    o: &Opts,
    builtin: bool,
    script: &str,
    server_pid: Option<u32>,
) -> anyhow::Result<Figures> {
    let started = Instant::now();
    if builtin {
        pgbench(
            url,
            &["-i".into(), "-q".into(), "-s".into(), o.scale.to_string()],
        )?;
    } else {
        hand_made_load(url, o.scale)?;
    }
    let load_seconds = started.elapsed().as_secs_f64();
    eprintln!("  loaded in {load_seconds:.1} s");
    let mut runs = Vec::new();
    for (name, args) in [
        (
            "tpcb-like",
            if builtin {
                vec!["-b".to_string(), "tpcb-like".into()]
            } else {
                vec![
                    "-f".to_string(),
                    script.into(),
                    "-s".into(),
                    o.scale.to_string(),
                ]
            },
        ),
        ("select-only", vec!["-S".to_string()]),
    ] {
        if o.init_only {
            break;
        }
        for &c in &o.clients {
            let mut a = args.clone();
            a.extend([
                "-n".into(),
                "-M".into(),
                "prepared".into(),
                "-c".into(),
                c.to_string(),
                "-j".into(),
                c.min(2).to_string(),
                "-T".into(),
                o.seconds.to_string(),
            ]);
            let cpu_before = server_pid.and_then(cpu_seconds);
            let report = pgbench(url, &a)?;
            // A backend's time reaches its postmaster once the backend has exited.
            std::thread::sleep(Duration::from_millis(300));
            let cpu = match (
                cpu_before,
                server_pid.and_then(cpu_seconds),
                transactions(&report),
            ) {
                (Some(b), Some(a), Some(n)) if n > 0.0 => Some((a - b) / n * 1e6),
                _ => None,
            };
            let t = tps(&report)?;
            eprintln!(
                "  {name} {c} clients: {t:.0} tps, {} µs server CPU per transaction",
                cpu.map_or("?".to_string(), |c| format!("{c:.0}"))
            );
            runs.push((name, c, t, cpu));
        }
    }
    let init_seconds = match o.init_scale {
        Some(scale) if builtin => {
            let started = Instant::now();
            pgbench(
                url,
                &["-i".into(), "-q".into(), "-s".into(), scale.to_string()],
            )?;
            let s = started.elapsed().as_secs_f64();
            eprintln!("  pgbench -i -s {scale} in {s:.1} s");
            Some(s)
        }
        _ => None,
    };
    Ok(Figures {
        load_seconds,
        init_seconds,
        runs,
    })
}

fn wait_for_port(port: u16, child: &mut Child) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            bail!("strata exited with {status}");
        }
        if Instant::now() > deadline {
            bail!("strata did not listen on {port} within 60 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

pub fn run(o: Opts) -> anyhow::Result<()> {
    let port = free_port();
    let extra: Vec<String> = o
        .safekeepers
        .map(|n| vec!["--safekeepers".to_string(), n.to_string()])
        .unwrap_or_default();
    let mut child = start_strata_with(&o.dir, port, &extra)?;
    let strata_url = format!("postgresql://strata@127.0.0.1:{port}/postgres");
    let result = (|| {
        wait_for_port(port, &mut child)?;
        let builtin = supports_pgbench_init(&strata_url);
        let script = o.dir.with_extension("tpcb-without-mtime.sql");
        std::fs::write(&script, TPCB_WITHOUT_MTIME)?;
        let script = script.display().to_string();
        eprintln!(
            "variant: {}",
            if builtin {
                "pgbench -i and the built-in scripts"
            } else {
                "hand-made schema loaded by COPY, tpcb-like without mtime"
            }
        );
        eprintln!("Strata:");
        let s = measure(&strata_url, &o, builtin, &script, Some(child.id()))?;
        Ok::<_, anyhow::Error>((builtin, script, s))
    })();
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let (builtin, script, s) = result?;

    let pg = VanillaPostgres::start(&[
        "fsync = on",
        "synchronous_commit = on",
        "max_connections = 100",
    ])?;
    let pg_url = format!("postgresql://postgres@127.0.0.1:{}/postgres", pg.port);
    eprintln!("PostgreSQL 15:");
    let p = measure(&pg_url, &o, builtin, &script, pg.postmaster_pid())?;
    drop(pg);

    println!(
        "pgbench 15, scale {}, -M prepared, {} s per run, fsync on for both ({})",
        o.scale,
        o.seconds,
        if builtin {
            "pgbench -i, built-in scripts"
        } else {
            "hand-made schema loaded by COPY; tpcb-like without mtime"
        }
    );
    println!("| run | Strata | PostgreSQL 15 | Strata / PostgreSQL |");
    println!("|---|---:|---:|---:|");
    println!(
        "| load (s, lower is better) | {:.1} | {:.1} | {:.2}x |",
        s.load_seconds,
        p.load_seconds,
        s.load_seconds / p.load_seconds
    );
    if let (Some(scale), Some(si), Some(pi)) = (o.init_scale, s.init_seconds, p.init_seconds) {
        println!(
            "| pgbench -i -s {scale} (s, lower is better) | {si:.1} | {pi:.1} | {:.2}x |",
            si / pi
        );
    }
    for ((name, c, st, scpu), (_, _, pt, pcpu)) in s.runs.iter().zip(&p.runs) {
        println!(
            "| {name}, {c} clients (tps) | {st:.0} | {pt:.0} | {:.2}x |",
            st / pt
        );
        if let (Some(sc), Some(pc)) = (scpu, pcpu) {
            println!(
                "| {name}, {c} clients (server CPU µs per transaction, lower is better) | {sc:.0} | {pc:.0} | {:.2}x |",
                sc / pc
            );
        }
    }
    Ok(())
}
