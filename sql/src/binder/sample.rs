//! TABLESAMPLE on a table in FROM: `BERNOULLI (percent)` and `SYSTEM (percent)`, with an
//! optional `REPEATABLE (seed)`, become a [`Plan::Sample`] over the table's scan (see
//! `executor/sample.rs` for what differs from PostgreSQL's sample). Other methods are
//! 42704, as PostgreSQL reports a method it does not have; anything but a table is 0A000.

use super::expr::ExprCtx;
use super::{Binder, Scope};
use crate::planner::Plan;
use crate::types::DataType;
use crate::{Error, Result};
use sqlparser::ast;

impl Binder {
    /// `plan` (a table's scan) sampled as `kind` says.
    pub(super) fn bind_sample(&mut self, plan: Plan, kind: &ast::TableSampleKind) -> Result<Plan> {
        let (ast::TableSampleKind::BeforeTableAlias(s) | ast::TableSampleKind::AfterTableAlias(s)) =
            kind;
        let syntax = || Error::SyntaxError(format!("syntax error at or near \"{s}\""));
        if s.modifier != ast::TableSampleModifier::TableSample
            || s.bucket.is_some()
            || s.offset.is_some()
        {
            return Err(syntax());
        }
        match s.name {
            Some(ast::TableSampleMethod::Bernoulli | ast::TableSampleMethod::System) => {}
            Some(m) => {
                return Err(Error::UndefinedObject(format!(
                    "tablesample method {} does not exist",
                    m.to_string().to_lowercase()
                )));
            }
            // `TABLESAMPLE foo (10)`: sqlparser reads an unknown method as a call.
            None => {
                if let Some(ast::Expr::Function(f)) = s.quantity.as_ref().map(|q| &q.value) {
                    return Err(Error::UndefinedObject(format!(
                        "tablesample method {} does not exist",
                        super::walk::function_name(f)
                    )));
                }
                return Err(syntax());
            }
        }
        let Some(q) = s.quantity.as_ref().filter(|q| q.unit.is_none()) else {
            return Err(syntax());
        };
        if !matches!(plan, Plan::Scan { .. } | Plan::SystemScan { .. }) {
            return Err(Error::unsupported(
                "TABLESAMPLE clause can only be applied to tables and materialized views",
            ));
        }
        let scope = Scope::default();
        let (e, t) = self.bind_expr(&q.value, &mut ExprCtx::plain(&scope, "TABLESAMPLE"))?;
        let percent = self.coerce(e, t, DataType::Float8)?;
        let seed = match &s.seed {
            None => None,
            Some(seed) => {
                let text = match &seed.value.value {
                    ast::Value::Null => {
                        return Err(Error::InvalidTablesampleRepeat(
                            "TABLESAMPLE REPEATABLE parameter cannot be null".into(),
                        ));
                    }
                    ast::Value::Number(n, _) => n.clone(),
                    ast::Value::SingleQuotedString(s) => s.clone(),
                    _ => return Err(syntax()),
                };
                Some(text.trim().parse::<f64>().map_err(|_| {
                    Error::InvalidTextRepresentation(format!(
                        "invalid input syntax for type double precision: \"{text}\""
                    ))
                })?)
            }
        };
        Ok(Plan::Sample {
            input: Box::new(plan),
            percent,
            seed,
        })
    }
}
