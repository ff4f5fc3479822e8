//! The proposer's window of WAL: whole frames from `base` to `end`.
//!
//! Holds the WAL the proposer may still have to send: its own records (from
//! the term's start) and, while acceptors are being synced, the donor's WAL
//! fetched below the term start. Frames are kept as zero-copy slices with
//! their start LSNs, so any frame boundary can begin an `Append`.
//! Invariants: frames are contiguous, `base` is the first frame's start and
//! `end` the last frame's end (`base == end` when empty).

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use proto::Lsn;
use proto::frame::walk_frames;

use crate::error::{Error, Result};

/// One whole frame, header included.
#[derive(Clone, Debug)]
pub struct RawFrame {
    pub start: Lsn,
    pub flags: u8,
    pub bytes: Bytes,
}

impl RawFrame {
    pub fn end(&self) -> Lsn {
        self.start + self.bytes.len() as u64
    }
}

/// Splits `bytes` (starting at `start`) into whole frames, zero-copy;
/// trailing bytes that are not a whole frame are an error. `check_crc` for
/// WAL from another process (a donor's); the proposer's own records were
/// framed by this process a moment ago, so only their headers are read.
pub fn split_frames(start: Lsn, bytes: &Bytes, check_crc: bool) -> Result<Vec<RawFrame>> {
    let mut frames = Vec::new();
    let (end, err) = walk_frames(start, bytes, check_crc, |f| {
        frames.push(RawFrame {
            start: f.start,
            flags: f.flags,
            bytes: bytes.slice(f.offset..f.offset + f.len),
        });
    });
    if let Some(source) = err {
        return Err(Error::CorruptWal { lsn: end, source });
    }
    if end != start + bytes.len() as u64 {
        return Err(Error::InvalidRequest(format!(
            "WAL ends inside a frame at {end}"
        )));
    }
    Ok(frames)
}

#[derive(Debug)]
pub struct WalBuffer {
    base: Lsn,
    end: Lsn,
    frames: VecDeque<RawFrame>,
}

impl WalBuffer {
    /// An empty window at `lsn`.
    pub fn new(lsn: Lsn) -> WalBuffer {
        WalBuffer {
            base: lsn,
            end: lsn,
            frames: VecDeque::new(),
        }
    }

    pub fn base(&self) -> Lsn {
        self.base
    }
    pub fn end(&self) -> Lsn {
        self.end
    }

    /// Adds frames that start at `end`.
    pub fn push_back(&mut self, frames: Vec<RawFrame>) {
        for f in frames {
            assert_eq!(f.start, self.end, "frames are pushed contiguously");
            self.end = f.end();
            self.frames.push_back(f);
        }
    }

    /// Adds frames that end at `base` (fetched from a donor).
    pub fn push_front(&mut self, frames: Vec<RawFrame>) -> Result<()> {
        let (Some(first), Some(last)) = (frames.first(), frames.last()) else {
            return Ok(());
        };
        if last.end() != self.base {
            return Err(Error::Invariant(format!(
                "donor WAL [{}, {}) does not end at the window base {}",
                first.start,
                last.end(),
                self.base
            )));
        }
        self.base = first.start;
        for f in frames.into_iter().rev() {
            self.frames.push_front(f);
        }
        Ok(())
    }

    /// Up to `max_bytes` of whole frames starting at the frame boundary `at`
    /// (at least one frame, however large). `None` if `at` is outside the
    /// window or not a frame boundary.
    pub fn chunk(&self, at: Lsn, max_bytes: usize) -> Option<Bytes> {
        let i = self.frames.binary_search_by_key(&at, |f| f.start).ok()?;
        let first = &self.frames[i];
        let mut total = first.bytes.len();
        let mut n = 1;
        for f in self.frames.range(i + 1..) {
            if total + f.bytes.len() > max_bytes {
                break;
            }
            total += f.bytes.len();
            n += 1;
        }
        if n == 1 {
            return Some(first.bytes.clone());
        }
        let mut out = BytesMut::with_capacity(total);
        for f in self.frames.range(i..i + n) {
            out.extend_from_slice(&f.bytes);
        }
        Some(out.freeze())
    }

    /// Drops whole frames that end at or below `lsn`.
    pub fn trim_below(&mut self, lsn: Lsn) {
        while let Some(f) = self.frames.front() {
            if f.end() > lsn {
                break;
            }
            self.base = f.end();
            self.frames.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::Record;
    use proto::frame::encode_record;

    fn rec(ts: i64) -> Bytes {
        encode_record(&Record::commit(ts, Vec::new())).freeze()
    }

    #[test]
    fn chunks_trims_and_prepends_at_frame_boundaries() {
        let start = Lsn(1000);
        let r = rec(1);
        let len = r.len() as u64;
        let mut all = BytesMut::new();
        for i in 0..4 {
            all.extend_from_slice(&rec(i));
        }
        let all = all.freeze();
        let frames = split_frames(start, &all, true).unwrap();
        assert_eq!(frames.len(), 4);
        let mut buf = WalBuffer::new(start + 2 * len);
        buf.push_back(frames[2..].to_vec());
        assert_eq!(buf.end(), start + 4 * len);
        assert_eq!(buf.chunk(start, 1000), None, "below the window");
        assert_eq!(buf.chunk(start + 2 * len + 1, 1000), None, "not a boundary");
        buf.push_front(frames[..2].to_vec()).unwrap();
        assert_eq!(
            buf.chunk(start, 1).unwrap().len() as u64,
            len,
            "one frame at least"
        );
        assert_eq!(
            buf.chunk(start, 2 * len as usize + 1).unwrap(),
            all.slice(..2 * len as usize)
        );
        buf.trim_below(start + len + 1);
        assert_eq!(buf.base(), start + len);
        assert!(buf.push_front(frames[..1].to_vec()).is_ok());
        assert!(buf.push_front(frames[..1].to_vec()).is_err());
        assert!(split_frames(start, &all.slice(..5), true).is_err());
    }
}
