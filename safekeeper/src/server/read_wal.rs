//! `ReadWal`: stream a timeline's WAL as whole frames, then tail it live.
//!
//! - **Committed reads** (the default: pageservers, replicas, recovering
//!   peers) are bounded by `commit_lsn`, which never goes back, and read
//!   without the timeline lock through a `WalReader`. WAL below the local
//!   start (trimmed after offload) is read from object storage, one segment
//!   object per `remote_storage::layout::wal_segment_key`.
//! - **Donor reads** (`include_uncommitted`) are bounded by `flush_lsn` and
//!   run under the timeline lock, after
//!   [`Acceptor::check_donor_read`](crate::Acceptor::check_donor_read) for
//!   the requested term, so no later proposer can truncate the bytes
//!   between the check and the read. A term mismatch is
//!   `FAILED_PRECONDITION`.
//! - Every chunk ends at a frame boundary (at most [`CHUNK_BYTES`] plus one
//!   frame) and carries the current `commit_lsn` and term. At the bound the
//!   stream ends if `stop_at_commit`, else it waits on the timeline's watch
//!   channel for the bound to advance. Any number of readers run at once.
//! - A reader that names itself (`ReadWalRequest.reader`) is listed in
//!   `Status` with its progress while its stream runs ([`super::readers`]).

use std::sync::Arc;

use bytes::Bytes;
use futures::Stream;
use proto::frame::{FRAME_HEADER_SIZE, MAX_FRAME_SIZE, scan_frames};
use proto::grpc::required_timeline;
use proto::grpc::safekeeper as pb;
use proto::{Lsn, TimelineId};
use remote_storage::RemoteStorage;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;
use tracing::{Instrument, debug};

use super::Context;
use super::readers::Registration;
use super::service::{invalid, status};
use super::timeline::Timeline;
use crate::error::{Error, Result};
use crate::storage::StorageError;
use crate::storage::layout::{pieces, segment_start};

/// Target size of one `WalChunk`.
pub const CHUNK_BYTES: u64 = 1 << 20;

/// Validates the request and starts streaming.
pub async fn serve(
    ctx: Arc<Context>,
    r: pb::ReadWalRequest,
    peer: String,
) -> Result<impl Stream<Item = Result<pb::WalChunk, Status>> + Send + 'static, Status> {
    let id = required_timeline(r.timeline.as_ref()).map_err(invalid)?;
    if r.start_lsn == 0 {
        return Err(Status::invalid_argument("start_lsn must be a valid LSN"));
    }
    let tl = ctx.get(&id).map_err(status)?;
    let start = Lsn(r.start_lsn);
    let timeline_start = tl.snapshot().state.timeline_start_lsn;
    if start < timeline_start {
        return Err(Status::out_of_range(format!(
            "start_lsn {start} is below the timeline start {timeline_start}"
        )));
    }
    if r.include_uncommitted && r.term != 0 {
        // Fail the call itself, not just the stream, when the donor moved on.
        let (term, end) = (r.term, start);
        tl.with_core(move |_, core| core.acceptor.check_donor_read(term, start, end))
            .await
            .map_err(donor_status)?;
    }
    let (tx, rx) = mpsc::channel(4);
    let registration =
        (!r.reader.is_empty()).then(|| tl.readers().register(&r.reader, &peer, start));
    let reader = Reader {
        registration,
        tl,
        remote: ctx.remote.clone(),
        pos: start,
        request: r,
    };
    let cancel = ctx.cancel.clone();
    tokio::spawn(
        async move {
            tokio::select! {
                _ = cancel.cancelled() => {}
                _ = tx.closed() => {}
                res = reader.run(&tx) => if let Err(s) = res {
                    debug!(status = %s, "ReadWal ended with an error");
                    let _ = tx.send(Err(s)).await;
                }
            }
        }
        .in_current_span(),
    );
    Ok(ReceiverStream::new(rx))
}

fn donor_status(e: Error) -> Status {
    match e {
        Error::Fenced { .. } | Error::InvalidRequest(_) => {
            Status::failed_precondition(e.to_string())
        }
        other => status(other),
    }
}

struct Reader {
    /// Listed in `Status` while the stream runs (a named reader).
    registration: Option<Registration>,
    tl: Arc<Timeline>,
    remote: Option<RemoteStorage>,
    pos: Lsn,
    request: pb::ReadWalRequest,
}

