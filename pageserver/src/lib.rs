//! # pageserver: Strata's layered page storage
//!
//! Rebuilds any page at any LSN from the WAL. This crate holds the storage
//! core of one timeline, pure logic over byte buffers with thin `std::fs`
//! I/O; the async shell (gRPC, WAL streaming, object storage) wraps it.
//!
//! ## A page's path through the pageserver
//! 1. **Ingest** ([`Timeline::ingest`]): each decoded WAL record's page
//!    changes go into the open [`InMemoryLayer`], keyed by `(PageKey, end
//!    LSN)`. At a configured size the layer is frozen.
//! 2. **Flush** ([`Timeline::flush`]): a frozen layer is written as
//!    [delta layer](delta_layer) files, partitioned by key range, in the
//!    [layer file format](layer_file) (checksummed [blocks](block), block
//!    index, footer).
//! 3. **Read** ([`Timeline::get_page`]): the [`LayerMap`] names the layers
//!    covering the key at the LSN, newest first; [`reconstruct`] takes the
//!    newest image at or below the LSN and replays the later changes with the
//!    shared redo, [`proto::redo::apply`]. A redo mismatch quarantines that
//!    one page.
//! 4. **Compaction** ([`compaction`]): where a key's delta chain is long,
//!    [image layers](image_layer) are written (full pages for a key range at
//!    one LSN).
//! 5. **GC** ([`gc`]): given a cutoff LSN, layer files fully covered by newer
//!    images at or below the cutoff are deleted; reads below it fail with
//!    [`Error::BelowGcHorizon`].
//!
//! On restart, [`Timeline::open`] re-opens the layer files of the local
//! directory (verifying every footer and index); WAL after
//! [`Timeline::disk_consistent_lsn`] is streamed again by the caller.

pub mod block;
pub mod compaction;
pub mod delta_layer;
pub mod error;
pub mod gc;
pub mod image_layer;
pub mod inmemory_layer;
pub mod key_range;
pub mod layer_file;
pub mod layer_map;
pub mod layer_name;
pub mod metadata;
pub mod reconstruct;
pub mod timeline;

pub use delta_layer::DeltaLayer;
pub use error::{Error, Result};
pub use image_layer::ImageLayer;
pub use inmemory_layer::InMemoryLayer;
pub use key_range::KeyRange;
pub use layer_map::{LayerMap, LayerRef};
pub use layer_name::LayerName;
pub use timeline::{Counters, Timeline, TimelineConfig};
