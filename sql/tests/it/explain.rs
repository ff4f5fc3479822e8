//! EXPLAIN golden files: every `tests/explain/*.sql` script runs on `Session` +
//! `MemoryStorage` through `sql::slt::run_golden_script` (the compute crate runs them on the
//! engine too); the output of its EXPLAIN and SELECT statements (and any statement's error)
//! must equal the `.out` file beside it. `UPDATE_GOLDEN=1` rewrites the `.out` files — review the diff: the plans are
//! the planner's spec (join order, hash vs. nested loop, pushed-down filters, index scans,
//! EXPLAIN ANALYZE row counts). Kept apart from `tests/slt`, whose results must match
//! PostgreSQL's, because our plans and estimates are not PostgreSQL's.

use sql::memory::MemoryStorage;

#[test]
fn explain_golden_files() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/explain");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/explain exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let update = std::env::var("UPDATE_GOLDEN").as_deref() == Ok("1");
    let mut failures = Vec::new();
    for f in &files {
        let script = std::fs::read_to_string(f).expect("read script");
        let got = sql::slt::run_golden_script(&script, MemoryStorage::new());
        let golden = f.with_extension("out");
        if update {
            std::fs::write(&golden, &got).expect("write golden file");
            continue;
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_default();
        if got != want {
            failures.push(format!(
                "{} differs from {} (UPDATE_GOLDEN=1 rewrites it):\n{got}",
                f.display(),
                golden.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A correlated NOT IN over 100k rows runs as one hash anti join (one pass over each side),
/// not a subquery per outer row: it finishes in well under the time 100k subquery runs take,
/// and EXPLAIN shows the join.
#[test]
fn correlated_not_in_over_100k_rows_is_one_anti_join() {
    let mut s = sql::Session::new(MemoryStorage::new());
    let run = |s: &mut sql::Session<MemoryStorage>, q: &str| {
        s.execute(q)
            .pop()
            .expect("one result")
            .unwrap_or_else(|e| panic!("{q}: {e}"))
    };
    run(
        &mut s,
        "CREATE TABLE big_o (id int PRIMARY KEY, g int, k int)",
    );
    run(
        &mut s,
        "CREATE TABLE big_i (id int PRIMARY KEY, g int, k int)",
    );
    run(
        &mut s,
        "INSERT INTO big_o SELECT n, n % 1000, n FROM generate_series(1, 100000) n",
    );
    // Every third outer row's k is in its group; group 7 has a NULL (its rows all drop).
    run(
        &mut s,
        "INSERT INTO big_i SELECT n, n % 1000, CASE WHEN n % 1000 = 7 THEN NULL ELSE n END FROM generate_series(3, 100000, 3) n",
    );
    let q = "SELECT count(*) FROM big_o WHERE k NOT IN (SELECT big_i.k FROM big_i WHERE big_i.g = big_o.g)";
    let plan = run(&mut s, &format!("EXPLAIN {q}"));
    let text: Vec<String> = plan.rows.iter().map(|r| r[0].to_string()).collect();
    assert!(
        text.iter().any(|l| l.contains("Hash Anti Join")),
        "{}",
        text.join("\n")
    );
    let started = std::time::Instant::now();
    let r = run(&mut s, q);
    let took = started.elapsed();
    // 100000 rows; 33333 have their k among the values; the 100 rows of group 7 drop.
    // Group 7's multiples of 3 (33 or 34 of them) are counted once among the 33333.
    let in_group7 = (3..=100000).step_by(3).filter(|n| n % 1000 == 7).count() as i64;
    let want = 100000 - 33333 - (100 - in_group7);
    assert_eq!(r.rows[0][0], sql::Value::Int(want));
    eprintln!("correlated NOT IN over 100k rows: {took:?}");
    assert!(took < std::time::Duration::from_secs(10), "took {took:?}");
}
