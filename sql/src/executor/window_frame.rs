//! Window frames: which rows of a sorted partition belong to the frame of row `i`, as
//! positions `[start, end)` in the partition, under PostgreSQL's rules for ROWS, RANGE and
//! GROUPS frames.
//!
//! * ROWS counts rows; GROUPS counts peer groups (rows equal on the ORDER BY keys); RANGE
//!   with CURRENT ROW goes to the current row's first / last peer, and with an offset
//!   compares the (single) ORDER BY value: `n PRECEDING` starts at the first row whose value
//!   is at least `value - n` (for DESC, at most `value + n`). A row whose ORDER BY value is
//!   NULL has its peers (the other NULLs) as an offset bound.
//! * Offsets are evaluated once per statement; NULL or negative offsets are errors (22004 /
//!   22013), as in PostgreSQL.

use crate::planner::{FrameBound, FrameUnits, WindowFrame};
use crate::{Error, Result, Value};

/// A frame bound with its offset evaluated.
#[derive(Debug, Clone)]
pub enum Bound {
    UnboundedPreceding,
    Preceding(Value),
    CurrentRow,
    Following(Value),
    UnboundedFollowing,
}

/// Evaluates a frame's offsets (`start` says which end, for error messages).
pub fn evaluate(
    bound: &FrameBound,
    start: bool,
    range: bool,
    eval: &dyn Fn(&crate::expr::Expr) -> Result<Value>,
) -> Result<Bound> {
    let which = if start { "starting" } else { "ending" };
    let offset = |e| -> Result<Value> {
        let v = eval(e)?;
        if v.is_null() {
            return Err(Error::NullValueNotAllowed(format!(
                "frame {which} offset must not be null"
            )));
        }
        let negative = match &v {
            Value::Interval(iv) => iv.span() < 0,
            // RANGE offsets are checked by PostgreSQL's in_range functions, with their message.
            Value::Float(f) if f.is_nan() => true,
            other => *other < Value::Int(0),
        };
        if negative {
            return Err(Error::InvalidPrecedingOrFollowingSize(if range {
                "invalid preceding or following size in window function".into()
            } else {
                format!("frame {which} offset must not be negative")
            }));
        }
        Ok(v)
    };
    Ok(match bound {
        FrameBound::UnboundedPreceding => Bound::UnboundedPreceding,
        FrameBound::Preceding(e) => Bound::Preceding(offset(e)?),
        FrameBound::CurrentRow => Bound::CurrentRow,
        FrameBound::Following(e) => Bound::Following(offset(e)?),
        FrameBound::UnboundedFollowing => Bound::UnboundedFollowing,
    })
}

/// A partition's layout, for computing frames.
pub struct Partition<'a> {
    /// For each position, the first position of its peer group and the end of it.
    pub peers: &'a [(usize, usize)],
    /// For each position, its peer group's index; and each group's `[start, end)`.
    pub group_of: &'a [usize],
    pub groups: &'a [(usize, usize)],
    /// For RANGE with an offset: each position's ORDER BY value, and the key's direction.
    pub keys: &'a [Value],
    pub desc: bool,
}

fn count(v: &Value) -> usize {
    match v {
        Value::Int(i) => usize::try_from(*i).unwrap_or(usize::MAX),
        _ => 0,
    }
}

