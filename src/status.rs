//! # status: `strata status`, each timeline as the pageserver and every safekeeper see it
//!
//! [`status`] asks the pageserver for its timelines (`ListTimelines`, or
//! `TimelineStatus` of the one named) and every safekeeper for each
//! timeline's `Status`, all at once and each bounded by
//! [`crate::admin::RPC_TIMEOUT`]. The answers become a [`ClusterStatus`]:
//! plain data that prints as text ([`ClusterStatus::to_text`]) or, for
//! scripts, as JSON (`--json`, serde). Derived figures:
//!
//! - `commit_lsn`: the highest commit LSN among the safekeepers that answered;
//! - `ingest_lag_bytes`: WAL committed on the safekeepers that the pageserver
//!   has not ingested yet (`commit_lsn - ingested_lsn`);
//! - `upload_lag_bytes`: WAL ingested but not yet in object storage
//!   (`ingested_lsn - remote_consistent_lsn`, from the timeline's start
//!   while nothing is uploaded), what a pageserver restart would re-ingest;
//! - per safekeeper, the WAL streams attached to it (read replicas, the
//!   pageserver, recovering peers: `StatusResponse.readers`), each with
//!   `lag_bytes = commit_lsn - sent_lsn`, and how long ago a primary last
//!   appended (heartbeats included: a primary is attached);
//! - each lag also in seconds ([`lag_seconds`]), as PostgreSQL's
//!   `pg_stat_replication.replay_lag`: the age of the oldest WAL the reader
//!   (replica, pageserver ingest, upload) lacks, 0 when it lacks none, dated by
//!   the safekeeper's record of when its WAL became durable
//!   (`StatusResponse.wal_ages`, [`safekeeper::server::wal_times`]);
//!   ingest and upload lags use the safekeeper with the highest commit LSN;
//! - `logical_size_bytes`: the sum of the timeline's relation sizes at the
//!   ingested LSN, as the pageserver computes it from its layers
//!   ([`pageserver::logical_size`]); `physical_size_bytes` is the layer files'.
//!
//! Partial answers are reported, not hidden: an unreachable server is a line
//! (a field) with its error, and the command's result is an error unless the
//! pageserver and a majority of the safekeepers answered for every timeline.

use std::fmt::Write as _;

use proto::Lsn;
use proto::grpc::pageserver as ps;
use proto::grpc::pageserver::pageserver_client::PageserverClient;
use proto::grpc::safekeeper as sk;
use proto::grpc::safekeeper::safekeeper_client::SafekeeperClient;
use serde::Serialize;
use tracing::Instrument;

use crate::admin::{AdminError, channel, majority, rpc_error, timeline_id};

/// What `strata status` was asked.
#[derive(Clone, Debug)]
pub struct StatusRequest {
    pub pageserver: String,
    pub safekeepers: Vec<String>,
    pub tenant: String,
    /// One timeline, or every timeline of the tenant when `None`.
    pub timeline: Option<String>,
    /// The token sent with every call (`--auth-token-file`, or the data dir's admin
    /// token) and the CA of the servers' TLS (`--grpc-tls-ca`).
    pub access: crate::admin::Access,
}

