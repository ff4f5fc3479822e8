//! SCRAM-SHA-256 verifiers (RFC 5802 / 7677) in PostgreSQL's `rolpassword` format,
//! `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`: what `CREATE ROLE ...
//! PASSWORD 'x'` stores instead of the password, as PostgreSQL's
//! `password_encryption = scram-sha-256` does. A password given already in this form is
//! stored as is (so verifiers copy over from PostgreSQL).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// Iterations of the verifiers made here (PostgreSQL's `scram_iterations` default).
pub const ITERATIONS: u32 = 4096;

const PREFIX: &str = "SCRAM-SHA-256$";

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().into()
}

/// `Hi(password, salt, i)`: PBKDF2 with HMAC-SHA-256, one block.
fn salted_password(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut first = salt.to_vec();
    first.extend_from_slice(&1u32.to_be_bytes());
    let mut u = hmac(password, &first);
    let mut out = u;
    for _ in 1..iterations {
        u = hmac(password, &u);
        for (o, x) in out.iter_mut().zip(u.iter()) {
            *o ^= x;
        }
    }
    out
}

/// The verifier of `password` with `salt`. The password is SASLprep-normalized, falling
/// back to its bytes as PostgreSQL does when it is not valid for SASLprep.
pub fn verifier(password: &str, salt: &[u8], iterations: u32) -> String {
    let prepared = stringprep::saslprep(password)
        .map(|p| p.into_owned())
        .unwrap_or_else(|_| password.to_string());
    let salted = salted_password(prepared.as_bytes(), salt, iterations);
    let client_key = hmac(&salted, b"Client Key");
    let stored_key: [u8; 32] = Sha256::digest(client_key).into();
    let server_key = hmac(&salted, b"Server Key");
    format!(
        "{PREFIX}{iterations}:{}${}:{}",
        STANDARD.encode(salt),
        STANDARD.encode(stored_key),
        STANDARD.encode(server_key)
    )
}

/// A verifier of `password` with a fresh random 16-byte salt.
pub fn generate(password: &str) -> String {
    verifier(password, &rand::random::<[u8; 16]>(), ITERATIONS)
}

/// Whether `text` is already a verifier (stored as is by `PASSWORD '...'`).
pub fn is_verifier(text: &str) -> bool {
    let Some(rest) = text.strip_prefix(PREFIX) else {
        return false;
    };
    let Some((params, keys)) = rest.split_once('$') else {
        return false;
    };
    let Some((iterations, salt)) = params.split_once(':') else {
        return false;
    };
    let Some((stored, server)) = keys.split_once(':') else {
        return false;
    };
    let key_ok = |k: &str| STANDARD.decode(k).is_ok_and(|b| b.len() == 32);
    iterations.parse::<u32>().is_ok_and(|i| i > 0)
        && STANDARD.decode(salt).is_ok_and(|s| !s.is_empty())
        && key_ok(stored)
        && key_ok(server)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifiers_match_postgresql() {
        // The verifier of 'secret' with salt "saltsaltsaltsalt" and 4096 iterations, as
        // computed independently with Python's hashlib.pbkdf2_hmac and hmac.
        let v = verifier("secret", b"saltsaltsaltsalt", 4096);
        assert!(is_verifier(&v), "{v}");
        assert_eq!(
            v,
            "SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0c2FsdA==$\
             Ce3wZiZ+yIBCjltccfRiqM0+XDsLE3qPdkEeZKe3hus=:\
             k3q4nlLsA09ST5FLo9zNmfyXR+Ci1J4KmBK5JRVSxeI="
        );
        assert_ne!(generate("secret"), generate("secret"), "salts are random");
    }

    #[test]
    fn only_well_formed_verifiers_are_recognized() {
        assert!(!is_verifier("secret"));
        assert!(!is_verifier("SCRAM-SHA-256$4096:c2FsdA==$abc:def"));
        assert!(!is_verifier("md5abcdef"));
    }
}
