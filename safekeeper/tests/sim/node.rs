//! A simulated safekeeper: the real server [`Timeline`] (acceptor core,
//! group-commit batch execution, control file, `storage::Wal`, recovery and
//! reopen-after-failure) over a [`SimDisk`].
//!
//! Requests delivered to it wait in `inbox`; a scheduled *batch* hands a
//! prefix of them to [`Timeline::step_batch`], exactly what the writer task
//! does in production, and the replies go out only if the process survived
//! the whole batch. Pre-allocation jobs the batch hands back run at a later
//! scheduled step (or are lost with a crash), as on the blocking pool.
//!
//! `acked` is the node's durable state as of its last finished batch (WAL
//! bytes from `START`, term and vote); a crash between batches must recover
//! exactly it, a crash inside a batch at least its term.

use std::path::Path;
use std::sync::Arc;

use proto::record::Term;
use proto::{Lsn, TimelineId};
use safekeeper::Error;
use safekeeper::acceptor::initial_state;
use safekeeper::messages::{NodeId, Reply, Request};
use safekeeper::server::offload::Offload;
use safekeeper::server::timeline::Timeline;
use safekeeper::storage::{Preallocation, StorageError, TimelineStore};

use crate::START;
use crate::fs::{Faults, SimDisk};
use crate::rng::Rng;

/// The sim's WAL segments: the smallest allowed, so segments fill, get
/// pre-allocated and are crossed by frames all the time.
pub const SEGMENT_SIZE: u64 = 4096;
const DATA_DIR: &str = "/data";

pub fn timeline_id() -> TimelineId {
    TimelineId::new("sim", "main").expect("valid names")
}

/// A request waiting for the next batch, and where its reply goes.
pub struct Inbound {
    pub from: NodeId,
    pub incarnation: u64,
    pub session: u64,
    pub request: Request,
}

/// What a node has acknowledged as durable (see the module docs).
#[derive(Clone, Debug, Default)]
pub struct Acked {
    pub wal: Vec<u8>,
    pub term: Term,
    pub voted_for: Option<u64>,
}

pub struct Node {
    pub id: NodeId,
    pub disk: SimDisk,
    /// The process runs (its data directory is open).
    up: bool,
    store: Option<TimelineStore>,
    /// The timeline, once created (on a Greet) and while the node is up.
    pub tl: Option<Arc<Timeline>>,
    /// The maintenance task's memory (lost with the process).
    pub offload: Offload,
    /// The local WAL start before the last trim: a `ReadWal` stream that
    /// took its snapshot then still reads from it (its local reads of the
    /// deleted segments fail and fall back to the offloaded objects).
    pub before_trim: Lsn,
    pub inbox: Vec<Inbound>,
    pub prealloc: Vec<Preallocation>,
    pub acked: Acked,
    /// Batches that dropped acknowledged (uncommitted) WAL, since the
    /// world last looked.
    pub truncations: u64,
    /// The last crash happened between batches: recovery must give `acked`
    /// back exactly.
    exact_on_restart: bool,
}

/// How a batch ended.
pub enum Batch {
    /// The process died inside it: no reply escaped.
    Died,
    Done(Vec<(Inbound, safekeeper::Result<Reply>)>),
}

fn open(fs: Arc<crate::fs::SimFs>) -> safekeeper::Result<TimelineStore> {
    Ok(TimelineStore::open_in(fs, Path::new(DATA_DIR))?)
}

impl Node {
    /// A node whose timeline was created (durably) before the run, or
    /// (`with_timeline` false) one that creates it on the first Greet.
    pub fn create(id: NodeId, seed: u64, faults: Faults, with_timeline: bool) -> Node {
        let disk = SimDisk::new(seed, Faults::default());
        let store = open(disk.boot()).expect("create the sim data directory");
        let tl = with_timeline.then(|| {
            let files = store
                .create(&timeline_id(), initial_state(START), SEGMENT_SIZE)
                .expect("create the sim timeline");
            Timeline::new(id, store.clone(), files)
                .expect("wrap the sim timeline")
                .0
        });
        disk.set_faults(faults);
        Node {
            id,
            disk,
            up: true,
            store: Some(store),
            tl,
            offload: Offload::default(),
            before_trim: START,
            inbox: Vec::new(),
            prealloc: Vec::new(),
            acked: Acked::default(),
            truncations: 0,
            exact_on_restart: false,
        }
    }

    pub fn is_up(&self) -> bool {
        self.up
    }

