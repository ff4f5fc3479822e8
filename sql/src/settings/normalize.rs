//! Checking and normalising a parameter's value into the text `SHOW` prints, with
//! PostgreSQL 15's rules and error messages for each [`Kind`].

use super::catalog::{Definition, Kind, Unit};
use crate::{Error, Result};

fn invalid(def: &Definition, value: &str) -> Error {
    Error::InvalidParameterValue(format!(
        "invalid value for parameter \"{}\": \"{value}\"",
        def.name
    ))
}

/// The canonical form of `value` for `def`; `current` is the parameter's value now (some
/// kinds, like DateStyle, keep the parts a new value leaves out).
pub fn value(def: &Definition, value: &str, current: &str) -> Result<String> {
    match def.kind {
        Kind::Bool => parse_bool(value).map(on_off).ok_or_else(|| {
            Error::InvalidParameterValue(format!(
                "parameter \"{}\" requires a Boolean value",
                def.name
            ))
        }),
        Kind::Int { min, max, unit } => int(def, value, min, max, unit),
        Kind::Real { min, max } => {
            let v: f64 = value.trim().parse().map_err(|_| invalid(def, value))?;
            if !(min..=max).contains(&v) {
                return Err(Error::InvalidParameterValue(format!(
                    "{} is outside the valid range for parameter \"{}\" ({} .. {})",
                    g(v),
                    def.name,
                    g(min),
                    g(max)
                )));
            }
            Ok(g(v))
        }
        Kind::Enum(options) => {
            let v = value.trim().to_ascii_lowercase();
            if options.contains(&v.as_str()) {
                Ok(v)
            } else {
                Err(invalid(def, value))
            }
        }
        Kind::Str | Kind::IdentList => Ok(value.to_string()),
        Kind::Name => Ok(clean_name(value)),
        Kind::DateStyle => date_style(def, value, current),
        Kind::TimeZone => time_zone(def, value),
        Kind::Encoding => encoding(value),
        Kind::Lsn if value.trim().is_empty() => Ok(String::new()),
        Kind::Lsn => crate::storage::parse_lsn(value)
            .map(crate::storage::format_lsn)
            .ok_or_else(|| invalid(def, value)),
    }
}

/// PostgreSQL's boolean input: on/off, true/false, yes/no, 1/0 and unique prefixes.
pub fn parse_bool(s: &str) -> Option<bool> {
    let s = s.trim().to_ascii_lowercase();
    if s.is_empty() {
        return None;
    }
    let prefix_of = |word: &str| word.starts_with(s.as_str());
    match s.as_str() {
        "1" => Some(true),
        "0" => Some(false),
        "on" => Some(true),
        "of" | "off" => Some(false),
        _ if prefix_of("true") || prefix_of("yes") => Some(true),
        _ if prefix_of("false") || prefix_of("no") => Some(false),
        _ => None,
    }
}

fn on_off(b: bool) -> String {
    if b { "on" } else { "off" }.to_string()
}

/// Time units in milliseconds and memory units in kilobytes, largest first.
const TIME_UNITS: &[(&str, f64)] = &[
    ("d", 86_400_000.0),
    ("h", 3_600_000.0),
    ("min", 60_000.0),
    ("s", 1000.0),
    ("ms", 1.0),
    ("us", 0.001),
];
const MEMORY_UNITS: &[(&str, f64)] = &[
    ("TB", 1024.0 * 1024.0 * 1024.0),
    ("GB", 1024.0 * 1024.0),
    ("MB", 1024.0),
    ("kB", 1.0),
    ("B", 1.0 / 1024.0),
];

/// A time value as `SHOW` prints it (`5s`, `1min`, `250`: milliseconds) in milliseconds.
pub fn millis(shown: &str) -> Option<u64> {
    let t = shown.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let n: f64 = t[..split].parse().ok()?;
    let suffix = t[split..].trim();
    let factor = if suffix.is_empty() {
        1.0
    } else {
        TIME_UNITS.iter().find(|(u, _)| *u == suffix)?.1
    };
    Some((n * factor).round() as u64)
}

fn int(def: &Definition, value: &str, min: i64, max: i64, unit: Unit) -> Result<String> {
    let t = value.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
        .unwrap_or(t.len());
    let (number, suffix) = (t[..split].trim(), t[split..].trim());
    let n: f64 = number.parse().map_err(|_| invalid(def, value))?;
    let (units, base) = match unit {
        Unit::None => (&[][..], 1.0),
        Unit::Ms => (TIME_UNITS, 1.0),
        Unit::S => (TIME_UNITS, 1000.0),
        Unit::Kb => (MEMORY_UNITS, 1.0),
        Unit::Blocks => (MEMORY_UNITS, 8.0),
    };
    let scaled = if suffix.is_empty() {
        if unit == Unit::None && number.contains('.') {
            return Err(invalid(def, value));
        }
        n
    } else {
        let (_, factor) = units
            .iter()
            .find(|(u, _)| *u == suffix)
            .ok_or_else(|| invalid(def, value))?;
        n * factor / base
    };
    let v = scaled.round() as i64;
    if v < min || v > max {
        let unit_name = match unit {
            Unit::None => String::new(),
            Unit::Ms => " ms".into(),
            Unit::S => " s".into(),
            Unit::Kb => " kB".into(),
            Unit::Blocks => " 8kB".into(),
        };
        return Err(Error::InvalidParameterValue(format!(
            "{v}{unit_name} is outside the valid range for parameter \"{}\" ({min} .. {max})",
            def.name
        )));
    }
    if unit == Unit::Blocks {
        // shown in memory units: 1000 blocks are 8000kB
        return Ok(show_int(v * 8, units, 1.0));
    }
    Ok(show_int(v, units, base))
}

