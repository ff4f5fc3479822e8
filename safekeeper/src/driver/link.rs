//! One safekeeper, as the driver sees it: a connection, an `Append` stream
//! and the queue that merges appends (the second half of group commit).
//!
//! A link moves messages and never decides anything (the stream's
//! decisions are [`LinkCore`]'s, pure, also driven by the simulation): requests from the
//! event loop go out (Greet/Vote/Elected as unary RPCs in their own tasks,
//! appends on the lean Append wire of [`crate::wire`] — a TCP connection to
//! the same port that this task writes and reads itself — and donor reads
//! as `ReadWal` streams), replies come back as [`Event`]s. At most `max_inflight_appends` `Append` messages
//! carrying WAL are outstanding (an empty one, which only tells the acceptor
//! the new `commit_lsn`, does not count: a commit's record must not wait for
//! the round trip of the previous commit's heartbeat); the rest are
//! outstanding; appends that queue up behind them are merged by
//! [`AppendQueue`] into one message of contiguous WAL, so they share one
//! fsync on the safekeeper.
//!
//! An `Append` without WAL (the core's heartbeat carrying a new
//! `commit_lsn`) is held back for up to [`super::core::HEARTBEAT_HOLD`]
//! (`LinkCore`'s decision; this shell only arms the timer), so that under
//! load it rides on the next commit's `Append`.
//!
//! Failures are message loss: when the stream breaks, the queue is dropped
//! and the link reconnects with exponential backoff; the core resends from
//! the acceptor's acknowledged position on its tick. While the stream is
//! down, appends are dropped on arrival (unary requests are still tried,
//! since the channel reconnects by itself).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use proto::auth::AuthChannel;
use proto::grpc::safekeeper as pb;
use proto::grpc::safekeeper::safekeeper_client::SafekeeperClient;
use proto::{Lsn, Term};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::DriverConfig;
use super::core::{HEARTBEAT_HOLD, LinkCore, LinkLimits, greets_when_missing};
use super::event_loop::DirectState;
use super::metrics::Metrics;
use crate::error::{Error, Result};
use crate::messages::{
    Append, AppendReply, ElectedReply, Greet, GreetReply, NodeId, Reply, Request, VoteReply,
};
use crate::wire;

/// Largest gRPC message either way (a merged append, a WAL chunk).
const MAX_MESSAGE_BYTES: usize = 64 << 20;

pub(super) use super::core::{Event, LinkMsg};

/// Appends waiting for the stream, merged when contiguous.
#[derive(Debug, Default)]
pub struct AppendQueue {
    queue: VecDeque<Append>,
    bytes: usize,
}

