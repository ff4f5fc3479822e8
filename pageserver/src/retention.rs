//! What GC must keep readable besides the PITR window: the branch points of
//! child timelines and LSN leases ([`Retention`]), and how they survive a
//! restart and a wiped disk.
//!
//! - A **branch point** `(child, lsn)` is registered in the parent when the
//!   branch is *created* — atomically with the parent's GC, which applies its
//!   cutoff under the same lock — not when the child is attached, so the
//!   parent's history at the branch point is kept even if the child is never
//!   attached again (or is attached after the parent's first GC).
//! - A **lease** `lsn → valid until` (wall clock, so it means the same after
//!   a restart) is granted only at or above the GC cutoff; renewing extends
//!   it. Expired leases are dropped by the next GC.
//!
//! Both are acknowledged only once durable in two places: `retention.meta`
//! in the timeline directory (CRC'd, replaced atomically through
//! [`write_file`]) and the timeline's manifest (`leases`, `branch_points`),
//! written and then fence-checked ([`crate::remote::upload_retention`]), so
//! a restart and an attach on an empty disk (or by a newer generation) both
//! have them. At attach the two are merged (union, longest lease): both only
//! ever add retention.
//!
//! ```text
//! retention.meta := magic "STRRETN1" n_leases:u32 (lsn:u64 until_unix_ms:u64)*
//!                   n_branches:u32 (name_len:u8 name lsn:u64)* crc32c:u32   (little-endian)
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proto::{Lsn, TimelineName};

use crate::layer_file::write_file;
use crate::manifest::Manifest;
use crate::{Error, Result};

/// The file name in the timeline directory.
pub const FILE_NAME: &str = "retention.meta";
const MAGIC: &[u8; 8] = b"STRRETN1";

/// Branch points and leases of one timeline: see the module docs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Retention {
    /// Branch points of child timelines (same tenant).
    pub children: BTreeMap<TimelineName, Lsn>,
    /// LSN → lease expiry, in milliseconds since the Unix epoch.
    pub leases: BTreeMap<Lsn, u64>,
}

/// Milliseconds since the Unix epoch of `t`.
pub fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Retention {
    /// Registers `child`'s branch point (idempotent); whether it is new.
    pub fn add_branch_point(&mut self, child: TimelineName, lsn: Lsn) -> bool {
        self.children.insert(child, lsn) != Some(lsn)
    }

    /// Grants or extends a lease on `lsn` until `now + ttl`; returns the
    /// lease's expiry (unix ms).
    pub fn add_lease(&mut self, lsn: Lsn, now: SystemTime, ttl: Duration) -> u64 {
        let until = unix_ms(now + ttl);
        let e = self.leases.entry(lsn).or_insert(until);
        *e = (*e).max(until);
        *e
    }

    /// Drops leases expired at `now`.
    pub fn expire(&mut self, now: SystemTime) {
        let now = unix_ms(now);
        self.leases.retain(|_, until| *until > now);
    }

    /// `wanted`, lowered to every branch point and every lease live at
    /// `now`.
    pub fn bound(&self, wanted: Lsn, now: SystemTime) -> Lsn {
        let now = unix_ms(now);
        let leases = self
            .leases
            .iter()
            .filter(|(_, until)| **until > now)
            .map(|(l, _)| *l);
        self.children
            .values()
            .copied()
            .chain(leases)
            .fold(wanted, Lsn::min)
    }

    /// Adds everything `other` holds (union; the longer of two leases).
    pub fn merge(&mut self, other: &Retention) {
        for (c, l) in &other.children {
            self.children.entry(c.clone()).or_insert(*l);
        }
        for (l, until) in &other.leases {
            let e = self.leases.entry(*l).or_insert(*until);
            *e = (*e).max(*until);
        }
    }

    /// What `manifest` records (names that do not parse are skipped with a
    /// warning: they cannot name a timeline of this tenant).
    pub fn from_manifest(manifest: &Manifest) -> Retention {
        let mut r = Retention::default();
        for (name, lsn) in &manifest.branch_points {
            match TimelineName::new(name) {
                Ok(n) => {
                    r.add_branch_point(n, Lsn(*lsn));
                }
                Err(e) => tracing::warn!(name, error = %e, "ignoring a bad branch point"),
            }
        }
        for &(lsn, until) in &manifest.leases {
            let e = r.leases.entry(Lsn(lsn)).or_insert(until);
            *e = (*e).max(until);
        }
        r
    }

    /// Writes it into `manifest`'s fields.
    pub fn to_manifest(&self, manifest: &mut Manifest) {
        manifest.branch_points = self
            .children
            .iter()
            .map(|(c, l)| (c.to_string(), l.0))
            .collect();
        manifest.leases = self.leases.iter().map(|(l, u)| (l.0, *u)).collect();
    }

    /// Whether `manifest` records exactly this.
    pub fn matches(&self, manifest: &Manifest) -> bool {
        Retention::from_manifest(manifest) == *self
    }

    fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(20 + 16 * self.leases.len() + 72 * self.children.len());
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&(self.leases.len() as u32).to_le_bytes());
        for (lsn, until) in &self.leases {
            b.extend_from_slice(&lsn.0.to_le_bytes());
            b.extend_from_slice(&until.to_le_bytes());
        }
        b.extend_from_slice(&(self.children.len() as u32).to_le_bytes());
        for (name, lsn) in &self.children {
            let name = name.as_str().as_bytes();
            b.push(name.len() as u8);
            b.extend_from_slice(name);
            b.extend_from_slice(&lsn.0.to_le_bytes());
        }
        let crc = crc32c::crc32c(&b);
        b.extend_from_slice(&crc.to_le_bytes());
        b
    }

    fn decode(b: &[u8]) -> std::result::Result<Retention, (u64, &'static str)> {
        if b.len() < 20 || &b[..8] != MAGIC {
            return Err((0, "not a retention file"));
        }
        let (body, crc) = b.split_at(b.len() - 4);
        let crc = u32::from_le_bytes(crc.try_into().map_err(|_| (0, "short"))?);
        if crc32c::crc32c(body) != crc {
            return Err(((b.len() - 4) as u64, "retention file checksum mismatch"));
        }
        let mut r = Reader { b: body, at: 8 };
        let mut out = Retention::default();
        for _ in 0..r.u32()? {
            let lsn = Lsn(r.u64()?);
            out.leases.insert(lsn, r.u64()?);
        }
        for _ in 0..r.u32()? {
            let at = r.at as u64;
            let len = r.take(1)?[0] as usize;
            let name = std::str::from_utf8(r.take(len)?)
                .ok()
                .and_then(|s| TimelineName::new(s).ok())
                .ok_or((at, "bad timeline name"))?;
            out.children.insert(name, Lsn(r.u64()?));
        }
        if r.at != body.len() {
            return Err((r.at as u64, "trailing bytes in the retention file"));
        }
        Ok(out)
    }

    /// Loads `dir/retention.meta` (empty if there is no file).
    pub fn load(dir: &Path) -> Result<Retention> {
        let path = dir.join(FILE_NAME);
        match std::fs::read(&path) {
            Ok(b) => Retention::decode(&b).map_err(|(off, why)| Error::corrupt(&path, off, why)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Retention::default()),
            Err(e) => Err(Error::io("read retention file", path, e)),
        }
    }

    /// Stores it durably in `dir`.
    pub fn store(&self, dir: &Path) -> Result<()> {
        write_file(&dir.join(FILE_NAME), &self.encode())
    }
}

