//! # safekeeper: WAL consensus for Strata
//!
//! A compute (the *proposer*) streams its WAL to a quorum of safekeepers
//! (the *acceptors*), Paxos-style as in Neon's walproposer. This crate holds
//! both sides as pure state machines, with no I/O and no async:
//!
//! - [`Acceptor`] (`acceptor`): one timeline's state on one safekeeper.
//!   Requests in, actions (persist control file, write/flush/truncate WAL)
//!   and a reply out; the shell executes the actions before replying.
//! - [`Proposer`] (`proposer`): the compute's side. Greets, wins an
//!   election, syncs every acceptor to the donor's WAL, then pipelines
//!   appends and advances `commit_lsn`.
//! - [`messages`]: the messages between them, mirroring
//!   `proto/proto/safekeeper.proto`, with conversions from the gRPC types.
//! - [`driver`]: the proposer's async shell a compute links
//!   ([`driver::WalProposer`]): tonic links to every safekeeper, election,
//!   donor sync, group-committed appends resolved when quorum-durable.
//! - [`history`]: term histories and where two WALs diverge.
//! - [`storage`]: the durable side the acceptor's actions land on: WAL
//!   segment files and the control file ([`ControlState`]).
//! - [`wire`]: the lean length-prefixed wire of the hot `Append` stream
//!   (same port as gRPC; the links use it, tonic keeps the control plane).
//! - [`server`]: the running safekeeper — the tonic service around the
//!   acceptor and storage (group commit, WAL streaming, offload, peer
//!   recovery, pageserver generations); `strata safekeeper` runs it.
//!
//! The simulation in `tests/sim` runs two competing proposers (behind the
//! driver's append links) against three safekeepers running the real
//! server timeline and storage over a simulated disk that loses and tears
//! un-fsynced writes, with message loss, reordering, partitions, crashes at
//! any file-system call and failed writes and fsyncs, and checks on every
//! step that committed WAL never changes and never diverges.

pub mod acceptor;
pub mod driver;
pub mod error;
pub mod history;
pub mod messages;
pub mod proposer;
pub mod server;
pub mod storage;
pub mod wire;

pub use acceptor::Acceptor;
pub use error::{Error, Result};
pub use proposer::{Phase, Proposer, ProposerConfig};
pub use storage::ControlState;
