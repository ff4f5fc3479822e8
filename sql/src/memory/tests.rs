//! MemoryStorage against the contract: statement visibility, statement rollback, savepoints,
//! snapshots, DDL visibility.

use super::MemoryStorage;
use crate::storage::{
    Access, ColumnDef, InsertOutcome, Isolation, KeyRange, OnConflict, Storage, TableDef, Txn,
};
use crate::types::{DataType, Value};

fn table() -> TableDef {
    let mut k = ColumnDef::new("k", DataType::Int4);
    k.not_null = true;
    TableDef {
        name: "t".into(),
        columns: vec![k, ColumnDef::new("v", DataType::Text)],
        primary_key: vec![0],
        primary_key_name: Some("t_pkey".into()),
        ..Default::default()
    }
}

fn row(k: i64, v: &str) -> Vec<Value> {
    vec![Value::Int(k), Value::Text(v.into())]
}

fn keys(t: &impl Txn, id: u32) -> Vec<i64> {
    t.scan(id, &Access::Full)
        .unwrap()
        .map(|r| match r.unwrap().key[0] {
            Value::Int(i) => i,
            _ => panic!("int key"),
        })
        .collect()
}

fn setup() -> (MemoryStorage, u32) {
    let s = MemoryStorage::new();
    let mut t = s.begin(Isolation::ReadCommitted).unwrap();
    t.begin_statement().unwrap();
    let id = t.create_table(table()).unwrap();
    t.end_statement(true);
    t.commit().unwrap();
    (s, id)
}

#[test]
fn a_statement_sees_earlier_statements_only() {
    let (s, id) = setup();
    let mut t = s.begin(Isolation::ReadCommitted).unwrap();
    t.begin_statement().unwrap();
    t.insert(id, row(1, "a"), &OnConflict::Error).unwrap();
    assert_eq!(
        keys(&t, id),
        Vec::<i64>::new(),
        "own write of the current statement is invisible"
    );
    t.end_statement(true);
    t.begin_statement().unwrap();
    assert_eq!(keys(&t, id), vec![1]);
    // Not visible to others before commit.
    let mut other = s.begin(Isolation::ReadCommitted).unwrap();
    other.begin_statement().unwrap();
    assert_eq!(keys(&other, id), Vec::<i64>::new());
    t.commit().unwrap();
    other.begin_statement().unwrap();
    assert_eq!(keys(&other, id), vec![1]);
}

#[test]
fn failed_statement_and_savepoint_rollback() {
    let (s, id) = setup();
    let mut t = s.begin(Isolation::ReadCommitted).unwrap();
    t.begin_statement().unwrap();
    t.insert(id, row(1, "a"), &OnConflict::Error).unwrap();
    t.end_statement(true);
    let sp = t.savepoint();
    t.begin_statement().unwrap();
    t.insert(id, row(2, "b"), &OnConflict::Error).unwrap();
    t.end_statement(true);
    t.begin_statement().unwrap();
    t.insert(id, row(3, "c"), &OnConflict::Error).unwrap();
    t.end_statement(false);
    t.begin_statement().unwrap();
    assert_eq!(keys(&t, id), vec![1, 2]);
    t.end_statement(true);
    t.rollback_to(sp).unwrap();
    t.begin_statement().unwrap();
    assert_eq!(keys(&t, id), vec![1]);
}

#[test]
fn unique_conflicts_and_reports() {
    let (s, id) = setup();
    let mut t = s.begin(Isolation::ReadCommitted).unwrap();
    t.begin_statement().unwrap();
    t.insert(id, row(1, "a"), &OnConflict::Error).unwrap();
    let err = t.insert(id, row(1, "b"), &OnConflict::Error).unwrap_err();
    assert_eq!(err.code(), "23505");
    assert_eq!(err.detail(), Some("Key (k)=(1) already exists."));
    let report = t
        .insert(id, row(1, "b"), &OnConflict::Report { constraint: None })
        .unwrap();
    assert_eq!(
        report,
        InsertOutcome::Conflict {
            key: vec![Value::Int(1)],
            row: row(1, "a")
        }
    );
}

#[test]
fn repeatable_read_keeps_its_snapshot() {
    let (s, id) = setup();
    let mut rr = s.begin(Isolation::RepeatableRead).unwrap();
    rr.begin_statement().unwrap();
    let mut w = s.begin(Isolation::ReadCommitted).unwrap();
    w.begin_statement().unwrap();
    w.insert(id, row(5, "x"), &OnConflict::Error).unwrap();
    w.commit().unwrap();
    rr.begin_statement().unwrap();
    assert_eq!(keys(&rr, id), Vec::<i64>::new());
    let range = Access::PrimaryRange(KeyRange::prefix(vec![Value::Int(5)]));
    let mut rc = s.begin(Isolation::ReadCommitted).unwrap();
    rc.begin_statement().unwrap();
    assert_eq!(rc.scan(id, &range).unwrap().count(), 1);
}

#[test]
fn ddl_is_invisible_until_commit_and_rolls_back() {
    let s = MemoryStorage::new();
    let mut t = s.begin(Isolation::ReadCommitted).unwrap();
    t.begin_statement().unwrap();
    t.create_table(table()).unwrap();
    let mut other = s.begin(Isolation::ReadCommitted).unwrap();
    other.begin_statement().unwrap();
    assert!(other.catalog().unwrap().relation(2200, "t").is_none());
    t.end_statement(false);
    assert!(t.catalog().unwrap().relation(2200, "t").is_none());
}
