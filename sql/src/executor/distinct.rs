//! `Distinct`: drops rows equal to an earlier row (NULLs are equal here, as in PostgreSQL's
//! DISTINCT); with key columns (DISTINCT ON), rows whose key equals an earlier row's.

use super::memory::{Budget, row_bytes};
use super::{Context, Operator, Tuple};
use crate::{Result, Value};
use std::collections::HashSet;

pub struct Distinct {
    input: Box<dyn Operator>,
    on: Option<Vec<usize>>,
    seen: HashSet<Vec<Value>>,
    budget: Budget,
}

impl Distinct {
    pub fn new(input: Box<dyn Operator>, on: Option<Vec<usize>>) -> Self {
        Distinct {
            input,
            on,
            seen: HashSet::new(),
            budget: Budget::new("DISTINCT"),
        }
    }
}

impl Operator for Distinct {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        while let Some(t) = self.input.next(ctx)? {
            let key = match &self.on {
                Some(cols) => cols.iter().map(|&c| t.row[c].clone()).collect(),
                None => t.row.clone(),
            };
            let bytes = row_bytes(&key);
            if self.seen.insert(key) {
                self.budget.charge(ctx, bytes)?;
                return Ok(Some(t));
            }
        }
        Ok(None)
    }
}
