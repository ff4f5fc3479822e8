//! `Sort`: materializes its input and sorts it (stable) by the sort keys, honouring
//! ASC/DESC and NULLS FIRST/LAST.

use super::memory::collect_within;
use super::{Context, Operator, Tuple};
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

fn compare(keys: &[SortKey], a: &Tuple, b: &Tuple) -> Ordering {
    for k in keys {
        let (x, y) = (&a.row[k.column], &b.row[k.column]);
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
            let mut rows = collect_within(self.input.as_mut(), ctx, "sort")?;
            rows.sort_by(|a, b| compare(&self.keys, a, b));
            self.sorted = Some(rows.into_iter());
        }
        Ok(self.sorted.as_mut().expect("sorted above").next())
    }
}
