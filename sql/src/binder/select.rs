//! Binding of one SELECT (FROM, WHERE, GROUP BY / aggregates, HAVING, window functions, the
//! select list, DISTINCT [ON], ORDER BY and the tail) and of VALUES.
//!
//! The plan built for a SELECT is, bottom-up:
//!
//! ```text
//! FROM → Filter(WHERE) → [Aggregate → Filter(HAVING)] → [Window] →
//!   Project(select list + hidden ORDER BY / DISTINCT ON columns) → [Distinct] → [Sort] →
//!   [DistinctOn] → [Limit] → [Project(drop hidden columns)]
//! ```
//!
//! ORDER BY follows PostgreSQL: an output column name or position first, else an expression
//! over the input (reusing an equal select-list expression, else a hidden column; with
//! DISTINCT it must be in the select list). GROUP BY: an input column name first, else an
//! output column name or position, else an expression over the input; ROLLUP, CUBE and
//! GROUPING SETS expand to grouping sets (`group.rs`).

use super::aggregate::AggState;
use super::expr::ExprCtx;
use super::locking::FromLocks;
use super::query::{Tail, output_reference, sort_key};
use super::set_op::common_type_of;
use super::walk::contains_aggregate_or_grouping;
use super::window::{WindowState, resolve_window_refs};
use super::{Binder, OutputColumn, Scope, ident};
use crate::expr::Expr;
use crate::planner::Plan;
use crate::types::DataType;
use crate::{Error, Result};
use sqlparser::ast;

/// PostgreSQL's name for a result column computed by `e` (FigureColname).
pub fn column_name(e: &ast::Expr) -> String {
    use ast::Expr as E;
    match e {
        E::Identifier(i) => ident(i),
        E::CompoundIdentifier(parts) => {
            parts.last().map(ident).unwrap_or_else(|| "?column?".into())
        }
        E::Nested(x) => column_name(x),
        E::Function(f) => f
            .name
            .0
            .last()
            .map(|p| match p {
                ast::ObjectNamePart::Identifier(i) => ident(i),
                other => other.to_string(),
            })
            .unwrap_or_else(|| "?column?".into()),
        // A cast keeps a strong name from inside (a column, a function) and otherwise takes
        // its type's: PostgreSQL ranks `case` and a cast's own type name as weak.
        E::Cast {
            expr, data_type, ..
        } => {
            let mut inner = expr.as_ref();
            while let E::Nested(x) = inner {
                inner = x;
            }
            match column_name(inner).as_str() {
                _ if matches!(inner, E::Cast { .. } | E::TypedString(_) | E::Case { .. }) => {
                    type_column_name(data_type)
                }
                "?column?" => type_column_name(data_type),
                name => name.into(),
            }
        }
        // `date '2024-01-01'`, `interval '1 day'`: a cast of a literal.
        E::TypedString(t) => type_column_name(&t.data_type),
        E::Interval(_) => "interval".into(),
        E::Extract { .. } => "extract".into(),
        E::AtTimeZone { .. } => "timezone".into(),
        E::Array(_) => "array".into(),
        E::Collate { expr, .. } => column_name(expr),
        E::Case { .. } => "case".into(),
        E::Exists { .. } => "exists".into(),
        E::Trim { trim_where, .. } => match trim_where {
            Some(ast::TrimWhereField::Leading) => "ltrim".into(),
            Some(ast::TrimWhereField::Trailing) => "rtrim".into(),
            _ => "btrim".into(),
        },
        E::Substring { .. } => "substring".into(),
        E::Position { .. } => "position".into(),
        E::Ceil { .. } => "ceil".into(),
        E::Floor { .. } => "floor".into(),
        E::Overlay { .. } => "overlay".into(),
        E::Subquery(q) => subquery_column_name(q),
        E::Tuple(_) => "row".into(),
        E::CompoundFieldAccess { access_chain, .. }
            if matches!(
                access_chain.last(),
                Some(ast::AccessExpr::Dot(E::Identifier(_)))
            ) =>
        {
            match access_chain.last() {
                Some(ast::AccessExpr::Dot(E::Identifier(i))) => ident(i),
                _ => "?column?".into(),
            }
        }
        _ => "?column?".into(),
    }
}

