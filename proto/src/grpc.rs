//! The gRPC contracts (generated from `proto/*.proto` by build.rs) and the
//! conversions from their messages into domain types.
//!
//! Generated messages are plain data; anything a core relies on (valid
//! names, non-zero LSNs, `not_modified_since <= request_lsn`, 8 KiB pages) is
//! checked here, with `TryFrom`, so invalid input is rejected at the boundary
//! with [`Error::InvalidMessage`] or [`Error::InvalidName`].

use bytes::Bytes;

use crate::page::PAGE_SIZE;
use crate::record::Term;
use crate::{Error, Lsn, PageKey, TimelineId};

/// Generated safekeeper service: client, server and messages.
#[allow(clippy::all, missing_docs)]
pub mod safekeeper {
    tonic::include_proto!("strata.safekeeper");
}

/// Generated pageserver service: client, server and messages.
#[allow(clippy::all, missing_docs)]
pub mod pageserver {
    tonic::include_proto!("strata.pageserver");
}

impl From<&TimelineId> for safekeeper::TimelineRef {
    fn from(id: &TimelineId) -> Self {
        safekeeper::TimelineRef {
            tenant: id.tenant.to_string(),
            timeline: id.timeline.to_string(),
        }
    }
}

impl TryFrom<&safekeeper::TimelineRef> for TimelineId {
    type Error = Error;
    fn try_from(r: &safekeeper::TimelineRef) -> Result<Self, Error> {
        TimelineId::new(&r.tenant, &r.timeline)
    }
}

/// The URL tonic connects to for a component's address: `host:port` becomes
/// `http://host:port`; an address that already has a scheme is kept.
pub fn url(addr: &str) -> String {
    if addr.contains("://") {
        addr.to_string()
    } else {
        format!("http://{addr}")
    }
}

/// The timeline a safekeeper request names (the field is required).
pub fn required_timeline(r: Option<&safekeeper::TimelineRef>) -> Result<TimelineId, Error> {
    TimelineId::try_from(r.ok_or_else(|| Error::invalid("timeline", "missing"))?)
}

/// One term-history entry: `term` began writing at `start_lsn`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TermSwitch {
    pub term: Term,
    pub start_lsn: Lsn,
}

impl From<TermSwitch> for safekeeper::TermEntry {
    fn from(t: TermSwitch) -> Self {
        safekeeper::TermEntry {
            term: t.term,
            start_lsn: t.start_lsn.0,
        }
    }
}

impl TryFrom<&safekeeper::TermEntry> for TermSwitch {
    type Error = Error;
    fn try_from(t: &safekeeper::TermEntry) -> Result<Self, Error> {
        if t.term == 0 || t.start_lsn == 0 {
            return Err(Error::invalid(
                "term_history",
                "term and start LSN must be non-zero",
            ));
        }
        Ok(TermSwitch {
            term: t.term,
            start_lsn: Lsn(t.start_lsn),
        })
    }
}

/// Converts and validates a term history: terms strictly increasing, start
/// LSNs non-decreasing.
pub fn term_history(entries: &[safekeeper::TermEntry]) -> Result<Vec<TermSwitch>, Error> {
    let history = entries
        .iter()
        .map(TermSwitch::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    for w in history.windows(2) {
        if w[1].term <= w[0].term || w[1].start_lsn < w[0].start_lsn {
            return Err(Error::invalid(
                "term_history",
                "terms must increase and LSNs not decrease",
            ));
        }
    }
    Ok(history)
}

impl From<PageKey> for pageserver::PageKey {
    fn from(k: PageKey) -> Self {
        pageserver::PageKey {
            rel: k.rel.0,
            block: k.block,
        }
    }
}

impl From<&pageserver::PageKey> for PageKey {
    fn from(k: &pageserver::PageKey) -> Self {
        PageKey::new(k.rel, k.block)
    }
}

/// One page read: `key` as of `request_lsn`, unchanged since
/// `not_modified_since`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PageRequest {
    pub key: PageKey,
    pub request_lsn: Lsn,
    pub not_modified_since: Lsn,
}

impl From<PageRequest> for pageserver::GetPageRequest {
    fn from(r: PageRequest) -> Self {
        pageserver::GetPageRequest {
            key: Some(r.key.into()),
            request_lsn: r.request_lsn.0,
            not_modified_since: r.not_modified_since.0,
        }
    }
}

impl TryFrom<&pageserver::GetPageRequest> for PageRequest {
    type Error = Error;
    fn try_from(r: &pageserver::GetPageRequest) -> Result<Self, Error> {
        let key = r
            .key
            .as_ref()
            .ok_or_else(|| Error::invalid("key", "missing"))?
            .into();
        if r.request_lsn == 0 {
            return Err(Error::invalid("request_lsn", "must be a valid LSN"));
        }
        if r.not_modified_since > r.request_lsn {
            return Err(Error::invalid(
                "not_modified_since",
                format!(
                    "{} is after request_lsn {}",
                    Lsn(r.not_modified_since),
                    Lsn(r.request_lsn)
                ),
            ));
        }
        Ok(PageRequest {
            key,
            request_lsn: Lsn(r.request_lsn),
            not_modified_since: Lsn(r.not_modified_since),
        })
    }
}

/// A page image from a response, checked to be exactly one page.
pub fn page_image(bytes: Bytes) -> Result<Bytes, Error> {
    if bytes.len() != PAGE_SIZE {
        return Err(Error::invalid(
            "page",
            format!("{} bytes, expected {PAGE_SIZE}", bytes.len()),
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_becomes_a_url_once() {
        assert_eq!(url("127.0.0.1:5"), "http://127.0.0.1:5");
        assert_eq!(url("https://ps.example:443"), "https://ps.example:443");
    }

    #[test]
    fn page_requests_are_validated() {
        let ok = pageserver::GetPageRequest {
            key: Some(pageserver::PageKey { rel: 1, block: 2 }),
            request_lsn: 100,
            not_modified_since: 50,
        };
        let r = PageRequest::try_from(&ok).unwrap();
        assert_eq!(pageserver::GetPageRequest::from(r), ok);
        let mut bad = ok;
        bad.request_lsn = 0;
        assert!(PageRequest::try_from(&bad).is_err());
        let mut bad = ok;
        bad.not_modified_since = 101;
        assert!(PageRequest::try_from(&bad).is_err());
        let mut bad = ok;
        bad.key = None;
        assert!(PageRequest::try_from(&bad).is_err());
    }

    #[test]
    fn timelines_and_histories_are_validated() {
        let r = safekeeper::TimelineRef {
            tenant: "default".into(),
            timeline: "Main".into(),
        };
        assert!(required_timeline(Some(&r)).is_err());
        assert!(required_timeline(None).is_err());
        let e = |term, start_lsn| safekeeper::TermEntry { term, start_lsn };
        assert!(term_history(&[e(1, 10), e(2, 20)]).is_ok());
        assert!(term_history(&[e(2, 10), e(1, 20)]).is_err());
        assert!(term_history(&[e(1, 20), e(2, 10)]).is_err());
        assert!(term_history(&[e(0, 20)]).is_err());
    }
}
