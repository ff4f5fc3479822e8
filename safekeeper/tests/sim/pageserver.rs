//! The pageserver in the simulated world: the real ingest and read code of
//! the `pageserver` crate over the safekeepers' real committed read.
//!
//! - **Ingest** (`pageserver_ingest`): committed WAL from a random
//!   safekeeper (`World::committed_chunks`: the real `read_wal`
//!   chunks, locally or from offloaded segments), cut into pieces of 1 to 8
//!   whole frames, goes piece by piece into the pageserver's stream core
//!   (`ingest::StreamDecoder`: skip what was consumed, refuse gaps, whole
//!   records out, a partial record dropped by the next term's `TermStart`),
//!   a quarter of them with part of the stream's previous piece resent in
//!   front; the records go into the real in-memory layers
//!   (`LayerMap::ingest`, frozen at a small size). A stream reconnects now
//!   and then at the last record boundary, as `ingest::run` does.
//! - **Flush** (`pageserver_flush`): the open layer is frozen; the frozen
//!   layers stand for the delta files written from them; the last one's
//!   end is the remote-consistent LSN reported to safekeepers. A restart
//!   keeps only those (`LayerMap::with_frozen`) and streams again after them.
//! - **Reads**: `reconstruct::reconstruct` (the real redo over the layers).
//!
//! Checked against [`PageModel`], built from what the clients wrote (not
//! from the pageserver): every decoded record is, byte for byte, a record a
//! client wrote at that LSN and is committed WAL; every acknowledged record
//! reads back at its end LSN (its page stamped with that LSN, its bytes, its
//! CRC) once the pageserver has ingested past it, and at the end all of them
//! have; a page at any LSN is exactly what the last committed write at or
//! below it left, and a page no committed record wrote does not exist.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use pageserver::ingest::StreamDecoder;
use pageserver::inmemory_layer::InMemoryLayer;
use pageserver::tombstones::Tombstones;
use pageserver::{LayerMap, reconstruct};
use proto::frame::FRAME_HEADER_SIZE;
use proto::{DecodedRecord, Lsn, PageKey, RecordKind};
use safekeeper::server::pageserver_calls::take_feedback;

use crate::START;
use crate::checker::off;
use crate::rng::Rng;
use crate::workload::Write;
use crate::world::World;

/// The in-memory layer's freeze size: small, so reads cross many layers.
const FREEZE_SIZE: usize = 2048;

type Check = Result<(), String>;

/// The simulated pageserver (generation 1).
pub struct Pageserver {
    layers: LayerMap,
    /// Frozen layers made remote-consistent (standing for their delta
    /// files): what a restart keeps.
    flushed: Vec<Arc<InMemoryLayer>>,
    /// The WAL stream, while connected.
    stream: Option<StreamDecoder>,
    /// The stream's last chunk (a source may send part of it again).
    last_chunk: Option<(Lsn, Bytes)>,
    /// Flushed and reported: where a restart resumes.
    pub consistent: Lsn,
    /// Some record boundaries it ingested up to: where a reader of older
    /// WAL may start.
    pub points: Vec<Lsn>,
}

impl Default for Pageserver {
    fn default() -> Pageserver {
        Pageserver {
            layers: LayerMap::new(InMemoryLayer::new(START, START)),
            flushed: Vec::new(),
            stream: None,
            last_chunk: None,
            consistent: Lsn::INVALID,
            points: Vec::new(),
        }
    }
}

impl Pageserver {
    pub fn last_record_lsn(&self) -> Lsn {
        self.layers.open_layer().last_record_lsn()
    }

    /// A crash: what was not flushed is gone.
    fn restart(&mut self) {
        self.layers = LayerMap::with_frozen(START, self.flushed.clone(), Tombstones::default());
        self.stream = None;
        self.last_chunk = None;
    }
}