/// The column name of a cast to `t`: the type's last name as the parser leaves it
/// (`int4` for `integer`, `bpchar` for `char(3)`, `text` for `text[]`).
fn type_column_name(t: &ast::DataType) -> String {
    let written = crate::types::names::as_written(t);
    let last = written.rsplit('.').next().unwrap_or(&written);
    last.trim_end_matches("[]").to_string()
}

/// The name of a scalar subquery's column: its first output column's name.
fn subquery_column_name(q: &ast::Query) -> String {
    let mut body = q.body.as_ref();
    loop {
        match body {
            ast::SetExpr::SetOperation { left, .. } => body = left,
            ast::SetExpr::Query(q) => body = q.body.as_ref(),
            ast::SetExpr::Select(s) => {
                return match s.projection.first() {
                    Some(ast::SelectItem::UnnamedExpr(e)) => column_name(e),
                    Some(ast::SelectItem::ExprWithAlias { alias, .. }) => ident(alias),
                    _ => "?column?".into(),
                };
            }
            ast::SetExpr::Values(_) => return "column1".into(),
            _ => return "?column?".into(),
        }
    }
}

impl Binder {
    /// `VALUES (...), (...)` as a query: columns `column1..n` of the rows' common types.
    pub(super) fn bind_values(&mut self, v: &ast::Values) -> Result<(Plan, Vec<OutputColumn>)> {
        let scope = Scope::default();
        let mut rows = Vec::new();
        let width = v.rows.first().map(|r| r.content.len()).unwrap_or(0);
        for r in &v.rows {
            if r.content.len() != width {
                return Err(Error::SyntaxError(
                    "VALUES lists must all be the same length".into(),
                ));
            }
            let mut row = Vec::new();
            for e in &r.content {
                row.push(self.bind_expr(e, &mut ExprCtx::plain(&scope, "VALUES"))?);
            }
            rows.push(row);
        }
        let mut types = vec![DataType::Unknown; width];
        for (i, t) in types.iter_mut().enumerate() {
            *t = common_type_of(rows.iter().map(|r| r[i].1), "VALUES")?;
        }
        for t in &mut types {
            if *t == DataType::Unknown {
                *t = DataType::Text;
            }
        }
        let mut out = Vec::new();
        for row in rows {
            let mut r = Vec::new();
            for (i, (e, t)) in row.into_iter().enumerate() {
                r.push(self.coerce(e, t, types[i])?);
            }
            out.push(r);
        }
        let columns = types
            .iter()
            .enumerate()
            .map(|(i, t)| OutputColumn {
                name: format!("column{}", i + 1),
                data_type: *t,
            })
            .collect();
        Ok((Plan::Values { rows: out }, columns))
    }

