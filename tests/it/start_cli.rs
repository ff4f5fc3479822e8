//! Black-box tests of running Strata as a new user does: `strata start` is
//! quiet (a progress line per component, the connection string, where data
//! and logs live; logs in DATA_DIR/logs, no colors), writes DATA_DIR/cluster.toml
//! so `strata status --data-dir` and `strata timeline list --data-dir` need no
//! address (text and `--json`), removes it on a clean stop; a port in use is
//! an error that names the port and the flag; and settings come from flag >
//! `STRATA_*` variable > `--config` file > default; `--branch` serves a branch of main.
//!
//! Every child is killed on drop; every wait is bounded.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use crate::harness::free_port;

fn strata() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_strata"));
    // The user's environment must not steer these tests.
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("STRATA_") || k == "RUST_LOG" {
            c.env_remove(k);
        }
    }
    c
}

/// Runs `cmd` to completion within `limit` (killed and failed otherwise).
fn run(mut cmd: Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn strata");
    let deadline = Instant::now() + limit;
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("strata did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("collect output");
    println!(
        "{}{}-> {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        out.status
    );
    out
}

/// Lines of a child's pipe, read on a thread.
fn lines(pipe: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
}

/// A `strata start` child, killed on drop.
struct Started {
    child: Child,
    stdout: Vec<String>,
    stderr: Receiver<String>,
}

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `strata start` with `args` and collects its stdout until it says
/// how to stop it (bounded).
fn start(args: &[&str]) -> Started {
    let mut child = strata()
        .arg("start")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn strata start");
    let out = lines(child.stdout.take().expect("stdout"));
    let stderr = lines(child.stderr.take().expect("stderr"));
    let mut started = Started {
        child,
        stdout: Vec::new(),
        stderr,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(
            Instant::now() < deadline,
            "strata start did not finish starting within 60 s; stdout so far:\n{}",
            started.stdout.join("\n")
        );
        if let Ok(line) = out.recv_timeout(Duration::from_millis(200)) {
            println!("start| {line}");
            let done = line.contains("Ctrl-C");
            started.stdout.push(line);
            if done {
                return started;
            }
        }
    }
}

/// SIGTERM, then a clean exit within 60 s; returns what it printed on stderr.
fn stop(mut s: Started) -> Vec<String> {
    let pid = s.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill")
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = s.child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "no stop within 60 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "exit status {status}");
    s.stderr.try_iter().collect()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn log_files(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default()
}

#[test]
fn start_is_quiet_and_status_finds_it_through_cluster_toml() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let port = free_port();
    // The data directory and port come from a config file.
    let config = dir.path().join("strata.toml");
    std::fs::write(
        &config,
        format!(
            "data-dir = {:?}\nport = {port}\n",
            data.display().to_string()
        ),
    )
    .expect("write config");
    let started = start(&["--config", config.to_str().expect("utf-8 path")]);
    let out = started.stdout.join("\n");

    // Quiet: a line per component, the connection string, data and logs; no logs, no colors.
    assert!(started.stdout.len() <= 12, "too chatty:\n{out}");
    for component in ["safekeepers", "pageserver", "compute"] {
        let line = started
            .stdout
            .iter()
            .find(|l| l.trim_start().starts_with(component))
            .unwrap_or_else(|| panic!("no progress line for {component}:\n{out}"));
        assert!(line.contains("127.0.0.1:"), "{line}");
    }
    assert!(
        out.contains(&format!(
            "psql 'postgresql://strata@127.0.0.1:{port}/postgres'"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("Data:     {}", data.display())),
        "{out}"
    );
    let logs = data.join("logs");
    assert!(
        out.contains(&format!("Logs:     {}", logs.display())),
        "{out}"
    );
    assert!(!out.contains('\x1b') && !out.contains("INFO"), "{out}");

    // cluster.toml names the servers; the admin commands find them there.
    let cluster: toml::Table = std::fs::read_to_string(data.join("cluster.toml"))
        .expect("cluster.toml written")
        .parse()
        .expect("valid TOML");
    assert_eq!(
        cluster["postgres"].as_str(),
        Some(format!("127.0.0.1:{port}").as_str())
    );
    let sk_count = cluster["safekeepers"].as_array().map_or(0, Vec::len);
    assert_eq!(sk_count, 3, "{cluster}");

    let mut status = strata();
    status.args(["status", "--data-dir"]).arg(&data);
    let o = run(status, Duration::from_secs(30));
    assert!(o.status.success(), "{}", text(&o.stderr));
    let t = text(&o.stdout);
    assert!(t.starts_with("timeline default/main\n"), "{t}");
    assert_eq!(t.matches("  safekeeper 127.0.0.1:").count(), 3, "{t}");
    assert_eq!(t.matches("): term ").count(), 3, "{t}");
    assert!(
        t.contains("ingested_lsn ") && t.contains("lag: ingest "),
        "{t}"
    );

    let mut status = strata();
    status.args(["status", "--json", "--data-dir"]).arg(&data);
    let o = run(status, Duration::from_secs(30));
    assert!(o.status.success(), "{}", text(&o.stderr));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("status --json");
    let tl = &json["timelines"][0];
    assert_eq!(tl["timeline"], "main");
    assert_eq!(
        tl["safekeepers"].as_array().map(Vec::len),
        Some(3),
        "{json}"
    );
    assert!(tl["safekeepers"][0]["term"].as_u64() >= Some(1), "{json}");
    assert!(tl["pageserver"]["generation"].as_u64() >= Some(1), "{json}");
    let store = tl["pageserver"]["object_store"].as_str().unwrap_or("");
    assert!(store.starts_with("file://"), "{json}");
    assert!(tl["ingest_lag_bytes"].is_u64(), "{json}");

    let mut list = strata();
    list.args(["timeline", "list", "--data-dir"]).arg(&data);
    let o = run(list, Duration::from_secs(30));
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("(1 timelines)"));

    // Logs went to DATA_DIR/logs, not to the terminal.
    let stderr = stop(started);
    assert!(stderr.iter().all(|l| !l.contains("INFO")), "{stderr:?}");
    let files = log_files(&logs);
    assert!(!files.is_empty(), "no log file in {}", logs.display());
    let log: String = files
        .iter()
        .map(|f| std::fs::read_to_string(f).expect("read a log file"))
        .collect();
    assert!(log.contains("INFO") && !log.contains('\x1b'), "{log}");

    // A clean stop removes cluster.toml; status then says what to do.
    assert!(!data.join("cluster.toml").exists());
    let mut status = strata();
    status.args(["status", "--data-dir"]).arg(&data);
    let o = run(status, Duration::from_secs(30));
    assert!(!o.status.success());
    let e = text(&o.stderr);
    assert!(
        e.contains("cluster.toml") && e.contains("strata start"),
        "{e}"
    );
}

#[test]
fn verbose_start_logs_to_the_terminal_without_colors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port().to_string();
    let data = dir.path().join("data");
    let data = data.to_str().expect("utf-8 path");
    let started = start(&["--verbose", "--port", &port, "--data-dir", data]);
    let stderr = stop(started);
    assert!(stderr.iter().any(|l| l.contains("INFO")), "{stderr:?}");
    assert!(stderr.iter().all(|l| !l.contains('\x1b')), "{stderr:?}");
}

