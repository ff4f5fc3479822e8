//! Binary operators on types other than plain numbers, resolved to function calls:
//! PostgreSQL implements every operator as a function, and so does Strata for the ones whose
//! operands have different types (`date + integer`, `timestamp - interval`,
//! `jsonb -> text` ([`super::jsonb_fns`]), `anyarray @> anyarray`, ...). Same-typed arithmetic on numbers stays
//! [`super::Expr::Arith`] (it carries its overflow width).
//!
//! [`resolve`] returns `None` when the operator is not one of these, so the caller falls
//! back to numeric arithmetic, comparison or text concatenation.

use super::functions::Resolved;
use crate::Result;
use crate::types::DataType;

/// Resolves `left sym right` to a function call, if it is one of this module's operators.
pub fn resolve(sym: &str, left: DataType, right: DataType) -> Option<Result<Resolved>> {
    super::ts_fns::TsFn::resolve_operator(sym, left, right)
        .or_else(|| super::range_fns::RangeFn::resolve_operator(sym, left, right))
        .or_else(|| super::jsonb_fns::JsonbFn::resolve_operator(sym, left, right))
        .or_else(|| super::datetime_fns::resolve_operator(sym, left, right))
        .or_else(|| super::numeric_fns::resolve_operator(sym, left, right))
        .or_else(|| super::bytea_fns::ByteaFn::resolve_operator(sym, left, right))
        .or_else(|| super::inet_fns::InetFn::resolve_operator(sym, left, right))
        .or_else(|| super::array_fns::ArrayFn::resolve_operator(sym, left, right))
}
