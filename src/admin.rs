//! # admin: `strata timeline create|list`, and the gRPC plumbing `strata status` shares
//!
//! The operator's client side of the pageserver's and safekeepers' gRPC
//! services. Each command is one async function that talks gRPC and returns
//! the human-readable text to print (LSNs in PostgreSQL's `X/Y` form), so
//! the clap front end (src/main.rs) only prints and sets the exit code.
//!
//! - [`create_timeline`]: `CreateTimeline` on the pageserver (a root, or a
//!   branch `--from NAME [--at LSN|TIMESTAMP]`), then `Greet` on every
//!   safekeeper with the timeline's start LSN, which makes each of them hold
//!   the timeline (a `Greet` changes no consensus state: it creates a timeline
//!   the acceptor has never seen and otherwise only checks the start LSN).
//!   A majority must answer, or the command fails.
//! - [`list_timelines`]: `ListTimelines` on the pageserver, as a table.
//! - `strata status` lives in [`crate::status`] and uses the helpers here.
//!
//! Invariants: every RPC is bounded by [`RPC_TIMEOUT`]; a failure names the
//! server's address and what was asked ([`AdminError`]); nothing here
//! retries — the operator re-runs the command.

use std::fmt::Write as _;
use std::str::FromStr;
use std::time::Duration;

use proto::auth::{AuthChannel, Token};
use proto::grpc::pageserver as ps;
use proto::grpc::pageserver::pageserver_client::PageserverClient;
use proto::grpc::safekeeper as sk;
use proto::grpc::safekeeper::safekeeper_client::SafekeeperClient;
use proto::{Lsn, TimelineId, TimelineName, TimestampUs};
use tracing::Instrument;

/// Bound on connecting and on each RPC.
pub const RPC_TIMEOUT: Duration = Duration::from_secs(10);

/// What went wrong, by what the operator does about it.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// A bad argument (name, LSN, timestamp, address).
    #[error("{0}")]
    Invalid(String),
    /// The server could not be reached.
    #[error("cannot reach {addr}: {reason}")]
    Unreachable { addr: String, reason: String },
    /// The server answered with an error.
    #[error("{what} on {addr}: {message} ({code:?})")]
    Rpc {
        what: &'static str,
        addr: String,
        code: tonic::Code,
        message: String,
    },
    /// Fewer than a majority of the safekeepers answered.
    #[error("only {answered} of {total} safekeepers answered (a majority is needed)")]
    NoQuorum { answered: usize, total: usize },
    /// A `--config` file that cannot be read or does not fit the command.
    #[error("config file {}: {reason}", path.display())]
    Config {
        path: std::path::PathBuf,
        reason: String,
    },
    /// No server addresses given and no usable `cluster.toml` to read them from.
    #[error(
        "no server addresses given and {}: {reason}; start a cluster there with \
         `strata start --data-dir DIR`, point --data-dir at one, or name the servers \
         (--pageserver, --safekeepers)",
        path.display()
    )]
    NoCluster {
        path: std::path::PathBuf,
        reason: String,
    },
}

/// Where a branch starts: an LSN (`X/Y`) or an RFC 3339 timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BranchPoint {
    Lsn(Lsn),
    /// Microseconds since the Unix epoch: the last commit at or before it.
    Timestamp(TimestampUs),
}

impl FromStr for BranchPoint {
    type Err = AdminError;
    fn from_str(s: &str) -> Result<BranchPoint, AdminError> {
        if s.contains('/') {
            let lsn: Lsn = s.parse().map_err(|_| {
                AdminError::Invalid(format!("bad LSN {s:?} (want X/Y, e.g. 0/16B3748)"))
            })?;
            if !lsn.is_valid() {
                return Err(AdminError::Invalid(
                    "LSN 0/0 is not a valid branch point".into(),
                ));
            }
            return Ok(BranchPoint::Lsn(lsn));
        }
        parse_rfc3339(s).map(BranchPoint::Timestamp).ok_or_else(|| {
            AdminError::Invalid(format!(
                "bad --at {s:?}: want an LSN (X/Y) or an RFC 3339 timestamp \
                 (2026-11-26T21:46:00Z, 2026-11-26T22:46:00.5+01:00)"
            ))
        })
    }
}

/// Parses an RFC 3339 timestamp (`YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`;
/// `t` or a space may separate date and time) into microseconds since the
/// Unix epoch. Fractions beyond microseconds are truncated.
pub fn parse_rfc3339(s: &str) -> Option<TimestampUs> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(r)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, min, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => return None,
    };
    // 60 admits a leap second (counted as the next second's start).
    if day < 1 || day > days_in_month || hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut micros = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 6 {
                micros = micros * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        for _ in (i - start)..6 {
            micros *= 10;
        }
    }
    let offset_s = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let (oh, om) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let off = oh * 3600 + om * 60;
            if *sign == b'+' { off } else { -off }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + min * 60 + sec - offset_s;
    Some(secs * 1_000_000 + micros)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// How an admin command reaches the servers: the token its calls carry
