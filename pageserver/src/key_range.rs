//! Inclusive key ranges and interval coverage.
//!
//! Layer files cover a [`KeyRange`] `first..=last` (inclusive at both ends, so
//! [`PageKey::MAX`] can be covered). For an **image** layer the range is a
//! promise: every key in it that exists at the layer's LSN is in the file, so
//! a key in range but absent from the file did not exist at that LSN. For a
//! **delta** layer the range is only the span of the keys it holds.
//!
//! [`covers_fully`] answers GC's question "is this range covered by the union
//! of those ranges" by sweeping sorted intervals in `u64` key space.

use std::fmt;

use proto::PageKey;

/// `first..=last`, with `first <= last`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyRange {
    pub first: PageKey,
    pub last: PageKey,
}

impl KeyRange {
    /// The range `first..=last`. Panics if `first > last` (a caller bug).
    pub fn new(first: PageKey, last: PageKey) -> KeyRange {
        assert!(first <= last, "key range {first:?}..={last:?} is inverted");
        KeyRange { first, last }
    }

    /// The range holding only `key`.
    pub fn single(key: PageKey) -> KeyRange {
        KeyRange::new(key, key)
    }

    pub fn contains(&self, key: PageKey) -> bool {
        self.first <= key && key <= self.last
    }

    pub fn overlaps(&self, other: &KeyRange) -> bool {
        self.first <= other.last && other.first <= self.last
    }
}

impl fmt::Debug for KeyRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}..={:?}", self.first, self.last)
    }
}

/// Whether every key of `target` lies in at least one of `covering`.
pub fn covers_fully<'a>(
    target: KeyRange,
    covering: impl IntoIterator<Item = &'a KeyRange>,
) -> bool {
    let mut ranges: Vec<(u64, u64)> = covering
        .into_iter()
        .filter(|r| r.overlaps(&target))
        .map(|r| (r.first.as_u64(), r.last.as_u64()))
        .collect();
    ranges.sort_unstable();
    // `need` is the first key not yet known to be covered.
    let mut need = target.first.as_u64();
    let end = target.last.as_u64();
    for (first, last) in ranges {
        if first > need {
            return false;
        }
        if last >= end {
            return true;
        }
        need = need.max(last + 1);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(a: u64, b: u64) -> KeyRange {
        let k = |v: u64| PageKey::new((v >> 32) as u32, v as u32);
        KeyRange::new(k(a), k(b))
    }

    #[test]
    fn coverage_by_union() {
        assert!(covers_fully(r(5, 10), &[r(0, 20)]));
        assert!(covers_fully(r(5, 10), &[r(8, 10), r(0, 7)]));
        assert!(!covers_fully(r(5, 10), &[r(0, 6), r(8, 10)]));
        assert!(!covers_fully(r(5, 10), &[r(6, 10)]));
        assert!(!covers_fully(r(5, 10), &[r(5, 9)]));
        assert!(!covers_fully(r(5, 10), &[]));
        assert!(covers_fully(r(5, 5), &[r(5, 5)]));
        assert!(covers_fully(r(0, u64::MAX), &[r(0, 1), r(2, u64::MAX)]));
    }

    #[test]
    fn overlap_and_contains() {
        assert!(r(1, 3).overlaps(&r(3, 9)));
        assert!(!r(1, 3).overlaps(&r(4, 9)));
        assert!(r(1, 3).contains(PageKey::new(0, 2)));
        assert!(!r(1, 3).contains(PageKey::new(0, 4)));
    }
}
