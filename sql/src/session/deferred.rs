//! The session's side of deferred constraints: `SET CONSTRAINTS`, and running the deferred
//! foreign key checks (`crate::executor::deferred`) when they fall due — at COMMIT of a
//! block (a failure rolls it back: the client gets the 23503 and nothing of the
//! transaction stays), at the end of an implicit transaction (a single statement, a
//! multi-statement query string, an extended-protocol batch at Sync, a COPY), and when
//! `SET CONSTRAINTS ... IMMEDIATE` makes a constraint with pending checks immediate.

use super::{Block, Session};
use crate::executor::Context;
use crate::executor::deferred::{self, Check};
use crate::storage::{Oid, Storage, Txn};
use crate::{Error, Result, StatementResult};
use sqlparser::ast;

/// Runs `checks` in `txn` in a statement of their own (seeing every write before it).
pub(super) fn run_checks(txn: &mut dyn Txn, checks: &[Check]) -> Result<()> {
    txn.begin_statement()?;
    let r = {
        let mut ctx = Context::new(&mut *txn, &[]);
        deferred::run(&mut ctx, checks)
    };
    txn.end_statement(r.is_ok());
    r
}

impl<S: Storage> Session<S> {
    /// `SET CONSTRAINTS ALL | name, ... DEFERRED | IMMEDIATE`. Names resolve as
    /// PostgreSQL's: a qualified name in its schema, else in the first schema of the search
    /// path that has a constraint so named (42704 if none does); naming a constraint that is
    /// not deferrable is an error for DEFERRED (42809) and ignored for IMMEDIATE. Outside a
    /// block only PostgreSQL's WARNING (25P01): the modes last for the transaction.
    pub(super) fn set_constraints(
        &mut self,
        names: &[ast::ObjectName],
        deferred: bool,
    ) -> Result<StatementResult> {
        self.warn_outside_block(true, "SET CONSTRAINTS");
        let fks = if names.is_empty() {
            None
        } else {
            Some(self.deferrable_constraints(names, deferred)?)
        };
        if matches!(self.block, Block::Open { .. }) {
            self.info.deferred.set(fks.as_deref(), deferred);
            if !deferred {
                self.check_deferred(false)?;
            }
        }
        Ok(StatementResult::command("SET CONSTRAINTS"))
    }

    /// The OIDs of the deferrable constraints `names` name.
    fn deferrable_constraints(
        &mut self,
        names: &[ast::ObjectName],
        deferred: bool,
    ) -> Result<Vec<Oid>> {
        let catalog = self.catalog_now()?;
        let path = self.search_path(&catalog);
        let mut oids = Vec::new();
        for name in names {
            let (schema, constraint) = crate::binder::split_name(name)?;
            let schemas = match schema {
                Some(s) => vec![
                    catalog
                        .schema_oid(&s)
                        .ok_or_else(|| crate::storage::catalog::undefined_schema(&s))?,
                ],
                None => path.clone(),
            };
            let mut found = false;
            for schema in schemas {
                for t in catalog.tables.iter().filter(|t| t.schema == schema) {
                    if !t.constraint_names().any(|n| n == constraint) {
                        continue;
                    }
                    found = true;
                    match t
                        .foreign_keys
                        .iter()
                        .find(|f| f.name == constraint && f.deferrable)
                    {
                        Some(fk) => oids.push(fk.oid),
                        None if deferred => {
                            return Err(Error::WrongObjectType(format!(
                                "constraint \"{constraint}\" is not deferrable"
                            )));
                        }
                        None => {}
                    }
                }
                if found {
                    break;
                }
            }
            if !found {
                return Err(Error::UndefinedObject(format!(
                    "constraint \"{constraint}\" does not exist"
                )));
            }
        }
        Ok(oids)
    }

    /// Runs the deferred checks that are due in the open block's transaction: all of them
    /// (`at_commit`), or those of constraints no longer deferred.
    pub(super) fn check_deferred(&mut self, at_commit: bool) -> Result<()> {
        let queue = self.info.deferred.clone();
        let due = queue.due(at_commit);
        if due.is_empty() {
            return Ok(());
        }
        let _env = crate::env::install(self.statement_env());
        let Block::Open { txn: Some(txn), .. } = &mut self.block else {
            return Ok(());
        };
        run_checks(txn, &due)?;
        queue.passed(&due);
        Ok(())
    }

    /// The end of a transaction the session began and commits itself (a single statement,
    /// a COPY outside a block): its deferred checks, which are then forgotten.
    pub(super) fn check_deferred_in(
        &mut self,
        txn: &mut crate::storage::serializable::Tracked<S::Txn>,
    ) -> Result<()> {
        let due = self.info.deferred.due(true);
        self.info.deferred.clear();
        if due.is_empty() {
            return Ok(());
        }
        run_checks(txn, &due)
    }
}
