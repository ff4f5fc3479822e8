//! Number functions: `round`, `trunc`, `ceil`/`ceiling`, `floor`, `sign`, `mod`, `div`,
//! `sqrt`, `cbrt`, `exp`, `ln`, `log`, `power`/`pow`, `pi`.
//!
//! Each exists for `double precision` and, where PostgreSQL has one, for `numeric`; an
//! argument that is numeric picks the numeric version, anything else (integers, floats,
//! unknown literals) the double precision one, as PostgreSQL's preference for `float8` in
//! the numeric category does. `round(x, n)` and `trunc(x, n)` exist only for numeric.
//! `exp`, `ln`, `log`, `log10`, `power` and `^` of numeric arguments are computed in decimal
//! ([`crate::types::numeric_math`]); `cbrt` has only a double precision version, as in
//! PostgreSQL.

use super::functions::{Function, Resolved, accepts};
use crate::types::numeric::MAX_DISPLAY_SCALE;
use crate::types::numeric_math;
use crate::types::{DataType, Numeric, Value, cast::check_int};
use crate::{Error, Result};
use bigdecimal::{BigDecimal, One, Zero};

/// A number function. See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumericFn {
    /// `to_number(text, format)` ([`super::to_number`]).
    ToNumber,
    Round,
    RoundTo,
    Trunc,
    TruncTo,
    Ceil,
    Floor,
    Sign,
    /// `mod` on integers of the given type.
    IntMod(DataType),
    Mod,
    Div,
    Sqrt,
    FloatRound,
    FloatTrunc,
    FloatCeil,
    FloatFloor,
    FloatSign,
    FloatSqrt,
    Cbrt,
    Exp,
    Ln,
    Log10,
    LogBase,
    Power,
    /// `exp`, `ln`, `log10`, `log(b, x)` and `power` of numeric.
    NumExp,
    NumLn,
    NumLog10,
    NumLogBase,
    NumPower,
    Pi,
    /// Bitwise operators on integers of the given type: `&`, `|`, `#`, `<<`, `>>`, `~`.
    BitAnd(DataType),
    BitOr(DataType),
    BitXor(DataType),
    ShiftLeft(DataType),
    ShiftRight(DataType),
    BitNot(DataType),
    /// `scale`, `min_scale`, `trim_scale` of numeric.
    Scale,
    MinScale,
    TrimScale,
    /// `factorial(bigint)`.
    Factorial,
    /// `width_bucket(operand, low, high, count)` over numeric or float8.
    WidthBucket,
}

const NUMERIC: DataType = DataType::Numeric(None);
const FLOAT8: DataType = DataType::Float8;

fn is_numeric_arg(t: DataType) -> bool {
    matches!(t, DataType::Numeric(_))
}

