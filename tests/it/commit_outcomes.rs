//! Group commit and the one durability signal deliver each session its *own* outcome.
//!
//! 64 tokio-postgres sessions commit at the same time against a `strata compute` with three
//! safekeeper processes; every commit is one transaction that inserts a row naming its
//! session and bumps that session's counter row. Midway one safekeeper gets SIGKILL: the
//! quorum (2 of 3) stays, so every commit must still succeed. After each acknowledged commit
//! the session reads its own row and counter back (the durable-snapshot visibility rule:
//! what a session was told is committed, it sees). At the end the compute gets SIGKILL and a
//! fresh compute is started on the same safekeepers: every acknowledged row is there with the
//! payload of the session that was told it committed, each counter equals the number of its
//! session's acknowledged commits, and nothing else exists. A wake-up that told a session its
//! commit was durable before its own record was (or that woke it with another session's
//! result) shows up as a missing row or a counter that disagrees.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::harness::{self, Process, SQL_STEP, TestDir, exec, text_rows};

const SESSIONS: usize = 64;
const COMMITS_PER_SESSION: usize = 12;

fn compute(dir: &TestDir, name: &str, ps: &Process, sk_arg: &str) -> Process {
    let ps_addr = ps.addr.to_string();
    Process::new(
        dir,
        name,
        &[
            "compute",
            "--listen",
            "{addr}",
            "--pageserver",
            &ps_addr,
            "--safekeepers",
            sk_arg,
            "--tenant",
            "default",
            "--timeline",
            "main",
            "--max-connections",
            "80",
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_committers_each_get_their_own_outcome_across_a_safekeeper_kill() {
    let started = Instant::now();
    let dir = TestDir::new("commit-outcomes");
    let (mut sks, sk_arg) = harness::start_safekeepers(&dir);
    let mut ps = Process::pageserver(&dir, &sk_arg);
    ps.start();
    let mut primary = compute(&dir, "compute", &ps, &sk_arg);
    primary.start();

    let admin = primary.pg().await;
    exec(
        &admin,
        "CREATE TABLE outcomes (id int8 PRIMARY KEY, session int8 NOT NULL, seq int8 NOT NULL);
         CREATE TABLE counters (session int8 PRIMARY KEY, n int8 NOT NULL)",
    )
    .await;
    let values: Vec<String> = (0..SESSIONS).map(|s| format!("({s}, 0)")).collect();
    exec(
        &admin,
        &format!("INSERT INTO counters VALUES {}", values.join(", ")),
    )
    .await;
    let mut clients = Vec::new();
    for _ in 0..SESSIONS {
        clients.push(primary.pg().await);
    }

    let acked = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(s, c)| {
            let acked = acked.clone();
            tokio::spawn(async move {
                for seq in 0..COMMITS_PER_SESSION {
                    let id = (s * COMMITS_PER_SESSION + seq) as i64;
                    let txn = format!(
                        "BEGIN; INSERT INTO outcomes VALUES ({id}, {s}, {seq}); \
                         UPDATE counters SET n = n + 1 WHERE session = {s}; COMMIT"
                    );
                    match tokio::time::timeout(SQL_STEP, c.batch_execute(&txn)).await {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => panic!("session {s}, commit {seq}: {e}"),
                        Err(_) => panic!("session {s}, commit {seq}: no answer in {SQL_STEP:?}"),
                    }
                    acked.fetch_add(1, Ordering::SeqCst);
                    // Its own commit, and nothing less, is what this session now sees.
                    let rows = text_rows(
                        &c,
                        &format!(
                            "SELECT (SELECT session FROM outcomes WHERE id = {id}), \
                             (SELECT n FROM counters WHERE session = {s})"
                        ),
                    )
                    .await;
                    assert_eq!(
                        rows,
                        vec![vec![Some(s.to_string()), Some((seq + 1).to_string())]],
                        "session {s} after its commit {seq}"
                    );
                }
            })
        })
        .collect();

    // Midway, a safekeeper dies: the other two are a quorum.
    let total = SESSIONS * COMMITS_PER_SESSION;
    let deadline = Instant::now() + Duration::from_secs(120);
    while acked.load(Ordering::SeqCst) < total / 2 {
        assert!(Instant::now() < deadline, "half the commits within 120 s");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    sks[1].kill9();
    println!(
        "killed safekeeper 2 after {} acknowledged commits",
        acked.load(Ordering::SeqCst)
    );
    for t in tasks {
        tokio::time::timeout(SQL_STEP * 4, t)
            .await
            .expect("committers finish in time")
            .expect("a committer failed");
    }
    assert_eq!(acked.load(Ordering::SeqCst), total);

    // Everything acknowledged survives the compute's death, owned by the right session.
    primary.kill9();
    let mut successor = compute(&dir, "compute-2", &ps, &sk_arg);
    successor.start();
    let c = successor.pg().await;
    let rows = text_rows(&c, "SELECT id, session, seq FROM outcomes ORDER BY id").await;
    assert_eq!(rows.len(), total, "every acknowledged row, and no other");
    for (i, r) in rows.iter().enumerate() {
        let (s, seq) = (i / COMMITS_PER_SESSION, i % COMMITS_PER_SESSION);
        assert_eq!(
            r,
            &vec![
                Some(i.to_string()),
                Some(s.to_string()),
                Some(seq.to_string())
            ],
            "row {i}"
        );
    }
    let counters = text_rows(&c, "SELECT session, n FROM counters ORDER BY session").await;
    assert_eq!(counters.len(), SESSIONS);
    for (s, r) in counters.iter().enumerate() {
        assert_eq!(
            r,
            &vec![Some(s.to_string()), Some(COMMITS_PER_SESSION.to_string())],
            "counter of session {s}"
        );
    }
    drop(sks);
    println!("commit_outcomes finished in {:?}", started.elapsed());
}
