//! `Union`: `left UNION [ALL] right`. Streams the left input, then the right; without ALL a
//! row equal to one already returned is dropped (NULLs compare equal, as in PostgreSQL's
//! set operations).

use super::{Context, Operator, Tuple};
use crate::{Result, Value};
use std::collections::BTreeSet;

pub struct Union {
    inputs: [Box<dyn Operator>; 2],
    current: usize,
    /// Rows returned so far; `None` for UNION ALL.
    seen: Option<BTreeSet<Vec<Value>>>,
}

impl Union {
    pub fn new(left: Box<dyn Operator>, right: Box<dyn Operator>, all: bool) -> Self {
        Union {
            inputs: [left, right],
            current: 0,
            seen: (!all).then(BTreeSet::new),
        }
    }
}

impl Operator for Union {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        while self.current < 2 {
            match self.inputs[self.current].next(ctx)? {
                Some(t) => {
                    if let Some(seen) = &mut self.seen
                        && !seen.insert(t.row.clone())
                    {
                        continue;
                    }
                    return Ok(Some(Tuple::derived(t.row)));
                }
                None => self.current += 1,
            }
        }
        Ok(None)
    }
}
