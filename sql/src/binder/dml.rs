//! Binding of INSERT (VALUES or query source, column lists, DEFAULT, ON CONFLICT, RETURNING),
//! UPDATE and DELETE.
//!
//! INSERT's input plan always yields *full* table rows in column order: columns the statement
//! does not name get their DEFAULT expression, and every value is coerced to its column's
//! type with assignment rules (22001 / 22003 / 42804) here, so the executor only checks NOT
//! NULL and hands rows to storage.

use super::expr::ExprCtx;
use super::select::column_name;
use super::{
    Binder, BoundStatement, CommandKind, OutputColumn, Scope, ScopeColumn, ident, object_name,
};
use crate::expr::Expr;
use crate::planner::{AccessPlan, ConflictAction, Plan};
use crate::storage::catalog::acl;
use crate::storage::{OnConflict, TableDef};
use crate::types::{DataType, Value, cast};
use crate::{Error, Result};
use sqlparser::ast;

/// 428C9 for a value given to a GENERATED ALWAYS identity column.
pub(super) fn identity_always(column: &str, insert: bool) -> Error {
    Error::GeneratedAlways {
        message: if insert {
            format!("cannot insert a non-DEFAULT value into column \"{column}\"")
        } else {
            format!("column \"{column}\" can only be updated to DEFAULT")
        },
        detail: format!("Column \"{column}\" is an identity column defined as GENERATED ALWAYS."),
    }
}

pub(super) fn is_default_keyword(e: &ast::Expr) -> bool {
    matches!(e, ast::Expr::Identifier(i) if i.quote_style.is_none() && i.value.eq_ignore_ascii_case("default"))
}

impl Binder {
    /// Coerces a value for storage in a column of type `to` (assignment rules).
    pub fn assign(&mut self, e: Expr, from: DataType, to: DataType, column: &str) -> Result<Expr> {
        if !cast::can_assign(from, to) {
            return Err(Error::DatatypeMismatch(format!(
                "column \"{column}\" is of type {} but expression is of type {}",
                to.name(),
                from.name()
            )));
        }
        match (&e, from) {
            (Expr::Literal(v), DataType::Unknown) => {
                return Ok(Expr::Literal(cast::cast(v.clone(), from, to, false)?));
            }
            (Expr::Param(i), DataType::Unknown) => {
                self.params[*i] = Some(to);
                return Ok(e);
            }
            _ => {}
        }
        let same = from == to || (from.is_string() && to == DataType::Text);
        if same {
            Ok(e)
        } else {
            Ok(Expr::Cast {
                expr: Box::new(e),
                from,
                to,
                explicit: false,
            })
        }
    }

    /// The bound DEFAULT of column `i` (NULL when it has none): its own, or its domain's.
    pub fn default_expr(&mut self, table: &TableDef, i: usize) -> Result<Expr> {
        let col = &table.columns[i];
        if col.generated {
            // Computed once the row is complete (`with_generated`).
            return Ok(Expr::Literal(Value::Null));
        }
        if let Some(id) = col.identity {
            return Ok(crate::expr::catalog_functions::nextval_call(id.sequence));
        }
        let domain_default = col.domain.and_then(|d| {
            crate::ddl::domains::domain(&self.catalog, d).and_then(|(_, d)| d.default.clone())
        });
        let Some(text) = col.default.as_ref().or(domain_default.as_ref()) else {
            return Ok(Expr::Literal(Value::Null));
        };
        let ast = crate::parse::expression(text)
            .map_err(|e| Error::Internal(format!("stored DEFAULT does not parse: {e}")))?;
        let scope = Scope::default();
        let (x, t) = self.bind_expr(&ast, &mut ExprCtx::plain(&scope, "DEFAULT"))?;
        self.assign(x, t, col.data_type, &col.name)
    }

