//! Parsing SQL text into statements: `sqlparser` ([`super::StrataDialect`]), plus the few
//! statement forms it does not know, parsed here with its tokenizer — `ALTER SEQUENCE`,
//! and `VACUUM` / `ANALYZE` with PostgreSQL's full syntax (pgbench sends
//! `vacuum analyze pgbench_branches`, which `sqlparser` refuses).

use crate::{Error, Result};
use sqlparser::ast;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

/// One parsed statement.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // almost every statement is `Sql`
pub enum Statement {
    Sql(ast::Statement),
    /// `DO [LANGUAGE name] 'body'`: an anonymous PL/pgSQL block (sqlparser has no DO).
    Do {
        body: String,
        language: Option<String>,
    },
    AlterSequence(AlterSequence),
    /// `VACUUM` and/or `ANALYZE` of some tables (all when empty).
    Maintenance(Maintenance),
    /// `CREATE TABLE name (col, ...) AS query`: column names without types, which
    /// `sqlparser` refuses.
    CreateTableAs(CreateTableAs),
    /// `COPY ... FROM STDIN | TO STDOUT`, parsed by [`crate::copy::statement`] (sqlparser
    /// misses some of its forms).
    Copy(crate::copy::CopyStatement),
    /// `REASSIGN OWNED BY ... TO ...` ([`super::owned`]).
    ReassignOwned(super::owned::ReassignOwned),
    /// `DROP OWNED BY ...` ([`super::owned`]).
    DropOwned(super::owned::DropOwned),
    /// `CREATE DOMAIN` ([`super::domain`]).
    CreateDomain(super::domain::CreateDomain),
    /// `ALTER DOMAIN` ([`super::domain`]).
    AlterDomain(super::domain::AlterDomain),
    /// `ALTER DATABASE name SET ... | RESET ...` (read with sqlparser's ALTER ROLE syntax,
    /// which sqlparser has no ALTER DATABASE for).
    AlterDatabase {
        name: ast::Ident,
        operation: ast::AlterRoleOperation,
    },
    /// `ALTER INDEX IF EXISTS name RENAME TO new` (sqlparser has no IF EXISTS there).
    RenameIndexIfExists {
        name: ast::ObjectName,
        new_name: ast::ObjectName,
    },
    /// `DECLARE`, `FETCH`, `MOVE`, `CLOSE` ([`super::cursor`]).
    Cursor(super::cursor::CursorCommand),
    /// `CHECKPOINT`, `CLUSTER`, `REINDEX` ([`super::utility`]).
    Utility(super::utility::Utility),
    /// `CREATE [OR REPLACE] PROCEDURE`, read as a `CREATE FUNCTION` without `RETURNS`
    /// ([`super::procedure`]).
    CreateProcedure(Box<ast::CreateFunction>),
    /// `DROP ROUTINE`: `DROP FUNCTION` for a function or a procedure.
    DropRoutine(ast::DropFunction),
    /// `ALTER PROCEDURE | ROUTINE ...`, read as `ALTER FUNCTION` (`procedure`: `Some(true)`
    /// for PROCEDURE, `None` for ROUTINE).
    AlterRoutine {
        procedure: Option<bool>,
        alter: ast::AlterFunction,
    },
    /// `COMMENT ON FUNCTION | PROCEDURE | ROUTINE name[(types)] IS 'text' | NULL`
    /// (`procedure`: `Some(false)` for FUNCTION, `Some(true)` for PROCEDURE).
    CommentOnRoutine {
        procedure: Option<bool>,
        func: ast::FunctionDesc,
        text: Option<String>,
    },
    /// `CREATE SCHEMA name [AUTHORIZATION role] element ...`: the CREATE TABLE / VIEW /
    /// INDEX / SEQUENCE / TRIGGER and GRANT statements run inside the new schema.
    CreateSchemaElements {
        create: ast::Statement,
        elements: Vec<ast::Statement>,
    },
}

/// `CREATE [UNLOGGED] TABLE [IF NOT EXISTS] name (column, ...) AS query [WITH [NO] DATA]`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateTableAs {
    pub name: ast::ObjectName,
    pub if_not_exists: bool,
    pub temporary: bool,
    pub columns: Vec<ast::Ident>,
    pub query: Box<ast::Query>,
    pub with_data: bool,
}

