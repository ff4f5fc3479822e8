//! Binding of the FROM clause: tables, CTE references, table functions (`generate_series`),
//! derived tables (subqueries and VALUES with an alias), LATERAL items and joins.
//!
//! Joins are bound left-deep: `a, b JOIN c ON p` becomes `Join(a, Join(b, c, p), Cross)`. The
//! scope of a join is the left scope followed by the right one; columns stay reachable by
//! their table alias, and an unqualified name present on both sides is ambiguous (42702).
//! NATURAL / USING joins merge their columns as PostgreSQL does (see `join_using`).
//!
//! A LATERAL subquery, and a function in FROM (implicitly lateral, as in PostgreSQL), is bound
//! one query level down with the items to its left as the enclosing scope (see
//! `subquery.rs`): if it reads any of their columns the join becomes a `LateralJoin`, which
//! evaluates it again for each left row; otherwise it is an ordinary join.

use super::expr::ExprCtx;
use super::{Binder, FromRelation, Scope, ScopeColumn, ident};
use crate::expr::set_fns::SetFn;
use crate::expr::{CmpOp, Expr};
use crate::planner::{AccessPlan, JoinKind, Plan, SystemSource};
use crate::types::DataType;
use crate::{Error, Result};
use sqlparser::ast;

/// A bound FROM item.
struct Factor {
    plan: Plan,
    scope: Scope,
    /// For an item that reads columns of the items to its left: the correlation values
    /// (expressions over the left row) its plan reads as `OuterRef`s.
    lateral: Option<Vec<Expr>>,
}

impl Factor {
    fn plain((plan, scope): (Plan, Scope)) -> Factor {
        Factor {
            plan,
            scope,
            lateral: None,
        }
    }
}

impl Binder {
    /// Binds a FROM list; no FROM is one empty row.
    pub(super) fn bind_from(&mut self, from: &[ast::TableWithJoins]) -> Result<(Plan, Scope)> {
        let mut acc: Option<(Plan, Scope)> = None;
        for twj in from {
            let first = self.bind_factor(&twj.relation, acc.as_ref().map(|a| &a.1))?;
            let mut cur = match (first.lateral.is_some(), acc.take()) {
                (true, Some(left)) => self.join(left, first, JoinKind::Inner, None)?,
                (_, left) => {
                    acc = left;
                    (first.plan, first.scope)
                }
            };
            for join in &twj.joins {
                let right = self.bind_factor(&join.relation, Some(&cur.1))?;
                cur = self.bind_join(cur, right, &join.join_operator)?;
            }
            acc = Some(match acc {
                None => cur,
                Some(left) => self.join(left, Factor::plain(cur), JoinKind::Inner, None)?,
            });
        }
        Ok(acc.unwrap_or_else(|| (Plan::Values { rows: vec![vec![]] }, Scope::default())))
    }

    fn join(
        &mut self,
        left: (Plan, Scope),
        right: Factor,
        kind: JoinKind,
        on: Option<Expr>,
    ) -> Result<(Plan, Scope)> {
        let (lp, ls) = left;
        let (left_width, right_width) = (ls.columns.len(), right.scope.columns.len());
        let mut scope = ls;
        scope.columns.extend(right.scope.columns);
        let plan = match right.lateral {
            None => Plan::Join {
                left: Box::new(lp),
                right: Box::new(right.plan),
                kind,
                on,
                left_width,
                right_width,
            },
            Some(args) => {
                if !matches!(kind, JoinKind::Inner | JoinKind::Left) {
                    return Err(Error::InvalidColumnReference(
                        "The combining JOIN type must be INNER or LEFT for a LATERAL reference."
                            .into(),
                    ));
                }
                Plan::LateralJoin {
                    left: Box::new(lp),
                    right: Box::new(right.plan),
                    args,
                    kind,
                    on,
                    right_width,
                }
            }
        };
        Ok((plan, scope))
    }

