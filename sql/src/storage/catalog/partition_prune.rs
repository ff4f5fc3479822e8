//! Partition pruning: which leaf partitions of a partitioned table can hold a row that
//! satisfies a predicate. A [`PruneTree`] is the partition hierarchy under one partitioned
//! table with every level's key and parsed bounds, built from the catalog when the table is
//! bound; [`PruneTree::surviving`] answers for a predicate over the table's columns.
//!
//! The answer must never leave out a partition that could hold a matching row, so the
//! analysis is conservative. For each level, the predicate is read as a boolean formula:
//!
//! * a conjunction collects, per key column, what its *atoms* allow — `key op constant`
//!   (`= < <= > >= <>`, either side), `key IN (constants)`, `key IS [NOT] NULL`,
//!   `key IS NOT DISTINCT FROM constant` — as a [`Con`] (a set of points, an interval, NULL
//!   only, nothing), and a partition survives the conjunction when its bound can meet those
//!   sets *and* it survives every other conjunct;
//! * `a OR b` keeps the partitions either side keeps;
//! * anything else (NOT, functions of the key, parameters, subqueries) keeps every partition.
//!
//! A constant is used only when its value has the key type's own representation (so it
//! compares as the routing of rows does, [`super::partition::Parsed::contains`]); a
//! comparison with NULL matches nothing. RANGE bounds are compared lexicographically with
//! the box the per-column sets span; LIST compares values; HASH needs a point (or NULL) on
//! every key column and hashes each combination as routing does. A default partition is
//! kept unless every key the predicate allows falls in one of its siblings (points checked
//! one by one, one-column intervals by covering them with the siblings' ranges). A
//! sub-partitioned partition that survives is pruned again with its own key.

use super::partition::{Datum, Parsed, PartitionBound, cmp_bounds, partitions};
use super::{Catalog, IndexDef, Oid, TableDef};
use crate::Result;
use crate::expr::{CmpOp, Expr, Params};
use crate::types::{DataType, Value};
use std::cmp::Ordering;
use std::ops::Bound;

/// Key combinations a hash or multi-column point check tries at most.
const MAX_COMBINATIONS: usize = 256;

/// The partitions under one partitioned table, with their bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct PruneTree {
    strategy: char,
    /// Each key element's column, `None` for an expression element.
    columns: Vec<Option<usize>>,
    types: Vec<DataType>,
    parts: Vec<(Parsed, Node)>,
    default: Option<Box<Node>>,
}

/// A partition: a leaf, or a partitioned table with its own partitions.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Leaf(Oid),
    Sub(PruneTree),
}

/// What a conjunction allows one key column to be.
#[derive(Debug, Clone, PartialEq)]
enum Con {
    /// Anything, NULL included.
    Any,
    /// Nothing: the conjunction is false for every row.
    Empty,
    /// Only NULL.
    Null,
    /// One of these (non-null) values.
    Points(Vec<Value>),
    /// A non-null value in this interval.
    Range(Bound<Value>, Bound<Value>),
}

impl PruneTree {
    /// The tree of partitioned `table`.
    pub fn new(catalog: &Catalog, table: &TableDef) -> Result<PruneTree> {
        let key = table
            .partition_key
            .as_deref()
            .ok_or_else(|| crate::Error::Internal(format!("{} is not partitioned", table.name)))?;
        let types = key.types(table)?;
        let mut parts = Vec::new();
        let mut default = None;
        for p in partitions(catalog, table.id) {
            let Some(of) = &p.partition_of else { continue };
            let node = if p.partition_key.is_some() {
                Node::Sub(PruneTree::new(catalog, p)?)
            } else {
                Node::Leaf(p.id)
            };
            match &of.bound {
                PartitionBound::Default => default = Some(Box::new(node)),
                b => parts.push((b.parse(&types)?, node)),
            }
        }
        Ok(PruneTree {
            strategy: key.strategy,
            columns: key
                .columns
                .iter()
                .map(|&c| (c != IndexDef::EXPRESSION).then_some(c))
                .collect(),
            types,
            parts,
            default,
        })
    }