impl NumericFn {
    /// Resolves a number function (`None`: not one of this family's names).
    pub fn resolve(name: &str, args: &[DataType]) -> Option<Result<Resolved>> {
        use NumericFn::*;
        let numeric_arg = args.iter().any(|t| is_numeric_arg(*t));
        let unary = |num: NumericFn, float: NumericFn| -> Option<Result<Resolved>> {
            let [t] = args else { return None };
            let (f, ty) = if is_numeric_arg(*t) {
                (num, NUMERIC)
            } else {
                (float, FLOAT8)
            };
            accepts(args, &[ty]).then(|| Ok(Resolved::new(Function::Numeric(f), vec![ty], ty)))
        };
        let r = match (name, args.len()) {
            ("to_number", 2) => {
                let want = [DataType::Text, DataType::Text];
                accepts(args, &want).then(|| {
                    Ok(Resolved::new(
                        Function::Numeric(ToNumber),
                        want.to_vec(),
                        NUMERIC,
                    ))
                })
            }
            ("round", 1) => unary(Round, FloatRound),
            ("trunc", 1) => unary(Trunc, FloatTrunc),
            ("ceil" | "ceiling", 1) => unary(Ceil, FloatCeil),
            ("floor", 1) => unary(Floor, FloatFloor),
            ("sign", 1) => unary(Sign, FloatSign),
            ("sqrt", 1) => unary(Sqrt, FloatSqrt),
            ("round" | "trunc", 2) => {
                let f = if name == "round" { RoundTo } else { TruncTo };
                let want = [NUMERIC, DataType::Int4];
                accepts(args, &want)
                    .then(|| Ok(Resolved::new(Function::Numeric(f), want.to_vec(), NUMERIC)))
            }
            ("mod", 2)
                if !numeric_arg
                    && args
                        .iter()
                        .all(|t| t.is_integer() || *t == DataType::Unknown) =>
            {
                let t = DataType::common(args[0], args[1])
                    .filter(|t| t.is_integer())
                    .unwrap_or(DataType::Int4);
                Some(Ok(Resolved::new(
                    Function::Numeric(IntMod(t)),
                    vec![t, t],
                    t,
                )))
            }
            ("mod" | "div", 2) => {
                let f = if name == "mod" { Mod } else { Div };
                accepts(args, &[NUMERIC, NUMERIC]).then(|| {
                    Ok(Resolved::new(
                        Function::Numeric(f),
                        vec![NUMERIC, NUMERIC],
                        NUMERIC,
                    ))
                })
            }
            ("exp", 1) => unary(NumExp, Exp),
            ("ln", 1) => unary(NumLn, Ln),
            ("log" | "log10", 1) => unary(NumLog10, Log10),
            ("power" | "pow" | "log", 2) if numeric_arg && accepts(args, &[NUMERIC, NUMERIC]) => {
                let f = if name == "log" { NumLogBase } else { NumPower };
                Some(Ok(Resolved::new(
                    Function::Numeric(f),
                    vec![NUMERIC, NUMERIC],
                    NUMERIC,
                )))
            }
            ("cbrt", 1) => {
                let f = match name {
                    "cbrt" => Cbrt,
                    "exp" => Exp,
                    "ln" => Ln,
                    _ => Log10,
                };
                accepts(args, &[FLOAT8])
                    .then(|| Ok(Resolved::new(Function::Numeric(f), vec![FLOAT8], FLOAT8)))
            }
            ("power" | "pow" | "log", 2) => {
                let f = if name == "log" { LogBase } else { Power };
                accepts(args, &[FLOAT8, FLOAT8]).then(|| {
                    Ok(Resolved::new(
                        Function::Numeric(f),
                        vec![FLOAT8, FLOAT8],
                        FLOAT8,
                    ))
                })
            }
            ("pi", 0) => Some(Ok(Resolved::new(Function::Numeric(Pi), vec![], FLOAT8))),
            ("scale" | "min_scale" | "trim_scale", 1) => {
                let (f, ret) = match name {
                    "scale" => (Scale, DataType::Int4),
                    "min_scale" => (MinScale, DataType::Int4),
                    _ => (TrimScale, NUMERIC),
                };
                accepts(args, &[NUMERIC])
                    .then(|| Ok(Resolved::new(Function::Numeric(f), vec![NUMERIC], ret)))
            }
            ("factorial", 1) => accepts(args, &[DataType::Int8]).then(|| {
                Ok(Resolved::new(
                    Function::Numeric(Factorial),
                    vec![DataType::Int8],
                    NUMERIC,
                ))
            }),
            ("width_bucket", 4) => {
                let any_float = args[..3]
                    .iter()
                    .any(|t| matches!(t, DataType::Float4 | DataType::Float8));
                let t = if !any_float && (numeric_arg || args[..3].iter().all(|t| t.is_integer())) {
                    NUMERIC
                } else {
                    FLOAT8
                };
                let want = [t, t, t, DataType::Int4];
                accepts(args, &want).then(|| {
                    Ok(Resolved::new(
                        Function::Numeric(WidthBucket),
                        want.to_vec(),
                        DataType::Int4,
                    ))
                })
            }
            _ => None,
        };
        match r {
            Some(r) => Some(r),
            // `width_bucket(x, thresholds)` is the array family's
            None if name == "width_bucket" && args.len() == 2 => None,
            None if is_family_name(name) => Some(Err(super::functions::undefined(name, args))),
            None => None,
        }
    }

