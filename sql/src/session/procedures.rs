//! The session's side of transaction control in procedures: a `CALL` or `DO` run at top
//! level outside a transaction block (PostgreSQL's non-atomic context) may `COMMIT` and
//! `ROLLBACK` inside its body.
//!
//! Such a statement runs over a [`CallTxn`]: the storage transaction behind a handle that
//! [`Txn::restart`] can end — its deferred foreign key checks run, then it commits, or it
//! rolls back, with the transaction-end bookkeeping a single statement's transaction gets
//! (transaction-level advisory locks released, notifications delivered) — and replace by
//! a new transaction at the same isolation level, in place, under the running body. What
//! the body does after its last COMMIT ends with the statement, as any statement's
//! transaction does. The PL/pgSQL side (which bodies may COMMIT) is
//! `crate::plpgsql::call`.
//!
//! Known differences: the statement's catalog environment (what `regclass` and friends
//! resolve against) stays the one from the statement's start, and the table statistics
//! (`pg_stat_user_tables`) count the whole statement as one transaction.

use super::{Block, Session, begin_txn, run_in_txn};
use crate::env::{self, SessionInfo};
use crate::parse::Statement;
use crate::result::StatementResult;
use crate::storage::serializable::Tracked;
use crate::storage::*;
use crate::types::{DataType, Value};
use crate::{Error, Result};
use sqlparser::ast;
use std::sync::Arc;

/// Whether `stmt` may control transactions when run at top level outside a block.
pub(super) fn is_non_atomic(stmt: &Statement) -> bool {
    matches!(
        stmt,
        Statement::Do { .. } | Statement::Sql(ast::Statement::Call(_))
    )
}

/// A top-level CALL's or DO's transaction: see the module docs.
struct CallTxn<'s, S: Storage> {
    storage: &'s S,
    info: Arc<SessionInfo>,
    isolation: Isolation,
    /// `None` only when a new transaction could not begin after a COMMIT or ROLLBACK.
    current: Option<Tracked<S::Txn>>,
}

fn ended() -> Error {
    Error::Raised(Box::new(crate::error::Raised {
        code: "25P01",
        message: "there is no transaction in progress".into(),
        detail: None,
        hint: None,
    }))
}

impl<S: Storage> CallTxn<'_, S> {
    fn txn(&self) -> Result<&Tracked<S::Txn>> {
        self.current.as_ref().ok_or_else(ended)
    }

    fn txn_mut(&mut self) -> Result<&mut Tracked<S::Txn>> {
        self.current.as_mut().ok_or_else(ended)
    }

    /// The end of a transaction, committed or not: what the session does for one.
    fn settle(&self, committed: bool) {
        crate::expr::functions::system::transaction_ended(&self.info, committed);
        if self
            .info
            .advisory_xact
            .swap(false, std::sync::atomic::Ordering::Relaxed)
        {
            self.storage
                .services()
                .advisory_release(self.info.backend_pid, true);
        }
        if committed {
            self.info.notify.committed(self.info.backend_pid);
        } else {
            self.info.notify.aborted();
        }
    }
}

/// Passes `&mut self` methods through to the current transaction.
macro_rules! pass_mut {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {$(
        fn $name(&mut self, $($arg: $ty),*) -> $ret {
            self.txn_mut()?.$name($($arg),*)
        }
    )*};
}

/// Passes `&self` methods through to the current transaction.
macro_rules! pass {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {$(
        fn $name(&self, $($arg: $ty),*) -> $ret {
            self.txn()?.$name($($arg),*)
        }
    )*};
}

