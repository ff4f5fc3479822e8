//! The SEARCH and CYCLE clauses of a recursive CTE ([`crate::parse::search_cycle`]),
//! expanded as PostgreSQL's rewriter expands them (`rewriteSearchAndCycle`): the CTE gets
//! extra columns, computed by both terms of its UNION.
//!
//! * `SEARCH DEPTH FIRST BY a, b SET seq`: `seq` is `ARRAY[ROW(a, b)]` in the non-recursive
//!   term and the previous row's `seq || ARRAY[ROW(a, b)]` in the recursive one (`record[]`,
//!   so ordering by it is a depth-first order).
//! * `SEARCH BREADTH FIRST BY a, b SET seq`: `seq` is `ROW(0::int8, a, b)`, then
//!   `ROW(depth + 1, a, b)` (`record`; ordering by it is breadth-first).
//! * `CYCLE a, b SET mark [TO v DEFAULT d] USING path`: `path` is `ARRAY[ROW(a, b)]`, then
//!   `path || ARRAY[ROW(a, b)]`; `mark` is `d`, then `v` when `ROW(a, b)` is already in the
//!   previous path; rows whose mark is `v` are not expanded further.
//!
//! The expansion is done on the syntax tree, before binding: the non-recursive term becomes
//! `SELECT __l.*, <initial values> FROM (term) AS __l(__c1, ...)` and the recursive one
//! `SELECT __r.__c1, ..., <next values> FROM (term plus the previous row's columns) AS
//! __r(...)`, the previous row's columns read from the term's reference to the CTE (which
//! must be in its top-level FROM). In that reference the extra columns are hidden from `*`
//! (PostgreSQL expands `*` there before adding them) but can be named.

use super::{Binder, ident};
use crate::parse::search_cycle::{Clauses, Cycle, Search};
use crate::position::note;
use crate::{Error, Result};
use sqlparser::ast;

/// A CTE with its SEARCH / CYCLE clauses turned into columns.
pub(super) struct Expanded {
    pub cte: ast::Cte,
    /// How many trailing columns the clauses added.
    pub added: usize,
}

fn at(err: Error, span: sqlparser::tokenizer::Span, token: &str) -> Error {
    note(&err, span, token);
    err
}

/// Whether a UNION side is a plain SELECT (or VALUES), not another set operation.
fn is_select(e: &ast::SetExpr) -> bool {
    match e {
        ast::SetExpr::SetOperation { .. } => false,
        ast::SetExpr::Query(q) => is_select(&q.body),
        _ => true,
    }
}

/// The name the recursive term's top-level FROM gives its reference to the CTE `name`.
fn reference_name(select: &ast::Select, name: &str) -> Option<ast::Ident> {
    let factors = select
        .from
        .iter()
        .flat_map(|t| std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)));
    for f in factors {
        if let ast::TableFactor::Table {
            name: table, alias, ..
        } = f
            && let [part] = table.0.as_slice()
            && let Some(id) = part.as_ident()
            && ident(id) == name
        {
            return Some(
                alias
                    .as_ref()
                    .map_or_else(|| id.clone(), |a| a.name.clone()),
            );
        }
    }
    None
}

fn parse_query(sql: &str) -> Result<ast::Query> {
    match crate::parse::statements(sql)?.pop() {
        Some(ast::Statement::Query(q)) => Ok(*q),
        _ => Err(Error::Internal(format!("not a query: {sql}"))),
    }
}

/// `SELECT <items> FROM (SELECT 1) AS <alias>(<columns>)` with `inner` as the derived
/// table's body.
fn wrap(items: &str, alias: &str, columns: &[String], inner: ast::SetExpr) -> Result<ast::Select> {
    let sql = format!(
        "SELECT {items} FROM (SELECT 1) AS {alias}({})",
        columns.join(", ")
    );
    let q = parse_query(&sql)?;
    let ast::SetExpr::Select(mut select) = *q.body else {
        return Err(Error::Internal("wrap: not a SELECT".into()));
    };
    if let Some(ast::TableFactor::Derived { subquery, .. }) =
        select.from.first_mut().map(|t| &mut t.relation)
    {
        *subquery.body = inner;
    }
    Ok(*select)
}

fn not_top_level(name: &str) -> Error {
    Error::FeatureNotSupported(format!(
        "with a SEARCH or CYCLE clause, the recursive reference to WITH query \"{name}\" must be at the top level of its right-hand SELECT"
    ))
}

fn quoted(name: &str) -> ast::Ident {
    ast::Ident::with_quote('"', name)
}