/// The cluster as the servers described it.
#[derive(Clone, Debug, Serialize)]
pub struct ClusterStatus {
    pub pageserver: String,
    pub safekeepers: Vec<String>,
    pub tenant: String,
    pub timelines: Vec<TimelineStatus>,
    /// Why the timelines could not be listed, if they could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One timeline.
#[derive(Clone, Debug, Serialize)]
pub struct TimelineStatus {
    pub tenant: String,
    pub timeline: String,
    /// `None` with `pageserver_error` set when the pageserver did not answer.
    pub pageserver: Option<PageserverView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pageserver_error: Option<String>,
    pub safekeepers: Vec<SafekeeperView>,
    /// The highest commit LSN among the safekeepers that answered.
    pub commit_lsn: Option<String>,
    pub ingest_lag_bytes: Option<u64>,
    /// Age of the oldest committed WAL the pageserver has not ingested (0: none).
    pub ingest_lag_seconds: Option<f64>,
    pub upload_lag_bytes: Option<u64>,
    /// Age of the oldest ingested WAL not yet in object storage (0: none).
    pub upload_lag_seconds: Option<f64>,
}

/// The pageserver's view of a timeline (LSNs as `X/Y`).
#[derive(Clone, Debug, Serialize)]
pub struct PageserverView {
    pub ancestor: Option<String>,
    pub ancestor_lsn: Option<String>,
    pub start_lsn: String,
    /// The last WAL record ingested (`last_record_lsn`).
    pub ingested_lsn: String,
    /// Everything up to here is in object storage.
    pub remote_consistent_lsn: String,
    pub gc_cutoff_lsn: String,
    pub generation: u64,
    pub layers: u64,
    pub image_layers: u64,
    pub delta_layers: u64,
    /// The layer files' total size in object storage.
    pub physical_size_bytes: u64,
    /// The sum of the relations' sizes at `ingested_lsn` (`None`: the
    /// pageserver could not read its layers).
    pub logical_size_bytes: Option<u64>,
    pub object_store: String,
}

/// One safekeeper's view of a timeline; `error` when it did not answer.
#[derive(Clone, Debug, Serialize)]
pub struct SafekeeperView {
    pub addr: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub term: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flush_lsn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit_lsn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_lsn: Option<String>,
    /// Milliseconds since a primary last appended (heartbeats included).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_append_ms_ago: Option<u64>,
    /// The WAL streams this safekeeper serves now.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub readers: Vec<ReaderView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One WAL stream a safekeeper serves (a read replica, the pageserver, a peer).
#[derive(Clone, Debug, Serialize)]
pub struct ReaderView {
    pub name: String,
    pub peer: String,
    pub sent_lsn: String,
    /// Committed WAL not yet sent to it.
    pub lag_bytes: u64,
    /// Age of the oldest committed WAL not yet sent to it (0: none).
    pub lag_seconds: f64,
    pub connected_for_s: u64,
}

impl ReaderView {
    fn new(r: &sk::WalReader, s: &sk::StatusResponse, now_unix_ms: u64) -> ReaderView {
        ReaderView {
            name: r.name.clone(),
            peer: r.peer.clone(),
            sent_lsn: lsn(r.sent_lsn),
            lag_bytes: s.commit_lsn.saturating_sub(r.sent_lsn),
            lag_seconds: lag_seconds(&s.wal_ages, r.sent_lsn, s.commit_lsn),
            connected_for_s: now_unix_ms.saturating_sub(r.since_unix_ms) / 1000,
        }
    }
}

/// The lag in seconds of a reader that has WAL up to `have` and should have it
/// up to `upto`: 0 if it has it all, else the age of the oldest WAL after
/// `have` by the safekeeper's `wal_ages` (oldest first; an LSN older than every
/// sample is dated by the oldest, a lower bound). Millisecond precision.
pub fn lag_seconds(wal_ages: &[sk::WalAge], have: u64, upto: u64) -> f64 {
    if have >= upto {
        return 0.0;
    }
    let ages: Vec<(Lsn, u64)> = wal_ages.iter().map(|a| (Lsn(a.lsn), a.ms_ago)).collect();
    safekeeper::server::wal_times::lag_ms(&ages, Lsn(have)) as f64 / 1000.0
}

fn now_unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn lsn(v: u64) -> String {
    Lsn(v).to_string()
}

impl PageserverView {
    fn new(t: &ps::TimelineInfo) -> PageserverView {
        let has_ancestor = !t.ancestor.is_empty();
        PageserverView {
            ancestor: has_ancestor.then(|| t.ancestor.clone()),
            ancestor_lsn: has_ancestor.then(|| lsn(t.ancestor_lsn)),
            start_lsn: lsn(t.start_lsn),
            ingested_lsn: lsn(t.last_record_lsn),
            remote_consistent_lsn: lsn(t.remote_consistent_lsn),
            gc_cutoff_lsn: lsn(t.gc_cutoff_lsn),
            generation: t.generation,
            layers: t.layer_count,
            image_layers: t.image_layer_count,
            delta_layers: t.delta_layer_count,
            physical_size_bytes: t.layer_bytes,
            logical_size_bytes: t.logical_size_bytes,
            object_store: t.object_store.clone(),
        }
    }
}

/// Assembles one timeline's status from the answers (pure; `now_unix_ms` dates the
/// readers' connection times).
pub fn timeline_status(
    tenant: &str,
    timeline: &str,
    pageserver: Result<&ps::TimelineInfo, &AdminError>,
    safekeepers: &[(String, Result<sk::StatusResponse, AdminError>)],
    now_unix_ms: u64,
) -> TimelineStatus {
    // The safekeeper with the highest commit LSN dates the ingest and upload lags.
    let newest = safekeepers
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .max_by_key(|s| s.commit_lsn);
    let commit = newest.map(|s| s.commit_lsn);
    let ages = newest.map_or(&[][..], |s| &s.wal_ages[..]);
    let info = pageserver.ok();
    TimelineStatus {
        tenant: tenant.to_string(),
        timeline: timeline.to_string(),
        pageserver: info.map(PageserverView::new),
        pageserver_error: pageserver.err().map(|e| e.to_string()),
        safekeepers: safekeepers
            .iter()
            .map(|(addr, r)| match r {
                Ok(s) => SafekeeperView {
                    addr: addr.clone(),
                    node_id: Some(s.node_id),
                    term: Some(s.term),
                    flush_lsn: Some(lsn(s.flush_lsn)),
                    commit_lsn: Some(lsn(s.commit_lsn)),
                    backup_lsn: Some(lsn(s.backup_lsn)),
                    last_append_ms_ago: s.last_append_ms_ago,
                    readers: s
                        .readers
                        .iter()
                        .map(|r| ReaderView::new(r, s, now_unix_ms))
                        .collect(),
                    error: None,
                },
                Err(e) => SafekeeperView {
                    addr: addr.clone(),
                    node_id: None,
                    term: None,
                    flush_lsn: None,
                    commit_lsn: None,
                    backup_lsn: None,
                    last_append_ms_ago: None,
                    readers: Vec::new(),
                    error: Some(e.to_string()),
                },
            })
            .collect(),
        commit_lsn: commit.map(lsn),
        ingest_lag_bytes: commit
            .zip(info)
            .map(|(c, i)| c.saturating_sub(i.last_record_lsn)),
        ingest_lag_seconds: commit
            .zip(info)
            .map(|(c, i)| lag_seconds(ages, i.last_record_lsn, c)),
        // Nothing uploaded yet (remote_consistent_lsn 0/0) lags from the timeline's start.
        upload_lag_bytes: info.map(|i| {
            let uploaded = i.remote_consistent_lsn.max(i.start_lsn);
            i.last_record_lsn.saturating_sub(uploaded)
        }),
        upload_lag_seconds: newest.zip(info).map(|(_, i)| {
            let uploaded = i.remote_consistent_lsn.max(i.start_lsn);
            lag_seconds(ages, uploaded, i.last_record_lsn)
        }),
    }
}

impl ClusterStatus {
    /// The human-readable form.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if let Some(e) = &self.error {
            let _ = writeln!(out, "pageserver {}: error: {e}", self.pageserver);
        } else if self.timelines.is_empty() {
            let _ = writeln!(out, "no timelines of tenant {}", self.tenant);
        }
        for t in &self.timelines {
            let _ = write!(out, "timeline {}/{}", t.tenant, t.timeline);
            if let Some(p) = &t.pageserver
                && let (Some(a), Some(l)) = (&p.ancestor, &p.ancestor_lsn)
            {
                let _ = write!(out, " (branch of {a} at {l})");
            }
            out.push('\n');
            match (&t.pageserver, &t.pageserver_error) {
                (Some(p), _) => {
                    let _ = writeln!(
                        out,
                        "  pageserver {}: generation {}  ingested_lsn {}  remote_consistent_lsn {}  \
                         gc_cutoff_lsn {}  start_lsn {}\n    logical size {}, layers {} ({} image, \
                         {} delta), physical size {} bytes, object store {}",
                        self.pageserver,
                        p.generation,
                        p.ingested_lsn,
                        p.remote_consistent_lsn,
                        p.gc_cutoff_lsn,
                        p.start_lsn,
                        p.logical_size_bytes
                            .map_or("unknown".to_string(), |b| format!("{b} bytes")),
                        p.layers,
                        p.image_layers,
                        p.delta_layers,
                        p.physical_size_bytes,
                        p.object_store,
                    );
                }
                (None, e) => {
                    let e = e.as_deref().unwrap_or("no answer");
                    let _ = writeln!(out, "  pageserver {}: error: {e}", self.pageserver);
                }
            }
            for s in &t.safekeepers {
                match (&s.error, s.node_id, s.term) {
                    (None, Some(node), Some(term)) => {
                        let _ = write!(
                            out,
                            "  safekeeper {} (node {node}): term {term}  flush_lsn {}  \
                             commit_lsn {}  backup_lsn {}",
                            s.addr,
                            s.flush_lsn.as_deref().unwrap_or("-"),
                            s.commit_lsn.as_deref().unwrap_or("-"),
                            s.backup_lsn.as_deref().unwrap_or("-"),
                        );
                        let _ = match s.last_append_ms_ago {
                            Some(ms) => writeln!(out, "  primary appended {ms} ms ago"),
                            None => writeln!(out, "  no primary appended since start"),
                        };
                        for r in &s.readers {
                            let _ = writeln!(
                                out,
                                "    streaming to {} ({}): sent_lsn {}  lag {} bytes {:.3} s  \
                                 connected {} s",
                                r.name,
                                r.peer,
                                r.sent_lsn,
                                r.lag_bytes,
                                r.lag_seconds,
                                r.connected_for_s,
                            );
                        }
                    }
                    (e, _, _) => {
                        let e = e.as_deref().unwrap_or("no answer");
                        let _ = writeln!(out, "  safekeeper {}: error: {e}", s.addr);
                    }
                }
            }
            let lag = |b: Option<u64>, s: Option<f64>| match (b, s) {
                (Some(b), Some(s)) => format!("{b} bytes {s:.3} s"),
                (Some(b), None) => format!("{b} bytes"),
                _ => "-".to_string(),
            };
            let _ = writeln!(
                out,
                "  lag: ingest {}, upload {} (commit_lsn {})",
                lag(t.ingest_lag_bytes, t.ingest_lag_seconds),
                lag(t.upload_lag_bytes, t.upload_lag_seconds),
                t.commit_lsn.as_deref().unwrap_or("-"),
            );
        }
        out
    }

