//! # page_client: the compute's GetPages stream to the pageserver
//!
//! [`PageClient`] owns one bidirectional `GetPages` stream per compute (see
//! `proto/proto/pageserver.proto`) and a tonic channel for unary calls (`TimelineStatus`).
//! Callers hand it *batches* of [`PageRequest`]s; each batch gets a fresh `batch_id`, is sent
//! at once (batches are pipelined: many may be in flight, and the pageserver may answer them
//! out of order), and its caller is woken when the response carrying that id arrives.
//!
//! ```text
//!  engine threads ──fetch()──▶ mpsc ──▶ driver task ──GetPagesRequest{batch_id}──▶ pageserver
//!   (block on a std channel)            │ in_flight: batch_id → (pages, reply)
//!                              ◀──reply─┘◀──────────GetPagesResponse{batch_id}──────┘
//! ```
//!
//! Invariants:
//! * every submitted batch is answered exactly once: with its per-page results, or with a
//!   [`PageError::Unavailable`] when the facade's deadline passes;
//! * when the stream breaks, the driver reconnects with backoff and re-sends every batch
//!   still in flight (GetPage is idempotent), so a pageserver restart costs latency, not
//!   errors;
//! * per-page failures are typed ([`PageError`]) and never turn into page bytes; a page is
//!   accepted only if it is exactly one page long and its key matches the request.
//!
//! The engine runs on plain threads: [`PageClient::fetch`] sends the batch to the driver
//! task (on the runtime whose handle the client was built with) and blocks the calling
//! thread on a std channel (a one-shot reply; std rather than `tokio::sync::oneshot` so it
//! has a timeout and cannot panic when called near a runtime). It must not be called from a runtime worker thread; async code
//! uses [`PageClient::fetch_async`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc as std_mpsc};
use std::time::{Duration, Instant};

use bytes::Bytes;
use proto::auth::AuthChannel;
use proto::grpc::PageRequest;
use proto::grpc::pageserver as pb;
use proto::grpc::pageserver::pageserver_client::PageserverClient;
use proto::{Lsn, PageKey, TimelineId};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tracing::Instrument;

/// Why a page could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    /// The page does not exist at the requested LSN.
    #[error("page {0} was never written")]
    NeverWritten(PageKey),
    /// The LSN is below the timeline's GC horizon.
    #[error("page {key} at {lsn} is below the GC horizon: {message}")]
    BelowGcHorizon {
        key: PageKey,
        lsn: Lsn,
        message: String,
    },
    /// The pageserver does not have the timeline.
    #[error("timeline not found: {0}")]
    TimelineNotFound(String),
    /// The pageserver did not ingest WAL up to `not_modified_since` in time.
    #[error("page {key}: timed out waiting for WAL: {message}")]
    WaitTimeout { key: PageKey, message: String },
    /// Redo of the page failed on the pageserver; it refuses to serve it.
    #[error("page {key} is quarantined: {message}")]
    Quarantined { key: PageKey, message: String },
    /// The page (or the layer holding it) is corrupt.
    #[error("page {key} is corrupt: {message}")]
    Corrupt { key: PageKey, message: String },
    /// The pageserver failed in another way, or answered with something invalid.
    #[error("pageserver error for page {key}: {message}")]
    Internal { key: PageKey, message: String },
    /// No answer in time (pageserver unreachable, client stopped).
    #[error("pageserver unavailable: {0}")]
    Unavailable(String),
}

impl PageError {
    fn from_pb(key: PageKey, lsn: Lsn, e: pb::PageError) -> PageError {
        use pb::PageErrorCode as C;
        let message = e.message;
        match C::try_from(e.code).unwrap_or(C::PageErrorUnspecified) {
            C::PageErrorNeverWritten => PageError::NeverWritten(key),
            C::PageErrorBelowGcHorizon => PageError::BelowGcHorizon { key, lsn, message },
            C::PageErrorTimelineNotFound => PageError::TimelineNotFound(message),
            C::PageErrorWaitTimeout => PageError::WaitTimeout { key, message },
            C::PageErrorQuarantined => PageError::Quarantined { key, message },
            C::PageErrorCorrupt => PageError::Corrupt { key, message },
            C::PageErrorInternal | C::PageErrorUnspecified => PageError::Internal { key, message },
        }
    }

    /// The storage core's error for this failure.
    pub fn into_core(self, block: proto::BlockNo) -> crate::Error {
        match self {
            PageError::Corrupt { .. } | PageError::Quarantined { .. } => {
                crate::Error::corrupt(block, self.to_string())
            }
            // Only reads at an old snapshot ask below the cutoff (the latest LSN never is).
            PageError::BelowGcHorizon { lsn, message, .. } => crate::Error::SnapshotTooOld {
                block,
                snapshot: lsn,
                reason: message,
            },
            other => crate::Error::PageUnavailable {
                block,
                reason: other.to_string(),
            },
        }
    }
}