/// `wal` (whole frames from `start`) cut into chunks of 1 to 8 whole
/// frames, as a source with a small chunk size sends them.
fn split_at_frames(rng: &mut Rng, start: Lsn, wal: Bytes) -> Vec<(Lsn, Bytes)> {
    let mut out = Vec::new();
    let (mut from, mut at, mut frames) = (0, 0, 0);
    let mut want = 1 + rng.below(8);
    while at + FRAME_HEADER_SIZE <= wal.len() {
        let len = u32::from_le_bytes(wal[at..at + 4].try_into().expect("4 bytes")) as usize;
        at = (at + FRAME_HEADER_SIZE + len).min(wal.len());
        frames += 1;
        if frames == want {
            out.push((start + from as u64, wal.slice(from..at)));
            (from, frames, want) = (at, 0, 1 + rng.below(8));
        }
    }
    if from < wal.len() {
        out.push((start + from as u64, wal.slice(from..)));
    }
    out
}

/// What the clients wrote and which of it is committed and acknowledged.
#[derive(Default)]
pub struct PageModel {
    /// Every client record, by start LSN (competing proposers may write
    /// at the same LSN).
    written: BTreeMap<Lsn, Vec<Arc<Write>>>,
    /// Every page a client wrote.
    keys: BTreeSet<PageKey>,
    /// Committed writes per page, by end LSN.
    committed: BTreeMap<PageKey, BTreeMap<Lsn, Arc<Write>>>,
    /// Acknowledged writes the pageserver has not been checked to serve
    /// yet, by end LSN.
    acked: BTreeMap<Lsn, Arc<Write>>,
}

impl PageModel {
    pub fn written(&mut self, w: Arc<Write>) {
        self.keys.insert(w.key);
        self.written.entry(w.start).or_default().push(w);
    }

    /// The proposer reported the record `wal` at `start` durable.
    pub fn acknowledged(&mut self, start: Lsn, wal: &Bytes) -> Check {
        let w = self
            .written
            .get(&start)
            .and_then(|ws| ws.iter().find(|w| w.wal == *wal))
            .ok_or_else(|| format!("the durable record at {start} was never written"))?;
        self.acked.insert(w.end, w.clone());
        Ok(())
    }

    /// The pageserver decoded `rec` out of committed WAL (`golden`).
    fn decoded(&mut self, rec: &DecodedRecord, golden: &[u8]) -> Check {
        if rec.record.kind != RecordKind::Commit {
            return match rec.record.page_changes.is_empty() {
                true => Ok(()),
                false => Err(format!(
                    "the pageserver decoded page changes in a {:?} record at {}",
                    rec.record.kind, rec.start
                )),
            };
        }
        let wal = golden.get(off(rec.start)..off(rec.end));
        let w = self
            .written
            .get(&rec.start)
            .and_then(|ws| ws.iter().find(|w| Some(&w.wal[..]) == wal))
            .ok_or_else(|| {
                format!(
                    "the pageserver decoded a record [{}, {}) that is no client's committed record",
                    rec.start, rec.end
                )
            })?;
        if rec.end != w.end || rec.record.page_changes != [w.change.clone()] {
            return Err(format!(
                "the pageserver decoded the record at {} as [{}, {}) with changes {:?}, not as \
                 written",
                rec.start, rec.start, rec.end, rec.record.page_changes
            ));
        }
        self.committed
            .entry(w.key)
            .or_default()
            .insert(w.end, w.clone());
        Ok(())
    }

    /// The last committed write of `key` at or below `lsn`.
    fn expected(&self, key: PageKey, lsn: Lsn) -> Option<&Arc<Write>> {
        self.committed
            .get(&key)?
            .range(..=lsn)
            .next_back()
            .map(|(_, w)| w)
    }
}

