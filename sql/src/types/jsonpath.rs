//! SQL/JSON path language (`jsonpath`): the parser, for the common subset PostgreSQL 15
//! implements — `lax`/`strict` mode, `$`, `@`, `$var`, `last`, literals, member accessors
//! (`.key`, `."key"`, `.*`), array accessors (`[1]`, `[1 to last]`, `[*]`), filters
//! (`? (...)`), the recursive wildcard `.**` with optional levels (`.**{2}`, `.**{1 to last}`),
//! the item methods `type() size() double() abs() floor() ceiling() keyvalue()`,
//! arithmetic (`+ - * / %`, unary `-`/`+`), comparisons (`== != <> < <= > >=`), `&&`, `||`,
//! `!`, `exists (...)`, `starts with`, `like_regex` and `(...) is unknown`. `.datetime()`
//! parses but does not evaluate. Evaluation is [`crate::expr::jsonpath_exec`]'s.
//!
//! Syntax errors are 42601 with PostgreSQL's wording (`syntax error at or near "x" of
//! jsonpath input`).

use bigdecimal::BigDecimal;

use super::{Jsonb, Numeric};
use crate::{Error, Result};

/// A parsed path: its mode and expression.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath {
    pub strict: bool,
    pub expr: Node,
}

/// A path expression: a value-producing node (a sequence of items) or a predicate.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Root,
    Current,
    Var(String),
    Last,
    Literal(Jsonb),
    Key(Box<Node>, String),
    AnyKey(Box<Node>),
    /// `.**{first to last}`: the item and its descendants at those levels (the item itself
    /// is level 0; `u32::MAX` is `last`).
    AnyPath(Box<Node>, u32, u32),
    /// `[i, j to k, ...]`.
    Index(Box<Node>, Vec<(Node, Option<Node>)>),
    AnyIndex(Box<Node>),
    Filter(Box<Node>, Box<Node>),
    Method(Box<Node>, Method),
    /// `.datetime()` / `.datetime("template")`: parsed and printed; evaluating it is
    /// 0A000 (not supported).
    Datetime(Box<Node>, Option<String>),
    Arith(ArithOp, Box<Node>, Box<Node>),
    /// Unary minus (`true`) or plus.
    Unary(bool, Box<Node>),
    Compare(Cmp, Box<Node>, Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Not(Box<Node>),
    IsUnknown(Box<Node>),
    Exists(Box<Node>),
    StartsWith(Box<Node>, Box<Node>),
    LikeRegex(Box<Node>, String, String),
}