#[test]
fn a_port_in_use_is_named_with_its_flag() {
    let dir = tempfile::tempdir().expect("temp dir");
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = busy.local_addr().expect("address").port();
    let mut cmd = strata();
    cmd.args(["start", "--port", &port.to_string(), "--data-dir"])
        .arg(dir.path().join("data"));
    let o = run(cmd, Duration::from_secs(30));
    assert!(!o.status.success());
    let e = text(&o.stderr);
    assert!(e.contains(&port.to_string()) && e.contains("--port"), "{e}");
    assert!(!e.contains("panicked"), "{e}");

    let mut cmd = strata();
    cmd.args(["start", "--port", "0", "--metrics"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(dir.path().join("data"));
    let o = run(cmd, Duration::from_secs(30));
    assert!(!o.status.success());
    let e = text(&o.stderr);
    assert!(
        e.contains(&port.to_string()) && e.contains("--metrics"),
        "{e}"
    );

    let mut cmd = strata();
    cmd.args(["pageserver", "--object-store", "memory://", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(dir.path().join("ps"));
    let o = run(cmd, Duration::from_secs(30));
    assert!(!o.status.success());
    let e = text(&o.stderr);
    assert!(
        e.contains(&port.to_string()) && e.contains("--listen"),
        "{e}"
    );
    assert!(!e.contains("panicked"), "{e}");
}

/// Which `--listen` a pageserver used, told by the error for a busy port:
/// busy ports are the probe, so nothing has to start.
#[test]
fn settings_rank_flag_then_env_then_file_then_default() {
    let dir = tempfile::tempdir().expect("temp dir");
    let busy: Vec<std::net::TcpListener> = (0..3)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("bind"))
        .collect();
    let addr = |i: usize| busy[i].local_addr().expect("address").to_string();
    let file = dir.path().join("ps.toml");
    std::fs::write(
        &file,
        format!(
            "listen = \"{}\"\ndata_dir = {:?}\nobject-store = \"memory://\"\n",
            addr(0),
            dir.path().join("ps").display().to_string()
        ),
    )
    .expect("write config");
    let file = file.to_str().expect("utf-8 path").to_string();
    let used = |cmd: Command| {
        let o = run(cmd, Duration::from_secs(30));
        assert!(!o.status.success(), "every probe port is busy");
        let e = text(&o.stderr);
        (0..3)
            .find(|&i| e.contains(&addr(i)))
            .unwrap_or_else(|| panic!("no probe address named: {e}"))
    };

    // The file alone satisfies the required flags.
    let mut cmd = strata();
    cmd.args(["pageserver", "--config", &file]);
    assert_eq!(used(cmd), 0, "file");
    // STRATA_CONFIG names the file too.
    let mut cmd = strata();
    cmd.arg("pageserver").env("STRATA_CONFIG", &file);
    assert_eq!(used(cmd), 0, "file from STRATA_CONFIG");
    // The environment beats the file.
    let mut cmd = strata();
    cmd.args(["pageserver", "--config", &file])
        .env("STRATA_LISTEN", addr(1));
    assert_eq!(used(cmd), 1, "env over file");
    // A flag beats both.
    let mut cmd = strata();
    cmd.args(["pageserver", "--config", &file, "--listen", &addr(2)])
        .env("STRATA_LISTEN", addr(1));
    assert_eq!(used(cmd), 2, "flag over env");

    // Defaults apply under all three: the file sets no --maintenance-interval, and an
    // invalid one in the environment is caught, naming the variable's flag.
    let mut cmd = strata();
    cmd.args(["pageserver", "--config", &file])
        .env("STRATA_MAINTENANCE_INTERVAL", "soon");
    let o = run(cmd, Duration::from_secs(30));
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("--maintenance-interval"));

    // A key the command does not know is named, with the file.
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "lisen = \"127.0.0.1:1\"\n").expect("write config");
    let mut cmd = strata();
    cmd.args(["pageserver", "--config"]).arg(&bad);
    let o = run(cmd, Duration::from_secs(30));
    assert!(!o.status.success());
    let e = text(&o.stderr);
    assert!(e.contains("lisen") && e.contains("bad.toml"), "{e}");
}

#[test]
fn every_help_explains_itself() {
    let o = run(
        {
            let mut c = strata();
            c.arg("--help");
            c
        },
        Duration::from_secs(10),
    );
    let top = text(&o.stdout);
    assert!(o.status.success());
    assert!(!top.contains("being built"), "{top}");
    assert!(
        top.contains("strata start") && top.contains("STRATA_"),
        "{top}"
    );
    for sub in [
        &["start"][..],
        &["status"],
        &["safekeeper"],
        &["pageserver"],
        &["compute"],
        &["timeline", "create"],
        &["timeline", "list"],
        &["users", "add"],
        &["waldump"],
    ] {
        let mut c = strata();
        c.args(sub).arg("--help");
        let o = run(c, Duration::from_secs(10));
        assert!(o.status.success(), "{sub:?}");
        let help = text(&o.stdout);
        // (That every flag has a description is checked on the clap command, in main.rs.)
        assert!(help.contains("Usage: strata"), "{sub:?}:\n{help}");
        if ["start", "safekeeper", "pageserver", "compute"].contains(&sub[0]) {
            assert!(help.contains("--config <FILE>"), "{sub:?}:\n{help}");
        }
        if sub[0] != "waldump" && sub[0] != "users" {
            assert!(help.contains("[env: STRATA_"), "{sub:?}:\n{help}");
        }
    }
}

/// The README's example config files fit their commands: every key is known and every value
/// parses (a busy `--listen`/`--port` then stops the command before it starts anything).
#[test]
fn readme_config_examples_parse() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("read README.md");
    let blocks: Vec<&str> = readme
        .split("```toml\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = busy.local_addr().expect("address").port().to_string();
    let mut checked = 0;
    for (i, block) in blocks.iter().enumerate() {
        let (sub, flag) = match block.lines().next() {
            Some(l) if l.contains("pageserver") => ("pageserver", "--listen"),
            _ if block.contains("\nport = ") => ("start", "--port"),
            _ => continue,
        };
        let file = dir.path().join(format!("{i}.toml"));
        std::fs::write(&file, block).expect("write the example");
        let value = if sub == "start" {
            port.clone()
        } else {
            format!("127.0.0.1:{port}")
        };
        let mut cmd = strata();
        cmd.args([sub, "--config"]).arg(&file).args([flag, &value]);
        let o = run(cmd, Duration::from_secs(30));
        assert!(!o.status.success());
        let e = text(&o.stderr);
        assert!(
            e.contains(flag) && e.contains("in use"),
            "{sub} example: {e}"
        );
        checked += 1;
    }
    assert_eq!(checked, 2, "the pageserver and start examples");
}

/// `psql -c SQL` against the cluster on `port`: the only line of its unaligned output.
fn psql(port: u16, sql: &str) -> String {
    let mut cmd = Command::new("psql");
    cmd.args(["-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .arg(format!("postgresql://strata@127.0.0.1:{port}/postgres"));
    let o = run(cmd, Duration::from_secs(30));
    assert!(o.status.success(), "{sql}: {}", text(&o.stderr));
    text(&o.stdout).trim().to_string()
}

/// `strata start --branch dev` serves a branch made from main's last commit: it sees main's
/// rows, its own writes stay off main (and main's later ones off it), and the next start on
/// it resumes the branch instead of making it again.
#[test]
fn start_on_a_branch_serves_it_apart_from_main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let data = data.to_str().expect("utf-8 path");
    let port = free_port();
    let port_arg = port.to_string();
    let ids = "SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM t";

    let main = start(&["--port", &port_arg, "--data-dir", data]);
    psql(port, "CREATE TABLE t (id int PRIMARY KEY)");
    psql(port, "INSERT INTO t VALUES (1), (2)");
    stop(main);

    let dev = start(&["--port", &port_arg, "--data-dir", data, "--branch", "dev"]);
    let out = dev.stdout.join("\n");
    assert!(out.contains("created from main at "), "{out}");
    assert!(out.contains("Branch:   dev"), "{out}");
    assert_eq!(psql(port, ids), "1,2");
    psql(port, "INSERT INTO t VALUES (100)");
    stop(dev);

    let main = start(&["--port", &port_arg, "--data-dir", data]);
    assert!(!main.stdout.join("\n").contains("Branch:"));
    assert_eq!(psql(port, ids), "1,2");
    psql(port, "INSERT INTO t VALUES (3)");
    stop(main);

    let dev = start(&["--port", &port_arg, "--data-dir", data, "--branch", "dev"]);
    let out = dev.stdout.join("\n");
    assert!(!out.contains("created from"), "made again:\n{out}");
    assert_eq!(psql(port, ids), "1,2,100");
    stop(dev);
}
