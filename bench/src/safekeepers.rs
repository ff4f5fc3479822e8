//! `strata-bench safekeepers`: WAL durability through three real
//! `strata safekeeper` processes on loopback (fsync on), driven by the
//! compute's proposer driver (`safekeeper::driver::WalProposer`).
//!
//! Measures, in one run: the disk's own limits (`disk::measure`), the
//! append-to-durable latency p50/p99 at each concurrency (1 and 32 appenders
//! by default, small commit-sized records), fsyncs per append from the
//! safekeepers' metrics endpoints (group commit: far below 1 at 32
//! appenders), bulk throughput with large records, and optionally vanilla
//! PostgreSQL's single-row INSERT commit latency for reference. Prints the
//! ratios against the targets of issue 3.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use proto::{Lsn, PageBody, PageChange, PageKey, Record, RelId, TimelineId};
use safekeeper::driver::{DriverConfig, WalProposer};

use crate::disk;
use crate::postgres::{VanillaPostgres, free_port};

#[derive(clap::Args)]
pub struct Opts {
    /// The strata binary (build it with `cargo build --release -p strata`).
    #[arg(long, default_value = "target/release/strata")]
    strata: PathBuf,
    /// Where the safekeepers' data dirs and the disk probe live.
    #[arg(long, default_value = "target/bench-safekeepers")]
    dir: PathBuf,
    /// Seconds per latency measurement.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Appender counts to measure latency at.
    #[arg(long, value_delimiter = ',', default_values_t = vec![1usize, 32])]
    appenders: Vec<usize>,
    /// Bytes of page delta per small record.
    #[arg(long, default_value_t = 100)]
    record_bytes: usize,
    /// MiB written in the bulk phase.
    #[arg(long, default_value_t = 512)]
    bulk_mib: u64,
    /// KiB per bulk record (8 KiB page images).
    #[arg(long, default_value_t = 256)]
    bulk_record_kib: usize,
    /// Concurrent appenders in the bulk phase.
    #[arg(long, default_value_t = 32)]
    bulk_appenders: usize,
    /// Append messages outstanding per safekeeper (the driver's pipelining).
    #[arg(long, default_value_t = 1)]
    max_inflight: usize,
    /// Also measure vanilla PostgreSQL's single-row INSERT commit latency.
    #[arg(long)]
    postgres: bool,
}

/// One `strata safekeeper` child, killed on drop.
struct Safekeeper {
    child: Child,
    addr: SocketAddr,
    metrics: SocketAddr,
}

impl Drop for Safekeeper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_safekeeper(o: &Opts, id: u64) -> anyhow::Result<Safekeeper> {
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse()?;
    let metrics: SocketAddr = format!("127.0.0.1:{}", free_port()).parse()?;
    let data = o.dir.join(format!("sk{id}"));
    if data.exists() {
        std::fs::remove_dir_all(&data).with_context(|| format!("clear {}", data.display()))?;
    }
    std::fs::create_dir_all(&data)?;
    let log = std::fs::File::create(o.dir.join(format!("sk{id}.log")))?;
    let child = Command::new(&o.strata)
        .args(["safekeeper", "--id", &id.to_string()])
        .args(["--listen", &addr.to_string()])
        .args(["--metrics", &metrics.to_string()])
        .arg("--data-dir")
        .arg(&data)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("start {}", o.strata.display()))?;
    let sk = Safekeeper {
        child,
        addr,
        metrics,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        if Instant::now() > deadline {
            bail!("safekeeper {id} did not listen on {addr} within 30 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(sk)
}

/// Sums every sample of `metric` on a Prometheus text endpoint.
pub(crate) fn scrape(addr: SocketAddr, metric: &str) -> anyhow::Result<f64> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(2)))?;
    write!(s, "GET /metrics HTTP/1.0\r\nHost: {addr}\r\n\r\n")?;
    let mut body = String::new();
    s.read_to_string(&mut body)?;
    let sum = body
        .lines()
        .filter(|l| {
            l.strip_prefix(metric)
                .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('{'))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    Ok(sum)
}

/// (fsyncs, seconds spent in fsync) summed over the safekeepers.
fn fsyncs(sks: &[Safekeeper]) -> anyhow::Result<(f64, f64)> {
    let mut n = 0.0;
    let mut secs = 0.0;
    for s in sks {
        n += scrape(s.metrics, "strata_safekeeper_fsyncs_total")?;
        secs += scrape(s.metrics, "strata_safekeeper_fsync_seconds_sum")?;
    }
    Ok((n, secs))
}

