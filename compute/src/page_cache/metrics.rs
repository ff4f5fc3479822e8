//! Prometheus series of the page cache and page client (default registry).
//!
//! | series                               | kind      | meaning                                 |
//! |--------------------------------------|-----------|-----------------------------------------|
//! | `strata_compute_cache_hits_total`    | counter   | reads answered by the dirty table/cache |
//! | `strata_compute_cache_misses_total`  | counter   | reads that went to the pageserver       |
//! | `strata_compute_dirty_pages`         | gauge     | pages in the dirty-page table           |
//! | `strata_compute_prefetched_pages_total` | counter | pages fetched ahead of a read           |
//! | `strata_compute_getpage_seconds`     | histogram | one GetPages batch, request to answer   |
//! | `strata_compute_commit_prepare_pages_total` | counter | pages fetched by commits' prepare phase |
//! | `strata_compute_commit_serial_fetches_total` | counter | pages fetched under the commit mutex |
//! | `strata_compute_commit_prepare_retries_total` | counter | serial steps that missed a page and prepared again |
//! | `strata_compute_commit_ahead_records_total` | counter | records of new pages written ahead of a large commit |
//! | `strata_compute_observed_durability_waits_total` | counter | replies held until versions they observed were durable |

use std::sync::LazyLock;
use std::time::Duration;

use prometheus::{Histogram, HistogramOpts, IntCounter, IntGauge};

fn register<C: prometheus::core::Collector + Clone + 'static>(c: C) -> C {
    // A second registration (another cache in the same process) keeps the first one's
    // series; the values are process-wide either way.
    let _ = prometheus::default_registry().register(Box::new(c.clone()));
    c
}

pub static HITS: LazyLock<IntCounter> = LazyLock::new(|| {
    register(
        IntCounter::new(
            "strata_compute_cache_hits_total",
            "Page reads answered by the dirty-page table or the cache",
        )
        .expect("valid metric"),
    )
});

pub static MISSES: LazyLock<IntCounter> = LazyLock::new(|| {
    register(
        IntCounter::new(
            "strata_compute_cache_misses_total",
            "Page reads that went to the pageserver",
        )
        .expect("valid metric"),
    )
});

pub static DIRTY: LazyLock<IntGauge> = LazyLock::new(|| {
    register(
        IntGauge::new(
            "strata_compute_dirty_pages",
            "Pages whose latest version the pageserver has not ingested yet",
        )
        .expect("valid metric"),
    )
});

pub static PREFETCHED: LazyLock<IntCounter> = LazyLock::new(|| {
    register(
        IntCounter::new(
            "strata_compute_prefetched_pages_total",
            "Pages fetched ahead of a read (scan read-ahead)",
        )
        .expect("valid metric"),
    )
});

pub static GETPAGE_SECONDS: LazyLock<Histogram> = LazyLock::new(|| {
    register(
        Histogram::with_opts(
            HistogramOpts::new(
                "strata_compute_getpage_seconds",
                "Latency of one GetPages batch from the compute",
            )
            .buckets(prometheus::exponential_buckets(0.0001, 2.0, 16).expect("valid buckets")),
        )
        .expect("valid metric"),
    )
});

pub static PREPARE_PAGES: LazyLock<IntCounter> = LazyLock::new(|| {
    register(
        IntCounter::new(
            "strata_compute_commit_prepare_pages_total",
            "Pages fetched by commits' prepare phase, before the commit mutex",
        )
        .expect("valid metric"),
    )
});

pub static SERIAL_FETCHES: LazyLock<IntCounter> = LazyLock::new(|| {
    register(
        IntCounter::new(
            "strata_compute_commit_serial_fetches_total",
            "Pages the serial commit step fetched from the pageserver under the commit mutex",
        )
        .expect("valid metric"),
    )
});

pub static PREPARE_RETRIES: LazyLock<IntCounter> = LazyLock::new(|| {
    register(
        IntCounter::new(
            "strata_compute_commit_prepare_retries_total",
            "Serial commit steps that missed a page, released the mutex and prepared again",
        )
        .expect("valid metric"),
    )
});

pub static AHEAD_RECORDS: LazyLock<IntCounter> = LazyLock::new(|| {
    register(
        IntCounter::new(
            "strata_compute_commit_ahead_records_total",
            "Records of new pages written ahead of a commit record too large for one record",
        )
        .expect("valid metric"),
    )
});

pub static OBSERVED_WAITS: LazyLock<IntCounter> = LazyLock::new(|| {
    register(
        IntCounter::new(
            "strata_compute_observed_durability_waits_total",
            "Replies (and read-only commits) held until the versions of other commits they \
             observed were durable",
        )
        .expect("valid metric"),
    )
});

/// Records one GetPages batch's latency.
pub fn observe_getpage(d: Duration) {
    GETPAGE_SECONDS.observe(d.as_secs_f64());
}
