//! The WAL receiver of a read replica: committed WAL from a safekeeper, decoded and applied
//! record by record in LSN order ([`crate::engine::Engine::apply_replicated`]).
//!
//! A stream is opened with `ReadWal(start = applied LSN)` on the safekeeper reporting the
//! highest `commit_lsn` (`Status`; ties keep the listed order), never asking for
//! uncommitted WAL: a safekeeper streams only up to its `commit_lsn` and then tails new
//! commits, so the replica only ever applies what a quorum acknowledged. The stream is
//! abandoned — and the next one opened from the applied LSN, on whichever safekeeper is
//! then most advanced — when it fails, ends, or delivers nothing for [`STALL`] while
//! another safekeeper reports a commit LSN past the applied one (a stopped or partitioned
//! safekeeper). Reopening backs off from 50 ms to 1 s.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use proto::auth::AuthChannel;
use proto::grpc::safekeeper as pb;
use proto::grpc::safekeeper::safekeeper_client::SafekeeperClient;
use proto::{Lsn, RecordKind, TimelineId, WalDecoder};
use tokio_util::sync::CancellationToken;

use super::metrics;
use super::wal::ReplicaWal;
use crate::engine::Engine;

/// How long a stream may stay silent while another safekeeper is ahead.
pub const STALL: Duration = Duration::from_secs(2);
const CALL_TIMEOUT: Duration = Duration::from_secs(2);

/// Streams committed WAL into a replica's engine (see the module docs).
pub struct Receiver {
    pub timeline: TimelineId,
    pub safekeepers: Vec<String>,
    pub engine: Engine,
    pub wal: Arc<ReplicaWal>,
    /// The compute's token for the safekeepers.
    pub token: proto::auth::Token,
    /// `--grpc-tls-ca`: reach the safekeepers over TLS.
    pub tls: Option<proto::tls::ClientTls>,
    /// How the safekeepers list this replica in their `Status`.
    pub name: String,
}

async fn connect(
    addr: &str,
    token: &proto::auth::Token,
    tls: Option<&proto::tls::ClientTls>,
) -> Result<SafekeeperClient<AuthChannel>, String> {
    let channel = proto::tls::endpoint(addr, tls)
        .map_err(|e| format!("bad safekeeper address {addr:?}: {e}"))?
        .connect_timeout(CALL_TIMEOUT)
        .connect()
        .await
        .map_err(|e| format!("connect to {addr}: {e}"))?;
    Ok(SafekeeperClient::new(proto::auth::channel(channel, token)))
}

