//! Black-box test of TLS between the components (`proto::tls`) on real processes: three
//! `strata safekeeper`s and a `strata pageserver` with `--grpc-tls-cert/--grpc-tls-key`,
//! a primary and a read replica with `--grpc-tls-ca`, admin commands with and without it;
//! then the embedded cluster with `--grpc-tls` (`LocalClusterConfig::grpc_tls`).
//!
//! 1. `strata timeline create` without the CA fails (it speaks plaintext to a TLS server),
//!    with it works;
//! 2. the primary elects itself and commits (gRPC and the lean Append wire over TLS), the
//!    replica follows (WAL and pages over TLS), `strata status` with the CA reports;
//! 3. a plaintext gRPC call to the pageserver and to a safekeeper is not answered, and a
//!    client that trusts another CA is refused;
//! 4. `LocalCluster` with `grpc_tls` serves SQL, and `strata status --data-dir` finds the
//!    CA through cluster.toml.
//!
//! Every wait is bounded.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::harness::{Process, TestDir, exec, pg_connect, strata, text_rows};
use proto::grpc::pageserver as pb;
use proto::grpc::pageserver::pageserver_client::PageserverClient;
use proto::grpc::safekeeper as sk;
use proto::grpc::safekeeper::safekeeper_client::SafekeeperClient;

const STEP: Duration = Duration::from_secs(20);

/// A self-signed pair for 127.0.0.1 and localhost in `dir`: (cert, key).
fn self_signed(dir: &Path, stem: &str) -> (String, String) {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
        .expect("rcgen");
    let (cert, key) = (
        dir.join(format!("{stem}.crt")),
        dir.join(format!("{stem}.key")),
    );
    std::fs::write(&cert, made.cert.pem()).expect("write the certificate");
    std::fs::write(&key, made.signing_key.serialize_pem()).expect("write the key");
    (cert.display().to_string(), key.display().to_string())
}

fn status_of() -> pb::TimelineStatusRequest {
    pb::TimelineStatusRequest {
        tenant: "default".into(),
        timeline: "main".into(),
        with_logical_size: false,
    }
}

