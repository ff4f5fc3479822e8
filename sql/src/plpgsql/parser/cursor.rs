//! Cursors in a PL/pgSQL body, parsed as PL/pgSQL's grammar (`pl_gram.y`) reads them:
//!
//! ```text
//! name [[NO] SCROLL] CURSOR [(param type, ...)] {FOR | IS} query;
//! OPEN bound [(arg, ... | param := arg, ...)];
//! OPEN unbound [[NO] SCROLL] FOR {query | EXECUTE expr [USING expr, ...]};
//! FETCH [direction {FROM | IN}] cursor INTO target, ...;
//! MOVE [direction {FROM | IN}] cursor;
//! CLOSE cursor;
//! FOR rec IN bound [(args)] LOOP ... END LOOP;
//! ```
//!
//! Whether a name is a bound cursor decides how OPEN and FOR read on, so the parser keeps
//! the cursor variables declared in the enclosing blocks ([`Parser::cursor_vars`]). Errors
//! PostgreSQL finds here (argument counts, `cursor "c" has no arguments`) are 42601, as
//! there; a FETCH of several rows is 0A000, as there.

use super::super::ast::*;
use super::super::lexer::Tok;
use super::Parser;
use crate::{Error, Result};
use std::rc::Rc;

fn syntax(message: String) -> Error {
    Error::SyntaxError(message)
}

