//! Property test: MVCC by LSN against a model that keeps every version.
//!
//! Operations run as WAL records: each record starts at the current LSN and
//! ends a few bytes later; snapshots are record ends. Random inserts,
//! updates and deletes (sometimes several in one record, which must
//! collapse), snapshots remembered along the way, and prunes at the oldest
//! held snapshot (releasing older ones) — of the whole tree, and, in the
//! opportunistic mode the commit path uses, of the leaves each write changed
//! (at the oldest held snapshot, or the write's record start if none) and of
//! full leaves before they split. After every batch, at every held
//! snapshot, point reads and range scans must equal the model; at released
//! snapshots they must equal the model or fail with `NeedsOldSnapshot`.
//! The tree must pass its structural check after every batch.
//!
//! `PROPTEST_CASES=n` scales the number of cases (default 12).

use std::collections::BTreeMap;
use std::ops::Bound;

use compute::btree::{ChangedPages, Limits, MemPageStore, PageStore};
use compute::keycodec::encode_key;
use compute::mvcc::{Version, VersionedTree};
use compute::{Error, Value};
use proptest::prelude::*;
use proto::Lsn;

type Rows = Vec<(Vec<u8>, Vec<u8>)>;

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn key(k: u16) -> Vec<u8> {
    encode_key(&[
        Value::Int4(k as i32 - 100),
        Value::Text(format!("{}", k % 3)),
    ])
}

#[derive(Debug, Clone)]
enum Op {
    Insert(u16, u8),
    Update(u16, u8),
    Delete(u16),
    /// The next write joins the current record instead of starting one.
    SameRecord,
    Snapshot,
    /// Release the `n` oldest held snapshots, then prune at the oldest
    /// remaining one (or the current LSN).
    Prune(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0u16..150, 0u8..40).prop_map(|(k, l)| Op::Insert(k, l)),
        4 => (0u16..150, 0u8..40).prop_map(|(k, l)| Op::Update(k, l)),
        2 => (0u16..150).prop_map(Op::Delete),
        1 => Just(Op::SameRecord),
        2 => Just(Op::Snapshot),
        1 => (0u8..3).prop_map(Op::Prune),
    ]
}

/// Every version ever written, newest first (the spec's rules, restated).
#[derive(Default)]
struct Model {
    rows: BTreeMap<Vec<u8>, Vec<Version>>,
}

impl Model {
    fn newest_live(&self, k: &[u8]) -> Option<&Version> {
        self.rows
            .get(k)
            .and_then(|v| v.first())
            .filter(|v| v.is_live())
    }

    fn write(&mut self, k: &[u8], payload: Option<Vec<u8>>, lsn: Lsn) {
        let versions = self.rows.entry(k.to_vec()).or_default();
        if let Some(old) = versions.first_mut().filter(|v| v.is_live()) {
            if old.created == lsn {
                versions.remove(0);
            } else {
                old.deleted = lsn;
            }
        }
        if let Some(payload) = payload {
            versions.insert(
                0,
                Version {
                    created: lsn,
                    deleted: Lsn::MAX,
                    payload,
                },
            );
        }
    }

    fn visible(&self, snapshot: Lsn) -> BTreeMap<Vec<u8>, Vec<u8>> {
        self.rows
            .iter()
            .filter_map(|(k, vs)| {
                vs.iter()
                    .find(|v| v.is_visible(snapshot))
                    .map(|v| (k.clone(), v.payload.clone()))
            })
            .collect()
    }
}

fn payload(k: u16, len: u8, lsn: Lsn) -> Vec<u8> {
    let mut p = lsn.0.to_le_bytes().to_vec();
    p.extend(std::iter::repeat_n(k as u8, len as usize));
    p
}

/// Checks reads at `snapshot`; `strict` snapshots must not be refused.
fn verify_at(tree: &VersionedTree<MemPageStore>, model: &Model, snapshot: Lsn, strict: bool) {
    let want = model.visible(snapshot);
    let refused = |e: &Error| !strict && matches!(e, Error::NeedsOldSnapshot { .. });
    for k in (0u16..150).step_by(5) {
        match tree.get(&key(k), snapshot) {
            Ok(got) => assert_eq!(got.as_ref(), want.get(&key(k)), "get {k} at {snapshot}"),
            Err(e) => assert!(refused(&e), "get {k} at {snapshot}: {e}"),
        }
    }
    let (lo, hi) = (key(30), key(90));
    for (lower, upper) in [
        (Bound::Unbounded, Bound::Unbounded),
        (
            Bound::Included(lo.as_slice()),
            Bound::Excluded(hi.as_slice()),
        ),
        (
            Bound::Excluded(lo.as_slice()),
            Bound::Included(hi.as_slice()),
        ),
    ] {
        let got: Result<Rows, Error> = tree.scan(lower, upper, snapshot).and_then(|s| s.collect());
        let expect: Vec<(Vec<u8>, Vec<u8>)> = want
            .range::<[u8], _>((lower, upper))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        match got {
            Ok(rows) => assert_eq!(rows, expect, "scan at {snapshot}"),
            Err(e) => assert!(refused(&e), "scan at {snapshot}: {e}"),
        }
    }
}

