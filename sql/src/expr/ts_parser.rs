//! The text-search parser: text → typed tokens, after PostgreSQL's default parser
//! (`wparser_def.c`), as a hand-written scanner instead of its state machine.
//!
//! Token types are PostgreSQL's ([`TokenType`]): words (`asciiword`, `word` with non-ASCII
//! letters, `numword` mixing letters and digits), hyphenated words (`asciihword` /
//! `hword` / `numhword`, followed by their parts `hword_asciipart` / `hword_part` /
//! `hword_numpart`), numbers (`uint`, `int` with a sign, `float`, `sfloat` with an
//! exponent, `version` with two or more dots), `email`, `host`, `url` (followed by its
//! `host` and `url_path`), `file` paths; `protocol` (`http://`), `tag` (`<b>`), `entity`
//! (`&amp;`) and `blank` are recognised and never indexed. As in PostgreSQL under the C
//! locale, every non-ASCII character counts as a letter.
//!
//! Known differences from PostgreSQL's state machine are in corner cases of its
//! backtracking (ARCHITECTURE.md lists them): e.g. a host name needs a last label of two
//! or more letters, and `-123` after a plain word is an `int`.

/// PostgreSQL's token types that this parser produces (`ts_token_type('default')`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenType {
    AsciiWord,
    Word,
    NumWord,
    AsciiHWord,
    HWord,
    NumHWord,
    HWordAsciiPart,
    HWordPart,
    HWordNumPart,
    Email,
    Url,
    Host,
    UrlPath,
    File,
    Version,
    Float,
    SFloat,
    Int,
    UInt,
    Protocol,
    Tag,
    Entity,
    Blank,
}

impl TokenType {
    /// The type's alias (`ts_token_type`'s `alias`).
    pub fn alias(self) -> &'static str {
        use TokenType::*;
        match self {
            AsciiWord => "asciiword",
            Word => "word",
            NumWord => "numword",
            AsciiHWord => "asciihword",
            HWord => "hword",
            NumHWord => "numhword",
            HWordAsciiPart => "hword_asciipart",
            HWordPart => "hword_part",
            HWordNumPart => "hword_numpart",
            Email => "email",
            Url => "url",
            Host => "host",
            UrlPath => "url_path",
            File => "file",
            Version => "version",
            Float => "float",
            SFloat => "sfloat",
            Int => "int",
            UInt => "uint",
            Protocol => "protocol",
            Tag => "tag",
            Entity => "entity",
            Blank => "blank",
        }
    }

    /// Whether the type is a (part of a) word, which language dictionaries stem; the rest
    /// go to the `simple` dictionary.
    pub fn is_word(self) -> bool {
        use TokenType::*;
        matches!(
            self,
            AsciiWord | Word | AsciiHWord | HWord | HWordAsciiPart | HWordPart
        )
    }

    /// Whether the built-in configurations index the type.
    pub fn indexed(self) -> bool {
        !matches!(
            self,
            TokenType::Protocol | TokenType::Tag | TokenType::Entity | TokenType::Blank
        )
    }
}

/// One token: its type and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token<'a> {
    pub ty: TokenType,
    pub text: &'a str,
}

fn is_alpha(c: char) -> bool {
    c.is_ascii_alphabetic() || !c.is_ascii()
}

fn is_alnum(c: char) -> bool {
    c.is_ascii_digit() || is_alpha(c)
}

/// The longest prefix of `s` whose characters satisfy `f`, in bytes.
fn span(s: &str, f: impl Fn(char) -> bool) -> usize {
    s.find(|c: char| !f(c)).unwrap_or(s.len())
}

