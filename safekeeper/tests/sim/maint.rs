//! The safekeepers' maintenance in the simulated world, over the real
//! rules of `server/offload.rs`, `server/peer_recovery.rs` and
//! `server/generations.rs` (the pure [`Offload`] decisions, `choose_donor`,
//! `elected_from`, `recovery_append`, `take_feedback`) and the real storage
//! (`offload::trim`: persist, then `Wal::remove_below`; `WalReader`):
//!
//! - **Offload and trimming** (`maintain`): a node polls its peers' status
//!   (a peer that is down, lacks the timeline or is unreachable answers
//!   nothing), advances its peer horizon, uploads sealed segments to the
//!   simulated object store if it is the uploader (a put may fail), and
//!   trims local WAL below `min(remote_consistent_lsn, backup_lsn, peer
//!   horizon)`.
//! - **A pageserver** ingests committed WAL from a random safekeeper (local
//!   segments, else the offloaded objects, as `read_wal::read_range`
//!   serves it), makes it "remote consistent" now and then and reports that
//!   as feedback to some safekeepers; a crash restarts it from its
//!   consistent LSN.
//! - **Peer recovery**: an idle node behind a peer adopts the peer's term
//!   and history and pulls the committed WAL it lacks through its own
//!   acceptor.
//!
//! Checked: every committed read (pageserver, peer recovery) finds its WAL
//! locally or offloaded and it is the committed WAL; a proposer's donor read
//! never asks for WAL its donor trimmed; every offloaded object is committed
//! WAL (byte for byte the checker's committed prefix).

use std::collections::BTreeMap;

use bytes::Bytes;
use proto::Lsn;
use proto::grpc::safekeeper::StatusResponse;
use safekeeper::Error;
use safekeeper::messages::{Reply, Request};
use safekeeper::server::generations::take_feedback;
use safekeeper::server::offload::{Offload, apply_learned, is_uploader, trim};
use safekeeper::server::peer_recovery::{appended, choose_donor, elected_from, recovery_append};
use safekeeper::storage::layout::pieces;

use crate::checker::off;
use crate::node::SEGMENT_SIZE;
use crate::world::World;

/// The simulated object store: offloaded WAL segments by start LSN.
#[derive(Default)]
pub struct Store {
    pub objects: BTreeMap<Lsn, Bytes>,
}

/// The simulated pageserver (generation 1).
#[derive(Default)]
pub struct Pageserver {
    /// Committed WAL ingested so far.
    pub ingested: Lsn,
    /// Ingested and uploaded as layers: where a restart resumes.
    pub consistent: Lsn,
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
        let learned = Offload::learn(&me, &peers);
        if learned.news(&me) {
            let l = learned;
            let _ = tl.with_core_blocking(move |_, core| {
                apply_learned(core, &l);
                Ok(())
            });
            self.acceptors[i].offload.learned(&learned);
        }
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
            let removed = tl.with_core_blocking(move |tl, core| trim(tl, core, at));
            if removed.is_ok() {
                self.acceptors[i].offload.trimmed(at);
                self.counts.trims += 1;
            }
        }
        self.after_io(i, false);
        Ok(())
    }

    /// Committed WAL `[from, to)` as node `k` serves it
    /// (`read_wal::read_range`): each segment piece from the local WAL if
    /// it is at or above `wal_start`, else from the object store. `who`
    /// names the reader for the error.
    pub fn committed_read(&self, k: usize, from: Lsn, to: Lsn, who: &str) -> Result<Bytes, String> {
        let node = &self.acceptors[k];
        let tl = node.tl.as_ref().ok_or("no timeline")?;
        let wal_start = tl.snapshot().wal_start;
        let mut out = Vec::with_capacity(to.distance_from(from) as usize);
        for p in pieces(from, to, SEGMENT_SIZE) {
            let start = p.segment + p.offset;
            let end = start + p.len;
            if start >= wal_start {
                out.extend_from_slice(&node.read(start, end)?);
                continue;
            }
            let object = self
                .store
                .objects
                .get(&p.segment)
                .filter(|o| o.len() as u64 >= p.offset + p.len);
            let Some(object) = object else {
                return Err(format!(
                    "{who} needs WAL at {start} that safekeeper {} trimmed (its WAL starts at \
                     {wal_start}) and that was never offloaded",
                    node.id
                ));
            };
            out.extend_from_slice(&object[p.offset as usize..(p.offset + p.len) as usize]);
        }
        let golden = &self.checker.golden;
        let (a, b) = (off(from), off(to));
        if b > golden.len() || golden[a..b] != out[..] {
            return Err(format!(
                "{who} read committed WAL [{from}, {to}) from safekeeper {} that is not the \
                 committed WAL",
                node.id
            ));
        }
        Ok(Bytes::from(out))
    }

    /// The pageserver: crash, ingest, or upload and report.
    pub fn pageserver_step(&mut self) -> Check {
        match self.rng.below(10) {
            0 if self.faults => {
                self.pageserver.ingested = self.pageserver.consistent;
                self.counts.pageserver_restarts += 1;
                Ok(())
            }
            0..6 => {
                let k = self.rng.index(self.acceptors.len());
                let Some(tl) = self.acceptors[k].tl.as_ref() else {
                    return Ok(());
                };
                let commit = tl.snapshot().state.commit_lsn;
                let from = self.pageserver.ingested.max(crate::START);
                if commit <= from {
                    return Ok(());
                }
                self.committed_read(k, from, commit, "the pageserver")?;
                self.pageserver.ingested = commit;
                Ok(())
            }
            _ => {
                if self.rng.chance(60) {
                    self.pageserver.consistent = self.pageserver.ingested;
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
                let Some(tl) = self.acceptors[k].tl.as_ref() else {
                    continue;
                };
                let commit = tl.snapshot().state.commit_lsn;
                let from = self.pageserver.ingested.max(crate::START);
                if commit > from {
                    self.committed_read(k, from, commit, "the pageserver")?;
                    self.pageserver.ingested = commit;
                }
            }
            self.pageserver.consistent = self.pageserver.ingested;
            let lsn = self.pageserver.consistent;
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
