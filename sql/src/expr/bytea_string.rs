//! The string functions PostgreSQL also has for `bytea`: `substr` / `SUBSTRING`,
//! `btrim` / `ltrim` / `rtrim` / `TRIM(... FROM bytea)`, `overlay`, `strpos` / `POSITION`,
//! `get_bit`, `set_bit` and `bit_count`, on bytes instead of characters. A call resolves here
//! only when an argument is a `bytea` (not an unknown literal), so `substr('abc', 2)` stays
//! the text function.

use super::functions::{Function, Resolved, accepts};
use crate::types::{DataType, Value};
use crate::{Error, Result};

/// A bytea string function. See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteaStringFn {
    /// `substr(bytes, start [, count])`: whether the count is given.
    Substr(bool),
    /// `btrim` / `ltrim` / `rtrim`: (trim the start, trim the end).
    Trim(bool, bool),
    /// `overlay(bytes placing p from s [for n])`: whether the count is given.
    Overlay(bool),
    Strpos,
    GetBit,
    SetBit,
    BitCount,
}

impl ByteaStringFn {
    /// Resolves a function of this family (`None`: not one of its names or signatures).
    pub fn resolve(name: &str, args: &[DataType]) -> Option<Result<Resolved>> {
        use ByteaStringFn::*;
        if !args.contains(&DataType::Bytea) {
            return None;
        }
        let (b, i, l) = (DataType::Bytea, DataType::Int4, DataType::Int8);
        let (f, params, ret) = match name {
            "substr" | "substring" if accepts(args, &[b, i]) => (Substr(false), vec![b, i], b),
            "substr" | "substring" if accepts(args, &[b, i, i]) => (Substr(true), vec![b, i, i], b),
            "btrim" | "ltrim" | "rtrim" if accepts(args, &[b, b]) => {
                let f = Trim(name != "rtrim", name != "ltrim");
                (f, vec![b, b], b)
            }
            "overlay" if accepts(args, &[b, b, i]) => (Overlay(false), vec![b, b, i], b),
            "overlay" if accepts(args, &[b, b, i, i]) => (Overlay(true), vec![b, b, i, i], b),
            "strpos" | "position" if accepts(args, &[b, b]) => (Strpos, vec![b, b], i),
            "get_bit" if accepts(args, &[b, l]) => (GetBit, vec![b, l], i),
            "set_bit" if accepts(args, &[b, l, i]) => (SetBit, vec![b, l, i], b),
            "bit_count" if accepts(args, &[b]) => (BitCount, vec![b], l),
            _ => return None,
        };
        Some(Ok(Resolved::new(Function::ByteaString(f), params, ret)))
    }

    /// Calls the function (every one is strict: the caller handles NULLs).
    pub fn call(&self, args: Vec<Value>) -> Result<Value> {
        use ByteaStringFn::*;
        let bytes = |i: usize| match args.get(i) {
            Some(Value::Bytea(b)) => Ok(b.as_slice()),
            other => Err(Error::Internal(format!(
                "bytea argument expected: {other:?}"
            ))),
        };
        let int = |i: usize| super::fn_args::arg(&args, i).and_then(super::fn_args::int);
        Ok(match *self {
            Substr(counted) => {
                let count = if counted { Some(int(2)?) } else { None };
                Value::Bytea(substr(bytes(0)?, int(1)?, count)?.to_vec())
            }
            Trim(start, end) => {
                let (b, set) = (bytes(0)?, bytes(1)?);
                let mut lo = 0;
                let mut hi = b.len();
                if start {
                    while lo < hi && set.contains(&b[lo]) {
                        lo += 1;
                    }
                }
                if end {
                    while hi > lo && set.contains(&b[hi - 1]) {
                        hi -= 1;
                    }
                }
                Value::Bytea(b[lo..hi].to_vec())
            }
            Overlay(counted) => {
                let (b, p, from) = (bytes(0)?, bytes(1)?, int(2)?);
                let count = if counted { int(3)? } else { p.len() as i64 };
                if count < 0 {
                    return Err(negative_length());
                }
                let mut out = substr(b, 1, Some(from.saturating_sub(1).max(0)))?.to_vec();
                out.extend_from_slice(p);
                out.extend_from_slice(substr(b, from.saturating_add(count), None)?);
                Value::Bytea(out)
            }
            Strpos => {
                let (hay, needle) = (bytes(0)?, bytes(1)?);
                let at = if needle.is_empty() {
                    Some(0)
                } else {
                    hay.windows(needle.len()).position(|w| w == needle)
                };
                Value::Int(at.map_or(0, |p| p as i64 + 1))
            }
            GetBit | SetBit => {
                let b = bytes(0)?;
                let n = int(1)?;
                let bits = b.len() as i64 * 8;
                if n < 0 || n >= bits {
                    return Err(Error::ArraySubscriptError(format!(
                        "index {n} out of valid range, 0..{}",
                        bits - 1
                    )));
                }
                let (byte, bit) = ((n / 8) as usize, n % 8);
                if *self == GetBit {
                    Value::Int(i64::from((b[byte] >> bit) & 1))
                } else {
                    let new = int(2)?;
                    if new != 0 && new != 1 {
                        return Err(Error::InvalidParameterValue(
                            "new bit must be 0 or 1".into(),
                        ));
                    }
                    let mut out = b.to_vec();
                    out[byte] = (out[byte] & !(1 << bit)) | ((new as u8) << bit);
                    Value::Bytea(out)
                }
            }
            BitCount => Value::Int(bytes(0)?.iter().map(|b| i64::from(b.count_ones())).sum()),
        })
    }
}

fn negative_length() -> Error {
    Error::SubstringError("negative substring length not allowed".into())
}

/// PostgreSQL's `bytea_substring`: bytes `start..start+count` (1-based), clipped to `b`.
fn substr(b: &[u8], start: i64, count: Option<i64>) -> Result<&[u8]> {
    let end = match count {
        Some(c) if c < 0 => return Err(negative_length()),
        Some(c) => start.saturating_add(c),
        None => i64::MAX,
    };
    let len = b.len() as i64;
    let lo = start.max(1).min(len + 1);
    let hi = end.max(lo).min(len + 1);
    Ok(&b[(lo - 1) as usize..(hi - 1) as usize])
}
