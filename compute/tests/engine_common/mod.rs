//! Shared helpers for the engine tests: engines over a `MemoryWal`, and a sqllogictest
//! `DB` over `sql::Session<Engine>` (values printed as sqllogictest-rs's PostgreSQL engine
//! does: NULL as `NULL`, empty strings as `(empty)`).
#![allow(dead_code)]

use std::sync::Arc;

use compute::btree::Limits;
use compute::engine::{Engine, EngineConfig, MemoryWal};
use proto::Lsn;
use sql::{DataType, Session};
use sqllogictest::{DBOutput, DefaultColumnType};

/// Small nodes, so a few hundred rows already make multi-level trees.
pub fn small_pages() -> EngineConfig {
    EngineConfig {
        limits: Limits::for_fill(1024),
        ..EngineConfig::default()
    }
}

/// A fresh engine and its WAL.
pub fn engine(config: EngineConfig) -> (Engine, Arc<MemoryWal>) {
    let wal = Arc::new(MemoryWal::new(Lsn::TIMELINE_START));
    let engine = Engine::create(wal.clone(), config).expect("create engine");
    (engine, wal)
}

/// Runs SQL, returning the last statement's result.
pub fn exec(s: &mut Session<Engine>, sql: &str) -> sql::Result<sql::StatementResult> {
    let mut last = None;
    for r in s.execute(sql) {
        last = Some(r?);
    }
    last.ok_or_else(|| sql::Error::Internal("no statement".into()))
}

/// Runs a query and returns its rows as text.
pub fn rows(s: &mut Session<Engine>, sql: &str) -> Vec<Vec<String>> {
    let r = exec(s, sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    r.text_rows()
        .into_iter()
        .map(|r| {
            r.into_iter()
                .map(|v| v.unwrap_or_else(|| "NULL".into()))
                .collect()
        })
        .collect()
}

pub struct Db {
    session: Session<Engine>,
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

/// Runs one .slt file on a fresh engine; every `connection` gets its own session.
pub fn run_slt(path: &std::path::Path, config: EngineConfig) -> Result<(), String> {
    let (engine, _wal) = engine(config);
    let mut runner = sqllogictest::Runner::new(move || {
        let engine = engine.clone();
        async move {
            Ok(Db {
                session: Session::new(engine),
            })
        }
    });
    runner.with_column_validator(|_, _| true);
    runner
        .run_file(path)
        .map_err(|e| e.display(true).to_string())
}