    fn bind_join(
        &mut self,
        left: (Plan, Scope),
        right: Factor,
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
        let Factor {
            plan,
            scope,
            lateral,
        } = right;
        let (left, (plan, scope)) = self.mark_null_sides(left, (plan, scope), kind);
        let right = Factor {
            plan,
            scope,
            lateral,
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
                                .scope
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
            // `USING (i) AS x`: `x` names the merged columns only (`x.i`, `x.*`).
            Some(ast::JoinConstraint::UsingAlias(cols, alias)) => {
                let names = cols
                    .iter()
                    .map(super::object_name)
                    .collect::<Result<Vec<_>>>()?;
                let (plan, mut scope) = self.join_using(left, right, kind, &names)?;
                for c in scope.columns.iter_mut().take(names.len()) {
                    c.table = Some(ident(alias));
                }
                return Ok((plan, scope));
            }
        };
        let mut scope = left.1.clone();
        scope.columns.extend(right.scope.columns.iter().cloned());
        let on = match on {
            Some(e) => Some(self.bind_bool(
                e,
                &mut ExprCtx::plain(&scope, "JOIN conditions"),
                "JOIN/ON",
            )?),
            None => None,
        };
        self.join(left, right, kind, on)
    }

    /// NATURAL / USING: equality on the named columns (coerced to their common type). The
    /// merged column comes first and unqualified — the left side's value, the right side's
    /// for RIGHT, `COALESCE(left, right)` for FULL; each side's own copy stays reachable
    /// qualified only, so an unqualified name (and `*`) means the merged column.
    fn join_using(
        &mut self,
        left: (Plan, Scope),
        right: Factor,
        kind: JoinKind,
        names: &[String],
    ) -> Result<(Plan, Scope)> {
        let lw = left.1.columns.len();
        let mut on: Option<Expr> = None;
        let mut merged = Vec::new();
        for name in names {
            let find = |scope: &Scope| {
                let mut found = scope
                    .columns
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| !c.qualified_only && c.name == *name);
                match (found.next(), found.next()) {
                    (Some((i, _)), None) => Ok(i),
                    (Some(_), Some(_)) => Err(Error::AmbiguousColumn(name.clone())),
                    (None, _) => Err(Error::UndefinedColumn(name.clone())),
                }
            };
            let (li, ri) = (find(&left.1)?, find(&right.scope)?);
            // The join condition reads both columns.
            self.read_column(left.1.columns[li].origin);
            self.read_column(right.scope.columns[ri].origin);
            let (lt, rt) = (
                left.1.columns[li].data_type,
                right.scope.columns[ri].data_type,
            );
            let t = super::binary::operand_type(lt, "=", rt)?;
            let l = self.coerce(Expr::Column(li), lt, t)?;
            let r = self.coerce(Expr::Column(lw + ri), rt, t)?;
            let eq = Expr::Compare(CmpOp::Eq, Box::new(l.clone()), Box::new(r.clone()));
            on = Some(match on {
                None => eq,
                Some(prev) => Expr::And(Box::new(prev), Box::new(eq)),
            });
            merged.push((li, ri, l, r, t));
        }
        let (ls, rs) = (left.1.clone(), right.scope.clone());
        let (plan, _) = self.join(left, right, kind, on)?;
        let mut exprs = Vec::new();
        let mut scope = Scope::default();
        for ((_, _, l, r, t), name) in merged.iter().zip(names) {
            exprs.push(match kind {
                JoinKind::Right => r.clone(),
                JoinKind::Full => Expr::Coalesce(vec![l.clone(), r.clone()]),
                _ => l.clone(),
            });
            scope.columns.push(ScopeColumn {
                table: None,
                name: name.clone(),
                data_type: *t,
                qualified_only: false,
                schema: None,
                whole_row: false,
                system: false,
                origin: None,
            });
        }
        // Each side's columns keep their order (its own copy of a merged column reachable
        // qualified only), so `t.*` and `t`'s whole row list them as in `t`.
        let sides = [(&ls, 0, true), (&rs, lw, false)];
        for (side, base, is_left) in sides {
            for (i, c) in side.columns.iter().enumerate() {
                exprs.push(Expr::Column(base + i));
                let is_merged = merged
                    .iter()
                    .any(|(li, ri, ..)| if is_left { *li == i } else { *ri == i });
                scope.columns.push(if is_merged {
                    ScopeColumn {
                        qualified_only: true,
                        schema: None,
                        whole_row: false,
                        system: false,
                        ..c.clone()
                    }
                } else {
                    c.clone()
                });
            }
        }
        Ok((
            Plan::Project {
                input: Box::new(plan),
                exprs,
            },
            scope,
        ))
    }

    /// Binds `bind` as a FROM item that may read the columns of `left` (the items to its
    /// left): one level down when there are such items.
    fn bind_lateral(
        &mut self,
        left: Option<&Scope>,
        bind: impl FnOnce(&mut Binder) -> Result<(Plan, Scope)>,
    ) -> Result<Factor> {
        let Some(left) = left else {
            return bind(self).map(Factor::plain);
        };
        let mut scope = None;
        let sub = self.bind_nested(left, |b| {
            let (plan, s) = bind(b)?;
            scope = Some(s);
            Ok((plan, Vec::new()))
        })?;
        Ok(Factor {
            plan: sub.plan,
            scope: scope.expect("set by a successful bind"),
            lateral: (!sub.args.is_empty()).then_some(sub.args),
        })
    }

    fn bind_factor(&mut self, f: &ast::TableFactor, left: Option<&Scope>) -> Result<Factor> {
        match f {
            // TABLESAMPLE applies to tables only (PostgreSQL's grammar).
            ast::TableFactor::Table {
                args: Some(_),
                sample: Some(_),
                ..
            }
            | ast::TableFactor::Derived {
                sample: Some(_), ..
            } => Err(Error::SyntaxError(
                "syntax error at or near \"tablesample\"".into(),
            )),
            ast::TableFactor::Table {
                name,
                alias,
                args: None,
                sample,
                inheritance,
                ..
            } => {
                self.only = matches!(inheritance, Some(ast::TableInheritance::Only { .. }));
                let (mut plan, scope) = match name.0.as_slice() {
                    [ast::ObjectNamePart::Identifier(id)] => {
                        match self.cte_reference(&ident(id), alias.as_ref())? {
                            Some(cte) => {
                                let qualifier =
                                    alias.as_ref().map_or_else(|| ident(id), |a| ident(&a.name));
                                self.note_with_query(&qualifier);
                                cte
                            }
                            None => self.bind_relation(name, alias.as_ref())?,
                        }
                    }
                    _ => self.bind_relation(name, alias.as_ref())?,
                };
                if let Some(sample) = sample {
                    plan = self.bind_sample(plan, sample)?;
                }
                Ok(Factor::plain((plan, scope)))
            }
            // `f(...) AS (col type, ...)`: the function's name names the item.
            ast::TableFactor::Table {
                name,
                alias: Some(a),
                args: Some(_),
                ..
            } if a.name.value == crate::parse::rows_from::UNNAMED => {
                let mut named = f.clone();
                if let ast::TableFactor::Table { alias: Some(a), .. } = &mut named
                    && let Some(ast::ObjectNamePart::Identifier(id)) = name.0.last()
                {
                    a.name = id.clone();
                }
                self.bind_factor(&named, left)
            }
            ast::TableFactor::Table {
                name,
                alias,
                args: Some(args),
                with_ordinality,
                ..
            } if super::object_name(name)? == crate::parse::rows_from::ROWS_FROM
                || (*with_ordinality
                    && !crate::expr::set_fns::NAMES
                        .contains(&super::object_name(name)?.as_str())) =>
            {
                self.bind_lateral(left, |b| {
                    b.bind_rows_from(name, alias.as_ref(), args, *with_ordinality)
                })
            }
            ast::TableFactor::Table {
                name,
                alias,
                args: Some(args),
                with_ordinality: false,
                ..
            } if let Some(mut expanded) = self.expanded_factor(name, alias.as_ref(), args)? => {
                if let ast::TableFactor::Derived { lateral, .. } = &mut expanded {
                    *lateral = left.is_some();
                }
                self.nested_factor(|b| b.bind_factor(&expanded, left))
            }
            ast::TableFactor::Table {
                name,
                alias,
                args: Some(args),
                with_ordinality,
                ..
            } => self.bind_lateral(left, |b| {
                b.ordinality = *with_ordinality;
                b.bind_series(name, alias.as_ref(), args)
            }),
            ast::TableFactor::UNNEST {
                alias,
                array_exprs,
                with_offset: false,
                with_ordinality,
                ..
            } => self.bind_lateral(left, |b| {
                let scope = Scope::default();
                let mut bound = Vec::new();
                for e in array_exprs {
                    bound.push(b.bind_expr(e, &mut ExprCtx::plain(&scope, "FROM"))?);
                }
                b.ordinality = *with_ordinality;
                b.bind_table_function("unnest", alias.as_ref(), bound)
            }),
            // `LATERAL f(...)`: a function in FROM, lateral anyway (as in PostgreSQL).
            ast::TableFactor::Function {
                name,
                args,
                with_ordinality,
                alias,
                ..
            } => {
                let table = ast::TableFactor::Table {
                    name: name.clone(),
                    alias: alias.clone(),
                    args: Some(ast::TableFunctionArgs {
                        args: args.clone(),
                        settings: None,
                    }),
                    with_hints: Vec::new(),
                    version: None,
                    with_ordinality: *with_ordinality,
                    partitions: Vec::new(),
                    json_path: None,
                    sample: None,
                    index_directives: Vec::new(),
                    inheritance: None,
                };
                self.bind_factor(&table, left)
            }
            ast::TableFactor::Derived {
                lateral,
                subquery,
                alias,
                ..
            } => {
                let Some(alias) = alias else {
                    return Err(Error::SyntaxError(
                        "subquery in FROM must have an alias".into(),
                    ));
                };
                let bind = |b: &mut Binder| b.bind_derived(subquery, alias);
                if *lateral {
                    self.bind_lateral(left, bind)
                } else {
                    bind(self).map(Factor::plain)
                }
            }
            ast::TableFactor::NestedJoin {
                table_with_joins,
                alias: None,
            } => self
                .bind_from(std::slice::from_ref(table_with_joins))
                .map(Factor::plain),
            ast::TableFactor::NestedJoin {
                table_with_joins,
                alias: Some(alias),
            } => {
                let (plan, mut scope) = self.bind_from(std::slice::from_ref(table_with_joins))?;
                super::join_alias::alias_join(&mut scope, alias)?;
                Ok(Factor::plain((plan, scope)))
            }
            _ => Err(Error::unsupported("this FROM item is not supported yet")),
        }
    }

    /// One function of `ROWS FROM` as a FROM item of its own (not lateral to anything: the
    /// whole `ROWS FROM` is).
    pub(super) fn bind_function_item(&mut self, f: &ast::TableFactor) -> Result<(Plan, Scope)> {
        let factor = self.bind_factor(f, None)?;
        Ok((factor.plan, factor.scope))
    }

    /// A named relation in FROM: a table scan, a view's query, a sequence's row or a
    /// system relation's generated rows.
    fn bind_relation(
        &mut self,
        name: &ast::ObjectName,
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Plan, Scope)> {
        let found = self.resolve_relation(name)?;
        let schema = match &found {
            FromRelation::Table(t) => t.schema,
            FromRelation::View(v) => v.schema,
            FromRelation::Sequence(s) => s.schema,
            FromRelation::System(t) => t.schema,
        };
        let (plan, mut scope) = self.bind_found_relation(found, alias)?;
        if alias.is_none() {
            let schema = self.catalog.schema_name(schema);
            for c in &mut scope.columns {
                c.schema = Some(schema.clone());
            }
        }
        Ok((plan, scope))
    }

    fn bind_found_relation(
        &mut self,
        found: FromRelation,
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Plan, Scope)> {
        let alias_name = alias.map(|a| ident(&a.name));
        match found {
            FromRelation::Table(table) => {
                let need = self.need(table.id, crate::storage::catalog::acl::SELECT);
                if table.primary_key_name.is_some() && !table.primary_key.is_empty() {
                    self.primary_keys.insert(need, table.primary_key.clone());
                }
                let qualifier = alias_name.clone().unwrap_or_else(|| table.name.clone());
                self.row_types.insert(qualifier.clone(), table.id);
                let mut scope = Scope::of_table(&table, alias_name.as_deref()).with_origin(need);
                rename_columns(&mut scope, alias);
                if table.partition_key.is_some() && !std::mem::take(&mut self.only) {
                    let plan = self.partitioned_scan(&table, &qualifier, &mut scope);
                    return Ok((plan, scope));
                }
                self.only = false;
                let key_columns = self.mark_for_locking(&table, &qualifier, &mut scope)
                    || self.row_id_for_ctid(&table, &qualifier, &mut scope);
                Ok((
                    Plan::Scan {
                        table,
                        access: AccessPlan::Full,
                        key_columns,
                    },
                    scope,
                ))
            }
            FromRelation::View(v) => {
                let need = self.need(v.oid, crate::storage::catalog::acl::SELECT);
                let qualifier = alias_name.clone().unwrap_or_else(|| v.name.clone());
                self.note_unlockable(&qualifier);
                self.row_types.insert(qualifier, v.oid);
                let (plan, scope) = self.bind_view(&v, alias)?;
                Ok((plan, scope.with_origin(need)))
            }
            FromRelation::Sequence(s) => {
                self.need(s.oid, crate::storage::catalog::acl::SELECT);
                let columns = crate::system::sequence_columns();
                let mut scope = generated_scope(alias_name.unwrap_or(s.name.clone()), &columns);
                rename_columns(&mut scope, alias);
                Ok((
                    Plan::SystemScan {
                        source: SystemSource::Sequence(s.oid),
                    },
                    scope,
                ))
            }
            FromRelation::System(t) => {
                let columns = t.column_types();
                let qualifier = alias_name.unwrap_or(t.name.to_string());
                let mut scope = generated_scope(qualifier.clone(), &columns);
                rename_columns(&mut scope, alias);
                // The rows carry the relation's OID last: PostgreSQL's `tableoid`.
                scope.columns.push(ScopeColumn::tableoid(qualifier));
                Ok((
                    Plan::SystemScan {
                        source: SystemSource::Table {
                            schema: t.schema,
                            name: t.name,
                        },
                    },
                    scope,
                ))
            }
        }
    }

    /// A subquery in FROM with its alias (and column aliases).
    fn bind_derived(&mut self, q: &ast::Query, alias: &ast::TableAlias) -> Result<(Plan, Scope)> {
        self.note_locked_subquery(&ident(&alias.name), q)?;
        let (plan, columns) = self.bind_query(q)?;
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
                    schema: None,
                    whole_row: false,
                    system: false,
                    origin: None,
                })
                .collect(),
        };
        Ok((plan, scope))
    }

    /// A function in FROM that stands for a derived table: a JSON record function
    /// (`json_record.rs`) or a SQL function (`user_function.rs`).
    fn expanded_factor(
        &mut self,
        name: &ast::ObjectName,
        alias: Option<&ast::TableAlias>,
        args: &ast::TableFunctionArgs,
    ) -> Result<Option<ast::TableFactor>> {
        if let Some(f) = self.json_record_factor(name, alias, args)? {
            return Ok(Some(f));
        }
        // A column definition list needs a function returning `record`.
        if alias.is_some_and(|a| a.columns.iter().any(|c| c.data_type.is_some())) {
            let def = self.function_in_from(name, args)?.map(|(def, _)| def);
            match def {
                Some(d) if d.returns == DataType::Record && d.table_columns.is_empty() => {}
                Some(d) if d.returns == DataType::Record => {
                    return Err(Error::SyntaxError(
                        "a column definition list is redundant for a function with OUT parameters"
                            .into(),
                    ));
                }
                Some(_) => return Err(only_for_record()),
                None => {
                    // An unknown function is 42883, whatever its alias says.
                    let fname = super::object_name(name)?;
                    let mut types = Vec::new();
                    for a in &args.args {
                        if let ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) = a {
                            let scope = Scope::default();
                            types.push(self.bind_expr(e, &mut ExprCtx::plain(&scope, "FROM"))?.1);
                        }
                    }
                    let known = crate::expr::functions::Function::resolve(&fname, &types).is_ok()
                        || SetFn::resolve(&fname, &types).is_some_and(|r| r.is_ok());
                    return Err(if known {
                        only_for_record()
                    } else {
                        crate::expr::functions::undefined(&fname, &types)
                    });
                }
            }
        }
        match self.user_function_factor(name, alias, args)? {
            Some(f) => Ok(Some(f)),
            None => self.scalar_function_factor(name, alias, args),
        }
    }

    /// `FROM generate_series(start, stop [, step]) [alias [(column)]]`.
    fn bind_series(
        &mut self,
        name: &ast::ObjectName,
        alias: Option<&ast::TableAlias>,
        args: &ast::TableFunctionArgs,
    ) -> Result<(Plan, Scope)> {
        let fname = super::object_name(name)?;
        if !crate::expr::set_fns::NAMES.contains(&fname.as_str())
            && let Some(bound) = self.bind_routine_factor(name, alias, args)?
        {
            return Ok(bound);
        }
        if !crate::expr::set_fns::NAMES.contains(&fname.as_str()) {
            let mut types = Vec::new();
            for a in &args.args {
                if let ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) = a {
                    let (_, t) =
                        self.bind_expr(e, &mut ExprCtx::plain(&Scope::default(), "FROM"))?;
                    types.push(t);
                }
            }
            let e = crate::expr::functions::undefined(&fname, &types);
            if let Some(ast::ObjectNamePart::Identifier(id)) = name.0.first() {
                crate::position::note(&e, id.span, &id.value);
            }
            return Err(e);
        }
        let scope = Scope::default();
        let mut bound = Vec::new();
        let positional = self
            .positional_from_args(&fname, &args.args)
            .unwrap_or_else(|| args.args.clone());
        for a in &positional {
            let ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) = a else {
                return Err(Error::unsupported("named arguments are not supported"));
            };
            bound.push(self.bind_expr(e, &mut ExprCtx::plain(&scope, "FROM"))?);
        }
        let integers = bound
            .iter()
            .all(|(_, t)| t.is_integer() || *t == DataType::Unknown);
        if fname != "generate_series" || !integers || self.ordinality {
            return self.bind_table_function(&fname, alias, bound);
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
                schema: None,
                whole_row: false,
                system: false,
                origin: None,
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

    /// A set-returning function in FROM (`unnest(a [, b ...])`, `generate_series` over
    /// numerics and timestamps): a `ProjectSet` over one empty row, one column per function.
    fn bind_table_function(
        &mut self,
        fname: &str,
        alias: Option<&ast::TableAlias>,
        bound: Vec<(Expr, DataType)>,
    ) -> Result<(Plan, Scope)> {
        // unnest(a, b, ...) is one unnest per argument, in lockstep
        let calls: Vec<Vec<(Expr, DataType)>> = if fname == "unnest" && bound.len() > 1 {
            bound.into_iter().map(|a| vec![a]).collect()
        } else {
            vec![bound]
        };
        self.begin_set_functions(Some(0));
        let mut types = Vec::new();
        // Columns named by the function rather than by the alias or the function's name.
        let mut fixed_names: Vec<Option<&'static str>> = Vec::new();
        for args in calls {
            match self.bind_from_set_call(fname, args) {
                Ok(cols) => {
                    for (t, n) in cols {
                        types.push(t);
                        fixed_names.push(n);
                    }
                }
                Err(e) => {
                    self.end_set_functions();
                    return Err(e);
                }
            }
        }
        // A single-column function aliased without column names takes the alias as its
        // column name (`unnest(a) AS x` has column `x`), WITH ORDINALITY or not.
        let single_function = types.len() == 1;
        if std::mem::take(&mut self.ordinality) {
            if let Some(Some(collector)) = self.set_functions.last_mut() {
                collector.calls.push((SetFn::Ordinality, Vec::new()));
            }
            types.push(DataType::Int8);
            fixed_names.resize(types.len() - 1, None);
            fixed_names.push(Some("ordinality"));
        }
        let functions = self.end_set_functions();
        let table = alias.map_or_else(|| fname.to_string(), |a| ident(&a.name));
        let single = types.len() == 1;
        let columns = types
            .into_iter()
            .enumerate()
            .map(|(i, data_type)| super::ScopeColumn {
                table: Some(table.clone()),
                name: alias
                    .and_then(|a| a.columns.get(i))
                    .map(|c| ident(&c.name))
                    .or_else(|| fixed_names.get(i).copied().flatten().map(str::to_string))
                    .unwrap_or_else(|| {
                        if alias.is_some() && single_function {
                            table.clone()
                        } else {
                            fname.to_string()
                        }
                    }),
                data_type,
                qualified_only: false,
                schema: None,
                whole_row: single && alias.is_some(),
                system: false,
                origin: None,
            })
            .collect();
        let plan = Plan::ProjectSet {
            input: Box::new(Plan::Values {
                rows: vec![Vec::new()],
            }),
            functions,
        };
        expand_composites(plan, columns, alias)
    }
}

