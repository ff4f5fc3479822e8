//! A table many times bigger than the compute's page cache, against real processes.
//!
//! A `strata compute` started with `--cache-size 1MiB` loads a table of ROWS rows with a
//! 1000-byte payload each (about 20 MB of row data) in multi-row INSERTs, then answers
//! count, sums, a seeded sample of point selects, a range scan and a full ordered scan of
//! every payload. The expected answers are computed by the test from the same generator
//! that made the rows. The cache cannot hold the table, so reads go to the pageserver
//! (asserted with the cache-miss and read-ahead counters). Then the compute is killed and a
//! fresh one with the default cache (256 MiB, empty) answers the same queries identically.
//!
//! Size: the full 20 000 rows (~20 MB) fit the time budget of a debug build: loading takes
//! ~10 s and the whole test ~15 s on a shared 2-core machine (the test prints its timings).

use std::time::Instant;

use crate::harness::{self, Process, TestDir, exec, text_rows};
use tokio_postgres::Client;

const ROWS: i64 = 20_000;
const PAYLOAD: usize = 1000;
const ROWS_PER_INSERT: i64 = 200;
const POINT_SELECTS: usize = 100;
const RANGE: (i64, i64) = (7_001, 7_600);

/// Row `id`'s number column.
fn num(id: i64) -> i64 {
    (id * 7919) % 100_003
}

/// Row `id`'s payload: PAYLOAD ASCII bytes that differ from every other row's.
fn payload(id: i64) -> String {
    let unit = format!("<{id:06}:{:05}>", num(id));
    let mut s = unit.repeat(PAYLOAD / unit.len() + 1);
    s.truncate(PAYLOAD);
    s
}

fn field(rows: &[Vec<Option<String>>], row: usize, col: usize) -> String {
    rows.get(row)
        .and_then(|r| r.get(col))
        .cloned()
        .flatten()
        .unwrap_or_else(|| panic!("row {row} column {col} in {rows:?}"))
}

/// Splitmix64 picks of ids in `1..=ROWS`.
fn sample(seed: u64) -> Vec<i64> {
    let mut state = seed;
    (0..POINT_SELECTS)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) % ROWS as u64) as i64 + 1
        })
        .collect()
}

/// Runs every query and checks each answer against the generator; returns the answers so
/// two computes can be compared too.
async fn check(c: &Client, ids: &[i64]) -> Vec<String> {
    let mut answers = Vec::new();
    let rows = text_rows(c, "SELECT count(*), sum(n), sum(length(payload)) FROM big").await;
    let want_sum: i64 = (1..=ROWS).map(num).sum();
    assert_eq!(field(&rows, 0, 0), ROWS.to_string(), "count");
    assert_eq!(field(&rows, 0, 1), want_sum.to_string(), "sum(n)");
    assert_eq!(
        field(&rows, 0, 2),
        (ROWS * PAYLOAD as i64).to_string(),
        "sum(length(payload))"
    );
    answers.push(format!("{rows:?}"));

    for &id in ids {
        let rows = text_rows(c, &format!("SELECT n, payload FROM big WHERE id = {id}")).await;
        assert_eq!(rows.len(), 1, "point select {id}");
        assert_eq!(field(&rows, 0, 0), num(id).to_string(), "n of {id}");
        assert!(field(&rows, 0, 1) == payload(id), "payload of {id}");
        answers.push(format!("{rows:?}"));
    }

    let rows = text_rows(
        c,
        &format!(
            "SELECT id, n FROM big WHERE id >= {} AND id <= {} ORDER BY id",
            RANGE.0, RANGE.1
        ),
    )
    .await;
    let want: Vec<Vec<Option<String>>> = (RANGE.0..=RANGE.1)
        .map(|id| vec![Some(id.to_string()), Some(num(id).to_string())])
        .collect();
    assert!(rows == want, "range scan {RANGE:?}: {} rows", rows.len());
    answers.push(format!("{rows:?}"));

    let rows = text_rows(c, "SELECT id, payload FROM big ORDER BY id").await;
    assert_eq!(rows.len() as i64, ROWS, "full scan");
    for (i, r) in rows.iter().enumerate() {
        let id = i as i64 + 1;
        assert!(
            r[0].as_deref() == Some(id.to_string().as_str())
                && r[1].as_deref() == Some(payload(id).as_str()),
            "full scan row {i}: id {:?}",
            r[0]
        );
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_bigger_than_the_cache_reads_back_exactly() {
    let started = Instant::now();
    let ids = sample(harness::seed());
    let dir = TestDir::new("big-table");
    let (_sks, sk_arg) = harness::start_safekeepers(&dir);
    let mut ps = Process::pageserver(&dir, &sk_arg);
    ps.start();
    let mut small =
        Process::compute(&dir, "compute-1mib", &ps, &sk_arg, Some("1MiB")).with_metrics();
    small.start();

    let c = small.pg().await;
    exec(
        &c,
        "CREATE TABLE big (id int8 PRIMARY KEY, n int8 NOT NULL, payload text NOT NULL)",
    )
    .await;
    for first in (1..=ROWS).step_by(ROWS_PER_INSERT as usize) {
        let values: Vec<String> = (first..(first + ROWS_PER_INSERT).min(ROWS + 1))
            .map(|id| format!("({id}, {}, '{}')", num(id), payload(id)))
            .collect();
        exec(&c, &format!("INSERT INTO big VALUES {}", values.join(", "))).await;
    }
    println!(
        "big_table: loaded {ROWS} rows of {PAYLOAD} bytes in {:?}",
        started.elapsed()
    );

    // Pages fetched from the pageserver: asked for (misses) and read ahead with them.
    let fetched = |p: &Process| {
        let m = p.scrape_metrics();
        (
            m.sum("strata_compute_cache_misses_total"),
            m.sum("strata_compute_prefetched_pages_total"),
        )
    };
    let before = fetched(&small);
    let t = Instant::now();
    let first = check(&c, &ids).await;
    let after = fetched(&small);
    let (misses, prefetched) = (after.0 - before.0, after.1 - before.1);
    println!(
        "big_table: 1 MiB cache answered in {:?}: {misses} cache misses, {prefetched} pages read ahead",
        t.elapsed(),
    );
    // Two full scans (the sums, the ordered payloads) of at least ROWS * PAYLOAD / 8 KiB
    // leaf pages each, through a cache of 128 pages: most pages come from the pageserver.
    let table_pages = (ROWS * PAYLOAD as i64 / 8192) as f64;
    assert!(
        misses + prefetched >= table_pages,
        "a 1 MiB cache cannot hold a ~{} MB table: {} pages fetched, {table_pages} in the table",
        (ROWS * PAYLOAD as i64) >> 20,
        misses + prefetched
    );
    drop(c);
    small.kill9();

    let mut fresh = Process::compute(&dir, "compute-default", &ps, &sk_arg, None);
    fresh.start();
    let c = fresh.pg().await;
    let t = Instant::now();
    let second = check(&c, &ids).await;
    println!(
        "big_table: a fresh default-cache compute answered in {:?}",
        t.elapsed()
    );
    assert!(first == second, "both computes give identical answers");
    println!("big_table finished in {:?}", started.elapsed());
}
