//! Arrays: [`Array`] holds the dimensions (length and lower bound of each; none for an empty
//! array) and the items in row-major order, each a [`Value`] of the element type or NULL.
//!
//! * Text input (`'{1,2}'`, `'{{1,2},{3,4}}'`, `'{"a b",NULL}'`, `'[0:1]={1,2}'`) parses each
//!   item with the element type's input function; malformed text is 22P02
//!   "malformed array literal".
//! * Text output quotes an item when it is empty, is `NULL` in any case, or contains
//!   whitespace or one of `{}",\`, escaping `"` and `\`; non-default lower bounds print as
//!   `[2:3]={...}`.
//! * Order (btree `array_ops`): item by item (NULL above every value), then fewer items
//!   first, then fewer dimensions, then each dimension's length and lower bound.

use std::cmp::Ordering;

use super::{DataType, Value, cast};
use crate::{Error, Result};

/// One dimension: its length and lower bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Dim {
    pub len: i32,
    pub lower: i32,
}

/// PostgreSQL's limit on dimensions (MAXDIM).
pub const MAX_DIMS: usize = 6;

/// An array value. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Array {
    pub dims: Vec<Dim>,
    pub items: Vec<Value>,
}

fn malformed(s: &str, detail: &str) -> Error {
    Error::MalformedLiteral {
        message: format!("malformed array literal: \"{s}\""),
        detail: detail.to_string(),
    }
}

impl Array {
    pub fn empty() -> Array {
        Array {
            dims: Vec::new(),
            items: Vec::new(),
        }
    }

    /// A one-dimensional array with lower bound 1 (empty when `items` is).
    pub fn from_items(items: Vec<Value>) -> Array {
        if items.is_empty() {
            return Array::empty();
        }
        Array {
            dims: vec![Dim {
                len: items.len() as i32,
                lower: 1,
            }],
            items,
        }
    }

    pub fn ndims(&self) -> usize {
        self.dims.len()
    }

    /// Whether `dims` describes exactly `items.len()` items (a decoder's sanity check).
    pub fn is_consistent(&self) -> bool {
        let n = self.dims.iter().try_fold(1i64, |acc, d| {
            (d.len >= 0).then(|| acc.saturating_mul(i64::from(d.len)))
        });
        match n {
            Some(n) if !self.dims.is_empty() => n == self.items.len() as i64 && n > 0,
            _ => self.dims.is_empty() && self.items.is_empty(),
        }
    }

    /// Whether any item is NULL.
    pub fn has_nulls(&self) -> bool {
        self.items.iter().any(Value::is_null)
    }

    /// The total order described in the module docs.
    pub fn total_cmp(&self, other: &Array) -> Ordering {
        for (a, b) in self.items.iter().zip(&other.items) {
            match a.cmp(b) {
                Ordering::Equal => continue,
                o => return o,
            }
        }
        self.items
            .len()
            .cmp(&other.items.len())
            .then(self.dims.len().cmp(&other.dims.len()))
            .then_with(|| {
                self.dims
                    .iter()
                    .zip(&other.dims)
                    .map(|(a, b)| a.len.cmp(&b.len).then(a.lower.cmp(&b.lower)))
                    .find(|o| o.is_ne())
                    .unwrap_or(Ordering::Equal)
            })
    }

    /// Parses array text whose items have type `elem`.
    pub fn parse(s: &str, elem: DataType) -> Result<Array> {
        let mut p = Parser {
            src: s,
            chars: s.chars().collect(),
            pos: 0,
            leaf_depth: None,
        };
        p.skip_ws();
        let mut declared: Option<Vec<Dim>> = None;
        if p.peek() == Some('[') {
            let mut dims = Vec::new();
            while p.peek() == Some('[') {
                p.pos += 1;
                let lo = p.int()?;
                let (lower, upper) = if p.peek() == Some(':') {
                    p.pos += 1;
                    (lo, p.int()?)
                } else {
                    (1, lo)
                };
                if p.peek() != Some(']') {
                    return Err(malformed(s, "missing \"]\" in array dimensions"));
                }
                p.pos += 1;
                if upper < lower {
                    return Err(Error::ArraySubscriptError(
                        "upper bound cannot be less than lower bound".into(),
                    ));
                }
                let len = i64::from(upper) - i64::from(lower) + 1;
                if len > 134_217_727 {
                    return Err(Error::ProgramLimitExceeded(
                        "array size exceeds the maximum allowed (134217727)".into(),
                    ));
                }
                if i64::from(lower) + len > i64::from(i32::MAX) {
                    return Err(Error::ProgramLimitExceeded(format!(
                        "array lower bound is too large: {lower}"
                    )));
                }
                dims.push(Dim {
                    len: len as i32,
                    lower,
                });
            }
            p.skip_ws();
            if p.peek() != Some('=') {
                return Err(malformed(s, "missing assignment operator"));
            }
            p.pos += 1;
            p.skip_ws();
            declared = Some(dims);
        }
        if p.peek() != Some('{') {
            return Err(malformed(
                s,
                "array value must start with \"{\" or dimension information",
            ));
        }
        let mut raw: Vec<Option<String>> = Vec::new();
        let mut shape: Vec<i32> = Vec::new();
        p.nested(0, &mut shape, &mut raw)?;
        p.skip_ws();
        if p.pos != p.chars.len() {
            return Err(malformed(s, "junk after closing right brace"));
        }
        if p.leaf_depth.is_some_and(|d| d + 1 != shape.len()) {
            return Err(malformed(
                s,
                "Multidimensional arrays must have sub-arrays with matching dimensions.",
            ));
        }
        let items = raw
            .into_iter()
            .map(|r| match r {
                None => Ok(Value::Null),
                Some(text) => cast::parse_text(elem, &text),
            })
            .collect::<Result<Vec<_>>>()?;
        if items.is_empty() {
            return Ok(Array::empty());
        }
        let dims = match declared {
            Some(d) => {
                if d.len() != shape.len() || d.iter().zip(&shape).any(|(d, n)| d.len != *n) {
                    return Err(malformed(
                        s,
                        "Specified array dimensions do not match array contents.",
                    ));
                }
                d
            }
            None => shape.iter().map(|&len| Dim { len, lower: 1 }).collect(),
        };
        Ok(Array { dims, items })
    }
}

