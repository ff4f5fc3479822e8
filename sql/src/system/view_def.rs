//! `pg_get_viewdef`: a view's query as PostgreSQL's `ruleutils.c` prints it in pretty mode.
//!
//! Strata keeps a view's query as the SQL text the user wrote; PostgreSQL prints the analyzed
//! tree back. For a plain `SELECT` over tables — one, several in the FROM list, or joined with
//! `[INNER|LEFT|RIGHT|FULL] JOIN ... ON/USING` and `CROSS JOIN`, with or without aliases —
//! [`view_definition`] re-creates PostgreSQL's text: every column qualified by its range
//! variable (the alias, else the table name), one output column per line with `AS` where the
//! output name differs, `*` expanded, each join on its own line, constants typed as the
//! analyzer types them ([`super::deparse`]'s printer). Anything else (grouping, DISTINCT,
//! set operations, subqueries in FROM, NATURAL joins...) is given as written, with
//! PostgreSQL's leading space and closing semicolon.

use sqlparser::ast::{self, Expr};

use super::deparse::{Printer, relation_name};
use crate::expr::catalog_functions::quote_ident;
use crate::storage::{Catalog, TableDef, ViewDef};

/// `pg_get_viewdef(oid)` in PostgreSQL's pretty layout.
pub fn view_definition(cat: &Catalog, v: &ViewDef) -> String {
    simple_view(cat, v).unwrap_or_else(|| {
        let text = crate::parse::rows_from::restore(&v.query);
        format!(" {};", text.trim().trim_end_matches(';'))
    })
}

/// How one table joins the FROM item before it.
enum Join {
    /// `JOIN`, `LEFT JOIN`, ... with its `ON` condition.
    On(&'static str, Box<Expr>),
    Using(&'static str, Vec<String>),
    Cross,
}

/// A range variable of the FROM list: the table, the name its columns are qualified by, and
/// how it is written there.
struct Range<'a> {
    table: &'a TableDef,
    name: String,
    text: String,
}

fn table_of<'a>(cat: &'a Catalog, v: &ViewDef, name: &ast::ObjectName) -> Option<&'a TableDef> {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| match p {
            ast::ObjectNamePart::Identifier(i) => crate::binder::ident(i),
            other => other.to_string(),
        })
        .collect();
    match parts.as_slice() {
        [n] => v
            .search_path
            .iter()
            .filter_map(|s| cat.schema(s))
            .find_map(|s| {
                cat.tables
                    .iter()
                    .find(|t| t.schema == s.oid && &t.name == n)
            }),
        [s, n] => {
            let s = cat.schema(s)?;
            cat.tables
                .iter()
                .find(|t| t.schema == s.oid && &t.name == n)
        }
        _ => None,
    }
}

fn range<'a>(cat: &'a Catalog, v: &ViewDef, f: &ast::TableFactor) -> Option<Range<'a>> {
    let ast::TableFactor::Table {
        name,
        alias,
        args: None,
        ..
    } = f
    else {
        return None;
    };
    let table = table_of(cat, v, name)?;
    let relation = relation_name(table.id);
    Some(match alias {
        None => Range {
            table,
            name: table.name.clone(),
            text: relation,
        },
        Some(a) if a.columns.is_empty() => {
            let alias = crate::binder::ident(&a.name);
            Range {
                table,
                text: format!("{relation} {}", quote_ident(&alias)),
                name: alias,
            }
        }
        Some(_) => return None,
    })
}

fn join(op: &ast::JoinOperator) -> Option<Join> {
    use ast::JoinConstraint as C;
    use ast::JoinOperator as J;
    let (keyword, constraint) = match op {
        J::Join(c) | J::Inner(c) => ("JOIN", c),
        J::Left(c) | J::LeftOuter(c) => ("LEFT JOIN", c),
        J::Right(c) | J::RightOuter(c) => ("RIGHT JOIN", c),
        J::FullOuter(c) => ("FULL JOIN", c),
        J::CrossJoin(C::None) => return Some(Join::Cross),
        _ => return None,
    };
    match constraint {
        C::On(e) => Some(Join::On(keyword, Box::new(e.clone()))),
        C::Using(cols) => Some(Join::Using(
            keyword,
            cols.iter()
                .map(|c| {
                    c.0.iter()
                        .map(|p| p.to_string())
                        .collect::<Vec<_>>()
                        .join(".")
                })
                .collect(),
        )),
        _ => None,
    }
}