impl Parser<'_> {
    /// After a declaration's name: `[[NO] SCROLL] CURSOR ...`, if that is what follows.
    pub(super) fn cursor_decl(&mut self, name: &str) -> Result<Option<Decl>> {
        let no_scroll = self.peek_word("no")
            && self
                .toks
                .get(self.pos + 1)
                .is_some_and(|t| t.is_word("scroll"));
        if !(self.peek_word("cursor") || self.peek_word("scroll") || no_scroll) {
            return Ok(None);
        }
        let scroll = if no_scroll {
            self.pos += 2;
            Some(false)
        } else if self.eat_word("scroll") {
            Some(true)
        } else {
            None
        };
        self.expect_word("cursor")?;
        let mut params = Vec::new();
        if self.eat_op("(") {
            loop {
                let p = self.ident()?;
                let ty = self.text_until(&|t| t.is_op(",") || t.is_op(")"))?;
                params.push((p, ty));
                if !self.eat_op(",") {
                    break;
                }
            }
            self.expect_op(")")?;
        }
        if !self.eat_word("for") {
            self.expect_word("is")?;
        }
        let query = self.text_until(&|t| t.is_op(";"))?;
        self.expect_op(";")?;
        let decl = Rc::new(CursorDecl {
            scroll,
            params,
            query,
        });
        self.cursor_vars
            .push((name.to_string(), Some(decl.clone())));
        Ok(Some(Decl {
            name: name.to_string(),
            data_type: DeclType::Cursor(decl),
            constant: false,
            not_null: false,
            default: None,
        }))
    }

    /// The declaration of cursor variable `name` in scope: `Some(None)` for an unbound one
    /// (`refcursor`).
    fn cursor_var(&self, name: &str) -> Option<Option<Rc<CursorDecl>>> {
        self.cursor_vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, d)| d.clone())
    }

    /// `OPEN ...;` after OPEN.
    pub(super) fn open(&mut self) -> Result<Stmt> {
        let cursor = self.ident()?;
        if let Some(Some(decl)) = self.cursor_var(&cursor) {
            let args = self.cursor_args(&cursor, &decl)?;
            self.expect_op(";")?;
            return Ok(Stmt::Open {
                cursor,
                source: OpenSource::Bound(args),
            });
        }
        let no_scroll = self.peek_word("no")
            && self
                .toks
                .get(self.pos + 1)
                .is_some_and(|t| t.is_word("scroll"));
        let scroll = if no_scroll {
            self.pos += 2;
            Some(false)
        } else if self.eat_word("scroll") {
            Some(true)
        } else {
            None
        };
        if !self.eat_word("for") {
            return Err(self.expected("syntax error, expected \"FOR\""));
        }
        let query = if self.eat_word("execute") {
            let expr = self.text_until(&|t| t.is_op(";") || t.is_word("using"))?;
            let using = if self.eat_word("using") {
                self.using_list(&|t| t.is_op(";"))?
            } else {
                Vec::new()
            };
            QuerySource::Dynamic { expr, using }
        } else {
            QuerySource::Static(self.text_until(&|t| t.is_op(";"))?)
        };
        self.expect_op(";")?;
        Ok(Stmt::Open {
            cursor,
            source: OpenSource::Query { scroll, query },
        })
    }

    /// `message at or near "token"` (PostgreSQL's `yyerror`).
    fn expected(&self, message: &str) -> Error {
        match self.peek() {
            Some(t) => syntax(format!(
                "{message} at or near \"{}\"",
                &self.src[t.start..t.end]
            )),
            None => syntax(format!("{message} at end of input")),
        }
    }

    /// A bound cursor's arguments, `(a, b)` or `(p := a, q := b)`, in parameter order
    /// (PostgreSQL's `read_cursor_args`).
    fn cursor_args(&mut self, cursor: &str, decl: &CursorDecl) -> Result<Vec<String>> {
        let n = decl.params.len();
        if n == 0 {
            if self.peek_op("(") {
                return Err(syntax(format!("cursor \"{cursor}\" has no arguments")));
            }
            return Ok(Vec::new());
        }
        if !self.eat_op("(") {
            return Err(syntax(format!("cursor \"{cursor}\" has arguments")));
        }
        let mut values: Vec<Option<String>> = vec![None; n];
        for argc in 0..n {
            let named = matches!(
                self.peek().map(|t| &t.tok),
                Some(Tok::Word(_) | Tok::Quoted(_))
            ) && self.toks.get(self.pos + 1).is_some_and(|t| t.is_op(":="));
            let at = if named {
                let name = self.ident()?;
                self.pos += 1;
                let Some(i) = decl.params.iter().position(|(p, _)| *p == name) else {
                    return Err(syntax(format!(
                        "cursor \"{cursor}\" has no argument named \"{name}\""
                    )));
                };
                if values[i].is_some() {
                    return Err(syntax(format!(
                        "value for parameter \"{name}\" of cursor \"{cursor}\" specified more than once"
                    )));
                }
                i
            } else {
                argc
            };
            values[at] = Some(self.text_until(&|t| t.is_op(",") || t.is_op(")"))?);
            let comma = self.eat_op(",");
            if !comma {
                self.expect_op(")")?;
            }
            if argc < n - 1 && !comma {
                return Err(syntax(format!(
                    "not enough arguments for cursor \"{cursor}\""
                )));
            }
            if argc == n - 1 && comma {
                return Err(syntax(format!(
                    "too many arguments for cursor \"{cursor}\""
                )));
            }
        }
        values
            .into_iter()
            .map(|v| {
                v.ok_or_else(|| syntax(format!("not enough arguments for cursor \"{cursor}\"")))
            })
            .collect()
    }

    /// `FETCH ... INTO ...;` or `MOVE ...;` after the keyword (PostgreSQL's
    /// `read_fetch_direction`).
    pub(super) fn fetch(&mut self, is_move: bool) -> Result<Stmt> {
        let one = || Some("1".to_string());
        let mut check_from = true;
        let mut multiple = false;
        let direction = if self.eat_word("next") {
            FetchDirection::Forward(one())
        } else if self.eat_word("prior") {
            FetchDirection::Backward(one())
        } else if self.eat_word("first") {
            FetchDirection::Absolute("1".into())
        } else if self.eat_word("last") {
            FetchDirection::Absolute("-1".into())
        } else if self.eat_word("absolute") {
            check_from = false;
            FetchDirection::Absolute(self.count_from_in()?)
        } else if self.eat_word("relative") {
            check_from = false;
            FetchDirection::Relative(self.count_from_in()?)
        } else if self.eat_word("all") {
            multiple = true;
            FetchDirection::Forward(None)
        } else if self.eat_word("forward") {
            FetchDirection::Forward(self.direction_count(&mut check_from, &mut multiple)?)
        } else if self.eat_word("backward") {
            FetchDirection::Backward(self.direction_count(&mut check_from, &mut multiple)?)
        } else if self.eat_word("from") || self.eat_word("in") || self.cursor_name_ahead() {
            // no direction: FROM / IN, or the cursor's name right away
            check_from = false;
            FetchDirection::Forward(one())
        } else {
            check_from = false;
            multiple = true;
            FetchDirection::Forward(Some(self.count_from_in()?))
        };
        if check_from && !(self.eat_word("from") || self.eat_word("in")) {
            return Err(self.expected("expected FROM or IN"));
        }
        let cursor = self.ident()?;
        if is_move {
            self.expect_op(";")?;
            return Ok(Stmt::Fetch {
                cursor,
                direction,
                into: None,
            });
        }
        if multiple {
            // 0A000 in PostgreSQL too
            return Err(Error::FeatureNotSupported(
                "FETCH statement cannot return multiple rows".into(),
            ));
        }
        self.expect_word("into")?;
        let mut targets = vec![self.target()?];
        while self.eat_op(",") {
            targets.push(self.target()?);
        }
        self.expect_op(";")?;
        Ok(Stmt::Fetch {
            cursor,
            direction,
            into: Some(Into {
                targets,
                strict: false,
            }),
        })
    }

    /// A name then INTO or `;`: the cursor, with no direction before it.
    fn cursor_name_ahead(&self) -> bool {
        matches!(
            self.peek().map(|t| &t.tok),
            Some(Tok::Word(_) | Tok::Quoted(_))
        ) && self
            .toks
            .get(self.pos + 1)
            .is_some_and(|t| t.is_word("into") || t.is_op(";"))
    }

    /// A count expression ending at FROM or IN (consumed).
    fn count_from_in(&mut self) -> Result<String> {
        let e = self.text_until(&|t| t.is_word("from") || t.is_word("in"))?;
        self.pos += 1;
        Ok(e)
    }

    /// After FORWARD / BACKWARD: `FROM` (one row), `ALL` (`None`), or a count.
    fn direction_count(
        &mut self,
        check_from: &mut bool,
        multiple: &mut bool,
    ) -> Result<Option<String>> {
        if self.eat_word("from") || self.eat_word("in") {
            *check_from = false;
            return Ok(Some("1".into()));
        }
        *multiple = true;
        if self.eat_word("all") {
            return Ok(None);
        }
        *check_from = false;
        Ok(Some(self.count_from_in()?))
    }

    /// `CLOSE cursor;` after CLOSE.
    pub(super) fn close(&mut self) -> Result<Stmt> {
        let cursor = self.ident()?;
        self.expect_op(";")?;
        Ok(Stmt::Close(cursor))
    }

    /// After `FOR var IN`: a loop over cursor variable `cursor` if the next word is one.
    pub(super) fn cursor_loop(
        &mut self,
        label: &Option<String>,
        var: &str,
    ) -> Result<Option<Stmt>> {
        let cursor = match self.peek().map(|t| &t.tok) {
            Some(Tok::Word(w) | Tok::Quoted(w)) => w.clone(),
            _ => return Ok(None),
        };
        let Some(decl) = self.cursor_var(&cursor) else {
            return Ok(None);
        };
        self.pos += 1;
        let Some(decl) = decl else {
            return Err(syntax(
                "cursor FOR loop must use a bound cursor variable".into(),
            ));
        };
        let args = self.cursor_args(&cursor, &decl)?;
        self.expect_word("loop")?;
        let body = self.loop_body(label)?;
        Ok(Some(Stmt::ForCursor {
            label: label.clone(),
            var: var.to_string(),
            cursor,
            args,
            body,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    #[test]
    fn cursor_statements() {
        let b = parse(
            "DECLARE c CURSOR (p int) FOR SELECT p; u refcursor; r record; BEGIN
               OPEN c(p := 2); OPEN u SCROLL FOR EXECUTE 'SELECT 1' USING 1;
               FETCH LAST FROM u INTO r; FETCH u INTO r; MOVE BACKWARD ALL IN u;
               FETCH RELATIVE -1 FROM u INTO r;
               FOR r IN c(3) LOOP NULL; END LOOP; CLOSE u;
             END",
        )
        .unwrap();
        assert!(matches!(&b.decls[0].data_type, DeclType::Cursor(d) if d.params.len() == 1));
        assert!(
            matches!(&b.body[0], Stmt::Open { source: OpenSource::Bound(a), .. } if a == &["2"])
        );
        assert!(matches!(
            &b.body[1],
            Stmt::Open {
                source: OpenSource::Query {
                    scroll: Some(true),
                    query: QuerySource::Dynamic { .. }
                },
                ..
            }
        ));
        assert!(
            matches!(&b.body[2], Stmt::Fetch { direction: FetchDirection::Absolute(n), into: Some(_), .. } if n == "-1")
        );
        assert!(
            matches!(&b.body[3], Stmt::Fetch { direction: FetchDirection::Forward(Some(n)), .. } if n == "1")
        );
        assert!(matches!(
            &b.body[4],
            Stmt::Fetch {
                direction: FetchDirection::Backward(None),
                into: None,
                ..
            }
        ));
        assert!(
            matches!(&b.body[5], Stmt::Fetch { direction: FetchDirection::Relative(n), .. } if n == "-1")
        );
        assert!(matches!(&b.body[6], Stmt::ForCursor { args, .. } if args == &["3"]));
        assert!(matches!(&b.body[7], Stmt::Close(c) if c == "u"));
    }

    #[test]
    fn cursor_errors() {
        let err = |src: &str| parse(src).unwrap_err().to_string();
        assert_eq!(
            err("DECLARE c CURSOR FOR SELECT 1; BEGIN OPEN c(1); END"),
            "cursor \"c\" has no arguments"
        );
        assert_eq!(
            err("DECLARE c CURSOR (a int, b int) FOR SELECT a; BEGIN OPEN c(1); END"),
            "not enough arguments for cursor \"c\""
        );
        assert_eq!(
            err("DECLARE c refcursor; r record; BEGIN FETCH FORWARD 2 FROM c INTO r; END"),
            "FETCH statement cannot return multiple rows"
        );
        assert_eq!(
            err("DECLARE c refcursor; r record; BEGIN FOR r IN c LOOP END LOOP; END"),
            "cursor FOR loop must use a bound cursor variable"
        );
    }
}
