//! Whole-row references (`t` or `t.*` naming a row of FROM item `t`) turned into JSON.
//!
//! A `record` value has no field names (Strata has no named composite types), so these
//! calls are rewritten, before binding, into calls that give PostgreSQL's result from the
//! row's columns and their names:
//!
//! | written                        | bound as                                            |
//! |--------------------------------|-----------------------------------------------------|
//! | `row_to_json(t)`, `to_json(t)` | `strata_json_row('a', t.a, 'b', t.b)` → `{"a":1,"b":"x"}` |
//! | `to_jsonb(t)`                  | `jsonb_build_object('a', t.a, ...)`                  |
//! | `json_agg(t)`                  | `strata_json_agg_rows(strata_json_row(...))` (`, \n ` between rows) |
//! | `jsonb_agg(t)`                 | `jsonb_agg(jsonb_build_object(...))`                 |
//!
//! Aggregate modifiers (DISTINCT, ORDER BY, FILTER) stay on the rewritten call. A column
//! of the same name wins over the row, as in PostgreSQL. Every other use of a whole row
//! binds to a `record` value ([`super::record`]).

use super::expr::ExprCtx;
use super::walk::function_name;
use sqlparser::ast;

/// The function that writes a row's columns as a `json` object.
pub const JSON_ROW: &str = "strata_json_row";
/// The aggregate `json_agg(t)` becomes.
pub const JSON_AGG_ROWS: &str = "strata_json_agg_rows";

/// `f` with its whole-row argument replaced (see the module docs), or `None`.
pub(super) fn rewrite(f: &ast::Function, ctx: &ExprCtx) -> Option<ast::Function> {
    let name = function_name(f);
    if !matches!(
        name.as_str(),
        "row_to_json" | "to_json" | "to_jsonb" | "json_agg" | "jsonb_agg"
    ) {
        return None;
    }
    let ast::FunctionArguments::List(list) = &f.args else {
        return None;
    };
    let [ast::FunctionArg::Unnamed(arg)] = list.args.as_slice() else {
        return None;
    };
    let range = match arg {
        ast::FunctionArgExpr::Expr(ast::Expr::Identifier(i)) => {
            let n = super::ident(i);
            // A column of that name is what `t` means.
            if ctx.scope.resolve(None, &n).is_ok() {
                return None;
            }
            n
        }
        ast::FunctionArgExpr::QualifiedWildcard(n) => super::object_name(n).ok()?,
        _ => return None,
    };
    let columns: Vec<&String> = ctx
        .scope
        .columns
        .iter()
        .filter(|c| c.table.as_deref() == Some(range.as_str()) && !c.system)
        .map(|c| &c.name)
        .collect();
    if columns.is_empty() {
        return None;
    }
    let pairs: Vec<ast::Expr> = columns
        .iter()
        .flat_map(|c| {
            [
                ast::Expr::Value(ast::Value::SingleQuotedString((*c).clone()).into()),
                ast::Expr::CompoundIdentifier(vec![
                    ast::Ident::with_quote('"', range.clone()),
                    ast::Ident::with_quote('"', (*c).clone()),
                ]),
            ]
        })
        .collect();
    let markers = super::Binder::markers_of(ctx.scope, &range);
    let call = |name: &str, args: Vec<ast::Expr>| {
        super::null_side::null_when_extended_ast(
            ast::Expr::Function(plain_call(name, args)),
            &range,
            &markers,
        )
    };
    let json_row = || call(JSON_ROW, pairs.clone());
    let jsonb_row = || call("jsonb_build_object", pairs.clone());
    let (name, arg) = match name.as_str() {
        "row_to_json" | "to_json" if markers.is_empty() => {
            return Some(plain_call(JSON_ROW, pairs));
        }
        "to_jsonb" if markers.is_empty() => return Some(plain_call("jsonb_build_object", pairs)),
        "row_to_json" | "to_json" => ("coalesce", Some(json_row())),
        "to_jsonb" => ("coalesce", Some(jsonb_row())),
        "json_agg" => (JSON_AGG_ROWS, Some(json_row())),
        "jsonb_agg" => ("jsonb_agg", Some(jsonb_row())),
        _ => ("count", None),
    };
    let mut out = f.clone();
    out.name = ast::ObjectName::from(vec![ast::Ident::new(name)]);
    if let ast::FunctionArguments::List(l) = &mut out.args {
        l.args = vec![ast::FunctionArg::Unnamed(match arg {
            Some(e) => ast::FunctionArgExpr::Expr(e),
            None => ast::FunctionArgExpr::Wildcard,
        })];
    }
    Some(out)
}

/// `name(args)` with no modifiers.
fn plain_call(name: &str, args: Vec<ast::Expr>) -> ast::Function {
    ast::Function {
        name: ast::ObjectName::from(vec![ast::Ident::new(name)]),
        uses_odbc_syntax: false,
        parameters: ast::FunctionArguments::None,
        args: ast::FunctionArguments::List(ast::FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|e| ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)))
                .collect(),
            clauses: Vec::new(),
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: Vec::new(),
    }
}