    fn bind_returning(
        &mut self,
        items: Option<&Vec<ast::SelectItem>>,
        scope: &Scope,
    ) -> Result<(Option<Vec<Expr>>, Vec<OutputColumn>)> {
        let Some(items) = items else {
            return Ok((None, Vec::new()));
        };
        let mut exprs = Vec::new();
        let mut columns = Vec::new();
        for item in items {
            let mut push = |b: &mut Binder, e: &ast::Expr, name: String| -> Result<()> {
                let (x, t) = b.bind_expr(e, &mut ExprCtx::plain(scope, "RETURNING"))?;
                exprs.push(x);
                columns.push(OutputColumn {
                    name,
                    data_type: if t == DataType::Unknown {
                        DataType::Text
                    } else {
                        t
                    },
                });
                Ok(())
            };
            match item {
                ast::SelectItem::UnnamedExpr(e) => push(self, e, column_name(e))?,
                ast::SelectItem::ExprWithAlias { expr, alias } => push(self, expr, ident(alias))?,
                ast::SelectItem::Wildcard(_) | ast::SelectItem::QualifiedWildcard(..) => {
                    self.read_scope(scope);
                    for (i, c) in scope.columns.iter().enumerate() {
                        exprs.push(Expr::Column(i));
                        columns.push(OutputColumn {
                            name: c.name.clone(),
                            data_type: c.data_type,
                        });
                    }
                }
                other => {
                    return Err(Error::unsupported(format!(
                        "RETURNING item {other} is not supported"
                    )));
                }
            }
        }
        Ok((Some(exprs), columns))
    }

    /// The column `name` (written as `written`) of the target table.
    pub(super) fn target_column(
        table: &TableDef,
        name: &str,
        written: &ast::ObjectName,
    ) -> Result<usize> {
        table.column_index(name).ok_or_else(|| {
            let e = Error::UndefinedColumn(format!("{name}\" of relation \"{}", table.name));
            if let Some(ast::ObjectNamePart::Identifier(id)) = written.0.first() {
                crate::position::note(&e, id.span, &id.value);
            }
            e
        })
    }

    /// The value of a subscripted INSERT target: `value` assigned at the subscripts into a
    /// NULL array of the column's type (PostgreSQL's `a[1:2]` in an INSERT column list).
    fn subscripted_value(
        &mut self,
        column: &crate::storage::ColumnDef,
        target: &crate::parse::insert_subscripts::Target,
        value: &ast::Expr,
        ctx: &mut ExprCtx,
    ) -> Result<(Expr, DataType)> {
        let subscripts = target
            .subscripts
            .iter()
            .map(|s| crate::parse::expression(s))
            .collect::<Result<Vec<_>>>()?;
        let refs: Vec<&ast::Expr> = subscripts.iter().collect();
        let null = Expr::Literal(crate::Value::Null);
        self.bind_assign_into(
            null,
            column.data_type,
            &column.name,
            value,
            target.kind,
            &refs,
            ctx,
        )
    }

