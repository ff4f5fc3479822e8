//! # proto: everything that crosses a Strata process boundary
//!
//! - [`Lsn`]: byte offsets in a timeline's WAL; the state at `L` is every
//!   record with `end <= L`.
//! - [`ids`]: validated tenant and timeline names, [`RelId`], [`PageKey`].
//! - [`page`]: the 8 KiB page and its common header (`page_lsn`, CRC32C).
//! - [`record`]: WAL records and page changes; [`frame`]: how records are cut
//!   into checksummed frames of at most 1 MiB; [`decoder`]: the streaming
//!   decoder from byte chunks to `[start, end)`-tagged records.
//! - [`redo`]: the one redo function `apply(page, change, lsn)` and `diff`.
//! - [`auth`]: the tokens (JWT, Ed25519) every gRPC call between components
//!   may carry, and which role and scope each method needs.
//! - [`grpc`]: the safekeeper and pageserver gRPC services, with `TryFrom`
//!   conversions that validate at the boundary; [`tls`]: optional TLS on them.
//!
//! Everything here is pure (no I/O; `auth` and `tls` read their key and certificate files) so it can be property-tested and fuzzed.
//!
//! ## A write, as bytes
//! The compute computes `diff(key, old, new, end_lsn)` for each page its
//! transaction touched, wraps them in a [`Record`], learns the record's end
//! LSN from [`frame::record_framed_len`], and sends
//! [`frame::encode_record`]'s frames to the safekeepers. The pageserver and
//! replicas feed those bytes to a [`WalDecoder`] and run [`redo::apply`] on
//! every change, at the record's end LSN.

pub mod auth;
pub mod backoff;
pub mod decoder;
pub mod error;
pub mod frame;
pub mod grpc;
pub mod ids;
pub mod lsn;
pub mod page;
pub mod record;
pub mod redo;
pub mod tls;

pub use decoder::{DecodedRecord, WalDecoder};
pub use error::Error;
pub use ids::{BlockNo, PageKey, RelId, TenantName, TimelineId, TimelineName};
pub use lsn::Lsn;
pub use page::{PAGE_SIZE, Page};
pub use record::{Delta, PageBody, PageChange, Record, RecordKind, Term, TimestampUs, now_us};
