//! Property tests: the B-link tree behaves like a `BTreeMap<Vec<u8>, Vec<u8>>`, with
//! merges, free-list reuse and out-of-line values, and concurrent readers never miss a
//! key while a record's pages are published.
//!
//! Random inserts (including replacements, and values too large for an entry, which go
//! out of line), deletes and bounded range scans run as records on a tree with 512-byte
//! nodes, so a few hundred keys make it 3–4 levels deep. Each record ends as the engine's
//! do: the under-full nodes among the leaves it changed are merged
//! ([`BTree::rebalance`]); blocks freed by earlier records are reused once a random
//! "oldest reader" passes them. After every record the reported [`ChangedPages`] must
//! cover every page that changed; after every batch the whole tree must pass
//! `BTree::check` (which also proves that every block is a node, an overflow page, a
//! free-list page or a free block, exactly once) and match the model by point reads and
//! a full scan. In the publish-order runs, every record's pages are also revealed one at a
//! time, in `publish_order`, to readers that descend and scan while the pages change
//! under them: every key the record did not touch is found with its value, and scans are
//! ordered without duplicates.
//!
//! `PROPTEST_CASES=n` scales the number of cases (default 12).

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use compute::btree::{BTree, ChangedPages, Limits, MemPageStore, PageStore, Space};
use compute::{Error, Result};
use proptest::prelude::*;
use proto::page::Page;
use proto::{BlockNo, Lsn};

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Keys of varying length (not prefix-free: the raw tree doesn't care).
fn key(k: u16) -> Vec<u8> {
    let mut v = k.to_be_bytes().to_vec();
    v.extend(std::iter::repeat_n(b'x', (k % 13) as usize));
    v
}

/// A value of `len` bytes (past ~100 bytes it no longer fits a 512-byte node's entry).
fn value(k: u16, len: u16) -> Vec<u8> {
    (0..len).map(|i| (k as u8) ^ (i as u8) ^ 0x5a).collect()
}

#[derive(Debug, Clone)]
enum Op {
    Insert(u16, u16),
    Delete(u16),
    Scan(Bound<u16>, Bound<u16>),
    /// The next operation joins the current record.
    SameRecord,
}

fn bound() -> impl Strategy<Value = Bound<u16>> {
    prop_oneof![
        Just(Bound::Unbounded),
        (0u16..400).prop_map(Bound::Included),
        (0u16..400).prop_map(Bound::Excluded),
    ]
}

fn value_len() -> impl Strategy<Value = u16> {
    prop_oneof![
        12 => 0u16..60,
        2 => 100u16..1500,
        1 => 1500u16..9000,
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u16..400, value_len()).prop_map(|(k, l)| Op::Insert(k, l)),
        5 => (0u16..400).prop_map(Op::Delete),
        1 => (bound(), bound()).prop_map(|(lo, hi)| Op::Scan(lo, hi)),
        2 => Just(Op::SameRecord),
    ]
}

fn bytes_bound(b: &Bound<u16>) -> Bound<Vec<u8>> {
    b.as_ref().map(|k| key(*k))
}

/// Every page that differs between `before` and `after` is in `changed`.
fn assert_changes_reported(before: &MemPageStore, after: &MemPageStore, changed: &ChangedPages) {
    for block in 0..after.block_count() {
        if block >= before.block_count() {
            let c = changed.get(block).expect("new page reported");
            assert!(c.is_new, "block {block} is new");
        } else {
            let (b, a) = (before.read(block).unwrap(), after.read(block).unwrap());
            if !Arc::ptr_eq(&b, &a) {
                assert!(changed.contains(block), "block {block} changed unreported");
            }
        }
    }
}

/// Every `(key, whole value)` in key order.
fn contents<S: PageStore>(
    tree: &BTree<S>,
    lo: Bound<&[u8]>,
    hi: Bound<&[u8]>,
) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    tree.range(lo, hi, Lsn::MAX)?
        .map(|e| {
            let e = e?;
            let v = tree.resolve(&e, Lsn::MAX)?;
            Ok((e.key, v))
        })
        .collect()
}

