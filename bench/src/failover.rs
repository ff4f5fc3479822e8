//! `strata-bench failover`: how long the cluster is unavailable after a crash (issue 8).
//!
//! Real `strata` processes (release build) on loopback: three safekeepers, a pageserver on a
//! folder object store, a primary compute.
//!
//! 1. **Compute failover**, `--rounds` times: a client commits single-row INSERTs
//!    back to back on the primary; the primary is killed with SIGKILL in the middle of that
//!    load and a successor is started at once (as a supervisor would, on a new port). The
//!    figure is kill → the first INSERT acknowledged by the successor (connecting every
//!    2 ms until it accepts), split into kill → listening and listening → first commit
//!    (the election, the pageserver's timeline check, the catalog read, the commit itself).
//! 2. **Pageserver restart with a wiped disk**, `--rounds` times: `--pages` page images
//!    written through the proposer driver to a second timeline, ingested and uploaded
//!    (`remote_consistent_lsn` reaches the end); the pageserver is killed with SIGKILL, its
//!    data directory deleted, and it is started again. The figure is kill → the first
//!    GetPage answered with the right page (attach from the object store: claim a
//!    generation, read the manifest, fetch the layer the page lives in).
//!
//! Every wait is bounded; every child is killed on drop.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use proto::grpc::pageserver as pb;
use proto::grpc::pageserver::pageserver_client::PageserverClient;
use proto::{Lsn, TimelineId};
use safekeeper::driver::{DriverConfig, WalProposer};
use tokio_postgres::NoTls;

use crate::pageserver::{Proc, key, last_record_lsn, loopback, spawn, write_wal};

#[derive(clap::Args)]
pub struct Opts {
    /// The strata binary (build it with `cargo build --release -p strata`).
    #[arg(long, default_value = "target/release/strata")]
    strata: PathBuf,
    /// Where the processes' data dirs, object store and logs live (wiped first).
    #[arg(long, default_value = "target/bench-failover")]
    dir: PathBuf,
    /// Kills of each kind.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Page images on the pageserver's timeline before it is wiped.
    #[arg(long, default_value_t = 20_000)]
    pages: u32,
}

/// Spawns without waiting (the caller times the wait).
fn spawn_now(strata: &Path, args: &[String], log: &Path, addr: SocketAddr) -> anyhow::Result<Proc> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?;
    let child = Command::new(strata)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("start {}", strata.display()))?;
    Ok(Proc { child, addr })
}

