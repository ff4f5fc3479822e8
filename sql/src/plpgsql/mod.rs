//! PL/pgSQL: functions (`CREATE FUNCTION ... LANGUAGE plpgsql`), `DO` blocks and trigger
//! functions, interpreted.
//!
//! * [`parser`] turns a body's text into a [`ast::Block`] — a pure function over the text
//!   ([`lexer`] tokens; expressions and embedded SQL stay text, cut out by span). Bodies are
//!   parsed at CREATE FUNCTION (42601 there) and cached per thread by their text.
//! * [`exec`] runs the block over the calling statement's transaction: every expression is
//!   `SELECT expr` and every embedded statement runs through the session's statement
//!   machinery ([`crate::session::run_nested`]) with the variables it names bound as `$n`
//!   parameters ([`vars`]). Each starts a new statement of the transaction, so it sees the
//!   writes before it. A block with EXCEPTION marks a savepoint and rolls back to it when a
//!   handler catches an error.
//! * [`raise`] formats RAISE; notices reach the client through [`crate::notice`].
//!
//! A function is called from an expression as `Function::Routine` (the binder resolves the
//! name, `binder/user_function.rs`); the executor's context lends the statement's
//! transaction to the call ([`crate::executor::Context::call_routine`]). Calls nest at most
//! [`MAX_DEPTH`] deep (54001 past it).

pub mod ast;
pub mod conditions;
pub mod conflict;
pub mod exec;
pub mod lexer;
pub mod parser;
pub mod raise;
pub mod routine_env;
pub mod sql_routine;
pub mod trigger;
pub mod vars;

use crate::storage::{FunctionDef, Relation, Txn};
use crate::types::{DataType, Value};
use crate::{Error, Result};
use exec::{Interp, Returns};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use vars::{Rec, Slot, Var};

pub use exec::{call, raised};

/// Calls nested deeper than this fail with 54001 (PostgreSQL's stack depth limit).
pub const MAX_DEPTH: usize = 24;

thread_local! {
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    static PARSED: RefCell<HashMap<String, Rc<ast::Block>>> = RefCell::new(HashMap::new());
}

/// The parsed body, from the per-thread cache.
pub fn parsed(body: &str) -> Result<Rc<ast::Block>> {
    if let Some(b) = PARSED.with(|p| p.borrow().get(body).cloned()) {
        return Ok(b);
    }
    let b = Rc::new(parser::parse(body)?);
    PARSED.with(|p| {
        let mut p = p.borrow_mut();
        if p.len() > 256 {
            p.clear();
        }
        p.insert(body.to_string(), b.clone());
    });
    Ok(b)
}

/// Runs `f` one call deeper.
pub(crate) fn nested<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    let d = DEPTH.with(|d| d.get());
    if d >= MAX_DEPTH {
        return Err(Error::Raised(Box::new(crate::error::Raised {
            code: "54001",
            message: "stack depth limit exceeded".into(),
            detail: None,
            hint: Some("Increase the configuration parameter \"max_stack_depth\" (currently 2048kB), after ensuring the platform's stack depth limit is adequate.".into()),
        })));
    }
    DEPTH.with(|c| c.set(d + 1));
    let r = f();
    DEPTH.with(|c| c.set(d));
    r
}

/// What `def` returns, as the interpreter sees it.
pub fn returns_of(def: &FunctionDef) -> Returns {
    match def.pseudo_return.as_deref() {
        Some("void") => return Returns::Void,
        Some("trigger") => return Returns::Trigger,
        _ => {}
    }
    if def.returns_set {
        if let DataType::Composite(oid) = def.returns
            && def.table_columns.is_empty()
            && let Some(t) = crate::types::record::lookup(oid)
        {
            // SETOF a row type: one column per field
            Returns::Set(t.fields.iter().map(|(_, ty)| *ty).collect())
        } else if def.table_columns.is_empty() {
            Returns::Set(vec![def.returns])
        } else {
            Returns::Set(def.table_columns.iter().map(|c| c.data_type).collect())
        }
    } else if def.has_out_params() {
        Returns::Out(def.table_columns.iter().map(|c| c.data_type).collect())
    } else {
        Returns::Value(def.returns)
    }
}

