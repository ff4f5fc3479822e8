//! The statements of a PL/pgSQL body whose parsing is more than keywords: RAISE (level,
//! condition name or SQLSTATE, format with its `%` placeholders counted against the
//! arguments, USING options) and the statement that starts with neither a PL/pgSQL keyword
//! nor a label — an assignment `target := expr` or an embedded SQL statement, whose
//! `INTO [STRICT] targets` is cut out of the SQL text.

use super::super::ast::*;
use super::super::conditions;
use super::super::lexer::Tok;
use super::Parser;
use crate::{Error, Result};

impl Parser<'_> {
    pub(super) fn raise(&mut self) -> Result<Stmt> {
        if self.eat_op(";") {
            return Ok(Stmt::ReRaise);
        }
        let level = match self.peek().map(|t| t.tok.clone()) {
            Some(Tok::Word(w)) => {
                let l = match w.as_str() {
                    "debug" => Some(RaiseLevel::Debug),
                    "log" => Some(RaiseLevel::Log),
                    "info" => Some(RaiseLevel::Info),
                    "notice" => Some(RaiseLevel::Notice),
                    "warning" => Some(RaiseLevel::Warning),
                    "exception" => Some(RaiseLevel::Exception),
                    _ => None,
                };
                if l.is_some() {
                    self.pos += 1;
                }
                l.unwrap_or(RaiseLevel::Exception)
            }
            _ => RaiseLevel::Exception,
        };
        let mut condition = None;
        let mut format = None;
        let mut args = Vec::new();
        match self.peek().map(|t| t.tok.clone()) {
            Some(Tok::Str(s)) => {
                self.pos += 1;
                format = Some(s);
                while self.eat_op(",") {
                    args.push(
                        self.text_until(&|t| t.is_op(",") || t.is_op(";") || t.is_word("using"))?,
                    );
                }
            }
            Some(Tok::Word(w)) if w != "using" => {
                self.pos += 1;
                if w == "sqlstate" {
                    match self.peek().map(|t| t.tok.clone()) {
                        Some(Tok::Str(s)) => {
                            self.pos += 1;
                            condition = Some(s);
                        }
                        _ => return Err(self.error_here()),
                    }
                } else {
                    condition = Some(
                        conditions::code(&w)
                            .ok_or_else(|| {
                                Error::UndefinedObject(format!(
                                    "unrecognized exception condition \"{w}\""
                                ))
                            })?
                            .to_string(),
                    );
                }
            }
            _ => {}
        }
        let mut options = Vec::new();
        if self.eat_word("using") {
            loop {
                let name = self.ident()?;
                if !self.eat_op("=") {
                    self.expect_op(":=")?;
                }
                let e = self.text_until(&|t| t.is_op(",") || t.is_op(";"))?;
                options.push((name, e));
                if !self.eat_op(",") {
                    break;
                }
            }
        }
        self.expect_op(";")?;
        if let Some(f) = &format {
            let placeholders = count_placeholders(f);
            if placeholders > args.len() {
                return Err(Error::SyntaxError(
                    "too few parameters specified for RAISE".into(),
                ));
            }
            if placeholders < args.len() {
                return Err(Error::SyntaxError(
                    "too many parameters specified for RAISE".into(),
                ));
            }
        }
        Ok(Stmt::Raise {
            level,
            condition,
            format,
            args,
            options,
        })
    }

    /// `a[i][j] := expr;` or `a[lo:hi] := expr;` after the name `target`: the assignment
    /// `a := ` the subscripted assignment marker the SQL binder knows
    /// ([`crate::parse::subscript_assign`], slices of several dimensions included);
    /// `None` (nothing consumed that matters) for a qualified name, or no `:=` after the
    /// brackets.
    fn element_assignment(&mut self, target: &str) -> Result<Option<Stmt>> {
        if target.contains('.') {
            return Ok(None);
        }
        // Each subscript's lower and upper bound text (an index has only an upper one).
        let mut written: Vec<(Option<String>, Option<String>, bool)> = Vec::new();
        while self.eat_op("[") {
            let lower = if self.peek_op(":") {
                None
            } else {
                Some(self.text_until(&|t| t.is_op("]") || t.is_op(":"))?)
            };
            if self.eat_op(":") {
                let upper = if self.peek_op("]") {
                    None
                } else {
                    Some(self.text_until(&|t| t.is_op("]"))?)
                };
                written.push((lower, upper, true));
            } else {
                written.push((None, lower, false));
            }
            self.expect_op("]")?;
        }
        if !(self.eat_op(":=") || self.eat_op("=")) {
            return Ok(None);
        }
        let value = self.expr_semi()?;
        let mut subscripts = Vec::new();
        let kind = if written.iter().any(|w| w.2) {
            // A slice: an index `i` among slices is `1:i`, as in PostgreSQL.
            let (mut lower, mut upper) = (0u8, 0u8);
            let n = written.len();
            for (i, (lo, hi, slice)) in written.into_iter().enumerate().take(6) {
                let lo = if slice { lo } else { Some("1".to_string()) };
                if let Some(text) = lo {
                    lower |= 1 << i;
                    subscripts.push(format!("({text})"));
                }
                if let Some(text) = hi {
                    upper |= 1 << i;
                    subscripts.push(format!("({text})"));
                }
            }
            crate::parse::subscript_assign::slice_kind(n, lower, upper)
        } else {
            subscripts = written
                .into_iter()
                .filter_map(|(_, hi, _)| hi.map(|t| format!("({t})")))
                .collect();
            0
        };
        let expr = format!(
            "{}({target}, ({value}), {kind}{})",
            crate::parse::subscript_assign::MARKER,
            subscripts
                .iter()
                .map(|s| format!(", {s}"))
                .collect::<String>()
        );
        Ok(Some(Stmt::Assign {
            target: target.to_string(),
            expr,
        }))
    }

    /// `target := expr;` or an SQL statement (with INTO cut out).
    pub(super) fn assignment_or_sql(&mut self) -> Result<Stmt> {
        // An assignment: a (qualified) name, optionally subscripted, then := or =.
        let save = self.pos;
        if let Ok(target) = self.target() {
            if self.peek_op("[") {
                if let Some(stmt) = self.element_assignment(&target)? {
                    return Ok(stmt);
                }
                self.pos = save;
                let first = self.peek().map(|t| &self.src[t.start..t.end]).unwrap_or("");
                if !is_sql_keyword(first) {
                    return Err(Error::unsupported(
                        "assignment to a field's element is not supported",
                    ));
                }
            } else if self.eat_op(":=") || self.eat_op("=") {
                let expr = self.expr_semi()?;
                return Ok(Stmt::Assign { target, expr });
            }
        }
        self.pos = save;
        let Some(first) = self.peek().cloned() else {
            return Err(self.error_here());
        };
        let first_word = match &first.tok {
            Tok::Word(w) => w.clone(),
            _ => return Err(self.error_here()),
        };
        if !is_sql_keyword(&first_word) {
            return Err(self.error_here());
        }
        // The statement's tokens, and where INTO is.
        let start = self.pos;
        let mut depth = 0;
        let mut into_at = None;
        while let Some(t) = self.peek() {
            if depth == 0 && t.is_op(";") {
                break;
            }
            match &t.tok {
                Tok::Op(o) if o == "(" || o == "[" => depth += 1,
                Tok::Op(o) if o == ")" || o == "]" => depth -= 1,
                Tok::Word(w) if w == "into" && depth == 0 && into_at.is_none() => {
                    let prev = &self.toks[self.pos - 1];
                    if !(prev.is_word("insert") || prev.is_word("merge")) {
                        into_at = Some(self.pos);
                    }
                }
                _ => {}
            }
            self.pos += 1;
        }
        if self.pos >= self.toks.len() {
            return Err(Error::SyntaxError("syntax error at end of input".into()));
        }
        let end = self.pos; // the `;`
        self.pos += 1;
        let stmt_start = self.toks[start].start;
        let stmt_end = self.toks[end - 1].end;
        let Some(into_at) = into_at else {
            return Ok(Stmt::Sql {
                text: self.src[stmt_start..stmt_end].to_string(),
                into: None,
            });
        };
        // INTO [STRICT] a, b.c ...
        let mut i = into_at + 1;
        let strict = self.toks.get(i).is_some_and(|t| t.is_word("strict"));
        if strict {
            i += 1;
        }
        let mut targets = Vec::new();
        loop {
            let mut name = match self.toks.get(i).map(|t| t.tok.clone()) {
                Some(Tok::Word(w)) | Some(Tok::Quoted(w)) => w,
                _ => {
                    return Err(Error::SyntaxError(
                        "syntax error at or near \"INTO\"".into(),
                    ));
                }
            };
            i += 1;
            while self.toks.get(i).is_some_and(|t| t.is_op("."))
                && let Some(Tok::Word(w)) | Some(Tok::Quoted(w)) =
                    self.toks.get(i + 1).map(|t| t.tok.clone())
            {
                name.push('.');
                name.push_str(&w);
                i += 2;
            }
            targets.push(name);
            if self.toks.get(i).is_some_and(|t| t.is_op(",")) && i < end {
                i += 1;
            } else {
                break;
            }
        }
        let before = &self.src[stmt_start..self.toks[into_at].start];
        let after = if i < end {
            &self.src[self.toks[i].start..stmt_end]
        } else {
            ""
        };
        Ok(Stmt::Sql {
            text: format!("{} {after}", before.trim_end()).trim().to_string(),
            into: Some(Into { targets, strict }),
        })
    }
}

/// How many `%` placeholders a RAISE format has (`%%` is a literal percent).
pub fn count_placeholders(f: &str) -> usize {
    let mut n = 0;
    let mut chars = f.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '%' {
            if chars.peek() == Some(&'%') {
                chars.next();
            } else {
                n += 1;
            }
        }
    }
    n
}

/// Words that start an SQL statement PL/pgSQL runs as such.
pub(super) fn is_sql_keyword(w: &str) -> bool {
    matches!(
        w.to_ascii_lowercase().as_str(),
        "select"
            | "insert"
            | "update"
            | "delete"
            | "with"
            | "values"
            | "create"
            | "drop"
            | "alter"
            | "truncate"
            | "lock"
            | "notify"
            | "grant"
            | "revoke"
            | "comment"
            | "analyze"
            | "table"
            | "merge"
            | "set"
            | "reset"
            | "listen"
            | "unlisten"
            | "explain"
            | "refresh"
            | "call"
            | "commit"
            | "rollback"
    )
}
