//! `json` and `jsonb`.
//!
//! * `json` keeps its input text verbatim (`Value::Json`), after checking that it parses.
//! * `jsonb` is a decoded tree ([`Jsonb`]): numbers are `numeric` (so `1.50` keeps its scale
//!   and `1e2` becomes `100`), object keys are unique (the last duplicate wins) and kept in
//!   PostgreSQL's storage order — shorter keys first, then bytewise — which is also the output
//!   order. Text output is PostgreSQL's: `{"a": 1, "b": [1, 2]}`.
//! * Order (btree, `jsonb_ops`): Object > Array > Boolean > Number > String > Null; arrays and
//!   objects with more elements/pairs are greater; equal sizes compare element by element
//!   (objects key, value, key, ... in storage order). A top-level scalar is a one-element
//!   "raw scalar" array that sorts below real arrays of the same length, so an empty
//!   top-level array sorts below everything (PostgreSQL's documented quirk).
//!
//! Parsing uses `serde_json` (with `arbitrary_precision`, to see numbers as written).

use bigdecimal::BigDecimal;
use std::cmp::Ordering;

use super::Numeric;
use crate::{Error, Result};

/// One `jsonb` value. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Jsonb {
    Null,
    Bool(bool),
    Number(BigDecimal),
    String(String),
    Array(Vec<Jsonb>),
    /// Pairs in storage order (see [`key_order`]), keys unique.
    Object(Vec<(String, Jsonb)>),
}

/// PostgreSQL's order of jsonb object keys: by length, then bytewise.
pub fn key_order(a: &str, b: &str) -> Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

fn syntax(ty: &str, detail: impl std::fmt::Display) -> Error {
    Error::InvalidTextRepresentation(format!("invalid input syntax for type {ty}: {detail}"))
}

/// 22P02 for `s`, which serde_json refused with `e`: with PostgreSQL's DETAIL and CONTEXT
/// where its grammar refuses `s` too ([`super::json_errors`]).
fn json_syntax(s: &str, e: serde_json::Error) -> Error {
    // json_errors walks the text recursively: deeply nested text would overflow the
    // stack, where PostgreSQL's recursive parser stops with 54001.
    if nesting_depth(s) > MAX_DESCRIBE_DEPTH {
        return Error::StackDepthExceeded;
    }
    match super::json_errors::describe(s) {
        Some((detail, context)) => Error::MalformedLiteral {
            message: "invalid input syntax for type json".into(),
            detail,
        }
        .with_context(context),
        None => syntax("json", e),
    }
}

/// How deep [`json_syntax`] lets the recursive walker of [`super::json_errors`] go.
const MAX_DESCRIBE_DEPTH: usize = 1000;

/// The deepest nesting of arrays and objects in `s` (brackets inside strings skipped).
fn nesting_depth(s: &str) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for b in s.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Checks that `s` is valid JSON (the `json` input function).
pub fn validate_json(s: &str) -> Result<()> {
    serde_json::from_str::<serde::de::IgnoredAny>(s)
        .map(|_| ())
        .map_err(|e| json_syntax(s, e))
}

impl Jsonb {
    /// The `jsonb` input function.
    pub fn parse(s: &str) -> Result<Jsonb> {
        let v: serde_json::Value = serde_json::from_str(s).map_err(|e| json_syntax(s, e))?;
        Jsonb::from_serde(v)
    }

    /// Converts a parsed serde value (numbers as written, thanks to `arbitrary_precision`).
    pub fn from_serde(v: serde_json::Value) -> Result<Jsonb> {
        Ok(match v {
            serde_json::Value::Null => Jsonb::Null,
            serde_json::Value::Bool(b) => Jsonb::Bool(b),
            serde_json::Value::Number(n) => match Numeric::parse(&n.to_string())? {
                Numeric::Finite(d) => Jsonb::Number(d),
                _ => return Err(syntax("json", n)),
            },
            serde_json::Value::String(s) => Jsonb::String(check_nul(s)?),
            serde_json::Value::Array(a) => Jsonb::Array(
                a.into_iter()
                    .map(Jsonb::from_serde)
                    .collect::<Result<_>>()?,
            ),
            serde_json::Value::Object(m) => {
                let pairs = m
                    .into_iter()
                    .map(|(k, v)| Ok((check_nul(k)?, Jsonb::from_serde(v)?)))
                    .collect::<Result<Vec<_>>>()?;
                Jsonb::object(pairs)
            }
        })
    }

