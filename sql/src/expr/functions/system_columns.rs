//! The values of the computed system columns of a table row (`xmin`, `ctid`; see
//! `binder/system_columns.rs` and ARCHITECTURE.md). Strata's rows live in a B+tree keyed by
//! primary key or hidden row id, with MVCC by LSN and no PostgreSQL transaction ids, so:
//!
//! * `xmin` is a 32-bit hash of the table's OID and the row's values: the same for a row as
//!   long as it is unchanged, different (but for a 1 in 2^32 collision) once an UPDATE
//!   changes it — what ORMs use it for (optimistic concurrency). An UPDATE that writes the
//!   same values back leaves it as it was. Never 0, 1 or 2 (PostgreSQL's special xids).
//! * `ctid` is the row's key: a hidden row id `r` is `(r >> 16, r & 0xffff)`, so the rows of
//!   a new table without a primary key read `(0,1)`, `(0,2)`, ...; a primary key's values
//!   are hashed to a block and an offset of 1..=65535. Stable while the key is; not a
//!   physical address.

use crate::types::Value;
use std::hash::{Hash, Hasher};

/// A computed system column; its arguments are columns of the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemColumn {
    /// `xmin` of a row of the table with this OID; arguments: all its columns.
    Xmin(u32),
    /// `ctid` of a row of a table with a primary key; arguments: the key's columns.
    CtidOfKey,
    /// `ctid` of a row of a table without one; argument: its hidden row id.
    CtidOfRowId,
}

fn hash(seed: u32, values: &[Value]) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    seed.hash(&mut h);
    for v in values {
        v.hash(&mut h);
    }
    h.finish()
}

/// The column's value for the arguments (never NULL-strict: a row may hold NULLs).
pub fn call(c: SystemColumn, args: &[Value]) -> Value {
    match c {
        SystemColumn::Xmin(table) => {
            let h = hash(table, args);
            let x = (h ^ (h >> 32)) as u32;
            Value::Int(i64::from(if x < 3 { x + 3 } else { x }))
        }
        SystemColumn::CtidOfKey => {
            let h = hash(0, args);
            Value::Tid((h >> 16) as u32, (h % 65535) as u16 + 1)
        }
        SystemColumn::CtidOfRowId => match args.first() {
            Some(Value::Int(r)) => Value::Tid((*r >> 16) as u32, (*r & 0xffff) as u16),
            _ => Value::Null,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xmin_follows_the_values() {
        let a = [Value::Int(1), Value::Text("a".into())];
        let b = [Value::Int(1), Value::Text("b".into())];
        let x = |t, v: &[Value]| call(SystemColumn::Xmin(t), v);
        assert_eq!(x(7, &a), x(7, &a));
        assert_ne!(x(7, &a), x(7, &b));
        assert_ne!(x(7, &a), x(8, &a));
    }

    #[test]
    fn ctid_of_a_row_id() {
        let c = |r| call(SystemColumn::CtidOfRowId, &[Value::Int(r)]).to_string();
        assert_eq!(c(1), "(0,1)");
        assert_eq!(c(65537), "(1,1)");
        let k = call(SystemColumn::CtidOfKey, &[Value::Int(5)]);
        assert!(matches!(k, Value::Tid(_, o) if o >= 1));
    }
}
