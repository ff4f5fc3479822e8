//! The safekeepers' maintenance in the simulated world, over the real
//! rules of `server/offload.rs`, `server/peer_recovery.rs` and
//! `server/generations.rs` (the pure [`Offload`] decisions, `choose_donor`,
//! `elected_from`, `recovery_append`, `take_feedback`), the real storage
//! (`offload::trim`: persist, then `Wal::remove_below`; `WalReader`) and the
//! real committed read (`read_wal::committed_chunk`, over [`SimWal`]):
//!
//! - **Offload and trimming** (`maintain`): a node polls its peers' status
//!   (a peer that is down, lacks the timeline or is unreachable answers
//!   nothing), advances its peer horizon, uploads sealed segments to the
//!   simulated object store if it is the uploader (a put may fail), and
//!   trims local WAL below `min(remote_consistent_lsn, backup_lsn, peer
//!   horizon)` — and may die anywhere inside the trim.
//! - **A pageserver** (`pageserver.rs`) reads committed WAL from a random
//!   safekeeper through the committed read (local segments, else the
//!   offloaded objects, and a stream's snapshot may predate the last trim).
//! - **Peer recovery**: an idle node behind a peer adopts the peer's term
//!   and history and pulls the committed WAL it lacks through its own
//!   acceptor.
//!
//! Checked: every committed read (pageserver, older-WAL reader, peer
//! recovery) finds its WAL locally or offloaded and it is the committed WAL;
//! no safekeeper of a proposer's term needs WAL its donor trimmed
//! (`World::acceptor_read`); every
//! offloaded object is committed WAL (byte for byte the checker's committed
//! prefix).

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use proto::Lsn;
use proto::grpc::safekeeper::StatusResponse;
use safekeeper::Error;
use safekeeper::messages::{Reply, Request};
use safekeeper::server::offload::{apply_learned, is_uploader, trim};
use safekeeper::server::pageserver_calls::take_feedback;
use safekeeper::server::peer_recovery::{appended, choose_donor, elected_from, recovery_append};
use safekeeper::server::read_wal::{CommittedWal, LocalRead, committed_chunk};
use safekeeper::server::timeline::Timeline;

use crate::checker::off;
use crate::node::SEGMENT_SIZE;
use crate::world::World;

/// The simulated object store: offloaded WAL segments by start LSN.
#[derive(Default)]
pub struct Store {
    pub objects: BTreeMap<Lsn, Bytes>,
}

/// A node's committed WAL as `read_wal` reads it: local segments through
/// the timeline's `WalReader`, offloaded ones from the simulated store.
struct SimWal<'a> {
    tl: &'a Timeline,
    store: &'a Store,
    /// Pieces read from the store.
    remote_pieces: AtomicU64,
}

impl CommittedWal for SimWal<'_> {
    fn segment_size(&self) -> u64 {
        SEGMENT_SIZE
    }

    async fn read_local(&self, from: Lsn, to: Lsn) -> safekeeper::Result<LocalRead> {
        Ok(self.tl.reader().read(from, to))
    }

    fn has_remote(&self) -> bool {
        true
    }

    async fn read_remote(&self, segment: Lsn, range: Range<u64>) -> safekeeper::Result<Bytes> {
        self.remote_pieces.fetch_add(1, Ordering::Relaxed);
        match self.store.objects.get(&segment) {
            Some(o) if o.len() as u64 >= range.end => {
                Ok(o.slice(range.start as usize..range.end as usize))
            }
            _ => Err(Error::Unavailable(format!(
                "WAL at {} was trimmed and never offloaded (no object for the segment at \
                 {segment})",
                segment + range.start
            ))),
        }
    }

    fn local_name(&self, segment: Lsn) -> String {
        self.tl.reader().segment_path(segment).display().to_string()
    }

    fn remote_name(&self, segment: Lsn) -> String {
        format!("sim object {segment}")
    }
}

/// Runs a future of the simulated committed read, which never waits (its
/// disk and store answer at once).
fn now_or_never<T>(f: impl Future<Output = T>) -> T {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("a simulated committed read waited"),
    }
}

type Check = Result<(), String>;

impl World {
    /// Node `i`'s view of its peers (`None`: no answer).
    fn peers_of(&mut self, i: usize) -> Vec<(usize, Option<StatusResponse>)> {
        let flaky = self.faults && self.rng.chance(10);
        (0..self.acceptors.len())
            .filter(|&k| k != i)
            .map(|k| {
                let answer = (!flaky || self.rng.chance(50))
                    .then(|| self.acceptors[k].status())
                    .flatten();
                (k, answer)
            })
            .collect()
    }

