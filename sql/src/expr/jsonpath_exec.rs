//! Evaluation of SQL/JSON paths ([`crate::types::jsonpath`]) over a jsonb document, as
//! PostgreSQL 15's `jsonpath_exec.c` does for the supported subset:
//!
//! * Lax mode (the default) unwraps an array one level where a member accessor, filter,
//!   method or comparison meets one, treats a non-array under an array accessor as a
//!   one-element array, and ignores missing keys and out-of-range subscripts. Strict mode
//!   reports them: 2203A (member accessor / missing key), 22039 (array accessor, `.size()`),
//!   2203C (wildcard member accessor), 22033 (subscript out of bounds), 22036 (a numeric item
//!   method on a non-number).
//! * Predicates are three-valued: a comparison is true if some pair of items satisfies it,
//!   unknown if some pair is not comparable (different non-null types, arrays, objects) or an
//!   operand fails; null equals only null. A predicate used as a path's value is `true`,
//!   `false` or `null` (unknown).
//! * Arithmetic needs single numeric operands (22038); division by zero is 22012.
//! * `silent` (the functions' fourth argument, and the `@?` / `@@` operators) suppresses
//!   evaluation errors but not a missing `$var` (42704).

use bigdecimal::BigDecimal;

use crate::types::jsonpath::{ArithOp, Cmp, JsonPath, Method, Node};
use crate::types::{DataType, Jsonb, Numeric, Value};
use crate::{Error, Result};

/// What a SQL/JSON path function returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathKind {
    Exists,
    Match,
    QueryArray,
    QueryFirst,
}

/// The parameter types of a SQL/JSON path function called with `args`, if they fit.
pub fn params(args: &[DataType]) -> Option<Vec<DataType>> {
    let want = [
        DataType::Jsonb,
        path_param(args.get(1).copied().unwrap_or(DataType::Unknown)),
        DataType::Jsonb,
        DataType::Bool,
    ];
    let fits = (2..=4).contains(&args.len())
        && super::jsonb_fns::jsonb_like(args[0])
        && (args[1].is_string() || args[1] == DataType::JsonPath)
        && args.get(2).is_none_or(|t| super::jsonb_fns::jsonb_like(*t))
        && args
            .get(3)
            .is_none_or(|t| matches!(t, DataType::Bool | DataType::Unknown));
    fits.then(|| want[..args.len()].to_vec())
}

/// The parameter type a path argument of type `t` binds to: `jsonpath` (a literal is
/// parsed and checked once, at bind time), or `text` for a text value (read as a path per
/// call; PostgreSQL has no such cast, Strata keeps it for older callers).
pub fn path_param(t: DataType) -> DataType {
    match t {
        DataType::Unknown | DataType::JsonPath => DataType::JsonPath,
        _ => DataType::Text,
    }
}

/// Runs a SQL/JSON path function on its argument values: the items, or `None` for a
/// suppressed error.
pub fn items(args: Vec<Value>, op: bool) -> Result<Option<Vec<Jsonb>>> {
    let mut it = args.into_iter();
    let doc = super::jsonb_fns::take_jsonb(it.next())?;
    let path = match it.next() {
        Some(Value::Text(p)) => crate::types::jsonpath::parse(&p)?,
        other => return Err(Error::Internal(format!("expected a path, got {other:?}"))),
    };
    let vars = match it.next() {
        Some(v) => Some(super::jsonb_fns::take_jsonb(Some(v))?),
        None => None,
    };
    let silent = op || matches!(it.next(), Some(Value::Bool(true)));
    super::jsonpath_exec::query(&doc, &path, vars.as_ref(), silent)
}