impl AppendQueue {
    pub fn push(&mut self, a: Append) {
        self.bytes += a.wal.len();
        self.queue.push_back(a);
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Appends queued.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub fn clear(&mut self) {
        self.queue.clear();
        self.bytes = 0;
    }

    /// The next message to send: the oldest append merged with the ones
    /// after it while they are of the same term, start where the previous
    /// ends, and fit `max_bytes` together. The result carries the newest
    /// `commit_lsn` and `truncate_lsn`.
    pub fn pop_batch(&mut self, max_bytes: usize) -> Option<Append> {
        let first = self.queue.pop_front()?;
        self.bytes -= first.wal.len();
        let mut end = first.begin_lsn + first.wal.len() as u64;
        let mut len = first.wal.len();
        let mut merged: Option<BytesMut> = None;
        let mut out = first;
        while let Some(next) = self.queue.front() {
            if next.term != out.term || next.begin_lsn != end || len + next.wal.len() > max_bytes {
                break;
            }
            let next = self.queue.pop_front().expect("front exists");
            self.bytes -= next.wal.len();
            if !next.wal.is_empty() {
                let buf = merged.get_or_insert_with(|| BytesMut::from(&out.wal[..]));
                buf.extend_from_slice(&next.wal);
            }
            len += next.wal.len();
            end = end + next.wal.len() as u64;
            out.commit_lsn = out.commit_lsn.max(next.commit_lsn);
            out.truncate_lsn = out.truncate_lsn.max(next.truncate_lsn);
        }
        if let Some(buf) = merged {
            out.wal = buf.freeze();
        }
        Some(out)
    }
}

pub(super) struct Link {
    id: NodeId,
    /// `host:port` or `http://host:port`: gRPC and the lean Append wire.
    addr: String,
    channel: AuthChannel,
    /// Sent in the lean wire's handshake.
    token: proto::auth::Token,
    /// `--grpc-tls-ca`: the lean wire opens TLS with it.
    tls: Option<proto::tls::ClientTls>,
    timeline: pb::TimelineRef,
    rx: mpsc::UnboundedReceiver<LinkMsg>,
    events: mpsc::UnboundedSender<Event>,
    /// Where Append replies are stepped in place (see `event_loop::DirectState`).
    direct: DirectState,
    metrics: Arc<Metrics>,
    rpc_timeout: Duration,
    /// Sent when the safekeeper does not know the timeline (it missed the
    /// election's Greet): the Greet creates it, and the core's resend of
    /// Vote/Elected then succeeds.
    greet: Greet,
    /// The stream's decisions (queue, in-flight bound, stall, backoff).
    core: LinkCore,
    /// The link's clock starts here (`LinkCore` takes time since then).
    epoch: tokio::time::Instant,
}

impl Link {
    /// A link to `addr` (not connected yet) and the sender that feeds it.
    pub fn new(
        id: NodeId,
        addr: &str,
        cfg: &DriverConfig,
        events: mpsc::UnboundedSender<Event>,
        direct: DirectState,
        metrics: Arc<Metrics>,
    ) -> Result<(Link, mpsc::UnboundedSender<LinkMsg>)> {
        let endpoint = proto::tls::endpoint(addr, cfg.tls.as_ref())
            .map_err(|e| Error::InvalidRequest(format!("safekeeper address {addr:?}: {e}")))?
            .connect_timeout(cfg.rpc_timeout)
            .tcp_nodelay(true);
        let (tx, rx) = mpsc::unbounded_channel();
        let link = Link {
            id,
            addr: addr.to_string(),
            channel: proto::auth::channel(endpoint.connect_lazy(), &cfg.auth_token),
            token: cfg.auth_token.clone(),
            tls: cfg.tls.clone(),
            timeline: (&cfg.timeline).into(),
            rx,
            events,
            direct,
            metrics,
            rpc_timeout: cfg.rpc_timeout,
            greet: Greet {
                proposer_id: cfg.proposer_id,
                timeline_start_lsn: cfg.timeline_start_lsn,
            },
            core: LinkCore::new(LinkLimits {
                max_batch_bytes: cfg.max_batch_bytes.max(1),
                max_inflight: cfg.max_inflight_appends.max(1),
                max_queue_bytes: (cfg.max_batch_bytes * 8).max(16 << 20),
                rpc_timeout: cfg.rpc_timeout,
                backoff_min: cfg.backoff_min,
                backoff_max: cfg.backoff_max.max(cfg.backoff_min),
                heartbeat_hold: HEARTBEAT_HOLD,
            }),
            epoch: tokio::time::Instant::now(),
        };
        Ok((link, tx))
    }

    fn client(&self) -> SafekeeperClient<AuthChannel> {
        SafekeeperClient::new(self.channel.clone())
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES)
    }

    fn now(&self) -> Duration {
        self.epoch.elapsed()
    }

    pub async fn run(mut self, cancel: CancellationToken) {
        loop {
            if let SessionEnd::Stop = self.session(&cancel).await {
                return;
            }
            let backoff = self.core.broke();
            if !self.wait_backoff(backoff, &cancel).await {
                return;
            }
        }
    }

