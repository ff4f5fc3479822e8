//! COPY's text format: fields separated by a delimiter (tab), backslash escapes, `\N` for
//! NULL (compared with the field *before* unescaping, as PostgreSQL does).

use super::{CopyOptions, Field};

/// Splits one line (without its newline) into fields.
pub fn fields(line: &str, options: &CopyOptions) -> Result<Vec<Field>, String> {
    let delimiter = options.delimiter();
    let null = options.null();
    if !line.contains('\\') {
        // Nothing escaped (the usual line): the fields are the pieces between delimiters.
        return Ok(line
            .split(delimiter)
            .map(|raw| Field {
                value: (raw != null).then(|| raw.to_string()),
                quoted: false,
                binary: None,
            })
            .collect());
    }
    let mut raw_fields = Vec::new();
    let mut raw = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            raw.push(c);
            if let Some(n) = chars.next() {
                raw.push(n);
            }
        } else if c == delimiter {
            raw_fields.push(std::mem::take(&mut raw));
        } else {
            raw.push(c);
        }
    }
    raw_fields.push(raw);
    raw_fields
        .into_iter()
        .map(|raw| {
            if raw == null {
                Ok(Field {
                    value: None,
                    quoted: false,
                    binary: None,
                })
            } else {
                unescape(&raw).map(|v| Field {
                    value: Some(v),
                    quoted: false,
                    binary: None,
                })
            }
        })
        .collect()
}

/// Resolves backslash escapes: `\b \f \n \r \t \v`, octal `\ooo`, hex `\xhh`, and any other
/// character stands for itself.
fn unescape(raw: &str) -> Result<String, String> {
    if !raw.contains('\\') {
        return Ok(raw.to_string());
    }
    let bytes = raw.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        i += 1;
        if b != b'\\' || i == bytes.len() {
            out.push(b);
            continue;
        }
        let e = bytes[i];
        i += 1;
        match e {
            b'0'..=b'7' => {
                let mut v = u32::from(e - b'0');
                for _ in 0..2 {
                    match bytes.get(i) {
                        Some(d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push((v & 0xff) as u8);
            }
            b'x' if bytes.get(i).is_some_and(u8::is_ascii_hexdigit) => {
                let mut v = 0u32;
                for _ in 0..2 {
                    match bytes.get(i).and_then(|d| (*d as char).to_digit(16)) {
                        Some(d) => {
                            v = v * 16 + d;
                            i += 1;
                        }
                        None => break,
                    }
                }
                out.push(v as u8);
            }
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(0x0b),
            other => out.push(other),
        }
    }
    String::from_utf8(out).map_err(|_| "invalid byte sequence for encoding \"UTF8\"".to_string())
}

/// Appends one field of COPY TO output.
pub fn encode_field(out: &mut String, value: Option<&str>, options: &CopyOptions) {
    let Some(v) = value else {
        out.push_str(options.null());
        return;
    };
    let delimiter = options.delimiter();
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' if delimiter == '\t' => out.push_str("\\t"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\x0b' => out.push_str("\\v"),
            c if c == delimiter => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
}
