//! The page cache against a REAL pageserver, in process: the engine's WAL records go to a
//! `pageserver::MemoryWalSource` the pageserver ingests from; the engine reads its pages through
//! a 1 MiB cache over a table several times bigger, and must give the same answers as an
//! all-resident engine. A second engine with an empty cache on the same pageserver then
//! learns the schema and every committed row from it; old page versions come back at an
//! old LSN.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::engine_common::{exec, rows};
use compute::engine::{Engine, EngineConfig, MemoryWalSink, PageTable, WalError, WalSink};
use compute::page_cache::{CacheConfig, PageCache};
use compute::page_client::{PageClient, PageClientConfig};
use pageserver::{Config, CreateTimeline, MemoryGenerations, Pageserver, grpc};
use proto::{Lsn, PageKey, Record, TimelineId};
use sql::Session;
use tokio_util::sync::CancellationToken;

/// The engine's sink: an in-memory WAL (durable at once) whose every record is also
/// appended to the pageserver's WAL source, as the safekeepers would stream it.
struct TeeWal {
    local: MemoryWalSink,
    pageserver: Arc<pageserver::MemoryWalSource>,
    id: TimelineId,
}

impl WalSink for TeeWal {
    fn submit(&self, record: &Record, start: Lsn) -> Result<Lsn, WalError> {
        let end = self.local.submit(record, start)?;
        self.pageserver.append(
            &self.id,
            Lsn::TIMELINE_START,
            &proto::frame::encode_record(record),
        );
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

pub(crate) struct Env {
    pub(crate) rt: tokio::runtime::Runtime,
    pub(crate) addr: std::net::SocketAddr,
    pub(crate) wal: Arc<pageserver::MemoryWalSource>,
    pub(crate) id: TimelineId,
    ps: Arc<Pageserver>,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

impl Env {
    /// Runs the pageserver's GC with the wanted cutoff `lsn` once it has ingested up to
    /// it (no PITR window, no leases unless a test takes them): the cutoff it applied.
    pub(crate) fn gc_to(&self, lsn: Lsn) -> Lsn {
        self.rt.block_on(async {
            let h = self.ps.timeline(&self.id).expect("the timeline");
            h.wait_for(lsn, Duration::from_secs(30))
                .await
                .expect("ingested");
            self.ps.gc(&h, Some(lsn)).await.expect("gc").cutoff
        })
    }
}

pub(crate) fn start_pageserver() -> Env {
    start_pageserver_at("127.0.0.1:0".parse().expect("an address"))
}

fn start_pageserver_at(listen: std::net::SocketAddr) -> Env {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let data = tempfile::tempdir().expect("tempdir");
    let objects = tempfile::tempdir().expect("tempdir");
    let wal = Arc::new(pageserver::MemoryWalSource::new(64 << 10));
    let id = TimelineId::new("acme", "main").expect("valid name");
    let (addr, ps) = rt.block_on(async {
        let remote = remote_storage::RemoteStorage::local(objects.path()).expect("local store");
        let mut config = Config::new(
            "127.0.0.1:0".parse().expect("an address"),
            data.path().to_path_buf(),
            remote.url().to_string(),
        );
        config.maintenance_interval = None;
        config.cache_bytes = 64 * 8192;
        config.reconstruct_threads = 2;
        let ps = Pageserver::start(
            config,
            remote,
            wal.clone(),
            Arc::new(MemoryGenerations::new()),
            CancellationToken::new(),
        )
        .await
        .expect("start pageserver");
        ps.create_timeline(CreateTimeline {
            id: id.clone(),
            ancestor: None,
            ancestor_lsn: None,
            ancestor_timestamp_us: None,
        })
        .await
        .expect("create timeline");
        let (addr, _server) = grpc::spawn(ps.clone(), listen).await.expect("serve gRPC");
        (addr, ps)
    });
    Env {
        rt,
        addr,
        wal,
        id,
        ps,
        _dirs: (data, objects),
    }
}

/// A cached engine on the pageserver whose WAL continues at `start`, with a 1 MiB cache
/// and a dirty-page table of 64 pages (so commits really wait for the pageserver's ingest).
fn cached_engine(env: &Env, start: Lsn) -> (Engine, Arc<PageCache>) {
    cached_engine_with(env, start, small_cache(), EngineConfig::default())
}

/// A 1 MiB cache with a dirty-page table of 64 pages.
pub(crate) fn small_cache() -> CacheConfig {
    CacheConfig {
        cache_bytes: 1 << 20,
        dirty_limit: 64,
        ..CacheConfig::default()
    }
}

/// [`cached_engine`] with the given cache and engine settings.
pub(crate) fn cached_engine_with(
    env: &Env,
    start: Lsn,
    cache: CacheConfig,
    config: EngineConfig,
) -> (Engine, Arc<PageCache>) {
    let client = PageClient::connect(
        &env.addr.to_string(),
        env.id.clone(),
        env.rt.handle().clone(),
        PageClientConfig::default(),
    )
    .expect("client");
    let cache = PageCache::new(client, cache, start);
    let wal = Arc::new(TeeWal {
        local: MemoryWalSink::new(start),
        pageserver: env.wal.clone(),
        id: env.id.clone(),
    });
    let engine = Engine::start(Arc::new(PageTable::cached(cache.clone())), wal, config)
        .expect("start engine");
    (engine, cache)
}

/// Inserts of 250 rows each.
const CHUNKS: u64 = 24;

const QUERIES: &[&str] = &[
    "SELECT count(*) FROM t",
    "SELECT sum(n) FROM t",
    "SELECT id, n, v FROM t WHERE id >= 1500 AND id < 1520 ORDER BY id",
    "SELECT id, n FROM t ORDER BY id DESC LIMIT 7",
    "SELECT count(*) FROM t WHERE n = 3",
    "SELECT id FROM t WHERE v = 'gone'",
];

fn answers(s: &mut Session<Engine>) -> Vec<Vec<Vec<String>>> {
    QUERIES.iter().map(|q| rows(s, q)).collect()
}

#[test]
fn engines_over_a_small_cache_and_a_real_pageserver_agree_with_resident_pages() {
    let env = start_pageserver();
    let started = Instant::now();
    let (a, cache) = cached_engine(&env, Lsn::TIMELINE_START);
    let reference = Engine::create(
        Arc::new(MemoryWalSink::new(Lsn::TIMELINE_START)),
        EngineConfig::default(),
    )
    .expect("create reference engine");
    let mut sa = Session::new(a.clone());
    let mut sr = Session::new(reference.clone());

    // ~2 MB of rows (over 250 leaves): twice the 1 MiB cache.
    let pad = "x".repeat(300);
    let mut script =
        vec!["CREATE TABLE t (id int8 PRIMARY KEY, n int8 NOT NULL, v text)".to_string()];
    for chunk in 0..CHUNKS {
        let values: Vec<String> = (0..250)
            .map(|i| {
                let id = chunk * 250 + i;
                format!("({id}, {}, '{pad}{id}')", id % 7)
            })
            .collect();
        script.push(format!("INSERT INTO t VALUES {}", values.join(", ")));
    }
    script.push("UPDATE t SET n = n + 100 WHERE id % 10 = 3".into());
    script.push("DELETE FROM t WHERE id % 13 = 5".into());
    script.push("UPDATE t SET v = 'gone' WHERE id = 4243".into());
    let mut mid_lsn = Lsn::INVALID;
    let (mut ta, mut tr) = (Duration::ZERO, Duration::ZERO);
    for (i, sql) in script.iter().enumerate() {
        let t0 = Instant::now();
        exec(&mut sa, sql).unwrap_or_else(|e| panic!("cached engine: {e}"));
        let t1 = Instant::now();
        exec(&mut sr, sql).unwrap_or_else(|e| panic!("reference engine: {e}"));
        ta += t1 - t0;
        tr += t1.elapsed();
        if i == 1 {
            mid_lsn = a.durable_lsn();
        }
    }
    eprintln!(
        "script: cached {ta:?}, resident {tr:?}, batches {}",
        cache.client().batches_sent()
    );
    assert!(cache.clean_bytes() <= 1 << 20);
    eprintln!("phase script {:?}", started.elapsed());
    let expected = answers(&mut sr);
    let live = (0..CHUNKS * 250).filter(|i| i % 13 != 5).count();
    assert_eq!(expected[0], vec![vec![live.to_string()]]);
    assert_eq!(answers(&mut sa), expected, "cached engine");

    // The pageserver catches up: the dirty-page table drains.
    let deadline = Instant::now() + Duration::from_secs(20);
    while cache.dirty_len() > 0 {
        assert!(
            Instant::now() < deadline,
            "{} pages stay dirty",
            cache.dirty_len()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(answers(&mut sa), expected, "cached engine, all pages clean");
    let a_batches = cache.client().batches_sent();
    eprintln!("phase A done {:?}", started.elapsed());

    // A second compute, empty cache, same pageserver: schema and rows come from it.
    let end = a.durable_lsn();
    let (b, cache_b) = cached_engine(&env, end);
    let mut sb = Session::new(b.clone());
    assert_eq!(answers(&mut sb), expected, "second engine");
    // It writes too, after A's WAL.
    exec(&mut sb, "INSERT INTO t VALUES (100000, 1, 'new')").expect("insert on B");
    assert_eq!(
        rows(&mut sb, "SELECT v FROM t WHERE id = 100000"),
        vec![vec!["new".to_string()]]
    );

    eprintln!("phase B done {:?}", started.elapsed());
    // Scans read ahead: far fewer batches than pages read.
    let before = cache_b.client().batches_sent();
    exec(&mut sb, "SELECT sum(n) FROM t").expect("scan");
    let scan_batches = cache_b.client().batches_sent() - before;
    eprintln!("A sent {a_batches} batches; B's full scan {scan_batches}");
    assert!(
        scan_batches < 60,
        "{scan_batches} batches for a ~270-leaf scan"
    );
    assert!(compute::page_cache::metrics::PREFETCHED.get() > 0);
    assert!(compute::page_cache::metrics::MISSES.get() > 0);
    assert!(compute::page_cache::metrics::HITS.get() > 0);

    // An old snapshot's pages come from the pageserver at that LSN, as the WAL had them.
    let wal_bytes = env.wal_bytes_until(mid_lsn);
    let (old_pages, old_end) = PageTable::replay(Lsn::TIMELINE_START, &wal_bytes).expect("replay");
    assert_eq!(old_end, mid_lsn);
    let old = old_pages.pages();
    assert!(!old.is_empty());
    for (key, page) in old.iter().take(20) {
        let got = cache_b
            .get_at(*key, mid_lsn)
            .expect("fetch at an old LSN")
            .expect("page existed");
        assert_eq!(&got[..], &page[..], "{key} at {mid_lsn}");
        let latest = cache_b.get(*key).expect("latest").expect("exists");
        if key.rel != compute::engine::CATALOG_REL {
            assert_ne!(&latest[..], &page[..], "{key}: the latest slot is separate");
        }
    }
    let missing = PageKey::new(999, 0);
    assert!(cache_b.get_at(missing, mid_lsn).expect("answer").is_none());
    eprintln!("took {:?}", started.elapsed());
}

/// A GetPages batch sent before the pageserver listens is answered once it does: the
/// driver keeps reopening the stream (with backoff) and re-sends what is in flight.
#[test]
fn the_client_reconnects_until_the_pageserver_is_up() {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let id = TimelineId::new("acme", "main").expect("valid name");
    let client = PageClient::connect(
        &addr.to_string(),
        id,
        rt.handle().clone(),
        PageClientConfig::default(),
    )
    .expect("client");
    let cache = PageCache::new(client, CacheConfig::default(), Lsn::TIMELINE_START);
    let reader = {
        let cache = cache.clone();
        std::thread::spawn(move || cache.get(PageKey::new(1, 0)))
    };
    std::thread::sleep(Duration::from_millis(300));
    assert!(!reader.is_finished(), "nothing to answer yet");
    let _env = start_pageserver_at(addr);
    let answer = reader.join().expect("no panic");
    assert!(
        matches!(answer, Ok(None)),
        "block 0 of a new timeline: {answer:?}"
    );
}

impl Env {
    /// The WAL the pageserver was fed, up to `end`.
    fn wal_bytes_until(&self, end: Lsn) -> Vec<u8> {
        let id = self.id.clone();
        let wal = self.wal.clone();
        self.rt.block_on(async move {
            use futures::StreamExt;
            use pageserver::WalSource;
            let mut stream = wal
                .read_wal(&id, Lsn::TIMELINE_START)
                .await
                .expect("read WAL");
            let mut bytes = Vec::new();
            let want = (end.0 - Lsn::TIMELINE_START.0) as usize;
            while bytes.len() < want {
                let chunk = stream.next().await.expect("more WAL").expect("a chunk");
                bytes.extend_from_slice(&chunk.wal);
            }
            bytes.truncate(want);
            bytes
        })
    }
}
