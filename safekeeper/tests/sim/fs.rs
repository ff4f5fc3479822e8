//! A simulated disk behind the storage seam (`safekeeper::storage::Fs`):
//! the real WAL, control-file and recovery code run over it.
//!
//! It keeps, like a kernel, two views of everything:
//! - **file data**: what reads return (the page cache) and what was last
//!   fsynced. A crash keeps, for every 512-byte sector written since the
//!   last fsync, either the old or the new content, in any combination, and
//!   sometimes a torn mix of both inside the sector; a file's length is the
//!   old or the new one (extended with zeros).
//! - **names**: creates, renames, links and deletes take effect at once but
//!   are durable only after `sync_dir` of their directory; a crash keeps a
//!   random prefix of each directory's un-synced operations (journaled
//!   metadata), and drops names whose parent directory did not survive.
//!
//! Each process incarnation gets its own [`SimFs`] handle; when it crashes
//! (or an fsync fails, which the real code treats as fatal), every handle of
//! that incarnation stops working, so nothing a dead process still holds
//! (an open segment, a pre-allocation job) can touch the disk again.
//! Faults: an fsync fails (the process dies, as `remote_storage::durable`
//! makes it), a write fails with EIO (the shell reopens the timeline), and
//! the process is killed after its next N file-system calls.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use safekeeper::storage::fs::DirEntry;
use safekeeper::storage::{Fs, FsFile, OpenMode};

use crate::rng::Rng;

const SECTOR: usize = 512;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Node {
    Dir,
    File(u64),
}

/// One atomic change of names in a directory.
type NameOp = Vec<(PathBuf, Option<Node>)>;

#[derive(Default)]
struct Inode {
    data: Vec<u8>,
    synced: Vec<u8>,
}

/// Per-mille probabilities of the injected faults.
#[derive(Clone, Copy, Debug, Default)]
pub struct Faults {
    pub fsync_fail: u64,
    pub write_fail: u64,
}

#[derive(Default)]
struct State {
    names: BTreeMap<PathBuf, Node>,
    durable: BTreeMap<PathBuf, Node>,
    /// Un-synced name operations per directory, in order; each is atomic
    /// (a rename is one operation of two changes).
    pending: BTreeMap<PathBuf, Vec<NameOp>>,
    inodes: BTreeMap<u64, Inode>,
    next_inode: u64,
    /// The live incarnation; handles of older ones fail.
    generation: u64,
    /// The live incarnation died (killed or a failed fsync).
    dead: bool,
    /// Kill the process after this many more calls.
    kill_after: Option<u64>,
    faults: Faults,
    rng: Option<Rng>,
    fsync_failures: u64,
    write_failures: u64,
}

/// The disk of one simulated safekeeper (shared by its incarnations).
#[derive(Clone, Default)]
pub struct SimDisk(Arc<Mutex<State>>);

/// One incarnation's view of the disk.
#[derive(Clone)]
pub struct SimFs {
    disk: SimDisk,
    generation: u64,
}

#[derive(Debug)]
struct SimFile {
    fs: SimFs,
    ino: u64,
    writable: bool,
}

fn eio(what: &str) -> io::Error {
    io::Error::other(format!("simulated I/O error: {what}"))
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("{}", path.display()))
}

impl std::fmt::Debug for SimFs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SimFs(gen {})", self.generation)
    }
}

impl SimDisk {
    pub fn new(seed: u64, faults: Faults) -> SimDisk {
        let disk = SimDisk::default();
        {
            let mut s = disk.lock();
            s.names.insert(PathBuf::from("/"), Node::Dir);
            s.durable.insert(PathBuf::from("/"), Node::Dir);
            s.rng = Some(Rng::new(seed));
            s.faults = faults;
        }
        disk
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new incarnation's handle (the previous one's stop working).
    pub fn boot(&self) -> Arc<SimFs> {
        let mut s = self.lock();
        s.generation += 1;
        s.dead = false;
        s.kill_after = None;
        Arc::new(SimFs {
            disk: self.clone(),
            generation: s.generation,
        })
    }

    /// Whether the live incarnation died (an fsync failed, or it was killed
    /// by [`Self::kill_after`]).
    pub fn dead(&self) -> bool {
        self.lock().dead
    }

    /// Kills the live incarnation after its next `n` file-system calls.
    pub fn kill_after(&self, n: u64) {
        self.lock().kill_after = Some(n);
    }

    /// Cancels a pending [`Self::kill_after`].
    pub fn clear_kill(&self) {
        self.lock().kill_after = None;
    }

    pub fn set_faults(&self, faults: Faults) {
        self.lock().faults = faults;
    }

    pub fn fault_counts(&self) -> (u64, u64) {
        let s = self.lock();
        (s.fsync_failures, s.write_failures)
    }

