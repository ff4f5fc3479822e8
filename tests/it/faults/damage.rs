//! Damage done to stored bytes: a torn write at the end of a safekeeper's WAL, a flipped
//! byte in a pageserver layer file or in an offloaded WAL segment object.
//!
//! The torn tail models a power loss in the middle of a write the safekeeper had not yet
//! fsynced (so never acknowledged): bytes after the end of its valid WAL — a frame cut
//! short, a whole frame whose checksum fails, or noise. Damage to bytes *before* that end
//! would model a disk that loses fsynced data, which no consensus protocol survives in
//! general (the record may have been acknowledged by this safekeeper and one other that is
//! then lost), so it is not injected; a flipped byte in committed WAL is the safekeeper's
//! own recovery test (it refuses to start, naming the file and offset).

use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use proto::Lsn;
use proto::frame::{FLAG_FIRST, FLAG_LAST, FRAME_HEADER_SIZE, scan_frames};
use remote_storage::RemoteStorage;

use crate::harness::Rng;

/// Writes a torn write after the end of the valid WAL of the (stopped) safekeeper whose
/// data directory is `data_dir`; returns what it did.
pub fn tear_wal_tail(data_dir: &Path, rng: &mut Rng) -> String {
    let wal = data_dir.join("default").join("main").join("wal");
    let meta = std::fs::read(wal.join("meta")).expect("read wal/meta");
    let word = |at: usize| u64::from_le_bytes(meta[at..at + 8].try_into().expect("8 bytes"));
    let (size, start) = (word(8), Lsn(word(16)));
    let segment_of = |lsn: Lsn| Lsn(lsn.0 & !(size - 1));
    let path_of = |segment: Lsn| wal.join(format!("{:016X}.seg", segment.0));

    // The WAL from `start` through the contiguous segments, to find its end.
    let mut bytes = Vec::new();
    let mut segment = segment_of(start);
    while let Ok(data) = std::fs::read(path_of(segment)) {
        let from = if segment == segment_of(start) {
            (start.0 - segment.0) as usize
        } else {
            0
        };
        bytes.extend_from_slice(&data[from.min(data.len())..]);
        segment = Lsn(segment.0 + size);
    }
    let (end, _, _) = scan_frames(start, &bytes);
    let segment = segment_of(end);
    let offset = end.0 - segment.0;
    let path = path_of(segment);
    let room = (size - offset) as usize;
    if !path.exists() || room < FRAME_HEADER_SIZE + 2 {
        return format!("no room after the WAL's end {end} in its segment: left intact");
    }
    let (what, torn) = match rng.below(3) {
        0 => {
            // A frame whose write stopped part-way: its header and part of its payload.
            let len = rng.range(64, 4096) as usize;
            let mut frame = header(len, rng.next() as u32);
            let written = rng.below(len);
            frame.extend((0..written).map(|_| rng.next() as u8));
            ("a frame cut short", frame)
        }
        1 => {
            // A whole frame whose bytes did not all reach the disk: its checksum fails.
            let len = rng.range(16, 512) as usize;
            let payload: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let mut hdr = [0u8; 5];
            hdr[..4].copy_from_slice(&(len as u32).to_le_bytes());
            hdr[4] = FLAG_FIRST | FLAG_LAST;
            let crc = crc32c::crc32c_append(crc32c::crc32c(&hdr), &payload) ^ 0x5a5a;
            let mut frame = header(len, crc);
            frame.extend_from_slice(&payload);
            ("a whole frame with a bad checksum", frame)
        }
        _ => {
            let n = rng.range(1, 300) as usize;
            ("noise", (0..n).map(|_| (rng.next() as u8) | 1).collect())
        }
    };
    let torn = &torn[..torn.len().min(room)];
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .expect("open the WAL segment");
    file.write_all_at(torn, offset)
        .expect("write the torn tail");
    format!(
        "{what} ({} bytes) after the WAL's end {end}, in {}",
        torn.len(),
        path.display()
    )
}

fn header(len: usize, crc: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(FRAME_HEADER_SIZE);
    h.extend_from_slice(&(len as u32).to_le_bytes());
    h.push(FLAG_FIRST | FLAG_LAST);
    h.extend_from_slice(&crc.to_le_bytes());
    h
}

/// Every layer file under the pageserver's data directory.
fn layer_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            layer_files(&path, out);
        } else if (name.starts_with("delta_") || name.starts_with("image_")) && !name.contains('.')
        {
            out.push(path);
        }
    }
}

/// Flips one byte of one of the pageserver's local layer files; `None` if it has none yet.
pub fn flip_layer_byte(ps_data: &Path, rng: &mut Rng) -> Option<String> {
    let mut files = Vec::new();
    layer_files(ps_data, &mut files);
    files.sort();
    let path = files.get(rng.below(files.len().max(1)))?;
    let len = std::fs::metadata(path).ok()?.len();
    if len == 0 {
        return None;
    }
    let at = rng.next() % len;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .ok()?;
    let mut b = [0u8; 1];
    file.read_exact_at(&mut b, at).ok()?;
    b[0] ^= (rng.next() as u8) | 1;
    file.write_all_at(&b, at).ok()?;
    Some(format!("byte {at} of {} ({len} bytes)", path.display()))
}

/// A flipped byte in an offloaded WAL segment object.
pub struct FlippedObject {
    pub key: String,
    pub segment: Lsn,
    pub offset: u64,
}

/// Flips one byte of one offloaded WAL segment object; `None` if none is offloaded yet.
pub async fn flip_wal_object_byte(store: &RemoteStorage, rng: &mut Rng) -> Option<FlippedObject> {
    let id = proto::TimelineId::new("default", "main").expect("valid names");
    let objects = store
        .list(&remote_storage::layout::wal_prefix(&id))
        .await
        .ok()?;
    let object = objects.get(rng.below(objects.len().max(1)))?;
    let segment = remote_storage::layout::parse_wal_segment(&object.key)?;
    let mut data = store.get(&object.key).await.ok()?.to_vec();
    if data.is_empty() {
        return None;
    }
    let offset = rng.next() % data.len() as u64;
    data[offset as usize] ^= (rng.next() as u8) | 1;
    store.put(&object.key, data.into()).await.ok()?;
    Some(FlippedObject {
        key: object.key.clone(),
        segment,
        offset,
    })
}
