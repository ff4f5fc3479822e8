//! The safekeeper's Prometheus metrics, registered once per process in the
//! default registry (served by `strata::metrics_http` at `--metrics`).
//!
//! Per-timeline series carry `safekeeper` (node id), `tenant` and
//! `timeline` labels, so several safekeepers in one process (the embedded
//! cluster, tests) do not mix their numbers:
//! - `strata_safekeeper_fsyncs_total`: WAL fdatasyncs, one per group-commit
//!   batch, so `fsyncs / appends` shows how well group commit works;
//! - `strata_safekeeper_append_requests_total`, `strata_safekeeper_append_bytes_total`;
//! - `strata_safekeeper_control_file_writes_total`;
//! - `strata_safekeeper_flush_lsn`, `strata_safekeeper_commit_lsn`,
//!   `strata_safekeeper_backup_lsn` (gauges);
//! - `strata_safekeeper_fsync_seconds` (histogram, not per timeline);
//! - `strata_safekeeper_segments_uploaded_total`,
//!   `strata_safekeeper_segments_removed_total`,
//!   `strata_safekeeper_recovered_bytes_total`.

use std::sync::LazyLock;

use prometheus::{
    Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
};
use proto::TimelineId;

use crate::messages::NodeId;

const LABELS: &[&str] = &["safekeeper", "tenant", "timeline"];

struct Families {
    fsyncs: IntCounterVec,
    append_requests: IntCounterVec,
    append_bytes: IntCounterVec,
    control_writes: IntCounterVec,
    flush_lsn: IntGaugeVec,
    commit_lsn: IntGaugeVec,
    backup_lsn: IntGaugeVec,
    uploaded: IntCounterVec,
    removed: IntCounterVec,
    recovered_bytes: IntCounterVec,
    fsync_seconds: Histogram,
}

fn counter(name: &str, help: &str) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), LABELS).expect("valid metric definition");
    register(Box::new(c.clone()));
    c
}

fn gauge(name: &str, help: &str) -> IntGaugeVec {
    let g = IntGaugeVec::new(Opts::new(name, help), LABELS).expect("valid metric definition");
    register(Box::new(g.clone()));
    g
}

fn register(c: Box<dyn prometheus::core::Collector>) {
    // Registration fails only if the name is taken, i.e. never: the
    // families are created once per process.
    if let Err(e) = prometheus::register(c) {
        tracing::warn!(error = %e, "register safekeeper metric");
    }
}

static FAMILIES: LazyLock<Families> = LazyLock::new(|| {
    let fsync_seconds = Histogram::with_opts(
        HistogramOpts::new(
            "strata_safekeeper_fsync_seconds",
            "Latency of one WAL fdatasync (a group-commit batch)",
        )
        .buckets(prometheus::exponential_buckets(25e-6, 2.0, 16).expect("valid buckets")),
    )
    .expect("valid metric definition");
    register(Box::new(fsync_seconds.clone()));
    Families {
        fsyncs: counter(
            "strata_safekeeper_fsyncs_total",
            "WAL fdatasyncs (one per group-commit batch)",
        ),
        append_requests: counter(
            "strata_safekeeper_append_requests_total",
            "Append requests handled",
        ),
        append_bytes: counter(
            "strata_safekeeper_append_bytes_total",
            "WAL bytes written by appends",
        ),
        control_writes: counter(
            "strata_safekeeper_control_file_writes_total",
            "Durable control-file replacements",
        ),
        flush_lsn: gauge("strata_safekeeper_flush_lsn", "End of the durable WAL"),
        commit_lsn: gauge(
            "strata_safekeeper_commit_lsn",
            "Highest known committed LSN",
        ),
        backup_lsn: gauge(
            "strata_safekeeper_backup_lsn",
            "WAL below this is in object storage",
        ),
        uploaded: counter(
            "strata_safekeeper_segments_uploaded_total",
            "WAL segments uploaded to object storage",
        ),
        removed: counter(
            "strata_safekeeper_segments_removed_total",
            "Local WAL segments deleted after offload",
        ),
        recovered_bytes: counter(
            "strata_safekeeper_recovered_bytes_total",
            "WAL bytes pulled from peers by peer recovery",
        ),
        fsync_seconds,
    }
});

/// One timeline's metric handles.
#[derive(Clone, Debug)]
pub struct TimelineMetrics {
    pub fsyncs: IntCounter,
    pub append_requests: IntCounter,
    pub append_bytes: IntCounter,
    pub control_writes: IntCounter,
    pub flush_lsn: IntGauge,
    pub commit_lsn: IntGauge,
    pub backup_lsn: IntGauge,
    pub uploaded: IntCounter,
    pub removed: IntCounter,
    pub recovered_bytes: IntCounter,
    pub fsync_seconds: Histogram,
}

impl TimelineMetrics {
    pub fn new(node_id: NodeId, id: &TimelineId) -> TimelineMetrics {
        let f = &*FAMILIES;
        let node = node_id.to_string();
        let l = [node.as_str(), id.tenant.as_str(), id.timeline.as_str()];
        TimelineMetrics {
            fsyncs: f.fsyncs.with_label_values(&l),
            append_requests: f.append_requests.with_label_values(&l),
            append_bytes: f.append_bytes.with_label_values(&l),
            control_writes: f.control_writes.with_label_values(&l),
            flush_lsn: f.flush_lsn.with_label_values(&l),
            commit_lsn: f.commit_lsn.with_label_values(&l),
            backup_lsn: f.backup_lsn.with_label_values(&l),
            uploaded: f.uploaded.with_label_values(&l),
            removed: f.removed.with_label_values(&l),
            recovered_bytes: f.recovered_bytes.with_label_values(&l),
            fsync_seconds: f.fsync_seconds.clone(),
        }
    }
}

/// LSNs as gauge values (they fit: LSNs stay far below 2^63).
pub(crate) fn lsn_gauge(lsn: proto::Lsn) -> i64 {
    i64::try_from(lsn.0).unwrap_or(i64::MAX)
}
