//! Named (`f(name => v)`) and defaulted arguments of built-in functions.
//!
//! A call of a built-in is rewritten to the positional call PostgreSQL would make: named
//! arguments go to the parameter of that name in the function's `pg_proc` signature
//! ([`crate::system::builtin_procs`]), and parameters left out take the function's default
//! ([`DEFAULTS`], PostgreSQL's `proargdefaults`), so `make_interval(days => 3)` is
//! `make_interval(0, 0, 0, 3, 0, 0, 0.0)`. A built-in without defaults that is called
//! positionally is left alone. A user's SQL or PL/pgSQL function called with named
//! arguments is made positional the same way, from its parameters' names and DEFAULT
//! expressions. A named argument that no function of the name takes is 42883, as
//! PostgreSQL reports it (`function f(x => integer) does not exist`).
//!
//! Invariant: the rewritten call has only positional arguments, so the binder's later
//! steps never see a name (they would otherwise read a named argument by position).

use super::Binder;
use super::expr::ExprCtx;
use crate::system::builtin_procs::{self, BuiltinProc};
use crate::{Error, Result};
use sqlparser::ast;

/// PostgreSQL's defaults of the built-in functions Strata lists that have any, per
/// parameter from the first defaulted one on.
const DEFAULTS: &[(&str, &[&str])] = &[
    ("make_interval", &["0", "0", "0", "0", "0", "0", "0.0"]),
    ("jsonb_set", &["true"]),
    ("jsonb_insert", &["false"]),
    ("jsonb_set_lax", &["true", "'use_json_null'"]),
    ("jsonb_path_exists", JSONB_PATH),
    ("jsonb_path_match", JSONB_PATH),
    ("jsonb_path_query", JSONB_PATH),
    ("jsonb_path_query_array", JSONB_PATH),
    ("jsonb_path_query_first", JSONB_PATH),
    ("jsonb_path_exists_tz", JSONB_PATH),
    ("jsonb_path_match_tz", JSONB_PATH),
    ("jsonb_path_query_tz", JSONB_PATH),
    ("jsonb_path_query_array_tz", JSONB_PATH),
    ("jsonb_path_query_first_tz", JSONB_PATH),
];

/// `vars` and `silent` of the SQL/JSON path functions.
const JSONB_PATH: &[&str] = &["'{}'", "false"];

fn defaults_of(name: &str) -> Option<&'static [&'static str]> {
    DEFAULTS.iter().find(|d| d.0 == name).map(|d| d.1)
}

fn default_expr(sql: &str) -> ast::Expr {
    let value = match sql {
        "true" => ast::Value::Boolean(true),
        "false" => ast::Value::Boolean(false),
        s if s.starts_with('\'') => {
            ast::Value::SingleQuotedString(s.trim_matches('\'').to_string())
        }
        s => ast::Value::Number(s.to_string(), false),
    };
    ast::Expr::Value(value.into())
}

/// The argument list of call `f`, when it is a list.
fn arg_list(f: &ast::Function) -> Option<&ast::FunctionArgumentList> {
    match &f.args {
        ast::FunctionArguments::List(list) => Some(list),
        _ => None,
    }
}

fn arg_name(a: &ast::FunctionArg) -> Option<String> {
    match a {
        ast::FunctionArg::Named { name, .. } => Some(super::ident(name)),
        ast::FunctionArg::ExprNamed {
            name: ast::Expr::Identifier(i),
            ..
        } => Some(super::ident(i)),
        _ => None,
    }
}

fn arg_expr(a: &ast::FunctionArg) -> &ast::FunctionArgExpr {
    match a {
        ast::FunctionArg::Unnamed(x)
        | ast::FunctionArg::Named { arg: x, .. }
        | ast::FunctionArg::ExprNamed { arg: x, .. } => x,
    }
}

/// A callable's parameters as named notation needs them: names (`None`: unnamed), and
/// the defaults of the trailing parameters that have one.
struct Signature {
    names: Vec<Option<String>>,
    /// Parameter `names.len() - defaults.len() + i` defaults to `defaults[i]`.
    defaults: Vec<ast::Expr>,
}

impl Signature {
    fn builtin(p: &BuiltinProc, defaults: &[&str]) -> Option<Signature> {
        let n = usize::try_from(p.nargs).ok()?;
        let d = usize::try_from(p.nargdefaults).ok()?;
        let names = match &p.arg_names {
            Some(v) => v.iter().take(n).map(|s| Some(s.to_string())).collect(),
            None => vec![None; n],
        };
        let defaults = defaults
            .iter()
            .take(d)
            .map(|s| default_expr(s))
            .collect::<Vec<_>>();
        (defaults.len() == d).then_some(Signature { names, defaults })
    }

