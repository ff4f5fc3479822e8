//! `bytea` and `uuid` functions: `bytea || bytea`, `length`/`octet_length(bytea)`,
//! `encode(bytea, text)`, `decode(text, text)`, `get_byte`, `set_byte`, and
//! `gen_random_uuid()`.

use super::functions::{Function, Resolved, accepts};
use crate::types::{DataType, Value, bytea, uuid};
use crate::{Error, Result};

/// A bytea or uuid function. See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteaFn {
    Concat,
    Length,
    Encode,
    Decode,
    GetByte,
    SetByte,
    GenRandomUuid,
    /// `sha224` / `sha256` / `sha384` / `sha512`: the digest's bit length.
    Sha(u16),
}

impl ByteaFn {
    /// Resolves a function of this family (`None`: not one of its names or signatures).
    pub fn resolve(name: &str, args: &[DataType]) -> Option<Result<Resolved>> {
        use ByteaFn::*;
        let (b, t, i) = (DataType::Bytea, DataType::Text, DataType::Int4);
        let (f, params, ret) = match (name, args) {
            ("length" | "octet_length", [DataType::Bytea]) => (Length, vec![b], i),
            ("encode", _) if accepts(args, &[b, t]) => (Encode, vec![b, t], t),
            ("decode", _) if accepts(args, &[t, t]) => (Decode, vec![t, t], b),
            ("get_byte", _) if accepts(args, &[b, i]) => (GetByte, vec![b, i], i),
            ("set_byte", _) if accepts(args, &[b, i, i]) => (SetByte, vec![b, i, i], b),
            ("gen_random_uuid", []) => (GenRandomUuid, vec![], DataType::Uuid),
            ("sha224" | "sha256" | "sha384" | "sha512", _) if accepts(args, &[b]) => {
                let bits = name[3..].parse().expect("matched a digest name");
                (Sha(bits), vec![b], b)
            }
            _ => return None,
        };
        Some(Ok(Resolved::new(Function::Bytea(f), params, ret)))
    }

    /// `bytea || bytea` (either side may be an unknown literal).
    pub fn resolve_operator(sym: &str, l: DataType, r: DataType) -> Option<Result<Resolved>> {
        let b = DataType::Bytea;
        let bytea_pair = (l == b || r == b) && accepts(&[l, r], &[b, b]);
        (sym == "||" && bytea_pair).then(|| {
            Ok(Resolved::new(
                Function::Bytea(ByteaFn::Concat),
                vec![b, b],
                b,
            ))
        })
    }

    /// Calls the function (every one is strict: the caller handles NULLs).
    pub fn call(&self, args: Vec<Value>) -> Result<Value> {
        use ByteaFn::*;
        let bytes = |i: usize| match args.get(i) {
            Some(Value::Bytea(b)) => Ok(b.clone()),
            other => Err(Error::Internal(format!(
                "bytea argument expected: {other:?}"
            ))),
        };
        let text = |i: usize| super::fn_args::arg(&args, i).and_then(super::fn_args::text);
        let int = |i: usize| super::fn_args::arg(&args, i).and_then(super::fn_args::int);
        let index = |b: &[u8], n: i64| -> Result<usize> {
            usize::try_from(n)
                .ok()
                .filter(|n| *n < b.len())
                .ok_or_else(|| {
                    Error::ArraySubscriptError(format!(
                        "index {n} out of valid range, 0..{}",
                        b.len() as i64 - 1
                    ))
                })
        };
        Ok(match self {
            Concat => {
                let mut b = bytes(0)?;
                b.extend_from_slice(&bytes(1)?);
                Value::Bytea(b)
            }
            Length => Value::Int(bytes(0)?.len() as i64),
            Encode => Value::Text(bytea::encode(&bytes(0)?, text(1)?)?),
            Decode => Value::Bytea(bytea::decode(text(0)?, text(1)?)?),
            GetByte => {
                let b = bytes(0)?;
                Value::Int(i64::from(b[index(&b, int(1)?)?]))
            }
            SetByte => {
                let mut b = bytes(0)?;
                let at = index(&b, int(1)?)?;
                b[at] = int(2)? as u8;
                Value::Bytea(b)
            }
            GenRandomUuid => Value::Uuid(uuid::random()),
            Sha(bits) => {
                use super::extension_fns::Hash;
                let hash = match bits {
                    224 => Hash::Sha224,
                    256 => Hash::Sha256,
                    384 => Hash::Sha384,
                    _ => Hash::Sha512,
                };
                Value::Bytea(hash.digest(&bytes(0)?))
            }
        })
    }
}
