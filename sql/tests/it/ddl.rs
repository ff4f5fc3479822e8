//! DDL where Strata differs from PostgreSQL on purpose (so no .slt can say it): one database
//! per timeline, partial and expression indexes refused.

use sql::Session;
use sql::memory::MemoryStorage;

fn code(s: &mut Session<MemoryStorage>, sql: &str) -> String {
    match s.execute(sql).pop().expect("a result") {
        Ok(_) => "ok".into(),
        Err(e) => e.code().to_string(),
    }
}

#[test]
fn refused_with_feature_not_supported() {
    let mut s = Session::new(MemoryStorage::new());
    assert_eq!(code(&mut s, "CREATE TABLE t (a int, b int)"), "ok");
    for sql in [
        "CREATE DATABASE other",
        "DROP DATABASE other",
        "CREATE INDEX ON t USING hash (a)",
        "CREATE TABLE child (y int) INHERITS (t)",
        // PL/pgSQL runs (plpgsql.slt); what it lacks is refused, not half done.
        "DO $$ DECLARE x int[]; BEGIN FOREACH x SLICE 1 IN ARRAY '{{1}}'::int[] LOOP END LOOP; END $$",
        "CREATE FUNCTION f() RETURNS int LANGUAGE c AS 'lib', 'f'",
        // range types exist (ranges.slt); exclusion constraints and multiranges do not
        "CREATE TABLE booking (r tsrange, EXCLUDE USING gist (r WITH &&))",
        "ALTER TABLE t ADD CONSTRAINT no_overlap EXCLUDE USING gist (a WITH =)",
        "SELECT '{[1,2)}'::int4multirange",
        "CREATE TABLE m (x datemultirange)",
    ] {
        assert_eq!(code(&mut s, sql), "0A000", "{sql}");
    }
}

#[test]
fn vacuum_refuses_a_transaction_block_and_analyze_records_row_counts() {
    let storage = MemoryStorage::new();
    let mut s = Session::new(storage.clone());
    assert_eq!(code(&mut s, "CREATE TABLE t (a int, b text)"), "ok");
    assert_eq!(
        code(
            &mut s,
            "INSERT INTO t SELECT g % 7, NULL FROM generate_series(1, 100) g"
        ),
        "ok"
    );
    assert_eq!(code(&mut s, "ANALYZE t"), "ok");
    let mut txn =
        sql::storage::Storage::begin(&storage, sql::storage::Isolation::ReadCommitted).unwrap();
    sql::storage::Txn::begin_statement(&mut txn).unwrap();
    let catalog = sql::storage::Txn::catalog(&txn).unwrap();
    let id = catalog.table("t").unwrap().id;
    let stats = &catalog.stats[&id];
    assert_eq!(stats.rows, 100);
    assert_eq!(stats.distinct, vec![7.0, 0.0]);
    assert_eq!(stats.null_frac, vec![0.0, 1.0]);
}
