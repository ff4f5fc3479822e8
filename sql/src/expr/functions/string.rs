//! Text functions, LIKE and SIMILAR TO, with PostgreSQL's semantics in the C locale (case
//! mapping changes ASCII letters only): positions and lengths count characters (not bytes), `substr` clamps a window that starts before the string,
//! `lpad`/`rpad` truncate to the length, `split_part` counts from the end for a negative
//! field, and errors carry PostgreSQL's SQLSTATEs (22011 negative substring length, 22023
//! for `repeat`-like argument errors, 54000 for `chr` out of range).

use super::{Function, TrimSide, format, int, regex, text};
use crate::expr::like;
use crate::{Error, Result, Value};
use md5::{Digest, Md5};

/// Calls a text function (the caller handled strictness).
pub fn call(f: Function, args: Vec<Value>) -> Result<Value> {
    let arg = |i: usize| {
        args.get(i)
            .ok_or_else(|| Error::Internal("missing argument".into()))
    };
    let s = || arg(0).and_then(text);
    let t = |v: String| Ok(Value::Text(v));
    let count = |n: usize| Ok(Value::Int(n as i64));
    match f {
        Function::Lower => t(s()?.to_ascii_lowercase()),
        Function::Upper => t(s()?.to_ascii_uppercase()),
        Function::Length => count(s()?.chars().count()),
        Function::OctetLength => count(s()?.len()),
        Function::BitLength => count(s()?.len() * 8),
        Function::Substr => {
            let len = match args.get(2) {
                Some(v) => Some(int(v)?),
                None => None,
            };
            t(substr(s()?, int(arg(1)?)?, len)?)
        }
        Function::SubstrRegex => regex::substring(s()?, text(arg(1)?)?),
        Function::SubstrSimilar => regex::substring_similar(s()?, text(arg(1)?)?, text(arg(2)?)?),
        Function::Strpos => {
            let (hay, needle) = (s()?, text(arg(1)?)?);
            count(match hay.find(needle) {
                Some(b) => hay[..b].chars().count() + 1,
                None => 0,
            })
        }
        Function::Overlay => {
            let (v, with) = (s()?, text(arg(1)?)?);
            let from = int(arg(2)?)?;
            let len = match args.get(3) {
                Some(n) => int(n)?,
                None => with.chars().count() as i64,
            };
            if from < 1 || len < 0 {
                return Err(Error::SubstringError(
                    "negative substring length not allowed".into(),
                ));
            }
            let mut out = substr(v, 1, Some(from - 1))?;
            out.push_str(with);
            out.push_str(&substr(v, from.saturating_add(len), None)?);
            t(out)
        }
        Function::Trim(side) => {
            let chars: Vec<char> = match args.get(1) {
                Some(v) => text(v)?.chars().collect(),
                None => vec![' '],
            };
            let strip = |c: char| chars.contains(&c);
            let v = s()?;
            t(match side {
                TrimSide::Both => v.trim_matches(strip),
                TrimSide::Leading => v.trim_start_matches(strip),
                TrimSide::Trailing => v.trim_end_matches(strip),
            }
            .to_string())
        }
        Function::Lpad | Function::Rpad => {
            let fill = match args.get(2) {
                Some(v) => text(v)?,
                None => " ",
            };
            t(pad(s()?, int(arg(1)?)?, fill, f == Function::Lpad))
        }
        Function::Concat => t(args
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| v.to_string())
            .collect()),
        Function::NumNulls(nonnull) => Ok(Value::Int(
            args.iter().filter(|v| v.is_null() != nonnull).count() as i64,
        )),
        Function::ConcatWs => match args.split_first() {
            Some((Value::Null, _)) | None => Ok(Value::Null),
            Some((sep, rest)) => {
                let parts: Vec<String> = rest
                    .iter()
                    .filter(|v| !v.is_null())
                    .map(|v| v.to_string())
                    .collect();
                t(parts.join(text(sep)?))
            }
        },
        Function::Format => format::format(&args),
        Function::Replace => {
            let (from, to) = (text(arg(1)?)?, text(arg(2)?)?);
            if from.is_empty() {
                return t(s()?.to_string());
            }
            t(s()?.replace(from, to))
        }
        Function::SplitPart => t(split_part(s()?, text(arg(1)?)?, int(arg(2)?)?)?),
        Function::Left | Function::Right => {
            let chars: Vec<char> = s()?.chars().collect();
            let n = int(arg(1)?)?;
            let len = chars.len() as i64;
            let keep = if n >= 0 { n.min(len) } else { (len + n).max(0) } as usize;
            t(if f == Function::Left {
                chars[..keep].iter().collect()
            } else {
                chars[chars.len() - keep..].iter().collect()
            })
        }
        Function::Repeat => {
            let n = int(arg(1)?)?.max(0) as usize;
            let v = s()?;
            if v.len().saturating_mul(n) > MAX_STRING {
                return Err(Error::ProgramLimitExceeded(
                    "requested length too large".into(),
                ));
            }
            t(v.repeat(n))
        }
        Function::Reverse => t(s()?.chars().rev().collect()),
        Function::Initcap => t(initcap(s()?)),
        Function::Md5 => {
            let digest = Md5::digest(s()?.as_bytes());
            t(digest.iter().map(|b| format!("{b:02x}")).collect())
        }
        Function::Ascii => count(s()?.chars().next().map_or(0, |c| c as usize)),
        Function::Chr => {
            let code = int(arg(0)?)?;
            if code == 0 {
                return Err(Error::ProgramLimitExceeded(
                    "null character not permitted".into(),
                ));
            }
            let c = u32::try_from(code)
                .ok()
                .and_then(char::from_u32)
                .ok_or_else(|| {
                    Error::ProgramLimitExceeded("requested character too large for encoding".into())
                })?;
            t(c.to_string())
        }
        Function::Translate => {
            let from: Vec<char> = text(arg(1)?)?.chars().collect();
            let to: Vec<char> = text(arg(2)?)?.chars().collect();
            t(s()?
                .chars()
                .filter_map(|c| match from.iter().position(|x| *x == c) {
                    Some(i) => to.get(i).copied(),
                    None => Some(c),
                })
                .collect())
        }
        Function::StartsWith => Ok(Value::Bool(s()?.starts_with(text(arg(1)?)?))),
        Function::ToHex(true) => t(format!("{:x}", int(arg(0)?)? as i32)),
        Function::ToHex(false) => t(format!("{:x}", int(arg(0)?)?)),
        Function::QuoteIdent => t(format::quote_ident(s()?)),
        Function::QuoteLiteral => t(format::quote_literal(&arg(0)?.to_string())),
        Function::QuoteNullable => t(match arg(0)? {
            Value::Null => "NULL".to_string(),
            v => format::quote_literal(&v.to_string()),
        }),
        Function::Like { case_insensitive } => {
            let escape = match args.get(2) {
                Some(v) => like::escape_char(text(v)?)?,
                None => Some('\\'),
            };
            Ok(Value::Bool(like::matches(
                s()?,
                text(arg(1)?)?,
                case_insensitive,
                escape,
            )?))
        }
        Function::SimilarTo => {
            let escape = match args.get(2) {
                Some(v) => text(v)?,
                None => "\\",
            };
            regex::similar(s()?, text(arg(1)?)?, escape)
        }
        Function::RegexMatch { case_insensitive } => {
            let flags = if case_insensitive { "i" } else { "" };
            regex::is_match(s()?, text(arg(1)?)?, flags)
        }
        Function::RegexpLike => {
            let flags = match args.get(2) {
                Some(v) => text(v)?,
                None => "",
            };
            regex::is_match(s()?, text(arg(1)?)?, flags)
        }
        Function::RegexpReplace => {
            if let Some(Value::Int(start)) = args.get(3) {
                let n = match args.get(4) {
                    Some(v) => int(v)?,
                    None => 1,
                };
                let flags = match args.get(5) {
                    Some(v) => text(v)?,
                    None => "",
                };
                let (pattern, replacement) = (text(arg(1)?)?, text(arg(2)?)?);
                return regex::replace_at(s()?, pattern, replacement, *start, n, flags);
            }
            let flags = match args.get(3) {
                Some(v) => text(v)?,
                None => "",
            };
            regex::replace(s()?, text(arg(1)?)?, text(arg(2)?)?, flags)
        }
        Function::RegexpCount => {
            let start = match args.get(2) {
                Some(v) => int(v)?,
                None => 1,
            };
            let flags = match args.get(3) {
                Some(v) => text(v)?,
                None => "",
            };
            regex::count(s()?, text(arg(1)?)?, start, flags)
        }
        Function::RegexpSubstr | Function::RegexpInstr => {
            let instr = f == Function::RegexpInstr;
            let int_at = |i: usize, default: i64| args.get(i).map_or(Ok(default), int);
            // regexp_instr has `endoption` before the flags.
            let shift = usize::from(instr);
            let at = regex::NthMatch {
                start: int_at(2, 1)?,
                n: int_at(3, 1)?,
                flags: match args.get(4 + shift) {
                    Some(v) => text(v)?,
                    None => "",
                },
                subexpr: int_at(5 + shift, 0)?,
                function: if instr {
                    "regexp_instr"
                } else {
                    "regexp_substr"
                },
            };
            if instr {
                regex::instr(s()?, text(arg(1)?)?, &at, int_at(4, 0)?)
            } else {
                regex::substr(s()?, text(arg(1)?)?, &at)
            }
        }
        Function::RegexpMatch | Function::RegexpSplitToArray => {
            let flags = match args.get(2) {
                Some(v) => text(v)?,
                None => "",
            };
            if f == Function::RegexpMatch {
                regex::match_groups(s()?, text(arg(1)?)?, flags)
            } else {
                regex::split(s()?, text(arg(1)?)?, flags)
            }
        }
        other => Err(Error::Internal(format!("{other:?} is not a text function"))),
    }
}