    /// Calls the function (arguments already coerced, none NULL).
    pub fn call(&self, args: Vec<Value>) -> Result<Value> {
        use NumericFn::*;
        let num = |i: usize| -> Result<Numeric> {
            match args.get(i) {
                Some(Value::Numeric(n)) => Ok((**n).clone()),
                Some(Value::Int(n)) => Ok(Numeric::from_i64(*n)),
                other => Err(Error::Internal(format!(
                    "numeric argument expected: {other:?}"
                ))),
            }
        };
        let float = |i: usize| -> Result<f64> {
            args.get(i)
                .and_then(Value::as_f64)
                .ok_or_else(|| Error::Internal("float argument expected".into()))
        };
        let int = |i: usize| super::fn_args::arg(&args, i).and_then(super::fn_args::int);
        Ok(match self {
            ToNumber => {
                let text = |i: usize| super::fn_args::arg(&args, i).and_then(super::fn_args::text);
                return super::to_number::to_number(text(0)?, text(1)?);
            }
            Round => Value::numeric(num(0)?.round(0)),
            RoundTo => Value::numeric(num(0)?.round(int(1)?)),
            Trunc => Value::numeric(num(0)?.trunc(0)),
            TruncTo => Value::numeric(num(0)?.trunc(int(1)?)),
            Ceil => Value::numeric(num(0)?.ceil()),
            Floor => Value::numeric(num(0)?.floor()),
            Sign => Value::numeric(match num(0)? {
                Numeric::NaN => Numeric::NaN,
                n => Numeric::from_i64(i64::from(n.signum())),
            }),
            IntMod(t) => {
                let (a, b) = (int(0)?, int(1)?);
                if b == 0 {
                    return Err(Error::DivisionByZero);
                }
                Value::Int(check_int(a.checked_rem(b).unwrap_or(0), *t)?)
            }
            Mod => Value::numeric(num(0)?.rem(&num(1)?)?),
            Div => Value::numeric(num(0)?.div_trunc(&num(1)?)?),
            Sqrt => Value::numeric(numeric_sqrt(&num(0)?)?),
            FloatRound => Value::Float(float(0)?.round_ties_even()),
            FloatTrunc => Value::Float(float(0)?.trunc()),
            FloatCeil => Value::Float(float(0)?.ceil()),
            FloatFloor => Value::Float(float(0)?.floor()),
            FloatSign => {
                let f = float(0)?;
                Value::Float(if f > 0.0 {
                    1.0
                } else if f < 0.0 {
                    -1.0
                } else {
                    0.0
                })
            }
            FloatSqrt => {
                let f = float(0)?;
                if f < 0.0 {
                    return Err(negative_sqrt());
                }
                Value::Float(f.sqrt())
            }
            Cbrt => Value::Float(float(0)?.cbrt()),
            Exp => {
                let x = float(0)?;
                let r = x.exp();
                if r.is_infinite() && x.is_finite() {
                    return Err(Error::NumericValueOutOfRange(
                        "value out of range: overflow".into(),
                    ));
                }
                if r == 0.0 && x.is_finite() {
                    return Err(Error::NumericValueOutOfRange(
                        "value out of range: underflow".into(),
                    ));
                }
                Value::Float(r)
            }
            Ln | Log10 => {
                let f = float(0)?;
                if f == 0.0 {
                    return Err(Error::InvalidArgumentForLogarithm(
                        "cannot take logarithm of zero".into(),
                    ));
                }
                if f < 0.0 {
                    return Err(Error::InvalidArgumentForLogarithm(
                        "cannot take logarithm of a negative number".into(),
                    ));
                }
                Value::Float(if *self == Ln { f.ln() } else { f.log10() })
            }
            LogBase => {
                let (b, x) = (float(0)?, float(1)?);
                if b <= 0.0 || x <= 0.0 {
                    return Err(Error::InvalidArgumentForLogarithm(
                        "cannot take logarithm of a negative number".into(),
                    ));
                }
                Value::Float(x.ln() / b.ln())
            }
            Power => Value::Float(float_power(float(0)?, float(1)?)?),
            NumExp => Value::numeric(numeric_exp(num(0)?)?),
            NumLn => Value::numeric(numeric_ln(num(0)?)?),
            NumLog10 => Value::numeric(numeric_log(Numeric::from_i64(10), num(0)?)?),
            NumLogBase => Value::numeric(numeric_log(num(0)?, num(1)?)?),
            NumPower => Value::numeric(numeric_power(num(0)?, num(1)?)?),
            Pi => Value::Float(std::f64::consts::PI),
            Scale => match num(0)? {
                n @ Numeric::Finite(_) => Value::Int(n.scale()),
                _ => Value::Null,
            },
            MinScale | TrimScale => {
                let n = num(0)?;
                let Some((mut digits, mut scale)) = n.parts() else {
                    return Ok(if *self == TrimScale {
                        Value::numeric(n)
                    } else {
                        Value::Null
                    });
                };
                let ten = bigdecimal::num_bigint::BigInt::from(10);
                while scale > 0 && (&digits % &ten).is_zero() {
                    digits /= &ten;
                    scale -= 1;
                }
                if *self == MinScale {
                    Value::Int(scale.max(0))
                } else {
                    Value::numeric(Numeric::new(digits, scale))
                }
            }
            Factorial => {
                let n = int(0)?;
                if n < 0 {
                    return Err(Error::NumericValueOutOfRange(
                        "factorial of a negative number is undefined".into(),
                    ));
                }
                if n > 32177 {
                    return Err(Error::NumericValueOutOfRange(
                        "value overflows numeric format".into(),
                    ));
                }
                let mut r = bigdecimal::num_bigint::BigInt::from(1);
                for k in 2..=n {
                    r *= k;
                }
                Value::numeric(Numeric::new(r, 0))
            }
            WidthBucket => Value::Int(width_bucket(float(0)?, float(1)?, float(2)?, int(3)?)?),
            BitAnd(_) => Value::Int(int(0)? & int(1)?),
            BitOr(_) => Value::Int(int(0)? | int(1)?),
            BitXor(_) => Value::Int(int(0)? ^ int(1)?),
            BitNot(_) => Value::Int(!int(0)?),
            ShiftLeft(t) | ShiftRight(t) => {
                let bits = match t {
                    DataType::Int2 => 16,
                    DataType::Int4 => 32,
                    _ => 64,
                };
                // PostgreSQL shifts in the type's width, with C's shift-count wraparound.
                let n = (int(1)?.rem_euclid(bits)) as u32;
                let v = int(0)?;
                let r = match (t, matches!(self, ShiftLeft(_))) {
                    (DataType::Int2, true) => i64::from((v as i16).wrapping_shl(n)),
                    (DataType::Int2, false) => i64::from((v as i16).wrapping_shr(n)),
                    (DataType::Int4, true) => i64::from((v as i32).wrapping_shl(n)),
                    (DataType::Int4, false) => i64::from((v as i32).wrapping_shr(n)),
                    (_, true) => v.wrapping_shl(n),
                    (_, false) => v.wrapping_shr(n),
                };
                Value::Int(r)
            }
        })
    }
}

