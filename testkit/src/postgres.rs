//! A throwaway PostgreSQL 15 server for tests: the SQL oracle.
//!
//! [`PgServer::start`] runs `initdb` into a temporary directory (C locale, UTF8, trust
//! authentication) and starts `postgres` on a free port of 127.0.0.1 with its socket in that
//! directory; dropping the server stops it (SIGQUIT: immediate shutdown) and removes the
//! directory. The postmaster also gets SIGQUIT if the test process dies first
//! (`PR_SET_PDEATHSIG`), so a killed test leaves no server behind.
//!
//! PostgreSQL refuses to run as root: when the tests run as root the server runs as the
//! `postgres` user the Debian package creates (`setpriv`, which execs in place so the child we
//! hold is the postmaster itself).
//!
//! When PostgreSQL 15 is not installed, `start` returns `None` after a loud message — except
//! under `CI=true`, where it panics: `./scripts/test` installs it, so its absence there is a
//! broken machine, not a reason to skip the oracle.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running PostgreSQL server; stopped on drop.
pub struct PgServer {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

/// Where the PostgreSQL 15 server binaries are, if installed.
pub fn bin_dir() -> Option<PathBuf> {
    let dir = PathBuf::from("/usr/lib/postgresql/15/bin");
    (dir.join("postgres").is_file() && dir.join("initdb").is_file()).then_some(dir)
}

fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind a loopback port")
}

/// A command for `program`, run as the `postgres` user when we are root.
fn pg_command(program: &Path) -> Command {
    if running_as_root() {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=postgres",
            "--regid=postgres",
            "--init-groups",
            "--reset-env",
        ])
        .arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// Says loudly that the oracle is missing; panics under `CI=true`.
fn missing(why: &str) {
    let msg = format!(
        "PostgreSQL 15 is not available ({why}); ./scripts/test installs it (apt postgresql-15)"
    );
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{msg}");
    }
    eprintln!("\n\n!!!!! SKIPPING the PostgreSQL oracle: {msg} !!!!!\n\n");
}

impl PgServer {
    /// Starts a fresh server and waits (up to 60 s) until it accepts connections. `None` (after
    /// a loud message) when PostgreSQL 15 is not installed, outside CI.
    pub fn start() -> Option<PgServer> {
        let Some(bin) = bin_dir() else {
            missing("no /usr/lib/postgresql/15/bin/postgres");
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("strata-pg-")
            .tempdir()
            .expect("create a temporary directory for PostgreSQL");
        if running_as_root() {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("run chown");
            assert!(
                status.success(),
                "chown the PostgreSQL directory to postgres"
            );
        }
        let data = dir.path().join("data");
        let out = pg_command(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let mut cmd = pg_command(&bin.join("postgres"));
        cmd.arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-k"])
            .arg(dir.path())
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=100",
                "-c",
                "shared_buffers=32MB",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(
                std::fs::File::create(dir.path().join("server.log"))
                    .map(Stdio::from)
                    .unwrap_or_else(|_| Stdio::null()),
            );
        // SAFETY: prctl is async-signal-safe; it only asks the kernel to send SIGQUIT (PostgreSQL's
        // immediate shutdown) to the postmaster when this process exits.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGQUIT) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("start postgres");
        let mut server = PgServer { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("postgres exited at start ({status}): {}", server.log());
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() && server.ready() {
                return Some(server);
            }
            assert!(
                Instant::now() < deadline,
                "postgres did not accept connections within 60 s: {}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Whether the server accepts queries (the port opens before recovery ends).
    fn ready(&self) -> bool {
        let Some(bin) = bin_dir() else { return false };
        Command::new(bin.join("pg_isready"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-q"])
            .status()
            .is_ok_and(|s| s.success())
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A libpq key/value connection string for database `postgres` as user `postgres`.
    pub fn conn_str(&self) -> String {
        self.conn_str_db("postgres")
    }

    /// A connection string for `db`.
    pub fn conn_str_db(&self, db: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname={db}",
            self.port
        )
    }

    /// A `postgresql://` URL for `db` (psql, pgbench and drivers take it).
    pub fn url(&self, db: &str) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/{db}", self.port)
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        // SAFETY: kill with a valid pid of our own child.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGQUIT);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_answers_and_stops() {
        let Some(pg) = PgServer::start() else { return };
        let out = Command::new("psql")
            .args([&pg.url("postgres"), "-XAtc", "select 1 + 1"])
            .output()
            .expect("run psql");
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2");
        let port = pg.port();
        drop(pg);
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
    }
}
