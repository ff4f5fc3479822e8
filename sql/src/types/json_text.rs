//! Navigation in `json` values, which keep their text as written: `->`, `->>`, `#>` and `#>>`
//! return the part of the text a key or a position selects (for duplicate keys the last one,
//! as PostgreSQL's json functions do), so `'{"a": {"b" :  1}}'::json -> 'a'` is
//! `{"b" :  1}`. The text was validated on input; malformed text just finds nothing.

/// A position in json text.
struct Scanner<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
    fn new(s: &'a str) -> Scanner<'a> {
        Scanner {
            s: s.as_bytes(),
            i: 0,
        }
    }

    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        self.ws();
        (self.peek()? == b).then(|| self.i += 1)
    }

    /// Skips a string starting at the current `"`.
    fn skip_string(&mut self) -> Option<()> {
        self.i += 1;
        loop {
            match self.peek()? {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    return Some(());
                }
                _ => self.i += 1,
            }
        }
    }

    /// Skips one value; returns its span (without surrounding whitespace).
    fn value(&mut self) -> Option<(usize, usize)> {
        self.ws();
        let start = self.i;
        match self.peek()? {
            b'"' => self.skip_string()?,
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.peek()? {
                        b'"' => {
                            self.skip_string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => depth -= 1,
                        _ => {}
                    }
                    self.i += 1;
                    if depth == 0 {
                        break;
                    }
                }
            }
            _ => {
                while self
                    .peek()
                    .is_some_and(|b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace())
                {
                    self.i += 1;
                }
            }
        }
        (self.i > start).then_some((start, self.i))
    }
}

/// The unescaped string of a json string literal.
fn unescape(literal: &str) -> Option<String> {
    serde_json::from_str::<String>(literal).ok()
}

/// An object's pairs in written order, duplicates included: unescaped key, value text.
pub fn pairs(doc: &str) -> Option<Vec<(String, &str)>> {
    let mut sc = Scanner::new(doc);
    sc.eat(b'{')?;
    let mut out = Vec::new();
    sc.ws();
    if sc.peek()? == b'}' {
        return Some(out);
    }
    loop {
        let (ks, ke) = sc.value()?;
        sc.eat(b':')?;
        let (vs, ve) = sc.value()?;
        out.push((unescape(&doc[ks..ke])?, &doc[vs..ve]));
        sc.ws();
        match sc.peek()? {
            b',' => sc.i += 1,
            _ => return Some(out),
        }
    }
}

/// `doc -> key`: the text of the key's value (the last one of duplicates).
pub fn field<'a>(doc: &'a str, key: &str) -> Option<&'a str> {
    pairs(doc)?
        .into_iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// The elements of a json array, as text.
pub fn elements(doc: &str) -> Option<Vec<&str>> {
    let mut sc = Scanner::new(doc);
    sc.eat(b'[')?;
    let mut out = Vec::new();
    sc.ws();
    if sc.peek()? == b']' {
        return Some(out);
    }
    loop {
        let (s, e) = sc.value()?;
        out.push(&doc[s..e]);
        sc.ws();
        match sc.peek()? {
            b',' => sc.i += 1,
            _ => return Some(out),
        }
    }
}

/// `doc -> i`: an array element (negative: from the end).
pub fn element(doc: &str, i: i64) -> Option<&str> {
    let items = elements(doc)?;
    let n = items.len() as i64;
    let i = if i < 0 { n + i } else { i };
    usize::try_from(i).ok().and_then(|i| items.get(i).copied())
}

/// `doc #> path`: keys of objects and positions (as text) of arrays.
pub fn path<'a>(doc: &'a str, steps: &[Option<String>]) -> Option<&'a str> {
    let mut cur = doc.trim();
    for step in steps {
        let step = step.as_deref()?;
        cur = match cur.as_bytes().first()? {
            b'{' => field(cur, step)?,
            b'[' => element(cur, step.trim().parse().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// The text `->>` returns for a value's text: a string unescaped, `null` as SQL NULL.
pub fn as_text(v: &str) -> Option<String> {
    match v.as_bytes().first()? {
        b'"' => unescape(v),
        _ if v == "null" => None,
        _ => Some(v.to_string()),
    }
}

/// `json_typeof`.
pub fn type_name(doc: &str) -> &'static str {
    match doc.trim_start().as_bytes().first() {
        Some(b'{') => "object",
        Some(b'[') => "array",
        Some(b'"') => "string",
        Some(b't' | b'f') => "boolean",
        Some(b'n') => "null",
        _ => "number",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_text_as_written() {
        let doc = r#" {"a": 1, "b" : {"c" :  [1, "x]", 2e1]}, "a": "last\"q"} "#;
        assert_eq!(field(doc, "b"), Some(r#"{"c" :  [1, "x]", 2e1]}"#));
        assert_eq!(field(doc, "a"), Some(r#""last\"q""#));
        assert_eq!(
            as_text(field(doc, "a").unwrap()).as_deref(),
            Some("last\"q")
        );
        assert_eq!(field(doc, "z"), None);
        let p = |s: &[&str]| s.iter().map(|x| Some(x.to_string())).collect::<Vec<_>>();
        assert_eq!(path(doc, &p(&["b", "c", "-1"])), Some("2e1"));
        assert_eq!(path(doc, &p(&["b", "c", "1"])), Some(r#""x]""#));
        assert_eq!(element("[]", 0), None);
        assert_eq!(element("[1, [2, 3] ]", 1), Some("[2, 3]"));
        assert_eq!(as_text("null"), None);
        assert_eq!(field("[1]", "a"), None);
        assert_eq!(type_name(" [1]"), "array");
    }
}
