//! GROUP BY, resolved as PostgreSQL resolves it: a bare name is an input column if the FROM
//! scope has one, else an output column (its expression); a number is a select-list
//! position; anything else is an expression over the input. Equal expressions are grouped
//! once; aggregates and GROUPING are not allowed (42803).
//!
//! Grouping sets: `ROLLUP (a, b)` is the sets `(a, b), (a), ()`; `CUBE (a, b)` every subset
//! (at most 12 elements, 54011); `GROUPING SETS (...)` the union of its elements' sets
//! (nested ROLLUP, CUBE and GROUPING SETS included); `()` the empty set; a plain item the
//! one set of itself. The items of the list combine as a cross product (each resulting set
//! the concatenation of one set per item), at most 4096 sets (54001). Sets keep their
//! duplicates unless `GROUP BY DISTINCT`. A GROUP BY that amounts to one set holding every
//! grouping expression is an ordinary GROUP BY (`AggState::sets` stays `None`), so the
//! plain path pays nothing for the feature.

use super::aggregate::{AggState, contains_aggregate};
use super::expr::ExprCtx;
use super::walk::{contains_grouping, function_name};
use super::{Binder, Scope, ident};
use crate::{Error, Result};
use sqlparser::ast;
use std::borrow::Cow;

/// PostgreSQL's limit on the number of grouping sets after expansion.
const MAX_GROUPING_SETS: usize = 4096;
/// PostgreSQL's limit on the elements of a CUBE.
const MAX_CUBE_ELEMENTS: usize = 12;

/// The select list: each item's expression and output name.
type Items<'a, 'b> = &'a [(Cow<'b, ast::Expr>, String)];

/// The GROUP BY list of a SELECT: whether it says DISTINCT, and its items.
pub fn group_by_items(g: &ast::GroupByExpr) -> Result<(bool, &[ast::Expr])> {
    match g {
        ast::GroupByExpr::Expressions(e, m) if m.is_empty() => {
            Ok(crate::parse::group_by::take_marker(e))
        }
        ast::GroupByExpr::All(m) if m.is_empty() => Err(Error::SyntaxError(
            "syntax error at end of GROUP BY ALL".into(),
        )),
        _ => Err(Error::SyntaxError(
            "syntax error at or near \"WITH\"".into(),
        )),
    }
}

/// Whether `g` is an ordinary GROUP BY expression (not ROLLUP, CUBE, GROUPING SETS, `()`).
fn is_plain(g: &ast::Expr) -> bool {
    match g {
        ast::Expr::Rollup(_) | ast::Expr::Cube(_) | ast::Expr::GroupingSets(_) => false,
        ast::Expr::Tuple(t) => !t.is_empty(),
        _ => true,
    }
}

fn syntax_error_at_paren() -> Error {
    Error::SyntaxError("syntax error at or near \")\"".into())
}

/// Whether `e` is a `ROLLUP (...)` / `CUBE (...)` written inside GROUPING SETS, where
/// sqlparser reads it as a function call.
fn nested_rollup_or_cube(e: &ast::Expr) -> Option<(bool, Vec<Vec<ast::Expr>>)> {
    let ast::Expr::Function(f) = e else {
        return None;
    };
    let name = function_name(f);
    let plain = f.name.0.len() == 1 && f.over.is_none() && f.filter.is_none();
    if !plain || !(name == "rollup" || name == "cube") {
        return None;
    }
    let ast::FunctionArguments::List(list) = &f.args else {
        return None;
    };
    let mut lists = Vec::new();
    for a in &list.args {
        let ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(x)) = a else {
            return None;
        };
        lists.push(match x {
            ast::Expr::Tuple(xs) => xs.clone(),
            ast::Expr::Nested(x) => vec![(**x).clone()],
            x => vec![x.clone()],
        });
    }
    Some((name == "cube", lists))
}

/// `ROLLUP` of the element lists: every prefix, longest first.
fn rollup(elements: Vec<Vec<usize>>) -> Vec<Vec<usize>> {
    (0..=elements.len())
        .rev()
        .map(|n| elements[..n].concat())
        .collect()
}

