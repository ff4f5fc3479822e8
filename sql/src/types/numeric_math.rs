//! `numeric` logarithms, exponentials and powers: `ln`, `log(b, x)`, `log10`, `exp` and
//! `power` / `^` computed in decimal, with the result scales PostgreSQL 15's `numeric.c`
//! picks (at least 16 significant digits, never fewer decimals than an input shows, at most
//! 1000), so `2.0 ^ 3` is `8.0000000000000000` and `exp(1.0)` is `2.7182818284590452`.
//!
//! The arithmetic is fixed point on big integers: a real `v` at `w` decimals is the integer
//! `round(v · 10^w)`. Each function works with guard digits beyond the scale it returns and
//! rounds half away from zero once at the end, so results are PostgreSQL's except, rarely,
//! in the last digit of a value that lies within the guard error of a rounding boundary.
//!
//! Also the variance and standard deviation of integers and numerics, as PostgreSQL's
//! `numeric_stddev_internal` computes them from exact sums.
//!
//! Pure functions of finite values; the callers handle NaN and the infinities.

use bigdecimal::num_bigint::{BigInt, Sign};
use bigdecimal::{BigDecimal, RoundingMode, Signed, ToPrimitive, Zero};

use super::numeric::{MAX_DISPLAY_SCALE, overflow};
use crate::{Error, Result};

/// NUMERIC_MIN_SIG_DIGITS.
const MIN_SIG_DIGITS: i64 = 16;
/// NUMERIC_MAX_RESULT_SCALE: `exp` of more than three times this overflows.
const MAX_RESULT_SCALE: f64 = 2000.0;
/// Extra digits carried through every computation.
const GUARD: i64 = 12;
const LN_10: f64 = std::f64::consts::LN_10;

fn pow10(n: i64) -> BigInt {
    bigdecimal::num_traits::Pow::pow(BigInt::from(10u8), n.max(0) as u64)
}

/// `n / d` rounded half away from zero.
fn div_round(n: &BigInt, d: &BigInt) -> BigInt {
    let (q, r) = (n / d, n % d);
    if r.magnitude() * 2u8 >= *d.magnitude() {
        if (n.sign() == Sign::Minus) != (d.sign() == Sign::Minus) {
            q - 1u8
        } else {
            q + 1u8
        }
    } else {
        q
    }
}

/// `x` at `w` decimals (rounded).
fn to_fixed(x: &BigDecimal, w: i64) -> BigInt {
    let (int, scale) = x.as_bigint_and_exponent();
    if scale <= w {
        int * pow10(w - scale)
    } else {
        div_round(&int, &pow10(scale - w))
    }
}

/// The decimal exponent of `x`'s leading digit (`x` ≠ 0): `x = m · 10^e`, `1 ≤ |m| < 10`.
fn exponent10(x: &BigDecimal) -> i64 {
    let (int, scale) = x.as_bigint_and_exponent();
    int.magnitude().to_string().len() as i64 - 1 - scale
}

fn clamp_scale(rscale: i64) -> i64 {
    rscale.clamp(0, MAX_DISPLAY_SCALE)
}

/// A fixed-point value `v` at `w` decimals as a numeric rounded to `rscale` decimals.
fn from_fixed(v: BigInt, w: i64, rscale: i64) -> BigDecimal {
    BigDecimal::new(v, w).with_scale_round(rscale, RoundingMode::HalfUp)
}

/// PostgreSQL's `estimate_ln_dweight`: roughly the decimal weight of `ln(x)`, from the first
/// base-10000 digits of `x` (0 for `x ≤ 0`).
fn estimate_ln_dweight(x: &BigDecimal) -> i64 {
    if x.sign() != Sign::Plus {
        return 0;
    }
    let near_one = |s: &str| s.parse::<BigDecimal>().expect("constant");
    if *x >= near_one("0.9") && *x <= near_one("1.1") {
        let d = x - BigDecimal::from(1);
        if d.is_zero() {
            return 0;
        }
        let (weight, first) = super::numeric::Numeric::nbase_weight_and_first(&d.abs());
        return weight * 4 + (f64::from(first)).log10() as i64;
    }
    let (weight, first, second) = nbase_leading(x);
    let (mut digits, mut dweight) = (f64::from(first), weight * 4);
    if let Some(second) = second {
        digits = digits * 10_000.0 + f64::from(second);
        dweight -= 4;
    }
    let ln = digits.ln() + dweight as f64 * LN_10;
    ln.abs().log10() as i64
}

