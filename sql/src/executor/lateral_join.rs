//! `LateralJoin`: a nested loop whose right side depends on the left row (LATERAL items,
//! and functions in FROM over earlier FROM items). For each left row the correlation values
//! `args` are evaluated over it, the right plan is built anew and run to completion in a
//! nested context with those values, and each right row satisfying `on` is joined to it. An
//! unmatched left row of a LEFT join is padded with NULLs.

use super::{Context, Operator, Tuple};
use crate::expr::Expr;
use crate::planner::{JoinKind, Plan};
use crate::{Result, Value};

pub struct LateralJoin {
    left: Box<dyn Operator>,
    right: Plan,
    args: Vec<Expr>,
    kind: JoinKind,
    on: Option<Expr>,
    right_width: usize,
    current: Option<Current>,
}

/// The current left row, its right rows, the next one to try, and whether any matched.
type Current = (Vec<Value>, Vec<Vec<Value>>, usize, bool);

impl LateralJoin {
    pub fn new(
        left: Box<dyn Operator>,
        right: Plan,
        args: Vec<Expr>,
        kind: JoinKind,
        on: Option<Expr>,
        right_width: usize,
    ) -> Self {
        LateralJoin {
            left,
            right,
            args,
            kind,
            on,
            right_width,
            current: None,
        }
    }
}

impl Operator for LateralJoin {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        loop {
            if self.current.is_none() {
                let Some(t) = self.left.next(ctx)? else {
                    return Ok(None);
                };
                let args = self
                    .args
                    .iter()
                    .map(|a| a.eval(&t.row, ctx))
                    .collect::<Result<Vec<_>>>()?;
                let rights = ctx.run_nested(&self.right, &args)?;
                self.current = Some((t.row, rights, 0, false));
            }
            let (left, rights, pos, matched) = self.current.as_mut().expect("set above");
            while *pos < rights.len() {
                let mut row = left.clone();
                row.extend(rights[*pos].iter().cloned());
                *pos += 1;
                let ok = match &self.on {
                    Some(p) => p.is_true(&row, ctx)?,
                    None => true,
                };
                if ok {
                    *matched = true;
                    return Ok(Some(Tuple::derived(row)));
                }
            }
            let (left, _, _, matched) = self.current.take().expect("set above");
            if !matched && self.kind == JoinKind::Left {
                let mut row = left;
                row.extend(std::iter::repeat_n(Value::Null, self.right_width));
                return Ok(Some(Tuple::derived(row)));
            }
        }
    }
}
