//! [`StrataDialect`]: sqlparser's PostgreSQL dialect with two corrections:
//!
//! * `x [NOT] BETWEEN SYMMETRIC a AND b` (and `BETWEEN ASYMMETRIC`, the default), which
//!   sqlparser does not parse. As PostgreSQL's own grammar does, the symmetric form becomes
//!   `(x BETWEEN a AND b OR x BETWEEN b AND a)` (NOT: both negated, joined by AND).
//! * `GROUPING SETS (...)` nested inside another grouping set (`GROUPING SETS (a, GROUPING
//!   SETS (b, ()))`): sqlparser parses GROUPING SETS only as a whole GROUP BY item, and
//!   elements of a set as plain expressions. Here it is an expression prefix, parsed into
//!   `Expr::GroupingSets`; the binder refuses it anywhere but in GROUP BY.
//! * Unary minus and plus bind tighter than `^`, `AT TIME ZONE` and `COLLATE` (PostgreSQL's
//!   precedence table), so `-3 ^ 2` is 9; sqlparser parses it as `-(3 ^ 2)`.
//! * FOR is never an implicit column alias (`SELECT 1 FOR UPDATE`), as in PostgreSQL.
//! * `(expr).*`, the fields of a composite value, which sqlparser refuses: it becomes a
//!   field access whose last step is a wildcard (`CompoundFieldAccess { root: (expr),
//!   access_chain: [Dot(Wildcard)] }`), which the select list expands.
//!
//! The dialect reports itself as `PostgreSqlDialect` (the parser asks `dialect_of!` in many
//! places) and forwards every method `PostgreSqlDialect` overrides — generated from
//! sqlparser 0.64's source; `tests::parses_like_postgres_dialect` checks on a corpus that
//! nothing else changed. Re-check the list when upgrading sqlparser.

use sqlparser::ast::helpers::attached_token::AttachedToken;
use sqlparser::ast::{AccessExpr, BinaryOperator, Expr, UnaryOperator};
use sqlparser::dialect::{BindPlaceholderStyle, Dialect, PostgreSqlDialect, Precedence};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;
use std::any::TypeId;

/// PostgreSQL's dialect with BETWEEN SYMMETRIC. See the module docs.
#[derive(Debug, Default)]
pub struct StrataDialect(PostgreSqlDialect, FieldsStar);

/// Whether the text may contain `(expr).*` (a `)`, `.` and `*` in a row): only then does
/// a parenthesized expression look ahead for it, which costs a scan to its closing
/// parenthesis.
#[derive(Debug, Default, Clone, Copy)]
struct FieldsStar(bool);

impl StrataDialect {
    /// The dialect for parsing `sql` (see [`FieldsStar`]).
    pub fn for_sql(sql: &str) -> StrataDialect {
        let mut rest = sql;
        let mut found = false;
        while let Some(i) = rest.find(')') {
            rest = &rest[i + 1..];
            let after = rest.trim_start();
            if let Some(dot) = after.strip_prefix('.')
                && dot.trim_start().starts_with('*')
            {
                found = true;
                break;
            }
        }
        StrataDialect(PostgreSqlDialect {}, FieldsStar(found))
    }
}

/// Whether `parser`'s next tokens are `[NOT] BETWEEN [A]SYMMETRIC`: `(negated, symmetric)`.
fn between_form(parser: &Parser) -> Option<(bool, bool)> {
    let kw = |n: usize| match &parser.peek_nth_token_ref(n).token {
        Token::Word(w) => Some(w.keyword),
        _ => None,
    };
    let negated = kw(0) == Some(Keyword::NOT);
    let at = usize::from(negated);
    if kw(at) != Some(Keyword::BETWEEN) {
        return None;
    }
    match kw(at + 1) {
        Some(Keyword::SYMMETRIC) => Some((negated, true)),
        Some(Keyword::ASYMMETRIC) => Some((negated, false)),
        _ => None,
    }
}

/// Whether the parenthesized expression starting at the next token is followed by `.*`.
fn parenthesized_then_star(parser: &Parser) -> bool {
    let mut depth = 0usize;
    let mut n = 0;
    loop {
        match &parser.peek_nth_token_ref(n).token {
            Token::LParen => depth += 1,
            Token::RParen => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            Token::EOF => return false,
            _ => {}
        }
        n += 1;
    }
    parser.peek_nth_token_ref(n + 1).token == Token::Period
        && parser.peek_nth_token_ref(n + 2).token == Token::Mul
}

