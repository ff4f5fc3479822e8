//! Per-timeline maintenance: peer polling, WAL offload, local WAL trimming.
//!
//! Every `maintenance_interval` each timeline:
//! 1. asks every configured peer for its `Status` of the timeline;
//! 2. advances the **peer horizon** to how far every safekeeper holds the
//!    same WAL as this one: the lowest, over the peers, of the end of the
//!    last term its history shares with ours (capped by its `flush_lsn`),
//!    and our own `flush_lsn` (only when every peer answered; with no peers
//!    configured, to its own `flush_lsn`); a peer's `flush_lsn` alone would
//!    count an old term's uncommitted tail it holds ([`agreement`]); it also
//!    learns `backup_lsn` from peers that uploaded. The horizon is persisted
//!    and only advances, but a loaded one is not trusted (an older release
//!    took the lowest `flush_lsn`): the first horizon a process computes
//!    replaces it even if lower, and nothing is trimmed before that;
//! 3. if it is the timeline's **uploader** — the lowest node id among itself
//!    and the peers that answered, so exactly one safekeeper uploads while
//!    they can see each other, and another takes over when it is gone — it
//!    uploads every **sealed** segment (one that ends at or below
//!    `commit_lsn`, so it holds only committed WAL) to
//!    `remote_storage::layout::wal_segment_key`, in order, and advances
//!    `backup_lsn` after each upload;
//! 4. deletes local segments below `min(remote_consistent_lsn of the
//!    highest-generation pageserver, backup_lsn, peer_horizon)`
//!    (`Wal::remove_below`), after persisting the control file so the
//!    `backup_lsn` it trims by is durable first; nothing is deleted until a
//!    pageserver has reported;
//! 5. gives [peer recovery](super::peer_recovery) a chance to run.
//!
//! ## Frame boundaries
//! `Wal::remove_below` needs a frame boundary, but segment ends are not
//! boundaries (frames span segments). So `backup_lsn` is set to the end of
//! the last whole frame at or below the uploaded segment's end, found by
//! scanning frames from the previous `backup_lsn` (itself a boundary), and
//! trimming happens at the highest such known boundary below the horizon.
//! WAL in `[backup_lsn, segment end)` is in object storage too; it is just
//! not counted until the next segment is uploaded.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use proto::Lsn;
use proto::frame::scan_frames;
use proto::grpc::safekeeper as pb;
use proto::grpc::{TermSwitch, term_history};
use tracing::{debug, info, warn};

use super::Context;
use super::peer_recovery;
use super::timeline::{Core, PageserverState, Snapshot, Timeline};
use crate::acceptor::Acceptor;
use crate::error::{Error, Result};
use crate::history;
use crate::storage::ControlState;
use crate::storage::layout::segment_start;

/// Most segments uploaded per maintenance round (keeps rounds short).
const MAX_UPLOADS_PER_ROUND: usize = 16;
/// How long a peer may take to answer `Status`.
const PEER_STATUS_TIMEOUT: Duration = Duration::from_secs(2);

/// What this timeline's maintenance remembers between rounds, and its
/// decisions (pure: [`maintain`] carries them out over gRPC and object
/// storage, the deterministic simulation over its simulated store).
#[derive(Debug, Default)]
pub struct Offload {
    /// The next segment to upload (`None`: derive from `backup_lsn`).
    next_upload: Option<Lsn>,
    /// Frame boundaries known to be in object storage, ascending.
    boundaries: Vec<Lsn>,
    /// Whether this process has computed a peer horizon (every peer
    /// answered once): until then the persisted one is not trusted.
    horizon_checked: bool,
}

/// What a round learns from the peers' status (step 2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Learned {
    /// The new peer horizon, if every peer answered.
    pub horizon: Option<Lsn>,
    /// The horizon replaces the persisted one even if lower (the first
    /// horizon this process computes).
    pub clamp: bool,
    /// A peer's `backup_lsn` above ours (and within our `commit_lsn`).
    pub peer_backup: Option<Lsn>,
}

