//! Two `strata compute` processes on one timeline: once the second wins the term, the
//! first — fenced — answers nothing more. It learns of the takeover from its driver's idle
//! heartbeat (no write needed), closes every session (FATAL 57P01 saying a newer primary
//! took over), stops accepting connections and exits non-zero, for its supervisor to
//! decide what to start. The second compute has every committed row.

use std::time::{Duration, Instant};

use crate::harness::{self, Process, TestDir, exec, pg_connect_watched, text_rows};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fenced_compute_stops_answering_and_exits() {
    let dir = TestDir::new("fenced-compute");
    let (_sks, sk_arg) = harness::start_safekeepers(&dir);
    let mut ps = Process::pageserver(&dir, &sk_arg);
    ps.start();
    let mut old = Process::compute(&dir, "compute1", &ps, &sk_arg, Some("16MiB"));
    old.start();
    let (a, _a_ended) = pg_connect_watched(old.addr.port()).await;
    exec(&a, "CREATE TABLE t (id int PRIMARY KEY)").await;
    exec(&a, "INSERT INTO t VALUES (1), (2), (3)").await;
    let (idle, idle_ended) = pg_connect_watched(old.addr.port()).await;
    exec(&idle, "SELECT 1").await;

    let mut new = Process::compute(&dir, "compute2", &ps, &sk_arg, Some("16MiB"));
    new.start();
    let elected = Instant::now();

    // The old compute stops answering reads, bounded by its heartbeat interval plus slack.
    let deadline = elected + Duration::from_secs(20);
    loop {
        let r = tokio::time::timeout(
            Duration::from_secs(10),
            a.simple_query("SELECT count(*) FROM t"),
        )
        .await
        .expect("an answer or an error within 10 s");
        if let Err(e) = r {
            println!(
                "old compute refused a read {:?} after the election: {e}",
                elected.elapsed()
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the fenced compute kept answering reads"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The idle session was closed with FATAL 57P01, saying why.
    let ended = tokio::time::timeout(Duration::from_secs(20), idle_ended)
        .await
        .expect("the idle session is closed")
        .expect("connection task");
    let err = ended.expect_err("closed with a FATAL error");
    let db = err
        .as_db_error()
        .unwrap_or_else(|| panic!("a server error: {err}"));
    assert_eq!(db.code().code(), "57P01", "{db:?}");
    assert!(
        db.message().contains("newer primary took over"),
        "{}",
        db.message()
    );

    // The process exits non-zero; its log says why.
    let status = old.wait_exit(Duration::from_secs(30));
    assert!(
        !status.success(),
        "a fenced compute exits with an error: {status}"
    );
    let log = old.log_tail(usize::MAX);
    assert!(log.contains("stopped serving"), "{}", old.log_tail(40));
    assert!(
        log.contains("newer primary took over"),
        "{}",
        old.log_tail(40)
    );
    assert!(
        std::net::TcpStream::connect_timeout(&old.addr, Duration::from_secs(2)).is_err(),
        "nothing listens on the old compute's port"
    );

    let b = new.pg().await;
    let rows = text_rows(&b, "SELECT id FROM t ORDER BY id").await;
    let ids: Vec<_> = rows
        .iter()
        .map(|r| r[0].clone().unwrap_or_default())
        .collect();
    assert_eq!(ids, ["1", "2", "3"]);
    exec(&b, "INSERT INTO t VALUES (4)").await;
}