/// The longest string a function builds (PostgreSQL's 1 GB field limit).
const MAX_STRING: usize = (1 << 30) - 1;

/// `substr(s, from, count)`: characters `from .. from + count` (1-based), clamped to the
/// string; the window may start before the first character.
fn substr(s: &str, from: i64, len: Option<i64>) -> Result<String> {
    let end = match len {
        Some(l) if l < 0 => {
            return Err(Error::SubstringError(
                "negative substring length not allowed".into(),
            ));
        }
        Some(l) => from.saturating_add(l),
        None => i64::MAX,
    };
    let start = from.max(1);
    if end <= start {
        return Ok(String::new());
    }
    let skip = (start - 1) as usize;
    let take = usize::try_from(end - start).unwrap_or(usize::MAX);
    Ok(s.chars().skip(skip).take(take).collect())
}

/// `lpad` / `rpad` to `len` characters with `fill` (truncating when longer).
fn pad(s: &str, len: i64, fill: &str, left: bool) -> String {
    let len = len.max(0) as usize;
    let chars: Vec<char> = s.chars().collect();
    if chars.len() >= len || fill.is_empty() {
        return chars.into_iter().take(len).collect();
    }
    let padding: String = fill.chars().cycle().take(len - chars.len()).collect();
    if left {
        padding + s
    } else {
        s.to_string() + &padding
    }
}