/// The weight and first base-10000 digit of `x` > 0, and the second digit if any non-zero
/// digit follows the first.
fn nbase_leading(x: &BigDecimal) -> (i64, u32, Option<u32>) {
    let (weight, first) = super::numeric::Numeric::nbase_weight_and_first(x);
    // What is left after the first group, shifted so its first group is the second digit.
    let rest = x - BigDecimal::new(BigInt::from(first), -(weight * 4));
    if rest.is_zero() {
        return (weight, first, None);
    }
    let shifted = (rest * BigDecimal::new(BigInt::from(1), (weight - 1) * 4))
        .with_scale_round(0, RoundingMode::Down);
    (weight, first, Some(shifted.to_u32().unwrap_or(0)))
}

/// `ln(m)` at `w` decimals for `m` (at `w` decimals) in `[1, 10]`: square roots bring `m`
/// within 1% of 1, then `ln m = 2 atanh((m - 1) / (m + 1))` as a series, times 2 per root.
fn ln_fixed_small(mut m: BigInt, w: i64) -> BigInt {
    let one = pow10(w);
    let mut roots = 0u32;
    while &m * 100u8 > &one * 101u8 {
        m = (&m * &one).sqrt();
        roots += 1;
    }
    let z = div_round(&((&m - &one) * &one), &(&m + &one));
    let z2 = div_round(&(&z * &z), &one);
    let mut sum = BigInt::zero();
    let mut power = z;
    let mut k = 1u32;
    loop {
        let term = &power / k;
        if term.is_zero() {
            break;
        }
        sum += term;
        power = div_round(&(&power * &z2), &one);
        k += 2;
    }
    sum * 2u8 * (BigInt::from(1u8) << roots)
}

/// `ln(10)` at `w` decimals.
fn ln10_fixed(w: i64) -> BigInt {
    let g = w + GUARD;
    div_round(&ln_fixed_small(pow10(g) * 10u8, g), &pow10(GUARD))
}

/// `ln(x)` at `w` decimals, `x > 0`.
fn ln_fixed(x: &BigDecimal, w: i64) -> BigInt {
    let e = exponent10(x);
    let g = w + GUARD + digit_count(e);
    // m = x / 10^e in [1, 10)
    let m = to_fixed(&(x * BigDecimal::new(BigInt::from(1), e)), g);
    let mut ln = ln_fixed_small(m, g);
    if e != 0 {
        ln += ln10_fixed(g) * e;
    }
    div_round(&ln, &pow10(g - w))
}

fn digit_count(n: i64) -> i64 {
    n.unsigned_abs()
        .checked_ilog10()
        .map_or(1, |d| i64::from(d) + 1)
}

/// `exp(y)` for `y` at `w` decimals in roughly `[-0.5, 2.5]`, at `w` decimals: halve until
/// below 0.01, a Taylor series, then square back.
fn exp_fixed_small(y: &BigInt, w: i64) -> BigInt {
    let one = pow10(w);
    let mut halvings = 0u32;
    let mut r = y.clone();
    while r.magnitude() * 100u8 > *one.magnitude() {
        r = div_round(&r, &BigInt::from(2u8));
        halvings += 1;
    }
    let mut sum = one.clone();
    let mut term = one.clone();
    let mut k = 1u32;
    loop {
        term = div_round(&(&term * &r), &(&one * k));
        if term.is_zero() {
            break;
        }
        sum += &term;
        k += 1;
    }
    for _ in 0..halvings {
        sum = div_round(&(&sum * &sum), &one);
    }
    sum
}

/// `exp(y)` rounded to `rscale` decimals (`|y|` below 6000).
fn exp_to_scale(y: &BigDecimal, rscale: i64) -> BigDecimal {
    let approx = y.to_f64().unwrap_or(0.0);
    // y = n·ln 10 + r, so exp(y) = exp(r) · 10^n with exp(r) near [1, 10).
    let n = (approx / LN_10).floor() as i64;
    let w = (rscale + n).max(0) + GUARD;
    let ln10 = ln10_fixed(w + digit_count(n));
    let r = to_fixed(y, w + digit_count(n)) - ln10 * n;
    let r = div_round(&r, &pow10(digit_count(n)));
    let e = exp_fixed_small(&r, w);
    from_fixed(e, w - n, rscale)
}

