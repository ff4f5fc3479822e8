//! `Distinct`: drops rows equal to an earlier row (NULLs are equal here, as in PostgreSQL's
//! DISTINCT).

use super::{Context, Operator, Tuple};
use crate::{Result, Value};
use std::collections::BTreeSet;

pub struct Distinct {
    input: Box<dyn Operator>,
    seen: BTreeSet<Vec<Value>>,
}

impl Distinct {
    pub fn new(input: Box<dyn Operator>) -> Self {
        Distinct {
            input,
            seen: BTreeSet::new(),
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
