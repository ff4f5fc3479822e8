//! Routine introspection of the built-in functions and `pg_get_functiondef`:
//! `pg_get_function_arguments`, `pg_get_function_identity_arguments` and
//! `pg_get_function_result` of a built-in (from PostgreSQL 15's `pg_proc` rows in
//! `system::builtin_procs`), and `pg_get_functiondef` of a built-in or of a user's SQL /
//! PL/pgSQL function or procedure, byte for byte as PostgreSQL 15's `ruleutils.c` prints
//! them (`print_function_arguments`, `print_function_rettype`, `pg_get_functiondef`).
//!
//! A user function's argument and result texts come from `pg_functions`
//! (`function_arguments`, `function_result`); this module assembles the definition around
//! them. Facts `FunctionDef` does not record (SECURITY DEFINER, SET options, COST, ROWS,
//! PARALLEL) print as their defaults, which is what Strata's `pg_proc` says too.

use super::pg_functions::{format_type, function_arguments, function_result};
use crate::system::builtin_procs::{self, BuiltinProc};
use crate::{Error, Result};

/// One parameter of a built-in: `proargmodes` letter, name (None when unnamed), type OID
/// and, for the input parameters that have one, its DEFAULT expression.
pub struct BuiltinParam {
    pub mode: char,
    pub name: Option<&'static str>,
    pub type_oid: u32,
    pub default: Option<&'static str>,
}

/// The parameters of built-in `p` in `proallargtypes` (else `proargtypes`) order.
pub fn builtin_params(p: &BuiltinProc) -> Vec<BuiltinParam> {
    let types = p.all_arg_types.as_ref().unwrap_or(&p.arg_types);
    let extra = builtin_procs::extra(p.oid);
    // The DEFAULTs belong to the last `pronargdefaults` input parameters.
    let defaults: Vec<&'static str> = extra
        .and_then(|e| e.arg_defaults)
        .map_or(Vec::new(), |d| d.split(", ").collect());
    let inputs = types
        .iter()
        .enumerate()
        .filter(|(i, _)| is_input(mode_of(p, *i)))
        .count();
    let first_default = inputs.saturating_sub(defaults.len());
    let mut input_no = 0;
    types
        .iter()
        .enumerate()
        .map(|(i, &type_oid)| {
            let mode = mode_of(p, i);
            let mut default = None;
            if is_input(mode) {
                if input_no >= first_default {
                    default = defaults.get(input_no - first_default).copied();
                }
                input_no += 1;
            }
            BuiltinParam {
                mode,
                name: p
                    .arg_names
                    .as_ref()
                    .and_then(|n| n.get(i).copied())
                    .filter(|n| !n.is_empty()),
                type_oid,
                default,
            }
        })
        .collect()
}

fn mode_of(p: &BuiltinProc, i: usize) -> char {
    p.arg_modes
        .as_ref()
        .and_then(|m| m.get(i))
        .and_then(|m| m.chars().next())
        .unwrap_or('i')
}

fn is_input(mode: char) -> bool {
    matches!(mode, 'i' | 'b' | 'v')
}

/// `print_function_arguments` of a built-in: `defaults` prints DEFAULTs
/// (`pg_get_function_arguments`; without, `pg_get_function_identity_arguments`, which
/// keeps OUT parameters in PostgreSQL 15); `table` prints the `RETURNS TABLE` columns.
pub fn builtin_arguments(p: &BuiltinProc, defaults: bool, table: bool) -> String {
    let order_by_at = builtin_procs::extra(p.oid).and_then(|e| e.order_by_at);
    let params: Vec<BuiltinParam> = builtin_params(p)
        .into_iter()
        .filter(|a| table == (a.mode == 't'))
        .collect();
    let mut s = String::new();
    let mut printed = 0;
    let mut i = 0;
    while let Some(a) = params.get(i) {
        if Some(printed) == order_by_at {
            if printed > 0 {
                s.push(' ');
            }
            s.push_str("ORDER BY ");
        } else if printed > 0 {
            s.push_str(", ");
        }
        s.push_str(match a.mode {
            'b' => "INOUT ",
            'o' => "OUT ",
            'v' => "VARIADIC ",
            _ => "",
        });
        if let Some(n) = a.name {
            s.push_str(&super::catalog_functions::quote_ident(n));
            s.push(' ');
        }
        s.push_str(&format_type(a.type_oid, None));
        if defaults && let Some(d) = a.default {
            s.push_str(" DEFAULT ");
            s.push_str(d);
        }
        printed += 1;
        // PostgreSQL prints a hypothetical-set aggregate's last (VARIADIC) argument twice
        if Some(printed) == order_by_at && i + 1 == params.len() {
            continue;
        }
        i += 1;
    }
    s
}