impl Node {
    /// Whether the node is a predicate (its value is true, false or unknown).
    pub fn is_predicate(&self) -> bool {
        matches!(
            self,
            Node::Compare(..)
                | Node::And(..)
                | Node::Or(..)
                | Node::Not(_)
                | Node::IsUnknown(_)
                | Node::Exists(_)
                | Node::StartsWith(..)
                | Node::LikeRegex(..)
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

impl ArithOp {
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Mod => "%",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Type,
    Size,
    Double,
    Abs,
    Floor,
    Ceiling,
    KeyValue,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Type => "type",
            Method::Size => "size",
            Method::Double => "double",
            Method::Abs => "abs",
            Method::Floor => "floor",
            Method::Ceiling => "ceiling",
            Method::KeyValue => "keyvalue",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Dollar,
    At,
    Var(String),
    Word(String),
    Str(String),
    Num(BigDecimal),
    Punct(&'static str),
}

impl Tok {
    fn text(&self) -> String {
        match self {
            Tok::Dollar => "$".into(),
            Tok::At => "@".into(),
            Tok::Var(v) => format!("${v}"),
            Tok::Word(w) => w.clone(),
            Tok::Str(s) => format!("\"{s}\""),
            Tok::Num(n) => n.to_string(),
            Tok::Punct(p) => (*p).into(),
        }
    }
}

fn syntax(near: Option<&Tok>) -> Error {
    Error::SyntaxError(match near {
        Some(t) => format!("syntax error at or near \"{}\" of jsonpath input", t.text()),
        None => "syntax error at end of jsonpath input".into(),
    })
}

const PUNCT: [&str; 25] = [
    "==", "!=", "<>", "<=", ">=", "&&", "||", "**", "<", ">", "!", ".", ",", "[", "]", "(", ")",
    "?", "*", "+", "-", "/", "%", "{", "}",
];

fn lex(s: &str) -> Result<Vec<Tok>> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let word_char = |c: char| c.is_alphanumeric() || c == '_';
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '$' {
            i += 1;
            if i < chars.len() && chars[i] == '"' {
                let (v, next) = lex_string(&chars, i)?;
                out.push(Tok::Var(v));
                i = next;
            } else {
                let start = i;
                while i < chars.len() && word_char(chars[i]) {
                    i += 1;
                }
                if i == start {
                    out.push(Tok::Dollar);
                } else {
                    out.push(Tok::Var(chars[start..i].iter().collect()));
                }
            }
        } else if c == '@' {
            out.push(Tok::At);
            i += 1;
        } else if c == '"' {
            let (v, next) = lex_string(&chars, i)?;
            out.push(Tok::Str(v));
            i = next;
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let (tok, next) = lex_number(&chars, i)?;
            out.push(tok);
            i = next;
        } else if word_char(c) {
            let start = i;
            while i < chars.len() && word_char(chars[i]) {
                i += 1;
            }
            out.push(Tok::Word(chars[start..i].iter().collect()));
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let p = PUNCT
                .iter()
                .find(|p| rest.starts_with(**p))
                .ok_or_else(|| syntax(Some(&Tok::Word(c.to_string()))))?;
            out.push(Tok::Punct(p));
            i += p.chars().count();
        }
    }
    Ok(out)
}

/// A number starting at `chars[at]`, as PostgreSQL's jsonpath scanner reads it: an
/// integer (`0` or no leading zero), an optional fraction (`1.`, `.5`, `1.5`) and
/// exponent. A number running into a letter or digit is "trailing junk" unless the whole
/// run of such characters is longer (then it is a word: `0755`, `1_000`), as flex's
/// longest match makes it.
fn lex_number(chars: &[char], at: usize) -> Result<(Tok, usize)> {
    let word_char = |i: usize| {
        chars
            .get(i)
            .is_some_and(|c| c.is_alphanumeric() || *c == '_')
    };
    let digit = |i: usize| chars.get(i).is_some_and(char::is_ascii_digit);
    let mut i = at;
    if chars[i] == '0' {
        i += 1;
    } else {
        while digit(i) {
            i += 1;
        }
    }
    let mut fraction = false;
    if chars.get(i) == Some(&'.') && (i > at || digit(i + 1)) {
        fraction = true;
        i += 1;
        while digit(i) {
            i += 1;
        }
    }
    let mut junk = None;
    if matches!(chars.get(i), Some('e' | 'E')) {
        let mut j = i + 1;
        if matches!(chars.get(j), Some('+' | '-')) {
            j += 1;
        }
        if digit(j) {
            i = j;
            while digit(i) {
                i += 1;
            }
        } else {
            junk = Some(j);
        }
    }
    if junk.is_none() && word_char(i) {
        junk = Some(i + 1);
    }
    let mut run = at;
    while !fraction && word_char(run) {
        run += 1;
    }
    if run > junk.unwrap_or(i) {
        return Ok((Tok::Word(chars[at..run].iter().collect()), run));
    }
    if let Some(j) = junk {
        let text: String = chars[at..j.min(chars.len())].iter().collect();
        return Err(Error::SyntaxError(format!(
            "trailing junk after numeric literal at or near \"{text}\" of jsonpath input"
        )));
    }
    let text: String = chars[at..i].iter().collect();
    let n = match Numeric::parse(&text) {
        Ok(Numeric::Finite(n)) => n,
        _ => return Err(syntax(None)),
    };
    Ok((Tok::Num(n), i))
}

/// A double-quoted string starting at `chars[at]`: its value and the index after it.
fn lex_string(chars: &[char], at: usize) -> Result<(String, usize)> {
    let mut i = at + 1;
    let mut s = String::new();
    while i < chars.len() {
        match chars[i] {
            '"' => return Ok((s, i + 1)),
            '\\' if i + 1 < chars.len() => {
                i += 1;
                match chars[i] {
                    'n' => s.push('\n'),
                    't' => s.push('\t'),
                    'r' => s.push('\r'),
                    'b' => s.push('\u{8}'),
                    'f' => s.push('\u{c}'),
                    'v' => s.push('\u{b}'),
                    'x' | 'u' => {
                        let (c, next) = escaped_char(chars, i)?;
                        s.push(c);
                        i = next - 1;
                    }
                    c => s.push(c),
                }
            }
            c => s.push(c),
        }
        i += 1;
    }
    Err(Error::SyntaxError(
        "unterminated quoted string at end of jsonpath input".into(),
    ))
}

/// `\xNN`, `\uNNNN` or `\u{N...}` at `chars[at]` (the letter after the backslash): the
/// character and the index after the escape.
fn escaped_char(chars: &[char], at: usize) -> Result<(char, usize)> {
    let hex_run = |from: usize, max: usize| {
        let mut j = from;
        while j < chars.len() && j - from < max && chars[j].is_ascii_hexdigit() {
            j += 1;
        }
        j
    };
    let (from, to, next) = match (chars[at], chars.get(at + 1)) {
        ('x', _) => {
            let to = hex_run(at + 1, 2);
            (at + 1, to, to)
        }
        ('u', Some('{')) => {
            let to = hex_run(at + 2, 6);
            if chars.get(to) != Some(&'}') {
                return Err(Error::SyntaxError(
                    "invalid Unicode escape sequence at or near of jsonpath input".into(),
                ));
            }
            (at + 2, to, to + 1)
        }
        _ => {
            let to = hex_run(at + 1, 4);
            (at + 1, to, to)
        }
    };
    let digits: String = chars[from..to].iter().collect();
    let want = if chars[at] == 'x' {
        1..=2
    } else if next == to {
        4..=4
    } else {
        1..=6
    };
    let code = u32::from_str_radix(&digits, 16)
        .ok()
        .filter(|_| want.contains(&digits.len()));
    match code.and_then(char::from_u32) {
        Some('\0') | None => Err(Error::SyntaxError(format!(
            "invalid {} escape sequence at or near \"\\{}\" of jsonpath input",
            if chars[at] == 'x' {
                "hexadecimal character"
            } else {
                "Unicode"
            },
            chars[at..next.min(chars.len())].iter().collect::<String>()
        ))),
        Some(c) => Ok((c, next)),
    }
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn is(&self, p: &str) -> bool {
        matches!(self.peek(), Some(Tok::Punct(q)) if *q == p)
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(x)) if x == w)
    }