/// `ALTER SEQUENCE [IF EXISTS] name ...`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlterSequence {
    pub if_exists: bool,
    pub name: ast::ObjectName,
    pub action: AlterSequenceAction,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AlterSequenceAction {
    /// Options as in CREATE SEQUENCE, plus `RESTART [[WITH] n]` (`Restart`).
    Options(Vec<SequenceOption>),
    RenameTo(ast::Ident),
    SetSchema(ast::Ident),
    OwnerTo(ast::Owner),
    /// `SET LOGGED / UNLOGGED`: accepted, nothing to change.
    Accepted,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SequenceOption {
    Create(ast::SequenceOptions),
    Restart(Option<ast::Expr>),
}

/// `VACUUM [FULL] [FREEZE] [VERBOSE] [ANALYZE] [(options)] [tables]` or `ANALYZE [VERBOSE]
/// [tables]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Maintenance {
    pub vacuum: bool,
    pub analyze: bool,
    pub tables: Vec<ast::ObjectName>,
}

fn syntax(e: ParserError) -> Error {
    let msg = e.to_string();
    Error::SyntaxError(
        msg.strip_prefix("sql parser error: ")
            .unwrap_or(&msg)
            .to_string(),
    )
}

/// Parses every statement of `sql`. A string holding a COPY is cut into statements and
/// its COPYs are parsed by hand.
pub fn parse(sql: &str) -> Result<Vec<Statement>> {
    let first = parse_statements(sql);
    if let Ok(statements) = &first
        && !statements
            .iter()
            .any(|s| matches!(s, Statement::Sql(ast::Statement::Copy { .. })))
    {
        return first;
    }
    let pieces = crate::copy::statement::split(sql)?;
    if !pieces.iter().any(|p| crate::copy::statement::is_copy(p)) {
        return first;
    }
    let mut out = Vec::new();
    for piece in pieces {
        if crate::copy::statement::is_copy(&piece) {
            out.push(Statement::Copy(crate::copy::statement::parse(&piece)?));
        } else {
            out.extend(parse_statements(&piece)?);
        }
    }
    Ok(out)
}

/// The rest of `DO [LANGUAGE name] 'body' [LANGUAGE name]`.
fn do_block(p: &mut Parser) -> std::result::Result<Statement, ParserError> {
    let mut body = None;
    let mut language = None;
    loop {
        if p.parse_keyword(Keyword::LANGUAGE) {
            language = Some(p.parse_identifier()?.value.to_lowercase());
            continue;
        }
        if body.is_none() {
            let t = p.next_token();
            match t.token {
                Token::SingleQuotedString(s) => body = Some(s),
                Token::DollarQuotedString(d) => body = Some(d.value),
                _ => return p.expected("a string", t),
            }
            continue;
        }
        break;
    }
    Ok(Statement::Do {
        body: body.unwrap_or_default(),
        language,
    })
}

