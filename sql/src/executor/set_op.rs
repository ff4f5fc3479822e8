//! `SetOp`: `left INTERSECT [ALL] right` and `left EXCEPT [ALL] right`.
//!
//! The right input is counted into a map (row → occurrences) on the first call; the left
//! input then streams: INTERSECT ALL returns a left row while the right still has an unused
//! copy of it (so `min(l, r)` copies), EXCEPT ALL returns it once the right's copies are used
//! up (`max(l - r, 0)` copies). Without ALL each distinct row is returned at most once. Rows
//! compare with NULLs equal, and come out in the left input's order.

use super::{Context, Operator, Tuple, collect};
use crate::planner::SetOpKind;
use crate::{Result, Value};
use std::collections::{BTreeMap, BTreeSet};

pub struct SetOp {
    op: SetOpKind,
    all: bool,
    left: Box<dyn Operator>,
    right: Box<dyn Operator>,
    counts: Option<BTreeMap<Vec<Value>, usize>>,
    returned: BTreeSet<Vec<Value>>,
}

impl SetOp {
    pub fn new(
        op: SetOpKind,
        all: bool,
        left: Box<dyn Operator>,
        right: Box<dyn Operator>,
    ) -> Self {
        SetOp {
            op,
            all,
            left,
            right,
            counts: None,
            returned: BTreeSet::new(),
        }
    }
}

impl Operator for SetOp {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        if self.counts.is_none() {
            let mut counts = BTreeMap::new();
            for t in collect(self.right.as_mut(), ctx)? {
                *counts.entry(t.row).or_insert(0usize) += 1;
            }
            self.counts = Some(counts);
        }
        let counts = self.counts.as_mut().expect("counted above");
        while let Some(t) = self.left.next(ctx)? {
            let in_right = match counts.get_mut(&t.row) {
                Some(n) if *n > 0 => {
                    if self.all {
                        *n -= 1;
                    }
                    true
                }
                _ => false,
            };
            let keep = match self.op {
                SetOpKind::Intersect => in_right,
                _ => !in_right,
            };
            if keep && (self.all || self.returned.insert(t.row.clone())) {
                return Ok(Some(Tuple::derived(t.row)));
            }
        }
        Ok(None)
    }
}