    pub(super) fn bind_insert(&mut self, ins: &ast::Insert) -> Result<BoundStatement> {
        let ast::TableObject::TableName(name) = &ins.table else {
            return Err(Error::unsupported(
                "INSERT INTO a table function is not supported",
            ));
        };
        if ins.overwrite
            || ins.partitioned.is_some()
            || !ins.assignments.is_empty()
            || ins.or.is_some()
            || ins.ignore
        {
            return Err(Error::unsupported("this INSERT form is not supported"));
        }
        let table = self.table(name)?;
        let do_update = matches!(
            &ins.on,
            Some(ast::OnInsert::OnConflict(ast::OnConflict {
                action: ast::OnConflictAction::DoUpdate(_),
                ..
            }))
        );
        // SELECT comes with the columns RETURNING and ON CONFLICT read (`read_column`).
        let need = self.need(
            table.id,
            acl::INSERT | if do_update { acl::UPDATE } else { 0 },
        );
        let alias = ins.table_alias.as_ref().map(|a| ident(&a.alias));
        // Subscripted targets (`INSERT INTO t (a[1:2])`), by position in the column list.
        let mut subscripted = Vec::new();
        let targets: Vec<usize> = if ins.columns.is_empty() {
            (0..table.columns.len()).collect()
        } else {
            let mut t = Vec::new();
            for c in &ins.columns {
                let mut n = object_name(c)?;
                let target = crate::parse::insert_subscripts::target(&n);
                if let Some(target) = &target {
                    n = target.column.clone();
                }
                subscripted.push(target);
                let i = Self::target_column(&table, &n, c)?;
                if t.contains(&i) {
                    return Err(Error::DuplicateColumn(n));
                }
                t.push(i);
            }
            t
        };
        // GENERATED ALWAYS AS IDENTITY columns take an explicit value only with OVERRIDING
        // SYSTEM VALUE (428C9); OVERRIDING USER VALUE ignores the values given for identity
        // columns.
        let overriding_system = matches!(ins.overriding, Some(ast::InsertOverriding::System));
        let overriding_user = matches!(ins.overriding, Some(ast::InsertOverriding::User));
        let ignored: Vec<usize> = if overriding_user {
            targets
                .iter()
                .copied()
                .filter(|&c| table.columns[c].identity.is_some())
                .collect()
        } else {
            Vec::new()
        };
        let always = |col: usize| {
            !overriding_system && table.columns[col].identity.is_some_and(|i| i.always)
        };
        let mut inserted_width = 0;
        let input = match ins.source.as_ref().map(|s| (s, s.body.as_ref())) {
            // DEFAULT VALUES: one row of defaults.
            None => {
                let mut row = Vec::new();
                for i in 0..table.columns.len() {
                    row.push(self.default_expr(&table, i)?);
                }
                Plan::Values { rows: vec![row] }
            }
            Some((source, body)) => match body {
                ast::SetExpr::Values(v)
                    if source.order_by.is_none() && source.limit_clause.is_none() =>
                {
                    let scope = Scope::default();
                    let mut rows = Vec::new();
                    inserted_width = v.rows.iter().map(|r| r.content.len()).max().unwrap_or(0);
                    for r in &v.rows {
                        if let Some(extra) = r.content.get(targets.len()) {
                            let err = Error::SyntaxError(
                                "INSERT has more expressions than target columns".into(),
                            );
                            let text = extra.to_string();
                            let first = text
                                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                                .next()
                                .unwrap_or_default();
                            crate::position::note(&err, ast::Spanned::span(extra), first);
                            return Err(err);
                        }
                        if let Some(extra) = ins.columns.get(r.content.len()) {
                            let err = Error::SyntaxError(
                                "INSERT has more target columns than expressions".into(),
                            );
                            if let Some(last) = extra.0.last().and_then(|p| p.as_ident()) {
                                crate::position::note(&err, last.span, &last.value);
                            }
                            return Err(err);
                        }
                        let mut row: Vec<Option<Expr>> = vec![None; table.columns.len()];
                        for (k, (e, &col)) in r.content.iter().zip(&targets).enumerate() {
                            if is_default_keyword(e) || ignored.contains(&col) {
                                continue;
                            }
                            if table.columns[col].generated {
                                return Err(super::generated::written(
                                    &table.columns[col].name,
                                    true,
                                ));
                            }
                            if always(col) {
                                return Err(identity_always(&table.columns[col].name, true));
                            }
                            let (x, t) = match subscripted.get(k).and_then(Option::as_ref) {
                                Some(target) => self.subscripted_value(
                                    &table.columns[col],
                                    target,
                                    e,
                                    &mut ExprCtx::plain(&scope, "VALUES"),
                                )?,
                                None => self.bind_expr(e, &mut ExprCtx::plain(&scope, "VALUES"))?,
                            };
                            let c = &table.columns[col];
                            let x = self
                                .assign(x, t, c.data_type, &c.name)
                                .and_then(|x| folded_constant_check(x, c.data_type));
                            if let Err(err) = &x {
                                super::position::mark_coerced(err, e);
                            }
                            row[col] = Some(x?);
                        }
                        let mut full = Vec::new();
                        for (i, cell) in row.into_iter().enumerate() {
                            full.push(match cell {
                                Some(x) => x,
                                None => self.default_expr(&table, i)?,
                            });
                        }
                        rows.push(full);
                    }
                    Plan::Values { rows }
                }
                _ => {
                    if subscripted.iter().any(Option::is_some) {
                        return Err(Error::unsupported(
                            "subscripted INSERT targets are supported only with VALUES",
                        ));
                    }
                    let (plan, cols) = self.bind_query(source)?;
                    inserted_width = cols.len();
                    if cols.len() > targets.len() {
                        return Err(Error::SyntaxError(
                            "INSERT has more expressions than target columns".into(),
                        ));
                    }
                    if let Some(&c) = targets
                        .iter()
                        .take(cols.len())
                        .find(|&&c| table.columns[c].generated)
                    {
                        return Err(super::generated::written(&table.columns[c].name, true));
                    }
                    if let Some(&c) = targets.iter().take(cols.len()).find(|&&c| always(c)) {
                        return Err(identity_always(&table.columns[c].name, true));
                    }
                    let mut exprs = Vec::new();
                    for i in 0..table.columns.len() {
                        exprs.push(
                            match targets
                                .iter()
                                .position(|&t| t == i)
                                .filter(|&p| p < cols.len() && !ignored.contains(&i))
                            {
                                Some(p) => {
                                    let c = &table.columns[i];
                                    self.assign(
                                        Expr::Column(p),
                                        cols[p].data_type,
                                        c.data_type,
                                        &c.name,
                                    )?
                                }
                                None => self.default_expr(&table, i)?,
                            },
                        );
                    }
                    Plan::Project {
                        input: Box::new(plan),
                        exprs,
                    }
                }
            },
        };
        let input = self.with_generated(&table, input)?;

        // The columns given values (all of a VALUES row's or the query's, DEFAULT too; none
        // for DEFAULT VALUES): INSERT on each, or on some column when there are none.
        self.needs[need].inserted = targets[..inserted_width.min(targets.len())].to_vec();
        let scope = Scope::of_table(&table, alias.as_deref()).with_origin(need);
        let (on_conflict, arbiter) =
            self.bind_on_conflict(ins.on.as_ref(), &table, &scope, need)?;
        let (returning, columns) = self.bind_returning(ins.returning.as_ref(), &scope)?;
        let returns_rows = returning.is_some();
        let plan = Plan::Insert {
            table,
            input: Box::new(input),
            on_conflict,
            arbiter,
            returning,
        };
        Ok(BoundStatement::Query {
            kind: CommandKind::Insert,
            plan,
            columns,
            returns_rows,
        })
    }

