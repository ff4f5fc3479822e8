//! The bidirectional `Append` stream.
//!
//! A proposer pipelines `AppendRequest`s on one stream and reads one
//! `AppendResponse` per request, in order. One task serves a stream, and
//! does the work in place:
//!
//! ```text
//! inbound ──> read one request, then every request already received
//!             validate each, step them through the acceptor as ONE batch:
//!             write the WAL + one fdatasync (Timeline::step_now, blocking in
//!             place on this task's worker), then send each response
//! ```
//!
//! While a batch is being fdatasynced, the requests that arrive meanwhile
//! wait in the connection's buffers and form the next batch (pipelining).
//! No queue to a writer task, no oneshot per request, no acker task: the
//! timeline's core mutex serializes this batch with the writer task's
//! (Greet/Vote/Elected) and any other stream's.
//!
//! A request that fails validation, or an error from the acceptor (not a
//! refusal: a refused append is an ack with `accepted = false`), ends the
//! stream with that status after the responses before it. The task stops
//! when the client goes away or the server shuts down.
//!
//! The same stream is served on two wires: gRPC ([`serve`], for any tonic
//! client) and the lean length-prefixed wire of [`crate::wire`]
//! ([`serve_lean`], what the driver's links use), where this task reads the
//! socket and writes a batch's responses with one write itself.

use std::sync::Arc;

use bytes::BytesMut;
use futures::{FutureExt, Stream, StreamExt};
use proto::auth::{self, Grant};
use proto::grpc::required_timeline;
use proto::grpc::safekeeper as pb;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Status, Streaming};
use tracing::{Instrument, Span, debug, field, info_span};

use super::Context;
use super::service::{invalid, status};
use super::timeline::Timeline;
use crate::messages::{Append, Reply, Request};
use crate::wire;

/// Responses buffered towards the client.
const PIPELINE_DEPTH: usize = 4096;
/// Most requests stepped as one batch.
const MAX_BATCH: usize = 1024;

/// Serves one `Append` stream; returns the response stream.
pub fn serve(
    ctx: Arc<Context>,
    grant: Grant,
    mut inbound: Streaming<pb::AppendRequest>,
) -> impl Stream<Item = Result<pb::AppendResponse, Status>> + Send + 'static {
    let (out_tx, out_rx) = mpsc::channel(PIPELINE_DEPTH);
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
                    _ = out_tx.closed() => return,
                    msg = inbound.message() => msg,
                };
                let mut batch = Vec::new();
                let mut end = match msg {
                    Ok(Some(req)) => {
                        batch.push(req);
                        None
                    }
                    Ok(None) => return,
                    Err(e) => {
                        debug!(error = %e, "append stream ended");
                        return;
                    }
                };
                // Everything the proposer already sent joins this batch.
                while batch.len() < MAX_BATCH {
                    match inbound.message().now_or_never() {
                        Some(Ok(Some(req))) => batch.push(req),
                        Some(Ok(None)) => {
                            end = Some(None);
                            break;
                        }
                        Some(Err(e)) => {
                            end = Some(Some(e));
                            break;
                        }
                        None => break,
                    }
                }
                for result in step(&ctx, &grant, &mut current, batch).await {
                    let stop = result.is_err();
                    if out_tx.send(result).await.is_err() || stop {
                        return;
                    }
                }
                match end {
                    None => {}
                    Some(None) => return,
                    Some(Some(e)) => {
                        debug!(error = %e, "append stream ended");
                        return;
                    }
                }
            }
        }
        .instrument(span),
    );

    ReceiverStream::new(out_rx)
}

