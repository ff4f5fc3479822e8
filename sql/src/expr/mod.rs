//! Bound scalar expressions and their evaluation.
//!
//! An [`Expr`] is produced by the binder: names are resolved to column positions in the
//! input row, `$n` to parameter slots, and every operator is already typed — operands have
//! been coerced to a common type (literals converted at bind time, other operands wrapped in
//! [`Expr::Cast`]), and arithmetic carries its result type so that integer overflow is checked
//! at the right width. Evaluation therefore never has to guess a type.
//!
//! NULL handling is PostgreSQL's three-valued logic: comparisons and arithmetic with a NULL
//! operand yield NULL, `AND`/`OR` follow the Kleene truth tables, and a WHERE clause keeps a
//! row only when its predicate is `true` ([`Expr::is_true`]).

mod array_assign;
pub mod array_fns;
mod array_slice;
pub mod bytea_fns;
pub mod bytea_string;
pub mod catalog_functions;
mod crypt;
pub mod datetime_fns;
mod dch_template;
pub mod extension_fns;
mod fn_args;
mod from_char;
pub mod functiondef;
pub mod functions;
pub mod inet_fns;
pub mod json_fns;
mod json_ts;
mod jsonb_each;
pub mod jsonb_fns;
pub mod jsonpath_exec;
mod like;
pub mod numeric_fns;
pub mod operators;
mod ops;
pub mod pg_functions;
pub mod range_fns;
pub mod resolve;
pub mod set_fns;
pub mod subquery;
mod to_char;
mod to_char_number;
mod to_number;
mod to_timestamp;
pub mod ts_config;
pub mod ts_fns;
pub mod ts_headline;
pub mod ts_match;
pub mod ts_parser;
pub mod ts_rank;
mod visit;

pub use functions::{Function, Resolved, undefined as functions_undefined};
pub use ops::{ArithOp, CmpOp};
pub use subquery::{Subquery, SubqueryKind, SubqueryResult};

use crate::types::{DataType, Value, cast};
use crate::{Error, Result};
use std::rc::Rc;

/// What evaluation reads besides the input row: parameters, the enclosing query's
/// correlation values, and subquery results (the executor's [`crate::executor::Context`]
/// implements it; [`Params`] is the environment without a transaction).
pub trait EvalEnv {
    /// Bound parameter `$i+1`.
    fn param(&self, i: usize) -> Result<Value>;
    /// Correlation value `i` of the (sub)query being evaluated ([`Expr::OuterRef`]).
    fn outer(&self, i: usize) -> Result<Value>;
    /// The result of subquery `s` for correlation values `args`.
    fn subquery(&self, s: &Subquery, args: Vec<Value>) -> Result<Rc<SubqueryResult>>;
    /// Calls the PL/pgSQL function `oid` (`Function::Routine`) with `args`.
    fn call_routine(&self, oid: u32, args: Vec<Value>) -> Result<Value> {
        let _ = (oid, args);
        Err(Error::unsupported(
            "a PL/pgSQL function cannot be called here",
        ))
    }
}

/// An environment with parameter values only: no correlation, no subqueries.
pub struct Params<'a>(pub &'a [Value]);

impl EvalEnv for Params<'_> {
    fn param(&self, i: usize) -> Result<Value> {
        self.0.get(i).cloned().ok_or_else(|| {
            Error::InvalidParameterValue(format!("no value for parameter ${}", i + 1))
        })
    }

    fn outer(&self, i: usize) -> Result<Value> {
        Err(Error::Internal(format!(
            "outer reference {i} outside a subquery"
        )))
    }

    fn subquery(&self, _: &Subquery, _: Vec<Value>) -> Result<Rc<SubqueryResult>> {
        Err(Error::Internal(
            "subquery evaluated without a transaction".into(),
        ))
    }
}

/// A bound, typed scalar expression. See the module docs.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Literal(Value),
    /// A column of the input row, by position.
    Column(usize),
    /// Bound parameter `$n` (zero-based slot).
    Param(usize),
    /// Correlation value `i` of the subquery being evaluated: a column of an enclosing
    /// query, passed in through [`Subquery::args`] (see [`subquery`]).
    OuterRef(usize),
    /// A subquery used as a value.
    Subquery(Box<Subquery>),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    /// Unary minus; `ty` is the operand's (and result's) type.
    Neg(Box<Expr>, DataType),
    /// Arithmetic on operands of the common type `ty`, which is also the result type.
    Arith(ArithOp, Box<Expr>, Box<Expr>, DataType),
    /// Comparison of two operands of a common type.
    Compare(CmpOp, Box<Expr>, Box<Expr>),
    /// `IS [NOT] DISTINCT FROM`: like `=` but NULL-safe; `negated` for `IS NOT DISTINCT FROM`.
    IsDistinct {
        left: Box<Expr>,
        right: Box<Expr>,
        negated: bool,
    },
    /// String concatenation `||`.
    Concat(Box<Expr>, Box<Expr>),
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    /// `IS [NOT] TRUE / FALSE / UNKNOWN` (`value = None` for UNKNOWN).
    IsBool {
        expr: Box<Expr>,
        value: Option<bool>,
        negated: bool,
    },
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    /// Searched CASE (a simple CASE is bound to `operand = value` conditions).
    Case {
        whens: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
    },
    /// A conversion; `explicit` for `CAST`/`::` (see [`cast::cast`]).
    Cast {
        expr: Box<Expr>,
        from: DataType,
        to: DataType,
        explicit: bool,
    },
    Coalesce(Vec<Expr>),
    Call(Function, Vec<Expr>),
    /// A `record` built from its fields (`ROW(...)`, `(a, b)`, a whole-row reference `t`),
    /// with the fields' types ([`crate::types::Record`]).
    Row(Vec<Expr>, std::sync::Arc<[DataType]>),
}

