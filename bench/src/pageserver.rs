//! `strata-bench pageserver`: one real `strata pageserver` (release build)
//! fed through three real `strata safekeeper`s, measured over gRPC on
//! loopback.
//!
//! 1. **WAL**: the compute's proposer driver (`WalProposer`) appends `--pages`
//!    distinct 8 KiB page images (32 per record) to the safekeepers before
//!    the pageserver knows the timeline, so ingest is measured alone.
//! 2. **Ingest**: the pageserver is started and the timeline created; MB/s
//!    of WAL = framed WAL bytes / time until `last_record_lsn` reaches the
//!    end (polled with `TimelineStatus` every 5 ms).
//! 3. The pageserver is stopped with SIGTERM (it flushes and uploads
//!    everything) and restarted on the same data directory: every page now
//!    lives in layer files and the page cache is empty.
//! 4. **GetPage** at the last LSN, batches of `--batch` random distinct
//!    pages, one `GetPages` stream with 1 and with 16 batches in flight:
//!    *cold* (first read of each page: layer files + redo) then *warm* (the
//!    last `--warm-pages` of them again, which the page cache holds).
//!    Latency is per batch, send to response; pages/s over the phase.
//! 5. **Paced**: the warm pages again, open loop at half the best warm rate
//!    of step 4 ([`crate::getpages_paced`]): the latency the issue's
//!    "p99 at half the maximum rate" asks for.
//!
//! Invariants: every child process is killed on drop; every wait is
//! bounded; a page error or a wrong page aborts the run.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use proto::frame::record_framed_len;
use proto::grpc::pageserver as pb;
use proto::grpc::pageserver::pageserver_client::PageserverClient;
use proto::page::zeroed_page;
use proto::redo::diff;
use proto::{Lsn, PageKey, Record, TimelineId};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use safekeeper::driver::{DriverConfig, WalProposer};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::postgres::free_port;
use crate::safekeepers::scrape;

/// Pages per WAL record.
const PAGES_PER_RECORD: u32 = 32;
const REL: u32 = 16390;

#[derive(clap::Args)]
pub struct Opts {
    /// The strata binary (build it with `cargo build --release -p strata`).
    #[arg(long, default_value = "target/release/strata")]
    strata: PathBuf,
    /// Where the processes' data dirs, object store and logs live.
    #[arg(long, default_value = "target/bench-pageserver")]
    dir: PathBuf,
    /// Distinct pages written and read (the figure is 1M = 8 GiB of WAL).
    #[arg(long, default_value_t = 1_000_000)]
    pages: u32,
    /// Pages per GetPages batch.
    #[arg(long, default_value_t = 8)]
    batch: usize,
    /// Pages read per measured phase (default: half of --pages each, so the
    /// cold phases read distinct pages).
    #[arg(long)]
    reads: Option<usize>,
    /// Pages re-read in each warm phase: the last ones the cold phase read,
    /// few enough for the pageserver's page cache (256 MiB = 32768 pages).
    #[arg(long, default_value_t = 16384)]
    warm_pages: usize,
    /// In-flight batch counts to measure.
    #[arg(long, value_delimiter = ',', default_values_t = vec![1usize, 16])]
    inflight: Vec<usize>,
    /// Seed of the read order.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Seconds of the paced phase: warm pages at half the best warm rate
    /// measured, open loop (0 skips it).
    #[arg(long, default_value_t = 5.0)]
    paced_secs: f64,
}

