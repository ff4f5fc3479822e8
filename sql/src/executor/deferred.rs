//! Deferred foreign key checks: `DEFERRABLE [INITIALLY DEFERRED]` constraints and
//! `SET CONSTRAINTS`, as PostgreSQL's deferred RI trigger events.
//!
//! A foreign key declared DEFERRABLE is *deferred* in a transaction when `SET CONSTRAINTS`
//! names it (or ALL) DEFERRED, or when nothing set it and it is INITIALLY DEFERRED. While
//! deferred, the checks PostgreSQL can defer are queued here instead of run
//! ([`crate::executor::constraints`] asks [`Deferred::is_deferred`]):
//!
//! * the referencing side ([`Side::Child`]): a row inserted, or updated to a new key, must
//!   find its key in the referenced table;
//! * the referenced side with NO ACTION ([`Side::Parent`]): a key deleted or changed must no
//!   longer be referenced. RESTRICT, CASCADE, SET NULL and SET DEFAULT are never deferred
//!   (PostgreSQL's action triggers are not deferrable), so they still act at once.
//!
//! A queued check names the constraint and a key, not a row, and is evaluated against the
//! transaction's *final* state (the latest rows, own writes included): a child check fails
//! only if the referenced key is missing *and* some row still holds the key; a parent check
//! only if no row has the key again *and* some row references it. So a row inserted then
//! deleted, a parent inserted later, or a key deleted and inserted again all pass, and a
//! check left behind by a rolled-back savepoint or PL/pgSQL block is harmless. Checks are
//! deduplicated (a fixture of 10,000 rows referencing one parent checks it once) and run in
//! the order they were queued, so the first violation is the one PostgreSQL reports.
//!
//! The session ([`crate::session`]) runs the due checks: all of them at COMMIT (an implicit
//! transaction's at the end of its statement), where a failure rolls the transaction back
//! with 23503; and those of the constraints `SET CONSTRAINTS ... IMMEDIATE` makes immediate,
//! at that statement. A check is marked done only once it passed; ROLLBACK TO SAVEPOINT
//! restores the modes and un-marks the checks done since the savepoint (as PostgreSQL
//! re-fires them at commit).

use super::Context;
use super::constraints::{
    key_problem, missing_parent, referencing_rows, still_referenced, unique_constraint,
};
use crate::storage::{ForeignKeyDef, Oid, TableDef, TableId};
use crate::{Error, Result, Value};
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

/// Which side of a foreign key a deferred check is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// A referencing row holds `key` (the foreign key's columns, in order).
    Child,
    /// A referenced row with `key` (the referenced columns, in the foreign key's order) was
    /// deleted or got another key.
    Parent,
}

/// One queued check.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Check {
    pub side: Side,
    /// The referencing table and its foreign key's OID.
    pub table: TableId,
    pub fk: Oid,
    /// The table the check is about: the referencing table for [`Side::Child`], the
    /// referenced one for [`Side::Parent`] (PostgreSQL's trigger relation).
    pub relation: TableId,
    /// The constraint's INITIALLY DEFERRED (its mode when SET CONSTRAINTS did not name it).
    pub initially_deferred: bool,
    pub key: Vec<Value>,
}

impl Check {
    pub fn new(side: Side, table: TableId, fk: &ForeignKeyDef, key: Vec<Value>) -> Check {
        Check {
            side,
            table,
            fk: fk.oid,
            relation: match side {
                Side::Child => table,
                Side::Parent => fk.ref_table,
            },
            initially_deferred: fk.initially_deferred,
            key,
        }
    }
}

/// What `SET CONSTRAINTS` chose in the transaction.
#[derive(Debug, Default, Clone)]
struct Modes {
    /// `SET CONSTRAINTS ALL`: deferred or not.
    all: Option<bool>,
    /// Constraints named since (by OID), which override `all`.
    named: HashMap<Oid, bool>,
}

impl Modes {
    fn deferred(&self, fk: Oid, initially_deferred: bool) -> bool {
        self.named
            .get(&fk)
            .copied()
            .or(self.all)
            .unwrap_or(initially_deferred)
    }
}

/// A savepoint's view of the state: its modes, how many checks were queued and how many
/// checks had been run.
#[derive(Debug)]
struct Mark {
    modes: Modes,
    queued: usize,
    runs: u64,
}

#[derive(Debug, Default)]
struct State {
    modes: Modes,
    /// Queued checks in order, each with the run that passed it (`None`: still pending).
    checks: Vec<(Check, Option<u64>)>,
    /// The pending ones, for deduplication.
    pending: HashSet<Check>,
    /// Runs of checks so far (numbers the passes, so a savepoint can undo later ones).
    runs: u64,
    savepoints: Vec<Mark>,
}

/// One session's deferred constraint state (lives in [`crate::env::SessionInfo`]).
#[derive(Debug, Default)]
pub struct Deferred {
    state: Mutex<State>,
}