struct Parser<'a> {
    src: &'a str,
    chars: Vec<char>,
    pos: usize,
    /// The nesting depth at which items were found (every item must be at one depth).
    leaf_depth: Option<usize>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn int(&mut self) -> Result<i32> {
        let start = self.pos;
        if self.peek() == Some('-') || self.peek() == Some('+') {
            self.pos += 1;
        }
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        let t: String = self.chars[start..self.pos].iter().collect();
        // PostgreSQL reads a bound with strtol and keeps its low 32 bits.
        let digits = t.trim_start_matches(['-', '+']);
        if digits.is_empty() {
            return Err(malformed(
                self.src,
                "\"[\" must introduce explicitly-specified array dimensions",
            ));
        }
        let wide = t.parse::<i64>().unwrap_or(if t.starts_with('-') {
            i64::MIN
        } else {
            i64::MAX
        });
        Ok(wide as i32)
    }

    /// Parses `{...}` at nesting `depth`, recording each level's length in `shape`.
    fn nested(
        &mut self,
        depth: usize,
        shape: &mut Vec<i32>,
        out: &mut Vec<Option<String>>,
    ) -> Result<()> {
        if depth >= super::array::MAX_DIMS {
            return Err(Error::ProgramLimitExceeded(format!(
                "number of array dimensions ({}) exceeds the maximum allowed ({})",
                depth + 1,
                MAX_DIMS
            )));
        }
        self.pos += 1; // '{'
        self.skip_ws();
        let mut count = 0i32;
        if self.peek() == Some('}') {
            self.pos += 1;
            if depth == 0 && shape.is_empty() {
                return Ok(());
            }
            return Err(malformed(self.src, "Unexpected \"}\" character."));
        }
        let mut sub_arrays = None;
        loop {
            self.skip_ws();
            let is_sub = self.peek() == Some('{');
            match sub_arrays {
                None => sub_arrays = Some(is_sub),
                Some(s) if s != is_sub => {
                    return Err(malformed(
                        self.src,
                        "Multidimensional arrays must have sub-arrays with matching dimensions.",
                    ));
                }
                _ => {}
            }
            if is_sub {
                self.nested(depth + 1, shape, out)?;
            } else {
                out.push(self.item()?);
            }
            count += 1;
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some('}') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(malformed(self.src, "Unexpected end of input.")),
            }
        }
        if shape.len() <= depth {
            shape.resize(depth + 1, -1);
        }
        if shape[depth] == -1 {
            shape[depth] = count;
        }
        let mismatch = shape[depth] != count
            || (sub_arrays == Some(false) && *self.leaf_depth.get_or_insert(depth) != depth);
        if mismatch {
            return Err(malformed(
                self.src,
                "Multidimensional arrays must have sub-arrays with matching dimensions.",
            ));
        }
        Ok(())
    }

    /// One item: quoted (`"a \"b\""`) or bare (`abc`, `NULL` → None).
    fn item(&mut self) -> Result<Option<String>> {
        let mut text = String::new();
        let mut quoted_any = false;
        // Characters outside quotes (an escaped one too: `n\ull` is not NULL).
        let mut bare_any = false;
        let mut escaped = false;
        let mut trailing_ws = 0usize;
        let unexpected = |src: &str| malformed(src, "Unexpected array element.");
        loop {
            match self.peek() {
                None => return Err(malformed(self.src, "Unexpected end of input.")),
                Some('"') => {
                    if quoted_any || bare_any {
                        return Err(unexpected(self.src));
                    }
                    quoted_any = true;
                    self.pos += 1;
                    loop {
                        match self.peek() {
                            None => {
                                return Err(malformed(self.src, "Unexpected end of input."));
                            }
                            Some('"') => {
                                self.pos += 1;
                                break;
                            }
                            Some('\\') => {
                                self.pos += 1;
                                match self.peek() {
                                    Some(c) => text.push(c),
                                    None => {
                                        return Err(malformed(
                                            self.src,
                                            "Unexpected end of input.",
                                        ));
                                    }
                                }
                                self.pos += 1;
                            }
                            Some(c) => {
                                text.push(c);
                                self.pos += 1;
                            }
                        }
                    }
                    trailing_ws = 0;
                }
                Some(',' | '}') => break,
                Some('{') => {
                    return Err(malformed(self.src, "Unexpected \"{\" character."));
                }
                Some('\\') => {
                    if quoted_any {
                        return Err(unexpected(self.src));
                    }
                    self.pos += 1;
                    match self.peek() {
                        Some(c) => text.push(c),
                        None => return Err(malformed(self.src, "Unexpected end of input.")),
                    }
                    self.pos += 1;
                    trailing_ws = 0;
                    bare_any = true;
                    escaped = true;
                }
                Some(c) if c.is_whitespace() => {
                    if !text.is_empty() || quoted_any {
                        text.push(c);
                        trailing_ws += c.len_utf8();
                    }
                    self.pos += 1;
                }
                Some(c) => {
                    if quoted_any {
                        return Err(unexpected(self.src));
                    }
                    text.push(c);
                    trailing_ws = 0;
                    bare_any = true;
                    self.pos += 1;
                }
            }
        }
        text.truncate(text.len() - trailing_ws);
        if !quoted_any && text.is_empty() {
            return Err(malformed(self.src, "Unexpected \",\" character."));
        }
        if !quoted_any && !escaped && text.eq_ignore_ascii_case("null") {
            return Ok(None);
        }
        Ok(Some(text))
    }
}