/// A read-only store that moves through `versions` while it is read: after
/// every `step` reads the next version becomes visible, like a writer
/// publishing pages one by one while a reader descends or scans.
pub(crate) struct PublishingStore {
    versions: Vec<MemPageStore>,
    reads: std::cell::Cell<usize>,
    step: usize,
}

impl PageStore for PublishingStore {
    fn read(&self, block: BlockNo) -> Result<Arc<Page>> {
        let n = self.reads.get();
        self.reads.set(n + 1);
        let v = (n / self.step).min(self.versions.len() - 1);
        self.versions[v].read(block)
    }

    fn allocate(&mut self) -> Result<BlockNo> {
        Err(Error::PageUnavailable {
            block: 0,
            reason: "read-only".into(),
        })
    }

    fn write(&mut self, block: BlockNo, _: Box<Page>) -> Result<()> {
        Err(Error::PageUnavailable {
            block,
            reason: "read-only".into(),
        })
    }

    fn block_count(&self) -> u32 {
        self.versions.last().map_or(0, MemPageStore::block_count)
    }
}

/// The store after each prefix of `order` is published over `before`.
fn publish_steps(
    before: &MemPageStore,
    after: &MemPageStore,
    order: &[BlockNo],
) -> Vec<MemPageStore> {
    (0..=order.len())
        .map(|n| {
            let mut mixed = before.clone();
            while mixed.block_count() < after.block_count() {
                mixed.allocate().unwrap();
            }
            for &b in &order[..n] {
                mixed.write(b, Box::new(*after.read(b).unwrap())).unwrap();
            }
            mixed
        })
        .collect()
}

/// Readers over every prefix of the record's publish order (fixed), and with the pages
/// changing under them every 1–3 reads (moving), find every key of `stable` (keys the
/// record did not touch) with its value; scans are ordered, without duplicates, and
/// hold every stable key.
fn check_publish_order(
    before: &MemPageStore,
    after: &MemPageStore,
    changed: &ChangedPages,
    limits: Limits,
    stable: &BTreeMap<Vec<u8>, Vec<u8>>,
) {
    let order = changed.publish_order();
    if order.len() < 2 {
        return;
    }
    let steps = publish_steps(before, after, &order);
    let fixed = (0..steps.len()).map(|n| (steps[n..=n].to_vec(), usize::MAX));
    let moving = (1..4).map(|step| (steps.clone(), step));
    for (versions, step) in fixed.chain(moving) {
        let view = BTree::open(
            PublishingStore {
                versions,
                reads: 0.into(),
                step,
            },
            limits,
        );
        for (k, v) in stable {
            assert_eq!(
                view.get(k, Lsn::MAX).unwrap().as_ref(),
                Some(v),
                "lost {k:?} (step {step}, order {order:?})"
            );
        }
        view.store().reads.set(0);
        let scanned = contents(&view, Bound::Unbounded, Bound::Unbounded).unwrap();
        assert!(
            scanned.windows(2).all(|w| w[0].0 < w[1].0),
            "scan out of order or repeated (step {step})"
        );
        let scanned: BTreeMap<Vec<u8>, Vec<u8>> = scanned.into_iter().collect();
        for (k, v) in stable {
            assert_eq!(scanned.get(k), Some(v), "scan lost {k:?} (step {step})");
        }
    }
}

/// What a run exercised.
#[derive(Debug, Default)]
struct Coverage {
    /// Records that merged nodes away, and that collapsed the root.
    merges: usize,
    collapses: usize,
    /// Blocks handed out again from the free list.
    reused: usize,
    /// Records with an out-of-line value written.
    external: usize,
}

