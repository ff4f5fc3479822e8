//! # strata: the binary's library
//!
//! The `strata` command (src/main.rs) is a thin clap front end over the
//! modules here. Today that is the WAL inspection tool ([`waldump`]); the
//! local cluster (`strata::LocalCluster`, `strata start`) and the
//! per-component subcommands (`strata safekeeper|pageserver|compute`) land
//! with their issues and are listed in ARCHITECTURE.md as they do.

pub mod admin;
pub mod metrics_http;
pub mod waldump;
