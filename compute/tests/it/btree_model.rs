//! Property test: the B-link tree behaves like a `BTreeMap<Vec<u8>, Vec<u8>>`.
//!
//! Random inserts (including replacements), deletes and bounded range scans
//! on a tree with 512-byte nodes, so a few hundred keys make it 3–4 levels
//! deep. After every operation the reported [`ChangedPages`] must cover every
//! page that changed; after every batch the whole tree must pass
//! `BTree::check` and match the model by point reads and a full scan.
//!
//! `PROPTEST_CASES=n` scales the number of cases (default 12).

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use compute::btree::{BTree, ChangedPages, Limits, MemPageStore, PageStore};
use proptest::prelude::*;
use proto::Lsn;

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

fn value(k: u16, len: u8) -> Vec<u8> {
    vec![(k as u8) ^ len; len as usize]
}

#[derive(Debug, Clone)]
enum Op {
    Insert(u16, u8),
    Delete(u16),
    Scan(Bound<u16>, Bound<u16>),
}

fn bound() -> impl Strategy<Value = Bound<u16>> {
    prop_oneof![
        Just(Bound::Unbounded),
        (0u16..400).prop_map(Bound::Included),
        (0u16..400).prop_map(Bound::Excluded),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u16..400, 0u8..60).prop_map(|(k, l)| Op::Insert(k, l)),
        3 => (0u16..400).prop_map(Op::Delete),
        1 => (bound(), bound()).prop_map(|(lo, hi)| Op::Scan(lo, hi)),
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

fn run(ops: Vec<Op>) {
    let (mut tree, _) = BTree::create(MemPageStore::new(), Limits::for_fill(512)).unwrap();
    let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    for batch in ops.chunks(40) {
        for op in batch {
            let before = tree.store().clone();
            match op {
                Op::Insert(k, len) => {
                    let changed = tree.insert(&key(*k), &value(*k, *len)).unwrap();
                    model.insert(key(*k), value(*k, *len));
                    assert_changes_reported(&before, tree.store(), &changed);
                }
                Op::Delete(k) => {
                    let (found, changed) = tree.delete(&key(*k)).unwrap();
                    assert_eq!(found, model.remove(&key(*k)).is_some());
                    assert_changes_reported(&before, tree.store(), &changed);
                }
                Op::Scan(lo, hi) => {
                    let (lo, hi) = (bytes_bound(lo), bytes_bound(hi));
                    let lo_ref = lo.as_ref().map(Vec::as_slice);
                    let hi_ref = hi.as_ref().map(Vec::as_slice);
                    let got: Vec<(Vec<u8>, Vec<u8>)> = tree
                        .range(lo_ref, hi_ref, Lsn::MAX)
                        .unwrap()
                        .map(Result::unwrap)
                        .collect();
                    let valid = match (&lo, &hi) {
                        (
                            Bound::Included(a) | Bound::Excluded(a),
                            Bound::Included(b) | Bound::Excluded(b),
                        ) => {
                            a < b
                                || (a == b
                                    && matches!(
                                        (&lo, &hi),
                                        (Bound::Included(_), Bound::Included(_))
                                    ))
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
            }
        }
        let stats = tree.check().unwrap();
        assert_eq!(stats.entries, model.len());
        for k in (0u16..400).step_by(7) {
            assert_eq!(
                tree.get(&key(k), Lsn::MAX).unwrap(),
                model.get(&key(k)).cloned()
            );
        }
        let all: Vec<(Vec<u8>, Vec<u8>)> = tree
            .range(Bound::Unbounded, Bound::Unbounded, Lsn::MAX)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(all.iter().map(|(k, v)| (k, v)).eq(model.iter()));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(12)))]

    #[test]
    fn btree_matches_model(ops in proptest::collection::vec(op(), 100..500)) {
        run(ops);
    }
}

/// A fixed, longer run, and a tree that reaches four levels.
#[test]
fn deep_tree_matches_model() {
    let ops: Vec<Op> = (0..1500u32)
        .map(|i| {
            let k = ((i * 7919) % 400) as u16;
            if i % 5 == 4 {
                Op::Delete(k)
            } else {
                Op::Insert(k, (i % 60) as u8)
            }
        })
        .collect();
    run(ops);
    let (mut tree, _) = BTree::create(MemPageStore::new(), Limits::for_fill(256)).unwrap();
    for i in 0..3000u32 {
        let k = ((i * 7919) % 3000) as u16;
        tree.insert(&key(k), &value(k, 20)).unwrap();
    }
    let stats = tree.check().unwrap();
    assert!(stats.height >= 4, "{stats:?}");
    assert_eq!(stats.entries, 3000);
    let keys: Vec<Vec<u8>> = tree
        .range(Bound::Unbounded, Bound::Unbounded, Lsn::MAX)
        .unwrap()
        .map(|r| r.unwrap().0)
        .collect();
    let mut want: Vec<Vec<u8>> = (0..3000u16).map(key).collect();
    want.sort();
    assert_eq!(keys, want);
}
