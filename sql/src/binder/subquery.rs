//! Subqueries: the scope chain through which a subquery sees the columns of the queries
//! around it, and the binding of subqueries used as expressions (scalar, EXISTS, IN / NOT IN,
//! `op ANY/ALL`) and as LATERAL FROM items.
//!
//! # The scope chain
//!
//! While a subquery is bound, [`Binder::outer`] holds one [`OuterFrame`] per enclosing query
//! level, outermost first: the columns that level's expression could read (`scope`) and the
//! correlation values the subquery being bound takes from it (`args`). A name that does not
//! resolve in the current scope is looked up in the frames, innermost first (PostgreSQL's
//! rule). A column found `k` levels out becomes `Column(c)` in that level's frame, then
//! `OuterRef(slot)` in each frame below it, and finally `OuterRef(slot)` in the current
//! expression: every level passes the value one level down as one of its subquery's `args`.
//!
//! In an aggregating query, a subquery's correlation values must be grouped columns (they are
//! evaluated over the aggregate's output): they are mapped to GROUP BY columns here, and any
//! other column is PostgreSQL's 42803 "subquery uses ungrouped column".
//!
//! Frames also collect what decides whether a subquery's results may be cached (see
//! [`crate::expr::Subquery::reusable`]): a volatile function anywhere inside, or a read of a
//! CTE whose contents depend on an enclosing level's row.

use super::binary::{comparison, operand_type};
use super::expr::ExprCtx;
use super::{Binder, OutputColumn, Scope};
use crate::expr::{CmpOp, Expr, Subquery, SubqueryKind};
use crate::planner::Plan;
use crate::types::DataType;
use crate::{Error, Result};
use sqlparser::ast;
use std::sync::Arc;

/// One enclosing query level of the query being bound. See the module docs.
#[derive(Debug)]
pub struct OuterFrame {
    /// The columns the enclosing expression could read.
    pub scope: Scope,
    /// Correlation values passed into the subquery, as expressions of the enclosing level.
    pub args: Vec<Expr>,
    /// A volatile function is called inside the subquery.
    pub volatile: bool,
    /// The subquery reads a CTE whose rows may change between its evaluations.
    pub unstable: bool,
}

impl OuterFrame {
    fn new(scope: Scope) -> OuterFrame {
        OuterFrame {
            scope,
            args: Vec::new(),
            volatile: false,
            unstable: false,
        }
    }
}

/// A bound subquery before it becomes an expression or a LATERAL item.
pub struct BoundSubquery {
    pub plan: Plan,
    /// Output columns with their types as bound (`unknown` not yet resolved).
    pub columns: Vec<OutputColumn>,
    pub args: Vec<Expr>,
    pub reusable: bool,
}

/// How an expression uses a subquery, before binding.
pub enum SubqueryUse<'a> {
    Scalar,
    /// `ARRAY(SELECT ...)`.
    Array,
    Exists {
        negated: bool,
    },
    /// `lhs op ANY/ALL (subquery)`; IN is `= ANY`, NOT IN is `NOT (= ANY)`.
    Quantified {
        lhs: &'a ast::Expr,
        op: &'a ast::BinaryOperator,
        all: bool,
        negated: bool,
    },
}

impl Binder {
    /// Resolves `[qualifier.]name`: in `scope`, else in the enclosing query levels,
    /// innermost first. See the module docs.
    pub(super) fn resolve_column(
        &mut self,
        scope: &Scope,
        qualifier: Option<&str>,
        name: &str,
    ) -> Result<(Expr, DataType)> {
        self.resolve_column_in(scope, None, qualifier, name)
    }

    /// `schema.table.column`: a column of an unaliased relation of that schema.
    pub(super) fn resolve_schema_column(
        &mut self,
        scope: &Scope,
        schema: &str,
        table: &str,
        name: &str,
    ) -> Result<(Expr, DataType)> {
        self.resolve_column_in(scope, Some(schema), Some(table), name)
    }

