//! PostgreSQL regular expressions (ARE) on the `regex` crate: the pattern is translated,
//! flags are mapped, and compiled expressions are cached per thread.
//!
//! Translation: PostgreSQL's default mode lets `.` and bracket expressions match a newline
//! (`(?s)`); flag `n` is newline-sensitive (`(?m)`, `.` stops at newlines); `i`/`c` case,
//! `x` expanded, `q` literal, `g` global (for `regexp_replace`). Escapes `\m` / `\M` (word
//! start / end), `\y` / `\Y` (word boundary or not), `\Z` (end), and the bracket forms
//! `[[:<:]]` / `[[:>:]]` become the crate's `\b{start}` / `\b{end}`; inside brackets a `[`
//! that does not start a class name and the crate's set operators are escaped. What the
//! crate cannot do — back-references (`\1` in a pattern), lookahead and lookbehind — is an
//! error (2201B), as are malformed patterns. Replacement strings use PostgreSQL's `\1`..`\9`
//! and `\&`, expanded here.
//!
//! SIMILAR TO is translated as PostgreSQL's `similar_to_escape` does: the whole string must
//! match, `%` is `.*`, `_` is `.`, parentheses group without capturing, and `.`, `^`, `$`
//! are literal.

use crate::{Error, Result, Value};
use regex::{Captures, Regex};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// How many compiled expressions one thread keeps.
const CACHE_SIZE: usize = 256;

thread_local! {
    /// Compiled expressions by their translated text.
    static CACHE: RefCell<HashMap<String, Rc<Regex>>> = RefCell::new(HashMap::new());
}

fn invalid(msg: impl std::fmt::Display) -> Error {
    Error::InvalidRegularExpression(format!("invalid regular expression: {msg}"))
}

/// Translates an ARE `pattern` under `flags` (`g` is the caller's) and compiles it.
fn compile(pattern: &str, flags: &str) -> Result<Rc<Regex>> {
    let mut newline_sensitive = false;
    let mut case_insensitive = false;
    let mut expanded = false;
    let mut literal = false;
    for f in flags.chars() {
        match f {
            'i' => case_insensitive = true,
            'c' => case_insensitive = false,
            'n' | 'm' => newline_sensitive = true,
            's' => newline_sensitive = false,
            'x' => expanded = true,
            'q' => literal = true,
            'g' => {}
            other => {
                return Err(Error::InvalidParameterValue(format!(
                    "invalid regular expression option: \"{other}\""
                )));
            }
        }
    }
    let body = if literal {
        regex::escape(pattern)
    } else {
        translate(pattern)?
    };
    let mut prefix = String::from("(?");
    prefix.push(if newline_sensitive { 'm' } else { 's' });
    if case_insensitive {
        prefix.push('i');
    }
    if expanded {
        prefix.push('x');
    }
    prefix.push(')');
    cached(prefix + &body)
}

/// Compiles a translated expression, through the thread's cache.
fn cached(re: String) -> Result<Rc<Regex>> {
    if let Some(r) = CACHE.with(|c| c.borrow().get(&re).cloned()) {
        return Ok(r);
    }
    let compiled = Rc::new(Regex::new(&re).map_err(|e| invalid(short(&e)))?);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_SIZE {
            c.clear();
        }
        c.insert(re, compiled.clone());
    });
    Ok(compiled)
}

/// The first line of a regex error (the crate's messages draw the pattern below it).
fn short(e: &regex::Error) -> String {
    let s = e.to_string();
    s.lines()
        .rev()
        .find(|l| l.starts_with("error:"))
        .map(|l| l.trim_start_matches("error: ").to_string())
        .unwrap_or(s)
}

