//! `RecursiveUnion`: the body of a `WITH RECURSIVE` CTE, `anchor UNION [ALL] recursive`,
//! evaluated as PostgreSQL does — and streamed, so a reader that stops early (a `LIMIT`)
//! stops the recursion:
//!
//! 1. return the anchor's rows, collecting them as the working table;
//! 2. while the working table is not empty: make it the `WorkTable` the recursive term
//!    reads, build the recursive term anew, and return its rows, collecting them as the next
//!    working table.
//!
//! With UNION (not ALL) a row equal to one returned before is dropped, so the recursion ends
//! once nothing new appears. There is no depth limit other than the query's own (as in
//! PostgreSQL); every round checks for statement cancellation.

use super::{Context, Operator, Tuple, build};
use crate::planner::Plan;
use crate::storage::Row;
use crate::{Result, Value};
use std::collections::BTreeSet;
use std::rc::Rc;

pub struct RecursiveUnion {
    id: usize,
    recursive: Plan,
    /// The running term: the anchor, then each round of the recursive term.
    current: Option<Box<dyn Operator>>,
    next_work: Vec<Row>,
    /// Rows returned so far; `None` for UNION ALL.
    seen: Option<BTreeSet<Vec<Value>>>,
}

impl RecursiveUnion {
    pub fn new(id: usize, all: bool, anchor: Box<dyn Operator>, recursive: Plan) -> Self {
        RecursiveUnion {
            id,
            recursive,
            current: Some(anchor),
            next_work: Vec::new(),
            seen: (!all).then(BTreeSet::new),
        }
    }
}

impl Operator for RecursiveUnion {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        while let Some(op) = self.current.as_mut() {
            match op.next(ctx)? {
                Some(t) => {
                    if let Some(seen) = &mut self.seen
                        && !seen.insert(t.row.clone())
                    {
                        continue;
                    }
                    self.next_work.push(t.row.clone());
                    return Ok(Some(Tuple::derived(t.row)));
                }
                None => {
                    crate::interrupt::check()?;
                    if self.next_work.is_empty() {
                        self.current = None;
                    } else {
                        let work = std::mem::take(&mut self.next_work);
                        ctx.set_work_table(self.id, Rc::new(work));
                        self.current = Some(build(&self.recursive));
                    }
                }
            }
        }
        Ok(None)
    }
}