    fn resolve_column_in(
        &mut self,
        scope: &Scope,
        schema: Option<&str>,
        qualifier: Option<&str>,
        name: &str,
    ) -> Result<(Expr, DataType)> {
        let mut local = scope.resolve_in(schema, qualifier, name);
        if schema.is_none()
            && matches!(
                local,
                Err(Error::UndefinedColumn(_) | Error::UndefinedQualifiedColumn(_))
            )
            && let Some(found) = self.system_column(scope, qualifier, name)
        {
            local = found;
        }
        let look_outward = |r: &Result<(Expr, DataType)>| match r {
            Err(Error::MissingFromEntry(_)) => true,
            Err(Error::UndefinedColumn(_)) => qualifier.is_none(),
            _ => false,
        };
        if !look_outward(&local) {
            if let Ok((Expr::Column(i), _)) = &local {
                self.read_column(scope.columns.get(*i).and_then(|c| c.origin));
            }
            return local;
        }
        for level in (0..self.outer.len()).rev() {
            let mut found = self.outer[level].scope.resolve_in(schema, qualifier, name);
            if schema.is_none()
                && super::system_columns::NAMES.contains(&name)
                && matches!(
                    found,
                    Err(Error::UndefinedColumn(_) | Error::UndefinedQualifiedColumn(_))
                )
            {
                let outer_scope = self.outer[level].scope.clone();
                if let Some(f) = self.system_column(&outer_scope, qualifier, name) {
                    found = f;
                }
            }
            if look_outward(&found) {
                continue;
            }
            let (e, t) = found?;
            if let Expr::Column(i) = &e {
                let origin = self.outer[level]
                    .scope
                    .columns
                    .get(*i)
                    .and_then(|c| c.origin);
                self.read_column(origin);
            }
            return Ok((self.thread_outer(level, e), t));
        }
        local
    }

    /// Passes `e`, an expression of query level `level`, down to the query being bound.
    fn thread_outer(&mut self, level: usize, mut e: Expr) -> Expr {
        for frame in &mut self.outer[level..] {
            let slot = match frame.args.iter().position(|a| *a == e) {
                Some(i) => i,
                None => {
                    frame.args.push(e);
                    frame.args.len() - 1
                }
            };
            e = Expr::OuterRef(slot);
        }
        e
    }

    /// Marks every enclosing subquery as calling a volatile function.
    pub(super) fn mark_volatile(&mut self) {
        for f in &mut self.outer {
            f.volatile = true;
        }
    }

    /// Marks the subqueries between query level `level` and the current one as reading a
    /// CTE of level `level` whose rows may change between their evaluations.
    pub(super) fn mark_unstable_below(&mut self, level: usize) {
        for f in self.outer.iter_mut().skip(level) {
            f.unstable = true;
        }
    }

    /// The current query level (0 for the statement's own query).
    pub(super) fn level(&self) -> usize {
        self.outer.len()
    }

    /// Binds `q` as a subquery of an expression (or LATERAL item) over `scope`.
    pub(super) fn bind_subquery(&mut self, q: &ast::Query, scope: &Scope) -> Result<BoundSubquery> {
        self.bind_nested(scope, |b| b.bind_query_raw(q))
    }

    /// Runs `bind` one query level below the current one, with `scope` visible as the
    /// enclosing level.
    pub(super) fn bind_nested(
        &mut self,
        scope: &Scope,
        bind: impl FnOnce(&mut Binder) -> Result<(Plan, Vec<OutputColumn>)>,
    ) -> Result<BoundSubquery> {
        self.outer.push(OuterFrame::new(scope.clone()));
        let r = bind(self);
        let frame = self.outer.pop().expect("pushed above");
        let (plan, columns) = r?;
        let reusable = !frame.unstable && (frame.args.is_empty() || !frame.volatile);
        Ok(BoundSubquery {
            plan,
            columns,
            args: frame.args,
            reusable,
        })
    }

    /// Maps correlation values to the aggregate's output row when the enclosing expression
    /// is bound in aggregate mode.
    fn args_for_context(&self, args: Vec<Expr>, ctx: &ExprCtx) -> Result<Vec<Expr>> {
        let Some(agg) = ctx.agg.as_deref() else {
            return Ok(args);
        };
        args.into_iter()
            .map(|a| match a {
                Expr::OuterRef(_) => Ok(a),
                _ => match agg.groups.iter().position(|(g, _)| *g == a) {
                    Some(i) => Ok(Expr::Column(i)),
                    None => Err(Error::GroupingError(format!(
                        "subquery uses ungrouped column \"{}\" from outer query",
                        ctx.scope.qualified_name(&a)
                    ))),
                },
            })
            .collect()
    }