/// Translates ARE syntax to the crate's (see the module docs).
fn translate(p: &str) -> Result<String> {
    let chars: Vec<char> = p.chars().collect();
    let mut out = String::with_capacity(p.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let Some(&n) = chars.get(i + 1) else {
                    return Err(invalid("invalid escape \\ sequence"));
                };
                i += 2;
                match n {
                    'm' | '<' => out.push_str(r"\b{start}"),
                    'M' | '>' => out.push_str(r"\b{end}"),
                    'y' => out.push_str(r"\b"),
                    'Y' => out.push_str(r"\B"),
                    'Z' => out.push_str(r"\z"),
                    '1'..='9' => {
                        return Err(Error::unsupported(
                            "back-references in regular expressions are not supported",
                        ));
                    }
                    _ => {
                        out.push('\\');
                        out.push(n);
                    }
                }
                continue;
            }
            '[' => {
                let rest: String = chars[i..].iter().take(7).collect();
                if rest == "[[:<:]]" {
                    out.push_str(r"\b{start}");
                    i += 7;
                    continue;
                }
                if rest == "[[:>:]]" {
                    out.push_str(r"\b{end}");
                    i += 7;
                    continue;
                }
                i = bracket(&chars, i, &mut out)?;
                continue;
            }
            '(' if chars.get(i + 1) == Some(&'?') => {
                let next = chars.get(i + 2).copied();
                if matches!(next, Some('=' | '!' | '<')) {
                    return Err(Error::unsupported(
                        "lookahead and lookbehind in regular expressions are not supported",
                    ));
                }
                out.push(c);
            }
            _ => out.push(c),
        }
        i += 1;
    }
    Ok(out)
}

/// Copies a bracket expression starting at `chars[start] == '['`; returns the index after
/// its closing `]`.
fn bracket(chars: &[char], start: usize, out: &mut String) -> Result<usize> {
    let mut i = start + 1;
    out.push('[');
    if chars.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    if chars.get(i) == Some(&']') {
        out.push_str(r"\]");
        i += 1;
    }
    while i < chars.len() {
        let c = chars[i];
        match c {
            ']' => {
                out.push(']');
                return Ok(i + 1);
            }
            '[' if matches!(chars.get(i + 1), Some(':' | '=' | '.')) => {
                // A class name `[:alpha:]` (equivalence classes and collating elements are
                // single characters in the C locale).
                let kind = chars[i + 1];
                let close: String = [kind, ']'].iter().collect();
                let rest: String = chars[i..].iter().collect();
                let end = rest[2..]
                    .find(&close)
                    .ok_or_else(|| invalid("brackets [] not balanced"))?;
                let name: String = rest[2..2 + end].to_string();
                if kind == ':' {
                    out.push_str(&format!("[:{name}:]"));
                } else {
                    out.push_str(&regex::escape(&name));
                }
                i += 2 + name.chars().count() + 2;
                continue;
            }
            '[' | '&' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '-' if chars.get(i + 1) == Some(&'-') => out.push_str(r"\-"),
            '\\' => {
                out.push('\\');
                if let Some(&n) = chars.get(i + 1) {
                    out.push(n);
                    i += 1;
                }
            }
            _ => out.push(c),
        }
        i += 1;
    }
    Err(invalid("brackets [] not balanced"))
}

/// `s ~ pattern` (with flags).
pub fn is_match(s: &str, pattern: &str, flags: &str) -> Result<Value> {
    Ok(Value::Bool(compile(pattern, flags)?.is_match(s)))
}

/// `regexp_replace(s, pattern, replacement, flags)`: the first match, or all with `g`.
pub fn replace(s: &str, pattern: &str, replacement: &str, flags: &str) -> Result<Value> {
    let re = compile(pattern, flags)?;
    let expand = |caps: &Captures| expand(replacement, caps);
    let out = if flags.contains('g') {
        re.replace_all(s, expand)
    } else {
        re.replace(s, expand)
    };
    Ok(Value::Text(out.into_owned()))
}

/// `regexp_replace(s, pattern, replacement, start [, n [, flags]])`: replaces the `n`th
/// match at or after character `start` (every one when `n` is 0).
pub fn replace_at(
    s: &str,
    pattern: &str,
    replacement: &str,
    start: i64,
    n: i64,
    flags: &str,
) -> Result<Value> {
    for (name, value, min) in [("start", start, 1), ("n", n, 0)] {
        if value < min {
            return Err(Error::InvalidParameterValue(format!(
                "invalid value for parameter \"{name}\": {value}"
            )));
        }
    }
    let re = compile(pattern, flags)?;
    let from = s
        .char_indices()
        .nth((start - 1) as usize)
        .map_or(s.len(), |(b, _)| b);
    let mut out = s[..from].to_string();
    let mut last = from;
    for (k, caps) in re.captures_iter(&s[from..]).enumerate() {
        if n != 0 && k as i64 + 1 != n {
            continue;
        }
        let Some(m) = caps.get(0) else { continue };
        out.push_str(&s[last..from + m.start()]);
        out.push_str(&expand(replacement, &caps));
        last = from + m.end();
        if n != 0 {
            break;
        }
    }
    out.push_str(&s[last..]);
    Ok(Value::Text(out))
}

