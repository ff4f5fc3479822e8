//! The tonic `Safekeeper` service: the gRPC boundary of a safekeeper.
//!
//! Each handler validates its request (the `messages` `TryFrom`s and
//! `proto::grpc::required_timeline`), runs inside a span carrying `tenant`
//! and `timeline`, routes the request to its [`Timeline`] and turns
//! [`Error`]s into gRPC statuses with [`status`]. The consensus requests
//! (Greet, Vote, Elected, Append) go through the timeline's group-commit
//! queue, so each reply is sent only once its effects are durable.
//! Every handler first checks the caller's token (`proto::auth`) against the
//! method and the timeline it names; a server without a key skips that.

use std::pin::Pin;
use std::sync::Arc;

use futures::Stream;
use proto::auth::{self, Grant, Method};
use proto::grpc::required_timeline;
use proto::grpc::safekeeper as pb;
use proto::grpc::safekeeper::safekeeper_server::Safekeeper;
use tonic::{Request, Response, Status, Streaming};
use tracing::{Instrument, info_span};

use super::Context;
use super::timeline::Timeline;
use crate::error::Error;
use crate::messages::{self, Reply};
use crate::storage::StorageError;

/// The service; cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct Service {
    ctx: Arc<Context>,
}

impl Service {
    pub fn new(ctx: Arc<Context>) -> Service {
        Service { ctx }
    }
}

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// Maps a crate error to the gRPC status a client acts on.
pub fn status(e: Error) -> Status {
    let msg = e.to_string();
    match e {
        Error::Fenced { .. } => Status::failed_precondition(msg),
        Error::InvalidRequest(_) | Error::CorruptWal { .. } => Status::invalid_argument(msg),
        Error::NotElected { .. } | Error::NotSynced { .. } | Error::ElectionTimeout { .. } => {
            Status::failed_precondition(msg)
        }
        Error::WouldTruncateCommitted { .. } | Error::Invariant(_) => Status::internal(msg),
        Error::TimelineNotFound(_) => Status::not_found(msg),
        Error::Unavailable(_) | Error::ShutDown => Status::unavailable(msg),
        Error::Storage(s) => match &*s.0 {
            StorageError::Corrupt { .. } | StorageError::BadControlFile { .. } => {
                Status::data_loss(msg)
            }
            StorageError::InvalidRequest(_) => Status::failed_precondition(msg),
            StorageError::Io { .. } | StorageError::Poisoned { .. } => Status::unavailable(msg),
        },
        Error::RemoteStorage(r) => match &*r.0 {
            remote_storage::Error::NotFound { .. } => Status::not_found(msg),
            _ => Status::unavailable(msg),
        },
    }
}

/// A request that fails validation.
pub fn invalid(e: proto::Error) -> Status {
    Status::invalid_argument(e.to_string())
}

fn unexpected(reply: &Reply) -> Status {
    Status::internal(format!("the acceptor answered with {reply:?}"))
}

impl Service {
    /// The caller's grant for this call (`Unauthenticated` without a good
    /// token when the server has a key).
    fn authenticate<T>(&self, request: &Request<T>, method: Method) -> Result<Grant, Status> {
        auth::authenticate(self.ctx.config.auth.as_deref(), request, method)
    }

    /// Authenticates the call and checks its role and the timeline it names.
    fn allow<T>(
        &self,
        request: &Request<T>,
        method: Method,
        r: Option<&pb::TimelineRef>,
    ) -> Result<(), Status> {
        self.authenticate(request, method)?.permit(
            method,
            r.map(|r| r.tenant.as_str()),
            r.map(|r| r.timeline.as_str()),
        )
    }

    fn timeline(&self, r: Option<&pb::TimelineRef>) -> Result<Arc<Timeline>, Status> {
        let id = required_timeline(r).map_err(invalid)?;
        self.ctx.get(&id).map_err(status)
    }
}

fn span(name: &'static str, r: Option<&pb::TimelineRef>) -> tracing::Span {
    let (tenant, timeline) = r
        .map(|r| (r.tenant.as_str(), r.timeline.as_str()))
        .unwrap_or(("", ""));
    info_span!("rpc", method = name, tenant, timeline)
}

#[tonic::async_trait]
impl Safekeeper for Service {
    async fn greet(
        &self,
        request: Request<pb::GreetRequest>,
    ) -> Result<Response<pb::GreetResponse>, Status> {
        self.allow(
            &request,
            Method::SkGreet,
            request.get_ref().timeline.as_ref(),
        )?;
        let r = request.into_inner();
        async {
            let id = required_timeline(r.timeline.as_ref()).map_err(invalid)?;
            let greet = messages::Greet::try_from(&r).map_err(invalid)?;
            let tl = self
                .ctx
                .get_or_create(&id, greet.timeline_start_lsn)
                .await
                .map_err(status)?;
            match tl
                .step(messages::Request::Greet(greet))
                .await
                .map_err(status)?
            {
                Reply::Greet(g) => Ok(Response::new(g.into())),
                other => Err(unexpected(&other)),
            }
        }
        .instrument(span("greet", r.timeline.as_ref()))
        .await
    }

