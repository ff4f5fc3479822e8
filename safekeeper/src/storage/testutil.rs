//! Test helpers: uniquely named temporary directories under
//! `std::env::temp_dir()`, removed on drop, and framed WAL for tests.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A temporary directory, removed (recursively) when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        TempDir::new_in(&std::env::temp_dir(), tag)
    }

    /// A temporary directory under `base`.
    pub fn new_in(base: &Path, tag: &str) -> TempDir {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = base.join(format!(
            "strata-sk-storage-{tag}-{}-{}-{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).expect("create test directory");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Framed WAL for one record whose payload is `len` bytes of `fill`.
pub fn record(len: usize, fill: u8) -> Vec<u8> {
    let mut out = bytes::BytesMut::new();
    proto::frame::encode_frames(&vec![fill; len], &mut out);
    out.to_vec()
}
