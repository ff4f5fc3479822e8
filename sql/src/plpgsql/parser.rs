//! A PL/pgSQL body's text to its [`Block`]: a pure function over the text. PL/pgSQL's own
//! statements are parsed from [`super::lexer`] tokens; an expression or an embedded SQL
//! statement is the text up to the token that ends it (`;`, `THEN`, `LOOP`, `..`, ...) outside
//! parentheses, brackets and `CASE ... END`, as PL/pgSQL's `read_sql_construct` reads it.
//! Syntax errors are 42601 with PostgreSQL's `syntax error at or near "x"` wording; forms
//! Strata does not run (`COMMIT` in a procedure, ...) are 0A000.
//!
//! This file holds the parser's position, blocks, declarations and control-flow statements;
//! [`statements`] parses RAISE and the assignment-or-SQL statement (with its INTO),
//! [`cursor`] cursor declarations and OPEN / FETCH / MOVE / CLOSE.

use super::ast::*;
use super::conditions;
use super::lexer::{Tok, Token, tokenize};
use crate::{Error, Result};

mod cursor;
mod statements;
pub use statements::count_placeholders;

/// Parses a function body (`[DECLARE ...] BEGIN ... END [;]`).
pub fn parse(src: &str) -> Result<Block> {
    let (conflict, text) = super::conflict::options(src)?;
    let src = text.as_str();
    let mut p = Parser {
        src,
        toks: tokenize(src)?,
        pos: 0,
        cursor_vars: Vec::new(),
    };
    let mut block = p.block(None)?;
    block.conflict = conflict;
    p.eat_op(";");
    if p.pos < p.toks.len() {
        return Err(p.error_here());
    }
    Ok(block)
}

struct Parser<'s> {
    src: &'s str,
    toks: Vec<Token>,
    pos: usize,
    /// The cursor variables of the enclosing blocks, innermost last, with the declaration
    /// of a bound one (OPEN and FOR read on differently for those).
    cursor_vars: Vec<(String, Option<std::rc::Rc<CursorDecl>>)>,
}

