//! Test support shared by Strata's crates: a dev-dependency, and a dependency of the `bench`
//! binary (which runs the corpus for timing); never linked into the `strata` binary.
//!
//! * [`postgres`] — a throwaway PostgreSQL 15 server on a free loopback port, the oracle every
//!   SQL expectation is checked against.
//! * [`sqllogic`] — a runner for SQLite's classic sqllogictest corpus (value-wise results,
//!   MD5 hashing, `skipif`/`onlyif`), over any [`sqllogic::Db`]; [`sqllogic::PgClient`] drives
//!   a PostgreSQL-protocol server.

pub mod postgres;
pub mod sqllogic;