fn log_of_zero_or_negative(x: &BigDecimal) -> Option<Error> {
    match x.sign() {
        Sign::Plus => None,
        Sign::NoSign => Some(Error::InvalidArgumentForLogarithm(
            "cannot take logarithm of zero".into(),
        )),
        Sign::Minus => Some(Error::InvalidArgumentForLogarithm(
            "cannot take logarithm of a negative number".into(),
        )),
    }
}

/// `ln(x)` (PostgreSQL's `numeric_ln`).
pub fn ln(x: &BigDecimal) -> Result<BigDecimal> {
    if let Some(e) = log_of_zero_or_negative(x) {
        return Err(e);
    }
    let rscale =
        clamp_scale((MIN_SIG_DIGITS - estimate_ln_dweight(x)).max(x.fractional_digit_count()));
    let w = rscale + GUARD;
    Ok(from_fixed(ln_fixed(x, w), w, rscale))
}

/// `log(base, x)` (PostgreSQL's `log_var`); `log(x)` of a numeric is `log(10, x)`.
pub fn log(base: &BigDecimal, x: &BigDecimal) -> Result<BigDecimal> {
    if let Some(e) = log_of_zero_or_negative(base).or_else(|| log_of_zero_or_negative(x)) {
        return Err(e);
    }
    let base_dweight = estimate_ln_dweight(base);
    let x_dweight = estimate_ln_dweight(x);
    let result_dweight = x_dweight - base_dweight;
    let rscale = clamp_scale(
        (MIN_SIG_DIGITS - result_dweight)
            .max(base.fractional_digit_count())
            .max(x.fractional_digit_count()),
    );
    let w_base = (rscale + result_dweight - base_dweight + 8).max(0) + GUARD;
    let w_x = (rscale + result_dweight - x_dweight + 8).max(0) + GUARD;
    let ln_base = ln_fixed(base, w_base);
    if ln_base.is_zero() {
        return Err(Error::DivisionByZero);
    }
    let ln_x = ln_fixed(x, w_x);
    // (ln_x / 10^w_x) / (ln_base / 10^w_base) at rscale + GUARD decimals.
    let w = rscale + GUARD;
    let q = div_round(&(ln_x * pow10(w + w_base)), &(ln_base * pow10(w_x)));
    Ok(from_fixed(q, w, rscale))
}

/// `exp(x)` (PostgreSQL's `numeric_exp`).
pub fn exp(x: &BigDecimal) -> Result<BigDecimal> {
    let val = x.to_f64().unwrap_or(0.0);
    let weight = (val * std::f64::consts::LOG10_E).clamp(-MAX_RESULT_SCALE, MAX_RESULT_SCALE);
    let rscale = clamp_scale((MIN_SIG_DIGITS - weight as i64).max(x.fractional_digit_count()));
    if val.abs() >= MAX_RESULT_SCALE * 3.0 {
        if val > 0.0 {
            return Err(overflow());
        }
        return Ok(BigDecimal::new(BigInt::zero(), rscale));
    }
    Ok(exp_to_scale(x, rscale))
}

fn zero_to_negative() -> Error {
    Error::InvalidArgumentForPowerFunction("zero raised to a negative power is undefined".into())
}