/// Parses every statement of `sql` (COPY as sqlparser reads it).
fn parse_statements(sql: &str) -> Result<Vec<Statement>> {
    let dialect = super::StrataDialect::for_sql(sql);
    let rewritten = super::exclude::rewrite(&dialect, sql);
    let sql = rewritten.as_deref().unwrap_or(sql);
    let mut tokens = sqlparser::tokenizer::Tokenizer::new(&dialect, sql)
        .with_unescape(true)
        .tokenize_with_location()
        .map_err(|e| syntax(e.into()))?;
    comment_dollar_strings(&mut tokens);
    drop_index_concurrently(&mut tokens);
    local_session_authorization(&mut tokens);
    recursive_view(&mut tokens);
    trigger_arguments(&mut tokens);
    super::routine_options::rewrite(&mut tokens);
    parenthesize_frame_offsets(&mut tokens);
    all_column_privileges(&mut tokens);
    super::utility::set_statistics(&mut tokens);
    super::utility::drop_expression(&mut tokens);
    super::utility::reset_time_zone(&mut tokens);
    super::group_by::rewrite(&mut tokens);
    super::locking::rewrite(&mut tokens);
    super::merge::rewrite(&mut tokens);
    super::search_cycle::rewrite(&mut tokens);
    super::subscript_assign::rewrite(&mut tokens);
    super::insert_subscripts::rewrite(&mut tokens);
    super::table_like::rewrite(&mut tokens);
    super::rows_from::rewrite(&mut tokens);
    super::transaction_modes::drop_deferrable(&mut tokens);
    let mut p = Parser::new(&dialect).with_tokens_with_locations(tokens);
    let mut out = Vec::new();
    let mut expect_delimiter = false;
    loop {
        while p.consume_token(&Token::SemiColon) {
            expect_delimiter = false;
        }
        if p.peek_token().token == Token::EOF {
            break;
        }
        if expect_delimiter {
            let found = p.peek_token();
            return Err(syntax(
                p.expected::<()>("end of statement", found)
                    .expect_err("expected() always fails"),
            ));
        }
        let stmt = if p.parse_keyword(Keyword::DO) {
            do_block(&mut p).map_err(syntax)?
        } else if super::owned::starts_reassign(&mut p) {
            Statement::ReassignOwned(super::owned::reassign(&mut p).map_err(syntax)?)
        } else if super::owned::starts_drop(&mut p) {
            Statement::DropOwned(super::owned::drop(&mut p).map_err(syntax)?)
        } else if p.parse_keywords(&[Keyword::CREATE, Keyword::DOMAIN]) {
            Statement::CreateDomain(super::domain::create(&mut p).map_err(syntax)?)
        } else if p.parse_keywords(&[Keyword::ALTER, Keyword::DOMAIN]) {
            Statement::AlterDomain(super::domain::alter(&mut p).map_err(syntax)?)
        } else if p.parse_keywords(&[Keyword::ALTER, Keyword::INDEX, Keyword::IF, Keyword::EXISTS])
        {
            let name = p.parse_object_name(false).map_err(syntax)?;
            p.expect_keywords(&[Keyword::RENAME, Keyword::TO])
                .map_err(syntax)?;
            let new_name = p.parse_object_name(false).map_err(syntax)?;
            Statement::RenameIndexIfExists { name, new_name }
        } else if p.parse_keywords(&[Keyword::ALTER, Keyword::DATABASE]) {
            let mut stmt = p.parse_alter_role().map_err(syntax)?;
            role_setting_list(&mut p, &mut stmt).map_err(syntax)?;
            match stmt {
                ast::Statement::AlterRole {
                    name,
                    operation:
                        operation @ (ast::AlterRoleOperation::Set {
                            in_database: None, ..
                        }
                        | ast::AlterRoleOperation::Reset {
                            in_database: None, ..
                        }),
                } => Statement::AlterDatabase { name, operation },
                _ => {
                    return Err(Error::unsupported(
                        "ALTER DATABASE is supported only with SET and RESET",
                    ));
                }
            }
        } else if p.parse_keywords(&[Keyword::ALTER, Keyword::SEQUENCE]) {
            Statement::AlterSequence(alter_sequence(&mut p).map_err(syntax)?)
        } else if p.parse_keyword(Keyword::VACUUM) {
            Statement::Maintenance(maintenance(&mut p, true).map_err(syntax)?)
        } else if p.parse_keyword(Keyword::ANALYZE) {
            Statement::Maintenance(maintenance(&mut p, false).map_err(syntax)?)
        } else if is_create_user(&p) {
            // CREATE USER is CREATE ROLE with LOGIN by default (sqlparser reads another
            // dialect's CREATE USER).
            p.advance_token();
            p.advance_token();
            let mut c = p
                .parse_create_role(ast::RoleKeyword::Role)
                .map_err(syntax)?;
            c.login = Some(c.login.unwrap_or(true));
            Statement::Sql(ast::Statement::CreateRole(c))
        } else if p.peek_keyword(Keyword::TABLE) {
            // `TABLE name`: PostgreSQL's `SELECT * FROM name`.
            Statement::Sql(ast::Statement::Query(p.parse_query().map_err(syntax)?))
        } else if super::utility::starts(&p) {
            Statement::Utility(super::utility::parse(&mut p).map_err(syntax)?)
        } else if super::procedure::starts(&p) {
            super::procedure::parse(&mut p).map_err(syntax)?
        } else if super::cursor::starts(&p) {
            Statement::Cursor(super::cursor::parse(&mut p).map_err(syntax)?)
        } else if is_ctas_with_names(&p) {
            Statement::CreateTableAs(create_table_as(&mut p).map_err(syntax)?)
        } else {
            let mut stmt = p.parse_statement().map_err(syntax)?;
            role_setting_list(&mut p, &mut stmt).map_err(syntax)?;
            schema_elements(&mut p, stmt)?
        };
        out.push(stmt);
        expect_delimiter = true;
    }
    Ok(out)
}

/// A CREATE SCHEMA followed by schema elements (`CREATE ...`, `GRANT ...` before the
/// statement's end) becomes [`Statement::CreateSchemaElements`]; any other statement is
/// returned as it is.
fn schema_elements(p: &mut Parser, stmt: ast::Statement) -> Result<Statement> {
    let starts_element =
        |p: &Parser| p.peek_keyword(Keyword::CREATE) || p.peek_keyword(Keyword::GRANT);
    let ast::Statement::CreateSchema { if_not_exists, .. } = &stmt else {
        return Ok(Statement::Sql(stmt));
    };
    if !starts_element(p) {
        return Ok(Statement::Sql(stmt));
    }
    if *if_not_exists {
        return Err(Error::unsupported(
            "CREATE SCHEMA IF NOT EXISTS cannot include schema elements",
        ));
    }
    let mut elements = Vec::new();
    while starts_element(p) {
        elements.push(p.parse_statement().map_err(syntax)?);
    }
    Ok(Statement::CreateSchemaElements {
        create: stmt,
        elements,
    })
}

