//! CREATE [OR REPLACE] FUNCTION / PROCEDURE, DROP FUNCTION / PROCEDURE / ROUTINE and COMMENT
//! ON FUNCTION / PROCEDURE / ROUTINE (both find the routine as `lookup` does).
//!
//! A SQL function is stored as its body's text with its parameters (names, types, defaults),
//! result type (`RETURNS type`, `RETURNS SETOF type`, `RETURNS TABLE (...)`), volatility and
//! strictness ([`FunctionDef`]); the binder inlines the body where the function is called
//! (`binder/user_function.rs`). A `LANGUAGE plpgsql` function keeps its body's text too,
//! parsed at creation (42601) and interpreted where it is called ([`crate::plpgsql`]); it may
//! return `void` or `trigger`. Other languages (C, internal) are refused with 0A000. A SQL
//! body is parsed at creation (42601 for a syntax error) and must be one query.
//! Functions are identified by name and parameter types: OR REPLACE keeps the OID of the
//! function with the same signature; a second signature is an overload. The creating role
//! owns the routine (OR REPLACE and DROP need its owner). SECURITY DEFINER and the `SET`
//! clauses (`proconfig`) take effect when a PL/pgSQL body runs (`plpgsql::routine_env`); a
//! SQL body is inlined by the binder and runs as its caller. PARALLEL and the form of a
//! SQL-standard body are recorded for `pg_proc` and `pg_get_functiondef` only.

use super::Ddl;
use crate::binder::ident;
use crate::result::StatementResult;
use crate::storage::{Catalog, FunctionArg, FunctionDef, Oid, StandardBody, ViewColumn};
use crate::types::DataType;
use crate::{Error, Result};
use sqlparser::ast;

/// The body's text: `AS 'text'` / `AS $$text$$` / `RETURN expr` / `BEGIN ATOMIC ... END`
/// (its statements, `;`-separated).
fn body_text(c: &ast::CreateFunction) -> Result<String> {
    let text = |e: &ast::Expr| -> Result<String> {
        match e {
            ast::Expr::Value(v) => match &v.value {
                ast::Value::SingleQuotedString(s) => Ok(s.clone()),
                ast::Value::DollarQuotedString(d) => Ok(d.value.clone()),
                _ => Err(Error::SyntaxError(format!("invalid function body {e}"))),
            },
            _ => Err(Error::SyntaxError(format!("invalid function body {e}"))),
        }
    };
    match &c.function_body {
        Some(ast::CreateFunctionBody::AsBeforeOptions { body, .. })
        | Some(ast::CreateFunctionBody::AsAfterOptions(body)) => text(body),
        Some(ast::CreateFunctionBody::Return(e)) => Ok(format!("SELECT {e}")),
        Some(ast::CreateFunctionBody::BeginAtomic(b)) => Ok(b
            .statements
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(";\n")),
        Some(_) => Err(Error::unsupported(
            "this form of function body is not supported",
        )),
        None => Err(Error::InvalidFunctionDefinition(
            "no function body specified".into(),
        )),
    }
}

/// A statement that can give a SQL function its result: a query, or a data-changing
/// statement with RETURNING.
fn returns_rows(stmt: &ast::Statement) -> bool {
    match stmt {
        ast::Statement::Query(_) => true,
        ast::Statement::Insert(i) => i.returning.is_some(),
        ast::Statement::Update(u) => u.returning.is_some(),
        ast::Statement::Delete(d) => d.returning.is_some(),
        _ => false,
    }
}

/// The parameters' types, as a signature.
pub fn signature(args: &[FunctionArg]) -> Vec<DataType> {
    args.iter().map(|a| a.data_type).collect()
}

/// A function's parameters split by mode.
struct Parameters {
    /// IN and INOUT parameters: the call's arguments.
    inputs: Vec<FunctionArg>,
    /// OUT and INOUT parameters: the result's columns.
    outputs: Vec<ViewColumn>,
    /// `proargmodes` when some parameter is OUT / INOUT, else empty.
    modes: String,
}

