//! MVCC scenarios as plain-text scripts (goldenscript style).
//!
//! Each file in `tests/scripts/` is a list of cases: command lines, a `---`
//! line, the expected output, and a blank line. Commands:
//!
//! ```text
//! insert KEY=VALUE @LSN     update KEY=VALUE @LSN     delete KEY @LSN
//! get KEY @SNAPSHOT         scan @SNAPSHOT [from=KEY] [to=KEY]  (from inclusive, to exclusive)
//! versions KEY              prune HORIZON             check
//! prune-writes HORIZON|off  (later writes prune the leaves they change at
//!                            HORIZON, as the commit's serial step does)
//! ```
//!
//! Keys are text keys (keycodec-encoded), values are text payloads, LSNs are
//! decimal. `UPDATE_GOLDEN=1 cargo test -p compute --test it mvcc_scripts`
//! rewrites the expected output; review the change as a diff.

use std::fmt::Write as _;
use std::ops::Bound;
use std::path::Path;

use compute::btree::{ChangedPages, Limits, MemPageStore};
use compute::keycodec::{decode_key, encode_key};
use compute::mvcc::VersionedTree;
use compute::{Error, Value};
use proto::Lsn;

fn key(s: &str) -> Vec<u8> {
    encode_key(&[Value::Text(s.to_string())])
}

fn show_key(k: &[u8]) -> String {
    match decode_key(k).as_deref() {
        Ok([Value::Text(s)]) => s.clone(),
        other => format!("{other:?}"),
    }
}

fn lsn(arg: &str) -> Lsn {
    let digits = arg.strip_prefix('@').unwrap_or(arg);
    Lsn(digits.parse().unwrap_or_else(|_| panic!("bad LSN {arg:?}")))
}

/// Errors, with LSNs in the scripts' decimal notation.
fn show_err(e: &Error) -> String {
    match e {
        Error::NeedsOldSnapshot {
            snapshot,
            prune_lsn,
            ..
        } => format!(
            "error: needs old snapshot ({} < prune_lsn {})",
            snapshot.0, prune_lsn.0
        ),
        Error::LsnOutOfOrder { lsn, newest } => {
            format!(
                "error: write at {} is older than the newest version at {}",
                lsn.0, newest.0
            )
        }
        e => format!("error: {e}"),
    }
}

