//! `LIKE` / `ILIKE` pattern matching (ILIKE folds ASCII letters, as the C locale does): `%`
//! matches any run of characters, `_` one character,
//! and the escape character (`\` unless `ESCAPE` says otherwise; `ESCAPE ''` disables it)
//! makes the next character literal.

use crate::{Error, Result};

/// The escape character an `ESCAPE` string names (22025 if it is longer than one).
pub fn escape_char(s: &str) -> Result<Option<char>> {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (None, _) => Ok(None),
        (Some(c), None) => Ok(Some(c)),
        _ => Err(Error::InvalidEscapeSequence("invalid escape string".into())),
    }
}

/// Whether `text` matches `pattern`.
pub fn matches(
    text: &str,
    pattern: &str,
    case_insensitive: bool,
    escape: Option<char>,
) -> Result<bool> {
    let fold = |s: &str| -> Vec<char> {
        if case_insensitive {
            s.to_ascii_lowercase().chars().collect()
        } else {
            s.chars().collect()
        }
    };
    let (t, p) = (fold(text), fold(pattern));
    // Compile into tokens first so a trailing escape is reported like PostgreSQL does.
    enum Tok {
        Any,
        One,
        Lit(char),
    }
    let mut toks = Vec::with_capacity(p.len());
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            c if Some(c) == escape => {
                i += 1;
                let c = *p.get(i).ok_or_else(|| {
                    Error::InvalidEscapeSequence(
                        "LIKE pattern must not end with escape character".into(),
                    )
                })?;
                toks.push(Tok::Lit(c));
            }
            '%' => toks.push(Tok::Any),
            '_' => toks.push(Tok::One),
            c => toks.push(Tok::Lit(c)),
        }
        i += 1;
    }
    // Greedy matching with a single backtrack point (the last `%`), linear in practice.
    let (mut ti, mut pi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match toks.get(pi) {
            Some(Tok::Any) => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(Tok::One) => {
                ti += 1;
                pi += 1;
            }
            Some(Tok::Lit(c)) if *c == t[ti] => {
                ti += 1;
                pi += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return Ok(false),
            },
        }
    }
    Ok(toks[pi..].iter().all(|t| matches!(t, Tok::Any)))
}

#[cfg(test)]
mod tests {
    use super::matches;

    fn like(t: &str, p: &str) -> bool {
        matches(t, p, false, Some('\\')).unwrap()
    }

    #[test]
    fn like_patterns() {
        assert!(like("hello", "h%o"));
        assert!(like("hello", "_ello"));
        assert!(!like("hello", "h_o"));
        assert!(like("", "%"));
        assert!(like("a%b", "a\\%b"));
        assert!(!like("axb", "a\\%b"));
        assert!(matches("HeLLo", "hel%", true, Some('\\')).unwrap());
        assert!(like("abcabc", "%abc"));
        assert!(like("mississippi", "%iss%ppi"));
        assert!(matches("x", "x\\", false, Some('\\')).is_err());
    }

    #[test]
    fn custom_and_no_escape() {
        assert!(matches("a%b", "a#%b", false, Some('#')).unwrap());
        assert!(matches("a\\b", "a\\b", false, None).unwrap());
        assert!(matches("a_b", "a$_b", false, Some('$')).unwrap());
        assert!(!matches("axb", "a$_b", false, Some('$')).unwrap());
    }
}