fn parameters(args: &Option<Vec<ast::OperateFunctionArg>>) -> Result<Parameters> {
    let mut p = Parameters {
        inputs: Vec::new(),
        outputs: Vec::new(),
        modes: String::new(),
    };
    for a in args.iter().flatten() {
        let arg = FunctionArg {
            name: a.name.as_ref().map(ident),
            data_type: DataType::from_sql(&a.data_type)?,
            default: a.default_expr.as_ref().map(|e| e.to_string()),
        };
        let mode = match a.mode {
            Some(ast::ArgMode::Out) => 'o',
            Some(ast::ArgMode::InOut) => 'b',
            _ => 'i',
        };
        p.modes.push(mode);
        if mode != 'i' {
            p.outputs.push(ViewColumn {
                // PostgreSQL names an unnamed OUT parameter's column `column<n>`.
                name: arg
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("column{}", p.outputs.len() + 1)),
                data_type: arg.data_type,
                comment: None,
                acl: None,
            });
        }
        if mode != 'o' {
            p.inputs.push(arg);
        }
    }
    if p.outputs.is_empty() {
        p.modes.clear();
    }
    Ok(p)
}

/// The result type OUT parameters `outputs` give, checked against a declared `RETURNS`
/// (`declared`, `set`): one parameter's type, or `record` for several (42P13 otherwise).
fn out_result(outputs: &[ViewColumn], declared: Option<DataType>) -> Result<DataType> {
    let want = match outputs {
        [one] => one.data_type,
        _ => DataType::Record,
    };
    match declared {
        Some(t) if t != want => Err(Error::InvalidFunctionDefinition(format!(
            "function result type must be {} because of OUT parameters",
            want.name()
        ))),
        _ => Ok(want),
    }
}

/// The function `name` in `schema` taking exactly `types`.
pub fn find<'c>(
    catalog: &'c Catalog,
    schema: Oid,
    name: &str,
    types: &[DataType],
) -> Option<&'c FunctionDef> {
    catalog
        .functions
        .iter()
        .find(|f| f.schema == schema && f.name == name && signature(&f.args) == types)
}

