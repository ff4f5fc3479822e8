//! Test support: a WAL writer with an in-memory reference model of every
//! page version, and a feeder that pushes its WAL through the real codec
//! (`proto::frame` encoding, `WalDecoder`) into a timeline.

#![allow(dead_code)]

pub mod gate;
pub mod service;

use std::collections::BTreeMap;

use pageserver::{Error, LayeredTimeline, TimelineConfig};
use proto::frame::{encode_record, record_framed_len};
use proto::page::{Page, seal, set_page_lsn, zeroed_page};
use proto::redo::diff;
use proto::{Lsn, PageChange, PageKey, Record, WalDecoder};

/// Where the test timelines' WAL starts.
pub const START: Lsn = Lsn::TIMELINE_START;

/// A small configuration so freeze, flush, compaction and GC really run.
pub fn small_config() -> TimelineConfig {
    TimelineConfig {
        freeze_size: 24 << 10,
        delta_partition_size: 12 << 10,
        block_size: 2 << 10,
        image_chain_threshold: 3,
        image_layer_size: 3 * 8192,
    }
}

/// Generates WAL and remembers every page version (the reference model).
#[derive(Default, Clone)]
pub struct Workload {
    pub wal: Vec<u8>,
    /// `[start, end)` of every record, in order.
    pub records: Vec<(Lsn, Lsn)>,
    /// Every version of every page: `(end lsn, page)`, in LSN order.
    pub versions: BTreeMap<PageKey, Vec<(Lsn, Box<Page>)>>,
}

impl Workload {
    pub fn new() -> Workload {
        Workload::default()
    }

    /// The end of the WAL so far.
    pub fn end(&self) -> Lsn {
        START + self.wal.len() as u64
    }

    pub fn current(&self, key: PageKey) -> Option<&Page> {
        self.versions.get(&key)?.last().map(|(_, p)| &**p)
    }

    /// The page the model says `key` has at `lsn`.
    pub fn expected(&self, key: PageKey, lsn: Lsn) -> Option<&Page> {
        let v = self.versions.get(&key)?;
        let n = v.partition_point(|(l, _)| *l <= lsn);
        n.checked_sub(1).map(|i| &*v[i].1)
    }

    /// Appends a record whose changes `make(end_lsn)` builds (the changes'
    /// sizes must not depend on the LSN). Does not touch the model.
    pub fn commit_changes(&mut self, make: impl Fn(Lsn) -> Vec<PageChange>) -> Lsn {
        let start = self.end();
        let probe = Record::commit(0, make(Lsn(0)));
        let end = start + record_framed_len(&probe) as u64;
        // Commit timestamps: record i is stamped i seconds after the epoch.
        let record = Record::commit(self.records.len() as i64 * 1_000_000, make(end));
        let bytes = encode_record(&record);
        assert_eq!(bytes.len() as u64, end.0 - start.0);
        self.wal.extend_from_slice(&bytes);
        self.records.push((start, end));
        end
    }

    /// Commits one record writing `new` contents to each key (as a delta
    /// against the current page unless `image` is set or the page is new),
    /// and records the resulting versions in the model.
    pub fn write(&mut self, writes: Vec<(PageKey, Box<Page>, bool)>) -> Lsn {
        let olds: Vec<Option<Box<Page>>> = writes
            .iter()
            .map(|(k, _, image)| {
                let cur = self.current(*k).map(|p| Box::new(*p));
                if *image { None } else { cur }
            })
            .collect();
        let end = self.commit_changes(|lsn| {
            writes
                .iter()
                .zip(&olds)
                .map(|((k, new, _), old)| diff(*k, old.as_deref(), new, lsn))
                .collect()
        });
        for (key, mut new, _) in writes {
            set_page_lsn(&mut new, end);
            seal(&mut new);
            self.versions.entry(key).or_default().push((end, new));
        }
        end
    }

    /// The current page of `key` (or a zeroed one) with `edit` applied.
    pub fn edited(&self, key: PageKey, edit: impl FnOnce(&mut Page)) -> Box<Page> {
        let mut p = self
            .current(key)
            .map(|p| Box::new(*p))
            .unwrap_or_else(zeroed_page);
        edit(&mut p);
        p
    }

    /// Checks `tl.get_page(key, lsn)` against the model.
    pub fn check(&self, tl: &LayeredTimeline, key: PageKey, lsn: Lsn) -> Result<(), String> {
        let got = tl.get_page(key, lsn);
        let cutoff = tl.gc_cutoff();
        match (got, self.expected(key, lsn)) {
            (Err(Error::BelowGcHorizon { .. }), _) if lsn < cutoff => Ok(()),
            (_, _) if lsn < cutoff => Err(format!(
                "{key:?}@{lsn}: read below the GC cutoff {cutoff} was served"
            )),
            (Ok(page), Some(want)) if *page == *want => Ok(()),
            (Ok(_), Some(_)) => Err(format!("{key:?}@{lsn}: wrong page")),
            (Err(Error::NeverWritten { .. }), None) => Ok(()),
            (got, want) => Err(format!(
                "{key:?}@{lsn}: got {:?}, expected {}",
                got.map(|_| "a page"),
                if want.is_some() {
                    "a page"
                } else {
                    "never written"
                }
            )),
        }
    }
}

/// Feeds a workload's WAL into a timeline through `WalDecoder`.
pub struct Feeder {
    decoder: WalDecoder,
    /// Bytes of the workload's WAL pushed so far.
    pushed: usize,
}

impl Feeder {
    /// A feeder for a timeline that has ingested everything up to
    /// `tl.last_record_lsn()`: it restarts at the first record after it.
    pub fn resume(wl: &Workload, tl: &LayeredTimeline) -> Feeder {
        let last = tl.last_record_lsn();
        let start = wl
            .records
            .iter()
            .find(|(_, end)| *end > last)
            .map(|(start, _)| *start)
            .unwrap_or(wl.end());
        Feeder {
            decoder: WalDecoder::new(start),
            pushed: (start.0 - START.0) as usize,
        }
    }

    /// Pushes the rest of the WAL in chunks of `chunk` bytes and ingests
    /// every record that completes.
    pub fn feed(&mut self, wl: &Workload, tl: &mut LayeredTimeline, chunk: usize) {
        while self.pushed < wl.wal.len() {
            let n = chunk.max(1).min(wl.wal.len() - self.pushed);
            self.decoder.push(&wl.wal[self.pushed..self.pushed + n]);
            self.pushed += n;
            while let Some(rec) = self.decoder.next_record().expect("the test's WAL decodes") {
                tl.ingest(&rec).expect("ingest");
            }
        }
    }
}
