//! # readers: who streams a timeline's committed WAL right now, for `Status`
//!
//! Every `ReadWal` stream that names its reader (`ReadWalRequest.reader`: a read replica,
//! a pageserver, a recovering peer) is registered here for as long as the stream runs,
//! with the LSN up to which it has been sent WAL. `Status` lists them, so an operator
//! (`strata status`) sees the computes and pageservers attached to a timeline and how far
//! behind each one is. A stream that names no reader is served but not listed.
//!
//! Invariant: an entry lives exactly as long as its [`Registration`] (dropped when the
//! stream's task ends, however it ends).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use proto::Lsn;
use proto::grpc::safekeeper as pb;

use super::timeline::lock;

/// The readers of one timeline.
#[derive(Default)]
pub struct Readers {
    next_id: AtomicU64,
    entries: Mutex<BTreeMap<u64, Arc<Entry>>>,
}

struct Entry {
    name: String,
    peer: String,
    start: Lsn,
    since_unix_ms: u64,
    sent: AtomicU64,
}

/// One registered stream; unregisters when dropped.
pub struct Registration {
    readers: Arc<Readers>,
    id: u64,
    entry: Arc<Entry>,
}

impl Readers {
    /// Registers a stream of `name` (from `peer`) starting at `start`.
    pub fn register(self: &Arc<Self>, name: &str, peer: &str, start: Lsn) -> Registration {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let since_unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let entry = Arc::new(Entry {
            name: name.to_string(),
            peer: peer.to_string(),
            start,
            since_unix_ms,
            sent: AtomicU64::new(start.0),
        });
        lock(&self.entries).insert(id, entry.clone());
        Registration {
            readers: self.clone(),
            id,
            entry,
        }
    }

    /// The registered streams, oldest first.
    pub fn list(&self) -> Vec<pb::WalReader> {
        lock(&self.entries)
            .values()
            .map(|e| pb::WalReader {
                name: e.name.clone(),
                peer: e.peer.clone(),
                start_lsn: e.start.0,
                sent_lsn: e.sent.load(Ordering::Relaxed),
                since_unix_ms: e.since_unix_ms,
            })
            .collect()
    }
}

impl Registration {
    /// WAL up to `lsn` has been handed to the stream.
    pub fn sent(&self, lsn: Lsn) {
        self.entry.sent.fetch_max(lsn.0, Ordering::Relaxed);
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        lock(&self.readers.entries).remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_is_listed_with_its_progress_until_its_registration_drops() {
        let readers = Arc::new(Readers::default());
        let a = readers.register("replica 127.0.0.1:5433", "127.0.0.1:40000", Lsn(100));
        let b = readers.register("pageserver", "127.0.0.1:40001", Lsn(50));
        a.sent(Lsn(300));
        a.sent(Lsn(200)); // never goes back
        let list = readers.list();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].name, "replica 127.0.0.1:5433");
        assert_eq!((list[0].start_lsn, list[0].sent_lsn), (100, 300));
        assert_eq!(
            (list[1].peer.as_str(), list[1].sent_lsn),
            ("127.0.0.1:40001", 50)
        );
        drop(a);
        let list = readers.list();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].name, "pageserver");
        drop(b);
        assert!(readers.list().is_empty());
    }
}