    fn bind_on_conflict(
        &mut self,
        on: Option<&ast::OnInsert>,
        table: &TableDef,
        scope: &Scope,
        need: usize,
    ) -> Result<(ConflictAction, OnConflict)> {
        let Some(on) = on else {
            return Ok((ConflictAction::Error, OnConflict::Error));
        };
        let ast::OnInsert::OnConflict(oc) = on else {
            return Err(Error::unsupported(
                "ON DUPLICATE KEY UPDATE is not PostgreSQL syntax",
            ));
        };
        let no_match = || {
            Error::InvalidColumnReference(
                "there is no unique or exclusion constraint matching the ON CONFLICT specification"
                    .into(),
            )
        };
        let constraint = match &oc.conflict_target {
            None => None,
            Some(ast::ConflictTarget::Columns {
                columns,
                predicate: None,
            }) => {
                let mut cols = Vec::new();
                for c in columns {
                    let n = ident(c);
                    cols.push(table.column_index(&n).ok_or(Error::UndefinedColumn(n))?);
                }
                // The arbiter's columns are read (SELECT on them, as PostgreSQL's inference).
                for &c in &cols {
                    self.read_column(Some((need, c)));
                }
                cols.sort_unstable();
                let same = |k: &[usize]| {
                    let mut k = k.to_vec();
                    k.sort_unstable();
                    k == cols
                };
                if !table.primary_key.is_empty() && same(&table.primary_key) {
                    table.primary_key_name.clone()
                } else {
                    Some(
                        table
                            .indexes
                            .iter()
                            .find(|i| i.unique && i.is_plain() && same(&i.columns))
                            .ok_or_else(no_match)?
                            .name
                            .clone(),
                    )
                }
            }
            Some(ast::ConflictTarget::OnConstraint(name)) => {
                let n = object_name(name)?;
                let known = table.primary_key_name.as_deref() == Some(&n)
                    || table.indexes.iter().any(|i| i.unique && i.name == n);
                if !known {
                    return Err(Error::UndefinedObject(format!(
                        "constraint \"{n}\" for table \"{}\" does not exist",
                        table.name
                    )));
                }
                // The constraint's columns are read, as when they are named.
                let columns = if table.primary_key_name.as_deref() == Some(&n) {
                    table.primary_key.clone()
                } else {
                    table
                        .indexes
                        .iter()
                        .find(|i| i.unique && i.name == n)
                        .map(|i| i.columns.clone())
                        .unwrap_or_default()
                };
                for c in columns.into_iter().filter(|&c| c < table.columns.len()) {
                    self.read_column(Some((need, c)));
                }
                Some(n)
            }
            Some(_) => {
                return Err(Error::unsupported(
                    "ON CONFLICT with a predicate is not supported",
                ));
            }
        };
        let arbiter = OnConflict::Report {
            constraint: constraint.clone(),
        };
        match &oc.action {
            ast::OnConflictAction::DoNothing => Ok((ConflictAction::DoNothing, arbiter)),
            ast::OnConflictAction::DoUpdate(du) => {
                if oc.conflict_target.is_none() {
                    return Err(Error::SyntaxError(
                        "ON CONFLICT DO UPDATE requires inference specification or constraint name"
                            .into(),
                    ));
                }
                let mut both = scope.clone();
                for c in &scope.columns {
                    // The proposed row is not read from the table: no privilege needed.
                    both.columns.push(ScopeColumn {
                        table: Some("excluded".into()),
                        qualified_only: true,
                        schema: None,
                        whole_row: false,
                        system: false,
                        origin: None,
                        ..c.clone()
                    });
                }
                let assignments = self.bind_assignments(&du.assignments, table, &both)?;
                self.needs[need].updated = assignments.iter().map(|(c, _)| *c).collect();
                let assignments = self.with_generated_assignments(table, assignments)?;
                let predicate = match &du.selection {
                    Some(w) => Some(self.bind_where(w, &both)?),
                    None => None,
                };
                Ok((
                    ConflictAction::DoUpdate {
                        assignments,
                        predicate,
                    },
                    arbiter,
                ))
            }
        }
    }

