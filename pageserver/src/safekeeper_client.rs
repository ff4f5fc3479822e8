//! The real [`WalSource`] and [`Generations`]: tonic clients of the
//! safekeeper service (`proto/proto/safekeeper.proto`).
//!
//! - `read_wal` asks every safekeeper for its `Status` and streams `ReadWal`
//!   from the one with the highest `commit_lsn` (ties: the first listed);
//!   if that fails it tries the next. When the stream breaks, ingest calls
//!   again and so fails over to whichever safekeeper is now most advanced.
//! - `issue` asks every safekeeper for a generation and takes the maximum
//!   over a majority; `create_timeline` greets every safekeeper with the new
//!   timeline's start LSN (a majority must accept).
//! - `feedback` sends `remote_consistent_lsn` to every safekeeper (best
//!   effort: succeeding on one is enough).
//!
//! Every unary call has a timeout; connections are made per call (the calls
//! are rare: streams are long-lived).

use std::time::Duration;

use futures::future::BoxFuture;
use futures::{StreamExt, TryStreamExt};
use proto::auth::AuthChannel;
use proto::grpc::safekeeper as pb;
use proto::grpc::safekeeper::safekeeper_client::SafekeeperClient as Client;
use proto::{Lsn, TimelineId};

use crate::generations::{Generations, max_over_majority};
use crate::wal_source::{WalChunk, WalSource, WalStream};
use crate::{Error, Result};

const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// Clients of a set of safekeepers.
#[derive(Debug, Clone)]
pub struct SafekeeperClient {
    addrs: Vec<String>,
    token: proto::auth::Token,
    tls: Option<proto::tls::ClientTls>,
}

impl SafekeeperClient {
    /// `addrs` are `host:port` (or full `http://` URLs).
    pub fn new(addrs: Vec<String>) -> SafekeeperClient {
        SafekeeperClient {
            addrs,
            token: proto::auth::Token::none(),
            tls: None,
        }
    }

    /// Sends `token` (a pageserver token, `--auth-token-file`) with every call.
    pub fn with_token(mut self, token: proto::auth::Token) -> SafekeeperClient {
        self.token = token;
        self
    }

    /// Reaches the safekeepers over TLS (`--grpc-tls-ca`) when `tls` is given.
    pub fn with_tls(mut self, tls: Option<proto::tls::ClientTls>) -> SafekeeperClient {
        self.tls = tls;
        self
    }

    async fn connect(&self, addr: &str) -> Result<Client<AuthChannel>> {
        let channel = proto::tls::endpoint(addr, self.tls.as_ref())
            .map_err(|e| Error::Safekeeper(format!("bad safekeeper address {addr:?}: {e}")))?
            .connect_timeout(CALL_TIMEOUT)
            .connect()
            .await
            .map_err(|e| Error::Safekeeper(format!("connect to {addr}: {e}")))?;
        Ok(Client::new(proto::auth::channel(channel, &self.token)))
    }

    /// `commit_lsn` of `id` on the safekeeper at `addr`.
    async fn commit_lsn(&self, addr: &str, id: &TimelineId) -> Result<Lsn> {
        let mut c = self.connect(addr).await?;
        let req = pb::StatusRequest {
            timeline: Some(id.into()),
        };
        let resp = tokio::time::timeout(CALL_TIMEOUT, c.status(req))
            .await
            .map_err(|_| Error::Safekeeper(format!("status from {addr}: timed out")))?
            .map_err(|s| Error::Safekeeper(format!("status from {addr}: {}", s.message())))?;
        Ok(Lsn(resp.into_inner().commit_lsn))
    }

    async fn stream_from(&self, addr: &str, id: &TimelineId, start: Lsn) -> Result<WalStream> {
        let mut c = self.connect(addr).await?;
        let req = pb::ReadWalRequest {
            timeline: Some(id.into()),
            start_lsn: start.0,
            stop_at_commit: false,
            include_uncommitted: false,
            reader: "pageserver".into(),
            ..Default::default()
        };
        let stream = c
            .read_wal(req)
            .await
            .map_err(|s| Error::Safekeeper(format!("read WAL from {addr}: {}", s.message())))?
            .into_inner();
        let addr = addr.to_string();
        let chunks = stream
            .map_err(move |s| Error::Safekeeper(format!("WAL stream from {addr}: {}", s.message())))
            .map_ok(|c: pb::WalChunk| WalChunk {
                start_lsn: Lsn(c.start_lsn),
                wal: c.wal,
                commit_lsn: Lsn(c.commit_lsn),
            });
        Ok(chunks.boxed())
    }
}

