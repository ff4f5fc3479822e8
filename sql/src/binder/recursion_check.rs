//! PostgreSQL's well-formedness rules for a recursive CTE (`checkWellFormedRecursion`),
//! checked on the syntax tree before binding, with its errors (42P19) and positions:
//!
//! * the non-recursive term does not read the CTE;
//! * the recursive term reads it once, not on the nullable side of an outer join, not on the
//!   right of an EXCEPT (or anywhere under INTERSECT ALL / EXCEPT ALL), and not within a
//!   subquery in an expression;
//! * no aggregate in the recursive term's own select list or HAVING;
//! * ORDER BY, OFFSET and LIMIT on the whole CTE are not implemented (0A000).
//!
//! A nested WITH that defines the same name hides the CTE below it.

use super::ident;
use crate::position::note;
use crate::{Error, Result};
use sqlparser::ast::{self, Spanned};
use std::ops::ControlFlow;

#[derive(Clone, Copy, PartialEq)]
enum Context {
    Ok,
    Subquery,
    OuterJoin,
    Intersect,
    Except,
}

struct Walker<'a> {
    name: &'a str,
    references: usize,
}

fn at(err: Error, span: sqlparser::tokenizer::Span, token: &str) -> Error {
    note(&err, span, token);
    err
}

fn recursion(msg: String) -> Error {
    Error::InvalidRecursion(msg)
}