impl Expr {
    /// Evaluates the expression over `row` in `env` (parameters, correlation, subqueries).
    ///
    /// The variants that form long chains (`AND`, `OR`, arithmetic, comparisons) are handled
    /// in this small frame; the rest in [`Expr::eval_other`], so that deep trees cost little
    /// stack per level.
    pub fn eval(&self, row: &[Value], env: &dyn EvalEnv) -> Result<Value> {
        match self {
            Expr::Column(i) => row
                .get(*i)
                .cloned()
                .ok_or_else(|| Error::Internal(format!("column {i} out of range"))),
            Expr::Literal(v) => Ok(v.clone()),
            Expr::And(a, b) => {
                let l = a.eval(row, env)?;
                if l == Value::Bool(false) {
                    return Ok(l);
                }
                Ok(match (l, b.eval(row, env)?) {
                    (_, Value::Bool(false)) => Value::Bool(false),
                    (Value::Bool(true), Value::Bool(true)) => Value::Bool(true),
                    _ => Value::Null,
                })
            }
            Expr::Or(a, b) => {
                let l = a.eval(row, env)?;
                if l == Value::Bool(true) {
                    return Ok(l);
                }
                Ok(match (l, b.eval(row, env)?) {
                    (_, Value::Bool(true)) => Value::Bool(true),
                    (Value::Bool(false), Value::Bool(false)) => Value::Bool(false),
                    _ => Value::Null,
                })
            }
            Expr::Arith(op, a, b, ty) => {
                let l = a.eval(row, env)?;
                ops::arith(*op, l, b.eval(row, env)?, *ty)
            }
            Expr::Compare(op, a, b) => {
                let l = a.eval(row, env)?;
                let r = b.eval(row, env)?;
                if l.is_null() || r.is_null() {
                    Ok(Value::Null)
                } else {
                    crate::types::record::check_comparable(&l, &r)?;
                    Ok(Value::Bool(op.holds(l.cmp(&r))))
                }
            }
            other => other.eval_other(row, env),
        }
    }

