//! The tree side of a key-order scan ([`super::scan::KeyRangeStream`]): the rows of a
//! table tree in a key range at a snapshot, read in batches and decoded from the leaf
//! entries in place, skipping the keys the transaction's write set took over.
//!
//! Each batch re-seeks after the last key read (the pages at a snapshot do not change
//! under MVCC, so batches join up exactly). A leaf pruned past the snapshot
//! ([`crate::Error::NeedsOldSnapshot`]) switches the reader to the pages as of the
//! snapshot, fetched from the pageserver, and the batch is read again from its start.
//!
//! **Read-ahead.** A scan longer than one batch hands its reader to a thread of its own
//! ([`ReadAhead`]), which reads and decodes the following batches into a bounded channel
//! while the statement's thread consumes the previous ones: the B-tree walk, the MVCC
//! version choice and the row decoding (a third of a large join's time, measured) run on
//! the second core. The reader is detached state (pages at a fixed snapshot, a copy of the
//! touched keys), so the rows are the same whichever thread reads them. The thread ends
//! after the last batch, after an error (sent on), or when the stream is dropped (the
//! send fails); it reads at most [`AHEAD`] batches beyond what was consumed. Short scans
//! (one batch) never start a thread. PostgreSQL parallelizes such a scan across worker
//! processes instead (Parallel Seq Scan, each worker running the join and a partial
//! aggregate); here only the reading is overlapped.

use std::collections::{BTreeSet, VecDeque};
use std::ops::Bound;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use proto::Lsn;
use sql::DataType;
use sql::storage::ScannedRow;

use super::codec;
use super::pages::RelPages;
use crate::btree::Limits;
use crate::mvcc::VersionedTree;

/// Rows in the first batch, read on the statement's thread: a scan that ends within it
/// (most OLTP reads) starts no thread.
pub(super) const FIRST_BATCH: usize = 256;
/// Rows per batch on the read-ahead thread.
const AHEAD_BATCH: usize = 2048;
/// Batches the read-ahead thread may have ready beyond the one being consumed.
const AHEAD: usize = 2;

/// Rows with their encoded keys (empty unless [`TreeReader::merging`]).
pub(super) type Batch = VecDeque<(Vec<u8>, ScannedRow)>;

/// Reads the rows of a table tree in batches; see the module docs.
pub(super) struct TreeReader {
    pub(super) pages: RelPages,
    pub(super) limits: Limits,
    pub(super) snapshot: Lsn,
    /// Where the next batch starts (after the last key read).
    pub(super) next_lower: Bound<Vec<u8>>,
    pub(super) upper: Bound<Vec<u8>>,
    pub(super) column_types: Vec<DataType>,
    pub(super) key_types: Vec<Option<DataType>>,
    /// Keys whose state comes from the write set (skipped here).
    pub(super) touched: BTreeSet<Vec<u8>>,
    /// Whether rows keep their encoded key (to be merged with own rows by it); without
    /// own rows no key is copied.
    pub(super) merging: bool,
    /// Whether rows get their decoded key (else an empty one: only when nothing checks
    /// or writes by it, see [`sql::storage::Txn::scan_rows_only`]).
    pub(super) keys: bool,
    /// The range is exhausted.
    pub(super) done: bool,
}

impl TreeReader {
    /// The next batch of at most `max` rows (empty once [`TreeReader::done`]).
    pub(super) fn next_batch(&mut self, max: usize) -> crate::Result<Batch> {
        match self.read(max) {
            // A leaf was pruned past the snapshot: read the batch again (from after the
            // last key of the previous one) on the pages as of `S`, from the pageserver.
            // Rows of earlier batches came from leaves whose prune LSN was <= S, so they
            // stand.
            Err(crate::Error::NeedsOldSnapshot { .. })
                if self.pages.at.is_none() && self.pages.table.cache().is_some() =>
            {
                self.pages = RelPages::at(self.pages.table.clone(), self.pages.rel, self.snapshot);
                self.read(max)
            }
            r => r,
        }
    }

    fn read(&mut self, max: usize) -> crate::Result<Batch> {
        let mut batch = Batch::new();
        if self.done {
            return Ok(batch);
        }
        let tree = VersionedTree::open(self.pages.clone(), self.limits);
        let mut scan = tree.scan(
            as_slice(&self.next_lower),
            as_slice(&self.upper),
            self.snapshot,
        )?;
        let key_types: Vec<Option<&DataType>> = self.key_types.iter().map(Option::as_ref).collect();
        let mut read = 0;
        // The last key read, kept or taken over by the write set: the next batch starts
        // after it. Copied into one buffer, not per row.
        let mut last: Vec<u8> = Vec::new();
        let (touched, column_types, merging) = (&self.touched, &self.column_types, self.merging);
        let keys = self.keys;
        let ended = scan.visit(|enc, payload| {
            if touched.is_empty() || !touched.contains(enc) {
                let key = if keys {
                    codec::decode_key(enc, &key_types)?
                } else {
                    Vec::new()
                };
                let row = codec::decode_row(payload, column_types)?;
                let enc = if merging { enc.to_vec() } else { Vec::new() };
                batch.push_back((enc, ScannedRow { key, row }));
            }
            read += 1;
            last.clear();
            last.extend_from_slice(enc);
            Ok(read < max)
        })?;
        if read > 0 {
            self.next_lower = Bound::Excluded(last);
        }
        self.done = ended;
        Ok(batch)
    }
}

/// Batches read by a thread of their own; see the module docs.
pub(super) struct ReadAhead {
    batches: Receiver<crate::Result<Batch>>,
}

impl ReadAhead {
    /// Starts reading `reader`'s remaining batches on a new thread; gives the reader back
    /// if no thread could be started (the caller then reads on).
    pub(super) fn start(
        reader: Box<TreeReader>,
    ) -> std::result::Result<ReadAhead, Box<TreeReader>> {
        let (tx, rx) = sync_channel(AHEAD);
        // The reader is handed over once the thread runs, so a failed spawn keeps it.
        let (give, take) = sync_channel::<Box<TreeReader>>(1);
        let spawned = std::thread::Builder::new()
            .name("scan-ahead".into())
            .spawn(move || {
                if let Ok(reader) = take.recv() {
                    read_ahead(*reader, tx);
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "no read-ahead thread for a scan; reading inline");
            return Err(reader);
        }
        match give.send(reader) {
            Ok(()) => Ok(ReadAhead { batches: rx }),
            // The thread ended before taking it (it cannot, but the reader stays usable).
            Err(std::sync::mpsc::SendError(reader)) => Err(reader),
        }
    }

    /// The next batch; `None` after the last.
    pub(super) fn next_batch(&self) -> Option<crate::Result<Batch>> {
        self.batches.recv().ok()
    }
}

fn read_ahead(mut reader: TreeReader, tx: SyncSender<crate::Result<Batch>>) {
    while !reader.done {
        let batch = reader.next_batch(AHEAD_BATCH);
        let failed = batch.is_err();
        if tx.send(batch).is_err() || failed {
            return; // the stream was dropped, or the error is its last item
        }
    }
}

fn as_slice(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    b.as_ref().map(Vec::as_slice)
}
