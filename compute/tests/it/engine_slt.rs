//! The sql crate's `.slt` files (each checked against PostgreSQL 15), run on
//! `sql::Session<compute::engine::Engine>`: the engine must give the reference storage's
//! answers. `STRATA_SLT_FILE=name` runs only the files whose path contains `name`.

#[test]
fn sql_slt_files_pass_on_the_engine() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sql/tests/slt");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("sql/tests/slt exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "slt"))
        .filter(|p| {
            std::env::var("STRATA_SLT_FILE")
                .map_or(true, |only| p.to_string_lossy().contains(only.as_str()))
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .slt files in {}", dir.display());
    let mut failures = Vec::new();
    for f in &files {
        if let Err(e) = crate::engine_common::run_slt(f, crate::engine_common::small_pages()) {
            failures.push(format!("{}:\n{e}", f.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} files failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

/// The pg-slt corpus files Strata passes (`sql/tests/pg-slt-passing.txt`), on the engine:
/// the same answers as on the reference storage. Skipped loudly without the corpus (a
/// failure under `CI=true`).
#[test]
fn pg_slt_corpus_passes_on_the_engine() {
    let manifest = env!("CARGO_MANIFEST_DIR");
    let root = std::path::Path::new(manifest).join("../../shared/testdata/pg-slt");
    if !root.is_dir() {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        assert!(
            !ci,
            "pg-slt corpus missing at {} under CI=true",
            root.display()
        );
        eprintln!(
            "\n\n!!!!! SKIPPING pg-slt corpus on the engine: {} not found !!!!!\n\n",
            root.display()
        );
        return;
    }
    let list = include_str!("../../../sql/tests/pg-slt-passing.txt");
    let files: Vec<&str> = list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert!(files.len() >= 20, "only {} files listed", files.len());
    let mut failures = Vec::new();
    for f in &files {
        let path = root.join(f);
        if let Err(e) = crate::engine_common::run_slt(&path, crate::engine_common::small_pages()) {
            failures.push(format!("{f}:\n{e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} pg-slt files failed on the engine:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}