/// Whether a plaintext gRPC call to the pageserver at `addr` gets an answer.
async fn plaintext_pageserver_answers(addr: &str) -> bool {
    let call = async {
        let ch = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .ok()?
            .connect()
            .await
            .ok()?;
        PageserverClient::new(ch)
            .timeline_status(status_of())
            .await
            .ok()
    };
    tokio::time::timeout(STEP, call)
        .await
        .expect("bounded")
        .is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn components_talk_tls_when_given_certificates() {
    let dir = TestDir::new("component-tls");
    let (cert, key) = self_signed(dir.path(), "components");
    let (stranger, _) = self_signed(dir.path(), "stranger");
    let tls_server = [
        "--grpc-tls-cert",
        &cert,
        "--grpc-tls-key",
        &key,
        "--grpc-tls-ca",
        &cert,
    ];

    let mut sks: Vec<Process> = (1..=3).map(|id| Process::safekeeper(&dir, id)).collect();
    for s in &mut sks {
        s.push_args(&tls_server);
        s.start();
    }
    let sk_arg = sks
        .iter()
        .map(|s| s.addr.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let mut ps = Process::pageserver(&dir, &sk_arg);
    ps.push_args(&tls_server);
    ps.start();
    let ps_arg = ps.addr.to_string();

    // 1. The admin command needs the CA.
    let no_cluster = dir.path().join("no-cluster").display().to_string();
    let create = [
        "timeline",
        "create",
        "--pageserver",
        &ps_arg,
        "--safekeepers",
        &sk_arg,
        "--timeline",
        "main",
        "--data-dir",
        &no_cluster,
    ];
    let out = strata(&create);
    assert!(!out.status.success(), "a plaintext admin call was answered");
    let out = strata(&[&create[..], &["--grpc-tls-ca", &stranger]].concat());
    assert!(
        !out.status.success(),
        "a server the client does not trust was accepted"
    );
    let out = strata(&[&create[..], &["--grpc-tls-ca", &cert]].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // 2. A primary and a replica over TLS.
    let mut primary = Process::compute(&dir, "compute", &ps, &sk_arg, Some("16MiB"));
    primary.push_args(&["--grpc-tls-ca", &cert]);
    primary.start();
    let c = pg_connect(primary.addr.port()).await;
    exec(
        &c,
        "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a'), (2, 'b')",
    )
    .await;
    let mut replica = Process::replica(&dir, "replica", &ps, &sk_arg, "main", &primary);
    replica.push_args(&["--grpc-tls-ca", &cert]);
    replica.start();
    let r = pg_connect(replica.addr.port()).await;
    exec(&c, "INSERT INTO t VALUES (3, 'c')").await;
    let deadline = Instant::now() + STEP;
    loop {
        // The replica may not have the table yet: only a bounded wait for the rows matters.
        let rows = r.simple_query("SELECT count(*) FROM t").await.ok();
        let count = rows.and_then(|m| {
            m.iter().find_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
                _ => None,
            })
        });
        if count.as_deref() == Some("3") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the replica never saw 3 rows: {count:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        text_rows(&c, "SELECT string_agg(v, ',' ORDER BY id) FROM t").await,
        vec![vec![Some("a,b,c".to_string())]]
    );
    let out = strata(&[
        "status",
        "--pageserver",
        &ps_arg,
        "--safekeepers",
        &sk_arg,
        "--data-dir",
        &no_cluster,
        "--grpc-tls-ca",
        &cert,
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("commit_lsn"));

    // 3. Plaintext and untrusted calls.
    assert!(!plaintext_pageserver_answers(&ps_arg).await);
    let plain_sk = async {
        let ch = tonic::transport::Endpoint::from_shared(format!("http://{}", sks[0].addr))
            .ok()?
            .connect()
            .await
            .ok()?;
        SafekeeperClient::new(ch)
            .status(sk::StatusRequest {
                timeline: Some(sk::TimelineRef {
                    tenant: "default".into(),
                    timeline: "main".into(),
                }),
            })
            .await
            .ok()
    };
    assert!(
        tokio::time::timeout(STEP, plain_sk)
            .await
            .expect("bounded")
            .is_none(),
        "a plaintext safekeeper call was answered"
    );
    let untrusted = proto::tls::ClientTls::from_ca_file(Path::new(&stranger)).expect("CA");
    let refused = tokio::time::timeout(
        STEP,
        proto::tls::endpoint(&ps_arg, Some(&untrusted))
            .expect("endpoint")
            .connect(),
    )
    .await
    .expect("bounded");
    assert!(
        refused.is_err(),
        "a server certificate from another CA was trusted"
    );
    drop((sks, ps));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_cluster_runs_tls_between_its_components() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let mut config = strata::LocalClusterConfig::new(&data);
    config.port = 0;
    config.cache_bytes = Some(1 << 20);
    config.safekeepers = 1;
    config.grpc_tls = true;
    let cluster =
        tokio::time::timeout(Duration::from_secs(60), strata::LocalCluster::start(config))
            .await
            .expect("start in time")
            .expect("start");
    let c = pg_connect(cluster.postgres_addr.port()).await;
    exec(
        &c,
        "CREATE TABLE kv (k int PRIMARY KEY); INSERT INTO kv VALUES (1)",
    )
    .await;
    assert_eq!(
        text_rows(&c, "SELECT count(*) FROM kv").await,
        vec![vec![Some("1".to_string())]]
    );
    assert!(data.join("tls/grpc/server.crt").exists());
    assert!(cluster.admin_access().tls.is_some());
    assert!(!plaintext_pageserver_answers(&cluster.pageserver.to_string()).await);
    let data_arg = data.display().to_string();
    let out =
        tokio::task::spawn_blocking(move || strata(&["status", "--data-dir", &data_arg, "--json"]))
            .await
            .expect("status");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(c);
    tokio::time::timeout(Duration::from_secs(60), cluster.stop())
        .await
        .expect("stop in time");
}
