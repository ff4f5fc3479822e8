//! Pure WAL layout math: which segment holds an LSN, at what offset, what the
//! segment's file is called, and how a byte range splits over segments.
//!
//! Segments are aligned to their size (a power of two), like PostgreSQL's:
//! the segment holding LSN `L` starts at `L & !(size - 1)` and is named by that
//! start LSN in 16 upper-case hex digits, e.g. `0000000001000000.seg`, so names
//! sort in LSN order. No I/O here.

use proto::Lsn;

/// The production WAL segment size: 16 MiB.
pub const SEGMENT_SIZE: u64 = 16 << 20;
/// Smallest segment size accepted (tests use small segments to cross
/// boundaries cheaply).
pub const MIN_SEGMENT_SIZE: u64 = 4 << 10;
/// Largest segment size accepted.
pub const MAX_SEGMENT_SIZE: u64 = 1 << 30;

const SEGMENT_SUFFIX: &str = ".seg";
/// Suffix of a segment that is still being pre-allocated.
pub const PARTIAL_SUFFIX: &str = ".partial";

/// Whether `size` can be a segment size: a power of two in
/// `MIN_SEGMENT_SIZE..=MAX_SEGMENT_SIZE`.
pub fn valid_segment_size(size: u64) -> bool {
    size.is_power_of_two() && (MIN_SEGMENT_SIZE..=MAX_SEGMENT_SIZE).contains(&size)
}

/// Start LSN of the segment holding `lsn`.
pub fn segment_start(lsn: Lsn, size: u64) -> Lsn {
    debug_assert!(size.is_power_of_two());
    Lsn(lsn.0 & !(size - 1))
}

/// Offset of `lsn` inside its segment.
pub fn segment_offset(lsn: Lsn, size: u64) -> u64 {
    debug_assert!(size.is_power_of_two());
    lsn.0 & (size - 1)
}

/// File name of the segment starting at `start`.
pub fn segment_file_name(start: Lsn) -> String {
    format!("{:016X}{SEGMENT_SUFFIX}", start.0)
}

/// File name of a segment being pre-allocated; `tag` keeps concurrent
/// pre-allocations of one segment apart.
pub fn partial_file_name(start: Lsn, tag: u64) -> String {
    format!("{:016X}.{tag}{PARTIAL_SUFFIX}", start.0)
}

/// Parses a segment file name back into its start LSN; `None` for anything
/// else (including names that are not canonical, so each segment has one
/// name).
pub fn parse_segment_file_name(name: &str) -> Option<Lsn> {
    let hex = name.strip_suffix(SEGMENT_SUFFIX)?;
    if hex.len() != 16 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'A'..=b'F')) {
        return None;
    }
    u64::from_str_radix(hex, 16).ok().map(Lsn)
}

/// A piece of a byte range that falls in one segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    /// Start LSN of the segment.
    pub segment: Lsn,
    /// Offset in the segment.
    pub offset: u64,
    /// Offset of the piece in the range.
    pub range_offset: u64,
    pub len: u64,
}

/// Splits `[from, to)` into per-segment pieces, in LSN order.
pub fn pieces(from: Lsn, to: Lsn, size: u64) -> impl Iterator<Item = Piece> {
    let mut pos = from.0;
    std::iter::from_fn(move || {
        if pos >= to.0 {
            return None;
        }
        let offset = segment_offset(Lsn(pos), size);
        let len = (size - offset).min(to.0 - pos);
        let piece = Piece {
            segment: segment_start(Lsn(pos), size),
            offset,
            range_offset: pos - from.0,
            len,
        };
        pos += len;
        Some(piece)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn segment_math() {
        let size = SEGMENT_SIZE;
        assert_eq!(segment_start(Lsn(0x0100_0000), size), Lsn(0x0100_0000));
        assert_eq!(segment_start(Lsn(0x01FF_FFFF), size), Lsn(0x0100_0000));
        assert_eq!(segment_offset(Lsn(0x0100_0010), size), 0x10);
        assert_eq!(segment_offset(Lsn(0x0200_0000), size), 0);
    }

    #[test]
    fn file_names_round_trip_and_sort() {
        assert_eq!(segment_file_name(Lsn(0x0100_0000)), "0000000001000000.seg");
        assert_eq!(
            parse_segment_file_name("0000000001000000.seg"),
            Some(Lsn(0x0100_0000))
        );
        for bad in [
            "1000000.seg",
            "0000000001000000",
            "0000000001000000.seg.partial",
            "000000000100000a.seg",
            "00000000010000000.seg",
            "control",
        ] {
            assert_eq!(parse_segment_file_name(bad), None, "{bad}");
        }
        assert!(segment_file_name(Lsn(0xFF_0000)) < segment_file_name(Lsn(0x100_0000)));
    }

    #[test]
    fn segment_sizes() {
        assert!(valid_segment_size(SEGMENT_SIZE));
        assert!(valid_segment_size(MIN_SEGMENT_SIZE));
        assert!(!valid_segment_size(0));
        assert!(!valid_segment_size(3 << 20));
        assert!(!valid_segment_size(2 << 30));
    }

    proptest! {
        #[test]
        fn pieces_tile_the_range(from in 0u64..1 << 20, len in 0u64..1 << 18, shift in 12u32..16) {
            let size = 1u64 << shift;
            let (from, to) = (Lsn(from), Lsn(from + len));
            let mut next = from.0;
            for p in pieces(from, to, size) {
                prop_assert_eq!(p.segment.0 + p.offset, next);
                prop_assert_eq!(p.range_offset, next - from.0);
                prop_assert!(p.len > 0 && p.offset + p.len <= size);
                prop_assert_eq!(segment_start(Lsn(next), size), p.segment);
                next += p.len;
            }
            prop_assert_eq!(next, to.0);
        }

        #[test]
        fn names_round_trip(start: u64) {
            let start = Lsn(start);
            prop_assert_eq!(parse_segment_file_name(&segment_file_name(start)), Some(start));
        }
    }
}