fn simple_view(cat: &Catalog, v: &ViewDef) -> Option<String> {
    let dialect = sqlparser::dialect::PostgreSqlDialect {};
    let mut stmts = sqlparser::parser::Parser::parse_sql(&dialect, &v.query).ok()?;
    let Some(ast::Statement::Query(q)) = stmts.pop() else {
        return None;
    };
    if q.with.is_some() || q.limit_clause.is_some() || q.fetch.is_some() {
        return None;
    }
    let ast::SetExpr::Select(sel) = q.body.as_ref() else {
        return None;
    };
    if sel.distinct.is_some()
        || sel.having.is_some()
        || !matches!(&sel.group_by, ast::GroupByExpr::Expressions(g, m) if g.is_empty() && m.is_empty())
        || sel.from.is_empty()
    {
        return None;
    }
    // The FROM list: items separated by commas, each a table and the tables joined to it.
    let mut items: Vec<(Range, Vec<(Join, Range)>)> = Vec::new();
    for twj in &sel.from {
        let first = range(cat, v, &twj.relation)?;
        let mut joins = Vec::new();
        for j in &twj.joins {
            joins.push((join(&j.join_operator)?, range(cat, v, &j.relation)?));
        }
        items.push((first, joins));
    }
    let ranges: Vec<&Range> = items
        .iter()
        .flat_map(|(first, joins)| std::iter::once(first).chain(joins.iter().map(|(_, r)| r)))
        .collect();
    let using: Vec<&String> = items
        .iter()
        .flat_map(|(_, joins)| joins.iter())
        .filter_map(|(j, _)| match j {
            Join::Using(_, cols) => Some(cols),
            _ => None,
        })
        .flatten()
        .collect();
    let p = Printer {
        scope: ranges
            .iter()
            .map(|r| (Some(r.name.clone()), r.table))
            .collect(),
        parens: false,
    };
    // A bare reference to a USING column names the merged join column, which PostgreSQL
    // prints its own way: left as written.
    let bare_using =
        |e: &Expr| matches!(e, Expr::Identifier(i) if using.contains(&&crate::binder::ident(i)));
    let mut outputs: Vec<(String, String)> = Vec::new();
    for item in &sel.projection {
        match item {
            ast::SelectItem::Wildcard(_) if using.is_empty() => {
                for r in &ranges {
                    outputs.extend(r.table.columns.iter().map(|c| {
                        let text = format!("{}.{}", quote_ident(&r.name), quote_ident(&c.name));
                        (text, c.name.clone())
                    }));
                }
            }
            ast::SelectItem::UnnamedExpr(e) | ast::SelectItem::ExprWithAlias { expr: e, .. } => {
                if bare_using(e) {
                    return None;
                }
                let direct = match e {
                    Expr::Identifier(i) => crate::binder::ident(i),
                    Expr::CompoundIdentifier(parts) if parts.len() == 2 => {
                        crate::binder::ident(&parts[1])
                    }
                    _ => String::new(),
                };
                outputs.push((p.print(e, None).0, direct));
            }
            _ => return None,
        }
    }
    if outputs.len() != v.columns.len() {
        return None;
    }
    let columns: Vec<String> = outputs
        .into_iter()
        .zip(&v.columns)
        .map(|((text, direct), out)| {
            if direct == out.name {
                text
            } else {
                format!("{text} AS {}", quote_ident(&out.name))
            }
        })
        .collect();
    let mut from = Vec::new();
    for (first, joins) in &items {
        let mut s = first.text.clone();
        for (j, r) in joins {
            let line = match j {
                Join::On(keyword, on) => {
                    if contains_bare(on, &bare_using) {
                        return None;
                    }
                    format!("{keyword} {} ON {}", r.text, p.print(on, None).0)
                }
                Join::Using(keyword, cols) => {
                    let cols: Vec<String> = cols.iter().map(|c| quote_ident(c)).collect();
                    format!("{keyword} {} USING ({})", r.text, cols.join(", "))
                }
                Join::Cross => format!("CROSS JOIN {}", r.text),
            };
            s.push_str("\n     ");
            s.push_str(&line);
        }
        from.push(s);
    }
    let mut s = format!(
        " SELECT {}\n   FROM {}",
        columns.join(",\n    "),
        from.join(",\n    ")
    );
    if let Some(w) = &sel.selection {
        if contains_bare(w, &bare_using) {
            return None;
        }
        s.push_str(&format!("\n  WHERE {}", p.print(w, None).0));
    }
    if let Some(ob) = &q.order_by {
        let ast::OrderByKind::Expressions(exprs) = &ob.kind else {
            return None;
        };
        let mut keys = Vec::new();
        for o in exprs {
            if contains_bare(&o.expr, &bare_using) {
                return None;
            }
            let mut k = p.print(&o.expr, None).0;
            let desc = matches!(&o.options.sort, Some(ast::OrderBySort::Desc));
            if desc {
                k.push_str(" DESC");
            }
            match (desc, o.options.nulls_first) {
                (true, Some(false)) => k.push_str(" NULLS LAST"),
                (false, Some(true)) => k.push_str(" NULLS FIRST"),
                _ => {}
            }
            keys.push(k);
        }
        s.push_str(&format!("\n  ORDER BY {}", keys.join(", ")));
    }
    s.push(';');
    Some(s)
}

/// Whether `e` refers to a column `bare` matches anywhere inside it.
fn contains_bare(e: &Expr, bare: &impl Fn(&Expr) -> bool) -> bool {
    use std::ops::ControlFlow;
    let found = sqlparser::ast::visit_expressions(e, |x| {
        if bare(x) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    found.is_break()
}