fn small_record(i: u64, bytes: usize) -> Record {
    let data = vec![(i % 251) as u8; bytes.max(1)];
    let change = PageChange {
        key: PageKey {
            rel: RelId(16384),
            block: (i % 1000) as u32,
        },
        base_lsn: Lsn::INVALID,
        body: PageBody::Delta(proto::Delta::from_runs([(64u16, &data[..])])),
        crc_after: i as u32,
    };
    Record::commit(i as i64, vec![change])
}

fn bulk_record(i: u64, kib: usize) -> Record {
    let image = bytes::Bytes::from(vec![(i % 251) as u8; proto::PAGE_SIZE]);
    let changes = (0..(kib * 1024 / proto::PAGE_SIZE).max(1))
        .map(|b| PageChange {
            key: PageKey {
                rel: RelId(16385),
                block: b as u32,
            },
            base_lsn: Lsn::INVALID,
            body: PageBody::Image(image.clone()),
            crc_after: 0,
        })
        .collect();
    Record::commit(i as i64, changes)
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * p) as usize).min(sorted.len() - 1);
    sorted[i].as_secs_f64() * 1e3
}

struct LatencyRun {
    appends: usize,
    p50_ms: f64,
    p99_ms: f64,
    per_sec: f64,
    fsyncs_per_append: f64,
    fsync_mean_ms: f64,
    messages_per_append: f64,
}

async fn latency(
    p: &Arc<WalProposer>,
    sks: &[Safekeeper],
    o: &Opts,
    appenders: usize,
) -> anyhow::Result<LatencyRun> {
    let run = |secs: f64| {
        let until = Instant::now() + Duration::from_secs_f64(secs);
        let tasks: Vec<_> = (0..appenders)
            .map(|t| {
                let p = p.clone();
                let bytes = o.record_bytes;
                tokio::spawn(async move {
                    let mut lat = Vec::new();
                    let mut i = t as u64;
                    while Instant::now() < until {
                        let rec = small_record(i, bytes);
                        let t0 = Instant::now();
                        p.append(&rec).await?;
                        lat.push(t0.elapsed());
                        i += appenders as u64;
                    }
                    Ok::<_, safekeeper::Error>(lat)
                })
            })
            .collect();
        async move {
            let mut all = Vec::new();
            for t in tasks {
                all.extend(t.await??);
            }
            Ok::<_, anyhow::Error>(all)
        }
    };
    run(0.5).await?; // warm up
    let f0 = fsyncs(sks)?;
    let s0 = p.stats();
    let t0 = Instant::now();
    let mut lat = run(o.seconds).await?;
    let elapsed = t0.elapsed().as_secs_f64();
    let f1 = fsyncs(sks)?;
    let s1 = p.stats();
    lat.sort_unstable();
    let n = lat.len();
    Ok(LatencyRun {
        appends: n,
        p50_ms: pct(&lat, 0.5),
        p99_ms: pct(&lat, 0.99),
        per_sec: n as f64 / elapsed,
        fsyncs_per_append: (f1.0 - f0.0) / sks.len() as f64 / n as f64,
        fsync_mean_ms: (f1.1 - f0.1) / (f1.0 - f0.0).max(1.0) * 1e3,
        messages_per_append: (s1.append_messages - s0.append_messages) as f64
            / sks.len() as f64
            / n as f64,
    })
}

async fn bulk(p: &Arc<WalProposer>, o: &Opts) -> anyhow::Result<(f64, f64)> {
    let rec_bytes = proto::frame::record_framed_len(&bulk_record(0, o.bulk_record_kib)) as u64;
    let total = o.bulk_mib << 20;
    let count = total.div_ceil(rec_bytes);
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let t0 = Instant::now();
    let tasks: Vec<_> = (0..o.bulk_appenders)
        .map(|_| {
            let (p, next, kib) = (p.clone(), next.clone(), o.bulk_record_kib);
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= count {
                        return Ok::<_, safekeeper::Error>(());
                    }
                    p.append(&bulk_record(i, kib)).await?;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await??;
    }
    let secs = t0.elapsed().as_secs_f64();
    Ok(((count * rec_bytes) as f64 / 1e6 / secs, secs))
}

fn postgres_insert_latency(rt: &tokio::runtime::Runtime) -> anyhow::Result<(f64, f64)> {
    let pg = VanillaPostgres::start(&[])?;
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(&pg.conninfo(), tokio_postgres::NoTls)
            .await
            .context("connect to vanilla PostgreSQL")?;
        tokio::spawn(conn);
        client
            .batch_execute("CREATE TABLE t (id int primary key, v text)")
            .await?;
        let stmt = client.prepare("INSERT INTO t VALUES ($1, $2)").await?;
        let mut lat = Vec::new();
        for i in 0..3000i32 {
            let t0 = Instant::now();
            client.execute(&stmt, &[&i, &"x".repeat(100)]).await?;
            if i >= 200 {
                lat.push(t0.elapsed());
            }
        }
        lat.sort_unstable();
        Ok((pct(&lat, 0.5), pct(&lat, 0.99)))
    })
}

