//! EvalPlanQual at the executor level: a concurrent transaction commits between the moment
//! UPDATE / DELETE read a row and the moment they lock it. A `Txn` wrapper runs that commit
//! inside the first `lock_row` call, so the interleaving is deterministic.

use sql::binder::{Binder, BoundStatement};
use sql::executor::{self, Context};
use sql::memory::{MemoryStorage, MemoryTxn};
use sql::storage::{
    Access, Catalog, IndexDef, InsertOutcome, Isolation, Key, LockOutcome, Oid, OnConflict, Row,
    RowLock, RowStream, SchemaDef, SequenceDef, Storage, TableDef, TableId, TableStats, Txn,
    ViewDef,
};
use sql::{Result, Session, Value, planner};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use std::sync::Arc;

/// Delegates to a `MemoryTxn`, running `before_first_lock` once, just before the first lock.
struct Interleaved {
    inner: MemoryTxn,
    before_first_lock: std::sync::Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl Txn for Interleaved {
    fn isolation(&self) -> Isolation {
        self.inner.isolation()
    }
    fn begin_statement(&mut self) -> Result<()> {
        self.inner.begin_statement()
    }
    fn end_statement(&mut self, ok: bool) {
        self.inner.end_statement(ok)
    }
    fn catalog(&self) -> Result<Arc<Catalog>> {
        self.inner.catalog()
    }
    fn create_table(&mut self, def: TableDef) -> Result<TableId> {
        self.inner.create_table(def)
    }
    fn drop_table(&mut self, table: TableId) -> Result<()> {
        self.inner.drop_table(table)
    }
    fn create_index(&mut self, table: TableId, index: IndexDef) -> Result<()> {
        self.inner.create_index(table, index)
    }
    fn drop_index(&mut self, oid: Oid) -> Result<()> {
        self.inner.drop_index(oid)
    }
    fn new_oid(&mut self) -> Result<Oid> {
        self.inner.new_oid()
    }
    fn create_schema(&mut self, def: SchemaDef) -> Result<()> {
        self.inner.create_schema(def)
    }
    fn alter_schema(&mut self, def: SchemaDef) -> Result<()> {
        self.inner.alter_schema(def)
    }
    fn drop_schema(&mut self, oid: Oid) -> Result<()> {
        self.inner.drop_schema(oid)
    }
    fn alter_table(&mut self, def: TableDef) -> Result<()> {
        self.inner.alter_table(def)
    }
    fn rewrite_table(
        &mut self,
        def: TableDef,
        rows: &mut dyn Iterator<Item = Result<Row>>,
    ) -> Result<()> {
        self.inner.rewrite_table(def, rows)
    }
    fn truncate(&mut self, table: TableId) -> Result<()> {
        self.inner.truncate(table)
    }
    fn create_sequence(&mut self, def: SequenceDef) -> Result<()> {
        self.inner.create_sequence(def)
    }
    fn alter_sequence(&mut self, def: SequenceDef) -> Result<()> {
        self.inner.alter_sequence(def)
    }
    fn drop_sequence(&mut self, oid: Oid) -> Result<()> {
        self.inner.drop_sequence(oid)
    }
    fn put_view(&mut self, def: ViewDef) -> Result<()> {
        self.inner.put_view(def)
    }
    fn drop_view(&mut self, oid: Oid) -> Result<()> {
        self.inner.drop_view(oid)
    }
    fn put_function(&mut self, def: sql::storage::FunctionDef) -> Result<()> {
        self.inner.put_function(def)
    }
    fn drop_function(&mut self, oid: Oid) -> Result<()> {
        self.inner.drop_function(oid)
    }
    fn put_type(&mut self, def: sql::storage::TypeDef) -> Result<()> {
        self.inner.put_type(def)
    }
    fn drop_type(&mut self, oid: Oid) -> Result<()> {
        self.inner.drop_type(oid)
    }
    fn put_database(&mut self, def: sql::storage::DatabaseDef) -> Result<()> {
        self.inner.put_database(def)
    }
    fn put_extension(&mut self, def: sql::storage::ExtensionDef) -> Result<()> {
        self.inner.put_extension(def)
    }
    fn drop_extension(&mut self, oid: Oid) -> Result<()> {
        self.inner.drop_extension(oid)
    }
    fn put_role(&mut self, def: sql::storage::RoleDef) -> Result<()> {
        self.inner.put_role(def)
    }
    fn drop_role(&mut self, oid: Oid) -> Result<()> {
        self.inner.drop_role(oid)
    }
    fn put_default_acl(&mut self, def: sql::storage::DefaultAclDef) -> Result<()> {
        self.inner.put_default_acl(def)
    }
    fn drop_default_acl(&mut self, oid: Oid) -> Result<()> {
        self.inner.drop_default_acl(oid)
    }
    fn set_stats(&mut self, table: TableId, stats: TableStats) -> Result<()> {
        self.inner.set_stats(table, stats)
    }
    fn scan_latest(&self, table: TableId, access: &Access) -> Result<RowStream> {
        self.inner.scan_latest(table, access)
    }
    fn lock_key_share(
        &mut self,
        table: TableId,
        constraint: &str,
        values: &[Value],
    ) -> Result<bool> {
        self.inner.lock_key_share(table, constraint, values)
    }
    fn scan(&self, table: TableId, access: &Access) -> Result<RowStream> {
        self.inner.scan(table, access)
    }
    fn lock_row_as(&self, table: TableId, key: &Key, how: RowLock) -> Result<Option<LockOutcome>> {
        let first = self
            .before_first_lock
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(f) = first {
            f();
        }
        self.inner.lock_row_as(table, key, how)
    }
    fn insert(
        &mut self,
        table: TableId,
        row: Row,
        on_conflict: &OnConflict,
    ) -> Result<InsertOutcome> {
        self.inner.insert(table, row, on_conflict)
    }
    fn update(&mut self, table: TableId, key: &Key, row: Row) -> Result<Key> {
        self.inner.update(table, key, row)
    }
    fn delete(&mut self, table: TableId, key: &Key) -> Result<()> {
        self.inner.delete(table, key)
    }
    fn savepoint(&mut self) -> u64 {
        self.inner.savepoint()
    }
    fn rollback_to(&mut self, id: u64) -> Result<()> {
        self.inner.rollback_to(id)
    }
    fn commit(self) -> Result<()> {
        self.inner.commit()
    }
    fn rollback(self) {
        self.inner.rollback()
    }
}

/// Runs `sql` in a fresh transaction at `isolation`, with `concurrent` committed by another
/// session right before the first row lock. Returns the affected row count.
fn run_interleaved(
    storage: &MemoryStorage,
    isolation: Isolation,
    sql: &str,
    concurrent: &'static str,
) -> Result<usize> {
    run_interleaved_rows(storage, isolation, sql, concurrent).map(|rows| rows.len())
}

/// [`run_interleaved`], returning the statement's rows.
fn run_interleaved_rows(
    storage: &MemoryStorage,
    isolation: Isolation,
    sql: &str,
    concurrent: &'static str,
) -> Result<Vec<Row>> {
    let other = storage.clone();
    let mut txn = Interleaved {
        inner: storage.begin(isolation)?,
        before_first_lock: std::sync::Mutex::new(Some(Box::new(move || {
            let mut s = Session::new(other);
            for r in s.execute(concurrent) {
                r.expect("concurrent statement");
            }
        }))),
    };
    txn.begin_statement()?;
    let stmt = Parser::parse_sql(&PostgreSqlDialect {}, sql)
        .expect("parse")
        .remove(0);
    #[allow(irrefutable_let_patterns)]
    let BoundStatement::Query { plan, .. } = Binder::new(txn.catalog()?, vec![]).bind(&stmt)?
    else {
        panic!("not DML");
    };
    let mut op = executor::build(&planner::optimize(plan));
    let rows = executor::collect(op.as_mut(), &mut Context::new(&mut txn, &[]))?
        .into_iter()
        .map(|t| t.row)
        .collect();
    txn.end_statement(true);
    txn.commit()?;
    Ok(rows)
}

fn setup() -> (MemoryStorage, Session<MemoryStorage>) {
    let storage = MemoryStorage::new();
    let mut s = Session::new(storage.clone());
    for r in s.execute(
        "CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 10), (2, 20)",
    ) {
        r.expect("setup");
    }
    (storage, s)
}

fn rows(s: &mut Session<MemoryStorage>) -> Vec<Vec<Value>> {
    s.execute("SELECT id, v FROM t ORDER BY id")
        .pop()
        .expect("result")
        .expect("select")
        .rows
}

#[test]
fn read_committed_update_applies_to_the_new_version_when_it_still_matches() {
    let (storage, mut s) = setup();
    let n = run_interleaved(
        &storage,
        Isolation::ReadCommitted,
        "UPDATE t SET v = v + 1 WHERE v >= 10",
        "UPDATE t SET v = 15 WHERE id = 1",
    )
    .expect("update");
    assert_eq!(n, 2);
    assert_eq!(
        rows(&mut s),
        vec![
            vec![Value::Int(1), Value::Int(16)],
            vec![Value::Int(2), Value::Int(21)]
        ]
    );
}

#[test]
fn read_committed_update_skips_a_row_that_no_longer_matches() {
    let (storage, mut s) = setup();
    let n = run_interleaved(
        &storage,
        Isolation::ReadCommitted,
        "UPDATE t SET v = v + 1 WHERE v >= 10",
        "UPDATE t SET v = 5 WHERE id = 1",
    )
    .expect("update");
    assert_eq!(n, 1);
    assert_eq!(
        rows(&mut s),
        vec![
            vec![Value::Int(1), Value::Int(5)],
            vec![Value::Int(2), Value::Int(21)]
        ]
    );
}

#[test]
fn read_committed_delete_skips_a_concurrently_deleted_row() {
    let (storage, mut s) = setup();
    let n = run_interleaved(
        &storage,
        Isolation::ReadCommitted,
        "DELETE FROM t",
        "DELETE FROM t WHERE id = 1",
    )
    .expect("delete");
    assert_eq!(n, 1);
    assert!(rows(&mut s).is_empty());
}

#[test]
fn repeatable_read_fails_with_40001() {
    let (storage, mut s) = setup();
    let err = run_interleaved(
        &storage,
        Isolation::RepeatableRead,
        "UPDATE t SET v = 0",
        "UPDATE t SET v = 15 WHERE id = 1",
    )
    .expect_err("serialization failure");
    assert_eq!(err.code(), "40001");
    assert_eq!(
        rows(&mut s),
        vec![
            vec![Value::Int(1), Value::Int(15)],
            vec![Value::Int(2), Value::Int(20)]
        ]
    );
}

#[test]
fn read_committed_select_for_update_returns_the_new_version_when_it_still_matches() {
    let (storage, _s) = setup();
    let rows = run_interleaved_rows(
        &storage,
        Isolation::ReadCommitted,
        "SELECT id, v * 10 FROM t WHERE v >= 10 ORDER BY id FOR UPDATE",
        "UPDATE t SET v = 15 WHERE id = 1",
    )
    .expect("select");
    assert_eq!(
        rows,
        vec![
            vec![Value::Int(1), Value::Int(150)],
            vec![Value::Int(2), Value::Int(200)]
        ]
    );
}

#[test]
fn read_committed_select_for_share_drops_a_row_that_no_longer_matches() {
    let (storage, _s) = setup();
    let rows = run_interleaved_rows(
        &storage,
        Isolation::ReadCommitted,
        "SELECT id FROM t WHERE v >= 10 ORDER BY id FOR SHARE",
        "UPDATE t SET v = 5 WHERE id = 1",
    )
    .expect("select");
    assert_eq!(rows, vec![vec![Value::Int(2)]]);
}

#[test]
fn read_committed_select_for_update_drops_a_deleted_row() {
    let (storage, _s) = setup();
    let rows = run_interleaved_rows(
        &storage,
        Isolation::ReadCommitted,
        "SELECT id FROM t ORDER BY id LIMIT 1 FOR UPDATE",
        "DELETE FROM t WHERE id = 1",
    )
    .expect("select");
    assert_eq!(
        rows,
        vec![vec![Value::Int(2)]],
        "the LIMIT takes the next row"
    );
}

#[test]
fn repeatable_read_select_for_update_of_a_changed_row_fails_with_40001() {
    let (storage, _s) = setup();
    let e = run_interleaved_rows(
        &storage,
        Isolation::RepeatableRead,
        "SELECT id FROM t WHERE id = 1 FOR UPDATE",
        "UPDATE t SET v = 15 WHERE id = 1",
    )
    .expect_err("serialization failure");
    assert_eq!(e.code(), "40001");
}

// MERGE: a concurrently changed target row is matched again (ON condition, then the WHEN
// MATCHED clauses from the first); a deleted or no longer joining one goes to NOT MATCHED.

#[test]
fn read_committed_merge_updates_the_new_version_when_it_still_matches() {
    let (storage, mut s) = setup();
    let n = run_interleaved(
        &storage,
        Isolation::ReadCommitted,
        "MERGE INTO t USING (VALUES (1), (2)) AS s(id) ON t.id = s.id \
         WHEN MATCHED AND t.v >= 10 THEN UPDATE SET v = t.v + 1",
        "UPDATE t SET v = 15 WHERE id = 1",
    )
    .expect("merge");
    assert_eq!(n, 2);
    assert_eq!(
        rows(&mut s),
        vec![
            vec![Value::Int(1), Value::Int(16)],
            vec![Value::Int(2), Value::Int(21)]
        ]
    );
}

#[test]
fn read_committed_merge_evaluates_the_when_clauses_again_on_the_new_version() {
    let (storage, mut s) = setup();
    let n = run_interleaved(
        &storage,
        Isolation::ReadCommitted,
        "MERGE INTO t USING (VALUES (1), (2)) AS s(id) ON t.id = s.id \
         WHEN MATCHED AND t.v >= 10 THEN UPDATE SET v = t.v + 1 \
         WHEN MATCHED THEN UPDATE SET v = 0",
        "UPDATE t SET v = 5 WHERE id = 1",
    )
    .expect("merge");
    assert_eq!(n, 2);
    assert_eq!(
        rows(&mut s),
        vec![
            vec![Value::Int(1), Value::Int(0)],
            vec![Value::Int(2), Value::Int(21)]
        ]
    );
}

#[test]
fn read_committed_merge_treats_a_deleted_target_row_as_not_matched() {
    let (storage, mut s) = setup();
    let n = run_interleaved(
        &storage,
        Isolation::ReadCommitted,
        "MERGE INTO t USING (VALUES (1, 99)) AS s(id, x) ON t.id = s.id \
         WHEN MATCHED THEN UPDATE SET v = s.x \
         WHEN NOT MATCHED THEN INSERT VALUES (s.id, -1)",
        "DELETE FROM t WHERE id = 1",
    )
    .expect("merge");
    assert_eq!(n, 1);
    assert_eq!(
        rows(&mut s),
        vec![
            vec![Value::Int(1), Value::Int(-1)],
            vec![Value::Int(2), Value::Int(20)]
        ]
    );
}

#[test]
fn read_committed_merge_treats_a_row_that_no_longer_joins_as_not_matched() {
    let (storage, mut s) = setup();
    let n = run_interleaved(
        &storage,
        Isolation::ReadCommitted,
        "MERGE INTO t USING (VALUES (1, 10)) AS s(id, v) ON t.id = s.id AND t.v = s.v \
         WHEN MATCHED THEN DELETE \
         WHEN NOT MATCHED THEN DO NOTHING",
        "UPDATE t SET v = 11 WHERE id = 1",
    )
    .expect("merge");
    assert_eq!(n, 0);
    assert_eq!(
        rows(&mut s),
        vec![
            vec![Value::Int(1), Value::Int(11)],
            vec![Value::Int(2), Value::Int(20)]
        ]
    );
}

#[test]
fn repeatable_read_merge_of_a_changed_row_fails_with_40001() {
    let (storage, _s) = setup();
    let err = run_interleaved(
        &storage,
        Isolation::RepeatableRead,
        "MERGE INTO t USING (VALUES (1)) AS s(id) ON t.id = s.id \
         WHEN MATCHED THEN DELETE",
        "UPDATE t SET v = 15 WHERE id = 1",
    )
    .expect_err("serialization failure");
    assert_eq!(err.code(), "40001");
}
