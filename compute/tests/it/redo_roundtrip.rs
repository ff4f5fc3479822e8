//! Pages round-tripped through the WAL path: `proto::redo::diff` on the
//! compute, `proto::redo::apply` on a replica (as the pageserver and read
//! replicas do), in publish order, one record per batch of writes.
//!
//! After every record the replica's copy of the tree must pass the
//! structural check, carry valid page CRCs and `page_lsn`s at the record's
//! end, and answer every read at every snapshot exactly as the primary does.

use std::ops::Bound;

use compute::btree::{ChangedPages, Limits, MemPageStore, PageStore};
use compute::keycodec::encode_key;
use compute::mvcc::VersionedTree;
use compute::{Error, Value};
use proptest::prelude::*;
use proto::page::{self, Page};
use proto::{Lsn, PageKey, redo};

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

const REL: u32 = 16384;

type Rows = Vec<(Vec<u8>, Vec<u8>)>;

fn key(k: u16) -> Vec<u8> {
    encode_key(&[Value::Int8(k as i64)])
}

/// Ships `changed` from `primary` to `replica` as one record ending at
/// `end`, in publish order.
fn ship(primary: &MemPageStore, replica: &mut MemPageStore, changed: &ChangedPages, end: Lsn) {
    for block in changed.publish_order() {
        let new = primary.read(block).unwrap();
        while replica.block_count() <= block {
            replica.allocate().unwrap();
        }
        let is_new = changed.get(block).unwrap().is_new;
        let old = replica.read(block).unwrap();
        let change = redo::diff(
            PageKey::new(REL, block),
            (!is_new).then_some(&*old),
            &new,
            end,
        );
        let mut applied: Box<Page> = Box::new(*old);
        redo::apply(&mut applied, &change, end).unwrap();
        assert!(page::verify(&applied));
        assert_eq!(page::page_lsn(&applied), end);
        assert_eq!(applied[12..], new[12..], "block {block} differs after redo");
        replica.write(block, applied).unwrap();
    }
}

fn reads(tree: &VersionedTree<MemPageStore>, snapshot: Lsn) -> Result<Rows, Error> {
    tree.scan(Bound::Unbounded, Bound::Unbounded, snapshot)?
        .collect()
}

fn run(batches: Vec<Vec<(u16, u8, u8)>>) {
    let limits = Limits::for_fill(512);
    let (mut primary, created) = VersionedTree::create(MemPageStore::new(), limits).unwrap();
    let mut replica = MemPageStore::new();
    let mut start = Lsn::TIMELINE_START;
    ship(primary.tree().store(), &mut replica, &created, start);
    let mut snapshots = vec![start];
    for (n, batch) in batches.iter().enumerate() {
        let mut changed = ChangedPages::default();
        for &(k, kind, len) in batch {
            let payload = vec![len; len as usize];
            let res = match kind % 4 {
                0 | 1 => primary.insert(&key(k), &payload, start),
                2 => primary.update(&key(k), &payload, start),
                _ => primary.delete(&key(k), start),
            };
            match res {
                Ok(c) => changed.extend(c),
                Err(Error::DuplicateKey | Error::KeyNotFound) => {}
                Err(e) => panic!("write failed: {e}"),
            }
        }
        if n % 4 == 3 {
            let horizon = snapshots[snapshots.len() / 2];
            changed.extend(primary.prune(horizon, start).unwrap());
            snapshots.retain(|&s| s >= horizon);
        }
        let end = start + 16 + batch.len() as u64;
        ship(primary.tree().store(), &mut replica, &changed, end);
        snapshots.push(end);
        start = end;

        let replica_tree = VersionedTree::open(replica.clone(), limits);
        replica_tree.tree().check().unwrap();
        for &s in &snapshots {
            assert_eq!(reads(&replica_tree, s), reads(&primary, s), "at {s}");
            assert!(reads(&primary, s).is_ok(), "held snapshot {s} refused");
        }
    }
}

fn batch() -> impl Strategy<Value = Vec<(u16, u8, u8)>> {
    proptest::collection::vec((0u16..200, any::<u8>(), 0u8..50), 1..12)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(8)))]

    #[test]
    fn replica_applying_redo_reads_like_primary(
        batches in proptest::collection::vec(batch(), 10..60)
    ) {
        run(batches);
    }
}
