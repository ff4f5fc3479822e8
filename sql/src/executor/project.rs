//! `Project`: computes output expressions over each input row.

use super::{Context, Operator, Tuple};
use crate::Result;
use crate::expr::Expr;

pub struct Project {
    input: Box<dyn Operator>,
    exprs: Vec<Expr>,
}

impl Project {
    pub fn new(input: Box<dyn Operator>, exprs: Vec<Expr>) -> Self {
        Project { input, exprs }
    }
}

impl Operator for Project {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        let Some(t) = self.input.next(ctx)? else {
            return Ok(None);
        };
        let row = self
            .exprs
            .iter()
            .map(|e| e.eval(&t.row, ctx))
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(Tuple::derived(row)))
    }
}