/// `CUBE` of the element lists: every subset, in PostgreSQL's order (the full set first,
/// the empty set last).
fn cube(elements: Vec<Vec<usize>>) -> Vec<Vec<usize>> {
    let n = elements.len();
    (0..1usize << n)
        .rev()
        .map(|mask| {
            (0..n)
                .filter(|i| mask & (1 << (n - 1 - i)) != 0)
                .flat_map(|i| elements[i].iter().copied())
                .collect()
        })
        .collect()
}

impl Binder {
    /// PostgreSQL's functional dependency: when GROUP BY lists every primary-key column of
    /// a table in FROM, the table's other columns may be used ungrouped (Django groups by
    /// `t.id` and selects `t.name`). They join the grouping keys — a table's primary key
    /// fixes its row, so the groups stay the same — and so resolve like grouped columns.
    fn add_dependent_columns(&self, scope: &Scope, agg: &mut AggState) {
        if self.primary_keys.is_empty() {
            return;
        }
        let grouped = |origin: (usize, usize)| {
            agg.groups.iter().any(|(g, _)| match g {
                crate::expr::Expr::Column(j) => {
                    scope.columns.get(*j).and_then(|c| c.origin) == Some(origin)
                }
                _ => false,
            })
        };
        let covered: Vec<usize> = self
            .primary_keys
            .iter()
            .filter(|(need, key)| key.iter().all(|&k| grouped((**need, k))))
            .map(|(need, _)| *need)
            .collect();
        if covered.is_empty() {
            return;
        }
        for (i, c) in scope.columns.iter().enumerate() {
            let Some((need, _)) = c.origin else { continue };
            let x = crate::expr::Expr::Column(i);
            if covered.contains(&need) && !c.system && !agg.groups.iter().any(|(g, _)| *g == x) {
                agg.groups.push((x, c.data_type));
            }
        }
    }

    /// Binds the GROUP BY list into `agg.groups` and, when it has grouping sets,
    /// `agg.sets`.
    pub(super) fn bind_group_by(
        &mut self,
        group_exprs: &[ast::Expr],
        distinct: bool,
        items: Items,
        scope: &Scope,
        agg: &mut AggState,
    ) -> Result<()> {
        let mut per_item = Vec::with_capacity(group_exprs.len());
        let mut has_sets = false;
        for g in group_exprs {
            has_sets |= !is_plain(g);
            per_item.push(self.item_sets(g, items, scope, agg, true)?);
        }
        if !has_sets {
            self.add_dependent_columns(scope, agg);
            return Ok(());
        }
        let count = per_item
            .iter()
            .try_fold(1usize, |n, s| n.checked_mul(s.len()))
            .filter(|&n| n <= MAX_GROUPING_SETS);
        if count.is_none() {
            return Err(Error::StatementTooComplex(format!(
                "too many grouping sets present (maximum {MAX_GROUPING_SETS})"
            )));
        }
        let mut sets: Vec<Vec<usize>> = vec![Vec::new()];
        for item in per_item {
            sets = sets
                .iter()
                .flat_map(|s| item.iter().map(move |t| [s.as_slice(), t].concat()))
                .collect();
        }
        for s in &mut sets {
            s.sort_unstable();
            s.dedup();
        }
        if distinct {
            let mut seen = std::collections::HashSet::new();
            sets.retain(|s| seen.insert(s.clone()));
        }
        let all: Vec<usize> = (0..agg.groups.len()).collect();
        if !(sets.len() == 1 && sets[0] == all) {
            agg.sets = Some(sets);
        }
        Ok(())
    }

