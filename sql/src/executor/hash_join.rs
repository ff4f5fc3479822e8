//! `HashJoin`: an equi-join that builds a hash table over the right input and streams the
//! left input through it.
//!
//! The right input is materialized on the first call and indexed by its key values; a row
//! whose key has a NULL in a non-NULL-safe position can never match (`=` is not true for
//! NULL) and is not indexed, but is kept for RIGHT/FULL joins, which emit unmatched right
//! rows padded with NULLs after the left input is exhausted. A left row's candidates are
//! checked against `residual` (the rest of the join condition) on the concatenated row;
//! LEFT/FULL joins emit a left row that matched nothing padded with NULLs. Semi and anti joins
//! (and NOT IN's null-aware anti join, see [`JoinKind::NotIn`]) emit the left row alone,
//! once, when it has (has no) match.

use super::memory::{Budget, collect_within, row_bytes};
use super::{Context, Operator, Tuple};
use crate::expr::Expr;
use crate::planner::{EquiJoin, JoinKind};
use crate::{Result, Value};
use rustc_hash::FxHashMap;

pub struct HashJoin {
    left: Box<dyn Operator>,
    right: Box<dyn Operator>,
    join: EquiJoin,
    built: Option<Built>,
    /// The current left row, its bucket of candidate right rows (if any), the next candidate,
    /// whether it matched.
    current: Option<(Vec<Value>, Option<usize>, usize, bool)>,
    /// Index of the next right row to consider for the unmatched tail.
    tail: usize,
    /// The probe key of the current left row, reused across rows (no allocation per row).
    key: Vec<Value>,
}

struct Built {
    rows: Vec<Vec<Value>>,
    matched: Vec<bool>,
    /// Key → index of its bucket in `buckets` (the right rows with that key, in input order).
    table: FxHashMap<Vec<Value>, usize>,
    /// The same map by integer, when there is one key and every build key is an integer
    /// (the common join on an int column): an integer probe then hashes and compares one
    /// `i64` instead of a `Vec<Value>`. Other probes use `table`.
    ints: Option<FxHashMap<i64, usize>>,
    /// The same again as an array indexed by `key - min`, when the integer keys are dense
    /// (a join on a surrogate key, ids 1..n): a probe is then one bounds check and one load.
    dense: Option<(i64, Vec<Option<usize>>)>,
    buckets: Vec<Vec<usize>>,
    /// NOT IN only: each group's correlation key (the keys but the last) → whether the
    /// group has a NULL value (see [`JoinKind::NotIn`]).
    groups: FxHashMap<Vec<Value>, bool>,
}

/// Evaluates the key of `row` into `out`; false if it has a NULL where NULL matches nothing.
fn key_of(
    keys: &[Expr],
    null_safe: &[bool],
    row: &[Value],
    ctx: &Context,
    out: &mut Vec<Value>,
) -> Result<bool> {
    out.clear();
    for (k, safe) in keys.iter().zip(null_safe) {
        let v = k.eval(row, ctx)?;
        if v.is_null() && !safe {
            return Ok(false);
        }
        out.push(v);
    }
    Ok(true)
}

impl Built {
    /// The bucket of right rows whose key equals `key`.
    fn bucket(&self, key: &[Value]) -> Option<usize> {
        match (&self.dense, &self.ints, key) {
            (Some((min, slots)), _, [Value::Int(i)]) => i
                .checked_sub(*min)
                .and_then(|at| usize::try_from(at).ok())
                .and_then(|at| slots.get(at).copied().flatten()),
            (None, Some(ints), [Value::Int(i)]) => ints.get(i).copied(),
            _ => self.table.get(key).copied(),
        }
    }
}

