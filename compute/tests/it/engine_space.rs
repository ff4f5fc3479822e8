//! Space under churn (issue 8, item 6): a table and its index under update and delete
//! churn stay within a small multiple of their live size — pruning (written and swept
//! leaves), merging of emptied leaves and reuse of freed blocks — while held snapshots
//! keep every version they can see, and old snapshots read correctly after blocks were
//! reused: from resident pages while held, from the pageserver when not.

use std::collections::BTreeSet;

use compute::btree::{BTree, Limits, TreeStats};
use compute::engine::pages::RelPages;
use compute::engine::{Engine, EngineConfig};
use proto::{BlockNo, Lsn, RelId};
use sql::Session;
use sql::storage::{Access, Isolation, Storage, Txn};

use crate::engine_common::{engine, exec, rows, small_pages};
use crate::page_cache_pageserver::{cached_engine_with, small_cache, start_pageserver};

fn table_rels(e: &Engine, name: &str) -> (RelId, RelId) {
    let mut t = e.begin(Isolation::ReadCommitted).unwrap();
    t.begin_statement().unwrap();
    let id = t.catalog().unwrap().table(name).unwrap().id;
    t.rollback();
    let entry = e.latest_catalog().tables[&id].clone();
    (entry.rel, entry.index_rel_at(0))
}

fn blocks(e: &Engine, rel: RelId) -> u32 {
    e.pages().try_block_count(rel).unwrap()
}

/// Table and index blocks of `name`.
fn size(e: &Engine, name: &str) -> u32 {
    let (t, i) = table_rels(e, name);
    blocks(e, t) + blocks(e, i)
}

fn tree(e: &Engine, rel: RelId, limits: Limits) -> BTree<RelPages> {
    BTree::open(RelPages::new(e.pages(), rel), limits)
}

/// The structural check of a relation's tree (free list and out-of-line values too).
fn check(e: &Engine, rel: RelId, limits: Limits) -> TreeStats {
    tree(e, rel, limits)
        .check()
        .unwrap_or_else(|err| panic!("relation {}: {err}", rel.0))
}

/// The blocks on a relation's free list.
fn free_blocks(e: &Engine, rel: RelId, limits: Limits) -> BTreeSet<BlockNo> {
    let list = tree(e, rel, limits).free_list().unwrap();
    list.entries.into_iter().map(|(_, b)| b).collect()
}

fn pad(id: i64) -> String {
    format!("{id:06}{}", "p".repeat(60))
}

/// `t (id, n, pad)` with an index on `n`, rows `0..rows` (`n = id`), and the churn that
/// runs on it.
struct Churn {
    rows: i64,
    /// Live ids are `low..low + rows`.
    low: i64,
    round: i64,
    x: u64,
}

impl Churn {
    fn setup(s: &mut Session<Engine>, name: &str, rows: i64) -> Churn {
        exec(
            s,
            &format!("CREATE TABLE {name} (id int8 PRIMARY KEY, n int8 NOT NULL, pad text)"),
        )
        .unwrap();
        exec(s, &format!("CREATE INDEX {name}_n ON {name} (n)")).unwrap();
        let values: Vec<String> = (0..rows)
            .map(|id| format!("({id}, {id}, '{}')", pad(id)))
            .collect();
        for chunk in values.chunks(250) {
            exec(
                s,
                &format!("INSERT INTO {name} VALUES {}", chunk.join(", ")),
            )
            .unwrap();
        }
        Churn {
            rows,
            low: 0,
            round: 0,
            x: 0x2545_F491_4F6C_DD1D,
        }
    }