impl Binder {
    /// Expands the `clauses` of CTE `cte` named `name` (module docs), with PostgreSQL's
    /// checks of the column names.
    pub(super) fn expand_search_cycle(
        &mut self,
        cte: &ast::Cte,
        name: &str,
        recursive: bool,
        clauses: &Clauses,
    ) -> Result<Expanded> {
        if !recursive {
            let err = Error::SyntaxError("WITH query is not recursive".into());
            return Err(at(err, cte.alias.name.span, &cte.alias.name.value));
        }
        let ast::SetExpr::SetOperation {
            op: ast::SetOperator::Union,
            set_quantifier,
            left,
            right,
        } = cte.query.body.as_ref()
        else {
            // Not recursive in form: bound as it is, for the error.
            let mut plain = cte.clone();
            plain.from = None;
            return Ok(Expanded {
                cte: plain,
                added: 0,
            });
        };
        let (_, columns) = self.bind_set_expr(left)?;
        let names: Vec<String> = super::cte::alias_columns(name, &cte.alias, &columns)?
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        let search = clauses
            .search
            .as_ref()
            .map(|s| check_search(s, &names))
            .transpose()?;
        let cycle = clauses
            .cycle
            .as_ref()
            .map(|c| check_cycle(c, &names))
            .transpose()?;
        if let (Some(s), Some(c)) = (&clauses.search, &clauses.cycle) {
            let seq = ident(&s.set);
            for (other, what) in [(&c.mark, "cycle mark"), (&c.path, "cycle path")] {
                if ident(other) == seq {
                    let err = Error::SyntaxError(format!(
                        "search sequence column name and {what} column name are the same"
                    ));
                    return Err(at(err, s.span, "search"));
                }
            }
        }
        if !is_select(left) {
            return Err(Error::FeatureNotSupported(
                "with a SEARCH or CYCLE clause, the left side of the UNION must be a SELECT".into(),
            ));
        }
        let mut right_select = match right.as_ref() {
            ast::SetExpr::Select(s) => (**s).clone(),
            ast::SetExpr::Query(q)
                if matches!(q.body.as_ref(), ast::SetExpr::Select(_))
                    && q.with.is_none()
                    && q.order_by.is_none()
                    && q.limit_clause.is_none()
                    && q.fetch.is_none()
                    && q.locks.is_empty() =>
            {
                let ast::SetExpr::Select(s) = q.body.as_ref() else {
                    unreachable!("matched above")
                };
                (**s).clone()
            }
            // A WITH of its own, ORDER BY, LIMIT: the reference is not at the top level.
            ast::SetExpr::Query(q) if matches!(q.body.as_ref(), ast::SetExpr::Select(_)) => {
                return Err(not_top_level(name));
            }
            _ => {
                return Err(Error::SyntaxError(
                    "with a SEARCH or CYCLE clause, the right side of the UNION must be a SELECT"
                        .into(),
                ));
            }
        };
        let Some(work) = reference_name(&right_select, name) else {
            return Err(not_top_level(name));
        };

        let n = names.len();
        let cols: Vec<String> = (1..=n).map(|i| format!("__c{i}")).collect();
        let row = |alias: &str, at: &[usize]| {
            let fields: Vec<String> = at.iter().map(|i| format!("{alias}.__c{}", i + 1)).collect();
            format!("ROW({})", fields.join(", "))
        };
        // Items of the non-recursive term, the recursive term, and the previous row's
        // columns the recursive term needs.
        let (mut first, mut next, mut previous) = (Vec::new(), Vec::new(), Vec::new());
        let mut added = Vec::new();
        if let (Some(s), Some(by)) = (&clauses.search, &search) {
            previous.push(ident(&s.set));
            if s.breadth {
                let tail = row("__l", by).trim_start_matches("ROW(").to_string();
                first.push(format!("ROW(0::int8, {tail}"));
                let tail = row("__r", by).trim_start_matches("ROW(").to_string();
                next.push(format!(
                    "ROW({}(__r.__p{}) + 1, {tail}",
                    super::call::SEARCH_DEPTH,
                    previous.len()
                ));
            } else {
                first.push(format!("ARRAY[{}]", row("__l", by)));
                next.push(format!(
                    "__r.__p{} || ARRAY[{}]",
                    previous.len(),
                    row("__r", by)
                ));
            }
            added.push(ident(&s.set));
        }
        let mut cycle_filter = None;
        if let (Some(c), Some(by)) = (&clauses.cycle, &cycle) {
            let (to, default) = match &c.values {
                Some((to, default)) => (to.to_string(), default.to_string()),
                None => ("true".into(), "false".into()),
            };
            self.check_cycle_types(c, &to, &default)?;
            previous.push(ident(&c.path));
            let p = previous.len();
            first.push(format!("CASE WHEN false THEN {to} ELSE {default} END"));
            first.push(format!("ARRAY[{}]", row("__l", by)));
            next.push(format!(
                "CASE WHEN {} = ANY(__r.__p{p}) THEN {to} ELSE {default} END",
                row("__r", by)
            ));
            next.push(format!("__r.__p{p} || ARRAY[{}]", row("__r", by)));
            added.push(ident(&c.mark));
            added.push(ident(&c.path));
            let mark = ast::Expr::CompoundIdentifier(vec![work.clone(), quoted(&ident(&c.mark))]);
            let to = match &c.values {
                Some((to, _)) => to.clone(),
                None => ast::Expr::Value(ast::Value::Boolean(true).into()),
            };
            cycle_filter = Some(ast::Expr::BinaryOp {
                left: Box::new(mark),
                op: ast::BinaryOperator::NotEq,
                right: Box::new(ast::Expr::Nested(Box::new(to))),
            });
        }

        let left = wrap(
            &format!("__l.*, {}", first.join(", ")),
            "__l",
            &cols,
            (**left).clone(),
        )?;
        for column in &previous {
            right_select.projection.push(ast::SelectItem::UnnamedExpr(
                ast::Expr::CompoundIdentifier(vec![work.clone(), quoted(column)]),
            ));
        }
        if let Some(filter) = cycle_filter {
            right_select.selection = Some(match right_select.selection.take() {
                Some(w) => ast::Expr::BinaryOp {
                    left: Box::new(ast::Expr::Nested(Box::new(w))),
                    op: ast::BinaryOperator::And,
                    right: Box::new(filter),
                },
                None => filter,
            });
        }
        let outs: Vec<String> = cols.iter().map(|c| format!("__r.{c}")).collect();
        let mut inner_cols = cols.clone();
        inner_cols.extend((1..=previous.len()).map(|i| format!("__p{i}")));
        let right = wrap(
            &format!("{}, {}", outs.join(", "), next.join(", ")),
            "__r",
            &inner_cols,
            ast::SetExpr::Select(Box::new(right_select)),
        )?;

        let mut out = cte.clone();
        out.from = None;
        out.alias.columns = names
            .iter()
            .chain(&added)
            .map(|n| ast::TableAliasColumnDef {
                name: quoted(n),
                data_type: None,
            })
            .collect();
        out.query.body = Box::new(ast::SetExpr::SetOperation {
            op: ast::SetOperator::Union,
            set_quantifier: *set_quantifier,
            left: Box::new(ast::SetExpr::Select(Box::new(left))),
            right: Box::new(ast::SetExpr::Select(Box::new(right))),
        });
        Ok(Expanded {
            cte: out,
            added: added.len(),
        })
    }

