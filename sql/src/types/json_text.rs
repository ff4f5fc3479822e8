//! Navigation in `json` values, which keep their text as written: `->`, `->>`, `#>` and `#>>`
//! return the part of the text a key or a position selects (for duplicate keys the last one,
//! as PostgreSQL's json functions do), so `'{"a": {"b" :  1}}'::json -> 'a'` is
//! `{"b" :  1}`. The text was validated on input; malformed text just finds nothing. The
//! text is walked with the same lexer that words input errors ([`super::json_lexer`]).

use super::json_lexer::{Lexer, Tok};

/// The text of the value after the lexer's position (moved past it), without the
/// whitespace before it.
fn value<'a>(lex: &mut Lexer<'_>, doc: &'a str) -> Option<&'a str> {
    let from = lex.end;
    lex.value().ok()?;
    Some(
        doc.get(from..lex.end)?
            .trim_start_matches([' ', '\t', '\n', '\r']),
    )
}

/// After a value: `true` past a comma (more follow), `false` at the container's end.
fn more(lex: &mut Lexer<'_>) -> Option<bool> {
    match lex.next().ok()? {
        Tok::Comma => Some(true),
        _ => Some(false),
    }
}

/// The unescaped string of a json string literal.
fn unescape(literal: &str) -> Option<String> {
    serde_json::from_str::<String>(literal).ok()
}

/// An object's pairs in written order, duplicates included: unescaped key, value text.
pub fn pairs(doc: &str) -> Option<Vec<(String, &str)>> {
    let mut lex = Lexer::new(doc);
    (lex.next().ok()? == Tok::ObjectStart).then_some(())?;
    let mut out = Vec::new();
    if lex.peek().ok()? == Tok::ObjectEnd {
        return Some(out);
    }
    loop {
        (lex.next().ok()? == Tok::String).then_some(())?;
        let key = unescape(std::str::from_utf8(lex.token()).ok()?)?;
        (lex.next().ok()? == Tok::Colon).then_some(())?;
        out.push((key, value(&mut lex, doc)?));
        if !more(&mut lex)? {
            return Some(out);
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
    let mut lex = Lexer::new(doc);
    (lex.next().ok()? == Tok::ArrayStart).then_some(())?;
    let mut out = Vec::new();
    if lex.peek().ok()? == Tok::ArrayEnd {
        return Some(out);
    }
    loop {
        out.push(value(&mut lex, doc)?);
        if !more(&mut lex)? {
            return Some(out);
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

    #[test]
    fn walks_empty_containers_escapes_and_line_breaks() {
        assert_eq!(elements("[ \n ]"), Some(vec![]));
        assert_eq!(pairs("{\r\n}"), Some(vec![]));
        assert_eq!(
            pairs("{\"a\\u0062\" :\n [ {} , [] ],\"c\":true}"),
            Some(vec![
                ("ab".to_string(), "[ {} , [] ]"),
                ("c".to_string(), "true")
            ])
        );
        assert_eq!(
            elements("[-1.5e3,\"é\", null]"),
            Some(vec!["-1.5e3", "\"é\"", "null"])
        );
        assert_eq!(pairs("{\"a\" 1}"), None, "malformed text finds nothing");
        assert_eq!(elements("[1,"), None);
    }
}