/// CREATE [OR REPLACE] FUNCTION, or PROCEDURE (`procedure`).
pub fn create(ddl: &mut Ddl, c: &ast::CreateFunction, procedure: bool) -> Result<StatementResult> {
    // A SQL-standard body (`BEGIN ATOMIC`, `RETURN expr`) is SQL.
    let standard = matches!(
        c.function_body,
        Some(ast::CreateFunctionBody::BeginAtomic(_) | ast::CreateFunctionBody::Return(_))
    );
    let language = match &c.language {
        Some(l) => Some(ident(l)),
        None if standard => Some("sql".to_string()),
        None => None,
    };
    match language.as_deref() {
        Some("sql" | "plpgsql") => {}
        Some("c" | "internal") => {
            return Err(Error::unsupported(format!(
                "functions in language {} are not supported",
                language.unwrap_or_default()
            )));
        }
        Some(other) => {
            return Err(Error::UndefinedObject(format!(
                "language \"{other}\" does not exist"
            )));
        }
        None => {
            return Err(Error::InvalidFunctionDefinition(
                "no language specified".into(),
            ));
        }
    }
    if procedure && (c.behavior.is_some() || c.called_on_null.is_some() || c.parallel.is_some()) {
        return Err(Error::InvalidFunctionDefinition(
            "invalid attribute in procedure definition".into(),
        ));
    }
    // `pg_temp.f`: the session's temporary schema, made on first use as for a temporary
    // table (Sequelize's findOrCreate writes such a function for each call).
    let (schema, name) = match crate::binder::split_name(&c.name)? {
        (Some(s), _) if s == "pg_temp" => ddl.temp_target(&c.name)?,
        _ => ddl.target(&c.name)?,
    };
    let mut params = parameters(&c.args)?;
    let args = std::mem::take(&mut params.inputs);
    let plpgsql = language.as_deref() == Some("plpgsql");
    let pseudo_return = match &c.return_type {
        Some(ast::FunctionReturnType::DataType(t)) => {
            let n = t.to_string().to_lowercase();
            matches!(n.as_str(), "void" | "trigger").then_some(n)
        }
        _ => None,
    };
    if pseudo_return.as_deref() == Some("trigger") && !plpgsql {
        return Err(Error::InvalidFunctionDefinition(
            "SQL functions cannot return type trigger".into(),
        ));
    }
    let (returns, returns_set, table_columns) = if procedure {
        // `record` with OUT / INOUT parameters, else `void`.
        if params.outputs.is_empty() {
            (DataType::Text, false, Vec::new())
        } else {
            (DataType::Record, false, std::mem::take(&mut params.outputs))
        }
    } else if !params.outputs.is_empty() {
        let (declared, set) = match &c.return_type {
            Some(ast::FunctionReturnType::DataType(ast::DataType::Table(Some(_)))) => {
                return Err(Error::InvalidFunctionDefinition(
                    "OUT and INOUT arguments aren't allowed in TABLE functions".into(),
                ));
            }
            Some(_) if pseudo_return.is_some() => {
                return Err(Error::InvalidFunctionDefinition(format!(
                    "function result type must be {} because of OUT parameters",
                    out_result(&params.outputs, None)?.name()
                )));
            }
            Some(ast::FunctionReturnType::DataType(t)) => (Some(DataType::from_sql(t)?), false),
            Some(ast::FunctionReturnType::SetOf(t)) => (Some(DataType::from_sql(t)?), true),
            None => (None, false),
        };
        let returns = out_result(&params.outputs, declared)?;
        (returns, set, std::mem::take(&mut params.outputs))
    } else {
        match &c.return_type {
            Some(_) if pseudo_return.is_some() => (DataType::Text, false, Vec::new()),
            Some(ast::FunctionReturnType::DataType(ast::DataType::Table(Some(cols)))) => {
                let mut out = Vec::new();
                for col in cols {
                    out.push(ViewColumn {
                        name: ident(&col.name),
                        data_type: DataType::from_sql(&col.data_type)?,
                        comment: None,
                        acl: None,
                    });
                }
                // `record`; the stored type is not used for RETURNS TABLE.
                (DataType::Text, true, out)
            }
            Some(ast::FunctionReturnType::DataType(t)) => {
                (DataType::from_sql(t)?, false, Vec::new())
            }
            Some(ast::FunctionReturnType::SetOf(t)) => (DataType::from_sql(t)?, true, Vec::new()),
            None => {
                return Err(Error::InvalidFunctionDefinition(
                    "function result type must be specified".into(),
                ));
            }
        }
    };
    let pseudo_return = match pseudo_return {
        None if procedure && table_columns.is_empty() => Some("void".to_string()),
        p => p,
    };
    let body = body_text(c)?;
    if procedure && !plpgsql {
        // any statements, run in order by CALL
        crate::parse::parse(&body)?;
    } else if plpgsql && procedure {
        crate::plpgsql::call::check_procedure_body(&body)?;
    } else if plpgsql {
        if pseudo_return.as_deref() == Some("trigger") && !args.is_empty() {
            return Err(Error::InvalidFunctionDefinition(
                "trigger functions cannot have declared arguments".into(),
            ));
        }
        crate::plpgsql::parser::parse(&body)?;
    } else {
        let parsed = crate::parse::statements(&body)?;
        let void = pseudo_return.as_deref() == Some("void");
        if !void && !parsed.last().is_some_and(returns_rows) {
            return Err(Error::Raised(Box::new(crate::error::Raised {
                code: "42P13",
                message: format!(
                    "return type mismatch in function declared to return {}",
                    pseudo_return
                        .clone()
                        .unwrap_or_else(|| returns.name().to_string())
                ),
                detail: Some(
                    "Function's final statement must be SELECT or INSERT/UPDATE/DELETE \
                     RETURNING."
                        .into(),
                ),
                hint: None,
            })));
        }
    }
    let volatility = match c.behavior {
        Some(ast::FunctionBehavior::Immutable) => 'i',
        Some(ast::FunctionBehavior::Stable) => 's',
        _ => 'v',
    };
    let strict = matches!(
        c.called_on_null,
        Some(ast::FunctionCalledOnNull::Strict)
            | Some(ast::FunctionCalledOnNull::ReturnsNullOnNullInput)
    );
    let catalog = ddl.catalog()?;
    let existing = find(&catalog, schema, &name, &signature(&args)).cloned();
    let (set_params, options) = crate::parse::routine_options::take(&c.set_params);
    let config = config_of(&set_params)?;
    let who = crate::privilege::current(&catalog);
    if procedure && !options.is_empty() {
        return Err(Error::InvalidFunctionDefinition(
            "invalid attribute in procedure definition".into(),
        ));
    }
    let mut costs = Costs::default();
    costs.apply(&options, returns_set, &who)?;
    if let Some(old) = &existing
        && c.or_replace
    {
        require_routine_owner(&who, old)?;
    }
    let oid = match &existing {
        Some(old) if c.or_replace && old.procedure != procedure => {
            return Err(Error::Raised(Box::new(crate::error::Raised {
                code: "42809",
                message: "cannot change routine kind".into(),
                detail: Some(format!("\"{name}\" is a {}.", old.kind_word())),
                hint: None,
            })));
        }
        Some(old) if c.or_replace && procedure => {
            let hint = Some(format!(
                "Use DROP PROCEDURE {name}({}) first.",
                args.iter()
                    .map(|a| a.data_type.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            let types = |cols: &[ViewColumn]| cols.iter().map(|c| c.data_type).collect::<Vec<_>>();
            let (message, detail) = if old.table_columns.is_empty() != table_columns.is_empty() {
                (
                    "cannot change whether a procedure has output parameters",
                    None,
                )
            } else if types(&old.table_columns) != types(&table_columns) {
                (
                    "cannot change return type of existing function",
                    Some("Row type defined by OUT parameters is different.".to_string()),
                )
            } else {
                ("", None)
            };
            if !message.is_empty() {
                return Err(Error::Raised(Box::new(crate::error::Raised {
                    code: "42P13",
                    message: message.into(),
                    detail,
                    hint,
                })));
            }
            old.oid
        }
        Some(old) if c.or_replace => {
            if old.returns != returns
                || old.returns_set != returns_set
                || old.pseudo_return != pseudo_return
            {
                return Err(Error::InvalidFunctionDefinition(
                    "cannot change return type of existing function".into(),
                ));
            }
            old.oid
        }
        Some(_) => {
            return Err(Error::DuplicateFunction(format!(
                "function \"{name}\" already exists with same argument types"
            )));
        }
        None => ddl.txn.new_oid()?,
    };
    ddl.txn.put_function(FunctionDef {
        oid,
        schema,
        name,
        args,
        returns,
        returns_set,
        table_columns,
        body,
        volatility,
        strict,
        comment: existing.as_ref().and_then(|e| e.comment.clone()),
        language: plpgsql.then(|| "plpgsql".to_string()),
        pseudo_return,
        arg_modes: params.modes,
        procedure,
        parallel: match c.parallel {
            Some(ast::FunctionParallel::Safe) => 's',
            Some(ast::FunctionParallel::Restricted) => 'r',
            _ => 'u',
        },
        security_definer: matches!(c.security, Some(ast::FunctionSecurity::Definer)),
        owner: existing.as_ref().map_or(who.oid, |e| e.owner),
        config,
        cost: costs.cost,
        rows: costs.rows,
        leakproof: costs.leakproof,
        standard_body: match c.function_body {
            Some(ast::CreateFunctionBody::Return(_)) => Some(StandardBody::Return),
            Some(ast::CreateFunctionBody::BeginAtomic(_)) => Some(StandardBody::Atomic),
            _ => None,
        },
    })?;
    Ok(StatementResult::command(if procedure {
        "CREATE PROCEDURE"
    } else {
        "CREATE FUNCTION"
    }))
}

/// 42501 `must be owner of function f` unless the current role owns `def` (or is a
/// superuser).
pub(crate) fn require_routine_owner(who: &crate::privilege::Who, def: &FunctionDef) -> Result<()> {
    if who.superuser || who.acts_as(def.owner) {
        return Ok(());
    }
    Err(Error::InsufficientPrivilege(format!(
        "must be owner of {} {}",
        def.kind_word(),
        def.name
    )))
}

/// A routine's COST, ROWS and LEAKPROOF.
#[derive(Debug, Default)]
pub(crate) struct Costs {
    pub cost: Option<f32>,
    pub rows: Option<f32>,
    pub leakproof: bool,
}

impl Costs {
    /// The current values of `def`.
    pub fn of(def: &FunctionDef) -> Costs {
        Costs {
            cost: def.cost,
            rows: def.rows,
            leakproof: def.leakproof,
        }
    }

    /// Applies the options given, checked as PostgreSQL checks them (22023 for a cost or
    /// row count that is not positive or ROWS of a function returning no set, 42501 for
    /// LEAKPROOF by a role that is not a superuser).
    pub fn apply(
        &mut self,
        o: &crate::parse::routine_options::Options,
        returns_set: bool,
        who: &crate::privilege::Who,
    ) -> Result<()> {
        let number = |raw: &str, what: &str| -> Result<f32> {
            let n: f64 = raw
                .parse()
                .map_err(|_| Error::SyntaxError(format!("syntax error at or near \"{raw}\"")))?;
            if n <= 0.0 {
                return Err(Error::InvalidParameterValue(format!(
                    "{what} must be positive"
                )));
            }
            Ok(n as f32)
        };
        if let Some(raw) = &o.cost {
            self.cost = Some(number(raw, "COST")?);
        }
        if let Some(raw) = &o.rows {
            let n = number(raw, "ROWS")?;
            if !returns_set {
                return Err(Error::InvalidParameterValue(
                    "ROWS is not applicable when function does not return a set".into(),
                ));
            }
            self.rows = Some(n);
        }
        if let Some(l) = o.leakproof {
            if l && !who.superuser {
                return Err(Error::InsufficientPrivilege(
                    "only superuser can define a leakproof function".into(),
                ));
            }
            self.leakproof = l;
        }
        Ok(())
    }
}

/// `proconfig` from a routine's `SET name { TO | = } value | FROM CURRENT` clauses:
/// `Name=value` entries, each value checked and flattened as SET does (a later clause for
/// the same parameter replaces an earlier one; `= DEFAULT` removes it).
pub(crate) fn config_of(params: &[ast::FunctionDefinitionSetParam]) -> Result<Vec<String>> {
    let mut config = Vec::new();
    for p in params {
        let name = super::role::parameter_name(&p.name);
        let value = match &p.value {
            ast::FunctionSetValue::Default => None,
            ast::FunctionSetValue::FromCurrent => {
                Some(crate::env::with(|e| e.session.settings().show(&name))?)
            }
            ast::FunctionSetValue::Values(list) => {
                crate::session::settings_commands::flatten(list, &name)?
            }
        };
        set_entry(&mut config, &name, value)?;
    }
    Ok(config)
}

/// Sets (`Some`) or removes `name` in `config` (`proconfig` entries), checked as SET checks
/// it; a new name goes last.
pub(crate) fn set_entry(config: &mut Vec<String>, name: &str, value: Option<String>) -> Result<()> {
    let mut settings: Vec<crate::storage::catalog::RoleSetting> = config
        .iter()
        .map(|e| {
            let (n, v) = e.split_once('=').unwrap_or((e.as_str(), ""));
            crate::storage::catalog::RoleSetting {
                database: None,
                name: n.to_string(),
                value: v.to_string(),
            }
        })
        .collect();
    super::role::set_config(&mut settings, None, name, value)?;
    *config = settings
        .into_iter()
        .map(|s| format!("{}={}", s.name, s.value))
        .collect();
    Ok(())
}

/// An error with PostgreSQL's SQLSTATE `code`, message and HINT.
fn raised(code: &'static str, message: String, hint: Option<String>) -> Error {
    Error::Raised(Box::new(crate::error::Raised {
        code,
        message,
        detail: None,
        hint,
    }))
}

/// DROP FUNCTION | PROCEDURE | ROUTINE [IF EXISTS] name [(types)], ...: `procedure` is
/// `Some(false)` for FUNCTION, `Some(true)` for PROCEDURE, `None` for ROUTINE (either).
/// A procedure's argument list may name its OUT parameters' types too.
pub fn drop(
    ddl: &mut Ddl,
    d: &ast::DropFunction,
    procedure: Option<bool>,
) -> Result<StatementResult> {
    let word = match procedure {
        Some(false) => "function",
        Some(true) => "procedure",
        None => "routine",
    };
    let catalog = ddl.catalog()?;
    for f in &d.func_desc {
        let Lookup {
            name,
            inputs,
            all,
            found,
        } = lookup(&catalog, &ddl.search_path, f, procedure)?;
        let shown = |types: &[DataType]| shown(&name, types);
        match found.as_slice() {
            [one] if procedure.is_some_and(|p| p != one.procedure) => {
                return Err(raised(
                    "42809",
                    format!("{} is not a {word}", shown(&all)),
                    None,
                ));
            }
            [one] => {
                require_routine_owner(&crate::privilege::current(&catalog), one)?;
                let users = super::trigger::users_of(&catalog, one.oid);
                if !users.is_empty() {
                    let shown = format!("{}()", one.name);
                    if !matches!(d.drop_behavior, Some(ast::DropBehavior::Cascade)) {
                        let lines: Vec<String> = users
                            .iter()
                            .map(|(t, g)| {
                                format!(
                                    "trigger {g} on table {} depends on function {shown}",
                                    t.name
                                )
                            })
                            .collect();
                        return Err(Error::DependentObjectsStillExist {
                            message: format!(
                                "cannot drop function {shown} because other objects depend on it"
                            ),
                            detail: lines.join("\n"),
                        });
                    }
                    for (mut t, g) in users {
                        crate::notice::emit(crate::notice::Notice::new(
                            "00000",
                            format!("drop cascades to trigger {g} on table {}", t.name),
                        ));
                        let current = ddl.catalog()?;
                        if let Some(latest) = current.table_by_id(t.id) {
                            t = latest.clone();
                        }
                        t.triggers.retain(|x| x.name != g);
                        ddl.txn.alter_table(t)?;
                    }
                }
                ddl.txn.drop_function(one.oid)?
            }
            [] if d.if_exists => {
                let args = f.args.iter().flatten();
                let written: Vec<String> = args
                    .map(|a| crate::types::names::as_written(&a.data_type))
                    .collect();
                crate::notice::emit(crate::notice::Notice::new(
                    "00000",
                    format!(
                        "{word} {name}({}) does not exist, skipping",
                        written.join(",")
                    ),
                ));
            }
            [] => {
                let word = if procedure == Some(true) {
                    "procedure"
                } else {
                    "function"
                };
                return Err(raised(
                    "42883",
                    match &inputs {
                        Some(_) => format!("{word} {} does not exist", shown(&all)),
                        None => format!("could not find a {word} named \"{name}\""),
                    },
                    None,
                ));
            }
            _ => {
                return Err(raised(
                    "42725",
                    format!("{word} name \"{name}\" is not unique"),
                    Some(format!(
                        "Specify the argument list to select the {word} unambiguously."
                    )),
                ));
            }
        }
    }
    Ok(StatementResult::command(match procedure {
        Some(false) => "DROP FUNCTION",
        Some(true) => "DROP PROCEDURE",
        None => "DROP ROUTINE",
    }))
}

/// The routines `f` names: its name, the types given (the IN / INOUT ones, and every one,
/// OUT too) and the user functions that match.
struct Lookup<'c> {
    /// As written: `schema.name` or `name` (how PostgreSQL's messages name it).
    name: String,
    inputs: Option<Vec<DataType>>,
    all: Vec<DataType>,
    found: Vec<&'c FunctionDef>,
}

fn lookup<'c>(
    catalog: &'c Catalog,
    search_path: &[Oid],
    f: &ast::FunctionDesc,
    procedure: Option<bool>,
) -> Result<Lookup<'c>> {
    let (schema, name) = crate::binder::split_name(&f.name)?;
    let schemas: Vec<Oid> = match &schema {
        Some(s) => match catalog.schema(s) {
            Some(s) => vec![s.oid],
            None => Vec::new(),
        },
        None => search_path.to_vec(),
    };
    let (inputs, all) = match &f.args {
        Some(a) => {
            let mut inputs = Vec::new();
            let mut all = Vec::new();
            for arg in a {
                let t = DataType::from_sql(&arg.data_type)?;
                if !matches!(arg.mode, Some(ast::ArgMode::Out)) {
                    inputs.push(t);
                }
                all.push(t);
            }
            (Some(inputs), all)
        }
        None => (None, Vec::new()),
    };
    let found: Vec<&FunctionDef> = catalog
        .functions
        .iter()
        .filter(|x| schemas.contains(&x.schema) && x.name == name)
        .filter(|x| match &inputs {
            None => procedure.is_none_or(|p| p == x.procedure),
            Some(t) => {
                signature(&x.args) == *t
                    || (x.procedure
                        && procedure != Some(false)
                        && crate::expr::pg_functions::all_parameters(x)
                            .iter()
                            .map(|(_, _, ty)| *ty)
                            .eq(all.iter().copied()))
            }
        })
        .collect();
    Ok(Lookup {
        name: match schema {
            Some(s) => format!("{s}.{name}"),
            None => name,
        },
        inputs,
        all,
        found,
    })
}

