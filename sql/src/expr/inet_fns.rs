//! `inet` / `cidr` functions and operators ([`crate::types::inet`]): `host`, `masklen`,
//! `network`, `broadcast`, `netmask`, `hostmask`, `family`, `text`, `abbrev`,
//! `set_masklen`, `inet_same_family`, `inet_merge`; the containment operators `<<`, `<<=`,
//! `>>`, `>>=`, `&&`; `inet + bigint`, `bigint + inet`, `inet - bigint`, `inet - inet`,
//! `inet & inet`, `inet | inet`. Errors are PostgreSQL's: 22003 "result is out of range"
//! when arithmetic leaves the address space, 22023 for a mask length out of range or
//! operands of different families.

use super::functions::{Function, Resolved, accepts};
use crate::types::inet::{self, Inet};
use crate::types::{DataType, Value};
use crate::{Error, Result};

/// An `inet` function or operator. See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InetFn {
    Host,
    Masklen,
    Network,
    Broadcast,
    Netmask,
    Hostmask,
    Family,
    Text,
    /// `abbrev(inet)` (`false`) or `abbrev(cidr)`.
    Abbrev(bool),
    /// `set_masklen(inet, int)` or, with `true`, `set_masklen(cidr, int)`.
    SetMasklen(bool),
    SameFamily,
    Merge,
    /// `<<` / `<<=` (`strict` says which); with `flip`, `>>` / `>>=`.
    ContainedBy {
        strict: bool,
        flip: bool,
    },
    Overlaps,
    /// `inet + bigint` (`bigint + inet` has its operands swapped first).
    Add {
        int_first: bool,
    },
    SubInt,
    Sub,
    And,
    Or,
    /// `~ inet`: every address bit flipped, the mask length kept.
    Not,
}

fn is_inet(t: DataType) -> bool {
    matches!(t, DataType::Inet | DataType::Cidr)
}

impl InetFn {
    /// Resolves a function of this family (`None`: not one of its names or signatures).
    pub fn resolve(name: &str, args: &[DataType]) -> Option<Result<Resolved>> {
        use InetFn::*;
        let (i, c) = (DataType::Inet, DataType::Cidr);
        let (t, int4) = (DataType::Text, DataType::Int4);
        let one = |want: DataType| accepts(args, &[want]);
        let (f, params, ret) = match name {
            "host" if one(i) => (Host, vec![i], t),
            "masklen" if one(i) => (Masklen, vec![i], int4),
            "network" if one(i) => (Network, vec![i], c),
            "broadcast" if one(i) => (Broadcast, vec![i], i),
            "netmask" if one(i) => (Netmask, vec![i], i),
            "hostmask" if one(i) => (Hostmask, vec![i], i),
            "family" if one(i) => (Family, vec![i], int4),
            "text" if args.len() == 1 && is_inet(args[0]) => (Text, vec![i], t),
            "abbrev" if args == [c] => (Abbrev(true), vec![c], t),
            "abbrev" if one(i) => (Abbrev(false), vec![i], t),
            "set_masklen" if args.first() == Some(&c) && accepts(args, &[c, int4]) => {
                (SetMasklen(true), vec![c, int4], c)
            }
            "set_masklen" if accepts(args, &[i, int4]) => (SetMasklen(false), vec![i, int4], i),
            "inet_same_family" if accepts(args, &[i, i]) => {
                (SameFamily, vec![i, i], DataType::Bool)
            }
            "inet_merge" if accepts(args, &[i, i]) => (Merge, vec![i, i], c),
            _ => return None,
        };
        Some(Ok(Resolved::new(Function::Inet(f), params, ret)))
    }

    /// The operators above, when an operand is an `inet` or `cidr` (the other may be an
    /// unknown literal).
    pub fn resolve_operator(sym: &str, l: DataType, r: DataType) -> Option<Result<Resolved>> {
        use InetFn::*;
        let (i, int8) = (DataType::Inet, DataType::Int8);
        if !is_inet(l) && !is_inet(r) {
            return None;
        }
        let pair = accepts(&[l, r], &[i, i]);
        let b = DataType::Bool;
        let (f, params, ret) = match sym {
            "<<" if pair => (
                ContainedBy {
                    strict: true,
                    flip: false,
                },
                vec![i, i],
                b,
            ),
            "<<=" if pair => (
                ContainedBy {
                    strict: false,
                    flip: false,
                },
                vec![i, i],
                b,
            ),
            ">>" if pair => (
                ContainedBy {
                    strict: true,
                    flip: true,
                },
                vec![i, i],
                b,
            ),
            ">>=" if pair => (
                ContainedBy {
                    strict: false,
                    flip: true,
                },
                vec![i, i],
                b,
            ),
            "&&" if pair => (Overlaps, vec![i, i], b),
            "&" if pair => (And, vec![i, i], i),
            "|" if pair => (Or, vec![i, i], i),
            "+" if is_inet(l) && accepts(&[r], &[int8]) => {
                (Add { int_first: false }, vec![i, int8], i)
            }
            "+" if is_inet(r) && accepts(&[l], &[int8]) => {
                (Add { int_first: true }, vec![int8, i], i)
            }
            "-" if is_inet(l) && is_inet(r) => (Sub, vec![i, i], int8),
            "-" if is_inet(l) && r.is_integer() => (SubInt, vec![i, int8], i),
            "-" if pair => (Sub, vec![i, i], int8),
            _ => return None,
        };
        Some(Ok(Resolved::new(Function::Inet(f), params, ret)))
    }

