//! Binding of the FROM clause: tables, `generate_series`, derived tables (subqueries and
//! VALUES with an alias) and joins.
//!
//! Joins are bound left-deep: `a, b JOIN c ON p` becomes `Join(Join(a, b, Cross), c, p)`. The
//! scope of a join is the left scope followed by the right one; columns stay reachable by
//! their table alias, and an unqualified name present on both sides is ambiguous (42702).
//! NATURAL / USING joins merge their columns as PostgreSQL does (see `join_using`).

use super::expr::ExprCtx;
use super::{Binder, Scope, ScopeColumn, ident};
use crate::expr::{CmpOp, Expr};
use crate::planner::{AccessPlan, JoinKind, Plan};
use crate::types::DataType;
use crate::{Error, Result};
use sqlparser::ast;

impl Binder {
    /// Binds a FROM list; no FROM is one empty row.
    pub(super) fn bind_from(&mut self, from: &[ast::TableWithJoins]) -> Result<(Plan, Scope)> {
        let mut acc: Option<(Plan, Scope)> = None;
        for twj in from {
            let mut cur = self.bind_factor(&twj.relation)?;
            for join in &twj.joins {
                let right = self.bind_factor(&join.relation)?;
                cur = self.bind_join(cur, right, &join.join_operator)?;
            }
            acc = Some(match acc {
                None => cur,
                Some(left) => self.join(left, cur, JoinKind::Inner, None)?,
            });
        }
        Ok(acc.unwrap_or_else(|| (Plan::Values { rows: vec![vec![]] }, Scope::default())))
    }

    fn join(
        &mut self,
        left: (Plan, Scope),
        right: (Plan, Scope),
        kind: JoinKind,
        on: Option<Expr>,
    ) -> Result<(Plan, Scope)> {
        let (lp, ls) = left;
        let (rp, rs) = right;
        let (left_width, right_width) = (ls.columns.len(), rs.columns.len());
        let mut scope = ls;
        scope.columns.extend(rs.columns);
        let plan = Plan::Join {
            left: Box::new(lp),
            right: Box::new(rp),
            kind,
            on,
            left_width,
            right_width,
        };
        Ok((plan, scope))
    }

    fn bind_join(
        &mut self,
        left: (Plan, Scope),
        right: (Plan, Scope),
        op: &ast::JoinOperator,
    ) -> Result<(Plan, Scope)> {
        use ast::JoinOperator as J;
        let (kind, constraint) = match op {
            J::Join(c) | J::Inner(c) => (JoinKind::Inner, Some(c)),
            J::Left(c) | J::LeftOuter(c) => (JoinKind::Left, Some(c)),
            J::Right(c) | J::RightOuter(c) => (JoinKind::Right, Some(c)),
            J::FullOuter(c) => (JoinKind::Full, Some(c)),
            J::CrossJoin(_) => (JoinKind::Inner, None),
            _ => return Err(Error::unsupported("this join type is not supported yet")),
        };
        let on = match constraint {
            None | Some(ast::JoinConstraint::None) => None,
            Some(ast::JoinConstraint::On(e)) => Some(e),
            Some(ast::JoinConstraint::Natural) => {
                let names: Vec<String> = left
                    .1
                    .columns
                    .iter()
                    .filter(|c| {
                        !c.qualified_only
                            && right
                                .1
                                .columns
                                .iter()
                                .any(|r| !r.qualified_only && r.name == c.name)
                    })
                    .map(|c| c.name.clone())
                    .collect();
                return self.join_using(left, right, kind, &names);
            }
            Some(ast::JoinConstraint::Using(cols)) => {
                let names = cols
                    .iter()
                    .map(super::object_name)
                    .collect::<Result<Vec<_>>>()?;
                return self.join_using(left, right, kind, &names);
            }
            Some(_) => return Err(Error::unsupported("USING ... AS is not supported yet")),
        };
        let mut scope = left.1.clone();
        scope.columns.extend(right.1.columns.iter().cloned());
        let on = match on {
            Some(e) => {
                let (x, t) = self.bind_expr(e, &mut ExprCtx::plain(&scope, "JOIN conditions"))?;
                Some(match t {
                    DataType::Bool => x,
                    DataType::Unknown => self.coerce(x, t, DataType::Bool)?,
                    _ => {
                        return Err(Error::DatatypeMismatch(format!(
                            "argument of JOIN/ON must be type boolean, not type {}",
                            t.name()
                        )));
                    }
                })
            }
            None => None,
        };
        self.join(left, right, kind, on)
    }

