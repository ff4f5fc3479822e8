//! `Series`: the `generate_series(start, stop [, step])` table function over integers.
//! Bounds are evaluated once; any NULL argument yields no rows, a zero step is an error.

use super::{Context, Operator, Tuple};
use crate::expr::Expr;
use crate::{Error, Result, Value};

pub struct Series {
    args: [Expr; 3],
    /// `(next, stop, step)` once evaluated; `None` inside when exhausted.
    state: Option<Option<(i64, i64, i64)>>,
}

impl Series {
    pub fn new(start: Expr, stop: Expr, step: Expr) -> Self {
        Series {
            args: [start, stop, step],
            state: None,
        }
    }
}

impl Operator for Series {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        crate::interrupt::check()?;
        if self.state.is_none() {
            let mut v = [0i64; 3];
            let mut null = false;
            for (slot, e) in v.iter_mut().zip(&self.args) {
                match e.eval(&[], ctx)? {
                    Value::Int(i) => *slot = i,
                    Value::Null => null = true,
                    other => {
                        return Err(Error::Internal(format!(
                            "generate_series argument {other:?}"
                        )));
                    }
                }
            }
            if !null && v[2] == 0 {
                return Err(Error::InvalidParameterValue(
                    "step size cannot equal zero".into(),
                ));
            }
            self.state = Some((!null).then_some((v[0], v[1], v[2])));
        }
        let Some(Some((next, stop, step))) = self.state else {
            return Ok(None);
        };
        if (step > 0 && next > stop) || (step < 0 && next < stop) {
            return Ok(None);
        }
        self.state = Some(next.checked_add(step).map(|n| (n, stop, step)));
        Ok(Some(Tuple::derived(vec![Value::Int(next)])))
    }
}