/// One page's outcome: its 8 KiB image or a typed error.
pub type PageResult = Result<Bytes, PageError>;

/// Client settings.
#[derive(Debug, Clone)]
pub struct PageClientConfig {
    /// How long a caller waits for a batch before giving up.
    pub request_timeout: Duration,
    /// First reconnect delay (doubles up to a second).
    pub reconnect_backoff: Duration,
    /// The compute's token for the pageserver (`--auth-token-file`).
    pub auth_token: proto::auth::Token,
    /// `--grpc-tls-ca`: reach the pageserver over TLS, trusting this CA.
    pub tls: Option<proto::tls::ClientTls>,
}

impl Default for PageClientConfig {
    fn default() -> Self {
        PageClientConfig {
            request_timeout: Duration::from_secs(30),
            reconnect_backoff: Duration::from_millis(20),
            auth_token: proto::auth::Token::none(),
            tls: None,
        }
    }
}

type Reply = std_mpsc::SyncSender<Result<Vec<PageResult>, PageError>>;

struct Batch {
    pages: Vec<PageRequest>,
    reply: Reply,
    submitted: Instant,
}

/// The compute's connection to its pageserver for one timeline.
pub struct PageClient {
    timeline: TimelineId,
    channel: AuthChannel,
    submit: mpsc::UnboundedSender<Batch>,
    runtime: tokio::runtime::Handle,
    config: PageClientConfig,
    batches: AtomicU64,
}

impl PageClient {
    /// A client of the pageserver at `addr` (`host:port` or a URL) for `timeline`; the
    /// driver task runs on `runtime`. Connecting is lazy: an unreachable pageserver shows
    /// up as [`PageError::Unavailable`] on requests, not here.
    pub fn connect(
        addr: &str,
        timeline: TimelineId,
        runtime: tokio::runtime::Handle,
        config: PageClientConfig,
    ) -> Result<Arc<PageClient>, PageError> {
        let endpoint = proto::tls::endpoint(addr, config.tls.as_ref())
            .map_err(|e| PageError::Unavailable(format!("pageserver address {addr}: {e}")))?
            .connect_timeout(Duration::from_secs(5))
            .tcp_nodelay(true);
        let channel = {
            let _guard = runtime.enter();
            proto::auth::channel(endpoint.connect_lazy(), &config.auth_token)
        };
        let (submit, batches) = mpsc::unbounded_channel();
        let span = tracing::info_span!(
            "page_client",
            tenant = %timeline.tenant,
            timeline = %timeline.timeline,
        );
        runtime.spawn(
            drive(
                PageserverClient::new(channel.clone()),
                timeline.clone(),
                batches,
                config.reconnect_backoff,
                config.request_timeout,
            )
            .instrument(span),
        );
        Ok(Arc::new(PageClient {
            timeline,
            channel,
            submit,
            runtime,
            config,
            batches: AtomicU64::new(0),
        }))
    }

    /// The timeline this client reads.
    pub fn timeline(&self) -> &TimelineId {
        &self.timeline
    }

    /// The runtime the client's tasks run on.
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        &self.runtime
    }

    /// Batches sent so far (tests check that prefetching batches requests).
    pub fn batches_sent(&self) -> u64 {
        self.batches.load(Ordering::Relaxed)
    }

    /// Reads a batch of pages, blocking the calling (non-runtime) thread; results are in
    /// request order.
    pub fn fetch(&self, pages: Vec<PageRequest>) -> Result<Vec<PageResult>, PageError> {
        if pages.is_empty() {
            return Ok(Vec::new());
        }
        let started = Instant::now();
        let (reply, rx) = std_mpsc::sync_channel(1);
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.submit
            .send(Batch {
                pages,
                reply,
                submitted: Instant::now(),
            })
            .map_err(|_| PageError::Unavailable("page client stopped".into()))?;
        let r = rx
            .recv_timeout(self.config.request_timeout)
            .map_err(|e| PageError::Unavailable(format!("no GetPages answer: {e}")))?;
        crate::page_cache::metrics::observe_getpage(started.elapsed());
        r
    }

    /// [`PageClient::fetch`] for async callers.
    pub async fn fetch_async(&self, pages: Vec<PageRequest>) -> Result<Vec<PageResult>, PageError> {
        let (reply, rx) = std_mpsc::sync_channel(1);
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.submit
            .send(Batch {
                pages,
                reply,
                submitted: Instant::now(),
            })
            .map_err(|_| PageError::Unavailable("page client stopped".into()))?;
        let timeout = self.config.request_timeout;
        tokio::task::spawn_blocking(move || rx.recv_timeout(timeout))
            .await
            .map_err(|e| PageError::Unavailable(e.to_string()))?
            .map_err(|e| PageError::Unavailable(format!("no GetPages answer: {e}")))?
    }

    /// The pageserver's `last_record_lsn` of the timeline (how far it has ingested).
    pub async fn ingested_lsn(&self) -> Result<Lsn, PageError> {
        let mut client = PageserverClient::new(self.channel.clone());
        let info = client
            .timeline_status(pb::TimelineStatusRequest {
                tenant: self.timeline.tenant.to_string(),
                timeline: self.timeline.timeline.to_string(),
                with_logical_size: false,
            })
            .await
            .map_err(|s| match s.code() {
                tonic::Code::NotFound => PageError::TimelineNotFound(s.message().to_string()),
                _ => PageError::Unavailable(format!("TimelineStatus: {s}")),
            })?
            .into_inner();
        Ok(Lsn(info.last_record_lsn))
    }
}

