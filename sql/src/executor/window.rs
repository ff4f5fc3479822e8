//! `Window`: window functions over the input rows; each output row is the input row followed
//! by one value per call.
//!
//! The input is materialized. For each call, the rows are sorted by (PARTITION BY values,
//! ORDER BY keys) and walked partition by partition: peer groups (rows equal on the ORDER BY
//! keys; the whole partition without ORDER BY) give the ranking functions, and frames
//! (`window_frame.rs`) give the value functions and the aggregates. An aggregate whose
//! frame starts at UNBOUNDED PRECEDING is accumulated incrementally (the frame only grows);
//! others (and frames with an EXCLUDE) are recomputed per row. Rows come out in the order of the last call's sort, as in
//! PostgreSQL; a query's ORDER BY sorts them afterwards anyway.

use super::accumulator::{CallState, compare_keys};
use super::aggregate::feed;
use super::window_frame::{self, Bound, Partition};
use super::{Context, Operator, Tuple, collect};
use crate::planner::{AggCall, FrameExclude, WindowCall, WindowFunc};
use crate::storage::Row;
use crate::{Error, Result, Value};

pub struct Window {
    input: Box<dyn Operator>,
    calls: Vec<WindowCall>,
    output: Option<std::vec::IntoIter<Tuple>>,
}

impl Window {
    pub fn new(input: Box<dyn Operator>, calls: Vec<WindowCall>) -> Self {
        Window {
            input,
            calls,
            output: None,
        }
    }

    fn run(&mut self, ctx: &mut Context) -> Result<Vec<Tuple>> {
        let rows: Vec<Row> = collect(self.input.as_mut(), ctx)?
            .into_iter()
            .map(|t| t.row)
            .collect();
        let mut results: Vec<Vec<Value>> = vec![Vec::with_capacity(self.calls.len()); rows.len()];
        let mut order: Vec<usize> = (0..rows.len()).collect();
        for call in &self.calls {
            order = evaluate_call(call, &rows, &mut results, ctx)?;
        }
        Ok(order
            .into_iter()
            .map(|i| {
                let mut row = rows[i].clone();
                row.append(&mut results[i]);
                Tuple::derived(row)
            })
            .collect())
    }
}

impl Operator for Window {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        if self.output.is_none() {
            let rows = self.run(ctx)?;
            self.output = Some(rows.into_iter());
        }
        Ok(self.output.as_mut().expect("computed above").next())
    }
}

/// Computes `call` for every row (pushing onto `results`); returns the rows' sorted order.
fn evaluate_call(
    call: &WindowCall,
    rows: &[Row],
    results: &mut [Vec<Value>],
    ctx: &Context,
) -> Result<Vec<usize>> {
    let eval_all = |exprs: &[crate::expr::Expr], row: &Row| {
        exprs
            .iter()
            .map(|e| e.eval(row, ctx))
            .collect::<Result<Vec<_>>>()
    };
    let mut keyed = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let part = eval_all(&call.partition_by, row)?;
        let keys = call
            .order_by
            .iter()
            .map(|k| k.expr.eval(row, ctx))
            .collect::<Result<Vec<_>>>()?;
        keyed.push((part, keys, i));
    }
    keyed.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| compare_keys(&call.order_by, &a.1, &b.1))
    });
    let eval_offset = |e: &crate::expr::Expr| e.eval(&[], ctx);
    let range = call.frame.units == crate::planner::FrameUnits::Range;
    let start = window_frame::evaluate(&call.frame.start, true, range, &eval_offset)?;
    let end = window_frame::evaluate(&call.frame.end, false, range, &eval_offset)?;
    let mut p = 0;
    while p < keyed.len() {
        let mut q = p + 1;
        while q < keyed.len() && keyed[q].0 == keyed[p].0 {
            q += 1;
        }
        let part = &keyed[p..q];
        let values = evaluate_partition(call, part, rows, &start, &end, ctx)?;
        for ((_, _, i), v) in part.iter().zip(values) {
            results[*i].push(v);
        }
        crate::interrupt::check()?;
        p = q;
    }
    Ok(keyed.into_iter().map(|(_, _, i)| i).collect())
}

