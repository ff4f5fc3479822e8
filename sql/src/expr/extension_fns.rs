//! The functions of the extensions Strata ships: `uuid-ossp` (`uuid_generate_v1`, `v1mc`,
//! `v3`, `v4`, `v5`, `uuid_nil`, `uuid_ns_dns` / `url` / `oid` / `x500`) and `pgcrypto`
//! (`digest`, `hmac`, `gen_random_bytes`, `crypt`, `gen_salt`; `gen_random_uuid` is a core
//! function since PostgreSQL 13 and always callable).
//!
//! They are built in, but the binder lets a call reach them only while their extension is
//! installed in a schema the call can see ([`crate::ddl::extension::callable`]): before
//! `CREATE EXTENSION`, `uuid_generate_v4()` is 42883 as in PostgreSQL.
//!
//! Differences from PostgreSQL: `uuid_generate_v1()` uses a random node id chosen once per
//! process instead of the host's MAC address (PostgreSQL's build with the e2fs library
//! reads the MAC address); `crypt` and `gen_salt` support the `bf` (bcrypt, `$2a$`) and
//! `md5` (`$1$`) algorithms and refuse `des` and `xdes` (0A000).

use super::functions::{Function, Resolved, accepts};
use crate::types::{DataType, Value};
use crate::{Error, Result};
use std::sync::LazyLock;

/// A function of an extension. See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtensionFn {
    UuidNil,
    /// `uuid_ns_dns` / `url` / `oid` / `x500`: RFC 4122's namespace UUIDs.
    UuidNamespace(Namespace),
    UuidV1,
    UuidV1Mc,
    UuidV3,
    UuidV4,
    UuidV5,
    Digest,
    Hmac,
    GenRandomBytes,
    Crypt,
    GenSalt,
}

/// An RFC 4122 namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Namespace {
    Dns,
    Url,
    Oid,
    X500,
}

/// The extension whose function `name` is (`None`: not an extension's function).
pub fn extension_of(name: &str) -> Option<&'static str> {
    match name {
        "uuid_nil" | "uuid_ns_dns" | "uuid_ns_url" | "uuid_ns_oid" | "uuid_ns_x500"
        | "uuid_generate_v1" | "uuid_generate_v1mc" | "uuid_generate_v3" | "uuid_generate_v4"
        | "uuid_generate_v5" => Some("uuid-ossp"),
        "digest" | "hmac" | "gen_random_bytes" | "crypt" | "gen_salt" => Some("pgcrypto"),
        _ => None,
    }
}

impl ExtensionFn {
    /// Resolves a function of this family (`None`: not one of its names or signatures).
    pub fn resolve(name: &str, args: &[DataType]) -> Option<Result<Resolved>> {
        use ExtensionFn::*;
        let (b, t, u, i) = (
            DataType::Bytea,
            DataType::Text,
            DataType::Uuid,
            DataType::Int4,
        );
        let bytea_first = args.first() == Some(&b);
        let (f, params, ret) = match (name, args) {
            ("uuid_nil", []) => (UuidNil, vec![], u),
            ("uuid_ns_dns", []) => (UuidNamespace(Namespace::Dns), vec![], u),
            ("uuid_ns_url", []) => (UuidNamespace(Namespace::Url), vec![], u),
            ("uuid_ns_oid", []) => (UuidNamespace(Namespace::Oid), vec![], u),
            ("uuid_ns_x500", []) => (UuidNamespace(Namespace::X500), vec![], u),
            ("uuid_generate_v1", []) => (UuidV1, vec![], u),
            ("uuid_generate_v1mc", []) => (UuidV1Mc, vec![], u),
            ("uuid_generate_v4", []) => (UuidV4, vec![], u),
            ("uuid_generate_v3", _) if accepts(args, &[u, t]) => (UuidV3, vec![u, t], u),
            ("uuid_generate_v5", _) if accepts(args, &[u, t]) => (UuidV5, vec![u, t], u),
            ("digest", _) if bytea_first && accepts(args, &[b, t]) => (Digest, vec![b, t], b),
            ("digest", _) if accepts(args, &[t, t]) => (Digest, vec![t, t], b),
            ("hmac", _) if bytea_first && accepts(args, &[b, b, t]) => (Hmac, vec![b, b, t], b),
            ("hmac", _) if accepts(args, &[t, t, t]) => (Hmac, vec![t, t, t], b),
            ("gen_random_bytes", _) if accepts(args, &[i]) => (GenRandomBytes, vec![i], b),
            ("crypt", _) if accepts(args, &[t, t]) => (Crypt, vec![t, t], t),
            ("gen_salt", _) if accepts(args, &[t]) => (GenSalt, vec![t], t),
            ("gen_salt", _) if accepts(args, &[t, i]) => (GenSalt, vec![t, i], t),
            _ => return None,
        };
        Some(Ok(Resolved::new(Function::Extension(f), params, ret)))
    }

