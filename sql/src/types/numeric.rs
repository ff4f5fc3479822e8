//! `numeric`: exact decimal arithmetic with PostgreSQL's display scales, rounding and limits.
//!
//! A [`Numeric`] is a finite decimal (a [`BigDecimal`] whose scale is the *display scale*,
//! PostgreSQL's `dscale`, always `>= 0`), `NaN`, or ±`Infinity` (PostgreSQL 14+). The rules
//! follow PostgreSQL's `numeric.c`:
//!
//! * `+`/`-` keep the larger input scale, `*` adds the scales, `/` picks its scale with
//!   `select_div_scale` (at least 16 significant digits, at least either input's scale, at
//!   most 1000) and rounds half away from zero; `%` truncates the quotient.
//! * `round`/`trunc` to a (possibly negative) number of places; casts to integers round half
//!   away from zero.
//! * Limits: at most 131072 digits before the decimal point and 16383 after ("value
//!   overflows numeric format", 22003); `numeric(p, s)` rounds to `s` places and then
//!   rejects values with more than `p - s` integer digits ("numeric field overflow", 22003).
//! * Order: `-Infinity` < every finite value < `Infinity` < `NaN`, and `NaN = NaN` (btree
//!   order, as PostgreSQL sorts them). `1.0 = 1.00`.
//! * `float8 → numeric` goes through 15 significant digits (`%.15g`), `float4` through 6, as
//!   PostgreSQL does, so `0.1::float8::numeric` is `0.1`.

use bigdecimal::num_bigint::{BigInt, Sign};
use bigdecimal::{BigDecimal, RoundingMode, Signed, ToPrimitive, Zero};
use std::cmp::Ordering;

use super::NumericTypmod;
use crate::{Error, Result};

/// Digits allowed before the decimal point (PostgreSQL: NUMERIC_WEIGHT_MAX + 1 base-10000
/// digits).
pub const MAX_INTEGER_DIGITS: i64 = 131_072;
/// The largest display scale (NUMERIC_DSCALE_MAX).
pub const MAX_SCALE: i64 = 16_383;
/// The largest scale a division or function picks by itself (NUMERIC_MAX_DISPLAY_SCALE).
pub const MAX_DISPLAY_SCALE: i64 = 1000;
/// Significant digits a division aims for (NUMERIC_MIN_SIG_DIGITS).
const MIN_SIG_DIGITS: i64 = 16;

/// One `numeric` value. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Numeric {
    Finite(BigDecimal),
    NaN,
    Infinity,
    NegInfinity,
}

pub fn overflow() -> Error {
    Error::NumericValueOutOfRange("value overflows numeric format".into())
}

fn invalid(s: &str) -> Error {
    Error::InvalidTextRepresentation(format!("invalid input syntax for type numeric: \"{s}\""))
}

fn pow10(n: u64) -> BigInt {
    num_pow(BigInt::from(10u8), n)
}

fn num_pow(base: BigInt, exp: u64) -> BigInt {
    bigdecimal::num_traits::Pow::pow(base, exp)
}

/// `n / d` rounded half away from zero.
fn div_round(n: &BigInt, d: &BigInt) -> BigInt {
    let (q, r) = (n / d, n % d);
    if (r.abs() * 2u8) >= d.abs() {
        if (n.sign() == Sign::Minus) != (d.sign() == Sign::Minus) {
            q - 1u8
        } else {
            q + 1u8
        }
    } else {
        q
    }
}

impl Numeric {
    pub fn zero() -> Numeric {
        Numeric::Finite(BigDecimal::zero())
    }

    /// A finite value `digits * 10^-scale` (`scale >= 0`).
    pub fn new(digits: BigInt, scale: i64) -> Numeric {
        Numeric::Finite(BigDecimal::new(digits, scale))
    }

    pub fn from_i64(i: i64) -> Numeric {
        Numeric::new(BigInt::from(i), 0)
    }

    /// PostgreSQL's `float8_numeric` (15 significant digits).
    pub fn from_f64(f: f64) -> Result<Numeric> {
        Self::from_float(f, 15)
    }

    /// PostgreSQL's `float4_numeric` (6 significant digits).
    pub fn from_f32(f: f32) -> Result<Numeric> {
        Self::from_float(f64::from(f), 6)
    }

