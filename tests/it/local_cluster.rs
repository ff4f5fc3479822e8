//! `strata start` — the embedded default — end to end: the library
//! (`strata::LocalCluster`) and the real binary, each started, written to,
//! stopped and started again on the same data directory, with every
//! committed row back and nothing uncommitted; and a compute that stops
//! serving (fenced from outside) replaced by a fresh one on the same port.

use std::time::Duration;

use strata::{LocalCluster, LocalClusterConfig};
use tokio_postgres::NoTls;

async fn connect(port: u16) -> tokio_postgres::Client {
    let s = format!("host=127.0.0.1 port={port} user=strata dbname=postgres");
    let (client, conn) =
        tokio::time::timeout(Duration::from_secs(20), tokio_postgres::connect(&s, NoTls))
            .await
            .expect("connect in time")
            .expect("connect");
    tokio::spawn(conn);
    client
}

async fn count(c: &tokio_postgres::Client) -> i64 {
    c.query_one("SELECT count(*) FROM kv", &[])
        .await
        .expect("count")
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_cluster_keeps_its_data_across_restarts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = LocalClusterConfig::new(dir.path().join("data"));
    config.port = 0;
    config.cache_bytes = Some(1 << 20);

    let cluster =
        tokio::time::timeout(Duration::from_secs(60), LocalCluster::start(config.clone()))
            .await
            .expect("start in time")
            .expect("start");
    assert!(cluster.connection_string().starts_with("postgresql://"));
    let c = connect(cluster.postgres_addr.port()).await;
    c.batch_execute("CREATE TABLE kv (k int8 PRIMARY KEY, v text NOT NULL)")
        .await
        .unwrap();
    for i in 0..50i64 {
        c.execute(
            "INSERT INTO kv VALUES ($1, $2)",
            &[&i, &format!("value {i}")],
        )
        .await
        .unwrap();
    }
    c.batch_execute("BEGIN; INSERT INTO kv VALUES (1000, 'never'); ROLLBACK")
        .await
        .unwrap();
    c.batch_execute("BEGIN; INSERT INTO kv VALUES (1001, 'open when stopped')")
        .await
        .unwrap();
    assert_eq!(
        count(&c).await,
        51,
        "own uncommitted row is visible to its transaction"
    );
    drop(c);
    tokio::time::timeout(Duration::from_secs(60), cluster.stop())
        .await
        .expect("stop in time");

    let cluster = tokio::time::timeout(Duration::from_secs(60), LocalCluster::start(config))
        .await
        .expect("restart in time")
        .expect("restart");
    let c = connect(cluster.postgres_addr.port()).await;
    assert_eq!(count(&c).await, 50, "every committed row, nothing else");
    let v: String = c
        .query_one("SELECT v FROM kv WHERE k = 42", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(v, "value 42");
    c.execute("INSERT INTO kv VALUES (50, 'after restart')", &[])
        .await
        .unwrap();
    assert_eq!(count(&c).await, 51);
    drop(c);
    tokio::time::timeout(Duration::from_secs(60), cluster.stop())
        .await
        .expect("stop in time");
}

/// An outside proposer wins the timeline's term: the cluster's compute is fenced, closes
/// its sessions, and a fresh compute (new election, empty caches) serves on the same port
/// with every committed row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_cluster_replaces_a_compute_that_stopped_serving() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = LocalClusterConfig::new(dir.path().join("data"));
    config.port = 0;
    let cluster = tokio::time::timeout(Duration::from_secs(60), LocalCluster::start(config))
        .await
        .expect("start in time")
        .expect("start");
    let port = cluster.postgres_addr.port();
    let c = connect(port).await;
    c.batch_execute("CREATE TABLE kv (k int8 PRIMARY KEY, v text NOT NULL)")
        .await
        .unwrap();
    for i in 0..10i64 {
        c.execute("INSERT INTO kv VALUES ($1, 'v')", &[&i])
            .await
            .unwrap();
    }

    let safekeepers = cluster.safekeepers.iter().map(|a| a.to_string()).collect();
    // An outside proposer with a token the safekeepers accept (without one it is refused).
    let mut outside_config =
        safekeeper::driver::DriverConfig::new(cluster.timeline.clone(), safekeepers, 4242);
    outside_config.auth_token = cluster.admin_token().clone();
    let intruder = safekeeper::driver::WalProposer::start(outside_config).await;
    // Elected, it fences the compute; the cluster may start the replacement (a newer term)
    // before the outside proposer has finished its own start, which then reports the fence.
    let outside = match intruder {
        Ok(p) => {
            println!("outside proposer elected in term {}", p.term());
            Some(p)
        }
        Err(safekeeper::Error::Fenced { term, own_term }) if term > own_term && own_term > 1 => {
            println!("outside proposer elected in term {own_term}, then fenced by term {term}");
            None
        }
        Err(e) => panic!("the outside proposer is elected: {e:?}"),
    };

    // The fenced compute closes its sessions (bounded)...
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while c.simple_query("SELECT 1").await.is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "the fenced compute kept answering"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // ... and a fresh one serves on the same port, with every committed row.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let c = loop {
        let s = format!("host=127.0.0.1 port={port} user=strata dbname=postgres");
        if let Ok(Ok((client, conn))) =
            tokio::time::timeout(Duration::from_secs(5), tokio_postgres::connect(&s, NoTls)).await
        {
            tokio::spawn(conn);
            if client.simple_query("SELECT 1").await.is_ok() {
                break client;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no compute served again within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(count(&c).await, 10);
    c.execute("INSERT INTO kv VALUES (10, 'after the restart')", &[])
        .await
        .unwrap();
    assert_eq!(count(&c).await, 11);
    drop(c);
    drop(outside);
    tokio::time::timeout(Duration::from_secs(60), cluster.stop())
        .await
        .expect("stop in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strata_start_binary_prints_how_to_connect_and_stops_on_sigterm() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().expect("temp dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    for round in 0..2 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
            .args(["start", "--replicas", "1", "--port", &port.to_string()])
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn strata start");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        // The primary's connection string, then the replica's (printed after it).
        let mut saw = false;
        let mut replica_port = None;
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while std::time::Instant::now() < deadline && replica_port.is_none() {
            let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) else {
                continue;
            };
            if line.contains("Connect:  psql 'postgresql://") && line.contains(&port.to_string()) {
                saw = true;
            }
            if let Some(rest) = line
                .trim()
                .strip_prefix("Replica:  psql 'postgresql://strata@127.0.0.1:")
            {
                replica_port = rest.split('/').next().and_then(|p| p.parse::<u16>().ok());
            }
        }
        let Some(replica_port) = replica_port.filter(|_| saw) else {
            let _ = child.kill();
            panic!(
                "strata start did not print the primary's and the replica's connection strings within 60 s"
            );
        };
        let r = connect(replica_port).await;
        let recovery: bool = r
            .query_one("SELECT pg_is_in_recovery()", &[])
            .await
            .expect("ask the replica")
            .get(0);
        assert!(recovery, "the printed replica is a replica");
        let c = connect(port).await;
        if round == 0 {
            c.batch_execute("CREATE TABLE kv (k int8 PRIMARY KEY); INSERT INTO kv VALUES (1), (2)")
                .await
                .unwrap();
        } else {
            assert_eq!(count(&c).await, 2, "data is back on the second run");
            attached_streams_are_listed(&dir.path().join("data"), replica_port);
        }
        drop(c);
        // SIGTERM: a clean stop with exit code 0.
        let pid = child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!("strata start did not stop within 60 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        assert!(status.success(), "exit status {status}");
    }
}

/// `LocalClusterConfig::replicas` starts read replicas with the cluster; more are added and
/// removed while it runs; each follows the primary and refuses writes (25006).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_cluster_adds_and_removes_replicas_while_running() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = LocalClusterConfig::new(dir.path().join("data"));
    config.port = 0;
    config.cache_bytes = Some(1 << 20);
    config.replicas = 1;
    let cluster = tokio::time::timeout(Duration::from_secs(60), LocalCluster::start(config))
        .await
        .expect("start in time")
        .expect("start");
    let first = cluster.replica_addrs();
    assert_eq!(first.len(), 1, "one replica started with the cluster");
    let p = connect(cluster.postgres_addr.port()).await;
    p.batch_execute("CREATE TABLE kv (k int8 PRIMARY KEY); INSERT INTO kv VALUES (1), (2)")
        .await
        .unwrap();
    let second = tokio::time::timeout(Duration::from_secs(60), cluster.add_replica())
        .await
        .expect("add in time")
        .expect("add a replica");
    assert_eq!(cluster.replica_addrs(), vec![first[0], second]);
    p.batch_execute("INSERT INTO kv VALUES (3)").await.unwrap();
    let lsn: String = p
        .query_one("SELECT pg_current_wal_lsn()", &[])
        .await
        .unwrap()
        .get(0);
    for addr in [first[0], second] {
        let r = connect(addr.port()).await;
        r.query_one("SELECT strata_wait_lsn($1, 20000)", &[&lsn])
            .await
            .expect("the replica applies the primary's commits");
        assert_eq!(count(&r).await, 3, "replica {addr}");
        let e = r
            .batch_execute("INSERT INTO kv VALUES (4)")
            .await
            .expect_err("a replica refuses writes");
        assert_eq!(
            e.code(),
            Some(&tokio_postgres::error::SqlState::READ_ONLY_SQL_TRANSACTION),
            "{e}"
        );
    }
    assert!(cluster.remove_replica(first[0]).await, "remove the first");
    assert!(!cluster.remove_replica(first[0]).await, "already removed");
    assert_eq!(cluster.replica_addrs(), vec![second]);
    let s = format!(
        "host=127.0.0.1 port={} user=strata dbname=postgres connect_timeout=5",
        first[0].port()
    );
    assert!(
        tokio_postgres::connect(&s, NoTls).await.is_err(),
        "a removed replica no longer accepts connections"
    );
    tokio::time::timeout(Duration::from_secs(60), cluster.stop())
        .await
        .expect("stop in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_safekeeper_cluster_keeps_its_data_and_refuses_another_count() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = LocalClusterConfig::new(dir.path().join("data"));
    config.port = 0;
    config.cache_bytes = Some(1 << 20);
    config.safekeepers = 1;
    let start = |config: LocalClusterConfig| async move {
        tokio::time::timeout(Duration::from_secs(60), LocalCluster::start(config))
            .await
            .expect("start in time")
    };

    let cluster = start(config.clone())
        .await
        .expect("start with one safekeeper");
    assert_eq!(cluster.safekeepers.len(), 1);
    let c = connect(cluster.postgres_addr.port()).await;
    c.batch_execute("CREATE TABLE kv (k int8 PRIMARY KEY, v text NOT NULL)")
        .await
        .unwrap();
    for i in 0..20i64 {
        c.execute("INSERT INTO kv VALUES ($1, 'x')", &[&i])
            .await
            .unwrap();
    }
    drop(c);
    cluster.stop().await;
    assert!(dir.path().join("data/safekeeper-1").exists());
    assert!(!dir.path().join("data/safekeeper-2").exists());

    // Three on a directory made with one: refused, nothing started.
    let mut three = config.clone();
    three.safekeepers = 3;
    let err = match start(three).await {
        Ok(_) => panic!("a one-safekeeper directory started with three"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("created with 1 safekeeper"), "{err}");
    assert!(!dir.path().join("data/safekeeper-2").exists());

    // Back with one: every committed row.
    let cluster = start(config).await.expect("restart with one safekeeper");
    let c = connect(cluster.postgres_addr.port()).await;
    assert_eq!(count(&c).await, 20);
    drop(c);
    cluster.stop().await;
}

/// `strata status --json` lists, on the safekeepers, the WAL streams attached to the
/// timeline: the read replica (by the address it serves on) and the pageserver, each with
/// its lag, and that a primary appends.
fn attached_streams_are_listed(data: &std::path::Path, replica_port: u16) {
    let replica = format!("replica 127.0.0.1:{replica_port}");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
            .args(["status", "--json", "--data-dir"])
            .arg(data)
            .output()
            .expect("run strata status");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status --json");
        let sks = json["timelines"][0]["safekeepers"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let readers: Vec<&serde_json::Value> = sks
            .iter()
            .flat_map(|s| s["readers"].as_array().into_iter().flatten())
            .collect();
        let named = |name: &str| readers.iter().find(|r| r["name"] == name);
        let appended = sks.iter().any(|s| s["last_append_ms_ago"].is_u64());
        if let (Some(r), Some(p)) = (named(&replica), named("pageserver"))
            && appended
        {
            assert!(r["lag_bytes"].is_u64() && p["lag_bytes"].is_u64(), "{json}");
            assert!(
                r["sent_lsn"].as_str().is_some_and(|l| l.contains('/')),
                "{json}"
            );
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "status never listed {replica:?}, the pageserver and a primary's appends: {json}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
