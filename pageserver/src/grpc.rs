//! The pageserver's gRPC service (`proto/proto/pageserver.proto`) over a
//! [`Pageserver`], and [`serve`].
//!
//! Every message is validated into domain types at the boundary
//! ([`PageRequest`], [`CreateTimeline`]); an invalid page request fails the
//! stream with `InvalidArgument` (a client bug), while per-page outcomes
//! (never written, below the GC horizon, timeline not found, wait timeout,
//! quarantined, corrupt) are typed [`pb::PageError`]s in that page's
//! [`pb::PageResult`]. `GetPages` handles up to [`MAX_INFLIGHT_BATCHES`]
//! batches of one stream concurrently; each response echoes its batch id,
//! so responses may overtake each other and clients pipeline.
//! Every request runs in a span with `tenant` and `timeline` fields, after
//! its token is checked (`proto::auth`) when the pageserver has a key.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use proto::auth::{self, Grant, Method};
use proto::grpc::PageRequest;
use proto::grpc::pageserver as pb;
use proto::grpc::pageserver::pageserver_server::{Pageserver as PageserverRpc, PageserverServer};
use proto::{Lsn, TimelineId, TimelineName};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc};
use tokio_stream::wrappers::{ReceiverStream, TcpListenerStream};
use tonic::{Request, Response, Status, Streaming};
use tracing::Instrument;

use crate::read;
use crate::service::{CreateTimeline, Pageserver};
use crate::timeline_handle::TimelineHandle;
use crate::{Error, Result};

/// Batches of one GetPages stream answered concurrently.
pub const MAX_INFLIGHT_BATCHES: usize = 16;

/// The tonic service.
#[derive(Debug, Clone)]
pub struct Service {
    ps: Arc<Pageserver>,
}

impl Service {
    pub fn new(ps: Arc<Pageserver>) -> Service {
        Service { ps }
    }

    fn authenticate<T>(&self, request: &Request<T>, method: Method) -> Result<Grant, Status> {
        auth::authenticate(self.ps.config().auth.as_deref(), request, method)
    }

    /// Authenticates the call and checks its role and what it names (an
    /// empty tenant or timeline names none).
    fn allow<T>(
        &self,
        request: &Request<T>,
        method: Method,
        tenant: &str,
        timeline: &str,
    ) -> Result<(), Status> {
        let named = |s: &str| (!s.is_empty()).then_some(s.to_string());
        let (tenant, timeline) = (named(tenant), named(timeline));
        self.authenticate(request, method)?
            .permit(method, tenant.as_deref(), timeline.as_deref())
    }
}

/// Serves `ps` on `listener` until its cancellation token fires.
pub async fn serve(ps: Arc<Pageserver>, listener: TcpListener) -> Result<()> {
    let addr = listener.local_addr().ok();
    let cancel = ps.cancel_token().clone();
    tracing::info!(?addr, "pageserver gRPC listening");
    let mut server = tonic::transport::Server::builder();
    if let Some(tls) = &ps.config().tls {
        server = server
            .tls_config(tls.grpc())
            .map_err(|e| Error::io("gRPC TLS", format!("{addr:?}"), std::io::Error::other(e)))?;
    }
    server
        .add_service(PageserverServer::new(Service::new(ps)))
        .serve_with_incoming_shutdown(
            // GetPages batches are small: Nagle's algorithm would add tens of ms.
            tokio_stream::StreamExt::map(TcpListenerStream::new(listener), |conn| {
                conn.inspect(|s| {
                    let _ = s.set_nodelay(true);
                })
            }),
            cancel.cancelled_owned(),
        )
        .await
        .map_err(|e| Error::io("serve gRPC", format!("{addr:?}"), std::io::Error::other(e)))
}

/// Binds `addr` and serves in a background task; returns the bound address.
pub async fn spawn(
    ps: Arc<Pageserver>,
    addr: SocketAddr,
) -> Result<(SocketAddr, tokio::task::JoinHandle<Result<()>>)> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| Error::io("bind gRPC listener", addr.to_string(), e))?;
    let local = listener
        .local_addr()
        .map_err(|e| Error::io("read bound address", addr.to_string(), e))?;
    Ok((local, tokio::spawn(serve(ps, listener))))
}