    /// One transaction on `t`: `updates` consecutive rows from a random one get a new `n`
    /// (always growing, so index entries move right and leave dead ones behind in leaves
    /// no commit writes again), and the 10 lowest ids are deleted and 10 new ones
    /// inserted at the top (the primary key's leaves empty on the left and fill on the
    /// right).
    fn round(&mut self, s: &mut Session<Engine>, updates: i64) {
        self.round += 1;
        self.x ^= self.x << 13;
        self.x ^= self.x >> 7;
        self.x ^= self.x << 17;
        let from = self.low + (self.x % (self.rows - updates) as u64) as i64;
        let bump = self.rows * self.round;
        exec(s, "BEGIN").unwrap();
        exec(
            s,
            &format!(
                "UPDATE t SET n = n + {bump} WHERE id >= {from} AND id < {}",
                from + updates
            ),
        )
        .unwrap();
        exec(s, &format!("DELETE FROM t WHERE id < {}", self.low + 10)).unwrap();
        let top = self.low + self.rows;
        let values: Vec<String> = (top..top + 10)
            .map(|id| format!("({id}, {}, '{}')", id + bump, pad(id)))
            .collect();
        exec(s, &format!("INSERT INTO t VALUES {}", values.join(", "))).unwrap();
        exec(s, "COMMIT").unwrap();
        self.low += 10;
    }
}

/// Row count, sum of `n` and ids found through the index, as a session sees them.
fn answers(s: &mut Session<Engine>) -> Vec<Vec<Vec<String>>> {
    vec![
        rows(s, "SELECT count(*), sum(n), min(id), max(id) FROM t"),
        rows(s, "SELECT count(*) FROM t WHERE n >= 0"),
    ]
}

/// 200,000 row updates (and 10,000 deletes and inserts) of a 1,000-row table with an
/// index on a column whose value only grows: the table and its index end within a small
/// multiple of the size the same live rows take freshly loaded, and stop growing.
#[test]
fn churn_keeps_a_table_and_its_index_within_a_small_multiple_of_their_live_size() {
    let config = EngineConfig::default();
    let (e, _wal) = engine(config.clone());
    let mut s = Session::new(e.clone());
    let mut churn = Churn::setup(&mut s, "t", 1000);
    let loaded = size(&e, "t");
    let mut sizes = Vec::new();
    for round in 1..=1000 {
        churn.round(&mut s, 200);
        if round % 125 == 0 {
            sizes.push(size(&e, "t"));
        }
    }
    assert_eq!(rows(&mut s, "SELECT count(*) FROM t"), [["1000"]]);
    assert_eq!(
        rows(&mut s, "SELECT count(*) FROM t WHERE n >= 0"),
        [["1000"]]
    );

    // The live size: the same rows loaded into a fresh table and index.
    exec(
        &mut s,
        "CREATE TABLE fresh (id int8 PRIMARY KEY, n int8 NOT NULL, pad text)",
    )
    .unwrap();
    exec(&mut s, "CREATE INDEX fresh_n ON fresh (n)").unwrap();
    exec(
        &mut s,
        "INSERT INTO fresh SELECT id, n, pad FROM t ORDER BY id",
    )
    .unwrap();
    let live = size(&e, "fresh");
    let churned = size(&e, "t");
    let (table, index) = table_rels(&e, "t");
    let (ts, is) = (
        check(&e, table, config.limits),
        check(&e, index, config.limits),
    );
    eprintln!(
        "loaded {loaded} pages, live {live}, after churn {churned} ({:.2}x live); every 125 \
         rounds: {sizes:?}; table {ts:?}; index {is:?}",
        f64::from(churned) / f64::from(live)
    );
    assert!(
        churned <= 3 * live,
        "{churned} pages after churn, {live} live: more than 3x"
    );
    let half = sizes[sizes.len() / 2 - 1];
    assert!(
        churned <= half + half / 10,
        "still growing: {half} pages half way, {churned} at the end ({sizes:?})"
    );
    assert!(ts.free + is.free > 0, "nothing was ever freed");
}

