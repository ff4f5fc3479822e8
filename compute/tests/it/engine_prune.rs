//! Pruning of old row versions by the commit's serial step, against the snapshots in use:
//! a table updated over and over stays the same size once no snapshot needs its old
//! versions; a transaction's snapshot holds them while it lives; an old fixed snapshot on a
//! cached engine (real pageserver in process) reads pruned leaves as of its LSN from the
//! pageserver, and once the pageserver's GC passed such a snapshot, fails with "snapshot
//! too old" (72000).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::engine_common::{engine, exec, rows, small_pages};
use crate::page_cache_pageserver::{cached_engine_with, small_cache, start_pageserver};
use compute::engine::Engine;
use compute::slotted_page::SlottedPage;
use proto::{Lsn, PageKey, RelId};
use sql::Session;
use sql::storage::{Access, Storage, Txn};

const ROWS: i64 = 40;

fn setup(e: &Engine, s: &mut Session<Engine>) -> (RelId, RelId) {
    exec(
        s,
        "CREATE TABLE t (id int8 PRIMARY KEY, n int8 NOT NULL, pad text)",
    )
    .unwrap();
    exec(s, "CREATE INDEX t_n ON t (n)").unwrap();
    let values: Vec<String> = (0..ROWS).map(|i| format!("({i}, {i}, 'row{i}')")).collect();
    exec(s, &format!("INSERT INTO t VALUES {}", values.join(", "))).unwrap();
    let mut cat = e.begin(sql::storage::Isolation::ReadCommitted).unwrap();
    cat.begin_statement().unwrap();
    let id = cat.catalog().unwrap().table("t").unwrap().id;
    cat.rollback();
    let entry = e.latest_catalog().tables[&id].clone();
    (entry.rel, entry.index_rel_at(0))
}

fn blocks(e: &Engine, rel: RelId) -> u32 {
    e.pages().try_block_count(rel).unwrap()
}

/// Every row gets a new version, and a new index entry: `n` cycles through `0..ROWS`, so
/// the index's leaves are written again and again (a key that only grows would leave dead
/// entries in leaves no commit writes again: opportunistic pruning cannot reach those).
fn update_all(s: &mut Session<Engine>, times: usize) {
    for _ in 0..times {
        exec(s, &format!("UPDATE t SET n = (n + 1) % {ROWS}")).unwrap();
    }
}

/// Sum of `n` and the ids found through the index, as the session sees them.
fn answers(s: &mut Session<Engine>) -> (String, usize) {
    let sum = rows(s, "SELECT sum(n) FROM t")[0][0].clone();
    let via_index = rows(s, "SELECT id FROM t WHERE n >= 0").len();
    (sum, via_index)
}

#[test]
fn repeated_updates_stay_bounded_and_held_snapshots_keep_their_versions() {
    let (e, _wal) = engine(small_pages());
    let mut s = Session::new(e.clone());
    let (table, index) = setup(&e, &mut s);
    let original = (((ROWS - 1) * ROWS / 2).to_string(), ROWS as usize);
    assert_eq!(answers(&mut s), original);

    // A Repeatable Read transaction holds its snapshot: its versions survive any number
    // of updates (resident pages have no history to fall back on, so a wrong prune would
    // fail its reads or change its answers).
    let mut old = Session::new(e.clone());
    exec(&mut old, "BEGIN ISOLATION LEVEL REPEATABLE READ").unwrap();
    assert_eq!(answers(&mut old), original);
    let held = e.prune_horizon();
    update_all(&mut s, 30);
    assert_eq!(
        e.prune_horizon(),
        held,
        "the open transaction holds the horizon"
    );
    assert_eq!(
        answers(&mut old),
        original,
        "the held snapshot reads its rows"
    );
    let grown = blocks(&e, table);
    exec(&mut old, "COMMIT").unwrap();
    assert!(e.prune_horizon() > held, "released");

    // With no snapshot holding them, the next writes prune the dead versions of every
    // leaf they touch: hundreds more updates do not grow either tree.
    update_all(&mut s, 5);
    let (t_blocks, i_blocks) = (blocks(&e, table), blocks(&e, index));
    update_all(&mut s, 200);
    assert_eq!(
        blocks(&e, table),
        t_blocks,
        "table grew: versions not pruned"
    );
    assert_eq!(
        blocks(&e, index),
        i_blocks,
        "index grew: entries not pruned"
    );
    assert!(
        t_blocks < grown + 4,
        "{t_blocks} blocks after pruning, {grown} before"
    );
    assert_eq!(answers(&mut s), original, "n is a permutation of 0..ROWS");
    assert_eq!(
        rows(&mut s, "SELECT n FROM t WHERE id = 0"),
        [[(235 % ROWS).to_string()]]
    );

    assert!(
        pruned_leaves(&e, table, held) > 0,
        "no leaf carries a prune LSN"
    );
}

