//! Issue 14's benchmarks: SQL execution on Strata vs vanilla PostgreSQL 15, same machine,
//! same run, same client (tokio-postgres, simple protocol).
//!
//! * **corpus** — SQLite's sqllogictest corpus (`../shared/testdata/sqllogictest`: select1–5
//!   and evidence/) through `testkit::sqllogic`: the summed time of every record, each file
//!   in a fresh database (PostgreSQL) or a fresh `strata start` data directory (Strata);
//!   server start-up is not counted. PostgreSQL runs with its defaults. Pass counts are
//!   printed too.
//! * **join** — `fact` (N rows, default 1M) joined to `dim` (1000 rows) on an equality and
//!   grouped by a `dim` column: `SELECT d.grp, count(*), sum(f.v) FROM fact f JOIN dim d ON
//!   f.dim_id = d.id GROUP BY d.grp` (hash join + hash aggregate), best of 3 runs after one
//!   warm-up, answers compared between the two systems. Strata is timed only once its
//!   pageserver has ingested, uploaded and compacted the load (`--metrics` scraped), as
//!   PostgreSQL is after its `VACUUM ANALYZE`.
//!
//! Strata is the release `strata` binary next to this one (`cargo build --release -p strata
//! -p bench`).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use testkit::sqllogic::{self, PgClient};

use crate::postgres::{VanillaPostgres, free_port};
use crate::safekeepers::scrape;

#[derive(clap::Args)]
pub struct Opts {
    /// Rows in the join benchmark's fact table.
    #[arg(long, default_value_t = 1_000_000)]
    rows: i64,
    /// Skip the corpus part.
    #[arg(long)]
    no_corpus: bool,
    /// Skip the join part.
    #[arg(long)]
    no_join: bool,
    /// Where Strata keeps its data (wiped first).
    #[arg(long, default_value = "target/bench-sql")]
    dir: PathBuf,
}

const TIMEOUT: Duration = Duration::from_secs(60);
const JOIN: &str = "SELECT d.grp, count(*), sum(f.v) FROM fact f JOIN dim d ON f.dim_id = d.id GROUP BY d.grp ORDER BY d.grp";

/// A `strata start` process on a fresh data directory; killed on drop.
struct Strata {
    child: Child,
    port: u16,
    /// Its `--metrics` endpoint (all components), for [`Strata::settle`].
    metrics: std::net::SocketAddr,
}

impl Strata {
    fn start(dir: &std::path::Path) -> anyhow::Result<Strata> {
        let exe = std::env::current_exe()?.with_file_name("strata");
        let _ = std::fs::remove_dir_all(dir);
        let port = free_port();
        let metrics: std::net::SocketAddr = format!("127.0.0.1:{}", free_port()).parse()?;
        let child = Command::new(&exe)
            .args(["start", "--port", &port.to_string()])
            .args(["--metrics", &metrics.to_string(), "--data-dir"])
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("run {} (cargo build --release -p strata)", exe.display()))?;
        let s = Strata {
            child,
            port,
            metrics,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while PgClient::connect(&s.conninfo(), Duration::from_secs(2)).is_err() {
            if Instant::now() > deadline {
                bail!("strata start did not accept connections within 60 s");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(s)
    }

    /// Waits (at most 120 s) until the pageserver has ingested all WAL and uploaded every
    /// layer and the `strata` process has been idle (under 5% of a core) for two seconds
    /// in a row (layer flushes and compaction done): timing the join while the load's WAL
    /// is still being ingested and compacted in the same process measured that work, not
    /// the query (runs right after a load took up to 10x the settled time). Returns how
    /// long it waited.
    fn settle(&self) -> anyhow::Result<Duration> {
        let t = Instant::now();
        let mut cpu = cpu_seconds(self.child.id());
        let mut idle = 0;
        loop {
            std::thread::sleep(Duration::from_secs(1));
            let lag = scrape(self.metrics, "strata_pageserver_ingest_lag_bytes")?;
            let queue = scrape(self.metrics, "strata_pageserver_upload_queue_layers")?;
            let now = cpu_seconds(self.child.id());
            let busy = match (cpu, now) {
                (Some(a), Some(b)) => b - a,
                _ => 0.0, // no /proc: the metrics alone
            };
            cpu = now;
            idle = if lag == 0.0 && queue == 0.0 && busy < 0.05 {
                idle + 1
            } else {
                0
            };
            if idle == 2 {
                return Ok(t.elapsed());
            }
            if t.elapsed() > Duration::from_secs(120) {
                bail!(
                    "the pageserver did not settle within 120 s (lag {lag} bytes, {queue} uploads queued, {busy:.2} s CPU in the last second)"
                );
            }
        }
    }

    fn conninfo(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user=strata dbname=postgres",
            self.port
        )
    }
}

/// CPU time (user + system) process `pid` has used, from `/proc` (`None` elsewhere).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces), which ends at the last ')'.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // In clock ticks of USER_HZ, which is 100 in the /proc interface.
    Some(ticks / 100.0)
}

impl Drop for Strata {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn corpus() -> anyhow::Result<Vec<(String, sqllogic::Records)>> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata/sqllogictest/test");
    let mut out = Vec::new();
    for sub in ["", "evidence/"] {
        let mut names: Vec<String> = std::fs::read_dir(dir.join(sub))
            .with_context(|| format!("read {}", dir.display()))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".test"))
            .collect();
        names.sort();
        for n in names {
            let text = std::fs::read_to_string(dir.join(sub).join(&n))?;
            let records = sqllogic::parse(&text).map_err(|e| anyhow::anyhow!("{n}: {e}"))?;
            out.push((format!("{sub}{n}"), records));
        }
    }
    Ok(out)
}

