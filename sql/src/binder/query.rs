//! Binding of a query: its WITH clause, its body (a SELECT, VALUES, a set operation or a
//! parenthesized query), ORDER BY, and LIMIT / OFFSET / FETCH FIRST.
//!
//! A SELECT binds its own ORDER BY (which may read input columns that are not in the select
//! list) and tail (`select.rs`); other bodies are ordered by their output columns: names and
//! positions, and for VALUES or a parenthesized query also expressions over the output
//! columns (a set operation accepts only names and positions, as PostgreSQL).

use super::expr::ExprCtx;
use super::subquery::resolved;
use super::{Binder, OutputColumn, Scope, ScopeColumn, ident};
use crate::expr::Expr;
use crate::planner::{Plan, SortKey};
use crate::types::DataType;
use crate::{Error, Result};
use sqlparser::ast;

/// LIMIT / OFFSET / FETCH FIRST of a query.
#[derive(Default)]
pub struct Tail<'a> {
    limit: Option<&'a ast::Expr>,
    offset: Option<&'a ast::Expr>,
    fetch: Option<&'a ast::Fetch>,
    /// `FOR UPDATE` and the other locking clauses.
    pub locks: &'a [ast::LockClause],
}

impl<'a> Tail<'a> {
    fn of(q: &'a ast::Query) -> Result<Tail<'a>> {
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
        if limit.is_some() && q.fetch.is_some() {
            return Err(Error::SyntaxError(
                "cannot use both LIMIT and FETCH FIRST".into(),
            ));
        }
        Ok(Tail {
            limit,
            offset,
            fetch: q.fetch.as_ref(),
            locks: &q.locks,
        })
    }
}

/// The ORDER BY items of a query.
pub fn order_by_items(q: &ast::Query) -> Result<&[ast::OrderByExpr]> {
    match &q.order_by {
        None => Ok(&[]),
        Some(ast::OrderBy {
            kind: ast::OrderByKind::Expressions(e),
            ..
        }) => Ok(e),
        Some(_) => Err(Error::unsupported("ORDER BY ALL is not supported")),
    }
}

impl Binder {
    /// Binds a query to a plan and its result columns (an `unknown` column is text).
    pub fn bind_query(&mut self, q: &ast::Query) -> Result<(Plan, Vec<OutputColumn>)> {
        let (plan, mut columns) = self.bind_query_raw(q)?;
        for c in &mut columns {
            c.data_type = resolved(c.data_type);
        }
        Ok((plan, columns))
    }

    /// Like [`Binder::bind_query`], but keeps `unknown` output types (a set operation
    /// resolves them over all its inputs).
    pub(super) fn bind_query_raw(&mut self, q: &ast::Query) -> Result<(Plan, Vec<OutputColumn>)> {
        let ctes_before = self.ctes.len();
        let r = self.bind_with_and_body(q);
        self.ctes.truncate(ctes_before);
        r
    }

    fn bind_with_and_body(&mut self, q: &ast::Query) -> Result<(Plan, Vec<OutputColumn>)> {
        let ctes = match &q.with {
            Some(w) => self.bind_with(w)?,
            None => Vec::new(),
        };
        let order_by = order_by_items(q)?;
        let tail = Tail::of(q)?;
        let (plan, columns) = match q.body.as_ref() {
            ast::SetExpr::Select(s) => self.bind_select(s, order_by, &tail)?,
            body => {
                if let Some(locks) = super::locking::FromLocks::new(tail.locks)? {
                    let what = locks.what();
                    let mut inner = body;
                    while let ast::SetExpr::Query(q) = inner {
                        inner = q.body.as_ref();
                    }
                    return Err(match inner {
                        ast::SetExpr::Values(_) => {
                            Error::unsupported(format!("FOR {what} cannot be applied to VALUES"))
                        }
                        ast::SetExpr::SetOperation { .. } => {
                            super::locking::refuse(what, "UNION/INTERSECT/EXCEPT")
                        }
                        _ => Error::unsupported(format!("FOR {what} is not supported here")),
                    });
                }
                let (plan, columns) = self.bind_set_expr(body)?;
                let set_op = matches!(body, ast::SetExpr::SetOperation { .. });
                let plan = self.order_by_output(plan, &columns, order_by, &tail, set_op)?;
                (plan, columns)
            }
        };
        let plan = if ctes.is_empty() {
            plan
        } else {
            Plan::With {
                ctes,
                input: Box::new(plan),
            }
        };
        Ok((plan, columns))
    }