/// `split_part(s, delimiter, n)`: field `n` (1-based; negative counts from the end).
fn split_part(s: &str, delimiter: &str, n: i64) -> Result<String> {
    if n == 0 {
        return Err(Error::InvalidParameterValue(
            "field position must not be zero".into(),
        ));
    }
    let fields: Vec<&str> = if delimiter.is_empty() {
        vec![s]
    } else {
        s.split(delimiter).collect()
    };
    let index = if n > 0 {
        usize::try_from(n - 1).ok()
    } else {
        usize::try_from(-n)
            .ok()
            .and_then(|k| fields.len().checked_sub(k))
    };
    Ok(index
        .and_then(|i| fields.get(i))
        .map_or(String::new(), |f| f.to_string()))
}

/// `initcap`: the first letter of each run of alphanumerics upper case, the rest lower
/// (ASCII letters only, as in the C locale).
fn initcap(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_word = false;
    for c in s.chars() {
        out.push(if in_word {
            c.to_ascii_lowercase()
        } else {
            c.to_ascii_uppercase()
        });
        in_word = c.is_ascii_alphanumeric();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substr_clamps_like_postgres() {
        assert_eq!(substr("hello", 2, Some(3)).unwrap(), "ell");
        assert_eq!(substr("hello", 0, Some(3)).unwrap(), "he");
        assert_eq!(substr("hello", -5, Some(3)).unwrap(), "");
        assert_eq!(substr("hello", 4, None).unwrap(), "lo");
        assert_eq!(substr("héllo", 2, Some(1)).unwrap(), "é");
        assert_eq!(substr("hello", 1, Some(-1)).unwrap_err().code(), "22011");
    }

    #[test]
    fn pads_and_parts() {
        assert_eq!(pad("hi", 5, "xy", true), "xyxhi");
        assert_eq!(pad("hello", 3, "x", false), "hel");
        assert_eq!(split_part("a,b,c", ",", 2).unwrap(), "b");
        assert_eq!(split_part("a,b,c", ",", -1).unwrap(), "c");
        assert_eq!(split_part("a,b,c", ",", 5).unwrap(), "");
        assert_eq!(initcap("hi THERE o'neil"), "Hi There O'Neil");
    }
}