/// A host name at the start of `s`: labels of letters, digits, `-` and `_` joined by
/// dots, at least two; the host ends after the ASCII letters (two or more) that start the
/// last label (`pg_hba.conf-like` is the host `pg_hba.conf`); then an optional `:port`.
fn host_len(s: &str) -> Option<usize> {
    let label = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut at = 0;
    let mut labels = 0;
    let mut end = None;
    loop {
        let n = span(&s[at..], label);
        if n == 0 || !s[at..].starts_with(|c: char| c.is_ascii_alphanumeric()) {
            break;
        }
        labels += 1;
        let letters = span(&s[at..at + n], |c| c.is_ascii_alphabetic());
        if labels >= 2 && letters >= 2 {
            end = Some(at + letters);
        }
        at += n;
        if s[at..].starts_with('.') && s[at + 1..].starts_with(|c: char| c.is_ascii_alphanumeric())
        {
            at += 1;
        } else {
            break;
        }
    }
    let mut end = end?;
    if s[end..].starts_with(':') {
        let d = span(&s[end + 1..], |c| c.is_ascii_digit());
        if d > 0 {
            end += 1 + d;
        }
    }
    Some(end)
}

/// A URL path at the start of `s` (which starts with `/`).
fn path_len(s: &str) -> usize {
    let n = span(s, |c| {
        c.is_ascii_alphanumeric() || "/-._~?=&%+#:;,@!$*".contains(c) || !c.is_ascii()
    });
    s[..n]
        .trim_end_matches(['.', ',', ';', ':', '!', '?'])
        .len()
}

/// A file path: letters, digits, `-`, `.`, `/` (and `_` after the first `.` or `/`),
/// with a `.` or `/` followed by an alphanumeric character.
fn file_len(s: &str) -> Option<usize> {
    let mut end = 0;
    let mut special = false;
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        // an underscore only once the name is a path (`DATA_DIR/x` starts with a word)
        if is_alnum(c) || c == '-' || (c == '_' && special) {
            end = i + c.len_utf8();
        } else if (c == '.' || c == '/') && it.peek().is_some_and(|(_, n)| is_alnum(*n)) {
            special = true;
        } else {
            break;
        }
    }
    // a trailing hyphen is not part of the name
    let t = s[..end].trim_end_matches('-');
    (special && !t.is_empty()).then_some(t.len())
}

/// Numbers: `uint`, `float` (`1.5`), `version` (`1.2.3`), `sfloat` (`1e5`, `1.5e-3`).
fn number(s: &str) -> (TokenType, usize) {
    let d = span(s, |c| c.is_ascii_digit());
    let mut at = d;
    let mut dots = 0;
    while s[at..].starts_with('.') {
        let n = span(&s[at + 1..], |c| c.is_ascii_digit());
        if n == 0 {
            break;
        }
        at += 1 + n;
        dots += 1;
    }
    if dots <= 1 {
        let rest = &s[at..];
        if rest.starts_with(['e', 'E']) {
            let mut e = 1;
            if rest[1..].starts_with(['+', '-']) {
                e += 1;
            }
            let n = span(&rest[e..], |c| c.is_ascii_digit());
            if n > 0 && !rest[e + n..].starts_with(is_alpha) {
                return (TokenType::SFloat, at + e + n);
            }
        }
    }
    match dots {
        0 => (TokenType::UInt, d),
        1 => (TokenType::Float, at),
        _ => (TokenType::Version, at),
    }
}

