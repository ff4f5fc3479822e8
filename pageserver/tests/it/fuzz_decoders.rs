//! Fuzzing of what the pageserver reads from disk and object storage, on the stable
//! toolchain: layer files (delta and image) with bytes flipped, runs overwritten and tails
//! cut, opened and read in full; block payloads and page-change values past their
//! checksums (what a CRC collision or a bug upstream would hand the parsers); manifests
//! and layer names. Nothing may panic: every input is read or refused with an error.
//!
//! Cases per property: `STRATA_FUZZ_CASES` (default 300 here: each case writes a file).

use pageserver::block::{Entries, verify_block};
use pageserver::delta_layer::{self, DeltaLayer, decode_change};
use pageserver::image_layer::{self, ImageLayer};
use pageserver::key_range::KeyRange;
use pageserver::layer_file::write_file;
use pageserver::layer_name::LayerName;
use pageserver::manifest::Manifest;
use proptest::prelude::*;
use proto::page::{self, zeroed_page};
use proto::{Lsn, Page, PageKey};

fn cases(default: u32) -> u32 {
    std::env::var("STRATA_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn page(lsn: u64, fill: u8) -> Box<Page> {
    let mut p = zeroed_page();
    p[100..300].fill(fill);
    page::set_page_lsn(&mut p, Lsn(lsn));
    page::seal(&mut p);
    p
}

/// A delta layer of `n` keys with two changes each, as bytes.
fn delta_bytes(n: u32, block_size: usize) -> Vec<u8> {
    let mut changes = Vec::new();
    for blk in 0..n {
        let key = PageKey::new(1, blk);
        let p1 = page(100, blk as u8);
        changes.push((Lsn(100), proto::redo::diff(key, None, &p1, Lsn(100))));
        let mut p2 = p1.clone();
        p2[400] = 1;
        changes.push((Lsn(200), proto::redo::diff(key, Some(&p1), &p2, Lsn(200))));
    }
    delta_layer::build(
        changes.iter().map(|(l, c)| (*l, c)),
        Lsn(100),
        Lsn(300),
        block_size,
    )
    .expect("changes")
    .1
}

/// An image layer of `n` pages, as bytes.
fn image_bytes(n: u32, block_size: usize) -> Vec<u8> {
    let pages: Vec<(PageKey, Box<Page>)> = (0..n)
        .map(|b| (PageKey::new(1, b), page(50, b as u8)))
        .collect();
    let keys = KeyRange::new(PageKey::new(1, 0), PageKey::new(1, n));
    image_layer::build(
        pages.iter().map(|(k, p)| (*k, &**p)),
        keys,
        Lsn(50),
        block_size,
    )
    .1
}

/// Flips, overwritten runs and a cut tail (positions modulo the length).
fn damage(
    mut bytes: Vec<u8>,
    flips: &[(usize, u8)],
    runs: &[(usize, Vec<u8>)],
    cut: Option<usize>,
) -> Vec<u8> {
    let n = bytes.len();
    if n == 0 {
        return bytes;
    }
    for (pos, x) in flips {
        bytes[pos % n] ^= x;
    }
    for (pos, run) in runs {
        for (i, b) in run.iter().enumerate() {
            bytes[(pos % n + i) % n] = *b;
        }
    }
    if let Some(c) = cut {
        bytes.truncate(c % (n + 1));
    }
    bytes
}

/// Byte flips, overwritten runs and a cut, as [`damage`] applies them.
type Damage = (Vec<(usize, u8)>, Vec<(usize, Vec<u8>)>, Option<usize>);

fn arb_damage() -> impl Strategy<Value = Damage> {
    (
        prop::collection::vec((any::<usize>(), 1u8..), 0..5),
        prop::collection::vec(
            (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16)),
            0..3,
        ),
        prop::option::of(any::<usize>()),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(300)))]

    #[test]
    fn damaged_layer_files_are_refused_or_read_never_panic(
        image in any::<bool>(),
        n in 1u32..40,
        block_size in prop_oneof![Just(256usize), Just(4096), Just(65536)],
        (flips, runs, cut) in arb_damage(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let bytes = if image { image_bytes(n, block_size) } else { delta_bytes(n, block_size) };
        let bytes = damage(bytes, &flips, &runs, cut);
        let path = dir.path().join("layer");
        write_file(&path, &bytes).unwrap();
        if image {
            if let Ok(layer) = ImageLayer::open(&path) {
                if let Ok(keys) = layer.keys() {
                    for k in keys {
                        let _ = layer.get(k);
                    }
                }
                for b in 0..n + 2 {
                    let _ = layer.get(PageKey::new(1, b));
                }
            }
        } else if let Ok(layer) = DeltaLayer::open(&path) {
            if let Ok(keys) = layer.keys() {
                for k in keys {
                    let _ = layer.changes(k, Lsn(0), Lsn(u64::MAX));
                }
            }
            for b in 0..n + 2 {
                let _ = layer.changes(PageKey::new(1, b), Lsn(0), Lsn(u64::MAX));
            }
        }
    }

    #[test]
    fn block_payloads_and_change_values_past_their_checksums_never_panic(
        payload in prop::collection::vec(any::<u8>(), 0..600),
        value in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let _ = verify_block(&payload);
        for e in Entries::new(&payload) {
            if e.is_err() {
                break;
            }
        }
        let _ = decode_change(PageKey::new(1, 1), &value);
    }

    #[test]
    fn manifests_and_layer_names_never_panic(
        raw in prop::collection::vec(any::<u8>(), 0..400),
        name in "[-_0-9A-Fa-f]{0,90}",
        (flips, runs, cut) in arb_damage(),
    ) {
        let _ = Manifest::decode("index-x.json", &raw);
        let valid = Manifest::new(3, Lsn(100), None).encode().to_vec();
        let _ = Manifest::decode("index-x.json", &damage(valid, &flips, &runs, cut));
        let _ = LayerName::parse(&name);
        if let Ok(s) = std::str::from_utf8(&raw) {
            let _ = LayerName::parse(s);
        }
    }
}
