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