/// A Repeatable Read snapshot keeps every version it can see through churn that merges
/// and frees leaves; once it is released the space is reclaimed. A snapshot taken after
/// blocks were freed reads right while later commits reuse them (resident pages: it
/// reads the latest pages throughout).
#[test]
fn held_snapshots_keep_their_versions_and_read_right_while_blocks_are_reused() {
    let config = small_pages();
    let (e, _wal) = engine(config.clone());
    let mut s = Session::new(e.clone());
    let mut churn = Churn::setup(&mut s, "t", 300);
    let (table, index) = table_rels(&e, "t");

    let mut old = Session::new(e.clone());
    exec(&mut old, "BEGIN ISOLATION LEVEL REPEATABLE READ").unwrap();
    let at_start = answers(&mut old);
    for _ in 0..40 {
        churn.round(&mut s, 30);
    }
    assert_eq!(
        answers(&mut old),
        at_start,
        "the held snapshot reads its rows"
    );
    let held = size(&e, "t");
    exec(&mut old, "COMMIT").unwrap();
    for _ in 0..40 {
        churn.round(&mut s, 30);
    }
    let freed: BTreeSet<BlockNo> = free_blocks(&e, table, config.limits)
        .union(&free_blocks(&e, index, config.limits))
        .copied()
        .collect();
    assert!(!freed.is_empty(), "nothing freed");

    // A snapshot after the frees, then commits that allocate.
    let mut reader = Session::new(e.clone());
    exec(&mut reader, "BEGIN ISOLATION LEVEL REPEATABLE READ").unwrap();
    let at_reader = answers(&mut reader);
    let before = size(&e, "t");
    for _ in 0..40 {
        churn.round(&mut s, 30);
    }
    let still: BTreeSet<BlockNo> = free_blocks(&e, table, config.limits)
        .union(&free_blocks(&e, index, config.limits))
        .copied()
        .collect();
    let reused = freed.difference(&still).count();
    assert!(
        reused > 0,
        "no freed block was reused: {freed:?} -> {still:?}"
    );
    assert_eq!(answers(&mut reader), at_reader, "reads right after reuse");
    exec(&mut reader, "COMMIT").unwrap();
    // Released, the space its versions took is reclaimed and reused: more churn does not
    // grow the relation (but for a page or two of free list each).
    let released = size(&e, "t");
    for _ in 0..80 {
        churn.round(&mut s, 30);
    }
    let after = size(&e, "t");
    eprintln!(
        "{held} pages held, {before} before and {released} after the second hold, {after} \
         after more churn; {reused} blocks reused"
    );
    assert!(
        after <= released + 4,
        "{released} -> {after} pages after the holds"
    );
    check(&e, table, config.limits);
    check(&e, index, config.limits);
}

/// Rows and the sum of `n` of `t` at `snapshot` through a fixed-snapshot transaction, by a
/// key-order scan and through the index.
fn read_at(txn: &mut compute::engine::EngineTxn) -> (usize, i64, usize) {
    txn.begin_statement().unwrap();
    let id = txn.catalog().unwrap().table("t").unwrap().id;
    let scanned: Vec<_> = txn
        .scan(id, &Access::Full)
        .unwrap()
        .collect::<sql::Result<Vec<_>>>()
        .unwrap();
    let sum = scanned
        .iter()
        .map(|r| match r.row[1] {
            sql::Value::Int(n) => n,
            ref v => panic!("n = {v:?}"),
        })
        .sum();
    let via_index = txn
        .scan(
            id,
            &Access::IndexRange {
                index: "t_n".into(),
                range: sql::storage::KeyRange::ALL,
            },
        )
        .unwrap()
        .count();
    (scanned.len(), sum, via_index)
}