/// Words that end a list of statements.
const ENDERS: &[&str] = &["end", "else", "elsif", "elseif", "when", "exception"];

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.pos)
    }

    fn peek_word(&self, w: &str) -> bool {
        self.peek().is_some_and(|t| t.is_word(w))
    }

    fn peek_op(&self, o: &str) -> bool {
        self.peek().is_some_and(|t| t.is_op(o))
    }

    fn eat_word(&mut self, w: &str) -> bool {
        if self.peek_word(w) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_op(&mut self, o: &str) -> bool {
        if self.peek_op(o) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn error_here(&self) -> Error {
        match self.peek() {
            Some(t) => Error::SyntaxError(format!(
                "syntax error at or near \"{}\"",
                &self.src[t.start..t.end]
            )),
            None => Error::SyntaxError("syntax error at end of input".into()),
        }
    }

    fn expect_word(&mut self, w: &str) -> Result<()> {
        if self.eat_word(w) {
            Ok(())
        } else {
            Err(self.error_here())
        }
    }

    fn expect_op(&mut self, o: &str) -> Result<()> {
        if self.eat_op(o) {
            Ok(())
        } else {
            Err(self.error_here())
        }
    }

    /// An identifier (a word or a quoted name).
    fn ident(&mut self) -> Result<String> {
        match self.peek().map(|t| t.tok.clone()) {
            Some(Tok::Word(w)) | Some(Tok::Quoted(w)) => {
                self.pos += 1;
                Ok(w)
            }
            _ => Err(self.error_here()),
        }
    }

    /// A name possibly qualified (`rec.field`, `label.var`), as written but lowercased.
    fn target(&mut self) -> Result<String> {
        let mut name = self.ident()?;
        while self.peek_op(".") {
            self.pos += 1;
            name.push('.');
            name.push_str(&self.ident()?);
        }
        Ok(name)
    }

    /// The text from here to the first token `stop` accepts outside parentheses, brackets
    /// and CASE ... END; the stopping token is not consumed.
    fn text_until(&mut self, stop: &dyn Fn(&Token) -> bool) -> Result<String> {
        let start = self.pos;
        let mut depth = 0i32;
        let mut case_depth = 0i32;
        while let Some(t) = self.peek() {
            if depth == 0 && case_depth == 0 && stop(t) {
                break;
            }
            match &t.tok {
                Tok::Op(o) if o == "(" || o == "[" => depth += 1,
                Tok::Op(o) if o == ")" || o == "]" => depth -= 1,
                Tok::Word(w) if w == "case" => case_depth += 1,
                Tok::Word(w) if w == "end" && case_depth > 0 => case_depth -= 1,
                _ => {}
            }
            self.pos += 1;
        }
        if self.pos >= self.toks.len() {
            return Err(Error::SyntaxError("syntax error at end of input".into()));
        }
        if self.pos == start {
            return Err(self.error_here());
        }
        let (a, b) = (self.toks[start].start, self.toks[self.pos - 1].end);
        Ok(self.src[a..b].to_string())
    }

    /// An expression ending at `;`.
    fn expr_semi(&mut self) -> Result<String> {
        let e = self.text_until(&|t| t.is_op(";"))?;
        self.expect_op(";")?;
        Ok(e)
    }

    /// An expression ending at the word `w` (consumed).
    fn expr_word(&mut self, w: &str) -> Result<String> {
        let e = self.text_until(&|t| t.is_word(w))?;
        self.expect_word(w)?;
        Ok(e)
    }

    fn block(&mut self, label: Option<String>) -> Result<Block> {
        let outer_cursors = self.cursor_vars.len();
        let b = self.block_in_scope(label);
        self.cursor_vars.truncate(outer_cursors);
        b
    }

    fn block_in_scope(&mut self, label: Option<String>) -> Result<Block> {
        let mut decls = Vec::new();
        while self.eat_word("declare") {
            while !self.peek_word("begin") && !self.peek_word("declare") {
                if self.peek().is_none() {
                    return Err(self.error_here());
                }
                decls.push(self.decl()?);
            }
        }
        self.expect_word("begin")?;
        let body = self.stmts()?;
        let mut handlers = Vec::new();
        if self.eat_word("exception") {
            while self.eat_word("when") {
                let mut conditions = vec![self.condition()?];
                while self.eat_word("or") {
                    conditions.push(self.condition()?);
                }
                self.expect_word("then")?;
                let body = self.stmts()?;
                handlers.push(Handler { conditions, body });
            }
            if handlers.is_empty() {
                return Err(self.error_here());
            }
        }
        self.expect_word("end")?;
        self.end_label(&label)?;
        Ok(Block {
            conflict: Default::default(),
            label,
            decls,
            body,
            handlers,
        })
    }

    /// An optional label after END / END LOOP, which must match the statement's.
    fn end_label(&mut self, label: &Option<String>) -> Result<()> {
        if let Some(Tok::Word(w)) | Some(Tok::Quoted(w)) = self.peek().map(|t| t.tok.clone())
            && !self.peek_op(";")
        {
            if label.as_deref() != Some(w.as_str()) {
                return Err(match label {
                    Some(l) => Error::SyntaxError(format!(
                        "end label \"{w}\" differs from block's label \"{l}\""
                    )),
                    None => Error::SyntaxError(format!(
                        "end label \"{w}\" specified for unlabeled block"
                    )),
                });
            }
            self.pos += 1;
        }
        Ok(())
    }

    /// One exception condition: a name, or `SQLSTATE 'xxxxx'`.
    fn condition(&mut self) -> Result<Option<String>> {
        let name = self.ident()?;
        if name == "sqlstate"
            && let Some(Tok::Str(s)) = self.peek().map(|t| t.tok.clone())
        {
            self.pos += 1;
            if s.len() != 5 || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(Error::SyntaxError(format!("invalid SQLSTATE code \"{s}\"")));
            }
            return Ok(Some(s));
        }
        if name == "others" {
            return Ok(None);
        }
        conditions::code(&name)
            .map(|c| Some(c.to_string()))
            .ok_or_else(|| {
                Error::UndefinedObject(format!("unrecognized exception condition \"{name}\""))
            })
    }

    fn decl(&mut self) -> Result<Decl> {
        let name = self.ident()?;
        if let Some(d) = self.cursor_decl(&name)? {
            return Ok(d);
        }
        if self.eat_word("alias") {
            self.expect_word("for")?;
            let target = match self.peek().map(|t| t.tok.clone()) {
                Some(Tok::Op(o)) if o.starts_with('$') => {
                    self.pos += 1;
                    o
                }
                _ => self.ident()?,
            };
            self.expect_op(";")?;
            return Ok(Decl {
                name,
                data_type: DeclType::Alias(target),
                constant: false,
                not_null: false,
                default: None,
            });
        }
        let constant = self.eat_word("constant");
        // The type: everything up to NOT NULL, DEFAULT, :=, = or ;.
        let type_text = self.text_until(&|t| {
            t.is_op(";")
                || t.is_op(":=")
                || t.is_op("=")
                || t.is_word("default")
                || t.is_word("not")
                || t.is_word("collate")
        })?;
        let lower = type_text.to_lowercase();
        let compact: String = lower.split_whitespace().collect::<Vec<_>>().join(" ");
        let data_type = if compact == "record" {
            DeclType::Record(None)
        } else if let Some(t) = compact.strip_suffix("%rowtype") {
            DeclType::Record(Some(t.trim().to_string()))
        } else if let Some(t) = compact.strip_suffix("%type") {
            DeclType::TypeOf(t.trim().to_string())
        } else if compact == "refcursor" {
            self.cursor_vars.push((name.clone(), None));
            DeclType::Named(type_text)
        } else {
            DeclType::Named(type_text)
        };
        if self.eat_word("collate") {
            self.ident()?;
        }
        let mut not_null = false;
        if self.eat_word("not") {
            self.expect_word("null")?;
            not_null = true;
        }
        let default = if self.eat_word("default") || self.eat_op(":=") || self.eat_op("=") {
            Some(self.text_until(&|t| t.is_op(";"))?)
        } else {
            None
        };
        self.expect_op(";")?;
        if constant && default.is_none() {
            return Err(Error::SyntaxError(
                "variable declared CONSTANT must have a default value".into(),
            ));
        }
        if not_null && default.is_none() {
            return Err(Error::SyntaxError(
                "variable declared NOT NULL must have a default value".into(),
            ));
        }
        Ok(Decl {
            name,
            data_type,
            constant,
            not_null,
            default,
        })
    }

    /// Statements up to END / ELSE / ELSIF / WHEN / EXCEPTION (not consumed).
    fn stmts(&mut self) -> Result<Vec<Stmt>> {
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(self.error_here()),
                Some(t) if ENDERS.iter().any(|e| t.is_word(e)) => {
                    // `END IF` etc. end an enclosing construct; a plain END ends the block.
                    return Ok(out);
                }
                _ => out.push(self.stmt()?),
            }
        }
    }

    fn stmt(&mut self) -> Result<Stmt> {
        let label = if self.eat_op("<<") {
            let l = self.ident()?;
            self.expect_op(">>")?;
            Some(l)
        } else {
            None
        };
        let Some(first) = self.peek().cloned() else {
            return Err(self.error_here());
        };
        let word = match &first.tok {
            Tok::Word(w) => w.clone(),
            Tok::Quoted(_) if label.is_none() => return self.assignment_or_sql(),
            _ => return Err(self.error_here()),
        };
        match word.as_str() {
            "declare" | "begin" => Ok(Stmt::Block(self.block_stmt(label)?)),
            "loop" => {
                self.pos += 1;
                let body = self.loop_body(&label)?;
                Ok(Stmt::Loop { label, body })
            }
            "while" => {
                self.pos += 1;
                let cond = self.expr_word("loop")?;
                let body = self.loop_body(&label)?;
                Ok(Stmt::While { label, cond, body })
            }
            "for" => {
                self.pos += 1;
                self.for_loop(label)
            }
            "foreach" => {
                self.pos += 1;
                let var = self.target()?;
                if self.peek_word("slice") {
                    return Err(Error::unsupported("FOREACH ... SLICE is not supported"));
                }
                self.expect_word("in")?;
                self.expect_word("array")?;
                let array = self.expr_word("loop")?;
                let body = self.loop_body(&label)?;
                Ok(Stmt::Foreach {
                    label,
                    var,
                    array,
                    body,
                })
            }
            _ if label.is_some() => Err(Error::SyntaxError(
                "a label must precede a block or a loop".into(),
            )),
            "if" => {
                self.pos += 1;
                self.if_stmt()
            }
            "case" => {
                self.pos += 1;
                self.case_stmt()
            }
            "exit" | "continue" => {
                self.pos += 1;
                let label = match self.peek().map(|t| t.tok.clone()) {
                    Some(Tok::Word(w)) if w != "when" => {
                        self.pos += 1;
                        Some(w)
                    }
                    Some(Tok::Quoted(w)) => {
                        self.pos += 1;
                        Some(w)
                    }
                    _ => None,
                };
                let cond = if self.eat_word("when") {
                    Some(self.text_until(&|t| t.is_op(";"))?)
                } else {
                    None
                };
                self.expect_op(";")?;
                Ok(Stmt::Exit {
                    is_continue: word == "continue",
                    label,
                    cond,
                })
            }
            "return" => {
                self.pos += 1;
                if self.eat_word("next") {
                    if self.eat_op(";") {
                        return Ok(Stmt::ReturnNext(None));
                    }
                    return Ok(Stmt::ReturnNext(Some(self.expr_semi()?)));
                }
                if self.eat_word("query") {
                    let q = self.query_source()?;
                    self.expect_op(";")?;
                    return Ok(Stmt::ReturnQuery(q));
                }
                if self.eat_op(";") {
                    return Ok(Stmt::Return(None));
                }
                Ok(Stmt::Return(Some(self.expr_semi()?)))
            }
            "perform" => {
                self.pos += 1;
                Ok(Stmt::Perform(self.expr_semi()?))
            }
            "null" if self.toks.get(self.pos + 1).is_some_and(|t| t.is_op(";")) => {
                self.pos += 2;
                Ok(Stmt::Null)
            }
            "raise" => {
                self.pos += 1;
                self.raise()
            }
            "get" => {
                self.pos += 1;
                let stacked = self.eat_word("stacked");
                if !stacked {
                    self.eat_word("current");
                }
                self.expect_word("diagnostics")?;
                let mut items = Vec::new();
                loop {
                    let target = self.target()?;
                    if !self.eat_op(":=") {
                        self.expect_op("=")?;
                    }
                    items.push((target, self.ident()?));
                    if !self.eat_op(",") {
                        break;
                    }
                }
                self.expect_op(";")?;
                Ok(Stmt::GetDiagnostics { stacked, items })
            }
            "execute" => {
                self.pos += 1;
                let expr =
                    self.text_until(&|t| t.is_op(";") || t.is_word("into") || t.is_word("using"))?;
                let mut into = None;
                let mut using = Vec::new();
                loop {
                    if self.eat_word("into") {
                        let strict = self.eat_word("strict");
                        let mut targets = vec![self.target()?];
                        while self.eat_op(",") {
                            targets.push(self.target()?);
                        }
                        into = Some(Into { targets, strict });
                    } else if self.eat_word("using") {
                        using = self.using_list(&|t| t.is_op(";") || t.is_word("into"))?;
                    } else {
                        break;
                    }
                }
                self.expect_op(";")?;
                Ok(Stmt::Execute { expr, into, using })
            }
            "open" | "fetch" | "move" | "close" => {
                self.pos += 1;
                match word.as_str() {
                    "open" => self.open(),
                    "close" => self.close(),
                    w => self.fetch(w == "move"),
                }
            }
            _ => self.assignment_or_sql(),
        }
    }

    /// Comma-separated expressions up to a token `stop` accepts.
    fn using_list(&mut self, stop: &dyn Fn(&Token) -> bool) -> Result<Vec<String>> {
        let mut out = vec![self.text_until(&|t| t.is_op(",") || stop(t))?];
        while self.eat_op(",") {
            out.push(self.text_until(&|t| t.is_op(",") || stop(t))?);
        }
        Ok(out)
    }

    fn block_stmt(&mut self, label: Option<String>) -> Result<Block> {
        let b = self.block(label)?;
        self.expect_op(";")?;
        Ok(b)
    }

    /// `... END LOOP [label];` after LOOP.
    fn loop_body(&mut self, label: &Option<String>) -> Result<Vec<Stmt>> {
        let body = self.stmts()?;
        self.expect_word("end")?;
        self.expect_word("loop")?;
        self.end_label(label)?;
        self.expect_op(";")?;
        Ok(body)
    }

    fn query_source(&mut self) -> Result<QuerySource> {
        if self.eat_word("execute") {
            let expr =
                self.text_until(&|t| t.is_op(";") || t.is_word("using") || t.is_word("loop"))?;
            let using = if self.eat_word("using") {
                self.using_list(&|t| t.is_op(";") || t.is_word("loop"))?
            } else {
                Vec::new()
            };
            return Ok(QuerySource::Dynamic { expr, using });
        }
        Ok(QuerySource::Static(
            self.text_until(&|t| t.is_op(";") || t.is_word("loop"))?,
        ))
    }

    fn for_loop(&mut self, label: Option<String>) -> Result<Stmt> {
        let var = self.target()?;
        if self.peek_op(",") {
            return Err(Error::unsupported(
                "FOR over a list of variables is not supported",
            ));
        }
        self.expect_word("in")?;
        if let Some(stmt) = self.cursor_loop(&label, &var)? {
            return Ok(stmt);
        }
        let reverse = self.eat_word("reverse");
        // A query starts with SELECT / WITH / VALUES / EXECUTE / (; otherwise a range.
        let is_query = self.peek().is_some_and(|t| {
            ["select", "with", "values", "execute", "table"]
                .iter()
                .any(|w| t.is_word(w))
        }) || (self.peek_op("(") && !self.range_ahead());
        if is_query && !reverse {
            let query = self.query_source()?;
            self.expect_word("loop")?;
            let body = self.loop_body(&label)?;
            return Ok(Stmt::ForQuery {
                label,
                var,
                query,
                body,
            });
        }
        let low = self.text_until(&|t| t.is_op(".."))?;
        self.expect_op("..")?;
        let high = self.text_until(&|t| t.is_word("by") || t.is_word("loop"))?;
        let step = if self.eat_word("by") {
            Some(self.text_until(&|t| t.is_word("loop"))?)
        } else {
            None
        };
        self.expect_word("loop")?;
        let body = self.loop_body(&label)?;
        Ok(Stmt::ForRange {
            label,
            var,
            reverse,
            low,
            high,
            step,
            body,
        })
    }

    /// Whether a `..` comes before LOOP at depth 0 (an integer range).
    fn range_ahead(&self) -> bool {
        let mut depth = 0;
        for t in &self.toks[self.pos..] {
            match &t.tok {
                Tok::Op(o) if o == "(" => depth += 1,
                Tok::Op(o) if o == ")" => depth -= 1,
                Tok::Op(o) if o == ".." && depth == 0 => return true,
                Tok::Word(w) if w == "loop" && depth == 0 => return false,
                _ => {}
            }
        }
        false
    }

    fn if_stmt(&mut self) -> Result<Stmt> {
        let mut arms = Vec::new();
        let cond = self.expr_word("then")?;
        arms.push((cond, self.stmts()?));
        let mut otherwise = Vec::new();
        loop {
            if self.eat_word("elsif") || self.eat_word("elseif") {
                let cond = self.expr_word("then")?;
                arms.push((cond, self.stmts()?));
            } else if self.eat_word("else") {
                otherwise = self.stmts()?;
            } else {
                break;
            }
        }
        self.expect_word("end")?;
        self.expect_word("if")?;
        self.expect_op(";")?;
        Ok(Stmt::If { arms, otherwise })
    }

    fn case_stmt(&mut self) -> Result<Stmt> {
        let subject = if self.peek_word("when") {
            None
        } else {
            Some(self.text_until(&|t| t.is_word("when"))?)
        };
        let mut arms = Vec::new();
        while self.eat_word("when") {
            let cond = self.expr_word("then")?;
            arms.push((cond, self.stmts()?));
        }
        if arms.is_empty() {
            return Err(self.error_here());
        }
        let otherwise = if self.eat_word("else") {
            Some(self.stmts()?)
        } else {
            None
        };
        self.expect_word("end")?;
        self.expect_word("case")?;
        self.expect_op(";")?;
        Ok(Stmt::Case {
            subject,
            arms,
            otherwise,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_control_flow() {
        let b = parse(
            "DECLARE x int := 1; r record; BEGIN
               IF x > 0 THEN RAISE NOTICE 'pos %', x; ELSIF x < 0 THEN x := -x; ELSE NULL; END IF;
               FOR i IN 1..10 BY 2 LOOP EXIT WHEN i > 5; END LOOP;
               FOR r IN SELECT * FROM t LOOP PERFORM 1; END LOOP;
               SELECT a, b INTO STRICT x, y FROM t WHERE id = 1;
               INSERT INTO t VALUES (1) RETURNING id INTO x;
               RETURN x + 1;
             EXCEPTION WHEN division_by_zero OR SQLSTATE '22003' THEN RETURN 0;
             END",
        )
        .unwrap();
        assert_eq!(b.decls.len(), 2);
        assert_eq!(b.body.len(), 6);
        assert!(matches!(&b.body[1], Stmt::ForRange { step: Some(s), .. } if s == "2"));
        assert!(matches!(&b.body[2], Stmt::ForQuery { .. }));
        match &b.body[3] {
            Stmt::Sql { text, into } => {
                assert_eq!(text, "SELECT a, b FROM t WHERE id = 1");
                assert_eq!(into.as_ref().unwrap().targets, ["x", "y"]);
                assert!(into.as_ref().unwrap().strict);
            }
            other => panic!("{other:?}"),
        }
        match &b.body[4] {
            Stmt::Sql { text, into } => {
                assert_eq!(text, "INSERT INTO t VALUES (1) RETURNING id");
                assert_eq!(into.as_ref().unwrap().targets, ["x"]);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            b.handlers[0].conditions,
            [Some("22012".to_string()), Some("22003".to_string())]
        );
    }

    #[test]
    fn syntax_errors() {
        assert!(matches!(
            parse("BEGIN x := ; END"),
            Err(Error::SyntaxError(_))
        ));
        assert!(matches!(
            parse("BEGIN IF x THEN END"),
            Err(Error::SyntaxError(_))
        ));
        assert!(matches!(
            parse("BEGIN RAISE NOTICE '% %', 1; END"),
            Err(Error::SyntaxError(_))
        ));
    }
}
