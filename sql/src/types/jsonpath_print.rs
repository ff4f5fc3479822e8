//! The `jsonpath` type's input and output: a path text is parsed
//! ([`super::jsonpath::parse`]), checked as PostgreSQL's `jsonpath_in` checks it (`last`
//! only inside an array subscript, `@` only inside a filter, `like_regex` flags and
//! pattern), and stored as PostgreSQL's `jsonpath_out` prints it: keys and variables
//! double-quoted (`$."a"`, `$"x"`), numbers as `numeric` prints them (`1e1` is `10`),
//! binary operators spaced and parenthesised by priority (the whole path counts as an
//! operand: `$ + 1` is `($ + 1)`), a filter as `?(...)`, a number followed by an
//! accessor in parentheses (`(1.2)."e"`), `lax` left out.
//!
//! A stored `jsonpath` value is that text ([`Value::Text`](super::Value)); parsing it
//! again gives the same path, which is how the path functions read it.

use super::jsonpath::{self, ArithOp, Cmp, JsonPath, Node};
use super::{Jsonb, Numeric};
use crate::{Error, Result};

/// `jsonpath_in` then `jsonpath_out`: the canonical text of path text `s`.
pub fn normalize(s: &str) -> Result<String> {
    if s.trim().is_empty() {
        return Err(Error::InvalidTextRepresentation(format!(
            "invalid input syntax for type jsonpath: \"{s}\""
        )));
    }
    let path = jsonpath::parse(s)?;
    check(&path.expr, false, false)?;
    Ok(print(&path))
}

fn syntax(msg: &str) -> Error {
    Error::SyntaxError(msg.into())
}

/// PostgreSQL's parse-time checks: `last` outside a subscript, `@` outside a filter, and
/// the `like_regex` flags and pattern.
fn check(n: &Node, in_subscript: bool, in_filter: bool) -> Result<()> {
    let go = |c: &Node| check(c, in_subscript, in_filter);
    match n {
        Node::Last if !in_subscript => Err(syntax("LAST is allowed only in array subscripts")),
        Node::Current if !in_filter => Err(syntax("@ is not allowed in root expressions")),
        Node::Root | Node::Current | Node::Var(_) | Node::Last | Node::Literal(_) => Ok(()),
        Node::Key(b, _) | Node::AnyKey(b) | Node::AnyPath(b, ..) | Node::AnyIndex(b) => go(b),
        Node::Method(b, _) | Node::Datetime(b, _) => go(b),
        Node::Index(b, subs) => {
            go(b)?;
            for (from, to) in subs {
                check(from, true, in_filter)?;
                if let Some(to) = to {
                    check(to, true, in_filter)?;
                }
            }
            Ok(())
        }
        Node::Filter(b, p) => {
            go(b)?;
            check(p, in_subscript, true)
        }
        Node::Arith(_, l, r)
        | Node::Compare(_, l, r)
        | Node::And(l, r)
        | Node::Or(l, r)
        | Node::StartsWith(l, r) => {
            go(l)?;
            go(r)
        }
        Node::Unary(_, x) | Node::Not(x) | Node::IsUnknown(x) | Node::Exists(x) => go(x),
        Node::LikeRegex(x, pattern, flags) => {
            go(x)?;
            regex_flags(flags)?;
            crate::expr::jsonpath_exec::like_regex(pattern, flags).map(|_| ())
        }
    }
}

/// The flags of a `like_regex`, as PostgreSQL prints them (`ismxq` order, each once).
fn regex_flags(flags: &str) -> Result<String> {
    let mut out = String::new();
    for f in ['i', 's', 'm', 'x', 'q'] {
        if flags.contains(f) {
            out.push(f);
        }
    }
    if let Some(bad) = flags.chars().find(|c| !"ismxq".contains(*c)) {
        // PostgreSQL's DETAIL: `Unrecognized flag character "{bad}" in LIKE_REGEX
        // predicate.`
        let _ = bad;
        return Err(syntax("invalid input syntax for type jsonpath"));
    }
    if flags.contains('x') && !flags.contains('q') {
        return Err(Error::FeatureNotSupported(
            "XQuery \"x\" flag (expanded regular expressions) is not implemented".into(),
        ));
    }
    Ok(out)
}

