//! Peer recovery: a safekeeper that is behind while no proposer is active
//! pulls the committed WAL it lacks from a peer.
//!
//! When a timeline has had no appends for `recovery_idle` and a peer
//! reports a higher `commit_lsn`, the safekeeper acts as that peer's
//! proposer would, through its own acceptor (so every consensus rule still
//! applies):
//! 1. `Elected { term: peer.term, term_history: peer.term_history }` — only
//!    if the peer has accepted its term's `Elected` (its history ends with
//!    its term) and its term is not below ours. This cuts any divergent
//!    uncommitted tail and adopts the peer's history, exactly what the
//!    elected proposer of that term would send.
//! 2. `ReadWal` on the peer from our new `flush_lsn` with `stop_at_commit`
//!    (committed WAL only), each chunk stepped as an `Append` in the peer's
//!    term, then a heartbeat carrying the peer's `commit_lsn`.
//!
//! Every step goes through the timeline's group-commit queue, so it is
//! durable before the next. If a proposer shows up meanwhile with a higher
//! term, our appends are refused and recovery stops; in the same term the
//! acceptor skips bytes it already holds, so the two never conflict.

use std::sync::Arc;

use futures::StreamExt;
use proto::Lsn;
use proto::grpc::safekeeper as pb;
use proto::grpc::term_history;
use tracing::{info, warn};

use super::Context;
use super::timeline::Timeline;
use crate::error::{Error, Result};
use crate::messages::{Append, Elected, Reply, Request};
use crate::storage::ControlState;

/// Pulls committed WAL from the most advanced peer if this timeline is idle
/// and behind. `peers` is [`poll_peers`](super::offload::poll_peers)'s
/// answer, in `ctx.peers` order.
pub async fn maybe_recover(
    ctx: &Context,
    tl: &Arc<Timeline>,
    peers: &[Option<pb::StatusResponse>],
) -> Result<()> {
    let idle = tl.idle_for().unwrap_or(tl.uptime());
    if idle < ctx.config.recovery_idle {
        return Ok(());
    }
    let me = tl.snapshot().state;
    let Some(i) = choose_donor(&me, peers) else {
        return Ok(());
    };
    let peer = peers[i].as_ref().expect("the donor answered");
    let addr = &ctx.peers[i].addr;
    info!(
        peer = %addr,
        peer_commit = %Lsn(peer.commit_lsn),
        commit_lsn = %me.commit_lsn,
        flush_lsn = %me.flush_lsn,
        "behind with no active proposer: recovering WAL from a peer"
    );
    let term = peer.term;
    let elected = elected_from(&me, peer)
        .map_err(|e| Error::InvalidRequest(format!("peer {addr} term history: {e}")))?;
    let mut pos = match tl.step(Request::Elected(elected)).await? {
        Reply::Elected(r) if r.accepted => r.flush_lsn,
        Reply::Elected(r) => {
            info!(
                term = r.term,
                "peer recovery refused: this safekeeper moved to a higher term"
            );
            return Ok(());
        }
        other => return Err(Error::Invariant(format!("Elected answered with {other:?}"))),
    };

    let mut client = ctx.peers[i].client.clone();
    let req = pb::ReadWalRequest {
        timeline: Some((&tl.id).into()),
        start_lsn: pos.0,
        stop_at_commit: true,
        include_uncommitted: false,
        term: 0,
        reader: format!("safekeeper {} (peer recovery)", tl.node_id()),
    };
    let mut stream = client
        .read_wal(req)
        .await
        .map_err(|s| Error::Unavailable(format!("ReadWal on peer {addr}: {s}")))?
        .into_inner();
    let mut commit = Lsn(peer.commit_lsn);
    let mut pulled = 0u64;
    loop {
        let chunk = tokio::select! {
            _ = ctx.cancel.cancelled() => return Ok(()),
            chunk = stream.next() => chunk,
        };
        let chunk = match chunk {
            None => break,
            Some(Ok(c)) => c,
            Some(Err(s)) => {
                return Err(Error::Unavailable(format!("ReadWal on peer {addr}: {s}")));
            }
        };
        if chunk.start_lsn != pos.0 || chunk.wal.is_empty() {
            return Err(Error::InvalidRequest(format!(
                "peer {addr} sent WAL at {} (expected {pos})",
                Lsn(chunk.start_lsn)
            )));
        }
        commit = commit.max(Lsn(chunk.commit_lsn));
        let len = chunk.wal.len() as u64;
        let append = recovery_append(term, pos, chunk.wal, commit);
        if !appended(tl.step(Request::Append(append)).await?) {
            return Ok(());
        }
        pos = pos + len;
        pulled += len;
        tl.metrics.recovered_bytes.inc_by(len);
    }
    // A heartbeat so commit_lsn is learned even when no bytes were missing.
    let heartbeat = recovery_append(term, pos, bytes::Bytes::new(), commit);
    appended(tl.step(Request::Append(heartbeat)).await?);
    let now = tl.snapshot().state;
    info!(peer = %addr, pulled, flush_lsn = %now.flush_lsn, commit_lsn = %now.commit_lsn, "peer recovery done");
    Ok(())
}

/// The peer to recover from (an index into `peers`): the one with the
/// highest `commit_lsn` above ours whose term is not below ours and whose
/// `Elected` it accepted (its history ends with its term).
pub fn choose_donor(me: &ControlState, peers: &[Option<pb::StatusResponse>]) -> Option<usize> {
    peers
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.as_ref().map(|p| (i, p)))
        .filter(|(_, p)| {
            Lsn(p.commit_lsn) > me.commit_lsn
                && p.term >= me.term
                && p.term_history.last().is_some_and(|e| e.term == p.term)
        })
        .max_by_key(|(_, p)| (p.commit_lsn, p.term))
        .map(|(i, _)| i)
}

/// The `Elected` that adopts the donor's term and history (step 1).
pub fn elected_from(
    me: &ControlState,
    peer: &pb::StatusResponse,
) -> std::result::Result<Elected, proto::Error> {
    Ok(Elected {
        term: peer.term,
        term_history: term_history(&peer.term_history)?,
        commit_lsn: me.commit_lsn,
    })
}

/// Pulled WAL at `pos`, stepped as an append in the donor's term (step 2).
pub fn recovery_append(term: proto::Term, pos: Lsn, wal: bytes::Bytes, commit: Lsn) -> Append {
    Append {
        term,
        begin_lsn: pos,
        wal,
        commit_lsn: commit,
        truncate_lsn: Lsn::INVALID,
    }
}

/// Whether recovery goes on after this reply to one of its appends.
pub fn appended(reply: Reply) -> bool {
    match reply {
        Reply::Append(r) if r.accepted => true,
        Reply::Append(r) => {
            info!(
                term = r.term,
                "peer recovery stopped: a newer term took over"
            );
            false
        }
        other => {
            warn!(?other, "unexpected reply to a recovery append");
            false
        }
    }
}
