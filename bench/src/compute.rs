//! Issue 5's benchmark: single-row INSERT commit latency (one client,
//! autocommit) and point SELECT by primary key (warm cache), Strata side by
//! side with vanilla PostgreSQL 15 on the same machine in the same run.
//!
//! Strata runs as `strata start` (release binary next to this one: the whole
//! cluster in one process, three safekeepers fsyncing on this machine's one
//! disk); PostgreSQL with its defaults (fsync on, synchronous_commit on).
//! Both are driven by the same tokio-postgres client loop with prepared
//! statements.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio_postgres::NoTls;

use crate::postgres::{VanillaPostgres, free_port};

#[derive(clap::Args)]
pub struct Opts {
    /// Committed single-row INSERTs per system.
    #[arg(long, default_value_t = 2000)]
    inserts: usize,
    /// Point SELECTs per system.
    #[arg(long, default_value_t = 20000)]
    selects: usize,
    /// Where Strata keeps its data (a disk directory; wiped first).
    #[arg(long, default_value = "target/bench-compute")]
    dir: std::path::PathBuf,
}

struct Figures {
    insert_p50: f64,
    insert_p99: f64,
    select_p50: f64,
    select_p99: f64,
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

async fn measure(conninfo: &str, o: &Opts) -> anyhow::Result<Figures> {
    let (c, conn) = tokio_postgres::connect(conninfo, NoTls)
        .await
        .context("connect")?;
    tokio::spawn(conn);
    c.batch_execute("DROP TABLE IF EXISTS bench_kv; CREATE TABLE bench_kv (k int8 PRIMARY KEY, v text NOT NULL)")
        .await?;
    let ins = c.prepare("INSERT INTO bench_kv VALUES ($1, $2)").await?;
    let sel = c.prepare("SELECT v FROM bench_kv WHERE k = $1").await?;
    let payload = "x".repeat(100);
    let mut lat = Vec::with_capacity(o.inserts);
    for i in 0..o.inserts as i64 {
        let t = Instant::now();
        c.execute(&ins, &[&i, &payload]).await?;
        lat.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let (insert_p50, insert_p99) = (pct(&mut lat, 0.5), pct(&mut lat, 0.99));
    // Warm up the cache, then measure.
    for i in 0..o.inserts as i64 {
        c.query_one(&sel, &[&i]).await?;
    }
    let mut lat = Vec::with_capacity(o.selects);
    for j in 0..o.selects {
        let k = (j * 7919 % o.inserts) as i64;
        let t = Instant::now();
        let row = c.query_one(&sel, &[&k]).await?;
        lat.push(t.elapsed().as_secs_f64() * 1e3);
        let v: &str = row.get(0);
        if v.len() != 100 {
            bail!("wrong row for key {k}");
        }
    }
    Ok(Figures {
        insert_p50,
        insert_p99,
        select_p50: pct(&mut lat, 0.5),
        select_p99: pct(&mut lat, 0.99),
    })
}

pub fn start_strata(dir: &std::path::Path, port: u16) -> anyhow::Result<Child> {
    start_strata_with(dir, port, &[])
}

/// [`start_strata`] with extra `strata start` arguments (e.g. `--safekeepers 1`).
pub fn start_strata_with(
    dir: &std::path::Path,
    port: u16,
    extra: &[String],
) -> anyhow::Result<Child> {
    let exe = std::env::current_exe()?.with_file_name("strata");
    let _ = std::fs::remove_dir_all(dir);
    let child = Command::new(&exe)
        .args(["start", "--port", &port.to_string(), "--data-dir"])
        .arg(dir)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| {
            format!(
                "run {} (build it: cargo build --release -p strata)",
                exe.display()
            )
        })?;
    Ok(child)
}

pub fn run(o: Opts) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let pg = VanillaPostgres::start(&[])?;
    let pg_fig = rt.block_on(measure(&pg.conninfo(), &o))?;
    drop(pg);

    let port = free_port();
    let mut child = start_strata(&o.dir, port)?;
    let conninfo = format!("host=127.0.0.1 port={port} user=strata dbname=postgres");
    let deadline = Instant::now() + Duration::from_secs(60);
    let strata_fig = loop {
        match rt.block_on(measure(&conninfo, &o)) {
            Ok(f) => break Ok(f),
            Err(e) if Instant::now() < deadline && e.to_string().contains("connect") => {
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(e) => break Err(e),
        }
    };
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let s = strata_fig?;
    let p = pg_fig;
    println!(
        "{} committed single-row INSERTs, {} point SELECTs by primary key, one client",
        o.inserts, o.selects
    );
    println!("                         Strata        PostgreSQL 15   ratio");
    println!(
        "INSERT commit p50 (ms)   {:>8.3}      {:>8.3}       {:.2}x   target <= 1.5x",
        s.insert_p50,
        p.insert_p50,
        s.insert_p50 / p.insert_p50
    );
    println!(
        "INSERT commit p99 (ms)   {:>8.3}      {:>8.3}       {:.2}x",
        s.insert_p99,
        p.insert_p99,
        s.insert_p99 / p.insert_p99
    );
    println!(
        "point SELECT p50 (ms)    {:>8.3}      {:>8.3}       {:.2}x   target <= 1.0x",
        s.select_p50,
        p.select_p50,
        s.select_p50 / p.select_p50
    );
    println!(
        "point SELECT p99 (ms)    {:>8.3}      {:>8.3}       {:.2}x",
        s.select_p99,
        p.select_p99,
        s.select_p99 / p.select_p99
    );
    Ok(())
}