/// The call's values for one partition (rows in sorted order).
fn evaluate_partition(
    call: &WindowCall,
    part: &[(Vec<Value>, Vec<Value>, usize)],
    rows: &[Row],
    start: &Bound,
    end: &Bound,
    ctx: &Context,
) -> Result<Vec<Value>> {
    let n = part.len();
    let row = |pos: usize| &rows[part[pos].2];
    // Peer groups.
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut group_of = Vec::with_capacity(n);
    for pos in 0..n {
        let new_group =
            pos == 0 || compare_keys(&call.order_by, &part[pos - 1].1, &part[pos].1).is_ne();
        if new_group {
            groups.push((pos, pos));
        }
        let g = groups.len() - 1;
        groups[g].1 = pos + 1;
        group_of.push(g);
    }
    let peers: Vec<(usize, usize)> = group_of.iter().map(|g| groups[*g]).collect();
    let keys: Vec<Value> = part
        .iter()
        .map(|(_, k, _)| k.first().cloned().unwrap_or(Value::Null))
        .collect();
    let layout = Partition {
        peers: &peers,
        group_of: &group_of,
        groups: &groups,
        keys: &keys,
        desc: call.order_by.first().is_some_and(|k| k.desc),
    };
    let arg = |i: usize, pos: usize| -> Result<Value> {
        match call.args.get(i) {
            Some(e) => e.eval(row(pos), ctx),
            None => Ok(Value::Null),
        }
    };
    let frame = |pos: usize| layout.frame(&call.frame, start, end, pos);
    // The positions of the frame of `pos`, less the rows its EXCLUDE takes out.
    let exclude = call.frame.exclude;
    let excluded = |pos: usize, p: usize| match exclude {
        FrameExclude::NoOthers => false,
        FrameExclude::CurrentRow => p == pos,
        FrameExclude::Group => (peers[pos].0..peers[pos].1).contains(&p),
        FrameExclude::Ties => p != pos && (peers[pos].0..peers[pos].1).contains(&p),
    };
    let members = |pos: usize| {
        let (s, e) = frame(pos);
        (s..e).filter(move |p| !excluded(pos, *p))
    };
    let mut out = Vec::with_capacity(n);
    match call.func {
        WindowFunc::RowNumber => out.extend((1..=n).map(|r| Value::Int(r as i64))),
        WindowFunc::Rank => out.extend(peers.iter().map(|(s, _)| Value::Int(*s as i64 + 1))),
        WindowFunc::DenseRank => out.extend(group_of.iter().map(|g| Value::Int(*g as i64 + 1))),
        WindowFunc::PercentRank => out.extend(peers.iter().map(|(s, _)| {
            Value::Float(if n > 1 {
                *s as f64 / (n - 1) as f64
            } else {
                0.0
            })
        })),
        WindowFunc::CumeDist => out.extend(
            peers
                .iter()
                .map(|(_, e)| Value::Float(*e as f64 / n as f64)),
        ),
        WindowFunc::Ntile => match arg(0, 0)? {
            Value::Null => out.extend(std::iter::repeat_n(Value::Null, n)),
            Value::Int(k) if k <= 0 => {
                return Err(Error::InvalidArgumentForNtile(
                    "argument of ntile must be greater than zero".into(),
                ));
            }
            Value::Int(k) => out.extend((0..n).map(|pos| Value::Int(ntile(pos, n, k as usize)))),
            other => return Err(Error::Internal(format!("ntile of {other:?}"))),
        },
        WindowFunc::Lag | WindowFunc::Lead => {
            for pos in 0..n {
                let offset = if call.args.len() > 1 {
                    arg(1, pos)?
                } else {
                    Value::Int(1)
                };
                let Value::Int(k) = offset else {
                    out.push(Value::Null);
                    continue;
                };
                let target = if call.func == WindowFunc::Lag {
                    (pos as i64).checked_sub(k)
                } else {
                    (pos as i64).checked_add(k)
                };
                out.push(match target {
                    Some(t) if (0..n as i64).contains(&t) => arg(0, t as usize)?,
                    _ => arg(2, pos)?,
                });
            }
        }
        WindowFunc::FirstValue | WindowFunc::LastValue | WindowFunc::NthValue => {
            for pos in 0..n {
                let target = match call.func {
                    WindowFunc::FirstValue => members(pos).next(),
                    WindowFunc::LastValue => members(pos).next_back(),
                    _ => match arg(1, pos)? {
                        Value::Int(k) if k <= 0 => {
                            return Err(Error::InvalidArgumentForNthValue(
                                "argument of nth_value must be greater than zero".into(),
                            ));
                        }
                        Value::Int(k) => usize::try_from(k - 1)
                            .ok()
                            .and_then(|k| members(pos).nth(k)),
                        _ => None,
                    },
                };
                out.push(match target {
                    Some(t) => arg(0, t)?,
                    None => Value::Null,
                });
            }
        }
        WindowFunc::Aggregate(func) => {
            let agg = AggCall {
                func,
                args: call.args.clone(),
                distinct: false,
                filter: call.filter.clone(),
                order_by: Vec::new(),
            };
            let calls = std::slice::from_ref(&agg);
            // From UNBOUNDED PRECEDING the frame's end only moves forward (unless EXCLUDE
            // takes rows out of its middle).
            let growing =
                matches!(start, Bound::UnboundedPreceding) && exclude == FrameExclude::NoOthers;
            let mut running = [CallState::new(&agg)];
            let mut fed = 0;
            for pos in 0..n {
                let (s, e) = frame(pos);
                if growing && e >= fed {
                    while fed < e {
                        feed(calls, &mut running, row(fed), ctx)?;
                        fed += 1;
                    }
                    out.push(running[0].finish(&agg)?);
                } else {
                    let mut state = [CallState::new(&agg)];
                    for p in (s..e).filter(|p| !excluded(pos, *p)) {
                        feed(calls, &mut state, row(p), ctx)?;
                    }
                    out.push(state[0].finish(&agg)?);
                }
            }
        }
    }
    Ok(out)
}

/// The bucket (1-based) of position `pos` among `n` rows split into `k` buckets: the first
/// `n % k` buckets get one row more (PostgreSQL's ntile).
fn ntile(pos: usize, n: usize, k: usize) -> i64 {
    if k >= n {
        return pos as i64 + 1;
    }
    let (base, extra) = (n / k, n % k);
    let big = extra * (base + 1);
    let bucket = if pos < big {
        pos / (base + 1)
    } else {
        extra + (pos - big) / base
    };
    bucket as i64 + 1
}

#[cfg(test)]
mod tests {
    use super::ntile;

    #[test]
    fn ntile_gives_the_first_buckets_the_extra_rows() {
        let buckets: Vec<i64> = (0..7).map(|p| ntile(p, 7, 3)).collect();
        assert_eq!(buckets, [1, 1, 1, 2, 2, 3, 3]);
        let buckets: Vec<i64> = (0..2).map(|p| ntile(p, 2, 5)).collect();
        assert_eq!(buckets, [1, 2]);
    }
}
