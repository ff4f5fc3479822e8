//! Scans of the parsed AST made before binding: does an expression contain an aggregate
//! call or a window function (of *its own* query level — calls inside subqueries belong to
//! the subquery), does a query read a relation of a given name.
//!
//! Scans stop at [`MAX_SCAN_DEPTH`] nested expressions and then answer "no": such deep
//! expressions fail to bind with 54001 anyway.

use sqlparser::ast::{self, Visit, Visitor};
use std::ops::ControlFlow;

/// Rewrites every expression of `node` in place with `f`, stopping at the first error `f`
/// returns (sqlparser's `visit_expressions_mut` with a fallible visitor).
pub fn try_rewrite_expressions<V: ast::VisitMut>(
    node: &mut V,
    mut f: impl FnMut(&mut ast::Expr) -> crate::Result<()>,
) -> crate::Result<()> {
    let mut failed = None;
    let _ = ast::visit_expressions_mut(node, |e| match f(e) {
        Ok(()) => ControlFlow::Continue(()),
        Err(err) => {
            failed = Some(err);
            ControlFlow::Break(())
        }
    });
    failed.map_or(Ok(()), Err)
}

/// Deeper ASTs are not inspected (binding them fails with 54001 anyway).
const MAX_SCAN_DEPTH: usize = super::expr::MAX_EXPR_DEPTH;

/// The aggregate functions (without OVER, a call of one of these is an aggregate).
pub const AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "min",
    "max",
    "avg",
    "string_agg",
    "bool_and",
    "bool_or",
    "every",
    "stddev",
    "stddev_samp",
    "stddev_pop",
    "variance",
    "var_samp",
    "var_pop",
    "array_agg",
    "jsonb_agg",
    "jsonb_object_agg",
    "json_object_agg",
    "json_agg",
    super::whole_row::JSON_AGG_ROWS,
    "percentile_cont",
    "percentile_disc",
    "mode",
    "bit_and",
    "bit_or",
    "bit_xor",
    "corr",
    "covar_pop",
    "covar_samp",
    "regr_count",
    "regr_avgx",
    "regr_avgy",
    "regr_sxx",
    "regr_syy",
    "regr_sxy",
    "regr_slope",
    "regr_intercept",
    "regr_r2",
];

/// The ordered-set aggregates (`name(direct args) WITHIN GROUP (ORDER BY x)`).
pub const ORDERED_SET_AGGREGATES: &[&str] = &["percentile_cont", "percentile_disc", "mode"];

/// The function's unqualified name, folded.
pub fn function_name(f: &ast::Function) -> String {
    f.name
        .0
        .last()
        .map(|p| match p {
            ast::ObjectNamePart::Identifier(i) => super::ident(i),
            other => other.to_string(),
        })
        .unwrap_or_default()
}

/// Whether `f` is an aggregate call (an aggregate function without OVER).
pub fn is_aggregate_call(f: &ast::Function) -> bool {
    f.over.is_none()
        && (AGGREGATES.contains(&function_name(f).as_str())
            || (!f.within_group.is_empty()
                && HYPOTHETICAL_SET_AGGREGATES.contains(&function_name(f).as_str())))
}

/// The hypothetical-set aggregates: window functions' names, aggregates with WITHIN GROUP.
pub const HYPOTHETICAL_SET_AGGREGATES: &[&str] =
    &["rank", "dense_rank", "percent_rank", "cume_dist"];

/// Whether `f` is a call of `GROUPING(...)` (not an aggregate, but allowed where they are).
pub fn is_grouping_call(f: &ast::Function) -> bool {
    f.name.0.len() == 1 && function_name(f) == "grouping"
}

struct Finder<P> {
    /// Nesting depth of expressions.
    depth: usize,
    /// How many queries (subqueries) enclose the current node.
    queries: usize,
    pred: P,
}

impl<P: FnMut(&ast::Expr) -> bool> Visitor for Finder<P> {
    type Break = bool;