/// Leaves of `rel` (latest versions) pruned past `snapshot`.
fn pruned_leaves(e: &Engine, rel: RelId, snapshot: Lsn) -> usize {
    (0..blocks(e, rel))
        .filter(|&block| {
            let page = e.pages().get(PageKey { rel, block }).unwrap().unwrap();
            let sp = SlottedPage::open(block, &*page).unwrap();
            sp.level() == 0 && sp.prune_lsn() > snapshot
        })
        .count()
}

#[test]
fn an_old_fixed_snapshot_reads_pruned_leaves_from_the_pageserver() {
    let env = start_pageserver();
    let (e, _cache) = cached_engine_with(&env, Lsn::TIMELINE_START, small_cache(), small_pages());
    let mut s = Session::new(e.clone());
    let (table, _) = setup(&e, &mut s);
    let original = (((ROWS - 1) * ROWS / 2).to_string(), ROWS as usize);

    // Opened before the updates; it does not hold the horizon on a cached engine.
    let before = e.durable_lsn();
    let mut old = e.begin_at(before);
    old.begin_statement().unwrap();
    let id = old.catalog().unwrap().table("t").unwrap().id;

    update_all(&mut s, 5);
    let t_blocks = blocks(&e, table);
    update_all(&mut s, 100);
    assert_eq!(
        blocks(&e, table),
        t_blocks,
        "table grew: versions not pruned"
    );
    assert!(e.prune_horizon() > before);
    assert!(
        pruned_leaves(&e, table, before) > 0,
        "nothing pruned past it"
    );

    // Its reads hit leaves pruned past it and continue on pages as of its snapshot.
    let scanned: Vec<_> = old
        .scan(id, &Access::Full)
        .unwrap()
        .collect::<sql::Result<Vec<_>>>()
        .unwrap();
    let sum: i64 = scanned
        .iter()
        .map(|r| match r.row[1] {
            sql::Value::Int(n) => n,
            ref v => panic!("n = {v:?}"),
        })
        .sum();
    assert_eq!((sum.to_string(), scanned.len()), original);
    // An index probe too (both trees re-read as of the snapshot).
    let range = sql::storage::KeyRange::ALL;
    let via_index = old
        .scan(
            id,
            &Access::IndexRange {
                index: "t_n".into(),
                range,
            },
        )
        .unwrap()
        .count();
    assert_eq!(via_index, ROWS as usize);
    old.rollback();
    // A new fixed snapshot at that LSN reads the catalog as of it, too.
    let mut again = e.begin_at(before);
    again.begin_statement().unwrap();
    assert!(again.catalog().unwrap().table("t").is_some());
}