/// `ALTER ROLE r SET search_path = a, b`: sqlparser reads one value; the rest of the list
/// joins it as a tuple (`(a, b)`), which the DDL flattens as SET flattens a list.
fn role_setting_list(
    p: &mut Parser,
    stmt: &mut ast::Statement,
) -> std::result::Result<(), ParserError> {
    let ast::Statement::AlterRole {
        operation:
            ast::AlterRoleOperation::Set {
                config_value: ast::SetConfigValue::Value(first),
                ..
            },
        ..
    } = stmt
    else {
        return Ok(());
    };
    if p.peek_token().token != Token::Comma {
        return Ok(());
    }
    let mut values = vec![first.clone()];
    while p.consume_token(&Token::Comma) {
        values.push(p.parse_expr()?);
    }
    *first = ast::Expr::Tuple(values);
    Ok(())
}

/// `COMMENT ON ... IS $$text$$`: sqlparser takes only a quoted string after IS, so a
/// dollar-quoted string there (no expression may follow IS otherwise) becomes one.
fn comment_dollar_strings(tokens: &mut [sqlparser::tokenizer::TokenWithSpan]) {
    let mut previous_is = false;
    for t in tokens.iter_mut() {
        match &t.token {
            Token::Whitespace(_) => continue,
            Token::DollarQuotedString(d) if previous_is => {
                t.token = Token::SingleQuotedString(d.value.clone());
            }
            _ => {}
        }
        previous_is = matches!(&t.token, Token::Word(w) if w.keyword == Keyword::IS);
    }
}

/// `DROP INDEX CONCURRENTLY`: sqlparser refuses the word. An index drop here is a catalog
/// change that never holds up other tables' commits, so the word changes nothing and goes
/// (also inside a transaction block, which PostgreSQL refuses).
/// A trigger's arguments (`EXECUTE FUNCTION f('a', 1)`) are literals, which sqlparser
/// refuses where it expects parameter types: each becomes a quoted word (read back as the
/// argument's text by `ddl/trigger.rs`).
fn trigger_arguments(tokens: &mut [sqlparser::tokenizer::TokenWithSpan]) {
    let word = |t: &Token, k: Keyword| matches!(t, Token::Word(w) if w.keyword == k && w.quote_style.is_none());
    let solid: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_)))
        .collect();
    for (n, w) in solid.windows(2).enumerate() {
        if !(word(&tokens[w[0]].token, Keyword::EXECUTE)
            && (word(&tokens[w[1]].token, Keyword::FUNCTION)
                || word(&tokens[w[1]].token, Keyword::PROCEDURE)))
        {
            continue;
        }
        let mut inside = false;
        for &i in &solid[n + 2..] {
            match &tokens[i].token {
                Token::LParen if !inside => inside = true,
                Token::RParen if inside => break,
                Token::SingleQuotedString(s) | Token::Number(s, _) if inside => {
                    tokens[i].token = Token::make_word(&s.clone(), Some('"'));
                }
                _ => {}
            }
        }
    }
}