/// The gRPC status for a failed unary call.
pub fn status(e: &Error) -> Status {
    let msg = e.to_string();
    match e {
        Error::TimelineNotFound { .. } => Status::not_found(msg),
        Error::TimelineExists { .. } => Status::already_exists(msg),
        Error::InvalidRequest(_) => Status::invalid_argument(msg),
        Error::BelowGcHorizon { .. } | Error::Fenced { .. } | Error::Broken { .. } => {
            Status::failed_precondition(msg)
        }
        Error::WaitTimeout { .. } => Status::deadline_exceeded(msg),
        Error::Remote(_) | Error::Safekeeper(_) | Error::ShuttingDown => Status::unavailable(msg),
        _ => Status::internal(msg),
    }
}

/// The per-page error code for `e`.
pub fn page_error_code(e: &Error) -> pb::PageErrorCode {
    use pb::PageErrorCode as C;
    match e {
        Error::NeverWritten { .. } => C::PageErrorNeverWritten,
        Error::BelowGcHorizon { .. } => C::PageErrorBelowGcHorizon,
        Error::TimelineNotFound { .. } => C::PageErrorTimelineNotFound,
        Error::WaitTimeout { .. } => C::PageErrorWaitTimeout,
        Error::Quarantined { .. } => C::PageErrorQuarantined,
        Error::Corrupt { .. } | Error::Broken { .. } => C::PageErrorCorrupt,
        _ => C::PageErrorInternal,
    }
}

fn page_result(req: &pb::GetPageRequest, r: Result<bytes::Bytes>) -> pb::PageResult {
    let result = match r {
        Ok(page) => pb::page_result::Result::Page(page),
        Err(e) => {
            if matches!(e, Error::Corrupt { .. } | Error::Io { .. }) {
                tracing::error!(error = %e, "GetPage failed");
            }
            pb::page_result::Result::Error(pb::PageError {
                code: page_error_code(&e) as i32,
                message: e.to_string(),
            })
        }
    };
    pb::PageResult {
        key: req.key,
        request_lsn: req.request_lsn,
        result: Some(result),
    }
}

fn timeline_id(tenant: &str, timeline: &str) -> Result<TimelineId> {
    Ok(TimelineId::new(tenant, timeline)?)
}

/// Answers one batch.
async fn get_pages_batch(ps: &Arc<Pageserver>, batch: pb::GetPagesRequest) -> pb::GetPagesResponse {
    // A timeline being attached again after local damage is waited for, as WAL is.
    let wait = ps.config().wait_lsn_timeout;
    let handle = match timeline_id(&batch.tenant, &batch.timeline) {
        Ok(id) => ps.timeline_when_attached(&id, wait).await,
        Err(e) => Err(e),
    };
    let pages = match handle {
        Err(e) => {
            let msg = e.to_string();
            let code = page_error_code(&e) as i32;
            batch
                .pages
                .iter()
                .map(|r| pb::PageResult {
                    key: r.key,
                    request_lsn: r.request_lsn,
                    result: Some(pb::page_result::Result::Error(pb::PageError {
                        code,
                        message: msg.clone(),
                    })),
                })
                .collect()
        }
        Ok(handle) => {
            let reqs: Vec<PageRequest> = batch
                .pages
                .iter()
                .map(|r| PageRequest::try_from(r).expect("validated when the batch arrived"))
                .collect();
            let mut results = read::get_pages(ps, &handle, reqs.clone()).await;
            // A damaged local file: the timeline is attached again from object storage,
            // and the batch answered from that attachment (an error only if it does not
            // come in time).
            let damaged = results
                .iter()
                .any(|r| matches!(r, Err(e) if ps.recover_if_damaged(&handle, e)));
            if damaged && let Some(fresh) = ps.replacement_of(&handle, wait).await {
                results = read::get_pages(ps, &fresh, reqs).await;
            }
            results
                .into_iter()
                .zip(&batch.pages)
                .map(|(r, req)| page_result(req, r))
                .collect()
        }
    };
    pb::GetPagesResponse {
        batch_id: batch.batch_id,
        pages,
    }
}

