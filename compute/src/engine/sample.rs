//! ANALYZE's sample ([`sql::storage::Txn::sample`]) without decoding every row: the table
//! tree is read at the statement's snapshot, every visible row is counted, and only the rows
//! the [`Reservoir`] keeps are decoded (it decides from a row's position alone). Decoding
//! a row into SQL values is most of what a full scan costs, and a 30 000-row sample of a
//! million-row table keeps about 135 000 of them.
//!
//! The rows offered are exactly those of a full scan ([`super::scan`]), in key order: when
//! the transaction wrote to the table, whose rows the scan merges with the tree, the sample
//! is taken from that scan instead. A leaf pruned past the snapshot continues on the pages
//! as of the snapshot, as the scan does.

use std::ops::Bound;

use sql::Result;
use sql::storage::{Access, Reservoir, TableId};

use super::codec;
use super::pages::RelPages;
use super::storage_error;
use super::txn::EngineTxn;
use crate::mvcc::VersionedTree;

impl EngineTxn {
    pub(super) fn sample_rows(&self, table: TableId, sample: &mut Reservoir) -> Result<()> {
        let entry = self.entry(table)?;
        if self.writes.has_rows(table) {
            for r in self.scan_rows(entry, &Access::Full)? {
                sample.add(r?.row);
            }
            return Ok(());
        }
        if !self.rel_exists(entry.rel()) {
            return Ok(());
        }
        let snapshot = self.snapshot()?;
        let column_types = entry.column_types();
        let mut pages = self.shared.rel_pages_scan(entry.rel());
        // The last key offered: a scan resumed on older pages starts after it.
        let mut last: Option<Vec<u8>> = None;
        loop {
            let lower = last.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
            let tree = VersionedTree::open(pages.clone(), self.shared.config.limits);
            let result = tree
                .scan(lower, Bound::Unbounded, snapshot)
                .and_then(|scan| {
                    for item in scan {
                        let (key, payload) = item?;
                        if let Some(slot) = sample.offer() {
                            let row = codec::decode_row(&payload, &column_types)?;
                            sample.put(slot, row);
                        }
                        last = Some(key);
                    }
                    Ok(())
                });
            match result {
                Err(crate::Error::NeedsOldSnapshot { .. })
                    if pages.at.is_none() && pages.table.cache().is_some() =>
                {
                    pages = RelPages::at(pages.table.clone(), pages.rel, snapshot);
                }
                r => return r.map_err(storage_error),
            }
        }
    }
}