    /// The JSON form (`--json`).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("plain data always serializes") + "\n"
    }
}

/// `strata status`: every timeline asked about, as the servers see it. The
/// status is returned with the error too, so partial answers print.
pub async fn status(req: &StatusRequest) -> (ClusterStatus, Result<(), AdminError>) {
    let span = tracing::info_span!("status", tenant = %req.tenant);
    async {
        let mut st = ClusterStatus {
            pageserver: req.pageserver.clone(),
            safekeepers: req.safekeepers.clone(),
            tenant: req.tenant.clone(),
            timelines: Vec::new(),
            error: None,
        };
        let infos = match pageserver_infos(req).await {
            Ok(infos) => infos,
            Err(e) => {
                st.error = Some(e.to_string());
                return (st, Err(e));
            }
        };
        let mut first_error = None;
        for (name, info) in infos {
            let asks = req
                .safekeepers
                .iter()
                .map(|addr| safekeeper_status(addr, &req.tenant, &name, &req.access));
            let answers: Vec<(String, Result<sk::StatusResponse, AdminError>)> = req
                .safekeepers
                .iter()
                .cloned()
                .zip(futures::future::join_all(asks).await)
                .collect();
            let answered = answers.iter().filter(|(_, r)| r.is_ok()).count();
            st.timelines.push(timeline_status(
                &req.tenant,
                &name,
                info.as_ref(),
                &answers,
                now_unix_ms(),
            ));
            let problem = match info {
                Err(e) => Some(e),
                Ok(_) if answered < majority(req.safekeepers.len()) => Some(AdminError::NoQuorum {
                    answered,
                    total: req.safekeepers.len(),
                }),
                Ok(_) => None,
            };
            first_error = first_error.or(problem);
        }
        (st, first_error.map_or(Ok(()), Err))
    }
    .instrument(span)
    .await
}