    fn eat(&mut self, p: &str) -> bool {
        let yes = self.is(p);
        if yes {
            self.pos += 1;
        }
        yes
    }

    fn expect(&mut self, p: &str) -> Result<()> {
        if self.eat(p) {
            Ok(())
        } else {
            Err(syntax(self.peek()))
        }
    }

    fn or(&mut self) -> Result<Node> {
        let mut l = self.and()?;
        while self.is("||") {
            let l_ok = predicate(l, self)?;
            self.pos += 1;
            let r = self.and()?;
            l = Node::Or(Box::new(l_ok), Box::new(predicate(r, self)?));
        }
        Ok(l)
    }

    fn and(&mut self) -> Result<Node> {
        let mut l = self.not()?;
        while self.is("&&") {
            let l_ok = predicate(l, self)?;
            self.pos += 1;
            let r = self.not()?;
            l = Node::And(Box::new(l_ok), Box::new(predicate(r, self)?));
        }
        Ok(l)
    }

    fn not(&mut self) -> Result<Node> {
        if self.eat("!") {
            let inner = self.not()?;
            return Ok(Node::Not(Box::new(predicate(inner, self)?)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Node> {
        let l = self.additive()?;
        let op = match self.peek() {
            Some(Tok::Punct("==")) => Some(Cmp::Eq),
            Some(Tok::Punct("!=" | "<>")) => Some(Cmp::Ne),
            Some(Tok::Punct("<")) => Some(Cmp::Lt),
            Some(Tok::Punct("<=")) => Some(Cmp::Le),
            Some(Tok::Punct(">")) => Some(Cmp::Gt),
            Some(Tok::Punct(">=")) => Some(Cmp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.pos += 1;
            let r = self.additive()?;
            return Ok(Node::Compare(op, Box::new(l), Box::new(r)));
        }
        if self.is_word("starts") {
            self.pos += 1;
            if !self.is_word("with") {
                return Err(syntax(self.peek()));
            }
            self.pos += 1;
            let r = self.additive()?;
            return Ok(Node::StartsWith(Box::new(l), Box::new(r)));
        }
        if self.is_word("like_regex") {
            self.pos += 1;
            let Some(Tok::Str(pattern)) = self.peek().cloned() else {
                return Err(syntax(self.peek()));
            };
            self.pos += 1;
            let mut flags = String::new();
            if self.is_word("flag") {
                self.pos += 1;
                let Some(Tok::Str(f)) = self.peek().cloned() else {
                    return Err(syntax(self.peek()));
                };
                self.pos += 1;
                flags = f;
            }
            return Ok(Node::LikeRegex(Box::new(l), pattern, flags));
        }
        Ok(l)
    }

    fn additive(&mut self) -> Result<Node> {
        let mut l = self.multiplicative()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Punct("+")) => ArithOp::Add,
                Some(Tok::Punct("-")) => ArithOp::Sub,
                _ => return Ok(l),
            };
            self.pos += 1;
            let r = self.multiplicative()?;
            l = Node::Arith(op, Box::new(l), Box::new(r));
        }
    }

    fn multiplicative(&mut self) -> Result<Node> {
        let mut l = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Punct("*")) => ArithOp::Mul,
                Some(Tok::Punct("/")) => ArithOp::Div,
                Some(Tok::Punct("%")) => ArithOp::Mod,
                _ => return Ok(l),
            };
            self.pos += 1;
            let r = self.unary()?;
            l = Node::Arith(op, Box::new(l), Box::new(r));
        }
    }

    /// Unary `-` / `+`; on a bare number it folds into the literal, as PostgreSQL's
    /// grammar does (`-1` is the number -1, `+1` is 1).
    fn unary(&mut self) -> Result<Node> {
        for (sym, neg) in [("-", true), ("+", false)] {
            if self.eat(sym) {
                return Ok(match self.unary()? {
                    Node::Literal(Jsonb::Number(n)) if neg => Node::Literal(Jsonb::Number(-n)),
                    n @ Node::Literal(Jsonb::Number(_)) => n,
                    n => Node::Unary(neg, Box::new(n)),
                });
            }
        }
        self.accessors()
    }

    fn accessors(&mut self) -> Result<Node> {
        let mut node = self.primary()?;
        loop {
            if self.eat(".") {
                node = match self.peek().cloned() {
                    Some(Tok::Punct("*")) => {
                        self.pos += 1;
                        Node::AnyKey(Box::new(node))
                    }
                    Some(Tok::Punct("**")) => {
                        self.pos += 1;
                        let (first, last) = self.any_path_levels()?;
                        Node::AnyPath(Box::new(node), first, last)
                    }
                    Some(Tok::Str(k)) => {
                        self.pos += 1;
                        Node::Key(Box::new(node), k)
                    }
                    Some(Tok::Word(w)) => {
                        self.pos += 1;
                        if self.is("(") && w == "datetime" {
                            self.pos += 1;
                            let template = match self.peek().cloned() {
                                Some(Tok::Str(t)) => {
                                    self.pos += 1;
                                    Some(t)
                                }
                                _ => None,
                            };
                            self.expect(")")?;
                            Node::Datetime(Box::new(node), template)
                        } else if self.is("(") {
                            let m = match w.as_str() {
                                "type" => Method::Type,
                                "size" => Method::Size,
                                "double" => Method::Double,
                                "abs" => Method::Abs,
                                "floor" => Method::Floor,
                                "ceiling" => Method::Ceiling,
                                "keyvalue" => Method::KeyValue,
                                _ => return Err(syntax(self.peek())),
                            };
                            self.pos += 1;
                            self.expect(")")?;
                            Node::Method(Box::new(node), m)
                        } else {
                            Node::Key(Box::new(node), w)
                        }
                    }
                    other => return Err(syntax(other.as_ref())),
                };
            } else if self.eat("[") {
                if self.eat("*") {
                    self.expect("]")?;
                    node = Node::AnyIndex(Box::new(node));
                    continue;
                }
                let mut subs = Vec::new();
                loop {
                    let from = self.additive()?;
                    let to = if self.is_word("to") {
                        self.pos += 1;
                        Some(self.additive()?)
                    } else {
                        None
                    };
                    subs.push((from, to));
                    if !self.eat(",") {
                        break;
                    }
                }
                self.expect("]")?;
                node = Node::Index(Box::new(node), subs);
            } else if self.is("?") {
                self.pos += 1;
                self.expect("(")?;
                let p = self.or()?;
                let p = predicate(p, self)?;
                self.expect(")")?;
                node = Node::Filter(Box::new(node), Box::new(p));
            } else {
                return Ok(node);
            }
        }
    }

    /// The optional `{n}` / `{n to m}` after `.**` (`last` for a level is `u32::MAX`);
    /// without it, every level.
    fn any_path_levels(&mut self) -> Result<(u32, u32)> {
        if !self.eat("{") {
            return Ok((0, u32::MAX));
        }
        let first = self.level()?;
        let last = if self.is_word("to") {
            self.pos += 1;
            self.level()?
        } else {
            first
        };
        self.expect("}")?;
        Ok((first, last))
    }

    fn level(&mut self) -> Result<u32> {
        let t = self.peek().cloned();
        let n = match &t {
            Some(Tok::Word(w)) if w == "last" => u32::MAX,
            Some(Tok::Num(n)) => n
                .to_string()
                .parse::<u32>()
                .map_err(|_| syntax(t.as_ref()))?,
            _ => return Err(syntax(t.as_ref())),
        };
        self.pos += 1;
        Ok(n)
    }

    fn primary(&mut self) -> Result<Node> {
        let Some(t) = self.peek().cloned() else {
            return Err(syntax(None));
        };
        self.pos += 1;
        Ok(match t {
            Tok::Dollar => Node::Root,
            Tok::At => Node::Current,
            Tok::Var(v) => Node::Var(v),
            Tok::Num(n) => Node::Literal(Jsonb::Number(n)),
            Tok::Str(s) => Node::Literal(Jsonb::String(s)),
            Tok::Word(w) => match w.as_str() {
                "true" => Node::Literal(Jsonb::Bool(true)),
                "false" => Node::Literal(Jsonb::Bool(false)),
                "null" => Node::Literal(Jsonb::Null),
                "last" => Node::Last,
                "exists" => {
                    self.expect("(")?;
                    let e = self.or()?;
                    self.expect(")")?;
                    Node::Exists(Box::new(e))
                }
                _ => return Err(syntax(Some(&Tok::Word(w)))),
            },
            Tok::Punct("(") => {
                let e = self.or()?;
                self.expect(")")?;
                if self.is_word("is") {
                    self.pos += 1;
                    if !self.is_word("unknown") {
                        return Err(syntax(self.peek()));
                    }
                    self.pos += 1;
                    return Ok(Node::IsUnknown(Box::new(predicate(e, self)?)));
                }
                e
            }
            other => return Err(syntax(Some(&other))),
        })
    }
}