    fn user(def: &crate::storage::FunctionDef) -> Option<Signature> {
        let names = def.args.iter().map(|a| a.name.clone()).collect();
        let first = def.args.iter().position(|a| a.default.is_some());
        let defaults = match first {
            None => Vec::new(),
            Some(i) => def.args[i..]
                .iter()
                .map(|a| crate::parse::expression(a.default.as_deref()?).ok())
                .collect::<Option<Vec<_>>>()?,
        };
        Some(Signature { names, defaults })
    }

    /// The positional arguments of `args` for this signature, or `None` when it does not
    /// take them (a name it lacks, a parameter given twice, too few or too many).
    fn place(&self, args: &[ast::FunctionArg]) -> Option<Vec<ast::FunctionArg>> {
        let n = self.names.len();
        if args.len() > n {
            return None;
        }
        let mut slots: Vec<Option<ast::FunctionArgExpr>> = vec![None; n];
        for (i, a) in args.iter().enumerate() {
            let at = match arg_name(a) {
                None => i,
                Some(name) => self
                    .names
                    .iter()
                    .position(|x| x.as_deref() == Some(name.as_str()))?,
            };
            if slots[at].replace(arg_expr(a).clone()).is_some() {
                return None;
            }
        }
        let first_default = n - self.defaults.len();
        slots
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                let x = match s {
                    Some(x) => x,
                    None if i >= first_default => {
                        ast::FunctionArgExpr::Expr(self.defaults[i - first_default].clone())
                    }
                    None => return None,
                };
                Some(ast::FunctionArg::Unnamed(x))
            })
            .collect()
    }
}

impl Binder {
    /// `f` with its built-in's named and defaulted arguments made positional (see the
    /// module docs), or `None` to bind `f` as written.
    pub(super) fn positional_call(
        &mut self,
        name: &str,
        f: &ast::Function,
        ctx: &mut ExprCtx,
    ) -> Result<Option<ast::Function>> {
        let Some(list) = arg_list(f) else {
            return Ok(None);
        };
        let named = list.args.iter().any(|a| arg_name(a).is_some());
        let defaults = defaults_of(name);
        if !named && defaults.is_none() {
            return Ok(None);
        }
        // A user's function of the name takes named arguments its own way: by its
        // parameters' names and defaults. (Built-ins are only called positionally there.)
        let users: Vec<Signature> = if named {
            self.catalog
                .functions
                .iter()
                .filter(|u| u.name == name)
                .filter_map(Signature::user)
                .collect()
        } else {
            Vec::new()
        };
        let builtins = builtin_procs::all()
            .iter()
            .filter(|p| p.name == name)
            .filter_map(|p| Signature::builtin(p, defaults.unwrap_or_default()));
        let placed = users
            .iter()
            .filter_map(|s| s.place(&list.args))
            .next()
            .or_else(|| builtins.filter_map(|s| s.place(&list.args)).next());
        match placed {
            // Nothing to change: a full positional call.
            Some(args) if !named && args.len() == list.args.len() => Ok(None),
            Some(args) => {
                let mut call = f.clone();
                if let ast::FunctionArguments::List(l) = &mut call.args {
                    l.args = args;
                }
                Ok(Some(call))
            }
            None if named => {
                let mut shown = Vec::new();
                for a in &list.args {
                    let ty = match arg_expr(a) {
                        ast::FunctionArgExpr::Expr(x) => self.bind_expr(x, ctx)?.1.name(),
                        other => other.to_string(),
                    };
                    shown.push(match arg_name(a) {
                        Some(n) => format!("{n} => {ty}"),
                        None => ty,
                    });
                }
                Err(Error::UndefinedFunction(format!(
                    "function {name}({}) does not exist",
                    shown.join(", ")
                )))
            }
            None => Ok(None),
        }
    }

    /// The arguments of a built-in set-returning call in FROM made positional, as
    /// [`Binder::positional_call`] does in expressions (built-ins only; `None`: none of
    /// the function's signatures takes them).
    pub(super) fn positional_from_args(
        &self,
        name: &str,
        args: &[ast::FunctionArg],
    ) -> Option<Vec<ast::FunctionArg>> {
        if !args.iter().any(|a| arg_name(a).is_some()) && defaults_of(name).is_none() {
            return Some(args.to_vec());
        }
        builtin_procs::all()
            .iter()
            .filter(|p| p.name == name)
            .filter_map(|p| Signature::builtin(p, defaults_of(name).unwrap_or_default()))
            .find_map(|s| s.place(args))
    }
}
