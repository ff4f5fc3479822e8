//! The consensus messages between a proposer and an acceptor, as plain Rust.
//!
//! They mirror `proto/proto/safekeeper.proto` (`GreetRequest`,
//! `VoteRequest`, `ElectedRequest`, `AppendRequest` and their responses)
//! minus the timeline reference, which the shell uses to route a message to
//! the right timeline's [`crate::Acceptor`]. The gRPC shells convert with the
//! impls below: the safekeeper side `TryFrom` requests and `From` replies,
//! the compute side `to_proto(timeline)` requests and `TryFrom` replies.
//! Conversions of what arrives validate it (non-zero LSNs, well-formed term
//! histories), so the cores never see malformed values.

use bytes::Bytes;
use proto::Lsn;
use proto::grpc::{TermSwitch, safekeeper as pb, term_history};
use proto::record::Term;

/// Identifies a proposer (compute) or an acceptor (safekeeper).
pub type NodeId = u64;

/// A proposer introduces itself; the acceptor answers with its state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Greet {
    pub proposer_id: NodeId,
    pub timeline_start_lsn: Lsn,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GreetReply {
    pub node_id: NodeId,
    pub term: Term,
    pub flush_lsn: Lsn,
    pub commit_lsn: Lsn,
    /// The acceptor's effective history (up to its `flush_lsn`).
    pub term_history: Vec<TermSwitch>,
    pub timeline_start_lsn: Lsn,
}

/// A proposer asks for the acceptor's vote in `term`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoteRequest {
    pub term: Term,
    pub proposer_id: NodeId,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoteReply {
    pub node_id: NodeId,
    /// The acceptor's term after handling the request.
    pub term: Term,
    pub granted: bool,
    pub flush_lsn: Lsn,
    pub commit_lsn: Lsn,
    /// The acceptor's effective history (up to its `flush_lsn`).
    pub term_history: Vec<TermSwitch>,
    pub timeline_start_lsn: Lsn,
}

/// The elected proposer's history (donor history + `(term, donor flush)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Elected {
    pub term: Term,
    pub term_history: Vec<TermSwitch>,
    pub commit_lsn: Lsn,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElectedReply {
    pub node_id: NodeId,
    pub term: Term,
    pub accepted: bool,
    /// Where the acceptor's WAL ends after truncating its divergent tail.
    pub flush_lsn: Lsn,
}

/// Whole frames starting at `begin_lsn`; an empty `wal` is a heartbeat that
/// carries `commit_lsn`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Append {
    pub term: Term,
    pub begin_lsn: Lsn,
    pub wal: Bytes,
    pub commit_lsn: Lsn,
    /// Lowest LSN the proposer may still need (informational for now).
    pub truncate_lsn: Lsn,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendReply {
    pub node_id: NodeId,
    pub term: Term,
    pub flush_lsn: Lsn,
    pub commit_lsn: Lsn,
    /// False when the acceptor has a higher term (the proposer is fenced) or
    /// has not accepted this term's `Elected` yet (send it again).
    pub accepted: bool,
}

/// Everything a proposer sends an acceptor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    Greet(Greet),
    Vote(VoteRequest),
    Elected(Elected),
    Append(Append),
}

/// Everything an acceptor answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    Greet(GreetReply),
    Vote(VoteReply),
    Elected(ElectedReply),
    Append(AppendReply),
}

impl Reply {
    /// The term the acceptor is at.
    pub fn term(&self) -> Term {
        match self {
            Reply::Greet(r) => r.term,
            Reply::Vote(r) => r.term,
            Reply::Elected(r) => r.term,
            Reply::Append(r) => r.term,
        }
    }
}

// ---- conversions from and to the generated gRPC messages ----

fn lsn(field: &'static str, v: u64) -> Result<Lsn, proto::Error> {
    if v == 0 {
        return Err(proto::Error::InvalidMessage {
            field,
            reason: "must be a valid LSN".into(),
        });
    }
    Ok(Lsn(v))
}

fn term(field: &'static str, v: u64) -> Result<Term, proto::Error> {
    if v == 0 {
        return Err(proto::Error::InvalidMessage {
            field,
            reason: "terms start at 1".into(),
        });
    }
    Ok(v)
}

fn entries(history: &[TermSwitch]) -> Vec<pb::TermEntry> {
    history.iter().map(|&e| e.into()).collect()
}