    pub(super) fn bind_assignments(
        &mut self,
        list: &[ast::Assignment],
        table: &TableDef,
        scope: &Scope,
    ) -> Result<Vec<(usize, Expr)>> {
        let mut out: Vec<(usize, Expr)> = Vec::new();
        for a in &super::tuple_assign::expand(list)? {
            let ast::AssignmentTarget::ColumnName(name) = &a.target else {
                return Err(Error::Internal("a tuple assignment left unexpanded".into()));
            };
            let parts: Vec<String> = name
                .0
                .iter()
                .map(|p| match p {
                    ast::ObjectNamePart::Identifier(i) => Ok(ident(i)),
                    _ => Err(Error::SyntaxError(format!("bad assignment target {name}"))),
                })
                .collect::<Result<_>>()?;
            if let [column, field] = parts.as_slice()
                && let Some(col) = table.column_index(column)
            {
                if table.columns[col].generated {
                    return Err(super::generated::written(column, false));
                }
                let x = self.bind_field_assignment(table, col, field, &a.value, &out, scope)?;
                out.retain(|(c, _)| *c != col);
                out.push((col, x));
                continue;
            }
            let Some(n) = parts.last().cloned() else {
                return Err(Error::SyntaxError(format!("bad assignment target {name}")));
            };
            let col = Self::target_column(table, &n, name)?;
            if out.iter().any(|(c, _)| *c == col) {
                return Err(Error::SyntaxError(format!(
                    "multiple assignments to same column \"{n}\""
                )));
            }
            let c = &table.columns[col];
            if c.generated {
                if is_default_keyword(&a.value) {
                    // Recomputed anyway (`with_generated_assignments`).
                    continue;
                }
                return Err(super::generated::written(&c.name, false));
            }
            if c.identity.is_some_and(|i| i.always) && !is_default_keyword(&a.value) {
                return Err(identity_always(&c.name, false));
            }
            let x = if is_default_keyword(&a.value) {
                self.default_expr(table, col)?
            } else {
                let (x, t) = self.bind_expr(&a.value, &mut ExprCtx::plain(scope, "UPDATE"))?;
                let x = self.assign(x, t, c.data_type, &c.name);
                if let Err(err) = &x {
                    super::position::mark_coerced(err, &a.value);
                }
                x?
            };
            out.push((col, x));
        }
        Ok(out)
    }