/// On a cached engine over a real pageserver, a fixed snapshot older than every frees
/// and reuse reads the table and its index exactly as they were: leaves pruned past it,
/// and blocks since reused for other pages, come from the pageserver as of its LSN.
#[test]
fn an_old_snapshot_reads_right_after_its_blocks_were_reused() {
    let env = start_pageserver();
    let config = small_pages();
    let (e, _cache) = cached_engine_with(&env, Lsn::TIMELINE_START, small_cache(), config.clone());
    let mut s = Session::new(e.clone());
    let mut churn = Churn::setup(&mut s, "t", 300);
    let (table, index) = table_rels(&e, "t");
    let start = e.durable_lsn();
    let existed = [(table, blocks(&e, table)), (index, blocks(&e, index))];
    let original = read_at(&mut e.begin_at(start));
    assert_eq!(original, (300, 299 * 300 / 2, 300));
    // Free blocks of either relation that already existed at `start`.
    let old_free = |e: &Engine| -> BTreeSet<(RelId, BlockNo)> {
        existed
            .iter()
            .flat_map(|&(rel, n)| {
                free_blocks(e, rel, config.limits)
                    .into_iter()
                    .filter(move |&b| b < n)
                    .map(move |b| (rel, b))
            })
            .collect()
    };

    // Churn until some block the relations used at `start` is free.
    let free_at_start = old_free(&e);
    let in_use_at_start_free = |e: &Engine| -> BTreeSet<(RelId, BlockNo)> {
        old_free(e).difference(&free_at_start).copied().collect()
    };
    let mut rounds = 0;
    while in_use_at_start_free(&e).is_empty() {
        churn.round(&mut s, 30);
        rounds += 1;
        assert!(
            rounds < 300,
            "no block that existed at the snapshot was freed"
        );
    }
    let freed = in_use_at_start_free(&e);
    // Begun now, it holds the reuse of blocks freed from now on, not of those above.
    let mut old = e.begin_at(start);
    // Churn until one of them is handed out again.
    let mut rounds = 0;
    while freed.is_subset(&in_use_at_start_free(&e)) {
        churn.round(&mut s, 30);
        rounds += 1;
        assert!(rounds < 300, "no freed block was reused: {freed:?}");
    }
    eprintln!(
        "freed {freed:?} (free at the snapshot: {free_at_start:?}); one reused after {rounds} more rounds"
    );
    assert!(e.reuse_horizon() > start);
    assert_eq!(read_at(&mut old), original, "read as of its snapshot");
    old.rollback();
    assert_eq!(
        read_at(&mut e.begin_at(start)),
        original,
        "and again, from scratch"
    );
    check(&e, table, config.limits);
    check(&e, index, config.limits);
}

/// Leaves no commit writes again — the index entries of rows whose key moved on — are
/// pruned and merged by `Engine::sweep` once the horizon passes them.
#[test]
fn a_sweep_reclaims_leaves_no_commit_writes_again() {
    let config = EngineConfig {
        sweep_leaves: 0, // no sweeping inside commits: only `Engine::sweep`
        ..small_pages()
    };
    let (e, _wal) = engine(config.clone());
    let mut s = Session::new(e.clone());
    Churn::setup(&mut s, "t", 300);
    let (_, index) = table_rels(&e, "t");
    // Every index entry moves far right, once: the old ones stay, dead, in leaves no
    // later commit writes.
    exec(&mut s, "UPDATE t SET n = n + 1000000").unwrap();
    exec(&mut s, "UPDATE t SET pad = 'x' WHERE id = 0").unwrap();
    let before = check(&e, index, config.limits);
    assert!(before.entries >= 600, "{before:?}");
    let mut records = 0;
    while e.sweep(8).unwrap().is_valid() {
        records += 1;
        assert!(records < 100, "the sweep never settles");
    }
    let after = check(&e, index, config.limits);
    eprintln!("index before {before:?}, after {records} sweeps {after:?}");
    assert_eq!(after.entries, 300, "dead entries left: {after:?}");
    assert!(after.free > 0 && after.leaves < before.leaves, "{after:?}");
    assert_eq!(
        rows(&mut s, "SELECT count(*) FROM t WHERE n >= 1000000"),
        [["300"]]
    );
}

/// A body of `len` characters that differs per `(id, version)` all along its length.
fn body(id: i64, version: i64, len: usize) -> String {
    let seed = format!("<{id}.{version}>");
    seed.chars().cycle().take(len).collect()
}

/// Every `(id, body)` of `big`, in key order.
fn bodies(s: &mut Session<Engine>) -> Vec<Vec<String>> {
    rows(s, "SELECT id, body FROM big ORDER BY id")
}

