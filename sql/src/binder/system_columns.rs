//! PostgreSQL's system columns of a table in FROM or the target of UPDATE / DELETE:
//! `tableoid`, `xmin`, `xmax`, `cmin`, `cmax`, `ctid`. They are no scope columns (so never
//! part of `*` or a whole-row value): a name that is no column of the scope and is one of
//! these resolves to an expression over the table's columns
//! ([`crate::expr::functions::system_columns`]), or a constant — `tableoid` the table's OID,
//! `xmax`, `cmin` and `cmax` 0. `ctid` of a table without a primary key reads its hidden row
//! id, which the scan then returns as a hidden scope column when the statement names `ctid`
//! anywhere ([`mentions_ctid`]); UPDATE and DELETE then give their expressions the row
//! followed by its key (`executor::with_key`). A user column may not take one of these names (42701,
//! [`check_column_name`]).

use super::{Binder, Scope, ScopeColumn};
use crate::expr::Expr;
use crate::expr::functions::Function;
use crate::expr::functions::system_columns::SystemColumn;
use crate::storage::TableDef;
use crate::types::{DataType, Value};
use crate::{Error, Result};
use sqlparser::ast;
use std::ops::ControlFlow;

/// The system column names, in PostgreSQL's attnum order (-1 first).
pub const NAMES: [&str; 6] = ["ctid", "xmin", "cmin", "xmax", "cmax", "tableoid"];

/// The hidden scope column with a row-id table's row id (for `ctid`).
const ROW_ID: &str = "\0ctid-row-id";

/// PostgreSQL's 42701 for a user column named like a system column.
pub fn check_column_name(name: &str) -> Result<()> {
    if NAMES.contains(&name) {
        return Err(Error::SystemColumnName(name.to_string()));
    }
    Ok(())
}

/// Whether `node` names a column `ctid` (alone or qualified).
pub(super) fn mentions_ctid<V: ast::Visit>(node: &V) -> bool {
    let is_ctid = |i: &ast::Ident| super::ident(i) == "ctid";
    ast::visit_expressions(node, |e| match e {
        ast::Expr::Identifier(i) if is_ctid(i) => ControlFlow::Break(()),
        ast::Expr::CompoundIdentifier(p) if p.last().is_some_and(is_ctid) => ControlFlow::Break(()),
        _ => ControlFlow::Continue(()),
    })
    .is_break()
}

impl Binder {
    /// For a table bound in FROM as `qualifier` whose scan does not yet return its key:
    /// whether it must (a `ctid` of a table without a primary key); if so its row id is
    /// added to `scope`.
    pub(super) fn row_id_for_ctid(
        &mut self,
        table: &TableDef,
        qualifier: &str,
        scope: &mut Scope,
    ) -> bool {
        if !self.wants_ctid || !table.primary_key.is_empty() {
            return false;
        }
        scope.columns.push(ScopeColumn {
            table: Some(qualifier.to_string()),
            name: ROW_ID.into(),
            data_type: DataType::Int8,
            qualified_only: true,
            schema: None,
            whole_row: false,
            system: true,
            origin: None,
        });
        true
    }

    /// `[qualifier.]name` as a system column of the one table of `scope` it can mean.
    pub(super) fn system_column(
        &mut self,
        scope: &Scope,
        qualifier: Option<&str>,
        name: &str,
    ) -> Option<Result<(Expr, DataType)>> {
        if !NAMES.contains(&name) {
            return None;
        }
        let mut found = None;
        for (i, c) in scope.columns.iter().enumerate() {
            let Some((need, 0)) = c.origin else { continue };
            if c.system || qualifier.is_some_and(|q| c.table.as_deref() != Some(q)) {
                continue;
            }
            let relation = self.needs.get(need)?.relation;
            let Some(table) = self.catalog.table_by_id(relation) else {
                continue;
            };
            let n = table.columns.len();
            let contiguous = (0..n).all(|k| {
                scope
                    .columns
                    .get(i + k)
                    .is_some_and(|c| c.origin == Some((need, k)))
            });
            if !contiguous {
                continue;
            }
            if found.is_some() {
                return None; // PostgreSQL: 42703 for an unqualified name of two tables
            }
            found = Some((i, need, table.clone(), c.table.clone()));
        }
        let (first, need, table, qualifier) = found?;
        self.read_column(Some((need, crate::column_privilege::WHOLE_ROW)));
        let columns = |ks: &mut dyn Iterator<Item = usize>| -> Vec<Expr> {
            ks.map(|k| Expr::Column(first + k)).collect()
        };
        let call = |c, args| Expr::Call(Function::SystemColumn(c), args);
        // On the NULL-extended side of an outer join the system columns are NULL too.
        let markers: Vec<Expr> = qualifier
            .as_deref()
            .map(|q| Self::markers_of(scope, q))
            .unwrap_or_default()
            .iter()
            .filter_map(|m| scope.columns.iter().position(|c| &c.name == m))
            .map(Expr::Column)
            .collect();
        let extended =
            |(e, t): (Expr, DataType)| (super::null_side::null_when_extended(e, markers), t);
        Some(Ok(extended(match name {
            "tableoid" => (
                Expr::Literal(Value::Int(i64::from(table.id))),
                DataType::Oid,
            ),
            "xmax" => (Expr::Literal(Value::Int(0)), DataType::Xid),
            "cmin" | "cmax" => (Expr::Literal(Value::Int(0)), DataType::Cid),
            "xmin" => (
                call(
                    SystemColumn::Xmin(table.id),
                    columns(&mut (0..table.columns.len())),
                ),
                DataType::Xid,
            ),
            _ if !table.primary_key.is_empty() => (
                call(
                    SystemColumn::CtidOfKey,
                    columns(&mut table.primary_key.iter().copied()),
                ),
                DataType::Tid,
            ),
            _ => {
                let Some(row_id) = scope.columns.iter().position(|c| {
                    c.system
                        && c.table == qualifier
                        && (c.name == ROW_ID || c.name.starts_with(super::locking::KEY_COLUMN))
                }) else {
                    return Some(Err(Error::unsupported(format!(
                        "ctid of table \"{}\", which has no primary key, is not supported here",
                        table.name
                    ))));
                };
                (
                    call(SystemColumn::CtidOfRowId, vec![Expr::Column(row_id)]),
                    DataType::Tid,
                )
            }
        })))
    }
}
