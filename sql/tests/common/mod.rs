//! The sqllogictest `DB` over a [`sql::Session`] on a shared [`sql::memory::MemoryStorage`].
//!
//! Values print in PostgreSQL's text format; NULL prints as `NULL` and an empty string as
//! `(empty)`, the conventions of sqllogictest-rs's PostgreSQL engine.

use sql::memory::MemoryStorage;
use sql::{DataType, Session};
use sqllogictest::{DBOutput, DefaultColumnType};

pub struct Db {
    session: Session<MemoryStorage>,
}

impl Db {
    pub fn new(storage: MemoryStorage) -> Self {
        Db {
            session: Session::new(storage),
        }
    }
}

#[derive(Debug)]
pub struct DbError(pub sql::Error);

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (SQLSTATE {})", self.0, self.0.code())
    }
}

impl std::error::Error for DbError {}

impl sqllogictest::DB for Db {
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
        match &result.columns {
            Some(columns) => {
                let types = columns
                    .iter()
                    .map(|c| match c.data_type {
                        DataType::Int2 | DataType::Int4 | DataType::Int8 => {
                            DefaultColumnType::Integer
                        }
                        DataType::Float4 | DataType::Float8 => DefaultColumnType::FloatingPoint,
                        DataType::Text | DataType::Varchar(_) | DataType::Unknown => {
                            DefaultColumnType::Text
                        }
                        DataType::Bool => DefaultColumnType::Any,
                    })
                    .collect();
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
            None => {
                let n = result
                    .tag
                    .rsplit(' ')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                Ok(DBOutput::StatementComplete(n))
            }
        }
    }

    fn engine_name(&self) -> &str {
        "strata"
    }

    fn error_sql_state(err: &DbError) -> Option<String> {
        Some(err.0.code().to_string())
    }
}

/// Runs one .slt file on a fresh database; every `connection` gets its own session.
pub fn run_file(path: &std::path::Path) -> Result<(), String> {
    let storage = MemoryStorage::new();
    let mut runner = sqllogictest::Runner::new(move || {
        let storage = storage.clone();
        async move { Ok(Db::new(storage)) }
    });
    runner.with_column_validator(|_, _| true);
    runner
        .run_file(path)
        .map_err(|e| e.display(true).to_string())
}
