//! pgcrypto's password hashing: `crypt(password, salt)` and `gen_salt(type [, rounds])`
//! for the `bf` (bcrypt, written `$2a$NN$` + 22 characters, through the `bcrypt` crate)
//! and `md5` (`$1$` + up to 8 characters, the FreeBSD MD5-crypt algorithm, here) salts.
//! `crypt(password, stored_hash)` hashes again with the stored hash as the salt, so it
//! equals the stored hash exactly when the password is right.
//!
//! The traditional `des` and `xdes` salts are refused (0A000).

use crate::{Error, Result};
use base64::Engine as _;

/// The crypt(3) alphabet of MD5-crypt and bcrypt's salts.
const ITOA64: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// bcrypt's base64 (its own alphabet, no padding).
fn bcrypt_base64() -> base64::engine::GeneralPurpose {
    base64::engine::GeneralPurpose::new(
        &base64::alphabet::BCRYPT,
        base64::engine::GeneralPurposeConfig::new()
            .with_encode_padding(false)
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    )
}

/// `crypt(password, salt)`.
pub fn crypt(password: &str, salt: &str) -> Result<String> {
    if let Some(rest) = salt.strip_prefix("$1$") {
        let salt: String = rest.chars().take_while(|c| *c != '$').take(8).collect();
        return Ok(md5_crypt(password.as_bytes(), salt.as_bytes()));
    }
    if let Some(rest) = salt
        .strip_prefix("$2a$")
        .or_else(|| salt.strip_prefix("$2b$"))
        .or_else(|| salt.strip_prefix("$2y$"))
    {
        return bcrypt_crypt(password, rest);
    }
    Err(Error::unsupported(
        "crypt: only the bf and md5 algorithms are supported",
    ))
}

/// bcrypt with a salt `NN$` + 22 characters (what follows `$2a$`).
fn bcrypt_crypt(password: &str, rest: &str) -> Result<String> {
    let invalid = || Error::InvalidParameterValue("invalid salt".into());
    let (cost, salt) = rest.split_once('$').ok_or_else(invalid)?;
    let cost: u32 = cost.parse().map_err(|_| invalid())?;
    if cost.to_string().len() > 2 || !(4..=31).contains(&cost) {
        return Err(invalid());
    }
    let salt = salt.get(..22).ok_or_else(invalid)?;
    let raw = bcrypt_base64().decode(salt).map_err(|_| invalid())?;
    let raw: [u8; 16] = raw
        .get(..16)
        .and_then(|r| r.try_into().ok())
        .ok_or_else(invalid)?;
    let parts = bcrypt::hash_with_salt(password, cost, raw).map_err(|_| invalid())?;
    Ok(parts.format_for_version(bcrypt::Version::TwoA))
}

/// `gen_salt(type [, rounds])`: a new random salt.
pub fn gen_salt(kind: &str, rounds: Option<i64>) -> Result<String> {
    let bad_rounds = || Error::InvalidParameterValue("gen_salt: Incorrect number of rounds".into());
    match kind.to_ascii_lowercase().as_str() {
        "bf" => {
            let cost = rounds.unwrap_or(6);
            if !(4..=31).contains(&cost) {
                return Err(bad_rounds());
            }
            let raw: [u8; 16] = rand::random();
            Ok(format!("$2a${cost:02}${}", bcrypt_base64().encode(raw)))
        }
        "md5" => {
            if rounds.is_some_and(|r| r != 1000) {
                return Err(bad_rounds());
            }
            let salt: String = (0..8)
                .map(|_| ITOA64[usize::from(rand::random::<u8>() & 63)] as char)
                .collect();
            Ok(format!("$1${salt}"))
        }
        "des" | "xdes" => Err(Error::unsupported(format!(
            "gen_salt: the {kind} algorithm is not supported"
        ))),
        _ => Err(Error::InvalidParameterValue(
            "gen_salt: Unknown salt algorithm".into(),
        )),
    }
}

/// FreeBSD's MD5-crypt (`$1$salt$hash`), as pgcrypto's `px_crypt_md5`.
fn md5_crypt(pw: &[u8], salt: &[u8]) -> String {
    use md5::{Digest, Md5};
    const MAGIC: &[u8] = b"$1$";
    let mut ctx = Md5::new();
    ctx.update(pw);
    ctx.update(MAGIC);
    ctx.update(salt);
    let mut alt = Md5::new();
    alt.update(pw);
    alt.update(salt);
    alt.update(pw);
    let alt = alt.finalize();
    let mut left = pw.len();
    while left > 0 {
        let n = left.min(16);
        ctx.update(&alt[..n]);
        left -= n;
    }
    let mut i = pw.len();
    while i > 0 {
        if i & 1 != 0 {
            ctx.update([0u8]);
        } else {
            ctx.update(&pw[..1]);
        }
        i >>= 1;
    }
    let mut fin = ctx.finalize();
    for round in 0..1000 {
        let mut c = Md5::new();
        if round & 1 != 0 {
            c.update(pw);
        } else {
            c.update(fin);
        }
        if round % 3 != 0 {
            c.update(salt);
        }
        if round % 7 != 0 {
            c.update(pw);
        }
        if round & 1 != 0 {
            c.update(fin);
        } else {
            c.update(pw);
        }
        fin = c.finalize();
    }
    let mut out = String::from("$1$");
    out.push_str(&String::from_utf8_lossy(salt));
    out.push('$');
    let mut put = |mut v: u32, n: usize| {
        for _ in 0..n {
            out.push(ITOA64[(v & 0x3f) as usize] as char);
            v >>= 6;
        }
    };
    for (a, b, c) in [(0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)] {
        put(
            u32::from(fin[a]) << 16 | u32::from(fin[b]) << 8 | u32::from(fin[c]),
            4,
        );
    }
    put(u32::from(fin[11]), 2);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crypt_matches_postgresql() {
        // Values from PostgreSQL 15's pgcrypto.
        assert_eq!(
            crypt("pw", "$1$saltsalt").unwrap(),
            "$1$saltsalt$6SNdNaZLKst2LlSm7oPPL1"
        );
        assert_eq!(
            crypt("pw", "$2a$06$abcdefghijklmnopqrstuu").unwrap(),
            "$2a$06$abcdefghijklmnopqrstuuXOw8daVruAKMR3X3ty3bsuEmsp0E2Ba"
        );
        // The stored hash as the salt gives the stored hash back.
        let stored = crypt("secret", &gen_salt("bf", Some(4)).unwrap()).unwrap();
        assert_eq!(crypt("secret", &stored).unwrap(), stored);
        assert_ne!(crypt("wrong", &stored).unwrap(), stored);
        let stored = crypt("secret", &gen_salt("md5", None).unwrap()).unwrap();
        assert_eq!(crypt("secret", &stored).unwrap(), stored);
    }

    #[test]
    fn gen_salt_formats_and_errors() {
        assert!(gen_salt("bf", None).unwrap().starts_with("$2a$06$"));
        assert_eq!(gen_salt("bf", Some(8)).unwrap().len(), 29);
        assert_eq!(gen_salt("md5", None).unwrap().len(), 11);
        assert_eq!(
            gen_salt("bf", Some(3)).unwrap_err().to_string(),
            "gen_salt: Incorrect number of rounds"
        );
        assert_eq!(
            gen_salt("nope", None).unwrap_err().to_string(),
            "gen_salt: Unknown salt algorithm"
        );
    }
}