/// The outermost scope: the parameters (labeled with the function's name) and FOUND.
fn declare_params(it: &mut Interp, def: &FunctionDef, args: Vec<Value>) -> Result<()> {
    it.scopes.push(Some(def.name.clone()));
    declare_found(it);
    for (i, a) in def.args.iter().enumerate() {
        let v = args.get(i).cloned().unwrap_or(Value::Null);
        let name = a.name.clone().unwrap_or_else(|| format!("${}", i + 1));
        it.scopes.declare(Var {
            name,
            slot: Slot::Scalar {
                ty: a.data_type,
                value: v,
            },
            constant: false,
            not_null: false,
        });
        let vi = it.scopes.scopes[0].vars.len() - 1;
        it.scopes.params.push((0, vi));
    }
    // OUT / INOUT parameters and RETURNS TABLE columns are variables too (NULL at first;
    // an INOUT one is its IN parameter).
    let modes: Vec<char> = if def.has_out_params() {
        def.arg_modes.chars().collect()
    } else {
        vec!['t'; def.table_columns.len()]
    };
    let (mut input, mut output) = (0, 0);
    for m in modes {
        match m {
            'i' => input += 1,
            'b' => {
                it.out_vars.push(it.scopes.params[input]);
                input += 1;
                output += 1;
            }
            _ => {
                let Some(c) = def.table_columns.get(output) else {
                    break;
                };
                it.scopes.declare(Var {
                    name: c.name.clone(),
                    slot: Slot::Scalar {
                        ty: c.data_type,
                        value: Value::Null,
                    },
                    constant: false,
                    not_null: false,
                });
                it.out_vars.push((0, it.scopes.scopes[0].vars.len() - 1));
                output += 1;
            }
        }
    }
    Ok(())
}

pub(crate) fn declare_found(it: &mut Interp) {
    it.scopes.declare(Var {
        name: "found".into(),
        slot: Slot::Scalar {
            ty: DataType::Bool,
            value: Value::Bool(false),
        },
        constant: false,
        not_null: false,
    });
}

/// Runs the body; 2F005 when a function with a result falls off its end.
fn run_body(it: &mut Interp, body: &ast::Block) -> Result<()> {
    match it.block(body)? {
        exec::Flow::Return | exec::Flow::Normal => {}
        exec::Flow::Exit(_) | exec::Flow::Continue(_) => {
            return Err(Error::SyntaxError(
                "EXIT cannot be used outside a loop, unless it has a label".into(),
            ));
        }
    }
    Ok(())
}

/// Calls scalar (or void) PL/pgSQL function `def` with `args` (of its parameter types); a
/// SQL function that runs as a routine goes to [`sql_routine`].
pub fn call(txn: &mut dyn Txn, def: &FunctionDef, args: Vec<Value>) -> Result<Value> {
    if !def.is_plpgsql() {
        return sql_routine::call(txn, def, args);
    }
    let body = parsed(&def.body)?;
    routine_env::run(def, || {
        nested(|| {
            let returns = returns_of(def);
            if matches!(returns, Returns::Trigger) {
                return Err(Error::FeatureNotSupported(
                    "trigger functions can only be called as triggers".into(),
                ));
            }
            let mut it = Interp::new(txn, returns.clone());
            it.conflict = body.conflict;
            declare_params(&mut it, def, args)?;
            run_body(&mut it, &body).map_err(|e| in_function(e, def))?;
            match returns {
                Returns::Void => Ok(Value::Text(String::new())),
                Returns::Out(types) => out_result(&it, types),
                Returns::Value(_) => it.result.take().ok_or_else(|| {
                    in_function(
                        raised("2F005", "control reached end of function without RETURN"),
                        def,
                    )
                }),
                _ => Err(Error::unsupported(format!(
                    "set-returning function {}() is supported only in FROM",
                    def.name
                ))),
            }
        })
    })
}

/// Calls set-returning PL/pgSQL function `def`: its rows.
pub fn call_set(
    txn: &mut dyn Txn,
    def: &FunctionDef,
    args: Vec<Value>,
    columns: Option<&[DataType]>,
) -> Result<Vec<Vec<Value>>> {
    if !def.is_plpgsql() {
        return sql_routine::call_set(txn, def, args, columns);
    }
    let body = parsed(&def.body)?;
    routine_env::run(def, || {
        nested(|| {
            let returns = match columns {
                Some(c) => Returns::Set(c.to_vec()),
                None => returns_of(def),
            };
            let mut it = Interp::new(txn, returns);
            it.conflict = body.conflict;
            it.exact_rows = columns.is_some();
            declare_params(&mut it, def, args)?;
            run_body(&mut it, &body).map_err(|e| in_function(e, def))?;
            if let Returns::Out(_) = &it.returns {
                // a function with OUT parameters called in FROM: one row of them
                return Ok(vec![it.out_values()?]);
            }
            Ok(std::mem::take(&mut it.rows))
        })
    })
}

