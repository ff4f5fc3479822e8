//! Binding of queries: SELECT (single table or none), VALUES, WHERE, GROUP BY / aggregates,
//! HAVING, DISTINCT, ORDER BY, LIMIT / OFFSET.
//!
//! The plan built for a SELECT is, bottom-up:
//! `Scan | Values → Filter(WHERE) → [Aggregate → Filter(HAVING)] → Project(select list +
//! hidden ORDER BY columns) → [Distinct] → Sort → Limit → [Project(drop hidden columns)]`.

use super::aggregate::{AggState, contains_aggregate};
use super::expr::ExprCtx;
use super::{Binder, OutputColumn, Scope, ident};
use crate::expr::Expr;
use crate::planner::{Plan, SortKey};
use crate::types::DataType;
use crate::{Error, Result};
use sqlparser::ast;
use std::borrow::Cow;

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
        E::Cast {
            expr, data_type, ..
        } => match column_name(expr).as_str() {
            "?column?" => match DataType::from_sql(data_type) {
                Ok(DataType::Bool) => "bool".into(),
                Ok(DataType::Int2) => "int2".into(),
                Ok(DataType::Int4) => "int4".into(),
                Ok(DataType::Int8) => "int8".into(),
                Ok(DataType::Float8) => "float8".into(),
                Ok(DataType::Float4) => "float4".into(),
                Ok(DataType::Text) => "text".into(),
                Ok(DataType::Varchar(_)) => "varchar".into(),
                _ => "?column?".into(),
            },
            name => name.into(),
        },
        E::Value(v) if matches!(v.value, ast::Value::Boolean(_)) => "bool".into(),
        E::Case { .. } => "case".into(),
        _ => "?column?".into(),
    }
}

impl Binder {
    /// Binds a query to a plan and its result columns.
    pub fn bind_query(&mut self, q: &ast::Query) -> Result<(Plan, Vec<OutputColumn>)> {
        if q.with.is_some() || q.fetch.is_some() || !q.locks.is_empty() {
            return Err(Error::unsupported(
                "WITH / FETCH / FOR UPDATE are not supported yet",
            ));
        }
        let order_by: &[ast::OrderByExpr] = match &q.order_by {
            None => &[],
            Some(ast::OrderBy {
                kind: ast::OrderByKind::Expressions(e),
                ..
            }) => e,
            Some(_) => return Err(Error::unsupported("ORDER BY ALL is not supported")),
        };
        let (limit, offset) = match &q.limit_clause {
            None => (None, None),
            Some(ast::LimitClause::LimitOffset {
                limit,
                offset,
                limit_by,
            }) if limit_by.is_empty() => (limit.as_ref(), offset.as_ref().map(|o| &o.value)),
            Some(_) => {
                return Err(Error::SyntaxError(
                    "LIMIT #,# syntax is not supported".into(),
                ));
            }
        };
        let (plan, columns) = match q.body.as_ref() {
            ast::SetExpr::Select(s) => self.bind_select(s, order_by)?,
            ast::SetExpr::Values(v) => {
                let (plan, columns) = self.bind_values(v)?;
                let plan = self.sort_by_output(plan, &columns, order_by)?;
                (plan, columns)
            }
            ast::SetExpr::Query(inner)
                if order_by.is_empty() && limit.is_none() && offset.is_none() =>
            {
                return self.bind_query(inner);
            }
            _ => {
                return Err(Error::unsupported(
                    "set operations and subqueries are not supported yet",
                ));
            }
        };
        let plan = self.bind_limit(plan, limit, offset)?;
        Ok((plan, columns))
    }

    fn bind_limit(
        &mut self,
        plan: Plan,
        limit: Option<&ast::Expr>,
        offset: Option<&ast::Expr>,
    ) -> Result<Plan> {
        if limit.is_none() && offset.is_none() {
            return Ok(plan);
        }
        let scope = Scope::default();
        let bind = |b: &mut Binder, e: Option<&ast::Expr>, clause| -> Result<Option<Expr>> {
            let Some(e) = e else { return Ok(None) };
            let (x, t) = b.bind_expr(e, &mut ExprCtx::plain(&scope, clause))?;
            if !(t.is_integer() || t == DataType::Unknown) {
                return Err(Error::DatatypeMismatch(format!(
                    "argument of {clause} must be type bigint, not type {}",
                    t.name()
                )));
            }
            Ok(Some(b.coerce(x, t, DataType::Int8)?))
        };
        let limit = bind(self, limit, "LIMIT")?;
        let offset = bind(self, offset, "OFFSET")?;
        Ok(Plan::Limit {
            input: Box::new(plan),
            limit,
            offset,
        })
    }