/// `print_function_rettype` of a built-in: `TABLE(...)`, `SETOF t` or `t`.
pub fn builtin_result(p: &BuiltinProc) -> String {
    let table = builtin_params(p).iter().any(|a| a.mode == 't');
    if p.returns_set && table {
        return format!("TABLE({})", builtin_arguments(p, false, true));
    }
    let t = format_type(p.ret, None);
    if p.returns_set {
        format!("SETOF {t}")
    } else {
        t
    }
}

/// `%g` of a `procost` / `prorows`.
fn num(v: f32) -> String {
    if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// The parts of a definition that differ between built-ins and user functions.
struct Def<'a> {
    procedure: bool,
    window: bool,
    qualified_name: String,
    args: String,
    result: String,
    language: &'a str,
    volatility: char,
    parallel: char,
    strict: bool,
    security_definer: bool,
    leakproof: bool,
    cost: f32,
    rows: f32,
    support: Option<&'a str>,
    /// `proconfig` entries (`name=value`).
    config: &'a [String],
    probin: Option<&'a str>,
    sql_body: Option<&'a str>,
    src: &'a str,
}

fn render(d: &Def) -> String {
    let kind = if d.procedure { "PROCEDURE" } else { "FUNCTION" };
    let mut s = format!(
        "CREATE OR REPLACE {kind} {}({})\n",
        d.qualified_name, d.args
    );
    if !d.procedure {
        s.push_str(&format!(" RETURNS {}\n", d.result));
    }
    s.push_str(&format!(
        " LANGUAGE {}\n",
        super::catalog_functions::quote_ident(d.language)
    ));
    let mut misc = String::new();
    if d.window {
        misc.push_str(" WINDOW");
    }
    misc.push_str(match d.volatility {
        'i' => " IMMUTABLE",
        's' => " STABLE",
        _ => "",
    });
    misc.push_str(match d.parallel {
        's' => " PARALLEL SAFE",
        'r' => " PARALLEL RESTRICTED",
        _ => "",
    });
    if d.strict {
        misc.push_str(" STRICT");
    }
    if d.security_definer {
        misc.push_str(" SECURITY DEFINER");
    }
    if d.leakproof {
        misc.push_str(" LEAKPROOF");
    }
    // internal and C functions cost 1 by default, the others 100
    let default_cost = if matches!(d.language, "internal" | "c") {
        1.0
    } else {
        100.0
    };
    if d.cost != default_cost {
        misc.push_str(&format!(" COST {}", num(d.cost)));
    }
    if d.rows > 0.0 && d.rows != 1000.0 {
        misc.push_str(&format!(" ROWS {}", num(d.rows)));
    }
    if let Some(f) = d.support {
        misc.push_str(&format!(" SUPPORT {f}"));
    }
    if !misc.is_empty() {
        s.push_str(&misc);
        s.push('\n');
    }
    for entry in d.config {
        s.push_str(&set_clause(entry));
    }
    if let Some(body) = d.sql_body {
        s.push_str(body);
    } else {
        s.push_str("AS ");
        if let Some(bin) = d.probin {
            s.push_str(&format!("'{}', ", bin.replace('\'', "''")));
        }
        let mut quote = format!("${}", kind.to_lowercase());
        while d.src.contains(&quote) {
            quote.push('x');
        }
        quote.push('$');
        s.push_str(&quote);
        s.push_str(d.src);
        s.push_str(&quote);
    }
    s.push('\n');
    s
}

