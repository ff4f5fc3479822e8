//! Prometheus series of a read replica (default registry).
//!
//! | series                                   | kind      | meaning                                   |
//! |------------------------------------------|-----------|-------------------------------------------|
//! | `strata_replica_applied_lsn`             | gauge     | end of the last applied record            |
//! | `strata_replica_lag_bytes`               | gauge     | committed WAL reported but not applied    |
//! | `strata_replica_lag_ms`                  | gauge     | commit on the primary → applied here, ms, of the last applied commit |
//! | `strata_replica_apply_delay_seconds`     | histogram | the same per applied commit record        |
//! | `strata_replica_records_applied_total`   | counter   | records applied                           |
//! | `strata_replica_pages_applied_total`     | counter   | page changes applied to cached pages      |
//! | `strata_replica_pages_dropped_total`     | counter   | page changes to pages not cached          |
//! | `strata_replica_stream_restarts_total`   | counter   | WAL streams (re)opened after the first    |

use std::sync::LazyLock;

use prometheus::{Gauge, Histogram, HistogramOpts, IntCounter, IntGauge};

fn register<C: prometheus::core::Collector + Clone + 'static>(c: C) -> C {
    let _ = prometheus::default_registry().register(Box::new(c.clone()));
    c
}

fn counter(name: &str, help: &str) -> IntCounter {
    register(IntCounter::new(name, help).expect("valid metric"))
}

pub static APPLIED_LSN: LazyLock<IntGauge> = LazyLock::new(|| {
    register(
        IntGauge::new(
            "strata_replica_applied_lsn",
            "End of the last WAL record this replica applied",
        )
        .expect("valid metric"),
    )
});

pub static LAG_BYTES: LazyLock<IntGauge> = LazyLock::new(|| {
    register(
        IntGauge::new(
            "strata_replica_lag_bytes",
            "Committed WAL bytes the replica's source reported but the replica has not applied",
        )
        .expect("valid metric"),
    )
});

pub static LAG_MS: LazyLock<Gauge> = LazyLock::new(|| {
    register(
        Gauge::new(
            "strata_replica_lag_ms",
            "Milliseconds from the last applied commit on the primary to its application here",
        )
        .expect("valid metric"),
    )
});

pub static APPLY_DELAY: LazyLock<Histogram> = LazyLock::new(|| {
    register(
        Histogram::with_opts(
            HistogramOpts::new(
                "strata_replica_apply_delay_seconds",
                "Commit record stamped on the primary to applied on the replica",
            )
            .buckets(vec![
                0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
            ]),
        )
        .expect("valid metric"),
    )
});

pub static RECORDS: LazyLock<IntCounter> = LazyLock::new(|| {
    counter(
        "strata_replica_records_applied_total",
        "WAL records applied by this replica",
    )
});

pub static PAGES_APPLIED: LazyLock<IntCounter> = LazyLock::new(|| {
    counter(
        "strata_replica_pages_applied_total",
        "Page changes applied to cached pages",
    )
});

pub static PAGES_DROPPED: LazyLock<IntCounter> = LazyLock::new(|| {
    counter(
        "strata_replica_pages_dropped_total",
        "Page changes dropped because the page was not cached",
    )
});

pub static RESTARTS: LazyLock<IntCounter> = LazyLock::new(|| {
    counter(
        "strata_replica_stream_restarts_total",
        "WAL streams reopened (failover to another safekeeper, or a broken stream)",
    )
});
