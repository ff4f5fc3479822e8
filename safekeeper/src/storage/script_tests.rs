//! Storage scenarios as plain-text scripts (`testdata/*.txt`), in the style
//! of toydb's goldenscripts: commands, `---`, the expected output, a blank
//! line. Run with `UPDATE_GOLDENFILES=1` to rewrite the expected output, then
//! review the diff.
//!
//! Commands (LSNs are `X/Y`, or `@k[+n]`: the end of the k-th record written
//! (`@0` is the WAL's start), plus `n` bytes):
//! - `create [start=LSN] [segment=BYTES]`: a new WAL (default 0/1000000, 4 KiB)
//! - `write SIZE...`: one single-frame record per payload size, filled with
//!   the record's number
//! - `write-torn SIZE`: a crash in the middle of writing a record: only the
//!   first half of its bytes reaches the disk, behind the `Wal`'s back
//! - `flip LSN`: flips one bit of the byte at LSN on disk
//! - `flush`, `truncate LSN [commit=LSN]`, `remove-below LSN`, `read FROM TO`
//! - `reopen [commit=LSN]`: drops the `Wal` and recovers it
//! - `segments`: the segment files on disk

use std::fmt::Write as _;
use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use proto::Lsn;

use crate::storage::layout::{self, segment_offset, segment_start};
use crate::storage::testutil::{TempDir, record};
use crate::storage::{StorageError, Wal};

struct Runner {
    tmp: TempDir,
    wal: Option<Wal>,
    /// `ends[k]` is the end of the k-th record written (`ends[0]` = start).
    ends: Vec<Lsn>,
}

impl Runner {
    fn dir(&self) -> PathBuf {
        self.tmp.path().join("wal")
    }

    fn wal(&mut self) -> &mut Wal {
        self.wal
            .as_mut()
            .expect("script must `create` or `reopen` first")
    }

    fn lsn(&self, s: &str) -> Lsn {
        if let Some(r) = s.strip_prefix('@') {
            let (k, n) = r.split_once('+').unwrap_or((r, "0"));
            let k: usize = k.parse().expect("record number");
            self.ends[k] + n.parse::<u64>().expect("byte offset")
        } else {
            s.parse().expect("LSN")
        }
    }

    fn run(&mut self, line: &str) -> String {
        let mut args: Vec<&str> = line.split_whitespace().collect();
        let cmd = args.remove(0);
        let kv = |key: &str| {
            args.iter()
                .find_map(|a| a.strip_prefix(key)?.strip_prefix('='))
                .map(str::to_string)
        };
        let result: Result<String, StorageError> = match cmd {
            "create" => {
                let start = kv("start").map_or(Lsn::TIMELINE_START, |s| self.lsn(&s));
                let seg = kv("segment").map_or(4096, |s| s.parse().expect("size"));
                Wal::create(&self.dir(), start, seg).map(|w| {
                    self.wal = Some(w);
                    self.ends = vec![start];
                    format!("WAL at {start}, {seg}-byte segments")
                })
            }
            "write" => {
                let mut out = String::new();
                for size in args {
                    let n = self.ends.len();
                    let lsn = self.wal().write_lsn();
                    let r = record(size.parse().expect("size"), n as u8);
                    match self.wal().write(lsn, &r) {
                        Ok(end) => {
                            let end = end.expect("one whole record");
                            self.ends.push(end);
                            writeln!(out, "record {n}: {lsn}..{end}").expect("string");
                        }
                        Err(e) => return format!("error: {e}"),
                    }
                }
                Ok(out.trim_end().to_string())
            }
            "write-torn" => {
                let lsn = self.wal().write_lsn();
                let r = record(args[0].parse().expect("size"), 0xAA);
                let half = &r[..r.len() / 2];
                self.poke(lsn, half);
                Ok(format!(
                    "{} of {} bytes at {lsn} reached the disk",
                    half.len(),
                    r.len()
                ))
            }
            "flip" => {
                let lsn = self.lsn(args[0]);
                let path = self.segment_path(lsn);
                let mut byte = [0u8];
                let f = OpenOptions::new().read(true).write(true).open(&path);
                let f = f.expect("segment exists");
                let off = segment_offset(lsn, self.seg_size());
                f.read_exact_at(&mut byte, off).expect("read byte");
                f.write_all_at(&[byte[0] ^ 0x08], off).expect("write byte");
                Ok(format!("flipped a bit at {lsn}"))
            }
            "flush" => self.wal().flush().map(|l| format!("flush_lsn={l}")),
            "truncate" => {
                let lsn = self.lsn(args[0]);
                let commit = kv("commit").map_or(Lsn::INVALID, |s| self.lsn(&s));
                self.wal().truncate(lsn, commit).map(|()| {
                    self.ends.retain(|&e| e <= lsn);
                    format!("write_lsn={lsn}")
                })
            }
            "remove-below" => {
                let lsn = self.lsn(args[0]);
                self.wal()
                    .remove_below(lsn)
                    .map(|n| format!("removed {n} segments, start_lsn={lsn}"))
            }
            "read" => {
                let (from, to) = (self.lsn(args[0]), self.lsn(args[1]));
                self.wal().read(from, to).map(|b| {
                    let (end, records, err) = proto::frame::scan_frames(from, &b);
                    format!(
                        "{} bytes, frames to {end}, records to {records}, error: {err:?}",
                        b.len()
                    )
                })
            }
            "reopen" => {
                let commit = kv("commit").map_or(Lsn::INVALID, |s| self.lsn(&s));
                self.wal = None;
                Wal::open(&self.dir(), commit).map(|(w, rec)| {
                    self.ends.retain(|&e| e <= rec.flush_lsn);
                    self.wal = Some(w);
                    format!(
                        "flush_lsn={} record_lsn={} torn_tail={}",
                        rec.flush_lsn,
                        rec.record_lsn,
                        rec.torn_tail.as_deref().unwrap_or("none")
                    )
                })
            }
            "segments" => {
                let mut names: Vec<String> = std::fs::read_dir(self.dir())
                    .expect("list")
                    .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
                    .filter(|n| n.ends_with(".seg"))
                    .collect();
                names.sort();
                Ok(names.join("\n"))
            }
            other => panic!("unknown command {other:?}"),
        };
        match result {
            Ok(s) => s,
            Err(e) => format!("error: {e}"),
        }
        .replace(&self.tmp.path().display().to_string(), "$TMP")
    }