impl World {
    /// The pageserver: crash, ingest, read older WAL, or flush and report.
    pub fn pageserver_step(&mut self) -> Check {
        match self.rng.below(11) {
            0 if self.faults => {
                self.pageserver.restart();
                self.counts.pageserver_restarts += 1;
                Ok(())
            }
            0..6 => {
                let k = self.rng.index(self.acceptors.len());
                self.pageserver_ingest(k)
            }
            6 => {
                // A reader of older WAL (a pageserver attaching a branch
                // point, a replica starting from its snapshot) streams
                // committed WAL from a record boundary it knows: below a
                // safekeeper's local start that comes from the offloaded
                // segments, at any offset in them.
                if self.pageserver.points.is_empty() {
                    return Ok(());
                }
                let from = self.pageserver.points[self.rng.index(self.pageserver.points.len())];
                let k = self.rng.index(self.acceptors.len());
                let Some(tl) = self.acceptors[k].tl.as_ref() else {
                    return Ok(());
                };
                let commit = tl.snapshot().state.commit_lsn;
                if commit > from {
                    self.committed_read(k, from, commit, "a reader of older WAL")?;
                }
                Ok(())
            }
            _ => {
                if self.rng.chance(60) {
                    self.pageserver_flush();
                }
                let lsn = self.pageserver.consistent;
                if !lsn.is_valid() {
                    return Ok(());
                }
                for k in 0..self.acceptors.len() {
                    let Some(tl) = self.acceptors[k].tl.clone() else {
                        continue;
                    };
                    // `generations::feedback` refuses an LSN above commit_lsn.
                    if self.rng.chance(50) || lsn > tl.snapshot().state.commit_lsn {
                        continue;
                    }
                    let _ = tl.with_core_blocking(move |tl, core| {
                        tl.update_pageserver(core, false, |ps| take_feedback(ps, 1, lsn))
                    });
                }
                Ok(())
            }
        }
    }

    /// Freezes and "writes out" the open layer; returns the new
    /// remote-consistent LSN (the last flushed layer's last record).
    pub fn pageserver_flush(&mut self) -> Lsn {
        let ps = &mut self.pageserver;
        ps.layers.freeze_open();
        ps.flushed = ps.layers.frozen_layers().to_vec();
        if let Some(l) = ps.flushed.last() {
            ps.consistent = l.last_record_lsn();
        }
        ps.consistent
    }

    /// The pageserver streams node `k`'s committed WAL up to its
    /// `commit_lsn`, ingests it, and is checked.
    pub fn pageserver_ingest(&mut self, k: usize) -> Check {
        let Some(tl) = self.acceptors[k].tl.as_ref() else {
            return Ok(());
        };
        let commit = tl.snapshot().state.commit_lsn;
        let id = self.acceptors[k].id;
        let reconnect = self.rng.chance(20);
        let ps = &mut self.pageserver;
        if reconnect || ps.stream.is_none() {
            ps.stream = Some(StreamDecoder::new(ps.last_record_lsn()));
            ps.last_chunk = None;
        }
        let from = ps.stream.as_ref().map_or(START, |s| s.pos());
        if commit <= from {
            return Ok(());
        }
        let mut chunks = Vec::new();
        for (start, wal) in self.committed_chunks(k, from, commit, "the pageserver")? {
            chunks.extend(split_at_frames(&mut self.rng, start, wal));
        }
        for (start, wal) in chunks {
            // A source may resend what was consumed (ingest skips it).
            let (start, wal) = match self.pageserver.last_chunk.take() {
                Some((p, pw)) if self.rng.chance(25) => {
                    let cut = self.rng.index(pw.len());
                    let mut both = BytesMut::from(&pw[cut..]);
                    both.extend_from_slice(&wal);
                    (p + cut as u64, both.freeze())
                }
                _ => (start, wal),
            };
            let ps = &mut self.pageserver;
            let stream = ps.stream.as_mut().expect("connected");
            let records = stream.push(start, &wal).map_err(|e| {
                format!("the pageserver's stream from safekeeper {id} at {start}: {e}")
            })?;
            for rec in &records {
                self.model.decoded(rec, &self.checker.golden)?;
                let ps = &mut self.pageserver;
                ps.layers.ingest(rec, FREEZE_SIZE).map_err(|e| {
                    format!("the pageserver refused the record at {}: {e}", rec.start)
                })?;
            }
            self.pageserver.last_chunk = Some((start, wal));
        }
        let last = self.pageserver.last_record_lsn();
        let points = &mut self.pageserver.points;
        if points.len() < 32 {
            points.push(last);
        } else {
            points[self.rng.index(32)] = last;
        }
        self.check_pages()
    }