/// PostgreSQL's replacement string: `\1`..`\9` a group, `\&` the match, `\\` a backslash.
fn expand(replacement: &str, caps: &Captures) -> String {
    let mut out = String::new();
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some(d @ '1'..='9') => {
                chars.next();
                let n = d.to_digit(10).unwrap_or(0) as usize;
                out.push_str(caps.get(n).map_or("", |m| m.as_str()));
            }
            Some('&') => {
                chars.next();
                out.push_str(caps.get(0).map_or("", |m| m.as_str()));
            }
            Some('\\') => {
                chars.next();
                out.push('\\');
            }
            _ => out.push('\\'),
        }
    }
    out
}

/// `substring(s from pattern)`: the first parenthesized group of the first match if the
/// pattern has groups, else the match; NULL without a match.
pub fn substring(s: &str, pattern: &str) -> Result<Value> {
    let re = compile(pattern, "")?;
    Ok(match re.captures(s) {
        None => Value::Null,
        Some(c) => {
            let m = if re.captures_len() > 1 {
                c.get(1)
            } else {
                c.get(0)
            };
            m.map_or(Value::Null, |m| Value::Text(m.as_str().to_string()))
        }
    })
}

/// Where to look for `regexp_instr` / `regexp_substr`: from character `start` (1-based),
/// the `n`th match, its parenthesized group `subexpr` (0: the whole match).
pub struct NthMatch<'a> {
    pub start: i64,
    pub n: i64,
    pub flags: &'a str,
    pub subexpr: i64,
    /// The function's name, for the `g` flag's error.
    pub function: &'a str,
}

/// The character range (0-based, end exclusive) and text of the match `at` describes in
/// `s`, if there is one; PostgreSQL's parameter errors (22023) for bad positions.
fn nth_match(s: &str, pattern: &str, at: &NthMatch) -> Result<Option<(usize, usize, String)>> {
    for (name, value, min) in [
        ("start", at.start, 1),
        ("n", at.n, 1),
        ("subexpr", at.subexpr, 0),
    ] {
        if value < min {
            return Err(Error::InvalidParameterValue(format!(
                "invalid value for parameter \"{name}\": {value}"
            )));
        }
    }
    if at.flags.contains('g') {
        return Err(Error::InvalidParameterValue(format!(
            "{}() does not support the \"global\" option",
            at.function
        )));
    }
    let re = compile(pattern, at.flags)?;
    let from = s
        .char_indices()
        .nth((at.start - 1) as usize)
        .map_or(s.len(), |(b, _)| b);
    let Some(c) = re.captures_iter(&s[from..]).nth((at.n - 1) as usize) else {
        return Ok(None);
    };
    let Some(m) = c.get(at.subexpr as usize) else {
        return Ok(None);
    };
    let chars_to = |byte: usize| s[..from + byte].chars().count();
    Ok(Some((
        chars_to(m.start()),
        chars_to(m.end()),
        m.as_str().to_string(),
    )))
}

/// `regexp_substr(s, pattern [, start [, n [, flags [, subexpr]]]])`: the match's text,
/// NULL without one.
pub fn substr(s: &str, pattern: &str, at: &NthMatch) -> Result<Value> {
    Ok(nth_match(s, pattern, at)?.map_or(Value::Null, |(_, _, t)| Value::Text(t)))
}

/// `regexp_instr(s, pattern [, start [, n [, endoption [, flags [, subexpr]]]]])`: the
/// 1-based character position where the match starts (`end`: just past its end), 0
/// without one.
pub fn instr(s: &str, pattern: &str, at: &NthMatch, end: i64) -> Result<Value> {
    if !(0..=1).contains(&end) {
        return Err(Error::InvalidParameterValue(format!(
            "invalid value for parameter \"endoption\": {end}"
        )));
    }
    Ok(Value::Int(match nth_match(s, pattern, at)? {
        None => 0,
        Some((b, _, _)) if end == 0 => b as i64 + 1,
        Some((_, e, _)) => e as i64 + 1,
    }))
}

fn text_array(items: Vec<Value>) -> Value {
    Value::Array(Box::new(crate::types::Array::from_items(items)))
}

