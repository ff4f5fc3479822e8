//! Binding of `record` expressions, as PostgreSQL's parser treats them:
//!
//! * Row constructors `ROW(a, b)` and `(a, b)` and whole-row references `t` (a FROM item's
//!   name where no column of that name exists) bind to [`Expr::Row`]; unknown literals
//!   become `text` fields.
//! * A comparison of two row constructors is expanded field by field
//!   (`make_row_comparison_op`): `=` is the AND of the fields' `=`, `<>` the OR of their
//!   `<>`, and `<`, `<=`, `>`, `>=` decide on the first pair that is not equal (NULL if that
//!   pair has a NULL). Rows of different lengths are 42601. Any other comparison of records
//!   (`t = t2`, `t < (1, 'a')`) compares whole values in `record_cmp`'s order, where NULL
//!   fields are equal to each other and sort last, and records of different lengths are
//!   42804 at run time.
//! * `(a, b) [NOT] IN ((1, 2), (3, 4))` is the OR (NOT of the OR) of row equalities.
//! * `(t).col` selects a column of a whole-row reference; `(x).f` a field of a composite
//!   value ([`select_field`]). A whole-row reference to a table or view has its row type.
//! * `UPDATE ... SET col.f = v` replaces one field of a composite column.
//!
//! `ROW(...) IS [NOT] NULL` is evaluated in [`crate::expr`]: a row is NULL when all its
//! fields are, NOT NULL when none is.

use super::expr::ExprCtx;
use super::{Binder, Scope, ident};
use crate::expr::{CmpOp, Expr, Function};
use crate::types::DataType;
use crate::{Error, Result};
use sqlparser::ast;