/// The answer to `batch` if the page cache holds all of it (answered on
/// the calling thread, no task spawned); `None` otherwise.
fn get_pages_batch_cached(
    ps: &Pageserver,
    batch: &pb::GetPagesRequest,
) -> Option<pb::GetPagesResponse> {
    let handle = timeline_id(&batch.tenant, &batch.timeline)
        .and_then(|id| ps.timeline(&id))
        .ok()?;
    let reqs: Vec<PageRequest> = batch
        .pages
        .iter()
        .map(|r| PageRequest::try_from(r).ok())
        .collect::<Option<_>>()?;
    let pages = read::get_pages_cached(ps, &handle, &reqs)?
        .into_iter()
        .zip(&batch.pages)
        .map(|(r, req)| page_result(req, r))
        .collect();
    Some(pb::GetPagesResponse {
        batch_id: batch.batch_id,
        pages,
    })
}

/// The timeline's status. Never waits for the remote lock (an upload may hold it for as
/// long as the object store takes): the manifest as last published is enough. The
/// logical size only `with_size` (it walks every key of the in-memory layers, too much
/// for the compute's ingest poll, which asks every 10 ms while it has dirty pages).
async fn info(ps: &Pageserver, handle: &Arc<TimelineHandle>, with_size: bool) -> pb::TimelineInfo {
    let gc_cutoff = handle.effective_gc_cutoff();
    let (remote_consistent_lsn, layer_count, layer_bytes, images, deltas) = handle.published(|m| {
        let count = |kind: &str| m.layers.iter().filter(|l| l.kind == kind).count() as u64;
        (
            m.remote_consistent_lsn,
            m.layers.len() as u64,
            m.layers.iter().map(|l| l.size).sum(),
            count("image"),
            count("delta"),
        )
    });
    let last_record_lsn = handle.last_record_lsn();
    let sizer = handle.clone();
    let logical_size = if !with_size {
        None
    } else {
        match tokio::task::spawn_blocking(move || sizer.logical_size(last_record_lsn)).await {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "compute logical size");
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "compute logical size: task failed");
                None
            }
        }
    };
    pb::TimelineInfo {
        tenant: handle.id.tenant.to_string(),
        timeline: handle.id.timeline.to_string(),
        ancestor: handle
            .ancestor
            .as_ref()
            .map(|(a, _)| a.id.timeline.to_string())
            .unwrap_or_default(),
        ancestor_lsn: handle.ancestor.as_ref().map_or(0, |(_, l)| l.0),
        start_lsn: handle.start_lsn.0,
        last_record_lsn: last_record_lsn.0,
        remote_consistent_lsn,
        gc_cutoff_lsn: gc_cutoff.0,
        generation: handle.generation,
        layer_count,
        layer_bytes,
        image_layer_count: images,
        delta_layer_count: deltas,
        object_store: ps.remote_storage().url().to_string(),
        logical_size_bytes: logical_size,
    }
}

impl TryFrom<&pb::CreateTimelineRequest> for CreateTimeline {
    type Error = Error;
    fn try_from(r: &pb::CreateTimelineRequest) -> Result<CreateTimeline> {
        let id = timeline_id(&r.tenant, &r.timeline)?;
        let ancestor = if r.ancestor.is_empty() {
            None
        } else {
            Some(TimelineName::new(&r.ancestor)?)
        };
        if ancestor.is_none() && (r.ancestor_lsn != 0 || r.ancestor_timestamp_us != 0) {
            return Err(Error::InvalidRequest(
                "ancestor_lsn and ancestor_timestamp_us need an ancestor".into(),
            ));
        }
        if r.ancestor_lsn != 0 && r.ancestor_timestamp_us != 0 {
            return Err(Error::InvalidRequest(
                "give ancestor_lsn or ancestor_timestamp_us, not both".into(),
            ));
        }
        Ok(CreateTimeline {
            id,
            ancestor,
            ancestor_lsn: (r.ancestor_lsn != 0).then_some(Lsn(r.ancestor_lsn)),
            ancestor_timestamp_us: (r.ancestor_timestamp_us != 0)
                .then_some(r.ancestor_timestamp_us),
        })
    }
}

type GetPagesStream = ReceiverStream<Result<pb::GetPagesResponse, Status>>;

#[tonic::async_trait]
impl PageserverRpc for Service {
    type GetPagesStream = GetPagesStream;