    /// The leaves (by OID, in partition order) that can hold a row satisfying `predicate`,
    /// an expression over the partitioned table's columns.
    pub fn surviving(&self, predicate: &Expr) -> Vec<Oid> {
        let mut out = Vec::new();
        self.collect(predicate, &mut out);
        out
    }

    fn collect(&self, predicate: &Expr, out: &mut Vec<Oid>) {
        let keep = self.mask(predicate);
        let nodes = self
            .parts
            .iter()
            .map(|(_, n)| n)
            .chain(self.default.as_deref());
        for (node, keep) in nodes.zip(keep) {
            if !keep {
                continue;
            }
            match node {
                Node::Leaf(oid) => out.push(*oid),
                Node::Sub(tree) => tree.collect(predicate, out),
            }
        }
    }

    /// Which partitions (the non-default ones, then the default) `e` can hold rows of.
    fn mask(&self, e: &Expr) -> Vec<bool> {
        let n = self.parts.len() + usize::from(self.default.is_some());
        if let Expr::Or(a, b) = e {
            let (a, b) = (self.mask(a), self.mask(b));
            return a.iter().zip(&b).map(|(x, y)| *x || *y).collect();
        }
        let mut keep = vec![true; n];
        let mut cons = vec![Con::Any; self.columns.len()];
        for c in e.conjuncts() {
            if let Expr::Or(..) = c {
                for (k, m) in keep.iter_mut().zip(self.mask(c)) {
                    *k &= m;
                }
            } else if let Some((k, con)) = self.atom(c) {
                cons[k] = intersect(std::mem::replace(&mut cons[k], Con::Any), con);
            }
        }
        for (k, m) in keep.iter_mut().zip(self.mask_for(&cons)) {
            *k &= m;
        }
        keep
    }

    /// The key element a column expression is, if any.
    fn key_element(&self, e: &Expr) -> Option<usize> {
        let Expr::Column(c) = e else { return None };
        self.columns.iter().position(|k| *k == Some(*c))
    }

    /// A constant's value as key element `k`'s type represents it.
    fn constant(&self, e: &Expr, k: usize) -> Option<Value> {
        let v = const_value(e)?;
        key_value(v, *self.types.get(k)?)
    }

    /// `c` as a condition on one key element.
    fn atom(&self, c: &Expr) -> Option<(usize, Con)> {
        match c {
            Expr::Compare(op, l, r) => {
                let (k, op, v) = match (self.key_element(l), self.key_element(r)) {
                    (Some(k), _) => (k, *op, self.constant(r, k)?),
                    (None, Some(k)) => (k, op.flip(), self.constant(l, k)?),
                    _ => return None,
                };
                if v.is_null() {
                    return Some((k, Con::Empty));
                }
                let con = match op {
                    CmpOp::Eq => Con::Points(vec![v]),
                    CmpOp::NotEq => Con::Range(Bound::Unbounded, Bound::Unbounded),
                    CmpOp::Lt => Con::Range(Bound::Unbounded, Bound::Excluded(v)),
                    CmpOp::LtEq => Con::Range(Bound::Unbounded, Bound::Included(v)),
                    CmpOp::Gt => Con::Range(Bound::Excluded(v), Bound::Unbounded),
                    CmpOp::GtEq => Con::Range(Bound::Included(v), Bound::Unbounded),
                };
                Some((k, con))
            }
            Expr::InList {
                expr,
                list,
                negated: false,
            } => {
                let k = self.key_element(expr)?;
                let mut points = Vec::new();
                for item in list {
                    let v = self.constant(item, k)?;
                    // `k IN (.., NULL, ..)` is never true through the NULL.
                    if !v.is_null() {
                        points.push(v);
                    }
                }
                Some((k, points_con(points)))
            }
            Expr::IsNull { expr, negated } => {
                let k = self.key_element(expr)?;
                Some((
                    k,
                    if *negated {
                        Con::Range(Bound::Unbounded, Bound::Unbounded)
                    } else {
                        Con::Null
                    },
                ))
            }
            Expr::IsDistinct {
                left,
                right,
                negated: true,
            } => {
                let (k, v) = match (self.key_element(left), self.key_element(right)) {
                    (Some(k), _) => (k, self.constant(right, k)?),
                    (None, Some(k)) => (k, self.constant(left, k)?),
                    _ => return None,
                };
                Some((
                    k,
                    if v.is_null() {
                        Con::Null
                    } else {
                        points_con(vec![v])
                    },
                ))
            }
            _ => None,
        }
    }

