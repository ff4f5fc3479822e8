//! The fault matrix's cluster: three safekeepers (peers of each other, offloading WAL in
//! 1 MiB segments), a pageserver that checkpoints every 2 s, and a supervised primary
//! compute, as real `strata` processes — on a local folder store, or on moto behind a
//! [`Proxy`] the test can cut (moto keeps its objects only in memory, so stopping it would
//! lose them; cutting the proxy makes it unreachable with its state intact).
//!
//! The cluster is driven from one thread (the scheduler's); async calls (gRPC status, the
//! object store) run on the test's runtime through `block_on`.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use proto::Lsn;
use proto::grpc::pageserver as ps_pb;
use proto::grpc::pageserver::pageserver_client::PageserverClient;
use proto::grpc::safekeeper as sk_pb;
use proto::grpc::safekeeper::safekeeper_client::SafekeeperClient;
use remote_storage::RemoteStorage;
use remote_storage::moto::MotoServer;
use tokio::runtime::Runtime;

use super::workload::Shared;
use crate::harness::proxy::Proxy;
use crate::harness::{Process, TestDir};

/// Where objects live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    /// `file://` in the test directory.
    Folder,
    /// moto's S3, reached through a proxy.
    Moto,
}

pub struct Cluster {
    pub rt: Arc<Runtime>,
    pub dir: TestDir,
    pub sks: Vec<Process>,
    pub sk_arg: String,
    pub ps: Process,
    /// The current primary.
    pub compute: Process,
    computes: usize,
    /// The object store, reached directly (not through the proxy).
    pub store: RemoteStorage,
    pub proxy: Option<Proxy>,
    _moto: Option<MotoServer>,
    pub started: Instant,
}

/// What every server needs to reach the object store.
struct StoreArgs {
    args: Vec<String>,
    env: Vec<(&'static str, &'static str)>,
}

impl StoreArgs {
    fn apply(&self, p: &mut Process) {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        p.push_args(&args);
        for (k, v) in &self.env {
            p.set_env(k, Some(v));
        }
    }
}

impl Cluster {
    /// Starts everything; `None` when moto is wanted but not installed (outside CI).
    pub fn start(kind: StoreKind, rt: Arc<Runtime>) -> Option<Cluster> {
        let dir = TestDir::new(match kind {
            StoreKind::Folder => "faults-folder",
            StoreKind::Moto => "faults-moto",
        });
        let (store, store_args, proxy, moto) = match kind {
            StoreKind::Folder => {
                let path = dir.path().join("object-store");
                std::fs::create_dir_all(&path).expect("create the object store");
                let url = format!("file://{}", path.display());
                let store = RemoteStorage::from_url(&url, &Default::default())
                    .expect("open the folder store");
                let args = StoreArgs {
                    args: vec!["--object-store".into(), url],
                    env: Vec::new(),
                };
                (store, args, None, None)
            }
            StoreKind::Moto => {
                let moto = rt.block_on(MotoServer::start())?;
                let store = rt.block_on(moto.storage("strata", "faults"));
                let target = moto
                    .endpoint
                    .trim_start_matches("http://")
                    .parse()
                    .expect("moto's address");
                let proxy = Proxy::start(target);
                let args = StoreArgs {
                    args: vec![
                        "--object-store".into(),
                        "s3://strata/faults".into(),
                        "--s3-endpoint".into(),
                        format!("http://{}", proxy.addr),
                        "--s3-region".into(),
                        "us-east-1".into(),
                        "--s3-allow-http".into(),
                    ],
                    env: vec![
                        ("AWS_ACCESS_KEY_ID", "testing"),
                        ("AWS_SECRET_ACCESS_KEY", "testing"),
                    ],
                };
                (store, args, Some(proxy), Some(moto))
            }
        };

        let mut sks: Vec<Process> = (1..=3).map(|id| Process::safekeeper(&dir, id)).collect();
        let sk_arg = sks
            .iter()
            .map(|s| s.addr.to_string())
            .collect::<Vec<_>>()
            .join(",");
        for sk in &mut sks {
            sk.push_args(&["--peers", &sk_arg, "--wal-segment-size", "1MiB"]);
            store_args.apply(sk);
            sk.start();
        }
        let mut ps = Process::new(
            &dir,
            "ps",
            &[
                "pageserver",
                "--listen",
                "{addr}",
                "--data-dir",
                "{data_dir}",
                "--safekeepers",
                &sk_arg,
                "--maintenance-interval",
                "1s",
                "--checkpoint-interval",
                "2s",
            ],
        );
        store_args.apply(&mut ps);
        ps.start();
        let mut compute = Process::compute(&dir, "compute1", &ps, &sk_arg, Some("16MiB"));
        compute.start();
        Some(Cluster {
            rt,
            dir,
            sks,
            sk_arg,
            ps,
            compute,
            computes: 1,
            store,
            proxy,
            _moto: moto,
            started: Instant::now(),
        })
    }

