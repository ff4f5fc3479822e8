//! Frames: how records travel and are stored.
//!
//! A record's payload is cut into one or more contiguous frames of at most
//! [`MAX_FRAME_SIZE`] bytes (header included):
//!
//! ```text
//! +--------+-------+--------+-------------------+
//! | len:u32| flags | crc:u32| payload (len bytes)|
//! +--------+-------+--------+-------------------+
//!   flags: FIRST = 1, LAST = 2; crc32c covers len, flags and payload
//! ```
//!
//! The CRC covers the header, so a corrupt length is caught before anything
//! past it is trusted, and a length is bounded by [`MAX_FRAME_PAYLOAD`] before
//! any byte of the payload is buffered. A zero length is invalid, so zeroed
//! (pre-allocated) segment space reads as "end of WAL".
//!
//! [`FrameDecoder`] takes arbitrary byte chunks and yields whole frames with
//! their `[start, end)` LSNs; safekeepers ack and readers consume whole frames
//! only, and `commit_lsn` advances only to the end of a LAST frame.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::{Error, Lsn, Record};

/// Largest frame, header included.
pub const MAX_FRAME_SIZE: usize = 1 << 20;
/// Frame header: len (4), flags (1), crc32c (4).
pub const FRAME_HEADER_SIZE: usize = 9;
/// Largest frame payload.
pub const MAX_FRAME_PAYLOAD: usize = MAX_FRAME_SIZE - FRAME_HEADER_SIZE;

/// The frame begins a record.
pub const FLAG_FIRST: u8 = 1;
/// The frame ends a record.
pub const FLAG_LAST: u8 = 2;

/// One decoded frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub start: Lsn,
    pub end: Lsn,
    pub flags: u8,
    pub payload: Bytes,
}

impl Frame {
    pub fn is_first(&self) -> bool {
        self.flags & FLAG_FIRST != 0
    }
    pub fn is_last(&self) -> bool {
        self.flags & FLAG_LAST != 0
    }
}

fn frame_crc(len: u32, flags: u8, payload: &[u8]) -> u32 {
    let mut hdr = [0u8; 5];
    hdr[..4].copy_from_slice(&len.to_le_bytes());
    hdr[4] = flags;
    crc32c::crc32c_append(crc32c::crc32c(&hdr), payload)
}

/// How many WAL bytes a payload of `payload_len` bytes occupies once framed.
pub fn framed_len(payload_len: usize) -> usize {
    let frames = payload_len.div_ceil(MAX_FRAME_PAYLOAD).max(1);
    payload_len + frames * FRAME_HEADER_SIZE
}

/// Appends `payload` to `out` as frames (FIRST on the first, LAST on the
/// last). An empty payload is not a record and is rejected by the caller's
/// types: every record payload has at least a header.
pub fn encode_frames(payload: &[u8], out: &mut BytesMut) {
    assert!(!payload.is_empty(), "a record payload is never empty");
    out.reserve(framed_len(payload.len()));
    let mut chunks = payload.chunks(MAX_FRAME_PAYLOAD).peekable();
    let mut flags = FLAG_FIRST;
    while let Some(chunk) = chunks.next() {
        if chunks.peek().is_none() {
            flags |= FLAG_LAST;
        }
        let len = chunk.len() as u32;
        out.put_u32_le(len);
        out.put_u8(flags);
        out.put_u32_le(frame_crc(len, flags, chunk));
        out.put_slice(chunk);
        flags = 0;
    }
}

/// Encodes a record into framed WAL bytes.
pub fn encode_record(record: &Record) -> BytesMut {
    let mut payload = BytesMut::with_capacity(record.payload_len());
    record.encode_payload(&mut payload);
    let mut out = BytesMut::with_capacity(framed_len(payload.len()));
    encode_frames(&payload, &mut out);
    out
}

/// How many WAL bytes `record` occupies once framed, without encoding it.
/// A writer uses it to learn a record's end LSN (which its page CRCs depend
/// on) before encoding.
pub fn record_framed_len(record: &Record) -> usize {
    framed_len(record.payload_len())
}

/// Streaming frame decoder: push byte chunks, pull whole frames.
///
/// Errors are sticky: once corrupt input is seen, every later call returns
/// the same error (the caller decides whether that is a torn tail or
/// corruption; the decoder never guesses).
#[derive(Debug)]
pub struct FrameDecoder {
    buf: BytesMut,
    /// LSN of `buf[0]`.
    lsn: Lsn,
    error: Option<Error>,
}

impl FrameDecoder {
    /// A decoder whose first byte will be at `start`.
    pub fn new(start: Lsn) -> FrameDecoder {
        FrameDecoder {
            buf: BytesMut::new(),
            lsn: start,
            error: None,
        }
    }

