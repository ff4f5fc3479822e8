//! The process harness for black-box tests: real `strata` processes on free
//! loopback ports, each with its own data directory under one temporary
//! directory, that a test can kill -9 and restart on the same data.
//!
//! Invariants: every child is killed when its [`Process`] is dropped (a
//! failing test leaves nothing running); every wait is bounded; ports, data
//! directories and log files are printed so a failure can be inspected
//! (`STRATA_KEEP_TEST_DIR=1` keeps the directory). Children log to
//! `<name>.log` next to their data directory; the tail of each log is printed
//! when a [`Process`] is dropped during a panic.

#![allow(dead_code)]

pub mod proxy;

use std::fs::File;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port the OS just handed out on 127.0.0.1 (released for the child to
/// bind; a race with another process is possible but unlikely).
/// Runs the `strata` binary with `args` and prints the command and what it said.
pub fn strata(args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(args)
        .output()
        .expect("run strata");
    println!(
        "$ strata {}\n{}{}-> {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        out.status
    );
    out
}

/// A free loopback port, never one this test process was handed before: a port is free
/// only until its process binds it, so two picks before either process starts could
/// otherwise be the same port (a compose test once gave the compute sk3's port).
pub fn free_port() -> u16 {
    static HANDED_OUT: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut handed = HANDED_OUT.lock().unwrap_or_else(|p| p.into_inner());
    loop {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
        let port = l.local_addr().expect("bound socket has an address").port();
        if !handed.contains(&port) {
            handed.push(port);
            return port;
        }
    }
}

/// A seed for a test's randomness: `STRATA_TEST_SEED` or the clock. Printed.
pub fn seed() -> u64 {
    let seed = std::env::var("STRATA_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    println!("seed: {seed} (replay with STRATA_TEST_SEED={seed})");
    seed
}

/// splitmix64: a small seeded generator, the same on every platform, for the choices of
/// randomised tests (accounts, amounts, faults, their moments).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi` (bias is irrelevant here).
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    /// A duration uniform in `lo..=hi`, to the millisecond.
    pub fn duration(&mut self, lo: Duration, hi: Duration) -> Duration {
        let (lo, hi) = (lo.as_millis() as i64, hi.as_millis() as i64);
        Duration::from_millis(self.range(lo, hi) as u64)
    }
}

/// The temporary directory all of a test's processes live in.
pub struct TestDir {
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
}

impl TestDir {
    pub fn new(name: &str) -> TestDir {
        let dir = tempfile::Builder::new()
            .prefix(&format!("strata-{name}-"))
            .tempdir()
            .expect("create a temporary directory");
        let path = dir.path().to_path_buf();
        println!("test dir: {}", path.display());
        let keep = std::env::var_os("STRATA_KEEP_TEST_DIR").is_some();
        let dir = if keep {
            let _ = dir.keep();
            None
        } else {
            Some(dir)
        };
        TestDir { dir, path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// One `strata` child process.
pub struct Process {
    pub name: String,
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    /// Where it serves Prometheus metrics, once [`Process::with_metrics`] asked for them.
    pub metrics: Option<SocketAddr>,
    args: Vec<String>,
    /// Extra environment variables of the next starts.
    env: Vec<(String, String)>,
    log: PathBuf,
    child: Option<Child>,
}

impl Process {
    /// Describes a process; `args` may use `{addr}` and `{data_dir}`.
    pub fn new(dir: &TestDir, name: &str, args: &[&str]) -> Process {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port())
            .parse()
            .expect("valid address");
        let data_dir = dir.path().join(name);
        let log = dir.path().join(format!("{name}.log"));
        let args = args
            .iter()
            .map(|a| {
                a.replace("{addr}", &addr.to_string())
                    .replace("{data_dir}", &data_dir.display().to_string())
            })
            .collect();
        println!(
            "{name}: {addr}, data {}, log {}",
            data_dir.display(),
            log.display()
        );
        Process {
            name: name.to_string(),
            addr,
            data_dir,
            metrics: None,
            args,
            env: Vec::new(),
            log,
            child: None,
        }
    }

    /// A `strata safekeeper` with id `id`, metrics on `metrics` if given.
    pub fn safekeeper(dir: &TestDir, id: u64) -> Process {
        let id = id.to_string();
        Process::new(
            dir,
            &format!("sk{id}"),
            &[
                "safekeeper",
                "--id",
                &id,
                "--listen",
                "{addr}",
                "--data-dir",
                "{data_dir}",
            ],
        )
    }

    /// A pageserver (not yet started) on the `file://` object store
    /// `dir/object-store`, streaming WAL from `safekeepers` (`A,B,C`).
    pub fn pageserver(dir: &TestDir, safekeepers: &str) -> Process {
        let store_url = format!("file://{}", dir.path().join("object-store").display());
        Process::new(
            dir,
            "ps",
            &[
                "pageserver",
                "--listen",
                "{addr}",
                "--data-dir",
                "{data_dir}",
                "--object-store",
                &store_url,
                "--safekeepers",
                safekeepers,
            ],
        )
    }

    /// Starts (or restarts, on the same data dir) and waits until it accepts
    /// connections.
    pub fn start(&mut self) {
        self.spawn();
        self.wait_ready(Duration::from_secs(30));
    }

    /// Spawns the child without waiting for it to serve.
    fn spawn(&mut self) {
        assert!(self.child.is_none(), "{} is already running", self.name);
        std::fs::create_dir_all(&self.data_dir).expect("create the data dir");
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("open the log file");
        let err = log.try_clone().expect("clone the log file handle");
        let child = Command::new(env!("CARGO_BIN_EXE_strata"))
            .args(&self.args)
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
            )
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .expect("spawn strata");
        println!("{}: started, pid {}", self.name, child.id());
        self.child = Some(child);
    }

    /// Waits (bounded) until the process accepts TCP connections; panics
    /// with its log tail if it exits or never does.
    pub fn wait_ready(&mut self, timeout: Duration) {
        if let Err(e) = self.ready(timeout) {
            panic!("{e}");
        }
    }

    /// [`Process::wait_ready`], returning why it failed instead of panicking.
    fn ready(&mut self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                return Err(format!(
                    "{} exited with {status} before accepting connections; log:\n{}",
                    self.name,
                    self.log_tail(40)
                ));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{} did not accept connections on {} within {timeout:?}; log:\n{}",
                    self.name,
                    self.addr,
                    self.log_tail(40)
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Every thread's stack of the running process, by gdb (bounded to 60 s), for a
    /// process that stopped answering; `None` when gdb is not installed or failed.
    pub fn thread_stacks(&self) -> Option<String> {
        let pid = self.pid()?;
        let mut child = Command::new("gdb")
            .args([
                "-p",
                &pid.to_string(),
                "-batch",
                "-ex",
                "thread apply all bt 25",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let deadline = Instant::now() + Duration::from_secs(60);
        while child.try_wait().ok()?.is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let out = child.wait_with_output().ok()?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.contains("Thread").then_some(text)
    }

    /// SIGKILL, then reap.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            println!("{}: killed -9", self.name);
        }
    }

    /// Sets environment variable `key` for the next starts (`None`: unset
    /// it again), e.g. a fault to inject.
    pub fn set_env(&mut self, key: &str, value: Option<&str>) {
        self.env.retain(|(k, _)| k != key);
        if let Some(v) = value {
            self.env.push((key.to_string(), v.to_string()));
        }
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Appends arguments (before [`Process::start`]); they may use `{addr}` and `{data_dir}`.
    pub fn push_args(&mut self, args: &[&str]) {
        for a in args {
            self.args.push(
                a.replace("{addr}", &self.addr.to_string())
                    .replace("{data_dir}", &self.data_dir.display().to_string()),
            );
        }
    }

    /// The running child's pid.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Its exit status if it has exited by itself (reaped; it is then not running), else
    /// `None` without waiting.
    /// The process's state letter from `/proc` (`R`, `S`, `T` stopped, `Z`…), if it runs.
    pub fn state(&self) -> Option<char> {
        process_state(&self.pid()?.to_string())
    }

    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        let status = self.child.as_mut()?.try_wait().ok()??;
        self.child = None;
        println!("{}: exited with {status}", self.name);
        Some(status)
    }

    /// Starts it like [`Process::start`], but returns an error with the log's tail instead of
    /// panicking when it exits or does not accept connections within `timeout` (it is then
    /// killed).
    pub fn try_start(&mut self, timeout: Duration) -> Result<(), String> {
        self.spawn();
        let ready = self.ready(timeout);
        if ready.is_err() {
            self.kill9();
        }
        ready
    }

    /// Sends `signal` (`STOP`, `CONT`, …) with kill(1); after `STOP`, waits (bounded) until
    /// the process is stopped, so it runs no further instruction.
    pub fn signal(&self, signal: &str) {
        let child = self
            .child
            .as_ref()
            .unwrap_or_else(|| panic!("{} is not running", self.name));
        let pid = child.id().to_string();
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -{signal} {pid}");
        if signal == "STOP" {
            let deadline = Instant::now() + Duration::from_secs(10);
            while !process_state(&pid).is_some_and(|s| s == 'T' || s == 't') {
                assert!(Instant::now() < deadline, "{} never stopped", self.name);
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        println!("{}: SIG{signal}", self.name);
    }

    /// Waits (bounded) for the process to exit by itself; returns its exit status.
    pub fn wait_exit(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let child = self
            .child
            .as_mut()
            .unwrap_or_else(|| panic!("{} is not running", self.name));
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = child.try_wait().expect("poll the child") {
                self.child = None;
                println!("{}: exited with {status}", self.name);
                return status;
            }
            if Instant::now() > deadline {
                panic!(
                    "{} did not exit within {timeout:?}; log:\n{}",
                    self.name,
                    self.log_tail(40)
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `http://addr`, for gRPC clients.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The last `n` lines of the process's log.
    pub fn log_tail(&self, n: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- {} log tail ---\n{}", self.name, self.log_tail(20));
        }
        self.kill9();
    }
}

/// The state letter of process `pid` in /proc (`R`, `S`, `T` for stopped, …).
fn process_state(pid: &str) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) S ...": the state follows the last ')'.
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

/// Three started safekeepers (ids 1 to 3) and their addresses as a
/// `--safekeepers A,B,C` argument.
pub fn start_safekeepers(dir: &TestDir) -> (Vec<Process>, String) {
    let mut sks: Vec<Process> = (1..=3).map(|id| Process::safekeeper(dir, id)).collect();
    for sk in &mut sks {
        sk.start();
    }
    let arg = sks
        .iter()
        .map(|s| s.addr.to_string())
        .collect::<Vec<_>>()
        .join(",");
    (sks, arg)
}

/// How long one SQL round trip or metrics scrape may take before a test fails.
pub const SQL_STEP: Duration = Duration::from_secs(30);

impl Process {
    /// A primary `strata compute` (not yet started) for timeline `default`/`main`, reading
    /// pages from `ps`, writing WAL to `safekeepers` (`A,B,C`), with a page cache of
    /// `cache_size` (e.g. `1MiB`; `None` is the binary's default).
    pub fn compute(
        dir: &TestDir,
        name: &str,
        ps: &Process,
        safekeepers: &str,
        cache_size: Option<&str>,
    ) -> Process {
        Process::compute_with(dir, name, ps, safekeepers, "main", cache_size, &[])
    }

    /// A `strata compute` (not yet started) on timeline `default`/`timeline`, with
    /// `extra` flags (e.g. `--read-only`).
    pub fn compute_with(
        dir: &TestDir,
        name: &str,
        ps: &Process,
        safekeepers: &str,
        timeline: &str,
        cache_size: Option<&str>,
        extra: &[&str],
    ) -> Process {
        let ps_addr = ps.addr.to_string();
        let mut args = vec![
            "compute",
            "--listen",
            "{addr}",
            "--pageserver",
            &ps_addr,
            "--safekeepers",
            safekeepers,
            "--tenant",
            "default",
            "--timeline",
            timeline,
            "--max-connections",
            "64",
        ];
        if let Some(size) = cache_size {
            args.extend(["--cache-size", size]);
        }
        args.extend(extra);
        Process::new(dir, name, &args)
    }

    /// A read replica (`--read-only`, not yet started) of `timeline`, naming `primary` as
    /// where writes go.
    pub fn replica(
        dir: &TestDir,
        name: &str,
        ps: &Process,
        safekeepers: &str,
        timeline: &str,
        primary: &Process,
    ) -> Process {
        let primary = primary.addr.to_string();
        Process::compute_with(
            dir,
            name,
            ps,
            safekeepers,
            timeline,
            Some("16MiB"),
            &["--read-only", "--primary", &primary],
        )
    }

    /// Serves Prometheus metrics on a free loopback port (`--metrics`); call before
    /// [`Process::start`].
    pub fn with_metrics(mut self) -> Process {
        assert!(self.child.is_none(), "{}: metrics after start", self.name);
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port())
            .parse()
            .expect("valid address");
        self.args
            .extend(["--metrics".to_string(), addr.to_string()]);
        self.metrics = Some(addr);
        println!("{}: metrics at http://{addr}/metrics", self.name);
        self
    }

    /// The process's metrics in Prometheus text format (bounded wait; panics on failure).
    pub fn scrape_metrics(&self) -> Metrics {
        let addr = self
            .metrics
            .unwrap_or_else(|| panic!("{} was started without --metrics", self.name));
        let text = http_get(addr, "/metrics")
            .unwrap_or_else(|e| panic!("{}: GET /metrics: {e}", self.name));
        Metrics(text)
    }

    /// A tokio-postgres client connected to this compute (bounded wait).
    pub async fn pg(&self) -> tokio_postgres::Client {
        pg_connect(self.addr.port()).await
    }
}

/// Three started safekeepers (ids 1 to 3), each serving metrics, and their addresses as a
/// `--safekeepers A,B,C` argument.
pub fn start_safekeepers_with_metrics(dir: &TestDir) -> (Vec<Process>, String) {
    let mut sks: Vec<Process> = (1..=3)
        .map(|id| Process::safekeeper(dir, id).with_metrics())
        .collect();
    for sk in &mut sks {
        sk.start();
    }
    let arg = sks
        .iter()
        .map(|s| s.addr.to_string())
        .collect::<Vec<_>>()
        .join(",");
    (sks, arg)
}

/// A tokio-postgres client of the server on 127.0.0.1:`port` (bounded wait); the connection
/// task runs until the client is dropped or the server goes away.
pub async fn pg_connect(port: u16) -> tokio_postgres::Client {
    pg_connect_watched(port).await.0
}

/// [`pg_connect`], also returning how the connection ended (`Err` carries a FATAL error
/// the server sent).
pub async fn pg_connect_watched(
    port: u16,
) -> (
    tokio_postgres::Client,
    tokio::task::JoinHandle<Result<(), tokio_postgres::Error>>,
) {
    let conn = format!("host=127.0.0.1 port={port} user=strata dbname=strata connect_timeout=10");
    let (client, connection) = tokio::time::timeout(
        SQL_STEP,
        tokio_postgres::connect(&conn, tokio_postgres::NoTls),
    )
    .await
    .unwrap_or_else(|_| panic!("connect to port {port}: no answer within {SQL_STEP:?}"))
    .unwrap_or_else(|e| panic!("connect to port {port}: {e}"));
    (client, tokio::spawn(connection))
}

/// The rows of `sql` (simple protocol, so every value arrives as text whatever its type),
/// each as a list of optional strings; panics on an error or after [`SQL_STEP`].
pub async fn text_rows(c: &tokio_postgres::Client, sql: &str) -> Vec<Vec<Option<String>>> {
    let messages = tokio::time::timeout(SQL_STEP, c.simple_query(sql))
        .await
        .unwrap_or_else(|_| panic!("{sql}: no answer within {SQL_STEP:?}"))
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    messages
        .iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => {
                Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
            }
            _ => None,
        })
        .collect()
}

/// Runs `sql` (simple protocol, possibly several statements); panics on an error or after
/// [`SQL_STEP`].
pub async fn exec(c: &tokio_postgres::Client, sql: &str) {
    tokio::time::timeout(SQL_STEP, c.batch_execute(sql))
        .await
        .unwrap_or_else(|_| panic!("{sql}: no answer within {SQL_STEP:?}"))
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// One scrape of a Prometheus text endpoint.
pub struct Metrics(pub String);

impl Metrics {
    /// The sum of every series of metric `name` (all label sets); 0 when there is none.
    pub fn sum(&self, name: &str) -> f64 {
        self.0
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let (series, value) = l.rsplit_once(' ')?;
                let metric = series.split('{').next()?;
                (metric == name).then(|| value.parse::<f64>().ok())?
            })
            .sum()
    }
}

/// `GET path` over HTTP/1.1 from `addr`; the body of a 200 answer.
pub fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.set_write_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = String::new();
    s.read_to_string(&mut answer)?;
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    if !head.starts_with("HTTP/1.1 200") {
        return Err(std::io::Error::other(format!(
            "answer: {}",
            head.lines().next().unwrap_or("")
        )));
    }
    Ok(body.to_string())
}

impl Process {
    /// A whole cluster in one `strata start` process (three safekeepers, a pageserver, a
    /// primary compute) on its own data directory; clients connect to `addr`.
    pub fn local_cluster(dir: &TestDir, name: &str) -> Process {
        let mut p = Process::new(dir, name, &["start", "--data-dir", "{data_dir}"]);
        let port = p.addr.port().to_string();
        p.args.extend(["--port".to_string(), port]);
        p
    }

    /// `postgresql://strata@127.0.0.1:PORT/postgres`, for psql, pgbench and drivers.
    pub fn pg_url(&self) -> String {
        format!(
            "postgresql://strata@127.0.0.1:{}/postgres",
            self.addr.port()
        )
    }
}