fn is_family_name(name: &str) -> bool {
    matches!(
        name,
        "round"
            | "trunc"
            | "ceil"
            | "ceiling"
            | "floor"
            | "sign"
            | "mod"
            | "div"
            | "sqrt"
            | "cbrt"
            | "exp"
            | "ln"
            | "log"
            | "log10"
            | "power"
            | "pow"
            | "pi"
            | "scale"
            | "min_scale"
            | "trim_scale"
            | "factorial"
            | "width_bucket"
    )
}

fn negative_sqrt() -> Error {
    Error::InvalidArgumentForPowerFunction("cannot take square root of a negative number".into())
}

/// Resolves the operators that are number functions: `^` and the bitwise ones.
pub fn resolve_operator(sym: &str, l: DataType, r: DataType) -> Option<Result<Resolved>> {
    use NumericFn::*;
    let int_pair = || {
        DataType::common(l, r).filter(|t| t.is_integer()).map(|t| {
            if t == DataType::Unknown {
                DataType::Int4
            } else {
                t
            }
        })
    };
    let op = |f: NumericFn, args: Vec<DataType>, ret: DataType| {
        Some(Ok(Resolved::new(Function::Numeric(f), args, ret)))
    };
    match sym {
        "^" if (is_numeric_arg(l) || is_numeric_arg(r))
            && accepts(&[l, r], &[NUMERIC, NUMERIC]) =>
        {
            op(NumPower, vec![NUMERIC, NUMERIC], NUMERIC)
        }
        "^" if accepts(&[l, r], &[FLOAT8, FLOAT8]) => op(Power, vec![FLOAT8, FLOAT8], FLOAT8),
        "&" | "|" | "#" => {
            let t = int_pair()?;
            let f = match sym {
                "&" => BitAnd(t),
                "|" => BitOr(t),
                _ => BitXor(t),
            };
            op(f, vec![t, t], t)
        }
        "<<" | ">>" if l.is_integer() && accepts(&[r], &[DataType::Int4]) => {
            let f = if sym == "<<" {
                ShiftLeft(l)
            } else {
                ShiftRight(l)
            };
            op(f, vec![l, DataType::Int4], l)
        }
        _ => None,
    }
}

