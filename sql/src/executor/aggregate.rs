//! `Aggregate` (EXPLAIN's `HashAggregate`): grouping in a hash table keyed by the group
//! values, output in group-key order (sorted once at the end: deterministic, and cheap next
//! to the input), within `work_mem` (see [`super::memory`]), with one [`CallState`] per group
//! and call: FILTER skips rows, DISTINCT and ORDER BY
//! inside the call are the state's. Without GROUP BY an empty input still yields one row
//! (`count` 0, other aggregates NULL).

use super::accumulator::CallState;
use super::memory::{Budget, row_bytes};
use super::{Context, Operator, Tuple};
use crate::expr::Expr;
use crate::planner::AggCall;
use crate::{Result, Value};
use rustc_hash::FxHashMap;

pub struct Aggregate {
    input: Box<dyn Operator>,
    groups: Vec<Expr>,
    calls: Vec<AggCall>,
    output: Option<std::vec::IntoIter<Tuple>>,
}

/// Feeds `row` to the state of each call, evaluating its FILTER, arguments and sort keys.
pub fn feed(
    calls: &[AggCall],
    states: &mut [CallState],
    row: &[Value],
    ctx: &Context,
) -> Result<()> {
    for (call, state) in calls.iter().zip(states) {
        if let Some(f) = &call.filter
            && !f.is_true(row, ctx)?
        {
            continue;
        }
        let keys = call
            .order_by
            .iter()
            .map(|k| k.expr.eval(row, ctx))
            .collect::<Result<Vec<_>>>()?;
        // No allocation for the common zero- and one-argument calls.
        match call.args.as_slice() {
            [] => state.add(&[], keys)?,
            [a] => state.add(std::slice::from_ref(&a.eval(row, ctx)?), keys)?,
            many => {
                let args = many
                    .iter()
                    .map(|a| a.eval(row, ctx))
                    .collect::<Result<Vec<_>>>()?;
                state.add(&args, keys)?;
            }
        }
    }
    Ok(())
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
        // Groups in arrival order, found through `index` by key, or through `ints` by a
        // single integer key (one `i64` hashed and compared instead of a `Vec<Value>`).
        let mut groups: Vec<(Vec<Value>, Vec<CallState>)> = Vec::new();
        let mut index: FxHashMap<Vec<Value>, usize> = FxHashMap::default();
        let mut ints: FxHashMap<i64, usize> = FxHashMap::default();
        let mut key: Vec<Value> = Vec::with_capacity(self.groups.len());
        let mut budget = Budget::new("aggregate");
        let per_group = self.calls.len() * std::mem::size_of::<CallState>();
        let fresh = |calls: &[AggCall]| calls.iter().map(CallState::new).collect::<Vec<_>>();
        while let Some(t) = self.input.next(ctx)? {
            // The key is built in a reused buffer and copied only for a new group.
            key.clear();
            for g in &self.groups {
                key.push(g.eval(&t.row, ctx)?);
            }
            let found = match key.as_slice() {
                [Value::Int(i)] => match ints.get(i) {
                    Some(&g) => Some(g),
                    None => {
                        let g = index.get(key.as_slice()).copied();
                        if let Some(g) = g {
                            ints.insert(*i, g);
                        }
                        g
                    }
                },
                k => index.get(k).copied(),
            };
            let g = match found {
                Some(g) => g,
                None => {
                    budget.charge(ctx, row_bytes(&key) + per_group)?;
                    let g = groups.len();
                    index.insert(key.clone(), g);
                    if let [Value::Int(i)] = key.as_slice() {
                        ints.insert(*i, g);
                    }
                    groups.push((key.clone(), fresh(&self.calls)));
                    g
                }
            };
            feed(&self.calls, &mut groups[g].1, &t.row, ctx)?;
        }
        if groups.is_empty() && self.groups.is_empty() {
            groups.push((Vec::new(), fresh(&self.calls)));
        }
        groups.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut out = Vec::with_capacity(groups.len());
        for (mut key, states) in groups {
            for (call, state) in self.calls.iter().zip(&states) {
                key.push(state.finish(call)?);
            }
            out.push(Tuple::derived(key));
        }
        Ok(out)
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
