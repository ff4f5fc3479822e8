//! `character(n)` / `bpchar`: blank-padded strings.
//!
//! Values are stored padded with spaces to `n` characters ([`Value::Bpchar`](crate::Value));
//! trailing spaces are insignificant: comparison, `length()`, hashing and casts to `text`
//! use the value without them ([`trimmed`]), and keys store it trimmed. Input longer than
//! `n` is an error on assignment (22001) unless the excess is spaces; an explicit cast
//! truncates silently, as PostgreSQL does.

use crate::{Error, Result};
use std::cmp::Ordering;

/// The value without trailing spaces (what comparisons and `text` see).
pub fn trimmed(s: &str) -> &str {
    s.trim_end_matches(' ')
}

/// Fits `s` into `character(n)` (`None`: unbounded `bpchar`, kept as is).
pub fn fit(s: &str, n: Option<u32>, explicit: bool) -> Result<String> {
    let Some(n) = n else {
        return Ok(s.to_string());
    };
    let n = n as usize;
    let len = s.chars().count();
    if len <= n {
        let mut out = String::with_capacity(s.len() + (n - len));
        out.push_str(s);
        // By slices, not a char at a time: COPY pads every row's char(n) fields.
        const SPACES: &str = "                                                                ";
        let mut pad = n - len;
        while pad > 0 {
            let k = pad.min(SPACES.len());
            out.push_str(&SPACES[..k]);
            pad -= k;
        }
        return Ok(out);
    }
    let head: String = s.chars().take(n).collect();
    if explicit || s.chars().skip(n).all(|c| c == ' ') {
        Ok(head)
    } else {
        Err(Error::StringDataRightTruncation(format!("character({n})")))
    }
}

/// PostgreSQL's `bpcharcmp`: bytes of the trimmed values.
pub fn compare(a: &str, b: &str) -> Ordering {
    trimmed(a).cmp(trimmed(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_and_comparison() {
        assert_eq!(fit("ab", Some(4), false).unwrap(), "ab  ");
        assert_eq!(fit("abcd  ", Some(4), false).unwrap(), "abcd");
        assert_eq!(fit("abcde", Some(4), true).unwrap(), "abcd");
        let e = fit("abcde", Some(4), false).unwrap_err();
        assert_eq!(e.code(), "22001");
        assert_eq!(e.to_string(), "value too long for type character(4)");
        assert_eq!(compare("a  ", "a"), Ordering::Equal);
        assert_eq!(compare("a\u{1}", "a "), Ordering::Greater);
        assert_eq!(fit("x", None, false).unwrap(), "x");
        let wide = fit("é", Some(150), false).unwrap();
        assert_eq!(wide.chars().count(), 150);
        assert!(wide.starts_with('é') && wide[2..].bytes().all(|b| b == b' '));
    }
}
