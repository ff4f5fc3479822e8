//! Arithmetic and comparison operators with PostgreSQL's overflow and division rules.

use crate::types::{
    DataType, Numeric, Value,
    cast::{check_int, int_out_of_range},
};
use crate::{Error, Result};
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    /// Bitwise operators on integers (`&`, `|`, `#`, `<<`, `>>`).
    BitAnd,
    BitOr,
    BitXor,
    ShiftLeft,
    ShiftRight,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
}

impl ArithOp {
    /// The operator as PostgreSQL writes it.
    pub fn symbol(&self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Mod => "%",
            ArithOp::BitAnd => "&",
            ArithOp::BitOr => "|",
            ArithOp::BitXor => "#",
            ArithOp::ShiftLeft => "<<",
            ArithOp::ShiftRight => ">>",
        }
    }

    /// Whether this is one of the integer-only bitwise operators.
    pub fn is_bitwise(&self) -> bool {
        matches!(
            self,
            ArithOp::BitAnd
                | ArithOp::BitOr
                | ArithOp::BitXor
                | ArithOp::ShiftLeft
                | ArithOp::ShiftRight
        )
    }
}

impl CmpOp {
    pub fn holds(&self, ord: Ordering) -> bool {
        match self {
            CmpOp::Eq => ord.is_eq(),
            CmpOp::NotEq => ord.is_ne(),
            CmpOp::Lt => ord.is_lt(),
            CmpOp::LtEq => ord.is_le(),
            CmpOp::Gt => ord.is_gt(),
            CmpOp::GtEq => ord.is_ge(),
        }
    }

    /// The operator with its operands swapped (`a < b` ⇔ `b > a`).
    pub fn flip(&self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::LtEq => CmpOp::GtEq,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::GtEq => CmpOp::LtEq,
            other => *other,
        }
    }
}

fn float_overflow() -> Error {
    Error::NumericValueOutOfRange("value out of range: overflow".into())
}

/// `-v` at type `ty`.
pub fn negate(v: Value, ty: DataType) -> Result<Value> {
    Ok(match v {
        Value::Null => Value::Null,
        Value::Int(i) => Value::Int(check_int(
            i.checked_neg().ok_or_else(|| int_out_of_range(ty))?,
            ty,
        )?),
        Value::Float(f) => Value::Float(-f),
        Value::Float4(f) => Value::Float4(-f),
        Value::Numeric(n) => Value::numeric(n.neg()),
        Value::Interval(i) => Value::Interval(i.checked_neg()?),
        other => return Err(Error::Internal(format!("cannot negate {other:?}"))),
    })
}

/// `l op r` for operands (and result) of type `ty`.
pub fn arith(op: ArithOp, l: Value, r: Value, ty: DataType) -> Result<Value> {
    match (l, r) {
        (Value::Null, _) | (_, Value::Null) => Ok(Value::Null),
        (Value::Int(a), Value::Int(b)) => {
            let v = match op {
                ArithOp::Add => a.checked_add(b),
                ArithOp::Sub => a.checked_sub(b),
                ArithOp::Mul => a.checked_mul(b),
                ArithOp::Div => {
                    if b == 0 {
                        return Err(Error::DivisionByZero);
                    }
                    a.checked_div(b)
                }
                ArithOp::Mod => {
                    if b == 0 {
                        return Err(Error::DivisionByZero);
                    }
                    Some(a.checked_rem(b).unwrap_or(0))
                }
                ArithOp::BitAnd => Some(a & b),
                ArithOp::BitOr => Some(a | b),
                ArithOp::BitXor => Some(a ^ b),
                ArithOp::ShiftLeft | ArithOp::ShiftRight => Some(shift(op, a, b, ty)),
            };
            let v = v.ok_or_else(|| int_out_of_range(ty))?;
            Ok(Value::Int(check_int(v, ty)?))
        }
        (l, r) if matches!(ty, DataType::Numeric(_)) => {
            let (a, b) = (as_numeric(l)?, as_numeric(r)?);
            let v = match op {
                ArithOp::Add => a.add(&b)?,
                ArithOp::Sub => a.sub(&b)?,
                ArithOp::Mul => a.mul(&b)?,
                ArithOp::Div => a.div(&b)?,
                ArithOp::Mod => a.rem(&b)?,
                ArithOp::BitAnd
                | ArithOp::BitOr
                | ArithOp::BitXor
                | ArithOp::ShiftLeft
                | ArithOp::ShiftRight => {
                    return Err(Error::Internal(format!("{op:?} on numeric is not bound")));
                }
            };
            Ok(Value::numeric(v))
        }
        (l, r) => {
            let (a, b) = (as_f64(&l)?, as_f64(&r)?);
            let v = match op {
                ArithOp::Add => a + b,
                ArithOp::Sub => a - b,
                ArithOp::Mul => a * b,
                ArithOp::Div => {
                    if b == 0.0 && !a.is_nan() {
                        return Err(Error::DivisionByZero);
                    }
                    a / b
                }
                _ => return Err(Error::Internal(format!("{op:?} on floats is not bound"))),
            };
            if ty == DataType::Float4 {
                let v = v as f32;
                if v.is_infinite() && !a.is_infinite() && !b.is_infinite() {
                    return Err(float_overflow());
                }
                return Ok(Value::Float4(v));
            }
            if v.is_infinite() && !a.is_infinite() && !b.is_infinite() {
                return Err(float_overflow());
            }
            Ok(Value::Float(v))
        }
    }
}

/// A shift at the width of `ty`, as PostgreSQL's C code does it (the count taken modulo the
/// width, the result truncated to the width).
fn shift(op: ArithOp, a: i64, b: i64, ty: DataType) -> i64 {
    let count = b as u32;
    let left = op == ArithOp::ShiftLeft;
    match ty {
        DataType::Int2 => {
            let v = a as i32;
            let r = if left {
                v.wrapping_shl(count)
            } else {
                v.wrapping_shr(count)
            };
            i64::from(r as i16)
        }
        DataType::Int4 => {
            let v = a as i32;
            i64::from(if left {
                v.wrapping_shl(count)
            } else {
                v.wrapping_shr(count)
            })
        }
        _ => {
            if left {
                a.wrapping_shl(count)
            } else {
                a.wrapping_shr(count)
            }
        }
    }
}

fn as_numeric(v: Value) -> Result<Numeric> {
    match v {
        Value::Numeric(n) => Ok(*n),
        Value::Int(i) => Ok(Numeric::from_i64(i)),
        other => Err(Error::Internal(format!("not a numeric: {other:?}"))),
    }
}

fn as_f64(v: &Value) -> Result<f64> {
    v.as_f64()
        .ok_or_else(|| Error::Internal(format!("not a number: {v:?}")))
}