impl Deferred {
    fn state(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a panic elsewhere; every change is a few operations.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `fk`'s checks wait for COMMIT now.
    pub fn is_deferred(&self, fk: &ForeignKeyDef) -> bool {
        fk.deferrable && self.state().modes.deferred(fk.oid, fk.initially_deferred)
    }

    /// Queues a check (once while it is pending).
    pub fn queue(&self, check: Check) {
        let mut s = self.state();
        if s.pending.insert(check.clone()) {
            s.checks.push((check, None));
        }
    }

    /// `SET CONSTRAINTS ALL` (`fks` = None) or the named deferrable constraints
    /// DEFERRED or IMMEDIATE.
    pub fn set(&self, fks: Option<&[Oid]>, deferred: bool) {
        let mut s = self.state();
        match fks {
            None => {
                s.modes.all = Some(deferred);
                s.modes.named.clear();
            }
            Some(fks) => {
                for &fk in fks {
                    s.modes.named.insert(fk, deferred);
                }
            }
        }
    }

    /// The pending checks to run now: all of them at COMMIT, else those of constraints
    /// that are no longer deferred.
    pub fn due(&self, at_commit: bool) -> Vec<Check> {
        let s = self.state();
        s.checks
            .iter()
            .filter(|(c, done)| {
                done.is_none() && (at_commit || !s.modes.deferred(c.fk, c.initially_deferred))
            })
            .map(|(c, _)| c.clone())
            .collect()
    }

    /// The checks `done` passed.
    pub fn passed(&self, done: &[Check]) {
        let mut s = self.state();
        s.runs += 1;
        let run = s.runs;
        let done: HashSet<&Check> = done.iter().collect();
        let State {
            checks, pending, ..
        } = &mut *s;
        for (c, at) in checks.iter_mut() {
            if at.is_none() && done.contains(c) {
                *at = Some(run);
                pending.remove(c);
            }
        }
    }

    /// Whether a check about `table` is pending.
    pub fn pending_on(&self, table: TableId) -> bool {
        self.state().pending.iter().any(|c| c.relation == table)
    }

    /// The transaction ended: nothing is deferred or pending any more.
    pub fn clear(&self) {
        *self.state() = State::default();
    }

    pub fn savepoint(&self) {
        let mut s = self.state();
        let mark = Mark {
            modes: s.modes.clone(),
            queued: s.checks.len(),
            runs: s.runs,
        };
        s.savepoints.push(mark);
    }

    /// ROLLBACK TO the savepoint at `pos` (which stays): its modes come back, checks queued
    /// since are dropped and checks passed since are pending again.
    pub fn rollback_to(&self, pos: usize) {
        let mut s = self.state();
        s.savepoints.truncate(pos + 1);
        let Some(mark) = s.savepoints.get(pos) else {
            return;
        };
        let (modes, queued, runs) = (mark.modes.clone(), mark.queued, mark.runs);
        s.modes = modes;
        s.checks.truncate(queued);
        for (_, at) in s.checks.iter_mut() {
            if at.is_some_and(|r| r > runs) {
                *at = None;
            }
        }
        s.pending = s
            .checks
            .iter()
            .filter(|(_, at)| at.is_none())
            .map(|(c, _)| c.clone())
            .collect();
    }

    /// RELEASE of the savepoint at `pos` (and those after it).
    pub fn release(&self, pos: usize) {
        self.state().savepoints.truncate(pos);
    }
}

/// 55006 when `table` has pending deferred checks: `what` (ALTER TABLE, DROP TABLE,
/// TRUNCATE) would change what they check, as PostgreSQL's `CheckTableNotInUse` refuses.
pub fn refuse_if_pending(table: &TableDef, what: &str) -> Result<()> {
    if crate::env::with(|e| e.session.deferred.pending_on(table.id)) {
        return Err(Error::ObjectInUse(format!(
            "cannot {what} \"{}\" because it has pending trigger events",
            table.name
        )));
    }
    Ok(())
}

/// Runs `checks` against the transaction's latest state, in order; the first violation is
/// the error (23503, PostgreSQL's messages). Checks of constraints or tables dropped since
/// are skipped.
pub fn run(ctx: &mut Context, checks: &[Check]) -> Result<()> {
    let catalog = ctx.txn()?.catalog()?;
    for c in checks {
        let Some(child) = catalog.table_by_id(c.table) else {
            continue;
        };
        let Some(fk) = child.foreign_keys.iter().find(|f| f.oid == c.fk) else {
            continue;
        };
        let Some(parent) = catalog.table_by_id(fk.ref_table) else {
            continue;
        };
        let exists = |ctx: &mut Context| -> Result<bool> {
            if c.key.iter().any(Value::is_null) {
                return Ok(false);
            }
            let Some((constraint, order)) = unique_constraint(parent, &fk.ref_columns) else {
                return Ok(false);
            };
            let values: Vec<Value> = order.iter().map(|&p| c.key[p].clone()).collect();
            ctx.txn_mut()?
                .lock_key_share(parent.id, &constraint, &values)
        };
        match c.side {
            Side::Child => {
                if let Some(e) = key_problem(&catalog, child, fk, parent, &c.key)? {
                    if !referencing_rows(ctx, child, fk, &c.key)?.is_empty() {
                        return Err(e);
                    }
                    continue;
                }
                // MATCH SIMPLE: a NULL anywhere exempts the row.
                if c.key.iter().any(Value::is_null)
                    || exists(ctx)?
                    || referencing_rows(ctx, child, fk, &c.key)?.is_empty()
                {
                    continue;
                }
                return Err(missing_parent(&catalog, child, fk, parent, &c.key));
            }
            Side::Parent => {
                if exists(ctx)? || referencing_rows(ctx, child, fk, &c.key)?.is_empty() {
                    continue;
                }
                return Err(still_referenced(&catalog, parent, child, fk, &c.key));
            }
        }
    }
    Ok(())
}
