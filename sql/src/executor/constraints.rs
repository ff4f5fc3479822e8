//! CHECK and FOREIGN KEY constraints on writes, called by the `Insert`, `Update` and
//! `Delete` operators (NOT NULL and unique keys are checked elsewhere: [`super::check_not_null`]
//! and the storage).
//!
//! * CHECK: evaluated on every new row version before it is written; `false` fails with
//!   23514 (NULL passes, as in SQL). The constraints of a column's domain come first
//!   ([`crate::ddl::domains::Checker`]).
//! * FOREIGN KEY, referencing side: after a row is written with a non-NULL key (MATCH
//!   SIMPLE; MATCH FULL refuses a partly NULL key), the referenced row is locked shared
//!   ([`crate::storage::Txn::lock_key_share`], PostgreSQL's `FOR KEY SHARE`) and must exist
//!   in the latest state (23503). The lock makes a concurrent DELETE of the referenced row
//!   wait for this transaction, then see the new referencing row.
//! * FOREIGN KEY, referenced side: when a row is deleted or its key changes, referencing
//!   rows (found in the *latest* state, [`crate::storage::Txn::scan_latest`]) are refused
//!   (NO ACTION / RESTRICT: 23503) or deleted / updated / set to NULL or their defaults
//!   (CASCADE / SET NULL / SET DEFAULT), recursively. NO ACTION is checked at once, not at
//!   the end of the statement as PostgreSQL does.
//! * A DEFERRABLE foreign key that is deferred in the transaction has its referencing-side
//!   checks and its NO ACTION checks queued for COMMIT instead ([`super::deferred`]).
//!
//! The constraints of every table involved are compiled once per operator, on first use,
//! from the statement's catalog.

