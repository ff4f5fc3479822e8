//! `Aggregate`: hash-free grouping (a `BTreeMap` keyed by the group values, so output is in
//! group-key order) with count/sum/avg/min/max/array_agg, optionally DISTINCT, FILTER and
//! ORDER BY (inputs buffered per group, sorted, then fed in order). Without GROUP BY an
//! empty input still yields one row (`count` 0, other aggregates NULL).

use super::{Context, Operator, Tuple};
use crate::expr::Expr;
use crate::planner::{AggCall, AggFunc, AggOrder};
use crate::types::cast::int_out_of_range;
use crate::types::{DataType, Numeric};
use crate::{Result, Value};
use std::collections::{BTreeMap, BTreeSet};

pub struct Aggregate {
    input: Box<dyn Operator>,
    groups: Vec<Expr>,
    calls: Vec<AggCall>,
    output: Option<std::vec::IntoIter<Tuple>>,
}

/// Running state of one aggregate call in one group.
#[derive(Debug, Clone)]
struct Accumulator {
    count: i64,
    int_sum: Option<i64>,
    float_sum: Option<f64>,
    /// Exact sums: numeric for `sum(int8/numeric)` and `avg` of integers and numerics,
    /// interval for `sum`/`avg` of intervals.
    exact_sum: Option<Value>,
    extreme: Option<Value>,
    seen: BTreeSet<Value>,
    /// `array_agg`'s inputs.
    items: Vec<Value>,
    /// Inputs of an aggregate with ORDER BY: (sort keys, value), fed in order at the end.
    ordered: Vec<(Vec<Value>, Value)>,
}

impl Accumulator {
    fn new() -> Self {
        Accumulator {
            count: 0,
            int_sum: None,
            float_sum: None,
            exact_sum: None,
            extreme: None,
            seen: BTreeSet::new(),
            items: Vec::new(),
            ordered: Vec::new(),
        }
    }

    fn add(&mut self, call: &AggCall, v: Value) -> Result<()> {
        if call.func == AggFunc::CountStar {
            self.count += 1;
            return Ok(());
        }
        if call.func == AggFunc::ArrayAgg {
            if !call.distinct || self.seen.insert(v.clone()) {
                self.items.push(v);
            }
            return Ok(());
        }
        if v.is_null() || (call.distinct && !self.seen.insert(v.clone())) {
            return Ok(());
        }
        self.count += 1;
        match (call.func, v) {
            (AggFunc::SumInt, Value::Int(i)) => {
                let s = self
                    .int_sum
                    .unwrap_or(0)
                    .checked_add(i)
                    .ok_or_else(|| int_out_of_range(DataType::Int8))?;
                self.int_sum = Some(s);
            }
            (AggFunc::SumFloat | AggFunc::Avg, Value::Float(f)) => {
                self.float_sum = Some(self.float_sum.unwrap_or(0.0) + f)
            }
            (AggFunc::SumFloat | AggFunc::Avg, Value::Float4(f)) => {
                self.float_sum = Some(self.float_sum.unwrap_or(0.0) + f as f64)
            }
            (AggFunc::SumFloat | AggFunc::Avg, Value::Int(i)) => {
                self.float_sum = Some(self.float_sum.unwrap_or(0.0) + i as f64)
            }
            (AggFunc::SumNumeric | AggFunc::AvgNumeric, Value::Numeric(n)) => {
                self.exact_sum = Some(Value::numeric(match self.exact_sum.take() {
                    Some(Value::Numeric(s)) => s.add(&n)?,
                    _ => *n,
                }));
            }
            (AggFunc::SumInterval | AggFunc::AvgInterval, Value::Interval(i)) => {
                self.exact_sum = Some(Value::Interval(match self.exact_sum.take() {
                    Some(Value::Interval(s)) => s.checked_add(&i)?,
                    _ => i,
                }));
            }
            (AggFunc::Min, v) if self.extreme.as_ref().is_none_or(|e| v < *e) => {
                self.extreme = Some(v);
            }
            (AggFunc::Max, v) if self.extreme.as_ref().is_none_or(|e| v > *e) => {
                self.extreme = Some(v);
            }
            _ => {}
        }
        Ok(())
    }

