//! WAL records of a commit: every changed page diffed ([`collect`]), laid out in one record
//! or, for a large commit, new pages ahead of the commit record ([`layout`]), and written:
//! CRCs for the record's end, the redo self-check, submission, publication ([`emit`]).
//! See [`super::commit`] for how the serial step uses them.

use std::sync::Arc;

use proto::page::{self, PAGE_HEADER_SIZE, Page};
use proto::{Lsn, PageChange, PageKey, Record};
use sql::{Error, Result};

use super::pages::Overlay;
use super::{
    CommitState, EngineConfig, EngineState, data_corrupted, program_limit_exceeded, storage_error,
    wal_error,
};

pub(super) use proto::now_us;

/// One changed page: its version before the commit (`None`: allocated by it), after, and
/// the change between them (its `crc_after` is filled in once the record's end is known).
pub(super) struct Changed {
    key: PageKey,
    pub(super) old: Option<Arc<Page>>,
    new: Arc<Page>,
    change: PageChange,
    /// Bytes the change adds to a record's payload.
    len: usize,
}

impl Changed {
    /// A page no published page links to yet, logged as a full image.
    pub(super) fn new_page(key: PageKey, new: Arc<Page>) -> Changed {
        let change = proto::redo::diff(key, None, &new, Lsn::INVALID);
        let len = Record::commit(0, vec![change.clone()]).payload_len() - record_header_len();
        Changed {
            key,
            old: None,
            new,
            change,
            len,
        }
    }
}

/// Every page the overlay changed, per relation in B-link publish order, diffed. A page
/// new to the tree — allocated past the relation's end, or a free block reused — has no
/// old version to diff against: it is logged as an image and may go ahead of the commit
/// record (nothing reachable links to it before).
pub(super) fn collect(ov: &Overlay<'_>) -> Result<Vec<Changed>> {
    let mut out = Vec::new();
    for (rel, changed) in ov.changed() {
        for block in changed.publish_order() {
            let key = PageKey { rel: *rel, block };
            let new = ov
                .new_page(key)
                .map_err(storage_error)?
                .ok_or_else(|| Error::Internal(format!("changed page {key} is missing")))?;
            let is_new = changed.get(block).is_some_and(|p| p.is_new);
            let old = if is_new {
                None
            } else {
                ov.old(key).map_err(storage_error)?
            };
            let change = proto::redo::diff(key, old.as_deref(), &new, Lsn::INVALID);
            let len = Record::commit(0, vec![change.clone()]).payload_len() - record_header_len();
            out.push(Changed {
                key,
                old,
                new,
                change,
                len,
            });
        }
    }
    Ok(out)
}

/// The records a commit is written as, in WAL order: each a list of indexes into its
/// changes, with its framed length. The last one is the commit record; any before it hold
/// only pages the commit allocated (unreachable until the commit record links them in).
pub(super) struct Layout {
    records: Vec<(Vec<usize>, usize)>,
}

/// Payload bytes of a `Commit` record without changes.
fn record_header_len() -> usize {
    Record::commit(0, Vec::new()).payload_len()
}

/// Framed length of a `Commit` record of the changes `group`.
fn framed_len(changes: &[Changed], group: &[usize]) -> usize {
    let body: usize = group.iter().map(|&i| changes[i].len).sum();
    proto::frame::framed_len(record_header_len() + body)
}

impl Layout {
    /// Everything in one record.
    pub(super) fn single(changes: &[Changed]) -> Layout {
        let all: Vec<usize> = (0..changes.len()).collect();
        let len = framed_len(changes, &all);
        Layout {
            records: vec![(all, len)],
        }
    }

    /// Where the commit record starts if the first record starts at `start`.
    pub(super) fn commit_start(&self, start: Lsn) -> Lsn {
        let ahead: usize = self.records.iter().rev().skip(1).map(|(_, len)| len).sum();
        Lsn(start.0 + ahead as u64)
    }
}

/// Smallest record-split size honoured (one page image plus framing always fits).
const MIN_SPLIT_BYTES: usize = 64 << 10;