/// The driver: keeps one GetPages stream open, sends batches as they come and routes
/// responses by batch id; on a broken stream, reconnects and re-sends what is in flight.
async fn drive(
    mut client: PageserverClient<AuthChannel>,
    timeline: TimelineId,
    mut batches: mpsc::UnboundedReceiver<Batch>,
    backoff: Duration,
    give_up: Duration,
) {
    let mut in_flight: HashMap<u64, Batch> = HashMap::new();
    let mut next_id: u64 = 1;
    let mut delay = proto::backoff::Backoff::new(backoff, Duration::from_secs(1));
    let request = |id: u64, pages: &[PageRequest]| pb::GetPagesRequest {
        tenant: timeline.tenant.to_string(),
        timeline: timeline.timeline.to_string(),
        batch_id: id,
        pages: pages.iter().map(|&p| p.into()).collect(),
    };
    loop {
        // (Re)connect, then re-send everything still waiting (forgetting batches whose
        // callers gave up).
        in_flight.retain(|_, b| b.submitted.elapsed() < give_up);
        let (tx, rx) = mpsc::channel::<pb::GetPagesRequest>(64);
        for (&id, b) in &in_flight {
            // The channel is fresh and as large as needed below; a failure means the
            // stream is already gone and the loop reconnects.
            let _ = tx.try_send(request(id, &b.pages));
        }
        let mut responses = match client.get_pages(ReceiverStream::new(rx)).await {
            Ok(r) => {
                delay.reset();
                r.into_inner()
            }
            Err(status) => {
                let wait = delay.next_delay();
                tracing::warn!(%status, ?wait, "open GetPages stream");
                tokio::time::sleep(wait).await;
                if batches.is_closed() && in_flight.is_empty() {
                    return;
                }
                continue;
            }
        };
        loop {
            tokio::select! {
                b = batches.recv() => {
                    let Some(b) = b else { return };
                    let id = next_id;
                    next_id += 1;
                    tracing::debug!(batch_id = id, pages = b.pages.len(), "GetPages batch");
                    let msg = request(id, &b.pages);
                    in_flight.insert(id, b);
                    if tx.send(msg).await.is_err() {
                        break;
                    }
                }
                m = responses.message() => match m {
                    Ok(Some(resp)) => {
                        let Some(b) = in_flight.remove(&resp.batch_id) else {
                            tracing::warn!(batch_id = resp.batch_id, "response to an unknown batch");
                            continue;
                        };
                        let results = decode(&b.pages, resp.pages);
                        let _ = b.reply.try_send(results);
                    }
                    Ok(None) => {
                        tracing::info!("GetPages stream closed by the pageserver");
                        break;
                    }
                    Err(status) => {
                        tracing::warn!(%status, "GetPages stream broke");
                        break;
                    }
                },
            }
        }
        tokio::time::sleep(delay.peek()).await;
    }
}

/// Matches a response's results to the batch's requests.
fn decode(
    reqs: &[PageRequest],
    results: Vec<pb::PageResult>,
) -> Result<Vec<PageResult>, PageError> {
    if results.len() != reqs.len() {
        return Err(PageError::Unavailable(format!(
            "GetPages answered {} pages for a batch of {}",
            results.len(),
            reqs.len()
        )));
    }
    Ok(reqs
        .iter()
        .zip(results)
        .map(|(req, r)| {
            let key = req.key;
            if r.key.as_ref().map(PageKey::from) != Some(key) {
                return Err(PageError::Internal {
                    key,
                    message: format!("response names page {:?}", r.key),
                });
            }
            match r.result {
                Some(pb::page_result::Result::Page(bytes)) => proto::grpc::page_image(bytes)
                    .map_err(|e| PageError::Internal {
                        key,
                        message: e.to_string(),
                    }),
                Some(pb::page_result::Result::Error(e)) => {
                    Err(PageError::from_pb(key, req.request_lsn, e))
                }
                None => Err(PageError::Internal {
                    key,
                    message: "empty page result".into(),
                }),
            }
        })
        .collect())
}
