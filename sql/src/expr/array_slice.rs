//! Slices of arrays of any number of dimensions: reading `a[lo:hi][lo:hi]...`
//! (PostgreSQL's `array_get_slice`) and the row-major walk over a rectangular region that
//! reading and assigning ([`super::array_assign::assign_slice`]) share.
//!
//! A subscript written without a colon inside a slice is the range `1:i`, as in PostgreSQL
//! (the binder supplies the 1); a missing bound is the array's own.

use crate::types::Value;
use crate::types::array::{Array, Dim};

/// The written bounds of an `n`-dimensional slice, per dimension (see [`ArrayFn::Slice`]).
pub(super) fn bounds(
    args: &[Value],
    n: u8,
    lower: u8,
    upper: u8,
) -> Vec<(Option<&Value>, Option<&Value>)> {
    let mut it = args.iter();
    (0..n)
        .map(|i| {
            let lo = if lower & (1 << i) != 0 {
                it.next()
            } else {
                None
            };
            let hi = if upper & (1 << i) != 0 {
                it.next()
            } else {
                None
            };
            (lo, hi)
        })
        .collect()
}

/// `a[lo:hi][lo:hi]...` (PostgreSQL's `array_get_slice`): each range clipped to the
/// array's bounds, dimensions past the written ones taken whole, the result's lower bounds
/// 1; an empty array when a range is empty or more are written than `a` has dimensions.
pub(super) fn slice(a: &Array, bounds: &[(Option<i64>, Option<i64>)]) -> Array {
    if a.dims.is_empty() || a.dims.len() < bounds.len() {
        return Array::empty();
    }
    // Each dimension's first and last index, relative to its lower bound.
    let mut ranges = Vec::with_capacity(a.dims.len());
    for (i, d) in a.dims.iter().enumerate() {
        let first = i64::from(d.lower);
        let last = first + i64::from(d.len) - 1;
        let (lo, hi) = bounds.get(i).copied().unwrap_or((None, None));
        let lo = lo.unwrap_or(first).max(first);
        let hi = hi.unwrap_or(last).min(last);
        if lo > hi {
            return Array::empty();
        }
        ranges.push(((lo - first) as usize, (hi - first) as usize));
    }
    let dims = ranges
        .iter()
        .map(|&(lo, hi)| Dim {
            len: (hi - lo + 1) as i32,
            lower: 1,
        })
        .collect();
    Array {
        dims,
        items: region(a, &ranges).into_iter().cloned().collect(),
    }
}

/// The offsets (row-major) of the items of `a` inside `ranges` (relative, inclusive), in
/// order.
pub(super) fn offsets(dims: &[Dim], ranges: &[(usize, usize)]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut idx: Vec<usize> = ranges.iter().map(|r| r.0).collect();
    if ranges.iter().any(|r| r.0 > r.1) || idx.is_empty() {
        return out;
    }
    loop {
        let offset = dims
            .iter()
            .zip(&idx)
            .fold(0usize, |acc, (d, &i)| acc * d.len as usize + i);
        out.push(offset);
        // advance the odometer, last dimension fastest
        let mut k = idx.len();
        loop {
            if k == 0 {
                return out;
            }
            k -= 1;
            if idx[k] < ranges[k].1 {
                idx[k] += 1;
                break;
            }
            idx[k] = ranges[k].0;
        }
    }
}

fn region<'a>(a: &'a Array, ranges: &[(usize, usize)]) -> Vec<&'a Value> {
    offsets(&a.dims, ranges)
        .into_iter()
        .filter_map(|o| a.items.get(o))
        .collect()
}