    fn from_float(f: f64, digits: usize) -> Result<Numeric> {
        if f.is_nan() {
            return Ok(Numeric::NaN);
        }
        if f.is_infinite() {
            return Ok(if f > 0.0 {
                Numeric::Infinity
            } else {
                Numeric::NegInfinity
            });
        }
        // `%.{digits}g`: round to `digits` significant digits, drop trailing zeros.
        let sci = format!("{f:.*e}", digits - 1);
        let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
        let mantissa = if mantissa.contains('.') {
            mantissa.trim_end_matches('0').trim_end_matches('.')
        } else {
            mantissa
        };
        Numeric::parse(&format!("{mantissa}e{exp}"))
    }

    /// PostgreSQL's `numeric_in`.
    pub fn parse(s: &str) -> Result<Numeric> {
        let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
        let lower = t.to_ascii_lowercase();
        match lower.as_str() {
            "nan" => return Ok(Numeric::NaN),
            "infinity" | "+infinity" | "inf" | "+inf" => return Ok(Numeric::Infinity),
            "-infinity" | "-inf" => return Ok(Numeric::NegInfinity),
            _ => {}
        }
        let b = t.as_bytes();
        let mut i = 0;
        let negative = match b.first() {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let mut digits = String::new();
        let mut scale: i64 = 0;
        let mut seen_point = false;
        let mut any_digit = false;
        while i < b.len() {
            match b[i] {
                c @ b'0'..=b'9' => {
                    digits.push(c as char);
                    any_digit = true;
                    if seen_point {
                        scale += 1;
                    }
                }
                b'.' if !seen_point => seen_point = true,
                _ => break,
            }
            i += 1;
        }
        if !any_digit {
            return Err(invalid(s));
        }
        let mut exponent: i64 = 0;
        if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
            i += 1;
            let start = i;
            if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
                i += 1;
            }
            let digits_start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == digits_start {
                return Err(invalid(s));
            }
            let e = &t[start..i];
            exponent = match e.parse::<i64>() {
                Ok(e) if e.abs() < i64::from(i32::MAX / 2) => e,
                _ => return Err(overflow()),
            };
        }
        if i != b.len() {
            return Err(invalid(s));
        }
        let mut int: BigInt = digits.parse().map_err(|_| invalid(s))?;
        if negative {
            int = -int;
        }
        // value = int * 10^(exponent - scale); display scale = max(0, scale - exponent)
        let shift = exponent - scale;
        if shift >= 0 {
            if shift > MAX_INTEGER_DIGITS + 1 && !int.is_zero() {
                return Err(overflow());
            }
            let int = if int.is_zero() {
                int
            } else {
                int * pow10(shift as u64)
            };
            Numeric::new(int, 0).checked()
        } else {
            if -shift > MAX_SCALE + MAX_INTEGER_DIGITS {
                return Err(overflow());
            }
            Numeric::new(int, -shift).checked()
        }
    }

    /// Fails with 22003 when the value is outside numeric's range (see module docs).
    pub fn checked(self) -> Result<Numeric> {
        if let Numeric::Finite(d) = &self {
            if d.fractional_digit_count() > MAX_SCALE {
                return Err(overflow());
            }
            if !d.is_zero() && d.digits() as i64 - d.fractional_digit_count() > MAX_INTEGER_DIGITS {
                return Err(overflow());
            }
        }
        Ok(self)
    }

    pub fn is_nan(&self) -> bool {
        matches!(self, Numeric::NaN)
    }

    /// The value as `f64` (nearest; NaN and the infinities map to themselves).
    pub fn to_f64(&self) -> f64 {
        match self {
            Numeric::NaN => f64::NAN,
            Numeric::Infinity => f64::INFINITY,
            Numeric::NegInfinity => f64::NEG_INFINITY,
            Numeric::Finite(_) => self.to_string().parse().unwrap_or(f64::NAN),
        }
    }

    /// Rounded to an integer (half away from zero); `None` if not finite or beyond i64.
    pub fn to_i64(&self) -> Option<i64> {
        match self.round(0) {
            Numeric::Finite(d) => d.to_i64(),
            _ => None,
        }
    }

    /// The display scale of a finite value.
    pub fn scale(&self) -> i64 {
        match self {
            Numeric::Finite(d) => d.fractional_digit_count(),
            _ => 0,
        }
    }

    fn finite(&self) -> Option<&BigDecimal> {
        match self {
            Numeric::Finite(d) => Some(d),
            _ => None,
        }
    }

    /// -1, 0 or 1 for finite values; the infinities count as ±1, NaN as 0.
    pub fn signum(&self) -> i32 {
        match self {
            Numeric::Finite(d) => match d.sign() {
                Sign::Minus => -1,
                Sign::NoSign => 0,
                Sign::Plus => 1,
            },
            Numeric::Infinity => 1,
            Numeric::NegInfinity => -1,
            Numeric::NaN => 0,
        }
    }

    pub fn neg(&self) -> Numeric {
        match self {
            Numeric::Finite(d) => Numeric::Finite(-d),
            Numeric::NaN => Numeric::NaN,
            Numeric::Infinity => Numeric::NegInfinity,
            Numeric::NegInfinity => Numeric::Infinity,
        }
    }

    pub fn abs(&self) -> Numeric {
        match self {
            Numeric::Finite(d) => Numeric::Finite(d.abs()),
            Numeric::NegInfinity => Numeric::Infinity,
            other => other.clone(),
        }
    }

    pub fn add(&self, other: &Numeric) -> Result<Numeric> {
        use Numeric::*;
        match (self, other) {
            (Finite(a), Finite(b)) => Finite(a + b).checked(),
            (NaN, _) | (_, NaN) => Ok(NaN),
            (Infinity, NegInfinity) | (NegInfinity, Infinity) => Ok(NaN),
            (Infinity, _) | (_, Infinity) => Ok(Infinity),
            (NegInfinity, _) | (_, NegInfinity) => Ok(NegInfinity),
        }
    }

    pub fn sub(&self, other: &Numeric) -> Result<Numeric> {
        self.add(&other.neg())
    }

    pub fn mul(&self, other: &Numeric) -> Result<Numeric> {
        use Numeric::*;
        match (self, other) {
            (Finite(a), Finite(b)) => Finite(a * b).checked(),
            (NaN, _) | (_, NaN) => Ok(NaN),
            _ => match self.signum() * other.signum() {
                0 => Ok(NaN),
                s if s > 0 => Ok(Infinity),
                _ => Ok(NegInfinity),
            },
        }
    }

    /// PostgreSQL's `numeric_div`: the scale from `select_div_scale`, rounded.
    pub fn div(&self, other: &Numeric) -> Result<Numeric> {
        self.divide(other, |a, b| {
            div_to_scale(a, b, select_div_scale(a, b), true)
        })
    }

    /// Integer division truncated toward zero (`div(a, b)`).
    pub fn div_trunc(&self, other: &Numeric) -> Result<Numeric> {
        self.divide(other, |a, b| div_to_scale(a, b, 0, false))
    }

    /// A division: NaN and infinity rules around `finite` for two finite operands.
    fn divide(
        &self,
        other: &Numeric,
        finite: impl Fn(&BigDecimal, &BigDecimal) -> Numeric,
    ) -> Result<Numeric> {
        use Numeric::*;
        match (self, other) {
            (NaN, _) | (_, NaN) => Ok(NaN),
            (_, Finite(b)) if b.is_zero() => Err(Error::DivisionByZero),
            (Finite(a), Finite(b)) => finite(a, b).checked(),
            (Finite(_), _) => Ok(Numeric::zero()),
            (_, Finite(b)) => Ok(if b.is_negative() {
                self.neg()
            } else {
                self.clone()
            }),
            _ => Ok(NaN),
        }
    }

    /// `a % b`: the remainder of the truncated quotient, with the larger input scale.
    pub fn rem(&self, other: &Numeric) -> Result<Numeric> {
        use Numeric::*;
        match (self, other) {
            (NaN, _) | (_, NaN) => Ok(NaN),
            (_, Finite(b)) if b.is_zero() => Err(Error::DivisionByZero),
            (Finite(a), Finite(b)) => {
                let q = div_to_scale(a, b, 0, false);
                let q = q.finite().expect("finite quotient");
                Finite(a - &(q * b)).checked()
            }
            (Finite(_), _) => Ok(self.clone()),
            _ => Ok(NaN),
        }
    }

    /// `gcd(a, b)`: the largest positive value both are whole multiples of (`gcd(1.5, 2.25)`
    /// is 0.75), at the larger input scale; NaN when either is NaN or infinite, as
    /// PostgreSQL's `numeric_gcd`.
    pub fn gcd(&self, other: &Numeric) -> Result<Numeric> {
        let (Some(a), Some(b)) = (self.finite(), other.finite()) else {
            return Ok(Numeric::NaN);
        };
        let scale = self.scale().max(other.scale());
        let (mut x, mut y) = (Numeric::Finite(a.abs()), Numeric::Finite(b.abs()));
        while y.finite().is_some_and(|v| !v.is_zero()) {
            let r = x.rem(&y)?;
            (x, y) = (y, r);
        }
        Ok(x.round(scale))
    }

    /// `lcm(a, b)`: the smallest positive value that is a whole multiple of both (0 when
    /// either is 0), at the larger input scale; NaN when either is NaN or infinite.
    pub fn lcm(&self, other: &Numeric) -> Result<Numeric> {
        let (Some(a), Some(b)) = (self.finite(), other.finite()) else {
            return Ok(Numeric::NaN);
        };
        let scale = self.scale().max(other.scale());
        if a.is_zero() || b.is_zero() {
            return Ok(Numeric::zero().round(scale));
        }
        let g = self.gcd(other)?;
        let r = Numeric::Finite(a.abs())
            .div_trunc(&g)?
            .mul(&Numeric::Finite(b.abs()))?;
        r.round(scale).checked()
    }

    /// Rounds to `places` digits after the point (negative: before it), half away from zero.
    /// The display scale becomes `max(places, 0)`.
    pub fn round(&self, places: i64) -> Numeric {
        self.rescale(places, RoundingMode::HalfUp)
    }

    /// Truncates to `places` digits after the point (negative: before it).
    pub fn trunc(&self, places: i64) -> Numeric {
        self.rescale(places, RoundingMode::Down)
    }

    fn rescale(&self, places: i64, mode: RoundingMode) -> Numeric {
        let Numeric::Finite(d) = self else {
            return self.clone();
        };
        let places = places.clamp(-MAX_INTEGER_DIGITS - 1, MAX_SCALE);
        let r = d.with_scale_round(places, mode);
        if places >= 0 {
            Numeric::Finite(r)
        } else {
            Numeric::Finite(r.with_scale(0))
        }
    }

    /// The smallest integer not below the value.
    pub fn ceil(&self) -> Numeric {
        self.rescale(0, RoundingMode::Ceiling)
    }

    /// The largest integer not above the value.
    pub fn floor(&self) -> Numeric {
        self.rescale(0, RoundingMode::Floor)
    }

    /// Coerces to `numeric(p, s)` (PostgreSQL's `apply_typmod`).
    pub fn apply_typmod(&self, m: NumericTypmod) -> Result<Numeric> {
        let (p, s) = (i64::from(m.precision), i64::from(m.scale));
        let detail = || {
            Error::NumericValueOutOfRange(format!(
                "numeric field overflow: A field with precision {p}, scale {s} must round to an absolute value less than {}.",
                if p - s <= 0 {
                    "1".to_string()
                } else {
                    format!("10^{}", p - s)
                }
            ))
        };
        match self {
            Numeric::NaN => Ok(Numeric::NaN),
            Numeric::Infinity | Numeric::NegInfinity => {
                Err(Error::NumericValueOutOfRange(format!(
                    "numeric field overflow: A field with precision {p}, scale {s} cannot hold an infinite value."
                )))
            }
            Numeric::Finite(_) => {
                let r = self.round(s);
                let Numeric::Finite(d) = &r else {
                    return Ok(r);
                };
                if !d.is_zero() {
                    let int_digits = d.digits() as i64 - d.fractional_digit_count();
                    if int_digits > p - s {
                        return Err(detail());
                    }
                }
                // A negative scale rounds before the point but displays no fraction.
                Ok(if s < 0 {
                    Numeric::Finite(d.with_scale(0))
                } else {
                    r
                })
            }
        }
    }

    /// PostgreSQL's base-10000 view of a finite value: the weight of the first non-zero
    /// digit group and that group's value (both 0 for zero). Groups align at the point.
    pub fn nbase_weight_and_first(d: &BigDecimal) -> (i64, u32) {
        let (int, scale) = d.as_bigint_and_exponent();
        if int.is_zero() {
            return (0, 0);
        }
        let digits = int.magnitude().to_string();
        let e = digits.len() as i64 - 1 - scale; // decimal exponent of the leading digit
        let w = e.div_euclid(4);
        let take = (e - 4 * w + 1) as usize; // 1..=4 digits of the leading group
        let mut first: String = digits.chars().take(take).collect();
        while first.len() < take {
            first.push('0');
        }
        (w, first.parse().unwrap_or(0))
    }

    /// Total order for sorting (see module docs).
    pub fn total_cmp(&self, other: &Numeric) -> Ordering {
        use Numeric::*;
        let rank = |n: &Numeric| match n {
            NegInfinity => 0,
            Finite(_) => 1,
            Infinity => 2,
            NaN => 3,
        };
        match (self, other) {
            (Finite(a), Finite(b)) => a.cmp(b),
            _ => rank(self).cmp(&rank(other)),
        }
    }

    /// The digits and display scale of a finite value.
    pub fn parts(&self) -> Option<(BigInt, i64)> {
        self.finite().map(|d| d.as_bigint_and_exponent())
    }
}

