//! The bidirectional `Append` stream.
//!
//! A proposer pipelines `AppendRequest`s on one stream and reads one
//! `AppendResponse` per request, in order. Two tasks serve a stream:
//!
//! ```text
//! inbound ──> reader task: validate, route to the timeline's queue ──┐ (oneshot per request, in order)
//!             (never waits for an ack, so everything the proposer    v
//!              sent is queued and lands in one group-commit batch)  acker task: await each in
//!                                                                    order, send the response
//! ```
//!
//! A request that fails validation, or an error from the acceptor (not a
//! refusal: a refused append is an ack with `accepted = false`), ends the
//! stream with that status after the acks before it. Both tasks stop when
//! the client goes away or the server shuts down.

use std::sync::Arc;

use futures::Stream;
use proto::grpc::required_timeline;
use proto::grpc::safekeeper as pb;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Status, Streaming};
use tracing::{Instrument, Span, debug, field, info_span};

use super::Context;
use super::service::{invalid, status};
use super::timeline::Timeline;
use crate::error::Result;
use crate::messages::{Append, Reply, Request};

/// Requests queued but not yet acked, per stream.
const PIPELINE_DEPTH: usize = 4096;

enum Pending {
    Wait(oneshot::Receiver<Result<Reply>>),
    Fail(Status),
}

/// Serves one `Append` stream; returns the response stream.
pub fn serve(
    ctx: Arc<Context>,
    mut inbound: Streaming<pb::AppendRequest>,
) -> impl Stream<Item = Result<pb::AppendResponse, Status>> + Send + 'static {
    let (out_tx, out_rx) = mpsc::channel(PIPELINE_DEPTH);
    let (pending_tx, mut pending_rx) = mpsc::channel::<Pending>(PIPELINE_DEPTH);
    let cancel = ctx.cancel.clone();
    let span = info_span!(
        "append_stream",
        tenant = field::Empty,
        timeline = field::Empty
    );

    tokio::spawn(
        async move {
            let mut current: Option<Arc<Timeline>> = None;
            loop {
                let msg = tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = pending_tx.closed() => return,
                    msg = inbound.message() => msg,
                };
                let req = match msg {
                    Ok(Some(req)) => req,
                    Ok(None) => return,
                    Err(e) => {
                        debug!(error = %e, "append stream ended");
                        return;
                    }
                };
                let pending = match route(&ctx, &mut current, req).await {
                    Ok(rx) => Pending::Wait(rx),
                    Err(s) => Pending::Fail(s),
                };
                let failed = matches!(pending, Pending::Fail(_));
                if pending_tx.send(pending).await.is_err() || failed {
                    return;
                }
            }
        }
        .instrument(span.clone()),
    );

    tokio::spawn(
        async move {
            while let Some(pending) = pending_rx.recv().await {
                let result = match pending {
                    Pending::Fail(s) => Err(s),
                    Pending::Wait(rx) => match rx.await {
                        Ok(Ok(Reply::Append(r))) => Ok(r.into()),
                        Ok(Ok(other)) => Err(Status::internal(format!(
                            "the acceptor answered an append with {other:?}"
                        ))),
                        Ok(Err(e)) => Err(status(e)),
                        Err(_) => Err(Status::unavailable("the safekeeper is shutting down")),
                    },
                };
                let stop = result.is_err();
                if out_tx.send(result).await.is_err() || stop {
                    return;
                }
            }
        }
        .instrument(span),
    );

    ReceiverStream::new(out_rx)
}

/// Validates one request and queues it on its timeline.
async fn route(
    ctx: &Context,
    current: &mut Option<Arc<Timeline>>,
    req: pb::AppendRequest,
) -> Result<oneshot::Receiver<Result<Reply>>, Status> {
    let id = required_timeline(req.timeline.as_ref()).map_err(invalid)?;
    let tl = match current {
        Some(tl) if tl.id == id => tl.clone(),
        _ => {
            let tl = ctx.get(&id).map_err(status)?;
            let span = Span::current();
            span.record("tenant", id.tenant.as_str());
            span.record("timeline", id.timeline.as_str());
            *current = Some(tl.clone());
            tl
        }
    };
    let append = Append::try_from(req).map_err(invalid)?;
    tl.submit(Request::Append(append)).await.map_err(status)
}