pub fn run(o: Opts) -> anyhow::Result<()> {
    std::fs::create_dir_all(&o.dir)?;
    if !o.strata.exists() {
        bail!(
            "{} not found: run `cargo build --release -p strata` first",
            o.strata.display()
        );
    }
    let d = disk::measure(&o.dir)?;
    let third = d.seq_write_mbps / 3.0;
    println!(
        "disk: write 8 KiB + fdatasync p50 {:.0} us",
        d.fdatasync_p50_us
    );
    if let Some(ops) = d.pg_fdatasync_ops {
        println!(
            "disk: pg_test_fsync fdatasync {ops:.0} ops/s ({:.0} us/op)",
            1e6 / ops
        );
    }
    println!(
        "disk: sequential write {:.0} MB/s (a third: {third:.0} MB/s)",
        d.seq_write_mbps
    );

    let sks: Vec<Safekeeper> = (1..=3)
        .map(|id| start_safekeeper(&o, id))
        .collect::<anyhow::Result<_>>()?;
    for (i, s) in sks.iter().enumerate() {
        println!("safekeeper {}: {} (metrics {})", i + 1, s.addr, s.metrics);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let pg = if o.postgres {
        Some(postgres_insert_latency(&rt)?)
    } else {
        None
    };
    rt.block_on(async {
        let tl = TimelineId::new("bench", "main")?;
        let addrs = sks.iter().map(|s| format!("http://{}", s.addr)).collect();
        let mut cfg = DriverConfig::new(tl, addrs, 1);
        cfg.max_inflight_appends = o.max_inflight;
        let p = Arc::new(WalProposer::start(cfg).await?);
        println!("proposer: term {}, ready at {}", p.term(), p.ready_lsn());
        let mut p50_1 = None;
        for &n in &o.appenders {
            let r = latency(&p, &sks, &o, n).await?;
            if n == 1 {
                p50_1 = Some(r.p50_ms);
            }
            println!(
                "{n:>3} appenders: {} appends, {:.0}/s, p50 {:.3} ms, p99 {:.3} ms, \
                 fsyncs/append {:.3}, Append messages/append {:.3} (per safekeeper), \
                 safekeeper fsync mean {:.3} ms",
                r.appends,
                r.per_sec,
                r.p50_ms,
                r.p99_ms,
                r.fsyncs_per_append,
                r.messages_per_append,
                r.fsync_mean_ms
            );
        }
        let (mbps, secs) = bulk(&p, &o).await?;
        println!(
            "bulk: {} MiB in {:.0} KiB records, {} appenders: {mbps:.0} MB/s in {secs:.1} s \
             = {:.0}% of a third of the disk's sequential rate (target >= 80%)",
            o.bulk_mib,
            o.bulk_record_kib,
            o.bulk_appenders,
            100.0 * mbps / third
        );
        if let Some(p50) = p50_1 {
            println!(
                "p50 at 1 appender: {p50:.3} ms (target <= 0.2 ms: {}); \
                 {:.2}x the disk's own fdatasync p50",
                if p50 <= 0.2 { "met" } else { "not met" },
                p50 * 1e3 / d.fdatasync_p50_us
            );
        }
        if let Some((pg50, pg99)) = pg {
            println!(
                "vanilla PostgreSQL single-row INSERT commit: p50 {pg50:.3} ms, p99 {pg99:.3} ms"
            );
            if let Some(p50) = p50_1 {
                println!(
                    "strata append p50 / PostgreSQL INSERT p50: {:.2}",
                    p50 / pg50
                );
            }
        }
        p.shutdown();
        Ok::<_, anyhow::Error>(())
    })?;
    drop(sks);
    Ok(())
}
