//! Runs every `.slt` file under `tests/slt/` (each checked against PostgreSQL 15) on
//! `Session` + `MemoryStorage`. `STRATA_SLT_FILE=name` runs only the files whose path
//! contains `name` (for iterating on one file).

#[test]
fn slt_files() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slt");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/slt exists")
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
        if let Err(e) = crate::common::run_file(f) {
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