    fn bind_where(&mut self, w: &ast::Expr, scope: &Scope) -> Result<Expr> {
        let (p, t) = self.bind_expr(w, &mut ExprCtx::plain(scope, "WHERE"))?;
        match t {
            DataType::Bool => Ok(p),
            DataType::Unknown => self.coerce(p, t, DataType::Bool),
            _ => Err(Error::DatatypeMismatch(format!(
                "argument of WHERE must be type boolean, not type {}",
                t.name()
            ))),
        }
    }

    fn dml_target(&mut self, t: &ast::TableWithJoins) -> Result<(TableDef, Option<String>)> {
        match t {
            ast::TableWithJoins {
                relation:
                    ast::TableFactor::Table {
                        name,
                        alias,
                        args: None,
                        inheritance,
                        ..
                    },
                joins,
            } if joins.is_empty() => {
                let table = self.table(name)?;
                self.only = matches!(inheritance, Some(ast::TableInheritance::Only { .. }));
                Ok((table, alias.as_ref().map(|a| ident(&a.name))))
            }
            _ => Err(Error::unsupported(
                "UPDATE/DELETE with joins is not supported yet",
            )),
        }
    }

    fn filtered_scan(
        &mut self,
        table: &TableDef,
        scope: &Scope,
        selection: Option<&ast::Expr>,
        key_columns: bool,
    ) -> Result<(Plan, Option<Expr>)> {
        let scan = Plan::Scan {
            table: table.clone(),
            access: AccessPlan::Full,
            key_columns,
        };
        match selection {
            Some(w) => {
                let p = self.bind_where(w, scope)?;
                Ok((
                    Plan::Filter {
                        input: Box::new(scan),
                        predicate: p.clone(),
                    },
                    Some(p),
                ))
            }
            None => Ok((scan, None)),
        }
    }