impl Reader {
    async fn run(mut self, tx: &mpsc::Sender<Result<pb::WalChunk, Status>>) -> Result<(), Status> {
        let mut watch = self.tl.subscribe();
        loop {
            let snap = watch.borrow_and_update().clone();
            let s = &snap.state;
            let bound = if self.request.include_uncommitted {
                s.flush_lsn
            } else {
                s.commit_lsn
            };
            if self.pos < bound {
                let wal = if self.request.include_uncommitted {
                    self.read_donor(bound).await?
                } else {
                    self.read_committed(bound, snap.wal_start).await?
                };
                let chunk = pb::WalChunk {
                    start_lsn: self.pos.0,
                    commit_lsn: s.commit_lsn.0,
                    term: s.term,
                    wal: wal.clone(),
                };
                self.pos = self.pos + wal.len() as u64;
                if tx.send(Ok(chunk)).await.is_err() {
                    return Ok(());
                }
                if let Some(r) = &self.registration {
                    r.sent(self.pos);
                }
                continue;
            }
            if self.request.stop_at_commit {
                return Ok(());
            }
            if self.request.include_uncommitted
                && self.request.term != 0
                && s.term != self.request.term
            {
                return Err(Status::failed_precondition(format!(
                    "the safekeeper moved to term {} (reader expects {})",
                    s.term, self.request.term
                )));
            }
            if watch.changed().await.is_err() {
                return Ok(());
            }
        }
    }

    /// Committed WAL `[pos, ≤ bound)`, whole frames, from local segments or
    /// object storage.
    async fn read_committed(&self, bound: Lsn, wal_start: Lsn) -> Result<Bytes, Status> {
        let source = ServerWal {
            tl: &self.tl,
            remote: self.remote.as_ref(),
        };
        committed_chunk(&source, self.pos, bound, wal_start).await
    }

    /// Uncommitted WAL for a donor read, under the timeline lock.
    async fn read_donor(&self, bound: Lsn) -> Result<Bytes, Status> {
        let (pos, term) = (self.pos, self.request.term);
        let end = window_end(pos, bound);
        let buf = self
            .tl
            .with_core(move |_, core| {
                if term != 0 {
                    core.acceptor.check_donor_read(term, pos, end)?;
                }
                let end = end.min(core.acceptor.flush_lsn());
                Ok(core.files.wal.read(pos, end)?)
            })
            .await
            .map_err(donor_status)?;
        whole_frames(pos, Bytes::from(buf), true).map_err(|bad| {
            let segment = segment_start(bad.lsn, self.tl.segment_size());
            let path = self.tl.reader().segment_path(segment);
            let offset = bad.lsn.distance_from(segment);
            locate(bad, &Origin::Local(path.display().to_string()), offset)
        })
    }
}

/// The end of the next read: a chunk plus room for one whole frame.
fn window_end(pos: Lsn, bound: Lsn) -> Lsn {
    let window = CHUNK_BYTES + MAX_FRAME_SIZE as u64;
    if bound.distance_from(pos) <= window {
        bound
    } else {
        pos + window
    }
}

/// WAL that does not cut into whole frames where it should: the LSN of the bad frame, where
/// its header says it ends (if it says anything sane), and why.
struct BadFrame {
    lsn: Lsn,
    end: Option<Lsn>,
    message: String,
}

/// Where bytes of WAL were read from, to name it when they are damaged.
enum Origin {
    /// A local segment file.
    Local(String),
    /// An offloaded segment object.
    Remote(String),
}

impl Origin {
    fn describe(&self) -> String {
        match self {
            Origin::Local(path) => format!("segment file {path}"),
            Origin::Remote(key) => format!("offloaded segment object {key}"),
        }
    }
}

/// A `DATA_LOSS` status for `bad`, naming the file or object and the offset in it.
fn locate(bad: BadFrame, origin: &Origin, offset: u64) -> Status {
    Status::data_loss(format!(
        "{} at {} in {}, offset {offset}",
        bad.message,
        bad.lsn,
        origin.describe()
    ))
}

