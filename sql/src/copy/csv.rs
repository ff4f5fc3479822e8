//! COPY's CSV format: fields separated by a delimiter (`,`), quoted with `"` when they hold
//! a delimiter, a quote or a line break (quotes doubled inside, or preceded by ESCAPE); an
//! unquoted field equal to the NULL string (empty by default) is NULL, a quoted one is not.
//! A quoted field may span lines.

use super::{CopyOptions, Field};

/// Whether a quote is still open at the end of `bytes`.
pub fn open_quote(bytes: &[u8], options: &CopyOptions) -> bool {
    scan(bytes, options).1
}

/// The end (exclusive, after its newline) of the first whole record in `bytes`.
pub fn record_end(bytes: &[u8], options: &CopyOptions) -> Option<usize> {
    scan(bytes, options).0
}

/// Walks `bytes`: the end of the first record (a newline outside quotes) and whether a
/// quote is open where the walk stopped.
fn scan(bytes: &[u8], options: &CopyOptions) -> (Option<usize>, bool) {
    let (quote, escape) = (options.quote() as u8, options.escape() as u8);
    let mut in_quote = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_quote {
            if b == escape && escape != quote && bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            if b == quote {
                in_quote = false;
            }
        } else if b == quote {
            in_quote = true;
        } else if b == b'\n' {
            return (Some(i + 1), false);
        }
        i += 1;
    }
    (None, in_quote)
}

/// Splits one record (without its final newline) into fields.
pub fn fields(record: &str, options: &CopyOptions) -> Result<Vec<Field>, String> {
    let (delimiter, quote, escape) = (options.delimiter(), options.quote(), options.escape());
    let null = options.null();
    let mut out = Vec::new();
    let mut chars = record.chars().peekable();
    let mut value = String::new();
    let mut quoted = false;
    let mut unquoted = true;
    while let Some(c) = chars.next() {
        if c == delimiter {
            out.push(field(std::mem::take(&mut value), quoted, unquoted, null));
            quoted = false;
            unquoted = true;
        } else if c == quote {
            quoted = true;
            unquoted = false;
            loop {
                match chars.next() {
                    None => return Err("unterminated CSV quoted field".into()),
                    Some(e) if e == escape && chars.peek() == Some(&quote) => {
                        value.push(quote);
                        chars.next();
                    }
                    Some(e) if e == escape && escape != quote && chars.peek() == Some(&escape) => {
                        value.push(escape);
                        chars.next();
                    }
                    Some(q) if q == quote => break,
                    Some(c) => value.push(c),
                }
            }
        } else {
            value.push(c);
        }
    }
    out.push(field(value, quoted, unquoted, null));
    Ok(out)
}

fn field(value: String, quoted: bool, unquoted: bool, null: &str) -> Field {
    if unquoted && value == null {
        Field {
            value: None,
            quoted: false,
            binary: None,
        }
    } else {
        Field {
            value: Some(value),
            quoted,
            binary: None,
        }
    }
}

/// Appends one field of COPY TO output.
pub fn encode_field(out: &mut String, value: Option<&str>, options: &CopyOptions, force: bool) {
    let Some(v) = value else {
        out.push_str(options.null());
        return;
    };
    let (delimiter, quote, escape) = (options.delimiter(), options.quote(), options.escape());
    let needs = force
        || v == options.null()
        || v == "\\."
        || v.chars()
            .any(|c| c == delimiter || c == quote || c == '\n' || c == '\r');
    if !needs {
        out.push_str(v);
        return;
    }
    out.push(quote);
    for c in v.chars() {
        if c == quote || (c == escape && escape != quote) {
            out.push(escape);
        }
        out.push(c);
    }
    out.push(quote);
}