    fn pre_visit_query(&mut self, _: &ast::Query) -> ControlFlow<bool> {
        self.queries += 1;
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _: &ast::Query) -> ControlFlow<bool> {
        self.queries -= 1;
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, e: &ast::Expr) -> ControlFlow<bool> {
        self.depth += 1;
        if self.depth > MAX_SCAN_DEPTH {
            return ControlFlow::Break(false);
        }
        if self.queries == 0 && (self.pred)(e) {
            return ControlFlow::Break(true);
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, _: &ast::Expr) -> ControlFlow<bool> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }
}

/// Whether `pred` holds for some node of `e` outside subqueries. Operator chains
/// (`a + b + ...`, which ORMs make hundreds of terms long) are walked with an explicit stack,
/// so only other nesting counts against the depth bound.
fn find(e: &ast::Expr, mut pred: impl FnMut(&ast::Expr) -> bool) -> bool {
    let mut stack = vec![e];
    while let Some(x) = stack.pop() {
        if let ast::Expr::BinaryOp { left, right, .. } = x {
            if pred(x) {
                return true;
            }
            stack.push(right);
            stack.push(left);
            continue;
        }
        let mut finder = Finder {
            depth: 0,
            queries: 0,
            pred: &mut pred,
        };
        if matches!(x.visit(&mut finder), ControlFlow::Break(true)) {
            return true;
        }
    }
    false
}

/// Whether `e` contains an aggregate call of its own query level.
pub fn contains_aggregate(e: &ast::Expr) -> bool {
    find(
        e,
        |x| matches!(x, ast::Expr::Function(f) if is_aggregate_call(f)),
    )
}

/// Whether `e` contains a GROUPING call of its own query level.
pub fn contains_grouping(e: &ast::Expr) -> bool {
    find(
        e,
        |x| matches!(x, ast::Expr::Function(f) if is_grouping_call(f)),
    )
}

/// Whether `e` contains an aggregate or GROUPING call of its own query level: either makes
/// a SELECT aggregate, and neither may be nested in an aggregate's arguments.
pub fn contains_aggregate_or_grouping(e: &ast::Expr) -> bool {
    find(
        e,
        |x| matches!(x, ast::Expr::Function(f) if is_aggregate_call(f) || is_grouping_call(f)),
    )
}

/// The name (first part) of the first aggregate or GROUPING call in `e`, where PostgreSQL
/// points a nested aggregate's error.
pub fn first_aggregate_name(e: &ast::Expr) -> Option<ast::Ident> {
    let found = ast::visit_expressions(e, |x| match x {
        ast::Expr::Function(f) if is_aggregate_call(f) || is_grouping_call(f) => {
            match f.name.0.first() {
                Some(ast::ObjectNamePart::Identifier(id)) => ControlFlow::Break(id.clone()),
                _ => ControlFlow::Continue(()),
            }
        }
        _ => ControlFlow::Continue(()),
    });
    match found {
        ControlFlow::Break(id) => Some(id),
        ControlFlow::Continue(()) => None,
    }
}

/// Whether `e` contains a window function call of its own query level.
pub fn contains_window(e: &ast::Expr) -> bool {
    find(
        e,
        |x| matches!(x, ast::Expr::Function(f) if f.over.is_some()),
    )
}

struct RelationFinder<'a> {
    name: &'a str,
}

impl Visitor for RelationFinder<'_> {
    type Break = ();

    fn pre_visit_relation(&mut self, r: &ast::ObjectName) -> ControlFlow<()> {
        match r.0.as_slice() {
            [ast::ObjectNamePart::Identifier(i)] if super::ident(i) == self.name => {
                ControlFlow::Break(())
            }
            _ => ControlFlow::Continue(()),
        }
    }
}

/// Whether `q` reads a relation named `name` (unqualified) anywhere, subqueries included.
pub fn references_relation(q: &ast::Query, name: &str) -> bool {
    q.visit(&mut RelationFinder { name }).is_break()
}
