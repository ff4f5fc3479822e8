//! `Sort`: materializes its input and sorts it (stable) by the sort keys, honouring
//! ASC/DESC and NULLS FIRST/LAST.

use super::{Context, Operator, Tuple, collect};
use crate::planner::SortKey;
use crate::{Result, Value};
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

fn compare(keys: &[SortKey], a: &Tuple, b: &Tuple) -> Ordering {
    for k in keys {
        let ord = compare_values(&a.row[k.column], &b.row[k.column], k.desc, k.nulls_first);
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

/// One sort key's order of two values, with ASC/DESC and NULLS FIRST/LAST.
pub fn compare_values(x: &Value, y: &Value, desc: bool, nulls_first: bool) -> Ordering {
    match (x.is_null(), y.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) => {
            if nulls_first {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        (false, true) => {
            if nulls_first {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (false, false) => {
            let o = x.cmp(y);
            if desc { o.reverse() } else { o }
        }
    }
}

impl Operator for Sort {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        if self.sorted.is_none() {
            let mut rows = collect(self.input.as_mut(), ctx)?;
            rows.sort_by(|a, b| compare(&self.keys, a, b));
            self.sorted = Some(rows.into_iter());
        }
        Ok(self.sorted.as_mut().expect("sorted above").next())
    }
}
