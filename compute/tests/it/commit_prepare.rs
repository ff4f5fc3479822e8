//! The commit's prepare phase against a real, in-process pageserver: a compute whose cache
//! is cold when it commits (a scan inside the transaction evicted everything) fetches the
//! pages its write set touches before the commit mutex, so the serial step fetches none.

use std::time::{Duration, Instant};

use crate::engine_common::{exec, rows};
use crate::page_cache_pageserver::{cached_engine_with, start_pageserver};
use compute::engine::{Engine, EngineConfig};
use compute::page_cache::CacheConfig;
use proto::Lsn;
use sql::Session;

const ROWS: i64 = 3000;
const TXNS: i64 = 12;

fn load_script() -> Vec<String> {
    let pad = "p".repeat(200);
    let mut script = vec![
        "CREATE TABLE t (id int8 PRIMARY KEY, n int8 NOT NULL, v text)".to_string(),
        "CREATE INDEX t_n ON t (n)".to_string(),
    ];
    for chunk in 0..ROWS / 500 {
        let values: Vec<String> = (0..500)
            .map(|i| {
                let id = (chunk * 500 + i) * 10;
                format!("({id}, {}, '{pad}')", id % 97)
            })
            .collect();
        script.push(format!("INSERT INTO t VALUES {}", values.join(", ")));
    }
    script
}

/// One transaction: scattered updates (moving index entries), an insert between existing
/// keys, a delete, and a full scan that evicts the small cache before COMMIT.
fn txn_script(k: i64) -> Vec<String> {
    let mut script = vec!["BEGIN".to_string()];
    for j in 0..8 {
        let id = ((k * 37 + j * 389) % ROWS) * 10;
        script.push(format!("UPDATE t SET n = n + 1 WHERE id = {id}"));
    }
    script.push(format!(
        "INSERT INTO t VALUES ({}, 5, 'new')",
        ((k * 211) % ROWS) * 10 + 3
    ));
    script.push(format!(
        "DELETE FROM t WHERE id = {}",
        ((k * 101) % ROWS) * 10
    ));
    script.push("SELECT count(*) FROM t WHERE v <> ''".into());
    script.push("COMMIT".into());
    script
}

const QUERIES: &[&str] = &[
    "SELECT count(*) FROM t",
    "SELECT sum(n) FROM t",
    "SELECT count(*) FROM t WHERE n = 5",
    "SELECT id, n FROM t WHERE id >= 5000 AND id < 5100 ORDER BY id",
];

fn answers(s: &mut Session<Engine>) -> Vec<Vec<Vec<String>>> {
    QUERIES.iter().map(|q| rows(s, q)).collect()
}

