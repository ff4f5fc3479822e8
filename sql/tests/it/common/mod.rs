//! The sqllogictest runner over a [`sql::Session`] on a fresh
//! [`sql::memory::MemoryStorage`] (see `sql::slt`).

use sql::memory::MemoryStorage;

/// Runs one .slt file on a fresh database; every `connection` gets its own session.
pub fn run_file(path: &std::path::Path) -> Result<(), String> {
    sql::slt::run_file(path, MemoryStorage::new())
}
