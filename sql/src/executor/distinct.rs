//! `Distinct`: drops rows equal to an earlier row (NULLs are equal here, as in PostgreSQL's
//! DISTINCT); with key columns (DISTINCT ON), rows whose key equals an earlier row's.

use super::{Context, Operator, Tuple};
use crate::{Result, Value};
use std::collections::BTreeSet;

pub struct Distinct {
    input: Box<dyn Operator>,
    on: Option<Vec<usize>>,
    seen: BTreeSet<Vec<Value>>,
}

impl Distinct {
    pub fn new(input: Box<dyn Operator>, on: Option<Vec<usize>>) -> Self {
        Distinct {
            input,
            on,
            seen: BTreeSet::new(),
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
            if self.seen.insert(key) {
                return Ok(Some(t));
            }
        }
        Ok(None)
    }
}
