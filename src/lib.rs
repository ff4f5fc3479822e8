//! # strata: the binary's library
//!
//! The `strata` command (src/main.rs) is a thin clap front end over the
//! component crates and the modules here: [`LocalCluster`] (`strata start`,
//! a whole cluster in one process), [`admin`] (`strata timeline`, `strata
//! status`), [`metrics_http`] (every server's `--metrics` endpoint) and
//! [`waldump`] (`strata waldump`), and [`durations`] (the tuning flags' `2s` / `500ms`).

pub mod admin;
pub mod durations;
pub mod local_cluster;
pub mod metrics_http;
pub mod waldump;

pub use local_cluster::{LocalCluster, LocalClusterConfig};
