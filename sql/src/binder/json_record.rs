//! `json[b]_to_record[set](j) AS x(col type, ...)` and `json[b]_populate_record[set](base,
//! j)` in FROM, expanded to the derived table they mean: one row (or one per array element)
//! whose columns are the object's keys of the same names, converted to the columns' types.
//!
//! As in PostgreSQL: a missing key or a JSON `null` is SQL NULL (populate: a missing key
//! keeps `base`'s field); a string converts through its text, any other value through its
//! JSON text; json and jsonb columns take the value itself; a one-dimensional array column
//! takes a JSON array element by element, a multidimensional one a JSON array of arrays
//! ([`crate::expr::json_fns::array_literal`]); the json functions' json columns take the
//! value's text as written. `to_record` without a column definition list is 42601.

use super::{Binder, ExprCtx, Scope, ident};
use crate::expr::catalog_functions::quote_ident;
use crate::types::DataType;
use crate::{Error, Result};
use sqlparser::ast;

/// Which of the functions, by name.
struct Kind {
    /// `populate` (a base record gives the columns) or `to` (the column definition list).
    populate: bool,
    /// `..._recordset`: one row per element of a JSON array.
    set: bool,
}

fn kind(name: &str) -> Option<Kind> {
    let rest = name
        .strip_prefix("jsonb_")
        .or_else(|| name.strip_prefix("json_"))?;
    let (populate, set) = match rest {
        "to_record" => (false, false),
        "to_recordset" => (false, true),
        "populate_record" => (true, false),
        "populate_recordset" => (true, true),
        _ => return None,
    };
    Some(Kind { populate, set })
}

fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The value of key `key` of jsonb `v` as type `ty` (SQL text of the type); `text`: the
/// same object as `json` (the json functions), whose values json columns take as written.
fn field(v: &str, text: Option<&str>, key: &str, ty: &str, json: bool) -> String {
    let key = literal(key);
    if json {
        return match text {
            Some(t) => format!(
                "CASE WHEN json_typeof({t} -> {key}) = 'null' THEN NULL ELSE CAST({t} -> {key} AS {ty}) END"
            ),
            None => format!("CAST(NULLIF({v} -> {key}, 'null'::jsonb) AS {ty})"),
        };
    }
    let scalar = format!("CAST({} ->> {key} AS {ty})", text.unwrap_or(v));
    // An array column takes a JSON array (of arrays) element by element; a string still
    // goes through array input.
    let lower = ty.to_ascii_lowercase();
    if lower.ends_with(']') || lower.starts_with('_') {
        let elem = lower.trim_start_matches('_').trim_end_matches("[]");
        let json_elements = matches!(elem, "json" | "jsonb");
        let array = crate::expr::json_fns::ARRAY_LITERAL;
        return format!(
            "CASE jsonb_typeof({v} -> {key}) WHEN 'array' THEN \
             CAST({array}({v} -> {key}, {json_elements}) AS {ty}) ELSE {scalar} END"
        );
    }
    scalar
}