/// One `proconfig` entry as `ruleutils.c` prints it: ` SET name TO 'value'`, a list
/// parameter's (`search_path`) items each quoted (`'public', 'pg_temp'`).
fn set_clause(entry: &str) -> String {
    let (name, value) = entry.split_once('=').unwrap_or((entry, ""));
    let literal = |v: &str| format!("'{}'", v.replace('\'', "''"));
    let list = crate::settings::catalog::find(&name.to_ascii_lowercase())
        .is_some_and(|d| d.kind == crate::settings::Kind::IdentList);
    let shown = if list {
        split_list(value)
            .iter()
            .map(|v| literal(v))
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        literal(value)
    };
    format!(
        " SET {} TO {shown}\n",
        super::catalog_functions::quote_ident(name)
    )
}

/// PostgreSQL's `SplitGUCList`: comma-separated names, double-quoted ones unquoted
/// (`""` inside is a quote), unquoted ones as written, blanks around each dropped.
fn split_list(value: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut chars = value.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut item = String::new();
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                if c == '"' {
                    if chars.next_if_eq(&'"').is_some() {
                        item.push('"');
                    } else {
                        break;
                    }
                } else {
                    item.push(c);
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| *c != ',') {
                item.push(c);
            }
            item.truncate(item.trim_end().len());
        }
        items.push(item);
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next_if_eq(&',').is_none() {
            return items;
        }
    }
}

/// `pg_get_functiondef(oid)`: NULL for an unknown OID; 42809 for an aggregate.
pub fn functiondef(oid: u32) -> Result<Option<String>> {
    if let Some(p) = builtin_procs::by_oid(oid) {
        if p.kind == 'a' {
            return Err(Error::WrongObjectType(format!(
                "\"{}\" is an aggregate function",
                p.name
            )));
        }
        let extra = builtin_procs::extra(oid);
        let language = match p.lang {
            12 => "internal",
            13 => "c",
            _ => "sql",
        };
        return Ok(Some(render(&Def {
            procedure: p.kind == 'p',
            window: p.kind == 'w',
            qualified_name: format!(
                "pg_catalog.{}",
                super::catalog_functions::quote_ident(p.name)
            ),
            args: builtin_arguments(p, true, false),
            result: builtin_result(p),
            language,
            volatility: p.volatility,
            parallel: p.parallel,
            strict: p.strict,
            security_definer: p.security_definer,
            leakproof: p.leakproof,
            cost: p.cost,
            rows: p.rows,
            support: extra.and_then(|e| e.support),
            config: &[],
            probin: extra.and_then(|e| e.probin),
            sql_body: extra.and_then(|e| e.sql_body.as_deref()),
            src: p.src,
        })));
    }
    let env = crate::env::catalog()?;
    let Some(f) = env.catalog.functions.iter().find(|f| f.oid == oid) else {
        return Ok(None);
    };
    let q = super::catalog_functions::quote_ident;
    let body = user_sql_body(f);
    Ok(Some(render(&Def {
        procedure: f.procedure,
        window: false,
        qualified_name: format!("{}.{}", q(&env.catalog.schema_name(f.schema)), q(&f.name)),
        args: function_arguments(f, false),
        result: function_result(f),
        language: f.language.as_deref().unwrap_or("sql"),
        volatility: f.volatility,
        parallel: f.parallel,
        strict: f.strict,
        security_definer: f.security_definer,
        leakproof: f.leakproof,
        cost: f.procost(),
        rows: f.prorows(),
        support: None,
        config: &f.config,
        probin: None,
        sql_body: body.as_deref(),
        src: &f.body,
    })))
}

