//! Math functions with PostgreSQL's results and errors: `abs`, `gcd` / `lcm` (integer results
//! checked at their width, 22003), `degrees`, `radians`, the trigonometric functions (domain
//! errors 22003 "input is out of range"), `random` and `setseed`. The functions PostgreSQL
//! has for both numeric and double precision (`round`, `trunc`, `floor`, `ceil`, `sign`,
//! `sqrt`, `cbrt`, `exp`, `ln`, `log`, `power`, `pi`, `mod`, `div`) are
//! [`crate::expr::numeric_fns`]'s, double precision included.
//!
//! `random()` draws from a per-thread generator (the compute runs each session on its own
//! thread, so this is per session); `setseed(x)` makes its sequence repeatable. The sequence
//! is not PostgreSQL's.

use super::{Function, Trig, float, int};
use crate::types::cast::{check_int, int_out_of_range};
use crate::{DataType, Error, Result, Value};
use std::cell::Cell;

thread_local! {
    /// The state of `random()` (splitmix64); 0 until first use or `setseed`.
    static SEED: Cell<u64> = const { Cell::new(0) };
}

fn overflow() -> Error {
    Error::NumericValueOutOfRange("value out of range: overflow".into())
}

fn out_of_range() -> Error {
    Error::NumericValueOutOfRange("input is out of range".into())
}

/// A float result, with PostgreSQL's overflow / underflow checks for a finite input.
fn checked(input_finite: bool, r: f64) -> Result<Value> {
    if input_finite && r.is_infinite() {
        return Err(overflow());
    }
    Ok(Value::Float(r))
}

/// Calls a math function (the caller handled strictness).
pub fn call(f: Function, args: Vec<Value>) -> Result<Value> {
    let arg = |i: usize| {
        args.get(i)
            .ok_or_else(|| Error::Internal("missing argument".into()))
    };
    let x = || arg(0).and_then(float);
    let fl = |v: f64| Ok(Value::Float(v));
    match f {
        Function::Abs(t) => match arg(0)? {
            Value::Int(i) => Ok(Value::Int(check_int(
                i.checked_abs().ok_or_else(|| int_out_of_range(t))?,
                t,
            )?)),
            Value::Float(v) => fl(v.abs()),
            Value::Float4(v) => Ok(Value::Float4(v.abs())),
            Value::Numeric(n) => Ok(Value::numeric(n.abs())),
            other => Err(Error::Internal(format!("abs of {other:?}"))),
        },
        Function::Gcd(DataType::Numeric(_)) | Function::Lcm(DataType::Numeric(_)) => {
            let numeric = |v: &Value| match v {
                Value::Numeric(n) => Ok((**n).clone()),
                Value::Int(i) => Ok(crate::types::numeric::Numeric::from_i64(*i)),
                other => Err(Error::Internal(format!("gcd of {other:?}"))),
            };
            let (a, b) = (numeric(arg(0)?)?, numeric(arg(1)?)?);
            Ok(Value::numeric(if matches!(f, Function::Gcd(_)) {
                a.gcd(&b)?
            } else {
                a.lcm(&b)?
            }))
        }
        Function::Gcd(t) | Function::Lcm(t) => {
            let (a, b) = (int(arg(0)?)?, int(arg(1)?)?);
            if matches!(f, Function::Lcm(_)) && (a == 0 || b == 0) {
                return Ok(Value::Int(0));
            }
            let g = gcd(a, b).ok_or_else(|| int_out_of_range(t))?;
            let r = if matches!(f, Function::Gcd(_)) {
                g
            } else {
                (a / g)
                    .checked_mul(b)
                    .and_then(i64::checked_abs)
                    .ok_or_else(|| int_out_of_range(t))?
            };
            Ok(Value::Int(check_int(r, t)?))
        }
        Function::Degrees => checked(x()?.is_finite(), x()?.to_degrees()),
        Function::Radians => fl(x()?.to_radians()),
        Function::Trig(t) => trig(t, x()?),
        Function::Atan2 => fl(x()?.atan2(float(arg(1)?)?)),
        Function::Atan2d => fl(super::trig_degrees::atan2d(x()?, float(arg(1)?)?)),
        Function::Random => fl(random()),
        Function::Setseed => {
            let s = x()?;
            if !(-1.0..=1.0).contains(&s) {
                return Err(Error::InvalidParameterValue(format!(
                    "setseed parameter {} is out of allowed range [-1,1]",
                    crate::types::format::float8(s)
                )));
            }
            SEED.with(|c| c.set((s * i64::MAX as f64) as i64 as u64 | 1));
            Ok(Value::Text(String::new()))
        }
        other => Err(Error::Internal(format!("{other:?} is not a math function"))),
    }
}