impl Binder {
    /// The derived table a JSON record function in FROM stands for; `None` for any other
    /// function.
    pub(super) fn json_record_factor(
        &mut self,
        name: &ast::ObjectName,
        alias: Option<&ast::TableAlias>,
        args: &ast::TableFunctionArgs,
    ) -> Result<Option<ast::TableFactor>> {
        let fname = super::object_name(name)?;
        let Some(kind) = kind(&fname) else {
            return Ok(None);
        };
        let args: Vec<&ast::Expr> = args
            .args
            .iter()
            .filter_map(|a| match a {
                ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Some(e),
                _ => None,
            })
            .collect();
        let (base, json) = match (kind.populate, args.as_slice()) {
            (true, [base, j]) => (Some(*base), *j),
            (false, [j]) => (None, *j),
            _ => return Ok(None),
        };
        // Each column: name, SQL type text, whether it takes JSON itself.
        let columns: Vec<(String, String, bool)> = match base {
            Some(base) => self.base_fields(base, &fname)?,
            None => alias
                .map(|a| {
                    a.columns
                        .iter()
                        .map(|c| {
                            let ty = c.data_type.as_ref().ok_or_else(|| {
                                Error::SyntaxError(format!(
                                    "a column definition list is required for functions returning \"record\" ({fname})"
                                ))
                            })?;
                            let text = ty.to_string();
                            let json = matches!(text.to_ascii_lowercase().as_str(), "json" | "jsonb");
                            Ok((ident(&c.name), text, json))
                        })
                        .collect::<Result<Vec<_>>>()
                })
                .transpose()?
                .filter(|c| !c.is_empty())
                .ok_or_else(|| {
                    Error::SyntaxError(
                        "a column definition list is required for functions returning \"record\""
                            .into(),
                    )
                })?,
        };
        // The json functions keep the object as json too, for their json columns.
        let is_json = fname.starts_with("json_");
        let (v, text) = match (kind.set, is_json) {
            (true, true) => (
                "CAST(\"?json_record\".value AS jsonb)",
                Some("\"?json_record\".value"),
            ),
            (true, false) => ("\"?json_record\".value", None),
            (false, true) => ("\"?json_record\"", Some("\"?json_text\"")),
            (false, false) => ("\"?json_record\"", None),
        };
        let select: Vec<String> = columns
            .iter()
            .map(|(n, ty, is_json)| {
                let value = field(v, text, n, ty, *is_json);
                let value = match base {
                    Some(b) => format!(
                        "CASE WHEN {v} ? {} THEN {value} ELSE ({b}).{} END",
                        literal(n),
                        quote_ident(n)
                    ),
                    None => value,
                };
                format!("{value} AS {}", quote_ident(n))
            })
            .collect();
        let source = match (kind.set, is_json) {
            (true, true) => {
                format!("json_array_elements(CAST(({json}) AS json)) AS \"?json_record\"")
            }
            (true, false) => {
                format!("jsonb_array_elements(CAST(({json}) AS jsonb)) AS \"?json_record\"")
            }
            (false, true) => format!(
                "(SELECT CAST(({json}) AS jsonb), CAST(({json}) AS json)) \
                 AS \"?json_source\"(\"?json_record\", \"?json_text\")"
            ),
            (false, false) => {
                format!("(SELECT CAST(({json}) AS jsonb)) AS \"?json_record\"(\"?json_record\")")
            }
        };
        let table = alias.map_or(fname.clone(), |a| ident(&a.name));
        let names: Vec<String> = columns.iter().map(|(n, _, _)| quote_ident(n)).collect();
        let text = format!(
            "SELECT * FROM (SELECT {} FROM {source}) AS {}({})",
            select.join(", "),
            quote_ident(&table),
            names.join(", ")
        );
        let mut stmts = crate::parse::statements(&text)?;
        let Some(ast::Statement::Query(q)) = stmts.pop() else {
            return Err(Error::Internal(
                "expanded JSON record function did not parse".into(),
            ));
        };
        let ast::SetExpr::Select(s) = *q.body else {
            return Err(Error::Internal(
                "expanded JSON record function did not parse".into(),
            ));
        };
        Ok(s.from.into_iter().next().map(|t| t.relation))
    }

    /// The fields of `base`'s composite type, as [`Binder::json_record_factor`]'s columns.
    fn base_fields(
        &mut self,
        base: &ast::Expr,
        fname: &str,
    ) -> Result<Vec<(String, String, bool)>> {
        let (_, ty) = self.bind_expr(base, &mut ExprCtx::plain(&Scope::default(), "FROM"))?;
        let DataType::Composite(oid) = ty else {
            return Err(Error::DatatypeMismatch(format!(
                "first argument of {fname} must be a row type"
            )));
        };
        let (_, _, fields) = crate::ddl::types::by_oid(&self.catalog, oid)
            .ok_or_else(|| Error::Internal(format!("no composite type {oid}")))?;
        Ok(fields
            .into_iter()
            .map(|(n, t)| (n, t.name(), matches!(t, DataType::Json | DataType::Jsonb)))
            .collect())
    }
}