/// The first reference to relation `name` in `q` (ignoring shadowing: a rare case).
fn first_reference(q: &ast::Query, name: &str) -> Option<ast::Ident> {
    let mut found = None;
    let _ = ast::visit_relations(q, |r: &ast::ObjectName| {
        if let [part] = r.0.as_slice()
            && let Some(id) = part.as_ident()
            && ident(id) == name
        {
            found = Some(id.clone());
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    found
}

/// Whether `with` defines a CTE named `name`.
pub(super) fn defines(with: Option<&ast::With>, name: &str) -> bool {
    with.is_some_and(|w| w.cte_tables.iter().any(|c| ident(&c.alias.name) == name))
}

fn query_of(body: &ast::SetExpr) -> ast::Query {
    ast::Query {
        with: None,
        body: Box::new(body.clone()),
        order_by: None,
        limit_clause: None,
        fetch: None,
        locks: vec![],
        for_clause: None,
        settings: None,
        format_clause: None,
        pipe_operators: vec![],
    }
}

impl Walker<'_> {
    fn reference(&mut self, id: &ast::Ident, context: Context) -> Result<()> {
        let name = self.name;
        let within = match context {
            Context::Ok => None,
            Context::Subquery => Some("within a subquery"),
            Context::OuterJoin => Some("within an outer join"),
            Context::Intersect => Some("within INTERSECT"),
            Context::Except => Some("within EXCEPT"),
        };
        if let Some(within) = within {
            let err = recursion(format!(
                "recursive reference to query \"{name}\" must not appear {within}"
            ));
            return Err(at(err, id.span, &id.value));
        }
        self.references += 1;
        if self.references > 1 {
            let err = recursion(format!(
                "recursive reference to query \"{name}\" must not appear more than once"
            ));
            return Err(at(err, id.span, &id.value));
        }
        Ok(())
    }

    fn query(&mut self, q: &ast::Query, context: Context) -> Result<()> {
        if defines(q.with.as_ref(), self.name) {
            return Ok(());
        }
        // A WITH within the recursive term is walked in the term's context, as PostgreSQL
        // does (only the CTE's own top-level WITH counts as a subquery).
        if let Some(w) = &q.with {
            for c in &w.cte_tables {
                self.query(&c.query, context)?;
            }
        }
        self.set_expr(&q.body, context)
    }

    fn set_expr(&mut self, e: &ast::SetExpr, context: Context) -> Result<()> {
        match e {
            ast::SetExpr::SetOperation {
                op,
                set_quantifier,
                left,
                right,
            } => {
                let all = matches!(set_quantifier, ast::SetQuantifier::All);
                match op {
                    ast::SetOperator::Intersect if all => {
                        self.set_expr(left, Context::Intersect)?;
                        self.set_expr(right, Context::Intersect)
                    }
                    ast::SetOperator::Except | ast::SetOperator::Minus => {
                        self.set_expr(left, if all { Context::Except } else { context })?;
                        self.set_expr(right, Context::Except)
                    }
                    _ => {
                        self.set_expr(left, context)?;
                        self.set_expr(right, context)
                    }
                }
            }
            ast::SetExpr::Query(q) => self.query(q, context),
            ast::SetExpr::Select(s) => self.select(s, context),
            other => self.sublink(&query_of(other)),
        }
    }

    /// A subquery within an expression: any reference there is an error.
    fn sublink(&mut self, q: &ast::Query) -> Result<()> {
        if defines(q.with.as_ref(), self.name) {
            return Ok(());
        }
        match first_reference(q, self.name) {
            Some(id) => self.reference(&id, Context::Subquery),
            None => Ok(()),
        }
    }

    fn exprs<'e>(&mut self, exprs: impl IntoIterator<Item = &'e ast::Expr>) -> Result<()> {
        /// The outermost queries within an expression.
        struct Sublinks {
            depth: usize,
            found: Vec<ast::Query>,
        }
        impl ast::Visitor for Sublinks {
            type Break = ();
            fn pre_visit_query(&mut self, q: &ast::Query) -> ControlFlow<()> {
                if self.depth == 0 {
                    self.found.push(q.clone());
                }
                self.depth += 1;
                ControlFlow::Continue(())
            }
            fn post_visit_query(&mut self, _: &ast::Query) -> ControlFlow<()> {
                self.depth -= 1;
                ControlFlow::Continue(())
            }
        }
        for e in exprs {
            let mut sublinks = Sublinks {
                depth: 0,
                found: Vec::new(),
            };
            let _ = ast::Visit::visit(e, &mut sublinks);
            for q in &sublinks.found {
                self.sublink(q)?;
            }
        }
        Ok(())
    }

    fn select(&mut self, s: &ast::Select, context: Context) -> Result<()> {
        let items = s.projection.iter().filter_map(|i| match i {
            ast::SelectItem::UnnamedExpr(e) | ast::SelectItem::ExprWithAlias { expr: e, .. } => {
                Some(e)
            }
            _ => None,
        });
        self.exprs(items.collect::<Vec<_>>())?;
        for t in &s.from {
            // Each item with the context its place in the join gives it.
            let mut items: Vec<(&ast::TableFactor, Context)> = vec![(&t.relation, context)];
            for j in &t.joins {
                use ast::JoinOperator as J;
                let (left_outer, right_outer) = match &j.join_operator {
                    J::Left(_) | J::LeftOuter(_) => (false, true),
                    J::Right(_) | J::RightOuter(_) => (true, false),
                    J::FullOuter(_) => (true, true),
                    _ => (false, false),
                };
                if left_outer {
                    for item in &mut items {
                        item.1 = Context::OuterJoin;
                    }
                }
                items.push((
                    &j.relation,
                    if right_outer {
                        Context::OuterJoin
                    } else {
                        context
                    },
                ));
            }
            for (f, c) in items {
                self.factor(f, c)?;
            }
        }
        self.exprs(s.selection.iter())?;
        self.exprs(s.having.iter())?;
        Ok(())
    }

    fn factor(&mut self, f: &ast::TableFactor, context: Context) -> Result<()> {
        match f {
            ast::TableFactor::Table { name, .. } => {
                if let [part] = name.0.as_slice()
                    && let Some(id) = part.as_ident()
                    && ident(id) == self.name
                {
                    return self.reference(id, context);
                }
                Ok(())
            }
            ast::TableFactor::Derived { subquery, .. } => self.query(subquery, context),
            ast::TableFactor::NestedJoin {
                table_with_joins, ..
            } => {
                let select = ast::Select {
                    from: vec![(**table_with_joins).clone()],
                    ..empty_select()
                };
                self.select(&select, context)
            }
            _ => Ok(()),
        }
    }
}

/// The first aggregate call of `s`'s own select list and HAVING (not of its subqueries).
fn first_aggregate(s: &ast::Select) -> Option<ast::Function> {
    struct Finder {
        depth: usize,
        found: Option<ast::Function>,
    }
    impl ast::Visitor for Finder {
        type Break = ();
        fn pre_visit_query(&mut self, _: &ast::Query) -> ControlFlow<()> {
            self.depth += 1;
            ControlFlow::Continue(())
        }
        fn post_visit_query(&mut self, _: &ast::Query) -> ControlFlow<()> {
            self.depth -= 1;
            ControlFlow::Continue(())
        }
        fn pre_visit_expr(&mut self, e: &ast::Expr) -> ControlFlow<()> {
            if let ast::Expr::Function(f) = e
                && self.depth == 0
                && f.over.is_none()
                && super::walk::is_aggregate_call(f)
            {
                self.found = Some(f.clone());
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        }
    }
    let mut finder = Finder {
        depth: 0,
        found: None,
    };
    for item in &s.projection {
        let _ = ast::Visit::visit(item, &mut finder);
    }
    if let Some(h) = &s.having {
        let _ = ast::Visit::visit(h, &mut finder);
    }
    finder.found
}

fn empty_select() -> ast::Select {
    match crate::parse::statements("SELECT")
        .ok()
        .and_then(|mut s| s.pop())
    {
        Some(ast::Statement::Query(q)) => match *q.body {
            ast::SetExpr::Select(s) => *s,
            _ => unreachable!("SELECT parses as a SELECT"),
        },
        _ => unreachable!("SELECT parses"),
    }
}

/// Checks recursive CTE `name`'s query `q`, whose body is `left UNION right` (module docs).
pub(super) fn check(
    q: &ast::Query,
    name: &str,
    left: &ast::SetExpr,
    right: &ast::SetExpr,
) -> Result<()> {
    if let Some(id) = first_reference(&query_of(left), name) {
        let err = recursion(format!(
            "recursive reference to query \"{name}\" must not appear within its non-recursive term"
        ));
        return Err(at(err, id.span, &id.value));
    }
    let mut walker = Walker {
        name,
        references: 0,
    };
    if let Some(w) = &q.with {
        for c in &w.cte_tables {
            walker.sublink(&c.query)?;
        }
    }
    walker.set_expr(right, Context::Ok)?;
    if let ast::SetExpr::Select(s) = right
        && let Some(f) = first_aggregate(s)
    {
        let err = recursion(
            "aggregate functions are not allowed in a recursive query's recursive term".into(),
        );
        let name = f.name.to_string();
        return Err(at(err, f.name.span(), &name));
    }
    if let Some(ast::OrderBy {
        kind: ast::OrderByKind::Expressions(items),
        ..
    }) = &q.order_by
        && let Some(first) = items.first()
    {
        let err = Error::unsupported("ORDER BY in a recursive query is not implemented");
        let text = first.expr.to_string();
        return Err(at(err, first.expr.span(), &text));
    }
    if let Some(ast::LimitClause::LimitOffset { limit, offset, .. }) = &q.limit_clause {
        if let Some(o) = offset {
            let err = Error::unsupported("OFFSET in a recursive query is not implemented");
            return Err(at(err, o.value.span(), &o.value.to_string()));
        }
        if let Some(l) = limit {
            let err = Error::unsupported("LIMIT in a recursive query is not implemented");
            return Err(at(err, l.span(), &l.to_string()));
        }
    }
    Ok(())
}
