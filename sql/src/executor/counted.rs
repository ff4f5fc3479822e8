//! `Counted`: passes its input through and counts the rows (EXPLAIN ANALYZE's per-node
//! `actual rows`).

use super::{Context, Operator, Tuple};
use crate::Result;
use std::cell::Cell;
use std::rc::Rc;

pub struct Counted {
    input: Box<dyn Operator>,
    rows: Rc<Cell<u64>>,
}

impl Counted {
    pub fn new(input: Box<dyn Operator>, rows: Rc<Cell<u64>>) -> Self {
        Counted { input, rows }
    }
}

impl Operator for Counted {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        let t = self.input.next(ctx)?;
        if t.is_some() {
            self.rows.set(self.rows.get() + 1);
        }
        Ok(t)
    }

    fn discard_keys(&mut self) {
        self.input.discard_keys();
    }
}
