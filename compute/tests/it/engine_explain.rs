//! The sql crate's EXPLAIN golden files (`sql/tests/explain/*.sql` + `.out`) on
//! `sql::Session<compute::engine::Engine>`: the engine's access paths (key order, IN-list
//! point lookups, NULLs in secondary indexes) must give the reference storage's plans,
//! row counts and rows.

#[test]
fn explain_golden_files_on_the_engine() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sql/tests/explain");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("sql/tests/explain exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for f in &files {
        let script = std::fs::read_to_string(f).expect("read script");
        let (engine, _wal) = crate::engine_common::engine(crate::engine_common::small_pages());
        let got = sql::slt::run_golden_script(&script, engine);
        let want = std::fs::read_to_string(f.with_extension("out")).expect("read golden file");
        assert_eq!(got, want, "{} on the engine", f.display());
    }
}