/// `float8 ^ float8` with PostgreSQL's errors.
pub fn float_power(x: f64, y: f64) -> Result<f64> {
    if x == 0.0 && y < 0.0 {
        return Err(Error::InvalidArgumentForPowerFunction(
            "zero raised to a negative power is undefined".into(),
        ));
    }
    if x < 0.0 && y.is_finite() && y.fract() != 0.0 {
        return Err(Error::InvalidArgumentForPowerFunction(
            "a negative number raised to a non-integer power yields a complex result".into(),
        ));
    }
    let r = x.powf(y);
    if r.is_infinite() && x.is_finite() && y.is_finite() {
        return Err(Error::NumericValueOutOfRange(
            "value out of range: overflow".into(),
        ));
    }
    if r == 0.0 && x != 0.0 && x.is_finite() && y.is_finite() {
        return Err(Error::NumericValueOutOfRange(
            "value out of range: underflow".into(),
        ));
    }
    Ok(r)
}

fn negative_log() -> Error {
    Error::InvalidArgumentForLogarithm("cannot take logarithm of a negative number".into())
}

/// `exp(numeric)`, infinities and NaN as PostgreSQL.
fn numeric_exp(x: Numeric) -> Result<Numeric> {
    Ok(match x {
        Numeric::Finite(d) => Numeric::Finite(numeric_math::exp(&d)?),
        Numeric::NegInfinity => Numeric::zero(),
        special => special,
    })
}

/// `ln(numeric)`, infinities and NaN as PostgreSQL.
fn numeric_ln(x: Numeric) -> Result<Numeric> {
    Ok(match x {
        Numeric::Finite(d) => Numeric::Finite(numeric_math::ln(&d)?),
        Numeric::NegInfinity => return Err(negative_log()),
        special => special,
    })
}

/// `log(base, x)` on numeric, with PostgreSQL's rules for NaN and the infinities.
fn numeric_log(base: Numeric, x: Numeric) -> Result<Numeric> {
    use Numeric::*;
    if let (Finite(b), Finite(v)) = (&base, &x) {
        return Ok(Finite(numeric_math::log(b, v)?));
    }
    if base.is_nan() || x.is_nan() {
        return Ok(NaN);
    }
    if base.signum() < 0 || x.signum() < 0 {
        return Err(negative_log());
    }
    if base.signum() == 0 || x.signum() == 0 {
        return Err(Error::InvalidArgumentForLogarithm(
            "cannot take logarithm of zero".into(),
        ));
    }
    Ok(match (base, x) {
        (Infinity, Infinity) => NaN,
        (Infinity, _) => Numeric::zero(),
        _ => Infinity,
    })
}

/// `power(numeric, numeric)` with PostgreSQL's (POSIX `pow`) rules for NaN and the
/// infinities.
fn numeric_power(base: Numeric, exp: Numeric) -> Result<Numeric> {
    use Numeric::*;
    let one = || Numeric::from_i64(1);
    let is_one = |n: &Numeric| matches!(n, Finite(d) if d.is_one());
    let zero_exp = |n: &Numeric| matches!(n, Finite(d) if d.is_zero());
    if let (Finite(b), Finite(e)) = (&base, &exp) {
        return Ok(Finite(numeric_math::power(b, e)?));
    }
    if base.is_nan() {
        return Ok(if zero_exp(&exp) { one() } else { NaN });
    }
    if exp.is_nan() {
        return Ok(if is_one(&base) { one() } else { NaN });
    }
    if base.signum() == 0 && exp.signum() < 0 {
        return Err(Error::InvalidArgumentForPowerFunction(
            "zero raised to a negative power is undefined".into(),
        ));
    }
    if let (NegInfinity | Infinity, Finite(e)) = (&base, &exp) {
        if e.is_zero() {
            return Ok(one());
        }
        if e.sign() == bigdecimal::num_bigint::Sign::Minus {
            return Ok(Numeric::zero());
        }
        let odd = e.is_integer() && (e % BigDecimal::from(2)).abs().is_one();
        return Ok(if matches!(base, NegInfinity) && odd {
            NegInfinity
        } else {
            Infinity
        });
    }
    // A finite base, an infinite exponent.
    let Finite(b) = &base else {
        // Both infinite.
        return Ok(match (base, exp) {
            (_, NegInfinity) => Numeric::zero(),
            (NegInfinity, _) => Infinity,
            _ => Infinity,
        });
    };
    let magnitude = b.abs().cmp(&BigDecimal::from(1));
    Ok(match (magnitude, matches!(exp, Infinity)) {
        (std::cmp::Ordering::Equal, _) => one(),
        (std::cmp::Ordering::Less, true) | (std::cmp::Ordering::Greater, false) => Numeric::zero(),
        _ => Infinity,
    })
}

