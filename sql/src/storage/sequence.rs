//! Sequence arithmetic shared by every storage: the value after a given state, bounds,
//! CYCLE, and PostgreSQL's errors. A sequence's state is `(last_value, is_called)`: when
//! `is_called` is false the next `nextval` returns `last_value` itself (a fresh sequence,
//! or after `setval(s, v, false)` / `ALTER SEQUENCE ... RESTART`).

use super::SequenceDef;
use crate::{Error, Result};

/// The state of a sequence nobody has used: `nextval` returns `start`.
pub fn initial_state(def: &SequenceDef) -> (i64, bool) {
    (def.start, false)
}

/// The value `nextval` returns in state `(last, is_called)`.
pub fn next_value(def: &SequenceDef, last: i64, is_called: bool) -> Result<i64> {
    if !is_called {
        return Ok(last);
    }
    step(def, last, 1)
}

/// `last` advanced by `n` increments, honouring bounds and CYCLE (2200H past a bound).
pub fn step(def: &SequenceDef, last: i64, n: i64) -> Result<i64> {
    let mut v = last;
    for _ in 0..n {
        v = match v.checked_add(def.increment) {
            Some(x) if x <= def.max && x >= def.min => x,
            _ if def.cycle => {
                if def.increment > 0 {
                    def.min
                } else {
                    def.max
                }
            }
            _ => {
                let (which, bound) = if def.increment > 0 {
                    ("maximum", def.max)
                } else {
                    ("minimum", def.min)
                };
                return Err(Error::SequenceGeneratorLimitExceeded(format!(
                    "nextval: reached {which} value of sequence \"{}\" ({bound})",
                    def.name
                )));
            }
        };
    }
    Ok(v)
}

/// The furthest value `count` more `nextval` calls after `from` can reach without wrapping
/// (for reserving values ahead): stops at the bound in the direction of the increment.
pub fn reserve_until(def: &SequenceDef, from: i64, count: i64) -> i64 {
    let span = def.increment.saturating_mul(count.max(1));
    let to = from.saturating_add(span);
    if def.increment > 0 {
        to.min(def.max)
    } else {
        to.max(def.min)
    }
}

/// Checks a `setval` argument against the bounds (22003 outside them).
pub fn check_setval(def: &SequenceDef, value: i64) -> Result<()> {
    if value < def.min || value > def.max {
        return Err(Error::NumericValueOutOfRange(format!(
            "setval: value {value} is out of bounds for sequence \"{}\" ({}..{})",
            def.name, def.min, def.max
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DataType;

    fn seq(inc: i64, min: i64, max: i64, cycle: bool) -> SequenceDef {
        SequenceDef {
            oid: 1,
            schema: 2200,
            name: "s".into(),
            data_type: DataType::Int8,
            start: if inc > 0 { min } else { max },
            increment: inc,
            min,
            max,
            cache: 1,
            cycle,
            owned_by: None,
            comment: None,
            owner: crate::storage::catalog::oids::BOOTSTRAP_SUPERUSER,
            acl: None,
        }
    }

    #[test]
    fn values_advance_and_stop_or_cycle_at_the_bounds() {
        let s = seq(2, 1, 5, false);
        assert_eq!(next_value(&s, 1, false).unwrap(), 1);
        assert_eq!(next_value(&s, 1, true).unwrap(), 3);
        assert_eq!(next_value(&s, 5, true).unwrap_err().code(), "2200H");
        let c = seq(2, 1, 5, true);
        assert_eq!(next_value(&c, 5, true).unwrap(), 1);
        let d = seq(-1, -3, -1, false);
        assert_eq!(next_value(&d, -1, true).unwrap(), -2);
        assert_eq!(
            next_value(&d, -3, true).unwrap_err().to_string(),
            "nextval: reached minimum value of sequence \"s\" (-3)"
        );
        assert_eq!(reserve_until(&s, 1, 32), 5);
        assert_eq!(reserve_until(&d, -1, 32), -3);
        assert_eq!(
            next_value(&seq(1, 1, i64::MAX, false), i64::MAX, true)
                .unwrap_err()
                .code(),
            "2200H"
        );
    }
}