/// Splits `text` into tokens. See the module docs.
pub fn tokens(text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut at = 0;
    // Whether the token just emitted was a plain word or number (a `-5` after it is an
    // int, as PostgreSQL reads `foo-5` and `12-13`).
    let mut after_simple = false;
    let mut blank_start = 0;
    while at < text.len() {
        let rest = &text[at..];
        let c = rest.chars().next().unwrap_or(' ');
        let mut toks: Vec<(TokenType, usize, usize)> = Vec::new();
        let mut consumed = 0;
        let mut simple = false;
        if c == '<' {
            let body = &rest[1..];
            let b = body.strip_prefix('/').unwrap_or(body);
            if b.starts_with(|c: char| c.is_ascii_alphabetic())
                && let Some(end) = body.find('>')
                && !body[..end].contains('<')
            {
                toks.push((TokenType::Tag, 0, end + 2));
                consumed = end + 2;
            }
        } else if c == '&' {
            let body = &rest[1..];
            let n = if let Some(b) = body.strip_prefix('#') {
                1 + span(b, |c| c.is_ascii_alphanumeric())
            } else {
                span(body, |c| c.is_ascii_alphabetic())
            };
            if n > 0 && body[n..].starts_with(';') {
                toks.push((TokenType::Entity, 0, n + 2));
                consumed = n + 2;
            }
        } else if (c == '-' || c == '+')
            && (at == 0 || after_simple || !text[..at].ends_with(is_alnum))
            && rest[1..].starts_with(|c: char| c.is_ascii_digit())
        {
            let (ty, n) = number(&rest[1..]);
            let ty = if ty == TokenType::UInt {
                TokenType::Int
            } else {
                ty
            };
            if ty != TokenType::Version && !rest[1 + n..].starts_with(is_alpha) {
                toks.push((ty, 0, n + 1));
                consumed = n + 1;
                simple = true;
            }
        } else if c.is_ascii_alphabetic() && {
            let n = span(rest, |c| c.is_ascii_alphabetic());
            rest[n..].starts_with("://")
        } {
            let n = span(rest, |c| c.is_ascii_alphabetic()) + 3;
            toks.push((TokenType::Protocol, 0, n));
            let after = &rest[n..];
            if let Some(h) = host_len(after) {
                let p = if after[h..].starts_with('/') {
                    path_len(&after[h..])
                } else {
                    0
                };
                if p > 0 {
                    toks.push((TokenType::Url, n, n + h + p));
                    toks.push((TokenType::Host, n, n + h));
                    toks.push((TokenType::UrlPath, n + h, n + h + p));
                } else {
                    toks.push((TokenType::Host, n, n + h));
                }
                consumed = n + h + p;
            } else if let Some(f) = file_len(after) {
                toks.push((TokenType::File, n, n + f));
                consumed = n + f;
            } else {
                consumed = n;
            }
        } else if is_alnum(c) || c == '/' {
            let local = span(rest, |c| c.is_ascii_alphanumeric() || "._+-".contains(c));
            if is_alnum(c)
                && local > 0
                && rest[local..].starts_with('@')
                && let Some(h) = host_len(&rest[local + 1..])
                && !rest[..local].ends_with('.')
            {
                toks.push((TokenType::Email, 0, local + 1 + h));
                consumed = local + 1 + h;
            } else if is_alnum(c)
                && let Some(h) = host_len(rest)
            {
                let p = if rest[h..].starts_with('/') {
                    path_len(&rest[h..])
                } else {
                    0
                };
                if p > 1 {
                    toks.push((TokenType::Url, 0, h + p));
                    toks.push((TokenType::Host, 0, h));
                    toks.push((TokenType::UrlPath, h, h + p));
                    consumed = h + p;
                } else {
                    toks.push((TokenType::Host, 0, h));
                    consumed = h;
                }
            } else if c.is_ascii_digit() && number(rest).0 != TokenType::UInt {
                // a float or version stops before letters (`0.1s` is `0.1` and `s`)
                let (ty, n) = number(rest);
                toks.push((ty, 0, n));
                consumed = n;
                simple = true;
            } else if let Some(f) = file_len(rest)
                && (c == '/' || rest[..f].contains('/') || !rest[..f].contains('-'))
                && (c == '/' || rest[..f].contains('/') || {
                    // a word, then a dot and a number or word is a file name (v1.2.3)
                    let w = span(rest, is_alnum);
                    w < f && is_alpha(c)
                })
            {
                toks.push((TokenType::File, 0, f));
                consumed = f;
            } else if is_alnum(c) {
                let (t, n, s) = word(rest);
                toks.extend(t);
                consumed = n;
                simple = s;
            }
        }
        if consumed == 0 {
            at += c.len_utf8();
            after_simple = false;
            continue;
        }
        push_blank(&mut out, text, blank_start, at);
        for (ty, from, to) in toks {
            out.push(Token {
                ty,
                text: &text[at + from..at + to],
            });
        }
        at += consumed;
        blank_start = at;
        after_simple = simple;
    }
    push_blank(&mut out, text, blank_start, text.len());
    out
}