    /// `VALUES (...), (...)` as a query: columns `column1..n` of the rows' common types.
    pub fn bind_values(&mut self, v: &ast::Values) -> Result<(Plan, Vec<OutputColumn>)> {
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
        for row in &rows {
            for (i, (_, t)) in row.iter().enumerate() {
                types[i] = DataType::unify(types[i], *t).ok_or_else(|| {
                    Error::DatatypeMismatch(format!(
                        "VALUES types {} and {} cannot be matched",
                        types[i].name(),
                        t.name()
                    ))
                })?;
            }
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

    /// ORDER BY for a VALUES query: only output names and positions.
    fn sort_by_output(
        &mut self,
        plan: Plan,
        columns: &[OutputColumn],
        order_by: &[ast::OrderByExpr],
    ) -> Result<Plan> {
        if order_by.is_empty() {
            return Ok(plan);
        }
        let mut keys = Vec::new();
        for o in order_by {
            let column = match output_reference(&o.expr, columns.iter().map(|c| c.name.as_str()))? {
                Some(c) => c,
                None => {
                    return Err(Error::unsupported(
                        "ORDER BY expression over VALUES is not supported yet",
                    ));
                }
            };
            keys.push(sort_key(column, o));
        }
        Ok(Plan::Sort {
            input: Box::new(plan),
            keys,
        })
    }

    fn bind_select(
        &mut self,
        s: &ast::Select,
        order_by: &[ast::OrderByExpr],
    ) -> Result<(Plan, Vec<OutputColumn>)> {
        if s.top.is_some()
            || s.into.is_some()
            || !s.lateral_views.is_empty()
            || s.qualify.is_some()
            || !s.named_window.is_empty()
            || !s.cluster_by.is_empty()
            || !s.sort_by.is_empty()
        {
            return Err(Error::unsupported("this SELECT clause is not supported"));
        }
        // FROM
        let (mut plan, scope) = self.bind_from(&s.from)?;
        // WHERE
        if let Some(w) = &s.selection {
            let (p, t) = self.bind_expr(w, &mut ExprCtx::plain(&scope, "WHERE"))?;
            let p = match t {
                DataType::Bool => p,
                DataType::Unknown => self.coerce(p, t, DataType::Bool)?,
                _ => {
                    return Err(Error::DatatypeMismatch(format!(
                        "argument of WHERE must be type boolean, not type {}",
                        t.name()
                    )));
                }
            };
            plan = Plan::Filter {
                input: Box::new(plan),
                predicate: p,
            };
        }
        // Select list (expanded), with output names.
        // Borrowed, not cloned: cloning a deep AST would recurse as deep as the AST.
        let mut items: Vec<(Cow<'_, ast::Expr>, String)> = Vec::new();
        for item in &s.projection {
            match item {
                ast::SelectItem::UnnamedExpr(e) => items.push((Cow::Borrowed(e), column_name(e))),
                ast::SelectItem::ExprWithAlias { expr, alias } => {
                    items.push((Cow::Borrowed(expr), ident(alias)))
                }
                ast::SelectItem::Wildcard(_) | ast::SelectItem::QualifiedWildcard(..) => {
                    let only = match item {
                        ast::SelectItem::QualifiedWildcard(
                            ast::SelectItemQualifiedWildcardKind::ObjectName(n),
                            _,
                        ) => Some(super::object_name(n)?),
                        _ => None,
                    };
                    if scope.columns.is_empty() {
                        return Err(Error::SyntaxError(
                            "SELECT * with no tables specified is not valid".into(),
                        ));
                    }
                    if let Some(t) = &only
                        && !scope.columns.iter().any(|c| c.table.as_ref() == Some(t))
                    {
                        return Err(Error::MissingFromEntry(t.clone()));
                    }
                    for c in &scope.columns {
                        // `*` shows a NATURAL / USING column once; `t.*` shows all of t.
                        if (only.is_some() && c.table != only)
                            || (only.is_none() && c.qualified_only)
                        {
                            continue;
                        }
                        // Qualified, so a name present in several joined tables still binds.
                        let parts = vec![
                            ast::Ident::with_quote('"', c.table.clone().unwrap_or_default()),
                            ast::Ident::with_quote('"', c.name.clone()),
                        ];
                        let e = match &c.table {
                            Some(_) => ast::Expr::CompoundIdentifier(parts),
                            None => {
                                ast::Expr::Identifier(ast::Ident::with_quote('"', c.name.clone()))
                            }
                        };
                        items.push((Cow::Owned(e), c.name.clone()));
                    }
                }
                other => {
                    return Err(Error::unsupported(format!(
                        "select item {other} is not supported"
                    )));
                }
            }
        }
        let group_exprs: &[ast::Expr] = match &s.group_by {
            ast::GroupByExpr::Expressions(e, m) if m.is_empty() => e,
            _ => {
                return Err(Error::unsupported(
                    "GROUP BY ALL / ROLLUP / CUBE are not supported yet",
                ));
            }
        };
        let aggregating = !group_exprs.is_empty()
            || s.having.is_some()
            || items.iter().any(|(e, _)| contains_aggregate(e))
            || order_by.iter().any(|o| contains_aggregate(&o.expr));
        let mut agg = AggState::default();
        if aggregating {
            for g in group_exprs {
                // GROUP BY may name an output column or position, when not an input column.
                let target = match g {
                    ast::Expr::Value(ast::ValueWithSpan {
                        value: ast::Value::Number(n, _),
                        ..
                    }) => {
                        let pos: usize = n.parse().unwrap_or(0);
                        Some(
                            items
                                .get(pos.wrapping_sub(1))
                                .map(|(e, _)| e.clone())
                                .ok_or_else(|| {
                                    Error::InvalidColumnReference(format!(
                                        "GROUP BY position {n} is not in select list"
                                    ))
                                })?,
                        )
                    }
                    ast::Expr::Identifier(id) if scope.resolve(None, &ident(id)).is_err() => items
                        .iter()
                        .find(|(_, name)| *name == ident(id))
                        .map(|(e, _)| e.clone()),
                    _ => None,
                };
                let g: &ast::Expr = target.as_deref().unwrap_or(g);
                if contains_aggregate(g) {
                    return Err(Error::GroupingError(
                        "aggregate functions are not allowed in GROUP BY".into(),
                    ));
                }
                let bound = self.bind_expr(g, &mut ExprCtx::plain(&scope, "GROUP BY"))?;
                if !agg.groups.iter().any(|(x, _)| *x == bound.0) {
                    agg.groups.push(bound);
                }
            }
        }
        let mut ctx = ExprCtx {
            scope: &scope,
            agg: aggregating.then_some(&mut agg),
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
                data_type: if t == DataType::Unknown {
                    DataType::Text
                } else {
                    t
                },
            });
        }
        let having = match &s.having {
            Some(h) => {
                ctx.clause = "HAVING";
                let (x, t) = self.bind_expr(h, &mut ctx)?;
                if t != DataType::Bool {
                    return Err(Error::DatatypeMismatch(format!(
                        "argument of HAVING must be type boolean, not type {}",
                        t.name()
                    )));
                }
                Some(x)
            }
            None => None,
        };
        // ORDER BY: output names / positions, else expressions over the input (hidden columns).
        ctx.clause = "ORDER BY";
        let distinct = match &s.distinct {
            None | Some(ast::Distinct::All) => false,
            Some(ast::Distinct::Distinct) => true,
            Some(ast::Distinct::On(_)) => {
                return Err(Error::unsupported("DISTINCT ON is not supported yet"));
            }
        };
        let visible = exprs.len();
        let mut keys = Vec::new();
        for o in order_by {
            let column = match output_reference(&o.expr, columns.iter().map(|c| c.name.as_str()))? {
                Some(c) => c,
                None => {
                    let (x, _) = self.bind_expr(&o.expr, &mut ctx)?;
                    match exprs.iter().position(|e| *e == x) {
                        Some(i) => i,
                        None if distinct => {
                            return Err(Error::InvalidColumnReference(
                                "for SELECT DISTINCT, ORDER BY expressions must appear in select list".into(),
                            ));
                        }
                        None => {
                            exprs.push(x);
                            exprs.len() - 1
                        }
                    }
                }
            };
            keys.push(sort_key(column, o));
        }
        if aggregating {
            let groups = agg.groups.into_iter().map(|(e, _)| e).collect();
            let calls = agg.calls.into_iter().map(|(c, _)| c).collect();
            plan = Plan::Aggregate {
                input: Box::new(plan),
                groups,
                calls,
            };
            if let Some(h) = having {
                plan = Plan::Filter {
                    input: Box::new(plan),
                    predicate: h,
                };
            }
        }
        let width = exprs.len();
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
            };
        }
        if !keys.is_empty() {
            plan = Plan::Sort {
                input: Box::new(plan),
                keys,
            };
        }
        if width > visible {
            plan = Plan::Project {
                input: Box::new(plan),
                exprs: (0..visible).map(Expr::Column).collect(),
            };
        }
        Ok((plan, columns))
    }
}

