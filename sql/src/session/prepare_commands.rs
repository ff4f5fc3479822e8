//! SQL's `PREPARE name [(types)] AS statement`, `EXECUTE name [(args)]` and
//! `DEALLOCATE [PREPARE] name | ALL`, with PostgreSQL's rules and errors: the statement is
//! one of SELECT / VALUES / INSERT / UPDATE / DELETE; parameters without a declared type are
//! inferred from their use (text when nothing decides); EXECUTE's arguments are constant
//! expressions (no columns, no subqueries) coerced to the parameter types by assignment
//! rules; the names are shared with the extended protocol's named statements
//! ([`super::named_statements`]).

use super::named_statements::NamedStatement;
use super::{Prepared, Session};
use crate::binder::{Binder, ExprCtx, Scope};
use crate::expr::{Expr, Params};
use crate::parse::Statement;
use crate::result::StatementResult;
use crate::storage::Storage;
use crate::types::{DataType, Value, cast, datetime};
use crate::{Error, Result};
use sqlparser::ast;
use std::sync::Arc;
use std::sync::atomic::Ordering;

impl<S: Storage> Session<S> {
    /// `PREPARE name [(types)] AS statement`.
    pub(super) fn prepare_sql(
        &mut self,
        name: &ast::Ident,
        data_types: &[ast::DataType],
        statement: &ast::Statement,
    ) -> Result<StatementResult> {
        let name = crate::binder::ident(name);
        if self.named.contains(&name) {
            return Err(Error::DuplicatePreparedStatement(name));
        }
        let text = statement.to_string();
        let statement = Statement::Sql(statement.clone());
        if !Self::is_bindable(&statement) {
            let first = text;
            let word = first.split_whitespace().next().unwrap_or_default();
            return Err(Error::SyntaxError(format!(
                "syntax error at or near \"{word}\""
            )));
        }
        let declared = data_types
            .iter()
            .map(|t| DataType::from_sql(t).map(Some))
            .collect::<Result<Vec<_>>>()?;
        let (param_types, columns) = self.describe(&statement, &declared)?;
        let source = self
            .query_source
            .clone()
            .unwrap_or_else(|| Arc::from(format!("PREPARE {name} AS {text}").as_str()));
        let prepared = Arc::new(Prepared::new(Some(statement), param_types, columns));
        self.named.insert(
            name,
            NamedStatement {
                prepared,
                internal: None,
                source,
                prepared_at: datetime::clock_now(),
            },
        );
        Ok(StatementResult::command("PREPARE"))
    }

    /// `EXECUTE name [(args)]`: runs the statement in the current transaction state, as
    /// if it had been sent itself.
    pub(super) fn execute_sql(
        &mut self,
        name: &ast::ObjectName,
        args: &[ast::Expr],
    ) -> Result<StatementResult> {
        let name = crate::binder::object_name(name)?;
        let listed = self
            .named
            .get(&name)
            .ok_or_else(|| Error::UndefinedPreparedStatement(name.clone()))?;
        let p = listed.prepared;
        let params = self.execute_arguments(&name, &p.param_types, args)?;
        let Some(stmt) = &p.statement else {
            return Ok(StatementResult::command(""));
        };
        p.executions.fetch_add(1, Ordering::Relaxed);
        let previous = self.executing.replace(p.clone());
        let r = self.run_statement(stmt, &params, &p.param_types);
        self.executing = previous;
        r
    }

    /// EXECUTE's arguments as values of the parameter types.
    fn execute_arguments(
        &mut self,
        name: &str,
        types: &[DataType],
        args: &[ast::Expr],
    ) -> Result<Vec<Value>> {
        if args.len() != types.len() {
            return Err(Error::WrongParameterCount {
                name: name.to_string(),
                detail: format!(
                    "Expected {} parameters but got {}.",
                    types.len(),
                    args.len()
                ),
            });
        }
        if args.is_empty() {
            return Ok(Vec::new());
        }
        let catalog = self.statement_catalog()?;
        let path = self.search_path(&catalog);
        let mut binder = Binder::new(catalog, Vec::new()).with_search_path(path);
        let scope = Scope::default();
        let mut values = Vec::with_capacity(args.len());
        for (i, (a, &to)) in args.iter().zip(types).enumerate() {
            let (e, from) =
                binder.bind_expr(a, &mut ExprCtx::plain(&scope, "EXECUTE parameter"))?;
            if e.any(&mut |x| matches!(x, Expr::Subquery(_))) {
                return Err(Error::FeatureNotSupported(
                    "cannot use subquery in EXECUTE parameter".into(),
                ));
            }
            if !cast::can_assign(from, to) {
                return Err(Error::DatatypeMismatch(format!(
                    "parameter ${} of type {} cannot be coerced to the expected type {}",
                    i + 1,
                    from.name(),
                    to.name()
                )));
            }
            let e = binder.assign(e, from, to, "")?;
            values.push(e.eval(&[], &Params(&[]))?);
        }
        Ok(values)
    }

    /// `DEALLOCATE [PREPARE] name | ALL`.
    pub(super) fn deallocate_sql(&mut self, name: &ast::Ident) -> Result<StatementResult> {
        if name.quote_style.is_none() && name.value.eq_ignore_ascii_case("all") {
            for internal in self.named.deallocate_all() {
                self.prepared.remove(&internal);
            }
            return Ok(StatementResult::command("DEALLOCATE ALL"));
        }
        let name = crate::binder::ident(name);
        match self.named.deallocate(&name) {
            None => Err(Error::UndefinedPreparedStatement(name)),
            Some(internal) => {
                if let Some(internal) = internal {
                    self.prepared.remove(&internal);
                }
                Ok(StatementResult::command("DEALLOCATE"))
            }
        }
    }
}
