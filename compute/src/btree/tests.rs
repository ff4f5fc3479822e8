//! Unit tests of the B-link tree: basics, splits, publish order, pruning,
//! and corrupt pages.

use std::ops::Bound;

use std::sync::Arc;

use proto::Lsn;
use proto::page::{PAGE_SIZE, Page};

use super::*;

fn key(i: u32) -> Vec<u8> {
    format!("k{i:06}").into_bytes()
}

fn small_tree() -> BTree<MemPageStore> {
    BTree::create(MemPageStore::new(), Limits::for_fill(512))
        .expect("create")
        .0
}

fn scan(tree: &BTree<MemPageStore>, lo: Bound<&[u8]>, hi: Bound<&[u8]>) -> Vec<Vec<u8>> {
    tree.range(lo, hi, Lsn::MAX)
        .expect("seek")
        .map(|r| r.expect("scan").key)
        .collect()
}

#[test]
fn insert_get_delete_scan() {
    let mut tree = small_tree();
    assert_eq!(tree.get(b"a", Lsn::MAX).unwrap(), None);
    for k in [b"b", b"a", b"c"] {
        tree.insert(k, k).unwrap();
    }
    tree.insert(b"b", b"B").unwrap();
    assert_eq!(tree.get(b"b", Lsn::MAX).unwrap(), Some(b"B".to_vec()));
    assert!(tree.delete(b"a").unwrap().0);
    assert!(!tree.delete(b"a").unwrap().0);
    let all = scan(&tree, Bound::Unbounded, Bound::Unbounded);
    assert_eq!(all, vec![b"b".to_vec(), b"c".to_vec()]);
    let stats = tree.check().unwrap();
    assert_eq!((stats.height, stats.entries), (1, 2));
}

#[test]
fn multi_level_splits_and_bounds() {
    let mut tree = small_tree();
    // Interleaved order: both append and middle splits.
    for i in (0..600).step_by(2).chain((1..600).step_by(2)) {
        tree.insert(&key(i), &[i as u8; 20]).unwrap();
    }
    let stats = tree.check().unwrap();
    assert!(stats.height >= 3, "{stats:?}");
    assert_eq!(stats.entries, 600);
    for i in 0..600 {
        assert_eq!(
            tree.get(&key(i), Lsn::MAX).unwrap(),
            Some(vec![i as u8; 20])
        );
    }
    let (lo, hi) = (key(100), key(200));
    let got = scan(&tree, Bound::Excluded(&lo), Bound::Included(&hi));
    assert_eq!(got, (101..=200).map(key).collect::<Vec<_>>());
    let got = scan(&tree, Bound::Included(&lo), Bound::Excluded(&hi));
    assert_eq!(got, (100..200).map(key).collect::<Vec<_>>());
    assert!(scan(&tree, Bound::Included(&hi), Bound::Excluded(&lo)).is_empty());
}

#[test]
fn ascending_loads_fill_pages() {
    let mut tree = small_tree();
    for i in 0..400 {
        tree.insert(&key(i), &[0; 20]).unwrap();
    }
    let stats = tree.check().unwrap();
    // 4 + 2 + 7 + 20 = 33 bytes per entry; 512-byte nodes hold ~14 of them.
    assert!(stats.leaves <= 400 / 12, "{stats:?}");
}

#[test]
fn limits_are_enforced() {
    let mut tree = small_tree();
    let l = tree.limits();
    assert!(matches!(
        tree.insert(&vec![1; l.max_key + 1], b""),
        Err(Error::KeyTooLarge { .. })
    ));
    // A value too large for an entry goes out of line; only an in-line prefix that
    // does not fit is refused.
    tree.insert(b"k", &vec![1; l.max_entry]).unwrap();
    assert_eq!(
        tree.get(b"k", Lsn::MAX).unwrap(),
        Some(vec![1; l.max_entry])
    );
    assert!(matches!(
        tree.insert_parts(b"k", &vec![1; l.max_entry], b"rest"),
        Err(Error::RowTooLarge { .. })
    ));
    // The largest entries still split fine.
    for i in 0..50u8 {
        let k = vec![i; l.max_key];
        tree.insert(&k, &vec![i; l.max_entry - 2 - l.max_key])
            .unwrap();
    }
    tree.check().unwrap();
    let full = Limits::FULL_PAGE;
    assert_eq!((full.max_key, full.max_entry), (509, 2022));
}

/// A read-only store that moves through `versions` while it is read: after
/// every `step` reads the next version becomes visible, like a writer
/// publishing pages one by one while a reader descends or scans.
struct PublishingStore {
    versions: Vec<MemPageStore>,
    reads: std::cell::Cell<usize>,
    step: usize,
}

impl PageStore for PublishingStore {
    fn read(&self, block: proto::BlockNo) -> Result<Arc<Page>> {
        let n = self.reads.get();
        self.reads.set(n + 1);
        let v = (n / self.step).min(self.versions.len() - 1);
        self.versions[v].read(block)
    }

    fn allocate(&mut self) -> Result<proto::BlockNo> {
        Err(Error::PageUnavailable {
            block: 0,
            reason: "read-only".into(),
        })
    }

