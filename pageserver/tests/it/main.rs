//! Every integration test of this crate in one binary: one link instead of one per file,
//! which keeps a debug build's disk use and link time small.

mod common;
mod drop_relation;
mod fuzz_decoders;
mod generations;
mod local_damage;
mod locking;
mod logical_size;
mod model;
mod ondemand;
mod retention;
mod safekeeper_client;
mod service;
mod timeline;