    /// Sleeps `delay`, still serving unary requests and dropping appends.
    /// False when the link must stop.
    async fn wait_backoff(&mut self, delay: Duration, cancel: &CancellationToken) -> bool {
        let sleep = tokio::time::sleep(delay);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return false,
                _ = &mut sleep => return true,
                msg = self.rx.recv() => match msg {
                    None => return false,
                    Some(LinkMsg::Request(Request::Append(a))) => {
                        let queued = self.core.push(a);
                        debug_assert!(!queued, "the stream is down");
                    }
                    Some(msg) => self.spawn_rpc(msg),
                },
            }
        }
    }

    /// Opens the Append stream (the lean wire, [`crate::wire`]) and serves
    /// it until it breaks. This task writes the requests to the socket and
    /// reads the replies itself: no HTTP/2 connection task in between.
    async fn session(&mut self, cancel: &CancellationToken) -> SessionEnd {
        let secret = self.token.secret();
        let open = tokio::select! {
            _ = cancel.cancelled() => return SessionEnd::Stop,
            r = wire::connect(&self.addr, &secret, self.rpc_timeout, self.tls.as_ref()) => r,
        };
        let (mut inbound, mut out) = match open {
            Ok(halves) => halves,
            Err(e) => {
                tracing::debug!(error = %e, "open Append stream");
                return SessionEnd::Failed;
            }
        };
        tracing::debug!("Append stream open");
        self.core.opened(self.now());
        let mut buf = BytesMut::new();
        // A safekeeper that stops answering without closing the connection
        // (a partition, a hung disk) is treated like a broken stream
        // (`LinkCore::stall_deadline`).
        let stalled = tokio::time::sleep(self.rpc_timeout);
        tokio::pin!(stalled);
        // Held heartbeats go out when this fires (`LinkCore::hold_deadline`).
        let hold = tokio::time::sleep(HEARTBEAT_HOLD);
        tokio::pin!(hold);
        loop {
            let deadline = self.core.stall_deadline();
            if let Some(d) = deadline {
                stalled.as_mut().reset(self.epoch + d);
            }
            let held = self.core.hold_deadline();
            if let Some(d) = held {
                hold.as_mut().reset(self.epoch + d);
            }
            tokio::select! {
                biased;
                _ = cancel.cancelled() => return SessionEnd::Stop,
                frame = inbound.next() => match frame.map(|f| f.and_then(|f| wire::decode_response(f.freeze()))) {
                    Some(Ok(Ok(resp))) => {
                        self.core.on_response(self.now());
                        self.on_append_response(&resp);
                    }
                    Some(Ok(Err(why))) => {
                        tracing::info!(error = %why, "Append stream broke");
                        return SessionEnd::Failed;
                    }
                    Some(Err(e)) => {
                        tracing::info!(error = %e, "Append stream broke");
                        return SessionEnd::Failed;
                    }
                    None => {
                        tracing::info!("Append stream closed by the safekeeper");
                        return SessionEnd::Failed;
                    }
                },
                _ = &mut stalled, if deadline.is_some() => {
                    tracing::info!(timeout = ?self.rpc_timeout, "no Append response: reconnecting");
                    return SessionEnd::Failed;
                }
                _ = &mut hold, if held.is_some() => {}
                msg = self.rx.recv() => match msg {
                    None => return SessionEnd::Stop,
                    Some(msg) => {
                        self.take(msg);
                        while let Ok(msg) = self.rx.try_recv() {
                            self.take(msg);
                        }
                    }
                },
            }
            // Everything sendable now goes out in one write.
            buf.clear();
            for batch in self.core.take_batches(self.now()) {
                let batch_wal = batch.append.wal.len();
                if batch_wal > 0 {
                    self.metrics.append_messages.inc();
                    self.metrics.append_bytes.inc_by(batch_wal as u64);
                }
                if let Err(e) =
                    wire::encode_request(&batch.append.to_proto(self.timeline.clone()), &mut buf)
                {
                    tracing::warn!(error = %e, "Append not sent");
                    return SessionEnd::Failed;
                }
            }
            if !buf.is_empty() {
                match tokio::time::timeout(self.rpc_timeout, out.write_all(&buf)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => {
                        tracing::info!(error = %e, "Append stream broke");
                        return SessionEnd::Failed;
                    }
                    Err(_) => {
                        tracing::info!(timeout = ?self.rpc_timeout, "Append write stalled: reconnecting");
                        return SessionEnd::Failed;
                    }
                }
            }
        }
    }

    fn take(&mut self, msg: LinkMsg) {
        match msg {
            LinkMsg::Request(Request::Append(a)) => {
                self.core.push(a);
            }
            other => self.spawn_rpc(other),
        }
    }

    fn on_append_response(&self, resp: &pb::AppendResponse) {
        match AppendReply::try_from(resp) {
            Ok(reply) => self.deliver(Event::Reply {
                from: self.id,
                reply: Reply::Append(reply),
            }),
            Err(e) => tracing::warn!(error = %e, "malformed Append response ignored"),
        }
    }

    /// Steps `ev` into the core on this task if the state is there (and
    /// sound), else hands it to the event loop.
    fn deliver(&self, ev: Event) {
        if let Some(state) = self.direct.get()
            && let Ok(mut s) = super::event_loop::lock(state)
        {
            s.deliver(ev);
            return;
        }
        let _ = self.events.send(ev);
    }

    /// Runs a unary request or a donor read in its own task.
    fn spawn_rpc(&self, msg: LinkMsg) {
        let client = self.client();
        let timeline = self.timeline.clone();
        let events = self.events.clone();
        let id = self.id;
        let timeout = self.rpc_timeout;
        let greet = self.greet.clone();
        let fut = async move {
            let res = match msg {
                LinkMsg::Request(req) => unary(client, timeline, req, greet).await,
                LinkMsg::ReadWal { start, end, term } => {
                    read_wal(client, timeline, start, end, term)
                        .await
                        .map(|wal| Event::WalRead {
                            from: id,
                            start,
                            wal,
                        })
                }
            };
            match res {
                Ok(Event::Reply { reply, .. }) => {
                    let _ = events.send(Event::Reply { from: id, reply });
                }
                Ok(ev) => {
                    let _ = events.send(ev);
                }
                Err(e) => {
                    tracing::debug!(error = %e, "request to safekeeper failed");
                    let _ = events.send(Event::Failed { from: id, why: e });
                }
            }
        };
        tokio::spawn(tracing::Instrument::instrument(
            async move {
                if tokio::time::timeout(timeout, fut).await.is_err() {
                    tracing::debug!("request to safekeeper timed out");
                }
            },
            tracing::Span::current(),
        ));
    }
}

