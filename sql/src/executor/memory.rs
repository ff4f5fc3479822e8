//! Bounded memory for the operators that hold rows (sort, hash join, nested loop's inner
//! side, aggregate, distinct): each charges an approximate byte size per row or group to a
//! [`Budget`] of the session's `work_mem`, and fails with 53200 (out of memory) past it,
//! so a query too big for memory fails alone instead of taking the compute down. There is
//! no spilling to disk yet, which is why Strata's default `work_mem` is 64MB where
//! PostgreSQL's is 4MB (PostgreSQL spills past it).

use super::{Context, Operator, Tuple};
use crate::{Error, Result, Value};

/// Strata's default `work_mem`: 64MB (PostgreSQL's is 4MB, but it spills past it).
pub const DEFAULT_WORK_MEM: usize = 64 << 20;

/// Bytes held by one operator, against a limit.
pub struct Budget {
    used: usize,
    what: &'static str,
}

impl Budget {
    pub fn new(what: &'static str) -> Budget {
        Budget { used: 0, what }
    }

    /// Charges `bytes`; 53200 once the total exceeds `ctx.work_mem`.
    pub fn charge(&mut self, ctx: &Context, bytes: usize) -> Result<()> {
        self.used += bytes;
        if self.used > ctx.work_mem() {
            return Err(Error::OutOfMemory(format!(
                "{} needs more than work_mem ({} kB)",
                self.what,
                ctx.work_mem() / 1024
            )));
        }
        Ok(())
    }
}

/// An estimate of the bytes a row of `values` holds.
pub fn row_bytes(values: &[Value]) -> usize {
    values
        .iter()
        .map(|v| {
            std::mem::size_of::<Value>()
                + match v {
                    Value::Text(s) => s.len(),
                    _ => 0,
                }
        })
        .sum::<usize>()
        + std::mem::size_of::<Tuple>()
}

/// Pulls every tuple from `op` within a budget (and stops with 57014 if canceled).
pub fn collect_within(
    op: &mut dyn Operator,
    ctx: &mut Context,
    what: &'static str,
) -> Result<Vec<Tuple>> {
    let mut budget = Budget::new(what);
    let mut out = Vec::new();
    while let Some(t) = op.next(ctx)? {
        budget.charge(ctx, row_bytes(&t.row))?;
        out.push(t);
        crate::interrupt::check()?;
    }
    Ok(out)
}

/// Parses a memory setting as PostgreSQL does: a number of kB, or with a unit
/// (`B`, `kB`, `MB`, `GB`, `TB`); at least 64 kB.
pub fn parse_memory(value: &str) -> Option<usize> {
    let v = value.trim();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (n, unit) = v.split_at(split);
    let n: usize = n.parse().ok()?;
    let mult: usize = match unit.trim() {
        "" | "kB" => 1 << 10,
        "B" => 1,
        "MB" => 1 << 20,
        "GB" => 1 << 30,
        "TB" => 1 << 40,
        _ => return None,
    };
    let bytes = n.checked_mul(mult)?;
    (bytes >= 64 << 10).then_some(bytes)
}

#[cfg(test)]
mod tests {
    use super::parse_memory;

    #[test]
    fn parses_postgres_memory_units() {
        assert_eq!(parse_memory("64MB"), Some(64 << 20));
        assert_eq!(parse_memory("4096"), Some(4 << 20));
        assert_eq!(parse_memory("1GB"), Some(1 << 30));
        assert_eq!(parse_memory("65536B"), Some(64 << 10));
        assert_eq!(parse_memory("10kB"), None, "below the 64 kB minimum");
        assert_eq!(parse_memory("5 parsecs"), None);
    }
}
