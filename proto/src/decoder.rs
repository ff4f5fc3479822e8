//! Streaming WAL decoder: arbitrary byte chunks in, whole records out.
//!
//! Built on [`FrameDecoder`]. A record's frames are collected as *pending*
//! until its LAST frame; only then is the record decoded and returned with its
//! `[start, end)` LSNs, so a partial record is never applied. A FIRST frame
//! that arrives while a record is pending (a new term's `TermStart` after a
//! tail that ended inside a record) drops the pending partial record. The
//! pending record is bounded by the configured maximum record size.

use bytes::BytesMut;

use crate::frame::{Frame, FrameDecoder};
use crate::{Error, Lsn, Record};

/// Default maximum record size (1 GiB); larger transactions fail with 54000.
pub const DEFAULT_MAX_RECORD_SIZE: usize = 1 << 30;

/// A decoded record and the WAL range it occupies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedRecord {
    pub start: Lsn,
    pub end: Lsn,
    pub record: Record,
}

#[derive(Debug)]
struct Pending {
    start: Lsn,
    payload: BytesMut,
}

/// Push bytes, pull records.
#[derive(Debug)]
pub struct WalDecoder {
    frames: FrameDecoder,
    pending: Option<Pending>,
    max_record_size: usize,
    dropped_partials: u64,
}

impl WalDecoder {
    /// A decoder positioned at the record boundary `start`.
    pub fn new(start: Lsn) -> WalDecoder {
        WalDecoder::with_max_record_size(start, DEFAULT_MAX_RECORD_SIZE)
    }

    pub fn with_max_record_size(start: Lsn, max_record_size: usize) -> WalDecoder {
        WalDecoder {
            frames: FrameDecoder::new(start),
            pending: None,
            max_record_size,
            dropped_partials: 0,
        }
    }

    pub fn push(&mut self, chunk: &[u8]) {
        self.frames.push(chunk);
    }

    /// End of the last whole frame consumed.
    pub fn frame_lsn(&self) -> Lsn {
        self.frames.lsn()
    }

    /// Start of the record being collected, if a partial record is pending.
    pub fn pending_start(&self) -> Option<Lsn> {
        self.pending.as_ref().map(|p| p.start)
    }

    /// How many partial records a FIRST frame has dropped.
    pub fn dropped_partials(&self) -> u64 {
        self.dropped_partials
    }

    /// The next whole record, `None` if more input is needed.
    pub fn next_record(&mut self) -> Result<Option<DecodedRecord>, Error> {
        while let Some(frame) = self.frames.next_frame()? {
            if let Some(rec) = self.accept(frame)? {
                return Ok(Some(rec));
            }
        }
        Ok(None)
    }

    fn accept(&mut self, frame: Frame) -> Result<Option<DecodedRecord>, Error> {
        if frame.is_first() {
            if self.pending.take().is_some() {
                self.dropped_partials += 1;
            }
            if frame.is_last() {
                let record = Record::decode_payload(frame.payload, frame.start)?;
                return Ok(Some(DecodedRecord {
                    start: frame.start,
                    end: frame.end,
                    record,
                }));
            }
            self.check_size(frame.start, frame.payload.len())?;
            let mut payload = BytesMut::with_capacity(frame.payload.len() * 2);
            payload.extend_from_slice(&frame.payload);
            self.pending = Some(Pending {
                start: frame.start,
                payload,
            });
            return Ok(None);
        }
        let Some(pending) = self.pending.as_mut() else {
            return Err(Error::UnexpectedContinuation { lsn: frame.start });
        };
        let (start, size) = (pending.start, pending.payload.len() + frame.payload.len());
        self.check_size(start, size)?;
        let pending = self.pending.as_mut().expect("checked above");
        pending.payload.extend_from_slice(&frame.payload);
        if !frame.is_last() {
            return Ok(None);
        }
        let pending = self.pending.take().expect("checked above");
        let record = Record::decode_payload(pending.payload.freeze(), pending.start)?;
        Ok(Some(DecodedRecord {
            start: pending.start,
            end: frame.end,
            record,
        }))
    }

    fn check_size(&self, start: Lsn, size: usize) -> Result<(), Error> {
        if size > self.max_record_size {
            return Err(Error::RecordTooLarge {
                lsn: start,
                size: size as u64,
                max: self.max_record_size as u64,
            });
        }
        Ok(())
    }
}