/// `regexp_match(s, pattern, flags)`: the first match's parenthesized groups (the whole
/// match when there are none) as text[] (a group that did not take part is NULL); NULL
/// without a match. `g` is refused, as in PostgreSQL.
pub fn match_groups(s: &str, pattern: &str, flags: &str) -> Result<Value> {
    if flags.contains('g') {
        return Err(Error::InvalidParameterValue(
            "regexp_match() does not support the \"global\" option".into(),
        ));
    }
    let re = compile(pattern, flags)?;
    let Some(caps) = re.captures(s) else {
        return Ok(Value::Null);
    };
    Ok(groups_array(&re, &caps))
}

/// A match as `regexp_match` gives it: a text[] of its capture groups (NULL for a group
/// that did not take part), or of the whole match when the pattern has no groups.
fn groups_array(re: &Regex, caps: &Captures) -> Value {
    let items = if re.captures_len() > 1 {
        (1..re.captures_len())
            .map(|i| {
                caps.get(i)
                    .map_or(Value::Null, |m| Value::Text(m.as_str().to_string()))
            })
            .collect()
    } else {
        vec![Value::Text(caps[0].to_string())]
    };
    text_array(items)
}

/// `regexp_matches(s, pattern [, flags])`: one text[] of groups per match — every match
/// with `g`, else the first — as `regexp_match` builds it.
pub fn all_matches(s: &str, pattern: &str, flags: &str) -> Result<Vec<Value>> {
    let global = flags.contains('g');
    let re = compile(pattern, &flags.replace('g', ""))?;
    let groups = |caps: &Captures| groups_array(&re, caps);
    Ok(if global {
        re.captures_iter(s).map(|c| groups(&c)).collect()
    } else {
        re.captures(s).map(|c| groups(&c)).into_iter().collect()
    })
}

/// `regexp_split_to_table(s, pattern [, flags])`: `regexp_split_to_array`'s items as rows.
pub fn split_rows(s: &str, pattern: &str, flags: &str) -> Result<Vec<Value>> {
    if flags.contains('g') {
        return Err(Error::InvalidParameterValue(
            "regexp_split_to_table() does not support the \"global\" option".into(),
        ));
    }
    Ok(match split(s, pattern, flags)? {
        Value::Array(a) => a.items,
        _ => Vec::new(),
    })
}

/// `regexp_split_to_array(s, pattern, flags)`: the text between matches (empty matches
/// split between characters, as in PostgreSQL).
pub fn split(s: &str, pattern: &str, flags: &str) -> Result<Value> {
    if flags.contains('g') {
        return Err(Error::InvalidParameterValue(
            "regexp_split_to_array() does not support the \"global\" option".into(),
        ));
    }
    let re = compile(pattern, flags)?;
    let mut parts = Vec::new();
    let mut start = 0;
    for m in re.find_iter(s) {
        // An empty match at the start or end of the string, or right after the previous
        // match, does not split.
        if m.start() == m.end() && (m.start() == 0 || m.start() == s.len() || m.start() == start) {
            continue;
        }
        parts.push(Value::Text(s[start..m.start()].to_string()));
        start = m.end();
    }
    parts.push(Value::Text(s[start..].to_string()));
    Ok(text_array(parts))
}

/// `regexp_count(s, pattern, start, flags)`: non-overlapping matches from character `start`.
pub fn count(s: &str, pattern: &str, start: i64, flags: &str) -> Result<Value> {
    if start <= 0 {
        return Err(Error::InvalidParameterValue(format!(
            "invalid value for parameter \"start\": {start}"
        )));
    }
    let re = compile(pattern, flags)?;
    let from = s
        .char_indices()
        .nth((start - 1) as usize)
        .map_or(s.len(), |(b, _)| b);
    Ok(Value::Int(re.find_iter(&s[from..]).count() as i64))
}