pub fn call(kind: PathKind, op: bool, args: Vec<Value>) -> Result<Value> {
    let silent = op || matches!(args.get(3), Some(Value::Bool(true)));
    let Some(items) = items(args, op)? else {
        return Ok(Value::Null);
    };
    Ok(match kind {
        PathKind::Exists => Value::Bool(!items.is_empty()),
        PathKind::Match => match items.as_slice() {
            [Jsonb::Bool(b)] => Value::Bool(*b),
            [Jsonb::Null] => Value::Null,
            _ if silent => Value::Null,
            _ => {
                return Err(Error::SqlJson(
                    "22038",
                    "single boolean result is expected".into(),
                ));
            }
        },
        PathKind::QueryArray => Value::Jsonb(Box::new(Jsonb::Array(items))),
        PathKind::QueryFirst => items
            .into_iter()
            .next()
            .map_or(Value::Null, |j| Value::Jsonb(Box::new(j))),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Truth {
    True,
    False,
    Unknown,
}

impl Truth {
    fn of(b: bool) -> Truth {
        if b { Truth::True } else { Truth::False }
    }
}

fn err(code: &'static str, msg: impl Into<String>) -> Error {
    Error::SqlJson(code, msg.into())
}

/// The evaluation of one path over one document.
pub struct Exec<'a> {
    strict: bool,
    root: &'a Jsonb,
    vars: Option<&'a Jsonb>,
    /// An error a predicate met that is not an evaluation error (a missing `$var`): it
    /// fails the whole evaluation instead of making the predicate unknown.
    fatal: std::cell::RefCell<Option<Error>>,
    /// Inside the accessors after a `.**`: strict mode's structural errors (a member of a
    /// non-object, a subscript out of bounds) skip the item instead, as in PostgreSQL.
    ignore_structural: std::cell::Cell<bool>,
}

/// Restores [`Exec::ignore_structural`] when dropped.
struct IgnoreGuard<'c>(&'c std::cell::Cell<bool>, bool);

impl Drop for IgnoreGuard<'_> {
    fn drop(&mut self) {
        self.0.set(self.1);
    }
}

/// Whether `node` is an accessor chain with a `.**` in it.
fn after_any_path(node: &Node) -> bool {
    match node {
        Node::AnyPath(..) => true,
        Node::Key(b, _)
        | Node::AnyKey(b)
        | Node::AnyIndex(b)
        | Node::Index(b, _)
        | Node::Filter(b, _)
        | Node::Method(b, _)
        | Node::Datetime(b, _) => after_any_path(b),
        _ => false,
    }
}

/// The items `path` selects from `doc` (`vars`: the `$name` values; `silent`: evaluation
/// errors give `Ok(None)`).
pub fn query(
    doc: &Jsonb,
    path: &JsonPath,
    vars: Option<&Jsonb>,
    silent: bool,
) -> Result<Option<Vec<Jsonb>>> {
    if let Some(v) = vars
        && !matches!(v, Jsonb::Object(_))
    {
        return Err(Error::InvalidParameterValue(
            "\"vars\" argument is not an object".into(),
        ));
    }
    let exec = Exec {
        strict: path.strict,
        root: doc,
        vars,
        fatal: std::cell::RefCell::new(None),
        ignore_structural: std::cell::Cell::new(false),
    };
    let result = exec.items(&path.expr, doc, None);
    if let Some(e) = exec.fatal.borrow_mut().take() {
        return Err(e);
    }
    match result {
        Ok(items) => Ok(Some(items)),
        Err(e @ Error::UndefinedObject(_)) => Err(e),
        Err(_) if silent => Ok(None),
        Err(e) => Err(e),
    }
}

fn number(n: &Jsonb) -> Option<Numeric> {
    match n {
        Jsonb::Number(d) => Some(Numeric::Finite(d.clone())),
        _ => None,
    }
}

fn from_numeric(n: Numeric) -> Result<Jsonb> {
    match n {
        Numeric::Finite(d) => Ok(Jsonb::Number(d)),
        _ => Err(err("22003", "NaN or Infinity is not allowed for jsonb")),
    }
}