/// Cuts `buf` (starting at `pos`) after its last whole frame, at most
/// [`CHUNK_BYTES`] past `pos` unless one frame is longer.
fn whole_frames(pos: Lsn, buf: Bytes, ends_at_bound: bool) -> Result<Bytes, BadFrame> {
    let (frames_end, _, err) = scan_frames(pos, &buf);
    if let Some(e) = err {
        // The bad frame's claimed extent: a damaged byte may lie anywhere in it, and it
        // may continue past the segment it starts in.
        let at = frames_end.distance_from(pos) as usize;
        let end = buf
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .filter(|&len| len > 0 && len <= MAX_FRAME_SIZE - FRAME_HEADER_SIZE)
            .map(|len| frames_end + (FRAME_HEADER_SIZE + len) as u64);
        return Err(BadFrame {
            lsn: frames_end,
            end,
            message: format!(
                "no valid frame (corrupt WAL, or a start_lsn that is not a frame boundary: {e})"
            ),
        });
    }
    let mut len = frames_end.distance_from(pos) as usize;
    if len == 0 {
        return Err(BadFrame {
            lsn: pos,
            end: None,
            message: format!(
                "no whole frame in {} bytes of WAL{}",
                buf.len(),
                if ends_at_bound {
                    " up to the bound"
                } else {
                    ""
                }
            ),
        });
    }
    // Prefer to stop at a frame boundary near CHUNK_BYTES.
    if len as u64 > CHUNK_BYTES {
        let (cut, _, _) = scan_frames(pos, &buf[..CHUNK_BYTES as usize]);
        let cut = cut.distance_from(pos) as usize;
        if cut > 0 {
            len = cut;
        }
    }
    Ok(buf.slice(..len))
}

/// WAL bytes read by [`read_range`], and where each segment's piece came from.
pub struct WalRange {
    pub bytes: Bytes,
    /// `(segment start, first LSN read from it, origin)`, ascending.
    origins: Vec<(Lsn, Lsn, Origin)>,
}

impl WalRange {
    /// A `DATA_LOSS` status for `bad`, naming the file or object holding its LSN — and every
    /// later one the frame runs into, since the damaged byte may be in any of them.
    fn locate(&self, bad: BadFrame) -> Status {
        let holding = self
            .origins
            .iter()
            .rposition(|(_, from, _)| *from <= bad.lsn);
        let Some(i) = holding else {
            return Status::data_loss(format!("{} at {}", bad.message, bad.lsn));
        };
        let continues: Vec<String> = match bad.end {
            Some(end) => self.origins[i + 1..]
                .iter()
                .filter(|(_, from, _)| *from < end)
                .map(|(_, _, origin)| origin.describe())
                .collect(),
            None => Vec::new(),
        };
        let (segment, _, origin) = &self.origins[i];
        let offset = bad.lsn.distance_from(*segment);
        if continues.is_empty() {
            return locate(bad, origin, offset);
        }
        Status::data_loss(format!(
            "{} at {} in {}, offset {offset} (the frame continues into {})",
            bad.message,
            bad.lsn,
            origin.describe(),
            continues.join(", ")
        ))
    }
}

/// Where a committed read gets its bytes: a timeline's local segments and
/// its offloaded segment objects. The server reads through [`ServerWal`]
/// (the blocking pool and `RemoteStorage`), the deterministic simulation
/// through its simulated disk and object store, so both run the same
/// [`committed_chunk`] and [`read_range`].
pub trait CommittedWal {
    fn segment_size(&self) -> u64;
    /// Local WAL `[from, to)`, within one segment: the read's own result
    /// (an I/O error if a trim deleted the segment meanwhile) inside the
    /// outcome of running it.
    fn read_local(&self, from: Lsn, to: Lsn) -> impl Future<Output = Result<LocalRead>> + Send;
    /// Whether offloaded segments can be read at all.
    fn has_remote(&self) -> bool;
    /// Bytes `range` (offsets in the segment) of the segment object at `segment`.
    fn read_remote(
        &self,
        segment: Lsn,
        range: std::ops::Range<u64>,
    ) -> impl Future<Output = Result<Bytes>> + Send;
    /// The local segment file's name, for errors.
    fn local_name(&self, segment: Lsn) -> String;
    /// The segment object's name, for errors.
    fn remote_name(&self, segment: Lsn) -> String;
}

/// A read of local WAL segments.
pub type LocalRead = std::result::Result<Vec<u8>, StorageError>;

/// A server timeline's committed WAL: local reads on the blocking pool,
/// offloaded segments from `remote`.
pub struct ServerWal<'a> {
    pub tl: &'a Arc<Timeline>,
    pub remote: Option<&'a RemoteStorage>,
}

