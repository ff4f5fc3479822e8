//! Rule: `ORDER BY ... LIMIT` read in index order instead of sorted.
//!
//! For `Limit(Sort(keys, Project(exprs, [Filter(p,)] Scan(t, access))))` where every sort key
//! is ascending with NULLS LAST (PostgreSQL's default order, which is also the key order of
//! our B-trees, NULLs last) and names through the projection a plain column of `t`, and those
//! columns are a prefix of the primary key or of an index: the scan reads that key in order
//! (a full scan becomes an unbounded range on it; a range scan on the same key already is
//! ordered) and the `Sort` is dropped, so the `Limit` stops the scan after a few rows.
//! Scans on another key keep their `Sort`. A `LockRows` (`FOR UPDATE`) between the `Limit`
//! and the `Sort` stays where it is.

use super::{AccessPlan, Plan, RangePlan, SortKey};
use crate::expr::Expr;
use crate::storage::TableDef;
use std::ops::Bound;

/// The rule for one node (see [`super::visit::transform`] for applying it everywhere).
pub fn order_by_index(plan: &mut Plan) {
    let Plan::Limit { input, .. } = plan else {
        return;
    };
    // `FOR UPDATE` locks between the sort and the limit.
    let input = match input.as_mut() {
        Plan::LockRows { input, .. } => input,
        _ => input,
    };
    if !matches!(input.as_ref(), Plan::Sort { .. }) {
        return;
    }
    let Plan::Sort { input: below, keys } =
        std::mem::replace(input.as_mut(), Plan::Values { rows: vec![] })
    else {
        return;
    };
    **input = match ordered(*below, &keys) {
        Ok(scan) => scan,
        Err(below) => Plan::Sort { input: below, keys },
    };
}

/// The key columns (`None`: primary key, else the index name) whose order `cols` is a prefix of.
fn key_for(table: &TableDef, cols: &[usize]) -> Option<Option<String>> {
    let prefix =
        |key: &[usize]| !cols.is_empty() && key.len() >= cols.len() && key[..cols.len()] == *cols;
    if prefix(&table.primary_key) {
        return Some(None);
    }
    table
        .indexes
        .iter()
        .find(|i| i.is_plain() && prefix(&i.columns))
        .map(|i| Some(i.name.clone()))
}

/// `input` reading in the sort order of `keys`, or `Err(input)` unchanged.
fn ordered(input: Plan, keys: &[SortKey]) -> Result<Plan, Box<Plan>> {
    let Plan::Project {
        input: below,
        exprs,
    } = input
    else {
        return Err(Box::new(input));
    };
    let cols: Option<Vec<usize>> = keys
        .iter()
        .map(|k| match exprs.get(k.column) {
            Some(Expr::Column(c)) if !k.desc && !k.nulls_first => Some(*c),
            _ => None,
        })
        .collect();
    let (filter, scan) = match *below {
        Plan::Filter { input, predicate } => (Some(predicate), *input),
        other => (None, other),
    };
    let rebuild = |scan: Plan, filter: Option<Expr>, exprs: Vec<Expr>| {
        let input = match filter {
            Some(predicate) => Plan::Filter {
                input: Box::new(scan),
                predicate,
            },
            None => scan,
        };
        Plan::Project {
            input: Box::new(input),
            exprs,
        }
    };
    let Plan::Scan {
        table,
        access,
        key_columns,
    } = scan
    else {
        return Err(Box::new(rebuild(scan, filter, exprs)));
    };
    let Some(key) = cols.as_deref().and_then(|c| key_for(&table, c)) else {
        return Err(Box::new(rebuild(
            Plan::Scan {
                table,
                access,
                key_columns,
            },
            filter,
            exprs,
        )));
    };
    let all = RangePlan {
        lower: Bound::Unbounded,
        upper: Bound::Unbounded,
    };
    let access = match (access, key) {
        (AccessPlan::Full, None) => AccessPlan::Primary(all),
        (AccessPlan::Full, Some(index)) => AccessPlan::Index { index, range: all },
        (a @ AccessPlan::Primary(_), None) => a,
        (AccessPlan::Index { index, range }, Some(k)) if index == k => {
            AccessPlan::Index { index, range }
        }
        (other, _) => {
            let scan = Plan::Scan {
                table,
                access: other,
                key_columns,
            };
            return Err(Box::new(rebuild(scan, filter, exprs)));
        }
    };
    Ok(rebuild(
        Plan::Scan {
            table,
            access,
            key_columns,
        },
        filter,
        exprs,
    ))
}