/// `base ^ exp` (PostgreSQL's `numeric_power` / `power_var`).
pub fn power(base: &BigDecimal, exp: &BigDecimal) -> Result<BigDecimal> {
    if base.is_zero() && exp.is_negative() {
        return Err(zero_to_negative());
    }
    if exp.is_integer()
        && let Some(n) = exp.to_i64().filter(|n| i32::try_from(*n).is_ok())
    {
        return power_int(base, n);
    }
    if base.is_zero() {
        return Ok(BigDecimal::new(BigInt::zero(), MIN_SIG_DIGITS));
    }
    if base.is_negative() {
        return Err(Error::InvalidArgumentForPowerFunction(
            "a negative number raised to a non-integer power yields a complex result".into(),
        ));
    }
    // A low-precision exp · ln(base) picks the scale and catches certain overflow.
    let ln_dweight = estimate_ln_dweight(base);
    // As PostgreSQL: ln(base) to about 8 significant digits, times exp, both rounded to
    // that scale (the scale choice below depends on exactly this estimate).
    let low_w = (8 - ln_dweight).max(0);
    let low = BigDecimal::new(ln_fixed(base, low_w), low_w) * exp;
    let val = low
        .with_scale_round(low_w, RoundingMode::HalfUp)
        .to_f64()
        .unwrap_or(0.0);
    if val.abs() > MAX_RESULT_SCALE * 3.01 {
        if val > 0.0 {
            return Err(overflow());
        }
        return Ok(BigDecimal::new(BigInt::zero(), MAX_DISPLAY_SCALE));
    }
    let val = val * std::f64::consts::LOG10_E;
    let rscale = clamp_scale(
        (MIN_SIG_DIGITS - val as i64)
            .max(base.fractional_digit_count())
            .max(exp.fractional_digit_count()),
    );
    let sig_digits = (rscale + val as i64).max(0);
    let w = sig_digits + GUARD;
    // exp · ln(base) at w decimals: ln(base) needs the digits exp's integer part takes.
    let extra = exponent10(exp).max(0) + 1;
    let ln_base = ln_fixed(base, w + extra);
    let y = BigDecimal::new(ln_base, w + extra) * exp;
    let y = y.with_scale_round(w, RoundingMode::HalfUp);
    if y.to_f64().unwrap_or(0.0).abs() >= MAX_RESULT_SCALE * 3.0 {
        if y.is_positive() {
            return Err(overflow());
        }
        return Ok(BigDecimal::new(BigInt::zero(), rscale));
    }
    Ok(exp_to_scale(&y, rscale))
}

/// `base ^ n` for an integer `n` (PostgreSQL 15's `power_var_int`): at least 16 decimals,
/// or the base's scale if larger.
fn power_int(base: &BigDecimal, n: i64) -> Result<BigDecimal> {
    let rscale = clamp_scale(MIN_SIG_DIGITS.max(base.fractional_digit_count()));
    if n == 0 {
        return Ok(BigDecimal::new(BigInt::from(1u8), 0).with_scale(rscale));
    }
    if base.is_zero() {
        return Ok(BigDecimal::new(BigInt::zero(), rscale));
    }
    // Decimal weight of the result, to bound the work and catch overflow early.
    let weight = n as f64 * log10_abs(base);
    if weight > f64::from(3 * i16::MAX as i32 * 4) {
        return Err(overflow());
    }
    if weight + 1.0 < -(rscale as f64) {
        return Ok(BigDecimal::new(BigInt::zero(), rscale));
    }
    // Significant digits the result needs at rscale decimals, plus guards.
    let sig = (weight.max(0.0) as i64 + rscale + GUARD).max(GUARD) + digit_count(n);
    let magnitude = pow_relative(&base.abs(), n.unsigned_abs(), sig);
    let negative = base.is_negative() && n % 2 != 0;
    let r = if n > 0 {
        magnitude.with_scale_round(rscale, RoundingMode::HalfUp)
    } else {
        let w = rscale + GUARD;
        let (int, scale) = magnitude.as_bigint_and_exponent();
        // 1 / (int · 10^-scale) at w decimals.
        let q = div_round(&pow10(w + scale), &int);
        from_fixed(q, w, rscale)
    };
    let r = if negative { -r } else { r };
    if exponent10_or_zero(&r) >= super::numeric::MAX_INTEGER_DIGITS {
        return Err(overflow());
    }
    Ok(r)
}

fn exponent10_or_zero(x: &BigDecimal) -> i64 {
    if x.is_zero() { 0 } else { exponent10(x) }
}

/// `log10 |x|` as a double, for any size of `x` ≠ 0.
fn log10_abs(x: &BigDecimal) -> f64 {
    let e = exponent10(x);
    let m = (x.abs() * BigDecimal::new(BigInt::from(1), e))
        .to_f64()
        .unwrap_or(1.0);
    m.log10() + e as f64
}

