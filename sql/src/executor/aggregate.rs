//! `Aggregate` (EXPLAIN's `HashAggregate`): grouping in a hash table keyed by the group
//! values, output in group-key order (sorted once at the end: deterministic, and cheap next
//! to the input), within `work_mem` (see [`super::memory`]), with one [`CallState`] per group
//! and call: FILTER skips rows, DISTINCT and ORDER BY
//! inside the call are the state's. Without GROUP BY an empty input still yields one row
//! (`count` 0, other aggregates NULL).
//!
//! Grouping sets (ROLLUP, CUBE, GROUPING SETS) take a path of their own, so plain GROUP BY
//! pays nothing for them: one hash table per set, each input row's group values computed
//! once and looked up in every table by the values of that set (a row belongs to one group
//! per set), each call's FILTER, arguments and sort keys evaluated once per row and fed to
//! the row's group of every set. Groups are charged to one budget. Output is set by set in
//! key order; values outside a group's set are NULL, and each empty set yields one row even
//! for no input. GROUPING calls are not fed: their values come from the group's set.

use super::accumulator::CallState;
use super::memory::{Budget, row_bytes};
use super::{Context, Operator, Tuple};
use crate::expr::Expr;
use crate::planner::{AggCall, AggFunc};
use crate::{Result, Value};
use rustc_hash::FxHashMap;

pub struct Aggregate {
    input: Box<dyn Operator>,
    groups: Vec<Expr>,
    /// The calls fed rows: every call but GROUPING.
    calls: Vec<AggCall>,
    /// GROUPING calls: their position among all the calls and their arguments' group keys.
    grouping: Vec<(usize, Vec<usize>)>,
    sets: Option<Vec<Vec<usize>>>,
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

/// One group of a grouping set: the set, its key (the set's values) and the call states.
type SetGroup = (usize, Vec<Value>, Vec<CallState>);

impl Aggregate {
    pub fn new(
        input: Box<dyn Operator>,
        groups: Vec<Expr>,
        calls: Vec<AggCall>,
        sets: Option<Vec<Vec<usize>>>,
    ) -> Self {
        let mut fed = Vec::with_capacity(calls.len());
        let mut grouping = Vec::new();
        for (i, call) in calls.into_iter().enumerate() {
            if call.func != AggFunc::Grouping {
                fed.push(call);
                continue;
            }
            let keys = call
                .args
                .iter()
                .filter_map(|a| match a {
                    Expr::Literal(Value::Int(k)) => usize::try_from(*k).ok(),
                    _ => None,
                })
                .collect();
            grouping.push((i, keys));
        }
        Aggregate {
            input,
            groups,
            calls: fed,
            grouping,
            sets,
            output: None,
        }
    }

    fn fresh(&self) -> Vec<CallState> {
        self.calls.iter().map(CallState::new).collect()
    }

    /// The output row of a group: `key` (every group value, NULL outside the set), then
    /// each call's value; `absent(k)` says whether group key `k` is outside the set.
    fn finish(
        &self,
        mut row: Vec<Value>,
        states: &[CallState],
        absent: impl Fn(usize) -> bool,
    ) -> Result<Tuple> {
        if self.grouping.is_empty() {
            for (call, state) in self.calls.iter().zip(states) {
                row.push(state.finish(call)?);
            }
            return Ok(Tuple::derived(row));
        }
        let mut fed = self.calls.iter().zip(states);
        let mut grouping = self.grouping.iter().peekable();
        for pos in 0..self.calls.len() + self.grouping.len() {
            if let Some((_, keys)) = grouping.next_if(|(p, _)| *p == pos) {
                let mask = keys
                    .iter()
                    .fold(0i64, |m, &k| (m << 1) | i64::from(absent(k)));
                row.push(Value::Int(mask));
            } else if let Some((call, state)) = fed.next() {
                row.push(state.finish(call)?);
            }
        }
        Ok(Tuple::derived(row))
    }