/// Rows far larger than a page (10–60 KB on 8 KiB pages) are stored out of line: they
/// read back exactly — by key, by scan, at a held older snapshot, after WAL replay — and
/// updating and deleting them frees their pages for reuse, so churn of large values
/// stays bounded too.
#[test]
fn rows_larger_than_a_page_round_trip_and_their_pages_are_reused() {
    let config = EngineConfig::default();
    let (e, wal) = engine(config.clone());
    let mut s = Session::new(e.clone());
    exec(&mut s, "CREATE TABLE big (id int8 PRIMARY KEY, body text)").unwrap();
    let len = |id: i64, v: i64| 10_000 + ((id * 7 + v * 13) % 6) as usize * 10_000;
    for id in 0..12 {
        exec(
            &mut s,
            &format!(
                "INSERT INTO big VALUES ({id}, '{}')",
                body(id, 0, len(id, 0))
            ),
        )
        .unwrap();
    }
    let mut want: Vec<Vec<String>> = (0..12)
        .map(|id| vec![id.to_string(), body(id, 0, len(id, 0))])
        .collect();
    assert_eq!(bodies(&mut s), want);
    assert_eq!(
        rows(&mut s, "SELECT body FROM big WHERE id = 5"),
        [[body(5, 0, len(5, 0))]]
    );
    let (table, _) = table_rels(&e, "big");
    let stats = check(&e, table, config.limits);
    assert_eq!(stats.external, 12, "{stats:?}");
    assert!(stats.overflow_pages >= 12 * 2, "{stats:?}");

    // A held snapshot keeps reading the first bodies while every row changes.
    let mut old = Session::new(e.clone());
    exec(&mut old, "BEGIN ISOLATION LEVEL REPEATABLE READ").unwrap();
    assert_eq!(bodies(&mut old), want);
    let at_start = want.clone();
    let mut sizes = Vec::new();
    for v in 1..=60 {
        let id = v % 12;
        exec(
            &mut s,
            &format!(
                "UPDATE big SET body = '{}' WHERE id = {id}",
                body(id, v, len(id, v))
            ),
        )
        .unwrap();
        want[id as usize][1] = body(id, v, len(id, v));
        if v == 6 {
            assert_eq!(bodies(&mut old), at_start, "held snapshot");
            exec(&mut old, "COMMIT").unwrap();
        }
        if v % 12 == 0 {
            sizes.push(blocks(&e, table));
        }
    }
    assert_eq!(bodies(&mut s), want);
    // Every row was rewritten five times over: the relation levels off instead of
    // keeping every version's pages.
    let live = check(&e, table, config.limits);
    eprintln!("large-value table sizes every 12 updates: {sizes:?}; {live:?}");
    // The live rows, and the last update's old version (deleted at the horizon itself).
    assert!((12..=13).contains(&live.external), "{live:?}");
    assert!(
        sizes[4] <= sizes[1] + sizes[1] / 10,
        "large-value churn keeps growing: {sizes:?}"
    );
    assert!(
        (blocks(&e, table) as usize) < 3 * (live.pages + live.overflow_pages),
        "{sizes:?} {live:?}"
    );

    // Deletes free the pages; new rows reuse them.
    exec(&mut s, "DELETE FROM big WHERE id >= 6").unwrap();
    want.truncate(6);
    exec(&mut s, "UPDATE big SET id = id WHERE id = 0").unwrap();
    let before_refill = blocks(&e, table);
    for id in 6..12 {
        exec(
            &mut s,
            &format!("INSERT INTO big VALUES ({id}, '{}')", body(id, 99, 20_000)),
        )
        .unwrap();
        want.push(vec![id.to_string(), body(id, 99, 20_000)]);
    }
    assert_eq!(bodies(&mut s), want);
    assert!(
        blocks(&e, table) <= before_refill + 2,
        "refilling grew {before_refill} -> {}",
        blocks(&e, table)
    );
    check(&e, table, config.limits);

    // The WAL alone rebuilds the same rows.
    let (pages, end) =
        compute::engine::PageTable::replay(wal.start_lsn(), &wal.bytes()).expect("replay");
    let reopened = Engine::open(
        std::sync::Arc::new(pages),
        std::sync::Arc::new(compute::engine::MemoryWalSink::new(end)),
        config.clone(),
    )
    .unwrap();
    assert_eq!(bodies(&mut Session::new(reopened.clone())), want);
    check(&reopened, table, config.limits);
}

