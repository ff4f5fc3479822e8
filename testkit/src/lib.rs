//! Test support shared by Strata's crates (a dev-dependency only, never linked into a binary).
//!
//! * [`postgres`] — a throwaway PostgreSQL 15 server on a free loopback port, the oracle every
//!   SQL expectation is checked against.

pub mod postgres;
