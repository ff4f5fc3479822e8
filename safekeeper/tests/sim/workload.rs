//! Client records for the simulation: real `Record`s whose payloads are cut
//! into *small* frames (at most `FRAME_PAYLOAD` bytes), so multi-frame
//! records and tails ending inside a record are cheap and frequent. Readers
//! accept any frame length up to proto's maximum, so this is valid WAL.
//!
//! Each record is a real page change a pageserver can replay: a [`Writer`]
//! (one per elected proposer incarnation) keeps its pages and writes a
//! random run of bytes into one of them as a delta on the page as its
//! previous record left it (`base_lsn` and `crc_after` as `redo::diff`
//! makes them, for the record's end LSN). A writer owns the pages of its
//! own relation (its term), so a chain never depends on a record of another
//! term that may be lost; within a term the committed records are a prefix
//! of what the writer wrote, so every committed chain replays.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use proto::frame::{FLAG_FIRST, FLAG_LAST};
use proto::page::{PAGE_HEADER_SIZE, PAGE_SIZE, Page, crc_with_lsn, seal, set_page_lsn};
use proto::record::{Delta, PageBody, PageChange};
use proto::{Lsn, PageKey, Record};

use crate::rng::Rng;

pub const FRAME_PAYLOAD: usize = 48;
/// Pages per writer.
pub const BLOCKS: u32 = 4;

/// One record a client wrote: what the page holds after it.
#[derive(Debug)]
pub struct Write {
    pub key: PageKey,
    pub start: Lsn,
    pub end: Lsn,
    pub change: PageChange,
    /// The bytes written at `off`.
    pub off: usize,
    pub data: Vec<u8>,
    /// The record as WAL.
    pub wal: Bytes,
}

/// A client's pages as its own records left them.
pub struct Writer {
    rel: u32,
    pages: BTreeMap<u32, Box<Page>>,
}

impl Writer {
    /// A writer of relation `rel` (nobody else writes it).
    pub fn new(rel: u32) -> Writer {
        Writer {
            rel,
            pages: BTreeMap::new(),
        }
    }

    /// A commit record at `start` writing up to `max_len` random bytes into
    /// one of the writer's pages.
    pub fn record(&mut self, rng: &mut Rng, ts: i64, max_len: usize, start: Lsn) -> Arc<Write> {
        let block = rng.below(u64::from(BLOCKS)) as u32;
        let key = PageKey::new(self.rel, block);
        let len = 1 + rng.index(max_len);
        let off = PAGE_HEADER_SIZE + rng.index(PAGE_SIZE - PAGE_HEADER_SIZE - len);
        let data: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        let old = self.pages.get(&block);
        let base_lsn = old.map_or(Lsn::INVALID, |p| proto::page::page_lsn(p));
        let mut page = old.cloned().unwrap_or_else(proto::page::zeroed_page);
        page[off..off + len].copy_from_slice(&data);
        let mut change = PageChange {
            key,
            base_lsn,
            body: PageBody::Delta(Delta::from_runs([(off as u16, &data[..])])),
            crc_after: 0,
        };
        // The CRC depends on the end LSN, the length does not on the CRC.
        let end = start + encode(ts, &change).len() as u64;
        change.crc_after = crc_with_lsn(&page, end);
        set_page_lsn(&mut page, end);
        seal(&mut page);
        self.pages.insert(block, page);
        let wal = encode(ts, &change);
        debug_assert_eq!(start + wal.len() as u64, end);
        Arc::new(Write {
            key,
            start,
            end,
            change,
            off,
            data,
            wal,
        })
    }
}

fn encode(ts: i64, change: &PageChange) -> Bytes {
    let record = Record::commit(ts, vec![change.clone()]);
    let mut payload = BytesMut::new();
    record.encode_payload(&mut payload);
    small_frames(&payload)
}

fn small_frames(payload: &[u8]) -> Bytes {
    let mut out = BytesMut::new();
    let n = payload.len().div_ceil(FRAME_PAYLOAD);
    for (i, chunk) in payload.chunks(FRAME_PAYLOAD).enumerate() {
        let mut flags = 0;
        if i == 0 {
            flags |= FLAG_FIRST;
        }
        if i + 1 == n {
            flags |= FLAG_LAST;
        }
        let len = chunk.len() as u32;
        let mut hdr = [0u8; 5];
        hdr[..4].copy_from_slice(&len.to_le_bytes());
        hdr[4] = flags;
        let crc = crc32c::crc32c_append(crc32c::crc32c(&hdr), chunk);
        out.put_u32_le(len);
        out.put_u8(flags);
        out.put_u32_le(crc);
        out.put_slice(chunk);
    }
    out.freeze()
}
