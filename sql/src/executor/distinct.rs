//! `Distinct`: drops rows equal to an earlier row (NULLs are equal here, as in PostgreSQL's
//! DISTINCT), remembered in a hash set; rows stream out in input order.

use super::memory::{Budget, row_bytes};
use super::{Context, Operator, Tuple};
use crate::{Result, Value};
use std::collections::HashSet;

pub struct Distinct {
    input: Box<dyn Operator>,
    seen: HashSet<Vec<Value>>,
    budget: Budget,
}

impl Distinct {
    pub fn new(input: Box<dyn Operator>) -> Self {
        Distinct {
            input,
            seen: HashSet::new(),
            budget: Budget::new("DISTINCT"),
        }
    }
}

impl Operator for Distinct {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        while let Some(t) = self.input.next(ctx)? {
            if self.seen.insert(t.row.clone()) {
                self.budget.charge(ctx, row_bytes(&t.row))?;
                return Ok(Some(t));
            }
        }
        Ok(None)
    }
}