/// Serves one lean Append connection (see [`crate::wire`]) on this task:
/// reads a request and every one already received, steps them as one
/// batch, writes their responses with one write, until the client goes
/// away, a request fails or the server shuts down.
pub async fn serve_lean(ctx: Arc<Context>, stream: TcpStream) {
    let span = info_span!(
        "append_stream",
        tenant = field::Empty,
        timeline = field::Empty
    );
    async move {
        let peer = stream.peer_addr().ok();
        let verifier = ctx.config.auth.clone();
        let admit = |token: &str| match &verifier {
            None => Ok(Grant::open()),
            Some(v) => auth::authenticate_token(v, Some(token), peer, auth::Method::SkAppend)
                .map_err(|s| s.message().to_string()),
        };
        let (mut inbound, mut out, grant) = match wire::accept(
            stream,
            wire::HANDSHAKE_TIMEOUT,
            ctx.config.tls.as_ref(),
            admit,
        )
        .await
        {
            Ok(halves) => halves,
            Err(e) => {
                debug!(error = %e, "lean Append handshake");
                return;
            }
        };
        let cancel = ctx.cancel.clone();
        let mut current: Option<Arc<Timeline>> = None;
        let mut buf = BytesMut::new();
        loop {
            let frame = tokio::select! {
                _ = cancel.cancelled() => return,
                f = inbound.next() => f,
            };
            let mut batch = Vec::new();
            // `Some(why)`: the stream ends after this batch (with an error
            // frame if `why` is not empty).
            let mut end: Option<String> = None;
            let mut take = |f: Option<std::io::Result<bytes::BytesMut>>,
                            batch: &mut Vec<pb::AppendRequest>|
             -> bool {
                match f {
                    Some(Ok(frame)) => match wire::decode_request(frame.freeze()) {
                        Ok(req) => {
                            batch.push(req);
                            true
                        }
                        Err(e) => {
                            end = Some(e.to_string());
                            false
                        }
                    },
                    Some(Err(e)) => {
                        debug!(error = %e, "append stream ended");
                        end = Some(String::new());
                        false
                    }
                    None => {
                        end = Some(String::new());
                        false
                    }
                }
            };
            if take(frame, &mut batch) {
                // Everything the proposer already sent joins this batch.
                while batch.len() < MAX_BATCH {
                    match inbound.next().now_or_never() {
                        Some(f) => {
                            if !take(f, &mut batch) {
                                break;
                            }
                        }
                        None => break,
                    }
                }
            }
            buf.clear();
            let mut stop = false;
            for result in step(&ctx, &grant, &mut current, batch).await {
                let result = result.map_err(|s| format!("{:?}: {}", s.code(), s.message()));
                stop = result.is_err();
                if wire::encode_response(&result, &mut buf).is_err() {
                    return;
                }
                if stop {
                    break;
                }
            }
            if !stop
                && let Some(why) = &end
                && !why.is_empty()
            {
                let _ = wire::encode_response(&Err(why.clone()), &mut buf);
            }
            if !buf.is_empty() && out.write_all(&buf).await.is_err() {
                return;
            }
            if stop || end.is_some() {
                return;
            }
        }
    }
    .instrument(span)
    .await
}

/// Validates `batch` and steps its appends on their timeline as one group
/// commit; one response per request up to the first failure, which ends the
/// list.
async fn step(
    ctx: &Context,
    grant: &Grant,
    current: &mut Option<Arc<Timeline>>,
    batch: Vec<pb::AppendRequest>,
) -> Vec<Result<pb::AppendResponse, Status>> {
    let mut out = Vec::with_capacity(batch.len());
    let mut requests = Vec::with_capacity(batch.len());
    let mut tl: Option<Arc<Timeline>> = None;
    let mut invalid_at: Option<Status> = None;
    for req in batch {
        match route(ctx, grant, current, req) {
            Ok((t, append)) => {
                if tl.as_ref().is_some_and(|x| !Arc::ptr_eq(x, &t)) {
                    // Another timeline mid-batch: step what we have first.
                    out.extend(run(tl.take(), std::mem::take(&mut requests)).await);
                    if out.iter().any(|r| r.is_err()) {
                        return out;
                    }
                }
                tl = Some(t);
                requests.push(Request::Append(append));
            }
            Err(s) => {
                invalid_at = Some(s);
                break;
            }
        }
    }
    out.extend(run(tl, requests).await);
    if let Some(s) = invalid_at
        && !out.iter().any(|r| r.is_err())
    {
        out.push(Err(s));
    }
    out
}

/// Steps `requests` on `tl` now and converts the replies, stopping at the
/// first error.
async fn run(
    tl: Option<Arc<Timeline>>,
    requests: Vec<Request>,
) -> Vec<Result<pb::AppendResponse, Status>> {
    let Some(tl) = tl else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(requests.len());
    for result in tl.step_now(requests).await {
        let r = match result {
            Ok(Reply::Append(r)) => Ok(r.into()),
            Ok(other) => Err(Status::internal(format!(
                "the acceptor answered an append with {other:?}"
            ))),
            Err(e) => Err(status(e)),
        };
        let stop = r.is_err();
        out.push(r);
        if stop {
            break;
        }
    }
    out
}

/// Validates one request, checks the caller may append to its timeline
/// (once per timeline switch) and finds the timeline.
fn route(
    ctx: &Context,
    grant: &Grant,
    current: &mut Option<Arc<Timeline>>,
    req: pb::AppendRequest,
) -> Result<(Arc<Timeline>, Append), Status> {
    let id = required_timeline(req.timeline.as_ref()).map_err(invalid)?;
    let tl = match current {
        Some(tl) if tl.id == id => tl.clone(),
        _ => {
            grant.permit(
                auth::Method::SkAppend,
                Some(id.tenant.as_str()),
                Some(id.timeline.as_str()),
            )?;
            let tl = ctx.get(&id).map_err(status)?;
            let span = Span::current();
            span.record("tenant", id.tenant.as_str());
            span.record("timeline", id.timeline.as_str());
            *current = Some(tl.clone());
            tl
        }
    };
    let append = Append::try_from(req).map_err(invalid)?;
    Ok((tl, append))
}
