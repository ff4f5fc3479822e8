//! Procedures in PL/pgSQL: running a `LANGUAGE plpgsql` procedure for CALL
//! ([`procedure`]), `CALL` inside a body (its OUT / INOUT results assigned back to the
//! variables passed for them), and `COMMIT` / `ROLLBACK` inside a procedure or DO block.
//!
//! Transaction control follows PostgreSQL's atomic / non-atomic contexts. A CALL or DO the
//! session runs at top level outside a transaction block is non-atomic: the session marks
//! it ([`allow_transaction_control`]) and runs it over a transaction that can end and
//! begin again in place ([`crate::storage::Txn::restart`]). The body that starts at that
//! depth takes the mark; a CALL it runs passes the mark on to the procedure it calls. Any
//! other body — a function, a procedure called from one, a CALL inside a transaction block
//! — is atomic: COMMIT there is 2D000 `invalid transaction termination`. Inside a block
//! with an EXCEPTION clause (a savepoint, PostgreSQL's subtransaction) it is 2D000 `cannot
//! commit while a subtransaction is active`.

use super::super::{DEPTH, declare_params, in_function, nested, parsed, run_body};
use super::*;
use crate::parse::Statement as Parsed;
use crate::storage::FunctionDef;
use sqlparser::ast;
use std::cell::{Cell, RefCell};

thread_local! {
    /// The depth at which the next body to start is non-atomic (set just before it).
    static PENDING: Cell<Option<usize>> = const { Cell::new(None) };
    /// The depths of the running non-atomic bodies, innermost last.
    static NON_ATOMIC: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
    /// EXCEPTION blocks being run (savepoints taken).
    static SUBTRANSACTIONS: Cell<usize> = const { Cell::new(0) };
    /// The call arguments the last CALL's OUT / INOUT values came from (see
    /// [`note_out_arguments`]).
    static OUT_ARGUMENTS: RefCell<Option<Vec<Option<usize>>>> = const { RefCell::new(None) };
}

/// The next body started at this depth (a top-level CALL's procedure or DO block) may
/// COMMIT / ROLLBACK; `false` forgets an earlier mark.
pub fn allow_transaction_control(allow: bool) {
    let depth = DEPTH.with(|d| d.get());
    PENDING.with(|p| p.set(allow.then_some(depth)));
}

/// Whether the body starting now is non-atomic (and takes the mark).
pub(crate) fn take_mark() -> bool {
    let depth = DEPTH.with(|d| d.get());
    PENDING.with(|p| p.take()) == Some(depth)
}

/// Runs `f` (a body, inside its `nested` level) as non-atomic when `non_atomic`.
pub(crate) fn body_context<T>(non_atomic: bool, f: impl FnOnce() -> Result<T>) -> Result<T> {
    if !non_atomic {
        return f();
    }
    let depth = DEPTH.with(|d| d.get());
    NON_ATOMIC.with(|n| n.borrow_mut().push(depth));
    let r = f();
    NON_ATOMIC.with(|n| n.borrow_mut().pop());
    r
}

/// Whether the body running now is non-atomic.
fn non_atomic() -> bool {
    let depth = DEPTH.with(|d| d.get());
    NON_ATOMIC.with(|n| n.borrow().last() == Some(&depth))
}

/// Runs `f`, an EXCEPTION block's protected part.
pub(crate) fn in_subtransaction<T>(f: impl FnOnce() -> T) -> T {
    SUBTRANSACTIONS.with(|s| s.set(s.get() + 1));
    let r = f();
    SUBTRANSACTIONS.with(|s| s.set(s.get() - 1));
    r
}

/// CALL records, for each OUT / INOUT value it returns, which of its arguments was given
/// for that parameter (by its index in the call), for a CALL in PL/pgSQL to assign back.
pub(crate) fn note_out_arguments(args: Vec<Option<usize>>) {
    OUT_ARGUMENTS.with(|o| *o.borrow_mut() = Some(args));
}

/// `RETURN expr` anywhere in a procedure's body: PostgreSQL refuses it when the procedure is
/// created (42601).
pub fn check_procedure_body(body: &str) -> Result<()> {
    fn walk(stmts: &[Stmt]) -> bool {
        stmts.iter().any(|s| match s {
            Stmt::Return(Some(_)) => true,
            Stmt::Block(b) => block(b),
            Stmt::If { arms, otherwise } => arms.iter().any(|(_, b)| walk(b)) || walk(otherwise),
            Stmt::Case {
                arms, otherwise, ..
            } => arms.iter().any(|(_, b)| walk(b)) || otherwise.as_deref().is_some_and(walk),
            Stmt::Loop { body, .. }
            | Stmt::While { body, .. }
            | Stmt::ForRange { body, .. }
            | Stmt::ForQuery { body, .. }
            | Stmt::Foreach { body, .. } => walk(body),
            _ => false,
        })
    }
    fn block(b: &Block) -> bool {
        walk(&b.body) || b.handlers.iter().any(|h| walk(&h.body))
    }
    if block(&*parsed(body)?) {
        return Err(Error::SyntaxError(
            "RETURN cannot have a parameter in a procedure".into(),
        ));
    }
    Ok(())
}

