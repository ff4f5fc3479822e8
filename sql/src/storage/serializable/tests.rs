//! The registry's validation: which concurrent commits make a transaction fail.

use super::*;
use crate::storage::{Access, KeyRange};
use crate::types::Value;

fn key(k: i64) -> Vec<Value> {
    vec![Value::Int(k)]
}

fn writes_row(table: u32, k: i64) -> Writes {
    let mut w = Writes::default();
    w.row(table, key(k), Some(vec![Value::Int(k)]));
    w
}

fn reads_key(table: u32, k: i64) -> Reads {
    let mut r = Reads::default();
    r.scan(table, &Access::PrimaryRange(KeyRange::prefix(key(k))));
    r
}

fn catalog() -> Arc<Catalog> {
    Arc::new(Catalog::default())
}

#[test]
fn write_skew_fails_the_second_committer() {
    let reg = SerialRegistry::default();
    // Each reads the other's row and writes its own: the classic write skew.
    let (a, b) = (reg.begin(), reg.begin());
    let seq = reg
        .validate(a, &reads_key(1, 2), writes_row(1, 1), catalog())
        .expect("first committer validates");
    reg.finished(seq.expect("it wrote"), true);
    reg.end(a);
    let err = reg
        .validate(b, &reads_key(1, 1), writes_row(1, 2), catalog())
        .expect_err("second committer read what the first wrote");
    assert_eq!(err.code(), "40001");
    reg.end(b);
    assert_eq!(
        reg.records(),
        0,
        "nothing is kept once no transaction is active"
    );
}

#[test]
fn disjoint_transactions_both_commit() {
    let reg = SerialRegistry::default();
    let (a, b) = (reg.begin(), reg.begin());
    let s = reg
        .validate(a, &reads_key(1, 1), writes_row(1, 1), catalog())
        .unwrap();
    reg.finished(s.unwrap(), true);
    let s = reg
        .validate(b, &reads_key(1, 2), writes_row(1, 2), catalog())
        .unwrap();
    reg.finished(s.unwrap(), true);
    reg.end(a);
    reg.end(b);
}

#[test]
fn a_transaction_started_after_a_commit_does_not_check_it() {
    let reg = SerialRegistry::default();
    let a = reg.begin();
    let s = reg
        .validate(a, &Reads::default(), writes_row(1, 1), catalog())
        .unwrap();
    reg.finished(s.unwrap(), true);
    reg.end(a);
    let b = reg.begin();
    reg.validate(b, &reads_key(1, 1), Writes::default(), catalog())
        .expect("the write was in b's snapshot");
    reg.end(b);
}

#[test]
fn a_commit_still_in_flight_counts_as_concurrent() {
    let reg = SerialRegistry::default();
    let a = reg.begin();
    let s = reg
        .validate(a, &Reads::default(), writes_row(1, 1), catalog())
        .unwrap()
        .unwrap();
    // b starts while a's storage commit has not finished: a may not be in b's snapshot.
    let b = reg.begin();
    reg.finished(s, true);
    reg.end(a);
    assert!(
        reg.validate(b, &reads_key(1, 1), Writes::default(), catalog())
            .is_err()
    );
    reg.end(b);
}

#[test]
fn a_failed_storage_commit_withdraws_its_writes() {
    let reg = SerialRegistry::default();
    let (a, b) = (reg.begin(), reg.begin());
    let s = reg
        .validate(a, &Reads::default(), writes_row(1, 1), catalog())
        .unwrap()
        .unwrap();
    reg.finished(s, false);
    reg.end(a);
    reg.validate(b, &reads_key(1, 1), Writes::default(), catalog())
        .expect("the write never happened");
    reg.end(b);
}

#[test]
fn a_full_scan_conflicts_with_any_row_and_ddl_with_any_read() {
    let reg = SerialRegistry::default();
    let (a, b, c) = (reg.begin(), reg.begin(), reg.begin());
    let s = reg
        .validate(a, &Reads::default(), writes_row(7, 99), catalog())
        .unwrap();
    reg.finished(s.unwrap(), true);
    let mut full = Reads::default();
    full.scan(7, &Access::Full);
    assert!(
        reg.validate(b, &full, Writes::default(), catalog())
            .is_err()
    );
    let mut ddl = Writes::default();
    ddl.catalog();
    let d = reg.begin();
    let s = reg.validate(c, &Reads::default(), ddl, catalog()).unwrap();
    reg.finished(s.unwrap(), true);
    assert!(
        reg.validate(d, &reads_key(8, 1), Writes::default(), catalog())
            .is_err()
    );
    for t in [a, b, c, d] {
        reg.end(t);
    }
}

#[test]
fn large_footprints_become_whole_tables() {
    let mut r = Reads::default();
    for k in 0..=footprint::LIMIT as i64 {
        r.key(3, &key(k));
    }
    let w = writes_row(3, -1);
    assert!(r.touched_by(&w, &Catalog::default()));
}