fn push_blank<'a>(out: &mut Vec<Token<'a>>, text: &'a str, from: usize, to: usize) {
    if to > from {
        out.push(Token {
            ty: TokenType::Blank,
            text: &text[from..to],
        });
    }
}

/// A word or hyphenated word at the start of `s`: the tokens (type, start, end), the
/// bytes used, and whether it was a plain word.
fn word(s: &str) -> (Vec<(TokenType, usize, usize)>, usize, bool) {
    let part_type = |p: &str| {
        if p.chars().any(|c| c.is_ascii_digit()) {
            TokenType::HWordNumPart
        } else if p.is_ascii() {
            TokenType::HWordAsciiPart
        } else {
            TokenType::HWordPart
        }
    };
    let mut parts = vec![(0, span(s, is_alnum))];
    let mut end = parts[0].1;
    while s[end..].starts_with('-') {
        let n = span(&s[end + 1..], is_alnum);
        let p = &s[end + 1..end + 1 + n];
        // a part of digits only ends the hyphenated word
        if n == 0 || p.chars().all(|c| c.is_ascii_digit()) {
            break;
        }
        parts.push((end + 1, end + 1 + n));
        end += 1 + n;
    }
    let first = &s[..parts[0].1];
    if parts.len() == 1 {
        if first.chars().all(|c| c.is_ascii_digit()) {
            return (vec![(TokenType::UInt, 0, end)], end, true);
        }
        let ty = if first.chars().any(|c| c.is_ascii_digit()) {
            TokenType::NumWord
        } else if first.is_ascii() {
            TokenType::AsciiWord
        } else {
            TokenType::Word
        };
        return (vec![(ty, 0, end)], end, true);
    }
    if first.chars().all(|c| c.is_ascii_digit()) {
        // `123-foo`: a number, then the rest on its own
        return (vec![(TokenType::UInt, 0, parts[0].1)], parts[0].1, true);
    }
    let types: Vec<TokenType> = parts.iter().map(|(a, b)| part_type(&s[*a..*b])).collect();
    let whole = if types.contains(&TokenType::HWordNumPart) {
        TokenType::NumHWord
    } else if types.contains(&TokenType::HWordPart) {
        TokenType::HWord
    } else {
        TokenType::AsciiHWord
    };
    let mut out = vec![(whole, 0, end)];
    out.extend(parts.iter().zip(types).map(|((a, b), t)| (t, *a, *b)));
    (out, end, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<(String, String)> {
        tokens(s)
            .into_iter()
            .filter(|t| t.ty != TokenType::Blank)
            .map(|t| (t.ty.alias().to_string(), t.text.to_string()))
            .collect()
    }

    fn pair(a: &str, b: &str) -> (String, String) {
        (a.to_string(), b.to_string())
    }

    #[test]
    fn tokens_as_postgres() {
        assert_eq!(
            kinds("Hello, foo-bar 42 -42 3.14 1.2.3 abc123"),
            vec![
                pair("asciiword", "Hello"),
                pair("asciihword", "foo-bar"),
                pair("hword_asciipart", "foo"),
                pair("hword_asciipart", "bar"),
                pair("uint", "42"),
                pair("int", "-42"),
                pair("float", "3.14"),
                pair("version", "1.2.3"),
                pair("numword", "abc123"),
            ]
        );
        assert_eq!(
            kinds("foo@bar.com http://www.x.com/a/b.html /usr/bin"),
            vec![
                pair("email", "foo@bar.com"),
                pair("protocol", "http://"),
                pair("url", "www.x.com/a/b.html"),
                pair("host", "www.x.com"),
                pair("url_path", "/a/b.html"),
                pair("file", "/usr/bin"),
            ]
        );
        assert_eq!(kinds("café"), vec![pair("word", "café")]);
        assert_eq!(kinds("<b>x</b> &amp;")[1], pair("asciiword", "x"));
    }
}