    async fn get_pages(
        &self,
        request: Request<Streaming<pb::GetPagesRequest>>,
    ) -> Result<Response<Self::GetPagesStream>, Status> {
        // Each batch names its timeline: checked batch by batch.
        let grant = self.authenticate(&request, Method::PsGetPages)?;
        let mut inbound = request.into_inner();
        let (tx, rx) = mpsc::channel(MAX_INFLIGHT_BATCHES);
        let ps = self.ps.clone();
        tokio::spawn(async move {
            let inflight = Arc::new(Semaphore::new(MAX_INFLIGHT_BATCHES));
            loop {
                let batch = tokio::select! {
                    m = inbound.message() => m,
                    _ = ps.cancel_token().cancelled() => {
                        let _ = tx.send(Err(Status::unavailable("the pageserver is shutting down"))).await;
                        return;
                    }
                };
                let batch = match batch {
                    Ok(Some(b)) => b,
                    Ok(None) => return,
                    Err(s) => {
                        tracing::debug!(status = %s, "GetPages stream broke");
                        return;
                    }
                };
                if let Err(denied) = grant.permit(
                    Method::PsGetPages,
                    Some(batch.tenant.as_str()),
                    Some(batch.timeline.as_str()),
                ) {
                    let _ = tx.send(Err(denied)).await;
                    return;
                }
                if let Some(bad) = batch
                    .pages
                    .iter()
                    .find_map(|r| PageRequest::try_from(r).err())
                {
                    let _ = tx
                        .send(Err(Status::invalid_argument(format!(
                            "batch {}: {bad}",
                            batch.batch_id
                        ))))
                        .await;
                    return;
                }
                let span = tracing::info_span!(
                    "get_pages",
                    tenant = %batch.tenant,
                    timeline = %batch.timeline,
                    batch = batch.batch_id,
                    pages = batch.pages.len()
                );
                // A batch the page cache holds whole is answered in line.
                if let Some(resp) = span.in_scope(|| get_pages_batch_cached(&ps, &batch)) {
                    if tx.send(Ok(resp)).await.is_err() {
                        return;
                    }
                    continue;
                }
                let Ok(permit) = inflight.clone().acquire_owned().await else {
                    return;
                };
                let (ps, tx) = (ps.clone(), tx.clone());
                tokio::spawn(
                    async move {
                        let resp = get_pages_batch(&ps, batch).await;
                        drop(permit);
                        let _ = tx.send(Ok(resp)).await;
                    }
                    .instrument(span),
                );
            }
        });
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    async fn create_timeline(
        &self,
        request: Request<pb::CreateTimelineRequest>,
    ) -> Result<Response<pb::TimelineInfo>, Status> {
        self.allow(
            &request,
            Method::PsCreateTimeline,
            &request.get_ref().tenant,
            &request.get_ref().timeline,
        )?;
        let r = request.into_inner();
        let span =
            tracing::info_span!("create_timeline", tenant = %r.tenant, timeline = %r.timeline);
        async {
            let req = CreateTimeline::try_from(&r).map_err(|e| status(&e))?;
            let handle = self.ps.create_timeline(req).await.map_err(|e| {
                tracing::warn!(error = %e, "create timeline");
                status(&e)
            })?;
            Ok(Response::new(info(&self.ps, &handle, false).await))
        }
        .instrument(span)
        .await
    }

    async fn list_timelines(
        &self,
        request: Request<pb::ListTimelinesRequest>,
    ) -> Result<Response<pb::ListTimelinesResponse>, Status> {
        self.allow(
            &request,
            Method::PsListTimelines,
            &request.get_ref().tenant,
            "",
        )?;
        let r = request.into_inner();
        let span = tracing::info_span!("list_timelines", tenant = %r.tenant);
        async {
            let tenant = (!r.tenant.is_empty()).then_some(r.tenant.as_str());
            let mut timelines = Vec::new();
            for h in self.ps.timelines(tenant) {
                timelines.push(info(&self.ps, &h, true).await);
            }
            Ok(Response::new(pb::ListTimelinesResponse { timelines }))
        }
        .instrument(span)
        .await
    }

    async fn timeline_status(
        &self,
        request: Request<pb::TimelineStatusRequest>,
    ) -> Result<Response<pb::TimelineInfo>, Status> {
        self.allow(
            &request,
            Method::PsTimelineStatus,
            &request.get_ref().tenant,
            &request.get_ref().timeline,
        )?;
        let r = request.into_inner();
        let span =
            tracing::info_span!("timeline_status", tenant = %r.tenant, timeline = %r.timeline);
        async {
            let handle = timeline_id(&r.tenant, &r.timeline)
                .and_then(|id| self.ps.timeline(&id))
                .map_err(|e| status(&e))?;
            Ok(Response::new(
                info(&self.ps, &handle, r.with_logical_size).await,
            ))
        }
        .instrument(span)
        .await
    }

    async fn lease_lsn(
        &self,
        request: Request<pb::LeaseRequest>,
    ) -> Result<Response<pb::LeaseResponse>, Status> {
        self.allow(
            &request,
            Method::PsLeaseLsn,
            &request.get_ref().tenant,
            &request.get_ref().timeline,
        )?;
        let r = request.into_inner();
        let span = tracing::info_span!("lease_lsn", tenant = %r.tenant, timeline = %r.timeline, lsn = %Lsn(r.lsn));
        async {
            if r.lsn == 0 {
                return Err(Status::invalid_argument("lsn must be a valid LSN"));
            }
            let handle = timeline_id(&r.tenant, &r.timeline)
                .and_then(|id| self.ps.timeline(&id))
                .map_err(|e| status(&e))?;
            let ttl = Duration::from_millis(r.ttl_ms.clamp(1, 24 * 3600 * 1000));
            let until = self
                .ps
                .lease(&handle, Lsn(r.lsn), ttl)
                .await
                .map_err(|e| status(&e))?;
            Ok(Response::new(pb::LeaseResponse {
                lsn: r.lsn,
                valid_until_unix_ms: until,
            }))
        }
        .instrument(span)
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::PageKey;

    #[test]
    fn errors_map_to_page_codes_and_statuses() {
        use pb::PageErrorCode as C;
        let key = PageKey::new(1, 2);
        let id = TimelineId::new("t", "main").unwrap();
        let cases = [
            (
                Error::NeverWritten { key, lsn: Lsn(5) },
                C::PageErrorNeverWritten,
            ),
            (
                Error::BelowGcHorizon {
                    lsn: Lsn(5),
                    cutoff: Lsn(9),
                },
                C::PageErrorBelowGcHorizon,
            ),
            (
                Error::TimelineNotFound { id: id.clone() },
                C::PageErrorTimelineNotFound,
            ),
            (
                Error::WaitTimeout {
                    lsn: Lsn(5),
                    last: Lsn(1),
                    waited: Duration::from_secs(1),
                },
                C::PageErrorWaitTimeout,
            ),
            (
                Error::Quarantined {
                    key,
                    lsn: Lsn(5),
                    reason: "crc".into(),
                },
                C::PageErrorQuarantined,
            ),
            (Error::corrupt("f", 1, "bad"), C::PageErrorCorrupt),
            (
                Error::Broken {
                    id: id.clone(),
                    reason: "x".into(),
                },
                C::PageErrorCorrupt,
            ),
            (Error::ShuttingDown, C::PageErrorInternal),
        ];
        for (e, code) in cases {
            assert_eq!(page_error_code(&e), code, "{e}");
        }
        assert_eq!(
            status(&Error::TimelineExists { id }).code(),
            tonic::Code::AlreadyExists
        );
    }

    #[test]
    fn create_requests_are_validated() {
        let ok = pb::CreateTimelineRequest {
            tenant: "t".into(),
            timeline: "dev".into(),
            ancestor: "main".into(),
            ancestor_lsn: 0,
            ancestor_timestamp_us: 0,
        };
        let c = CreateTimeline::try_from(&ok).unwrap();
        assert_eq!(c.ancestor.unwrap().as_str(), "main");
        assert_eq!((c.ancestor_lsn, c.ancestor_timestamp_us), (None, None));
        let bad = |f: fn(&mut pb::CreateTimelineRequest)| {
            let mut r = ok.clone();
            f(&mut r);
            CreateTimeline::try_from(&r).is_err()
        };
        assert!(bad(|r| r.timeline = "Bad Name".into()));
        assert!(bad(|r| r.ancestor = "Bad!".into()));
        assert!(bad(|r| {
            r.ancestor_lsn = 5;
            r.ancestor_timestamp_us = 5;
        }));
        assert!(bad(|r| {
            r.ancestor = String::new();
            r.ancestor_lsn = 5;
        }));
    }
}