/// Waits (bounded, polling every 2 ms) until `addr` accepts connections.
fn wait_listening(p: &mut Proc, limit: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    while TcpStream::connect_timeout(&p.addr, Duration::from_millis(100)).is_err() {
        if let Some(status) = p.child.try_wait()? {
            bail!("{} exited with {status} before listening", p.addr);
        }
        if Instant::now() > deadline {
            bail!("nothing listened on {} within {limit:?}", p.addr);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    Ok(())
}

fn kill9(p: &mut Proc) -> anyhow::Result<()> {
    p.child.kill()?;
    p.child.wait()?;
    Ok(())
}

fn compute_args(addr: SocketAddr, ps: SocketAddr, sks: &str) -> Vec<String> {
    [
        "compute",
        "--listen",
        &addr.to_string(),
        "--pageserver",
        &ps.to_string(),
        "--safekeepers",
        sks,
        "--tenant",
        "bench",
        "--timeline",
        "sql",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn pageserver_args(addr: SocketAddr, dir: &Path, sks: &str) -> Vec<String> {
    [
        "pageserver",
        "--listen",
        &addr.to_string(),
        "--data-dir",
        &dir.join("ps").display().to_string(),
        "--object-store",
        &format!("file://{}", dir.join("objects").display()),
        "--safekeepers",
        sks,
        "--maintenance-interval",
        "1s",
        "--checkpoint-interval",
        "1s",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn conninfo(addr: SocketAddr) -> String {
    format!(
        "host=127.0.0.1 port={} user=strata dbname=strata connect_timeout=5",
        addr.port()
    )
}

/// Commits INSERTs back to back on `addr` until `stop` (or the connection is lost).
async fn load(addr: SocketAddr, stop: Arc<AtomicBool>, base: i64) -> u64 {
    let Ok((c, conn)) = tokio_postgres::connect(&conninfo(addr), NoTls).await else {
        return 0;
    };
    tokio::spawn(conn);
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let sql = format!("INSERT INTO failover VALUES ({}, 'load')", base + n as i64);
        if c.batch_execute(&sql).await.is_err() {
            break;
        }
        n += 1;
    }
    n
}

/// Connects to `addr` (retrying every 2 ms) and commits one INSERT (retrying on errors)
/// within `limit`; returns when it was acknowledged.
async fn first_commit(addr: SocketAddr, id: i64, limit: Duration) -> anyhow::Result<Instant> {
    let deadline = Instant::now() + limit;
    let mut last = String::new();
    while Instant::now() < deadline {
        match tokio_postgres::connect(&conninfo(addr), NoTls).await {
            Ok((c, conn)) => {
                tokio::spawn(conn);
                match c
                    .batch_execute(&format!("INSERT INTO failover VALUES ({id}, 'first')"))
                    .await
                {
                    Ok(()) => return Ok(Instant::now()),
                    Err(e) => last = e.to_string(),
                }
            }
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    bail!("no commit acknowledged on {addr} within {limit:?}: {last}")
}

fn median_max(v: &mut [f64]) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[v.len() - 1])
}

pub fn run(o: Opts) -> anyhow::Result<()> {
    if !o.strata.exists() {
        bail!(
            "{} not found: run `cargo build --release -p strata` first",
            o.strata.display()
        );
    }
    if o.dir.exists() {
        std::fs::remove_dir_all(&o.dir).with_context(|| format!("clear {}", o.dir.display()))?;
    }
    std::fs::create_dir_all(o.dir.join("objects"))?;
    let dir = std::fs::canonicalize(&o.dir)?;
    let mut sks = Vec::new();
    for id in 1..=3u64 {
        let addr = loopback()?;
        let data = dir.join(format!("sk{id}"));
        std::fs::create_dir_all(&data)?;
        let args = [
            "safekeeper".to_string(),
            "--id".into(),
            id.to_string(),
            "--listen".into(),
            addr.to_string(),
            "--data-dir".into(),
            data.display().to_string(),
        ];
        sks.push(spawn(
            &o.strata,
            &args,
            &dir.join(format!("sk{id}.log")),
            addr,
        )?);
    }
    let sk_arg = sks
        .iter()
        .map(|s| s.addr.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let ps_addr = loopback()?;
    let ps_log = dir.join("ps.log");
    let mut ps = spawn(
        &o.strata,
        &pageserver_args(ps_addr, &dir, &sk_arg),
        &ps_log,
        ps_addr,
    )?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;

    // 1. Compute failover.
    let addr = loopback()?;
    let mut compute = spawn(
        &o.strata,
        &compute_args(addr, ps_addr, &sk_arg),
        &dir.join("compute1.log"),
        addr,
    )?;
    rt.block_on(async {
        let (c, conn) = tokio_postgres::connect(&conninfo(addr), NoTls).await?;
        tokio::spawn(conn);
        c.batch_execute("CREATE TABLE failover (id int8 PRIMARY KEY, note text)")
            .await?;
        anyhow::Ok(())
    })?;
    let (mut total, mut listen, mut commit) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=o.rounds {
        let stop = Arc::new(AtomicBool::new(false));
        let base = round as i64 * 10_000_000;
        let loader = rt.spawn(load(compute.addr, stop.clone(), base));
        std::thread::sleep(Duration::from_millis(1500));
        let killed = Instant::now();
        kill9(&mut compute)?;
        let addr = loopback()?;
        compute = spawn_now(
            &o.strata,
            &compute_args(addr, ps_addr, &sk_arg),
            &dir.join(format!("compute{}.log", round + 1)),
            addr,
        )?;
        wait_listening(&mut compute, Duration::from_secs(30))?;
        let listening = Instant::now();
        let acked = rt.block_on(first_commit(addr, -(round as i64), Duration::from_secs(30)))?;
        stop.store(true, Ordering::Relaxed);
        let loaded = rt.block_on(loader)?;
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let (t, l, c) = (
            ms(acked - killed),
            ms(listening - killed),
            ms(acked - listening),
        );
        println!(
            "compute failover {round}: {t:.0} ms to the first acknowledged commit \
             (listening after {l:.0} ms, then {c:.0} ms); {loaded} commits before the kill"
        );
        total.push(t);
        listen.push(l);
        commit.push(c);
    }
    let (t50, tmax) = median_max(&mut total);
    let (l50, _) = median_max(&mut listen);
    let (c50, _) = median_max(&mut commit);
    println!(
        "compute failover over {} kills: median {t50:.0} ms, max {tmax:.0} ms (listening {l50:.0} ms + first commit {c50:.0} ms); target < 1000 ms",
        o.rounds
    );
    drop(compute);

    // 2. Pageserver restart on a wiped disk.
    let tl = TimelineId::new("bench", "main")?;
    let end = rt.block_on(async {
        let addrs = sks.iter().map(|s| format!("http://{}", s.addr)).collect();
        let p = WalProposer::start(DriverConfig::new(tl, addrs, 1)).await?;
        let (end, bytes) = write_wal(&p, o.pages).await?;
        println!(
            "pageserver: {} pages, {:.0} MB of WAL, end {end}",
            o.pages,
            bytes as f64 / 1e6
        );
        let mut c = PageserverClient::connect(format!("http://{ps_addr}")).await?;
        c.create_timeline(pb::CreateTimelineRequest {
            tenant: "bench".into(),
            timeline: "main".into(),
            ..Default::default()
        })
        .await?;
        let t0 = Instant::now();
        loop {
            let info = c
                .timeline_status(pb::TimelineStatusRequest {
                    tenant: "bench".into(),
                    timeline: "main".into(),
                    with_logical_size: false,
                })
                .await?
                .into_inner();
            if Lsn(info.remote_consistent_lsn) >= end && last_record_lsn(&mut c).await? >= end {
                break;
            }
            if t0.elapsed() > Duration::from_secs(300) {
                bail!("the pageserver did not ingest and upload {end} in 300 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        drop(p);
        anyhow::Ok(end)
    })?;
    let (mut total, mut listen) = (Vec::new(), Vec::new());
    for round in 1..=o.rounds {
        let killed = Instant::now();
        kill9(&mut ps)?;
        std::fs::remove_dir_all(dir.join("ps")).context("wipe the pageserver")?;
        ps = spawn_now(
            &o.strata,
            &pageserver_args(ps_addr, &dir, &sk_arg),
            &ps_log,
            ps_addr,
        )?;
        wait_listening(&mut ps, Duration::from_secs(30))?;
        let listening = Instant::now();
        let page = (round as u32 * 7919) % o.pages;
        let served = rt.block_on(first_page(ps_addr, page, end, Duration::from_secs(60)))?;
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let (t, l) = (ms(served - killed), ms(listening - killed));
        println!(
            "pageserver wiped {round}: first page served {t:.0} ms after the kill (listening after {l:.0} ms)"
        );
        total.push(t);
        listen.push(l);
    }
    let (t50, tmax) = median_max(&mut total);
    let (l50, _) = median_max(&mut listen);
    println!(
        "pageserver restart on a wiped disk over {} kills: first page median {t50:.0} ms, max {tmax:.0} ms (listening {l50:.0} ms)",
        o.rounds
    );
    Ok(())
}

/// Asks for page `i` at `lsn` until it is served (right content) within `limit`.
async fn first_page(
    addr: SocketAddr,
    i: u32,
    lsn: Lsn,
    limit: Duration,
) -> anyhow::Result<Instant> {
    let deadline = Instant::now() + limit;
    let mut last = String::new();
    while Instant::now() < deadline {
        let attempt = async {
            let mut c = PageserverClient::connect(format!("http://{addr}")).await?;
            let req = pb::GetPagesRequest {
                tenant: "bench".into(),
                timeline: "main".into(),
                batch_id: 1,
                pages: vec![pb::GetPageRequest {
                    key: Some(key(i).into()),
                    request_lsn: lsn.0,
                    not_modified_since: lsn.0,
                }],
            };
            let mut resp = c
                .get_pages(tokio_stream::iter(vec![req]))
                .await?
                .into_inner();
            let r = resp.message().await?.context("the stream ended early")?;
            anyhow::Ok(r)
        };
        match tokio::time::timeout(Duration::from_secs(10), attempt).await {
            Ok(Ok(r)) => match r.pages.first().and_then(|p| p.result.as_ref()) {
                Some(pb::page_result::Result::Page(b))
                    if b.get(64..68) == Some(&i.to_le_bytes()[..]) =>
                {
                    return Ok(Instant::now());
                }
                Some(pb::page_result::Result::Page(_)) => {
                    bail!("page {i} came back with the wrong content")
                }
                other => last = format!("{other:?}"),
            },
            Ok(Err(e)) => last = e.to_string(),
            Err(_) => last = "no answer within 10 s".into(),
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    bail!("page {i} was not served within {limit:?}: {last}")
}