enum SessionEnd {
    Stop,
    Failed,
}

fn rpc_err(what: &str, status: tonic::Status) -> String {
    format!("{what}: {:?}: {}", status.code(), status.message())
}

fn bad_reply(what: &str, e: proto::Error) -> String {
    format!("{what}: malformed reply: {e}")
}

/// Sends one Greet, Vote or Elected and converts the answer.
async fn unary(
    mut client: SafekeeperClient<AuthChannel>,
    timeline: pb::TimelineRef,
    req: Request,
    greet: Greet,
) -> std::result::Result<Event, String> {
    // NOT_FOUND: the safekeeper lacks the timeline; greet it if the core
    // says so (the Greet creates it, the core's resend then succeeds).
    let greets = greets_when_missing(&req);
    let missing = |s: &tonic::Status| greets && s.code() == tonic::Code::NotFound;
    let reply = match req {
        Request::Greet(m) => {
            let r = client
                .greet(m.to_proto(timeline))
                .await
                .map_err(|s| rpc_err("greet", s))?;
            Reply::Greet(GreetReply::try_from(r.get_ref()).map_err(|e| bad_reply("greet", e))?)
        }
        Request::Vote(m) => {
            let r = match client.vote(m.to_proto(timeline.clone())).await {
                Err(s) if missing(&s) => {
                    let _ = client.greet(greet.to_proto(timeline)).await;
                    return Err(rpc_err("vote (greeted the safekeeper)", s));
                }
                r => r.map_err(|s| rpc_err("vote", s))?,
            };
            Reply::Vote(VoteReply::try_from(r.get_ref()).map_err(|e| bad_reply("vote", e))?)
        }
        Request::Elected(m) => {
            let r = match client.elected(m.to_proto(timeline.clone())).await {
                Err(s) if missing(&s) => {
                    let _ = client.greet(greet.to_proto(timeline)).await;
                    return Err(rpc_err("elected (greeted the safekeeper)", s));
                }
                r => r.map_err(|s| rpc_err("elected", s))?,
            };
            Reply::Elected(
                ElectedReply::try_from(r.get_ref()).map_err(|e| bad_reply("elected", e))?,
            )
        }
        Request::Append(_) => return Err("appends travel on the stream".into()),
    };
    Ok(Event::Reply { from: 0, reply })
}

