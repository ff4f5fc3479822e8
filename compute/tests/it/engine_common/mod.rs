//! Shared helpers for the engine tests: engines over a `MemoryWalSink`, and the sql crate's
//! .slt runner (`sql::slt`) over `sql::Session<Engine>`.
#![allow(dead_code)]

use std::sync::Arc;

use compute::btree::Limits;
use compute::engine::{Engine, EngineConfig, MemoryWalSink};
use proto::Lsn;
use sql::Session;

/// Small nodes, so a few hundred rows already make multi-level trees.
pub fn small_pages() -> EngineConfig {
    EngineConfig {
        limits: Limits::for_fill(1024),
        ..EngineConfig::default()
    }
}

/// [`small_pages`] that never prunes old versions: for tests reading old snapshots
/// (`Engine::begin_at`) from resident pages, which keep no other history.
pub fn small_pages_with_history() -> EngineConfig {
    EngineConfig {
        keep_history: true,
        ..small_pages()
    }
}

/// A fresh engine and its WAL.
pub fn engine(config: EngineConfig) -> (Engine, Arc<MemoryWalSink>) {
    let wal = Arc::new(MemoryWalSink::new(Lsn::TIMELINE_START));
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

/// Runs one .slt file on a fresh engine; every `connection` gets its own session.
pub fn run_slt(path: &std::path::Path, config: EngineConfig) -> Result<(), String> {
    let (engine, _wal) = engine(config);
    sql::slt::run_file(path, engine)
}