/// `CREATE [OR REPLACE] [TEMP] RECURSIVE VIEW name (columns) AS query`, which sqlparser does
/// not parse, is PostgreSQL's shorthand for `CREATE VIEW name (columns) AS WITH RECURSIVE
/// name (columns) AS (query) SELECT columns FROM name`, and is rewritten so.
fn recursive_view(tokens: &mut Vec<sqlparser::tokenizer::TokenWithSpan>) {
    use sqlparser::tokenizer::TokenWithSpan;
    let word = |t: &Token, k: Keyword| matches!(t, Token::Word(w) if w.keyword == k && w.quote_style.is_none());
    let solid: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_)))
        .collect();
    let Some(k) = (1..solid.len()).find(|&k| {
        word(&tokens[solid[k]].token, Keyword::RECURSIVE)
            && solid
                .get(k + 1)
                .is_some_and(|&i| word(&tokens[i].token, Keyword::VIEW))
            && solid[..k]
                .iter()
                .rev()
                .map(|&i| &tokens[i].token)
                .find(|t| {
                    !(word(t, Keyword::OR)
                        || word(t, Keyword::REPLACE)
                        || word(t, Keyword::TEMP)
                        || word(t, Keyword::TEMPORARY))
                })
                .is_some_and(|t| word(t, Keyword::CREATE))
    }) else {
        return;
    };
    // name [. name] ( columns ) AS query
    let mut j = k + 2;
    let mut name = None;
    while let Some(&i) = solid.get(j) {
        match &tokens[i].token {
            Token::Word(_) => name = Some(tokens[i].token.clone()),
            Token::Period => {}
            _ => break,
        }
        j += 1;
    }
    let (Some(name), Some(&open)) = (name, solid.get(j)) else {
        return;
    };
    if tokens[open].token != Token::LParen {
        return;
    }
    let Some(close_at) = (j..solid.len()).find(|&m| tokens[solid[m]].token == Token::RParen) else {
        return;
    };
    let Some(&as_at) = solid.get(close_at + 1) else {
        return;
    };
    if !word(&tokens[as_at].token, Keyword::AS) {
        return;
    }
    let mut depth = 0i32;
    let mut end = tokens.len();
    for &i in &solid[close_at + 2..] {
        match tokens[i].token {
            Token::LParen => depth += 1,
            Token::RParen => depth -= 1,
            Token::SemiColon if depth == 0 => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    let span = tokens[as_at].span;
    let columns: Vec<Token> = tokens[open..=solid[close_at]]
        .iter()
        .map(|t| t.token.clone())
        .collect();
    let spaced = |ts: Vec<Token>| -> Vec<TokenWithSpan> {
        ts.into_iter()
            .flat_map(|t| {
                [
                    TokenWithSpan::new(t, span),
                    TokenWithSpan::new(
                        Token::Whitespace(sqlparser::tokenizer::Whitespace::Space),
                        span,
                    ),
                ]
            })
            .collect()
    };
    let mut tail = vec![Token::RParen, Token::make_keyword("SELECT")];
    tail.extend(columns[1..columns.len() - 1].iter().cloned());
    tail.extend([Token::make_keyword("FROM"), name.clone()]);
    tokens.splice(end..end, spaced(tail));
    let mut head = vec![
        Token::make_keyword("WITH"),
        Token::make_keyword("RECURSIVE"),
        name,
    ];
    head.extend(columns);
    head.extend([Token::make_keyword("AS"), Token::LParen]);
    tokens.splice(as_at + 1..as_at + 1, spaced(head));
    tokens.remove(solid[k]);
}

/// `SET LOCAL SESSION AUTHORIZATION`, which sqlparser does not parse, becomes its `SET LOCAL
/// AUTHORIZATION` (scope LOCAL, the session reverts at the transaction's end).
fn local_session_authorization(tokens: &mut Vec<sqlparser::tokenizer::TokenWithSpan>) {
    let word = |t: &Token, k: Keyword| matches!(t, Token::Word(w) if w.keyword == k && w.quote_style.is_none());
    let solid: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_)))
        .collect();
    let found: Vec<usize> = solid
        .windows(4)
        .filter(|w| {
            word(&tokens[w[0]].token, Keyword::SET)
                && word(&tokens[w[1]].token, Keyword::LOCAL)
                && word(&tokens[w[2]].token, Keyword::SESSION)
                && word(&tokens[w[3]].token, Keyword::AUTHORIZATION)
        })
        .map(|w| w[2])
        .collect();
    for i in found.into_iter().rev() {
        tokens.remove(i);
    }
}

fn drop_index_concurrently(tokens: &mut Vec<sqlparser::tokenizer::TokenWithSpan>) {
    let word = |t: &Token, k: Keyword| matches!(t, Token::Word(w) if w.keyword == k && w.quote_style.is_none());
    let solid: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_)))
        .collect();
    let found: Vec<usize> = solid
        .windows(3)
        .filter(|w| {
            word(&tokens[w[0]].token, Keyword::DROP)
                && word(&tokens[w[1]].token, Keyword::INDEX)
                && word(&tokens[w[2]].token, Keyword::CONCURRENTLY)
        })
        .map(|w| w[2])
        .collect();
    for i in found.into_iter().rev() {
        tokens.remove(i);
    }
}