    /// Creates the timeline as a Greet does (`Context::get_or_create`):
    /// `Ok(false)` if the process died inside the creation (the scheduler
    /// killed it after `kill_after` file-system calls) or a write failed.
    pub fn create_timeline(&mut self, kill_after: Option<u64>) -> Result<bool, String> {
        if self.tl.is_some() {
            return Ok(true);
        }
        let Some(store) = self.store.clone() else {
            return Ok(false);
        };
        if let Some(n) = kill_after {
            self.disk.kill_after(n);
        }
        let created = store.create(&timeline_id(), initial_state(START), SEGMENT_SIZE);
        if self.disk.dead() {
            return Ok(false);
        }
        self.disk.clear_kill();
        let files = match created {
            Ok(files) => files,
            // An injected write error: the Greet fails, the proposer retries.
            Err(StorageError::Io { .. }) => return Ok(false),
            Err(e) => return Err(format!("safekeeper {}: create the timeline: {e}", self.id)),
        };
        let (tl, _queue) = Timeline::new(self.id, store, files)
            .map_err(|e| format!("safekeeper {}: wrap the new timeline: {e}", self.id))?;
        self.tl = Some(tl);
        Ok(true)
    }

    /// kill -9 or power loss. `between_batches`: no batch was running.
    pub fn crash(&mut self, rng: &mut Rng, power_loss: bool, between_batches: bool) {
        if !self.up {
            return;
        }
        self.up = false;
        self.tl = None;
        self.store = None;
        self.offload = Offload::default();
        self.exact_on_restart = between_batches;
        self.inbox.clear();
        self.prealloc.clear();
        self.disk.crash(rng, power_loss);
    }

    /// Restarts a crashed node as `strata safekeeper` does: open the data
    /// directory, recover the timeline, serve it. `Ok(false)`: it died
    /// again during recovery (the scheduler killed it).
    pub fn restart(&mut self, rng: &mut Rng, kill_after: Option<u64>) -> Result<bool, String> {
        if self.is_up() {
            return Ok(true);
        }
        let fs = self.disk.boot();
        if let Some(n) = kill_after {
            self.disk.kill_after(n);
        }
        let store = open(fs);
        let files = store.and_then(|s| {
            // As `server::start`: every timeline whose creation finished.
            let files = match s.list()?.contains(&timeline_id()) {
                true => Some(s.open_timeline(&timeline_id())?),
                false => None,
            };
            Ok((s, files))
        });
        let (store, files) = match files {
            Ok(x) => x,
            Err(_) if self.disk.dead() => {
                self.disk.crash(rng, true);
                return Ok(false);
            }
            // An injected write error: the start fails, the supervisor
            // retries (recovery only ever repairs what is past the end).
            Err(Error::Storage(e)) if matches!(*e.0, StorageError::Io { .. }) => {
                self.disk.crash(rng, false);
                return Ok(false);
            }
            Err(e) => return Err(format!("safekeeper {} cannot recover: {e}", self.id)),
        };
        if self.disk.dead() {
            // Killed inside recovery, after calls that "succeeded".
            self.disk.crash(rng, true);
            return Ok(false);
        }
        self.disk.clear_kill();
        self.up = true;
        self.store = Some(store.clone());
        let Some(files) = files else {
            if self.acked.term > 0 {
                return Err(format!(
                    "safekeeper {}: its acknowledged timeline vanished across a restart",
                    self.id
                ));
            }
            return Ok(true);
        };
        let state = files.state.clone();
        let flush = files.recovered.flush_lsn;
        // WAL below the local start was trimmed (it is committed, so it
        // never changes): only the rest is compared and re-read.
        let wal_start = files.wal.start_lsn();
        let below = (wal_start.distance_from(START) as usize).min(self.acked.wal.len());
        let mut wal = self.acked.wal[..below].to_vec();
        wal.extend(
            files
                .wal
                .read(START + below as u64, flush)
                .map_err(|e| format!("safekeeper {}: read recovered WAL: {e}", self.id))?,
        );
        let (tl, _queue) = Timeline::new(self.id, store, files)
            .map_err(|e| format!("safekeeper {} cannot restore its acceptor: {e}", self.id))?;
        if state.term < self.acked.term {
            return Err(format!(
                "safekeeper {}: term went back from {} to {} across a restart (a vote was lost)",
                self.id, self.acked.term, state.term
            ));
        }
        if self.exact_on_restart {
            if state.term == self.acked.term && state.voted_for != self.acked.voted_for {
                return Err(format!(
                    "safekeeper {}: vote in term {} changed from {:?} to {:?} across a restart",
                    self.id, state.term, self.acked.voted_for, state.voted_for
                ));
            }
            if wal != self.acked.wal {
                let at = wal
                    .iter()
                    .zip(&self.acked.wal)
                    .position(|(a, b)| a != b)
                    .unwrap_or(wal.len().min(self.acked.wal.len()));
                return Err(format!(
                    "safekeeper {}: recovered WAL differs from what it acknowledged at byte {at} \
                     (recovered {} bytes, acknowledged {})",
                    self.id,
                    wal.len(),
                    self.acked.wal.len()
                ));
            }
        }
        self.acked = Acked {
            wal,
            term: state.term,
            voted_for: state.voted_for,
        };
        self.tl = Some(tl);
        Ok(true)
    }