impl Learned {
    /// Whether the acceptor's state changes.
    pub fn news(&self, me: &ControlState) -> bool {
        let h = me.peer_horizon_lsn;
        self.horizon
            .is_some_and(|new| new > h || (self.clamp && new < h))
            || self.peer_backup.is_some()
    }
}

/// One sealed segment to upload (step 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Upload {
    pub segment: Lsn,
    pub end: Lsn,
    /// The previous boundary: where the frame scan resumes.
    scan_from: Lsn,
    read_from: Lsn,
}

impl Upload {
    /// The WAL to read for this upload, `[from, to)`.
    pub fn read_range(&self) -> (Lsn, Lsn) {
        (self.read_from, self.end)
    }

    /// The segment object's bytes, out of what [`Self::read_range`] read.
    pub fn object(&self, read: &Bytes) -> Bytes {
        read.slice(self.segment.distance_from(self.read_from) as usize..)
    }
}

impl Offload {
    /// Step 2: the peer horizon and a peer's upload.
    pub fn learn(&self, me: &ControlState, peers: &[Option<pb::StatusResponse>]) -> Learned {
        Learned {
            horizon: peer_horizon(me, peers),
            clamp: !self.horizon_checked,
            peer_backup: peers
                .iter()
                .flatten()
                .map(|p| Lsn(p.backup_lsn))
                .max()
                .filter(|&b| b > me.backup_lsn && b <= me.commit_lsn),
        }
    }

    /// The acceptor took what [`Self::learn`] found ([`apply_learned`]).
    pub fn learned(&mut self, l: &Learned) {
        if let Some(b) = l.peer_backup {
            remember(&mut self.boundaries, b);
        }
        self.horizon_checked |= l.horizon.is_some();
    }

    /// Step 3: the next sealed segment to upload, if any.
    pub fn next_upload(&mut self, snap: &Snapshot, segment_size: u64) -> Result<Option<Upload>> {
        let s = &snap.state;
        // A peer's upload may have moved backup_lsn past our own position.
        let segment = self
            .next_upload
            .unwrap_or(Lsn::INVALID)
            .max(segment_start(s.backup_lsn, segment_size));
        self.next_upload = Some(segment);
        let end = segment + segment_size;
        if end > s.commit_lsn {
            return Ok(None);
        }
        let scan_from = s.backup_lsn.max(s.timeline_start_lsn);
        if scan_from < snap.wal_start || scan_from > segment + segment_size {
            return Err(Error::Invariant(format!(
                "backup_lsn {scan_from} is outside the local WAL {}.. (segment {segment})",
                snap.wal_start
            )));
        }
        Ok(Some(Upload {
            segment,
            end,
            scan_from,
            read_from: scan_from.min(segment),
        }))
    }

    /// The upload's object is stored: the new `backup_lsn` (the last frame
    /// boundary in it).
    pub fn uploaded(&mut self, up: &Upload, read: &Bytes) -> Result<Lsn> {
        let scan = read.slice(up.scan_from.distance_from(up.read_from) as usize..);
        let (boundary, _, err) = scan_frames(up.scan_from, &scan);
        if let Some(e) = err {
            return Err(Error::CorruptWal {
                lsn: boundary,
                source: e,
            });
        }
        remember(&mut self.boundaries, boundary);
        self.next_upload = Some(up.end);
        Ok(boundary)
    }

