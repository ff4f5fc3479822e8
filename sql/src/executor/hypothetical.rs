//! The hypothetical-set aggregates `rank`, `dense_rank`, `percent_rank` and `cume_dist`
//! `(h) WITHIN GROUP (ORDER BY x)`: where a hypothetical row with value `h` would fall
//! among the group's rows in the ORDER BY's order (its direction and NULLS placement), as
//! PostgreSQL's `hypothetical_rank_final` and friends compute it. The rows are not kept:
//! each is compared with `h` as it arrives.
//!
//! Invariant: `before` counts rows sorting strictly before `h`, `peers` rows sorting equal
//! to it, `n` every row; `distinct_before` holds the distinct values sorting before it.

use crate::planner::HypotheticalFunc;
use crate::types::Value;
use std::cmp::Ordering;
use std::collections::BTreeSet;

#[derive(Debug, Clone)]
pub struct Hypothetical {
    func: HypotheticalFunc,
    desc: bool,
    nulls_first: bool,
    before: i64,
    peers: i64,
    n: i64,
    distinct_before: BTreeSet<Value>,
}

impl Hypothetical {
    pub fn new(func: HypotheticalFunc, desc: bool, nulls_first: bool) -> Hypothetical {
        Hypothetical {
            func,
            desc,
            nulls_first,
            before: 0,
            peers: 0,
            n: 0,
            distinct_before: BTreeSet::new(),
        }
    }

    /// `x`'s place relative to `h` in the ORDER BY's order.
    fn order(&self, x: &Value, h: &Value) -> Ordering {
        match (x.is_null(), h.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) if self.nulls_first => Ordering::Less,
            (true, false) => Ordering::Greater,
            (false, true) if self.nulls_first => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) if self.desc => h.cmp(x),
            (false, false) => x.cmp(h),
        }
    }

    /// One row: `[x, h]`.
    pub fn add(&mut self, args: &[Value]) {
        let (Some(x), Some(h)) = (args.first(), args.get(1)) else {
            return;
        };
        self.n += 1;
        match self.order(x, h) {
            Ordering::Less => {
                self.before += 1;
                if self.func == HypotheticalFunc::DenseRank && !self.distinct_before.contains(x) {
                    self.distinct_before.insert(x.clone());
                }
            }
            Ordering::Equal => self.peers += 1,
            Ordering::Greater => {}
        }
    }

    pub fn finish(&self) -> Value {
        match self.func {
            HypotheticalFunc::Rank => Value::Int(self.before + 1),
            HypotheticalFunc::DenseRank => Value::Int(self.distinct_before.len() as i64 + 1),
            HypotheticalFunc::PercentRank if self.n == 0 => Value::Float(0.0),
            HypotheticalFunc::PercentRank => Value::Float(self.before as f64 / self.n as f64),
            HypotheticalFunc::CumeDist => {
                Value::Float((self.before + self.peers + 1) as f64 / (self.n + 1) as f64)
            }
        }
    }
}