    fn finish(&mut self, call: &AggCall) -> Result<Value> {
        if !call.order_by.is_empty() {
            let mut rows = std::mem::take(&mut self.ordered);
            rows.sort_by(|(a, _), (b, _)| compare_keys(a, b, &call.order_by));
            let mut fresh = Accumulator::new();
            for (_, v) in rows {
                fresh.add(call, v)?;
            }
            return fresh.finish_in_order(call.func);
        }
        if call.distinct {
            // DISTINCT sorts its input, as PostgreSQL's sort-based DISTINCT does
            self.items.sort();
        }
        self.finish_in_order(call.func)
    }

    fn finish_in_order(&self, func: AggFunc) -> Result<Value> {
        Ok(match func {
            AggFunc::CountStar | AggFunc::Count => Value::Int(self.count),
            AggFunc::SumInt => self.int_sum.map_or(Value::Null, Value::Int),
            AggFunc::SumFloat => self.float_sum.map_or(Value::Null, Value::Float),
            AggFunc::Avg => match self.float_sum {
                Some(s) if self.count > 0 => Value::Float(s / self.count as f64),
                _ => Value::Null,
            },
            AggFunc::Min | AggFunc::Max => self.extreme.clone().unwrap_or(Value::Null),
            AggFunc::SumNumeric | AggFunc::SumInterval => {
                self.exact_sum.clone().unwrap_or(Value::Null)
            }
            AggFunc::AvgNumeric => match &self.exact_sum {
                Some(Value::Numeric(s)) => Value::numeric(s.div(&Numeric::from_i64(self.count))?),
                _ => Value::Null,
            },
            AggFunc::ArrayAgg => {
                if self.items.is_empty() {
                    Value::Null
                } else {
                    let nested = matches!(self.items.first(), Some(Value::Array(_)));
                    crate::expr::array_fns::construct(self.items.clone(), nested)?
                }
            }
            AggFunc::AvgInterval => match &self.exact_sum {
                Some(Value::Interval(s)) => Value::Interval(s.div(self.count as f64)?),
                _ => Value::Null,
            },
        })
    }
}

/// Orders two rows of ORDER BY keys.
fn compare_keys(a: &[Value], b: &[Value], keys: &[AggOrder]) -> std::cmp::Ordering {
    a.iter()
        .zip(b)
        .zip(keys)
        .map(|((x, y), k)| super::sort::compare_values(x, y, k.desc, k.nulls_first))
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

impl Aggregate {
    pub fn new(input: Box<dyn Operator>, groups: Vec<Expr>, calls: Vec<AggCall>) -> Self {
        Aggregate {
            input,
            groups,
            calls,
            output: None,
        }
    }

    fn run(&mut self, ctx: &mut Context) -> Result<Vec<Tuple>> {
        let mut groups: BTreeMap<Vec<Value>, Vec<Accumulator>> = BTreeMap::new();
        while let Some(t) = self.input.next(ctx)? {
            let key = self
                .groups
                .iter()
                .map(|g| g.eval(&t.row, ctx.params))
                .collect::<Result<Vec<_>>>()?;
            let accs = groups
                .entry(key)
                .or_insert_with(|| vec![Accumulator::new(); self.calls.len()]);
            for (call, acc) in self.calls.iter().zip(accs.iter_mut()) {
                if let Some(f) = &call.filter
                    && !f.is_true(&t.row, ctx.params)?
                {
                    continue;
                }
                let v = match &call.arg {
                    Some(a) => a.eval(&t.row, ctx.params)?,
                    None => Value::Null,
                };
                if call.order_by.is_empty() {
                    acc.add(call, v)?;
                } else {
                    let keys = call
                        .order_by
                        .iter()
                        .map(|k| k.expr.eval(&t.row, ctx.params))
                        .collect::<Result<Vec<_>>>()?;
                    acc.ordered.push((keys, v));
                }
            }
        }
        if groups.is_empty() && self.groups.is_empty() {
            groups.insert(Vec::new(), vec![Accumulator::new(); self.calls.len()]);
        }
        groups
            .into_iter()
            .map(|(mut key, mut accs)| {
                for (c, a) in self.calls.iter().zip(accs.iter_mut()) {
                    key.push(a.finish(c)?);
                }
                Ok(Tuple::derived(key))
            })
            .collect()
    }
}

impl Operator for Aggregate {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        if self.output.is_none() {
            let rows = self.run(ctx)?;
            self.output = Some(rows.into_iter());
        }
        Ok(self.output.as_mut().expect("computed above").next())
    }
}