#[test]
fn with_a_cold_cache_the_serial_step_fetches_no_pages() {
    let env = start_pageserver();
    let roomy = CacheConfig {
        cache_bytes: 8 << 20,
        dirty_limit: 4096,
        ..CacheConfig::default()
    };
    let (a, cache_a) =
        cached_engine_with(&env, Lsn::TIMELINE_START, roomy, EngineConfig::default());
    let reference = Engine::create(
        std::sync::Arc::new(compute::engine::MemoryWalSink::new(Lsn::TIMELINE_START)),
        EngineConfig::default(),
    )
    .expect("reference engine");
    let (mut sa, mut sr) = (Session::new(a.clone()), Session::new(reference));
    for sql in load_script() {
        exec(&mut sa, &sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        exec(&mut sr, &sql).unwrap_or_else(|e| panic!("reference {sql}: {e}"));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while cache_a.dirty_len() > 0 {
        assert!(Instant::now() < deadline, "the pageserver did not catch up");
        std::thread::sleep(Duration::from_millis(10));
    }

    // A second compute with a cache of 24 pages: the table is ~100 leaves.
    let tiny = CacheConfig {
        cache_bytes: 24 * 8192,
        ..CacheConfig::default()
    };
    let (b, cache_b) = cached_engine_with(&env, a.durable_lsn(), tiny, EngineConfig::default());
    let mut sb = Session::new(b.clone());
    let before = b.commit_stats();
    for k in 0..TXNS {
        for sql in txn_script(k) {
            exec(&mut sb, &sql).unwrap_or_else(|e| panic!("B {sql}: {e}"));
            exec(&mut sr, &sql).unwrap_or_else(|e| panic!("reference {sql}: {e}"));
        }
    }
    let after = b.commit_stats();
    eprintln!("commit stats before {before:?}, after {after:?}");
    assert_eq!(
        after.serial_fetches, before.serial_fetches,
        "the serial step fetched pages"
    );
    assert_eq!(after.fallbacks, before.fallbacks, "no commit fell back");
    assert!(
        after.prepare_pages - before.prepare_pages >= TXNS as u64,
        "the cache was not cold at commit: prepare fetched {} pages",
        after.prepare_pages - before.prepare_pages
    );
    assert!(
        after.retries - before.retries <= TXNS as u64 / 4,
        "{} prepare retries for {TXNS} commits",
        after.retries - before.retries
    );
    assert_eq!(cache_b.pinned_len(), 0, "every pin was released");
    assert_eq!(answers(&mut sb), answers(&mut sr));
}

/// Transfers between accounts from several sessions at once on a compute with a tiny
/// cache: pins taken by one commit's prepare follow the pages other commits publish, the
/// money is conserved, and the serial steps still fetch nothing.
#[test]
fn concurrent_commits_on_a_cold_cache_prepare_outside_the_mutex() {
    const ACCOUNTS: i64 = 2000;
    let env = start_pageserver();
    let tiny = CacheConfig {
        cache_bytes: 16 * 8192,
        ..CacheConfig::default()
    };
    let (e, _cache) = cached_engine_with(&env, Lsn::TIMELINE_START, tiny, EngineConfig::default());
    let mut s = Session::new(e.clone());
    exec(
        &mut s,
        "CREATE TABLE acct (id int8 PRIMARY KEY, bal int8 NOT NULL, pad text)",
    )
    .unwrap();
    let pad = "q".repeat(150);
    for chunk in 0..ACCOUNTS / 500 {
        let values: Vec<String> = (0..500)
            .map(|i| format!("({}, 100, '{pad}')", chunk * 500 + i))
            .collect();
        exec(
            &mut s,
            &format!("INSERT INTO acct VALUES {}", values.join(", ")),
        )
        .unwrap();
    }
    let before = e.commit_stats();
    let workers: Vec<_> = (0..4i64)
        .map(|w| {
            let e = e.clone();
            std::thread::spawn(move || {
                let mut s = Session::new(e);
                for k in 0..15i64 {
                    let from = (w * 7919 + k * 104_729) % ACCOUNTS;
                    let to = (from + 1 + (k * 31 + w) % (ACCOUNTS - 1)) % ACCOUNTS;
                    let script = format!(
                        "BEGIN; UPDATE acct SET bal = bal - 5 WHERE id = {from}; \
                         UPDATE acct SET bal = bal + 5 WHERE id = {to}; COMMIT"
                    );
                    if let Err(err) = exec(&mut s, &script) {
                        // Deadlocks between two transfers are fine; the rest is not.
                        assert!(
                            ["40P01", "40001"].contains(&err.code()),
                            "transfer {from} -> {to}: {err}"
                        );
                        let _ = exec(&mut s, "ROLLBACK");
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    let after = e.commit_stats();
    eprintln!("commit stats before {before:?}, after {after:?}");
    assert_eq!(
        rows(&mut s, "SELECT sum(bal), count(*) FROM acct"),
        [[(ACCOUNTS * 100).to_string(), ACCOUNTS.to_string()]]
    );
    assert!(after.prepare_pages > before.prepare_pages);
    // A commit misses a page when another one split its leaf and the new page was
    // ingested and evicted in between: it prepares again. Three misses in a row for one
    // commit (then it may fetch under the mutex) are possible but rare.
    let fallbacks = after.fallbacks - before.fallbacks;
    assert!(fallbacks <= 1, "{fallbacks} commits fell back to fetching");
    if fallbacks == 0 {
        assert_eq!(after.serial_fetches, before.serial_fetches);
    }
}