    /// Calls the function (every one is strict: the caller handles NULLs).
    pub fn call(&self, args: Vec<Value>) -> Result<Value> {
        use ExtensionFn::*;
        let bytes = |i: usize| -> Result<Vec<u8>> {
            match args.get(i) {
                Some(Value::Bytea(b)) => Ok(b.clone()),
                Some(v) => v
                    .as_str()
                    .map(|s| s.as_bytes().to_vec())
                    .ok_or_else(|| Error::Internal(format!("bytes argument expected: {v:?}"))),
                None => Err(Error::Internal("missing argument".into())),
            }
        };
        let text = |i: usize| super::fn_args::arg(&args, i).and_then(super::fn_args::text);
        let int = |i: usize| super::fn_args::arg(&args, i).and_then(super::fn_args::int);
        let uuid_arg = |i: usize| match args.get(i) {
            Some(Value::Uuid(u)) => Ok(uuid::Uuid::from_bytes(*u)),
            other => Err(Error::Internal(format!(
                "uuid argument expected: {other:?}"
            ))),
        };
        let out = |u: uuid::Uuid| Value::Uuid(*u.as_bytes());
        Ok(match self {
            UuidNil => out(uuid::Uuid::nil()),
            UuidNamespace(ns) => out(match ns {
                Namespace::Dns => uuid::Uuid::NAMESPACE_DNS,
                Namespace::Url => uuid::Uuid::NAMESPACE_URL,
                Namespace::Oid => uuid::Uuid::NAMESPACE_OID,
                Namespace::X500 => uuid::Uuid::NAMESPACE_X500,
            }),
            UuidV1 => out(uuid::Uuid::now_v1(&NODE_ID)),
            UuidV1Mc => {
                // A random multicast node id per call, as PostgreSQL's v1mc.
                let mut node: [u8; 6] = rand::random();
                node[0] |= 0x03;
                out(uuid::Uuid::now_v1(&node))
            }
            UuidV3 => out(uuid::Uuid::new_v3(&uuid_arg(0)?, text(1)?.as_bytes())),
            UuidV4 => out(uuid::Uuid::new_v4()),
            UuidV5 => out(uuid::Uuid::new_v5(&uuid_arg(0)?, text(1)?.as_bytes())),
            Digest => Value::Bytea(Hash::named(text(1)?)?.digest(&bytes(0)?)),
            Hmac => Value::Bytea(Hash::named(text(2)?)?.hmac(&bytes(1)?, &bytes(0)?)),
            GenRandomBytes => {
                let n = int(0)?;
                if !(1..=1024).contains(&n) {
                    return Err(Error::ExternalRoutine("Length not in range".into()));
                }
                Value::Bytea((0..n).map(|_| rand::random::<u8>()).collect())
            }
            Crypt => Value::Text(super::crypt::crypt(text(0)?, text(1)?)?),
            GenSalt => {
                let rounds = match args.get(1) {
                    Some(_) => Some(int(1)?),
                    None => None,
                };
                Value::Text(super::crypt::gen_salt(text(0)?, rounds)?)
            }
        })
    }
}

/// The node id of `uuid_generate_v1()`: random, chosen once per process.
static NODE_ID: LazyLock<[u8; 6]> = LazyLock::new(rand::random);

/// A digest algorithm of pgcrypto's `digest` and `hmac` (and of the built-in `sha224` ...
/// `sha512`).
#[derive(Debug, Clone, Copy)]
pub(super) enum Hash {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    /// The algorithm called `name` (22023 `Cannot use "x": No such hash algorithm`).
    fn named(name: &str) -> Result<Hash> {
        Ok(match name.to_ascii_lowercase().as_str() {
            "md5" => Hash::Md5,
            "sha1" => Hash::Sha1,
            "sha224" => Hash::Sha224,
            "sha256" => Hash::Sha256,
            "sha384" => Hash::Sha384,
            "sha512" => Hash::Sha512,
            _ => {
                return Err(Error::InvalidParameterValue(format!(
                    "Cannot use \"{name}\": No such hash algorithm"
                )));
            }
        })
    }

    pub(super) fn digest(self, data: &[u8]) -> Vec<u8> {
        use sha2::Digest as _;
        match self {
            Hash::Md5 => {
                use md5::Digest as _;
                md5::Md5::digest(data).to_vec()
            }
            Hash::Sha1 => {
                use sha1::Digest as _;
                sha1::Sha1::digest(data).to_vec()
            }
            Hash::Sha224 => sha2::Sha224::digest(data).to_vec(),
            Hash::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Hash::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Hash::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    /// The algorithm's block size in bytes (HMAC pads the key to it).
    fn block_size(self) -> usize {
        match self {
            Hash::Sha384 | Hash::Sha512 => 128,
            _ => 64,
        }
    }

    /// HMAC (RFC 2104) of `data` under `key`.
    fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        let block = self.block_size();
        let mut k = if key.len() > block {
            self.digest(key)
        } else {
            key.to_vec()
        };
        k.resize(block, 0);
        let pad = |byte: u8| k.iter().map(|x| x ^ byte).collect::<Vec<u8>>();
        let mut inner = pad(0x36);
        inner.extend_from_slice(data);
        let mut outer = pad(0x5c);
        outer.extend_from_slice(&self.digest(&inner));
        self.digest(&outer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn digests_and_hmacs_match_postgresql() {
        // Values from PostgreSQL 15's pgcrypto.
        assert_eq!(
            hex(&Hash::Sha1.digest(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hex(&Hash::Md5.digest(b"abc")),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert_eq!(
            hex(&Hash::Sha256.hmac(b"key", b"abc")),
            "9c196e32dc0175f86f4b1cb89289d6619de6bee699e4c378e68309ed97a1a6ab"
        );
    }

    #[test]
    fn name_based_uuids_match_postgresql() {
        let v3 = uuid::Uuid::new_v3(&uuid::Uuid::NAMESPACE_DNS, b"example.com");
        assert_eq!(v3.to_string(), "9073926b-929f-31c2-abc9-fad77ae3e8eb");
        let v5 = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, b"http://x");
        assert_eq!(v5.to_string(), "c059942f-567e-54eb-aeb5-5fd9830bce43");
    }
}
