//! `Distinct`: drops rows equal to an earlier row (NULLs are equal here, as in PostgreSQL's
//! DISTINCT), remembered in a hash set; rows stream out in input order.

use super::{Context, Operator, Tuple};
use crate::{Result, Value};
use std::collections::HashSet;

pub struct Distinct {
    input: Box<dyn Operator>,
    seen: HashSet<Vec<Value>>,
}

impl Distinct {
    pub fn new(input: Box<dyn Operator>) -> Self {
        Distinct {
            input,
            seen: HashSet::new(),
        }
    }
}

impl Operator for Distinct {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        while let Some(t) = self.input.next(ctx)? {
            if self.seen.insert(t.row.clone()) {
                return Ok(Some(t));
            }
        }
        Ok(None)
    }
}
