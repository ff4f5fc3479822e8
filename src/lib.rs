//! # strata: the binary's library
//!
//! The `strata` command (src/main.rs) is a thin clap front end over the
//! component crates and the modules here: [`LocalCluster`] (`strata start`,
//! a whole cluster in one process) with [`cluster_file`] (the addresses it
//! chose, for the admin commands), [`local_ports`] (the ports it reuses across
//! restarts) and [`logging`] (its quiet terminal and
//! rotated log files), [`admin`] (`strata timeline`) and [`status`] (`strata
//! status`), [`auth_files`] (`strata auth`, the embedded cluster's keys and tokens), [`config_file`] (`--config FILE` and `STRATA_*` variables),
//! [`metrics_http`] (every server's `--metrics` endpoint: metrics and health), [`waldump`]
//! (`strata waldump`), [`self_signed`] (`strata start --tls`), and [`durations`] (the tuning flags' `2s` / `500ms`).

pub mod admin;
pub mod auth_files;
pub mod auth_reload;
pub mod cluster_file;
pub mod config_file;
pub mod durations;
pub mod local_cluster;
pub mod local_ports;
pub mod logging;
pub mod metrics_http;
pub mod self_signed;
pub mod status;
pub mod waldump;

pub use local_cluster::{LocalCluster, LocalClusterConfig, Started};