    /// Which partitions can hold a key allowed by `cons` (one per key element).
    fn mask_for(&self, cons: &[Con]) -> Vec<bool> {
        let n = self.parts.len() + usize::from(self.default.is_some());
        if cons.contains(&Con::Empty) {
            return vec![false; n];
        }
        let mut keep: Vec<bool> = self
            .parts
            .iter()
            .map(|(b, _)| self.may_hold(b, cons))
            .collect();
        if self.default.is_some() {
            keep.push(!self.covered(cons));
        }
        keep
    }

    /// Whether non-default bound `b` can hold a key allowed by `cons`.
    fn may_hold(&self, b: &Parsed, cons: &[Con]) -> bool {
        match b {
            Parsed::Default => true,
            Parsed::List(vals) => match cons.first().unwrap_or(&Con::Any) {
                Con::Any => true,
                Con::Empty => false,
                Con::Null => vals.iter().any(Value::is_null),
                Con::Points(ps) => vals.iter().any(|v| !v.is_null() && ps.contains(v)),
                Con::Range(lo, hi) => vals.iter().any(|v| !v.is_null() && in_range(v, lo, hi)),
            },
            Parsed::Range { from, to } => {
                // A key with a NULL element is in no range partition.
                if cons.iter().any(|c| matches!(c, Con::Null)) {
                    return false;
                }
                boxes(cons).iter().any(|b| {
                    let (low, high, strict) = box_corners(b);
                    let below_from = match cmp_bounds(&high, from) {
                        Ordering::Less => true,
                        Ordering::Equal => strict,
                        Ordering::Greater => false,
                    };
                    !below_from && cmp_bounds(&low, to) == Ordering::Less
                })
            }
            Parsed::Hash { .. } => match self.points(cons) {
                Some(keys) => keys.iter().any(|k| b.contains(k, &self.types)),
                None => true,
            },
        }
    }

    /// Every key `cons` allows, when each element is a point or NULL (and they are few).
    fn points(&self, cons: &[Con]) -> Option<Vec<Vec<Value>>> {
        let mut keys: Vec<Vec<Value>> = vec![Vec::new()];
        for c in cons {
            let choices = match c {
                Con::Null => vec![Value::Null],
                Con::Points(ps) => ps.clone(),
                _ => return None,
            };
            if keys.len() * choices.len() > MAX_COMBINATIONS {
                return None;
            }
            keys = keys
                .into_iter()
                .flat_map(|k| {
                    choices.iter().map(move |v| {
                        let mut k = k.clone();
                        k.push(v.clone());
                        k
                    })
                })
                .collect();
        }
        Some(keys)
    }

    /// Whether every key `cons` allows belongs to a non-default partition (so the default
    /// partition holds none of them).
    fn covered(&self, cons: &[Con]) -> bool {
        if self.columns.iter().any(Option::is_none) {
            return false;
        }
        boxes(cons).iter().all(|b| self.box_covered(b))
    }