/// A set-returning function's composite columns (`unnest` of an array of a composite type)
/// expanded into their fields, as PostgreSQL expands a function returning a composite type
/// in FROM: the fields' names, renamed by the alias's column list (a NULL element gives
/// NULL fields).
fn expand_composites(
    plan: Plan,
    columns: Vec<ScopeColumn>,
    alias: Option<&ast::TableAlias>,
) -> Result<(Plan, Scope)> {
    if !columns
        .iter()
        .any(|c| matches!(c.data_type, DataType::Composite(_)))
    {
        return Ok((plan, Scope { columns }));
    }
    let mut exprs = Vec::new();
    let mut expanded = Vec::new();
    for (i, c) in columns.into_iter().enumerate() {
        let DataType::Composite(oid) = c.data_type else {
            exprs.push(Expr::Column(i));
            expanded.push(c);
            continue;
        };
        for (k, (name, data_type)) in crate::types::record::fields_of(oid)?
            .fields
            .into_iter()
            .enumerate()
        {
            exprs.push(Expr::Call(
                crate::expr::Function::Field(k),
                vec![Expr::Column(i)],
            ));
            expanded.push(ScopeColumn {
                name,
                data_type,
                whole_row: false,
                ..c.clone()
            });
        }
    }
    if let Some(a) = alias {
        for (c, n) in expanded.iter_mut().zip(&a.columns) {
            c.name = ident(&n.name);
        }
    }
    let plan = Plan::Project {
        input: Box::new(plan),
        exprs,
    };
    Ok((plan, Scope { columns: expanded }))
}

