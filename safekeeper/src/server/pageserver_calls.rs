//! `Status`, `PageserverFeedback` and `IssueGeneration`: the calls a pageserver (and an
//! operator) makes to a safekeeper outside the consensus protocol.
//!
//! ## Generations
//! Pageserver generations are issued per timeline like terms (DESIGN.md,
//! "Safekeeper consensus" 7): `IssueGeneration` persists `highest + 1` in
//! the control file *before* replying, like a vote, so a restarted
//! safekeeper never issues the same generation twice. The pageserver takes
//! the maximum over a majority, so it may report a generation higher than
//! any this safekeeper issued; that becomes the highest seen.
//!
//! ## Feedback
//! `PageserverFeedback` from a generation below the highest seen is rejected
//! (`accepted = false`): a stale pageserver must not move the deletion
//! horizon. From the highest generation, `remote_consistent_lsn` is taken
//! as reported (a newer generation's value replaces an older one's, even if
//! lower). It is persisted lazily with the next control-file write, so
//! after a crash the horizon can only be older (safe: less WAL deleted).

use std::sync::Arc;

use proto::Lsn;
use proto::grpc::safekeeper as pb;
use tracing::info;

use super::timeline::{PageserverState, Timeline};
use crate::error::{Error, Result};

/// The timeline's state as `StatusResponse`.
pub fn status(tl: &Timeline) -> pb::StatusResponse {
    let snap = tl.snapshot();
    let ps = tl.pageserver_state();
    let s = snap.state;
    pb::StatusResponse {
        node_id: tl.node_id(),
        term: s.term,
        flush_lsn: s.flush_lsn.0,
        commit_lsn: s.commit_lsn.0,
        backup_lsn: s.backup_lsn.0,
        peer_horizon_lsn: s.peer_horizon_lsn.0,
        remote_consistent_lsn: ps.remote_consistent_lsn.0,
        term_history: s.term_history.iter().map(|&e| e.into()).collect(),
        timeline_start_lsn: s.timeline_start_lsn.0,
        pageserver_generation: ps.generation,
        readers: tl.readers().list(),
        last_append_ms_ago: tl.idle_for().map(|d| d.as_millis() as u64),
        wal_ages: tl
            .wal_ages()
            .into_iter()
            .map(|(lsn, ms_ago)| pb::WalAge { lsn: lsn.0, ms_ago })
            .collect(),
    }
}

/// Persists and returns the next generation for this timeline.
pub async fn issue(tl: &Arc<Timeline>, pageserver_id: &str) -> Result<pb::GenerationResponse> {
    let generation = tl
        .with_core(|tl, core| {
            tl.update_pageserver(core, true, |ps| {
                ps.generation += 1;
                ps.generation
            })
        })
        .await?;
    info!(generation, pageserver_id, "issued pageserver generation");
    Ok(pb::GenerationResponse {
        node_id: tl.node_id(),
        generation,
    })
}

/// The feedback rule (pure): takes `lsn` from `generation` if it is the
/// highest seen. Returns whether it was accepted and the highest generation.
pub fn take_feedback(ps: &mut PageserverState, generation: u64, lsn: Lsn) -> (bool, u64) {
    if generation < ps.generation {
        return (false, ps.generation);
    }
    if generation > ps.generation {
        ps.generation = generation;
        ps.remote_consistent_lsn = lsn;
    } else {
        ps.remote_consistent_lsn = ps.remote_consistent_lsn.max(lsn);
    }
    (true, ps.generation)
}

/// Takes a pageserver's `remote_consistent_lsn` if its generation is the
/// highest seen.
pub async fn feedback(tl: &Arc<Timeline>, r: &pb::FeedbackRequest) -> Result<pb::FeedbackResponse> {
    if r.generation == 0 {
        return Err(Error::InvalidRequest("generations start at 1".into()));
    }
    let (generation, lsn) = (r.generation, Lsn(r.remote_consistent_lsn));
    let commit = tl.snapshot().state.commit_lsn;
    if lsn > commit {
        // A pageserver only ever ingests committed WAL.
        return Err(Error::InvalidRequest(format!(
            "remote_consistent_lsn {lsn} is above commit_lsn {commit}"
        )));
    }
    let (accepted, highest) = tl
        .with_core(move |tl, core| {
            tl.update_pageserver(core, false, |ps| take_feedback(ps, generation, lsn))
        })
        .await?;
    if !accepted {
        info!(
            generation,
            highest, "rejected feedback from a stale pageserver generation"
        );
    }
    Ok(pb::FeedbackResponse {
        accepted,
        highest_generation: highest,
    })
}