/// `e` where a predicate is required: a syntax error at the next token otherwise.
fn predicate(e: Node, p: &Parser) -> Result<Node> {
    if e.is_predicate() {
        Ok(e)
    } else {
        Err(syntax(p.peek()))
    }
}

/// Parses a jsonpath text.
pub fn parse(s: &str) -> Result<JsonPath> {
    let toks = lex(s)?;
    let mut p = Parser { toks, pos: 0 };
    let strict = if p.is_word("strict") {
        p.pos += 1;
        true
    } else {
        if p.is_word("lax") {
            p.pos += 1;
        }
        false
    };
    let expr = p.or()?;
    if p.pos < p.toks.len() {
        return Err(syntax(p.peek()));
    }
    Ok(JsonPath { strict, expr })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_common_forms() {
        for ok in [
            "$",
            "$.a.b[0]",
            "strict $.a[*] ? (@ > 1 && @ < $max)",
            "lax $.\"a b\"[1 to last, 0]",
            "$.a.size() + 1",
            "exists($.a ? (@.b starts with \"x\"))",
            "($.a > 1) is unknown",
            "!(@ == 1) || @ != 2",
            "-$.a * 2 / 3",
        ] {
            parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in ["", "$.", "$ ?", "$ && 1", "$[1", "$.a.nosuch()", "1a"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
