//! `(start1, end1) OVERLAPS (start2, end2)` for dates, times and timestamps, where an end
//! may be an interval (`start + interval`): rewritten to the CASE expression that computes
//! PostgreSQL's `overlaps_timestamp`, NULLs included. Each period's ends are put in order
//! first; a period with one NULL end is the single point of its other end (which decides
//! only when the comparison does not need the missing end); the periods overlap when one
//! starts inside the other, or both start at the same moment.

use super::{Binder, ExprCtx};
use crate::expr::Expr;
use crate::types::DataType;
use crate::{Error, Result};
use sqlparser::ast;

/// The two expressions of one side of OVERLAPS.
fn pair(e: &ast::Expr) -> Result<(&ast::Expr, &ast::Expr)> {
    let inner = match e {
        ast::Expr::Nested(x) => x.as_ref(),
        x => x,
    };
    match inner {
        ast::Expr::Tuple(items) if items.len() == 2 => Ok((&items[0], &items[1])),
        _ => Err(Error::SyntaxError(
            "wrong number of parameters on left side of OVERLAPS expression".into(),
        )),
    }
}

impl Binder {
    pub(super) fn bind_overlaps(
        &mut self,
        left: &ast::Expr,
        right: &ast::Expr,
        ctx: &mut ExprCtx,
    ) -> Result<(Expr, DataType)> {
        let (s1, e1) = pair(left)?;
        let (s2, e2) = pair(right)?;
        let mut end = |s: &ast::Expr, e: &ast::Expr| -> Result<String> {
            let (_, t) = self.bind_expr(e, ctx)?;
            Ok(if t == DataType::Interval {
                format!("(({s}) + ({e}))")
            } else {
                format!("({e})")
            })
        };
        let (e1, e2) = (end(s1, e1)?, end(s2, e2)?);
        let (s1, s2) = (format!("({s1})"), format!("({s2})"));
        let start = |s: &str, e: &str| {
            format!(
                "(CASE WHEN {s} IS NULL THEN {e} WHEN {e} IS NULL THEN {s} ELSE LEAST({s}, {e}) END)"
            )
        };
        let finish = |s: &str, e: &str| {
            format!("(CASE WHEN {s} IS NULL OR {e} IS NULL THEN NULL ELSE GREATEST({s}, {e}) END)")
        };
        let (ts1, te1) = (start(&s1, &e1), finish(&s1, &e1));
        let (ts2, te2) = (start(&s2, &e2), finish(&s2, &e2));
        let text = format!(
            "CASE WHEN {ts1} IS NULL OR {ts2} IS NULL THEN NULL \
             WHEN {ts1} > {ts2} THEN (CASE WHEN {te2} IS NULL THEN NULL WHEN {ts1} < {te2} THEN true \
                 WHEN {te1} IS NULL THEN NULL ELSE false END) \
             WHEN {ts1} < {ts2} THEN (CASE WHEN {te1} IS NULL THEN NULL WHEN {ts2} < {te1} THEN true \
                 WHEN {te2} IS NULL THEN NULL ELSE false END) \
             ELSE (CASE WHEN {te1} IS NULL OR {te2} IS NULL THEN NULL ELSE true END) END"
        );
        let e = crate::parse::expression(&text)?;
        let (x, t) = self.bind_expr(&e, ctx)?;
        Ok((x, t))
    }
}