    /// An object from pairs in any order; a later duplicate key replaces an earlier one.
    pub fn object(pairs: Vec<(String, Jsonb)>) -> Jsonb {
        let mut out: Vec<(String, Jsonb)> = Vec::with_capacity(pairs.len());
        for (k, v) in pairs {
            match out.binary_search_by(|(x, _)| key_order(x, &k)) {
                Ok(i) => out[i].1 = v,
                Err(i) => out.insert(i, (k, v)),
            }
        }
        Jsonb::Object(out)
    }

    /// `jsonb_typeof`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Jsonb::Null => "null",
            Jsonb::Bool(_) => "boolean",
            Jsonb::Number(_) => "number",
            Jsonb::String(_) => "string",
            Jsonb::Array(_) => "array",
            Jsonb::Object(_) => "object",
        }
    }

    /// The value of key `k`, for an object.
    pub fn get(&self, k: &str) -> Option<&Jsonb> {
        match self {
            Jsonb::Object(pairs) => pairs
                .binary_search_by(|(x, _)| key_order(x, k))
                .ok()
                .map(|i| &pairs[i].1),
            _ => None,
        }
    }

    /// Element `i` of an array (negative: from the end).
    pub fn index(&self, i: i64) -> Option<&Jsonb> {
        match self {
            Jsonb::Array(items) => {
                let n = items.len() as i64;
                let i = if i < 0 { n + i } else { i };
                usize::try_from(i).ok().and_then(|i| items.get(i))
            }
            _ => None,
        }
    }

    /// The text `->>` returns: a string unquoted, `null` as SQL NULL (`None`), anything
    /// else as its jsonb text.
    pub fn to_text(&self) -> Option<String> {
        match self {
            Jsonb::Null => None,
            Jsonb::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Jsonb::Null => 0,
            Jsonb::String(_) => 1,
            Jsonb::Number(_) => 2,
            Jsonb::Bool(_) => 3,
            Jsonb::Array(_) => 4,
            Jsonb::Object(_) => 5,
        }
    }

    /// Comparison of nested values (see the module docs).
    fn cmp_nested(&self, other: &Jsonb) -> Ordering {
        match (self, other) {
            (Jsonb::Null, Jsonb::Null) => Ordering::Equal,
            (Jsonb::Bool(a), Jsonb::Bool(b)) => a.cmp(b),
            (Jsonb::Number(a), Jsonb::Number(b)) => a.cmp(b),
            (Jsonb::String(a), Jsonb::String(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Jsonb::Array(a), Jsonb::Array(b)) => a.len().cmp(&b.len()).then_with(|| {
                a.iter()
                    .zip(b)
                    .map(|(x, y)| x.cmp_nested(y))
                    .find(|o| o.is_ne())
                    .unwrap_or(Ordering::Equal)
            }),
            (Jsonb::Object(a), Jsonb::Object(b)) => a.len().cmp(&b.len()).then_with(|| {
                a.iter()
                    .zip(b)
                    .map(|((ka, va), (kb, vb))| {
                        ka.as_bytes()
                            .cmp(kb.as_bytes())
                            .then_with(|| va.cmp_nested(vb))
                    })
                    .find(|o| o.is_ne())
                    .unwrap_or(Ordering::Equal)
            }),
            _ => self.rank().cmp(&other.rank()),
        }
    }

    /// btree order of top-level values (see the module docs).
    pub fn total_cmp(&self, other: &Jsonb) -> Ordering {
        // (is object, elements, is raw scalar)
        let view = |j: &Jsonb| -> (bool, usize, bool) {
            match j {
                Jsonb::Object(p) => (true, p.len(), false),
                Jsonb::Array(a) => (false, a.len(), false),
                _ => (false, 1, true),
            }
        };
        let (ao, an, ar) = view(self);
        let (bo, bn, br) = view(other);
        if ao != bo {
            return ao.cmp(&bo);
        }
        if ao {
            return self.cmp_nested(other);
        }
        if an != bn {
            return an.cmp(&bn);
        }
        if ar != br {
            return if ar {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        match (self, other) {
            (Jsonb::Array(a), Jsonb::Array(b)) => a
                .iter()
                .zip(b)
                .map(|(x, y)| x.cmp_nested(y))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal),
            _ => self.cmp_nested(other),
        }
    }

    /// `a @> b`: containment as PostgreSQL defines it (arrays contain elements regardless
    /// of order and multiplicity; a top-level array contains a scalar it has as an element,
    /// but a scalar never contains an array).
    pub fn contains(&self, other: &Jsonb) -> bool {
        let container = |j: &Jsonb| matches!(j, Jsonb::Array(_) | Jsonb::Object(_));
        match (self, other) {
            (Jsonb::Array(a), b) if !container(b) => a.iter().any(|x| x == b),
            _ => deep_contains(self, other),
        }
    }

    /// `j ? key`: a key of an object, or a string element of an array (or the string itself).
    pub fn exists(&self, key: &str) -> bool {
        match self {
            Jsonb::Object(_) => self.get(key).is_some(),
            Jsonb::Array(items) => items
                .iter()
                .any(|i| matches!(i, Jsonb::String(s) if s == key)),
            Jsonb::String(s) => s == key,
            _ => false,
        }
    }
}

/// PostgreSQL's `JsonbDeepContains` for values of the same container type.
fn deep_contains(a: &Jsonb, b: &Jsonb) -> bool {
    let matches = |av: &Jsonb, bv: &Jsonb| match (av, bv) {
        (Jsonb::Object(_), Jsonb::Object(_)) | (Jsonb::Array(_), Jsonb::Array(_)) => {
            deep_contains(av, bv)
        }
        _ => av == bv && !matches!(av, Jsonb::Object(_) | Jsonb::Array(_)),
    };
    match (a, b) {
        (Jsonb::Object(_), Jsonb::Object(pairs)) => pairs
            .iter()
            .all(|(k, bv)| a.get(k).is_some_and(|av| matches(av, bv))),
        (Jsonb::Array(items), Jsonb::Array(want)) => {
            want.iter().all(|bv| items.iter().any(|av| matches(av, bv)))
        }
        (Jsonb::Object(_) | Jsonb::Array(_), _) | (_, Jsonb::Object(_) | Jsonb::Array(_)) => false,
        _ => a == b,
    }
}

fn check_nul(s: String) -> Result<String> {
    if s.contains('\0') {
        return Err(Error::UntranslatableCharacter(
            "unsupported Unicode escape sequence".into(),
        ));
    }
    Ok(s)
}

/// Appends `s` as a JSON string literal, escaped as PostgreSQL's `escape_json` does.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write(out: &mut String, j: &Jsonb) {
    match j {
        Jsonb::Null => out.push_str("null"),
        Jsonb::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Jsonb::Number(n) => out.push_str(&Numeric::Finite(n.clone()).to_string()),
        Jsonb::String(s) => write_string(out, s),
        Jsonb::Array(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(out, x);
            }
            out.push(']');
        }
        Jsonb::Object(pairs) => {
            out.push('{');
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_string(out, k);
                out.push_str(": ");
                write(out, v);
            }
            out.push('}');
        }
    }
}

