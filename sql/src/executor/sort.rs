//! `Sort`: materializes its input and sorts it (stable) by the sort keys, honouring
//! ASC/DESC and NULLS FIRST/LAST.

use super::memory::collect_within;
use super::{Context, Operator, Tuple};
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

/// Compares two values as a sort key: ASC/DESC, NULLS FIRST/LAST.
pub fn compare_values(x: &Value, y: &Value, desc: bool, nulls_first: bool) -> Ordering {
    match (x.is_null(), y.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) if nulls_first => Ordering::Less,
        (true, false) => Ordering::Greater,
        (false, true) if nulls_first => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) if desc => x.cmp(y).reverse(),
        (false, false) => x.cmp(y),
    }
}

/// Compares two rows by `keys` (ASC/DESC, NULLS FIRST/LAST).
pub fn compare_rows(keys: &[SortKey], a: &[Value], b: &[Value]) -> Ordering {
    for k in keys {
        let ord = compare_values(&a[k.column], &b[k.column], k.desc, k.nulls_first);
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

impl Operator for Sort {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        if self.sorted.is_none() {
            let mut rows = collect_within(self.input.as_mut(), ctx, "sort")?;
            rows.sort_by(|a, b| compare_rows(&self.keys, &a.row, &b.row));
            self.sorted = Some(rows.into_iter());
        }
        Ok(self.sorted.as_mut().expect("sorted above").next())
    }
}
