//! Garbage collection: which layer files no read at or above a cutoff needs.
//!
//! The cutoff (the minimum of branch points, the PITR window and LSN leases)
//! is an input. Reads at LSNs `>= cutoff` must keep working; reads below it
//! are refused with [`crate::Error::BelowGcHorizon`]. A layer file may go
//! when it is **fully covered by newer images at or below the cutoff**:
//!
//! - a delta layer with changes in `[start, end)` over keys `R`, if image
//!   layers at LSNs in `[end - 1, cutoff]` together cover `R`: every read at
//!   `>= cutoff` starts from one of those images (or a newer one), which
//!   already contains all of the delta's changes;
//! - an image layer at `L` over `R`, if image layers at LSNs in
//!   `(L, cutoff]` together cover `R`: reads at `>= cutoff` pick the newer ones.
//!
//! A relation dropped at or below the cutoff ([`crate::tombstones`]) covers its whole key
//! range: reads of it at or above the cutoff answer "never written" without any layer.
//!
//! For each key, the newest image at or below the cutoff is never removed
//! (removal needs a strictly newer covering image), so the justification of
//! every removal survives the removals themselves. In-memory layers are
//! never collected. [`plan`] is the pure decision; the timeline persists the
//! new cutoff before it deletes any file.

use proto::Lsn;

use crate::key_range::{KeyRange, covers_fully};
use crate::layer_name::LayerName;

/// The layers among `layers` that no read at or above `cutoff` needs. `dropped` are the
/// key ranges of relations dropped at or below the cutoff: reads of them at or above it
/// are answered by their tombstones, so they count as covered at any LSN.
pub fn plan(layers: &[LayerName], cutoff: Lsn, dropped: &[KeyRange]) -> Vec<LayerName> {
    let images: Vec<(Lsn, KeyRange)> = layers
        .iter()
        .filter_map(|n| match *n {
            LayerName::Image { keys, lsn } if lsn <= cutoff => Some((lsn, keys)),
            _ => None,
        })
        .collect();
    // Whether images at LSNs in `[from, cutoff]` (and tombstones) cover `keys`.
    let covered = |keys: KeyRange, from: Lsn| {
        let covering: Vec<KeyRange> = images
            .iter()
            .filter(|(lsn, _)| *lsn >= from)
            .map(|&(_, k)| k)
            .chain(dropped.iter().copied())
            .collect();
        covers_fully(keys, &covering)
    };
    layers
        .iter()
        .filter(|n| match **n {
            LayerName::Delta { keys, end, .. } => {
                let last_change = Lsn(end.0 - 1);
                last_change <= cutoff && covered(keys, last_change)
            }
            LayerName::Image { keys, lsn } => lsn < cutoff && covered(keys, lsn + 1),
        })
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::PageKey;

    fn keys(a: u32, b: u32) -> KeyRange {
        KeyRange::new(PageKey::new(1, a), PageKey::new(1, b))
    }

    fn delta(a: u32, b: u32, start: u64, end: u64) -> LayerName {
        LayerName::Delta {
            keys: keys(a, b),
            start: Lsn(start),
            end: Lsn(end),
        }
    }

    fn image(a: u32, b: u32, lsn: u64) -> LayerName {
        LayerName::Image {
            keys: keys(a, b),
            lsn: Lsn(lsn),
        }
    }

    #[test]
    fn deltas_below_a_covering_image_go() {
        let layers = [
            delta(0, 9, 10, 21),
            delta(0, 9, 21, 31),
            image(0, 9, 30),
            delta(0, 9, 31, 41),
        ];
        assert_eq!(plan(&layers, Lsn(30), &[]), vec![layers[0], layers[1]]);
        assert_eq!(
            plan(&layers, Lsn(29), &[]),
            vec![],
            "the image is above the cutoff"
        );
        assert_eq!(
            plan(&layers, Lsn(100), &[]),
            vec![layers[0], layers[1]],
            "the newest delta stays"
        );
    }

    #[test]
    fn partial_coverage_keeps_the_layer() {
        let layers = [delta(0, 9, 10, 21), image(0, 4, 30), image(6, 9, 30)];
        assert!(
            plan(&layers, Lsn(50), &[]).is_empty(),
            "key 5 is not covered"
        );
        let layers = [delta(0, 9, 10, 21), image(0, 5, 30), image(6, 9, 25)];
        assert_eq!(plan(&layers, Lsn(50), &[]), vec![layers[0]]);
    }

    #[test]
    fn older_images_go_when_newer_ones_cover_them() {
        let layers = [image(0, 9, 20), image(0, 9, 30), image(0, 9, 40)];
        assert_eq!(plan(&layers, Lsn(30), &[]), vec![layers[0]]);
        assert_eq!(plan(&layers, Lsn(40), &[]), vec![layers[0], layers[1]]);
        let layers = [image(0, 9, 20), image(0, 5, 30)];
        assert!(plan(&layers, Lsn(40), &[]).is_empty());
    }

    #[test]
    fn a_dropped_relation_covers_its_keys() {
        let rel1 = KeyRange::new(PageKey::new(1, 0), PageKey::new(1, u32::MAX));
        let both = KeyRange::new(PageKey::new(1, 3), PageKey::new(2, 5));
        let layers = [
            delta(0, 9, 10, 21),
            image(0, 9, 20),
            delta(0, 9, 21, 41),
            LayerName::Delta {
                keys: both,
                start: Lsn(10),
                end: Lsn(21),
            },
        ];
        // Dropped (at or below the cutoff): every layer of only its keys goes, even the
        // newest delta; a layer also holding keys of a live relation stays.
        assert_eq!(plan(&layers, Lsn(50), &[rel1]), layers[..3].to_vec());
        assert_eq!(plan(&layers, Lsn(50), &[]), vec![layers[0]]);
        // Once the live keys are covered by a newer image, it goes too.
        let mut more = layers.to_vec();
        more.push(LayerName::Image {
            keys: KeyRange::new(PageKey::new(2, 0), PageKey::new(2, 9)),
            lsn: Lsn(45),
        });
        assert_eq!(plan(&more, Lsn(50), &[rel1]), more[..4].to_vec());
    }
}