impl WalSource for SafekeeperClient {
    fn read_wal<'a>(&'a self, id: &'a TimelineId, start: Lsn) -> BoxFuture<'a, Result<WalStream>> {
        Box::pin(async move {
            let statuses =
                futures::future::join_all(self.addrs.iter().map(|a| self.commit_lsn(a, id))).await;
            let mut order: Vec<(Lsn, usize)> = statuses
                .iter()
                .enumerate()
                .filter_map(|(i, s)| s.as_ref().ok().map(|l| (*l, i)))
                .collect();
            // Most advanced first; ties keep the listed order.
            order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            let mut last_err = Error::Safekeeper(format!(
                "no safekeeper of {:?} answered for {id}",
                self.addrs
            ));
            for (commit, i) in order {
                let addr = &self.addrs[i];
                match self.stream_from(addr, id, start).await {
                    Ok(s) => {
                        tracing::info!(%addr, %commit, %start, "streaming WAL");
                        return Ok(s);
                    }
                    Err(e) => {
                        tracing::warn!(%addr, error = %e, "safekeeper refused WAL stream");
                        last_err = e;
                    }
                }
            }
            Err(last_err)
        })
    }
}

impl Generations for SafekeeperClient {
    fn issue<'a>(
        &'a self,
        id: &'a TimelineId,
        pageserver_id: &'a str,
    ) -> BoxFuture<'a, Result<u64>> {
        Box::pin(async move {
            let ask = |addr: &'a String| async move {
                let mut c = self.connect(addr).await?;
                let req = pb::GenerationRequest {
                    timeline: Some(id.into()),
                    pageserver_id: pageserver_id.to_string(),
                };
                let resp = tokio::time::timeout(CALL_TIMEOUT, c.issue_generation(req))
                    .await
                    .map_err(|_| Error::Safekeeper(format!("generation from {addr}: timed out")))?
                    .map_err(|s| {
                        Error::Safekeeper(format!("generation from {addr}: {}", s.message()))
                    })?;
                Ok::<u64, Error>(resp.into_inner().generation)
            };
            let answers = futures::future::join_all(self.addrs.iter().map(ask)).await;
            for (addr, a) in self.addrs.iter().zip(&answers) {
                if let Err(e) = a {
                    tracing::warn!(%addr, error = %e, "no generation");
                }
            }
            let answers: Vec<Option<u64>> = answers.into_iter().map(|a| a.ok()).collect();
            max_over_majority(&answers, self.addrs.len())
        })
    }

    fn create_timeline<'a>(&'a self, id: &'a TimelineId, start: Lsn) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            // A Greet creates a timeline the acceptor has never seen (and
            // otherwise only checks the start LSN); it changes no term.
            let ask = |addr: &'a String| async move {
                let mut c = self.connect(addr).await?;
                let req = pb::GreetRequest {
                    timeline: Some(id.into()),
                    proposer_id: 0,
                    timeline_start_lsn: start.0,
                };
                tokio::time::timeout(CALL_TIMEOUT, c.greet(req))
                    .await
                    .map_err(|_| Error::Safekeeper(format!("create on {addr}: timed out")))?
                    .map_err(|s| Error::Safekeeper(format!("create on {addr}: {}", s.message())))?;
                Ok::<(), Error>(())
            };
            let answers = futures::future::join_all(self.addrs.iter().map(ask)).await;
            let mut ok = 0;
            let mut last_err = None;
            for (addr, a) in self.addrs.iter().zip(answers) {
                match a {
                    Ok(()) => ok += 1,
                    Err(e) => {
                        tracing::warn!(%addr, error = %e, "create timeline on a safekeeper");
                        last_err = Some(e);
                    }
                }
            }
            if ok < self.addrs.len() / 2 + 1 {
                return Err(last_err
                    .unwrap_or_else(|| Error::Safekeeper("no safekeepers configured".into())));
            }
            Ok(())
        })
    }

    fn feedback<'a>(
        &'a self,
        id: &'a TimelineId,
        generation: u64,
        remote_consistent_lsn: Lsn,
        last_record_lsn: Lsn,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let send = |addr: &'a String| async move {
                let mut c = self.connect(addr).await?;
                let req = pb::FeedbackRequest {
                    timeline: Some(id.into()),
                    generation,
                    remote_consistent_lsn: remote_consistent_lsn.0,
                    last_record_lsn: last_record_lsn.0,
                };
                tokio::time::timeout(CALL_TIMEOUT, c.pageserver_feedback(req))
                    .await
                    .map_err(|_| Error::Safekeeper(format!("feedback to {addr}: timed out")))?
                    .map_err(|s| {
                        Error::Safekeeper(format!("feedback to {addr}: {}", s.message()))
                    })?;
                Ok::<(), Error>(())
            };
            let results = futures::future::join_all(self.addrs.iter().map(send)).await;
            let ok = results.iter().filter(|r| r.is_ok()).count();
            if ok == 0 && !self.addrs.is_empty() {
                return Err(Error::Safekeeper(format!(
                    "no safekeeper took feedback for {id}"
                )));
            }
            Ok(())
        })
    }
}