    /// Whether every key of box `cons` belongs to a non-default partition: each one when
    /// the box is points, an interval of a one-column range key by the partitions' spans.
    fn box_covered(&self, cons: &[Con]) -> bool {
        if let Some(keys) = self.points(cons) {
            return keys
                .iter()
                .all(|k| self.parts.iter().any(|(b, _)| b.contains(k, &self.types)));
        }
        if self.strategy != 'r' || cons.len() != 1 {
            return false;
        }
        let Con::Range(lo, hi) = &cons[0] else {
            return false;
        };
        let (lo, hi) = (lo.clone(), hi.clone());
        let mut spans: Vec<(&Datum, &Datum)> = self
            .parts
            .iter()
            .filter_map(|(b, _)| match b {
                Parsed::Range { from, to } => Some((from.first()?, to.first()?)),
                _ => None,
            })
            .collect();
        spans.sort_by(|a, b| a.0.cmp(b.0));
        // Keys from `cur` on (included or not) still need a partition.
        let (mut cur, mut cur_incl) = match lo {
            Bound::Unbounded => (Datum::Min, true),
            Bound::Included(v) => (Datum::Value(v), true),
            Bound::Excluded(v) => (Datum::Value(v), false),
        };
        for (from, to) in spans {
            if *from > cur {
                break;
            }
            if *to > cur {
                cur = to.clone();
                cur_incl = true;
            }
        }
        match hi {
            Bound::Unbounded => cur == Datum::Max,
            Bound::Included(h) => {
                let h = Datum::Value(h);
                cur > h || (cur == h && !cur_incl)
            }
            Bound::Excluded(h) => cur >= Datum::Value(h),
        }
    }
}

/// `cons` split into boxes whose union allows the same keys: a column's points become
/// one box each (when the product stays small), so `k IN (1, 25)` is two points, not the
/// interval between them.
fn boxes(cons: &[Con]) -> Vec<Vec<Con>> {
    let mut out: Vec<Vec<Con>> = vec![Vec::new()];
    for c in cons {
        let pieces: Vec<Con> = match c {
            Con::Points(ps) if out.len() * ps.len() <= MAX_COMBINATIONS => {
                ps.iter().map(|p| Con::Points(vec![p.clone()])).collect()
            }
            other => vec![other.clone()],
        };
        out = out
            .into_iter()
            .flat_map(|b| {
                pieces.iter().map(move |p| {
                    let mut b = b.clone();
                    b.push(p.clone());
                    b
                })
            })
            .collect();
    }
    out
}

/// Lexicographic bounds of the keys in box `cons`: every key is `>= low` and `<= high`
/// (`< high` when `strict`). An exclusive end on column j ends the corner there: `k_j <
/// h` means `k < (.., h, MINVALUE, ..)`, `k_j > l` means `k > (.., l, MAXVALUE, ..)`.
fn box_corners(cons: &[Con]) -> (Vec<Datum>, Vec<Datum>, bool) {
    let mut low = Vec::with_capacity(cons.len());
    let mut high = Vec::with_capacity(cons.len());
    let mut low_open = false;
    let mut strict = false;
    for c in cons {
        if low_open {
            low.push(Datum::Max);
        } else {
            low.push(match c {
                Con::Points(ps) => ps.iter().min().cloned().map_or(Datum::Min, Datum::Value),
                Con::Range(Bound::Included(v), _) => Datum::Value(v.clone()),
                Con::Range(Bound::Excluded(v), _) => {
                    low_open = true;
                    Datum::Value(v.clone())
                }
                _ => Datum::Min,
            });
        }
        if strict {
            high.push(Datum::Min);
        } else {
            high.push(match c {
                Con::Points(ps) => ps.iter().max().cloned().map_or(Datum::Max, Datum::Value),
                Con::Range(_, Bound::Included(v)) => Datum::Value(v.clone()),
                Con::Range(_, Bound::Excluded(v)) => {
                    strict = true;
                    Datum::Value(v.clone())
                }
                _ => Datum::Max,
            });
        }
    }
    (low, high, strict)
}

fn in_range(v: &Value, lo: &Bound<Value>, hi: &Bound<Value>) -> bool {
    let above = match lo {
        Bound::Unbounded => true,
        Bound::Included(l) => v >= l,
        Bound::Excluded(l) => v > l,
    };
    let below = match hi {
        Bound::Unbounded => true,
        Bound::Included(h) => v <= h,
        Bound::Excluded(h) => v < h,
    };
    above && below
}

