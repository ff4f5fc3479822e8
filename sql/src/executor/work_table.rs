//! `WorkTable`: inside the recursive term of a `WITH RECURSIVE`, the rows the previous round
//! produced (set by [`super::RecursiveUnion`] before each round).

use super::{Context, Operator, Tuple};
use crate::Result;
use crate::storage::Row;
use std::rc::Rc;

pub struct WorkTable {
    id: usize,
    rows: Option<(Rc<Vec<Row>>, usize)>,
}

impl WorkTable {
    pub fn new(id: usize) -> Self {
        WorkTable { id, rows: None }
    }
}

impl Operator for WorkTable {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        crate::interrupt::check()?;
        if self.rows.is_none() {
            self.rows = Some((ctx.work_table(self.id)?, 0));
        }
        let (rows, pos) = self.rows.as_mut().expect("set above");
        let row = rows.get(*pos).cloned();
        *pos += 1;
        Ok(row.map(Tuple::derived))
    }
}
