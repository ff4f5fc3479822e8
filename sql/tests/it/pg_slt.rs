//! Runs the external PostgreSQL-dialect sqllogictest corpus
//! (`/work/shared/testdata/pg-slt`, i.e. `../../shared/testdata` from this crate; see its
//! SOURCE.md) on `Session` + `MemoryStorage`.
//!
//! `sql/tests/pg-slt-passing.txt` lists the files the engine supports; each must keep passing. The others are run
//! too and reported, so a newly passing file shows up in the output (add it to the list).
//! Expected results are never edited. When the corpus is absent the test prints a loud
//! SKIPPING message, except under `CI=true`, where absence is a failure.

/// The files that must keep passing (shared with the engine's run in the compute crate).
const PASSING_LIST: &str = include_str!("../pg-slt-passing.txt");

/// The paths of [`PASSING_LIST`].
pub fn passing() -> Vec<&'static str> {
    PASSING_LIST
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

/// Every file of the corpus, relative to `pg-slt/`.
const ALL: &[&str] = &[
    "risinglight/tests/sql/bigint.slt",
    "risinglight/tests/sql/delete.slt",
    "risinglight/tests/sql/distinct.slt",
    "risinglight/tests/sql/filter_null.slt",
    "risinglight/tests/sql/group_by.slt",
    "risinglight/tests/sql/insert.slt",
    "risinglight/tests/sql/insert_select_from.slt",
    "risinglight/tests/sql/view.slt",
    "risinglight/tests/sql/where.slt",
    "risingwave-adapted/e2e_test/batch/aggregate/avg.slt.part",
    "risingwave-adapted/e2e_test/batch/aggregate/count.slt.part",
    "risingwave-adapted/e2e_test/batch/aggregate/distinct.slt.part",
    "risingwave-adapted/e2e_test/batch/aggregate/min_max.slt.part",
    "risingwave-adapted/e2e_test/batch/basic/dml_returning.slt.part",
    "risingwave-adapted/e2e_test/batch/basic/order_by.slt.part",
    "risingwave-adapted/e2e_test/batch/duckdb/join/full_outer/test_full_outer_join.slt.part",
    "risingwave-adapted/e2e_test/batch/duckdb/join/inner/test_join.slt.part",
    "risingwave-adapted/e2e_test/batch/duckdb/join/left_outer/test_left_outer.slt.part",
    "risingwave-adapted/e2e_test/batch/join/inner/test_null_safe_equal_join.slt.part",
    "risingwave-adapted/e2e_test/batch/join/natural_and_cross_join.slt",
    "risingwave-adapted/e2e_test/batch/order/test_order_by.slt.part",
    "risingwave-adapted/e2e_test/batch/transaction/same_session.slt",
    "risingwave/e2e_test/batch/aggregate/with_over_window.slt.part",
    "risingwave/e2e_test/batch/basic/dollar_quoted_string.slt.part",
    "risingwave/e2e_test/batch/basic/precedence.slt.part",
    "risingwave/e2e_test/batch/subquery/tab_completion.slt.part",
    "risingwave/e2e_test/batch/transaction/tolerance.slt",
    "risingwave/e2e_test/batch/types/boolean.slt.part",
    "risingwave/e2e_test/batch/types/number_arithmetic.slt.part",
    "risingwave/e2e_test/batch/types/pg_catalog.slt.part",
];

#[test]
fn pg_slt_corpus() {
    let root = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/testdata/pg-slt"
    ));
    if !root.is_dir() {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        assert!(
            !ci,
            "pg-slt corpus missing at {} under CI=true",
            root.display()
        );
        eprintln!(
            "\n\n!!!!! SKIPPING pg-slt corpus: {} not found !!!!!\n\n",
            root.display()
        );
        return;
    }
    let mut regressions = Vec::new();
    for file in ALL {
        let result = crate::common::run_file(&root.join(file));
        let expected = passing().contains(file);
        match (&result, expected) {
            (Ok(()), true) => eprintln!("pass        {file}"),
            (Ok(()), false) => {
                eprintln!("NEWLY PASSES {file} (add it to sql/tests/pg-slt-passing.txt)")
            }
            (Err(e), false) => {
                eprintln!("unsupported {file}");
                if std::env::var("PG_SLT_VERBOSE").is_ok() {
                    eprintln!("{e}");
                }
            }
            (Err(e), true) => regressions.push(format!("{file}:\n{e}")),
        }
    }
    assert!(
        regressions.is_empty(),
        "files listed in sql/tests/pg-slt-passing.txt failed:\n{}",
        regressions.join("\n\n")
    );
}
