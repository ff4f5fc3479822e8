//! No client learns of a commit that is then lost, with real processes.
//!
//! Three `strata safekeeper`s, a pageserver and a compute. All safekeepers are stopped
//! (SIGSTOP: what the compute sends stays unread in their sockets), so no commit can
//! become durable. A writer inserts row 1 and updates row 2 in one transaction: the
//! compute applies it and waits for a quorum. Readers on other sessions touch those rows
//! — `ON CONFLICT DO NOTHING` and a plain INSERT (23505) on row 1, an UPDATE ... RETURNING
//! of row 2 in a transaction block (EvalPlanQual on the writer's version) — and must get
//! no answer, since that commit may never exist (the compute shows, through its metrics,
//! that they are held for durability). Then the compute and the stopped safekeepers are
//! killed -9 (their unread sockets die with them), the safekeepers restart from disk, and
//! a new compute is elected: the commit does not exist — so any answer a reader got that
//! depended on it would be contradicted. None got one.

use std::time::{Duration, Instant};

use crate::harness::{self, Process, TestDir, exec, text_rows};

/// A statement on its own connection, running in the background.
struct Pending {
    sql: &'static str,
    task: tokio::task::JoinHandle<
        Result<Vec<tokio_postgres::SimpleQueryMessage>, tokio_postgres::Error>,
    >,
}

async fn start(port: u16, sql: &'static str) -> Pending {
    let client = harness::pg_connect(port).await;
    Pending {
        sql,
        task: tokio::spawn(async move { client.simple_query(sql).await }),
    }
}

/// Waits (bounded) until the compute's metric `name` reaches `n`; fails if any of
/// `pending` answered first.
async fn wait_metric(p: &Process, name: &str, n: f64, pending: &[&Pending]) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(q) = pending.iter().find(|q| q.task.is_finished()) {
            panic!("{}: answered before any commit was durable", q.sql);
        }
        if p.scrape_metrics().sum(name) >= n {
            return;
        }
        assert!(Instant::now() < deadline, "{name} never reached {n}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_answer_rests_on_a_commit_that_is_then_lost() {
    let dir = TestDir::new("durable-answers");
    let (mut sks, sk_arg) = harness::start_safekeepers(&dir);
    let mut ps = Process::pageserver(&dir, &sk_arg);
    ps.start();
    let mut c1 = Process::compute(&dir, "compute1", &ps, &sk_arg, Some("16MiB")).with_metrics();
    c1.start();
    let port = c1.addr.port();
    let a = c1.pg().await;
    exec(&a, "CREATE TABLE t (id int PRIMARY KEY, v int)").await;
    exec(&a, "INSERT INTO t VALUES (0, 0), (2, 0)").await;

    for sk in &sks {
        sk.signal("STOP");
    }
    let appends = c1.scrape_metrics().sum("strata_proposer_appends_total");
    let writer = start(
        port,
        "BEGIN; INSERT INTO t VALUES (1, 1); UPDATE t SET v = 1 WHERE id = 2; COMMIT",
    )
    .await;
    // The writer's record is queued for the safekeepers once its pages are published.
    wait_metric(
        &c1,
        "strata_proposer_appends_total",
        appends + 1.0,
        &[&writer],
    )
    .await;

    let waits = c1
        .scrape_metrics()
        .sum("strata_compute_observed_durability_waits_total");
    let readers = [
        start(port, "INSERT INTO t VALUES (1, 2) ON CONFLICT DO NOTHING").await,
        start(port, "INSERT INTO t VALUES (1, 3)").await,
        start(
            port,
            "BEGIN; UPDATE t SET v = v + 10 WHERE id = 2 RETURNING v",
        )
        .await,
    ];
    let all: Vec<&Pending> = readers.iter().chain([&writer]).collect();
    wait_metric(
        &c1,
        "strata_compute_observed_durability_waits_total",
        waits + readers.len() as f64,
        &all,
    )
    .await;

    // The compute dies before anything is durable; so do the stopped safekeepers, with
    // what they never read.
    c1.kill9();
    for sk in &mut sks {
        sk.kill9();
    }
    let mut answers = Vec::new();
    for q in readers.into_iter().chain([writer]) {
        let r = tokio::time::timeout(Duration::from_secs(20), q.task)
            .await
            .unwrap_or_else(|_| panic!("{}: still waiting after the compute died", q.sql))
            .expect("task");
        answers.push((q.sql, r));
    }
    for sk in &mut sks {
        sk.start();
    }
    let mut c2 = Process::compute(&dir, "compute2", &ps, &sk_arg, Some("16MiB"));
    c2.start();
    let b = c2.pg().await;
    let rows = text_rows(&b, "SELECT id, v FROM t ORDER BY id").await;
    let text = |v: &[&str]| v.iter().map(|s| Some(s.to_string())).collect::<Vec<_>>();
    assert_eq!(
        rows,
        [text(&["0", "0"]), text(&["2", "0"])],
        "the commit never became durable"
    );

    // Every answer shaped by the lost commit would be contradicted: none was given (a
    // closed connection, or FATAL 08006 / 57P01, says nothing about it).
    for (sql, r) in answers {
        match r {
            Err(e)
                if e.as_db_error()
                    .is_none_or(|d| ["08006", "57P01"].contains(&d.code().code())) =>
            {
                println!("{sql}: no answer ({e})")
            }
            other => panic!("{sql}: answered {other:?}, which the new compute contradicts"),
        }
    }
}