impl Exec<'_> {
    /// Ignores structural errors while the guard lives if `base` follows a `.**`.
    fn structural(&self, base: &Node) -> IgnoreGuard<'_> {
        let saved = self.ignore_structural.get();
        self.ignore_structural.set(saved || after_any_path(base));
        IgnoreGuard(&self.ignore_structural, saved)
    }

    /// Whether a structural error is one (strict mode, not after a `.**`).
    fn strict_structure(&self) -> bool {
        self.strict && !self.ignore_structural.get()
    }

    /// The items of `node` with `cur` as `@` (and `last` inside a subscript).
    fn items(&self, node: &Node, cur: &Jsonb, last: Option<i64>) -> Result<Vec<Jsonb>> {
        Ok(match node {
            Node::Root => vec![self.root.clone()],
            Node::Current => vec![cur.clone()],
            Node::Var(v) => match self.vars.and_then(|o| o.get(v)) {
                Some(x) => vec![x.clone()],
                None => {
                    return Err(Error::UndefinedObject(format!(
                        "could not find jsonpath variable \"{v}\""
                    )));
                }
            },
            Node::Last => match last {
                Some(l) => vec![Jsonb::Number(BigDecimal::from(l))],
                None => {
                    return Err(Error::SyntaxError(
                        "LAST is allowed only in array subscripts".into(),
                    ));
                }
            },
            Node::Literal(j) => vec![j.clone()],
            Node::Key(base, key) => {
                let mut out = Vec::new();
                let items = self.items(base, cur, last)?;
                let _ignore = self.structural(base);
                for item in items {
                    self.member(&item, key, true, &mut out)?;
                }
                out
            }
            Node::AnyKey(base) => {
                let mut out = Vec::new();
                let items = self.items(base, cur, last)?;
                let _ignore = self.structural(base);
                for item in items {
                    self.any_member(&item, true, &mut out)?;
                }
                out
            }
            Node::AnyPath(base, lo, hi) => {
                let mut out = Vec::new();
                for item in self.items(base, cur, last)? {
                    if *lo == 0 {
                        out.push(item.clone());
                    }
                    descendants(&item, 1, (*lo, *hi), &mut out);
                }
                out
            }
            Node::AnyIndex(base) => {
                let mut out = Vec::new();
                let items = self.items(base, cur, last)?;
                let _ignore = self.structural(base);
                for item in items {
                    match item {
                        Jsonb::Array(a) => out.extend(a),
                        _ if self.strict_structure() => {
                            return Err(err(
                                "22039",
                                "jsonpath wildcard array accessor can only be applied to an array",
                            ));
                        }
                        other => out.push(other),
                    }
                }
                out
            }
            Node::Index(base, subs) => {
                let mut out = Vec::new();
                for item in self.items(base, cur, last)? {
                    let elems = match item {
                        Jsonb::Array(a) => a,
                        _ if self.strict => {
                            return Err(err(
                                "22039",
                                "jsonpath array accessor can only be applied to an array",
                            ));
                        }
                        other => vec![other],
                    };
                    let len = elems.len() as i64;
                    for (from, to) in subs {
                        let a = self.subscript(from, cur, len - 1)?;
                        let b = match to {
                            Some(t) => self.subscript(t, cur, len - 1)?,
                            None => a,
                        };
                        let out_of_range = a < 0 || b >= len || a > b;
                        if out_of_range && self.strict {
                            return Err(err("22033", "jsonpath array subscript is out of bounds"));
                        }
                        let (a, b) = (a.max(0), b.min(len - 1));
                        for i in a..=b {
                            if let Some(x) = usize::try_from(i).ok().and_then(|i| elems.get(i)) {
                                out.push(x.clone());
                            }
                        }
                    }
                }
                out
            }
            Node::Filter(base, pred) => {
                let mut out = Vec::new();
                for item in self.items(base, cur, last)? {
                    match item {
                        Jsonb::Array(a) if !self.strict => {
                            for e in a {
                                if self.truth(pred, &e, last) == Truth::True {
                                    out.push(e);
                                }
                            }
                        }
                        other => {
                            if self.truth(pred, &other, last) == Truth::True {
                                out.push(other);
                            }
                        }
                    }
                }
                out
            }
            Node::Method(base, Method::KeyValue) => {
                let mut out = Vec::new();
                for item in self.items(base, cur, last)? {
                    match item {
                        Jsonb::Array(a) if !self.strict => {
                            for e in a {
                                self.key_value(&e, &mut out)?;
                            }
                        }
                        other => self.key_value(&other, &mut out)?,
                    }
                }
                out
            }
            Node::Datetime(..) => {
                return Err(Error::FeatureNotSupported(
                    "jsonpath item method .datetime() is not supported".into(),
                ));
            }
            Node::Method(base, m) => {
                let mut out = Vec::new();
                for item in self.items(base, cur, last)? {
                    match item {
                        Jsonb::Array(a)
                            if !self.strict && !matches!(m, Method::Type | Method::Size) =>
                        {
                            for e in a {
                                out.push(method(*m, e, self.strict)?);
                            }
                        }
                        other => out.push(method(*m, other, self.strict)?),
                    }
                }
                out
            }
            Node::Arith(op, l, r) => {
                let a = self.single_number(l, cur, last, op.symbol(), "left")?;
                let b = self.single_number(r, cur, last, op.symbol(), "right")?;
                let n = match op {
                    ArithOp::Add => a.add(&b)?,
                    ArithOp::Sub => a.sub(&b)?,
                    ArithOp::Mul => a.mul(&b)?,
                    ArithOp::Div => a.div(&b)?,
                    ArithOp::Mod => a.rem(&b)?,
                };
                vec![from_numeric(n)?]
            }
            Node::Unary(minus, x) => {
                let mut out = Vec::new();
                for item in self.unwrapped(x, cur, last)? {
                    let Some(n) = number(&item) else {
                        let sym = if *minus { "-" } else { "+" };
                        return Err(err(
                            "2203B",
                            format!(
                                "operand of unary jsonpath operator {sym} is not a numeric value"
                            ),
                        ));
                    };
                    out.push(from_numeric(if *minus { n.neg() } else { n })?);
                }
                out
            }
            p => vec![match self.truth(p, cur, last) {
                Truth::True => Jsonb::Bool(true),
                Truth::False => Jsonb::Bool(false),
                Truth::Unknown => Jsonb::Null,
            }],
        })
    }

    /// `.keyvalue()` of `item`: `{"id": .., "key": .., "value": ..}` per pair, where `id` is
    /// PostgreSQL's: the object's byte offset in the document's binary form (0 for the
    /// document itself; see [`pg_offsets`]).
    fn key_value(&self, item: &Jsonb, out: &mut Vec<Jsonb>) -> Result<()> {
        let Jsonb::Object(pairs) = item else {
            return Err(err(
                "2203C",
                "jsonpath item method .keyvalue() can only be applied to an object",
            ));
        };
        let id = if std::ptr::eq(item, self.root) || item == self.root {
            0
        } else {
            let mut found = Vec::new();
            pg_offsets(self.root, item, &mut 0, &mut found);
            match found.as_slice() {
                [one] => *one,
                _ => {
                    return Err(Error::unsupported(
                        "jsonpath item method .keyvalue() is supported only for an object that occurs once in the document",
                    ));
                }
            }
        };
        for (k, v) in pairs {
            out.push(Jsonb::Object(vec![
                ("id".into(), Jsonb::Number(BigDecimal::from(id as i64))),
                ("key".into(), Jsonb::String(k.clone())),
                ("value".into(), v.clone()),
            ]));
        }
        Ok(())
    }

    /// The items of `node`, arrays among them unwrapped one level in lax mode.
    fn unwrapped(&self, node: &Node, cur: &Jsonb, last: Option<i64>) -> Result<Vec<Jsonb>> {
        let items = self.items(node, cur, last)?;
        if self.strict {
            return Ok(items);
        }
        Ok(items
            .into_iter()
            .flat_map(|i| match i {
                Jsonb::Array(a) => a,
                other => vec![other],
            })
            .collect())
    }

    fn single_number(
        &self,
        node: &Node,
        cur: &Jsonb,
        last: Option<i64>,
        sym: &str,
        side: &str,
    ) -> Result<Numeric> {
        let items = self.unwrapped(node, cur, last)?;
        match items.as_slice() {
            [n] => number(n),
            _ => None,
        }
        .ok_or_else(|| {
            err(
                "22038",
                format!("{side} operand of jsonpath operator {sym} is not a single numeric value"),
            )
        })
    }

    /// A subscript's value (truncated to an integer).
    fn subscript(&self, node: &Node, cur: &Jsonb, last: i64) -> Result<i64> {
        let items = self.items(node, cur, Some(last))?;
        let n = match items.as_slice() {
            [n] => number(n),
            _ => None,
        }
        .ok_or_else(|| {
            err(
                "22033",
                "jsonpath array subscript is not a single numeric value",
            )
        })?;
        n.trunc(0)
            .to_i64()
            .filter(|i| i32::try_from(*i).is_ok())
            .ok_or_else(|| err("22033", "jsonpath array subscript is out of integer range"))
    }

    fn member(&self, item: &Jsonb, key: &str, unwrap: bool, out: &mut Vec<Jsonb>) -> Result<()> {
        match item {
            Jsonb::Object(_) => match item.get(key) {
                Some(v) => out.push(v.clone()),
                None if self.strict_structure() => {
                    return Err(err(
                        "2203A",
                        format!("JSON object does not contain key \"{key}\""),
                    ));
                }
                None => {}
            },
            Jsonb::Array(a) if unwrap && !self.strict => {
                for e in a {
                    self.member(e, key, false, out)?;
                }
            }
            _ if self.strict_structure() => {
                return Err(err(
                    "2203A",
                    "jsonpath member accessor can only be applied to an object",
                ));
            }
            _ => {}
        }
        Ok(())
    }

    fn any_member(&self, item: &Jsonb, unwrap: bool, out: &mut Vec<Jsonb>) -> Result<()> {
        match item {
            Jsonb::Object(pairs) => out.extend(pairs.iter().map(|(_, v)| v.clone())),
            Jsonb::Array(a) if unwrap && !self.strict => {
                for e in a {
                    self.any_member(e, false, out)?;
                }
            }
            _ if self.strict_structure() => {
                return Err(err(
                    "2203C",
                    "jsonpath wildcard member accessor can only be applied to an object",
                ));
            }
            _ => {}
        }
        Ok(())
    }

    /// A predicate's truth with `cur` as `@`.
    fn truth(&self, node: &Node, cur: &Jsonb, last: Option<i64>) -> Truth {
        match node {
            Node::And(a, b) => match self.truth(a, cur, last) {
                Truth::False => Truth::False,
                x => match (x, self.truth(b, cur, last)) {
                    (_, Truth::False) => Truth::False,
                    (Truth::True, Truth::True) => Truth::True,
                    _ => Truth::Unknown,
                },
            },
            Node::Or(a, b) => match self.truth(a, cur, last) {
                Truth::True => Truth::True,
                x => match (x, self.truth(b, cur, last)) {
                    (_, Truth::True) => Truth::True,
                    (Truth::False, Truth::False) => Truth::False,
                    _ => Truth::Unknown,
                },
            },
            Node::Not(a) => match self.truth(a, cur, last) {
                Truth::True => Truth::False,
                Truth::False => Truth::True,
                Truth::Unknown => Truth::Unknown,
            },
            Node::IsUnknown(a) => Truth::of(self.truth(a, cur, last) == Truth::Unknown),
            Node::Exists(e) => match self.soft(self.items(e, cur, last)) {
                Some(items) => Truth::of(!items.is_empty()),
                None => Truth::Unknown,
            },
            Node::Compare(op, l, r) => {
                let ls = self.soft(self.unwrapped(l, cur, last));
                let rs = self.soft(self.unwrapped(r, cur, last));
                let (Some(ls), Some(rs)) = (ls, rs) else {
                    return Truth::Unknown;
                };
                self.any_pair(&ls, |a| {
                    let mut t = Truth::False;
                    for b in &rs {
                        match compare(*op, a, b) {
                            Truth::True => return Truth::True,
                            Truth::Unknown => t = Truth::Unknown,
                            Truth::False => {}
                        }
                    }
                    t
                })
            }
            Node::StartsWith(l, r) => {
                let prefix = match self.soft(self.items(r, cur, last)).as_deref() {
                    Some([Jsonb::String(p)]) => p.clone(),
                    _ => return Truth::Unknown,
                };
                let Some(ls) = self.soft(self.unwrapped(l, cur, last)) else {
                    return Truth::Unknown;
                };
                self.any_pair(&ls, |a| match a {
                    Jsonb::String(s) => Truth::of(s.starts_with(&prefix)),
                    _ => Truth::Unknown,
                })
            }
            Node::LikeRegex(l, pattern, flags) => {
                let Ok(re) = like_regex(pattern, flags) else {
                    return Truth::Unknown;
                };
                let Some(ls) = self.soft(self.unwrapped(l, cur, last)) else {
                    return Truth::Unknown;
                };
                self.any_pair(&ls, |a| match a {
                    Jsonb::String(s) => Truth::of(re.is_match(s)),
                    _ => Truth::Unknown,
                })
            }
            _ => Truth::Unknown,
        }
    }

    /// A predicate operand's items, `None` for an evaluation error (the predicate is then
    /// unknown); a missing `$var` is kept in `fatal`.
    fn soft(&self, r: Result<Vec<Jsonb>>) -> Option<Vec<Jsonb>> {
        match r {
            Ok(items) => Some(items),
            Err(e @ Error::UndefinedObject(_)) => {
                self.fatal.borrow_mut().get_or_insert(e);
                None
            }
            Err(_) => None,
        }
    }

    /// True if `f` is true for some item; in strict mode an unknown anywhere wins.
    fn any_pair(&self, items: &[Jsonb], mut f: impl FnMut(&Jsonb) -> Truth) -> Truth {
        let (mut found, mut unknown) = (false, false);
        for a in items {
            match f(a) {
                Truth::True if !self.strict => return Truth::True,
                Truth::True => found = true,
                Truth::Unknown if self.strict => return Truth::Unknown,
                Truth::Unknown => unknown = true,
                Truth::False => {}
            }
        }
        if found {
            Truth::True
        } else if unknown {
            Truth::Unknown
        } else {
            Truth::False
        }
    }
}