impl CommittedWal for ServerWal<'_> {
    fn segment_size(&self) -> u64 {
        self.tl.segment_size()
    }

    async fn read_local(&self, from: Lsn, to: Lsn) -> Result<LocalRead> {
        let reader = self.tl.reader().clone();
        tokio::task::spawn_blocking(move || reader.read(from, to))
            .await
            .map_err(|e| Error::Unavailable(format!("read task failed: {e}")))
    }

    fn has_remote(&self) -> bool {
        self.remote.is_some()
    }

    async fn read_remote(&self, segment: Lsn, range: std::ops::Range<u64>) -> Result<Bytes> {
        let remote = self.remote.ok_or_else(|| {
            Error::Unavailable(format!(
                "WAL at {} is no longer held locally and no object store is configured",
                segment + range.start
            ))
        })?;
        read_remote(remote, &self.tl.id, segment, range).await
    }

    fn local_name(&self, segment: Lsn) -> String {
        self.tl.reader().segment_path(segment).display().to_string()
    }

    fn remote_name(&self, segment: Lsn) -> String {
        remote_storage::layout::wal_segment_key(&self.tl.id, segment)
    }
}

/// The next chunk of a committed read at `pos`: WAL `[pos, ≤ bound)` cut
/// after its last whole frame (at most [`CHUNK_BYTES`] plus one frame), read
/// by [`read_range`]; damaged WAL is `DATA_LOSS` naming the file or object.
pub async fn committed_chunk(
    src: &impl CommittedWal,
    pos: Lsn,
    bound: Lsn,
    wal_start: Lsn,
) -> Result<Bytes, Status> {
    let end = window_end(pos, bound);
    let range = read_range(src, pos, end, wal_start).await.map_err(status)?;
    whole_frames(pos, range.bytes.clone(), end == bound).map_err(|e| range.locate(e))
}

/// Reads committed WAL `[from, to)`: each segment piece from the local
/// segment if it is at or above `wal_start` (falling back to object storage
/// if the segment was just deleted), else from object storage.
pub async fn read_range(
    src: &impl CommittedWal,
    from: Lsn,
    to: Lsn,
    wal_start: Lsn,
) -> Result<WalRange> {
    let mut out = Vec::with_capacity(to.distance_from(from) as usize);
    let mut origins = Vec::new();
    for p in pieces(from, to, src.segment_size()) {
        let piece_start = p.segment + p.offset;
        let piece_end = piece_start + p.len;
        let local = if piece_start >= wal_start {
            match src.read_local(piece_start, piece_end).await? {
                Ok(bytes) => Some(bytes),
                Err(StorageError::Io { .. }) if src.has_remote() => None,
                Err(e) => return Err(e.into()),
            }
        } else {
            None
        };
        let (bytes, origin) = match local {
            Some(bytes) => (bytes, Origin::Local(src.local_name(p.segment))),
            None => {
                let bytes = src
                    .read_remote(p.segment, p.offset..p.offset + p.len)
                    .await?;
                (bytes.to_vec(), Origin::Remote(src.remote_name(p.segment)))
            }
        };
        origins.push((p.segment, piece_start, origin));
        out.extend_from_slice(&bytes);
    }
    Ok(WalRange {
        bytes: Bytes::from(out),
        origins,
    })
}

/// Bytes `range` (offsets in the segment) of an offloaded segment.
pub async fn read_remote(
    remote: &RemoteStorage,
    id: &TimelineId,
    segment: Lsn,
    range: std::ops::Range<u64>,
) -> Result<Bytes> {
    let key = remote_storage::layout::wal_segment_key(id, segment);
    Ok(remote.get_range(&key, range).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame that starts near the end of one segment object and ends in the next, with a
    /// byte flipped in the second: the error names both objects.
    #[test]
    fn a_bad_frame_across_two_objects_names_both() {
        let segment = Lsn(1 << 24);
        let start = Lsn(segment.0 - 100);
        let mut wal = bytes::BytesMut::new();
        proto::frame::encode_frames(&[7u8; 4000], &mut wal);
        wal[3000] ^= 0x40;
        let range = WalRange {
            bytes: wal.freeze(),
            origins: vec![
                (Lsn(0), start, Origin::Remote("wal/A".into())),
                (segment, segment, Origin::Remote("wal/B".into())),
            ],
        };
        let bad = match whole_frames(start, range.bytes.clone(), true) {
            Err(bad) => bad,
            Ok(b) => panic!("{} bytes of damaged WAL served", b.len()),
        };
        let err = range.locate(bad);
        assert_eq!(err.code(), tonic::Code::DataLoss);
        let msg = err.message();
        assert!(
            msg.contains(&format!(
                "offloaded segment object wal/A, offset {}",
                start.0
            )),
            "{msg}"
        );
        assert!(
            msg.contains("the frame continues into offloaded segment object wal/B"),
            "{msg}"
        );
    }
}