/// The pageserver's answer for each timeline asked about: the one named,
/// or every timeline of the tenant.
async fn pageserver_infos(
    req: &StatusRequest,
) -> Result<Vec<(String, Result<ps::TimelineInfo, AdminError>)>, AdminError> {
    let addr = &req.pageserver;
    if let Some(name) = &req.timeline {
        let id = timeline_id(&req.tenant, name)?;
        let info = async {
            let mut client = PageserverClient::new(channel(addr, &req.access).await?);
            client
                .timeline_status(ps::TimelineStatusRequest {
                    tenant: id.tenant.to_string(),
                    timeline: id.timeline.to_string(),
                    with_logical_size: true,
                })
                .await
                .map(|r| r.into_inner())
                .map_err(|s| rpc_error("timeline status", addr, s))
        }
        .await;
        return Ok(vec![(name.clone(), info)]);
    }
    let mut client = PageserverClient::new(channel(addr, &req.access).await?);
    let list = client
        .list_timelines(ps::ListTimelinesRequest {
            tenant: req.tenant.clone(),
        })
        .await
        .map_err(|s| rpc_error("list timelines", addr, s))?
        .into_inner();
    Ok(list
        .timelines
        .into_iter()
        .map(|t| (t.timeline.clone(), Ok(t)))
        .collect())
}