impl TryFrom<&pb::GreetRequest> for Greet {
    type Error = proto::Error;
    fn try_from(r: &pb::GreetRequest) -> Result<Self, proto::Error> {
        Ok(Greet {
            proposer_id: r.proposer_id,
            timeline_start_lsn: lsn("timeline_start_lsn", r.timeline_start_lsn)?,
        })
    }
}

impl TryFrom<&pb::VoteRequest> for VoteRequest {
    type Error = proto::Error;
    fn try_from(r: &pb::VoteRequest) -> Result<Self, proto::Error> {
        Ok(VoteRequest {
            term: term("term", r.term)?,
            proposer_id: r.proposer_id,
        })
    }
}

impl TryFrom<&pb::ElectedRequest> for Elected {
    type Error = proto::Error;
    fn try_from(r: &pb::ElectedRequest) -> Result<Self, proto::Error> {
        Ok(Elected {
            term: term("term", r.term)?,
            term_history: term_history(&r.term_history)?,
            commit_lsn: Lsn(r.commit_lsn),
        })
    }
}

impl TryFrom<pb::AppendRequest> for Append {
    type Error = proto::Error;
    fn try_from(r: pb::AppendRequest) -> Result<Self, proto::Error> {
        Ok(Append {
            term: term("term", r.term)?,
            begin_lsn: lsn("begin_lsn", r.begin_lsn)?,
            wal: r.wal,
            commit_lsn: Lsn(r.commit_lsn),
            truncate_lsn: Lsn(r.truncate_lsn),
        })
    }
}

impl From<GreetReply> for pb::GreetResponse {
    fn from(r: GreetReply) -> Self {
        pb::GreetResponse {
            node_id: r.node_id,
            term: r.term,
            flush_lsn: r.flush_lsn.0,
            commit_lsn: r.commit_lsn.0,
            term_history: entries(&r.term_history),
            timeline_start_lsn: r.timeline_start_lsn.0,
        }
    }
}

impl From<VoteReply> for pb::VoteResponse {
    fn from(r: VoteReply) -> Self {
        pb::VoteResponse {
            node_id: r.node_id,
            term: r.term,
            granted: r.granted,
            flush_lsn: r.flush_lsn.0,
            commit_lsn: r.commit_lsn.0,
            term_history: entries(&r.term_history),
            timeline_start_lsn: r.timeline_start_lsn.0,
        }
    }
}

impl From<ElectedReply> for pb::ElectedResponse {
    fn from(r: ElectedReply) -> Self {
        pb::ElectedResponse {
            node_id: r.node_id,
            term: r.term,
            accepted: r.accepted,
            flush_lsn: r.flush_lsn.0,
        }
    }
}

impl From<AppendReply> for pb::AppendResponse {
    fn from(r: AppendReply) -> Self {
        pb::AppendResponse {
            node_id: r.node_id,
            term: r.term,
            flush_lsn: r.flush_lsn.0,
            commit_lsn: r.commit_lsn.0,
            accepted: r.accepted,
        }
    }
}

// The proposer's side: requests out, replies in.

impl Greet {
    pub fn to_proto(&self, timeline: pb::TimelineRef) -> pb::GreetRequest {
        pb::GreetRequest {
            timeline: Some(timeline),
            proposer_id: self.proposer_id,
            timeline_start_lsn: self.timeline_start_lsn.0,
        }
    }
}

impl VoteRequest {
    pub fn to_proto(&self, timeline: pb::TimelineRef) -> pb::VoteRequest {
        pb::VoteRequest {
            timeline: Some(timeline),
            term: self.term,
            proposer_id: self.proposer_id,
        }
    }
}

impl Elected {
    pub fn to_proto(&self, timeline: pb::TimelineRef) -> pb::ElectedRequest {
        pb::ElectedRequest {
            timeline: Some(timeline),
            term: self.term,
            term_history: entries(&self.term_history),
            commit_lsn: self.commit_lsn.0,
        }
    }
}

impl Append {
    pub fn to_proto(&self, timeline: pb::TimelineRef) -> pb::AppendRequest {
        pb::AppendRequest {
            timeline: Some(timeline),
            term: self.term,
            begin_lsn: self.begin_lsn.0,
            wal: self.wal.clone(),
            commit_lsn: self.commit_lsn.0,
            truncate_lsn: self.truncate_lsn.0,
        }
    }
}