    /// One maintenance round of node `i` (`offload::maintain`).
    pub fn maintain(&mut self, i: usize) -> Check {
        let Some(tl) = self.acceptors[i].tl.clone() else {
            return Ok(());
        };
        let id = self.acceptors[i].id;
        let peers: Vec<Option<StatusResponse>> =
            self.peers_of(i).into_iter().map(|(_, p)| p).collect();
        let me = tl.snapshot().state;
        // 2. Peer horizon and peers' uploads.
        let learned = self.acceptors[i].offload.learn(&me, &peers);
        if learned.news(&me) {
            let l = learned;
            if tl
                .with_core_blocking(move |_, core| {
                    apply_learned(core, &l);
                    Ok(())
                })
                .is_err()
            {
                return Ok(());
            }
        }
        self.acceptors[i].offload.learned(&learned);
        // 3. Upload.
        if is_uploader(id, &peers) {
            for _ in 0..4 {
                let up = self.acceptors[i]
                    .offload
                    .next_upload(&tl.snapshot(), SEGMENT_SIZE)
                    .map_err(|e| format!("safekeeper {id}: next upload: {e}"))?;
                let Some(up) = up else { break };
                let (from, to) = up.read_range();
                let Ok(read) = tl.reader().read(from, to) else {
                    break;
                };
                let read = Bytes::from(read);
                if self.faults && self.rng.chance(10) {
                    break; // the put failed: retried next round
                }
                let object = up.object(&read);
                self.checker.offloaded(up.segment, &object)?;
                self.store.objects.insert(up.segment, object);
                self.counts.uploads += 1;
                self.counts.uploads_under_faults += u64::from(self.faults);
                let boundary = self.acceptors[i]
                    .offload
                    .uploaded(&up, &read)
                    .map_err(|e| format!("safekeeper {id}: uploaded WAL: {e}"))?;
                let _ = tl.with_core_blocking(move |_, core| {
                    core.acceptor.advance_backup_lsn(boundary);
                    Ok(())
                });
            }
        }
        // 4. Trim.
        let (snap, ps) = (tl.snapshot(), tl.pageserver_state());
        if let Some((at, _)) = self.acceptors[i]
            .offload
            .trim_point(&snap, &ps, SEGMENT_SIZE)
        {
            // The process may die anywhere inside the trim: persisting the
            // control file, the new WAL start, the deletes, the fsyncs.
            let kill = (self.faults && self.rng.chance(15)).then(|| self.rng.below(12));
            if let Some(n) = kill {
                self.acceptors[i].disk.kill_after(n);
            }
            self.acceptors[i].before_trim = snap.wal_start;
            let removed = tl.with_core_blocking(move |tl, core| trim(tl, core, at));
            if self.acceptors[i].disk.dead() {
                // Between batches: it must recover exactly what it acked.
                self.counts.crashes_in_trim += 1;
                self.crash_acceptor(i, true);
                return Ok(());
            }
            self.acceptors[i].disk.clear_kill();
            if removed.is_ok() {
                self.acceptors[i].offload.trimmed(at);
                self.counts.trims += 1;
                self.counts.trims_under_faults += u64::from(self.faults);
            }
        }
        self.after_io(i, false);
        Ok(())
    }

    /// Committed WAL `[from, to)` as node `k`'s `ReadWal` serves it with
    /// `stop_at_commit` (the pageserver's and a recovering peer's read): the
    /// real `read_wal::committed_chunk` — chunks cut at whole frames, each
    /// segment piece from the local WAL at or above `wal_start`, else (or if
    /// the local segment is gone) from the object store — over the node's
    /// `WalReader` on the simulated disk and the simulated store. `who`
    /// names the reader for the error.
    pub fn committed_read(
        &mut self,
        k: usize,
        from: Lsn,
        to: Lsn,
        who: &str,
    ) -> Result<Bytes, String> {
        let chunks = self.committed_chunks(k, from, to, who)?;
        Ok(Bytes::from(
            chunks
                .iter()
                .flat_map(|(_, c)| &c[..])
                .copied()
                .collect::<Vec<u8>>(),
        ))
    }

    /// [`Self::committed_read`] as the stream's chunks: `(start, bytes)`.
    pub fn committed_chunks(
        &mut self,
        k: usize,
        from: Lsn,
        to: Lsn,
        who: &str,
    ) -> Result<Vec<(Lsn, Bytes)>, String> {
        let node = &self.acceptors[k];
        let tl = node.tl.as_ref().ok_or("no timeline")?;
        let src = SimWal {
            tl,
            store: &self.store,
            remote_pieces: AtomicU64::new(0),
        };
        let mut out = Vec::with_capacity(to.distance_from(from) as usize);
        let mut chunks = Vec::new();
        let mut pos = from;
        // Sometimes the stream's snapshot predates the last trim.
        let stale = self.rng.chance(30);
        while pos < to {
            let now = tl.snapshot().wal_start;
            let wal_start = if stale {
                now.min(node.before_trim)
            } else {
                now
            };
            let chunk = now_or_never(committed_chunk(&src, pos, to, wal_start)).map_err(|s| {
                format!(
                    "{who} cannot read committed WAL at {pos} from safekeeper {} (its WAL \
                     starts at {wal_start}): {}",
                    node.id,
                    s.message()
                )
            })?;
            out.extend_from_slice(&chunk);
            chunks.push((pos, chunk.clone()));
            pos = pos + chunk.len() as u64;
        }
        let (id, remote) = (node.id, src.remote_pieces.into_inner());
        self.counts.object_reads += remote;
        let golden = &self.checker.golden;
        let (a, b) = (off(from), off(to));
        if b > golden.len() || golden[a..b] != out[..] {
            return Err(format!(
                "{who} read committed WAL [{from}, {to}) from safekeeper {id} that is not the \
                 committed WAL"
            ));
        }
        Ok(chunks)
    }

