//! `Filter`: passes tuples whose predicate is true (NULL and false drop the row); keeps the
//! storage key so UPDATE/DELETE above it can write the row.

use super::{Context, Operator, Tuple};
use crate::Result;
use crate::expr::Expr;

pub struct Filter {
    input: Box<dyn Operator>,
    predicate: Expr,
}

impl Filter {
    pub fn new(input: Box<dyn Operator>, predicate: Expr) -> Self {
        Filter { input, predicate }
    }
}

impl Operator for Filter {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        while let Some(t) = self.input.next(ctx)? {
            if self.predicate.is_true(&t.row, ctx)? {
                return Ok(Some(t));
            }
        }
        Ok(None)
    }

    fn discard_keys(&mut self) {
        self.input.discard_keys();
    }
}
