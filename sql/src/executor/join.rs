//! `NestedLoopJoin`: joins every left row with every right row satisfying `on`.
//!
//! The right input is materialized on the first call; the left input streams. Outer joins
//! pad the missing side with NULLs: Left/Full emit an unmatched left row right after trying
//! it, Right/Full emit unmatched right rows after the left input is exhausted.

use super::memory::collect_within;
use super::{Context, Operator, Tuple};
use crate::expr::Expr;
use crate::planner::JoinKind;
use crate::{Result, Value};

pub struct NestedLoopJoin {
    left: Box<dyn Operator>,
    right: Box<dyn Operator>,
    kind: JoinKind,
    on: Option<Expr>,
    left_width: usize,
    right_width: usize,
    /// Materialized right rows and whether each has matched.
    right_rows: Option<Vec<(Vec<Value>, bool)>>,
    /// The current left row, the next right index to try, and whether it matched.
    current: Option<(Vec<Value>, usize, bool)>,
    /// Index of the next unmatched right row to emit at the end.
    tail: usize,
}

impl NestedLoopJoin {
    pub fn new(
        left: Box<dyn Operator>,
        right: Box<dyn Operator>,
        kind: JoinKind,
        on: Option<Expr>,
        left_width: usize,
        right_width: usize,
    ) -> Self {
        NestedLoopJoin {
            left,
            right,
            kind,
            on,
            left_width,
            right_width,
            right_rows: None,
            current: None,
            tail: 0,
        }
    }
}

impl Operator for NestedLoopJoin {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        if self.right_rows.is_none() {
            let rows = collect_within(self.right.as_mut(), ctx, "nested loop's inner rows")?;
            self.right_rows = Some(rows.into_iter().map(|t| (t.row, false)).collect());
        }
        loop {
            if self.current.is_none() {
                match self.left.next(ctx)? {
                    Some(t) => self.current = Some((t.row, 0, false)),
                    None => break,
                }
            }
            let right_rows = self.right_rows.as_mut().expect("materialized above");
            let (left_row, pos, matched) = self.current.as_mut().expect("set above");
            while *pos < right_rows.len() {
                let i = *pos;
                *pos += 1;
                if i % 1024 == 0 {
                    crate::interrupt::check()?;
                }
                let mut row = left_row.clone();
                row.extend(right_rows[i].0.iter().cloned());
                let ok = match &self.on {
                    Some(p) => p.is_true(&row, ctx)?,
                    None => true,
                };
                if ok {
                    *matched = true;
                    right_rows[i].1 = true;
                    return Ok(Some(Tuple::derived(row)));
                }
            }
            let (left_row, _, matched) = self.current.take().expect("set above");
            if !matched && matches!(self.kind, JoinKind::Left | JoinKind::Full) {
                let mut row = left_row;
                row.extend(std::iter::repeat_n(Value::Null, self.right_width));
                return Ok(Some(Tuple::derived(row)));
            }
        }
        if matches!(self.kind, JoinKind::Right | JoinKind::Full) {
            let right_rows = self.right_rows.as_ref().expect("materialized above");
            while self.tail < right_rows.len() {
                let (r, matched) = &right_rows[self.tail];
                self.tail += 1;
                if !matched {
                    let mut row = vec![Value::Null; self.left_width];
                    row.extend(r.iter().cloned());
                    return Ok(Some(Tuple::derived(row)));
                }
            }
        }
        Ok(None)
    }
}
