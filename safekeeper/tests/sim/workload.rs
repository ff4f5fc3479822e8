//! Client records for the simulation: real `Record`s whose payloads are cut
//! into *small* frames (at most `FRAME_PAYLOAD` bytes), so multi-frame
//! records and tails ending inside a record are cheap and frequent. Readers
//! accept any frame length up to proto's maximum, so this is valid WAL.

use bytes::{BufMut, Bytes, BytesMut};
use proto::frame::{FLAG_FIRST, FLAG_LAST};
use proto::record::{Delta, PageBody, PageChange};
use proto::{Lsn, PageKey, Record};

use crate::rng::Rng;

pub const FRAME_PAYLOAD: usize = 48;

/// A commit record of small frames with up to `max_len` bytes of random
/// content.
pub fn random_record(rng: &mut Rng, ts: i64, max_len: usize) -> Bytes {
    let len = 1 + rng.index(max_len);
    let data: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
    let change = PageChange {
        key: PageKey::new(1 + rng.below(4) as u32, rng.below(8) as u32),
        base_lsn: Lsn::INVALID,
        body: PageBody::Delta(Delta::from_runs([(200u16, &data[..])])),
        crc_after: rng.next_u64() as u32,
    };
    let record = Record::commit(ts, vec![change]);
    let mut payload = BytesMut::new();
    record.encode_payload(&mut payload);
    small_frames(&payload)
}

fn small_frames(payload: &[u8]) -> Bytes {
    let mut out = BytesMut::new();
    let n = payload.len().div_ceil(FRAME_PAYLOAD);
    for (i, chunk) in payload.chunks(FRAME_PAYLOAD).enumerate() {
        let mut flags = 0;
        if i == 0 {
            flags |= FLAG_FIRST;
        }
        if i + 1 == n {
            flags |= FLAG_LAST;
        }
        let len = chunk.len() as u32;
        let mut hdr = [0u8; 5];
        hdr[..4].copy_from_slice(&len.to_le_bytes());
        hdr[4] = flags;
        let crc = crc32c::crc32c_append(crc32c::crc32c(&hdr), chunk);
        out.put_u32_le(len);
        out.put_u8(flags);
        out.put_u32_le(crc);
        out.put_slice(chunk);
    }
    out.freeze()
}