fn run(ops: Vec<Op>, opportunistic: bool) {
    let (mut tree, _) = VersionedTree::create(MemPageStore::new(), Limits::for_fill(512)).unwrap();
    let mut model = Model::default();
    let mut record_start = Lsn::TIMELINE_START;
    let mut durable = record_start; // end of the last record
    let mut same_record = false;
    let mut held: Vec<Lsn> = Vec::new();
    let mut released: Vec<Lsn> = Vec::new();
    for (n, op) in ops.iter().enumerate() {
        if opportunistic {
            // Full leaves prune before they split, at a horizon no newer than the write's
            // record (the current one, or a later one).
            let horizon = held
                .first()
                .copied()
                .unwrap_or(record_start)
                .min(record_start);
            tree = tree.prune_before_split(horizon);
        }
        // Each write is one record [start, start + 8 + n % 5); after
        // SameRecord, the next write joins the previous write's record.
        let mut lsn_for_write = || {
            if !std::mem::take(&mut same_record) {
                record_start = durable;
                durable = record_start + 8 + (n % 5) as u64;
            }
            record_start
        };
        match op {
            Op::Insert(k, len) => {
                let lsn = lsn_for_write();
                let p = payload(*k, *len, lsn);
                let res = tree.insert(&key(*k), &p, lsn);
                if model.newest_live(&key(*k)).is_some() {
                    assert_eq!(res, Err(Error::DuplicateKey));
                } else {
                    let changed = res.unwrap();
                    model.write(&key(*k), Some(p), lsn);
                    prune_written(&mut tree, changed, opportunistic, &held, lsn);
                }
            }
            Op::Update(k, len) => {
                let lsn = lsn_for_write();
                let p = payload(*k, *len, lsn);
                let res = tree.update(&key(*k), &p, lsn);
                if model.newest_live(&key(*k)).is_none() {
                    assert_eq!(res, Err(Error::KeyNotFound));
                } else {
                    let changed = res.unwrap();
                    model.write(&key(*k), Some(p), lsn);
                    prune_written(&mut tree, changed, opportunistic, &held, lsn);
                }
            }
            Op::Delete(k) => {
                let lsn = lsn_for_write();
                let res = tree.delete(&key(*k), lsn);
                if model.newest_live(&key(*k)).is_none() {
                    assert_eq!(res, Err(Error::KeyNotFound));
                } else {
                    let changed = res.unwrap();
                    model.write(&key(*k), None, lsn);
                    prune_written(&mut tree, changed, opportunistic, &held, lsn);
                }
            }
            Op::SameRecord => same_record = n > 0,
            Op::Snapshot => {
                same_record = false; // records are atomic: snapshots fall between them
                held.push(durable);
            }
            Op::Prune(release) => {
                same_record = false;
                for _ in 0..*release {
                    if !held.is_empty() {
                        released.push(held.remove(0));
                    }
                }
                let horizon = held.first().copied().unwrap_or(durable);
                tree.prune(horizon, durable).unwrap();
            }
        }
        if n % 40 == 39 || n + 1 == ops.len() {
            tree.tree().check().unwrap();
            verify_at(&tree, &model, durable, true);
            for &s in &held {
                verify_at(&tree, &model, s, true);
            }
            for &s in &released {
                verify_at(&tree, &model, s, false);
            }
        }
    }
}

/// In the opportunistic mode, prunes the leaves a write changed, as the commit's serial
/// step does: at the oldest held snapshot, or at the write's record start.
fn prune_written(
    tree: &mut VersionedTree<MemPageStore>,
    changed: ChangedPages,
    opportunistic: bool,
    held: &[Lsn],
    record_start: Lsn,
) {
    if opportunistic {
        let horizon = held.first().copied().unwrap_or(record_start);
        let blocks: Vec<_> = changed.iter().map(|p| p.block).collect();
        tree.prune_leaves(blocks, horizon, record_start).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(12)))]

    #[test]
    fn mvcc_matches_model(
        ops in proptest::collection::vec(op(), 100..500),
        opportunistic in any::<bool>(),
    ) {
        run(ops, opportunistic);
    }
}

#[test]
fn opportunistic_pruning_keeps_a_key_updated_forever_in_one_leaf() {
    let (mut tree, _) = VersionedTree::create(MemPageStore::new(), Limits::for_fill(512)).unwrap();
    let mut lsn = Lsn::TIMELINE_START;
    tree.insert(&key(1), b"v", lsn).unwrap();
    for _ in 0..2000 {
        let start = lsn + 10;
        let changed = tree.update(&key(1), b"v", start).unwrap();
        prune_written(&mut tree, changed, true, &[], start);
        lsn = start;
    }
    assert_eq!(
        tree.tree().store().block_count(),
        1,
        "the root leaf never split"
    );
    assert!(tree.versions(&key(1), Lsn::MAX).unwrap().len() <= 2);
}