    /// Step 4: where to trim local WAL, if anywhere: the highest known
    /// boundary below `min(remote_consistent_lsn, backup_lsn, peer horizon)`,
    /// only once a pageserver has reported, and only once this process has
    /// computed the peer horizon itself (a horizon loaded from the control
    /// file may come from an older rule that counted a lagging peer's
    /// old-term tail; the first computed one replaces it, see
    /// [`apply_learned`]).
    pub fn trim_point(
        &mut self,
        snap: &Snapshot,
        ps: &PageserverState,
        segment_size: u64,
    ) -> Option<(Lsn, Lsn)> {
        if ps.generation == 0 || !ps.remote_consistent_lsn.is_valid() || !self.horizon_checked {
            return None;
        }
        let s = &snap.state;
        let limit = ps
            .remote_consistent_lsn
            .min(s.backup_lsn)
            .min(s.peer_horizon_lsn);
        remember(&mut self.boundaries, s.backup_lsn);
        let at = trim_point(&self.boundaries, limit, snap.wal_start, segment_size)?;
        Some((at, limit))
    }

    /// Local WAL below `at` was removed.
    pub fn trimmed(&mut self, at: Lsn) {
        self.boundaries.retain(|&b| b >= at);
    }
}

/// Runs until the server shuts down.
pub async fn run_maintenance(ctx: Arc<Context>, tl: Arc<Timeline>) {
    let mut tick = tokio::time::interval(ctx.config.maintenance_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut offload = Offload::default();
    loop {
        tokio::select! {
            _ = ctx.cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        let peers = poll_peers(&ctx, &tl).await;
        if let Err(e) = maintain(&ctx, &tl, &peers, &mut offload).await {
            warn!(error = %e, "WAL offload round failed");
        }
        if let Err(e) = peer_recovery::maybe_recover(&ctx, &tl, &peers).await {
            warn!(error = %e, "peer recovery failed");
        }
    }
}

/// Every peer's status of `tl` (`None`: unreachable, or it lacks the
/// timeline), in `ctx.peers` order.
pub async fn poll_peers(ctx: &Context, tl: &Timeline) -> Vec<Option<pb::StatusResponse>> {
    let requests = ctx.peers.iter().map(|peer| {
        let mut client = peer.client.clone();
        let req = pb::StatusRequest {
            timeline: Some((&tl.id).into()),
        };
        async move {
            match tokio::time::timeout(PEER_STATUS_TIMEOUT, client.status(req)).await {
                Ok(Ok(resp)) => Some(resp.into_inner()),
                Ok(Err(s)) => {
                    debug!(peer = %peer.addr, status = %s, "peer status");
                    None
                }
                Err(_) => {
                    debug!(peer = %peer.addr, "peer status timed out");
                    None
                }
            }
        }
    });
    futures::future::join_all(requests).await
}

async fn maintain(
    ctx: &Context,
    tl: &Arc<Timeline>,
    peers: &[Option<pb::StatusResponse>],
    offload: &mut Offload,
) -> Result<()> {
    let me = tl.snapshot().state;
    // 2. Peer horizon and peers' uploads.
    let learned = offload.learn(&me, peers);
    if learned.news(&me) {
        tl.with_core(move |_, core| {
            apply_learned(core, &learned);
            Ok(())
        })
        .await?;
    }
    offload.learned(&learned);

    // 3. Upload.
    let Some(remote) = &ctx.remote else {
        return Ok(());
    };
    if is_uploader(ctx.config.node_id, peers) {
        upload_sealed(ctx, tl, remote, offload).await?;
    }

    // 4. Trim.
    let snap = tl.snapshot();
    let ps = tl.pageserver_state();
    let Some((at, limit)) = offload.trim_point(&snap, &ps, tl.segment_size()) else {
        return Ok(());
    };
    let removed = tl.with_core(move |tl, core| trim(tl, core, at)).await?;
    offload.trimmed(at);
    tl.metrics.removed.inc_by(removed as u64);
    info!(start_lsn = %at, removed, %limit, "trimmed local WAL");
    Ok(())
}

/// Removes local WAL below `at` (step 4, under the core lock), after making
/// the lazily persisted state durable: `backup_lsn` must never be found
/// below the local WAL's start after a crash, or the uploader could never
/// upload again (the scan resumes at `backup_lsn`) and offload would stop
/// for the whole timeline.
pub fn trim(tl: &Timeline, core: &mut Core, at: Lsn) -> Result<usize> {
    tl.persist_if_dirty(core)?;
    Ok(core.files.wal.remove_below(at)?)
}

/// Applies step 2's findings to the acceptor (under the core lock).
pub fn apply_learned(core: &mut Core, l: &Learned) {
    apply_to(&mut core.acceptor, l);
}

/// [`apply_learned`] on the acceptor: the horizon only advances, except
/// that the first one this process computes also lowers a persisted one
/// above it.
fn apply_to(acceptor: &mut Acceptor, l: &Learned) {
    if let Some(h) = l.horizon {
        if l.clamp {
            acceptor.clamp_peer_horizon_lsn(h);
        }
        acceptor.advance_peer_horizon_lsn(h);
    }
    if let Some(b) = l.peer_backup {
        acceptor.advance_backup_lsn(b);
    }
}

/// Uploads sealed segments from `next_upload` on, advancing `backup_lsn`.
async fn upload_sealed(
    ctx: &Context,
    tl: &Arc<Timeline>,
    remote: &remote_storage::RemoteStorage,
    offload: &mut Offload,
) -> Result<()> {
    let size = tl.segment_size();
    for _ in 0..MAX_UPLOADS_PER_ROUND {
        if ctx.cancel.is_cancelled() {
            return Ok(());
        }
        let Some(up) = offload.next_upload(&tl.snapshot(), size)? else {
            return Ok(());
        };
        let reader = tl.reader().clone();
        let (from, to) = up.read_range();
        let bytes = tokio::task::spawn_blocking(move || reader.read(from, to))
            .await
            .map_err(|e| Error::Unavailable(format!("read task failed: {e}")))??;
        let bytes = Bytes::from(bytes);
        let key = remote_storage::layout::wal_segment_key(&tl.id, up.segment);
        remote.put(&key, up.object(&bytes)).await?;
        tl.metrics.uploaded.inc();
        let boundary = offload.uploaded(&up, &bytes)?;
        tl.with_core(move |_, core| {
            core.acceptor.advance_backup_lsn(boundary);
            Ok(())
        })
        .await?;
        debug!(segment = %up.segment, backup_lsn = %boundary, "uploaded WAL segment");
    }
    Ok(())
}

fn remember(boundaries: &mut Vec<Lsn>, b: Lsn) {
    if boundaries.last().is_none_or(|&last| b > last) {
        boundaries.push(b);
    }
}

/// How far this safekeeper and all its peers hold the same WAL: the lowest
/// of its own `flush_lsn` and each peer's [`agreement`] with it, or `None`
/// if some peer did not answer (its WAL is unknown) or sent a history that
/// makes no sense.
pub fn peer_horizon(me: &ControlState, peers: &[Option<pb::StatusResponse>]) -> Option<Lsn> {
    let mine = history::up_to(&me.term_history, me.flush_lsn);
    peers.iter().try_fold(me.flush_lsn, |h, p| {
        Some(h.min(agreement(&mine, me.timeline_start_lsn, p.as_ref()?)?))
    })
}

/// How far `peer`'s WAL is this safekeeper's (effective history `mine`):
/// the end of the last term both histories share, at most the peer's
/// `flush_lsn`. Not the `flush_lsn` itself: a peer that missed a term may
/// hold an older term's uncommitted tail past the point where its WAL
/// stops agreeing with ours; the next `Elected` it accepts cuts the tail
/// off, and the proposer then catches it up from there with a donor read,
/// which is served from local WAL only: WAL above that point must not be
/// trimmed here yet.
fn agreement(mine: &[TermSwitch], timeline_start: Lsn, peer: &pb::StatusResponse) -> Option<Lsn> {
    let flush = Lsn(peer.flush_lsn);
    let theirs = history::up_to(&term_history(&peer.term_history).ok()?, flush);
    let common = history::highest_common_point(mine, &theirs, flush).ok()?;
    Some(common.unwrap_or(timeline_start).min(flush))
}

/// Whether this safekeeper uploads: it has the lowest node id among itself
/// and the peers that answered for this timeline (`--peers` may list this
/// safekeeper itself, which answers with its own id).
pub fn is_uploader(node_id: u64, peers: &[Option<pb::StatusResponse>]) -> bool {
    peers.iter().flatten().all(|p| p.node_id >= node_id)
}

/// Where to trim local WAL: the highest known frame boundary at or below
/// `limit`, if trimming there deletes at least one segment.
fn trim_point(boundaries: &[Lsn], limit: Lsn, wal_start: Lsn, segment_size: u64) -> Option<Lsn> {
    let at = *boundaries.iter().rev().find(|&&b| b <= limit)?;
    (segment_start(at, segment_size) > segment_start(wal_start, segment_size)).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(node_id: u64, flush: u64) -> Option<pb::StatusResponse> {
        peer_with(node_id, flush, &[(1, 10)])
    }

    fn hist(entries: &[(u64, u64)]) -> Vec<TermSwitch> {
        entries
            .iter()
            .map(|&(term, lsn)| TermSwitch {
                term,
                start_lsn: Lsn(lsn),
            })
            .collect()
    }

    fn peer_with(node_id: u64, flush: u64, h: &[(u64, u64)]) -> Option<pb::StatusResponse> {
        Some(pb::StatusResponse {
            node_id,
            flush_lsn: flush,
            term_history: hist(h).into_iter().map(Into::into).collect(),
            ..Default::default()
        })
    }

    fn me(flush: u64, h: &[(u64, u64)]) -> ControlState {
        ControlState {
            flush_lsn: Lsn(flush),
            term_history: hist(h),
            timeline_start_lsn: Lsn(10),
            ..Default::default()
        }
    }

    #[test]
    fn the_lowest_reachable_node_id_uploads() {
        assert!(is_uploader(1, &[peer(2, 0), peer(3, 0)]));
        assert!(!is_uploader(2, &[peer(1, 10), peer(3, 0)]));
        // Node 1 is unreachable: node 2 takes over.
        assert!(is_uploader(2, &[None, peer(3, 0)]));
        assert!(is_uploader(7, &[]));
        // The peer list may include this safekeeper itself.
        assert!(is_uploader(1, &[peer(1, 10), peer(2, 0)]));
    }

    #[test]
    fn the_peer_horizon_needs_every_peer() {
        let me = me(100, &[(1, 10)]);
        assert_eq!(peer_horizon(&me, &[]), Some(Lsn(100)));
        assert_eq!(
            peer_horizon(&me, &[peer(2, 80), peer(3, 120)]),
            Some(Lsn(80))
        );
        assert_eq!(peer_horizon(&me, &[peer(2, 80), None]), None);
    }

    /// A peer that missed term 2 holds term 1's uncommitted tail up to 900;
    /// its WAL is ours only up to 500, where term 2 began here.
    #[test]
    fn the_peer_horizon_stops_where_a_peer_diverges() {
        let me = me(2000, &[(1, 10), (2, 500)]);
        let lagging = peer_with(3, 900, &[(1, 10)]);
        assert_eq!(
            peer_horizon(&me, &[peer_with(2, 2000, &[(1, 10), (2, 500)]), lagging]),
            Some(Lsn(500))
        );
        // A peer that already took term 3's Elected (history past its WAL)
        // still holds term 2 up to its flush.
        let ahead = peer_with(2, 1500, &[(1, 10), (2, 500), (3, 2000)]);
        assert_eq!(peer_horizon(&me, &[ahead]), Some(Lsn(1500)));
        // The peer is in a newer term that began at 1200 (it has term 2 up
        // to there, then term 3's WAL we do not have).
        let newer = peer_with(2, 3000, &[(1, 10), (2, 500), (3, 1200)]);
        assert_eq!(peer_horizon(&me, &[newer]), Some(Lsn(1200)));
        // No history in common: nothing is shared past the timeline start.
        let empty = peer_with(2, 700, &[]);
        assert_eq!(peer_horizon(&me, &[empty]), Some(Lsn(10)));
    }

    #[test]
    fn trimming_happens_at_a_known_boundary_below_the_limit() {
        let b = [Lsn(4096 + 10), Lsn(8192 + 5), Lsn(3 * 4096 + 1)];
        // The limit falls between boundaries: trim at the one below it.
        assert_eq!(
            trim_point(&b, Lsn(3 * 4096), Lsn(4096), 4096),
            Some(Lsn(8192 + 5))
        );
        // Nothing to delete: the boundary is in the first local segment.
        assert_eq!(trim_point(&b, Lsn(8000), Lsn(4096), 4096), None);
        assert_eq!(trim_point(&b, Lsn(100), Lsn(4096), 4096), None);
    }

    /// A horizon saved by the release that took the lowest `flush_lsn`
    /// (900: a lagging peer's old-term tail; its WAL is ours only up to
    /// 500) is loaded after an upgrade: no trim passes 500.
    #[test]
    fn a_horizon_saved_by_an_older_rule_never_lets_a_trim_pass_the_safe_point() {
        let mut state = me(2000, &[(1, 10), (2, 500)]);
        state.peer_horizon_lsn = Lsn(900);
        state.commit_lsn = Lsn(2000);
        state.backup_lsn = Lsn(2000);
        let mut acceptor = Acceptor::restore(1, state, Lsn(2000)).unwrap();
        let snap = |a: &Acceptor| Snapshot {
            state: a.state().clone(),
            wal_start: Lsn(10),
        };
        let ps = PageserverState {
            generation: 1,
            remote_consistent_lsn: Lsn(2000),
            dirty: false,
        };
        let mut offload = Offload::default();
        for b in [450, 800, 1900] {
            remember(&mut offload.boundaries, Lsn(b));
        }
        fn round(
            offload: &mut Offload,
            acceptor: &mut Acceptor,
            peers: &[Option<pb::StatusResponse>],
        ) {
            let l = offload.learn(acceptor.state(), peers);
            if l.news(acceptor.state()) {
                apply_to(acceptor, &l);
            }
            offload.learned(&l);
        }
        // On the loaded horizon alone, nothing is trimmed; nor while a peer
        // does not answer (no horizon computed).
        assert_eq!(offload.trim_point(&snap(&acceptor), &ps, 128), None);
        let caught_up = peer_with(2, 2000, &[(1, 10), (2, 500)]);
        round(&mut offload, &mut acceptor, &[caught_up.clone(), None]);
        assert_eq!(offload.trim_point(&snap(&acceptor), &ps, 128), None);
        // Every peer answers: the current rule's horizon replaces the
        // saved one, and the trim stays below it.
        let lagging = peer_with(3, 900, &[(1, 10)]);
        round(
            &mut offload,
            &mut acceptor,
            &[caught_up.clone(), lagging.clone()],
        );
        assert_eq!(acceptor.state().peer_horizon_lsn, Lsn(500));
        assert_eq!(
            offload.trim_point(&snap(&acceptor), &ps, 128),
            Some((Lsn(450), Lsn(500)))
        );
        // Later it only advances: the lagging peer caught up...
        round(
            &mut offload,
            &mut acceptor,
            &[caught_up.clone(), caught_up.clone()],
        );
        assert_eq!(acceptor.state().peer_horizon_lsn, Lsn(2000));
        // ... and a horizon computed lower later (a peer truncated above
        // commit) does not take it back.
        round(&mut offload, &mut acceptor, &[caught_up, lagging]);
        assert_eq!(acceptor.state().peer_horizon_lsn, Lsn(2000));
    }
}
