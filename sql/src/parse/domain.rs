//! `CREATE DOMAIN` and `ALTER DOMAIN`, parsed here after their first two keywords:
//! sqlparser reads `CREATE DOMAIN` without `NOT NULL` / `NULL` constraints and does not
//! know `ALTER DOMAIN`. (`DROP DOMAIN` is sqlparser's.)

use sqlparser::ast;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

/// `CREATE DOMAIN name [AS] type [COLLATE c] [DEFAULT e] [constraint ...]`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateDomain {
    pub name: ast::ObjectName,
    pub data_type: ast::DataType,
    pub default: Option<ast::Expr>,
    /// `NOT NULL` (true) or `NULL` (false), the last one written.
    pub not_null: Option<bool>,
    pub checks: Vec<Check>,
}

/// `[CONSTRAINT name] CHECK (expr)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub name: Option<String>,
    pub expr: ast::Expr,
}

/// `ALTER DOMAIN name action`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlterDomain {
    pub name: ast::ObjectName,
    pub action: AlterDomainAction,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AlterDomainAction {
    SetDefault(ast::Expr),
    DropDefault,
    SetNotNull,
    DropNotNull,
    /// `ADD [CONSTRAINT name] CHECK (expr) [NOT VALID]`.
    AddCheck {
        check: Check,
        not_valid: bool,
    },
    DropConstraint {
        name: String,
        if_exists: bool,
    },
    RenameConstraint {
        from: String,
        to: String,
    },
    ValidateConstraint(String),
    RenameTo(ast::Ident),
    OwnerTo(ast::Ident),
}

fn ident_text(i: &ast::Ident) -> String {
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_lowercase()
    }
}

/// A DEFAULT expression: PostgreSQL's `b_expr`, which stops before `NOT NULL` / `NULL`
/// / `CHECK` (those start the domain's constraints).
fn default_expr(p: &mut Parser) -> Result<ast::Expr, ParserError> {
    use sqlparser::dialect::Dialect;
    let prec =
        crate::parse::StrataDialect::default().prec_value(sqlparser::dialect::Precedence::Between);
    p.parse_subexpr(prec)
}

fn check_body(p: &mut Parser, name: Option<String>) -> Result<Check, ParserError> {
    p.expect_token(&Token::LParen)?;
    let expr = p.parse_expr()?;
    p.expect_token(&Token::RParen)?;
    Ok(Check { name, expr })
}

/// After `CREATE DOMAIN`.
pub fn create(p: &mut Parser) -> Result<CreateDomain, ParserError> {
    let name = p.parse_object_name(false)?;
    let _ = p.parse_keyword(Keyword::AS);
    let data_type = p.parse_data_type()?;
    let mut d = CreateDomain {
        name,
        data_type,
        default: None,
        not_null: None,
        checks: Vec::new(),
    };
    loop {
        if p.parse_keyword(Keyword::COLLATE) {
            // Collations are not modelled: text compares by bytes (the C collation).
            p.parse_object_name(false)?;
        } else if p.parse_keyword(Keyword::DEFAULT) {
            d.default = Some(default_expr(p)?);
        } else {
            let name = if p.parse_keyword(Keyword::CONSTRAINT) {
                Some(ident_text(&p.parse_identifier()?))
            } else {
                None
            };
            if p.parse_keywords(&[Keyword::NOT, Keyword::NULL]) {
                d.not_null = Some(true);
            } else if p.parse_keyword(Keyword::NULL) {
                d.not_null = Some(false);
            } else if p.parse_keyword(Keyword::CHECK) {
                d.checks.push(check_body(p, name)?);
            } else if name.is_some() {
                return p.expected("NOT NULL, NULL or CHECK", p.peek_token());
            } else {
                break;
            }
        }
    }
    Ok(d)
}

/// After `ALTER DOMAIN`.
pub fn alter(p: &mut Parser) -> Result<AlterDomain, ParserError> {
    let name = p.parse_object_name(false)?;
    let action = if p.parse_keywords(&[Keyword::SET, Keyword::DEFAULT]) {
        AlterDomainAction::SetDefault(p.parse_expr()?)
    } else if p.parse_keywords(&[Keyword::DROP, Keyword::DEFAULT]) {
        AlterDomainAction::DropDefault
    } else if p.parse_keywords(&[Keyword::SET, Keyword::NOT, Keyword::NULL]) {
        AlterDomainAction::SetNotNull
    } else if p.parse_keywords(&[Keyword::DROP, Keyword::NOT, Keyword::NULL]) {
        AlterDomainAction::DropNotNull
    } else if p.parse_keyword(Keyword::ADD) {
        let cname = if p.parse_keyword(Keyword::CONSTRAINT) {
            Some(ident_text(&p.parse_identifier()?))
        } else {
            None
        };
        p.expect_keyword(Keyword::CHECK)?;
        let check = check_body(p, cname)?;
        let not_valid = p.parse_keywords(&[Keyword::NOT, Keyword::VALID]);
        AlterDomainAction::AddCheck { check, not_valid }
    } else if p.parse_keywords(&[Keyword::DROP, Keyword::CONSTRAINT]) {
        let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
        let name = ident_text(&p.parse_identifier()?);
        // RESTRICT / CASCADE: nothing depends on a domain's CHECK constraint.
        let _ = p.parse_one_of_keywords(&[Keyword::RESTRICT, Keyword::CASCADE]);
        AlterDomainAction::DropConstraint { name, if_exists }
    } else if p.parse_keywords(&[Keyword::RENAME, Keyword::CONSTRAINT]) {
        let from = ident_text(&p.parse_identifier()?);
        p.expect_keyword(Keyword::TO)?;
        let to = ident_text(&p.parse_identifier()?);
        AlterDomainAction::RenameConstraint { from, to }
    } else if p.parse_keywords(&[Keyword::VALIDATE, Keyword::CONSTRAINT]) {
        AlterDomainAction::ValidateConstraint(ident_text(&p.parse_identifier()?))
    } else if p.parse_keywords(&[Keyword::RENAME, Keyword::TO]) {
        AlterDomainAction::RenameTo(p.parse_identifier()?)
    } else if p.parse_keywords(&[Keyword::OWNER, Keyword::TO]) {
        AlterDomainAction::OwnerTo(p.parse_identifier()?)
    } else {
        return p.expected("SET, DROP, ADD, RENAME, VALIDATE or OWNER", p.peek_token());
    };
    Ok(AlterDomain { name, action })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_create(sql: &str) -> CreateDomain {
        let dialect = crate::parse::StrataDialect::default();
        let mut p = Parser::new(&dialect).try_with_sql(sql).unwrap();
        assert!(p.parse_keywords(&[Keyword::CREATE, Keyword::DOMAIN]));
        create(&mut p).unwrap()
    }

    #[test]
    fn create_domain_reads_constraints_after_the_default() {
        let d = parse_create(
            "CREATE DOMAIN d AS int DEFAULT 0 NOT NULL CONSTRAINT pos CHECK (VALUE > 0) CHECK (VALUE < 10)",
        );
        assert_eq!(d.default.unwrap().to_string(), "0");
        assert_eq!(d.not_null, Some(true));
        assert_eq!(d.checks.len(), 2);
        assert_eq!(d.checks[0].name.as_deref(), Some("pos"));
        assert_eq!(d.checks[1].expr.to_string(), "VALUE < 10");
        let d = parse_create("CREATE DOMAIN e text COLLATE \"C\" NULL");
        assert_eq!(d.not_null, Some(false));
    }
}
