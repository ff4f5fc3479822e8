//! `Limit`: LIMIT / OFFSET, evaluated once when the first row is requested (NULL LIMIT means
//! no limit; negative values are errors as in PostgreSQL).

use super::{Context, Operator, Tuple};
use crate::expr::Expr;
use crate::{Error, Result, Value};

pub struct Limit {
    input: Box<dyn Operator>,
    limit: Option<Expr>,
    offset: Option<Expr>,
    /// `(remaining to skip, remaining to return)` once evaluated.
    state: Option<(u64, Option<u64>)>,
}

impl Limit {
    pub fn new(input: Box<dyn Operator>, limit: Option<Expr>, offset: Option<Expr>) -> Self {
        Limit {
            input,
            limit,
            offset,
            state: None,
        }
    }
}

fn count(e: &Option<Expr>, params: &[Value], what: &str) -> Result<Option<u64>> {
    match e.as_ref().map(|e| e.eval(&[], params)).transpose()? {
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
            let limit = count(&self.limit, ctx.params, "LIMIT")?;
            let offset = count(&self.offset, ctx.params, "OFFSET")?.unwrap_or(0);
            self.state = Some((offset, limit));
        }
        let (skip, left) = self.state.as_mut().expect("set above");
        if *left == Some(0) {
            return Ok(None);
        }
        while *skip > 0 {
            if self.input.next(ctx)?.is_none() {
                return Ok(None);
            }
            *skip -= 1;
        }
        let t = self.input.next(ctx)?;
        if t.is_some()
            && let Some(l) = left
        {
            *l -= 1;
        }
        Ok(t)
    }
}