    fn run(&mut self, ctx: &mut Context) -> Result<Vec<Tuple>> {
        if let Some(sets) = self.sets.take() {
            return self.run_sets(&sets, ctx);
        }
        // Groups in arrival order, found through `index` by key, or through `ints` by a
        // single integer key (one `i64` hashed and compared instead of a `Vec<Value>`).
        let mut groups: Vec<(Vec<Value>, Vec<CallState>)> = Vec::new();
        let mut index: FxHashMap<Vec<Value>, usize> = FxHashMap::default();
        let mut ints: FxHashMap<i64, usize> = FxHashMap::default();
        let mut key: Vec<Value> = Vec::with_capacity(self.groups.len());
        let mut budget = Budget::new("aggregate");
        let per_group = self.calls.len() * std::mem::size_of::<CallState>();
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
                    groups.push((key.clone(), self.fresh()));
                    g
                }
            };
            feed(&self.calls, &mut groups[g].1, &t.row, ctx)?;
        }
        if groups.is_empty() && self.groups.is_empty() {
            groups.push((Vec::new(), self.fresh()));
        }
        groups.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut out = Vec::with_capacity(groups.len());
        for (key, states) in groups {
            out.push(self.finish(key, &states, |_| false)?);
        }
        Ok(out)
    }

    /// The grouping-sets path (see the module docs).
    fn run_sets(&mut self, sets: &[Vec<usize>], ctx: &mut Context) -> Result<Vec<Tuple>> {
        let mut groups: Vec<SetGroup> = Vec::new();
        let mut index: Vec<FxHashMap<Vec<Value>, usize>> = vec![FxHashMap::default(); sets.len()];
        let mut values: Vec<Value> = Vec::with_capacity(self.groups.len());
        let mut key: Vec<Value> = Vec::with_capacity(self.groups.len());
        // The row's group in each set.
        let mut members: Vec<usize> = Vec::with_capacity(sets.len());
        let mut budget = Budget::new("aggregate");
        let per_group = self.calls.len() * std::mem::size_of::<CallState>();
        while let Some(t) = self.input.next(ctx)? {
            values.clear();
            for g in &self.groups {
                values.push(g.eval(&t.row, ctx)?);
            }
            members.clear();
            for (s, set) in sets.iter().enumerate() {
                key.clear();
                key.extend(set.iter().map(|&k| values[k].clone()));
                let g = match index[s].get(key.as_slice()) {
                    Some(&g) => g,
                    None => {
                        budget.charge(ctx, row_bytes(&key) + per_group)?;
                        let g = groups.len();
                        index[s].insert(key.clone(), g);
                        groups.push((s, key.clone(), self.fresh()));
                        g
                    }
                };
                members.push(g);
            }
            self.feed_members(&mut groups, &members, &t.row, ctx)?;
        }
        for (s, set) in sets.iter().enumerate() {
            if set.is_empty() && index[s].is_empty() {
                groups.push((s, Vec::new(), self.fresh()));
            }
        }
        groups.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        let mut out = Vec::with_capacity(groups.len());
        let mut absent = vec![true; self.groups.len()];
        for (s, key, states) in groups {
            let set = &sets[s];
            let mut row = vec![Value::Null; self.groups.len()];
            for (&k, v) in set.iter().zip(key) {
                row[k] = v;
            }
            absent.iter_mut().for_each(|a| *a = true);
            for &k in set {
                absent[k] = false;
            }
            out.push(self.finish(row, &states, |k| absent.get(k).copied().unwrap_or(true))?);
        }
        Ok(out)
    }

    /// Feeds `row` to the groups it belongs to (one per set), each call's inputs evaluated
    /// once.
    fn feed_members(
        &self,
        groups: &mut [SetGroup],
        members: &[usize],
        row: &[Value],
        ctx: &Context,
    ) -> Result<()> {
        for (c, call) in self.calls.iter().enumerate() {
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
            let args = call
                .args
                .iter()
                .map(|a| a.eval(row, ctx))
                .collect::<Result<Vec<_>>>()?;
            for &g in members {
                groups[g].2[c].add(&args, keys.clone())?;
            }
        }
        Ok(())
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