/// Runs PL/pgSQL procedure `def` with `args` (its IN / INOUT parameters' values): the
/// values of its OUT / INOUT parameters.
pub fn procedure(txn: &mut dyn Txn, def: &FunctionDef, args: Vec<Value>) -> Result<Vec<Value>> {
    let body = parsed(&def.body)?;
    // A procedure with SET clauses or SECURITY DEFINER runs atomically, as PostgreSQL's
    // (the settings and the role could not be restored across its commits).
    let non_atomic = take_mark() && def.config.is_empty() && !def.security_definer;
    super::super::routine_env::run(def, || {
        nested(|| {
            let returns = if def.table_columns.is_empty() {
                Returns::Void
            } else {
                Returns::Out(def.table_columns.iter().map(|c| c.data_type).collect())
            };
            let mut it = Interp::new(txn, returns);
            it.conflict = body.conflict;
            declare_params(&mut it, def, args)?;
            body_context(non_atomic, || run_body(&mut it, &body))
                .map_err(|e| in_function(e, def))?;
            it.out_values()
        })
    })
}

impl Interp<'_> {
    /// `CALL`, `COMMIT` or `ROLLBACK` in a body (`None` for any other statement).
    pub(super) fn procedure_statement(&mut self, text: &str) -> Result<Option<Flow>> {
        let first = text
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if !matches!(first.as_str(), "call" | "commit" | "rollback") {
            return Ok(None);
        }
        let mut parsed = crate::parse::parse(text)?;
        match parsed.pop() {
            Some(Parsed::Sql(ast::Statement::Call(f))) if parsed.is_empty() => {
                self.call(text, &f).map(Some)
            }
            Some(Parsed::Sql(ast::Statement::Commit { chain: false, .. })) if parsed.is_empty() => {
                self.end_transaction(true).map(Some)
            }
            Some(Parsed::Sql(ast::Statement::Rollback {
                chain: false,
                savepoint: None,
            })) if parsed.is_empty() => self.end_transaction(false).map(Some),
            _ => Ok(None),
        }
    }

    /// COMMIT (`commit`) or ROLLBACK: ends the transaction and goes on in a new one.
    fn end_transaction(&mut self, commit: bool) -> Result<Flow> {
        if !non_atomic() {
            return Err(raised("2D000", "invalid transaction termination"));
        }
        if SUBTRANSACTIONS.with(|s| s.get()) > 0 {
            return Err(raised(
                "2D000",
                if commit {
                    "cannot commit while a subtransaction is active"
                } else {
                    "cannot roll back while a subtransaction is active"
                },
            ));
        }
        self.txn.restart(commit)?;
        Ok(Flow::Normal)
    }

    /// CALL: runs it with the variables it names as parameters, then assigns its OUT /
    /// INOUT values to the variables given for them (42601 for an argument that is not
    /// one).
    fn call(&mut self, text: &str, f: &ast::Function) -> Result<Flow> {
        let args: Vec<&ast::FunctionArg> = match &f.args {
            ast::FunctionArguments::List(l) => l.args.iter().collect(),
            _ => Vec::new(),
        };
        OUT_ARGUMENTS.with(|o| o.borrow_mut().take());
        if non_atomic() {
            allow_transaction_control(true);
        }
        let r = self.run_sql(text, None);
        allow_transaction_control(false);
        let r = r?;
        let given = OUT_ARGUMENTS
            .with(|o| o.borrow_mut().take())
            .unwrap_or_default();
        let (Some(columns), Some(row)) = (r.columns, r.rows.into_iter().next()) else {
            return Ok(Flow::Normal);
        };
        for ((column, value), arg) in columns.iter().zip(row).zip(given) {
            let target = arg.and_then(|i| args.get(i)).map(|a| match a {
                ast::FunctionArg::Unnamed(e)
                | ast::FunctionArg::Named { arg: e, .. }
                | ast::FunctionArg::ExprNamed { arg: e, .. } => e,
            });
            let place = match target {
                Some(ast::FunctionArgExpr::Expr(ast::Expr::Identifier(id))) => {
                    self.scopes.resolve(&[crate::binder::ident(id)])?
                }
                Some(ast::FunctionArgExpr::Expr(ast::Expr::CompoundIdentifier(parts))) => {
                    let parts: Vec<String> = parts.iter().map(crate::binder::ident).collect();
                    self.scopes.resolve(&parts)?
                }
                _ => None,
            };
            let Some(place) = place else {
                return Err(raised(
                    "42601",
                    format!(
                        "procedure parameter \"{}\" is an output parameter but corresponding argument is not writable",
                        column.name
                    ),
                ));
            };
            self.store(place, value, column.data_type)?;
        }
        Ok(Flow::Normal)
    }
}