/// The result of a function with OUT parameters: the one's value, or a record of them.
fn out_result(it: &Interp, types: Vec<DataType>) -> Result<Value> {
    let mut values = it.out_values()?;
    if values.len() == 1 {
        return Ok(values.pop().unwrap_or(Value::Null));
    }
    Ok(Value::Record(Box::new(crate::types::Record {
        types: types.into(),
        values,
        type_oid: 0,
    })))
}

/// Runs a `DO` block.
pub fn run_do(txn: &mut dyn Txn, body: &str) -> Result<()> {
    let block = parsed(body)?;
    let non_atomic = exec::call::take_mark();
    nested(|| {
        let mut it = Interp::new(txn, Returns::Void);
        it.conflict = block.conflict;
        it.scopes.push(None);
        declare_found(&mut it);
        exec::call::body_context(non_atomic, || run_body(&mut it, &block))
            .map_err(|e| e.with_context("PL/pgSQL function inline_code_block"))
    })
}

/// `e` with a CONTEXT line naming the function (PostgreSQL adds the line and statement).
fn in_function(e: Error, def: &FunctionDef) -> Error {
    if e.context().is_some() {
        return e;
    }
    let types: Vec<String> = def
        .args
        .iter()
        .map(|a| a.data_type.name().to_string())
        .collect();
    e.with_context(format!(
        "PL/pgSQL function {}({})",
        def.name,
        types.join(",")
    ))
}

/// A `table%ROWTYPE` record of NULLs.
pub fn rowtype(txn: &dyn Txn, table: &str) -> Result<Rec> {
    let catalog = txn.catalog()?;
    let (schema, name) = match table.split_once('.') {
        Some((s, n)) => (Some(s.trim()), n.trim()),
        None => (None, table.trim()),
    };
    let path = search_path(&catalog);
    match catalog.resolve(schema, name, &path)? {
        Some(Relation::Table(t)) => Ok(Rec {
            names: t.columns.iter().map(|c| c.name.clone()).collect(),
            types: t.columns.iter().map(|c| c.data_type).collect(),
            values: vec![Value::Null; t.columns.len()],
            type_oid: t.id,
            null: false,
        }),
        _ => Err(Error::UndefinedTable(table.to_string())),
    }
}

/// The type of `table.column` (`%TYPE`).
pub fn column_type(txn: &dyn Txn, parts: &[String]) -> Result<DataType> {
    let [table @ .., column] = parts else {
        return Err(Error::SyntaxError("invalid type name".into()));
    };
    if table.is_empty() {
        return Err(Error::SyntaxError(format!(
            "variable \"{column}\" does not exist"
        )));
    }
    let rec = rowtype(txn, &table.join("."))?;
    rec.names
        .iter()
        .position(|n| n == column)
        .map(|i| rec.types[i])
        .ok_or_else(|| Error::UndefinedColumn(format!("{}.{column}", table.join("."))))
}

/// The statement's search path (from its environment, or the default one).
pub fn search_path(catalog: &crate::storage::Catalog) -> Vec<crate::storage::Oid> {
    match crate::env::catalog() {
        Ok(c) => c.search_path.clone(),
        Err(_) => crate::binder::search_path(catalog, "public", "postgres"),
    }
}

#[cfg(test)]
mod tests {
    use crate::Session;
    use crate::memory::MemoryStorage;
    use crate::notice::Severity;

    fn run(s: &mut Session<MemoryStorage>, sql: &str) -> crate::StatementResult {
        s.execute(sql)
            .pop()
            .expect("one result")
            .expect("statement runs")
    }

    #[test]
    fn raise_notice_reaches_the_client() {
        let mut s = Session::new(MemoryStorage::new());
        let r = run(
            &mut s,
            "DO $$ BEGIN RAISE NOTICE 'n = %', 1 + 1; RAISE WARNING 'w' USING DETAIL = 'd'; \
             RAISE INFO 'i'; RAISE DEBUG 'hidden'; END $$",
        );
        let got: Vec<(Severity, &str, Option<&str>)> = r
            .notices
            .iter()
            .map(|n| (n.severity, n.message.as_str(), n.detail.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (Severity::Notice, "n = 2", None),
                (Severity::Warning, "w", Some("d")),
                (Severity::Info, "i", None),
            ]
        );
    }

    #[test]
    fn notices_from_functions_and_triggers() {
        let mut s = Session::new(MemoryStorage::new());
        run(&mut s, "CREATE TABLE t (a int)");
        run(
            &mut s,
            "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE NOTICE '% %', TG_OP, NEW.a; RETURN NEW; END $$",
        );
        run(
            &mut s,
            "CREATE TRIGGER g BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
        );
        let r = run(&mut s, "INSERT INTO t VALUES (7)");
        assert_eq!(r.notices.len(), 1);
        assert_eq!(r.notices[0].message, "INSERT 7");
    }
}