/// Past what the pageserver keeps: once its GC passed an old snapshot (no lease holds it),
/// a read of a leaf pruned past the snapshot fails with PostgreSQL's "snapshot too old"
/// (72000), never with other rows, on a table scan and an index probe alike; a new
/// transaction reads the current rows.
#[test]
fn a_snapshot_gc_passed_fails_with_snapshot_too_old() {
    let env = start_pageserver();
    let (e, _cache) = cached_engine_with(&env, Lsn::TIMELINE_START, small_cache(), small_pages());
    let mut s = Session::new(e.clone());
    let (table, _) = setup(&e, &mut s);
    let before = e.durable_lsn();
    let mut old = e.begin_at(before);
    old.begin_statement().unwrap();
    let id = old.catalog().unwrap().table("t").unwrap().id;
    update_all(&mut s, 30);
    assert!(
        pruned_leaves(&e, table, before) > 0,
        "nothing pruned past it"
    );
    let cutoff = env.gc_to(e.durable_lsn());
    assert!(cutoff > before, "GC did not pass the snapshot: {cutoff}");

    let scanned = old
        .scan(id, &Access::Full)
        .and_then(|rows| rows.collect::<sql::Result<Vec<_>>>());
    let err = scanned.expect_err("a snapshot GC passed read rows");
    assert_eq!(err.code(), "72000", "{err:?}");
    assert_eq!(err.to_string(), "snapshot too old");
    let detail = err.detail().unwrap_or_default();
    assert!(
        detail.contains(&before.to_string()) && detail.contains("GC horizon"),
        "{detail}"
    );
    let probe = old
        .scan(
            id,
            &Access::IndexRange {
                index: "t_n".into(),
                range: sql::storage::KeyRange::ALL,
            },
        )
        .and_then(|rows| rows.collect::<sql::Result<Vec<_>>>());
    assert_eq!(probe.expect_err("index probe").code(), "72000");
    old.rollback();

    // A new snapshot is above the cutoff: its reads work.
    let (sum, via_index) = answers(&mut s);
    assert_eq!(
        (sum, via_index),
        (((ROWS - 1) * ROWS / 2).to_string(), ROWS as usize)
    );
}

/// Transfers commit (and prune) concurrently with Repeatable Read readers that sum the
/// balances over several statements: every reader's snapshot keeps the versions it reads,
/// so every sum is the total, and no read is refused.
#[test]
fn concurrent_pruning_never_takes_a_version_a_reader_holds() {
    const ACCOUNTS: u64 = 30;
    let (e, _wal) = engine(small_pages());
    let mut s = Session::new(e.clone());
    exec(
        &mut s,
        "CREATE TABLE acct (id int8 PRIMARY KEY, bal int8 NOT NULL)",
    )
    .unwrap();
    let values: Vec<String> = (0..ACCOUNTS).map(|i| format!("({i}, 1000)")).collect();
    exec(
        &mut s,
        &format!("INSERT INTO acct VALUES {}", values.join(", ")),
    )
    .unwrap();
    let total = (ACCOUNTS * 1000).to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..3u64)
        .map(|t| {
            let (e, stop) = (e.clone(), stop.clone());
            thread::spawn(move || {
                let mut s = Session::new(e);
                let mut x = t * 0x9E37_79B9 + 1;
                let mut done = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let (from, to, amount) = (x % ACCOUNTS, (x >> 20) % ACCOUNTS, (x >> 40) % 50);
                    let r = exec(&mut s, "BEGIN")
                        .and_then(|_| {
                            let sql =
                                format!("UPDATE acct SET bal = bal - {amount} WHERE id = {from}");
                            exec(&mut s, &sql)
                        })
                        .and_then(|_| {
                            let sql =
                                format!("UPDATE acct SET bal = bal + {amount} WHERE id = {to}");
                            exec(&mut s, &sql)
                        })
                        .and_then(|_| exec(&mut s, "COMMIT"));
                    match r {
                        Ok(_) => done += 1,
                        Err(err) => {
                            assert!(matches!(err.code(), "40P01" | "40001"), "{err}");
                            exec(&mut s, "ROLLBACK").ok();
                        }
                    }
                }
                done
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_millis(1500);
    let mut reads = 0;
    while Instant::now() < deadline {
        exec(&mut s, "BEGIN ISOLATION LEVEL REPEATABLE READ").unwrap();
        for _ in 0..3 {
            assert_eq!(rows(&mut s, "SELECT sum(bal) FROM acct"), [[total.clone()]]);
            thread::sleep(Duration::from_millis(5));
            reads += 1;
        }
        exec(&mut s, "COMMIT").unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    let committed: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert!(committed > 0 && reads > 0);
    assert_eq!(rows(&mut s, "SELECT sum(bal) FROM acct"), [[total]]);
    // Pruning ran: far fewer leaf versions than updates.
    let table = e.latest_catalog().tables[&s_table_id(&e, "acct")].rel;
    assert!(
        blocks(&e, table) < 40,
        "{} blocks after {committed} transfers",
        blocks(&e, table)
    );
}

fn s_table_id(e: &Engine, name: &str) -> u32 {
    let mut t = e.begin(sql::storage::Isolation::ReadCommitted).unwrap();
    t.begin_statement().unwrap();
    let id = t.catalog().unwrap().table(name).unwrap().id;
    t.rollback();
    id
}