/// The text PostgreSQL's `jsonpath_out` prints for `path`.
pub fn print(path: &JsonPath) -> String {
    let mut out = String::new();
    if path.strict {
        out.push_str("strict ");
    }
    item(&mut out, &path.expr, true);
    out
}

/// `operationPriority`: of the first item of a chain.
fn priority(n: &Node) -> u8 {
    match head(n) {
        Node::Or(..) => 0,
        Node::And(..) => 1,
        Node::Compare(..) | Node::StartsWith(..) => 2,
        Node::Arith(ArithOp::Add | ArithOp::Sub, ..) => 3,
        Node::Arith(..) => 4,
        Node::Unary(..) => 5,
        _ => 6,
    }
}

/// The base of an accessor chain (`$` of `$.a[1]`).
fn head(n: &Node) -> &Node {
    match n {
        Node::Key(b, _)
        | Node::AnyKey(b)
        | Node::AnyPath(b, ..)
        | Node::Index(b, _)
        | Node::AnyIndex(b)
        | Node::Filter(b, _)
        | Node::Method(b, _)
        | Node::Datetime(b, _) => head(b),
        other => other,
    }
}

/// An operand of an operator of priority `p`: bracketed when it binds no tighter.
fn operand(out: &mut String, n: &Node, p: u8) {
    item(out, n, priority(n) <= p);
}

/// `printJsonPathItem`: an item and the accessors after it.
fn item(out: &mut String, n: &Node, brackets: bool) {
    let has_next = !std::ptr::eq(head(n), n);
    chain(out, n, brackets, has_next);
}

fn chain(out: &mut String, n: &Node, brackets: bool, has_next: bool) {
    match n {
        Node::Key(b, k) => {
            chain(out, b, brackets, true);
            out.push('.');
            super::json::write_string(out, k);
        }
        Node::AnyKey(b) => {
            chain(out, b, brackets, true);
            out.push_str(".*");
        }
        Node::AnyPath(b, first, last) => {
            chain(out, b, brackets, true);
            out.push('.');
            out.push_str(&any_levels(*first, *last));
        }
        Node::Index(b, subs) => {
            chain(out, b, brackets, true);
            out.push('[');
            for (i, (from, to)) in subs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                item(out, from, false);
                if let Some(to) = to {
                    out.push_str(" to ");
                    item(out, to, false);
                }
            }
            out.push(']');
        }
        Node::AnyIndex(b) => {
            chain(out, b, brackets, true);
            out.push_str("[*]");
        }
        Node::Filter(b, p) => {
            chain(out, b, brackets, true);
            out.push_str("?(");
            item(out, p, false);
            out.push(')');
        }
        Node::Method(b, m) => {
            chain(out, b, brackets, true);
            out.push('.');
            out.push_str(m.name());
            out.push_str("()");
        }
        Node::Datetime(b, template) => {
            chain(out, b, brackets, true);
            out.push_str(".datetime(");
            if let Some(t) = template {
                super::json::write_string(out, t);
            }
            out.push(')');
        }
        _ => first(out, n, brackets, has_next),
    }
}

fn any_levels(first: u32, last: u32) -> String {
    let level = |l: u32| {
        if l == u32::MAX {
            "last".to_string()
        } else {
            l.to_string()
        }
    };
    if first == 0 && last == u32::MAX {
        "**".into()
    } else if first == last {
        format!("**{{{}}}", level(first))
    } else {
        format!("**{{{} to {}}}", level(first), level(last))
    }
}

fn binary(out: &mut String, n: &Node, l: &Node, op: &str, r: &Node, brackets: bool) {
    let p = priority(n);
    if brackets {
        out.push('(');
    }
    operand(out, l, p);
    out.push(' ');
    out.push_str(op);
    out.push(' ');
    operand(out, r, p);
    if brackets {
        out.push(')');
    }
}