/// Lays a commit's changes out in records: one if it fits in
/// [`EngineConfig::record_split_bytes`]; else the new pages go ahead in records of at most
/// that size and the rest forms the commit record, which must fit in
/// [`EngineConfig::max_record_bytes`] (else 54000, and nothing was written).
/// `split_anyway`: split even a commit that fits (the second pass of a large commit).
pub(super) fn layout(
    changes: &[Changed],
    config: &EngineConfig,
    split_anyway: bool,
) -> Result<Layout> {
    let max = config
        .max_record_bytes
        .min(proto::decoder::DEFAULT_MAX_RECORD_SIZE);
    let split = config.record_split_bytes.max(MIN_SPLIT_BYTES).min(max);
    let single = Layout::single(changes);
    let total = single.records[0].1;
    let (new, old): (Vec<usize>, Vec<usize>) =
        (0..changes.len()).partition(|&i| changes[i].old.is_none());
    if (total <= split && !split_anyway) || new.is_empty() {
        if total > max {
            return Err(too_large(total, max));
        }
        return Ok(single);
    }
    let mut records = Vec::new();
    let mut group: Vec<usize> = Vec::new();
    let mut body = 0;
    for i in new {
        let with = proto::frame::framed_len(record_header_len() + body + changes[i].len);
        if with > split && !group.is_empty() {
            let len = framed_len(changes, &group);
            records.push((std::mem::take(&mut group), len));
            body = 0;
        }
        group.push(i);
        body += changes[i].len;
    }
    let len = framed_len(changes, &group);
    records.push((group, len));
    let len = framed_len(changes, &old);
    if len > max {
        return Err(too_large(len, max));
    }
    records.push((old, len));
    Ok(Layout { records })
}

fn too_large(len: usize, max: usize) -> Error {
    program_limit_exceeded(format!(
        "commit record of {len} bytes exceeds the maximum record size of {max} bytes"
    ))
}

/// Writes the records of `layout`, the first at `start`: for each, sets the changes' CRCs
/// for its end, self-checks every change with redo, hands it to the WAL sink and publishes
/// the redo'd pages. Returns the last record's end (`Lsn::INVALID` when nothing changed).
pub(super) fn emit(
    shared: &EngineState,
    st: &mut CommitState,
    changes: &[Changed],
    layout: &Layout,
    start: Lsn,
    flags: u16,
) -> Result<Lsn> {
    if changes.is_empty() {
        return Ok(Lsn::INVALID);
    }
    let now = now_us();
    let (n, mut at) = (layout.records.len(), start);
    for (r, (group, len)) in layout.records.iter().enumerate() {
        let last = r + 1 == n;
        let mut record = Record::commit(
            now,
            group.iter().map(|&i| changes[i].change.clone()).collect(),
        );
        if last {
            record.flags = flags;
        }
        let end = Lsn(at.0 + *len as u64);
        let mut published = Vec::with_capacity(group.len());
        for (&i, change) in group.iter().zip(record.page_changes.iter_mut()) {
            let Changed { key, old, new, .. } = &changes[i];
            change.crc_after = page::crc_with_lsn(new, end);
            let mut redone: Box<Page> = match old {
                Some(p) => Box::new(**p),
                None => page::zeroed_page(),
            };
            proto::redo::apply(&mut redone, change, end)
                .map_err(|e| data_corrupted(format!("redo self-check of {key}: {e}")))?;
            if redone[PAGE_HEADER_SIZE..] != new[PAGE_HEADER_SIZE..] {
                return Err(data_corrupted(format!(
                    "redo self-check of {key}: page differs after redo"
                )));
            }
            published.push((*key, Arc::<Page>::from(redone)));
        }
        let got = shared.wal.submit(&record, at).map_err(wal_error)?;
        if got != end {
            return Err(Error::Internal(format!(
                "WAL placed the record at [{at}, {got}), expected end {end}"
            )));
        }
        // Catalog readers must learn of the change before any snapshot can include it.
        if last && flags & proto::record::FLAG_CATALOG_CHANGED != 0 {
            shared.note_catalog_change(end);
        }
        shared.pages.publish(published);
        shared.note_applied(end);
        st.wal_end = end;
        tracing::debug!(start = %at, %end, changes = record.page_changes.len(), last, "wrote record");
        at = end;
    }
    if n > 1 {
        shared.commit_stats.note_ahead_records(n - 1);
    }
    Ok(at)
}