/// The items of a row constructor (`ROW(...)`, `(a, b)`), looking through parentheses.
pub(super) fn row_items(e: &ast::Expr) -> Option<Vec<&ast::Expr>> {
    match e {
        ast::Expr::Tuple(items) => Some(items.iter().collect()),
        ast::Expr::Nested(x) => row_items(x),
        ast::Expr::Function(f)
            if f.name.0.len() == 1
                && super::walk::function_name(f) == "row"
                && f.over.is_none()
                && f.filter.is_none() =>
        {
            match &f.args {
                ast::FunctionArguments::None => Some(Vec::new()),
                ast::FunctionArguments::List(l) if l.clauses.is_empty() => l
                    .args
                    .iter()
                    .map(|a| match a {
                        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(x)) => Some(x),
                        _ => None,
                    })
                    .collect(),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Whether `e` compares two row constructors (bound by [`Binder::bind_row_comparison`]).
pub(super) fn is_row_comparison(e: &ast::Expr) -> bool {
    match e {
        ast::Expr::BinaryOp { left, op, right } => {
            super::binary::comparison(op).is_some()
                && row_items(left).is_some()
                && row_items(right).is_some()
        }
        _ => false,
    }
}

impl Binder {
    /// A row constructor of already parsed items.
    pub(super) fn bind_row(
        &mut self,
        items: &[&ast::Expr],
        ctx: &mut ExprCtx,
    ) -> Result<(Expr, DataType)> {
        let mut fields = Vec::with_capacity(items.len());
        let mut types = Vec::with_capacity(items.len());
        for item in items {
            let (x, t) = self.bind_expr(item, ctx)?;
            let t = if t == DataType::Unknown {
                fields.push(self.coerce(x, t, DataType::Text)?);
                DataType::Text
            } else {
                fields.push(x);
                t
            };
            types.push(t);
        }
        Ok((Expr::Row(fields, types.into()), DataType::Record))
    }

    /// The whole row of FROM item `name` (this query's or an enclosing one's), if there is
    /// such an item.
    pub(super) fn bind_whole_row(
        &mut self,
        scope: &Scope,
        name: &str,
    ) -> Option<Result<(Expr, DataType)>> {
        let columns_of = |s: &Scope| -> Vec<String> {
            s.columns
                .iter()
                .filter(|c| c.table.as_deref() == Some(name) && !c.system)
                .map(|c| c.name.clone())
                .collect()
        };
        let mut columns = columns_of(scope);
        let mut markers = Binder::markers_of(scope, name);
        // This query's own FROM item: its columns by position, so that a subquery whose
        // columns share a name (`(SELECT 'a', 1) AS foo`, two `?column?`) is still a row.
        let local: Vec<(usize, DataType)> = scope
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.table.as_deref() == Some(name) && !c.system && !c.whole_row)
            .map(|(i, c)| (i, c.data_type))
            .collect();
        if !columns.is_empty() && local.len() == columns.len() {
            let names_unique = columns
                .iter()
                .enumerate()
                .all(|(i, c)| !columns[..i].contains(c));
            if !names_unique {
                let mut bound = Vec::with_capacity(markers.len());
                for m in &markers {
                    match self.resolve_column(scope, Some(name), m) {
                        Ok((x, _)) => bound.push(x),
                        Err(e) => return Some(Err(e)),
                    }
                }
                let types: Vec<DataType> = local.iter().map(|(_, t)| *t).collect();
                let ty = self.row_type(name, &types);
                let fields = local.iter().map(|(i, _)| Expr::Column(*i)).collect();
                let row = Expr::Row(fields, types.into());
                return Some(Ok((super::null_side::null_when_extended(row, bound), ty)));
            }
        }
        if columns.is_empty() {
            let outer = self
                .outer
                .iter()
                .rev()
                .find(|f| !columns_of(&f.scope).is_empty())?;
            columns = columns_of(&outer.scope);
            markers = Binder::markers_of(&outer.scope, name);
        }
        let mut fields = Vec::with_capacity(columns.len());
        let mut types = Vec::with_capacity(columns.len());
        for c in &columns {
            match self.resolve_column(scope, Some(name), c) {
                Ok((x, t)) => {
                    fields.push(x);
                    types.push(t);
                }
                Err(e) => return Some(Err(e)),
            }
        }
        let mut bound = Vec::with_capacity(markers.len());
        for m in &markers {
            match self.resolve_column(scope, Some(name), m) {
                Ok((x, _)) => bound.push(x),
                Err(e) => return Some(Err(e)),
            }
        }
        let ty = self.row_type(name, &types);
        let row = Expr::Row(fields, types.into());
        Some(Ok((super::null_side::null_when_extended(row, bound), ty)))
    }

    /// The type of FROM item `name`'s whole row with fields of `types`: the row type of the
    /// table or view it names when its columns are that type's, else `record`.
    fn row_type(&self, name: &str, types: &[DataType]) -> DataType {
        let Some(&oid) = self.row_types.get(name) else {
            return DataType::Record;
        };
        match crate::ddl::types::by_oid(&self.catalog, oid) {
            Some((_, _, fields))
                if fields.len() == types.len()
                    && fields.iter().zip(types).all(|((_, f), t)| f == t) =>
            {
                DataType::Composite(oid)
            }
            _ => DataType::Record,
        }
    }

    /// `(x).f`, `(x).f.g`: fields of a composite value, or the column of a whole-row
    /// reference `(t).col` (`None` when the chain is not made of field names).
    pub(super) fn bind_field_select(
        &mut self,
        root: &ast::Expr,
        chain: &[ast::AccessExpr],
        ctx: &mut ExprCtx,
    ) -> Option<Result<(Expr, DataType)>> {
        let mut fields = Vec::with_capacity(chain.len());
        for a in chain {
            match a {
                ast::AccessExpr::Dot(ast::Expr::Identifier(f)) => fields.push(ident(f)),
                _ => return None,
            }
        }
        let mut inner = root;
        while let ast::Expr::Nested(x) = inner {
            inner = x;
        }
        if let (ast::Expr::Identifier(table), [field]) = (inner, fields.as_slice()) {
            let table = ident(table);
            if ctx.scope.resolve(None, &table).is_err() {
                return Some(self.resolve_column(ctx.scope, Some(&table), field));
            }
        }
        let columns = match inner {
            ast::Expr::Function(f) => self.record_columns_of_call(f),
            _ => None,
        };
        Some(self.bind_expr(root, ctx).and_then(|(mut x, mut t)| {
            let mut fields = fields.as_slice();
            // `(f(...)).b` of a function returning a record of OUT parameters / TABLE columns
            if let (Some(columns), DataType::Record, [first, rest @ ..]) = (&columns, t, fields) {
                let Some(i) = columns.iter().position(|(n, _)| n == first) else {
                    return Err(crate::plpgsql::raised(
                        "42703",
                        format!("could not identify column \"{first}\" in record data type"),
                    ));
                };
                (x, t) = (Expr::Call(Function::Field(i), vec![x]), columns[i].1);
                fields = rest;
            }
            for f in fields {
                (x, t) = select_field(x, t, f)?;
            }
            Ok((x, t))
        }))
    }

    /// `SET col.field = value`: the column's record with one field replaced (a NULL
    /// record's other fields stay NULL, as in PostgreSQL); earlier assignments to other
    /// fields of the same column in this SET are kept.
    pub(super) fn bind_field_assignment(
        &mut self,
        table: &crate::storage::TableDef,
        col: usize,
        field: &str,
        value: &ast::Expr,
        done: &[(usize, Expr)],
        scope: &Scope,
    ) -> Result<Expr> {
        let c = &table.columns[col];
        let DataType::Composite(oid) = c.data_type else {
            return Err(Error::DatatypeMismatch(format!(
                "cannot assign to field \"{field}\" of column \"{}\" because its type {} is not a composite type",
                c.name,
                c.data_type.name()
            )));
        };
        let ty = crate::types::record::fields_of(oid)?;
        let Some(i) = ty.fields.iter().position(|(n, _)| n == field) else {
            return Err(Error::UndefinedColumn(format!(
                "cannot assign to field \"{field}\" of column \"{}\" because there is no such column in data type {}",
                c.name, ty.name
            )));
        };
        let base = match done.iter().find(|(d, _)| *d == col) {
            Some((_, x)) => x.clone(),
            None => {
                let column = ast::Expr::Identifier(ast::Ident::with_quote('"', c.name.clone()));
                self.bind_expr(&column, &mut ExprCtx::plain(scope, "UPDATE"))?
                    .0
            }
        };
        let (x, t) = self.bind_expr(value, &mut ExprCtx::plain(scope, "UPDATE"))?;
        let (field_name, field_type) = ty.fields[i].clone();
        let new = self.assign(x, t, field_type, &field_name)?;
        let fields = (0..ty.fields.len())
            .map(|j| {
                if j == i {
                    new.clone()
                } else {
                    Expr::Call(crate::expr::Function::Field(j), vec![base.clone()])
                }
            })
            .collect();
        let types: Vec<DataType> = ty.fields.iter().map(|(_, t)| *t).collect();
        Ok(Expr::Cast {
            expr: Box::new(Expr::Row(fields, types.into())),
            from: DataType::Record,
            to: c.data_type,
            explicit: false,
        })
    }

    /// `ROW(...) op ROW(...)`: see the module docs.
    pub(super) fn bind_row_comparison(
        &mut self,
        e: &ast::Expr,
        ctx: &mut ExprCtx,
    ) -> Result<(Expr, DataType)> {
        let ast::Expr::BinaryOp { left, op, right } = e else {
            return Err(Error::Internal("row comparison without an operator".into()));
        };
        let (cop, sym) = super::binary::comparison(op)
            .ok_or_else(|| Error::Internal("row comparison without a comparison".into()))?;
        let (l, r) = match (row_items(left), row_items(right)) {
            (Some(l), Some(r)) => (l, r),
            _ => return Err(Error::Internal("row comparison without rows".into())),
        };
        if l.len() != r.len() {
            return Err(Error::SyntaxError(
                "unequal number of entries in row expressions".into(),
            ));
        }
        if l.is_empty() {
            return Err(Error::FeatureNotSupported(
                "cannot compare rows of zero length".into(),
            ));
        }
        let mut pairs = Vec::with_capacity(l.len());
        for (a, b) in l.iter().zip(&r) {
            let (x, xt) = self.bind_expr(a, ctx)?;
            let (y, yt) = self.bind_expr(b, ctx)?;
            let t = super::binary::operand_type(xt, sym, yt)?;
            pairs.push((self.coerce(x, xt, t)?, self.coerce(y, yt, t)?));
        }
        Ok((row_compare(cop, pairs), DataType::Bool))
    }

    /// `(a, b) [NOT] IN ((1, 2), ...)` when the left side is a row constructor (`None`
    /// otherwise).
    pub(super) fn bind_row_in_list(
        &mut self,
        lhs: &ast::Expr,
        list: &[ast::Expr],
        negated: bool,
        ctx: &mut ExprCtx,
    ) -> Option<Result<(Expr, DataType)>> {
        row_items(lhs)?;
        let mut any: Option<Expr> = None;
        for item in list {
            let eq = ast::Expr::BinaryOp {
                left: Box::new(lhs.clone()),
                op: ast::BinaryOperator::Eq,
                right: Box::new(item.clone()),
            };
            let bound = if row_items(item).is_some() {
                self.bind_row_comparison(&eq, ctx)
            } else {
                self.bind_expr(&eq, ctx)
            };
            let x = match bound {
                Ok((x, _)) => x,
                Err(e) => return Some(Err(e)),
            };
            any = Some(match any {
                None => x,
                Some(acc) => Expr::Or(Box::new(acc), Box::new(x)),
            });
        }
        let any = any?;
        let out = if negated {
            Expr::Not(Box::new(any))
        } else {
            any
        };
        Some(Ok((out, DataType::Bool)))
    }
}

/// Field `name` of `x`, a value of type `t`, with PostgreSQL's errors for a type without
/// fields (42809) or without that field (42703).
pub(super) fn select_field(x: Expr, t: DataType, name: &str) -> Result<(Expr, DataType)> {
    let DataType::Composite(oid) = t else {
        if t == DataType::Record {
            return Err(crate::plpgsql::raised(
                "42703",
                format!("could not identify column \"{name}\" in record data type"),
            ));
        }
        return Err(Error::WrongObjectType(format!(
            "column notation .{name} applied to type {}, which is not a composite type",
            t.name()
        )));
    };
    let ty = crate::types::record::fields_of(oid)?;
    let Some(i) = ty.fields.iter().position(|(n, _)| n == name) else {
        return Err(Error::UndefinedColumn(format!(
            "column \"{name}\" not found in data type {}",
            ty.name
        )));
    };
    let field_type = ty.fields[i].1;
    Ok((Expr::Call(Function::Field(i), vec![x]), field_type))
}

/// The field-wise comparison of two rows (`pairs` of coerced fields, at least one).
fn row_compare(op: CmpOp, mut pairs: Vec<(Expr, Expr)>) -> Expr {
    let cmp = |op: CmpOp, (a, b): (Expr, Expr)| Expr::Compare(op, Box::new(a), Box::new(b));
    match op {
        CmpOp::Eq | CmpOp::NotEq => {
            let mut it = pairs.into_iter().map(|p| cmp(op, p));
            let first = it.next().expect("rows have at least one field");
            it.fold(first, |acc, x| {
                if op == CmpOp::Eq {
                    Expr::And(Box::new(acc), Box::new(x))
                } else {
                    Expr::Or(Box::new(acc), Box::new(x))
                }
            })
        }
        _ => {
            // The first pair that is not equal decides (NULL if it has a NULL); the last
            // pair decides when all before it are equal.
            let last = pairs.pop().expect("rows have at least one field");
            let whens = pairs
                .into_iter()
                .map(|(a, b)| {
                    let undecided = Expr::IsBool {
                        expr: Box::new(cmp(CmpOp::Eq, (a.clone(), b.clone()))),
                        value: Some(true),
                        negated: true,
                    };
                    (undecided, cmp(op, (a, b)))
                })
                .collect::<Vec<_>>();
            if whens.is_empty() {
                return cmp(op, last);
            }
            Expr::Case {
                whens,
                otherwise: Some(Box::new(cmp(op, last))),
            }
        }
    }
}