pub(crate) async fn safekeeper_status(
    addr: &str,
    tenant: &str,
    timeline: &str,
    access: &crate::admin::Access,
) -> Result<sk::StatusResponse, AdminError> {
    let id = timeline_id(tenant, timeline)?;
    let mut c = SafekeeperClient::new(channel(addr, access).await?);
    c.status(sk::StatusRequest {
        timeline: Some((&id).into()),
    })
    .await
    .map(|r| r.into_inner())
    .map_err(|s| rpc_error("status", addr, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> ps::TimelineInfo {
        ps::TimelineInfo {
            tenant: "default".into(),
            timeline: "main".into(),
            start_lsn: 0x100_0000,
            last_record_lsn: 0x100_0900,
            remote_consistent_lsn: 0x100_0100,
            generation: 3,
            layer_count: 3,
            image_layer_count: 1,
            delta_layer_count: 2,
            layer_bytes: 4096,
            object_store: "memory://".into(),
            logical_size_bytes: Some(5 * 8192),
            ..Default::default()
        }
    }

    fn sk(commit: u64) -> sk::StatusResponse {
        sk::StatusResponse {
            node_id: 1,
            term: 2,
            flush_lsn: commit,
            commit_lsn: commit,
            last_append_ms_ago: Some(7),
            // Durable at 0/1000800 5 s ago, 0/1000A00 2 s ago, `commit` 1 s ago.
            wal_ages: vec![
                sk::WalAge {
                    lsn: 0x100_0800,
                    ms_ago: 5_000,
                },
                sk::WalAge {
                    lsn: 0x100_0A00,
                    ms_ago: 2_000,
                },
                sk::WalAge {
                    lsn: commit,
                    ms_ago: 1_000,
                },
            ],
            readers: vec![sk::WalReader {
                name: "replica 127.0.0.1:5433".into(),
                peer: "127.0.0.1:40000".into(),
                start_lsn: 0x100_0000,
                sent_lsn: 0x100_0A00,
                since_unix_ms: 20_000,
            }],
            ..Default::default()
        }
    }

    #[test]
    fn lags_come_from_the_highest_commit_and_the_pageserver() {
        let answers = vec![
            ("a".to_string(), Ok(sk(0x100_0A00))),
            ("b".to_string(), Ok(sk(0x100_0B00))),
            (
                "c".to_string(),
                Err(AdminError::Invalid("down".to_string())),
            ),
        ];
        let t = timeline_status("default", "main", Ok(&info()), &answers, 50_000);
        assert_eq!(t.commit_lsn.as_deref(), Some("0/1000B00"));
        assert_eq!(t.safekeepers[1].readers[0].lag_bytes, 0x100);
        assert_eq!(t.safekeepers[1].readers[0].lag_seconds, 1.0);
        assert_eq!(t.safekeepers[0].readers[0].lag_seconds, 0.0, "caught up");
        // The pageserver has 0/1000900: the oldest WAL it lacks was durable 2 s ago.
        assert_eq!(t.ingest_lag_seconds, Some(2.0));
        // Uploaded up to 0/1000100: what follows is older than every sample (5 s).
        assert_eq!(t.upload_lag_seconds, Some(5.0));
        assert_eq!(t.safekeepers[1].readers[0].connected_for_s, 30);
        assert_eq!(t.ingest_lag_bytes, Some(0x200));
        assert_eq!(t.upload_lag_bytes, Some(0x800));
        assert_eq!(t.safekeepers[2].error.as_deref(), Some("down"));
        let st = ClusterStatus {
            pageserver: "ps".into(),
            safekeepers: vec!["a".into(), "b".into(), "c".into()],
            tenant: "default".into(),
            timelines: vec![t],
            error: None,
        };
        let text = st.to_text();
        assert!(text.contains("ingested_lsn 0/1000900"), "{text}");
        assert!(
            text.contains("logical size 40960 bytes, layers 3 (1 image, 2 delta)"),
            "{text}"
        );
        assert!(text.contains("safekeeper c: error: down"), "{text}");
        assert!(text.contains("primary appended 7 ms ago"), "{text}");
        assert!(
            text.contains(
                "streaming to replica 127.0.0.1:5433 (127.0.0.1:40000): sent_lsn 0/1000A00  \
                 lag 256 bytes 1.000 s  connected 30 s"
            ),
            "{text}"
        );
        assert!(
            text.contains("lag: ingest 512 bytes 2.000 s, upload 2048 bytes 5.000 s"),
            "{text}"
        );
        let json: serde_json::Value = serde_json::from_str(&st.to_json()).expect("valid JSON");
        assert_eq!(json["timelines"][0]["ingest_lag_bytes"].to_string(), "512");
        assert_eq!(
            json["timelines"][0]["ingest_lag_seconds"].to_string(),
            "2.0"
        );
        assert_eq!(
            json["timelines"][0]["pageserver"]["logical_size_bytes"].to_string(),
            "40960"
        );
        assert_eq!(
            json["timelines"][0]["pageserver"]["generation"].to_string(),
            "3"
        );
        assert_eq!(
            json["timelines"][0]["safekeepers"][1]["readers"][0]["lag_bytes"].to_string(),
            "256"
        );
    }

    #[test]
    fn lag_figures_need_their_answers() {
        let err = AdminError::Invalid("unreachable".into());
        let t = timeline_status("default", "main", Err(&err), &[], 0);
        assert!(t.pageserver.is_none() && t.ingest_lag_bytes.is_none());
        assert!(t.ingest_lag_seconds.is_none() && t.upload_lag_seconds.is_none());
        assert_eq!(t.pageserver_error.as_deref(), Some("unreachable"));
        let fresh = ps::TimelineInfo {
            remote_consistent_lsn: 0,
            ..info()
        };
        let t = timeline_status("default", "main", Ok(&fresh), &[], 0);
        assert_eq!(
            t.upload_lag_bytes,
            Some(0x900),
            "from the start, not from 0/0"
        );
    }
}