/// A bounds-checked cursor over a retention file's body.
struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> std::result::Result<&[u8], (u64, &'static str)> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or((self.at as u64, "retention file is truncated"))?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u32(&mut self) -> std::result::Result<u32, (u64, &'static str)> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn u64(&mut self) -> std::result::Result<u64, (u64, &'static str)> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> TimelineName {
        TimelineName::new(s).unwrap()
    }

    #[test]
    fn bounds_by_branch_points_and_live_leases() {
        let now = SystemTime::now();
        let mut r = Retention::default();
        assert_eq!(r.bound(Lsn(500), now), Lsn(500));
        r.add_branch_point(name("dev"), Lsn(300));
        r.add_branch_point(name("dev"), Lsn(300));
        assert_eq!(r.bound(Lsn(500), now), Lsn(300));
        let until = r.add_lease(Lsn(200), now, Duration::from_secs(60));
        assert_eq!(r.bound(Lsn(500), now), Lsn(200));
        // Renewing extends, never shortens.
        assert_eq!(r.add_lease(Lsn(200), now, Duration::from_secs(1)), until);
        let later = now + Duration::from_secs(61);
        assert_eq!(r.bound(Lsn(500), later), Lsn(300), "expired lease");
        r.expire(later);
        assert!(r.leases.is_empty());
    }

    #[test]
    fn file_and_manifest_round_trip_and_merge() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Retention::load(dir.path()).unwrap(), Retention::default());
        let now = SystemTime::now();
        let mut r = Retention::default();
        r.add_branch_point(name("dev-1"), Lsn(0x1000_0000));
        r.add_branch_point(name("b"), Lsn(7));
        r.add_lease(Lsn(42), now, Duration::from_secs(600));
        r.store(dir.path()).unwrap();
        assert_eq!(Retention::load(dir.path()).unwrap(), r);

        let mut m = Manifest::new(1, Lsn(1), None);
        r.to_manifest(&mut m);
        assert!(r.matches(&m));
        let back = Manifest::decode("index", &m.encode()).unwrap();
        assert_eq!(Retention::from_manifest(&back), r);

        let mut other = Retention::default();
        other.add_lease(Lsn(42), now, Duration::from_secs(6000));
        other.add_branch_point(name("c"), Lsn(9));
        let mut merged = r.clone();
        merged.merge(&other);
        assert_eq!(merged.children.len(), 3);
        assert_eq!(merged.leases[&Lsn(42)], other.leases[&Lsn(42)]);
    }

    #[test]
    fn damage_is_reported_with_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Retention::default();
        r.add_branch_point(name("dev"), Lsn(5));
        r.add_lease(Lsn(6), SystemTime::now(), Duration::from_secs(1));
        let good = r.encode();
        for i in 0..good.len() {
            let mut b = good.clone();
            b[i] ^= 0x40;
            std::fs::write(dir.path().join(FILE_NAME), &b).unwrap();
            match Retention::load(dir.path()) {
                Err(Error::Corrupt { file, .. }) => assert!(file.ends_with(FILE_NAME)),
                other => panic!("byte {i}: {other:?}"),
            }
        }
        std::fs::write(dir.path().join(FILE_NAME), &good[..good.len() - 3]).unwrap();
        assert!(Retention::load(dir.path()).is_err());
    }
}
