//! Fuzzing of the SQL entry point and the binary value decoders on the stable toolchain:
//! statements built from random tokens of PostgreSQL's grammar, statements of the .slt
//! files with tokens dropped, swapped and repeated, deep nesting, and arbitrary bytes as
//! binary-format parameters of every type. Nothing may panic: each statement runs or fails
//! with an error carrying a SQLSTATE, and the session keeps working afterwards.
//!
//! Cases per property: `STRATA_FUZZ_CASES` (default 1000).

use proptest::prelude::*;
use sql::DataType;
use sql::Session;
use sql::memory::MemoryStorage;

fn cases() -> u32 {
    std::env::var("STRATA_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

const TOKENS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP",
    "BY",
    "ORDER",
    "HAVING",
    "LIMIT",
    "OFFSET",
    "JOIN",
    "LEFT",
    "ON",
    "USING",
    "UNION",
    "ALL",
    "EXCEPT",
    "WITH",
    "RECURSIVE",
    "AS",
    "INSERT",
    "INTO",
    "VALUES",
    "UPDATE",
    "SET",
    "DELETE",
    "RETURNING",
    "CREATE",
    "TABLE",
    "INDEX",
    "VIEW",
    "DROP",
    "ALTER",
    "ADD",
    "COLUMN",
    "PRIMARY",
    "KEY",
    "REFERENCES",
    "CHECK",
    "DEFAULT",
    "NOT",
    "NULL",
    "AND",
    "OR",
    "IS",
    "IN",
    "EXISTS",
    "BETWEEN",
    "LIKE",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "CAST",
    "OVER",
    "PARTITION",
    "DISTINCT",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT",
    "EXPLAIN",
    "ANALYZE",
    "TRUNCATE",
    "SEQUENCE",
    "t",
    "u",
    "a",
    "b",
    "id",
    "count(*)",
    "sum(a)",
    "now()",
    "generate_series(1, 3)",
    "int",
    "text",
    "numeric(5,2)",
    "timestamptz",
    "int[]",
    "jsonb",
    "bytea",
    "interval",
    "0",
    "1",
    "-1",
    "2147483648",
    "1e308",
    "0.5",
    "'x'",
    "''",
    "'2020-01-01'",
    "'{1,2}'",
    "E'\\\\x'",
    "$1",
    "$$q$$",
    "(",
    ")",
    ",",
    ";",
    "*",
    "+",
    "-",
    "/",
    "%",
    "^",
    "=",
    "<>",
    "<",
    ">=",
    "||",
    "::",
    ".",
    "[",
    "]",
    "~",
    "@>",
    "->>",
    "NULLS",
    "FIRST",
];

/// Statements from the crate's .slt files (the first line of each record).
fn corpus() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slt");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("tests/slt") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("read");
        let mut lines = text.lines();
        while let Some(l) = lines.next() {
            if (l.starts_with("statement") || l.starts_with("query"))
                && let Some(sql) = lines.next()
            {
                out.push(sql.to_string());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn schema(s: &mut Session<MemoryStorage>) {
    for stmt in [
        "CREATE TABLE t (id int PRIMARY KEY, a int, b text)",
        "CREATE TABLE u (id int, a numeric(10,2), b timestamptz)",
        "INSERT INTO t VALUES (1, 10, 'x'), (2, NULL, 'y')",
    ] {
        for r in s.execute(stmt) {
            r.expect("schema");
        }
    }
}

/// Runs `sql`; a panic fails the property. Errors must carry a SQLSTATE of 5 characters.
fn run(s: &mut Session<MemoryStorage>, sql: &str) -> Result<(), TestCaseError> {
    let results = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.execute(sql)))
        .map_err(|_| TestCaseError::fail(format!("panicked on {sql:?}")))?;
    for r in results {
        if let Err(e) = r {
            prop_assert_eq!(e.code().len(), 5, "{}", e);
        }
    }
    Ok(())
}

/// The session still answers after whatever came before.
fn still_works(s: &mut Session<MemoryStorage>) -> Result<(), TestCaseError> {
    let _ = s.execute("ROLLBACK");
    // (A mutated statement may legitimately have dropped `t` or changed the search path.)
    let r = s.execute("SELECT 1");
    prop_assert!(
        matches!(r.last(), Some(Ok(_))),
        "the session is broken: {:?}",
        r.last()
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn random_token_statements_never_panic(
        tokens in prop::collection::vec(prop::sample::select(TOKENS), 1..30),
    ) {
        let mut s = Session::new(MemoryStorage::new());
        schema(&mut s);
        run(&mut s, &tokens.join(" "))?;
        still_works(&mut s)?;
    }

    #[test]
    fn mutated_corpus_statements_never_panic(
        pick in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..4, prop::sample::select(TOKENS)), 1..4),
    ) {
        let corpus = corpus();
        let sql = &corpus[pick.index(corpus.len())];
        let mut words: Vec<String> = sql.split_whitespace().map(str::to_string).collect();
        for (at, op, token) in edits {
            if words.is_empty() {
                words.push(token.to_string());
                continue;
            }
            let i = at.index(words.len());
            match op {
                0 => { words.remove(i); }
                1 => words[i] = token.to_string(),
                2 => { let w = words[i].clone(); words.insert(i, w); }
                _ => words.insert(i, token.to_string()),
            }
        }
        let mut s = Session::new(MemoryStorage::new());
        schema(&mut s);
        run(&mut s, &words.join(" "))?;
        still_works(&mut s)?;
    }

    #[test]
    fn binary_values_of_every_type_never_panic(
        raw in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut types = sql::types::oid::builtin_types();
        types.retain(|t| *t != DataType::Unknown);
        for ty in types {
            let got = std::panic::catch_unwind(|| sql::types::binary::recv(&raw, ty));
            prop_assert!(got.is_ok(), "recv panicked on {:?} as {}", raw, ty.name());
        }
    }
}

/// Deep nesting is refused with an error (54001-style limits), never a stack overflow.
#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let mut s = Session::new(MemoryStorage::new());
    schema(&mut s);
    for depth in [100usize, 1000, 20000] {
        for sql in [
            format!("SELECT {}1{}", "(".repeat(depth), ")".repeat(depth)),
            format!("SELECT {}1", "-".repeat(depth)),
            format!("SELECT 1{}", " + 1".repeat(depth)),
            format!(
                "SELECT {}1{}",
                "ARRAY[".repeat(depth.min(2000)),
                "]".repeat(depth.min(2000))
            ),
            format!(
                "SELECT * FROM {}t{}",
                "(SELECT * FROM ".repeat(depth.min(2000)),
                ") x".repeat(depth.min(2000))
            ),
        ] {
            let r = s.execute(&sql);
            assert!(!r.is_empty());
        }
    }
    assert!(matches!(s.execute("SELECT 1").last(), Some(Ok(_))));
}