/// `(expr).*` (see the module docs); the next tokens are known to have that shape.
fn fields_of_parenthesized(parser: &mut Parser) -> Result<Expr, ParserError> {
    parser.expect_token(&Token::LParen)?;
    let inner = parser.parse_expr()?;
    parser.expect_token(&Token::RParen)?;
    parser.expect_token(&Token::Period)?;
    let star = parser.next_token();
    Ok(Expr::CompoundFieldAccess {
        root: Box::new(Expr::Nested(Box::new(inner))),
        access_chain: vec![AccessExpr::Dot(Expr::Wildcard(AttachedToken(star)))],
    })
}

fn between(expr: &Expr, negated: bool, low: &Expr, high: &Expr) -> Expr {
    Expr::Between {
        expr: Box::new(expr.clone()),
        negated,
        low: Box::new(low.clone()),
        high: Box::new(high.clone()),
    }
}

/// Whether `parser`'s next tokens are `GROUPING SETS (`.
fn grouping_sets_ahead(parser: &Parser) -> bool {
    let kw = |n: usize, k: Keyword| {
        matches!(&parser.peek_nth_token_ref(n).token,
            Token::Word(w) if w.keyword == k && w.quote_style.is_none())
    };
    kw(0, Keyword::GROUPING)
        && kw(1, Keyword::SETS)
        && parser.peek_nth_token_ref(2).token == Token::LParen
}

/// `GROUPING SETS (element, ...)`, each element `()`, `(a, b)` or one expression (which may
/// be a `ROLLUP (...)` / `CUBE (...)` call or another GROUPING SETS), as sqlparser's own
/// GROUP BY parser reads them.
fn parse_grouping_sets(parser: &mut Parser) -> Result<Expr, ParserError> {
    parser.next_token();
    parser.next_token();
    parser.expect_token(&Token::LParen)?;
    let sets = parser.parse_comma_separated(|p| {
        if p.peek_token_ref().token != Token::LParen {
            return Ok(vec![p.parse_expr()?]);
        }
        p.next_token();
        if p.consume_token(&Token::RParen) {
            return Ok(vec![]);
        }
        let list = p.parse_comma_separated(Parser::parse_expr)?;
        p.expect_token(&Token::RParen)?;
        Ok(list)
    })?;
    parser.expect_token(&Token::RParen)?;
    Ok(Expr::GroupingSets(sets))
}

/// The precedence a unary minus's operand is parsed at: above COLLATE, below `[ ]` and `::`.
const UNARY_OPERAND_PREC: u8 = 120;

impl Dialect for StrataDialect {
    fn dialect(&self) -> TypeId {
        TypeId::of::<PostgreSqlDialect>()
    }

    fn parse_prefix(&self, parser: &mut Parser) -> Option<Result<Expr, ParserError>> {
        if grouping_sets_ahead(parser) {
            return Some(parse_grouping_sets(parser));
        }
        let op = match parser.peek_token_ref().token {
            Token::Minus => UnaryOperator::Minus,
            Token::Plus => UnaryOperator::Plus,
            Token::LParen if self.1.0 && parenthesized_then_star(parser) => {
                return Some(fields_of_parenthesized(parser));
            }
            _ => return None,
        };
        parser.next_token();
        Some(
            parser
                .parse_subexpr(UNARY_OPERAND_PREC)
                .map(|e| Expr::UnaryOp {
                    op,
                    expr: Box::new(e),
                }),
        )
    }

    fn parse_infix(
        &self,
        parser: &mut Parser,
        expr: &Expr,
        _precedence: u8,
    ) -> Option<Result<Expr, ParserError>> {
        let (negated, symmetric) = between_form(parser)?;
        let words = 2 + usize::from(negated);
        for _ in 0..words {
            parser.next_token();
        }
        let prec = self.prec_value(Precedence::Between);
        let parsed = (|| {
            let low = parser.parse_subexpr(prec)?;
            parser.expect_keyword_is(Keyword::AND)?;
            let high = parser.parse_subexpr(prec)?;
            Ok((low, high))
        })();
        let (low, high) = match parsed {
            Ok(b) => b,
            Err(e) => return Some(Err(e)),
        };
        if !symmetric {
            return Some(Ok(between(expr, negated, &low, &high)));
        }
        let op = if negated {
            BinaryOperator::And
        } else {
            BinaryOperator::Or
        };
        Some(Ok(Expr::Nested(Box::new(Expr::BinaryOp {
            left: Box::new(between(expr, negated, &low, &high)),
            op,
            right: Box::new(between(expr, negated, &high, &low)),
        }))))
    }

