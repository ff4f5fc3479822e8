//! `Limit`: LIMIT / OFFSET / FETCH FIRST, evaluated once when the first row is requested
//! (NULL LIMIT means no limit; negative values are errors as in PostgreSQL). With `WITH TIES`
//! the rows after the last counted one that are equal to it on the sort keys are returned
//! too.

use super::sort::compare_rows;
use super::{Context, Operator, Tuple};
use crate::expr::Expr;
use crate::planner::SortKey;
use crate::{Error, Result, Value};

pub struct Limit {
    input: Box<dyn Operator>,
    limit: Option<Expr>,
    offset: Option<Expr>,
    with_ties: Option<Vec<SortKey>>,
    /// `(remaining to skip, remaining to return)` once evaluated.
    state: Option<(u64, Option<u64>)>,
    /// The last row counted against the limit (kept for WITH TIES).
    last: Option<Vec<Value>>,
}

impl Limit {
    pub fn new(
        input: Box<dyn Operator>,
        limit: Option<Expr>,
        offset: Option<Expr>,
        with_ties: Option<Vec<SortKey>>,
    ) -> Self {
        Limit {
            input,
            limit,
            offset,
            with_ties,
            state: None,
            last: None,
        }
    }
}

fn count(e: &Option<Expr>, ctx: &Context, what: &str) -> Result<Option<u64>> {
    match e.as_ref().map(|e| e.eval(&[], ctx)).transpose()? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Int(n)) if n >= 0 => Ok(Some(n as u64)),
        Some(Value::Int(_)) => Err(Error::InvalidRowCountInLimit(format!(
            "{what} must not be negative"
        ))),
        Some(v) => Err(Error::Internal(format!("{what} evaluated to {v:?}"))),
    }
}

impl Operator for Limit {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        if self.state.is_none() {
            let limit = count(&self.limit, ctx, "LIMIT")?;
            let offset = count(&self.offset, ctx, "OFFSET")?.unwrap_or(0);
            self.state = Some((offset, limit));
        }
        let (skip, left) = self.state.as_mut().expect("set above");
        while *skip > 0 {
            if self.input.next(ctx)?.is_none() {
                return Ok(None);
            }
            *skip -= 1;
        }
        if *left == Some(0) {
            // Past the limit only ties of the last row may follow.
            let (Some(keys), Some(last)) = (&self.with_ties, &self.last) else {
                return Ok(None);
            };
            return Ok(match self.input.next(ctx)? {
                Some(t) if compare_rows(keys, &t.row, last).is_eq() => Some(t),
                _ => {
                    self.last = None;
                    None
                }
            });
        }
        let t = self.input.next(ctx)?;
        if let Some(t) = &t
            && let Some(l) = left
        {
            *l -= 1;
            if *l == 0 && self.with_ties.is_some() {
                self.last = Some(t.row.clone());
            }
        }
        Ok(t)
    }
}
