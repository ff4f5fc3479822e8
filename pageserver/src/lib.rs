//! # pageserver: Strata's layered page storage
//!
//! Rebuilds any page at any LSN from the WAL. This crate holds the storage
//! core of one timeline, pure logic over byte buffers with thin `std::fs`
//! I/O; the async shell (gRPC, WAL streaming, object storage) wraps it.
//!
//! ## A page's path through the pageserver
//! 1. **Ingest** ([`LayeredTimeline::ingest`]): each decoded WAL record's page
//!    changes go into the open [`InMemoryLayer`], keyed by `(PageKey, end
//!    LSN)`. At a configured size the layer is frozen.
//! 2. **Flush** ([`LayeredTimeline::flush`]): a frozen layer is written as
//!    [delta layer](delta_layer) files, partitioned by key range, in the
//!    [layer file format](layer_file) (checksummed [blocks](block), block
//!    index, footer).
//! 3. **Read** ([`LayeredTimeline::get_page`]): the [`LayerMap`] names the layers
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
//! On restart, [`LayeredTimeline::open`] re-opens the layer files of the local
//! directory (verifying every footer and index); WAL after
//! [`LayeredTimeline::disk_consistent_lsn`] is streamed again by the caller.
//!
//! ## The running service (the async shell)
//! [`run`] (`strata pageserver`) wires the pure core to the network:
//!
//! ```text
//!  safekeepers ──ReadWal──▶ ingest ──▶ LayeredTimeline::ingest ──▶ last_record_lsn watch
//!  (WalSource)              (ingest.rs)      │ freeze              │ wakes
//!                                            ▼                     ▼
//!  maintenance: flush ▶ compact ▶ gc ▶ sync ──────▶ object storage  GetPages (grpc.rs)
//!  (service.rs)                      (remote.rs)   layers, then      wait ▶ cache ▶ redo
//!                                                  index-{gen}.json  (read.rs, cache.rs)
//!                                                  ▶ feedback to safekeepers
//! ```
//!
//! - [`service::Pageserver`] owns the attached timelines
//!   ([`timeline_handle::TimelineHandle`]: the core behind a lock, the
//!   `last_record_lsn` watch, branch structure, leases, remote state) and
//!   their tasks, under one `CancellationToken` tree.
//! - [`wal_source::WalSource`] and [`generations::Generations`] are the two
//!   faces of the safekeepers: the real tonic client
//!   ([`safekeeper_client`]) and in-memory fakes for tests.
//! - [`remote`] keeps local disk a cache of object storage: layers are
//!   uploaded before the [`manifest`] that lists them; every object name
//!   carries the writer's generation; a newer generation fences an older
//!   pageserver before it uploads or deletes anything. A layer the manifest
//!   lists but the disk lacks is fetched by [`ondemand`] the first time a
//!   read needs it (verified against the manifest, bounded concurrency).
//! - [`grpc`] validates requests at the boundary and maps [`Error`] to
//!   per-page error codes; [`metrics`] registers Prometheus series.

pub mod block;
pub mod cache;
pub mod commit_index;
pub mod compaction;
pub mod config;
pub mod delta_layer;
pub mod error;
pub mod gc;
pub mod generations;
pub mod grpc;
pub mod image_layer;
pub mod ingest;
pub mod inmemory_layer;
pub mod key_range;
pub mod layer_file;
pub mod layer_map;
pub mod layer_name;
pub mod logical_size;
pub mod manifest;
pub mod metadata;
pub mod metrics;
pub mod ondemand;
pub mod read;
pub mod reconstruct;
pub mod remote;
pub mod retention;
pub mod safekeeper_client;
pub mod service;
pub mod timeline;
pub mod timeline_handle;
pub mod tombstones;
pub mod wal_source;

pub use config::Config;
pub use delta_layer::DeltaLayer;
pub use error::{Error, Result};
pub use generations::{Generations, MemoryGenerations};
pub use image_layer::ImageLayer;
pub use inmemory_layer::InMemoryLayer;
pub use key_range::KeyRange;
pub use layer_map::{LayerMap, LayerRef};
pub use layer_name::LayerName;
pub use remote_storage::S3Options;
pub use service::{CreateTimeline, Pageserver};
pub use timeline::{Counters, LayeredTimeline, TimelineConfig};
pub use wal_source::{MemoryWalSource, WalChunk, WalSource};

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

/// Runs a pageserver with the real safekeeper clients until `shutdown`
/// fires (`strata pageserver`): opens the object store, attaches every
/// timeline in it, serves gRPC on `config.listen`; then stops every task
/// and flushes and uploads what was ingested.
pub async fn run(config: Config, shutdown: CancellationToken) -> Result<()> {
    let remote = remote_storage::RemoteStorage::from_url(&config.object_store, &config.s3)?;
    let safekeepers = Arc::new(
        safekeeper_client::SafekeeperClient::new(config.safekeepers.clone())
            .with_token(config.auth_token.clone())
            .with_tls(config.safekeeper_tls.clone()),
    );
    let listen = config.listen;
    let ps = Pageserver::start(config, remote, safekeepers.clone(), safekeepers, shutdown).await?;
    let (addr, server) = grpc::spawn(ps.clone(), listen).await?;
    tracing::info!(%addr, "pageserver started");
    let served = match server.await {
        Ok(r) => r,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Err(Error::ShuttingDown),
    };
    ps.shutdown().await;
    ps.checkpoint_all(std::time::Duration::from_secs(30)).await;
    served
}

/// Runs `f` on the blocking pool (disk and CPU work stays off the async
/// runtime's threads); a panic in `f` is resumed here.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Err(Error::ShuttingDown),
    }
}