impl std::fmt::Display for Jsonb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = String::new();
        write(&mut s, self);
        f.write_str(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn j(s: &str) -> Jsonb {
        Jsonb::parse(s).unwrap()
    }

    #[test]
    fn output_like_postgres() {
        assert_eq!(
            j(r#"{"b":1.50,"a":[1,2], "aa": null, "a": "x\n"}"#).to_string(),
            r#"{"a": "x\n", "b": 1.50, "aa": null}"#
        );
        assert_eq!(j("1e2").to_string(), "100");
        assert_eq!(j(r#""\u00e9\u0001""#).to_string(), "\"é\\u0001\"");
        assert_eq!(j("[]").to_string(), "[]");
        assert_eq!(Jsonb::parse("{").unwrap_err().code(), "22P02");
        assert_eq!(Jsonb::parse(r#""\u0000""#).unwrap_err().code(), "22P05");
        assert!(validate_json(r#"{"a": 1, "a": 2}"#).is_ok());
        assert!(validate_json("[1,").is_err());
    }

    #[test]
    fn order_matches_postgres() {
        let sorted = [
            "[]",
            "null",
            "\"a\"",
            "\"b\"",
            "1",
            "2",
            "false",
            "true",
            "[null]",
            "[\"a\"]",
            "[3]",
            "[true]",
            "[[1]]",
            "[1, 2]",
            "{}",
            "{\"a\": 1}",
            "{\"a\": 2}",
            "{\"aa\": 1}",
            "{\"b\": 1}",
            "{\"a\": 1, \"b\": 2}",
        ];
        for w in sorted.windows(2) {
            assert_eq!(
                j(w[0]).total_cmp(&j(w[1])),
                Ordering::Less,
                "{} < {}",
                w[0],
                w[1]
            );
        }
    }

    mod props {
        use super::super::Jsonb;
        use crate::types::{DataType, Value, binary};
        use bigdecimal::BigDecimal;
        use proptest::prelude::*;

        fn any_jsonb() -> impl Strategy<Value = Jsonb> {
            let leaf = prop_oneof![
                Just(Jsonb::Null),
                any::<bool>().prop_map(Jsonb::Bool),
                (any::<i64>(), -3i64..6)
                    .prop_map(|(i, s)| Jsonb::Number(BigDecimal::new(i.into(), s))),
                "[a-c\u{1}é\"\\\n]{0,4}".prop_map(Jsonb::String),
            ];
            leaf.prop_recursive(3, 16, 4, |inner| {
                prop_oneof![
                    proptest::collection::vec(inner.clone(), 0..4).prop_map(Jsonb::Array),
                    proptest::collection::vec(("[a-c]{0,3}", inner), 0..4).prop_map(Jsonb::object),
                ]
            })
        }

        proptest! {
            /// Text output parses back to an equal document that prints the same.
            #[test]
            fn text_round_trips(j in any_jsonb()) {
                let back = Jsonb::parse(&j.to_string()).unwrap();
                prop_assert_eq!(back.to_string(), j.to_string());
            }

            /// The binary wire format (version 1, then the text) round-trips.
            #[test]
            fn binary_round_trips(j in any_jsonb()) {
                let v = Value::Jsonb(Box::new(j.clone()));
                let bytes = binary::send(&v, DataType::Jsonb);
                prop_assert_eq!(bytes[0], 1);
                match binary::recv(&bytes, DataType::Jsonb).unwrap() {
                    Value::Jsonb(back) => prop_assert_eq!(back.to_string(), j.to_string()),
                    other => prop_assert!(false, "{other:?}"),
                }
            }

            /// Any bytes from a client decode to a value or an error, never a panic.
            #[test]
            fn binary_garbage_never_panics(mut bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
                let _ = binary::recv(&bytes, DataType::Jsonb);
                bytes.insert(0, 1);
                let _ = binary::recv(&bytes, DataType::Jsonb);
                let _ = Jsonb::parse(&String::from_utf8_lossy(&bytes));
            }
        }
    }

    #[test]
    fn containment_and_existence() {
        assert!(j(r#"{"a": 1, "b": {"c": [1, 2]}}"#).contains(&j(r#"{"b": {"c": [2]}}"#)));
        assert!(!j(r#"{"a": 1}"#).contains(&j(r#"{"a": 2}"#)));
        assert!(j("[1, 2, [3]]").contains(&j("[[3], 1, 1]")));
        assert!(j("[1, 2]").contains(&j("1")));
        assert!(!j("[[1]]").contains(&j("[1]")));
        assert!(j("\"a\"").contains(&j("\"a\"")));
        assert!(j(r#"{"a": 1}"#).exists("a"));
        assert!(j(r#"["a", 1]"#).exists("a"));
        assert!(!j(r#"["a", 1]"#).exists("1"));
    }
}