impl<S: Storage> Txn for CallTxn<'_, S> {
    fn isolation(&self) -> Isolation {
        self.isolation
    }

    fn end_statement(&mut self, ok: bool) {
        if let Some(t) = &mut self.current {
            t.end_statement(ok);
        }
    }

    fn savepoint(&mut self) -> u64 {
        self.current.as_mut().map_or(0, |t| t.savepoint())
    }

    fn restart(&mut self, commit: bool) -> Result<()> {
        let mut txn = self.current.take().ok_or_else(ended)?;
        let r = if commit {
            let due = self.info.deferred.due(true);
            self.info.deferred.clear();
            match super::deferred::run_checks(&mut txn, &due) {
                Ok(()) => txn.commit(),
                Err(e) => {
                    txn.rollback();
                    Err(e)
                }
            }
        } else {
            self.info.deferred.clear();
            txn.rollback();
            Ok(())
        };
        self.settle(commit && r.is_ok());
        r?;
        let mut next = begin_txn(self.storage, self.isolation)?;
        next.begin_statement()?;
        self.current = Some(next);
        Ok(())
    }

    fn commit(self) -> Result<()> {
        self.current.map_or(Ok(()), |t| t.commit())
    }

    fn rollback(self) {
        if let Some(t) = self.current {
            t.rollback();
        }
    }

    pass_mut! {
        begin_statement() -> Result<()>;
        new_oid() -> Result<Oid>;
        create_schema(def: SchemaDef) -> Result<()>;
        alter_schema(def: SchemaDef) -> Result<()>;
        drop_schema(oid: Oid) -> Result<()>;
        create_table(def: TableDef) -> Result<TableId>;
        alter_table(def: TableDef) -> Result<()>;
        rewrite_table(def: TableDef, rows: &mut dyn Iterator<Item = Result<Row>>) -> Result<()>;
        rekey_in_place(def: &TableDef, not_null: &[usize]) -> Result<bool>;
        truncate(table: TableId) -> Result<()>;
        drop_table(table: TableId) -> Result<()>;
        create_index(table: TableId, index: IndexDef) -> Result<()>;
        drop_index(oid: Oid) -> Result<()>;
        create_sequence(def: SequenceDef) -> Result<()>;
        alter_sequence(def: SequenceDef) -> Result<()>;
        drop_sequence(oid: Oid) -> Result<()>;
        put_view(def: ViewDef) -> Result<()>;
        drop_view(oid: Oid) -> Result<()>;
        put_function(def: FunctionDef) -> Result<()>;
        drop_function(oid: Oid) -> Result<()>;
        put_type(def: TypeDef) -> Result<()>;
        drop_type(oid: Oid) -> Result<()>;
        put_database(def: DatabaseDef) -> Result<()>;
        put_extension(def: ExtensionDef) -> Result<()>;
        drop_extension(oid: Oid) -> Result<()>;
        put_role(def: RoleDef) -> Result<()>;
        drop_role(oid: Oid) -> Result<()>;
        put_default_acl(def: DefaultAclDef) -> Result<()>;
        drop_default_acl(oid: Oid) -> Result<()>;
        set_stats(table: TableId, stats: TableStats) -> Result<()>;
        lock_table(table: TableId, exclusive: bool, nowait: bool) -> Result<()>;
        lock_key_share(table: TableId, constraint: &str, values: &[Value]) -> Result<bool>;
        lock_row(table: TableId, key: &Key) -> Result<LockOutcome>;
        insert(table: TableId, row: Row, on_conflict: &OnConflict) -> Result<InsertOutcome>;
        update(table: TableId, key: &Key, row: Row) -> Result<Key>;
        delete(table: TableId, key: &Key) -> Result<()>;
        rollback_to(id: u64) -> Result<()>;
    }

    pass! {
        catalog() -> Result<Arc<Catalog>>;
        scan(table: TableId, access: &Access) -> Result<RowStream>;
        scan_rows_only(table: TableId, access: &Access) -> Result<RowStream>;
        sample(table: TableId, sample: &mut Reservoir) -> Result<()>;
        scan_latest(table: TableId, access: &Access) -> Result<RowStream>;
        lock_row_as(table: TableId, key: &Key, how: RowLock) -> Result<Option<LockOutcome>>;
    }
}

impl<S: Storage> Session<S> {
    /// Runs CALL or DO at top level outside a block (see the module docs): its own
    /// transaction, which its body may commit or roll back and go on in a new one.
    pub(super) fn run_non_atomic(
        &mut self,
        stmt: &Statement,
        params: &[Value],
        types: &[DataType],
    ) -> Result<StatementResult> {
        debug_assert!(matches!(self.block, Block::Idle));
        let mut first = begin_txn(&self.storage, self.default_isolation()?)?;
        let isolation = first.isolation();
        // The statement's snapshot, and with it its catalog, exists only once the
        // statement has begun (the engine's catalog before that is not the statement's).
        first.begin_statement()?;
        let setup = self.statement_setup(first.catalog()?);
        let (opts, path) = (setup.opts, setup.path);
        let counts = setup.env.catalog.as_ref().map(|c| c.counts.clone());
        let guard = env::install(setup.env);
        let mut txn = CallTxn {
            storage: &self.storage,
            info: self.info.clone(),
            isolation,
            current: Some(first),
        };
        crate::plpgsql::call::allow_transaction_control(true);
        let r = run_in_txn(&mut txn, stmt, params, types, &opts, &path);
        txn.end_statement(r.is_ok());
        crate::plpgsql::call::allow_transaction_control(false);
        let current = txn.current.take();
        drop(guard);
        if let Some(counts) = counts {
            self.table_counts.statement_done(counts.take());
        }
        match current {
            Some(t) => self.end_single(t, r),
            None => {
                // a COMMIT or ROLLBACK in the body could not begin the next transaction
                self.info.deferred.clear();
                self.table_counts.ended(false);
                r
            }
        }
    }
}