/// Appends one item's text, quoted when needed (see the module docs).
fn write_item(out: &mut String, v: &Value) {
    if v.is_null() {
        out.push_str("NULL");
        return;
    }
    let text = v.to_string();
    let needs_quotes = text.is_empty()
        || text.eq_ignore_ascii_case("null")
        || text
            .chars()
            .any(|c| matches!(c, '{' | '}' | ',' | '"' | '\\') || c.is_ascii_whitespace());
    if !needs_quotes {
        out.push_str(&text);
        return;
    }
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

fn write_level(out: &mut String, dims: &[Dim], items: &[Value]) {
    out.push('{');
    match dims {
        [] => {}
        [_] => {
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_item(out, v);
            }
        }
        [d, rest @ ..] => {
            let stride = items.len() / d.len.max(1) as usize;
            for (i, chunk) in items.chunks(stride.max(1)).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_level(out, rest, chunk);
            }
        }
    }
    out.push('}');
}

impl std::fmt::Display for Array {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = String::new();
        if self.dims.iter().any(|d| d.lower != 1) {
            for d in &self.dims {
                out.push_str(&format!(
                    "[{}:{}]",
                    d.lower,
                    i64::from(d.lower) + i64::from(d.len) - 1
                ));
            }
            out.push('=');
        }
        write_level(&mut out, &self.dims, &self.items);
        f.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(s: &str, elem: DataType) -> String {
        Array::parse(s, elem).unwrap().to_string()
    }

    #[test]
    fn text_input_and_output() {
        assert_eq!(round("{1, 2 ,3}", DataType::Int4), "{1,2,3}");
        assert_eq!(round("{{1,2},{3,4}}", DataType::Int4), "{{1,2},{3,4}}");
        assert_eq!(round("{}", DataType::Int4), "{}");
        assert_eq!(
            round("{NULL, null,\"NULL\"}", DataType::Text),
            "{NULL,NULL,\"NULL\"}"
        );
        assert_eq!(
            round(r#"{"a b", "c\"d", e\,f, "", x}"#, DataType::Text),
            r#"{"a b","c\"d","e,f","",x}"#
        );
        assert_eq!(round("[0:1]={7,8}", DataType::Int4), "[0:1]={7,8}");
        assert_eq!(round("  { a b }", DataType::Text), "{\"a b\"}");
        for bad in [
            "",
            "1,2",
            "{1,2",
            "{1,,2}",
            "{{1},2}",
            "{{1,2},{3}}",
            "{1}x",
            "[1:2]={1}",
        ] {
            assert_eq!(
                Array::parse(bad, DataType::Int4).unwrap_err().code(),
                "22P02",
                "{bad}"
            );
        }
        assert_eq!(
            Array::parse("{x}", DataType::Int4).unwrap_err().code(),
            "22P02"
        );
    }

    #[test]
    fn order() {
        let a = |s| Array::parse(s, DataType::Int4).unwrap();
        assert!(a("{1,2}").total_cmp(&a("{1,3}")).is_lt());
        assert!(a("{1,2}").total_cmp(&a("{1,2,0}")).is_lt());
        assert!(a("{1,NULL}").total_cmp(&a("{1,2}")).is_gt());
        assert!(a("{}").total_cmp(&a("{1}")).is_lt());
        assert!(a("{1,2,3,4}").total_cmp(&a("{{1,2},{3,4}}")).is_lt());
        assert_eq!(a("{1,2}"), a("{1,2}"));
    }
}