/// A real parameter value as PostgreSQL prints one (C's `%g`: six significant digits, an
/// exponent outside 1e-4 .. 1e6).
fn g(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let exp = v.abs().log10().floor() as i32;
    // rounding to six digits may carry into the next power of ten
    let exp = {
        let m = v.abs() / 10f64.powi(exp);
        if (m * 1e5).round() / 1e5 >= 10.0 {
            exp + 1
        } else {
            exp
        }
    };
    let trim = |s: String| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if !(-4..6).contains(&exp) {
        let m = trim(format!("{:.5}", v / 10f64.powi(exp)));
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (5 - exp).max(0) as usize;
        trim(format!("{v:.decimals$}"))
    }
}

/// An integer in the largest unit that divides it exactly (`60000` ms → `1min`).
fn show_int(v: i64, units: &[(&str, f64)], base: f64) -> String {
    if v == 0 || units.is_empty() {
        return v.to_string();
    }
    for (name, factor) in units {
        let per = factor / base;
        if per < 1.0 {
            continue;
        }
        let per = per as i64;
        if v % per == 0 {
            return format!("{}{name}", v / per);
        }
    }
    v.to_string()
}

/// `application_name`: bytes outside printable ASCII become `?`, at most 63 bytes.
fn clean_name(s: &str) -> String {
    let mut out: String = s
        .bytes()
        .map(|b| {
            if (32..127).contains(&b) {
                b as char
            } else {
                '?'
            }
        })
        .collect();
    out.truncate(63);
    out
}

fn date_style(def: &Definition, value: &str, current: &str) -> Result<String> {
    let (mut style, mut order) = current.split_once(", ").unwrap_or(("ISO", "MDY"));
    let (mut have_style, mut have_order) = (false, false);
    let bad = |word: &str, detail: &str| {
        Error::InvalidParameterValue(format!(
            "invalid value for parameter \"{}\": \"{value}\" ({detail} \"{word}\")",
            def.name
        ))
    };
    for word in value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
    {
        let (new_style, new_order) = match word.to_ascii_uppercase().as_str() {
            "ISO" => (Some("ISO"), None),
            "SQL" => (Some("SQL"), None),
            "POSTGRES" => (Some("Postgres"), None),
            "GERMAN" => (Some("German"), None),
            "YMD" => (None, Some("YMD")),
            "DMY" | "EURO" | "EUROPEAN" => (None, Some("DMY")),
            "MDY" | "US" | "NONEURO" | "NONEUROPEAN" => (None, Some("MDY")),
            "DEFAULT" => (Some("ISO"), Some("MDY")),
            _ => return Err(bad(word, "unrecognized key word")),
        };
        if let Some(s) = new_style {
            if have_style && s != style {
                return Err(bad(word, "conflicting \"datestyle\" specifications at"));
            }
            style = s;
            have_style = true;
        }
        if let Some(o) = new_order {
            if have_order && o != order {
                return Err(bad(word, "conflicting \"datestyle\" specifications at"));
            }
            order = o;
            have_order = true;
        }
    }
    if style == "German" && have_style && !have_order {
        order = "DMY";
    }
    Ok(format!("{style}, {order}"))
}

fn time_zone(def: &Definition, value: &str) -> Result<String> {
    let v = value.trim();
    if v.eq_ignore_ascii_case("default") || v.eq_ignore_ascii_case("local") {
        return Ok(crate::types::datetime::zone::Zone::utc().name().to_string());
    }
    // The zone's own name is what SHOW prints (`utc` → `UTC`, `+3` → `<+03>-03`).
    crate::types::datetime::zone::Zone::parse(v)
        .map(|z| z.name().to_string())
        .map_err(|_| invalid(def, value))
}

fn encoding(value: &str) -> Result<String> {
    let norm: String = value
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    match norm.as_str() {
        "utf8" | "unicode" => Ok("UTF8".into()),
        _ => Err(Error::unsupported(format!(
            "client_encoding \"{value}\" is not supported: Strata speaks UTF8 only"
        ))),
    }
}

/// `name` as an identifier in a list value (`search_path`): PostgreSQL's
/// `quote_identifier`, the same as SQL's `quote_ident`.
pub use crate::expr::functions::format::quote_ident;
