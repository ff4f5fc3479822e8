//! Set operations (`UNION / INTERSECT / EXCEPT [ALL]`) and PostgreSQL's common-type rule
//! (`select_common_type`), which also types VALUES columns, CASE and COALESCE.
//!
//! The common type of a list: `unknown` entries (bare literals, NULL) adopt the others' type
//! and a list of only `unknown` is text; numbers promote along int2 < int4 < int8 < numeric
//! < real < double precision; strings keep the first type (without its length if another
//! differs); other types unify as operands do ([`coerce::common`]: date < timestamp <
//! timestamptz, arrays by element); anything else is "UNION types integer and boolean cannot
//! be matched" (42804).
//!
//! A set operation's inputs keep their `unknown` columns until the operation resolves them
//! (`SELECT 1 UNION SELECT '2'` is integer), and each input whose column types differ from
//! the result gets a projection with the casts. Column names come from the left input.

use super::{Binder, OutputColumn};
use crate::expr::Expr;
use crate::planner::{Plan, SetOpKind};
use crate::types::{DataType, coerce};
use crate::{Error, Result};
use sqlparser::ast;

/// The common type of `a` (the list so far) and `b`, or `None` if they cannot be matched.
/// Two unknowns stay unknown (the caller resolves a final unknown to text).
pub fn common_type(a: DataType, b: DataType) -> Option<DataType> {
    use DataType::*;
    match (a, b) {
        _ if a == b => Some(a),
        (Unknown, t) | (t, Unknown) => Some(t),
        // Strings keep the first type; a length that differs is dropped.
        _ if a.is_string() && b.is_string() => Some(a.without_typmod()),
        _ => match (a.numeric_rank(), b.numeric_rank()) {
            (Some(ra), Some(rb)) => Some(if ra >= rb { a } else { b }.without_typmod()),
            _ => coerce::common(a, b),
        },
    }
}

/// The common type of a list, with PostgreSQL's error naming `context` (e.g. "UNION").
pub fn common_type_of(
    types: impl IntoIterator<Item = DataType>,
    context: &str,
) -> Result<DataType> {
    let mut t = DataType::Unknown;
    for next in types {
        t = common_type(t, next).ok_or_else(|| {
            Error::DatatypeMismatch(format!(
                "{context} types {} and {} cannot be matched",
                t.name(),
                next.name()
            ))
        })?;
    }
    Ok(t)
}

impl Binder {
    /// Binds a set-operation tree (or one of its leaves), keeping unknown output types.
    pub(super) fn bind_set_expr(&mut self, e: &ast::SetExpr) -> Result<(Plan, Vec<OutputColumn>)> {
        match e {
            ast::SetExpr::Select(s) => self.bind_select(s, &[], &Default::default()),
            ast::SetExpr::Values(v) => self.bind_values(v),
            ast::SetExpr::Query(q) => self.bind_query_raw(q),
            // A data-modifying statement as a WITH query (or the body of `WITH ... INSERT`):
            // its rows are its RETURNING rows.
            ast::SetExpr::Insert(stmt)
            | ast::SetExpr::Update(stmt)
            | ast::SetExpr::Delete(stmt) => match self.bind(stmt)? {
                super::BoundStatement::Query { plan, columns, .. } => Ok((plan, columns)),
                super::BoundStatement::Explain { .. } => {
                    Err(Error::Internal("a WITH query bound as EXPLAIN".into()))
                }
            },
            // `WITH ... MERGE` (the statement's body; MERGE is no WITH query in PostgreSQL 15).
            ast::SetExpr::Merge(stmt) => {
                if !std::mem::take(&mut self.merge_body) {
                    return Err(Error::unsupported("MERGE not supported in WITH query"));
                }
                match self.bind(stmt)? {
                    super::BoundStatement::Query { plan, columns, .. } => Ok((plan, columns)),
                    super::BoundStatement::Explain { .. } => {
                        Err(Error::Internal("MERGE bound as EXPLAIN".into()))
                    }
                }
            }
            ast::SetExpr::Table(t) => {
                let Some(table) = &t.table_name else {
                    return Err(Error::SyntaxError("TABLE needs a table name".into()));
                };
                let name = match &t.schema_name {
                    Some(s) => format!("{s}.{table}"),
                    None => table.to_string(),
                };
                let q = crate::parse::statements(&format!("SELECT * FROM {name}"))?;
                let Some(ast::Statement::Query(q)) = q.first() else {
                    return Err(Error::Internal("TABLE did not become a query".into()));
                };
                self.bind_query_raw(q)
            }
            ast::SetExpr::SetOperation {
                op,
                set_quantifier,
                left,
                right,
            } => {
                let op = match op {
                    ast::SetOperator::Union => SetOpKind::Union,
                    ast::SetOperator::Intersect => SetOpKind::Intersect,
                    ast::SetOperator::Except => SetOpKind::Except,
                    other => {
                        return Err(Error::unsupported(format!(
                            "set operation {other} is not supported"
                        )));
                    }
                };
                let all = match set_quantifier {
                    ast::SetQuantifier::All => true,
                    ast::SetQuantifier::None | ast::SetQuantifier::Distinct => false,
                    other => {
                        return Err(Error::unsupported(format!(
                            "{} {other} is not supported",
                            op.name()
                        )));
                    }
                };
                for operand in [left.as_ref(), right.as_ref()] {
                    if let Some(what) = locked_operand(operand) {
                        return Err(super::locking::refuse(what, "UNION/INTERSECT/EXCEPT"));
                    }
                }
                let left = self.bind_set_expr(left)?;
                let right = self.bind_set_expr(right)?;
                self.set_operation(op, all, left, right)
            }
        }
    }

