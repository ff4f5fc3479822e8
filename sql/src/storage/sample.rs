//! A row sample for ANALYZE ([`Reservoir`]): a fixed-size, repeatable sample of a table's
//! rows (reservoir sampling, Vitter's Algorithm R, with a fixed-seed generator).
//!
//! Whether a row is kept — and in which slot — depends only on its position in the scan,
//! never on its contents: [`Reservoir::offer`] is asked *before* the row is handed over.
//! A storage can therefore count every row but decode only those kept
//! ([`super::Txn::sample`]): for a million-row table and a 30 000-row sample, about
//! 135 000 rows are decoded (the first 30 000, then replacements growing as
//! `cap · ln(n / cap)`), not a million.

use super::Row;

/// A sample of at most `cap` rows of a scan, and how many rows the scan had.
#[derive(Debug)]
pub struct Reservoir {
    cap: usize,
    rng: u64,
    seen: u64,
    rows: Vec<Row>,
}

impl Reservoir {
    /// An empty sample of at most `cap` rows.
    pub fn new(cap: usize) -> Reservoir {
        Reservoir {
            cap,
            rng: 0x9E37_79B9_7F4A_7C15,
            seen: 0,
            rows: Vec::new(),
        }
    }

    /// Counts the scan's next row and says where to keep it: `Some(slot)` — pass the row to
    /// [`Reservoir::put`] with that slot before offering the next one — or `None` (skip it).
    pub fn offer(&mut self) -> Option<usize> {
        self.seen += 1;
        if self.seen <= self.cap as u64 {
            return Some(self.seen as usize - 1);
        }
        // Algorithm R: row n replaces a random slot with probability cap / n. An LCG with
        // a fixed seed: the same table gives the same sample.
        self.rng = self
            .rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let j = (self.rng >> 11) % self.seen;
        (j < self.cap as u64).then_some(j as usize)
    }

    /// Keeps `row` in `slot` (from the [`Reservoir::offer`] just made).
    pub fn put(&mut self, slot: usize, row: Row) {
        if slot == self.rows.len() {
            self.rows.push(row);
        } else if let Some(s) = self.rows.get_mut(slot) {
            *s = row;
        }
    }

    /// Offers `row` and keeps it if chosen: for a storage that has the row decoded anyway.
    pub fn add(&mut self, row: Row) {
        if let Some(slot) = self.offer() {
            self.put(slot, row);
        }
    }

    /// Rows offered so far (the table's row count once the scan is done).
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// The rows kept.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;

    /// The sampling loop ANALYZE ran before `offer` existed: every row decoded and offered.
    fn reference(n: u64, cap: usize) -> Vec<Row> {
        let mut sample: Vec<Row> = Vec::new();
        let mut rows: u64 = 0;
        let mut rng: u64 = 0x9E37_79B9_7F4A_7C15;
        for i in 0..n {
            let row = vec![Value::Int(i as i64)];
            rows += 1;
            if sample.len() < cap {
                sample.push(row);
            } else {
                rng = rng
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let j = (rng >> 11) % rows;
                if (j as usize) < cap {
                    sample[j as usize] = row;
                }
            }
        }
        sample
    }

    #[test]
    fn keeps_the_rows_the_full_reservoir_loop_keeps() {
        for (n, cap) in [(0, 5), (3, 5), (5, 5), (6, 5), (1000, 7), (20_000, 300)] {
            let mut r = Reservoir::new(cap);
            for i in 0..n {
                r.add(vec![Value::Int(i as i64)]);
            }
            assert_eq!(r.seen(), n);
            assert_eq!(r.rows(), reference(n, cap).as_slice(), "n={n} cap={cap}");
        }
    }

    #[test]
    fn asks_for_few_rows_past_the_first_cap() {
        let (n, cap) = (100_000u64, 1000usize);
        let mut r = Reservoir::new(cap);
        let mut kept = 0u64;
        for i in 0..n {
            if let Some(slot) = r.offer() {
                assert!(slot < cap);
                kept += 1;
                r.put(slot, vec![Value::Int(i as i64)]);
            }
        }
        assert_eq!(r.rows().len(), cap);
        // cap · (1 + ln(n / cap)) ≈ 5 600 expected; far below n.
        assert!(kept < 10_000, "kept {kept} of {n}");
        assert!(kept > cap as u64);
    }
}