    /// Binds one SELECT with its ORDER BY and tail; `unknown` output types are kept.
    pub(super) fn bind_select(
        &mut self,
        s: &ast::Select,
        order_by: &[ast::OrderByExpr],
        tail: &Tail,
    ) -> Result<(Plan, Vec<OutputColumn>)> {
        if s.top.is_some()
            || s.into.is_some()
            || !s.lateral_views.is_empty()
            || s.qualify.is_some()
            || !s.cluster_by.is_empty()
            || !s.sort_by.is_empty()
            || s.prewhere.is_some()
        {
            return Err(Error::unsupported("this SELECT clause is not supported"));
        }
        // This SELECT's locking clauses apply to its own FROM list only.
        let locks = FromLocks::new(tail.locks)?;
        let outer_locks = std::mem::replace(&mut self.from_locks, locks);
        let from = self.bind_from(&s.from);
        let locks = std::mem::replace(&mut self.from_locks, outer_locks);
        let (mut plan, scope) = from?;
        let (locking, marks) = match locks {
            Some(l) => (Some(l.what()), l.finish(&scope)?),
            None => (None, Vec::new()),
        };
        let mut recheck = None;
        if let Some(w) = &s.selection {
            let predicate = self.bind_bool(w, &mut ExprCtx::plain(&scope, "WHERE"), "WHERE")?;
            if !marks.is_empty() {
                recheck = Some(predicate.clone());
            }
            plan = Plan::Filter {
                input: Box::new(plan),
                predicate,
            };
        }
        let items = self.expand_select_items(&s.projection, &scope)?;
        let (group_distinct, group_exprs) = super::group::group_by_items(&s.group_by)?;
        let distinct_on: &[ast::Expr] = match &s.distinct {
            Some(ast::Distinct::On(exprs)) => exprs,
            _ => &[],
        };
        let distinct = matches!(s.distinct, Some(ast::Distinct::Distinct));
        let aggregating = !group_exprs.is_empty()
            || s.having.is_some()
            || items.iter().any(|(e, _)| contains_aggregate_or_grouping(e))
            || order_by
                .iter()
                .any(|o| contains_aggregate_or_grouping(&o.expr));
        let mut agg = AggState::default();
        if aggregating {
            self.bind_group_by(group_exprs, group_distinct, &items, &scope, &mut agg)?;
        }
        let mut windows = WindowState::new(&s.named_window)?;
        let mut ctx = ExprCtx {
            scope: &scope,
            agg: aggregating.then_some(&mut agg),
            windows: Some(&mut windows),
            clause: "SELECT",
        };
        let mut exprs = Vec::new();
        let mut columns = Vec::new();
        self.begin_set_functions((!aggregating).then_some(scope.columns.len()));
        let bound: Result<Vec<_>> = items
            .iter()
            .map(|(e, _)| self.bind_expr(e, &mut ctx))
            .collect();
        let set_functions = self.end_set_functions();
        for ((x, t), (_, name)) in bound?.into_iter().zip(&items) {
            exprs.push(x);
            columns.push(OutputColumn {
                name: name.clone(),
                data_type: t,
            });
        }
        let having = match &s.having {
            Some(h) => {
                ctx.clause = "HAVING";
                let windows = ctx.windows.take();
                let x = self.bind_bool(h, &mut ctx, "HAVING")?;
                ctx.windows = windows;
                Some(x)
            }
            None => None,
        };
        let visible = exprs.len();
        let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
        // DISTINCT ON keys, then ORDER BY keys: columns of the projection (hidden if new).
        ctx.clause = "DISTINCT ON";
        let mut on_columns = Vec::new();
        for e in distinct_on {
            on_columns.push(self.order_column(e, &names, &mut exprs, false, &mut ctx)?);
        }
        ctx.clause = "ORDER BY";
        let mut keys = Vec::new();
        for o in order_by {
            let column = self.order_column(&o.expr, &names, &mut exprs, distinct, &mut ctx)?;
            keys.push(sort_key(column, o)?);
        }
        if !on_columns.is_empty() {
            check_distinct_on_prefix(&on_columns, &keys)?;
        }
        if let Some(what) = locking {
            let with = if s.distinct.is_some() {
                Some("DISTINCT clause")
            } else if !group_exprs.is_empty() {
                Some("GROUP BY clause")
            } else if s.having.is_some() {
                Some("HAVING clause")
            } else if aggregating {
                Some("aggregate functions")
            } else if !windows.calls.is_empty() {
                Some("window functions")
            } else if !set_functions.is_empty() {
                Some("set-returning functions in the target list")
            } else {
                None
            };
            if let Some(with) = with {
                return Err(super::locking::refuse(what, with));
            }
        }
        if aggregating {
            let groups = agg.groups.into_iter().map(|(e, _)| e).collect();
            let calls = agg.calls.into_iter().map(|(c, _)| c).collect();
            plan = Plan::Aggregate {
                input: Box::new(plan),
                groups,
                calls,
                sets: agg.sets,
            };
            if let Some(h) = having {
                plan = Plan::Filter {
                    input: Box::new(plan),
                    predicate: h,
                };
            }
        }
        if !windows.calls.is_empty() {
            let width = plan_width(&scope, aggregating, &plan);
            for e in &mut exprs {
                resolve_window_refs(e, width);
            }
            plan = Plan::Window {
                input: Box::new(plan),
                calls: windows.calls.into_iter().map(|(c, _)| c).collect(),
            };
        }
        let mut width = exprs.len();
        // A locking SELECT carries its FROM row past its outputs, up to the lock.
        let outputs = (!marks.is_empty()).then(|| exprs.clone());
        if outputs.is_some() {
            exprs.extend((0..scope.columns.len()).map(Expr::Column));
            width = exprs.len();
        }
        if !set_functions.is_empty() {
            plan = Plan::ProjectSet {
                input: Box::new(plan),
                functions: set_functions,
            };
        }
        plan = Plan::Project {
            input: Box::new(plan),
            exprs,
        };
        if distinct {
            plan = Plan::Distinct {
                input: Box::new(plan),
                on: None,
            };
        }
        if keys.is_empty() && !on_columns.is_empty() {
            keys = on_columns
                .iter()
                .map(|&column| crate::planner::SortKey {
                    column,
                    desc: false,
                    nulls_first: false,
                })
                .collect();
        }
        if !keys.is_empty() {
            plan = Plan::Sort {
                input: Box::new(plan),
                keys: keys.clone(),
            };
        }
        if !on_columns.is_empty() {
            plan = Plan::Distinct {
                input: Box::new(plan),
                on: Some(on_columns),
            };
        }
        if let Some(outputs) = outputs {
            plan = Plan::LockRows {
                input: Box::new(plan),
                marks,
                recheck,
                outputs,
            };
        }
        plan = self.bind_tail(plan, tail, &keys)?;
        if width > visible {
            plan = Plan::Project {
                input: Box::new(plan),
                exprs: (0..visible).map(Expr::Column).collect(),
            };
        }
        Ok((plan, columns))
    }