use super::Context;
use super::deferred::Side;
use crate::expr::Expr;
use crate::storage::{
    Access, Catalog, FkAction, ForeignKeyDef, Key, LockOutcome, Row, TableDef, TableId,
};
use crate::{Error, ErrorObject, Result, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// Cascades deeper than this fail (a cycle of ON DELETE CASCADE through many tables).
const MAX_DEPTH: usize = 64;

/// One table's constraints, ready to evaluate.
struct Compiled {
    def: TableDef,
    /// The constraints of the columns declared with a domain, by column position.
    domains: Vec<(usize, crate::ddl::domains::Checker)>,
    checks: Vec<(String, Expr)>,
    /// Foreign keys of this table, with the referenced table and the referenced unique
    /// constraint's name and column order (positions into the foreign key's columns).
    parents: Vec<(ForeignKeyDef, TableDef, String, Vec<usize>)>,
    /// Foreign keys of other tables (or this one) referencing this table.
    children: Vec<(TableDef, ForeignKeyDef)>,
    /// DEFAULT expressions of the columns (for SET DEFAULT), bound lazily.
    defaults: Option<Vec<Expr>>,
}

/// The constraint checker of one DML operator.
pub struct Constraints {
    table: TableId,
    catalog: Option<Arc<Catalog>>,
    compiled: HashMap<TableId, Compiled>,
}

/// `Key (a, b)=(1, 2)` for messages.
fn key_text(def: &TableDef, cols: &[usize], vals: &[Value]) -> String {
    let names: Vec<&str> = cols.iter().map(|&c| def.columns[c].name.as_str()).collect();
    format!(
        "Key ({})=({})",
        names.join(", "),
        crate::ddl::constraints::values_text(vals)
    )
}

/// The error fields of a violation of constraint `name` of table `def` (PostgreSQL names
/// the schema, the table and the constraint).
pub fn violated(catalog: &Catalog, def: &TableDef, name: &str) -> ErrorObject {
    ErrorObject::table(&catalog.schema_name(def.schema), &def.name).constraint(name)
}

/// 23503 for a referencing row whose key is missing from `parent`.
pub fn missing_parent(
    catalog: &Catalog,
    child: &TableDef,
    fk: &ForeignKeyDef,
    parent: &TableDef,
    key: &[Value],
) -> Error {
    Error::ForeignKeyViolation {
        message: format!(
            "insert or update on table \"{}\" violates foreign key constraint \"{}\"",
            child.name, fk.name
        ),
        detail: format!(
            "{} is not present in table \"{}\".",
            key_text(child, &fk.columns, key),
            parent.name
        ),
    }
    .on(violated(catalog, child, &fk.name))
}

/// 23503 for a referenced key `key` (of `parent`'s columns `fk.ref_columns`) that rows of
/// `child` still reference.
pub fn still_referenced(
    catalog: &Catalog,
    parent: &TableDef,
    child: &TableDef,
    fk: &ForeignKeyDef,
    key: &[Value],
) -> Error {
    Error::ForeignKeyViolation {
        message: format!(
            "update or delete on table \"{}\" violates foreign key constraint \"{}\" on table \"{}\"",
            parent.name, fk.name, child.name
        ),
        detail: format!(
            "{} is still referenced from table \"{}\".",
            key_text(parent, &fk.ref_columns, key),
            child.name
        ),
    }
    .on(violated(catalog, child, &fk.name))
}

/// The session's deferred checks, when `fk` is deferred now (see [`super::deferred`]).
fn deferred_queue(fk: &ForeignKeyDef) -> Option<Arc<super::deferred::Deferred>> {
    if !fk.deferrable {
        return None;
    }
    crate::env::with(|e| {
        let d = e.session.deferred.clone();
        d.is_deferred(fk).then_some(d)
    })
}

/// A MATCH FULL key mixing NULLs and values (23503); `None` when the key is acceptable.
pub fn key_problem(
    catalog: &Catalog,
    child: &TableDef,
    fk: &ForeignKeyDef,
    _parent: &TableDef,
    key: &[Value],
) -> Result<Option<Error>> {
    let nulls = key.iter().filter(|v| v.is_null()).count();
    if fk.match_full && nulls > 0 && nulls < key.len() {
        return Ok(Some(
            Error::ForeignKeyViolation {
                message: format!(
                    "insert or update on table \"{}\" violates foreign key constraint \"{}\"",
                    child.name, fk.name
                ),
                detail: "MATCH FULL does not allow mixing of null and nonnull key values.".into(),
            }
            .on(violated(catalog, child, &fk.name)),
        ));
    }
    Ok(None)
}

/// The unique constraint of `parent` on exactly `cols` (any order): its name and, for each
/// of its columns, the position in `cols`.
pub(super) fn unique_constraint(parent: &TableDef, cols: &[usize]) -> Option<(String, Vec<usize>)> {
    let order = |k: &[usize]| -> Option<Vec<usize>> {
        if k.len() != cols.len() {
            return None;
        }
        k.iter().map(|c| cols.iter().position(|x| x == c)).collect()
    };
    if let (Some(name), Some(o)) = (&parent.primary_key_name, order(&parent.primary_key)) {
        return Some((name.clone(), o));
    }
    parent
        .indexes
        .iter()
        .filter(|i| i.unique && i.is_plain())
        .find_map(|i| order(&i.columns).map(|o| (i.name.clone(), o)))
}

impl Constraints {
    pub fn new(table: &TableDef) -> Constraints {
        Constraints {
            table: table.id,
            catalog: None,
            compiled: HashMap::new(),
        }
    }

    fn compiled(&mut self, ctx: &mut Context, table: TableId) -> Result<&mut Compiled> {
        if self.catalog.is_none() {
            self.catalog = Some(ctx.txn()?.catalog()?);
        }
        let catalog = self.catalog.clone().expect("set above");
        if let std::collections::hash_map::Entry::Vacant(slot) = self.compiled.entry(table) {
            let def = catalog
                .table_by_id(table)
                .cloned()
                .ok_or_else(|| Error::UndefinedTable(format!("#{table}")))?;
            // PostgreSQL evaluates CHECK constraints in the order of their names.
            let mut sorted: Vec<&crate::storage::CheckDef> = def.checks.iter().collect();
            sorted.sort_by(|a, b| a.name.cmp(&b.name));
            let mut checks = Vec::new();
            for c in sorted {
                let e = crate::ddl::constraints::parse_expr(&c.expr)?;
                let (x, _) = crate::ddl::constraints::bind_check(catalog.clone(), &def, &e)?;
                checks.push((c.name.clone(), x));
            }
            let mut domains = Vec::new();
            for (i, c) in def.columns.iter().enumerate() {
                if let Some(d) = c.domain
                    && let Some(checker) = crate::ddl::domains::Checker::new(catalog.clone(), d)?
                {
                    domains.push((i, checker));
                }
            }
            let mut parents = Vec::new();
            for fk in &def.foreign_keys {
                let parent = catalog
                    .table_by_id(fk.ref_table)
                    .cloned()
                    .unwrap_or_else(|| def.clone());
                let (name, order) =
                    unique_constraint(&parent, &fk.ref_columns).ok_or_else(|| {
                        Error::Internal(format!(
                            "foreign key {} has no unique key to reference",
                            fk.name
                        ))
                    })?;
                parents.push((fk.clone(), parent, name, order));
            }
            let children = catalog
                .referencing(table)
                .into_iter()
                .map(|(t, f)| (t.clone(), f.clone()))
                .collect();
            slot.insert(Compiled {
                def,
                domains,
                checks,
                parents,
                children,
                defaults: None,
            });
        }
        Ok(self.compiled.get_mut(&table).expect("inserted above"))
    }

    /// Checks a row about to be inserted (CHECK constraints).
    pub fn before_insert(&mut self, ctx: &mut Context, row: &Row) -> Result<()> {
        let table = self.table;
        self.check(ctx, table, row)
    }

    fn check(&mut self, ctx: &mut Context, table: TableId, row: &Row) -> Result<()> {
        let params = ctx.params;
        self.compiled(ctx, table)?;
        let catalog = self.catalog.as_deref().expect("set by compiled");
        let c = &self.compiled[&table];
        for (i, d) in &c.domains {
            d.check(&row[*i])?;
        }
        for (name, x) in &c.checks {
            if x.eval(row, &crate::expr::Params(params))? == Value::Bool(false) {
                return Err(Error::CheckViolation {
                    message: format!(
                        "new row for relation \"{}\" violates check constraint \"{name}\"",
                        c.def.name
                    ),
                    detail: crate::ddl::constraints::failing_row(row),
                }
                .on(violated(catalog, &c.def, name)));
            }
        }
        Ok(())
    }

    /// Whether [`Constraints::after_insert`] has anything to check (the table has foreign
    /// keys): without, a caller can hand its row to the insert instead of a copy.
    pub fn checks_after_insert(&mut self, ctx: &mut Context) -> Result<bool> {
        let table = self.table;
        Ok(!self.compiled(ctx, table)?.parents.is_empty())
    }

    /// After a row was inserted: its foreign keys.
    pub fn after_insert(&mut self, ctx: &mut Context, row: &Row) -> Result<()> {
        let table = self.table;
        self.check_parents(ctx, table, None, row)
    }

    /// Checks that every key of `row` (that changed from `old`) exists in its referenced
    /// table, locking it there.
    fn check_parents(
        &mut self,
        ctx: &mut Context,
        table: TableId,
        old: Option<&Row>,
        row: &Row,
    ) -> Result<()> {
        let c = self.compiled(ctx, table)?;
        if c.parents.is_empty() {
            // No foreign key: nothing to copy per row (a COPY runs this for every row).
            return Ok(());
        }
        let parents = c.parents.clone();
        let def = c.def.clone();
        for (fk, parent, constraint, order) in &parents {
            let key: Vec<Value> = fk.columns.iter().map(|&i| row[i].clone()).collect();
            if let Some(old) = old
                && fk.columns.iter().all(|&i| old[i] == row[i])
            {
                continue;
            }
            if let Some(queue) = deferred_queue(fk) {
                if key.iter().any(|v| !v.is_null()) {
                    let check = super::deferred::Check::new(Side::Child, table, fk, key);
                    queue.queue(check);
                }
                continue;
            }
            let catalog = self.catalog.clone().expect("set by compiled");
            if let Some(e) = key_problem(&catalog, &def, fk, parent, &key)? {
                return Err(e);
            }
            if key.iter().any(Value::is_null) {
                continue;
            }
            let values: Vec<Value> = order.iter().map(|&p| key[p].clone()).collect();
            if !ctx
                .txn_mut()?
                .lock_key_share(parent.id, constraint, &values)?
            {
                return Err(missing_parent(&catalog, &def, fk, parent, &key));
            }
        }
        Ok(())
    }

    /// Checks an updated row before it is written (CHECK constraints).
    pub fn before_update(&mut self, ctx: &mut Context, row: &Row) -> Result<()> {
        let table = self.table;
        self.check(ctx, table, row)
    }

    /// After a row changed from `old` to `new`: its own foreign keys, and the rows
    /// referencing its old key if the key changed.
    pub fn after_update(&mut self, ctx: &mut Context, old: &Row, new: &Row) -> Result<()> {
        let table = self.table;
        self.updated(ctx, table, old, new, 0)
    }

    fn updated(
        &mut self,
        ctx: &mut Context,
        table: TableId,
        old: &Row,
        new: &Row,
        depth: usize,
    ) -> Result<()> {
        self.check_parents(ctx, table, Some(old), new)?;
        self.referenced_changed(ctx, table, old, Some(new), depth)
    }

    /// After a row was deleted: the rows referencing it.
    pub fn after_delete(&mut self, ctx: &mut Context, old: &Row) -> Result<()> {
        let table = self.table;
        self.referenced_changed(ctx, table, old, None, 0)
    }

    /// Acts on the rows referencing `old` in `table` when it is deleted (`new` = None) or
    /// updated.
    fn referenced_changed(
        &mut self,
        ctx: &mut Context,
        table: TableId,
        old: &Row,
        new: Option<&Row>,
        depth: usize,
    ) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(Error::StackDepthExceeded);
        }
        let c = self.compiled(ctx, table)?;
        let children = c.children.clone();
        let parent_def = c.def.clone();
        for (child, fk) in &children {
            let key: Vec<Value> = fk.ref_columns.iter().map(|&i| old[i].clone()).collect();
            if key.iter().any(Value::is_null) {
                continue;
            }
            if let Some(new) = new
                && fk.ref_columns.iter().all(|&i| old[i] == new[i])
            {
                continue;
            }
            let action = if new.is_some() {
                fk.on_update
            } else {
                fk.on_delete
            };
            if action == FkAction::NoAction
                && let Some(queue) = deferred_queue(fk)
            {
                queue.queue(super::deferred::Check::new(Side::Parent, child.id, fk, key));
                continue;
            }
            let referencing = referencing_rows(ctx, child, fk, &key)?;
            if referencing.is_empty() {
                continue;
            }
            match action {
                FkAction::NoAction | FkAction::Restrict => {
                    return Err(still_referenced(
                        self.catalog.as_deref().expect("set by compiled"),
                        &parent_def,
                        child,
                        fk,
                        &key,
                    ));
                }
                FkAction::Cascade => {
                    for (k, _) in referencing {
                        let Some(current) = lock(ctx, child.id, &k)? else {
                            continue;
                        };
                        match new {
                            None => {
                                ctx.txn_mut()?.delete(child.id, &k)?;
                                self.referenced_changed(ctx, child.id, &current, None, depth + 1)?;
                            }
                            Some(new) => {
                                let mut row = current.clone();
                                for (&cc, &pc) in fk.columns.iter().zip(&fk.ref_columns) {
                                    row[cc] = new[pc].clone();
                                }
                                self.write_child(ctx, child, &k, &current, row, depth, false)?;
                            }
                        }
                    }
                }
                FkAction::SetNull | FkAction::SetDefault => {
                    let defaults = if action == FkAction::SetDefault {
                        Some(self.defaults(ctx, child.id)?)
                    } else {
                        None
                    };
                    for (k, _) in referencing {
                        let Some(current) = lock(ctx, child.id, &k)? else {
                            continue;
                        };
                        let mut row = current.clone();
                        for &cc in &fk.columns {
                            row[cc] = match &defaults {
                                Some(d) => d[cc].eval(&[], &crate::expr::Params(ctx.params))?,
                                None => Value::Null,
                            };
                        }
                        // SET DEFAULT re-checks the key even if the default is the old value.
                        let recheck = action == FkAction::SetDefault;
                        self.write_child(ctx, child, &k, &current, row, depth, recheck)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Writes a referencing row changed by a cascade, with its own checks (`recheck`: its
    /// foreign keys even where unchanged).
    #[allow(clippy::too_many_arguments)]
    fn write_child(
        &mut self,
        ctx: &mut Context,
        child: &TableDef,
        key: &Key,
        old: &Row,
        row: Row,
        depth: usize,
        recheck: bool,
    ) -> Result<()> {
        super::check_not_null(ctx, child, &row)?;
        self.check(ctx, child.id, &row)?;
        ctx.txn_mut()?.update(child.id, key, row.clone())?;
        self.check_parents(ctx, child.id, (!recheck).then_some(old), &row)?;
        self.referenced_changed(ctx, child.id, old, Some(&row), depth + 1)
    }

    /// The bound DEFAULT expressions of `table`'s columns.
    fn defaults(&mut self, ctx: &mut Context, table: TableId) -> Result<Vec<Expr>> {
        let catalog = self.catalog.clone();
        let c = self.compiled(ctx, table)?;
        if c.defaults.is_none() {
            let catalog = catalog.ok_or_else(|| Error::Internal("no catalog".into()))?;
            let mut b = crate::binder::Binder::new(catalog, Vec::new());
            let mut d = Vec::new();
            for i in 0..c.def.columns.len() {
                d.push(b.default_expr(&c.def, i)?);
            }
            c.defaults = Some(d);
        }
        Ok(c.defaults.clone().unwrap_or_default())
    }
}

/// Locks a referencing row for a cascade; its latest version, `None` if it is gone.
fn lock(ctx: &mut Context, table: TableId, key: &Key) -> Result<Option<Row>> {
    Ok(match ctx.txn_mut()?.lock_row(table, key)? {
        LockOutcome::Unchanged(r) | LockOutcome::Changed(r) => Some(r),
        LockOutcome::Deleted => None,
    })
}

/// The latest rows of `child` whose foreign key `fk` holds `key` (an index on the key's
/// columns is used when there is one).
pub(super) fn referencing_rows(
    ctx: &mut Context,
    child: &TableDef,
    fk: &ForeignKeyDef,
    key: &[Value],
) -> Result<Vec<(Key, Row)>> {
    let access = if child.primary_key.starts_with(&fk.columns) {
        Access::PrimaryRange(crate::storage::KeyRange::prefix(key.to_vec()))
    } else if let Some(i) = child
        .indexes
        .iter()
        .find(|i| i.is_plain() && i.columns.starts_with(&fk.columns))
    {
        Access::IndexRange {
            index: i.name.clone(),
            range: crate::storage::KeyRange::prefix(key.to_vec()),
        }
    } else {
        Access::Full
    };
    let mut out = Vec::new();
    for r in ctx.txn()?.scan_latest(child.id, &access)? {
        let r = r?;
        if fk.columns.iter().zip(key).all(|(&c, v)| r.row[c] == *v) {
            out.push((r.key, r.row));
        }
    }
    Ok(out)
}
