//! `ROWS FROM (f(...), g(...) AS (col type, ...), ...) [WITH ORDINALITY]`, and `WITH
//! ORDINALITY` on a function that is not a built-in set-returning one: each function is
//! bound as its own FROM item (built-in, inlined SQL function, PL/pgSQL routine — whatever
//! path it takes alone) and the items are zipped ([`Plan::Zip`]): row `i` of the result is
//! row `i` of each function, NULLs for a function that has finished, the ordinality last.
//! The whole item is lateral like any function in FROM. The parser's side is
//! [`crate::parse::rows_from`].
//!
//! Column names are each function's own (a scalar function's column is the function's name,
//! or the alias's for a single function), then the alias's column list renames the leading
//! ones; the item is named by the alias, else by its first function.

use super::{Binder, Scope, ident};
use crate::parse::rows_from::{COLDEF, ROWS_FROM};
use crate::planner::Plan;
use crate::types::DataType;
use crate::{Error, Result};
use sqlparser::ast;

/// One function of the list: its name, arguments and column definition list.
struct Item {
    name: ast::ObjectName,
    args: Vec<ast::FunctionArg>,
    coldef: Vec<ast::TableAliasColumnDef>,
}

fn call_parts(e: &ast::Expr) -> Result<(ast::ObjectName, Vec<ast::FunctionArg>)> {
    let ast::Expr::Function(f) = e else {
        return Err(Error::SyntaxError(format!(
            "syntax error at or near \"{e}\""
        )));
    };
    let args = match &f.args {
        ast::FunctionArguments::List(l) => l.args.clone(),
        ast::FunctionArguments::None => Vec::new(),
        ast::FunctionArguments::Subquery(_) => {
            return Err(Error::SyntaxError(format!(
                "syntax error at or near \"{e}\""
            )));
        }
    };
    Ok((f.name.clone(), args))
}

fn unnamed(a: &ast::FunctionArg) -> Option<&ast::Expr> {
    match a {
        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Some(e),
        _ => None,
    }
}

/// The functions of `ROWS FROM`'s marker call.
fn items(args: &ast::TableFunctionArgs) -> Result<Vec<Item>> {
    let mut out = Vec::new();
    for a in &args.args {
        let Some(e) = unnamed(a) else {
            return Err(Error::SyntaxError(format!(
                "syntax error at or near \"{a}\""
            )));
        };
        let (name, args) = call_parts(e)?;
        if super::object_name(&name)? != COLDEF {
            out.push(Item {
                name,
                args,
                coldef: Vec::new(),
            });
            continue;
        }
        let mut it = args.iter().filter_map(unnamed);
        let Some(call) = it.next() else {
            return Err(Error::Internal("empty column definition marker".into()));
        };
        let (name, args) = call_parts(call)?;
        let mut coldef = Vec::new();
        while let (Some(n), Some(t)) = (it.next(), it.next()) {
            let (
                ast::Expr::Value(ast::ValueWithSpan {
                    value: ast::Value::SingleQuotedString(n),
                    ..
                }),
                ast::Expr::Cast { data_type, .. },
            ) = (n, t)
            else {
                return Err(Error::Internal("malformed column definition marker".into()));
            };
            coldef.push(ast::TableAliasColumnDef {
                name: ast::Ident::with_quote('"', n.clone()),
                data_type: Some(data_type.clone()),
            });
        }
        out.push(Item { name, args, coldef });
    }
    Ok(out)
}

impl Binder {
    /// Binds `ROWS FROM (...)` (the marker call `name(args)`), or the single function
    /// `name(args)` with `WITH ORDINALITY`, as a [`Plan::Zip`] (see the module docs).
    pub(super) fn bind_rows_from(
        &mut self,
        name: &ast::ObjectName,
        alias: Option<&ast::TableAlias>,
        args: &ast::TableFunctionArgs,
        ordinality: bool,
    ) -> Result<(Plan, Scope)> {
        let list = if super::object_name(name)? == ROWS_FROM {
            items(args)?
        } else {
            vec![Item {
                name: name.clone(),
                args: args.args.clone(),
                coldef: Vec::new(),
            }]
        };
        let single = list.len() == 1;
        let mut inputs = Vec::with_capacity(list.len());
        let mut widths = Vec::with_capacity(list.len());
        let mut columns = Vec::new();
        let mut first_name = None;
        for item in list {
            let fname = super::object_name(&item.name)?;
            first_name.get_or_insert_with(|| fname.clone());
            let item_alias = if !item.coldef.is_empty() {
                Some(ast::TableAlias {
                    explicit: true,
                    at: None,
                    name: ast::Ident::with_quote('"', fname),
                    columns: item.coldef,
                })
            } else if single {
                alias.map(|a| ast::TableAlias {
                    explicit: true,
                    at: None,
                    name: a.name.clone(),
                    columns: Vec::new(),
                })
            } else {
                None
            };
            let table = ast::TableFactor::Table {
                name: item.name,
                alias: item_alias,
                args: Some(ast::TableFunctionArgs {
                    args: item.args,
                    settings: None,
                }),
                with_hints: Vec::new(),
                version: None,
                with_ordinality: false,
                partitions: Vec::new(),
                json_path: None,
                sample: None,
                index_directives: Vec::new(),
                inheritance: None,
            };
            let (plan, scope) = self.bind_function_item(&table)?;
            widths.push(scope.columns.len());
            inputs.push(plan);
            columns.extend(scope.columns);
        }
        if ordinality {
            columns.push(super::ScopeColumn {
                table: None,
                name: "ordinality".into(),
                data_type: DataType::Int8,
                qualified_only: false,
                schema: None,
                whole_row: false,
                system: false,
                origin: None,
            });
        }
        let table = alias.map_or_else(|| first_name.unwrap_or_default(), |a| ident(&a.name));
        if let Some(a) = alias {
            if a.columns.len() > columns.len() {
                return Err(Error::InvalidColumnReference(format!(
                    "table \"{table}\" has {} columns available but {} columns specified",
                    columns.len(),
                    a.columns.len()
                )));
            }
            for (c, n) in columns.iter_mut().zip(&a.columns) {
                c.name = ident(&n.name);
            }
        }
        // A lone scalar column is also the whole row (`SELECT t FROM ROWS FROM (f()) t`).
        let keep_whole_row = single && !ordinality && columns.len() == 1;
        for c in &mut columns {
            c.table = Some(table.clone());
            c.schema = None;
            c.whole_row &= keep_whole_row;
        }
        let plan = Plan::Zip {
            inputs,
            widths,
            ordinality,
        };
        Ok((plan, Scope { columns }))
    }
}