/// `a op b` for two items (see the module docs).
fn compare(op: Cmp, a: &Jsonb, b: &Jsonb) -> Truth {
    use std::cmp::Ordering;
    let ord = match (a, b) {
        (Jsonb::Null, Jsonb::Null) => Ordering::Equal,
        (Jsonb::Null, _) | (_, Jsonb::Null) => return Truth::of(op == Cmp::Ne),
        (Jsonb::Bool(x), Jsonb::Bool(y)) => x.cmp(y),
        (Jsonb::Number(x), Jsonb::Number(y)) => x.cmp(y),
        (Jsonb::String(x), Jsonb::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        _ => return Truth::Unknown,
    };
    Truth::of(match op {
        Cmp::Eq => ord == Ordering::Equal,
        Cmp::Ne => ord != Ordering::Equal,
        Cmp::Lt => ord == Ordering::Less,
        Cmp::Le => ord != Ordering::Greater,
        Cmp::Gt => ord == Ordering::Greater,
        Cmp::Ge => ord != Ordering::Less,
    })
}

/// The compiled pattern of a `like_regex` (also checked when a `jsonpath` is input).
pub(crate) fn like_regex(pattern: &str, flags: &str) -> Result<regex::Regex> {
    let mut b = if flags.contains('q') {
        regex::RegexBuilder::new(&regex::escape(pattern))
    } else {
        regex::RegexBuilder::new(pattern)
    };
    b.case_insensitive(flags.contains('i'))
        .dot_matches_new_line(flags.contains('s'))
        .multi_line(flags.contains('m'))
        .ignore_whitespace(flags.contains('x'));
    b.build()
        .map_err(|e| Error::InvalidRegularExpression(format!("invalid regular expression: {e}")))
}

/// `.**`: the descendants of `item` from `level` down, those within `levels` (inclusive,
/// `u32::MAX` unbounded) in document order, each before its own descendants; `{last}`
/// (both bounds `u32::MAX`) selects the scalars at any level, as PostgreSQL does.
fn descendants(item: &Jsonb, level: u32, levels: (u32, u32), out: &mut Vec<Jsonb>) {
    let children: Vec<&Jsonb> = match item {
        Jsonb::Array(a) => a.iter().collect(),
        Jsonb::Object(pairs) => pairs.iter().map(|(_, v)| v).collect(),
        _ => return,
    };
    for c in children {
        let leaves_only = levels == (u32::MAX, u32::MAX);
        let scalar = !matches!(c, Jsonb::Array(_) | Jsonb::Object(_));
        if (level >= levels.0 && level <= levels.1) || (leaves_only && scalar) {
            out.push(c.clone());
        }
        if level < levels.1 {
            descendants(c, level + 1, levels, out);
        }
    }
}

/// Walks `node` laid out as PostgreSQL's jsonb binary form from byte `offset` (relative to
/// the root container), noting the offset of every object equal to `target`: containers
/// are 4-byte aligned, with a 4-byte header and a 4-byte entry per element (two per pair),
/// then object keys, then the values; strings are their bytes, numerics 4-byte aligned
/// `numeric` varlenas, booleans and null take no data.
fn pg_offsets(node: &Jsonb, target: &Jsonb, offset: &mut usize, found: &mut Vec<usize>) {
    let align = |o: &mut usize| *o = o.div_ceil(4) * 4;
    match node {
        Jsonb::Null | Jsonb::Bool(_) => {}
        Jsonb::String(s) => *offset += s.len(),
        Jsonb::Number(n) => {
            align(offset);
            *offset += numeric_varlena_size(n);
        }
        Jsonb::Array(items) => {
            align(offset);
            *offset += 4 + 4 * items.len();
            for i in items {
                pg_offsets(i, target, offset, found);
            }
        }
        Jsonb::Object(pairs) => {
            align(offset);
            if node == target {
                found.push(*offset);
            }
            *offset += 4 + 8 * pairs.len();
            for (k, _) in pairs {
                *offset += k.len();
            }
            for (_, v) in pairs {
                pg_offsets(v, target, offset, found);
            }
        }
    }
}

/// The size of PostgreSQL's on-disk `numeric` for `n`: a 4-byte length, a 2-byte header (4
/// bytes when the weight or display scale does not fit the short form), 2 bytes per
/// base-10000 digit (leading and trailing zero digits dropped).
fn numeric_varlena_size(n: &BigDecimal) -> usize {
    let (digits, scale) = n.abs().as_bigint_and_exponent();
    let text = digits.to_string();
    let scale_digits = usize::try_from(scale.max(0)).unwrap_or(0);
    // Integer and fraction digits as decimal text.
    let (int_part, frac_part) = if scale >= 0 {
        let pad = scale_digits.saturating_sub(text.len());
        let full = format!("{}{text}", "0".repeat(pad + 1));
        let cut = full.len() - scale_digits;
        (full[..cut].to_string(), full[cut..].to_string())
    } else {
        let zeros = usize::try_from(-scale).unwrap_or(0);
        (format!("{text}{}", "0".repeat(zeros)), String::new())
    };
    let int_part = int_part.trim_start_matches('0');
    let int_groups = int_part.len().div_ceil(4);
    let int_text = format!("{}{int_part}", "0".repeat(int_groups * 4 - int_part.len()));
    let frac_groups = frac_part.len().div_ceil(4);
    let frac_text = format!(
        "{frac_part}{}",
        "0".repeat(frac_groups * 4 - frac_part.len())
    );
    let all = format!("{int_text}{frac_text}");
    let groups: Vec<&str> = (0..all.len() / 4).map(|i| &all[i * 4..i * 4 + 4]).collect();
    let lead = groups.iter().take_while(|g| **g == "0000").count();
    let trail = groups.iter().rev().take_while(|g| **g == "0000").count();
    let ndigits = groups.len().saturating_sub(lead + trail);
    let weight = if ndigits == 0 {
        0
    } else {
        int_groups as i64 - 1 - lead as i64
    };
    let short = scale_digits <= 63 && (-64..=63).contains(&weight);
    4 + if short { 2 } else { 4 } + 2 * ndigits
}

fn method(m: Method, item: Jsonb, strict: bool) -> Result<Jsonb> {
    let bad = |what: &str| {
        let code = if m == Method::Size { "22039" } else { "22036" };
        err(
            code,
            format!(
                "jsonpath item method .{}() can only be applied to {what}",
                m.name()
            ),
        )
    };
    Ok(match m {
        Method::Type => Jsonb::String(item.type_name().to_string()),
        Method::Size => match item {
            Jsonb::Array(a) => Jsonb::Number(BigDecimal::from(a.len() as i64)),
            _ if strict => return Err(bad("an array")),
            _ => Jsonb::Number(BigDecimal::from(1)),
        },
        Method::Double => {
            let f = match &item {
                Jsonb::Number(_) => number(&item).map(|n| n.to_f64()),
                Jsonb::String(s) => Some(
                    s.trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|f| f.is_finite())
                        .ok_or_else(|| {
                            err(
                                "22036",
                                "string argument of jsonpath item method .double() is not a valid representation of a double precision number",
                            )
                        })?,
                ),
                _ => None,
            }
            .ok_or_else(|| bad("a string or numeric value"))?;
            if !f.is_finite() {
                return Err(err(
                    "22036",
                    "numeric argument of jsonpath item method .double() is out of range for type double precision",
                ));
            }
            from_numeric(Numeric::from_f64(f)?)?
        }
        Method::Abs | Method::Floor | Method::Ceiling => {
            let n = number(&item).ok_or_else(|| bad("a numeric value"))?;
            from_numeric(match m {
                Method::Abs => n.abs(),
                Method::Floor => n.floor(),
                _ => n.ceil(),
            })?
        }
        Method::KeyValue => return Err(Error::Internal("keyvalue() is evaluated by Exec".into())),
    })
}