    /// NATURAL / USING: equality on the named columns; the right side's copies become
    /// reachable only qualified, so an unqualified name (and `*`) means the left column.
    /// (PostgreSQL shows `COALESCE(left, right)` there for RIGHT / FULL joins; not yet.)
    fn join_using(
        &mut self,
        left: (Plan, Scope),
        right: (Plan, Scope),
        kind: JoinKind,
        names: &[String],
    ) -> Result<(Plan, Scope)> {
        let lw = left.1.columns.len();
        let mut on: Option<Expr> = None;
        let mut merged = Vec::new();
        for name in names {
            // PostgreSQL: column "x" specified in USING clause does not exist in left table.
            let find = |scope: &Scope| {
                scope
                    .columns
                    .iter()
                    .position(|c| !c.qualified_only && c.name == *name)
                    .ok_or_else(|| Error::UndefinedColumn(name.clone()))
            };
            let (li, ri) = (find(&left.1)?, find(&right.1)?);
            let (lt, rt) = (left.1.columns[li].data_type, right.1.columns[ri].data_type);
            let t = DataType::common(lt, rt).ok_or_else(|| {
                Error::UndefinedFunction(format!(
                    "operator does not exist: {} = {}",
                    lt.name(),
                    rt.name()
                ))
            })?;
            let l = self.coerce(Expr::Column(li), lt, t)?;
            let r = self.coerce(Expr::Column(lw + ri), rt, t)?;
            let eq = Expr::Compare(CmpOp::Eq, Box::new(l), Box::new(r));
            on = Some(match on {
                None => eq,
                Some(prev) => Expr::And(Box::new(prev), Box::new(eq)),
            });
            merged.push((li, ri));
        }
        // PostgreSQL's layout: merged columns first (unqualified; COALESCE for FULL, the
        // right side's for RIGHT), then the other left and right columns; each side's copy
        // of a merged column stays reachable qualified only.
        let (ls, rs) = (left.1.clone(), right.1.clone());
        let (plan, _) = self.join(left, right, kind, on)?;
        let mut exprs = Vec::new();
        let mut scope = Scope::default();
        for (&(li, ri), name) in merged.iter().zip(names) {
            exprs.push(match kind {
                JoinKind::Right => Expr::Column(lw + ri),
                JoinKind::Full => Expr::Coalesce(vec![Expr::Column(li), Expr::Column(lw + ri)]),
                _ => Expr::Column(li),
            });
            let t = ls.columns[li].data_type;
            scope.columns.push(ScopeColumn {
                table: None,
                name: name.clone(),
                data_type: t,
                qualified_only: false,
            });
        }
        for (i, c) in ls.columns.iter().enumerate() {
            if !merged.iter().any(|(li, _)| *li == i) {
                exprs.push(Expr::Column(i));
                scope.columns.push(c.clone());
            }
        }
        for (i, c) in rs.columns.iter().enumerate() {
            if !merged.iter().any(|(_, ri)| *ri == i) {
                exprs.push(Expr::Column(lw + i));
                scope.columns.push(c.clone());
            }
        }
        for &(li, ri) in &merged {
            exprs.push(Expr::Column(li));
            scope.columns.push(ScopeColumn {
                qualified_only: true,
                ..ls.columns[li].clone()
            });
            exprs.push(Expr::Column(lw + ri));
            scope.columns.push(ScopeColumn {
                qualified_only: true,
                ..rs.columns[ri].clone()
            });
        }
        Ok((
            Plan::Project {
                input: Box::new(plan),
                exprs,
            },
            scope,
        ))
    }