/// The first item of a chain (not an accessor).
fn first(out: &mut String, n: &Node, brackets: bool, has_next: bool) {
    match n {
        Node::Root => out.push('$'),
        Node::Current => out.push('@'),
        Node::Last => out.push_str("last"),
        Node::Var(v) => {
            out.push('$');
            super::json::write_string(out, v);
        }
        Node::Literal(Jsonb::Number(d)) => {
            let text = Numeric::Finite(d.clone()).to_string();
            if has_next {
                out.push('(');
                out.push_str(&text);
                out.push(')');
            } else {
                out.push_str(&text);
            }
        }
        Node::Literal(j) => out.push_str(&j.to_string()),
        Node::Arith(op, l, r) => binary(out, n, l, op.symbol(), r, brackets),
        Node::Compare(c, l, r) => binary(out, n, l, cmp_symbol(*c), r, brackets),
        Node::And(l, r) => binary(out, n, l, "&&", r, brackets),
        Node::Or(l, r) => binary(out, n, l, "||", r, brackets),
        Node::StartsWith(l, r) => binary(out, n, l, "starts with", r, brackets),
        Node::LikeRegex(x, pattern, flags) => {
            if brackets {
                out.push('(');
            }
            operand(out, x, 6);
            out.push_str(" like_regex ");
            super::json::write_string(out, pattern);
            let flags = regex_flags(flags).unwrap_or_default();
            if !flags.is_empty() {
                out.push_str(" flag \"");
                out.push_str(&flags);
                out.push('"');
            }
            if brackets {
                out.push(')');
            }
        }
        Node::Unary(neg, x) => {
            if brackets {
                out.push('(');
            }
            out.push(if *neg { '-' } else { '+' });
            operand(out, x, 5);
            if brackets {
                out.push(')');
            }
        }
        Node::Not(x) => {
            out.push_str("!(");
            item(out, x, false);
            out.push(')');
        }
        Node::IsUnknown(x) => {
            out.push('(');
            item(out, x, false);
            out.push_str(") is unknown");
        }
        Node::Exists(x) => {
            out.push_str("exists (");
            item(out, x, false);
            out.push(')');
        }
        // Accessors are handled by `chain`.
        _ => chain(out, n, brackets, has_next),
    }
}

fn cmp_symbol(c: Cmp) -> &'static str {
    match c {
        Cmp::Eq => "==",
        Cmp::Ne => "!=",
        Cmp::Lt => "<",
        Cmp::Le => "<=",
        Cmp::Gt => ">",
        Cmp::Ge => ">=",
    }
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn prints_as_postgres() {
        for (input, want) in [
            ("lax $", "$"),
            ("strict $.a", "strict $.\"a\""),
            ("$+1", "($ + 1)"),
            ("$--+1", "($ - -1)"),
            ("1 * 2 + 4 % -3 != false", "(1 * 2 + 4 % -3 != false)"),
            (
                "$.g ? (@.a == 1 || !(@.a == 4) && @.b == 7)",
                "$.\"g\"?(@.\"a\" == 1 || !(@.\"a\" == 4) && @.\"b\" == 7)",
            ),
            (
                "$.g ? (+@.x >= +-(+@.a + 2))",
                "$.\"g\"?(+@.\"x\" >= +(-(+@.\"a\" + 2)))",
            ),
            ("$a[*]", "$\"a\"[*]"),
            ("$.a[1,2, 3 to 16]", "$.\"a\"[1,2,3 to 16]"),
            ("1.2.e3", "(1.2).\"e3\""),
            ("(-+$.a.b).c.d", "(-(+$.\"a\".\"b\")).\"c\".\"d\""),
            ("$.a.**{2 to 2}.b", "$.\"a\".**{2}.\"b\""),
            (
                "$ ? (@ like_regex \"p\" flag \"isim\")",
                "$?(@ like_regex \"p\" flag \"ism\")",
            ),
            ("$ ? (@.a < 1e1)", "$?(@.\"a\" < 10)"),
            ("0.0010e-1", "0.00010"),
        ] {
            assert_eq!(normalize(input).unwrap(), want, "{input}");
        }
        for bad in ["", "last", "@ + 1", "$ ? (@ like_regex \"p\" flag \"a\")"] {
            assert!(normalize(bad).is_err(), "{bad}");
        }
    }
}