/// The dense array for `ints` (see [`Built::dense`]): when its keys span at most four
/// slots per key (or 64) and at most 2^18 slots (4 MiB, uncharged: a fraction of what
/// the keys themselves were charged).
fn dense(ints: &FxHashMap<i64, usize>) -> Option<(i64, Vec<Option<usize>>)> {
    let min = *ints.keys().min()?;
    let max = *ints.keys().max()?;
    let span = usize::try_from(max.checked_sub(min)?)
        .ok()?
        .checked_add(1)?;
    if span > (ints.len() * 4).max(64) || span > 1 << 18 {
        return None;
    }
    let mut slots = vec![None; span];
    for (k, b) in ints {
        slots[usize::try_from(k - min).ok()?] = Some(*b);
    }
    Some((min, slots))
}

impl HashJoin {
    pub fn new(left: Box<dyn Operator>, right: Box<dyn Operator>, join: EquiJoin) -> Self {
        HashJoin {
            left,
            right,
            join,
            built: None,
            current: None,
            tail: 0,
            key: Vec::new(),
        }
    }

    fn build(&mut self, ctx: &mut Context) -> Result<Built> {
        let rows: Vec<Vec<Value>> = collect_within(self.right.as_mut(), ctx, "hash join")?
            .into_iter()
            .map(|t| t.row)
            .collect();
        let mut table: FxHashMap<Vec<Value>, usize> = FxHashMap::default();
        let mut buckets: Vec<Vec<usize>> = Vec::new();
        let mut budget = Budget::new("hash join");
        let mut groups: FxHashMap<Vec<Value>, bool> = FxHashMap::default();
        let not_in = self.join.kind == JoinKind::NotIn;
        let mut key = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            if not_in {
                // The correlation key (all keys but the value) names the row's group; a
                // NULL there puts the row in no group.
                let n = self.join.right_keys.len().saturating_sub(1);
                if !key_of(
                    &self.join.right_keys[..n],
                    &self.join.null_safe[..n],
                    row,
                    ctx,
                    &mut key,
                )? {
                    continue;
                }
                let value = self.join.right_keys[n].eval(row, ctx)?;
                let null = value.is_null();
                match groups.get_mut(key.as_slice()) {
                    Some(has_null) => *has_null |= null,
                    None => {
                        budget.charge(ctx, row_bytes(&key))?;
                        groups.insert(key.clone(), null);
                    }
                }
                if null {
                    continue;
                }
                key.push(value);
            } else if !key_of(
                &self.join.right_keys,
                &self.join.null_safe,
                row,
                ctx,
                &mut key,
            )? {
                continue;
            }
            match table.get(key.as_slice()) {
                Some(&b) => buckets[b].push(i),
                None => {
                    budget.charge(ctx, row_bytes(&key))?;
                    table.insert(key.clone(), buckets.len());
                    buckets.push(vec![i]);
                }
            }
        }
        let ints = table
            .iter()
            .map(|(k, b)| match k.as_slice() {
                [Value::Int(i)] => Some((*i, *b)),
                _ => None,
            })
            .collect::<Option<FxHashMap<i64, usize>>>();
        let dense = ints.as_ref().and_then(dense);
        Ok(Built {
            matched: vec![false; rows.len()],
            rows,
            table,
            ints,
            dense,
            buckets,
            groups,
        })
    }

    /// Whether NOT IN keeps left row `row` (see [`JoinKind::NotIn`]).
    fn keep_not_in(&mut self, row: &[Value], ctx: &Context) -> Result<bool> {
        let built = self.built.as_ref().expect("built before");
        let n = self.join.left_keys.len().saturating_sub(1);
        if !key_of(
            &self.join.left_keys[..n],
            &self.join.null_safe[..n],
            row,
            ctx,
            &mut self.key,
        )? {
            return Ok(true); // a NULL correlation key: the group is empty
        }
        let Some(&has_null) = built.groups.get(self.key.as_slice()) else {
            return Ok(true); // an empty group
        };
        let value = self.join.left_keys[n].eval(row, ctx)?;
        if value.is_null() || has_null {
            return Ok(false);
        }
        self.key.push(value);
        Ok(built.bucket(&self.key).is_none())
    }

    /// Semi / anti / NOT IN joins: the next left row to keep.
    fn next_left_only(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        let kind = self.join.kind;
        while let Some(t) = self.left.next(ctx)? {
            crate::interrupt::check()?;
            if kind == JoinKind::NotIn {
                if self.keep_not_in(&t.row, ctx)? {
                    return Ok(Some(t));
                }
                continue;
            }
            let built = self.built.as_ref().expect("built before");
            let has_key = key_of(
                &self.join.left_keys,
                &self.join.null_safe,
                &t.row,
                ctx,
                &mut self.key,
            )?;
            let bucket = if has_key {
                built.bucket(&self.key)
            } else {
                None
            };
            let mut matched = false;
            if let Some(b) = bucket {
                for &i in &built.buckets[b] {
                    let ok = match &self.join.residual {
                        Some(p) => {
                            let mut row = t.row.clone();
                            row.extend(built.rows[i].iter().cloned());
                            p.is_true(&row, ctx)?
                        }
                        None => true,
                    };
                    if ok {
                        matched = true;
                        break;
                    }
                }
            }
            if matched == (kind == JoinKind::Semi) {
                return Ok(Some(t));
            }
        }
        Ok(None)
    }
}

