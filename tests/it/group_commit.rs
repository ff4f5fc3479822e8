//! Group commit, seen from outside in the Prometheus metrics of real processes.
//!
//! 32 tokio-postgres clients each commit single-row INSERTs (autocommit) at the same time
//! against a `strata compute` with three safekeepers. Every commit is one WAL record, so the
//! compute's `strata_proposer_appends_total` grows by at least the number of commits (this
//! shows the counters count this workload). With group commit the driver sends the records
//! queued while an `Append` is in flight in one message per safekeeper, and each safekeeper
//! makes one fsync per batch: `strata_proposer_append_messages_total` (summed over the three
//! safekeepers) and each safekeeper's `strata_safekeeper_fsyncs_total` grow clearly less than
//! the commits (at most 3/4 of them per safekeeper). Without batching both would be one per
//! commit.

use std::time::Instant;

use crate::harness::{self, Metrics, Process, TestDir, exec, text_rows};

const CLIENTS: i64 = 32;
const COMMITS_PER_CLIENT: i64 = 25;
/// Batching must at least save a quarter of the per-commit messages and fsyncs.
const MAX_RATIO: f64 = 0.75;

fn counters(compute: &Process, sks: &[Process]) -> (f64, f64, Vec<f64>) {
    let m: Metrics = compute.scrape_metrics();
    let fsyncs = sks
        .iter()
        .map(|sk| sk.scrape_metrics().sum("strata_safekeeper_fsyncs_total"))
        .collect();
    (
        m.sum("strata_proposer_appends_total"),
        m.sum("strata_proposer_append_messages_total"),
        fsyncs,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_commits_share_appends_and_fsyncs() {
    let started = Instant::now();
    let dir = TestDir::new("group-commit");
    let (sks, sk_arg) = harness::start_safekeepers_with_metrics(&dir);
    let mut ps = Process::pageserver(&dir, &sk_arg);
    ps.start();
    let mut compute = Process::compute(&dir, "compute", &ps, &sk_arg, Some("16MiB")).with_metrics();
    compute.start();

    let admin = compute.pg().await;
    exec(
        &admin,
        "CREATE TABLE events (id int8 PRIMARY KEY, note text)",
    )
    .await;
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        clients.push(compute.pg().await);
    }

    let (appends0, messages0, fsyncs0) = counters(&compute, &sks);
    let run = Instant::now();
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            tokio::spawn(async move {
                for j in 0..COMMITS_PER_CLIENT {
                    let id = i as i64 * COMMITS_PER_CLIENT + j;
                    exec(
                        &c,
                        &format!("INSERT INTO events VALUES ({id}, 'client {i}')"),
                    )
                    .await;
                }
            })
        })
        .collect();
    for t in tasks {
        tokio::time::timeout(harness::SQL_STEP * 2, t)
            .await
            .expect("committers finish in time")
            .expect("a committer failed");
    }
    let elapsed = run.elapsed();
    let (appends1, messages1, fsyncs1) = counters(&compute, &sks);

    let commits = (CLIENTS * COMMITS_PER_CLIENT) as f64;
    let rows = text_rows(&admin, "SELECT count(*) FROM events").await;
    assert_eq!(rows[0][0].as_deref(), Some(commits.to_string().as_str()));
    let appends = appends1 - appends0;
    let messages = messages1 - messages0;
    let fsyncs: Vec<f64> = fsyncs1.iter().zip(&fsyncs0).map(|(a, b)| a - b).collect();
    println!(
        "group commit: {commits} commits in {elapsed:?}: {appends} proposer appends, \
         {messages} append messages (3 safekeepers), safekeeper fsyncs {fsyncs:?}"
    );
    assert!(
        appends >= commits,
        "every commit is a proposer append: {appends} < {commits}"
    );
    assert!(
        messages > 0.0 && messages <= MAX_RATIO * 3.0 * commits,
        "append messages {messages} for {commits} commits on 3 safekeepers: no group commit"
    );
    for (i, f) in fsyncs.iter().enumerate() {
        assert!(
            *f > 0.0 && *f <= MAX_RATIO * commits,
            "safekeeper {} made {f} fsyncs for {commits} commits: no group commit",
            i + 1
        );
    }
    println!("group_commit finished in {:?}", started.elapsed());
}