fn points_con(mut points: Vec<Value>) -> Con {
    points.sort();
    points.dedup();
    if points.is_empty() {
        Con::Empty
    } else {
        Con::Points(points)
    }
}

/// What a row satisfying both `a` and `b` can be.
fn intersect(a: Con, b: Con) -> Con {
    match (a, b) {
        (Con::Any, x) | (x, Con::Any) => x,
        (Con::Empty, _) | (_, Con::Empty) => Con::Empty,
        (Con::Null, Con::Null) => Con::Null,
        (Con::Null, _) | (_, Con::Null) => Con::Empty,
        (Con::Points(a), Con::Points(b)) => {
            points_con(a.into_iter().filter(|v| b.contains(v)).collect())
        }
        (Con::Points(p), Con::Range(lo, hi)) | (Con::Range(lo, hi), Con::Points(p)) => {
            points_con(p.into_iter().filter(|v| in_range(v, &lo, &hi)).collect())
        }
        (Con::Range(l1, h1), Con::Range(l2, h2)) => Con::Range(
            tighter(l1, l2, Ordering::Greater),
            tighter(h1, h2, Ordering::Less),
        ),
    }
}

/// The tighter of two interval ends: the greater lower end (`want` Greater) or the lesser
/// upper end (`want` Less); on equal values the exclusive one.
fn tighter(a: Bound<Value>, b: Bound<Value>, want: Ordering) -> Bound<Value> {
    let val = |x: &Bound<Value>| match x {
        Bound::Included(v) | Bound::Excluded(v) => Some(v.clone()),
        Bound::Unbounded => None,
    };
    match (val(&a), val(&b)) {
        (None, _) => b,
        (_, None) => a,
        (Some(x), Some(y)) => match x.cmp(&y) {
            Ordering::Equal => {
                if matches!(a, Bound::Excluded(_)) {
                    a
                } else {
                    b
                }
            }
            o if o == want => a,
            _ => b,
        },
    }
}

/// The value of a constant expression: a literal, or casts and negations of one whose
/// result does not depend on the session (no time zones, no text read as a date or time). Parameters and correlation
/// values are not known when the plan is made.
fn const_value(e: &Expr) -> Option<Value> {
    fn foldable(e: &Expr) -> bool {
        match e {
            Expr::Literal(_) => true,
            Expr::Neg(x, _) => foldable(x),
            Expr::Cast { expr, from, to, .. } => {
                // Time zones and DateStyle are session settings a cached plan may outlive.
                let zoned =
                    |t: &DataType| matches!(t, DataType::Timestamptz(_) | DataType::TimeTz(_));
                let read_as_time = matches!(
                    to,
                    DataType::Date
                        | DataType::Timestamp(_)
                        | DataType::Time(_)
                        | DataType::Interval
                ) && !matches!(
                    from,
                    DataType::Date | DataType::Timestamp(_) | DataType::Time(_)
                );
                !zoned(from) && !zoned(to) && !read_as_time && foldable(expr)
            }
            _ => false,
        }
    }
    if !foldable(e) {
        return None;
    }
    e.eval(&[], &Params(&[])).ok()
}

/// `v` when it is a value of key type `ty` as rows of that type hold it (NULL passes).
fn key_value(v: Value, ty: DataType) -> Option<Value> {
    use DataType as T;
    let ok = matches!(
        (&v, ty),
        (Value::Null, _)
            | (Value::Int(_), T::Int2 | T::Int4 | T::Int8)
            | (Value::Bool(_), T::Bool)
            | (Value::Text(_), T::Text | T::Varchar(_) | T::Name)
            | (Value::Numeric(_), T::Numeric(_))
            | (Value::Float(_), T::Float8)
            | (Value::Float4(_), T::Float4)
            | (Value::Date(_), T::Date)
            | (Value::Timestamp(_), T::Timestamp(_))
            | (Value::Timestamptz(_), T::Timestamptz(_))
            | (Value::Uuid(_), T::Uuid)
    );
    ok.then_some(v)
}
