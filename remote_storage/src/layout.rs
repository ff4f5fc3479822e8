//! Where every object lives, for every component (a cross-process
//! contract: safekeepers write `wal/`, pageservers read it).
//!
//! ```text
//! tenants/{tenant}/timelines/{timeline}/index-{generation:016x}.json   manifest of one pageserver generation
//! tenants/{tenant}/timelines/{timeline}/layers/{layer name}-{generation:016x}
//! tenants/{tenant}/timelines/{timeline}/wal/{segment start LSN:016X}
//! ```
//!
//! Generations and LSNs are fixed-width hexadecimal so that lexical order is
//! numeric order: listing `index-` finds the highest generation last.

use proto::{Lsn, TimelineId};

/// `tenants/{t}/timelines/{l}`.
pub fn timeline_prefix(id: &TimelineId) -> String {
    format!("tenants/{}/timelines/{}", id.tenant, id.timeline)
}

/// The manifest written by pageserver generation `generation`.
pub fn index_key(id: &TimelineId, generation: u64) -> String {
    format!("{}/index-{generation:016x}.json", timeline_prefix(id))
}

/// Parses the generation out of an index key's file name.
pub fn parse_index_generation(key: &str) -> Option<u64> {
    let name = key.rsplit('/').next()?;
    let hex = name.strip_prefix("index-")?.strip_suffix(".json")?;
    if hex.len() != 16 {
        return None;
    }
    u64::from_str_radix(hex, 16).ok()
}

/// A layer file written by generation `generation`.
pub fn layer_key(id: &TimelineId, layer_name: &str, generation: u64) -> String {
    format!(
        "{}/layers/{layer_name}-{generation:016x}",
        timeline_prefix(id)
    )
}

/// Parses the generation out of a layer key's file name (`{name}-{gen:016x}`).
pub fn parse_layer_generation(key: &str) -> Option<u64> {
    let name = key.rsplit('/').next()?;
    let (_, hex) = name.rsplit_once('-')?;
    if hex.len() != 16 {
        return None;
    }
    u64::from_str_radix(hex, 16).ok()
}

/// The directory of a timeline's offloaded WAL segments.
pub fn wal_prefix(id: &TimelineId) -> String {
    format!("{}/wal", timeline_prefix(id))
}

/// An offloaded WAL segment starting at `segment_start`.
pub fn wal_segment_key(id: &TimelineId, segment_start: Lsn) -> String {
    format!("{}/{:016X}", wal_prefix(id), segment_start.0)
}

/// Parses a segment's start LSN out of its key.
pub fn parse_wal_segment(key: &str) -> Option<Lsn> {
    let name = key.rsplit('/').next()?;
    if name.len() != 16 {
        return None;
    }
    u64::from_str_radix(name, 16).ok().map(Lsn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_sort_numerically() {
        let id = TimelineId::new("default", "main").unwrap();
        let k = index_key(&id, 0x1f);
        assert_eq!(
            k,
            "tenants/default/timelines/main/index-000000000000001f.json"
        );
        assert_eq!(parse_index_generation(&k), Some(0x1f));
        assert!(index_key(&id, 9) < index_key(&id, 10));
        let w = wal_segment_key(&id, Lsn(0x1000000));
        assert_eq!(parse_wal_segment(&w), Some(Lsn(0x1000000)));
        assert!(wal_segment_key(&id, Lsn(0xF000000)) < wal_segment_key(&id, Lsn(0x10000000)));
        assert_eq!(parse_index_generation("x/index-zz.json"), None);
        let l = layer_key(&id, "0000-00ff", 7);
        assert_eq!(parse_layer_generation(&l), Some(7));
        assert_eq!(parse_layer_generation("x/layers/abc-7"), None);
    }
}