/// `gcd`, `None` when the result does not fit (`gcd(i64::MIN, 0)`).
fn gcd(a: i64, b: i64) -> Option<i64> {
    let (mut x, mut y) = (a.unsigned_abs(), b.unsigned_abs());
    while y != 0 {
        (x, y) = (y, x % y);
    }
    i64::try_from(x).ok()
}

fn trig(t: Trig, v: f64) -> Result<Value> {
    if v.is_nan() {
        return Ok(Value::Float(f64::NAN));
    }
    let r = match t {
        Trig::Sin | Trig::Cos | Trig::Tan | Trig::Cot if v.is_infinite() => {
            return Err(out_of_range());
        }
        Trig::Sin => v.sin(),
        Trig::Cos => v.cos(),
        Trig::Tan => v.tan(),
        Trig::Cot => 1.0 / v.tan(),
        Trig::Asin | Trig::Acos if !(-1.0..=1.0).contains(&v) => return Err(out_of_range()),
        Trig::Asin => v.asin(),
        Trig::Acos => v.acos(),
        Trig::Atan => v.atan(),
        // Overflow is ±Infinity (PostgreSQL's dsinh / dcosh), never an error.
        Trig::Sinh => v.sinh(),
        Trig::Cosh => v.cosh(),
        Trig::Tanh => v.tanh(),
        Trig::Asinh => v.asinh(),
        Trig::Acosh if v < 1.0 => return Err(out_of_range()),
        Trig::Acosh => v.acosh(),
        Trig::Atanh if !(-1.0..=1.0).contains(&v) => return Err(out_of_range()),
        Trig::Atanh if v == 1.0 => f64::INFINITY,
        Trig::Atanh if v == -1.0 => f64::NEG_INFINITY,
        Trig::Atanh => v.atanh(),
        Trig::Degrees(name) => super::trig_degrees::eval(name, v)?,
    };
    Ok(Value::Float(r))
}

/// The next value of the thread's generator, in `[0, 1)`.
fn random() -> f64 {
    SEED.with(|c| {
        let mut s = c.get();
        if s == 0 {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64);
            s = now ^ (std::process::id() as u64).rotate_left(32) | 1;
        }
        s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        c.set(s);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::DataType;

    fn call1(f: Function, v: f64) -> Result<Value> {
        call(f, vec![Value::Float(v)])
    }

    #[test]
    fn errors_and_integer_functions_match_postgres() {
        assert_eq!(call1(Function::Degrees, 1e308).unwrap_err().code(), "22003");
        assert_eq!(
            call1(Function::Trig(Trig::Asin), 2.0).unwrap_err().code(),
            "22003"
        );
        let gcd = call(
            Function::Gcd(DataType::Int4),
            vec![Value::Int(12), Value::Int(-18)],
        );
        assert_eq!(gcd.unwrap(), Value::Int(6));
        let lcm = call(
            Function::Lcm(DataType::Int4),
            vec![Value::Int(4), Value::Int(6)],
        );
        assert_eq!(lcm.unwrap(), Value::Int(12));
    }

    #[test]
    fn setseed_makes_random_repeatable() {
        call1(Function::Setseed, 0.5).unwrap();
        let a = call(Function::Random, vec![]).unwrap();
        call1(Function::Setseed, 0.5).unwrap();
        assert_eq!(call(Function::Random, vec![]).unwrap(), a);
        assert!(matches!(a, Value::Float(v) if (0.0..1.0).contains(&v)));
    }
}