/// (`--auth-token-file`) and, with `--grpc-tls-ca`, TLS trusting that CA.
#[derive(Clone, Debug, Default)]
pub struct Access {
    pub token: Token,
    pub tls: Option<proto::tls::ClientTls>,
}

/// A channel to `addr` whose calls carry `access`'s token (over TLS with its CA).
pub(crate) async fn channel(addr: &str, access: &Access) -> Result<AuthChannel, AdminError> {
    let unreachable = |reason: String| AdminError::Unreachable {
        addr: addr.to_string(),
        reason,
    };
    proto::tls::endpoint(addr, access.tls.as_ref())
        .map_err(|e| AdminError::Invalid(format!("bad address {addr:?}: {e}")))?
        .connect_timeout(RPC_TIMEOUT)
        .timeout(RPC_TIMEOUT)
        .connect()
        .await
        .map(|c| proto::auth::channel(c, &access.token))
        .map_err(|e| unreachable(source_chain(&e)))
}

/// An error and its sources, `: `-joined (tonic's top-level message alone
/// is just "transport error").
fn source_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let _ = write!(s, ": {c}");
        cur = c.source();
    }
    s
}

pub(crate) fn rpc_error(what: &'static str, addr: &str, s: tonic::Status) -> AdminError {
    AdminError::Rpc {
        what,
        addr: addr.to_string(),
        code: s.code(),
        message: s.message().to_string(),
    }
}

pub(crate) fn timeline_id(tenant: &str, timeline: &str) -> Result<TimelineId, AdminError> {
    TimelineId::new(tenant, timeline)
        .map_err(|e| AdminError::Invalid(format!("bad tenant/timeline {tenant}/{timeline}: {e}")))
}

/// A timeline's line: name, ancestor and LSNs.
fn describe(t: &ps::TimelineInfo) -> String {
    let mut s = format!("{}/{}", t.tenant, t.timeline);
    if !t.ancestor.is_empty() {
        let _ = write!(s, " (branch of {} at {})", t.ancestor, Lsn(t.ancestor_lsn));
    }
    let _ = write!(
        s,
        "\n  start_lsn {}  last_record_lsn {}  remote_consistent_lsn {}  gc_cutoff {}\
         \n  generation {}  layers {} ({} bytes)",
        Lsn(t.start_lsn),
        Lsn(t.last_record_lsn),
        Lsn(t.remote_consistent_lsn),
        Lsn(t.gc_cutoff_lsn),
        t.generation,
        t.layer_count,
        t.layer_bytes,
    );
    s
}

pub(crate) fn majority(total: usize) -> usize {
    total / 2 + 1
}

/// The pageserver's description of `tenant`/`timeline`, `None` if it has no such timeline.
pub async fn timeline_info(
    pageserver: &str,
    tenant: &str,
    timeline: &str,
    access: &Access,
) -> Result<Option<ps::TimelineInfo>, AdminError> {
    let mut client = PageserverClient::new(channel(pageserver, access).await?);
    match client
        .timeline_status(ps::TimelineStatusRequest {
            tenant: tenant.to_string(),
            timeline: timeline.to_string(),
            with_logical_size: true,
        })
        .await
    {
        Ok(info) => Ok(Some(info.into_inner())),
        Err(s) if s.code() == tonic::Code::NotFound => Ok(None),
        Err(s) => Err(rpc_error("TimelineStatus", pageserver, s)),
    }
}

/// `strata timeline create`: creates the timeline on the pageserver, then
/// on the safekeepers (a majority must hold it). Returns the text to print,
/// which may be partial when the result is an error.
pub async fn create_timeline(
    pageserver: &str,
    safekeepers: &[String],
    tenant: &str,
    timeline: &str,
    from: Option<&str>,
    at: Option<BranchPoint>,
    access: &Access,
) -> (String, Result<(), AdminError>) {
    let mut out = String::new();
    let result = match timeline_id(tenant, timeline) {
        Ok(id) => create(&mut out, pageserver, safekeepers, id, from, at, access).await,
        Err(e) => Err(e),
    };
    (out, result)
}