/// Runs `ops` as records (see the module docs); `publish`: check every record's publish
/// order with concurrent readers.
fn run(ops: Vec<Op>, reader_lag: u64, publish: bool) -> Coverage {
    let mut coverage = Coverage::default();
    let limits = Limits::for_fill(512);
    let (mut tree, _) = BTree::create(MemPageStore::new(), limits).unwrap();
    let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    let mut stamp = 10u64;
    let mut i = 0;
    while i < ops.len() {
        // One record: ops up to the first one not joined by SameRecord.
        let mut record = vec![&ops[i]];
        i += 1;
        while i < ops.len() && matches!(ops[i], Op::SameRecord) {
            i += 1;
            if i < ops.len() {
                record.push(&ops[i]);
                i += 1;
            }
        }
        stamp += 10;
        // The oldest reader began `reader_lag` records ago: blocks freed before it may
        // be reused.
        tree.set_space(Space {
            stamp: Lsn(stamp),
            reuse_below: Some(Lsn(stamp.saturating_sub(10 * reader_lag))),
        });
        let before = tree.store().clone();
        let model_before = model.clone();
        let mut changed = ChangedPages::default();
        for op in record {
            let step_before = tree.store().clone();
            let step = match op {
                Op::Insert(k, len) => {
                    let c = tree.insert(&key(*k), &value(*k, *len)).unwrap();
                    model.insert(key(*k), value(*k, *len));
                    c
                }
                Op::Delete(k) => {
                    let (found, c) = tree.delete(&key(*k)).unwrap();
                    assert_eq!(found, model.remove(&key(*k)).is_some());
                    c
                }
                Op::Scan(lo, hi) => {
                    scan_matches(&tree, &model, lo, hi);
                    ChangedPages::default()
                }
                Op::SameRecord => ChangedPages::default(),
            };
            assert_changes_reported(&step_before, tree.store(), &step);
            changed.extend(step);
        }
        let step_before = tree.store().clone();
        let leaves: Vec<BlockNo> = changed.leaves().collect();
        let mut merged = ChangedPages::default();
        tree.rebalance(leaves, &mut merged).unwrap();
        assert_changes_reported(&step_before, tree.store(), &merged);
        changed.extend(merged);
        assert_changes_reported(&before, tree.store(), &changed);
        let dead = changed.iter().filter(|p| p.dead).count();
        coverage.merges += usize::from(dead > 0);
        coverage.collapses += usize::from(changed.get(0).is_some_and(|p| p.gained));
        coverage.reused += changed
            .iter()
            .filter(|p| p.is_new && p.block < before.block_count())
            .count();
        coverage.external += usize::from(changed.iter().any(|p| p.is_new && !p.node));
        if publish {
            let stable: BTreeMap<Vec<u8>, Vec<u8>> = model_before
                .iter()
                .filter(|(k, v)| model.get(*k) == Some(v))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            check_publish_order(&before, tree.store(), &changed, limits, &stable);
        }
        if stamp.is_multiple_of(200) || i == ops.len() {
            verify(&tree, &model);
        }
    }
    coverage
}

fn scan_matches(
    tree: &BTree<MemPageStore>,
    model: &BTreeMap<Vec<u8>, Vec<u8>>,
    lo: &Bound<u16>,
    hi: &Bound<u16>,
) {
    let (lo, hi) = (bytes_bound(lo), bytes_bound(hi));
    let got = contents(
        tree,
        lo.as_ref().map(Vec::as_slice),
        hi.as_ref().map(Vec::as_slice),
    )
    .unwrap();
    let valid = match (&lo, &hi) {
        (Bound::Included(a) | Bound::Excluded(a), Bound::Included(b) | Bound::Excluded(b)) => {
            a < b || (a == b && matches!((&lo, &hi), (Bound::Included(_), Bound::Included(_))))
        }
        _ => true,
    };
    let want: Vec<(Vec<u8>, Vec<u8>)> = if valid {
        model
            .range::<Vec<u8>, _>((lo.clone(), hi.clone()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    } else {
        Vec::new()
    };
    assert_eq!(got, want, "scan {lo:?}..{hi:?}");
}

/// The structural check, and the model by point reads and a full scan.
fn verify(tree: &BTree<MemPageStore>, model: &BTreeMap<Vec<u8>, Vec<u8>>) {
    let stats = tree.check().unwrap();
    assert_eq!(stats.entries, model.len());
    for k in (0u16..400).step_by(7) {
        assert_eq!(
            tree.get(&key(k), Lsn::MAX).unwrap(),
            model.get(&key(k)).cloned()
        );
    }
    let all = contents(tree, Bound::Unbounded, Bound::Unbounded).unwrap();
    assert!(all.iter().map(|(k, v)| (k, v)).eq(model.iter()));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(12)))]

    #[test]
    fn btree_matches_model(ops in proptest::collection::vec(op(), 100..500), lag in 0u64..4) {
        run(ops, lag, false);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(6)))]

    /// Splits, merges, root collapses, reuse and out-of-line values, record by record,
    /// revealed page by page to concurrent readers.
    #[test]
    fn readers_never_miss_a_key_while_records_publish(
        ops in proptest::collection::vec(op(), 50..250),
        lag in 0u64..3,
    ) {
        run(ops, lag, true);
    }
}

