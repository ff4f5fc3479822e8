//! Prometheus metrics of one proposer driver, labelled with its tenant and
//! timeline: appends, `Append` messages (their ratio shows group commit),
//! bytes sent, append-to-durable latency and the commit LSN.

use std::time::Duration;

use prometheus::{Histogram, HistogramOpts, IntCounter, IntGauge, Opts, Registry};

use super::DriverConfig;

/// The driver's metrics.
pub struct Metrics {
    /// Appends taken by the core.
    pub appends: IntCounter,
    /// `Append` messages carrying WAL sent, summed over safekeepers.
    pub append_messages: IntCounter,
    /// WAL bytes sent, summed over safekeepers.
    pub append_bytes: IntCounter,
    /// From `append` to durable on a quorum.
    pub append_latency: Histogram,
    pub commit_lsn: IntGauge,
}

/// A snapshot of the counters.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DriverStats {
    pub appends: u64,
    pub append_messages: u64,
    pub append_bytes: u64,
}

impl Metrics {
    pub(super) fn new(cfg: &DriverConfig) -> Metrics {
        let tenant = cfg.timeline.tenant.to_string();
        let timeline = cfg.timeline.timeline.to_string();
        let opts = |name: &str, help: &str| {
            Opts::new(name, help)
                .const_label("tenant", tenant.clone())
                .const_label("timeline", timeline.clone())
        };
        let counter = |name: &str, help: &str| {
            IntCounter::with_opts(opts(name, help)).expect("valid metric options")
        };
        let buckets = vec![
            50e-6, 100e-6, 150e-6, 200e-6, 300e-6, 500e-6, 750e-6, 1e-3, 2e-3, 5e-3, 10e-3, 20e-3,
            50e-3, 100e-3, 250e-3, 1.0, 5.0,
        ];
        let latency = HistogramOpts::from(opts(
            "strata_proposer_append_seconds",
            "Time from append to durable on a quorum of safekeepers",
        ))
        .buckets(buckets);
        let m = Metrics {
            appends: counter(
                "strata_proposer_appends_total",
                "Records appended by the proposer",
            ),
            append_messages: counter(
                "strata_proposer_append_messages_total",
                "Append messages with WAL sent to safekeepers (summed over safekeepers)",
            ),
            append_bytes: counter(
                "strata_proposer_append_bytes_total",
                "WAL bytes sent to safekeepers (summed over safekeepers)",
            ),
            append_latency: Histogram::with_opts(latency).expect("valid metric options"),
            commit_lsn: IntGauge::with_opts(opts(
                "strata_proposer_commit_lsn",
                "Quorum-durable LSN of the timeline",
            ))
            .expect("valid metric options"),
        };
        let registry = cfg.registry.clone().unwrap_or_default();
        m.register(&registry);
        m
    }

    fn register(&self, r: &Registry) {
        let all: [Box<dyn prometheus::core::Collector>; 5] = [
            Box::new(self.appends.clone()),
            Box::new(self.append_messages.clone()),
            Box::new(self.append_bytes.clone()),
            Box::new(self.append_latency.clone()),
            Box::new(self.commit_lsn.clone()),
        ];
        for c in all {
            if let Err(e) = r.register(c) {
                // A second driver of the same timeline in one registry.
                tracing::warn!(error = %e, "proposer metrics not registered");
            }
        }
    }

    pub(super) fn observe_append(&self, d: Duration) {
        self.append_latency.observe(d.as_secs_f64());
    }

    pub fn stats(&self) -> DriverStats {
        DriverStats {
            appends: self.appends.get(),
            append_messages: self.append_messages.get(),
            append_bytes: self.append_bytes.get(),
        }
    }
}