    /// Calls the function (every one is strict: the caller handles NULLs).
    pub fn call(&self, args: Vec<Value>) -> Result<Value> {
        use InetFn::*;
        let ip = |k: usize| match args.get(k) {
            Some(Value::Inet(v)) => Ok(*v),
            other => Err(Error::Internal(format!(
                "inet argument expected: {other:?}"
            ))),
        };
        let int = |k: usize| super::fn_args::arg(&args, k).and_then(super::fn_args::int);
        let plain = |v: Inet| Value::Inet(Inet { cidr: false, ..v });
        Ok(match self {
            Host => Value::Text(inet::ntop(&ip(0)?, None)),
            Masklen => Value::Int(i64::from(ip(0)?.bits)),
            Network => Value::Inet(ip(0)?.network()),
            Broadcast => {
                let v = ip(0)?;
                plain(v.with_u128(v.to_u128() | v.host_mask()))
            }
            Netmask => {
                let v = ip(0)?;
                let m = v.mask();
                plain(Inet {
                    bits: v.max_bits(),
                    ..v.with_u128(m)
                })
            }
            Hostmask => {
                let v = ip(0)?;
                let m = v.host_mask();
                plain(Inet {
                    bits: v.max_bits(),
                    ..v.with_u128(m)
                })
            }
            Family => Value::Int(if ip(0)?.v6 { 6 } else { 4 }),
            Text => Value::Text(inet::show(&ip(0)?)),
            Abbrev(true) => Value::Text(inet::abbrev_cidr(&ip(0)?)),
            Abbrev(false) => Value::Text(inet::ntop(&ip(0)?, Some(ip(0)?.bits))),
            SetMasklen(cidr) => {
                let v = ip(0)?;
                let n = int(1)?;
                let bits = if n == -1 { i64::from(v.max_bits()) } else { n };
                if !(0..=i64::from(v.max_bits())).contains(&bits) {
                    return Err(Error::InvalidParameterValue(format!(
                        "invalid mask length: {n}"
                    )));
                }
                let out = Inet {
                    bits: bits as u8,
                    ..v
                };
                if *cidr {
                    Value::Inet(out.network())
                } else {
                    plain(out)
                }
            }
            SameFamily => Value::Bool(ip(0)?.v6 == ip(1)?.v6),
            Not => {
                let a = ip(0)?;
                let width = if a.v6 {
                    u128::MAX
                } else {
                    u128::from(u32::MAX)
                };
                plain(a.with_u128(!a.to_u128() & width))
            }
            Merge => {
                let (a, b) = (ip(0)?, ip(1)?);
                if a.v6 != b.v6 {
                    return Err(Error::InvalidParameterValue(
                        "cannot merge addresses from different families".into(),
                    ));
                }
                let common =
                    (a.to_u128() ^ b.to_u128()).leading_zeros() - (128 - u32::from(a.max_bits()));
                let bits = (common as u8).min(a.bits).min(b.bits);
                Value::Inet(Inet { bits, ..a }.network())
            }
            ContainedBy { strict, flip } => {
                let (a, b) = if *flip {
                    (ip(1)?, ip(0)?)
                } else {
                    (ip(0)?, ip(1)?)
                };
                Value::Bool(inet::contained_by(&a, &b, *strict))
            }
            Overlaps => Value::Bool(inet::overlaps(&ip(0)?, &ip(1)?)),
            Add { int_first } => {
                let (v, n) = if *int_first {
                    (ip(1)?, int(0)?)
                } else {
                    (ip(0)?, int(1)?)
                };
                plain(add(&v, i128::from(n))?)
            }
            SubInt => plain(add(&ip(0)?, -i128::from(int(1)?))?),
            Sub => {
                let (a, b) = (ip(0)?, ip(1)?);
                if a.v6 != b.v6 {
                    return Err(Error::InvalidParameterValue(
                        "cannot subtract inet values of different sizes".into(),
                    ));
                }
                let (x, y) = (a.to_u128(), b.to_u128());
                let d = if x >= y {
                    i64::try_from(x - y).ok()
                } else {
                    i128::try_from(y - x)
                        .ok()
                        .and_then(|d| i64::try_from(-d).ok())
                };
                Value::Int(d.ok_or_else(out_of_range)?)
            }
            And | Or => {
                let (a, b) = (ip(0)?, ip(1)?);
                if a.v6 != b.v6 {
                    let op = if *self == And { "AND" } else { "OR" };
                    return Err(Error::InvalidParameterValue(format!(
                        "cannot {op} inet values of different sizes"
                    )));
                }
                let n = if *self == And {
                    a.to_u128() & b.to_u128()
                } else {
                    a.to_u128() | b.to_u128()
                };
                plain(Inet {
                    bits: a.bits.max(b.bits),
                    ..a.with_u128(n)
                })
            }
        })
    }
}

fn out_of_range() -> Error {
    Error::NumericValueOutOfRange("result is out of range".into())
}

/// `inetpl`: the address plus `n`, within the family's address space.
fn add(v: &Inet, n: i128) -> Result<Inet> {
    let max = if v.v6 {
        u128::MAX
    } else {
        u128::from(u32::MAX)
    };
    let a = v.to_u128();
    let out = if n >= 0 {
        a.checked_add(n as u128).filter(|x| *x <= max)
    } else {
        a.checked_sub(n.unsigned_abs())
    };
    out.map(|x| v.with_u128(x)).ok_or_else(out_of_range)
}
