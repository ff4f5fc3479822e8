//! Object-store metrics, registered once in prometheus's default registry (served by every
//! server's `--metrics` endpoint): requests by operation, and failures that were not an
//! expected outcome (a missing key or a lost conditional put are answers, not errors).

use std::sync::LazyLock;

use prometheus::{IntCounterVec, Opts, register_int_counter_vec};

pub static REQUESTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        Opts::new(
            "strata_object_store_requests_total",
            "Object-store calls by operation"
        ),
        &["op"]
    )
    .expect("register strata_object_store_requests_total")
});

pub static ERRORS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        Opts::new(
            "strata_object_store_errors_total",
            "Object-store calls that failed (unreachable, refused, timed out, corrupt answer)"
        ),
        &["op"]
    )
    .expect("register strata_object_store_errors_total")
});

/// Registers every metric now, so `/metrics` lists them before first use.
pub fn register() {
    LazyLock::force(&REQUESTS);
    LazyLock::force(&ERRORS);
}
