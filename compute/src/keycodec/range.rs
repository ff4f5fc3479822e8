//! Key encoding of range values (tag 0x14, see the module docs of [`super`]): empty ranges
//! first, then by lower bound (-infinity first, an inclusive bound before an exclusive one
//! at the same value), then by upper bound (an exclusive bound before an inclusive one,
//! +infinity last): PostgreSQL's `range_cmp`.

use sql::types::range::{EMPTY, LB_INC, LB_INF, RangeKind, UB_INC, UB_INF};

use super::{TAG_RANGE, encode_value};
use crate::error::{Error, Result};
use crate::values::{StoredRange, Value};

pub(super) fn encode(r: &StoredRange, out: &mut Vec<u8>) {
    out.extend_from_slice(&[TAG_RANGE, r.kind]);
    if r.flags & EMPTY != 0 {
        out.push(0x00);
        return;
    }
    out.push(0x01);
    match &r.lower {
        Some(v) if r.flags & LB_INF == 0 => {
            out.push(0x01);
            encode_value(v, out);
            out.push(if r.flags & LB_INC != 0 { 0x00 } else { 0x01 });
        }
        _ => out.push(0x00),
    }
    match &r.upper {
        Some(v) if r.flags & UB_INF == 0 => {
            out.push(0x01);
            encode_value(v, out);
            out.push(if r.flags & UB_INC != 0 { 0x01 } else { 0x00 });
        }
        _ => out.push(0x02),
    }
}

/// Decodes a range key starting at its tag; `value` decodes a bound's value.
pub(super) fn decode(
    bytes: &[u8],
    mut value: impl FnMut(&[u8]) -> Result<(Value, usize)>,
) -> Result<(Value, usize)> {
    let bad = || Error::decode("key", "range value");
    let kind = *bytes.get(1).ok_or_else(bad)?;
    RangeKind::from_code(kind).ok_or_else(bad)?;
    let mut pos = 3;
    let mut r = StoredRange {
        kind,
        flags: 0,
        lower: None,
        upper: None,
    };
    match bytes.get(2) {
        Some(0x00) => {
            r.flags = EMPTY;
            return Ok((Value::Range(r), pos));
        }
        Some(0x01) => {}
        _ => return Err(bad()),
    }
    // lower bound
    match bytes.get(pos) {
        Some(0x00) => {
            r.flags |= LB_INF;
            pos += 1;
        }
        Some(0x01) => {
            let (v, used) = value(bytes.get(pos + 1..).ok_or_else(bad)?)?;
            pos += 1 + used;
            match bytes.get(pos) {
                Some(0x00) => r.flags |= LB_INC,
                Some(0x01) => {}
                _ => return Err(bad()),
            }
            pos += 1;
            r.lower = Some(Box::new(v));
        }
        _ => return Err(bad()),
    }
    // upper bound
    match bytes.get(pos) {
        Some(0x02) => {
            r.flags |= UB_INF;
            pos += 1;
        }
        Some(0x01) => {
            let (v, used) = value(bytes.get(pos + 1..).ok_or_else(bad)?)?;
            pos += 1 + used;
            match bytes.get(pos) {
                Some(0x01) => r.flags |= UB_INC,
                Some(0x00) => {}
                _ => return Err(bad()),
            }
            pos += 1;
            r.upper = Some(Box::new(v));
        }
        _ => return Err(bad()),
    }
    Ok((Value::Range(r), pos))
}
