//! A sqllogictest `DB` over a [`Session`] on any [`Storage`] (feature `slt`),
//! so the same `.slt` files run on the reference storage and on the compute
//! engine.
//!
//! Values print in PostgreSQL's text format; NULL prints as `NULL` and an
//! empty string as `(empty)`, the conventions of sqllogictest-rs's
//! PostgreSQL engine. Errors report their SQLSTATE.

use sqllogictest::{DBOutput, DefaultColumnType};

use crate::storage::Storage;
use crate::{DataType, Session};

/// One connection of a sqllogictest run.
pub struct Db<S: Storage> {
    session: Session<S>,
}

impl<S: Storage> Db<S> {
    pub fn new(storage: S) -> Self {
        Db {
            session: Session::new(storage),
        }
    }
}

/// A statement's error, as the runner sees it.
#[derive(Debug)]
pub struct DbError(pub crate::Error);

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (SQLSTATE {})", self.0, self.0.code())
    }
}

impl std::error::Error for DbError {}

impl<S: Storage> sqllogictest::DB for Db<S> {
    type Error = DbError;
    type ColumnType = DefaultColumnType;

    fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, DbError> {
        let mut last = None;
        for r in self.session.execute(sql) {
            last = Some(r.map_err(DbError)?);
        }
        let Some(result) = last else {
            return Ok(DBOutput::StatementComplete(0));
        };
        let Some(columns) = &result.columns else {
            let n = result
                .tag
                .rsplit(' ')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            return Ok(DBOutput::StatementComplete(n));
        };
        let types = columns
            .iter()
            .map(|c| match c.data_type {
                DataType::Int2 | DataType::Int4 | DataType::Int8 => DefaultColumnType::Integer,
                DataType::Float4 | DataType::Float8 | DataType::Numeric(_) => {
                    DefaultColumnType::FloatingPoint
                }
                t if t.is_string() => DefaultColumnType::Text,
                _ => DefaultColumnType::Any,
            })
            .collect();
        // Timestamps and OID names print in the session's environment.
        let _env = crate::env::install(self.session.env());
        let rows = result
            .text_rows()
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .map(|v| match v {
                        None => "NULL".to_string(),
                        Some(s) if s.is_empty() => "(empty)".to_string(),
                        Some(s) => s,
                    })
                    .collect()
            })
            .collect();
        Ok(DBOutput::Rows { types, rows })
    }

    fn engine_name(&self) -> &str {
        "strata"
    }

    fn error_sql_state(err: &DbError) -> Option<String> {
        Some(err.0.code().to_string())
    }
}

/// Runs one .slt file; every `connection` gets its own session on a clone
/// of `storage` (clones share the data).
pub fn run_file<S: Storage + Clone + 'static>(
    path: &std::path::Path,
    storage: S,
) -> Result<(), String> {
    let mut runner = sqllogictest::Runner::new(move || {
        let storage = storage.clone();
        async move { Ok(Db::new(storage)) }
    });
    runner.with_column_validator(|_, _| true);
    runner
        .run_file(path)
        .map_err(|e| e.display(true).to_string())
}

/// Runs a golden-file script (`sql/tests/explain/*.sql`): statements end with `;` at the end
/// of a line, `--` lines are copied; returns the text to compare with the `.out` file: each
/// EXPLAIN or SELECT statement followed by its rows (` | `-separated), and any error.
pub fn run_golden_script<S: Storage>(script: &str, storage: S) -> String {
    let mut session = Session::new(storage);
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
        let upper = sql.trim_start().to_uppercase();
        let explain = upper.starts_with("EXPLAIN") || upper.starts_with("SELECT");
        if explain {
            out.push_str(&sql);
        }
        for r in session.execute(&sql) {
            match r {
                Ok(res) if explain => {
                    for row in res.text_rows() {
                        let cells: Vec<&str> =
                            row.iter().map(|v| v.as_deref().unwrap_or("NULL")).collect();
                        out.push_str(&cells.join(" | "));
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
