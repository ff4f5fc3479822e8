//! Every integration test of this crate in one binary: one link instead of one per file,
//! which keeps a debug build's disk use and link time small.

mod bank;
mod big_table;
mod branch_compute;
mod cli;
mod clients;
mod commit_outcomes;
mod component_auth;
mod component_tls;
mod compute_cluster;
mod deploy;
mod durable_answers;
mod faults;
mod fenced_compute;
mod group_commit;
mod harness;
mod isolation;
mod limits;
mod local_cluster;
mod notify;
mod pageserver_cluster;
mod pgbench;
mod psql_meta;
mod replicas;
mod roles;
mod row_locks;
mod rust_drivers;
mod safekeeper_cluster;
mod sqlite_corpus;
mod start_cli;
mod temp_tables;
mod timeline_cli;
mod tls;