impl Partition<'_> {
    fn len(&self) -> usize {
        self.peers.len()
    }

    /// The frame `[start, end)` of position `i`.
    pub fn frame(
        &self,
        frame: &WindowFrame,
        start: &Bound,
        end: &Bound,
        i: usize,
    ) -> (usize, usize) {
        let s = self.bound(frame.units, start, i, true);
        let e = self.bound(frame.units, end, i, false);
        (s, e.max(s))
    }

    /// One end of the frame of position `i`: the first position in the frame (`is_start`)
    /// or the first position after it.
    fn bound(&self, units: FrameUnits, b: &Bound, i: usize, is_start: bool) -> usize {
        let n = self.len();
        let (peer_start, peer_end) = self.peers[i];
        match (b, units) {
            (Bound::UnboundedPreceding, _) => 0,
            (Bound::UnboundedFollowing, _) => n,
            (Bound::CurrentRow, FrameUnits::Rows) => i + usize::from(!is_start),
            (Bound::CurrentRow, _) => {
                if is_start {
                    peer_start
                } else {
                    peer_end
                }
            }
            (Bound::Preceding(k), FrameUnits::Rows) => {
                (i + usize::from(!is_start)).saturating_sub(count(k)).min(n)
            }
            (Bound::Following(k), FrameUnits::Rows) => {
                (i + usize::from(!is_start)).saturating_add(count(k)).min(n)
            }
            (Bound::Preceding(k) | Bound::Following(k), FrameUnits::Groups) => {
                let g = self.group_of[i];
                let k = count(k);
                let target = if matches!(b, Bound::Preceding(_)) {
                    match g.checked_sub(k) {
                        Some(t) => t,
                        None => return 0,
                    }
                } else {
                    match g.checked_add(k).filter(|t| *t < self.groups.len()) {
                        Some(t) => t,
                        None => return n,
                    }
                };
                if is_start {
                    self.groups[target].0
                } else {
                    self.groups[target].1
                }
            }
            (Bound::Preceding(k) | Bound::Following(k), FrameUnits::Range) => {
                let v = &self.keys[i];
                if v.is_null() {
                    return if is_start { peer_start } else { peer_end };
                }
                let preceding = matches!(b, Bound::Preceding(_));
                // Moving "back" in sort order is towards smaller values for ASC.
                let towards_smaller = preceding != self.desc;
                let threshold = shift(v, k, !towards_smaller);
                // Rows of the frame satisfy `key >= threshold` (ASC start) etc.; find the
                // first non-NULL position past the bound.
                let before = |key: &Value| -> bool {
                    if key.is_null() {
                        // NULLs sort at one end: before every value if they come first.
                        return self.nulls_before();
                    }
                    let ord = key.cmp(&threshold);
                    match (self.desc, is_start) {
                        (false, true) => ord.is_lt(),
                        (false, false) => ord.is_le(),
                        (true, true) => ord.is_gt(),
                        (true, false) => ord.is_ge(),
                    }
                };
                self.keys.partition_point(before)
            }
        }
    }

    /// Whether NULL keys sort before the others in this partition.
    fn nulls_before(&self) -> bool {
        self.keys.first().is_some_and(Value::is_null)
    }
}

/// `v + k` (`up`) or `v - k`, saturating at the ends of the integer and timestamp ranges
/// (PostgreSQL's in_range functions treat an overflowing bound as unbounded). Dates move as
/// timestamps; times by the interval's time part only, without wrapping around midnight;
/// timestamptz in the session's time zone.
fn shift(v: &Value, k: &Value, up: bool) -> Value {
    use crate::types::datetime::arith;
    let saturated = || if up { i64::MAX } else { i64::MIN };
    let moved = |ts: i64,
                 iv: &crate::types::Interval,
                 zone: Option<&crate::types::datetime::zone::Zone>| {
        let r = if up {
            arith::add_interval(ts, iv, zone)
        } else {
            arith::sub_interval(ts, iv, zone)
        };
        r.unwrap_or_else(|_| saturated())
    };
    match (v, k) {
        (Value::Int(a), Value::Int(b)) => Value::Int(if up {
            a.saturating_add(*b)
        } else {
            a.saturating_sub(*b)
        }),
        (Value::Numeric(a), Value::Numeric(b)) => {
            let r = if up { a.add(b) } else { a.sub(b) };
            match r {
                Ok(n) => Value::numeric(n),
                Err(_) => Value::Float(if up { f64::INFINITY } else { f64::NEG_INFINITY }),
            }
        }
        (Value::Date(d), Value::Interval(iv)) => match arith::date_to_timestamp(*d) {
            Ok(ts) => Value::Timestamp(moved(ts, iv, None)),
            Err(_) => v.clone(),
        },
        (Value::Timestamp(ts), Value::Interval(iv)) => Value::Timestamp(moved(*ts, iv, None)),
        (Value::Timestamptz(ts), Value::Interval(iv)) => {
            let zone = crate::env::current().time_zone.clone();
            Value::Timestamptz(moved(*ts, iv, Some(&zone)))
        }
        (Value::Time(t), Value::Interval(iv)) => Value::Time(if up {
            t.saturating_add(iv.micros)
        } else {
            t.saturating_sub(iv.micros)
        }),
        (Value::Interval(a), Value::Interval(b)) => {
            let r = if up {
                a.checked_add(b)
            } else {
                b.checked_neg().and_then(|n| a.checked_add(&n))
            };
            match r {
                Ok(iv) => Value::Interval(iv),
                Err(_) => Value::Interval(crate::types::Interval {
                    months: if up { i32::MAX } else { i32::MIN },
                    days: 0,
                    micros: 0,
                }),
            }
        }
        _ => {
            let (a, b) = (v.as_f64().unwrap_or(0.0), k.as_f64().unwrap_or(0.0));
            Value::Float(if up { a + b } else { a - b })
        }
    }
}
