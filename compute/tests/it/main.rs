//! Every integration test of this crate in one binary: one link instead of one per file,
//! which keeps a debug build's disk use and link time small.

mod btree_model;
mod bulk_load;
mod commit_prepare;
mod copy_load;
mod durable_replies;
mod engine_commit;
mod engine_common;
mod engine_concurrency;
mod engine_ddl;
mod engine_drop;
mod engine_explain;
mod engine_model;
mod engine_prune;
mod engine_scan;
mod engine_slt;
mod engine_space;
mod frontend;
mod frontend_auth;
mod frontend_batches;
mod frontend_cancel;
mod frontend_copy;
mod frontend_errors;
mod frontend_notices;
mod frontend_prepared;
mod frontend_settings;
mod frontend_types;
mod large_commit;
mod mvcc_model;
mod mvcc_scripts;
mod outcome_unknown;
mod page_cache_pageserver;
mod redo_roundtrip;
mod replica_hot_page;
mod serving_common;
mod snapshot_lease;