    /// Only for the SEARCH / CYCLE clauses, which [`super::search_cycle`] hands over as
    /// `FROM "<marker>..."` after a CTE.
    fn supports_from_first_insert(&self) -> bool {
        true
    }

    fn supports_cte_materialization(&self) -> bool {
        self.0.supports_cte_materialization()
    }

    fn identifier_quote_style(&self, identifier: &str) -> Option<char> {
        self.0.identifier_quote_style(identifier)
    }

    fn ordered_bind_placeholder_style(&self) -> Option<BindPlaceholderStyle> {
        self.0.ordered_bind_placeholder_style()
    }

    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        self.0.is_delimited_identifier_start(ch)
    }

    fn is_identifier_start(&self, ch: char) -> bool {
        self.0.is_identifier_start(ch)
    }

    fn is_identifier_part(&self, ch: char) -> bool {
        self.0.is_identifier_part(ch)
    }

    fn supports_unicode_string_literal(&self) -> bool {
        self.0.supports_unicode_string_literal()
    }

    fn is_reserved_for_identifier(&self, kw: Keyword) -> bool {
        self.0.is_reserved_for_identifier(kw)
    }

    /// CREATE and GRANT are reserved in PostgreSQL; a schema element that follows a view's
    /// query (`CREATE SCHEMA s CREATE VIEW v AS SELECT * FROM t CREATE ...`) is not its alias.
    fn is_table_alias(&self, kw: &Keyword, parser: &mut Parser) -> bool {
        !matches!(kw, Keyword::CREATE | Keyword::GRANT) && self.0.is_table_alias(kw, parser)
    }

    /// FOR is reserved in PostgreSQL: `SELECT 1 FOR UPDATE` locks, it does not name the
    /// column `for` (sqlparser takes it as an alias when no FROM follows the select list).
    fn is_column_alias(&self, kw: &Keyword, parser: &mut Parser) -> bool {
        !matches!(kw, Keyword::FOR | Keyword::CREATE | Keyword::GRANT)
            && self.0.is_column_alias(kw, parser)
    }

    fn supports_string_literal_column_alias(&self, explicit: bool) -> bool {
        self.0.supports_string_literal_column_alias(explicit)
    }

    fn supports_string_literal_table_alias(&self, explicit: bool) -> bool {
        self.0.supports_string_literal_table_alias(explicit)
    }

    fn is_custom_operator_part(&self, ch: char) -> bool {
        self.0.is_custom_operator_part(ch)
    }

    fn get_next_precedence(&self, parser: &Parser) -> Option<Result<u8, ParserError>> {
        self.0.get_next_precedence(parser)
    }

    fn supports_filter_during_aggregation(&self) -> bool {
        self.0.supports_filter_during_aggregation()
    }

    fn supports_group_by_expr(&self) -> bool {
        self.0.supports_group_by_expr()
    }

    fn supports_drop_group(&self) -> bool {
        self.0.supports_drop_group()
    }

    fn supports_alter_user_as_alter_role(&self) -> bool {
        self.0.supports_alter_user_as_alter_role()
    }

    fn supports_create_group(&self) -> bool {
        self.0.supports_create_group()
    }

    fn supports_create_role_if_not_exists(&self) -> bool {
        self.0.supports_create_role_if_not_exists()
    }

    fn prec_value(&self, prec: Precedence) -> u8 {
        self.0.prec_value(prec)
    }

    fn allow_extract_custom(&self) -> bool {
        self.0.allow_extract_custom()
    }

    fn allow_extract_single_quotes(&self) -> bool {
        self.0.allow_extract_single_quotes()
    }

    fn supports_create_index_with_clause(&self) -> bool {
        self.0.supports_create_index_with_clause()
    }

    fn supports_sql_option_without_value(&self) -> bool {
        self.0.supports_sql_option_without_value()
    }

    fn supports_explain_with_utility_options(&self) -> bool {
        self.0.supports_explain_with_utility_options()
    }

    fn supports_listen_notify(&self) -> bool {
        self.0.supports_listen_notify()
    }

    fn supports_exclude_constraint(&self) -> bool {
        self.0.supports_exclude_constraint()
    }

    fn supports_factorial_operator(&self) -> bool {
        self.0.supports_factorial_operator()
    }

    fn supports_bitwise_shift_operators(&self) -> bool {
        self.0.supports_bitwise_shift_operators()
    }

    fn supports_tilde_like_match_operator(&self) -> bool {
        self.0.supports_tilde_like_match_operator()
    }

    fn supports_comparison_in_between_low_bound(&self) -> bool {
        self.0.supports_comparison_in_between_low_bound()
    }

    fn supports_comment_on(&self) -> bool {
        self.0.supports_comment_on()
    }

    fn supports_load_extension(&self) -> bool {
        self.0.supports_load_extension()
    }

    fn supports_named_fn_args_with_colon_operator(&self) -> bool {
        self.0.supports_named_fn_args_with_colon_operator()
    }

    fn supports_named_fn_args_with_expr_name(&self) -> bool {
        self.0.supports_named_fn_args_with_expr_name()
    }

    fn supports_named_fn_args_with_assignment_operator(&self) -> bool {
        self.0.supports_named_fn_args_with_assignment_operator()
    }

    fn supports_empty_projections(&self) -> bool {
        self.0.supports_empty_projections()
    }

    fn supports_nested_comments(&self) -> bool {
        self.0.supports_nested_comments()
    }

    fn supports_copy_from_stdin_data(&self) -> bool {
        self.0.supports_copy_from_stdin_data()
    }

    fn supports_string_escape_constant(&self) -> bool {
        self.0.supports_string_escape_constant()
    }

    fn supports_numeric_literal_underscores(&self) -> bool {
        self.0.supports_numeric_literal_underscores()
    }

    fn supports_non_decimal_integer_literals(&self) -> bool {
        self.0.supports_non_decimal_integer_literals()
    }

    fn supports_array_typedef_with_brackets(&self) -> bool {
        self.0.supports_array_typedef_with_brackets()
    }

    fn supports_geometric_types(&self) -> bool {
        self.0.supports_geometric_types()
    }

    fn supports_order_by_using_operator(&self) -> bool {
        self.0.supports_order_by_using_operator()
    }

    fn supports_set_names(&self) -> bool {
        self.0.supports_set_names()
    }

    fn supports_alter_column_type_using(&self) -> bool {
        self.0.supports_alter_column_type_using()
    }

    fn supports_left_associative_joins_without_parens(&self) -> bool {
        self.0.supports_left_associative_joins_without_parens()
    }

    fn supports_notnull_operator(&self) -> bool {
        self.0.supports_notnull_operator()
    }

    fn supports_interval_options(&self) -> bool {
        self.0.supports_interval_options()
    }

    fn is_interval_qualifier(&self, kw: Keyword) -> bool {
        self.0.is_interval_qualifier(kw)
    }

    fn supports_insert_table_alias(&self) -> bool {
        self.0.supports_insert_table_alias()
    }

    fn supports_create_table_like_parenthesized(&self) -> bool {
        self.0.supports_create_table_like_parenthesized()
    }

    fn supports_select_wildcard_with_alias(&self) -> bool {
        self.0.supports_select_wildcard_with_alias()
    }

    fn supports_comma_separated_trim(&self) -> bool {
        self.0.supports_comma_separated_trim()
    }

    fn supports_xml_expressions(&self) -> bool {
        self.0.supports_xml_expressions()
    }

    fn is_custom_type_typed_string(&self, first_keyword: Keyword, qualified: bool) -> bool {
        self.0.is_custom_type_typed_string(first_keyword, qualified)
    }

    fn supports_aliased_function_args(&self) -> bool {
        self.0.supports_aliased_function_args()
    }

    fn supports_comment_optimizer_hint(&self) -> bool {
        self.0.supports_comment_optimizer_hint()
    }

    fn supports_add_column_if_not_exists(&self) -> bool {
        self.0.supports_add_column_if_not_exists()
    }

    fn supports_attach_partition_of(&self) -> bool {
        self.0.supports_attach_partition_of()
    }

    fn supports_detach_partition_of(&self) -> bool {
        self.0.supports_detach_partition_of()
    }

    fn supports_table_inheritance_markers(&self) -> bool {
        self.0.supports_table_inheritance_markers()
    }

    fn supports_column_generic_options(&self) -> bool {
        self.0.supports_column_generic_options()
    }
}