    /// The projection column an ORDER BY (or DISTINCT ON) item sorts by: an output column
    /// named or numbered, a select-list expression it equals, or a new hidden column
    /// (refused when `in_list_only`, for SELECT DISTINCT).
    fn order_column(
        &mut self,
        e: &ast::Expr,
        names: &[String],
        exprs: &mut Vec<Expr>,
        in_list_only: bool,
        ctx: &mut ExprCtx,
    ) -> Result<usize> {
        let same = |i: usize, j: usize| exprs.get(i).is_some() && exprs.get(i) == exprs.get(j);
        if let Some(c) = output_reference(e, names.iter().map(String::as_str), same)? {
            return Ok(c);
        }
        let (x, _) = self.bind_expr(e, ctx)?;
        if let Some(i) = exprs.iter().position(|y| *y == x) {
            return Ok(i);
        }
        if in_list_only {
            return Err(Error::InvalidColumnReference(
                "for SELECT DISTINCT, ORDER BY expressions must appear in select list".into(),
            ));
        }
        exprs.push(x);
        Ok(exprs.len() - 1)
    }
}

/// The width of the row the `Window` node reads: the aggregate's output or the FROM row.
fn plan_width(scope: &Scope, aggregating: bool, plan: &Plan) -> usize {
    let aggregate = |p: &Plan| match p {
        Plan::Aggregate { groups, calls, .. } => Some(groups.len() + calls.len()),
        _ => None,
    };
    if !aggregating {
        return scope.columns.len();
    }
    match plan {
        Plan::Filter { input, .. } => aggregate(input),
        p => aggregate(p),
    }
    .unwrap_or(scope.columns.len())
}

/// PostgreSQL requires the ORDER BY items that are DISTINCT ON columns to come before any
/// that is not, and then every DISTINCT ON column to be among them.
fn check_distinct_on_prefix(on: &[usize], keys: &[crate::planner::SortKey]) -> Result<()> {
    let mut skipped = false;
    let mut leading = Vec::new();
    let mismatch = || {
        Error::InvalidColumnReference(
            "SELECT DISTINCT ON expressions must match initial ORDER BY expressions".into(),
        )
    };
    for k in keys {
        if on.contains(&k.column) {
            if skipped {
                return Err(mismatch());
            }
            leading.push(k.column);
        } else {
            skipped = true;
        }
    }
    if skipped && on.iter().any(|c| !leading.contains(c)) {
        return Err(mismatch());
    }
    Ok(())
}
