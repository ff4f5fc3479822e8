//! `uuid`: 16 bytes, compared bytewise; input in PostgreSQL's accepted spellings
//! (`a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11`, upper case, braces, no hyphens, or a hyphen
//! after any group of four digits), output lower-case and hyphenated; `gen_random_uuid()`
//! makes version 4 UUIDs.

use crate::{Error, Result};

/// `uuid` input (PostgreSQL's `string_to_uuid`).
pub fn parse(s: &str) -> Result<[u8; 16]> {
    let bad =
        || Error::InvalidTextRepresentation(format!("invalid input syntax for type uuid: \"{s}\""));
    let b = s.as_bytes();
    let body = match (b.first(), b.last()) {
        (Some(b'{'), Some(b'}')) if b.len() >= 2 => &b[1..b.len() - 1],
        _ => b,
    };
    let mut out = [0u8; 16];
    let mut i = 0;
    for (n, byte) in out.iter_mut().enumerate() {
        let hi = body
            .get(i)
            .and_then(|c| (*c as char).to_digit(16))
            .ok_or_else(bad)?;
        let lo = body
            .get(i + 1)
            .and_then(|c| (*c as char).to_digit(16))
            .ok_or_else(bad)?;
        *byte = (hi << 4 | lo) as u8;
        i += 2;
        if n % 2 == 1 && n < 15 && body.get(i) == Some(&b'-') {
            i += 1;
        }
    }
    if i != body.len() {
        return Err(bad());
    }
    Ok(out)
}

/// `uuid` output.
pub fn format(u: &[u8; 16]) -> String {
    uuid::Uuid::from_bytes(*u).hyphenated().to_string()
}

/// A random (version 4) UUID.
pub fn random() -> [u8; 16] {
    *uuid::Uuid::new_v4().as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        let want = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
        for s in [
            want,
            "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
            "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
            "a0eebc999c0b4ef8bb6d6bb9bd380a11",
            "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
            "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}",
        ] {
            assert_eq!(format(&parse(s).unwrap()), want, "{s}");
        }
        for bad in [
            "",
            "a0eebc99",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1",
            "g0eebc999c0b4ef8bb6d6bb9bd380a11",
            "a0eebc999c0b4ef8bb6d6bb9bd380a11-",
        ] {
            assert_eq!(parse(bad).unwrap_err().code(), "22P02", "{bad}");
        }
        assert_eq!(random()[6] >> 4, 4);
    }
}