/// A user function's SQL-standard body as `pg_get_function_sqlbody` prints it: `RETURN`
/// and the expression (operators parenthesized, as `ruleutils.c`'s plain mode), or
/// `BEGIN ATOMIC`, each statement on a line of its own, `END` (the statements as stored,
/// not re-printed as PostgreSQL would).
pub fn user_sql_body(f: &crate::storage::FunctionDef) -> Option<String> {
    use crate::storage::StandardBody;
    match f.standard_body? {
        StandardBody::Return => {
            let e = f.body.strip_prefix("SELECT ").unwrap_or(&f.body);
            Some(format!(
                "RETURN {}",
                crate::system::deparse::expr_in_mode(e, None, false)
            ))
        }
        StandardBody::Atomic => {
            let mut s = "BEGIN ATOMIC\n".to_string();
            for stmt in f.body.split(";\n").filter(|t| !t.trim().is_empty()) {
                s.push(' ');
                s.push_str(&atomic_statement(stmt));
                s.push_str(";\n");
            }
            s.push_str("END");
            Some(s)
        }
    }
}

/// A statement of a `BEGIN ATOMIC` body: a `SELECT` of expressions only (no FROM, no
/// aliases) as `ruleutils.c` prints it (`SELECT (a + b)`), any other as stored.
fn atomic_statement(stmt: &str) -> String {
    use sqlparser::ast;
    let Ok(parsed) = crate::parse::statements(stmt) else {
        return stmt.to_string();
    };
    let [ast::Statement::Query(q)] = parsed.as_slice() else {
        return stmt.to_string();
    };
    let ast::SetExpr::Select(sel) = q.body.as_ref() else {
        return stmt.to_string();
    };
    let plain = q.with.is_none()
        && q.order_by.is_none()
        && q.limit_clause.is_none()
        && sel.from.is_empty()
        && sel.selection.is_none()
        && sel.distinct.is_none()
        && sel.having.is_none();
    let mut items = Vec::new();
    for item in &sel.projection {
        match item {
            ast::SelectItem::UnnamedExpr(e) if plain => items.push(
                crate::system::deparse::expr_in_mode(&e.to_string(), None, false),
            ),
            _ => return stmt.to_string(),
        }
    }
    format!("SELECT {}", items.join(", "))
}

/// `pg_get_function_sqlbody(oid)`: the SQL-standard body of a user function or a built-in;
/// NULL for one defined by a string (and for an unknown OID).
pub fn sql_body(oid: u32) -> Result<Option<String>> {
    if builtin_procs::by_oid(oid).is_some() {
        return Ok(builtin_procs::extra(oid).and_then(|e| e.sql_body.clone()));
    }
    let env = crate::env::catalog()?;
    Ok(env
        .catalog
        .functions
        .iter()
        .find(|f| f.oid == oid)
        .and_then(user_sql_body))
}

/// `pg_get_function_arg_default(oid, n)`: the DEFAULT of the `n`th parameter (1-based, in
/// `proallargtypes` order) when it is an input parameter that has one, else NULL.
pub fn arg_default(oid: u32, n: i64) -> Result<Option<String>> {
    let Some(i) = usize::try_from(n).ok().and_then(|n| n.checked_sub(1)) else {
        return Ok(None);
    };
    if let Some(p) = builtin_procs::by_oid(oid) {
        return Ok(builtin_params(p)
            .get(i)
            .and_then(|a| a.default.map(String::from)));
    }
    let env = crate::env::catalog()?;
    let Some(f) = env.catalog.functions.iter().find(|f| f.oid == oid) else {
        return Ok(None);
    };
    Ok(user_defaults(f).get(i).cloned().flatten())
}

/// Each parameter's DEFAULT of user function `f`, as `pg_get_expr` prints it, in
/// `proallargtypes` order (None for an OUT or table column, or an input without one).
pub fn user_defaults(f: &crate::storage::FunctionDef) -> Vec<Option<String>> {
    let mut defaults = f.args.iter().map(|a| a.default.as_deref());
    super::pg_functions::all_parameters(f)
        .into_iter()
        .map(|(m, _, _)| match m {
            'i' | 'b' => defaults
                .next()
                .flatten()
                .map(|d| crate::system::deparse::expr(d, None)),
            _ => None,
        })
        .collect()
}