async fn create(
    out: &mut String,
    pageserver: &str,
    safekeepers: &[String],
    id: TimelineId,
    from: Option<&str>,
    at: Option<BranchPoint>,
    access: &Access,
) -> Result<(), AdminError> {
    if let Some(f) = from {
        TimelineName::new(f).map_err(|e| AdminError::Invalid(format!("bad --from {f:?}: {e}")))?;
    } else if at.is_some() {
        return Err(AdminError::Invalid("--at needs --from".into()));
    }
    if safekeepers.is_empty() {
        return Err(AdminError::Invalid("--safekeepers lists no address".into()));
    }
    let span = tracing::info_span!("timeline_create", tenant = %id.tenant, timeline = %id.timeline);
    async {
        let mut client = PageserverClient::new(channel(pageserver, access).await?);
        let (ancestor_lsn, ancestor_timestamp_us) = match at {
            None => (0, 0),
            Some(BranchPoint::Lsn(l)) => (l.0, 0),
            Some(BranchPoint::Timestamp(ts)) => (0, ts),
        };
        let info = client
            .create_timeline(ps::CreateTimelineRequest {
                tenant: id.tenant.to_string(),
                timeline: id.timeline.to_string(),
                ancestor: from.unwrap_or_default().to_string(),
                ancestor_lsn,
                ancestor_timestamp_us,
            })
            .await
            .map_err(|s| rpc_error("create timeline", pageserver, s))?
            .into_inner();
        let _ = writeln!(out, "created timeline {}", describe(&info));
        let start = Lsn(info.start_lsn);
        let id = &id;
        let greets = safekeepers.iter().map(|addr| async move {
            let mut c = SafekeeperClient::new(channel(addr, access).await?);
            c.greet(sk::GreetRequest {
                timeline: Some(id.into()),
                proposer_id: 0,
                timeline_start_lsn: start.0,
            })
            .await
            .map(|r| r.into_inner())
            .map_err(|s| rpc_error("create timeline", addr, s))
        });
        let results = futures::future::join_all(greets).await;
        let mut answered = 0;
        for (addr, r) in safekeepers.iter().zip(results) {
            match r {
                Ok(g) => {
                    answered += 1;
                    let _ = writeln!(
                        out,
                        "safekeeper {addr} (node {}): timeline starts at {}, flush_lsn {}",
                        g.node_id,
                        Lsn(g.timeline_start_lsn),
                        Lsn(g.flush_lsn)
                    );
                }
                Err(e) => {
                    tracing::warn!(error = %e, "create timeline on a safekeeper");
                    let _ = writeln!(out, "safekeeper {addr}: error: {e}");
                }
            }
        }
        if answered < majority(safekeepers.len()) {
            return Err(AdminError::NoQuorum {
                answered,
                total: safekeepers.len(),
            });
        }
        Ok(())
    }
    .instrument(span)
    .await
}

/// `strata timeline list`: the pageserver's timelines (of `tenant`, or all).
pub async fn list_timelines(
    pageserver: &str,
    tenant: Option<&str>,
    access: &Access,
) -> Result<String, AdminError> {
    let mut client = PageserverClient::new(channel(pageserver, access).await?);
    let list = client
        .list_timelines(ps::ListTimelinesRequest {
            tenant: tenant.unwrap_or_default().to_string(),
        })
        .await
        .map_err(|s| rpc_error("list timelines", pageserver, s))?
        .into_inner();
    let mut out = format!(
        "{:<16} {:<16} {:<16} {:>14} {:>16} {:>16} {:>7}\n",
        "TENANT",
        "TIMELINE",
        "ANCESTOR",
        "ANCESTOR_LSN",
        "LAST_RECORD_LSN",
        "REMOTE_CONS_LSN",
        "LAYERS"
    );
    for t in &list.timelines {
        let (ancestor, alsn) = if t.ancestor.is_empty() {
            ("-".to_string(), "-".to_string())
        } else {
            (t.ancestor.clone(), Lsn(t.ancestor_lsn).to_string())
        };
        let _ = writeln!(
            out,
            "{:<16} {:<16} {:<16} {:>14} {:>16} {:>16} {:>7}",
            t.tenant,
            t.timeline,
            ancestor,
            alsn,
            Lsn(t.last_record_lsn).to_string(),
            Lsn(t.remote_consistent_lsn).to_string(),
            t.layer_count
        );
    }
    let _ = writeln!(out, "({} timelines)", list.timelines.len());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc3339() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2026-11-26T21:46:00Z"),
            Some(1_795_729_560_000_000)
        );
        assert_eq!(
            parse_rfc3339("2026-11-26T22:46:00.5+01:00"),
            Some(1_795_729_560_500_000)
        );
        assert_eq!(
            parse_rfc3339("2000-02-29 00:00:00.000001z"),
            Some(951_782_400_000_001)
        );
        assert_eq!(parse_rfc3339("1969-12-31T23:59:59-00:00"), Some(-1_000_000));
        for bad in [
            "2026-11-26",
            "2026-11-26T21:46:00",
            "2026-13-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-11-26T21:46:00.Z",
            "2026-11-26T21:46:00+0100",
            "2026-11-26T21:46:00Zjunk",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn branch_point_is_an_lsn_or_a_time() {
        assert_eq!(
            "0/16B3748".parse::<BranchPoint>().unwrap(),
            BranchPoint::Lsn(Lsn(0x16B3748))
        );
        assert!(matches!(
            "1970-01-01T00:00:01Z".parse::<BranchPoint>(),
            Ok(BranchPoint::Timestamp(1_000_000))
        ));
        assert!("0/0".parse::<BranchPoint>().is_err());
        assert!("yesterday".parse::<BranchPoint>().is_err());
    }
}
