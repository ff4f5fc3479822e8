//! `Aggregate`: grouping (a `BTreeMap` keyed by the group values, so output is in group-key
//! order) with one [`CallState`] per group and call: FILTER skips rows, DISTINCT and ORDER BY
//! inside the call are the state's. Without GROUP BY an empty input still yields one row
//! (`count` 0, other aggregates NULL).

use super::accumulator::CallState;
use super::{Context, Operator, Tuple};
use crate::expr::Expr;
use crate::planner::AggCall;
use crate::{Result, Value};
use std::collections::BTreeMap;

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
        let args = call
            .args
            .iter()
            .map(|a| a.eval(row, ctx))
            .collect::<Result<Vec<_>>>()?;
        let keys = call
            .order_by
            .iter()
            .map(|k| k.expr.eval(row, ctx))
            .collect::<Result<Vec<_>>>()?;
        state.add(args, keys)?;
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
        let mut groups: BTreeMap<Vec<Value>, Vec<CallState>> = BTreeMap::new();
        let fresh = |calls: &[AggCall]| calls.iter().map(CallState::new).collect::<Vec<_>>();
        while let Some(t) = self.input.next(ctx)? {
            let key = self
                .groups
                .iter()
                .map(|g| g.eval(&t.row, ctx))
                .collect::<Result<Vec<_>>>()?;
            let states = groups.entry(key).or_insert_with(|| fresh(&self.calls));
            feed(&self.calls, states, &t.row, ctx)?;
        }
        if groups.is_empty() && self.groups.is_empty() {
            groups.insert(Vec::new(), fresh(&self.calls));
        }
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