/// `name(type, ...)` as PostgreSQL's messages show a routine.
fn shown(name: &str, types: &[DataType]) -> String {
    format!(
        "{name}({})",
        types
            .iter()
            .map(|t| t.name())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// COMMENT ON FUNCTION | PROCEDURE | ROUTINE name[(types)] IS 'text' | NULL (`procedure`
/// as for [`drop`]).
pub fn comment(
    ddl: &mut Ddl,
    f: &ast::FunctionDesc,
    procedure: Option<bool>,
    text: Option<&str>,
) -> Result<StatementResult> {
    let catalog = ddl.catalog()?;
    let mut def = resolve(&catalog, &ddl.search_path, f, procedure)?;
    def.comment = text.filter(|t| !t.is_empty()).map(str::to_string);
    ddl.txn.put_function(def)?;
    Ok(StatementResult::command("COMMENT"))
}

/// The one routine `name[(types)]` names (`procedure` as for [`drop`]), with PostgreSQL's
/// errors: 42809 of the wrong kind, 42883 none, 42725 several.
pub(crate) fn resolve(
    catalog: &Catalog,
    search_path: &[Oid],
    f: &ast::FunctionDesc,
    procedure: Option<bool>,
) -> Result<FunctionDef> {
    let word = if procedure == Some(true) {
        "procedure"
    } else {
        "function"
    };
    let Lookup {
        name,
        inputs,
        all,
        found,
    } = lookup(catalog, search_path, f, procedure)?;
    match found.as_slice() {
        [one] if procedure.is_some_and(|p| p != one.procedure) => Err(raised(
            "42809",
            format!("{} is not a {word}", shown(&name, &all)),
            None,
        )),
        [one] => Ok((*one).clone()),
        [] => Err(raised(
            "42883",
            match &inputs {
                Some(_) => format!("{word} {} does not exist", shown(&name, &all)),
                None => format!("could not find a {word} named \"{name}\""),
            },
            None,
        )),
        _ => Err(raised(
            "42725",
            format!("{word} name \"{name}\" is not unique"),
            Some(format!(
                "Specify the argument list to select the {word} unambiguously."
            )),
        )),
    }
}

/// `DO [LANGUAGE plpgsql] 'body'`.
pub fn run_do(ddl: &mut Ddl, body: &str, language: &Option<String>) -> Result<StatementResult> {
    match language.as_deref() {
        None | Some("plpgsql") => {}
        Some("sql" | "c" | "internal") => {
            return Err(Error::unsupported(format!(
                "language \"{}\" does not support inline code execution",
                language.as_deref().unwrap_or_default()
            )));
        }
        Some(other) => {
            return Err(Error::UndefinedObject(format!(
                "language \"{other}\" does not exist"
            )));
        }
    }
    crate::plpgsql::run_do(&mut *ddl.txn, body)?;
    Ok(StatementResult::command("DO"))
}