/// A window frame's quoted offset (`RANGE BETWEEN '1' PRECEDING ...`) is an unknown literal
/// in PostgreSQL, but sqlparser reads a string there as a bare INTERVAL literal, which then
/// cannot be told from `INTERVAL '1' PRECEDING` (an interval, refused for an integer ORDER
/// BY), and fails on a cast (`'1 year'::interval PRECEDING`). Parenthesized up to its
/// PRECEDING / FOLLOWING, the offset is read as the plain expression it is. The span may
/// hold only what a cast to a type name can (`::`, words, parenthesized type modifiers), so
/// a string after the AND of a boolean expression is never touched.
fn parenthesize_frame_offsets(tokens: &mut Vec<sqlparser::tokenizer::TokenWithSpan>) {
    let word = |t: &Token, k: Keyword| matches!(t, Token::Word(w) if w.keyword == k && w.quote_style.is_none());
    let solid: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_)))
        .collect();
    // (the string's index, the PRECEDING / FOLLOWING's index)
    let mut wraps = Vec::new();
    for (n, &i) in solid.iter().enumerate() {
        if !matches!(tokens[i].token, Token::SingleQuotedString(_)) || n == 0 {
            continue;
        }
        let prev = &tokens[solid[n - 1]].token;
        let starts_bound = [
            Keyword::BETWEEN,
            Keyword::AND,
            Keyword::RANGE,
            Keyword::ROWS,
            Keyword::GROUPS,
        ]
        .iter()
        .any(|&k| word(prev, k));
        if !starts_bound {
            continue;
        }
        let mut depth = 0usize;
        for &j in &solid[n + 1..] {
            let t = &tokens[j].token;
            if depth == 0 && (word(t, Keyword::PRECEDING) || word(t, Keyword::FOLLOWING)) {
                wraps.push((i, j));
                break;
            }
            match t {
                Token::Word(_) | Token::DoubleColon => {}
                Token::LParen => depth += 1,
                Token::RParen if depth > 0 => depth -= 1,
                Token::Number(..) | Token::Comma if depth > 0 => {}
                _ => break,
            }
        }
    }
    for (first, end) in wraps.into_iter().rev() {
        let (first_span, end_span) = (tokens[first].span, tokens[end].span);
        tokens.insert(
            end,
            sqlparser::tokenizer::TokenWithSpan::new(Token::RParen, end_span),
        );
        tokens.insert(
            first,
            sqlparser::tokenizer::TokenWithSpan::new(Token::LParen, first_span),
        );
    }
}

/// `GRANT | REVOKE ALL [PRIVILEGES] (a, b) ON t`: every column privilege on those columns,
/// which sqlparser does not parse; spelled out as `SELECT (a, b), INSERT (a, b), UPDATE (a,
/// b), REFERENCES (a, b)`.
fn all_column_privileges(tokens: &mut Vec<sqlparser::tokenizer::TokenWithSpan>) {
    let word = |t: &Token, k: Keyword| matches!(t, Token::Word(w) if w.keyword == k && w.quote_style.is_none());
    let solid: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_)))
        .collect();
    let mut found = Vec::new();
    for n in 1..solid.len() {
        let (prev, at) = (&tokens[solid[n - 1]].token, &tokens[solid[n]].token);
        let after_verb = word(prev, Keyword::GRANT)
            || word(prev, Keyword::REVOKE)
            || (word(prev, Keyword::FOR)
                && n >= 3
                && word(&tokens[solid[n - 2]].token, Keyword::OPTION)
                && word(&tokens[solid[n - 3]].token, Keyword::GRANT));
        if !after_verb || !word(at, Keyword::ALL) {
            continue;
        }
        let mut open = n + 1;
        if solid
            .get(open)
            .is_some_and(|&i| word(&tokens[i].token, Keyword::PRIVILEGES))
        {
            open += 1;
        }
        if solid
            .get(open)
            .is_some_and(|&i| tokens[i].token == Token::LParen)
            && let Some(close) =
                (open..solid.len()).find(|&k| tokens[solid[k]].token == Token::RParen)
        {
            found.push((solid[n], solid[open], solid[close]));
        }
    }
    for (all, open, close) in found.into_iter().rev() {
        let span = tokens[all].span;
        let list: Vec<_> = tokens[open..=close].to_vec();
        let mut out = Vec::new();
        for (k, name) in ["SELECT", "INSERT", "UPDATE", "REFERENCES"]
            .iter()
            .enumerate()
        {
            if k > 0 {
                out.push(sqlparser::tokenizer::TokenWithSpan::new(Token::Comma, span));
            }
            out.push(sqlparser::tokenizer::TokenWithSpan::new(
                Token::make_keyword(name),
                span,
            ));
            out.extend(list.iter().cloned());
        }
        tokens.splice(all..=close, out);
    }
}

/// Whether the next tokens are `CREATE USER` (not `CREATE USER MAPPING`).
fn is_create_user(p: &Parser) -> bool {
    let kw = |n: usize| match p.peek_nth_token_ref(n).token {
        Token::Word(ref w) => Some(w.keyword),
        _ => None,
    };
    kw(0) == Some(Keyword::CREATE)
        && kw(1) == Some(Keyword::USER)
        && kw(2) != Some(Keyword::MAPPING)
}