    /// Prints `what` with the time since the cluster started.
    pub fn event(&self, what: &str) {
        println!("[t={:.3}s] {what}", self.started.elapsed().as_secs_f64());
    }

    /// A new compute process (not started).
    pub fn new_compute(&mut self) -> Process {
        self.computes += 1;
        Process::compute(
            &self.dir,
            &format!("compute{}", self.computes),
            &self.ps,
            &self.sk_arg,
            Some("16MiB"),
        )
    }

    /// Starts a new compute, retrying (bounded) while it cannot start (no quorum yet).
    pub fn start_compute(&mut self) -> Result<Process, String> {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let mut c = self.new_compute();
            match c.try_start(Duration::from_secs(60)) {
                Ok(()) => return Ok(c),
                Err(e) if Instant::now() > deadline => {
                    return Err(format!("no compute could start for 120 s: {e}"));
                }
                Err(e) => {
                    self.event(&format!(
                        "{} failed to start; retrying: {}",
                        c.name,
                        first_line(&e)
                    ));
                    std::thread::sleep(Duration::from_millis(500));
                }
            }
        }
    }

    /// Makes `c` the primary the workload connects to.
    pub fn promote(&mut self, c: Process, shared: &Shared) -> Process {
        shared.port.store(c.addr.port(), Ordering::Relaxed);
        std::mem::replace(&mut self.compute, c)
    }

    /// The supervisor: when the primary has exited by itself, logs why and starts a new
    /// one. Returns what happened, if anything.
    pub fn supervise(&mut self, shared: &Shared) -> Result<Option<String>, String> {
        let Some(status) = self.compute.exited() else {
            if self.compute.is_running() {
                return Ok(None);
            }
            let c = self.start_compute()?;
            self.promote(c, shared);
            return Ok(Some("started a compute".into()));
        };
        let why = self
            .compute
            .log_tail(200)
            .lines()
            .rev()
            .find(|l| l.contains("stopped serving") || l.contains("ERROR"))
            .map(str::to_string)
            .unwrap_or_default();
        let what = format!(
            "{} exited by itself with {status} ({why}); starting another",
            self.compute.name
        );
        self.event(&what);
        let c = self.start_compute()?;
        self.promote(c, shared);
        Ok(Some(what))
    }

    /// Every process running and nothing cut.
    pub fn heal(&mut self, shared: &Shared) -> Result<(), String> {
        if let Some(p) = &self.proxy {
            p.heal();
        }
        for sk in &mut self.sks {
            if !sk.is_running() {
                sk.try_start(Duration::from_secs(60))?;
            }
        }
        if !self.ps.is_running() {
            self.ps.try_start(Duration::from_secs(60))?;
        }
        self.supervise(shared)?;
        Ok(())
    }

    /// Waits (bounded) until the primary answers a query and every safekeeper and the
    /// pageserver hold all the WAL committed when the wait began.
    pub fn wait_healthy(&mut self, shared: &Shared, limit: Duration) -> Result<Duration, String> {
        let started = Instant::now();
        let deadline = started + limit;
        let mut target: Option<Lsn> = None;
        loop {
            self.supervise(shared)?;
            // A server that died by itself is a finding, not something to restart quietly.
            for p in self.sks.iter_mut().chain(std::iter::once(&mut self.ps)) {
                if let Some(status) = p.exited() {
                    return Err(format!(
                        "{} exited by itself with {status}; its log ends:\n{}",
                        p.name,
                        p.log_tail(30)
                    ));
                }
            }
            let state = self.rt.block_on(self.probe());
            let last = match state {
                Ok((commit, flushed, ingested)) => {
                    let t = *target.get_or_insert(commit);
                    if flushed >= t && ingested >= t {
                        return Ok(started.elapsed());
                    }
                    format!(
                        "safekeepers' lowest flush_lsn {flushed}, pageserver at {ingested}, waiting for {t}"
                    )
                }
                Err(e) => e,
            };
            if Instant::now() > deadline {
                let stacks = self.save_stacks_of_silent(&last);
                return Err(format!(
                    "the cluster did not recover within {limit:?}: {last}{stacks}"
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// When a server named in `why` stopped answering, saves every thread's stack (gdb) to
    /// `{name}.stacks.txt` beside its log, so a hang can be read after the run; returns a
    /// note saying where (empty when nothing was saved).
    fn save_stacks_of_silent(&self, why: &str) -> String {
        let mut note = String::new();
        for p in self.sks.iter().chain(std::iter::once(&self.ps)) {
            if !why.starts_with(&format!("{}:", p.name)) {
                continue;
            }
            let Some(stacks) = p.thread_stacks() else {
                continue;
            };
            let path = p.data_dir.with_extension("stacks.txt");
            if std::fs::write(&path, &stacks).is_ok() {
                note.push_str(&format!("; {}'s thread stacks: {}", p.name, path.display()));
            }
            println!("--- {} thread stacks ---\n{stacks}", p.name);
        }
        note
    }

    /// `(highest commit_lsn, lowest flush_lsn over the safekeepers, the pageserver's
    /// last_record_lsn)`, once the primary has answered a query.
    async fn probe(&self) -> Result<(Lsn, Lsn, Lsn), String> {
        let port = self.compute.addr.port();
        let conn =
            format!("host=127.0.0.1 port={port} user=strata dbname=strata connect_timeout=5");
        let query = async {
            let (c, conn) = tokio_postgres::connect(&conn, tokio_postgres::NoTls).await?;
            let task = tokio::spawn(conn);
            let r = c.simple_query("SELECT count(*) FROM accounts").await;
            drop(c);
            let _ = task.await;
            r.map(drop)
        };
        match tokio::time::timeout(Duration::from_secs(10), query).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(format!("{} does not answer: {e}", self.compute.name)),
            Err(_) => return Err(format!("{} does not answer within 10 s", self.compute.name)),
        }
        let mut commit = Lsn(0);
        let mut flushed = Lsn(u64::MAX);
        for sk in &self.sks {
            let s = sk_status(&sk.url())
                .await
                .map_err(|e| format!("{}: {e} (process state {:?})", sk.name, sk.state()))?;
            commit = commit.max(Lsn(s.commit_lsn));
            flushed = flushed.min(Lsn(s.flush_lsn));
        }
        let ingested = ps_status(&self.ps.url())
            .await
            .map_err(|e| {
                format!(
                    "{}: {e} (process state {:?})",
                    self.ps.name,
                    self.ps.state()
                )
            })?
            .last_record_lsn;
        Ok((commit, flushed, Lsn(ingested)))
    }
}

fn timeline_ref() -> sk_pb::TimelineRef {
    sk_pb::TimelineRef {
        tenant: "default".into(),
        timeline: "main".into(),
    }
}

/// A safekeeper's `Status` of the timeline (bounded).
pub async fn sk_status(url: &str) -> Result<sk_pb::StatusResponse, String> {
    let call = async {
        let mut c = SafekeeperClient::connect(url.to_string())
            .await
            .map_err(|e| e.to_string())?;
        c.status(sk_pb::StatusRequest {
            timeline: Some(timeline_ref()),
        })
        .await
        .map(|r| r.into_inner())
        .map_err(|s| s.to_string())
    };
    tokio::time::timeout(Duration::from_secs(3), call)
        .await
        .map_err(|_| "no status within 3 s".to_string())?
}

/// The pageserver's `TimelineStatus` (bounded).
pub async fn ps_status(url: &str) -> Result<ps_pb::TimelineInfo, String> {
    let call = async {
        let mut c = PageserverClient::connect(url.to_string())
            .await
            .map_err(|e| e.to_string())?;
        c.timeline_status(ps_pb::TimelineStatusRequest {
            tenant: "default".into(),
            timeline: "main".into(),
            with_logical_size: false,
        })
        .await
        .map(|r| r.into_inner())
        .map_err(|s| s.to_string())
    };
    tokio::time::timeout(Duration::from_secs(3), call)
        .await
        .map_err(|_| "no status within 3 s".to_string())?
}

pub fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}