    /// The grouping sets of one GROUP BY item (or of one element of GROUPING SETS when not
    /// `top`), each a list of indices into `agg.groups`.
    fn item_sets(
        &mut self,
        g: &ast::Expr,
        items: Items,
        scope: &Scope,
        agg: &mut AggState,
        top: bool,
    ) -> Result<Vec<Vec<usize>>> {
        let elements = |b: &mut Self, lists: &[Vec<ast::Expr>], agg: &mut AggState| {
            lists
                .iter()
                .map(|l| {
                    if l.is_empty() {
                        return Err(syntax_error_at_paren());
                    }
                    b.set_columns(l, items, scope, agg)
                })
                .collect::<Result<Vec<_>>>()
        };
        let cube_of = |lists: Vec<Vec<usize>>| {
            if lists.len() > MAX_CUBE_ELEMENTS {
                return Err(Error::TooManyColumns(format!(
                    "CUBE is limited to {MAX_CUBE_ELEMENTS} elements"
                )));
            }
            Ok(cube(lists))
        };
        match g {
            ast::Expr::Tuple(t) if t.is_empty() => Ok(vec![Vec::new()]),
            ast::Expr::Rollup(lists) => Ok(rollup(elements(self, lists, agg)?)),
            ast::Expr::Cube(lists) => cube_of(elements(self, lists, agg)?),
            ast::Expr::GroupingSets(lists) => {
                let mut sets = Vec::new();
                for l in lists {
                    match l.as_slice() {
                        [one] if !is_plain(one) || nested_rollup_or_cube(one).is_some() => {
                            sets.extend(self.item_sets(one, items, scope, agg, false)?);
                        }
                        list => sets.push(self.set_columns(list, items, scope, agg)?),
                    }
                }
                Ok(sets)
            }
            g if !top => match nested_rollup_or_cube(g) {
                Some((is_cube, lists)) => {
                    let lists = elements(self, &lists, agg)?;
                    if is_cube {
                        cube_of(lists)
                    } else {
                        Ok(rollup(lists))
                    }
                }
                None => Ok(vec![self.set_columns(
                    std::slice::from_ref(g),
                    items,
                    scope,
                    agg,
                )?]),
            },
            g => Ok(vec![vec![self.bind_group_expr(g, items, scope, agg)?]]),
        }
    }

    /// The grouping expressions of one parenthesized list of a grouping set.
    fn set_columns(
        &mut self,
        list: &[ast::Expr],
        items: Items,
        scope: &Scope,
        agg: &mut AggState,
    ) -> Result<Vec<usize>> {
        list.iter()
            .map(|e| self.bind_group_expr(e, items, scope, agg))
            .collect()
    }

    /// Binds one grouping expression (resolving positions and output names) into
    /// `agg.groups`: its index there.
    fn bind_group_expr(
        &mut self,
        g: &ast::Expr,
        items: Items,
        scope: &Scope,
        agg: &mut AggState,
    ) -> Result<usize> {
        let target = match g {
            ast::Expr::Value(ast::ValueWithSpan {
                value: ast::Value::Number(n, _),
                span,
            }) => {
                let pos: usize = n.parse().unwrap_or(0);
                Some(
                    items
                        .get(pos.wrapping_sub(1))
                        .map(|(e, _)| e.clone())
                        .ok_or_else(|| {
                            let e = Error::InvalidColumnReference(format!(
                                "GROUP BY position {n} is not in select list"
                            ));
                            crate::position::note(&e, *span, n);
                            e
                        })?,
                )
            }
            ast::Expr::Identifier(id) if scope.resolve(None, &ident(id)).is_err() => {
                let name = ident(id);
                let mut found = items.iter().filter(|(_, n)| *n == name);
                match (found.next(), found.next()) {
                    (Some((e, _)), None) => Some(e.clone()),
                    (Some(_), Some(_)) => return Err(Error::AmbiguousColumn(name)),
                    _ => None,
                }
            }
            _ => None,
        };
        let g: &ast::Expr = target.as_deref().unwrap_or(g);
        if contains_aggregate(g) {
            return Err(Error::GroupingError(
                "aggregate functions are not allowed in GROUP BY".into(),
            ));
        }
        if contains_grouping(g) {
            return Err(Error::GroupingError(
                "grouping operations are not allowed in GROUP BY".into(),
            ));
        }
        if matches!(
            g,
            ast::Expr::Rollup(_) | ast::Expr::Cube(_) | ast::Expr::GroupingSets(_)
        ) {
            return Err(syntax_error_at_paren());
        }
        let bound = self.bind_expr(g, &mut ExprCtx::plain(scope, "GROUP BY"))?;
        Ok(match agg.groups.iter().position(|(x, _)| *x == bound.0) {
            Some(i) => i,
            None => {
                agg.groups.push(bound);
                agg.groups.len() - 1
            }
        })
    }
}