/// Whether the next tokens are `CREATE [UNLOGGED | TEMP] TABLE [IF NOT EXISTS] name (a, b)
/// AS | WITH`: a column list without types.
fn is_ctas_with_names(p: &Parser) -> bool {
    let kw = |n: usize, k: Keyword| matches!(&p.peek_nth_token(n).token, Token::Word(w) if w.keyword == k);
    let word = |n: usize| matches!(&p.peek_nth_token(n).token, Token::Word(_));
    let tok = |n: usize, t: Token| p.peek_nth_token(n).token == t;
    if !kw(0, Keyword::CREATE) {
        return false;
    }
    let mut n = 1;
    if kw(n, Keyword::UNLOGGED) || kw(n, Keyword::TEMP) || kw(n, Keyword::TEMPORARY) {
        n += 1;
    }
    if !kw(n, Keyword::TABLE) {
        return false;
    }
    n += 1;
    if kw(n, Keyword::IF) {
        n += 3;
    }
    if !word(n) {
        return false;
    }
    n += 1;
    while tok(n, Token::Period) && word(n + 1) {
        n += 2;
    }
    if !tok(n, Token::LParen) {
        return false;
    }
    n += 1;
    loop {
        if !word(n) {
            return false;
        }
        n += 1;
        if tok(n, Token::Comma) {
            n += 1;
            continue;
        }
        break;
    }
    tok(n, Token::RParen) && (kw(n + 1, Keyword::AS) || kw(n + 1, Keyword::WITH))
}

fn create_table_as(p: &mut Parser) -> Result<CreateTableAs, ParserError> {
    p.expect_keyword(Keyword::CREATE)?;
    let _unlogged = p.parse_keyword(Keyword::UNLOGGED);
    let temporary = p.parse_keyword(Keyword::TEMP) || p.parse_keyword(Keyword::TEMPORARY);
    p.expect_keyword(Keyword::TABLE)?;
    let if_not_exists = p.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
    let name = p.parse_object_name(false)?;
    p.expect_token(&Token::LParen)?;
    let columns = p.parse_comma_separated(|p| p.parse_identifier())?;
    p.expect_token(&Token::RParen)?;
    if p.parse_keyword(Keyword::WITH) {
        // storage options: accepted and ignored
        p.expect_token(&Token::LParen)?;
        super::skip_parenthesized(p)?;
    }
    p.expect_keyword(Keyword::AS)?;
    let query = p.parse_query()?;
    let mut with_data = true;
    if p.parse_keyword(Keyword::WITH) {
        with_data = !p.parse_keyword(Keyword::NO);
        p.expect_keyword(Keyword::DATA)?;
    }
    Ok(CreateTableAs {
        name,
        if_not_exists,
        temporary,
        columns,
        query,
        with_data,
    })
}

fn alter_sequence(p: &mut Parser) -> Result<AlterSequence, ParserError> {
    let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
    let name = p.parse_object_name(false)?;
    let action = if p.parse_keywords(&[Keyword::RENAME, Keyword::TO]) {
        AlterSequenceAction::RenameTo(p.parse_identifier()?)
    } else if p.parse_keywords(&[Keyword::SET, Keyword::SCHEMA]) {
        AlterSequenceAction::SetSchema(p.parse_identifier()?)
    } else if p.parse_keywords(&[Keyword::OWNER, Keyword::TO]) {
        AlterSequenceAction::OwnerTo(if p.parse_keyword(Keyword::CURRENT_USER) {
            ast::Owner::CurrentUser
        } else if p.parse_keyword(Keyword::CURRENT_ROLE) {
            ast::Owner::CurrentRole
        } else if p.parse_keyword(Keyword::SESSION_USER) {
            ast::Owner::SessionUser
        } else {
            ast::Owner::Ident(p.parse_identifier()?)
        })
    } else if p.parse_keyword(Keyword::SET) {
        p.expect_one_of_keywords(&[Keyword::LOGGED, Keyword::UNLOGGED])?;
        AlterSequenceAction::Accepted
    } else {
        AlterSequenceAction::Options(sequence_options(p)?)
    };
    Ok(AlterSequence {
        if_exists,
        name,
        action,
    })
}