/// `sqrt(numeric)` with PostgreSQL's result scale (at least 16 significant digits).
fn numeric_sqrt(n: &Numeric) -> Result<Numeric> {
    let d = match n {
        Numeric::NaN => return Ok(Numeric::NaN),
        Numeric::Infinity => return Ok(Numeric::Infinity),
        Numeric::NegInfinity => return Err(negative_sqrt()),
        Numeric::Finite(d) => d,
    };
    if d.sign() == bigdecimal::num_bigint::Sign::Minus {
        return Err(negative_sqrt());
    }
    let (weight, _) = Numeric::nbase_weight_and_first(d);
    let sweight = (weight + 1) * 4 / 2 - 1;
    let rscale = (16 - sweight)
        .max(d.fractional_digit_count())
        .clamp(0, MAX_DISPLAY_SCALE);
    Ok(Numeric::Finite(crate::types::numeric_math::sqrt_to_scale(
        d, rscale,
    )))
}

/// PostgreSQL's `width_bucket`: which of `count` equal buckets between `low` and `high`
/// holds `x` (0 below, `count + 1` above; `low > high` counts downwards).
fn width_bucket(x: f64, low: f64, high: f64, count: i64) -> Result<i64> {
    let bad = |m: &str| Err(Error::InvalidArgumentForWidthBucket(m.into()));
    if count <= 0 {
        return bad("count must be greater than zero");
    }
    if x.is_nan() || low.is_nan() || high.is_nan() {
        return bad("operand, lower bound, and upper bound cannot be NaN");
    }
    if low.is_infinite() || high.is_infinite() {
        return bad("lower and upper bounds must be finite");
    }
    let past_end = || {
        i32::try_from(count + 1)
            .map(i64::from)
            .map_err(|_| Error::NumericValueOutOfRange("integer out of range".into()))
    };
    // PostgreSQL's float arithmetic, in its order, and C's conversion to int4 (INT_MIN
    // when the quotient overflowed to infinity or NaN).
    let bucket = |r: f64| {
        if r.is_finite() && r >= f64::from(i32::MIN) && r < 2147483648.0 {
            i64::from(r as i32)
        } else {
            i64::from(i32::MIN)
        }
    };
    let n = count as f64;
    if low < high {
        if x < low {
            Ok(0)
        } else if x >= high {
            past_end()
        } else {
            Ok(bucket(n * (x - low) / (high - low) + 1.0))
        }
    } else if low > high {
        if x > low {
            Ok(0)
        } else if x <= high {
            past_end()
        } else {
            Ok(bucket(n * (low - x) / (low - high) + 1.0))
        }
    } else {
        bad("lower bound cannot equal upper bound")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqrt(s: &str) -> String {
        numeric_sqrt(&Numeric::parse(s).unwrap())
            .unwrap()
            .to_string()
    }

    #[test]
    fn numeric_sqrt_scales() {
        assert_eq!(sqrt("2.0"), "1.414213562373095");
        assert_eq!(sqrt("2"), "1.414213562373095");
        assert_eq!(sqrt("100"), "10.000000000000000");
        assert_eq!(sqrt("0"), "0.000000000000000");
        assert!(numeric_sqrt(&Numeric::parse("-1").unwrap()).is_err());
    }
}