/// Reads `[start, end)` from a donor that must still be at `term`.
async fn read_wal(
    mut client: SafekeeperClient<AuthChannel>,
    timeline: pb::TimelineRef,
    start: Lsn,
    end: Lsn,
    term: Term,
) -> std::result::Result<Bytes, String> {
    let want = end.distance_from(start) as usize;
    let req = pb::ReadWalRequest {
        timeline: Some(timeline),
        start_lsn: start.0,
        stop_at_commit: false,
        include_uncommitted: true,
        term,
        reader: "proposer (syncing a safekeeper)".into(),
    };
    let mut stream = client
        .read_wal(req)
        .await
        .map_err(|s| rpc_err("read WAL", s))?
        .into_inner();
    let mut buf = BytesMut::with_capacity(want);
    while buf.len() < want {
        let Some(chunk) = stream.next().await else {
            break;
        };
        let chunk = chunk.map_err(|s| rpc_err("read WAL", s))?;
        let at = start + buf.len() as u64;
        if chunk.start_lsn != at.0 {
            return Err(format!(
                "read WAL: chunk at {} where {at} was expected",
                Lsn(chunk.start_lsn)
            ));
        }
        buf.extend_from_slice(&chunk.wal);
    }
    if buf.len() < want {
        return Err(format!(
            "read WAL: donor served {} of {want} bytes from {start}",
            buf.len()
        ));
    }
    buf.truncate(want);
    Ok(buf.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn append(term: Term, begin: u64, wal: &'static [u8], commit: u64) -> Append {
        Append {
            term,
            begin_lsn: Lsn(begin),
            wal: Bytes::from_static(wal),
            commit_lsn: Lsn(commit),
            truncate_lsn: Lsn(100),
        }
    }

    #[test]
    fn contiguous_appends_merge_with_the_newest_commit_lsn() {
        let mut q = AppendQueue::default();
        q.push(append(2, 100, b"abc", 100));
        q.push(append(2, 103, b"", 101));
        q.push(append(2, 103, b"de", 102));
        q.push(append(2, 105, b"f", 103));
        let b = q.pop_batch(1 << 20).unwrap();
        assert_eq!(b.begin_lsn, Lsn(100));
        assert_eq!(&b.wal[..], b"abcdef");
        assert_eq!(b.commit_lsn, Lsn(103));
        assert!(q.pop_batch(1 << 20).is_none());
        assert_eq!(q.bytes(), 0);
    }

    #[test]
    fn a_gap_a_rewind_a_new_term_or_the_size_cap_ends_a_batch() {
        let mut q = AppendQueue::default();
        q.push(append(2, 100, b"ab", 100));
        q.push(append(2, 103, b"cd", 100)); // gap
        q.push(append(2, 100, b"ab", 100)); // rewind
        q.push(append(3, 102, b"x", 100)); // new term
        q.push(append(3, 103, b"yyyy", 100)); // over the cap
        let begins: Vec<(u64, usize)> = std::iter::from_fn(|| q.pop_batch(4))
            .map(|a| (a.begin_lsn.0, a.wal.len()))
            .collect();
        assert_eq!(
            begins,
            vec![(100, 2), (103, 2), (100, 2), (102, 1), (103, 4)]
        );
    }
}
