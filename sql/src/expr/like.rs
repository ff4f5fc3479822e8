//! `LIKE` / `ILIKE` pattern matching: `%` matches any run of characters, `_` one character,
//! and `\` escapes the next character (PostgreSQL's default escape).

use crate::{Error, Result};

/// Whether `text` matches `pattern`.
pub fn matches(text: &str, pattern: &str, case_insensitive: bool) -> Result<bool> {
    let fold = |s: &str| -> Vec<char> {
        if case_insensitive {
            s.to_lowercase().chars().collect()
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
            '%' => toks.push(Tok::Any),
            '_' => toks.push(Tok::One),
            '\\' => {
                i += 1;
                let c = *p.get(i).ok_or_else(|| {
                    Error::InvalidEscapeSequence(
                        "LIKE pattern must not end with escape character".into(),
                    )
                })?;
                toks.push(Tok::Lit(c));
            }
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

    #[test]
    fn like_patterns() {
        assert!(matches("hello", "h%o", false).unwrap());
        assert!(matches("hello", "_ello", false).unwrap());
        assert!(!matches("hello", "h_o", false).unwrap());
        assert!(matches("", "%", false).unwrap());
        assert!(matches("a%b", "a\\%b", false).unwrap());
        assert!(!matches("axb", "a\\%b", false).unwrap());
        assert!(matches("HeLLo", "hel%", true).unwrap());
        assert!(matches("abcabc", "%abc", false).unwrap());
        assert!(matches("mississippi", "%iss%ppi", false).unwrap());
        assert!(matches("x", "x\\", false).is_err());
    }
}