/// PostgreSQL's `select_div_scale`.
pub(super) fn select_div_scale(a: &BigDecimal, b: &BigDecimal) -> i64 {
    let (w1, f1) = Numeric::nbase_weight_and_first(a);
    let (w2, f2) = Numeric::nbase_weight_and_first(b);
    let mut qweight = w1 - w2;
    if f1 <= f2 {
        qweight -= 1;
    }
    let rscale = MIN_SIG_DIGITS - qweight * 4;
    rscale
        .max(a.fractional_digit_count())
        .max(b.fractional_digit_count())
        .clamp(0, MAX_DISPLAY_SCALE)
}

/// `a / b` to `scale` places, rounded half away from zero or truncated.
pub(super) fn div_to_scale(a: &BigDecimal, b: &BigDecimal, scale: i64, round: bool) -> Numeric {
    let (ai, sa) = a.as_bigint_and_exponent();
    let (bi, sb) = b.as_bigint_and_exponent();
    // q = ai/bi * 10^(sb - sa + scale)
    let k = sb - sa + scale;
    let (n, d) = if k >= 0 {
        (ai * pow10(k as u64), bi)
    } else {
        (ai, bi * pow10((-k) as u64))
    };
    let q = if round { div_round(&n, &d) } else { n / d };
    Numeric::new(q, scale)
}

