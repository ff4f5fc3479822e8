//! Generated columns in writes: INSERT and COPY FROM compute each `GENERATED ALWAYS AS
//! (expr) STORED` column from the row's other columns once they are in place; UPDATE and ON
//! CONFLICT DO UPDATE recompute it from the new values. Giving one a value is 428C9.

use super::expr::ExprCtx;
use super::{Binder, Scope};
use crate::expr::Expr;
use crate::planner::Plan;
use crate::storage::TableDef;
use crate::{Error, Result};
use sqlparser::ast;
use std::ops::ControlFlow;

/// A stored generation expression of table `table`, parsed, with `tableoid` (the one
/// system column it may read) replaced by the table's OID.
pub fn parse_expr(text: &str, table: crate::storage::Oid) -> Result<ast::Expr> {
    let mut e = crate::parse::expression(text)?;
    let oid = crate::parse::expression(&format!("{table}::oid"))?;
    let is_tableoid = |i: &ast::Ident| super::ident(i) == "tableoid";
    let _ = ast::visit_expressions_mut(&mut e, |x| {
        let hit = match x {
            ast::Expr::Identifier(i) => is_tableoid(i),
            ast::Expr::CompoundIdentifier(p) => p.last().is_some_and(is_tableoid),
            _ => false,
        };
        if hit {
            *x = oid.clone();
        }
        ControlFlow::<()>::Continue(())
    });
    Ok(e)
}

/// 428C9 for a value given to generated column `column` (INSERT or UPDATE).
pub fn written(column: &str, insert: bool) -> Error {
    Error::GeneratedAlways {
        message: if insert {
            format!("cannot insert a non-DEFAULT value into column \"{column}\"")
        } else {
            format!("column \"{column}\" can only be updated to DEFAULT")
        },
        detail: format!("Column \"{column}\" is a generated column."),
    }
}

impl Binder {
    /// The bound generation expression of generated column `i`, over a row of `table`.
    pub fn generation_expr(&mut self, table: &TableDef, i: usize) -> Result<Expr> {
        let col = &table.columns[i];
        let text = col.default.as_deref().unwrap_or("NULL");
        let ast = parse_expr(text, table.id).map_err(|e| {
            Error::Internal(format!("stored generation expression does not parse: {e}"))
        })?;
        let scope = Scope::of_table(table, None);
        let (x, t) = self.bind_expr(
            &ast,
            &mut ExprCtx::plain(&scope, "column generation expressions"),
        )?;
        self.assign(x, t, col.data_type, &col.name)
    }

    /// The generated columns of `table` with their expressions over a full row.
    pub fn generated_columns(&mut self, table: &TableDef) -> Result<Vec<(usize, Expr)>> {
        let mut out = Vec::new();
        for (i, c) in table.columns.iter().enumerate() {
            if c.generated {
                out.push((i, self.generation_expr(table, i)?));
            }
        }
        Ok(out)
    }

    /// `input`, full rows of `table`, with its generated columns computed.
    pub(super) fn with_generated(&mut self, table: &TableDef, input: Plan) -> Result<Plan> {
        let generated = self.generated_columns(table)?;
        if generated.is_empty() {
            return Ok(input);
        }
        let mut exprs: Vec<Expr> = (0..table.columns.len()).map(Expr::Column).collect();
        for (i, e) in generated {
            exprs[i] = e;
        }
        Ok(Plan::Project {
            input: Box::new(input),
            exprs,
        })
    }

    /// `assignments` (over the old row) and one per generated column of `table`,
    /// recomputing it from the new values.
    pub(super) fn with_generated_assignments(
        &mut self,
        table: &TableDef,
        mut assignments: Vec<(usize, Expr)>,
    ) -> Result<Vec<(usize, Expr)>> {
        let generated = self.generated_columns(table)?;
        let set = assignments.clone();
        for (i, mut e) in generated {
            e.rewrite(&mut |x| {
                let column = match x {
                    Expr::Column(c) => *c,
                    _ => return,
                };
                if let Some((_, v)) = set.iter().find(|(a, _)| *a == column) {
                    *x = v.clone();
                }
            });
            assignments.retain(|(a, _)| *a != i);
            assignments.push((i, e));
        }
        Ok(assignments)
    }
}
