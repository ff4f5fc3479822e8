//! A read replica reads a page the primary keeps writing. The replica's cache misses a hot
//! page and asks the pageserver for it at its applied LSN; before the answer arrives the
//! replica applies the next committed record, which changes that page. The answer must be
//! brought up to date and served, not asked for again: under a steady write load every
//! new ask is overtaken the same way, and the read failed with "kept changing while
//! fetched" (seen in CI on `replicas_follow_the_primary`).
//!
//! The overtaking is forced deterministically: the pageserver gets each record only after
//! the replica's next fetch is on the wire and the following record has been applied.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::engine_common::exec;
use crate::page_cache_pageserver::start_pageserver;
use compute::engine::{Engine, EngineConfig, MemoryWalSink, WalError, WalSink};
use compute::page_cache::{CacheConfig, PageCache};
use compute::page_client::{PageClient, PageClientConfig};
use proto::{Lsn, PageKey, Record};
use sql::Session;

/// The primary's WAL: durable at once, every record kept for the test to hand out.
struct RecordingWal {
    local: MemoryWalSink,
    records: Mutex<Vec<(Record, Lsn)>>,
}

impl WalSink for RecordingWal {
    fn submit(&self, record: &Record, start: Lsn) -> Result<Lsn, WalError> {
        let end = self.local.submit(record, start)?;
        let mut records = self.records.lock().expect("not poisoned");
        records.push((record.clone(), end));
        Ok(end)
    }
    fn wait_durable(&self, end: Lsn) -> Result<(), WalError> {
        self.local.wait_durable(end)
    }
    fn durable_lsn(&self) -> Lsn {
        self.local.durable_lsn()
    }
    fn end_lsn(&self) -> Lsn {
        self.local.end_lsn()
    }
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn a_replica_serves_a_page_the_primary_changes_during_every_fetch() {
    let env = start_pageserver();
    let wal = Arc::new(RecordingWal {
        local: MemoryWalSink::new(Lsn::TIMELINE_START),
        records: Mutex::new(Vec::new()),
    });
    let primary = Engine::create(wal.clone(), EngineConfig::default()).expect("create");
    let mut s = Session::new(primary.clone());
    exec(&mut s, "CREATE TABLE t (id int PRIMARY KEY, v text)").expect("create table");
    exec(&mut s, "INSERT INTO t VALUES (0, 'zero')").expect("insert");
    let setup = wal.records.lock().expect("not poisoned").len();
    for i in 1..=24 {
        exec(&mut s, &format!("INSERT INTO t VALUES ({i}, 'row {i}')")).expect("insert");
    }
    let records = wal.records.lock().expect("not poisoned").clone();
    let feed = |record: &Record| {
        env.wal.append(
            &env.id,
            Lsn::TIMELINE_START,
            &proto::frame::encode_record(record),
        );
    };
    for (record, _) in &records[..setup] {
        feed(record);
    }
    let start = records[setup - 1].1;
    let inserts = &records[setup..];
    // The page every insert changes: the table's only leaf.
    let mut touched: HashMap<PageKey, usize> = HashMap::new();
    for (record, _) in inserts {
        for change in &record.page_changes {
            *touched.entry(change.key).or_default() += 1;
        }
    }
    let hot = touched
        .iter()
        .find(|(_, n)| **n == inserts.len())
        .map(|(k, _)| *k)
        .expect("a page every insert changes");

    let client = PageClient::connect(
        &env.addr.to_string(),
        env.id.clone(),
        env.rt.handle().clone(),
        PageClientConfig::default(),
    )
    .expect("client");
    let replica = PageCache::new(client.clone(), CacheConfig::default(), start);
    let apply = |record: &Record, end: Lsn| {
        for change in &record.page_changes {
            replica.apply_replicated(change, end);
        }
    };
    // The replica applied the first insert (the page is not cached: dropped); the
    // pageserver has not seen it yet.
    apply(&inserts[0].0, inserts[0].1);
    let reader = {
        let replica = replica.clone();
        std::thread::spawn(move || replica.get(hot))
    };
    let mut sent = 0;
    let mut next = 1;
    while !reader.is_finished() && next < inserts.len() {
        wait_until("the replica's fetch", || {
            client.batches_sent() > sent || reader.is_finished()
        });
        if reader.is_finished() {
            break;
        }
        sent = client.batches_sent();
        // The next record overtakes the fetch on the wire; then the pageserver gets
        // what the fetch waits for.
        apply(&inserts[next].0, inserts[next].1);
        feed(&inserts[next - 1].0);
        next += 1;
    }
    let page = reader
        .join()
        .expect("no panic")
        .expect("the hot page is served")
        .expect("the page exists");
    assert_eq!(
        client.batches_sent(),
        1,
        "one round trip, the overtaking change replayed onto its answer"
    );
    // The answer (as of the first insert) had the second one replayed onto it.
    let at = proto::page::page_lsn(&page);
    assert!(
        at >= inserts[1].1,
        "served {at}, older than what the replica applied"
    );

    // What it served is the page as of that LSN, as the pageserver builds it from the
    // same WAL.
    for (record, _) in &inserts[next - 1..] {
        feed(record);
    }
    let fresh = PageCache::new(client.clone(), CacheConfig::default(), at);
    let want = fresh.get_at(hot, at).expect("served").expect("exists");
    assert_eq!(page[..], want[..]);
    // And the replica keeps it current as more records arrive.
    for (record, end) in &inserts[next..] {
        apply(record, *end);
    }
    let last = inserts.last().expect("inserts").1;
    let current = replica.get(hot).expect("cached").expect("exists");
    assert_eq!(proto::page::page_lsn(&current), last);
    assert_eq!(
        current[..],
        fresh.get_at(hot, last).expect("served").expect("exists")[..]
    );
}