    /// ORDER BY and the tail for a body whose rows are its output columns.
    fn order_by_output(
        &mut self,
        plan: Plan,
        columns: &[OutputColumn],
        order_by: &[ast::OrderByExpr],
        tail: &Tail,
        set_op: bool,
    ) -> Result<Plan> {
        let width = columns.len();
        let scope = Scope {
            columns: columns
                .iter()
                .map(|c| ScopeColumn {
                    table: None,
                    name: c.name.clone(),
                    data_type: resolved(c.data_type),
                    qualified_only: false,
                    schema: None,
                    whole_row: false,
                    system: false,
                    origin: None,
                })
                .collect(),
        };
        let mut hidden = Vec::new();
        let mut keys = Vec::new();
        for o in order_by {
            let names = columns.iter().map(|c| c.name.as_str());
            let column = match output_reference(&o.expr, names, |_, _| false)? {
                Some(c) => c,
                None if set_op => {
                    return Err(Error::unsupported(
                        "invalid UNION/INTERSECT/EXCEPT ORDER BY clause",
                    ));
                }
                None => {
                    let (x, _) =
                        self.bind_expr(&o.expr, &mut ExprCtx::plain(&scope, "ORDER BY"))?;
                    hidden.push(x);
                    width + hidden.len() - 1
                }
            };
            keys.push(sort_key(column, o)?);
        }
        let mut plan = plan;
        if !hidden.is_empty() {
            let mut exprs: Vec<Expr> = (0..width).map(Expr::Column).collect();
            exprs.extend(hidden);
            plan = Plan::Project {
                input: Box::new(plan),
                exprs,
            };
        }
        if !keys.is_empty() {
            plan = Plan::Sort {
                input: Box::new(plan),
                keys: keys.clone(),
            };
        }
        plan = self.bind_tail(plan, tail, &keys)?;
        if plan_width_exceeds(&keys, width) {
            plan = Plan::Project {
                input: Box::new(plan),
                exprs: (0..width).map(Expr::Column).collect(),
            };
        }
        Ok(plan)
    }

    /// LIMIT / OFFSET / FETCH FIRST over `plan`, sorted by `keys` (for WITH TIES).
    pub(super) fn bind_tail(&mut self, plan: Plan, tail: &Tail, keys: &[SortKey]) -> Result<Plan> {
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
        let (limit, with_ties) = match tail.fetch {
            None => (bind(self, tail.limit, "LIMIT")?, None),
            Some(f) => {
                if f.percent {
                    return Err(Error::SyntaxError(
                        "syntax error at or near \"PERCENT\"".into(),
                    ));
                }
                let n = match &f.quantity {
                    Some(q) => bind(self, Some(q), "LIMIT")?,
                    None => Some(Expr::Literal(crate::Value::Int(1))),
                };
                if f.with_ties && keys.is_empty() {
                    return Err(Error::SyntaxError(
                        "WITH TIES cannot be specified without ORDER BY clause".into(),
                    ));
                }
                (n, f.with_ties.then(|| keys.to_vec()))
            }
        };
        let offset = bind(self, tail.offset, "OFFSET")?;
        if limit.is_none() && offset.is_none() {
            return Ok(plan);
        }
        Ok(Plan::Limit {
            input: Box::new(plan),
            limit,
            offset,
            with_ties,
        })
    }
}

/// Whether some sort key reads a hidden column past the `width` output columns.
fn plan_width_exceeds(keys: &[SortKey], width: usize) -> bool {
    keys.iter().any(|k| k.column >= width)
}

/// An ORDER BY item that names an output column or gives its position. A name several
/// output columns carry is ambiguous unless `same` says they all compute one expression
/// (`SELECT a, a ... ORDER BY a`), as PostgreSQL's findTargetlistEntrySQL92 allows.
pub fn output_reference<'a>(
    e: &ast::Expr,
    names: impl Iterator<Item = &'a str> + Clone,
    same: impl Fn(usize, usize) -> bool,
) -> Result<Option<usize>> {
    match e {
        ast::Expr::Value(ast::ValueWithSpan {
            value: ast::Value::Number(n, _),
            span,
        }) => {
            let count = names.clone().count();
            match n.parse::<usize>() {
                Ok(p) if (1..=count).contains(&p) => Ok(Some(p - 1)),
                _ => {
                    let e = Error::InvalidColumnReference(format!(
                        "ORDER BY position {n} is not in select list"
                    ));
                    crate::position::note(&e, *span, n);
                    Err(e)
                }
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
                [i, rest @ ..] if rest.iter().all(|j| same(*i, *j)) => Ok(Some(*i)),
                _ => Err(Error::Ambiguous(format!(
                    "ORDER BY \"{name}\" is ambiguous"
                ))),
            }
        }
        _ => Ok(None),
    }
}

/// The sort key of an ORDER BY item over column `column`.
pub fn sort_key(column: usize, o: &ast::OrderByExpr) -> Result<SortKey> {
    let desc = sort_desc(&o.options)?;
    Ok(SortKey {
        column,
        desc,
        nulls_first: o.options.nulls_first.unwrap_or(desc),
    })
}

/// Whether an ORDER BY item sorts descending. `USING <` and `USING >` are ASC and DESC
/// (PostgreSQL looks the operator up as a btree ordering operator; for the built-in types
/// those are exactly `<` and `>`, the `~<~` / `~>~` pattern operators included); any other
/// operator is 42809, as PostgreSQL reports it.
pub fn sort_desc(o: &ast::OrderByOptions) -> Result<bool> {
    match &o.sort {
        None | Some(ast::OrderBySort::Asc) => Ok(false),
        Some(ast::OrderBySort::Desc) => Ok(true),
        Some(ast::OrderBySort::Using(op)) => {
            let name =
                op.0.last()
                    .and_then(|p| p.as_ident())
                    .map(|i| i.value.clone())
                    .unwrap_or_else(|| op.to_string());
            match name.as_str() {
                "<" | "~<~" => Ok(false),
                ">" | "~>~" => Ok(true),
                _ => Err(Error::WrongObjectType(format!(
                    "operator {name} is not a valid ordering operator"
                ))),
            }
        }
    }
}
