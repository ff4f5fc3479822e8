//! PostgreSQL's JSON lexer and recursive-descent parser (`src/common/jsonapi.c`) over text,
//! the one walker of JSON text: [`super::json_errors`] runs it on refused input to find and word
//! the token PostgreSQL stops at, [`super::json_text`] on validated `json` text to find the
//! parts (keys, values, elements) as written. Tokens are byte spans of the text, so a caller
//! takes a value's text as `&text[from..lexer.end]`.

/// A token of PostgreSQL's JSON lexer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    ObjectStart,
    ObjectEnd,
    ArrayStart,
    ArrayEnd,
    Comma,
    Colon,
    Scalar,
    String,
    End,
}

/// Why the walk stopped: PostgreSQL's DETAIL for it.
pub type Detail = String;

/// A position in JSON text: the current token and its line.
pub struct Lexer<'a> {
    pub s: &'a [u8],
    /// The current token's bounds.
    pub start: usize,
    pub end: usize,
    pub tok: Tok,
    pub line: usize,
    pub line_start: usize,
}

fn alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

impl<'a> Lexer<'a> {
    /// A lexer before the first token of `s`.
    pub fn new(s: &'a str) -> Lexer<'a> {
        Lexer {
            s: s.as_bytes(),
            start: 0,
            end: 0,
            tok: Tok::End,
            line: 1,
            line_start: 0,
        }
    }

    /// The next token, without moving past it (an invalid one is moved to, where it is
    /// reported).
    pub fn peek(&mut self) -> Result<Tok, Detail> {
        let save = (self.start, self.end, self.tok, self.line, self.line_start);
        let tok = self.next()?;
        (self.start, self.end, self.tok, self.line, self.line_start) = save;
        Ok(tok)
    }

    /// The current token's text.
    pub fn token(&self) -> &'a [u8] {
        &self.s[self.start..self.end]
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.s[self.start..self.end]).into_owned()
    }

    fn invalid(&self) -> Detail {
        format!("Token \"{}\" is invalid.", self.text())
    }

    /// Reads the next token.
    pub fn next(&mut self) -> Result<Tok, Detail> {
        let s = self.s;
        let mut p = self.end;
        while p < s.len() && matches!(s[p], b' ' | b'\t' | b'\n' | b'\r') {
            if s[p] == b'\n' {
                self.line += 1;
                self.line_start = p + 1;
            }
            p += 1;
        }
        self.start = p;
        if p >= s.len() {
            self.end = p;
            self.tok = Tok::End;
            return Ok(Tok::End);
        }
        let single = |t: Tok, me: &mut Self| {
            me.end = p + 1;
            me.tok = t;
            Ok(t)
        };
        match s[p] {
            b'{' => single(Tok::ObjectStart, self),
            b'}' => single(Tok::ObjectEnd, self),
            b'[' => single(Tok::ArrayStart, self),
            b']' => single(Tok::ArrayEnd, self),
            b',' => single(Tok::Comma, self),
            b':' => single(Tok::Colon, self),
            b'"' => self.string(),
            b'-' | b'0'..=b'9' => self.number(),
            _ => {
                let mut q = p;
                while q < s.len() && alnum(s[q]) {
                    q += 1;
                }
                if q == p {
                    q = p + utf8_len(s[p]);
                }
                self.end = q.min(s.len());
                match &s[p..self.end] {
                    b"true" | b"false" | b"null" => {
                        self.tok = Tok::Scalar;
                        Ok(Tok::Scalar)
                    }
                    _ => Err(self.invalid()),
                }
            }
        }
    }

    fn string(&mut self) -> Result<Tok, Detail> {
        let s = self.s;
        let mut p = self.start + 1;
        loop {
            if p >= s.len() {
                self.end = s.len();
                return Err(self.invalid());
            }
            match s[p] {
                b'"' => {
                    self.end = p + 1;
                    self.tok = Tok::String;
                    return Ok(Tok::String);
                }
                c if c < 0x20 => {
                    self.end = p + 1;
                    return Err(format!("Character with value 0x{c:02x} must be escaped."));
                }
                b'\\' => {
                    p += 1;
                    let Some(&e) = s.get(p) else {
                        self.end = s.len();
                        return Err(self.invalid());
                    };
                    if e == b'u' {
                        let hex = s.get(p + 1..p + 5);
                        if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                            let mut q = p + 1;
                            while q < s.len() && q < p + 5 && s[q].is_ascii_hexdigit() {
                                q += 1;
                            }
                            self.end = (q + 1).min(s.len());
                            return Err(
                                "\"\\u\" must be followed by four hexadecimal digits.".into()
                            );
                        }
                        p += 5;
                        continue;
                    }
                    if !b"\"\\/bfnrt".contains(&e) {
                        let n = utf8_len(e);
                        self.end = (p + n).min(s.len());
                        return Err(format!(
                            "Escape sequence \"\\{}\" is invalid.",
                            String::from_utf8_lossy(&s[p..self.end])
                        ));
                    }
                    p += 1;
                }
                _ => p += 1,
            }
        }
    }

    fn number(&mut self) -> Result<Tok, Detail> {
        let s = self.s;
        let mut p = self.start;
        let digits = |p: &mut usize| {
            let from = *p;
            while *p < s.len() && s[*p].is_ascii_digit() {
                *p += 1;
            }
            *p > from
        };
        let mut ok = true;
        if s[p] == b'-' {
            p += 1;
        }
        if p < s.len() && s[p] == b'0' {
            p += 1;
        } else if !digits(&mut p) {
            ok = false;
        }
        if ok && p < s.len() && s[p] == b'.' {
            p += 1;
            ok = digits(&mut p);
        }
        if ok && p < s.len() && matches!(s[p], b'e' | b'E') {
            p += 1;
            if p < s.len() && matches!(s[p], b'+' | b'-') {
                p += 1;
            }
            ok = digits(&mut p);
        }
        let mut q = p;
        while q < s.len() && alnum(s[q]) {
            q += 1;
        }
        self.end = q;
        if !ok || q > p {
            return Err(self.invalid());
        }
        self.tok = Tok::Scalar;
        Ok(Tok::Scalar)
    }

    /// The DETAIL for finding the current token where `expected` was wanted.
    pub fn unexpected(&self, expected: &str) -> Detail {
        if self.tok == Tok::End {
            return "The input string ended unexpectedly.".into();
        }
        format!("{expected}, but found \"{}\".", self.text())
    }

    pub fn value(&mut self) -> Result<(), Detail> {
        match self.next()? {
            Tok::Scalar | Tok::String => Ok(()),
            Tok::ObjectStart => self.object(),
            Tok::ArrayStart => self.array(),
            _ => Err(self.unexpected("Expected JSON value")),
        }
    }

    fn object(&mut self) -> Result<(), Detail> {
        match self.next()? {
            Tok::ObjectEnd => return Ok(()),
            Tok::String => {}
            _ => return Err(self.unexpected("Expected string or \"}\"")),
        }
        loop {
            if self.next()? != Tok::Colon {
                return Err(self.unexpected("Expected \":\""));
            }
            self.value()?;
            match self.next()? {
                Tok::ObjectEnd => return Ok(()),
                Tok::Comma => {
                    if self.next()? != Tok::String {
                        return Err(self.unexpected("Expected string"));
                    }
                }
                _ => return Err(self.unexpected("Expected \",\" or \"}\"")),
            }
        }
    }

    fn array(&mut self) -> Result<(), Detail> {
        // An empty array, or the first element.
        if self.peek()? == Tok::ArrayEnd {
            self.next()?;
            return Ok(());
        }
        loop {
            self.value()?;
            match self.next()? {
                Tok::ArrayEnd => return Ok(()),
                Tok::Comma => {}
                _ => return Err(self.unexpected("Expected \",\" or \"]\"")),
            }
        }
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xf0..=0xff => 4,
        0xe0..=0xef => 3,
        0xc0..=0xdf => 2,
        _ => 1,
    }
}