impl TryFrom<&pb::GreetResponse> for GreetReply {
    type Error = proto::Error;
    fn try_from(r: &pb::GreetResponse) -> Result<Self, proto::Error> {
        Ok(GreetReply {
            node_id: r.node_id,
            term: r.term,
            flush_lsn: lsn("flush_lsn", r.flush_lsn)?,
            commit_lsn: Lsn(r.commit_lsn),
            term_history: term_history(&r.term_history)?,
            timeline_start_lsn: lsn("timeline_start_lsn", r.timeline_start_lsn)?,
        })
    }
}

impl TryFrom<&pb::VoteResponse> for VoteReply {
    type Error = proto::Error;
    fn try_from(r: &pb::VoteResponse) -> Result<Self, proto::Error> {
        Ok(VoteReply {
            node_id: r.node_id,
            term: r.term,
            granted: r.granted,
            flush_lsn: lsn("flush_lsn", r.flush_lsn)?,
            commit_lsn: Lsn(r.commit_lsn),
            term_history: term_history(&r.term_history)?,
            timeline_start_lsn: lsn("timeline_start_lsn", r.timeline_start_lsn)?,
        })
    }
}

impl TryFrom<&pb::ElectedResponse> for ElectedReply {
    type Error = proto::Error;
    fn try_from(r: &pb::ElectedResponse) -> Result<Self, proto::Error> {
        Ok(ElectedReply {
            node_id: r.node_id,
            term: r.term,
            accepted: r.accepted,
            flush_lsn: lsn("flush_lsn", r.flush_lsn)?,
        })
    }
}

impl TryFrom<&pb::AppendResponse> for AppendReply {
    type Error = proto::Error;
    fn try_from(r: &pb::AppendResponse) -> Result<Self, proto::Error> {
        Ok(AppendReply {
            node_id: r.node_id,
            term: r.term,
            flush_lsn: lsn("flush_lsn", r.flush_lsn)?,
            commit_lsn: Lsn(r.commit_lsn),
            accepted: r.accepted,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_requests_are_validated() {
        let greet = pb::GreetRequest {
            timeline: None,
            proposer_id: 7,
            timeline_start_lsn: 0,
        };
        assert!(Greet::try_from(&greet).is_err());
        let vote = pb::VoteRequest {
            timeline: None,
            term: 0,
            proposer_id: 7,
        };
        assert!(VoteRequest::try_from(&vote).is_err());
        let elected = pb::ElectedRequest {
            timeline: None,
            term: 3,
            term_history: vec![
                pb::TermEntry {
                    term: 2,
                    start_lsn: 10,
                },
                pb::TermEntry {
                    term: 1,
                    start_lsn: 20,
                },
            ],
            commit_lsn: 0,
        };
        assert!(Elected::try_from(&elected).is_err());
        let append = pb::AppendRequest {
            timeline: None,
            term: 3,
            begin_lsn: 16,
            wal: Bytes::from_static(b"x"),
            commit_lsn: 0,
            truncate_lsn: 0,
        };
        let a = Append::try_from(append.clone()).unwrap();
        assert_eq!((a.term, a.begin_lsn), (3, Lsn(16)));
        let tl = pb::TimelineRef {
            tenant: "t".into(),
            timeline: "l".into(),
        };
        let mut round = a.to_proto(tl);
        round.timeline = None;
        assert_eq!(round, append);
    }

    #[test]
    fn grpc_replies_round_trip() {
        let h = vec![
            TermSwitch {
                term: 1,
                start_lsn: Lsn(16),
            },
            TermSwitch {
                term: 3,
                start_lsn: Lsn(40),
            },
        ];
        let vote = VoteReply {
            node_id: 2,
            term: 3,
            granted: true,
            flush_lsn: Lsn(64),
            commit_lsn: Lsn(40),
            term_history: h,
            timeline_start_lsn: Lsn(16),
        };
        let pb_vote = pb::VoteResponse::from(vote.clone());
        assert_eq!(VoteReply::try_from(&pb_vote).unwrap(), vote);
        let mut bad = pb_vote;
        bad.flush_lsn = 0;
        assert!(VoteReply::try_from(&bad).is_err());
        let append = AppendReply {
            node_id: 2,
            term: 3,
            flush_lsn: Lsn(64),
            commit_lsn: Lsn(40),
            accepted: false,
        };
        let pb_append = pb::AppendResponse::from(append.clone());
        assert_eq!(AppendReply::try_from(&pb_append).unwrap(), append);
    }
}