    pub(super) fn bind_update(&mut self, u: &ast::Update) -> Result<BoundStatement> {
        if !u.order_by.is_empty() || u.limit.is_some() || u.or.is_some() {
            return Err(Error::unsupported(
                "UPDATE ... ORDER BY / LIMIT is not supported",
            ));
        }
        if u.assignments
            .iter()
            .any(|a| matches!(a.target, ast::AssignmentTarget::Tuple(_)))
        {
            let mut expanded = u.clone();
            expanded.assignments = super::tuple_assign::expand(&u.assignments)?;
            return self.bind_update(&expanded);
        }
        let (table, alias) = self.dml_target(&u.table)?;
        if let Some(leaves) = self.partition_targets(&table) {
            return self.bind_partitioned_update(u, &table, leaves);
        }
        if u.from.is_some() {
            let columns: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
            return self.bind_update(&super::dml_from::update_from(u, &columns)?);
        }
        // SELECT comes with the columns WHERE, SET and RETURNING read (`read_column`).
        let need = self.need(table.id, acl::UPDATE);
        let mut scope = Scope::of_table(&table, alias.as_deref()).with_origin(need);
        let qualifier = alias.clone().unwrap_or_else(|| table.name.clone());
        let key_columns = self.row_id_for_ctid(&table, &qualifier, &mut scope);
        let assignments = self.bind_assignments(&u.assignments, &table, &scope)?;
        self.needs[need].updated = assignments.iter().map(|(c, _)| *c).collect();
        let assignments = self.with_generated_assignments(&table, assignments)?;
        let (input, predicate) =
            self.filtered_scan(&table, &scope, u.selection.as_ref(), key_columns)?;
        let (returning, columns) = self.bind_returning(u.returning.as_ref(), &scope)?;
        let returns_rows = returning.is_some();
        let plan = Plan::Update {
            table,
            input: Box::new(input),
            predicate,
            assignments,
            returning,
            route_root: None,
        };
        Ok(BoundStatement::Query {
            kind: CommandKind::Update,
            plan,
            columns,
            returns_rows,
        })
    }

    pub(super) fn bind_delete(&mut self, d: &ast::Delete) -> Result<BoundStatement> {
        if !d.tables.is_empty() || !d.order_by.is_empty() || d.limit.is_some() {
            return Err(Error::unsupported(
                "DELETE ... ORDER BY / LIMIT is not supported",
            ));
        }
        if d.using.is_some() {
            let columns = match &d.from {
                ast::FromTable::WithFromKeyword(f) | ast::FromTable::WithoutKeyword(f) => {
                    match f.as_slice() {
                        [t] => self
                            .dml_target(t)?
                            .0
                            .columns
                            .iter()
                            .map(|c| c.name.clone())
                            .collect(),
                        _ => Vec::new(),
                    }
                }
            };
            return self.bind_delete(&super::dml_from::delete_using(d, &columns)?);
        }
        let from = match &d.from {
            ast::FromTable::WithFromKeyword(f) | ast::FromTable::WithoutKeyword(f) => f,
        };
        let [target] = from.as_slice() else {
            return Err(Error::unsupported(
                "DELETE from several tables is not supported",
            ));
        };
        let (table, alias) = self.dml_target(target)?;
        if let Some(leaves) = self.partition_targets(&table) {
            return self.bind_partitioned_delete(d, target, &table, leaves);
        }
        let need = self.need(table.id, acl::DELETE);
        let mut scope = Scope::of_table(&table, alias.as_deref()).with_origin(need);
        let qualifier = alias.clone().unwrap_or_else(|| table.name.clone());
        let key_columns = self.row_id_for_ctid(&table, &qualifier, &mut scope);
        let (input, predicate) =
            self.filtered_scan(&table, &scope, d.selection.as_ref(), key_columns)?;
        let (returning, columns) = self.bind_returning(d.returning.as_ref(), &scope)?;
        let returns_rows = returning.is_some();
        let plan = Plan::Delete {
            table,
            input: Box::new(input),
            predicate,
            returning,
        };
        Ok(BoundStatement::Query {
            kind: CommandKind::Delete,
            plan,
            columns,
            returns_rows,
        })
    }
}

/// A numeric constant assigned to a column is converted when the statement is planned in
/// PostgreSQL, so an out-of-range value fails before any row's defaults run (no sequence
/// value is used up by a failing `INSERT ... VALUES`): the same check, at bind time.
fn folded_constant_check(x: Expr, target: DataType) -> Result<Expr> {
    fn literal_only(x: &Expr) -> bool {
        match x {
            Expr::Literal(_) => true,
            Expr::Cast { expr, .. } | Expr::Neg(expr, _) => literal_only(expr),
            _ => false,
        }
    }
    if (target.is_integer() || target.is_numeric()) && literal_only(&x) {
        x.eval(&[], &crate::expr::Params(&[]))?;
    }
    Ok(x)
}
