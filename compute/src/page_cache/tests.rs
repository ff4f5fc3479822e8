//! Unit tests of the cache's bookkeeping, with a client that is never reached.

use std::sync::Arc;
use std::time::Duration;

use proto::page::Page;
use proto::{Lsn, PageKey, TimelineId};

use super::{CacheConfig, PageCache};
use crate::page_client::{PageClient, PageClientConfig};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime")
}

/// A cache whose pageserver address accepts no connections (nothing here fetches).
fn cache(rt: &tokio::runtime::Runtime, config: CacheConfig) -> Arc<PageCache> {
    let id = TimelineId::new("t", "main").expect("valid name");
    let client = PageClient::connect(
        "127.0.0.1:1",
        id,
        rt.handle().clone(),
        PageClientConfig {
            request_timeout: Duration::from_millis(200),
            ..PageClientConfig::default()
        },
    )
    .expect("client");
    PageCache::new(client, config, Lsn(1000))
}

fn page(b: u8) -> Arc<Page> {
    Arc::new([b; proto::PAGE_SIZE])
}

fn key(b: u32) -> PageKey {
    PageKey::new(9, b)
}

#[test]
fn clean_pages_are_bounded_in_bytes_and_dirty_pages_are_never_evicted() {
    let rt = runtime();
    let c = cache(
        &rt,
        CacheConfig {
            cache_bytes: 16 * 8192,
            dirty_limit: 1000,
            ingest_poll: Duration::from_secs(3600),
            ..CacheConfig::default()
        },
    );
    // 200 dirty pages: far more than the clean cache holds, all kept.
    for b in 0..200 {
        c.publish(key(b), page(b as u8), Lsn(2000 + u64::from(b)));
    }
    assert_eq!(c.dirty_len(), 200);
    for b in 0..200 {
        let p = c
            .get(key(b))
            .expect("dirty pages need no fetch")
            .expect("exists");
        assert_eq!(p[100], b as u8);
    }
    // Ingested up to block 149's LSN: those move to the byte-bounded clean cache.
    c.note_ingested(Lsn(2149));
    assert_eq!(c.dirty_len(), 50);
    assert!(c.clean_bytes() <= 16 * 8192, "{}", c.clean_bytes());
    for b in 150..200 {
        assert!(c.get(key(b)).expect("still dirty").is_some());
    }
    // The last-written LSNs stay for `not_modified_since`.
    assert_eq!(c.last_written(key(7)), Lsn(2007));
    assert_eq!(c.last_written(key(999)), Lsn(1000));
}

#[test]
fn a_full_dirty_table_makes_commits_wait_until_ingest() {
    let rt = runtime();
    let c = cache(
        &rt,
        CacheConfig {
            dirty_limit: 4,
            dirty_wait: Duration::from_millis(100),
            ingest_poll: Duration::from_secs(3600),
            ..CacheConfig::default()
        },
    );
    for b in 0..4 {
        c.publish(key(b), page(1), Lsn(2000 + u64::from(b)));
    }
    assert!(c.wait_for_room().is_err(), "full: times out");
    let c2 = c.clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(30));
        c2.note_ingested(Lsn(2001));
    });
    // Room appears once the pageserver has ingested some of them.
    let mut ok = false;
    for _ in 0..50 {
        if c.wait_for_room().is_ok() {
            ok = true;
            break;
        }
    }
    t.join().expect("no panic");
    assert!(ok);
    assert_eq!(c.dirty_len(), 2);
}

#[test]
fn an_unreachable_pageserver_is_a_typed_error_not_a_hang() {
    let rt = runtime();
    let c = cache(&rt, CacheConfig::default());
    let started = std::time::Instant::now();
    match c.get(key(1)) {
        Err(crate::page_client::PageError::Unavailable(msg)) => {
            assert!(msg.contains("no GetPages answer"), "{msg}")
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    // Dirty pages are still served without the pageserver.
    c.publish(key(1), page(7), Lsn(1500));
    assert_eq!(c.get(key(1)).expect("dirty").map(|p| p[9]), Some(7));
}

#[test]
fn pinned_pages_survive_eviction_and_follow_newer_versions() {
    let rt = runtime();
    let c = cache(
        &rt,
        CacheConfig {
            cache_bytes: 4 * 8192,
            ingest_poll: Duration::from_secs(3600),
            ..CacheConfig::default()
        },
    );
    for b in 0..100 {
        c.publish(key(b), page(b as u8), Lsn(2000 + u64::from(b)));
    }
    let mut pins = super::PinSet::new(c.clone());
    assert_eq!(
        c.pin(&mut pins, [key(3), key(4), key(1000)]),
        2,
        "1000 is not held"
    );
    // Everything becomes clean; the clean cache holds only a few pages.
    c.note_ingested(Lsn(5000));
    assert!(c.clean_bytes() <= 4 * 8192);
    assert_eq!(
        c.cached(key(3)).map(|p| p[1]),
        Some(3),
        "pinned: still held"
    );
    // A commit publishes a newer version: the pin follows it.
    c.publish(key(3), page(33), Lsn(6000));
    c.note_ingested(Lsn(6000));
    assert_eq!(c.cached(key(3)).map(|p| p[1]), Some(33));
    let evicted = (0..100).filter(|b| c.cached(key(*b)).is_none()).count();
    assert!(evicted > 90, "only {evicted} of 100 evicted");
    assert_eq!(c.pinned_len(), 2);
    drop(pins);
    assert_eq!(c.pinned_len(), 0);
}
