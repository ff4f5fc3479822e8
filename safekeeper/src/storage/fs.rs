//! The storage I/O seam: every file-system call of this module goes through
//! [`Fs`] and [`FsFile`], so the real WAL, control-file and recovery code can
//! run over a simulated disk (`safekeeper/tests/sim`) that loses un-fsynced
//! writes and tears them on a crash.
//!
//! [`StdFs`] is the production implementation: each method is the one
//! `std::fs` call the code made before the seam existed, and every fsync
//! still goes through [`remote_storage::durable`] (a failed fsync stops the
//! process). The only cost is one dynamic call per system call.
//!
//! The contract an implementation must honour is POSIX's, no more: data
//! written to a file is durable only after [`FsFile::sync_data`] /
//! [`FsFile::sync_all`]; a create, rename, hard link or delete is durable
//! only after [`Fs::sync_dir`] of its directory.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use remote_storage::durable;

/// How [`Fs::open`] opens a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenMode {
    /// Read only; the file must exist.
    Read,
    /// Read and write; the file must exist.
    ReadWrite,
    /// Read and write; the file must not exist yet (`AlreadyExists`).
    CreateNew,
    /// Write; created if missing, truncated if present.
    CreateTruncate,
}

/// A directory entry as [`Fs::read_dir`] returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// The file name; `None` if it is not valid UTF-8.
    pub name: Option<String>,
    pub path: PathBuf,
    pub is_dir: bool,
}

/// The file-system operations the storage code uses (see the module docs).
pub trait Fs: Send + Sync + fmt::Debug {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn FsFile>>;
    /// The whole content of a file.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Fails with `AlreadyExists` if `to` exists.
    fn hard_link(&self, from: &Path, to: &Path) -> io::Result<()>;
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    fn create_dir_all(&self, path: &Path) -> io::Result<()>;
    fn remove_dir_all(&self, path: &Path) -> io::Result<()>;
    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>>;
    /// Whether `path` exists. An error is not "no": a failing `stat`
    /// (EIO, EACCES) must never make a timeline look absent.
    fn exists(&self, path: &Path) -> io::Result<bool>;
    /// Whether `path` is a file (errors as for [`Fs::exists`]).
    fn is_file(&self, path: &Path) -> io::Result<bool>;
    /// Makes creates, renames, links and deletes in `dir` durable.
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
}

/// An open file (see [`Fs::open`]).
pub trait FsFile: Send + Sync + fmt::Debug {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()>;
    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()>;
    /// The file's size in bytes.
    fn size(&self) -> io::Result<u64>;
    /// `fdatasync`.
    fn sync_data(&self) -> io::Result<()>;
    /// `fsync`.
    fn sync_all(&self) -> io::Result<()>;
}

/// The shared handle the storage types hold.
pub type SharedFs = Arc<dyn Fs>;

/// The real file system (see the module docs).
#[derive(Clone, Copy, Debug, Default)]
pub struct StdFs;

/// The process-wide [`StdFs`] handle.
pub fn std_fs() -> SharedFs {
    static STD: LazyLock<SharedFs> = LazyLock::new(|| Arc::new(StdFs));
    STD.clone()
}

/// A `std::fs::File` and its path (for the fatal-fsync message).
#[derive(Debug)]
struct StdFile {
    file: File,
    path: PathBuf,
}

impl Fs for StdFs {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn FsFile>> {
        let mut o = OpenOptions::new();
        match mode {
            OpenMode::Read => o.read(true),
            OpenMode::ReadWrite => o.read(true).write(true),
            OpenMode::CreateNew => o.read(true).write(true).create_new(true),
            OpenMode::CreateTruncate => o.write(true).create(true).truncate(true),
        };
        Ok(Box::new(StdFile {
            file: o.open(path)?,
            path: path.to_path_buf(),
        }))
    }
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }
    fn hard_link(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::hard_link(from, to)
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        std::fs::create_dir_all(path)
    }
    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_dir_all(path)
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(path)? {
            let entry = entry?;
            out.push(DirEntry {
                name: entry.file_name().to_str().map(str::to_string),
                path: entry.path(),
                is_dir: entry.file_type()?.is_dir(),
            });
        }
        Ok(out)
    }
    fn exists(&self, path: &Path) -> io::Result<bool> {
        path.try_exists()
    }
    fn is_file(&self, path: &Path) -> io::Result<bool> {
        match std::fs::metadata(path) {
            Ok(m) => Ok(m.is_file()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        durable::sync_dir(dir)
    }
}

impl FsFile for StdFile {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.file.read_exact_at(buf, offset)
    }
    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.file.write_all_at(buf, offset)
    }
    fn size(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }
    fn sync_data(&self) -> io::Result<()> {
        durable::sync_data(&self.file, &self.path)
    }
    fn sync_all(&self) -> io::Result<()> {
        durable::sync_all(&self.file, &self.path)
    }
}
