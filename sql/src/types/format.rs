//! PostgreSQL text output for values that need more than `Display` of the Rust type.
//!
//! `float8` follows PostgreSQL 12+ with the default `extra_float_digits = 1`: the shortest
//! decimal that round-trips (Ryū-style, which Rust's `{:e}` also produces), laid out like
//! PostgreSQL's `double_to_shortest_decimal`: plain notation when the decimal exponent is in
//! `-4..15`, otherwise `d.ddde+XX` with at least two exponent digits.

/// Formats a float8 exactly as PostgreSQL 15 prints it.
pub fn float8(x: f64) -> String {
    let extra = crate::env::with(|e| e.output.extra_float_digits);
    if extra <= 0 {
        return significant(x, 15 + extra);
    }
    shortest(x, format!("{x:e}"), 15)
}

/// Formats a float4 (`real`) exactly as PostgreSQL 15 prints it: shortest digits that
/// round-trip *as an f32*, plain notation for decimal exponents in `-4..6`.
pub fn float4(x: f32) -> String {
    let extra = crate::env::with(|e| e.output.extra_float_digits);
    if extra <= 0 {
        return significant(f64::from(x), 6 + extra);
    }
    shortest(x as f64, format!("{x:e}"), 6)
}

/// C's `%.{digits}g` (PostgreSQL's output when `extra_float_digits <= 0`), with
/// PostgreSQL's spellings of NaN and the infinities.
fn significant(x: f64, digits: i32) -> String {
    if !x.is_finite() || x == 0.0 {
        return shortest(x, String::new(), 15);
    }
    let p = digits.max(1);
    let sci = format!("{:.*e}", (p - 1) as usize, x);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let trim = |s: &str| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    if exp < -4 || exp >= p {
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{}e{esign}{:02}", trim(mantissa), exp.abs())
    } else {
        trim(&format!("{:.*}", (p - 1 - exp).max(0) as usize, x))
    }
}

/// Lays out `sci` (Rust's shortest `{:e}` form of `x`) the PostgreSQL way.
fn shortest(x: f64, sci: String, plain_below: i32) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // `{:e}` gives the shortest round-trip digits: "-1.2345e-7".
    let (mantissa, exp) = sci.split_once('e').expect("{:e} always has an exponent");
    let exp: i32 = exp.parse().expect("{:e} exponent is an integer");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if !(-4..plain_below).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{frac}e{esign}{:02}", exp.abs());
    }
    let n = digits.len() as i32;
    if exp < 0 {
        let zeros = "0".repeat((-exp - 1) as usize);
        format!("{sign}0.{zeros}{digits}")
    } else if exp + 1 >= n {
        let zeros = "0".repeat((exp + 1 - n) as usize);
        format!("{sign}{digits}{zeros}")
    } else {
        let (int, frac) = digits.split_at((exp + 1) as usize);
        format!("{sign}{int}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::{float4, float8};

    #[test]
    fn float4_matches_postgres() {
        let cases = [
            (1.1f32, "1.1"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (12345678.0, "1.2345678e+07"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (3.4e38, "3.4e+38"),
            (1.1 + 2.2, "3.3000002"),
        ];
        for (x, want) in cases {
            assert_eq!(float4(x), want, "{x:?}");
        }
    }

    #[test]
    fn float8_matches_postgres() {
        let cases = [
            (0.1, "0.1"),
            (1e20, "1e+20"),
            (1e15, "1e+15"),
            (123456789012345.0, "123456789012345"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5, "1.5"),
            (-2.0, "-2"),
            (100.0, "100"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1.0 / 3.0, "0.3333333333333333"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (f64::NAN, "NaN"),
            (-0.0, "-0"),
            (1.2345e-7, "1.2345e-07"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
        ];
        for (x, want) in cases {
            assert_eq!(float8(x), want, "{x:?}");
        }
    }
}
