//! Every integration test of this crate in one binary: one link instead of one per file,
//! which keeps a debug build's disk use and link time small.

mod common;
mod copy;
mod ddl;
mod deferred;
mod eval_plan_qual;
mod explain;
mod fuzz;
mod partition_pruning;
mod pg_check;
mod pg_slt;
mod session;
mod slt;