    #[inline(never)]
    fn eval_other(&self, row: &[Value], env: &dyn EvalEnv) -> Result<Value> {
        Ok(match self {
            Expr::Literal(v) => v.clone(),
            Expr::Column(i) => row
                .get(*i)
                .cloned()
                .ok_or_else(|| Error::Internal(format!("column {i} out of range")))?,
            Expr::Param(i) => env.param(*i)?,
            Expr::OuterRef(i) => env.outer(*i)?,
            Expr::Subquery(s) => {
                let args = s
                    .args
                    .iter()
                    .map(|a| a.eval(row, env))
                    .collect::<Result<Vec<_>>>()?;
                let result = env.subquery(s, args)?;
                match (&s.kind, result.as_ref()) {
                    (
                        SubqueryKind::Scalar | SubqueryKind::Array | SubqueryKind::ArrayOfArrays,
                        SubqueryResult::Scalar(v),
                    ) => v.clone(),
                    (SubqueryKind::Exists, SubqueryResult::Exists(b)) => Value::Bool(*b),
                    (SubqueryKind::Quantified { lhs, op, all }, SubqueryResult::Rows(rows)) => {
                        let lhs = lhs
                            .iter()
                            .map(|e| e.eval(row, env))
                            .collect::<Result<Vec<_>>>()?;
                        subquery::quantified(&lhs, *op, *all, rows)
                    }
                    (kind, r) => {
                        return Err(Error::Internal(format!(
                            "subquery of kind {kind:?} produced {r:?}"
                        )));
                    }
                }
            }
            Expr::Not(e) => match e.eval(row, env)? {
                Value::Bool(b) => Value::Bool(!b),
                _ => Value::Null,
            },
            Expr::And(a, b) => {
                let l = a.eval(row, env)?;
                if l == Value::Bool(false) {
                    return Ok(l);
                }
                match (l, b.eval(row, env)?) {
                    (_, Value::Bool(false)) => Value::Bool(false),
                    (Value::Bool(true), Value::Bool(true)) => Value::Bool(true),
                    _ => Value::Null,
                }
            }
            Expr::Or(a, b) => {
                let l = a.eval(row, env)?;
                if l == Value::Bool(true) {
                    return Ok(l);
                }
                match (l, b.eval(row, env)?) {
                    (_, Value::Bool(true)) => Value::Bool(true),
                    (Value::Bool(false), Value::Bool(false)) => Value::Bool(false),
                    _ => Value::Null,
                }
            }
            Expr::Neg(e, ty) => ops::negate(e.eval(row, env)?, *ty)?,
            Expr::Arith(op, a, b, ty) => {
                ops::arith(*op, a.eval(row, env)?, b.eval(row, env)?, *ty)?
            }
            Expr::Compare(op, a, b) => {
                let (l, r) = (a.eval(row, env)?, b.eval(row, env)?);
                if l.is_null() || r.is_null() {
                    Value::Null
                } else {
                    crate::types::record::check_comparable(&l, &r)?;
                    Value::Bool(op.holds(l.cmp(&r)))
                }
            }
            Expr::IsDistinct {
                left,
                right,
                negated,
            } => {
                let (l, r) = (left.eval(row, env)?, right.eval(row, env)?);
                crate::types::record::check_comparable(&l, &r)?;
                Value::Bool((l != r) != *negated)
            }
            Expr::Concat(a, b) => match (a.eval(row, env)?, b.eval(row, env)?) {
                (Value::Null, _) | (_, Value::Null) => Value::Null,
                (l, r) => Value::Text(format!("{}{}", text_of(l), text_of(r))),
            },
            // A row IS NULL when all its fields are, IS NOT NULL when none is.
            Expr::IsNull { expr, negated } => Value::Bool(match expr.eval(row, env)? {
                Value::Record(r) if *negated => r.none_null(),
                Value::Record(r) => r.all_null(),
                v => v.is_null() != *negated,
            }),
            Expr::IsBool {
                expr,
                value,
                negated,
            } => {
                let v = match expr.eval(row, env)? {
                    Value::Bool(b) => Some(b),
                    _ => None,
                };
                Value::Bool((v == *value) != *negated)
            }
            Expr::InList {
                expr,
                list,
                negated,
            } => {
                let v = expr.eval(row, env)?;
                if v.is_null() {
                    return Ok(Value::Null);
                }
                let mut saw_null = false;
                for item in list {
                    let x = item.eval(row, env)?;
                    if x.is_null() {
                        saw_null = true;
                    } else if x == v {
                        return Ok(Value::Bool(!*negated));
                    }
                }
                if saw_null {
                    Value::Null
                } else {
                    Value::Bool(*negated)
                }
            }
            Expr::Case { whens, otherwise } => {
                for (cond, result) in whens {
                    if cond.eval(row, env)? == Value::Bool(true) {
                        return result.eval(row, env);
                    }
                }
                match otherwise {
                    Some(e) => e.eval(row, env)?,
                    None => Value::Null,
                }
            }
            Expr::Cast {
                expr,
                from,
                to,
                explicit,
            } => cast::cast(expr.eval(row, env)?, *from, *to, *explicit)?,
            Expr::Coalesce(items) => {
                for item in items {
                    let v = item.eval(row, env)?;
                    if !v.is_null() {
                        return Ok(v);
                    }
                }
                Value::Null
            }
            Expr::Call(f, args) => {
                let vals = args
                    .iter()
                    .map(|a| a.eval(row, env))
                    .collect::<Result<Vec<_>>>()?;
                if let functions::Function::Routine { oid, strict } = f {
                    if *strict && vals.iter().any(Value::is_null) {
                        return Ok(Value::Null);
                    }
                    return env.call_routine(*oid, vals);
                }
                f.call(vals)?
            }
            Expr::Row(items, types) => {
                let values = items
                    .iter()
                    .map(|a| a.eval(row, env))
                    .collect::<Result<Vec<_>>>()?;
                Value::Record(Box::new(crate::types::Record {
                    types: types.clone(),
                    values,
                    type_oid: 0,
                }))
            }
        })
    }

    /// Evaluates a predicate: only `true` counts (NULL and false reject the row).
    pub fn is_true(&self, row: &[Value], env: &dyn EvalEnv) -> Result<bool> {
        Ok(self.eval(row, env)? == Value::Bool(true))
    }

    /// Whether the expression reads no column of its input row (only literals, parameters
    /// and correlation values, which are fixed during one evaluation of a (sub)query), so it
    /// can be evaluated once, e.g. as a scan bound.
    pub fn is_constant(&self) -> bool {
        match self {
            Expr::Literal(_) | Expr::Param(_) | Expr::OuterRef(_) => true,
            Expr::Cast { expr, .. } | Expr::Neg(expr, _) => expr.is_constant(),
            _ => false,
        }
    }

    /// Splits a conjunction into its conjuncts.
    pub fn conjuncts(&self) -> Vec<&Expr> {
        match self {
            Expr::And(a, b) => {
                let mut v = a.conjuncts();
                v.extend(b.conjuncts());
                v
            }
            e => vec![e],
        }
    }
}

fn text_of(v: Value) -> String {
    match v {
        Value::Text(s) => s,
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests;