    /// Node `i`, idle and behind a peer, recovers from it
    /// (`peer_recovery::maybe_recover`).
    pub fn peer_recover(&mut self, i: usize) -> Check {
        let Some(tl) = self.acceptors[i].tl.clone() else {
            return Ok(());
        };
        if !self.acceptors[i].inbox.is_empty() {
            return Ok(()); // not idle
        }
        let id = self.acceptors[i].id;
        let peers = self.peers_of(i);
        let statuses: Vec<Option<StatusResponse>> = peers.iter().map(|(_, p)| p.clone()).collect();
        let me = tl.snapshot().state;
        let Some(j) = choose_donor(&me, &statuses) else {
            return Ok(());
        };
        let (k, peer) = (peers[j].0, statuses[j].clone().expect("the donor answered"));
        let elected =
            elected_from(&me, &peer).map_err(|e| format!("safekeeper {id}: peer history: {e}"))?;
        let mut pos = match self.local(i, Request::Elected(elected))? {
            Some(Reply::Elected(r)) if r.accepted => r.flush_lsn,
            _ => return Ok(()),
        };
        let commit = Lsn(peer.commit_lsn);
        if pos < commit {
            let wal =
                self.committed_read(k, pos, commit, &format!("safekeeper {id}'s recovery"))?;
            let len = wal.len() as u64;
            let append = recovery_append(peer.term, pos, wal, commit);
            match self.local(i, Request::Append(append))? {
                Some(reply) => {
                    if !appended(reply) {
                        return Ok(());
                    }
                    pos = pos + len;
                }
                None => return Ok(()),
            }
        }
        let heartbeat = recovery_append(peer.term, pos, Bytes::new(), commit);
        if let Some(reply) = self.local(i, Request::Append(heartbeat))? {
            appended(reply);
        }
        self.counts.peer_recoveries += 1;
        Ok(())
    }

    /// After the faults (the cluster converged): the healed proposer
    /// commits a few segments' worth of WAL, then rounds of pageserver
    /// ingest and feedback and of every node's maintenance offload and trim
    /// it, as a calm cluster does; the final checks then read it back.
    pub fn offload_phase(&mut self) -> Check {
        self.record_max = 1200;
        for _ in 0..16 {
            self.client_append(0)?;
        }
        self.quiesce()?;
        for _ in 0..3 {
            // Maintenance runs on its own timer: the pageserver still lags.
            for k in 0..self.acceptors.len() {
                self.maintain(k)?;
            }
            for k in 0..self.acceptors.len() {
                self.pageserver_ingest(k)?;
            }
            let lsn = self.pageserver_flush();
            for k in 0..self.acceptors.len() {
                if let Some(tl) = self.acceptors[k].tl.clone() {
                    tl.with_core_blocking(move |tl, core| {
                        tl.update_pageserver(core, false, |ps| take_feedback(ps, 1, lsn))
                    })
                    .map_err(|e| format!("feedback: {e}"))?;
                }
            }
        }
        for k in 0..self.acceptors.len() {
            self.maintain(k)?;
        }
        self.check()
    }

    /// Steps one request through node `i`'s group-commit queue (it may die
    /// inside); `None` if it died or the step failed.
    pub(crate) fn local(&mut self, i: usize, request: Request) -> Result<Option<Reply>, String> {
        let kill = (self.faults && self.rng.chance(5)).then(|| self.rng.below(8));
        match self.acceptors[i].step_local(vec![request], kill)? {
            None => {
                self.counts.crashes_in_batch += 1;
                self.crash_acceptor(i, false);
                Ok(None)
            }
            Some(mut results) => match results.pop() {
                Some(Ok(reply)) => Ok(Some(reply)),
                Some(Err(Error::Storage(_) | Error::Unavailable(_))) | None => Ok(None),
                Some(Err(e)) => Err(format!(
                    "safekeeper {} refused its own recovery step: {e}",
                    self.acceptors[i].id
                )),
            },
        }
    }
}