    /// Runs a batch of the first `n` queued requests; with `kill_after`, the
    /// process dies after that many more file-system calls.
    pub fn batch(&mut self, n: usize, kill_after: Option<u64>) -> Result<Batch, String> {
        let jobs: Vec<Inbound> = self.inbox.drain(..n.min(self.inbox.len())).collect();
        let (requests, jobs): (Vec<Request>, Vec<Inbound>) = jobs
            .into_iter()
            .map(|j| {
                let r = j.request.clone();
                (r, j)
            })
            .unzip();
        Ok(match self.step_local(requests, kill_after)? {
            None => Batch::Died,
            Some(results) => Batch::Done(jobs.into_iter().zip(results).collect()),
        })
    }

    /// Runs `requests` as one group-commit batch (what the writer task does
    /// with the queue, also for the node's own peer recovery); `None` if
    /// the process died inside it.
    pub fn step_local(
        &mut self,
        requests: Vec<Request>,
        kill_after: Option<u64>,
    ) -> Result<Option<Vec<safekeeper::Result<Reply>>>, String> {
        let Some(tl) = self.tl.clone() else {
            return Err(format!(
                "safekeeper {}: a request reached no timeline",
                self.id
            ));
        };
        let commit_before = tl.snapshot().state.commit_lsn;
        if let Some(n) = kill_after {
            self.disk.kill_after(n);
        }
        let (results, prealloc) = tl.step_batch(requests);
        if self.disk.dead() {
            return Ok(None);
        }
        self.disk.clear_kill();
        self.prealloc.extend(prealloc);
        self.refresh_acked(commit_before)?;
        Ok(Some(results))
    }

    /// The timeline's status as `Status` answers it (`None`: down or no
    /// timeline: a peer sees NOT_FOUND or nothing).
    pub fn status(&self) -> Option<proto::grpc::safekeeper::StatusResponse> {
        self.tl
            .as_ref()
            .map(|tl| safekeeper::server::pageserver_calls::status(tl))
    }

    /// Brings `acked` up to the node's state after a batch: committed WAL
    /// never changes, so only the tail from the old `commit_lsn` is re-read.
    fn refresh_acked(&mut self, commit_before: Lsn) -> Result<(), String> {
        let Some(tl) = &self.tl else { return Ok(()) };
        let keep = (commit_before.distance_from(START) as usize).min(self.acked.wal.len());
        let from = START + keep as u64;
        let read = tl.with_core_blocking(move |_, core| {
            let end = core.files.wal.flush_lsn();
            if core.files.wal.write_lsn() != end || core.acceptor.flush_lsn() != end {
                return Err(Error::Invariant(format!(
                    "after a batch the WAL is written to {}, flushed to {end}, and the acceptor says {}",
                    core.files.wal.write_lsn(),
                    core.acceptor.flush_lsn()
                )));
            }
            let tail = core.files.wal.read(from, end)?;
            let s = core.acceptor.state();
            Ok((tail, s.term, s.voted_for))
        });
        match read {
            Ok((tail, term, voted_for)) => {
                if !tail.starts_with(&self.acked.wal[keep..]) {
                    self.truncations += 1;
                }
                self.acked.wal.truncate(keep);
                self.acked.wal.extend_from_slice(&tail);
                self.acked.term = term;
                self.acked.voted_for = voted_for;
                Ok(())
            }
            Err(_) if self.disk.dead() => Ok(()),
            // A storage failure the shell is handling: the next batch
            // reopens the timeline.
            Err(Error::Storage(_) | Error::Unavailable(_)) => {
                self.exact_on_restart = false;
                Ok(())
            }
            Err(e) => Err(format!("safekeeper {}: {e}", self.id)),
        }
    }

    /// Persists lazily advanced state, as the writer's timer does.
    pub fn persist(&mut self) {
        if let Some(tl) = &self.tl {
            let _ = tl.with_core_blocking(|tl, core| tl.persist_if_dirty(core));
        }
    }

    /// Runs the oldest pending pre-allocation, as the blocking pool would.
    pub fn run_prealloc(&mut self) {
        if !self.prealloc.is_empty() {
            let job = self.prealloc.remove(0);
            let _ = job.run();
        }
    }

    /// A donor read as the `ReadWal` service serves it (under the lock,
    /// bounded by `flush_lsn`); `None` if refused or short.
    pub fn donor_read(&self, term: Term, start: Lsn, end: Lsn) -> Option<Vec<u8>> {
        let tl = self.tl.as_ref()?;
        let wal = tl
            .with_core_blocking(move |_, core| {
                core.acceptor.check_donor_read(term, start, end)?;
                let end = end.min(core.acceptor.flush_lsn());
                Ok(core.files.wal.read(start, end)?)
            })
            .ok()?;
        (wal.len() as u64 == end.distance_from(start)).then_some(wal)
    }

    /// Committed WAL `[from, to)` for the checker.
    pub fn read(&self, from: Lsn, to: Lsn) -> Result<Vec<u8>, String> {
        let tl = self.tl.as_ref().ok_or("the node is down")?;
        tl.with_core_blocking(move |_, core| Ok(core.files.wal.read(from, to)?))
            .map_err(|e| format!("safekeeper {}: read committed WAL: {e}", self.id))
    }
}