/// A child process killed on drop.
pub(crate) struct Proc {
    pub(crate) child: Child,
    pub(crate) addr: SocketAddr,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn spawn(
    strata: &Path,
    args: &[String],
    log: &Path,
    addr: SocketAddr,
) -> anyhow::Result<Proc> {
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
    let p = Proc { child, addr };
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        if Instant::now() > deadline {
            bail!("{args:?} did not listen on {addr} within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(p)
}

pub(crate) fn loopback() -> anyhow::Result<SocketAddr> {
    Ok(format!("127.0.0.1:{}", free_port()).parse()?)
}

pub(crate) fn key(i: u32) -> PageKey {
    PageKey::new(REL, i)
}

/// The page image written for page `i` (its first bytes name it).
fn content(i: u32) -> Box<proto::page::Page> {
    let mut page = zeroed_page();
    page[64..68].copy_from_slice(&i.to_le_bytes());
    page[200..4000].fill((i % 251) as u8);
    page
}

/// Appends records of `PAGES_PER_RECORD` images covering pages `0..n`;
/// returns (end LSN, framed WAL bytes).
pub(crate) async fn write_wal(p: &WalProposer, n: u32) -> anyhow::Result<(Lsn, u64)> {
    let start = p.ready_lsn();
    let mut lsn = start;
    let mut first = 0;
    while first < n {
        let last = (first + PAGES_PER_RECORD).min(n);
        let pages: Vec<_> = (first..last).map(content).collect();
        let build = |at: Lsn| {
            let changes = (first..last)
                .zip(&pages)
                .map(|(i, pg)| diff(key(i), None, pg, at))
                .collect();
            Record::commit(i64::from(first), changes)
        };
        let end = lsn + record_framed_len(&build(Lsn(0))) as u64;
        let (at, got) = p.append(&build(end)).await?;
        if (at, got) != (lsn, end) {
            bail!("the proposer placed a record at {at}..{got}, expected {lsn}..{end}");
        }
        lsn = end;
        first = last;
    }
    Ok((lsn, lsn.0 - start.0))
}

pub(crate) async fn last_record_lsn(
    c: &mut PageserverClient<tonic::transport::Channel>,
) -> anyhow::Result<Lsn> {
    let info = c
        .timeline_status(pb::TimelineStatusRequest {
            tenant: "bench".into(),
            timeline: "main".into(),
            with_logical_size: false,
        })
        .await?
        .into_inner();
    Ok(Lsn(info.last_record_lsn))
}

struct Phase {
    pages: usize,
    secs: f64,
    lat: Vec<Duration>,
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * p) as usize).min(sorted.len() - 1);
    sorted[i].as_secs_f64() * 1e3
}

/// Reads `pages` at `lsn` in batches of `batch`, `inflight` batches
/// outstanding on one stream; checks every page.
async fn read_phase(
    addr: SocketAddr,
    pages: &[u32],
    lsn: Lsn,
    batch: usize,
    inflight: usize,
) -> anyhow::Result<Phase> {
    let mut client = PageserverClient::connect(format!("http://{addr}")).await?;
    let (tx, rx) = mpsc::channel(inflight.max(1) * 2);
    let mut resp = client
        .get_pages(ReceiverStream::new(rx))
        .await?
        .into_inner();
    let batches: Vec<&[u32]> = pages.chunks(batch.max(1)).collect();
    let mut sent: HashMap<u64, (Instant, usize)> = HashMap::new();
    let mut next = 0usize;
    let mut lat = Vec::with_capacity(batches.len());
    let send = |i: usize| pb::GetPagesRequest {
        tenant: "bench".into(),
        timeline: "main".into(),
        batch_id: i as u64,
        pages: batches[i]
            .iter()
            .map(|&p| pb::GetPageRequest {
                key: Some(key(p).into()),
                request_lsn: lsn.0,
                not_modified_since: lsn.0,
            })
            .collect(),
    };
    let t0 = Instant::now();
    while next < batches.len() && next < inflight {
        sent.insert(next as u64, (Instant::now(), next));
        tx.send(send(next)).await?;
        next += 1;
    }
    while !sent.is_empty() {
        let r = tokio::time::timeout(Duration::from_secs(30), resp.message())
            .await
            .context("a GetPages response within 30 s")??
            .context("the stream ended early")?;
        let (at, i) = sent
            .remove(&r.batch_id)
            .context("a response to a batch never sent")?;
        lat.push(at.elapsed());
        for (&p, res) in batches[i].iter().zip(&r.pages) {
            match &res.result {
                Some(pb::page_result::Result::Page(b)) if b[64..68] == p.to_le_bytes() => {}
                other => bail!("page {p}: {other:?}"),
            }
        }
        if next < batches.len() {
            sent.insert(next as u64, (Instant::now(), next));
            tx.send(send(next)).await?;
            next += 1;
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    lat.sort_unstable();
    Ok(Phase {
        pages: pages.len(),
        secs,
        lat,
    })
}

fn pageserver_args(addr: SocketAddr, metrics: SocketAddr, dir: &Path, sks: &[Proc]) -> Vec<String> {
    let sk = sks.iter().map(|s| s.addr.to_string()).collect::<Vec<_>>();
    vec![
        "pageserver".into(),
        "--listen".into(),
        addr.to_string(),
        "--metrics".into(),
        metrics.to_string(),
        "--data-dir".into(),
        dir.join("ps").display().to_string(),
        "--object-store".into(),
        format!("file://{}", dir.join("objects").display()),
        "--safekeepers".into(),
        sk.join(","),
    ]
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
    std::fs::create_dir_all(&o.dir)?;
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
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let tl = TimelineId::new("bench", "main")?;
        let addrs = sks.iter().map(|s| format!("http://{}", s.addr)).collect();
        let p = Arc::new(WalProposer::start(DriverConfig::new(tl, addrs, 1)).await?);
        let t0 = Instant::now();
        let (end, wal_bytes) = write_wal(&p, o.pages).await?;
        println!(
            "WAL: {} pages in {} records, {:.0} MB, end {end}; appended to 3 safekeepers in {:.1} s",
            o.pages,
            o.pages.div_ceil(PAGES_PER_RECORD),
            wal_bytes as f64 / 1e6,
            t0.elapsed().as_secs_f64()
        );

        let (addr, metrics) = (loopback()?, loopback()?);
        let ps_log = dir.join("ps.log");
        let ps = spawn(&o.strata, &pageserver_args(addr, metrics, &dir, &sks), &ps_log, addr)?;
        let mut c = PageserverClient::connect(format!("http://{addr}")).await?;
        let t0 = Instant::now();
        c.create_timeline(pb::CreateTimelineRequest {
            tenant: "bench".into(),
            timeline: "main".into(),
            ..Default::default()
        })
        .await?;
        while last_record_lsn(&mut c).await? < end {
            if t0.elapsed() > Duration::from_secs(600) {
                bail!("ingest did not reach {end} in 600 s");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let secs = t0.elapsed().as_secs_f64();
        println!(
            "ingest: {:.0} MB of WAL in {secs:.2} s = {:.0} MB/s (target >= 300 MB/s)",
            wal_bytes as f64 / 1e6,
            wal_bytes as f64 / 1e6 / secs
        );

        // Stop cleanly (flush + upload), restart: everything in layer files.
        let pid = ps.child.id();
        let t0 = Instant::now();
        let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
        let mut ps = ps;
        loop {
            if ps.child.try_wait()?.is_some() {
                break;
            }
            if t0.elapsed() > Duration::from_secs(120) {
                bail!("pageserver did not stop within 120 s");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        println!("pageserver stopped (flush + upload) in {:.1} s", t0.elapsed().as_secs_f64());
        drop(ps);
        let (addr, metrics) = (loopback()?, loopback()?);
        let ps = spawn(&o.strata, &pageserver_args(addr, metrics, &dir, &sks), &ps_log, addr)?;

        let mut order: Vec<u32> = (0..o.pages).collect();
        order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(o.seed));
        let per = o.reads.unwrap_or(order.len() / o.inflight.len().max(1)).max(1);
        println!(
            "GetPages: batches of {} pages at {end}; {per} distinct pages per cold phase",
            o.batch
        );
        let mut sets = order.chunks(per);
        let report = |what: &str, inflight: usize, ph: &Phase| {
            let rate = ph.pages as f64 / ph.secs;
            println!(
                "{what:>4}, {inflight:>2} in flight: {:>8.0} pages/s, batch latency p50 {:.3} ms, \
                 p99 {:.3} ms, p99.9 {:.3} ms ({} pages, {:.1} s)",
                rate,
                pct(&ph.lat, 0.5),
                pct(&ph.lat, 0.99),
                pct(&ph.lat, 0.999),
                ph.pages,
                ph.secs
            );
        };
        let hits = |m| scrape(m, "strata_pageserver_page_cache_hits_total").unwrap_or(f64::NAN);
        let misses = |m| scrape(m, "strata_pageserver_page_cache_misses_total").unwrap_or(f64::NAN);
        let mut best_warm = 0f64;
        let mut last_warm: &[u32] = &[];
        for &k in &o.inflight {
            let set = sets.next().unwrap_or(&order[..per.min(order.len())]);
            let (h0, m0) = (hits(metrics), misses(metrics));
            let cold = read_phase(addr, set, end, o.batch, k).await?;
            report("cold", k, &cold);
            let (h1, m1) = (hits(metrics), misses(metrics));
            let warm_set = &set[set.len().saturating_sub(o.warm_pages)..];
            let warm = read_phase(addr, warm_set, end, o.batch, k).await?;
            report("warm", k, &warm);
            best_warm = best_warm.max(warm.pages as f64 / warm.secs);
            last_warm = warm_set;
            let (h2, m2) = (hits(metrics), misses(metrics));
            println!(
                "      cache hits/misses: cold {:.0}/{:.0}, warm {:.0}/{:.0}",
                h1 - h0,
                m1 - m0,
                h2 - h1,
                m2 - m1
            );
        }
        if o.paced_secs > 0.0 && best_warm > 0.0 {
            let rate = best_warm / 2.0;
            let r = crate::getpages_paced::run(
                addr,
                last_warm,
                key,
                |p, b| b.get(64..68) == Some(&p.to_le_bytes()[..]),
                crate::getpages_paced::Load {
                    lsn: end,
                    batch: o.batch,
                    rate,
                    secs: o.paced_secs,
                },
            )
            .await?;
            println!(
                "paced at half the best warm rate ({rate:.0} pages/s asked, {:.0} sent): batch \
                 latency p50 {:.3} ms, p99 {:.3} ms, p99.9 {:.3} ms (target p99 < 0.5 ms); \
                 at most {} batches outstanding",
                r.rate,
                pct(&r.lat, 0.5),
                pct(&r.lat, 0.99),
                pct(&r.lat, 0.999),
                r.max_outstanding
            );
        }
        drop(ps);
        p.shutdown();
        Ok::<_, anyhow::Error>(())
    })?;
    drop(sks);
    Ok(())
}
