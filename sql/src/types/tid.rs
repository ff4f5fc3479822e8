//! Text input of the system-column types `tid`, `xid` and `cid` (PostgreSQL 15's `tidin`,
//! `xidin`, `cidin`). Their output is `Value`'s `Display`: `(block,offset)` and decimal.

use super::{DataType, Value};
use crate::{Error, Result};

/// `strtoul(s, NULL, 0)` as glibc does it on a 64-bit machine, truncated to 32 bits:
/// PostgreSQL 15's `xidin` and `cidin` accept any text this way (`'abc'` is 0, `'-1'`
/// 4294967295, `'0x10'` 16).
pub fn parse_xid(s: &str) -> Value {
    Value::Int(i64::from(strtoul(s) as u32))
}

/// glibc's `strtoul(s, NULL, 0)` on a 64-bit machine.
fn strtoul(s: &str) -> u64 {
    let t = s.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let (negative, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (radix, digits) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        if h.starts_with(|c: char| c.is_ascii_hexdigit()) {
            (16, h)
        } else {
            (10, t)
        }
    } else if t.starts_with('0') {
        (8, t)
    } else {
        (10, t)
    };
    let mut n: u64 = 0;
    let mut overflow = false;
    for c in digits.chars() {
        let Some(d) = c.to_digit(radix) else { break };
        match n
            .checked_mul(u64::from(radix))
            .and_then(|n| n.checked_add(u64::from(d)))
        {
            Some(v) => n = v,
            None => overflow = true,
        }
    }
    if overflow {
        u64::MAX
    } else if negative {
        n.wrapping_neg()
    } else {
        n
    }
}

/// `xid8in` in PostgreSQL 15: `strtoul` without truncation (`'abc'` is 0); values past
/// 2^63 wrap (Strata keeps them in an `i64`).
pub fn parse_xid8(s: &str) -> Value {
    Value::Int(strtoul(s) as i64)
}

/// `tidin`: `(block,offset)`, the block up to 4294967295 (or negative down to -2147483648,
/// taken modulo 2^32), the offset 0..=65535; text after the `)` is ignored.
pub fn parse_tid(s: &str) -> Result<Value> {
    let bad = || {
        Error::InvalidTextRepresentation(format!(
            "invalid input syntax for type {}: \"{s}\"",
            DataType::Tid.name()
        ))
    };
    let t = s.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let inner = t.strip_prefix('(').ok_or_else(bad)?;
    let (block, rest) = inner.split_once(',').ok_or_else(bad)?;
    let (offset, _) = rest.split_once(')').ok_or_else(bad)?;
    let number = |x: &str| -> Option<i64> {
        let digits = x.strip_prefix('-').unwrap_or(x);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        x.parse().ok()
    };
    let block = number(block)
        .filter(|b| (-2_147_483_648..=4_294_967_295).contains(b))
        .ok_or_else(bad)?;
    let offset = number(offset)
        .and_then(|o| u16::try_from(o).ok())
        .ok_or_else(bad)?;
    Ok(Value::Tid(block as u32, offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xid_input_is_strtoul() {
        let x = |s: &str| parse_xid(s).to_string();
        assert_eq!(x("abc"), "0");
        assert_eq!(x("0x10"), "16");
        assert_eq!(x("12abc"), "12");
        assert_eq!(x(" 7"), "7");
        assert_eq!(x("99999999999"), "1215752191");
        assert_eq!(x("-2"), "4294967294");
        assert_eq!(x("010"), "8");
    }

    #[test]
    fn tid_input() {
        let t = |s: &str| parse_tid(s).map(|v| v.to_string()).ok();
        assert_eq!(t(" (1,2)x").as_deref(), Some("(1,2)"));
        assert_eq!(t("(-1,1)").as_deref(), Some("(4294967295,1)"));
        assert_eq!(t("(1,0)").as_deref(), Some("(1,0)"));
        for bad in [
            "( 1 , 2 )",
            "(4294967296,1)",
            "(1,65536)",
            "(0x10,1)",
            "(0,-1)",
            "x",
        ] {
            assert_eq!(t(bad), None, "{bad}");
        }
    }
}