impl Receiver {
    /// Runs until `cancel`, reopening streams as needed.
    pub async fn run(self, cancel: CancellationToken) {
        let mut backoff =
            proto::backoff::Backoff::new(Duration::from_millis(50), Duration::from_secs(1));
        let mut first = true;
        loop {
            if !first {
                metrics::RESTARTS.inc();
            }
            first = false;
            let started = self.wal.applied();
            let outcome = tokio::select! {
                _ = cancel.cancelled() => return,
                r = self.stream_once() => r,
            };
            self.wal.set_source("");
            if let Err(e) = outcome {
                tracing::warn!(error = %e, applied = %self.wal.applied(), "WAL stream ended");
            }
            if self.wal.applied() > started {
                backoff.reset();
            }
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(backoff.next_delay()) => {}
            }
        }
    }

    /// Each safekeeper's commit LSN (`None`: no answer), in listed order.
    async fn commit_lsns(&self) -> Vec<Option<Lsn>> {
        let ask = |addr: String| {
            let id = self.timeline.clone();
            async move {
                let mut c = connect(&addr, &self.token, self.tls.as_ref()).await.ok()?;
                let req = pb::StatusRequest {
                    timeline: Some((&id).into()),
                };
                let r = tokio::time::timeout(CALL_TIMEOUT, c.status(req))
                    .await
                    .ok()?
                    .ok()?;
                Some(Lsn(r.into_inner().commit_lsn))
            }
        };
        futures::future::join_all(self.safekeepers.iter().cloned().map(ask)).await
    }

    /// One stream, from the most advanced safekeeper that accepts it, until it breaks.
    async fn stream_once(&self) -> Result<(), String> {
        let start = self.wal.applied();
        let commits = self.commit_lsns().await;
        let mut order: Vec<(Lsn, usize)> = commits
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.map(|c| (c, i)))
            .collect();
        order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        if order.is_empty() {
            return Err(format!("no safekeeper of {:?} answered", self.safekeepers));
        }
        let mut last_err = String::new();
        for (commit, i) in order {
            let addr = &self.safekeepers[i];
            let mut client = match connect(addr, &self.token, self.tls.as_ref()).await {
                Ok(c) => c,
                Err(e) => {
                    last_err = e;
                    continue;
                }
            };
            let req = pb::ReadWalRequest {
                timeline: Some((&self.timeline).into()),
                start_lsn: start.0,
                stop_at_commit: false,
                include_uncommitted: false,
                reader: self.name.clone(),
                ..Default::default()
            };
            let stream = match tokio::time::timeout(CALL_TIMEOUT, client.read_wal(req)).await {
                Ok(Ok(s)) => s.into_inner(),
                Ok(Err(s)) => {
                    last_err = format!("read WAL from {addr}: {}", s.message());
                    continue;
                }
                Err(_) => {
                    last_err = format!("read WAL from {addr}: no answer");
                    continue;
                }
            };
            tracing::info!(safekeeper = %addr, %commit, %start, "streaming committed WAL");
            self.wal.set_source(addr);
            return self.follow(addr, start, stream).await;
        }
        Err(last_err)
    }

    /// Applies the records of one stream until it fails, ends or stalls.
    async fn follow(
        &self,
        addr: &str,
        start: Lsn,
        mut stream: tonic::Streaming<pb::WalChunk>,
    ) -> Result<(), String> {
        let mut decoder = WalDecoder::new(start);
        // Where the next chunk must start: the end of the bytes pushed so far.
        let mut next = start;
        let mut last_chunk = Instant::now();
        let mut check = tokio::time::interval(STALL / 2);
        loop {
            let chunk = tokio::select! {
                c = stream.next() => c,
                _ = check.tick() => {
                    if last_chunk.elapsed() >= STALL {
                        self.check_stall(addr).await?;
                        last_chunk = Instant::now();
                    }
                    continue;
                }
            };
            let chunk = match chunk {
                None => return Err(format!("{addr} ended the WAL stream")),
                Some(Err(s)) => return Err(format!("WAL stream from {addr}: {}", s.message())),
                Some(Ok(c)) => c,
            };
            last_chunk = Instant::now();
            if chunk.start_lsn != next.0 {
                return Err(format!(
                    "{addr} sent WAL at {}, expected {next}",
                    Lsn(chunk.start_lsn)
                ));
            }
            next = Lsn(next.0 + chunk.wal.len() as u64);
            self.wal.note_received(Lsn(chunk.commit_lsn));
            decoder.push(&chunk.wal);
            loop {
                let rec = match decoder.next_record() {
                    Ok(Some(r)) => r,
                    Ok(None) => break,
                    Err(e) => return Err(format!("WAL from {addr}: {e}")),
                };
                let applied = self.engine.apply_replicated(&rec);
                let commit_us = match rec.record.kind {
                    RecordKind::Commit => rec.record.timestamp_us,
                    _ => 0,
                };
                self.wal.advance(rec.end, commit_us);
                metrics::RECORDS.inc();
                metrics::PAGES_APPLIED.inc_by(applied.pages_applied as u64);
                metrics::PAGES_DROPPED.inc_by(applied.pages_dropped as u64);
                if applied.catalog {
                    tracing::debug!(end = %rec.end, "applied a catalog change");
                }
            }
        }
    }

    /// The stream from `addr` has been silent for [`STALL`]: an error (so the receiver
    /// switches) if another safekeeper reports commits this replica has not applied.
    async fn check_stall(&self, addr: &str) -> Result<(), String> {
        let applied = self.wal.applied();
        let commits = self.commit_lsns().await;
        let ahead = self
            .safekeepers
            .iter()
            .zip(&commits)
            .find(|(a, c)| a.as_str() != addr && c.is_some_and(|c| c > applied));
        match ahead {
            Some((other, Some(c))) => Err(format!(
                "{addr} sent nothing for {STALL:?} while {other} has committed up to {c} \
                 (applied {applied})"
            )),
            _ => Ok(()),
        }
    }
}
