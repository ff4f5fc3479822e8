//! Log sequence numbers.
//!
//! An [`Lsn`] is a byte offset in one timeline's WAL stream. A record occupies
//! `[start, end)`, and **the state at LSN `L` is every record with `end <= L`**,
//! so page LSNs, snapshots and `commit_lsn` are always record *ends*.
//! [`Lsn::INVALID`] (0) means "none": every timeline's WAL starts at a fixed
//! non-zero LSN ([`Lsn::TIMELINE_START`] for a root timeline).
//!
//! LSNs print and parse as PostgreSQL does: `0/16B3748` (high and low 32 bits
//! in hexadecimal).

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// A byte position in a timeline's WAL.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Lsn(pub u64);

impl Lsn {
    /// "No LSN": never a valid record boundary.
    pub const INVALID: Lsn = Lsn(0);
    /// Where a root timeline's WAL begins (PostgreSQL's first segment starts
    /// at 0/1000000; any non-zero constant would do, this one reads familiar).
    pub const TIMELINE_START: Lsn = Lsn(0x0100_0000);
    /// The largest LSN, used as "latest".
    pub const MAX: Lsn = Lsn(u64::MAX);

    pub fn is_valid(self) -> bool {
        self != Lsn::INVALID
    }

    /// `self + n`, or `None` on overflow.
    pub fn checked_add(self, n: u64) -> Option<Lsn> {
        self.0.checked_add(n).map(Lsn)
    }

    /// Bytes from `other` up to `self` (0 when `other` is ahead).
    pub fn distance_from(self, other: Lsn) -> u64 {
        self.0.saturating_sub(other.0)
    }
}

impl std::ops::Add<u64> for Lsn {
    type Output = Lsn;
    fn add(self, rhs: u64) -> Lsn {
        Lsn(self
            .0
            .checked_add(rhs)
            .expect("LSN overflow: 16 EiB of WAL"))
    }
}

impl fmt::Display for Lsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:X}/{:X}", self.0 >> 32, self.0 & 0xffff_ffff)
    }
}

impl fmt::Debug for Lsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Lsn {
    type Err = Error;

    /// Parses PostgreSQL's `X/Y` form (each half at most 8 hex digits).
    fn from_str(s: &str) -> Result<Lsn, Error> {
        let invalid = || Error::InvalidLsn(s.to_string());
        let (hi, lo) = s.split_once('/').ok_or_else(invalid)?;
        let half = |h: &str| {
            if h.is_empty() || h.len() > 8 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(invalid());
            }
            u32::from_str_radix(h, 16).map_err(|_| invalid())
        };
        Ok(Lsn(((half(hi)? as u64) << 32) | half(lo)? as u64))
    }
}

impl From<u64> for Lsn {
    fn from(v: u64) -> Lsn {
        Lsn(v)
    }
}

impl From<Lsn> for u64 {
    fn from(l: Lsn) -> u64 {
        l.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_like_postgres() {
        assert_eq!(Lsn(0x16B3748).to_string(), "0/16B3748");
        assert_eq!(Lsn(0x1_0000_0000).to_string(), "1/0");
        assert_eq!("0/16b3748".parse::<Lsn>().unwrap(), Lsn(0x16B3748));
        assert_eq!("FFFFFFFF/FFFFFFFF".parse::<Lsn>().unwrap(), Lsn::MAX);
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "/",
            "0/",
            "/0",
            "1",
            "0/1/2",
            "g/0",
            "123456789/0",
            "0/-1",
            " 0/1",
        ] {
            assert!(bad.parse::<Lsn>().is_err(), "{bad:?} parsed");
        }
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(v: u64) {
            prop_assert_eq!(Lsn(v).to_string().parse::<Lsn>().unwrap(), Lsn(v));
        }
    }
}
