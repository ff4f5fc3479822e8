//! Tokens of a PL/pgSQL body: words (keywords and identifiers, lowercased unless quoted),
//! string literals (`'...'`, `E'...'`, `$tag$...$tag$`), numbers and punctuation, each with
//! its byte span in the body. The parser reads PL/pgSQL's own syntax from the tokens and
//! cuts embedded SQL and expressions out of the body as text (by span), as PL/pgSQL does.

use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// An unquoted word, lowercased.
    Word(String),
    /// A `"quoted"` identifier, as written inside the quotes.
    Quoted(String),
    /// A string literal (the text between its quotes, unescaped for plain `'...'`).
    Str(String),
    Num,
    /// Punctuation: `:=`, `..`, `<<`, `>>`, `::`, or one character.
    Op(String),
}

#[derive(Debug, Clone)]
pub struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn is_word(&self, w: &str) -> bool {
        matches!(&self.tok, Tok::Word(x) if x == w)
    }

    pub fn is_op(&self, o: &str) -> bool {
        matches!(&self.tok, Tok::Op(x) if x == o)
    }
}

fn syntax(msg: &str) -> Error {
    Error::SyntaxError(msg.to_string())
}

/// The tokens of `src`.
pub fn tokenize(src: &str) -> Result<Vec<Token>> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'-' && b.get(i + 1) == Some(&b'-') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            if depth != 0 {
                return Err(syntax("unterminated /* comment"));
            }
            continue;
        }
        let start = i;
        // E'...' / e'...': a string with backslash escapes.
        if (c == b'e' || c == b'E') && b.get(i + 1) == Some(&b'\'') {
            i += 2;
            while i < b.len() {
                if b[i] == b'\\' {
                    i += 2;
                } else if b[i] == b'\'' {
                    if b.get(i + 1) == Some(&b'\'') {
                        i += 2;
                    } else {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            if i >= b.len() {
                return Err(syntax("unterminated quoted string"));
            }
            i += 1;
            out.push(Token {
                tok: Tok::Str(src[start + 2..i - 1].to_string()),
                start,
                end: i,
            });
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            while i < b.len()
                && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$' || b[i] >= 0x80)
            {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Word(src[start..i].to_lowercase()),
                start,
                end: i,
            });
            continue;
        }
        if c.is_ascii_digit() {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            // `1..10`: the dot belongs to the range.
            if i < b.len() && b[i] == b'.' && b.get(i + 1) != Some(&b'.') {
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
            if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
                let mut j = i + 1;
                if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
                    j += 1;
                }
                if j < b.len() && b[j].is_ascii_digit() {
                    i = j;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            out.push(Token {
                tok: Tok::Num,
                start,
                end: i,
            });
            continue;
        }
        match c {
            b'\'' => {
                let (text, end) = quoted(src, i, b'\'', "unterminated quoted string")?;
                i = end;
                out.push(Token {
                    tok: Tok::Str(text),
                    start,
                    end: i,
                });
            }
            b'"' => {
                let (text, end) = quoted(src, i, b'"', "unterminated quoted identifier")?;
                i = end;
                out.push(Token {
                    tok: Tok::Quoted(text),
                    start,
                    end: i,
                });
            }
            b'$' if b.get(i + 1).is_some_and(|d| d.is_ascii_digit()) => {
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                out.push(Token {
                    tok: Tok::Op(src[start..i].to_string()),
                    start,
                    end: i,
                });
            }
            b'$' => {
                let mut j = i + 1;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                if b.get(j) != Some(&b'$') {
                    return Err(syntax("syntax error at or near \"$\""));
                }
                let tag = &src[i..=j];
                let body_start = j + 1;
                let Some(end) = src[body_start..].find(tag) else {
                    return Err(syntax("unterminated dollar-quoted string"));
                };
                i = body_start + end + tag.len();
                out.push(Token {
                    tok: Tok::Str(src[body_start..body_start + end].to_string()),
                    start,
                    end: i,
                });
            }
            _ => {
                let two = src.get(i..i + 2).unwrap_or("");
                let op = if matches!(
                    two,
                    ":=" | ".." | "<<" | ">>" | "::" | "<>" | "!=" | ">=" | "<=" | "=>" | "||"
                ) {
                    two.to_string()
                } else {
                    let len = utf8_len(c);
                    src[i..i + len].to_string()
                };
                i += op.len();
                out.push(Token {
                    tok: Tok::Op(op),
                    start,
                    end: i,
                });
            }
        }
    }
    Ok(out)
}

/// The text of the `quote`-delimited token starting at `src[start]` (a doubled quote
/// stands for one) and the index just past its closing quote; `unterminated` when the
/// source ends first.
fn quoted(src: &str, start: usize, quote: u8, unterminated: &str) -> Result<(String, usize)> {
    let b = src.as_bytes();
    let mut text = String::new();
    let mut i = start + 1;
    loop {
        let Some(&ch) = b.get(i) else {
            return Err(syntax(unterminated));
        };
        if ch == quote {
            if b.get(i + 1) == Some(&quote) {
                text.push(quote as char);
                i += 2;
                continue;
            }
            return Ok((text, i + 1));
        }
        let len = utf8_len(ch);
        text.push_str(&src[i..i + len]);
        i += len;
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_strings_and_comments() {
        let t = tokenize("FOR i IN 1..10 -- c\n LOOP x := 'a''b'; END").unwrap();
        let toks: Vec<Tok> = t.into_iter().map(|t| t.tok).collect();
        assert_eq!(toks[0], Tok::Word("for".into()));
        assert_eq!(toks[3], Tok::Num);
        assert_eq!(toks[4], Tok::Op("..".into()));
        assert_eq!(toks[8], Tok::Op(":=".into()));
        assert_eq!(toks[9], Tok::Str("a'b".into()));
    }
}