/// The options of ALTER SEQUENCE, until the end of the statement.
fn sequence_options(p: &mut Parser) -> Result<Vec<SequenceOption>, ParserError> {
    use ast::SequenceOptions as O;
    let mut out = Vec::new();
    loop {
        let t = p.peek_token().token;
        if t == Token::EOF || t == Token::SemiColon {
            break;
        }
        let opt = if p.parse_keyword(Keyword::AS) {
            O::DataType(p.parse_data_type()?)
        } else if p.parse_keyword(Keyword::INCREMENT) {
            let by = p.parse_keyword(Keyword::BY);
            O::IncrementBy(p.parse_expr()?, by)
        } else if p.parse_keyword(Keyword::MINVALUE) {
            O::MinValue(Some(p.parse_expr()?))
        } else if p.parse_keyword(Keyword::MAXVALUE) {
            O::MaxValue(Some(p.parse_expr()?))
        } else if p.parse_keywords(&[Keyword::NO, Keyword::MINVALUE]) {
            O::MinValue(None)
        } else if p.parse_keywords(&[Keyword::NO, Keyword::MAXVALUE]) {
            O::MaxValue(None)
        } else if p.parse_keywords(&[Keyword::NO, Keyword::CYCLE]) {
            O::Cycle(true)
        } else if p.parse_keyword(Keyword::CYCLE) {
            O::Cycle(false)
        } else if p.parse_keyword(Keyword::START) {
            let with = p.parse_keyword(Keyword::WITH);
            O::StartWith(p.parse_expr()?, with)
        } else if p.parse_keyword(Keyword::CACHE) {
            O::Cache(p.parse_expr()?)
        } else if p.parse_keywords(&[Keyword::OWNED, Keyword::BY]) {
            if p.parse_keyword(Keyword::NONE) {
                O::OwnedBy(None)
            } else {
                O::OwnedBy(Some(p.parse_object_name(false)?))
            }
        } else if p.parse_keyword(Keyword::RESTART) {
            let with = p.parse_keyword(Keyword::WITH);
            let t = p.peek_token().token;
            let value = if with || matches!(t, Token::Number(..) | Token::Minus | Token::Plus) {
                Some(p.parse_expr()?)
            } else {
                None
            };
            out.push(SequenceOption::Restart(value));
            continue;
        } else {
            let found = p.peek_token();
            return p.expected("an ALTER SEQUENCE option", found);
        };
        out.push(SequenceOption::Create(opt));
    }
    Ok(out)
}

/// After `VACUUM` (`vacuum`) or `ANALYZE`: options and table names.
fn maintenance(p: &mut Parser, vacuum: bool) -> Result<Maintenance, ParserError> {
    let mut analyze = !vacuum;
    if p.consume_token(&Token::LParen) {
        // (option [value], ...): only ANALYZE matters.
        let mut depth = 1;
        while depth > 0 {
            let t = p.next_token().token;
            match t {
                Token::LParen => depth += 1,
                Token::RParen => depth -= 1,
                Token::EOF => return p.expected(")", p.peek_token()),
                Token::Word(w) if w.keyword == Keyword::ANALYZE => analyze = true,
                _ => {}
            }
        }
    }
    loop {
        if p.parse_keyword(Keyword::ANALYZE) {
            analyze = true;
        } else if !(p.parse_keyword(Keyword::FULL)
            || p.parse_keyword(Keyword::FREEZE)
            || p.parse_keyword(Keyword::VERBOSE))
        {
            break;
        }
    }
    let mut tables = Vec::new();
    let t = p.peek_token().token;
    if t != Token::EOF && t != Token::SemiColon {
        tables = p.parse_comma_separated(|p| {
            let name = p.parse_object_name(false)?;
            if p.consume_token(&Token::LParen) {
                p.parse_comma_separated(|p| p.parse_identifier())?;
                p.expect_token(&Token::RParen)?;
            }
            Ok(name)
        })?;
    }
    Ok(Maintenance {
        vacuum,
        analyze,
        tables,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_sqlparser_refuses() {
        let s = parse("vacuum analyze pgbench_branches; ALTER SEQUENCE IF EXISTS s RESTART WITH 3 INCREMENT BY -2 NO CYCLE; select 1").unwrap();
        assert_eq!(s.len(), 3);
        let Statement::Maintenance(m) = &s[0] else {
            panic!("{s:?}")
        };
        assert!(m.vacuum && m.analyze && m.tables.len() == 1);
        let Statement::AlterSequence(a) = &s[1] else {
            panic!("{s:?}")
        };
        assert!(a.if_exists);
        let AlterSequenceAction::Options(opts) = &a.action else {
            panic!()
        };
        assert_eq!(opts.len(), 3);
        assert!(matches!(s[2], Statement::Sql(_)));
        assert!(parse("VACUUM (VERBOSE, ANALYZE) t (a, b), u").is_ok());
        assert!(parse("ALTER SEQUENCE s RENAME TO t").is_ok());
        assert!(parse("ALTER SEQUENCE s RESTART").is_ok());
        assert!(parse("select 1 select 2").is_err());
    }
}