/// `x^n` (`x > 0`) keeping `sig` significant digits after each multiplication.
fn pow_relative(x: &BigDecimal, mut n: u64, sig: i64) -> BigDecimal {
    let keep = |v: BigDecimal| -> BigDecimal {
        let scale = sig - 1 - exponent10(&v);
        if v.fractional_digit_count() > scale {
            v.with_scale_round(scale, RoundingMode::HalfUp)
        } else {
            v
        }
    };
    let mut result = BigDecimal::from(1);
    let mut square = keep(x.clone());
    loop {
        if n & 1 == 1 {
            result = keep(&result * &square);
        }
        n >>= 1;
        if n == 0 {
            break;
        }
        square = keep(&square * &square);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> BigDecimal {
        s.parse().unwrap()
    }

    /// Each expected value is PostgreSQL 15's output for the same call.
    #[test]
    fn results_and_scales_are_postgresqls() {
        let cases: &[(&str, BigDecimal, &str)] = &[
            (
                "2.0^3",
                power(&d("2.0"), &d("3")).unwrap(),
                "8.0000000000000000",
            ),
            (
                "2.0^100",
                power(&d("2.0"), &d("100")).unwrap(),
                "1267650600228229401496703205376.0000000000000000",
            ),
            (
                "2.00000000000000000000^2",
                power(&d("2.00000000000000000000"), &d("2")).unwrap(),
                "4.00000000000000000000",
            ),
            (
                "0.5^60",
                power(&d("0.5"), &d("60")).unwrap(),
                "0.0000000000000000",
            ),
            (
                "1.5^-3",
                power(&d("1.5"), &d("-3")).unwrap(),
                "0.2962962962962963",
            ),
            (
                "-2.0^3",
                power(&d("-2.0"), &d("3")).unwrap(),
                "-8.0000000000000000",
            ),
            (
                "0.0^0.0",
                power(&d("0.0"), &d("0.0")).unwrap(),
                "1.0000000000000000",
            ),
            (
                "0.0^0.5",
                power(&d("0.0"), &d("0.5")).unwrap(),
                "0.0000000000000000",
            ),
            (
                "1.0001^100000",
                power(&d("1.0001"), &d("100000")).unwrap(),
                "22015.4560485521986457",
            ),
            (
                "2.5^2.5",
                power(&d("2.5"), &d("2.5")).unwrap(),
                "9.8821176880261854",
            ),
            (
                "1e10^0.5",
                power(&d("10000000000"), &d("0.5")).unwrap(),
                "100000.00000000000",
            ),
            (
                "12345.678^1.5",
                power(&d("12345.678"), &d("1.5")).unwrap(),
                "1371741.9437585768",
            ),
            (
                "0.001^0.3333",
                power(&d("0.001"), &d("0.3333")).unwrap(),
                "0.1000230285020825",
            ),
            ("exp(10.0)", exp(&d("10.0")).unwrap(), "22026.465794806717"),
            (
                "exp(-10.0)",
                exp(&d("-10.0")).unwrap(),
                "0.00004539992976248485",
            ),
            (
                "exp(1.0000000000000000000000)",
                exp(&d("1.0000000000000000000000")).unwrap(),
                "2.7182818284590452353603",
            ),
            (
                "exp(50.5)",
                exp(&d("50.5")).unwrap(),
                "8548134287298057692257.9",
            ),
            (
                "exp(-50.5)",
                exp(&d("-50.5")).unwrap(),
                "0.0000000000000000000001169845917706196",
            ),
            ("ln(10.0)", ln(&d("10.0")).unwrap(), "2.3025850929940457"),
            ("ln(1.0)", ln(&d("1.0")).unwrap(), "0.0000000000000000"),
            ("ln(1.05)", ln(&d("1.05")).unwrap(), "0.048790164169432003"),
            (
                "ln(123456789.123)",
                ln(&d("123456789.123")).unwrap(),
                "18.631401767164318",
            ),
            (
                "ln(0.000001)",
                ln(&d("0.000001")).unwrap(),
                "-13.815510557964274",
            ),
            (
                "log(2.0, 8.0)",
                log(&d("2.0"), &d("8.0")).unwrap(),
                "3.0000000000000000",
            ),
            (
                "log(100.0)",
                log(&d("10"), &d("100.0")).unwrap(),
                "2.0000000000000000",
            ),
            (
                "log(0.5)",
                log(&d("10"), &d("0.5")).unwrap(),
                "-0.3010299956639812",
            ),
        ];
        for (what, got, want) in cases {
            let shown = super::super::Numeric::Finite(got.clone()).to_string();
            assert_eq!(shown, *want, "{what}");
        }
    }

    #[test]
    fn errors_are_postgresqls() {
        assert!(matches!(
            ln(&d("0")),
            Err(Error::InvalidArgumentForLogarithm(_))
        ));
        assert!(matches!(
            ln(&d("-1")),
            Err(Error::InvalidArgumentForLogarithm(_))
        ));
        assert!(matches!(log(&d("1"), &d("5")), Err(Error::DivisionByZero)));
        assert!(matches!(
            power(&d("0"), &d("-1")),
            Err(Error::InvalidArgumentForPowerFunction(_))
        ));
        assert!(matches!(
            power(&d("-2"), &d("0.5")),
            Err(Error::InvalidArgumentForPowerFunction(_))
        ));
        assert!(matches!(
            exp(&d("6000")),
            Err(Error::NumericValueOutOfRange(_))
        ));
        assert!(matches!(
            power(&d("10"), &d("200000")),
            Err(Error::NumericValueOutOfRange(_))
        ));
        let zero = super::super::Numeric::Finite(exp(&d("-6000")).unwrap()).to_string();
        assert_eq!(zero, format!("0.{}", "0".repeat(1000)));
    }
}

/// `var_samp` / `var_pop` (or, with `root`, `stddev_samp` / `stddev_pop`) of `n` values
/// whose sum is `sx` and sum of squares `sxx`, as PostgreSQL's `numeric_stddev_internal`:
/// `(n·Sxx − Sx²) / (n·(n−1))` (or `/ n²`) at `select_div_scale`'s scale, rounded, its
/// square root at the same scale; 0 when the numerator is not positive. `None` when the
/// sample has fewer than two values (one for the population).
pub fn variance(
    n: i64,
    sx: &BigDecimal,
    sxx: &BigDecimal,
    pop: bool,
    root: bool,
) -> Option<BigDecimal> {
    if n == 0 || (!pop && n == 1) {
        return None;
    }
    let count = BigDecimal::from(n);
    let numerator = &count * sxx - sx * sx;
    if numerator.sign() != Sign::Plus {
        return Some(BigDecimal::zero());
    }
    let denominator = if pop {
        &count * &count
    } else {
        &count * BigDecimal::from(n - 1)
    };
    let rscale = super::numeric::select_div_scale(&numerator, &denominator);
    let var = match super::numeric::div_to_scale(&numerator, &denominator, rscale, true) {
        super::Numeric::Finite(d) => d,
        _ => return None,
    };
    Some(if root {
        sqrt_to_scale(&var, rscale)
    } else {
        var
    })
}

/// The square root of a non-negative `x` to `scale` places, rounded half up.
pub fn sqrt_to_scale(x: &BigDecimal, scale: i64) -> BigDecimal {
    if x.is_zero() {
        return BigDecimal::new(BigInt::zero(), scale);
    }
    // isqrt(x · 10^(2(scale+1))) has scale+1 places; round the last one.
    let (int, s) = x.as_bigint_and_exponent();
    let shift = 2 * (scale + 1) - s;
    let v = if shift >= 0 {
        int * pow10(shift)
    } else {
        int / pow10(-shift)
    };
    let rounded = (v.sqrt() + 5u8) / 10u8;
    BigDecimal::new(rounded, scale)
}

#[cfg(test)]
mod variance_tests {
    use super::*;

    fn d(s: &str) -> BigDecimal {
        s.parse().unwrap()
    }

    fn run(values: &[&str], pop: bool, root: bool) -> Option<String> {
        let (mut sx, mut sxx) = (BigDecimal::zero(), BigDecimal::zero());
        for v in values {
            let x = d(v);
            sxx += &x * &x;
            sx += x;
        }
        variance(values.len() as i64, &sx, &sxx, pop, root).map(|v| v.to_string())
    }

    /// Values from PostgreSQL 15.
    #[test]
    fn matches_postgresql() {
        let v = ["1", "2", "4"];
        assert_eq!(run(&v, false, false).as_deref(), Some("2.3333333333333333"));
        assert_eq!(run(&v, true, false).as_deref(), Some("1.5555555555555556"));
        assert_eq!(run(&v, false, true).as_deref(), Some("1.5275252316519467"));
        assert_eq!(run(&v, true, true).as_deref(), Some("1.2472191289246471"));
        assert_eq!(run(&["1"], false, false), None);
        assert_eq!(run(&["1"], true, false).as_deref(), Some("0"));
        assert_eq!(run(&["1.50", "1.50"], false, false).as_deref(), Some("0"));
        assert_eq!(run(&[], true, false), None);
    }
}
