//! EXPLAIN golden files: every `tests/explain/*.sql` script runs on `Session` +
//! `MemoryStorage`, statement by statement (each ends with `;` at the end of a line); the
//! output of its EXPLAIN statements (and any statement's error) must equal the `.out` file
//! beside it. `UPDATE_GOLDEN=1` rewrites the `.out` files — review the diff: the plans are
//! the planner's spec (join order, hash vs. nested loop, pushed-down filters, index scans,
//! EXPLAIN ANALYZE row counts). Kept apart from `tests/slt`, whose results must match
//! PostgreSQL's, because our plans and estimates are not PostgreSQL's.

use sql::Session;
use sql::memory::MemoryStorage;

fn run_script(script: &str) -> String {
    let mut session = Session::new(MemoryStorage::new());
    let mut out = String::new();
    let mut stmt = String::new();
    for line in script.lines() {
        if stmt.is_empty() && (line.trim().is_empty() || line.starts_with("--")) {
            if line.starts_with("--") {
                out.push_str(line);
                out.push('\n');
            }
            continue;
        }
        stmt.push_str(line);
        stmt.push('\n');
        if !line.trim_end().ends_with(';') {
            continue;
        }
        let sql = std::mem::take(&mut stmt);
        let explain = sql.trim_start().to_uppercase().starts_with("EXPLAIN");
        if explain {
            out.push_str(&sql);
        }
        for r in session.execute(&sql) {
            match r {
                Ok(res) if explain => {
                    for row in res.text_rows() {
                        out.push_str(row[0].as_deref().unwrap_or("NULL"));
                        out.push('\n');
                    }
                }
                Ok(_) => {}
                Err(e) if explain => out.push_str(&format!("ERROR {}: {e}\n", e.code())),
                Err(e) => out.push_str(&format!("{sql}ERROR {}: {e}\n", e.code())),
            }
        }
        if explain {
            out.push('\n');
        }
    }
    out
}

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
        let got = run_script(&std::fs::read_to_string(f).expect("read script"));
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
