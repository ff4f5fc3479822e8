//! The whole row of an outer join's NULL-extended side is NULL, as in PostgreSQL
//! (`SELECT t2 FROM t1 LEFT JOIN t2 ON false` gives NULL, not `(,)`).
//!
//! A whole-row reference is bound to a row of the item's columns ([`super::record`]), and a
//! NULL-extended row has every column NULL, just like a real row of NULLs. To tell them
//! apart, the nullable side of an outer join carries one hidden *marker* column per FROM item
//! whose whole row the statement may use: constant `true` in a real row, NULL when the join
//! extends it. The whole row (and the JSON calls written over it, [`super::whole_row`]) is
//! NULL when any of its markers is (a row may sit under several outer joins).
//!
//! Markers are system columns (never part of `*`, NATURAL or `t.*`) named with a NUL byte, so
//! no SQL name reaches them. They are added only for items whose name the statement (or the
//! view being expanded) mentions as a bare identifier or `name.*` argument, so the usual
//! outer join keeps its plain plan (an index on the nullable side stays usable).

use super::{Binder, Scope, ScopeColumn, ident};
use crate::expr::Expr;
use crate::planner::{JoinKind, Plan};
use crate::types::{DataType, Value};
use sqlparser::ast;
use std::collections::HashSet;
use std::ops::ControlFlow;

/// The prefix of a marker column's name.
const MARKER: &str = "\0null-extended#";

/// Whether `c` is a marker column.
pub(super) fn is_marker(c: &ScopeColumn) -> bool {
    c.system && c.name.starts_with(MARKER)
}

/// A candidate name that stands for every FROM item: the statement names a system column
/// without a qualifier.
const ANY_ITEM: &str = "\0any-item";

/// The names `node` may use as whole rows: bare identifiers and `name.*` function arguments;
/// and the qualifiers of system columns (`t.xmin`), which are NULL on a NULL-extended side
/// too ([`ANY_ITEM`] for an unqualified one).
pub(super) fn whole_row_candidates<V: ast::Visit>(node: &V) -> HashSet<String> {
    let mut names = HashSet::new();
    let _ = ast::visit_expressions(node, |e| {
        match e {
            ast::Expr::Identifier(i) => {
                let name = ident(i);
                if super::system_columns::NAMES.contains(&name.as_str()) {
                    names.insert(ANY_ITEM.to_string());
                }
                names.insert(name);
            }
            ast::Expr::CompoundIdentifier(parts) => {
                if let [.., q, c] = parts.as_slice()
                    && super::system_columns::NAMES.contains(&ident(c).as_str())
                {
                    names.insert(ident(q));
                }
            }
            ast::Expr::Function(f) => {
                if let ast::FunctionArguments::List(l) = &f.args {
                    for a in &l.args {
                        let (ast::FunctionArg::Unnamed(x)
                        | ast::FunctionArg::Named { arg: x, .. }
                        | ast::FunctionArg::ExprNamed { arg: x, .. }) = a;
                        if let ast::FunctionArgExpr::QualifiedWildcard(n) = x
                            && let Some(ast::ObjectNamePart::Identifier(i)) = n.0.last()
                        {
                            names.insert(ident(i));
                        }
                    }
                }
            }
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    names
}

impl Binder {
    /// The sides of a join of `kind`, each with markers if the join may NULL-extend it.
    pub(super) fn mark_null_sides(
        &mut self,
        left: (Plan, Scope),
        right: (Plan, Scope),
        kind: JoinKind,
    ) -> ((Plan, Scope), (Plan, Scope)) {
        let (l, r) = match kind {
            JoinKind::Left => (false, true),
            JoinKind::Right => (true, false),
            JoinKind::Full => (true, true),
            _ => (false, false),
        };
        for (extended, side) in [(l, &left.1), (r, &right.1)] {
            if extended {
                self.note_null_extended(side);
            }
        }
        let left = if l { self.add_markers(left) } else { left };
        let right = if r { self.add_markers(right) } else { right };
        (left, right)
    }

    fn add_markers(&mut self, (plan, mut scope): (Plan, Scope)) -> (Plan, Scope) {
        let mut items: Vec<String> = Vec::new();
        for c in &scope.columns {
            if let Some(t) = &c.table
                && !c.system
                && !items.contains(t)
                && self
                    .whole_row_names
                    .as_ref()
                    .is_none_or(|names| names.contains(t) || names.contains(ANY_ITEM))
            {
                items.push(t.clone());
            }
        }
        if items.is_empty() {
            return (plan, scope);
        }
        let mut exprs: Vec<Expr> = (0..scope.columns.len()).map(Expr::Column).collect();
        for t in items {
            self.next_id += 1;
            exprs.push(Expr::Literal(Value::Bool(true)));
            scope.columns.push(ScopeColumn {
                table: Some(t),
                name: format!("{MARKER}{}", self.next_id),
                data_type: DataType::Bool,
                qualified_only: true,
                schema: None,
                whole_row: false,
                system: true,
                origin: None,
            });
        }
        (
            Plan::Project {
                input: Box::new(plan),
                exprs,
            },
            scope,
        )
    }

    /// The names of `name`'s markers in `scope`.
    pub(super) fn markers_of(scope: &Scope, name: &str) -> Vec<String> {
        scope
            .columns
            .iter()
            .filter(|c| is_marker(c) && c.table.as_deref() == Some(name))
            .map(|c| c.name.clone())
            .collect()
    }
}

/// `row`, or NULL when any of `markers` (bound marker columns) is NULL.
pub(super) fn null_when_extended(row: Expr, markers: Vec<Expr>) -> Expr {
    let Some(test) = markers
        .into_iter()
        .map(|m| Expr::IsNull {
            expr: Box::new(m),
            negated: false,
        })
        .reduce(|a, b| Expr::Or(Box::new(a), Box::new(b)))
    else {
        return row;
    };
    Expr::Case {
        whens: vec![(test, Expr::Literal(Value::Null))],
        otherwise: Some(Box::new(row)),
    }
}

/// The AST form of [`null_when_extended`] for `range`'s markers.
pub(super) fn null_when_extended_ast(e: ast::Expr, range: &str, markers: &[String]) -> ast::Expr {
    let Some(test) = markers
        .iter()
        .map(|m| {
            ast::Expr::IsNull(Box::new(ast::Expr::CompoundIdentifier(vec![
                ast::Ident::with_quote('"', range.to_string()),
                ast::Ident::with_quote('"', m.clone()),
            ])))
        })
        .reduce(|a, b| ast::Expr::BinaryOp {
            left: Box::new(a),
            op: ast::BinaryOperator::Or,
            right: Box::new(b),
        })
    else {
        return e;
    };
    ast::Expr::Case {
        case_token: ast::helpers::attached_token::AttachedToken::empty(),
        end_token: ast::helpers::attached_token::AttachedToken::empty(),
        operand: None,
        conditions: vec![ast::CaseWhen {
            condition: test,
            result: ast::Expr::Value(ast::Value::Null.into()),
        }],
        else_result: Some(Box::new(e)),
    }
}