    /// Adds input bytes.
    pub fn push(&mut self, chunk: &[u8]) {
        self.buf.extend_from_slice(chunk);
    }

    /// The LSN up to which input has been consumed as whole frames.
    pub fn lsn(&self) -> Lsn {
        self.lsn
    }

    /// Bytes buffered but not yet a whole frame.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next whole frame, `None` if more input is needed.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, Error> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        match self.decode_one() {
            Ok(f) => Ok(f),
            Err(e) => {
                self.error = Some(e.clone());
                Err(e)
            }
        }
    }

    fn decode_one(&mut self) -> Result<Option<Frame>, Error> {
        if self.buf.len() < FRAME_HEADER_SIZE {
            return Ok(None);
        }
        let len = u32::from_le_bytes(self.buf[0..4].try_into().expect("4 bytes"));
        let flags = self.buf[4];
        if len == 0 || len as usize > MAX_FRAME_PAYLOAD {
            return Err(Error::BadFrameLength {
                lsn: self.lsn,
                len: len as u64,
            });
        }
        if flags & !(FLAG_FIRST | FLAG_LAST) != 0 {
            return Err(Error::FrameChecksum { lsn: self.lsn });
        }
        let total = FRAME_HEADER_SIZE + len as usize;
        if self.buf.len() < total {
            self.buf.reserve(total - self.buf.len());
            return Ok(None);
        }
        let stored = u32::from_le_bytes(self.buf[5..9].try_into().expect("4 bytes"));
        if frame_crc(len, flags, &self.buf[FRAME_HEADER_SIZE..total]) != stored {
            return Err(Error::FrameChecksum { lsn: self.lsn });
        }
        let mut frame = self.buf.split_to(total);
        frame.advance(FRAME_HEADER_SIZE);
        let start = self.lsn;
        self.lsn = start + total as u64;
        Ok(Some(Frame {
            start,
            end: self.lsn,
            flags,
            payload: frame.freeze(),
        }))
    }
}

/// Scans `wal` (starting at `start`) and returns the end of the last whole
/// frame and the end of the last whole record (end of a LAST frame), plus the
/// first decode error, if any. Checks every frame's CRC; copies nothing. Used
/// where WAL enters a process (an append on a safekeeper) and to find the end
/// of valid WAL on restart.
pub fn scan_frames(start: Lsn, wal: &[u8]) -> (Lsn, Lsn, Option<Error>) {
    let mut record_end = start;
    let (end, err) = walk_frames(start, wal, true, |f| {
        if f.flags & FLAG_LAST != 0 {
            record_end = f.start + f.len as u64;
        }
    });
    (end, record_end, err)
}

/// One whole frame found by [`walk_frames`]: where it starts, its flags, and
/// its bytes (header included) as `wal[offset..offset + len]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameSpan {
    pub start: Lsn,
    pub flags: u8,
    pub offset: usize,
    pub len: usize,
}

/// Walks the whole frames of `wal` (starting at `start`) without copying,
/// calling `each` for every one, and returns where the whole frames end and
/// the first error (a bad length or flags; a bad CRC only with `check_crc`).
/// The same frames and errors as [`FrameDecoder`]. Without `check_crc` it only
/// reads headers: for WAL this process encoded itself (its CRCs were computed
/// from the bytes a moment ago), so a frame is CRC-checked once per process it
/// enters, not once per layer it passes.
pub fn walk_frames(
    start: Lsn,
    wal: &[u8],
    check_crc: bool,
    mut each: impl FnMut(FrameSpan),
) -> (Lsn, Option<Error>) {
    let mut pos = 0usize;
    loop {
        let lsn = start + pos as u64;
        let rest = &wal[pos..];
        if rest.len() < FRAME_HEADER_SIZE {
            return (lsn, None);
        }
        let len = u32::from_le_bytes(rest[0..4].try_into().expect("4 bytes"));
        let flags = rest[4];
        if len == 0 || len as usize > MAX_FRAME_PAYLOAD {
            let err = Error::BadFrameLength {
                lsn,
                len: len as u64,
            };
            return (lsn, Some(err));
        }
        if flags & !(FLAG_FIRST | FLAG_LAST) != 0 {
            return (lsn, Some(Error::FrameChecksum { lsn }));
        }
        let total = FRAME_HEADER_SIZE + len as usize;
        if rest.len() < total {
            return (lsn, None);
        }
        if check_crc {
            let stored = u32::from_le_bytes(rest[5..9].try_into().expect("4 bytes"));
            if frame_crc(len, flags, &rest[FRAME_HEADER_SIZE..total]) != stored {
                return (lsn, Some(Error::FrameChecksum { lsn }));
            }
        }
        each(FrameSpan {
            start: lsn,
            flags,
            offset: pos,
            len: total,
        });
        pos += total;
    }
}