    /// The mark's two values must have a common type (PostgreSQL's 42804).
    fn check_cycle_types(&mut self, c: &Cycle, to: &str, default: &str) -> Result<()> {
        let probe = parse_query(&format!(
            "SELECT CASE WHEN false THEN {to} ELSE {default} END"
        ))?;
        match self.bind_query(&probe) {
            Err(e) if e.to_string().starts_with("CASE types") => {
                let err = Error::DatatypeMismatch(e.to_string().replacen("CASE", "CYCLE", 1));
                match &c.values {
                    Some((_, d @ ast::Expr::Value(v))) => {
                        let _ = d;
                        Err(at(err, v.span, &v.to_string()))
                    }
                    _ => Err(err),
                }
            }
            Err(e) => Err(e),
            Ok(_) => Ok(()),
        }
    }
}

/// Checks a column list of a clause against the CTE's columns; the positions of the columns.
fn positions(
    list: &[ast::Ident],
    names: &[String],
    what: &str,
    span: sqlparser::tokenizer::Span,
    keyword: &str,
) -> Result<Vec<usize>> {
    let mut out = Vec::new();
    for c in list {
        let c = ident(c);
        let Some(i) = names.iter().position(|n| *n == c) else {
            let err = Error::SyntaxError(format!(
                "{what} column \"{c}\" not in WITH query column list"
            ));
            return Err(at(err, span, keyword));
        };
        if out.contains(&i) {
            let err = crate::plpgsql::raised(
                "42701",
                format!("{what} column \"{c}\" specified more than once"),
            );
            return Err(at(err, span, keyword));
        }
        out.push(i);
    }
    Ok(out)
}

fn check_search(s: &Search, names: &[String]) -> Result<Vec<usize>> {
    let by = positions(&s.by, names, "search", s.span, "search")?;
    let set = ident(&s.set);
    if names.contains(&set) {
        let err = Error::SyntaxError(format!(
            "search sequence column name \"{set}\" already used in WITH query column list"
        ));
        return Err(at(err, s.span, "search"));
    }
    Ok(by)
}

fn check_cycle(c: &Cycle, names: &[String]) -> Result<Vec<usize>> {
    let by = positions(&c.columns, names, "cycle", c.span, "cycle")?;
    let (mark, path) = (ident(&c.mark), ident(&c.path));
    for (n, what) in [(&mark, "cycle mark"), (&path, "cycle path")] {
        if names.contains(n) {
            let err = Error::SyntaxError(format!(
                "{what} column name \"{n}\" already used in WITH query column list"
            ));
            return Err(at(err, c.span, "cycle"));
        }
    }
    if mark == path {
        let err = Error::SyntaxError(
            "cycle mark column name and cycle path column name are the same".into(),
        );
        return Err(at(err, c.span, "cycle"));
    }
    Ok(by)
}
