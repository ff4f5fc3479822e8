//! `Sort`: materializes its input and sorts it (stable) by the sort keys, honouring
//! ASC/DESC and NULLS FIRST/LAST.

use super::{Context, Operator, Tuple, collect};
use crate::Result;
use crate::planner::SortKey;
use std::cmp::Ordering;

pub struct Sort {
    input: Box<dyn Operator>,
    keys: Vec<SortKey>,
    sorted: Option<std::vec::IntoIter<Tuple>>,
}

impl Sort {
    pub fn new(input: Box<dyn Operator>, keys: Vec<SortKey>) -> Self {
        Sort {
            input,
            keys,
            sorted: None,
        }
    }
}

/// Compares two rows by `keys` (ASC/DESC, NULLS FIRST/LAST).
pub fn compare_rows(keys: &[SortKey], a: &[crate::Value], b: &[crate::Value]) -> Ordering {
    for k in keys {
        let (x, y) = (&a[k.column], &b[k.column]);
        let ord = match (x.is_null(), y.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => {
                if k.nulls_first {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (false, true) => {
                if k.nulls_first {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (false, false) => {
                let o = x.cmp(y);
                if k.desc { o.reverse() } else { o }
            }
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

impl Operator for Sort {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        if self.sorted.is_none() {
            let mut rows = collect(self.input.as_mut(), ctx)?;
            rows.sort_by(|a, b| compare_rows(&self.keys, &a.row, &b.row));
            self.sorted = Some(rows.into_iter());
        }
        Ok(self.sorted.as_mut().expect("sorted above").next())
    }
}