/// An ORDER BY item that names an output column or gives its position.
fn output_reference<'a>(
    e: &ast::Expr,
    names: impl Iterator<Item = &'a str> + Clone,
) -> Result<Option<usize>> {
    match e {
        ast::Expr::Value(ast::ValueWithSpan {
            value: ast::Value::Number(n, _),
            ..
        }) => {
            let count = names.clone().count();
            match n.parse::<usize>() {
                Ok(p) if (1..=count).contains(&p) => Ok(Some(p - 1)),
                _ => Err(Error::InvalidColumnReference(format!(
                    "ORDER BY position {n} is not in select list"
                ))),
            }
        }
        ast::Expr::Identifier(id) => {
            let name = ident(id);
            let matches: Vec<usize> = names
                .clone()
                .enumerate()
                .filter(|(_, n)| *n == name)
                .map(|(i, _)| i)
                .collect();
            match matches.as_slice() {
                [] => Ok(None),
                [i] => Ok(Some(*i)),
                _ => Err(Error::AmbiguousColumn(name)),
            }
        }
        _ => Ok(None),
    }
}

fn sort_key(column: usize, o: &ast::OrderByExpr) -> SortKey {
    let desc = matches!(o.options.sort, Some(ast::OrderBySort::Desc));
    SortKey {
        column,
        desc,
        nulls_first: o.options.nulls_first.unwrap_or(desc),
    }
}
