//! `bytea`: byte strings, with PostgreSQL's `hex` output (`\x0a0b`) and both input formats
//! (hex `\x...`, whitespace between digit pairs allowed; and the traditional escape format,
//! where `\\` is a backslash and `\ooo` an octal byte), plus `encode`/`decode` with the
//! `hex`, `base64` and `escape` formats.

use base64::Engine;

use crate::{Error, Result};

fn bad_input() -> Error {
    Error::InvalidTextRepresentation("invalid input syntax for type bytea".into())
}

fn hex_value(c: u8) -> Result<u8> {
    match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        b'A'..=b'F' => Ok(c - b'A' + 10),
        _ => Err(Error::InvalidParameterValue(format!(
            "invalid hexadecimal digit: \"{}\"",
            char::from(c).escape_default()
        ))),
    }
}

/// Decodes hex digits, skipping whitespace between pairs (PostgreSQL's `hex_decode`).
pub fn decode_hex(s: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 2);
    let mut i = 0;
    while i < s.len() {
        if matches!(s[i], b' ' | b'\n' | b'\t' | b'\r') {
            i += 1;
            continue;
        }
        let hi = hex_value(s[i])?;
        let Some(&lo) = s.get(i + 1) else {
            return Err(Error::InvalidParameterValue(
                "invalid hexadecimal data: odd number of digits".into(),
            ));
        };
        out.push(hi << 4 | hex_value(lo)?);
        i += 2;
    }
    Ok(out)
}

/// `bytea` input.
pub fn parse(s: &str) -> Result<Vec<u8>> {
    let b = s.as_bytes();
    if let Some(hex) = b.strip_prefix(b"\\x") {
        return decode_hex(hex);
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
        } else if b.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else if let Some(oct) = b.get(i + 1..i + 4)
            && matches!(oct[0], b'0'..=b'3')
            && oct[1..].iter().all(|c| matches!(c, b'0'..=b'7'))
        {
            out.push((oct[0] - b'0') << 6 | (oct[1] - b'0') << 3 | (oct[2] - b'0'));
            i += 4;
        } else {
            return Err(bad_input());
        }
    }
    Ok(out)
}

/// `bytea` output: hex, or escape when the statement's `bytea_output` says so.
pub fn format(b: &[u8]) -> String {
    if crate::env::with(|e| e.output.bytea_escape) {
        return format_escape(b);
    }
    let mut s = String::with_capacity(2 + 2 * b.len());
    s.push_str("\\x");
    for x in b {
        s.push_str(&format!("{x:02x}"));
    }
    s
}

/// `bytea_output = escape`: printable ASCII as is, `\\` doubled, other bytes as `\\ooo`.
fn format_escape(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len());
    for &x in b {
        match x {
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(char::from(x)),
            _ => s.push_str(&format!("\\{x:03o}")),
        }
    }
    s
}

fn unknown_encoding(name: &str) -> Error {
    Error::InvalidParameterValue(format!("unrecognized encoding: \"{name}\""))
}

/// `encode(bytes, format)`.
pub fn encode(b: &[u8], format_name: &str) -> Result<String> {
    match format_name.to_ascii_lowercase().as_str() {
        "hex" => Ok(format(b)[2..].to_string()),
        "base64" => {
            let text = base64::engine::general_purpose::STANDARD.encode(b);
            // PostgreSQL breaks base64 output into lines of 76 characters.
            let lines: Vec<&str> = text
                .as_bytes()
                .chunks(76)
                .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
                .collect();
            Ok(lines.join("\n"))
        }
        "escape" => {
            let mut s = String::new();
            for &x in b {
                match x {
                    b'\\' => s.push_str("\\\\"),
                    0 | 0x80..=0xFF => s.push_str(&format!("\\{x:03o}")),
                    _ => s.push(char::from(x)),
                }
            }
            Ok(s)
        }
        _ => Err(unknown_encoding(format_name)),
    }
}

/// `decode(text, format)`.
pub fn decode(s: &str, format_name: &str) -> Result<Vec<u8>> {
    match format_name.to_ascii_lowercase().as_str() {
        "hex" => decode_hex(s.as_bytes()),
        "base64" => {
            let clean: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(clean)
                .map_err(|_| Error::InvalidParameterValue("invalid base64 end sequence".into()))
        }
        "escape" => parse(s),
        _ => Err(unknown_encoding(format_name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_output_and_encodings() {
        assert_eq!(parse("\\x0aFF").unwrap(), vec![10, 255]);
        assert_eq!(parse("\\x0a ff").unwrap(), vec![10, 255]);
        assert_eq!(parse("a\\\\b\\001").unwrap(), b"a\\b\x01".to_vec());
        assert_eq!(parse("\\x0").unwrap_err().code(), "22023");
        assert_eq!(parse("\\xzz").unwrap_err().code(), "22023");
        assert_eq!(parse("a\\9").unwrap_err().code(), "22P02");
        assert_eq!(format(&[0xde, 0xad]), "\\xdead");
        assert_eq!(encode(b"hello", "base64").unwrap(), "aGVsbG8=");
        assert_eq!(decode("aGVsbG8=", "base64").unwrap(), b"hello");
        assert_eq!(encode(b"\x00a\\", "escape").unwrap(), "\\000a\\\\");
        assert_eq!(encode(&[0xab], "hex").unwrap(), "ab");
        assert_eq!(encode(b"x", "rot13").unwrap_err().code(), "22023");
        assert_eq!(encode(&[0u8; 60], "base64").unwrap().lines().count(), 2);
    }
}
