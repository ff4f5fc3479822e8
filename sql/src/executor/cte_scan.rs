//! `CteScan`: reads a CTE's rows through the statement's shared buffer (see `context.rs`).

use super::{Context, Operator, Tuple};
use crate::Result;

pub struct CteScan {
    id: usize,
    position: usize,
}

impl CteScan {
    pub fn new(id: usize) -> Self {
        CteScan { id, position: 0 }
    }
}

impl Operator for CteScan {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        crate::interrupt::check()?;
        let row = ctx.cte_row(self.id, self.position)?;
        self.position += 1;
        Ok(row.map(Tuple::derived))
    }
}
