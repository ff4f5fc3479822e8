//! The physical limits of this machine's disk, measured in the same run as
//! anything that writes WAL: fdatasync latency (PostgreSQL's own
//! `pg_test_fsync`, and our own loop on a pre-allocated file, 8 KiB writes)
//! and sequential write rate with one fdatasync at the end.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// What the disk can do.
#[derive(Debug, Clone, Copy)]
pub struct DiskLimits {
    /// pg_test_fsync's "fdatasync" ops/s for one 8 KiB write (None if it
    /// could not run).
    pub pg_fdatasync_ops: Option<f64>,
    /// Median latency of write(8 KiB) + fdatasync on a pre-allocated file.
    pub fdatasync_p50_us: f64,
    /// Sequential write MB/s (1 MiB writes, one fdatasync at the end).
    pub seq_write_mbps: f64,
}

pub fn measure(dir: &Path) -> anyhow::Result<DiskLimits> {
    std::fs::create_dir_all(dir)?;
    let pg_fdatasync_ops = pg_test_fsync(dir);

    let path = dir.join("fsync-probe");
    let f = OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(&path)?;
    f.write_all_at(&vec![0u8; 16 << 20], 0)?;
    f.sync_all()?;
    let block = vec![7u8; 8192];
    let mut lat = Vec::with_capacity(500);
    for i in 0..500u64 {
        let t = Instant::now();
        f.write_all_at(&block, (i % 2048) * 8192)?;
        f.sync_data()?;
        lat.push(t.elapsed().as_secs_f64() * 1e6);
    }
    lat.sort_by(f64::total_cmp);
    let fdatasync_p50_us = lat[lat.len() / 2];
    drop(f);

    let mut f = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&path)?;
    let chunk = vec![1u8; 1 << 20];
    let total = 512usize;
    let t = Instant::now();
    for _ in 0..total {
        f.write_all(&chunk)?;
    }
    f.sync_data()?;
    let seq_write_mbps = total as f64 * 1.048576 / t.elapsed().as_secs_f64();
    drop(f);
    std::fs::remove_file(&path)?;
    Ok(DiskLimits {
        pg_fdatasync_ops,
        fdatasync_p50_us,
        seq_write_mbps,
    })
}

/// Runs `pg_test_fsync -s 2` and returns its fdatasync ops/s.
fn pg_test_fsync(dir: &Path) -> Option<f64> {
    let out = Command::new("/usr/lib/postgresql/15/bin/pg_test_fsync")
        .args(["-s", "2", "-f"])
        .arg(dir.join("pg_test_fsync.out"))
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // "        fdatasync                            1234.567 ops/sec     810 usecs/op"
    text.lines()
        .find(|l| l.trim_start().starts_with("fdatasync"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}