    fn seg_size(&self) -> u64 {
        self.wal.as_ref().map_or(4096, Wal::segment_size)
    }

    fn segment_path(&self, lsn: Lsn) -> PathBuf {
        let seg = segment_start(lsn, self.seg_size());
        self.dir().join(layout::segment_file_name(seg))
    }

    /// Writes bytes at `lsn` straight into the segment files.
    fn poke(&self, lsn: Lsn, bytes: &[u8]) {
        let size = self.seg_size();
        for p in layout::pieces(lsn, lsn + bytes.len() as u64, size) {
            let path = self.dir().join(layout::segment_file_name(p.segment));
            let f = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .expect("open segment");
            f.set_len(size).expect("size segment");
            let data = &bytes[p.range_offset as usize..(p.range_offset + p.len) as usize];
            f.write_all_at(data, p.offset).expect("poke");
        }
    }
}

/// Runs one script, returning its text with the actual output.
fn run_script(text: &str, tag: &str) -> String {
    let mut runner = Runner {
        tmp: TempDir::new(tag),
        wal: None,
        ends: Vec::new(),
    };
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim().is_empty() || line.starts_with('#') {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let mut commands = vec![line];
        for l in lines.by_ref() {
            if l == "---" {
                break;
            }
            commands.push(l);
        }
        while lines.peek().is_some_and(|l| !l.trim().is_empty()) {
            lines.next();
        }
        let results: Vec<String> = commands.iter().map(|c| runner.run(c)).collect();
        for c in &commands {
            out.push_str(c);
            out.push('\n');
        }
        out.push_str("---\n");
        for r in results.iter().filter(|r| !r.is_empty()) {
            out.push_str(r);
            out.push('\n');
        }
    }
    out
}

#[test]
fn scripts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/storage/testdata");
    let update = std::env::var_os("UPDATE_GOLDENFILES").is_some();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("testdata directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty());
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("read script");
        let tag = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("script");
        let actual = run_script(&text, tag);
        if update {
            std::fs::write(&path, &actual).expect("write script");
        } else if actual != text {
            panic!(
                "{} differs; rerun with UPDATE_GOLDENFILES=1 and review the diff.\n--- actual ---\n{actual}",
                path.display()
            );
        }
    }
}