impl Operator for HashJoin {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Tuple>> {
        if self.built.is_none() {
            self.built = Some(self.build(ctx)?);
        }
        if self.join.kind.left_only() {
            return self.next_left_only(ctx);
        }
        loop {
            if self.current.is_none() {
                let Some(t) = self.left.next(ctx)? else { break };
                let built = self.built.as_ref().expect("built above");
                let bucket = if key_of(
                    &self.join.left_keys,
                    &self.join.null_safe,
                    &t.row,
                    ctx,
                    &mut self.key,
                )? {
                    built.bucket(&self.key)
                } else {
                    None
                };
                self.current = Some((t.row, bucket, 0, false));
            }
            let built = self.built.as_mut().expect("built above");
            let (left_row, bucket, pos, matched) = self.current.as_mut().expect("set above");
            let candidates: &[usize] = match bucket {
                Some(b) => &built.buckets[*b],
                None => &[],
            };
            while *pos < candidates.len() {
                let i = candidates[*pos];
                *pos += 1;
                let right = &built.rows[i];
                let row = match &self.join.residual {
                    Some(p) => {
                        let mut row = Vec::with_capacity(left_row.len() + right.len());
                        row.extend_from_slice(left_row);
                        row.extend_from_slice(right);
                        if !p.is_true(&row, ctx)? {
                            continue;
                        }
                        row
                    }
                    // The last candidate without a residual: the left row is not needed
                    // again (it matched), so it moves into the output instead of a copy.
                    None if *pos == candidates.len() => {
                        let mut row = std::mem::take(left_row);
                        row.extend_from_slice(right);
                        row
                    }
                    None => {
                        let mut row = Vec::with_capacity(left_row.len() + right.len());
                        row.extend_from_slice(left_row);
                        row.extend_from_slice(right);
                        row
                    }
                };
                *matched = true;
                built.matched[i] = true;
                return Ok(Some(Tuple::derived(row)));
            }
            let (left_row, _, _, matched) = self.current.take().expect("set above");
            if !matched && matches!(self.join.kind, JoinKind::Left | JoinKind::Full) {
                let mut row = left_row;
                row.extend(std::iter::repeat_n(Value::Null, self.join.right_width));
                return Ok(Some(Tuple::derived(row)));
            }
            crate::interrupt::check()?;
        }
        if matches!(self.join.kind, JoinKind::Right | JoinKind::Full) {
            let built = self.built.as_ref().expect("built above");
            while self.tail < built.rows.len() {
                let i = self.tail;
                self.tail += 1;
                if !built.matched[i] {
                    let mut row = vec![Value::Null; self.join.left_width];
                    row.extend(built.rows[i].iter().cloned());
                    return Ok(Some(Tuple::derived(row)));
                }
            }
        }
        Ok(None)
    }
}