    /// Combines two bound inputs of a set operation, resolving their column types.
    pub(super) fn set_operation(
        &mut self,
        op: SetOpKind,
        all: bool,
        (lp, lc): (Plan, Vec<OutputColumn>),
        (rp, rc): (Plan, Vec<OutputColumn>),
    ) -> Result<(Plan, Vec<OutputColumn>)> {
        if lc.len() != rc.len() {
            return Err(Error::SyntaxError(format!(
                "each {} query must have the same number of columns",
                op.name()
            )));
        }
        let mut types = Vec::new();
        for (l, r) in lc.iter().zip(&rc) {
            let t = common_type_of([l.data_type, r.data_type], op.name())?;
            types.push(if t == DataType::Unknown {
                DataType::Text
            } else {
                t
            });
        }
        let left = self.cast_columns(lp, &lc, &types)?;
        let right = self.cast_columns(rp, &rc, &types)?;
        let columns = lc
            .into_iter()
            .zip(&types)
            .map(|(c, t)| OutputColumn {
                name: c.name,
                data_type: *t,
            })
            .collect();
        Ok((
            Plan::SetOp {
                op,
                all,
                left: Box::new(left),
                right: Box::new(right),
            },
            columns,
        ))
    }

    /// Projects `plan`'s columns to `types` when some differ.
    pub(super) fn cast_columns(
        &mut self,
        plan: Plan,
        columns: &[OutputColumn],
        types: &[DataType],
    ) -> Result<Plan> {
        if columns.iter().zip(types).all(|(c, t)| c.data_type == *t) {
            return Ok(plan);
        }
        let mut exprs = Vec::new();
        for (i, (c, t)) in columns.iter().zip(types).enumerate() {
            exprs.push(self.coerce(Expr::Column(i), c.data_type, *t)?);
        }
        Ok(Plan::Project {
            input: Box::new(plan),
            exprs,
        })
    }
}

/// The strength of the first locking clause of a parenthesized operand of a set operation
/// (`(SELECT ... FOR UPDATE) UNION ...`), which PostgreSQL refuses.
fn locked_operand(e: &ast::SetExpr) -> Option<&'static str> {
    let ast::SetExpr::Query(q) = e else {
        return None;
    };
    match q.locks.first() {
        Some(c) => Some(crate::parse::locking::strength_of(c).0.name()),
        None => locked_operand(&q.body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DataType::*;

    #[test]
    fn common_types_follow_postgres() {
        assert_eq!(common_type(Int4, Float4), Some(Float4));
        assert_eq!(common_type(Int2, Int8), Some(Int8));
        assert_eq!(common_type(Unknown, Int4), Some(Int4));
        assert_eq!(common_type(Unknown, Unknown), Some(Unknown));
        assert_eq!(
            common_type(Varchar(Some(3)), Varchar(Some(5))),
            Some(Varchar(None))
        );
        assert_eq!(common_type(Text, Varchar(Some(3))), Some(Text));
        assert_eq!(common_type(Int4, Bool), None);
        assert_eq!(common_type(Int4, Text), None);
        let e = common_type_of([Int4, Bool], "UNION").unwrap_err();
        assert_eq!(
            e.to_string(),
            "UNION types integer and boolean cannot be matched"
        );
    }
}