    /// Binds a subquery used as an expression.
    pub(super) fn bind_subquery_expr(
        &mut self,
        q: &ast::Query,
        usage: SubqueryUse,
        ctx: &mut ExprCtx,
    ) -> Result<(Expr, DataType)> {
        let sub = self.bind_subquery(q, ctx.scope)?;
        let args = self.args_for_context(sub.args, ctx)?;
        let id = self.next_id();
        let mut plan = sub.plan;
        let (kind, ty, negated) = match usage {
            SubqueryUse::Scalar => {
                let [column] = sub.columns.as_slice() else {
                    return Err(Error::SyntaxError(
                        "subquery must return only one column".into(),
                    ));
                };
                (SubqueryKind::Scalar, resolved(column.data_type), false)
            }
            SubqueryUse::Array => {
                let [column] = sub.columns.as_slice() else {
                    return Err(Error::SyntaxError(
                        "subquery must return only one column".into(),
                    ));
                };
                let elem = resolved(column.data_type);
                if matches!(elem, DataType::Array(_)) {
                    (SubqueryKind::ArrayOfArrays, elem.without_typmod(), false)
                } else {
                    let ty = crate::types::ElemType::new(elem)
                        .map(DataType::Array)
                        .ok_or_else(|| {
                            Error::unsupported(format!(
                                "ARRAY() of a subquery returning {} is not supported",
                                elem.name()
                            ))
                        })?;
                    (SubqueryKind::Array, ty, false)
                }
            }
            SubqueryUse::Exists { negated } => (SubqueryKind::Exists, DataType::Bool, negated),
            SubqueryUse::Quantified {
                lhs,
                op,
                all,
                negated,
            } => {
                let lhs_exprs: Vec<&ast::Expr> = match lhs {
                    ast::Expr::Tuple(items) => items.iter().collect(),
                    ast::Expr::Nested(inner) if matches!(inner.as_ref(), ast::Expr::Tuple(_)) => {
                        match inner.as_ref() {
                            ast::Expr::Tuple(items) => items.iter().collect(),
                            _ => unreachable!("matched above"),
                        }
                    }
                    e => vec![e],
                };
                if lhs_exprs.len() < sub.columns.len() {
                    return Err(Error::SyntaxError("subquery has too many columns".into()));
                }
                if lhs_exprs.len() > sub.columns.len() {
                    return Err(Error::SyntaxError("subquery has too few columns".into()));
                }
                let (cmp, sym) = comparison(op).ok_or_else(|| {
                    Error::unsupported(format!("operator {op} with ANY/ALL is not supported yet"))
                })?;
                let mut bound_lhs = Vec::new();
                let mut casts = Vec::new();
                for (l, c) in lhs_exprs.into_iter().zip(&sub.columns) {
                    let (le, lt) = self.bind_expr(l, ctx)?;
                    let rt = resolved(c.data_type);
                    let common = operand_type(lt, sym, rt)?;
                    bound_lhs.push(self.coerce(le, lt, common)?);
                    casts.push((rt, common));
                }
                if casts.iter().any(|(from, to)| from != to) {
                    let mut exprs = Vec::new();
                    for (i, (from, to)) in casts.into_iter().enumerate() {
                        exprs.push(self.coerce(Expr::Column(i), from, to)?);
                    }
                    plan = Plan::Project {
                        input: Box::new(plan),
                        exprs,
                    };
                }
                // `x <> ALL (...)` is `NOT (x = ANY (...))`, which has the fast set lookup.
                let (cmp, all, negated) = match (cmp, all) {
                    (CmpOp::NotEq, true) => (CmpOp::Eq, false, !negated),
                    other => (other.0, other.1, negated),
                };
                let kind = SubqueryKind::Quantified {
                    lhs: bound_lhs,
                    op: cmp,
                    all,
                };
                (kind, DataType::Bool, negated)
            }
        };
        let e = Expr::Subquery(Box::new(Subquery {
            id,
            plan: Arc::new(plan),
            args,
            kind,
            reusable: sub.reusable,
        }));
        Ok((if negated { Expr::Not(Box::new(e)) } else { e }, ty))
    }
}

/// An output type with `unknown` resolved to text (what a subquery's column is outside it).
pub fn resolved(t: DataType) -> DataType {
    if t == DataType::Unknown {
        DataType::Text
    } else {
        t
    }
}
