//! Logical size (`LayeredTimeline::rel_sizes`): the sum of the relations' sizes at an LSN, the
//! same before and after a flush, a compaction and a restart; smaller at an older LSN;
//! without a relation once it is dropped.

use crate::common::{Feeder, START, Workload, small_config};
use pageserver::LayeredTimeline;
use proto::frame::encode_record;
use proto::page::PAGE_SIZE;
use proto::{Lsn, PageKey, Record, RecordKind, RelId};

fn write(wl: &mut Workload, rel: u32, block: u32, i: usize) -> Lsn {
    let key = PageKey::new(rel, block);
    let page = wl.edited(key, |p| p[100 + i % 200] = i as u8 + 1);
    wl.write(vec![(key, page, false)])
}

fn bytes(tl: &LayeredTimeline, lsn: Lsn) -> u64 {
    tl.rel_sizes(lsn).unwrap().bytes()
}

#[test]
fn logical_size_sums_relation_sizes_at_an_lsn() {
    let dir = tempfile::tempdir().unwrap();
    let mut tl = LayeredTimeline::open(dir.path(), small_config(), START).unwrap();
    let mut wl = Workload::new();
    let page = PAGE_SIZE as u64;
    // Relation 5: blocks 0..4; relation 6: blocks 0..2, written over and over.
    let mut early = Lsn(0);
    for i in 0..60 {
        let end = write(&mut wl, 5, (i % 4) as u32, i);
        write(&mut wl, 6, (i % 2) as u32, i);
        if i == 0 {
            early = end;
        }
    }
    Feeder::resume(&wl, &tl).feed(&wl, &mut tl, 700);
    let last = tl.last_record_lsn();
    assert_eq!(bytes(&tl, last), 6 * page, "in memory");
    assert_eq!(bytes(&tl, early), page, "only block 0 of relation 5 then");

    tl.flush().unwrap();
    assert!(!tl.layer_map().delta_layers().is_empty());
    assert_eq!(bytes(&tl, last), 6 * page, "from delta layers");
    assert_eq!(
        bytes(&tl, early),
        page,
        "a layer straddling the LSN is filtered"
    );
    tl.compact().unwrap();
    assert_eq!(bytes(&tl, last), 6 * page, "with image layers");

    // Growing a relation grows the size; dropping one removes it.
    write(&mut wl, 6, 9, 61);
    let record = Record {
        kind: RecordKind::DropRelation { rel: RelId(5) },
        timestamp_us: 0,
        flags: 0,
        page_changes: Vec::new(),
    };
    let start = wl.end();
    wl.wal.extend_from_slice(&encode_record(&record));
    let dropped = wl.end();
    wl.records.push((start, dropped));
    Feeder::resume(&wl, &tl).feed(&wl, &mut tl, 700);
    assert_eq!(bytes(&tl, start), 14 * page, "relation 6 has 10 blocks");
    assert_eq!(bytes(&tl, dropped), 10 * page, "relation 5 is dropped");
    assert_eq!(tl.rel_sizes(dropped).unwrap().blocks(RelId(5)), 0);

    tl.flush().unwrap();
    drop(tl);
    let tl = LayeredTimeline::open(dir.path(), small_config(), START).unwrap();
    assert_eq!(bytes(&tl, dropped), 10 * page, "after a restart");
}