/// A primary or index key longer than a tree key may be fails with PostgreSQL's 54000
/// "index row size" error and writes nothing; the same value in a column that is not a
/// key is stored out of line.
#[test]
fn an_over_long_key_is_54000_but_a_long_value_is_stored() {
    let (e, _wal) = engine(EngineConfig::default());
    let mut s = Session::new(e.clone());
    exec(&mut s, "CREATE TABLE k (name text PRIMARY KEY, note text)").unwrap();
    exec(&mut s, "CREATE INDEX k_note ON k (note)").unwrap();
    let long = "n".repeat(3000);
    let err = exec(&mut s, &format!("INSERT INTO k VALUES ('{long}', 'x')")).unwrap_err();
    assert_eq!(err.code(), "54000", "{err}");
    assert!(err.to_string().contains("index row size"), "{err}");
    assert!(err.to_string().contains("k_pkey"), "{err}");
    let err = exec(&mut s, &format!("INSERT INTO k VALUES ('a', '{long}')")).unwrap_err();
    assert_eq!(err.code(), "54000", "{err}");
    assert!(err.to_string().contains("k_note"), "{err}");
    assert_eq!(rows(&mut s, "SELECT count(*) FROM k"), [["0"]]);
    exec(&mut s, "DROP INDEX k_note").unwrap();
    exec(&mut s, &format!("INSERT INTO k VALUES ('a', '{long}')")).unwrap();
    assert_eq!(rows(&mut s, "SELECT note FROM k"), [[long]]);
}

/// The compute's sweeper task does what [`a_sweep_reclaims_leaves_no_commit_writes_again`]
/// does by hand: dead entries in leaves no later commit writes are reclaimed with no
/// commit touching them, and an idle, clean database then gets no more sweep records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweeper_task_reclaims_leaves_no_commit_writes_again() {
    use compute::sweeper::{self, SweepConfig};
    use std::time::{Duration, Instant};
    let config = EngineConfig {
        sweep_leaves: 0, // no sweeping inside commits: only the sweeper
        ..small_pages()
    };
    let (e, _wal) = engine(config.clone());
    let index = tokio::task::block_in_place(|| {
        let mut s = Session::new(e.clone());
        Churn::setup(&mut s, "t", 300);
        exec(&mut s, "UPDATE t SET n = n + 1000000").unwrap();
        exec(&mut s, "UPDATE t SET pad = 'x' WHERE id = 0").unwrap();
        table_rels(&e, "t").1
    });
    let before = check(&e, index, config.limits);
    assert!(before.entries >= 600, "{before:?}");
    let cancel = tokio_util::sync::CancellationToken::new();
    let sweeping = tokio::spawn(sweeper::run(
        e.clone(),
        SweepConfig {
            every: Duration::from_millis(10),
            leaves: 8,
        },
        cancel.clone(),
    ));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let now = check(&e, index, config.limits);
        if now.entries == 300 && now.free > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the sweeper left {now:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Once settled, an idle, clean database gets no more records: the WAL stops growing
    // (a quiet window of 50 sweep periods; merges still in progress may take a while under
    // load).
    let mut end = e.durable_lsn();
    let mut quiet_since = Instant::now();
    while quiet_since.elapsed() < Duration::from_millis(500) {
        assert!(
            Instant::now() < deadline,
            "the sweeper keeps writing records on an idle database"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = e.durable_lsn();
        if now != end {
            (end, quiet_since) = (now, Instant::now());
        }
    }
    cancel.cancel();
    let written = sweeping.await.unwrap();
    assert!(written > 0);
}
