//! Layer file names: what a file covers, readable from its name alone.
//!
//! ```text
//! delta_{first key:016X}-{last key:016X}__{lsn start:016X}-{lsn end:016X}
//! image_{first key:016X}-{last key:016X}__{lsn:016X}
//! ```
//!
//! Keys are [`PageKey::as_u64`] (relation in the high half), LSNs raw; the
//! delta LSN range is `[start, end)`. The name is derived from the file's
//! footer when it is written and checked against the footer when it is
//! opened, so a renamed or swapped file is caught. Within one timeline a
//! name identifies a layer: two freezes never share an LSN range, and the
//! partitions of one freeze never share keys.

use std::fmt;

use proto::{Lsn, PageKey};

use crate::key_range::KeyRange;
use crate::layer_file::{LayerKind, Summary};

/// The identity of a layer file.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LayerName {
    Delta {
        keys: KeyRange,
        start: Lsn,
        end: Lsn,
    },
    Image {
        keys: KeyRange,
        lsn: Lsn,
    },
}

impl LayerName {
    /// The name a layer with this footer summary has.
    pub fn of(summary: &Summary) -> LayerName {
        match summary.kind {
            LayerKind::Delta => LayerName::Delta {
                keys: summary.key_range,
                start: summary.lsn_start,
                end: summary.lsn_end,
            },
            LayerKind::Image => LayerName::Image {
                keys: summary.key_range,
                lsn: summary.lsn_start,
            },
        }
    }

    pub fn key_range(&self) -> KeyRange {
        match *self {
            LayerName::Delta { keys, .. } | LayerName::Image { keys, .. } => keys,
        }
    }

    /// Parses a file name; `None` for anything that is not a layer name.
    pub fn parse(name: &str) -> Option<LayerName> {
        let hex = |s: &str| {
            (s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| u64::from_str_radix(s, 16).ok())
                .flatten()
        };
        let key = |v: u64| PageKey::new((v >> 32) as u32, v as u32);
        let pair = |s: &str| {
            let (a, b) = s.split_once('-')?;
            Some((hex(a)?, hex(b)?))
        };
        let (kind, rest) = name.split_once('_')?;
        let (keys, lsns) = rest.split_once("__")?;
        let (first, last) = pair(keys)?;
        if first > last {
            return None;
        }
        let keys = KeyRange::new(key(first), key(last));
        match kind {
            "delta" => {
                let (start, end) = pair(lsns)?;
                (start < end).then_some(LayerName::Delta {
                    keys,
                    start: Lsn(start),
                    end: Lsn(end),
                })
            }
            "image" => Some(LayerName::Image {
                keys,
                lsn: Lsn(hex(lsns)?),
            }),
            _ => None,
        }
    }
}

impl fmt::Display for LayerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayerName::Delta { keys, start, end } => write!(
                f,
                "delta_{:016X}-{:016X}__{:016X}-{:016X}",
                keys.first.as_u64(),
                keys.last.as_u64(),
                start.0,
                end.0
            ),
            LayerName::Image { keys, lsn } => write!(
                f,
                "image_{:016X}-{:016X}__{:016X}",
                keys.first.as_u64(),
                keys.last.as_u64(),
                lsn.0
            ),
        }
    }
}

impl fmt::Debug for LayerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let keys = KeyRange::new(PageKey::new(1, 2), PageKey::new(3, u32::MAX));
        for name in [
            LayerName::Delta {
                keys,
                start: Lsn(0x100),
                end: Lsn(0x2000),
            },
            LayerName::Image {
                keys,
                lsn: Lsn(u64::MAX),
            },
        ] {
            assert_eq!(LayerName::parse(&name.to_string()), Some(name));
        }
    }

    #[test]
    fn other_names_are_not_layers() {
        for bad in [
            "",
            "timeline.meta",
            "delta_0000000000000001-0000000000000002__0000000000000003-0000000000000003",
            "image_0000000000000002-0000000000000001__0000000000000003",
            "image_0000000000000001-0000000000000002__0000000000000003.tmp",
            "blob_0000000000000001-0000000000000002__0000000000000003",
        ] {
            assert_eq!(LayerName::parse(bad), None, "{bad}");
        }
    }
}