    /// The live incarnation dies. On a power loss, what was not made
    /// durable is (partly) lost, torn at sector granularity; after a
    /// `kill -9` the page cache survives and is written back in time.
    pub fn crash(&self, rng: &mut Rng, power_loss: bool) {
        let mut s = self.lock();
        s.dead = true;
        s.generation += 1;
        if !power_loss {
            s.pending.clear();
            s.durable = s.names.clone();
            for inode in s.inodes.values_mut() {
                inode.synced = inode.data.clone();
            }
        }
        // Names: a prefix of each directory's un-synced operations.
        let pending = std::mem::take(&mut s.pending);
        for (_, ops) in pending {
            let keep = rng.index(ops.len() + 1);
            for (path, node) in ops.into_iter().take(keep).flatten() {
                match node {
                    Some(n) => s.durable.insert(path, n),
                    None => s.durable.remove(&path),
                };
            }
        }
        let durable = s.durable.clone();
        let mut names: BTreeMap<PathBuf, Node> = BTreeMap::new();
        // Parents sort before children, so one pass drops orphans.
        for (path, node) in durable {
            let orphan = path
                .parent()
                .is_some_and(|p| names.get(p) != Some(&Node::Dir));
            if !orphan {
                names.insert(path, node);
            }
        }
        s.durable = names.clone();
        s.names = names;
        // Data: un-synced sectors survive, or not, or torn.
        let live: std::collections::BTreeSet<u64> = s
            .names
            .values()
            .filter_map(|n| match n {
                Node::File(i) => Some(*i),
                Node::Dir => None,
            })
            .collect();
        s.inodes.retain(|i, _| live.contains(i));
        for inode in s.inodes.values_mut() {
            if inode.data == inode.synced {
                continue;
            }
            let len = if rng.chance(50) {
                inode.data.len()
            } else {
                inode.synced.len()
            };
            let mut out = inode.synced.clone();
            out.resize(len, 0);
            for start in (0..len).step_by(SECTOR) {
                let end = (start + SECTOR).min(len);
                let new = |i: usize| inode.data.get(i).copied().unwrap_or(0);
                if (start..end).all(|i| out[i] == new(i)) {
                    continue;
                }
                match rng.below(10) {
                    0..5 => {}
                    5..9 => (start..end).for_each(|i| out[i] = new(i)),
                    _ => {
                        let cut = start + rng.index(end - start);
                        (start..cut).for_each(|i| out[i] = new(i));
                    }
                }
            }
            inode.data = out.clone();
            inode.synced = out;
        }
    }
}

impl State {
    /// Accounts one call of incarnation `generation`; fails if it is dead.
    fn enter(&mut self, generation: u64) -> io::Result<()> {
        if self.dead || generation != self.generation {
            return Err(eio("the process is dead"));
        }
        if let Some(n) = self.kill_after.as_mut() {
            if *n == 0 {
                self.dead = true;
                return Err(eio("killed"));
            }
            *n -= 1;
        }
        Ok(())
    }

    fn roll(&mut self, permille: u64) -> bool {
        permille > 0 && self.rng.as_mut().is_some_and(|r| r.below(1000) < permille)
    }

    fn set_name(&mut self, path: &Path, node: Option<Node>) {
        self.set_names(&[(path, node)]);
    }

    /// Changes names in one directory as one atomic operation.
    fn set_names(&mut self, changes: &[(&Path, Option<Node>)]) {
        let Some((first, _)) = changes.first() else {
            return;
        };
        let parent = first.parent().unwrap_or(Path::new("/")).to_path_buf();
        let mut op = Vec::new();
        for &(path, node) in changes {
            debug_assert_eq!(path.parent(), Some(parent.as_path()));
            match node {
                Some(n) => self.names.insert(path.to_path_buf(), n),
                None => self.names.remove(path),
            };
            op.push((path.to_path_buf(), node));
        }
        self.pending.entry(parent).or_default().push(op);
    }

    fn parent_is_dir(&self, path: &Path) -> bool {
        path.parent()
            .is_some_and(|p| self.names.get(p) == Some(&Node::Dir))
    }

    fn file(&self, path: &Path) -> io::Result<u64> {
        match self.names.get(path) {
            Some(Node::File(i)) => Ok(*i),
            Some(Node::Dir) => Err(io::Error::other("is a directory")),
            None => Err(not_found(path)),
        }
    }
}

impl SimFs {
    fn state(&self) -> io::Result<MutexGuard<'_, State>> {
        let mut s = self.disk.lock();
        s.enter(self.generation)?;
        Ok(s)
    }

    fn sync(&self, ino: u64) -> io::Result<()> {
        let mut s = self.state()?;
        let p = s.faults.fsync_fail;
        if s.roll(p) {
            // Linux may drop the dirty pages; the real code exits.
            s.fsync_failures += 1;
            s.dead = true;
            return Err(eio("fsync failed"));
        }
        if let Some(inode) = s.inodes.get_mut(&ino) {
            inode.synced = inode.data.clone();
        }
        Ok(())
    }
}