    /// Every acknowledged write the pageserver has reached reads back, and
    /// so do a few random pages at random LSNs.
    fn check_pages(&mut self) -> Check {
        let last = self.pageserver.last_record_lsn();
        let due: Vec<Arc<Write>> = self
            .model
            .acked
            .range(..=last)
            .map(|(_, w)| w.clone())
            .collect();
        for w in due {
            self.check_page(w.key, w.end)?;
            self.model.acked.remove(&w.end);
            self.counts.acked_pages_read += 1;
        }
        if self.model.keys.is_empty() || last <= START {
            return Ok(());
        }
        for _ in 0..2 {
            let key = *self
                .model
                .keys
                .iter()
                .nth(self.rng.index(self.model.keys.len()))
                .expect("in range");
            let lsn = START + self.rng.below(last.distance_from(START) + 1);
            self.check_page(key, lsn)?;
        }
        Ok(())
    }

    /// The pageserver's page `key` at `lsn` is what the last committed write
    /// at or below `lsn` left (`NeverWritten` if none).
    fn check_page(&mut self, key: PageKey, lsn: Lsn) -> Check {
        self.counts.pages_read += 1;
        let got = reconstruct::reconstruct(&self.pageserver.layers, key, lsn);
        match (self.model.expected(key, lsn), got) {
            (None, Err(pageserver::Error::NeverWritten { .. })) => Ok(()),
            (None, Ok(page)) => Err(format!(
                "the pageserver has page {key:?} at {lsn} (page LSN {}) that no committed record \
                 wrote",
                proto::page::page_lsn(&page)
            )),
            (Some(w), Ok(page)) => {
                let (at, len) = (w.off, w.data.len());
                if proto::page::page_lsn(&page) != w.end
                    || proto::page::stored_crc(&page) != w.change.crc_after
                    || page[at..at + len] != w.data[..]
                {
                    return Err(format!(
                        "the pageserver's page {key:?} at {lsn} (page LSN {}) is not what the \
                         committed write at {} left",
                        proto::page::page_lsn(&page),
                        w.end
                    ));
                }
                Ok(())
            }
            (w, Err(e)) => Err(format!(
                "the pageserver cannot read page {key:?} at {lsn} (last committed write: {:?}): \
                 {e}",
                w.map(|w| w.end)
            )),
        }
    }

    /// At the end: the pageserver restarts and streams everything after
    /// its consistent LSN from every safekeeper in turn (nobody needs
    /// trimmed WAL); then every acknowledged record has been read back, and
    /// every page reads as its last committed write left it.
    pub fn pageserver_final(&mut self) -> Check {
        for k in 0..self.acceptors.len() {
            self.pageserver.restart();
            self.pageserver_ingest(k)?;
        }
        if let Some((end, w)) = self.model.acked.first_key_value() {
            return Err(format!(
                "{} acknowledged records never read back from the pageserver (the first: {:?} \
                 at {end}, the pageserver at {})",
                self.model.acked.len(),
                w.key,
                self.pageserver.last_record_lsn()
            ));
        }
        let last = self.pageserver.last_record_lsn();
        let keys: Vec<PageKey> = self.model.keys.iter().copied().collect();
        for key in keys {
            self.check_page(key, last)?;
        }
        Ok(())
    }
}