impl Binder {
    /// One set-returning call in FROM: its columns' types and fixed names. `jsonb_each` is
    /// two calls in lockstep (`key`, `value`); `jsonb_array_elements`' column is `value`.
    fn bind_from_set_call(
        &mut self,
        fname: &str,
        args: Vec<(Expr, DataType)>,
    ) -> Result<Vec<(DataType, Option<&'static str>)>> {
        use crate::expr::jsonb_fns::JsonbSet;
        let types: Vec<DataType> = args.iter().map(|(_, t)| *t).collect();
        match SetFn::resolve(fname, &types).transpose()? {
            Some((SetFn::Jsonb(JsonbSet::EachRecord { text }), params, _)) => {
                let mut cols = Vec::new();
                let json = params.first() == Some(&DataType::Json);
                for (f, name, ret) in JsonbSet::each_columns(text, json) {
                    self.push_set_call(fname, SetFn::Jsonb(f), &params, args.clone(), ret)?;
                    cols.push((ret, Some(name)));
                }
                Ok(cols)
            }
            Some((SetFn::TsUnnest(_), params, _)) => {
                let mut cols = Vec::new();
                for (f, name, ret) in crate::expr::set_fns::TsColumn::columns() {
                    self.push_set_call(fname, SetFn::TsUnnest(f), &params, args.clone(), ret)?;
                    cols.push((ret, Some(name)));
                }
                Ok(cols)
            }
            Some((SetFn::Jsonb(f), params, ret)) => {
                self.push_set_call(fname, SetFn::Jsonb(f), &params, args, ret)?;
                Ok(vec![(ret, f.column_name())])
            }
            Some((SetFn::PartitionAncestors, ..)) => {
                Ok(vec![(self.bind_set_call(fname, args)?.1, Some("relid"))])
            }
            _ => Ok(vec![(self.bind_set_call(fname, args)?.1, None)]),
        }
    }
}

fn only_for_record() -> Error {
    Error::SyntaxError(
        "a column definition list is only allowed for functions returning \"record\"".into(),
    )
}

/// The scope of generated rows with `columns`, qualified by `table`.
pub(super) fn generated_scope(table: String, columns: &[(String, DataType)]) -> Scope {
    Scope {
        columns: columns
            .iter()
            .map(|(n, t)| ScopeColumn {
                table: Some(table.clone()),
                name: n.clone(),
                data_type: *t,
                qualified_only: false,
                schema: None,
                whole_row: false,
                system: false,
                origin: None,
            })
            .collect(),
    }
}

/// Applies an alias's column list (`FROM t AS x (a, b)`) to the leading columns.
fn rename_columns(scope: &mut Scope, alias: Option<&ast::TableAlias>) {
    if let Some(a) = alias {
        for (c, n) in scope.columns.iter_mut().zip(&a.columns) {
            c.name = ident(&n.name);
        }
    }
}