impl Fs for SimFs {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn FsFile>> {
        let mut s = self.state()?;
        let ino = match (mode, s.names.get(path).copied()) {
            (OpenMode::CreateNew, Some(_)) => {
                return Err(io::Error::new(io::ErrorKind::AlreadyExists, "exists"));
            }
            (_, Some(Node::Dir)) => return Err(io::Error::other("is a directory")),
            (OpenMode::Read | OpenMode::ReadWrite, None) => return Err(not_found(path)),
            (OpenMode::CreateTruncate, Some(Node::File(i))) => {
                s.inodes.entry(i).or_default().data.clear();
                i
            }
            (_, Some(Node::File(i))) => i,
            (OpenMode::CreateNew | OpenMode::CreateTruncate, None) => {
                if !s.parent_is_dir(path) {
                    return Err(not_found(path));
                }
                s.next_inode += 1;
                let i = s.next_inode;
                s.inodes.insert(i, Inode::default());
                s.set_name(path, Some(Node::File(i)));
                i
            }
        };
        Ok(Box::new(SimFile {
            fs: self.clone(),
            ino,
            writable: mode != OpenMode::Read,
        }))
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let s = self.state()?;
        let i = s.file(path)?;
        Ok(s.inodes.get(&i).map(|n| n.data.clone()).unwrap_or_default())
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut s = self.state()?;
        let node = s.file(from).map(Node::File)?;
        if !s.parent_is_dir(to) {
            return Err(not_found(to));
        }
        if from.parent() != to.parent() {
            return Err(io::Error::other("the sim renames only within a directory"));
        }
        s.set_names(&[(to, Some(node)), (from, None)]);
        Ok(())
    }

    fn hard_link(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut s = self.state()?;
        let node = s.file(from).map(Node::File)?;
        if s.names.contains_key(to) {
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, "exists"));
        }
        if !s.parent_is_dir(to) {
            return Err(not_found(to));
        }
        s.set_name(to, Some(node));
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let mut s = self.state()?;
        s.file(path)?;
        s.set_name(path, None);
        Ok(())
    }

    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        let mut s = self.state()?;
        let mut missing = Vec::new();
        let mut p = Some(path);
        while let Some(dir) = p {
            match s.names.get(dir) {
                Some(Node::Dir) => break,
                Some(Node::File(_)) => return Err(io::Error::other("not a directory")),
                None => missing.push(dir.to_path_buf()),
            }
            p = dir.parent();
        }
        for dir in missing.into_iter().rev() {
            s.set_name(&dir, Some(Node::Dir));
        }
        Ok(())
    }

    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        let mut s = self.state()?;
        let under: Vec<PathBuf> = s
            .names
            .keys()
            .filter(|p| p.starts_with(path))
            .cloned()
            .collect();
        if under.is_empty() {
            return Err(not_found(path));
        }
        for p in under.into_iter().rev() {
            s.set_name(&p, None);
        }
        Ok(())
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        let s = self.state()?;
        if s.names.get(path) != Some(&Node::Dir) {
            return Err(not_found(path));
        }
        Ok(s.names
            .iter()
            .filter(|(p, _)| p.parent() == Some(path))
            .map(|(p, n)| DirEntry {
                name: p.file_name().and_then(|n| n.to_str()).map(str::to_string),
                path: p.clone(),
                is_dir: *n == Node::Dir,
            })
            .collect())
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        Ok(self.state()?.names.contains_key(path))
    }

    fn is_file(&self, path: &Path) -> io::Result<bool> {
        Ok(matches!(self.state()?.names.get(path), Some(Node::File(_))))
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        let mut s = self.state()?;
        if s.names.get(dir) != Some(&Node::Dir) {
            return Err(not_found(dir));
        }
        let p = s.faults.fsync_fail;
        if s.roll(p) {
            s.fsync_failures += 1;
            s.dead = true;
            return Err(eio("fsync of a directory failed"));
        }
        if let Some(ops) = s.pending.remove(dir) {
            for (path, node) in ops.into_iter().flatten() {
                match node {
                    Some(n) => s.durable.insert(path, n),
                    None => s.durable.remove(&path),
                };
            }
        }
        Ok(())
    }
}

impl FsFile for SimFile {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let s = self.fs.state()?;
        let data = s.inodes.get(&self.ino).map(|n| &n.data[..]).unwrap_or(&[]);
        let (from, to) = (offset as usize, offset as usize + buf.len());
        if to > data.len() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "read past the end",
            ));
        }
        buf.copy_from_slice(&data[from..to]);
        Ok(())
    }

    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        let mut s = self.fs.state()?;
        if !self.writable {
            return Err(io::Error::other("not open for writing"));
        }
        let p = s.faults.write_fail;
        if s.roll(p) {
            s.write_failures += 1;
            return Err(eio("write failed"));
        }
        let inode = s.inodes.entry(self.ino).or_default();
        let (from, to) = (offset as usize, offset as usize + buf.len());
        if inode.data.len() < to {
            inode.data.resize(to, 0);
        }
        inode.data[from..to].copy_from_slice(buf);
        Ok(())
    }

    fn size(&self) -> io::Result<u64> {
        let s = self.fs.state()?;
        Ok(s.inodes.get(&self.ino).map_or(0, |n| n.data.len() as u64))
    }

    fn sync_data(&self) -> io::Result<()> {
        self.fs.sync(self.ino)
    }

    fn sync_all(&self) -> io::Result<()> {
        self.fs.sync(self.ino)
    }
}