/// Translates a SIMILAR TO pattern to an ARE body (without anchors).
fn similar_body(pattern: &str, escape: Option<char>) -> Result<String> {
    let mut out = String::new();
    let mut chars = pattern.chars().peekable();
    let mut in_bracket = false;
    while let Some(c) = chars.next() {
        if in_bracket {
            out.push(c);
            if c == ']' {
                in_bracket = false;
            }
            continue;
        }
        if Some(c) == escape {
            let n = chars
                .next()
                .ok_or_else(|| Error::InvalidEscapeSequence("invalid escape string".into()))?;
            out.push_str(&regex::escape(&n.to_string()));
            continue;
        }
        match c {
            '%' => out.push_str(".*"),
            '_' => out.push('.'),
            '(' => out.push_str("(?:"),
            '[' => {
                in_bracket = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str(r"\]");
                    chars.next();
                }
            }
            '.' | '^' | '$' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    Ok(out)
}

fn similar_escape(escape: &str) -> Result<Option<char>> {
    crate::expr::like::escape_char(escape)
}

/// `s SIMILAR TO pattern ESCAPE escape`.
pub fn similar(s: &str, pattern: &str, escape: &str) -> Result<Value> {
    let body = similar_body(pattern, similar_escape(escape)?)?;
    let re = compile_raw(&format!("^(?:{body})$"))?;
    Ok(Value::Bool(re.is_match(s)))
}

/// `substring(s similar pattern escape escape)`: the part between the two `escape"`
/// separators (the whole match without separators); NULL if the string does not match.
pub fn substring_similar(s: &str, pattern: &str, escape: &str) -> Result<Value> {
    let esc = similar_escape(escape)?;
    let parts: Vec<&str> = match esc {
        Some(e) => pattern.split(&format!("{e}\"")).collect(),
        None => vec![pattern],
    };
    let re = match parts.as_slice() {
        [whole] => format!("^({})$", similar_body(whole, esc)?),
        [a, b, c] => format!(
            "^(?:{}){{1,1}}?({})(?:{})$",
            similar_body(a, esc)?,
            similar_body(b, esc)?,
            similar_body(c, esc)?
        ),
        _ => {
            return Err(Error::InvalidEscapeSequence(
                "SQL regular expression may not contain more than two escape-double-quote separators"
                    .into(),
            ));
        }
    };
    let re = compile_raw(&re)?;
    Ok(match re.captures(s).and_then(|c| c.get(1)) {
        Some(m) => Value::Text(m.as_str().to_string()),
        None => Value::Null,
    })
}

/// Compiles an already translated expression in PostgreSQL's default mode.
fn compile_raw(re: &str) -> Result<Rc<Regex>> {
    cached(format!("(?s){re}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str, p: &str) -> bool {
        is_match(s, p, "").unwrap() == Value::Bool(true)
    }

    #[test]
    fn are_translation() {
        assert!(m("hello world", r"\mworld"));
        assert!(!m("helloworld", r"\mworld"));
        assert!(m("a\nb", "a.b"));
        assert!(!is_match("a\nb", "a.b", "n").unwrap().eq(&Value::Bool(true)));
        assert!(m("x]y", "[]]"));
        assert!(m("a[b", "a[[]b"));
        assert!(m("abc", "^[[:alpha:]]+$"));
        assert!(m("tab", "^(tab|t1)$"));
        assert!(is_match("ABC", "abc", "i").unwrap() == Value::Bool(true));
        assert_eq!(is_match("a", "(a", "").unwrap_err().code(), "2201B");
        assert_eq!(is_match("a", "a", "z").unwrap_err().code(), "22023");
    }

    #[test]
    fn replace_and_substring() {
        let r = |s, p, t, f| replace(s, p, t, f).unwrap();
        assert_eq!(r("foobar", "o+", "0", ""), Value::Text("f0bar".into()));
        assert_eq!(r("a1b2", "[0-9]", "#", "g"), Value::Text("a#b#".into()));
        assert_eq!(
            r("john smith", r"(\w+) (\w+)", r"\2, \1 [\&]", ""),
            Value::Text("smith, john [john smith]".into())
        );
        assert_eq!(
            substring("foobar", "o.b").unwrap(),
            Value::Text("oob".into())
        );
        assert_eq!(
            substring("foobar", "o(.)b").unwrap(),
            Value::Text("o".into())
        );
        assert_eq!(substring("foobar", "xyz").unwrap(), Value::Null);
    }

    #[test]
    fn similar_to() {
        let s = |t, p| similar(t, p, "\\").unwrap() == Value::Bool(true);
        assert!(s("abc", "abc"));
        assert!(s("abc", "a%"));
        assert!(!s("abc", "_b"));
        assert!(s("abc", "%(b|d)%"));
        assert!(!s("abc", "(b|c)%"));
        assert!(s("a.c", "a.c"));
        assert!(!s("abc", "a.c"));
        assert_eq!(
            substring_similar("foobar", "%#\"o_b#\"%", "#").unwrap(),
            Value::Text("oob".into())
        );
    }
}
