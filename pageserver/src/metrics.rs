//! The pageserver's Prometheus metrics, registered once in prometheus's
//! default registry (served by `strata::metrics_http` at `--metrics`).
//!
//! Per-timeline series carry `tenant` and `timeline` labels.

use std::sync::LazyLock;

use prometheus::{
    Histogram, HistogramOpts, IntCounter, IntGauge, IntGaugeVec, Opts, register_histogram,
    register_int_counter, register_int_gauge, register_int_gauge_vec,
};

pub static GETPAGE_SECONDS: LazyLock<Histogram> = LazyLock::new(|| {
    register_histogram!(
        HistogramOpts::new(
            "strata_pageserver_getpage_seconds",
            "Time to answer one GetPage (wait for WAL, cache, reconstruction)"
        )
        .buckets(vec![
            0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1.0, 10.0,
        ])
    )
    .expect("register strata_pageserver_getpage_seconds")
});

pub static CACHE_HITS: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!(
        "strata_pageserver_page_cache_hits_total",
        "GetPages answered from the page cache"
    )
    .expect("register strata_pageserver_page_cache_hits_total")
});

pub static CACHE_MISSES: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!(
        "strata_pageserver_page_cache_misses_total",
        "GetPages that reconstructed the page"
    )
    .expect("register strata_pageserver_page_cache_misses_total")
});

pub static LAYERS_DOWNLOADED: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!(
        "strata_pageserver_layers_downloaded_total",
        "Layer files downloaded on demand from object storage"
    )
    .expect("register strata_pageserver_layers_downloaded_total")
});

pub static LOCAL_DAMAGE_REATTACHES: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!(
        "strata_pageserver_local_damage_reattaches_total",
        "Timelines attached again from object storage after a local layer file was found damaged"
    )
    .expect("register strata_pageserver_local_damage_reattaches_total")
});

pub static UPLOAD_QUEUE: LazyLock<IntGauge> = LazyLock::new(|| {
    register_int_gauge!(
        "strata_pageserver_upload_queue_layers",
        "Layer files written locally and not yet uploaded"
    )
    .expect("register strata_pageserver_upload_queue_layers")
});

fn timeline_gauge(name: &str, help: &str) -> IntGaugeVec {
    register_int_gauge_vec!(Opts::new(name, help), &["tenant", "timeline"])
        .unwrap_or_else(|e| panic!("register {name}: {e}"))
}

pub static INGEST_LAG_BYTES: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    timeline_gauge(
        "strata_pageserver_ingest_lag_bytes",
        "Safekeeper commit_lsn minus last_record_lsn",
    )
});

pub static LAST_RECORD_LSN: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    timeline_gauge(
        "strata_pageserver_last_record_lsn",
        "End of the last ingested record",
    )
});

pub static REMOTE_CONSISTENT_LSN: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    timeline_gauge(
        "strata_pageserver_remote_consistent_lsn",
        "Everything up to here is in object storage",
    )
});

pub static LAYER_COUNT: LazyLock<IntGaugeVec> =
    LazyLock::new(|| timeline_gauge("strata_pageserver_layers", "Layer files of the timeline"));

pub static LAYER_BYTES: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    timeline_gauge(
        "strata_pageserver_layer_bytes",
        "Bytes of the timeline's uploaded layer files",
    )
});

/// Registers every metric now, so `/metrics` lists them before first use.
pub fn register() {
    LazyLock::force(&GETPAGE_SECONDS);
    LazyLock::force(&CACHE_HITS);
    LazyLock::force(&CACHE_MISSES);
    LazyLock::force(&UPLOAD_QUEUE);
    LazyLock::force(&LAYERS_DOWNLOADED);
    LazyLock::force(&LOCAL_DAMAGE_REATTACHES);
    LazyLock::force(&INGEST_LAG_BYTES);
    LazyLock::force(&LAST_RECORD_LSN);
    LazyLock::force(&REMOTE_CONSISTENT_LSN);
    LazyLock::force(&LAYER_COUNT);
    LazyLock::force(&LAYER_BYTES);
}