/// Runs one command, appending its output lines to `out`. `prune_writes` is the horizon at
/// which writes prune the leaves they change (`prune-writes`).
fn run_command(
    tree: &mut VersionedTree<MemPageStore>,
    prune_writes: &mut Option<Lsn>,
    line: &str,
    out: &mut String,
) {
    let words: Vec<&str> = line.split_whitespace().collect();
    let kv = |w: &str| -> (Vec<u8>, Vec<u8>) {
        let (k, v) = w.split_once('=').expect("KEY=VALUE");
        (key(k), v.as_bytes().to_vec())
    };
    let horizon = *prune_writes;
    let write = |tree: &mut VersionedTree<MemPageStore>, res: Result<ChangedPages, Error>| {
        let changed = match res {
            Ok(changed) => changed,
            Err(e) => return show_err(&e),
        };
        let Some(h) = horizon else {
            return "ok".to_string();
        };
        match tree.prune_leaves(changed.iter().map(|p| p.block).collect::<Vec<_>>(), h, h) {
            Ok(pruned) if pruned.is_empty() => "ok".to_string(),
            Ok(pruned) => format!("ok, pruned {} page(s)", pruned.len()),
            Err(e) => show_err(&e),
        }
    };
    let result = match words.as_slice() {
        ["insert", pair, at] => {
            let (k, v) = kv(pair);
            let res = tree.insert(&k, &v, lsn(at));
            write(tree, res)
        }
        ["update", pair, at] => {
            let (k, v) = kv(pair);
            let res = tree.update(&k, &v, lsn(at));
            write(tree, res)
        }
        ["delete", k, at] => {
            let res = tree.delete(&key(k), lsn(at));
            write(tree, res)
        }
        ["prune-writes", "off"] => {
            *prune_writes = None;
            "ok".to_string()
        }
        ["prune-writes", h] => {
            *prune_writes = Some(lsn(h));
            "ok".to_string()
        }
        ["get", k, at] => match tree.get(&key(k), lsn(at)) {
            Ok(Some(v)) => format!("{k}={}", String::from_utf8_lossy(&v)),
            Ok(None) => format!("{k}: none"),
            Err(e) => show_err(&e),
        },
        ["scan", at, opts @ ..] => {
            let mut from = None;
            let mut to = None;
            for o in opts {
                match o.split_once('=') {
                    Some(("from", k)) => from = Some(key(k)),
                    Some(("to", k)) => to = Some(key(k)),
                    _ => panic!("bad scan option {o:?}"),
                }
            }
            let lower = from.as_deref().map_or(Bound::Unbounded, Bound::Included);
            let upper = to.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
            match tree
                .scan(lower, upper, lsn(at))
                .and_then(|s| s.collect::<Result<Vec<_>, _>>())
            {
                Ok(rows) if rows.is_empty() => "(no rows)".to_string(),
                Ok(rows) => rows
                    .iter()
                    .map(|(k, v)| format!("{}={}", show_key(k), String::from_utf8_lossy(v)))
                    .collect::<Vec<_>>()
                    .join(", "),
                Err(e) => show_err(&e),
            }
        }
        ["versions", k] => match tree.versions(&key(k), Lsn::MAX) {
            Ok(vs) if vs.is_empty() => format!("{k}: (no versions)"),
            Ok(vs) => vs
                .iter()
                .map(|v| {
                    let deleted = if v.is_live() {
                        "inf".to_string()
                    } else {
                        v.deleted.0.to_string()
                    };
                    format!(
                        "{k}: created={} deleted={deleted} {}",
                        v.created.0,
                        String::from_utf8_lossy(&v.payload)
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
            Err(e) => show_err(&e),
        },
        ["prune", horizon] => match tree.prune(lsn(horizon), lsn(horizon)) {
            Ok(changed) => format!("changed {} page(s)", changed.len()),
            Err(e) => show_err(&e),
        },
        ["check"] => match tree.tree().check() {
            Ok(stats) => format!("ok: {stats:?}"),
            Err(e) => show_err(&e),
        },
        _ => panic!("unknown command {line:?}"),
    };
    writeln!(out, "{result}").expect("write to String");
}

/// Runs a script and returns it with freshly generated outputs.
fn run_script(script: &str) -> String {
    let (mut tree, _) =
        VersionedTree::create(MemPageStore::new(), Limits::for_fill(512)).expect("create");
    let mut prune_writes = None;
    let mut out = String::new();
    let mut in_output = false;
    let mut pending = String::new();
    for line in script.lines() {
        if in_output {
            if line.is_empty() {
                in_output = false;
            }
            continue;
        }
        if line == "---" {
            out.push_str("---\n");
            out.push_str(&pending);
            out.push('\n');
            pending.clear();
            in_output = true;
            continue;
        }
        writeln!(out, "{line}").expect("write to String");
        if !line.is_empty() && !line.starts_with('#') {
            run_command(&mut tree, &mut prune_writes, line, &mut pending);
        }
    }
    assert!(pending.is_empty(), "commands after the last '---'");
    out
}

#[test]
fn mvcc_scripts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("read tests/scripts")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    for path in files {
        let script = std::fs::read_to_string(&path).expect("read script");
        let got = run_script(&script);
        if update {
            std::fs::write(&path, &got).expect("write script");
        } else {
            assert_eq!(
                got,
                script,
                "{} (UPDATE_GOLDEN=1 to regenerate)",
                path.display()
            );
        }
    }
}
