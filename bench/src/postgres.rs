//! Vanilla PostgreSQL 15 (from apt), really started, for side-by-side runs.
//!
//! PostgreSQL refuses to run as root, so initdb and pg_ctl run as the
//! `postgres` user (`runuser -u postgres --`) when we are root. The cluster
//! lives in a fresh directory under the system temp dir, listens on a free
//! loopback port with fsync on (the default), and is stopped (immediate
//! mode) and removed when dropped.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};

const BIN: &str = "/usr/lib/postgresql/15/bin";

/// A running scratch PostgreSQL server.
pub struct VanillaPostgres {
    dir: PathBuf,
    pub port: u16,
}

fn as_postgres(cmd: &str) -> Command {
    let exe = format!("{BIN}/{cmd}");
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", &exe]);
        c
    } else {
        Command::new(exe)
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

/// A free loopback TCP port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind a loopback port")
}

/// CPU seconds `pid` used, with those of its children it has reaped (a postmaster's
/// backends once their connections end): `/proc/PID/stat`'s utime + stime + cutime + cstime.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces: count fields after its closing paren.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14-17 of the whole line are 12-15 after the name.
    let ticks: u64 = fields
        .get(11..15)?
        .iter()
        .map(|f| f.parse::<u64>().ok())
        .sum::<Option<u64>>()?;
    Some(ticks as f64 / clock_ticks_per_second())
}

/// The unit of `/proc/PID/stat`'s times (`getconf CLK_TCK`; 100 on Linux).
fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .filter(|t: &f64| *t > 0.0)
        .unwrap_or(100.0)
}

impl VanillaPostgres {
    /// The postmaster's pid (the first line of `postmaster.pid`).
    pub fn postmaster_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.dir.join("data").join("postmaster.pid"))
            .ok()?
            .lines()
            .next()?
            .trim()
            .parse()
            .ok()
    }

    /// initdb + start with the given extra `postgresql.conf` lines.
    pub fn start(extra_conf: &[&str]) -> anyhow::Result<VanillaPostgres> {
        Self::start_in(&std::env::temp_dir(), extra_conf)
    }

    /// [`Self::start`] with the cluster under `base` (e.g. `/dev/shm` for tmpfs).
    pub fn start_in(
        base: &std::path::Path,
        extra_conf: &[&str],
    ) -> anyhow::Result<VanillaPostgres> {
        let dir = base.join(format!("strata-bench-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        if is_root() {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()?
                .success();
            if !ok {
                bail!("chown {} to postgres", dir.display());
            }
        }
        let data = dir.join("data");
        let out = as_postgres("initdb")
            .args(["-A", "trust", "-U", "postgres", "-D"])
            .arg(&data)
            .output()
            .context("run initdb (is postgresql-15 installed? ./scripts/test installs it)")?;
        if !out.status.success() {
            bail!("initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        let port = free_port();
        let mut conf = format!(
            "port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n",
            dir.display()
        );
        for l in extra_conf {
            conf.push_str(l);
            conf.push('\n');
        }
        // Appending as root leaves the file owned by postgres (it exists).
        use std::io::Write;
        std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))?
            .write_all(conf.as_bytes())?;
        let out = as_postgres("pg_ctl")
            .args(["-w", "-t", "60", "-D"])
            .arg(&data)
            .arg("-l")
            .arg(dir.join("log"))
            .arg("start")
            .output()?;
        if !out.status.success() {
            bail!(
                "pg_ctl start failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                std::fs::read_to_string(dir.join("log")).unwrap_or_default()
            );
        }
        Ok(VanillaPostgres { dir, port })
    }

    /// A libpq/tokio-postgres connection string.
    pub fn conninfo(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname=postgres",
            self.port
        )
    }

    /// The scratch directory (owned by `postgres`).
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }
}

impl Drop for VanillaPostgres {
    fn drop(&mut self) {
        let _ = as_postgres("pg_ctl")
            .args(["-m", "immediate", "-D"])
            .arg(self.dir.join("data"))
            .arg("stop")
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