    fn bind_factor(&mut self, f: &ast::TableFactor) -> Result<(Plan, Scope)> {
        match f {
            ast::TableFactor::Table {
                name,
                alias,
                args: None,
                ..
            } => {
                if let Some(view) = crate::system_views::lookup(name) {
                    return Ok(self.bind_system_view(name, alias.as_ref(), view));
                }
                let table = self.table(name)?;
                let alias = alias.as_ref().map(|a| ident(&a.name));
                let scope = Scope::of_table(&table, alias.as_deref());
                Ok((
                    Plan::Scan {
                        table,
                        access: AccessPlan::Full,
                    },
                    scope,
                ))
            }
            ast::TableFactor::Table {
                name,
                alias,
                args: Some(args),
                ..
            } => self.bind_series(name, alias.as_ref(), args),
            ast::TableFactor::Derived {
                lateral: false,
                subquery,
                alias,
                ..
            } => {
                let Some(alias) = alias else {
                    return Err(Error::SyntaxError(
                        "subquery in FROM must have an alias".into(),
                    ));
                };
                let (plan, columns) = self.bind_query(subquery)?;
                if alias.columns.len() > columns.len() {
                    return Err(Error::InvalidColumnReference(format!(
                        "table \"{}\" has {} columns available but {} columns specified",
                        ident(&alias.name),
                        columns.len(),
                        alias.columns.len()
                    )));
                }
                let table = ident(&alias.name);
                let scope = Scope {
                    columns: columns
                        .iter()
                        .enumerate()
                        .map(|(i, c)| ScopeColumn {
                            table: Some(table.clone()),
                            name: alias
                                .columns
                                .get(i)
                                .map(|a| ident(&a.name))
                                .unwrap_or_else(|| c.name.clone()),
                            data_type: c.data_type,
                            qualified_only: false,
                        })
                        .collect(),
                };
                Ok((plan, scope))
            }
            ast::TableFactor::NestedJoin {
                table_with_joins,
                alias: None,
            } => self.bind_from(std::slice::from_ref(table_with_joins)),
            _ => Err(Error::unsupported("this FROM item is not supported yet")),
        }
    }

    /// A system view ([`crate::system_views`]) as constant rows.
    fn bind_system_view(
        &mut self,
        name: &ast::ObjectName,
        alias: Option<&ast::TableAlias>,
        view: crate::system_views::ViewRows,
    ) -> (Plan, Scope) {
        let table = alias.map_or_else(
            || {
                name.0
                    .last()
                    .map(|p| match p {
                        ast::ObjectNamePart::Identifier(i) => ident(i),
                        other => other.to_string(),
                    })
                    .unwrap_or_default()
            },
            |a| ident(&a.name),
        );
        let scope = Scope {
            columns: view
                .columns
                .iter()
                .map(|c| ScopeColumn {
                    table: Some(table.clone()),
                    name: c.name.clone(),
                    data_type: c.data_type,
                    qualified_only: false,
                })
                .collect(),
        };
        let rows = view
            .rows
            .into_iter()
            .map(|r| r.into_iter().map(crate::expr::Expr::Literal).collect())
            .collect();
        (Plan::Values { rows }, scope)
    }

    /// `FROM generate_series(start, stop [, step]) [alias [(column)]]`.
    fn bind_series(
        &mut self,
        name: &ast::ObjectName,
        alias: Option<&ast::TableAlias>,
        args: &ast::TableFunctionArgs,
    ) -> Result<(Plan, Scope)> {
        let fname = super::object_name(name)?;
        if fname != "generate_series" {
            return Err(Error::UndefinedFunction(format!(
                "function {fname} does not exist"
            )));
        }
        let scope = Scope::default();
        let mut bound = Vec::new();
        for a in &args.args {
            let ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) = a else {
                return Err(Error::unsupported("named arguments are not supported"));
            };
            bound.push(self.bind_expr(e, &mut ExprCtx::plain(&scope, "FROM"))?);
        }
        if !(2..=3).contains(&bound.len()) {
            return Err(Error::UndefinedFunction(
                "function generate_series with these arguments does not exist".into(),
            ));
        }
        let mut ty = DataType::Int4;
        for (_, t) in &bound {
            ty = match DataType::common(ty, *t) {
                Some(t) if t.is_integer() => t,
                _ => {
                    return Err(Error::unsupported(format!(
                        "generate_series over {} is not supported yet",
                        t.name()
                    )));
                }
            };
        }
        let mut exprs = Vec::new();
        for (e, t) in bound {
            exprs.push(self.coerce(e, t, ty)?);
        }
        let step = exprs
            .get(2)
            .cloned()
            .unwrap_or(Expr::Literal(crate::Value::Int(1)));
        let (table, column) = match alias {
            Some(a) => {
                let t = ident(&a.name);
                let c = a
                    .columns
                    .first()
                    .map(|c| ident(&c.name))
                    .unwrap_or_else(|| t.clone());
                (t, c)
            }
            None => (fname.clone(), fname),
        };
        let scope = Scope {
            columns: vec![super::ScopeColumn {
                table: Some(table),
                name: column,
                data_type: ty,
                qualified_only: false,
            }],
        };
        let mut it = exprs.into_iter();
        let (start, stop) = (it.next(), it.next());
        let (Some(start), Some(stop)) = (start, stop) else {
            return Err(Error::Internal(
                "generate_series arity checked above".into(),
            ));
        };
        Ok((Plan::Series { start, stop, step }, scope))
    }
}