impl std::fmt::Display for Numeric {
    /// PostgreSQL's `numeric_out`: plain notation with exactly the display scale.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Numeric::NaN => f.write_str("NaN"),
            Numeric::Infinity => f.write_str("Infinity"),
            Numeric::NegInfinity => f.write_str("-Infinity"),
            Numeric::Finite(d) => {
                let (int, scale) = d.as_bigint_and_exponent();
                let digits = int.magnitude().to_string();
                let sign = if int.sign() == Sign::Minus { "-" } else { "" };
                if scale <= 0 {
                    let zeros = if int.is_zero() { 0 } else { (-scale) as usize };
                    return write!(f, "{sign}{digits}{}", "0".repeat(zeros));
                }
                let scale = scale as usize;
                let padded = if digits.len() <= scale {
                    format!("{}{digits}", "0".repeat(scale + 1 - digits.len()))
                } else {
                    digits
                };
                let (i, frac) = padded.split_at(padded.len() - scale);
                write!(f, "{sign}{i}.{frac}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Numeric {
        Numeric::parse(s).unwrap()
    }

    #[test]
    fn parses_and_prints_like_postgres() {
        let cases = [
            ("1.50", "1.50"),
            (" -0.001 ", "-0.001"),
            (".5", "0.5"),
            ("5.", "5"),
            ("1e3", "1000"),
            ("1.5e-3", "0.0015"),
            ("-0", "0"),
            ("00012.3400", "12.3400"),
            ("nan", "NaN"),
            ("-inf", "-Infinity"),
            ("1.23E+2", "123"),
        ];
        for (input, want) in cases {
            assert_eq!(n(input).to_string(), want, "{input}");
        }
        for bad in ["", "abc", "1.2.3", "1e", "--1", "1 2", "."] {
            assert_eq!(Numeric::parse(bad).unwrap_err().code(), "22P02", "{bad}");
        }
        assert_eq!(Numeric::parse("1e200000").unwrap_err().code(), "22003");
    }

    #[test]
    fn arithmetic_scales() {
        assert_eq!(n("1.5").add(&n("2.25")).unwrap().to_string(), "3.75");
        assert_eq!(n("1.50").mul(&n("2.2")).unwrap().to_string(), "3.300");
        assert_eq!(
            n("1").div(&n("3")).unwrap().to_string(),
            "0.33333333333333333333"
        );
        assert_eq!(
            n("10").div(&n("4")).unwrap().to_string(),
            "2.5000000000000000"
        );
        assert_eq!(
            n("1.50").div(&n("3")).unwrap().to_string(),
            "0.50000000000000000000"
        );
        assert_eq!(
            n("123456789").div(&n("3")).unwrap().to_string(),
            "41152263.000000000000"
        );
        assert_eq!(
            n("2").div(&n("3")).unwrap().to_string(),
            "0.66666666666666666667"
        );
        assert_eq!(
            n("-2").div(&n("3")).unwrap().to_string(),
            "-0.66666666666666666667"
        );
        assert_eq!(n("7.5").rem(&n("2")).unwrap().to_string(), "1.5");
        assert_eq!(n("-7").rem(&n("2")).unwrap().to_string(), "-1");
        assert_eq!(n("1").div(&n("0")).unwrap_err().code(), "22012");
        assert_eq!(n("Infinity").sub(&n("Infinity")).unwrap(), Numeric::NaN);
    }

    #[test]
    fn rounding_and_typmods() {
        assert_eq!(n("2.5").round(0).to_string(), "3");
        assert_eq!(n("-2.5").round(0).to_string(), "-3");
        assert_eq!(n("1.2345").round(2).to_string(), "1.23");
        assert_eq!(n("1234.5").round(-2).to_string(), "1200");
        assert_eq!(n("1.2").round(4).to_string(), "1.2000");
        assert_eq!(n("-1.99").trunc(1).to_string(), "-1.9");
        assert_eq!(n("-1.5").ceil().to_string(), "-1");
        assert_eq!(n("-1.5").floor().to_string(), "-2");
        let m = NumericTypmod {
            precision: 5,
            scale: 2,
        };
        assert_eq!(n("123.456").apply_typmod(m).unwrap().to_string(), "123.46");
        assert_eq!(n("1").apply_typmod(m).unwrap().to_string(), "1.00");
        assert_eq!(n("999.999").apply_typmod(m).unwrap_err().code(), "22003");
        let neg = NumericTypmod {
            precision: 3,
            scale: -2,
        };
        assert_eq!(n("12345").apply_typmod(neg).unwrap().to_string(), "12300");
    }

    #[test]
    fn floats_and_order() {
        assert_eq!(Numeric::from_f64(0.1).unwrap().to_string(), "0.1");
        assert_eq!(
            Numeric::from_f64(1.0 / 3.0).unwrap().to_string(),
            "0.333333333333333"
        );
        assert_eq!(
            Numeric::from_f64(1e20).unwrap().to_string(),
            "100000000000000000000"
        );
        assert_eq!(Numeric::from_f32(0.1).unwrap().to_string(), "0.1");
        assert_eq!(n("1.0"), n("1.0"));
        assert_eq!(n("1.0").total_cmp(&n("1.00")), Ordering::Equal);
        assert!(n("NaN").total_cmp(&n("Infinity")).is_gt());
        assert!(n("-Infinity").total_cmp(&n("-1e100")).is_lt());
        assert_eq!(n("2.5").to_i64(), Some(3));
        assert_eq!(n("12.5").to_f64(), 12.5);
    }
}