    fn write(&mut self, block: proto::BlockNo, _: Box<Page>) -> Result<()> {
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
fn publish_steps(before: &MemPageStore, after: &MemPageStore, order: &[u32]) -> Vec<MemPageStore> {
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

/// B-link readers find every key while a write's pages are published in
/// `publish_order`: at every fixed step, and when the pages change under a
/// reader mid-descent or mid-scan. Scans never yield a key twice.
#[test]
fn readers_find_keys_while_pages_are_published() {
    let mut tree = small_tree();
    let mut present: Vec<Vec<u8>> = Vec::new();
    let mut splits = 0;
    for i in 0..300u32 {
        let k = key((i * 7919) % 1000);
        let before = tree.store().clone();
        let changed = tree.insert(&k, &[7; 24]).unwrap();
        let order = changed.publish_order();
        if order.len() > 1 {
            splits += 1;
            let steps = publish_steps(&before, tree.store(), &order);
            let fixed = (0..steps.len()).map(|n| (steps[n..=n].to_vec(), usize::MAX));
            let moving = (1..4).map(|step| (steps.clone(), step));
            for (versions, step) in fixed.chain(moving) {
                let store = PublishingStore {
                    versions,
                    reads: 0.into(),
                    step,
                };
                let view = BTree::open(store, tree.limits());
                for p in &present {
                    assert!(
                        view.get(p, Lsn::MAX).unwrap().is_some(),
                        "lost {p:?} (step {step})"
                    );
                }
                view.store().reads.set(0);
                let scanned: Vec<Vec<u8>> = view
                    .range(Bound::Unbounded, Bound::Unbounded, Lsn::MAX)
                    .unwrap()
                    .map(|r| r.unwrap().key)
                    .collect();
                assert!(scanned.windows(2).all(|w| w[0] < w[1]), "scan out of order");
                assert!(present.iter().all(|p| scanned.binary_search(p).is_ok()));
            }
        }
        present.push(k);
        present.sort();
        present.dedup();
    }
    assert!(splits > 20, "only {splits} splits");
    tree.check().unwrap();
}

#[test]
fn publish_order_is_new_then_leaves_then_parents() {
    let mut tree = small_tree();
    let mut all = ChangedPages::default();
    for i in 0..100 {
        all.extend(tree.insert(&key(i), &[0; 30]).unwrap());
    }
    let order = all.publish_order();
    let first_old = order.iter().position(|b| !all.get(*b).unwrap().is_new);
    if let Some(first_old) = first_old {
        assert!(
            order[first_old..]
                .iter()
                .all(|b| !all.get(*b).unwrap().is_new)
        );
        let levels: Vec<u16> = order[first_old..]
            .iter()
            .map(|b| all.get(*b).unwrap().level)
            .collect();
        assert!(levels.windows(2).all(|w| w[0] <= w[1]));
    }
    assert_eq!(all.len() as u32, tree.store().block_count());
}

#[test]
fn prune_sets_prune_lsn_and_splits_inherit_it() {
    let mut tree = small_tree();
    for i in 0..40 {
        tree.insert(&key(i), b"v").unwrap();
    }
    let changed = tree
        .prune(Lsn(500), |k, _| Ok(k == key(3).as_slice()))
        .unwrap();
    assert_eq!(changed.len(), 1);
    let err = tree.get(&key(4), Lsn(400)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::NeedsOldSnapshot {
                prune_lsn: Lsn(500),
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(tree.get(&key(4), Lsn(500)).unwrap(), Some(b"v".to_vec()));
    // A later, lower horizon never lowers it.
    tree.prune(Lsn(100), |k, _| Ok(k == key(4).as_slice()))
        .unwrap();
    assert!(tree.get(&key(5), Lsn(499)).is_err());
    // Split the pruned leaf: both halves still refuse the old snapshot.
    for i in 0..40 {
        tree.insert(&key(i), &[1; 60]).unwrap();
    }
    tree.check().unwrap();
    let refused = (0..40)
        .filter(|&i| tree.get(&key(i), Lsn(400)).is_err())
        .count();
    assert!(refused > 8, "only {refused} keys refused");
    let refused_scan = match tree.range(Bound::Unbounded, Bound::Unbounded, Lsn(400)) {
        Err(e) => matches!(e, Error::NeedsOldSnapshot { .. }),
        Ok(mut cursor) => cursor.any(|r| matches!(r, Err(Error::NeedsOldSnapshot { .. }))),
    };
    assert!(refused_scan);
}

#[test]
fn corrupt_pages_are_errors() {
    let mut tree = small_tree();
    for i in 0..200 {
        tree.insert(&key(i), b"v").unwrap();
    }
    let mut store = tree.into_store();
    for block in 0..store.block_count() {
        for seed in 0..20u32 {
            let mut page: Box<Page> = Box::new(*store.read(block).unwrap());
            let at = 12 + (seed as usize * 409 + block as usize * 31) % (PAGE_SIZE - 12);
            page[at] ^= 0x5a;
            let saved = store.read(block).unwrap();
            store.write(block, page).unwrap();
            let tree = BTree::open(store, Limits::for_fill(512));
            // Any outcome but a panic is fine; most are errors or still-valid.
            let _ = tree.get(&key(seed * 7), Lsn::MAX);
            let _ = tree
                .range(Bound::Unbounded, Bound::Unbounded, Lsn::MAX)
                .map(|c| c.count());
            let _ = tree.check();
            store = tree.into_store();
            store.write(block, Box::new(*saved)).unwrap();
        }
    }
    store.write(1, Box::new([0xAB; PAGE_SIZE])).unwrap();
    let tree = BTree::open(store, Limits::for_fill(512));
    assert!(matches!(tree.check(), Err(Error::Corrupt { block: 1, .. })));
}