/// A fixed run with readers at every publish step that exercises every kind of change.
#[test]
fn a_fixed_churn_exercises_merges_reuse_collapses_and_overflow() {
    let ops: Vec<Op> = (0..900u32)
        .map(|i| {
            let k = ((i * 7919) % 200) as u16;
            match i % 9 {
                0 => Op::Insert(k, 700 + (i % 5) as u16 * 900),
                1 | 4 | 6 => Op::Delete(k),
                2 => Op::SameRecord,
                _ => Op::Insert(k, (i % 50) as u16),
            }
        })
        .chain((0..200u16).map(Op::Delete))
        .collect();
    let coverage = run(ops, 1, true);
    assert!(
        coverage.merges > 10
            && coverage.collapses > 0
            && coverage.reused > 10
            && coverage.external > 10,
        "{coverage:?}"
    );
}

/// A fixed, longer run; a tree that reaches four levels; then every key deleted: the
/// tree shrinks back to a lone root leaf and every other block is on the free list, and
/// a second fill reuses them instead of growing the relation.
#[test]
fn deep_tree_matches_model_and_shrinks_back() {
    let ops: Vec<Op> = (0..1500u32)
        .map(|i| {
            let k = ((i * 7919) % 400) as u16;
            if i % 5 == 4 {
                Op::Delete(k)
            } else {
                Op::Insert(k, (i % 60) as u16)
            }
        })
        .collect();
    run(ops, 0, false);

    let (mut tree, _) = BTree::create(MemPageStore::new(), Limits::for_fill(256)).unwrap();
    let mut stamp = 10;
    let mut next_record = |tree: &mut BTree<MemPageStore>| {
        stamp += 10;
        tree.set_space(Space {
            stamp: Lsn(stamp),
            reuse_below: Some(Lsn(stamp)),
        });
    };
    let fill = |tree: &mut BTree<MemPageStore>,
                next_record: &mut dyn FnMut(&mut BTree<MemPageStore>)| {
        for i in 0..3000u32 {
            next_record(tree);
            let k = ((i * 7919) % 3000) as u16;
            tree.insert(&key(k), &value(k, 20)).unwrap();
        }
    };
    fill(&mut tree, &mut next_record);
    let stats = tree.check().unwrap();
    assert!(stats.height >= 4, "{stats:?}");
    assert_eq!(stats.entries, 3000);
    let keys: Vec<Vec<u8>> = tree
        .range(Bound::Unbounded, Bound::Unbounded, Lsn::MAX)
        .unwrap()
        .map(|r| r.unwrap().key)
        .collect();
    let mut want: Vec<Vec<u8>> = (0..3000u16).map(key).collect();
    want.sort();
    assert_eq!(keys, want);
    let grown = tree.store().block_count();

    for i in 0..3000u32 {
        next_record(&mut tree);
        let (found, changed) = tree.delete(&key(((i * 4099) % 3000) as u16)).unwrap();
        assert!(found);
        let mut merged = ChangedPages::default();
        tree.rebalance(changed.leaves().collect::<Vec<_>>(), &mut merged)
            .unwrap();
    }
    let stats = tree.check().unwrap();
    assert_eq!(
        (stats.height, stats.pages, stats.entries),
        (1, 1, 0),
        "{stats:?}"
    );
    let emptied = tree.store().block_count();
    assert_eq!(
        stats.free + stats.free_list_pages + 1,
        emptied as usize,
        "{stats:?}"
    );
    assert!(
        emptied <= grown + grown / 8,
        "{grown} blocks full, {emptied} emptied"
    );

    fill(&mut tree, &mut next_record);
    let stats = tree.check().unwrap();
    assert_eq!(stats.entries, 3000);
    assert!(
        tree.store().block_count() <= emptied + 2,
        "refilling grew the relation from {emptied} to {} blocks",
        tree.store().block_count()
    );
}