/// Summed record time and (passed, run) over `files`; `connect(i)` gives file i's server.
fn run_corpus(
    files: &[(String, sqllogic::Records)],
    mut connect: impl FnMut(usize) -> anyhow::Result<(PgClient, Option<Strata>)>,
) -> anyhow::Result<(Duration, usize, usize)> {
    let (mut total, mut passed, mut run) = (Duration::ZERO, 0, 0);
    for (i, (_, records)) in files.iter().enumerate() {
        let (mut c, server) = connect(i)?;
        for r in sqllogic::run(records, "postgresql", &mut c) {
            total += r.elapsed;
            run += 1;
            passed += usize::from(r.passed());
        }
        drop(c);
        drop(server);
    }
    Ok((total, passed, run))
}

fn load(c: &mut PgClient, rows: i64) -> anyhow::Result<()> {
    let run = |c: &mut PgClient, sql: &str| {
        sqllogic::Db::run(c, sql).map_err(|e| anyhow::anyhow!("{sql}: {e}"))
    };
    run(
        c,
        "CREATE TABLE dim (id int4 PRIMARY KEY, grp int4 NOT NULL)",
    )?;
    run(
        c,
        "CREATE TABLE fact (id int8 PRIMARY KEY, dim_id int4 NOT NULL, v int4 NOT NULL)",
    )?;
    run(
        c,
        "INSERT INTO dim SELECT g, g % 10 FROM generate_series(0, 999) g",
    )?;
    let batch = 50_000;
    let mut start = 0;
    while start < rows {
        let end = (start + batch).min(rows) - 1;
        run(
            c,
            &format!(
                "INSERT INTO fact SELECT g, (g * 7) % 1000, g % 100 FROM generate_series({start}, {end}) g"
            ),
        )?;
        start = end + 1;
    }
    Ok(())
}

/// Best of three timed runs of the join after a warm-up, and its answer.
fn time_join(c: &mut PgClient) -> anyhow::Result<(Duration, sqllogic::Output)> {
    let answer = sqllogic::Db::run(c, JOIN).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        sqllogic::Db::run(c, JOIN).map_err(|e| anyhow::anyhow!("{e}"))?;
        best = best.min(t.elapsed());
    }
    Ok((best, answer))
}

pub fn run(o: Opts) -> anyhow::Result<()> {
    let pg = VanillaPostgres::start(&[])?;
    if !o.no_corpus {
        let files = corpus()?;
        let mut admin = PgClient::connect(&pg.conninfo(), TIMEOUT).map_err(anyhow::Error::msg)?;
        let (pg_time, pg_pass, pg_run) = run_corpus(&files, |i| {
            let db = format!("corpus_{i}");
            sqllogic::Db::run(&mut admin, &format!("CREATE DATABASE {db}"))
                .map_err(anyhow::Error::msg)?;
            let conninfo = pg
                .conninfo()
                .replace("dbname=postgres", &format!("dbname={db}"));
            Ok((
                PgClient::connect(&conninfo, TIMEOUT).map_err(anyhow::Error::msg)?,
                None,
            ))
        })?;
        let (st_time, st_pass, st_run) = run_corpus(&files, |_| {
            let s = Strata::start(&o.dir)?;
            let c = PgClient::connect(&s.conninfo(), TIMEOUT).map_err(anyhow::Error::msg)?;
            Ok((c, Some(s)))
        })?;
        println!("SQLite sqllogictest corpus (select1-5 + evidence/), summed record time");
        println!("                 Strata        PostgreSQL 15   ratio");
        println!(
            "total (s)      {:>8.2}      {:>8.2}         {:.2}x   target <= 2x",
            st_time.as_secs_f64(),
            pg_time.as_secs_f64(),
            st_time.as_secs_f64() / pg_time.as_secs_f64()
        );
        println!("records passed {st_pass:>8} of {st_run}  {pg_pass:>8} of {pg_run}");
    }
    if !o.no_join {
        let mut c = PgClient::connect(&pg.conninfo(), TIMEOUT).map_err(anyhow::Error::msg)?;
        load(&mut c, o.rows)?;
        sqllogic::Db::run(&mut c, "VACUUM ANALYZE").map_err(anyhow::Error::msg)?;
        let (pg_time, pg_answer) = time_join(&mut c)?;
        drop(c);
        let s = Strata::start(&o.dir)?;
        let mut c = PgClient::connect(&s.conninfo(), TIMEOUT).map_err(anyhow::Error::msg)?;
        let t = Instant::now();
        load(&mut c, o.rows)?;
        println!(
            "loaded {} fact rows into Strata in {:.1?}",
            o.rows,
            t.elapsed()
        );
        println!(
            "waited {:.1?} for the pageserver to ingest and compact the load",
            s.settle()?
        );
        let (st_time, st_answer) = time_join(&mut c)?;
        if st_answer != pg_answer {
            bail!("the answers differ:\nStrata {st_answer:?}\nPostgreSQL {pg_answer:?}");
        }
        println!("{JOIN}\n  ({} fact rows, 1000 dim rows; best of 3)", o.rows);
        println!("                 Strata        PostgreSQL 15   ratio");
        println!(
            "time (ms)      {:>8.1}      {:>8.1}         {:.2}x   target <= 2x",
            st_time.as_secs_f64() * 1e3,
            pg_time.as_secs_f64() * 1e3,
            st_time.as_secs_f64() / pg_time.as_secs_f64()
        );
    }
    Ok(())
}