    async fn vote(
        &self,
        request: Request<pb::VoteRequest>,
    ) -> Result<Response<pb::VoteResponse>, Status> {
        self.allow(
            &request,
            Method::SkVote,
            request.get_ref().timeline.as_ref(),
        )?;
        let r = request.into_inner();
        async {
            let tl = self.timeline(r.timeline.as_ref())?;
            let vote = messages::VoteRequest::try_from(&r).map_err(invalid)?;
            match tl
                .step(messages::Request::Vote(vote))
                .await
                .map_err(status)?
            {
                Reply::Vote(v) => {
                    tracing::info!(term = v.term, granted = v.granted, "vote");
                    Ok(Response::new(v.into()))
                }
                other => Err(unexpected(&other)),
            }
        }
        .instrument(span("vote", r.timeline.as_ref()))
        .await
    }

    async fn elected(
        &self,
        request: Request<pb::ElectedRequest>,
    ) -> Result<Response<pb::ElectedResponse>, Status> {
        self.allow(
            &request,
            Method::SkElected,
            request.get_ref().timeline.as_ref(),
        )?;
        let r = request.into_inner();
        async {
            let tl = self.timeline(r.timeline.as_ref())?;
            let elected = messages::Elected::try_from(&r).map_err(invalid)?;
            match tl.step(messages::Request::Elected(elected)).await.map_err(status)? {
                Reply::Elected(e) => {
                    tracing::info!(term = e.term, accepted = e.accepted, flush_lsn = %e.flush_lsn, "elected");
                    Ok(Response::new(e.into()))
                }
                other => Err(unexpected(&other)),
            }
        }
        .instrument(span("elected", r.timeline.as_ref()))
        .await
    }

    type AppendStream = BoxStream<pb::AppendResponse>;

    async fn append(
        &self,
        request: Request<Streaming<pb::AppendRequest>>,
    ) -> Result<Response<Self::AppendStream>, Status> {
        // Each request's timeline is checked as the stream switches to it.
        let grant = self.authenticate(&request, Method::SkAppend)?;
        let stream = super::append::serve(self.ctx.clone(), grant, request.into_inner());
        Ok(Response::new(Box::pin(stream)))
    }

    type ReadWalStream = BoxStream<pb::WalChunk>;

    async fn read_wal(
        &self,
        request: Request<pb::ReadWalRequest>,
    ) -> Result<Response<Self::ReadWalStream>, Status> {
        self.allow(
            &request,
            Method::SkReadWal,
            request.get_ref().timeline.as_ref(),
        )?;
        let peer = request
            .remote_addr()
            .map_or_else(|| "unknown".to_string(), |a| a.to_string());
        let r = request.into_inner();
        let span = span("read_wal", r.timeline.as_ref());
        let stream = super::read_wal::serve(self.ctx.clone(), r, peer)
            .instrument(span)
            .await?;
        Ok(Response::new(Box::pin(stream)))
    }

    async fn status(
        &self,
        request: Request<pb::StatusRequest>,
    ) -> Result<Response<pb::StatusResponse>, Status> {
        self.allow(
            &request,
            Method::SkStatus,
            request.get_ref().timeline.as_ref(),
        )?;
        let r = request.into_inner();
        let _span = span("status", r.timeline.as_ref()).entered();
        let tl = self.timeline(r.timeline.as_ref())?;
        Ok(Response::new(super::pageserver_calls::status(&tl)))
    }

    async fn list_timelines(
        &self,
        request: Request<pb::ListTimelinesRequest>,
    ) -> Result<Response<pb::ListTimelinesResponse>, Status> {
        self.allow(&request, Method::SkListTimelines, None)?;
        let timelines = self.ctx.list().iter().map(pb::TimelineRef::from).collect();
        Ok(Response::new(pb::ListTimelinesResponse { timelines }))
    }

    async fn pageserver_feedback(
        &self,
        request: Request<pb::FeedbackRequest>,
    ) -> Result<Response<pb::FeedbackResponse>, Status> {
        self.allow(
            &request,
            Method::SkPageserverFeedback,
            request.get_ref().timeline.as_ref(),
        )?;
        let r = request.into_inner();
        async {
            let tl = self.timeline(r.timeline.as_ref())?;
            super::pageserver_calls::feedback(&tl, &r)
                .await
                .map(Response::new)
                .map_err(status)
        }
        .instrument(span("pageserver_feedback", r.timeline.as_ref()))
        .await
    }

    async fn issue_generation(
        &self,
        request: Request<pb::GenerationRequest>,
    ) -> Result<Response<pb::GenerationResponse>, Status> {
        self.allow(
            &request,
            Method::SkIssueGeneration,
            request.get_ref().timeline.as_ref(),
        )?;
        let r = request.into_inner();
        async {
            let tl = self.timeline(r.timeline.as_ref())?;
            super::pageserver_calls::issue(&tl, &r.pageserver_id)
                .await
                .map(Response::new)
                .map_err(status)
        }
        .instrument(span("issue_generation", r.timeline.as_ref()))
        .await
    }
}
